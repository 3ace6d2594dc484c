"""Workshops mirrored into the calendars platforms keep themselves (Discord: scheduled events).

A workshop is created, moved and cancelled in the bot; each running platform whose features
have `calendar_events` gets an entry made, changed or cancelled after the bot's own
transaction. The entry ids are stored (`workshop_mirrors`), so marking interest in an entry
(`IncomingInterest`) finds its workshop. A platform that fails is logged and left out: the
workshop, its announcements and registrations do not depend on the mirror.
"""

from __future__ import annotations

import logging

from bot.context import CalendarEntry, Services
from handlers.workshops.texts import WorkshopTexts
from storage.workshops.models import Workshop
from storage.workshops.repository import CANCELLED, WorkshopRepository

logger = logging.getLogger(__name__)


def calendar_entry(services: Services, workshop: Workshop) -> CalendarEntry:
    """The entry of a workshop, in the deployment's language; the description names the
    workshop's number (`#N`) and how to register."""
    texts = WorkshopTexts(services, services.settings.language)
    parts = [workshop.description] if workshop.description else []
    parts.append(
        texts.t(
            "workshops.calendar_entry.description",
            number=workshop.id,
            register=texts.command("anmelden", workshop.id),
        )
    )
    if workshop.online_url:
        parts.append(texts.t("workshops.calendar_entry.online", url=workshop.online_url))
    return CalendarEntry(
        title=workshop.title,
        starts_at=workshop.starts_at,
        ends_at=workshop.ends_at,
        location=workshop.place,
        description="\n\n".join(parts),
    )


def calendar_platforms(services: Services) -> list[str]:
    """The running platforms that keep a calendar of their own."""
    return [name for name, adapter in services.adapters.items() if adapter.features.calendar_events]


async def mirror_created(services: Services, workshop_id: int) -> None:
    """Create the workshop's entries on every calendar platform that has none yet."""
    platforms = calendar_platforms(services)
    if not platforms:
        return
    async with services.unit_of_work() as uow:
        repo = WorkshopRepository(uow.session)
        workshop = await repo.get(workshop_id)
        mirrored = {platform for platform, _ in await repo.mirrors(workshop_id)}
    if workshop is None:
        return
    entry = calendar_entry(services, workshop)
    for platform in platforms:
        if platform in mirrored:
            continue
        try:
            entry_ids = await services.adapter_for(platform).create_calendar_entries(entry)
        except Exception:
            logger.exception(
                "Workshop #%d could not be put into %s's calendar", workshop_id, platform
            )
            continue
        async with services.unit_of_work() as uow:
            repo = WorkshopRepository(uow.session)
            for entry_id in entry_ids:
                await repo.add_mirror(workshop_id, platform, entry_id, services.clock.now())
            await uow.commit()
        logger.info(
            "Workshop #%d mirrored as %d %s calendar entries", workshop_id, len(entry_ids), platform
        )


async def mirror_changed(services: Services, workshop_id: int) -> None:
    """Bring every entry of the workshop up to date: new times, or cancelled."""
    async with services.unit_of_work() as uow:
        repo = WorkshopRepository(uow.session)
        workshop = await repo.get(workshop_id)
        mirrors = await repo.mirrors(workshop_id)
    if workshop is None:
        return
    entry = calendar_entry(services, workshop)
    for platform, entry_id in mirrors:
        try:
            adapter = services.adapter_for(platform)
            if workshop.status == CANCELLED:
                await adapter.cancel_calendar_entry(entry_id)
            else:
                await adapter.update_calendar_entry(entry_id, entry)
        except Exception:
            logger.exception(
                "Calendar entry %s of workshop #%d could not be changed", entry_id, workshop_id
            )
