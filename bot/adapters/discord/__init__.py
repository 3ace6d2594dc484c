"""The Discord adapter: discord.py's client, gateway events and Markdown rendering."""
