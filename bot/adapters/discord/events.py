"""discord.py's gateway objects in, the core's neutral events out."""

from __future__ import annotations

import discord

from bot.adapters.discord.identity import PLATFORM
from bot.context import Actor, IncomingMessage, Place

COMMAND_MESSAGE_TYPES = frozenset({discord.MessageType.default, discord.MessageType.reply})
"""People's messages; joins, pins, boosts and other system messages are not commands."""


def incoming_message(message: discord.Message) -> IncomingMessage | None:
    """The neutral form of a person's message, or None for bots (the bot itself included)
    and system messages.

    A message in a thread (or forum post) takes place in the thread, so replies stay there,
    and names the thread's id as its `thread_root`: the id of the message the thread was
    started from, or of a forum post's starter message.
    """
    if message.author.bot or message.type not in COMMAND_MESSAGE_TYPES:
        return None
    reference = message.reference
    reply_to = reference.message_id if reference is not None else None
    return IncomingMessage(
        event_id=str(message.id),
        actor=actor_of(message.author),
        place=Place(str(message.channel.id), is_direct=message.guild is None),
        text=message.content,
        sent_at=message.created_at,
        reply_to=str(reply_to) if reply_to is not None else None,
        thread_root=str(message.channel.id)
        if isinstance(message.channel, discord.Thread)
        else None,
    )


def actor_of(user: discord.abc.User) -> Actor:
    """A Discord account as the core names people: platform, snowflake, display name."""
    return Actor(PLATFORM, str(user.id), user.display_name)
