"""Discord's raw reaction events in, the core's neutral reaction events out.

Raw events (`on_raw_reaction_add` / `on_raw_reaction_remove`) arrive whether or not
discord.py has the message cached, so a 👍 on a card posted before a restart still counts.

Discord gives a reaction event no id, and the same person may add, remove and add the same
emoji again: the third event must count, a second delivery of the first must not. So the
id is derived from the delivery itself: the gateway session and the dispatch's sequence
number `s`, which Discord keeps when it replays a session's events on RESUME and never
reuses within a session (docs/discord.md, "Reaction event ids").
"""

from __future__ import annotations

from dataclasses import dataclass

import discord

from bot.adapters.discord.identity import PLATFORM
from bot.context import Actor, IncomingReaction, IncomingReactionRemoved, Place

ADD = "REACTION_ADD"


@dataclass(frozen=True)
class Delivery:
    """Where in the gateway's stream an event came: its session and sequence number."""

    session_id: str
    sequence: int


def reaction_event_id(payload: discord.RawReactionActionEvent, delivery: Delivery) -> str:
    """A stable id for one reaction event: what happened, and which dispatch said so."""
    kind = "add" if payload.event_type == ADD else "remove"
    what = f"{payload.message_id}:{payload.user_id}:{emoji_key(payload.emoji)}:{kind}"
    return f"reaction:{what}@{delivery.session_id}:{delivery.sequence}"


def emoji_key(emoji: discord.PartialEmoji) -> str:
    """A Unicode emoji as itself (👍, ✅); a server's own emoji as `name:id`."""
    if emoji.is_unicode_emoji():
        return emoji.name or ""
    return f"{emoji.name}:{emoji.id}"


def incoming_reaction(
    payload: discord.RawReactionActionEvent, delivery: Delivery, display_name: str
) -> IncomingReaction | IncomingReactionRemoved:
    """The neutral form of a reaction added or removed; `sent_at` is when it arrived (the
    gateway's events carry no time)."""
    kind = IncomingReaction if payload.event_type == ADD else IncomingReactionRemoved
    return kind(
        event_id=reaction_event_id(payload, delivery),
        actor=Actor(PLATFORM, str(payload.user_id), display_name),
        place=Place(str(payload.channel_id), is_direct=payload.guild_id is None),
        target_event_id=str(payload.message_id),
        key=emoji_key(payload.emoji),
        sent_at=discord.utils.utcnow(),
    )
