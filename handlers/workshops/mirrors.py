"""Workshops mirrored into the calendars platforms keep themselves (Discord: scheduled events).

A workshop is created, moved and cancelled in the bot; each running platform whose features
have `calendar_events` gets an entry made, changed or cancelled after the bot's own
transaction. The entry ids are stored (`workshop_mirrors`), so marking interest in an entry
(`IncomingInterest`) finds its workshop. A platform that fails is logged and left out: the
workshop, its announcements and registrations do not depend on the mirror.

The mirror converges: each entry records the workshop's `sequence` it shows, so what is
still to do is read from the database (coming workshops without an entry on a calendar
platform, entries behind their workshop's latest change) and done by `converge`, at every
start and, after a failure, again a few minutes later until it succeeds.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.context import CalendarEntry, Services
from handlers.workshops.texts import WorkshopTexts
from storage.workshops.models import Workshop
from storage.workshops.repository import CANCELLED, WorkshopRepository

logger = logging.getLogger(__name__)

RETRY_JOB_ID = "workshop-mirrors"
RETRY_AFTER = timedelta(minutes=5)
LOCK_KEY = "workshops.mirror_lock"


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
    """Create the workshop's entries on every calendar platform that has none yet; a
    failure is retried later (`converge`)."""
    if calendar_platforms(services) and not await _create(services, workshop_id):
        schedule_convergence(services, services.clock.now() + RETRY_AFTER)


async def mirror_changed(services: Services, workshop_id: int) -> None:
    """Bring every entry of the workshop up to date: new times, or cancelled; a failure is
    retried later (`converge`)."""
    if not await _change(services, workshop_id):
        schedule_convergence(services, services.clock.now() + RETRY_AFTER)


def schedule_convergence(services: Services, when: datetime) -> None:
    """Run `converge` at `when` (at start: now, i.e. once the platforms are connected)."""
    services.scheduler.schedule_at(RETRY_JOB_ID, when, functools.partial(converge, services))


async def converge(services: Services) -> None:
    """Do what the mirrors lack according to the database; if anything fails, try again
    in `RETRY_AFTER`."""
    now = services.clock.now()
    async with services.unit_of_work() as uow:
        repo = WorkshopRepository(uow.session)
        missing = {p: await repo.unmirrored(p, now) for p in calendar_platforms(services)}
        behind = await repo.out_of_sync(now)
    done = True
    for workshop_id in sorted({w for ids in missing.values() for w in ids}):
        done = await _create(services, workshop_id) and done
    for workshop_id in behind:
        done = await _change(services, workshop_id) and done
    if not done:
        schedule_convergence(services, now + RETRY_AFTER)
    logger.info(
        "Workshop mirrors: %d to create, %d to change%s",
        sum(len(ids) for ids in missing.values()),
        len(behind),
        "" if done else "; some failed, retrying later",
    )


Mirrors = list[tuple[str, str, int]]
"""A workshop's entries: platform, entry id, the workshop's `sequence` the entry shows."""


async def _create(services: Services, workshop_id: int) -> bool:
    """Entries on the calendar platforms without one; False if any platform failed."""
    return await _locked(services, workshop_id, _create_entries)


async def _change(services: Services, workshop_id: int) -> bool:
    """Every entry behind the workshop's latest change, changed; False if any failed."""
    return await _locked(services, workshop_id, _change_entries)


async def _locked(
    services: Services,
    workshop_id: int,
    act: Callable[[Services, Workshop, Mirrors], Awaitable[bool]],
) -> bool:
    """`act` on the workshop and its entries as stored, one mirror change at a time (a
    retry must not create an entry a command is creating at the same moment)."""
    lock: asyncio.Lock = services.state.setdefault(LOCK_KEY, asyncio.Lock())
    async with lock:
        async with services.unit_of_work() as uow:
            repo = WorkshopRepository(uow.session)
            workshop = await repo.get(workshop_id)
            mirrors = await repo.mirrors(workshop_id)
        return True if workshop is None else await act(services, workshop, mirrors)


async def _create_entries(services: Services, workshop: Workshop, mirrors: Mirrors) -> bool:
    mirrored = {platform for platform, _, _ in mirrors}
    entry = calendar_entry(services, workshop)
    done = True
    for platform in calendar_platforms(services):
        if platform in mirrored:
            continue
        try:
            entry_ids = await services.adapter_for(platform).create_calendar_entries(entry)
        except Exception:
            logger.exception(
                "Workshop #%d could not be put into %s's calendar", workshop.id, platform
            )
            done = False
            continue
        async with services.unit_of_work() as uow:
            repo = WorkshopRepository(uow.session)
            for entry_id in entry_ids:
                await repo.add_mirror(
                    workshop.id, platform, entry_id, services.clock.now(), workshop.sequence
                )
            await uow.commit()
        logger.info(
            "Workshop #%d mirrored as %d %s calendar entries", workshop.id, len(entry_ids), platform
        )
    return done


async def _change_entries(services: Services, workshop: Workshop, mirrors: Mirrors) -> bool:
    entry = calendar_entry(services, workshop)
    done = True
    for platform, entry_id, synced in mirrors:
        if synced >= workshop.sequence:
            continue
        try:
            adapter = services.adapter_for(platform)
            if workshop.status == CANCELLED:
                await adapter.cancel_calendar_entry(entry_id)
            else:
                await adapter.update_calendar_entry(entry_id, entry)
        except Exception:
            logger.exception(
                "Calendar entry %s of workshop #%d could not be changed", entry_id, workshop.id
            )
            done = False
            continue
        async with services.unit_of_work() as uow:
            await WorkshopRepository(uow.session).mirror_synced(
                platform, entry_id, workshop.sequence
            )
            await uow.commit()
    return done
