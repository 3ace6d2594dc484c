"""The public web page: read-only pages, a workshop calendar feed and open data.

Served in a process of its own (`smartregion-bot web`, bot.web.process), which `run`
starts when BOT_WEB_ADDRESS is set; it reads the bot's database through the storage
repositories and never writes. See docs/web.md.
"""
