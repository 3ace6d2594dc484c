"""Workshops as Discord scheduled events, and "Interested" as the core's `IncomingInterest`.

An entry is an EXTERNAL event (a place outside Discord) visible to the server's members.
Its id for the core is `guild_id/event_id`: changing an event needs its guild, and the
bot's cache of events may not know it (a restart). Marking interest carries no id, and the
same person may mark, unmark and mark again, so the event's id is derived from the gateway
delivery (session and sequence), as for reactions (docs/discord.md).
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

import discord

from bot.adapters.discord.identity import PLATFORM
from bot.adapters.discord.reactions import Delivery
from bot.context import Actor, CalendarEntry, IncomingInterest, Place

MAX_NAME, MAX_DESCRIPTION, MAX_LOCATION = 100, 1000, 100
"""Discord's limits on an event's name, description and location, in characters."""
INTEREST_EVENTS = {"scheduled_event_user_add": True, "scheduled_event_user_remove": False}
"""discord.py's events for "Interested" marked (True) and taken back (False)."""


def entry_id(guild_id: int, event_id: int) -> str:
    return f"{guild_id}/{event_id}"


def parse_entry_id(value: str) -> tuple[int, int]:
    guild_id, _, event_id = value.partition("/")
    return int(guild_id), int(event_id)


def event_fields(entry: CalendarEntry) -> dict[str, Any]:
    """The REST fields of an external event showing the entry (times in UTC, ISO 8601)."""
    return {
        "name": entry.title[:MAX_NAME],
        "description": entry.description[:MAX_DESCRIPTION],
        "scheduled_start_time": entry.starts_at.astimezone(UTC).isoformat(),
        "scheduled_end_time": entry.ends_at.astimezone(UTC).isoformat(),
        "entity_type": discord.EntityType.external.value,
        "entity_metadata": {"location": entry.location[:MAX_LOCATION]},
        "privacy_level": discord.PrivacyLevel.guild_only.value,
    }


def incoming_interest(
    event: discord.ScheduledEvent, user: discord.abc.User, added: bool, delivery: Delivery
) -> IncomingInterest:
    target = entry_id(event.guild_id, event.id)
    kind = "add" if added else "remove"
    return IncomingInterest(
        event_id=f"interest:{target}:{user.id}:{kind}@{delivery.session_id}:{delivery.sequence}",
        actor=Actor(PLATFORM, str(user.id), user.display_name),
        place=Place(str(event.guild_id), is_direct=False),
        target=target,
        added=added,
        sent_at=discord.utils.utcnow(),
    )
