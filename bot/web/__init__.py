"""The public web page: read-only pages, a workshop calendar feed and open data.

Served by the bot process itself (`aiohttp.web`) when BOT_WEB_ADDRESS is set; it reads
the same database through the storage repositories and never writes. See docs/web.md.
"""
