"""One person's rows in workshops: found for the data export, erased on request.

Takes a session and never commits (see storage.uow).
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.privacy.models import ERASED
from storage.privacy.personal_data import Someone
from storage.workshops.models import Workshop, WorkshopNotice, WorkshopRegistration


class WorkshopPersonalData:
    """The registrations of `person`, the messages to them and the workshops they created."""

    def __init__(self, session: AsyncSession, person: Someone) -> None:
        self._session = session
        self.person = person

    async def registrations(self) -> list[tuple[WorkshopRegistration, Workshop]]:
        rows = await self._session.execute(
            select(WorkshopRegistration, Workshop)
            .join(Workshop, Workshop.id == WorkshopRegistration.workshop_id)
            .where(
                self.person.owns(WorkshopRegistration.platform, WorkshopRegistration.external_id)
            )
            .order_by(WorkshopRegistration.id)
        )
        return [(registration, workshop) for registration, workshop in rows]

    async def notices(self) -> list[WorkshopNotice]:
        """Direct messages about workshops queued for or sent to the person."""
        found = await self._session.scalars(
            select(WorkshopNotice)
            .where(self.person.owns(WorkshopNotice.platform, WorkshopNotice.external_id))
            .order_by(WorkshopNotice.id)
        )
        return list(found)

    async def workshops_created(self) -> list[Workshop]:
        found = await self._session.scalars(
            select(Workshop)
            .where(self.person.owns(Workshop.created_by_platform, Workshop.created_by))
            .order_by(Workshop.id)
        )
        return list(found)

    async def delete_notices(self) -> None:
        await self._session.execute(
            delete(WorkshopNotice).where(
                self.person.owns(WorkshopNotice.platform, WorkshopNotice.external_id)
            )
        )

    async def anonymise_workshops_created(self) -> None:
        """Workshops the person created stay, without their identity."""
        await self._session.execute(
            update(Workshop)
            .where(self.person.owns(Workshop.created_by_platform, Workshop.created_by))
            .values(created_by_platform=ERASED, created_by=ERASED)
        )
