"""What a capability registers besides its commands: its exports, the personal data it holds
and how it erases a person.

A capability marks plain functions with `@exporter`, `@personal_data`, `@stored_names` and
`@on_erase`, as it marks start hooks with `@on_start`, and `Capabilities.from_modules`
collects them from the modules the composition root loads (`bot.app.HANDLER_MODULES`). So
`!export`, `!meinedaten`, `!datenloeschen` and their command-line twins find every
capability without importing one.

The declarations live here, not in `bot.router`, because the command line uses them without
a router or a chat adapter: `smartregion-bot export` and `smartregion-bot privacy ...` collect
the same modules and get the same kinds, sections and erasure steps as the chat commands,
which reach the collection through `services.commands.capabilities`. This module imports
no handler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import ModuleType
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.context import FileUpload
from storage.privacy.personal_data import Someone
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from bot.context import Services

# ------------------------------------------------------------------------- exports

Pseudonymise = Callable[[str, str], str]
"""`(platform, external_id)` -> pseudonym."""


@dataclass(frozen=True)
class Table:
    """Column names and rows of plain values (str, int, bool or None)."""

    columns: tuple[str, ...]
    rows: Sequence[tuple[Any, ...]]


TableBuilder = Callable[[UnitOfWork, Pseudonymise, datetime], Awaitable[Table]]
"""Builds a kind's table; gets the current time, whose zone the table's times are shown in.
Every table has the item's reference number in its first column (`!export umfrage 3`)."""

CalendarBuilder = Callable[[UnitOfWork, datetime, ZoneInfo], Awaitable[FileUpload]]


@dataclass(frozen=True)
class ExportKind:
    """An exportable kind: its key (English), other names it is asked for, table, calendar."""

    key: str
    names: tuple[str, ...]
    build: TableBuilder
    calendar: CalendarBuilder | None = None


def exporter(
    kind: str, *names: str, calendar: CalendarBuilder | None = None
) -> Callable[[TableBuilder], TableBuilder]:
    """Offer the decorated table as the export `kind` (also asked for by `names`, e.g. the
    German ones); `calendar` adds the `ics` format."""

    def mark(build: TableBuilder) -> TableBuilder:
        build.__exporter__ = ExportKind(kind, names, build, calendar)  # type: ignore[attr-defined]
        return build

    return mark


# ------------------------------------------------------------------- personal data


@dataclass(frozen=True)
class Reading:
    """Whose data a `@personal_data` section shows, and how its times are written."""

    person: Someone
    names: frozenset[str]
    """Every display name a capability stored beside the person's id (`@stored_names`)."""
    tz: ZoneInfo

    def moment(self, when: datetime | None) -> str | None:
        return None if when is None else when.astimezone(self.tz).isoformat(timespec="seconds")


SectionReader = Callable[[UnitOfWork, Reading], Awaitable[Any]]
NamesReader = Callable[[UnitOfWork, Someone], Awaitable[set[str]]]


@dataclass(frozen=True)
class Section:
    """One key of the personal-data document and the function that fills it."""

    key: str
    order: int
    staff: bool
    read: SectionReader


def personal_data(
    key: str, *, order: int, staff: bool = False
) -> Callable[[SectionReader], SectionReader]:
    """The decorated function fills the section `key` of `!meinedaten` for one person.

    Sections appear by `order` (ascending) among their group: the document's top level, or
    `as_staff_or_expert` with `staff=True` (what the person did for others).
    """

    def mark(read: SectionReader) -> SectionReader:
        read.__personal_data__ = Section(key, order, staff, read)  # type: ignore[attr-defined]
        return read

    return mark


def stored_names(read: NamesReader) -> NamesReader:
    """The decorated function returns the display names stored beside the person's id.

    The export lists them; the erasure looks for them in text that names the person.
    """
    read.__stored_names__ = True  # type: ignore[attr-defined]
    return read


# ------------------------------------------------------------------------- erasure


@dataclass(frozen=True)
class Erasing:
    """Whom an `@on_erase` hook erases, and with what it replaces their traces."""

    person: Someone
    now: datetime
    label: str
    """Replaces the person's name on contributions kept anonymised."""
    needles: frozenset[str]
    """The person's id and display names, to be replaced by `label` in text about others."""


@dataclass(frozen=True)
class Edit:
    """A message the bot posted that must change: where, which, and the catalog text."""

    platform: str
    room_id: str
    event_id: str
    key: str
    params: dict[str, object]


FollowUp = Callable[["Services"], Awaitable[object]]
"""Brings the chat and in-memory state in line once an erasure the bot made is committed."""


@dataclass
class Erased:
    """What one capability's erasure did: counts for the reply, and what is left to do."""

    counts: dict[str, int] = field(default_factory=dict)
    edits: list[Edit] = field(default_factory=list)
    follow_up: FollowUp | None = None


EraseHook = Callable[[UnitOfWork, Erasing], Awaitable[Erased]]


def on_erase(*, order: int) -> Callable[[EraseHook], EraseHook]:
    """The decorated function erases or anonymises a person's data of its capability in the
    caller's transaction (never committing); hooks run by `order`, ascending."""

    def mark(hook: EraseHook) -> EraseHook:
        hook.__on_erase__ = order  # type: ignore[attr-defined]
        return hook

    return mark


# ---------------------------------------------------------------------- collection


@dataclass(frozen=True)
class Capabilities:
    """Everything the loaded modules registered, in the order it is used."""

    exporters: Mapping[str, ExportKind] = field(default_factory=dict)
    sections: tuple[Section, ...] = ()
    name_readers: tuple[NamesReader, ...] = ()
    erase_hooks: tuple[EraseHook, ...] = ()

    @classmethod
    def from_modules(cls, modules: Iterable[ModuleType]) -> Capabilities:
        """Collect the declarations of `modules`; one function found twice counts once."""
        exporters: dict[str, ExportKind] = {}
        sections: list[Section] = []
        name_readers: list[NamesReader] = []
        erase_hooks: list[EraseHook] = []
        seen: set[int] = set()
        for module in modules:
            for value in vars(module).values():
                if id(value) in seen:
                    continue
                seen.add(id(value))
                if (kind := getattr(value, "__exporter__", None)) is not None:
                    if kind.key in exporters:
                        raise ValueError(f"Export kind {kind.key!r} is declared twice")
                    exporters[kind.key] = kind
                if (section := getattr(value, "__personal_data__", None)) is not None:
                    sections.append(section)
                if getattr(value, "__stored_names__", False):
                    name_readers.append(value)
                if getattr(value, "__on_erase__", None) is not None:
                    erase_hooks.append(value)
        return cls(
            exporters=exporters,
            sections=tuple(sorted(sections, key=lambda section: section.order)),
            name_readers=tuple(name_readers),
            erase_hooks=tuple(sorted(erase_hooks, key=lambda hook: hook.__on_erase__)),  # type: ignore[attr-defined]
        )

    def export_names(self) -> dict[str, str]:
        """Every name a kind may be asked for (its key and its other names) -> its key."""
        names = {key: key for key in self.exporters}
        names.update({name: key for key, kind in self.exporters.items() for name in kind.names})
        return names
