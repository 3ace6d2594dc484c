"""Registering and unregistering, with the waitlist, shared by commands and ✅ reactions.

Callers run these inside the unit of work that also marks the incoming event processed;
that first write takes SQLite's write lock, and the workshop row is locked on PostgreSQL,
so two registrations for the last seat are counted one after the other.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from storage.workshops.models import Workshop, WorkshopRegistration
from storage.workshops.repository import REGISTERED, SCHEDULED, WAITING, WorkshopRepository

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Registration:
    """Where someone stands after asking to register: "registered", "waiting" (with the
    waitlist position), or already one of those ("already_registered", "already_waiting")."""

    status: str
    position: int | None = None


def is_open(workshop: Workshop, now: datetime) -> bool:
    """Registration is open until the workshop begins, unless it is cancelled."""
    return workshop.status == SCHEDULED and now < workshop.starts_at


async def register(
    repo: WorkshopRepository,
    workshop: Workshop,
    person: tuple[str, str],
    now: datetime,
    by_reaction: bool = False,
) -> Registration:
    """Register `person` for an open workshop, or put them on the waitlist when it is full."""
    existing = await repo.registration(workshop.id, *person)
    if existing is not None:
        if by_reaction:
            existing.by_reaction = True  # taking the ✅ back now unregisters
        if existing.status == WAITING:
            return Registration("already_waiting", await repo.waitlist_position(existing))
        return Registration("already_registered")
    seats = (await repo.seats([workshop.id]))[workshop.id]
    free = seats.free(workshop.capacity)
    status = REGISTERED if free is None or free > 0 else WAITING
    registration = await repo.register(workshop.id, *person, status, now, by_reaction=by_reaction)
    logger.debug("Registration %d for workshop #%d: %s", registration.id, workshop.id, status)
    if status == WAITING:
        return Registration(WAITING, await repo.waitlist_position(registration))
    return Registration(REGISTERED)


async def unregister(
    repo: WorkshopRepository, workshop: Workshop, registration: WorkshopRegistration, now: datetime
) -> WorkshopRegistration | None:
    """Remove a registration; a freed seat goes to the first person waiting, who is returned
    (the caller queues their direct message in the same transaction)."""
    freed_seat = registration.status == REGISTERED
    await repo.unregister(registration)
    if not freed_seat or not is_open(workshop, now):
        return None
    promoted = await repo.first_waiting(workshop.id)
    if promoted is None:
        return None
    promoted.status = REGISTERED
    await repo.add_notice(
        workshop.id, "promoted", now, person=(promoted.platform, promoted.external_id)
    )
    logger.info("Workshop #%d: a seat was freed and went to the first on the waitlist", workshop.id)
    return promoted
