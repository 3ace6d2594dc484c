"""What Discord can do, as the core asks it.

Native polls are not wired yet, so the core posts text polls. A question's thread is a
Discord thread (a forum post in a forum channel) whose id is its root message's id.
Reactions are taken back by person, message and emoji (the gateway's MESSAGE_REACTION_REMOVE
carries no id), and Discord drops no repeated send by itself beyond `enforce_nonce`'s few
minutes, so sends are not idempotent by the platform. Workshops are mirrored as the servers'
scheduled events.
"""

from __future__ import annotations

from bot.adapters.base import PlatformFeatures

MAX_MESSAGE_LENGTH = 2000
"""Discord's limit on a message's `content`, in characters."""

DISCORD_FEATURES = PlatformFeatures(
    polls=None,
    threads=True,
    reaction_ids=False,
    max_message_length=MAX_MESSAGE_LENGTH,
    idempotent_sends=False,
    calendar_events=True,
)
