"""Export files for staff: one table per kind, written as CSV or JSON.

Used by the chat command (`!export ideen csv`, uploaded as a file) and by the CLI
(`smartregion-bot export ideas --format json`), so both produce the same bytes. A new kind
is one entry in `EXPORTS` with a function that builds its table; every table has the
item's reference number in its first column, so one item (`!export umfrage 3`) is a filter.
Kinds with dates may also offer a calendar (`ics`).

People appear only as pseudonyms: a keyed hash (HMAC-SHA256) of their platform identity with
a secret kept in the database, stable across exports but not reversible without the secret.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.context import FileUpload
from handlers.polls.export import polls_table
from handlers.workshops.export import upcoming_calendar, workshops_table
from storage.exports.repository import ExportSecretRepository
from storage.ideas.repository import IdeasRepository
from storage.uow import UnitOfWork

FORMATS = ("csv", "json", "ics")
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}

Pseudonymise = Callable[[str, str], str]
"""`(platform, external_id)` -> pseudonym."""


@dataclass(frozen=True)
class Table:
    """Column names and rows of plain values (str, int, bool or None)."""

    columns: tuple[str, ...]
    rows: Sequence[tuple[Any, ...]]


TableBuilder = Callable[[UnitOfWork, Pseudonymise, datetime], Awaitable[Table]]
"""Builds a kind's table; gets the current time, whose zone the table's times are shown in."""


CalendarBuilder = Callable[[UnitOfWork, datetime, ZoneInfo], Awaitable[FileUpload]]


class ExportError(Exception):
    """The export asked for does not exist; `key` names the catalog message."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class ExportKind:
    """An exportable kind: its German names (the key is the English one), table, calendar."""

    german: tuple[str, ...]
    build: TableBuilder
    calendar: CalendarBuilder | None = None


def pseudonym(secret: bytes, platform: str, external_id: str) -> str:
    """A stable pseudonym such as `p-3f9c0a1b2c4d` for one person."""
    digest = hmac.new(secret, f"{platform}\x00{external_id}".encode(), hashlib.sha256)
    return "p-" + digest.hexdigest()[:12]


async def ideas_table(uow: UnitOfWork, pseudonymise: Pseudonymise, now: datetime) -> Table:
    """Every idea (hidden and merged ones too, marked as such), oldest first."""
    listed = await IdeasRepository(uow.session).everything()
    return Table(
        columns=(
            "number",
            "created",
            "category",
            "status",
            "supports",
            "author_pseudonym",
            "author_platform",
            "text",
            "hidden",
            "merged_into",
        ),
        rows=[
            (
                item.idea.number,
                item.idea.created_at.astimezone(now.tzinfo).isoformat(timespec="seconds"),
                item.idea.category,
                item.idea.status,
                item.supports,
                pseudonymise(item.idea.platform, item.idea.author_id),
                item.idea.platform,
                item.idea.text,
                item.idea.hidden,
                item.idea.merged_into,
            )
            for item in listed
        ],
    )


EXPORTS: dict[str, ExportKind] = {
    "ideas": ExportKind(("ideen", "idee", "idea"), ideas_table),
    "workshops": ExportKind(("workshop",), workshops_table, upcoming_calendar),
    "polls": ExportKind(("umfragen", "umfrage", "poll"), polls_table),
}


def kind_names() -> dict[str, str]:
    """Every name a kind may be asked for (German and English) -> its key in EXPORTS."""
    names = {key: key for key in EXPORTS}
    names.update({name: key for key, kind in EXPORTS.items() for name in kind.german})
    return names


def to_csv(table: Table) -> bytes:
    """RFC 4180 CSV in UTF-8 with a byte-order mark, so spreadsheet programs read umlauts."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(_csv_value(value) for value in row)
    return buffer.getvalue().encode("utf-8-sig")


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def to_json(table: Table) -> bytes:
    """A JSON array of objects, one per row, keys in column order."""
    records = [dict(zip(table.columns, row, strict=True)) for row in table.rows]
    return json.dumps(records, ensure_ascii=False, indent=2).encode("utf-8")


async def build_export(
    uow: UnitOfWork, kind: str, file_format: str, now: datetime, number: int | None = None
) -> FileUpload:
    """The export file of `kind` (a key of EXPORTS) in `file_format`, all items or one.

    Raises ExportError when the kind has no calendar or the numbered item does not exist.
    """
    export = EXPORTS[kind]
    if file_format == "ics":
        if export.calendar is None or number is not None:
            raise ExportError("exports.no_calendar")
        return await export.calendar(uow, now, _zone(now))
    secret = await ExportSecretRepository(uow.session).get_or_create(now)
    table = await export.build(
        uow, lambda platform, external_id: pseudonym(secret, platform, external_id), now
    )
    suffix = ""
    if number is not None:
        table = Table(table.columns, [row for row in table.rows if row[0] == number])
        if not table.rows:
            raise ExportError("exports.not_found", number=number)
        suffix = f"-{number}"
    data = to_csv(table) if file_format == "csv" else to_json(table)
    filename = f"{kind}{suffix}-{now:%Y%m%d-%H%M}.{file_format}"
    return FileUpload(filename=filename, content_type=CONTENT_TYPES[file_format], data=data)


def _zone(now: datetime) -> ZoneInfo:
    zone = now.tzinfo
    return zone if isinstance(zone, ZoneInfo) else ZoneInfo("UTC")


async def write_export(
    database_url: str,
    kind: str,
    file_format: str,
    now: datetime,
    output: Path | None,
    number: int | None = None,
) -> Path:
    """The CLI's export: the same file as in chat, written to `output` (default: here)."""
    from storage.db import create_engine, create_session_factory, upgrade_schema
    from storage.uow import UnitOfWorkFactory

    engine = create_engine(database_url)
    try:
        await upgrade_schema(engine)
        async with UnitOfWorkFactory(create_session_factory(engine))() as uow:
            upload = await build_export(uow, kind, file_format, now, number)
            await uow.commit()  # keeps a pseudonym secret created on first use
    finally:
        await engine.dispose()
    path = output or Path(upload.filename)
    path.write_bytes(upload.data)
    return path
