"""When a workshop's announcements, reminders and next occurrence are due (pure functions).

Offsets of whole days (`7d`, `1d`, and `24h`, which is the same duration) count calendar
days in the bot's zone, so "a week before" a Tuesday 18:00 workshop is the Tuesday before at
18:00 even across a daylight-saving change; other offsets (`1h`, `90m`) count elapsed time.
Recurring workshops advance in local time for the same reason: a weekly Tuesday 18:00
workshop stays at 18:00 after the clocks change.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

ANNOUNCE = "announce"
REMIND = "remind"
NEXT = "next"

WEEKLY = "weekly"
MONTHLY = "monthly"
REPEATS = (WEEKLY, MONTHLY)

MAX_SKIPPED_SLOTS = 1000
"""Bound on the slots skipped after a long downtime (about 20 years of weekly slots)."""


@dataclass(frozen=True)
class PlannedEffect:
    """An effect to record for an occurrence; `skipped` when already due at planning."""

    kind: str
    due_at: datetime
    skipped: bool


def before(starts_at: datetime, offset: timedelta, tz: ZoneInfo) -> datetime:
    """`offset` before `starts_at`: whole days in local calendar time, else elapsed time."""
    if offset % timedelta(days=1) == timedelta(0):
        local = starts_at.astimezone(tz)
        # Aware arithmetic within one zone is wall-clock arithmetic in Python.
        return (local - offset).astimezone(UTC)
    return starts_at.astimezone(UTC) - offset


def plan_effects(
    starts_at: datetime,
    now: datetime,
    tz: ZoneInfo,
    announce_offsets: Sequence[timedelta],
    remind_offsets: Sequence[timedelta],
    *,
    recurring: bool,
) -> list[PlannedEffect]:
    """Every announcement and reminder of an occurrence starting at `starts_at`.

    Those due now or earlier are planned as skipped: the announcement made on creation
    already covers them. A recurring occurrence also plans the creation of the next one at
    its own start, so exactly one occurrence of a series is upcoming at any time.
    """
    planned = [
        PlannedEffect(kind, due, skipped=due <= now)
        for kind, offsets in ((ANNOUNCE, announce_offsets), (REMIND, remind_offsets))
        for due in (before(starts_at, offset, tz) for offset in offsets)
    ]
    if recurring:
        planned.append(PlannedEffect(NEXT, starts_at.astimezone(UTC), skipped=False))
    return sorted(planned, key=lambda effect: (effect.due_at, effect.kind))


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day if it is shorter (31 → 30)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def following_slot(slot_at: datetime, repeat: str, tz: ZoneInfo) -> datetime:
    """The series slot after `slot_at`, at the same local wall-clock time."""
    local = slot_at.astimezone(tz)
    if repeat == WEEKLY:
        day = local.date() + timedelta(weeks=1)
    elif repeat == MONTHLY:
        day = add_months(local.date(), 1)
    else:
        raise ValueError(f"unknown repetition {repeat!r}")
    return datetime.combine(day, local.time(), tzinfo=tz)


def next_slot(
    slot_at: datetime, repeat: str, until: date | None, tz: ZoneInfo, after: datetime
) -> tuple[datetime | None, int]:
    """The first slot after `slot_at` that begins later than `after`, within `until`.

    Returns the slot (None when the series is over) and how many slots in between were
    already past (the bot was down), which are skipped rather than created late.
    """
    slot = following_slot(slot_at, repeat, tz)
    skipped = 0
    while slot <= after and skipped < MAX_SKIPPED_SLOTS:
        skipped += 1
        slot = following_slot(slot, repeat, tz)
    if slot <= after or (until is not None and slot.date() > until):
        return None, skipped
    return slot, skipped
