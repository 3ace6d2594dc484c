"""A person's data across capabilities: the export of Art. 15 DSGVO and the erasure of
Art. 17, assembled from what the capabilities registered (`bot.capabilities`).

Used by the chat commands (`!meinedaten`, `!datenloeschen`, in handlers/privacy) and by the
command line (`smartregion-bot privacy export|delete`), so both produce the same document
and erase the same way, as bot/exports.py does for exports. Other people appear in the
document only where the person's own data needs them, and never by their platform id.
What is stored and why is explained in docs/privacy.md.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.capabilities import Capabilities, Edit, Erasing, FollowUp, Reading
from bot.config import Settings
from bot.context import FileUpload, Services
from bot.i18n import Catalog
from storage.privacy.personal_data import Someone
from storage.uow import UnitOfWork

logger = logging.getLogger(__name__)

FORMAT = "smartregion-bot personal data export, version 1"
CONTENT_TYPE = "application/json"
STAFF_SECTIONS = "as_staff_or_expert"
MIN_NAME_LENGTH = 3
"""Shorter display names are not searched for in other text (they would hit ordinary words)."""

Explain = Callable[[str], str]
"""A catalog key -> its text in the reader's language (the notes the file carries)."""


def controller(settings: Settings, catalog: Catalog, language: str) -> dict[str, str]:
    """The controller and contact from the settings, or a note that they are not set."""
    unset = catalog.raw(language, "privacy.unset")
    return {
        "name": settings.privacy_controller or unset.format(setting="BOT_PRIVACY_CONTROLLER"),
        "contact": settings.privacy_contact or unset.format(setting="BOT_PRIVACY_CONTACT"),
    }


async def stored_names(uow: UnitOfWork, capabilities: Capabilities, person: Someone) -> set[str]:
    """Every display name any capability stored beside the person's id."""
    names: set[str] = set()
    for read in capabilities.name_readers:
        names |= await read(uow, person)
    return names


async def personal_data(
    uow: UnitOfWork,
    capabilities: Capabilities,
    person: Someone,
    *,
    now: datetime,
    tz: ZoneInfo,
    controller: dict[str, str],
    explain: Explain,
) -> dict[str, Any]:
    """The whole document; keys are English, notes are in the reader's language."""
    reading = Reading(person, frozenset(await stored_names(uow, capabilities, person)), tz)
    document: dict[str, Any] = {
        "format": FORMAT,
        "generated_at": reading.moment(now),
        "controller": controller,
        "person": {"platform": person.platform, "id": person.id},
        "notes": {
            key: explain(f"privacy.export.{key}")
            for key in ("about", "secret_ballots", "not_included", "rights")
        },
    }
    as_staff: dict[str, Any] = {}
    for section in capabilities.sections:
        (as_staff if section.staff else document)[section.key] = await section.read(uow, reading)
    document[STAFF_SECTIONS] = as_staff
    return document


def export_file(document: dict[str, Any], now: datetime) -> FileUpload:
    """The document as a readable UTF-8 JSON file with a dated name."""
    data = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    return FileUpload(
        filename=f"meine-daten-{now:%Y%m%d-%H%M}.json", content_type=CONTENT_TYPE, data=data
    )


@dataclass
class Erasure:
    """What an erasure did (counts for the reply) and what is left to do in the chat."""

    counts: Counter[str] = field(default_factory=Counter)
    """Summed over the capabilities, e.g. `ideas_deleted`, `votes`, `blocks_kept`; a count
    no capability reported (one the bot runs without) is 0."""
    edits: list[Edit] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)


async def erase(
    uow: UnitOfWork,
    capabilities: Capabilities,
    person: Someone,
    *,
    now: datetime,
    label: str,
    names: Collection[str] = (),
) -> Erasure:
    """Erase `person` within the caller's transaction; `label` replaces their name.

    Every capability's `@on_erase` hook runs in order. `names` are display names known
    besides the stored ones (e.g. the current one). Only the database changes, so the
    command line can use it; `tell_chat` then brings the chat in line.
    """
    known = await stored_names(uow, capabilities, person) | set(names)
    needles = frozenset({person.id} | {name for name in known if len(name) >= MIN_NAME_LENGTH})
    erasing = Erasing(person, now, label, needles)
    done = Erasure()
    for hook in capabilities.erase_hooks:
        erased = await hook(uow, erasing)
        done.counts.update(erased.counts)
        done.edits.extend(erased.edits)
        if erased.follow_up is not None:
            done.follow_ups.append(erased.follow_up)
    return done


async def tell_chat(services: Services, done: Erasure) -> None:
    """After the commit: edit cards and thread roots, then each capability's follow-up
    (indexes, timers, the outbox).

    Each step is best effort: the erasure is committed, a failed step is only logged.
    """
    language = services.settings.language
    for edit in done.edits:
        message = services.render(language, edit.key, **edit.params)
        try:
            await services.adapter_for(edit.platform).edit(edit.room_id, edit.event_id, message)
        except Exception:
            logger.exception("Could not update message %s after an erasure", edit.event_id)
    for follow_up in done.follow_ups:
        try:
            await follow_up(services)
        except Exception:
            logger.exception("A follow-up of an erasure failed")
