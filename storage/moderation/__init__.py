"""Blocks that stop someone who abuses the bot."""
