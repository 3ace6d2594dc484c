"""Workshops for the export files: a table (CSV/JSON) and the calendar of what is upcoming.

`workshops_table` is the `workshops` export; its calendar, `upcoming_calendar`, is the
`.ics` of every upcoming occurrence (cancelled ones as STATUS:CANCELLED, so a
calendar that imported them earlier removes them).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.capabilities import Pseudonymise, Table, exporter
from bot.context import FileUpload
from handlers.workshops.calendar import CONTENT_TYPE, calendar_bytes
from storage.uow import UnitOfWork
from storage.workshops.repository import WorkshopRepository


async def upcoming_calendar(uow: UnitOfWork, now: datetime, tz: ZoneInfo) -> FileUpload:
    """One calendar with every occurrence that has not begun, cancelled ones included."""
    workshops = await WorkshopRepository(uow.session).upcoming(now, include_cancelled=True)
    return FileUpload(
        filename="workshops.ics",
        content_type=CONTENT_TYPE,
        data=calendar_bytes(workshops, now, tz),
    )


@exporter("workshops", "workshop", calendar=upcoming_calendar)
async def workshops_table(uow: UnitOfWork, pseudonymise: Pseudonymise, now: datetime) -> Table:
    """Every occurrence with its seats; no person appears in it."""
    repo = WorkshopRepository(uow.session)
    workshops = await repo.everything()
    seats = await repo.seats(w.id for w in workshops)
    return Table(
        columns=(
            "number",
            "uid",
            "title",
            "starts",
            "ends",
            "place",
            "online_url",
            "capacity",
            "registered",
            "waiting",
            "status",
            "repeat",
        ),
        rows=[
            (
                w.id,
                w.uid,
                w.title,
                w.starts_at.astimezone(now.tzinfo).isoformat(timespec="minutes"),
                w.ends_at.astimezone(now.tzinfo).isoformat(timespec="minutes"),
                w.place,
                w.online_url,
                w.capacity,
                seats[w.id].registered,
                seats[w.id].waiting,
                w.status,
                w.repeat,
            )
            for w in workshops
        ],
    )
