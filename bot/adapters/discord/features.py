"""What Discord can do, as the core asks it, for the commands slice of the adapter.

Native polls and thread sends are not wired yet, so the core posts text polls and answers
questions with replies; reactions are taken back by person, message and emoji (the gateway's
MESSAGE_REACTION_REMOVE carries no id), and Discord drops no repeated send by itself beyond
`enforce_nonce`'s few minutes, so sends are not idempotent by the platform.
"""

from __future__ import annotations

from bot.adapters.base import PlatformFeatures

MAX_MESSAGE_LENGTH = 2000
"""Discord's limit on a message's `content`, in characters."""

DISCORD_FEATURES = PlatformFeatures(
    polls=None,
    threads=False,
    reaction_ids=False,
    max_message_length=MAX_MESSAGE_LENGTH,
    idempotent_sends=False,
)
