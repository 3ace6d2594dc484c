"""iCalendar files for workshops (RFC 5545), built with the `icalendar` library.

Every occurrence keeps one UID for its whole life, and every change raises SEQUENCE, so a
calendar app that imported the file before updates the entry (a move) or removes it (a
cancellation, STATUS:CANCELLED) instead of adding a second one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.context import FileUpload
from storage.workshops.models import Workshop
from storage.workshops.repository import CANCELLED

if TYPE_CHECKING:
    from icalendar import Event

PRODUCT_ID = "-//stadt.land.smart//smartregion-bot workshops//DE"
CONTENT_TYPE = "text/calendar"


def workshop_event(workshop: Workshop, stamp: datetime, tz: ZoneInfo) -> Event:
    """The VEVENT of one occurrence, with times in the bot's zone (TZID)."""
    from icalendar import Event  # imported on first use: 8 MB a run without workshops saves

    event = Event()
    event.add("uid", workshop.uid)
    event.add("dtstamp", stamp)
    event.add("sequence", workshop.sequence)
    event.add("dtstart", workshop.starts_at.astimezone(tz))
    event.add("dtend", workshop.ends_at.astimezone(tz))
    event.add("summary", workshop.title)
    event.add("location", workshop.place)
    if workshop.description:
        event.add("description", workshop.description)
    if workshop.online_url:
        event.add("url", workshop.online_url)
    cancelled = workshop.status == CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def calendar_bytes(
    workshops: Sequence[Workshop], stamp: datetime, tz: ZoneInfo, *, method: str = "PUBLISH"
) -> bytes:
    """A calendar with the given occurrences and the VTIMEZONE their times refer to."""
    from icalendar import Calendar  # see workshop_event

    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    for workshop in workshops:
        calendar.add_component(workshop_event(workshop, stamp, tz))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def workshop_file(workshop: Workshop, stamp: datetime, tz: ZoneInfo) -> FileUpload:
    """The `.ics` of one occurrence; a cancelled one is sent as a cancellation (CANCEL)."""
    method = "CANCEL" if workshop.status == CANCELLED else "PUBLISH"
    return FileUpload(
        filename=f"workshop-{workshop.id}.ics",
        content_type=CONTENT_TYPE,
        data=calendar_bytes([workshop], stamp, tz, method=method),
    )
