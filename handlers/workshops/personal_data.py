"""What workshops hold about a person, for `!meinedaten`, and how they erase them.

Registrations go (a freed seat goes to the first person waiting), so do the direct messages
queued for the person; workshops they created stay without their identity.
"""

from __future__ import annotations

from typing import Any

from bot.capabilities import Erased, Erasing, Reading, on_erase, personal_data
from handlers.workshops.delivery import deliver_notices
from handlers.workshops.registration import unregister
from storage.privacy.personal_data import scrub_params
from storage.uow import UnitOfWork
from storage.workshops.models import WorkshopNotice
from storage.workshops.personal_data import WorkshopPersonalData
from storage.workshops.repository import WorkshopRepository


@personal_data("workshop_registrations", order=30)
async def workshop_registrations(uow: UnitOfWork, reading: Reading) -> list[dict[str, Any]]:
    data = WorkshopPersonalData(uow.session, reading.person)
    return [
        {
            "workshop": workshop.id,
            "title": workshop.title,
            "starts_at": reading.moment(workshop.starts_at),
            "status": registration.status,
            "by_reaction": registration.by_reaction,
            "created_at": reading.moment(registration.created_at),
        }
        for registration, workshop in await data.registrations()
    ]


@personal_data("workshop_messages_to_you", order=31)
async def workshop_messages(uow: UnitOfWork, reading: Reading) -> list[dict[str, Any]]:
    return [
        {
            "workshop": notice.workshop_id,
            "kind": notice.kind,
            "state": notice.state,
            "created_at": reading.moment(notice.created_at),
            "sent_at": reading.moment(notice.sent_at),
        }
        for notice in await WorkshopPersonalData(uow.session, reading.person).notices()
    ]


@personal_data("workshops_created", order=40, staff=True)
async def workshops_created(uow: UnitOfWork, reading: Reading) -> list[int]:
    data = WorkshopPersonalData(uow.session, reading.person)
    return [workshop.id for workshop in await data.workshops_created()]


@on_erase(order=30)
async def erase_registrations(uow: UnitOfWork, erasing: Erasing) -> Erased:
    """Unregister everywhere, drop messages queued for the person, and scrub their name
    from messages queued for others."""
    data = WorkshopPersonalData(uow.session, erasing.person)
    repo = WorkshopRepository(uow.session)
    registrations = await data.registrations()
    for registration, workshop in registrations:
        await unregister(repo, workshop, registration, erasing.now)
    await data.delete_notices()
    await data.anonymise_workshops_created()
    await scrub_params(uow.session, WorkshopNotice, erasing.needles, erasing.label)
    # Whoever got a freed seat is told once the erasure is committed.
    return Erased(counts={"registrations": len(registrations)}, follow_up=deliver_notices)
