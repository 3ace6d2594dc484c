"""Queries of the workshops feature; takes the unit of work's session and never commits.

Decisions that must happen once (an effect firing, a notice being sent) are conditional
updates (`... WHERE state = 'pending'`), so two runs racing for the same row cannot both
win, and the winner's decision is committed together with what it caused.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.matching import SUGGESTIONS, typed_matches
from storage.repositories import falls_due
from storage.workshops.models import (
    Workshop,
    WorkshopAnnouncement,
    WorkshopEffect,
    WorkshopMirror,
    WorkshopNotice,
    WorkshopRegistration,
)

REGISTERED = "registered"
WAITING = "waiting"
SCHEDULED = "scheduled"
CANCELLED = "cancelled"
PENDING = "pending"
SENT = "sent"
SKIPPED = "skipped"


class PendingEffect(NamedTuple):
    """A pending effect's id and due time: all a scheduler job needs."""

    id: int
    due_at: datetime


@dataclass(frozen=True)
class Seats:
    """How many people are registered and waiting for one occurrence."""

    registered: int
    waiting: int

    def free(self, capacity: int | None) -> int | None:
        """Free seats, or None when the workshop has no limit."""
        return None if capacity is None else max(capacity - self.registered, 0)


class WorkshopRepository:
    """Workshops, their registrations, planned effects, notice outbox and announcements."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # ------------------------------------------------------------- workshops

    async def add(self, workshop: Workshop) -> Workshop:
        """Store a new occurrence; its `id` (the `#N`) is known afterwards."""
        self._session.add(workshop)
        await self._session.flush()
        return workshop

    async def get(self, number: int, *, for_update: bool = False) -> Workshop | None:
        """The occurrence `#number`; `for_update` locks it on PostgreSQL (seat counting)."""
        query = select(Workshop).where(Workshop.id == number)
        if for_update:
            query = query.with_for_update()
        return await self._session.scalar(query)

    async def upcoming(
        self, now: datetime, *, include_cancelled: bool = False, limit: int | None = None
    ) -> list[Workshop]:
        """Occurrences that have not begun, soonest first (the first `limit` of them)."""
        query = select(Workshop).where(Workshop.starts_at > now)
        if not include_cancelled:
            query = query.where(Workshop.status == SCHEDULED)
        query = query.order_by(Workshop.starts_at, Workshop.id).limit(limit)
        return list(await self._session.scalars(query))

    async def in_window(
        self, since: datetime, until: datetime, category: str | None = None
    ) -> list[Workshop]:
        """Occurrences, cancelled ones included, that end after `since` and start before
        `until`, soonest first (the calendar feed keeps a cancelled one so calendars remove
        it); only those of `category` when given."""
        query = select(Workshop).where(*_window(since, until, category))
        return list(await self._session.scalars(query.order_by(Workshop.starts_at, Workshop.id)))

    async def window_version(
        self, since: datetime, until: datetime, category: str | None = None
    ) -> tuple[int, int, int]:
        """What changes whenever `in_window` would return something else: how many, the
        highest number, and the sum of SEQUENCE (raised by every move and cancellation)."""
        row = (
            await self._session.execute(
                select(
                    func.count(),
                    func.coalesce(func.max(Workshop.id), 0),
                    func.coalesce(func.sum(Workshop.sequence), 0),
                ).where(*_window(since, until, category))
            )
        ).one()
        return int(row[0]), int(row[1]), int(row[2])

    async def matching_upcoming(self, now: datetime, typed: str) -> list[tuple[int, str]]:
        """Number and title of the scheduled occurrences that have not begun whose number
        starts with or title contains `typed`, soonest first (at most `SUGGESTIONS`)."""
        query = (
            select(Workshop.id, Workshop.title)
            .where(
                Workshop.starts_at > now,
                Workshop.status == SCHEDULED,
                typed_matches(Workshop.id, Workshop.title, typed),
            )
            .order_by(Workshop.starts_at, Workshop.id)
            .limit(SUGGESTIONS)
        )
        return [(number, title) for number, title in await self._session.execute(query)]

    async def count_upcoming(self, now: datetime) -> int:
        """How many scheduled occurrences have not begun."""
        count = await self._session.scalar(
            select(func.count())
            .select_from(Workshop)
            .where(Workshop.starts_at > now, Workshop.status == SCHEDULED)
        )
        return int(count or 0)

    async def everything(self) -> list[Workshop]:
        """Every occurrence ever created (for exports), oldest first."""
        return list(await self._session.scalars(select(Workshop).order_by(Workshop.id)))

    async def seats(self, workshop_ids: Iterable[int]) -> dict[int, Seats]:
        """Registered and waiting counts for each of the workshops (zero when nobody)."""
        ids = list(workshop_ids)
        counts = {workshop_id: {REGISTERED: 0, WAITING: 0} for workshop_id in ids}
        rows = await self._session.execute(
            select(WorkshopRegistration.workshop_id, WorkshopRegistration.status, func.count())
            .where(WorkshopRegistration.workshop_id.in_(ids))
            .group_by(WorkshopRegistration.workshop_id, WorkshopRegistration.status)
        )
        for workshop_id, status, count in rows:
            counts[workshop_id][status] = count
        return {key: Seats(value[REGISTERED], value[WAITING]) for key, value in counts.items()}

    # --------------------------------------------------------- registrations

    async def purge_registrations_ended_before(self, cutoff: datetime) -> int:
        """Delete registrations (and direct messages to people) of workshops long past."""
        past = select(Workshop.id).where(Workshop.ends_at < cutoff).scalar_subquery()
        await self._session.execute(
            delete(WorkshopNotice).where(
                WorkshopNotice.workshop_id.in_(past), WorkshopNotice.external_id.is_not(None)
            )
        )
        result = await self._session.execute(
            delete(WorkshopRegistration)
            .where(WorkshopRegistration.workshop_id.in_(past))
            .returning(WorkshopRegistration.id)
        )
        return len(result.all())

    async def registrations(self, workshop_id: int) -> list[WorkshopRegistration]:
        """Everyone registered or waiting, in the order they came (the waitlist order)."""
        return list(
            await self._session.scalars(
                select(WorkshopRegistration)
                .where(WorkshopRegistration.workshop_id == workshop_id)
                .order_by(WorkshopRegistration.id)
            )
        )

    async def registration(
        self, workshop_id: int, platform: str, external_id: str
    ) -> WorkshopRegistration | None:
        return await self._session.scalar(
            select(WorkshopRegistration).where(
                WorkshopRegistration.workshop_id == workshop_id,
                WorkshopRegistration.platform == platform,
                WorkshopRegistration.external_id == external_id,
            )
        )

    async def register(
        self,
        workshop_id: int,
        platform: str,
        external_id: str,
        status: str,
        now: datetime,
        by_reaction: bool = False,
    ) -> WorkshopRegistration:
        registration = WorkshopRegistration(
            workshop_id=workshop_id,
            platform=platform,
            external_id=external_id,
            status=status,
            by_reaction=by_reaction,
            created_at=now,
        )
        self._session.add(registration)
        await self._session.flush()
        return registration

    async def unregister(self, registration: WorkshopRegistration) -> None:
        await self._session.delete(registration)
        await self._session.flush()

    async def waitlist_position(self, registration: WorkshopRegistration) -> int:
        """1 for the first person waiting, and so on."""
        ahead = await self._session.scalar(
            select(func.count()).where(
                WorkshopRegistration.workshop_id == registration.workshop_id,
                WorkshopRegistration.status == WAITING,
                WorkshopRegistration.id < registration.id,
            )
        )
        return (ahead or 0) + 1

    async def first_waiting(self, workshop_id: int) -> WorkshopRegistration | None:
        return await self._session.scalar(
            select(WorkshopRegistration)
            .where(
                WorkshopRegistration.workshop_id == workshop_id,
                WorkshopRegistration.status == WAITING,
            )
            .order_by(WorkshopRegistration.id)
            .limit(1)
        )

    # --------------------------------------------------------------- effects

    async def add_effect(
        self, workshop_id: int, kind: str, due_at: datetime, state: str, now: datetime
    ) -> WorkshopEffect:
        effect = WorkshopEffect(
            workshop_id=workshop_id,
            kind=kind,
            due_at=due_at,
            state=state,
            late=False,
            decided_at=None if state == PENDING else now,
        )
        self._session.add(effect)
        await self._session.flush()
        return effect

    async def effect(self, effect_id: int) -> WorkshopEffect | None:
        return await self._session.scalar(
            select(WorkshopEffect)
            .where(WorkshopEffect.id == effect_id)
            .execution_options(populate_existing=True)
        )

    async def effects(self, workshop_id: int) -> list[WorkshopEffect]:
        """All planned effects of an occurrence, whatever their state, by due time."""
        return list(
            await self._session.scalars(
                select(WorkshopEffect)
                .where(WorkshopEffect.workshop_id == workshop_id)
                .order_by(WorkshopEffect.due_at, WorkshopEffect.id)
            )
        )

    async def pending_effects(self, after: datetime | None, until: datetime) -> list[PendingEffect]:
        """Id and due time of the pending effects due after `after` (None: any time) and by
        `until`, by due time (scheduling needs no more: plain rows, not ORM objects)."""
        rows = await self._session.execute(
            select(WorkshopEffect.id, WorkshopEffect.due_at)
            .where(WorkshopEffect.state == PENDING, falls_due(WorkshopEffect.due_at, after, until))
            .order_by(WorkshopEffect.due_at, WorkshopEffect.id)
        )
        return [PendingEffect(effect_id, due_at) for effect_id, due_at in rows]

    async def decide_effect(self, effect_id: int, state: str, now: datetime, late: bool) -> bool:
        """Move a pending effect to `state`; False if another run decided it first."""
        result = await self._session.execute(
            update(WorkshopEffect)
            .where(WorkshopEffect.id == effect_id, WorkshopEffect.state == PENDING)
            .values(state=state, decided_at=now, late=late)
        )
        return result.rowcount == 1

    async def cancel_pending_effects(
        self, workshop_id: int, now: datetime, kinds: Sequence[str] | None = None
    ) -> list[int]:
        """Cancel the occurrence's pending effects (of `kinds`); returns their ids."""
        query = select(WorkshopEffect.id).where(
            WorkshopEffect.workshop_id == workshop_id, WorkshopEffect.state == PENDING
        )
        if kinds is not None:
            query = query.where(WorkshopEffect.kind.in_(kinds))
        ids = list(await self._session.scalars(query))
        if ids:
            await self._session.execute(
                update(WorkshopEffect)
                .where(WorkshopEffect.id.in_(ids))
                .values(state=CANCELLED, decided_at=now)
            )
        return ids

    # ---------------------------------------------------------------- notices

    async def add_notice(
        self,
        workshop_id: int,
        kind: str,
        now: datetime,
        *,
        room: tuple[str, str] | None = None,
        person: tuple[str, str] | None = None,
        params: dict[str, Any] | None = None,
    ) -> WorkshopNotice:
        """Queue a message to a room or a person, each `(platform, id)`; sent after the commit."""
        room_id = external_id = None
        if room:
            platform, room_id = room
        elif person:
            platform, external_id = person
        else:
            raise ValueError("a workshop notice goes to a room or a person")
        notice = WorkshopNotice(
            workshop_id=workshop_id,
            kind=kind,
            room_id=room_id,
            platform=platform,
            external_id=external_id,
            params=json.dumps(params or {}, sort_keys=True),
            state=PENDING,
            created_at=now,
        )
        self._session.add(notice)
        await self._session.flush()
        return notice

    async def pending_notices(self) -> list[WorkshopNotice]:
        return list(
            await self._session.scalars(
                select(WorkshopNotice)
                .where(WorkshopNotice.state == PENDING)
                .order_by(WorkshopNotice.id)
            )
        )

    async def mark_notice_sent(self, notice_id: int, now: datetime) -> None:
        await self._session.execute(
            update(WorkshopNotice)
            .where(WorkshopNotice.id == notice_id)
            .values(state=SENT, sent_at=now)
        )

    # --------------------------------------------------------- announcements

    async def add_announcement(
        self, workshop_id: int, platform: str, event_id: str, room_id: str, now: datetime
    ) -> None:
        """Remember a posted message so ✅ reactions on it register (idempotent)."""
        await self._session.execute(
            delete(WorkshopAnnouncement).where(
                WorkshopAnnouncement.platform == platform, WorkshopAnnouncement.event_id == event_id
            )
        )
        self._session.add(
            WorkshopAnnouncement(
                platform=platform,
                event_id=event_id,
                workshop_id=workshop_id,
                room_id=room_id,
                posted_at=now,
            )
        )
        await self._session.flush()

    async def announced_workshop(self, platform: str, event_id: str) -> int | None:
        """The workshop a posted message announces, if it is one of ours."""
        return await self._session.scalar(
            select(WorkshopAnnouncement.workshop_id).where(
                WorkshopAnnouncement.platform == platform, WorkshopAnnouncement.event_id == event_id
            )
        )

    async def announcement_rooms(self, workshop_id: int) -> list[tuple[str, str]]:
        """`(platform, room id)` where the workshop was announced (for cancellations, moves)."""
        rows = await self._session.execute(
            select(WorkshopAnnouncement.platform, WorkshopAnnouncement.room_id)
            .where(WorkshopAnnouncement.workshop_id == workshop_id)
            .distinct()
            .order_by(WorkshopAnnouncement.platform, WorkshopAnnouncement.room_id)
        )
        return [(platform, room_id) for platform, room_id in rows]

    async def add_mirror(
        self, workshop_id: int, platform: str, external_id: str, now: datetime, sequence: int
    ) -> None:
        """Remember a platform's calendar entry of the workshop, made from its `sequence`."""
        self._session.add(
            WorkshopMirror(
                platform=platform,
                external_id=external_id,
                workshop_id=workshop_id,
                created_at=now,
                synced_sequence=sequence,
            )
        )

    async def mirrors(self, workshop_id: int) -> list[tuple[str, str, int]]:
        """`(platform, external id, synced sequence)` of every calendar entry of the
        workshop."""
        rows = await self._session.execute(
            select(
                WorkshopMirror.platform, WorkshopMirror.external_id, WorkshopMirror.synced_sequence
            )
            .where(WorkshopMirror.workshop_id == workshop_id)
            .order_by(WorkshopMirror.platform, WorkshopMirror.external_id)
        )
        return [(platform, external_id, synced) for platform, external_id, synced in rows]

    async def mirror_synced(self, platform: str, external_id: str, sequence: int) -> None:
        """The entry now shows the workshop as of `sequence` (never moves back)."""
        await self._session.execute(
            update(WorkshopMirror)
            .where(
                WorkshopMirror.platform == platform,
                WorkshopMirror.external_id == external_id,
                WorkshopMirror.synced_sequence < sequence,
            )
            .values(synced_sequence=sequence)
        )

    async def unmirrored(self, platform: str, now: datetime) -> list[int]:
        """Scheduled workshops that have not begun and have no entry on the platform."""
        mirrored = select(WorkshopMirror.workshop_id).where(WorkshopMirror.platform == platform)
        rows = await self._session.scalars(
            select(Workshop.id)
            .where(
                Workshop.starts_at > now,
                Workshop.status == SCHEDULED,
                Workshop.id.not_in(mirrored),
            )
            .order_by(Workshop.starts_at, Workshop.id)
        )
        return list(rows)

    async def out_of_sync(self, now: datetime) -> list[int]:
        """Workshops that have not ended with an entry behind their latest change."""
        rows = await self._session.scalars(
            select(Workshop.id)
            .join(WorkshopMirror, WorkshopMirror.workshop_id == Workshop.id)
            .where(Workshop.ends_at > now, WorkshopMirror.synced_sequence < Workshop.sequence)
            .distinct()
            .order_by(Workshop.id)
        )
        return list(rows)

    async def mirrored_workshop(self, platform: str, external_id: str) -> int | None:
        """The workshop a platform's calendar entry stands for, if it is one of ours."""
        return await self._session.scalar(
            select(WorkshopMirror.workshop_id).where(
                WorkshopMirror.platform == platform, WorkshopMirror.external_id == external_id
            )
        )


def _window(since: datetime, until: datetime, category: str | None) -> list[Any]:
    conditions: list[Any] = [Workshop.ends_at > since, Workshop.starts_at < until]
    if category is not None:
        conditions.append(Workshop.category == category)
    return conditions
