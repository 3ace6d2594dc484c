"""Delivering the workshop notice outbox: every queued message is sent exactly once.

A notice is queued in the transaction that decides it (an announcement falling due, a
cancellation, a promotion from the waitlist) and sent afterwards. Each send carries a dedupe
key derived from the notice id, so when the bot crashes between sending and recording the
send, the resend after the restart is recognised by the homeserver as the same message:
nothing is lost and nothing arrives twice.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import timedelta

from bot.context import Actor, Services
from handlers.workshops.calendar import workshop_file
from handlers.workshops.texts import WorkshopTexts
from storage.workshops.models import WorkshopNotice
from storage.workshops.repository import WorkshopRepository

logger = logging.getLogger(__name__)

RETRY_JOB_ID = "workshop-notices"
RETRY_AFTER = timedelta(minutes=1)
LOCK_KEY = "workshops.delivery_lock"
# Room notices that carry the workshop's calendar file, and whose messages take ✅.
WITH_CALENDAR = ("announcement", "moved", "cancelled")
REGISTERS_BY_REACTION = ("announcement", "moved")


async def deliver_notices(services: Services) -> int:
    """Send every pending notice; returns how many went out.

    One delivery runs at a time (a lock in `services.state`), so two callers never race
    for the same notice. A notice that fails stays pending and a retry is scheduled.
    """
    lock = services.state.setdefault(LOCK_KEY, asyncio.Lock())
    async with lock:
        async with services.unit_of_work() as uow:
            pending = await WorkshopRepository(uow.session).pending_notices()
        sent = 0
        failed = False
        for notice in pending:
            try:
                await _deliver(services, notice)
                sent += 1
            except Exception:
                failed = True
                logger.exception("Workshop notice %d could not be sent; retrying later", notice.id)
        if failed:
            services.scheduler.schedule_at(
                RETRY_JOB_ID,
                services.clock.now() + RETRY_AFTER,
                functools.partial(deliver_notices, services),
            )
        return sent


async def _deliver(services: Services, notice: WorkshopNotice) -> None:
    platform = notice.platform
    adapter = services.adapter_for(platform)
    async with services.unit_of_work() as uow:
        repo = WorkshopRepository(uow.session)
        workshop = await repo.get(notice.workshop_id)
        seats = (await repo.seats([notice.workshop_id]))[notice.workshop_id]
    if workshop is None:
        raise LookupError(f"workshop {notice.workshop_id} of notice {notice.id} is gone")
    dedupe_key = f"workshop-notice:{notice.id}"
    posted: list[str] = []
    if notice.room_id:
        texts = WorkshopTexts(services, services.settings.language)
        message = texts.notice(notice, workshop, seats)
        posted.append(await adapter.send(notice.room_id, message, dedupe_key=dedupe_key))
        if notice.kind in WITH_CALENDAR:
            upload = workshop_file(workshop, services.clock.now(), services.settings.timezone)
            posted.append(
                await adapter.upload(notice.room_id, upload, dedupe_key=f"{dedupe_key}:ics")
            )
    else:
        person = Actor(platform, notice.external_id or "", "")
        texts = WorkshopTexts(services, await services.language_of(person))
        message = texts.notice(notice, workshop, seats)
        await adapter.send_direct(person.id, message, dedupe_key=dedupe_key)
    now = services.clock.now()
    async with services.unit_of_work() as uow:
        repo = WorkshopRepository(uow.session)
        if notice.room_id and notice.kind in REGISTERS_BY_REACTION:
            for event_id in posted:
                await repo.add_announcement(workshop.id, platform, event_id, notice.room_id, now)
        await repo.mark_notice_sent(notice.id, now)
        await uow.commit()
    logger.debug(
        "Sent workshop notice %d (%s) of workshop #%d", notice.id, notice.kind, workshop.id
    )
