"""The workshop schedule: planning effects, firing them exactly once, rebuilding on start.

The database is the source of truth. Each planned effect is a `WorkshopEffect` row; a
scheduler job carries only its id. When the job runs it decides, in one transaction, whether
the effect still happens (the row is still pending, the workshop has not begun) and records
the decision together with the notices it causes. A restart rebuilds the jobs from the
pending rows: an effect that fell due while the bot was down is sent late if the workshop
has not begun yet, and skipped otherwise — never lost, never twice.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.context import Services
from handlers.workshops.delivery import deliver_notices
from handlers.workshops.mirrors import mirror_created, schedule_convergence
from handlers.workshops.planning import ANNOUNCE, NEXT, REMIND, next_slot, plan_effects
from storage.workshops.models import Workshop, WorkshopEffect
from storage.workshops.repository import (
    CANCELLED,
    PENDING,
    REGISTERED,
    SCHEDULED,
    SENT,
    SKIPPED,
    PendingEffect,
    WorkshopRepository,
)

logger = logging.getLogger(__name__)

LATE_AFTER = timedelta(minutes=1)
"""An effect sent later than this after its due time is logged as late."""


def job_id(effect_id: int) -> str:
    return f"workshop-effect:{effect_id}"


@dataclass(frozen=True)
class NewWorkshop:
    """What staff typed for a new workshop, already parsed and checked."""

    title: str
    place: str
    starts_at: datetime
    duration: timedelta
    capacity: int | None
    description: str | None
    online_url: str | None
    repeat: str | None
    repeat_until: date | None
    category: str | None = None
    """A department id, for the public page's per-category calendar feeds."""


async def create_occurrence(
    repo: WorkshopRepository,
    services: Services,
    new: NewWorkshop,
    creator: tuple[str, str],
    now: datetime,
) -> tuple[Workshop, list[WorkshopEffect]]:
    """Store an occurrence, announce it now and plan its later effects.

    Returns the workshop and its pending effects, to be scheduled after the commit.
    """
    workshop = await repo.add(
        Workshop(
            uid=f"{uuid.uuid4()}@smartregion-bot",
            sequence=0,
            title=new.title,
            place=new.place,
            description=new.description,
            online_url=new.online_url,
            starts_at=new.starts_at,
            ends_at=new.starts_at + new.duration,
            capacity=new.capacity,
            status=SCHEDULED,
            repeat=new.repeat,
            repeat_until=new.repeat_until,
            category=new.category,
            slot_at=new.starts_at,
            created_by_platform=creator[0],
            created_by=creator[1],
            created_at=now,
        )
    )
    await repo.add_effect(workshop.id, ANNOUNCE, now, SENT, now)
    for room in announce_rooms(services):
        await repo.add_notice(workshop.id, "announcement", now, room=room)
    pending = await plan_occurrence(repo, services, workshop, now, recurring=bool(new.repeat))
    logger.info("Workshop #%d created with %d pending effects", workshop.id, len(pending))
    return workshop, pending


async def plan_occurrence(
    repo: WorkshopRepository,
    services: Services,
    workshop: Workshop,
    now: datetime,
    *,
    recurring: bool,
) -> list[WorkshopEffect]:
    """Record the occurrence's announcements, reminders (and next occurrence); past ones
    are recorded as skipped. Returns the pending ones."""
    settings = services.settings
    planned = plan_effects(
        workshop.starts_at,
        now,
        settings.timezone,
        settings.workshop_announce_offsets,
        settings.workshop_remind_offsets,
        recurring=recurring,
    )
    pending = []
    for effect in planned:
        state = SKIPPED if effect.skipped else PENDING
        row = await repo.add_effect(workshop.id, effect.kind, effect.due_at, state, now)
        if state == PENDING:
            pending.append(row)
    return pending


def schedule(services: Services, effects: Sequence[WorkshopEffect | PendingEffect]) -> None:
    """Create the scheduler jobs of pending effects (ids only; the row decides)."""
    job = functools.partial(run_effect, services)
    for effect in effects:
        services.scheduler.schedule_at(job_id(effect.id), effect.due_at, job, effect.id)


def unschedule(services: Services, effect_ids: Sequence[int]) -> None:
    for effect_id in effect_ids:
        services.scheduler.cancel(job_id(effect_id))


async def rebuild(services: Services) -> None:
    """On start: jobs for the pending effects due soon (the scheduler asks for later ones
    as their time comes near), delivery of notices left unsent, and the calendar mirrors
    brought in line with the workshops.

    Effects that fell due during a downtime get jobs in the past, which the scheduler runs
    as soon as it starts; each then decides for itself between late and skipped.
    """
    await services.scheduler.load_ahead(functools.partial(load_effects, services))
    services.scheduler.schedule_at(
        "workshop-notices", services.clock.now(), functools.partial(deliver_notices, services)
    )
    schedule_convergence(services, services.clock.now())


async def load_effects(services: Services, after: datetime | None, until: datetime) -> None:
    """Jobs for the pending effects due after `after` (None: overdue ones too) and by `until`."""
    async with services.unit_of_work() as uow:
        pending = await WorkshopRepository(uow.session).pending_effects(after, until)
    schedule(services, pending)
    if after is None:
        overdue = sum(1 for effect in pending if effect.due_at <= services.clock.now())
        logger.info("Workshops: %d effects due soon scheduled, %d overdue", len(pending), overdue)


async def run_effect(services: Services, effect_id: int) -> None:
    """Decide and record one effect, then deliver what it queued."""
    now = services.clock.now()
    new_effects: list[WorkshopEffect] = []
    async with services.unit_of_work() as uow:
        repo = WorkshopRepository(uow.session)
        effect = await repo.effect(effect_id)
        if effect is None or effect.state != PENDING:
            logger.debug("Workshop effect %d was already decided", effect_id)
            return
        workshop = await repo.get(effect.workshop_id)
        if workshop is None:
            return
        if effect.kind == NEXT:
            if not await repo.decide_effect(effect.id, SENT, now, late=False):
                return
            new_effects = await _continue_series(repo, services, workshop, now)
        elif workshop.status == CANCELLED or now >= workshop.starts_at:
            if not await repo.decide_effect(effect.id, SKIPPED, now, late=False):
                return
            logger.warning(
                "Skipped the %s of workshop #%d (due %s): the workshop has begun or is cancelled",
                effect.kind,
                workshop.id,
                effect.due_at.isoformat(),
            )
        else:
            late = now - effect.due_at > LATE_AFTER
            if not await repo.decide_effect(effect.id, SENT, now, late=late):
                return
            if late:
                logger.warning(
                    "Sending the %s of workshop #%d late (due %s, now %s)",
                    effect.kind,
                    workshop.id,
                    effect.due_at.isoformat(),
                    now.isoformat(),
                )
            await _queue_notices(repo, services, workshop, effect.kind, now)
        await uow.commit()
    schedule(services, new_effects)
    await deliver_notices(services)
    for workshop_id in sorted({effect.workshop_id for effect in new_effects}):
        await mirror_created(services, workshop_id)  # the series' next occurrence


def announce_rooms(services: Services) -> list[tuple[str, str]]:
    """`(platform, room)` of every announcement room of every running platform."""
    return [
        (platform, room)
        for platform in services.adapters
        for room in services.settings.for_platform(platform).announce_rooms
    ]


async def _queue_notices(
    repo: WorkshopRepository, services: Services, workshop: Workshop, kind: str, now: datetime
) -> None:
    if kind == ANNOUNCE:
        for room in announce_rooms(services):
            await repo.add_notice(workshop.id, "announcement", now, room=room)
    elif kind == REMIND:
        for registration in await repo.registrations(workshop.id):
            if registration.status == REGISTERED:
                person = (registration.platform, registration.external_id)
                await repo.add_notice(workshop.id, "reminder", now, person=person)


async def _continue_series(
    repo: WorkshopRepository, services: Services, workshop: Workshop, now: datetime
) -> list[WorkshopEffect]:
    """Create the next occurrence of a series (slots missed during a downtime are skipped)."""
    if workshop.repeat is None:
        return []
    tz = services.settings.timezone
    slot, missed = next_slot(workshop.slot_at, workshop.repeat, workshop.repeat_until, tz, now)
    if missed:
        logger.warning("Workshop series of #%d: %d past occurrences skipped", workshop.id, missed)
    if slot is None:
        logger.info("Workshop series of #%d has ended", workshop.id)
        return []
    new = NewWorkshop(
        title=workshop.title,
        place=workshop.place,
        starts_at=slot,
        duration=workshop.ends_at - workshop.starts_at,
        capacity=workshop.capacity,
        description=workshop.description,
        online_url=workshop.online_url,
        repeat=workshop.repeat,
        repeat_until=workshop.repeat_until,
        category=workshop.category,
    )
    creator = (workshop.created_by_platform, workshop.created_by)
    _, pending = await create_occurrence(repo, services, new, creator, now)
    return pending
