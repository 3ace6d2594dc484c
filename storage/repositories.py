"""Repositories: the queries of the storage foundation.

Repositories take an :class:`AsyncSession` and never commit: the caller's unit of work
decides when a transaction ends, so an effect and the record that it happened are committed
together (or not at all). Writes that may collide (same person, same event, same account)
use ``INSERT ... ON CONFLICT``, which SQLite and PostgreSQL both support; a conflict then
neither raises nor aborts the surrounding transaction (PostgreSQL would abort it after an
IntegrityError).
"""

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import (
    Base,
    BotCredential,
    ChannelCursor,
    LoggedReaction,
    PendingReply,
    Person,
    ProcessedEvent,
    RoomReplacement,
    SentMessage,
    SyncState,
)

logger = logging.getLogger(__name__)

Now = Callable[[], datetime]
"""Source of the current, timezone-aware time (e.g. ``clock.now``); injectable for tests."""


def utc_now() -> datetime:
    """Default :data:`Now`: the system time in UTC."""
    return datetime.now(UTC)


def falls_due(
    base: InstrumentedAttribute[Any],
    after: datetime | None,
    until: datetime,
    offset: timedelta = timedelta(0),
) -> ColumnElement[bool]:
    """`base + offset` lies after `after` (None: any time) and by `until`: the window a
    scheduler loader asks for. The offset moves to the bounds, so the column is compared
    as it is stored (an index on it serves, and both backends compare alike)."""
    condition = base <= until - offset
    return condition if after is None else and_(condition, base > after - offset)


def _insert(session: AsyncSession, model: type[Base] | Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT for ``model`` that supports ``on_conflict_*`` on the session's backend."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise NotImplementedError(f"upserts are not implemented for the {dialect} dialect")


class PeopleRepository:
    """People by their platform identity, and their chosen language."""

    def __init__(self, session: AsyncSession, now: Now = utc_now) -> None:
        self._session = session
        self._now = now

    async def get_or_create(self, platform: str, external_id: str) -> Person:
        """The person with this identity; created on first contact.

        Safe against a concurrent transaction creating the same person: the insert does
        nothing on conflict and the row is read back.
        """
        query = select(Person).where(Person.platform == platform, Person.external_id == external_id)
        person = await self._session.scalar(query)
        if person is not None:
            return person
        await self._session.execute(
            _insert(self._session, Person)
            .values(platform=platform, external_id=external_id, created_at=self._now())
            .on_conflict_do_nothing(index_elements=[Person.platform, Person.external_id])
        )
        return (await self._session.scalars(query)).one()

    async def language_of(self, platform: str, external_id: str) -> str | None:
        """The language the person chose, or None (unknown person or no choice made)."""
        return await self._session.scalar(
            select(Person.language).where(
                Person.platform == platform, Person.external_id == external_id
            )
        )

    async def set_language(self, platform: str, external_id: str, language: str | None) -> None:
        """Record the person's language; None returns them to the default language.

        Which languages exist is the catalog's business (bot.i18n), not the schema's.
        """
        person = await self.get_or_create(platform, external_id)
        person.language = language


class EventLogRepository:
    """Which incoming chat events were handled, for at-most-once processing."""

    def __init__(self, session: AsyncSession, now: Now = utc_now) -> None:
        self._session = session
        self._now = now

    async def is_processed(self, platform: str, event_id: str) -> bool:
        """Whether the event was already handled (committed, or marked in this transaction)."""
        found = await self._session.scalar(
            select(ProcessedEvent.event_id).where(
                ProcessedEvent.platform == platform, ProcessedEvent.event_id == event_id
            )
        )
        return found is not None

    async def mark_processed(self, platform: str, event_id: str) -> bool:
        """Mark the event handled; False if it already was.

        Call it in the transaction that stores what the event caused: if that transaction
        rolls back, the event counts as unhandled again.
        """
        result = await self._session.execute(
            _insert(self._session, ProcessedEvent)
            .values(platform=platform, event_id=event_id, processed_at=self._now())
            .on_conflict_do_nothing(
                index_elements=[ProcessedEvent.platform, ProcessedEvent.event_id]
            )
            .returning(ProcessedEvent.event_id)
        )
        return result.first() is not None

    async def mark_processed_many(self, platform: str, event_ids: Sequence[str]) -> set[str]:
        """Mark several events handled at once (a sync's worth); the ids that were new.

        Like `mark_processed`, in the transaction that stores what they caused, with a
        few statements instead of a round trip per event.
        """
        if not event_ids:
            return set()
        now = self._now()
        rows = [
            {"platform": platform, "event_id": event_id, "processed_at": now}
            for event_id in event_ids
        ]
        # executemany: SQLAlchemy batches the rows into few cached multi-row statements.
        result = await self._session.execute(
            _insert(self._session, ProcessedEvent.__table__)
            .on_conflict_do_nothing(index_elements=["platform", "event_id"])
            .returning(ProcessedEvent.__table__.c.event_id),
            rows,
        )
        return set(result.scalars())

    async def unmark_many(self, platform: str, event_ids: Sequence[str]) -> None:
        """Take back marks made in this transaction (`mark_processed_many`) for events that
        are to be handled apart after its commit, which then marks them itself."""
        if event_ids:
            await self._session.execute(
                delete(ProcessedEvent).where(
                    ProcessedEvent.platform == platform, ProcessedEvent.event_id.in_(event_ids)
                )
            )


class ReactionLogRepository:
    """Reactions by their id, for adapters whose platform names a removed reaction by id."""

    def __init__(self, session: AsyncSession, now: Now = utc_now) -> None:
        self._session = session
        self._now = now

    async def remember(
        self, platform: str, reaction_id: str, target_id: str, key: str, person_id: str
    ) -> None:
        """Record a reaction; a replayed one changes nothing."""
        await self._session.execute(
            _insert(self._session, LoggedReaction)
            .values(
                platform=platform,
                reaction_id=reaction_id,
                target_id=target_id,
                key=key,
                person_id=person_id,
                reacted_at=self._now(),
            )
            .on_conflict_do_nothing(
                index_elements=[LoggedReaction.platform, LoggedReaction.reaction_id]
            )
        )

    async def get(self, platform: str, reaction_id: str) -> LoggedReaction | None:
        return await self._session.get(LoggedReaction, (platform, reaction_id))


class ReplyOutboxRepository:
    """Answers stored with a command's effect until they are sent (see PendingReply)."""

    def __init__(self, session: AsyncSession, now: Now = utc_now) -> None:
        self._session = session
        self._now = now

    def add(
        self,
        dedupe_key: str,
        *,
        platform: str,
        event_id: str,
        room_id: str,
        message: str,
    ) -> None:
        """Store an answer to the command `event_id`, sent later to `room_id`.

        `message` is the serialised neutral message; storage does not read it.
        """
        self._session.add(
            PendingReply(
                dedupe_key=dedupe_key,
                platform=platform,
                event_id=event_id,
                room_id=room_id,
                message=message,
                created_at=self._now(),
            )
        )

    async def pending(self, event_id: str | None = None) -> list[PendingReply]:
        """Unsent answers (to one command, or to all), oldest first: the order given in."""
        query = select(PendingReply).order_by(PendingReply.created_at, PendingReply.dedupe_key)
        if event_id is not None:
            query = query.where(PendingReply.event_id == event_id)
        return list(await self._session.scalars(query))

    async def remove(self, dedupe_keys: Iterable[str]) -> None:
        """Forget answers that were sent."""
        keys = list(dedupe_keys)
        if keys:
            await self._session.execute(
                delete(PendingReply).where(PendingReply.dedupe_key.in_(keys))
            )


class ChannelCursorRepository:
    """Per channel, the last message the bot handled (see ChannelCursor)."""

    def __init__(self, session: AsyncSession, now: Now = utc_now) -> None:
        self._session = session
        self._now = now

    async def all(self, platform: str) -> dict[str, str]:
        """Every channel of the platform with a cursor: channel id to last event id."""
        rows = await self._session.execute(
            select(ChannelCursor.channel_id, ChannelCursor.last_event_id).where(
                ChannelCursor.platform == platform
            )
        )
        return {channel: event for channel, event in rows.all()}

    async def set(self, platform: str, channel_id: str, event_id: str) -> None:
        """Store the channel's last handled event; the caller knows its platform's order
        of ids and only moves a cursor forward."""
        statement = _insert(self._session, ChannelCursor).values(
            platform=platform, channel_id=channel_id, last_event_id=event_id, updated_at=self._now()
        )
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[ChannelCursor.platform, ChannelCursor.channel_id],
                set_={
                    "last_event_id": statement.excluded.last_event_id,
                    "updated_at": statement.excluded.updated_at,
                },
            )
        )


class SentLogRepository:
    """What the bot sent under which dedupe key (see SentMessage)."""

    def __init__(self, session: AsyncSession, now: Now = utc_now) -> None:
        self._session = session
        self._now = now

    async def get(self, platform: str, dedupe_key: str) -> str | None:
        """The id of the message sent under the key, or None if none was."""
        return await self._session.scalar(
            select(SentMessage.message_id).where(
                SentMessage.platform == platform, SentMessage.dedupe_key == dedupe_key
            )
        )

    async def remember(self, platform: str, dedupe_key: str, message_id: str) -> None:
        """Record a send; the first message sent under a key stays the one remembered."""
        await self._session.execute(
            _insert(self._session, SentMessage)
            .values(
                platform=platform,
                dedupe_key=dedupe_key,
                message_id=message_id,
                sent_at=self._now(),
            )
            .on_conflict_do_nothing(index_elements=[SentMessage.platform, SentMessage.dedupe_key])
        )


class SyncStateRepository:
    """The persisted sync token per bot account."""

    def __init__(self, session: AsyncSession, now: Now = utc_now) -> None:
        self._session = session
        self._now = now

    async def get(self, account: str) -> str | None:
        """The stored sync token, or None before the first sync."""
        return await self._session.scalar(
            select(SyncState.token).where(SyncState.account == account)
        )

    async def set(self, account: str, token: str) -> None:
        """Store the sync token, replacing the previous one."""
        statement = _insert(self._session, SyncState).values(
            account=account, token=token, updated_at=self._now()
        )
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[SyncState.account],
                set_={
                    "token": statement.excluded.token,
                    "updated_at": statement.excluded.updated_at,
                },
            )
        )


class CredentialRepository:
    """Device id and access token per bot account."""

    def __init__(self, session: AsyncSession, now: Now = utc_now) -> None:
        self._session = session
        self._now = now

    async def get(self, account: str) -> BotCredential | None:
        """The stored credential, or None before the first login."""
        # populate_existing: save() writes with a Core upsert, which bypasses the identity
        # map, so an object loaded earlier in this session could otherwise be stale.
        return await self._session.scalar(
            select(BotCredential)
            .where(BotCredential.account == account)
            .execution_options(populate_existing=True)
        )

    async def save(self, account: str, device_id: str, access_token: str) -> None:
        """Store the credential of a (new) login, replacing the previous one."""
        statement = _insert(self._session, BotCredential).values(
            account=account, device_id=device_id, access_token=access_token, updated_at=self._now()
        )
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[BotCredential.account],
                set_={
                    "device_id": statement.excluded.device_id,
                    "access_token": statement.excluded.access_token,
                    "updated_at": statement.excluded.updated_at,
                },
            )
        )


RoomColumns = tuple[InstrumentedAttribute[Any], InstrumentedAttribute[Any]]
"""A room reference: the column with the room's platform and the column with its id."""


class RoomRepository:
    """Room upgrades (tombstones): where a room went and where its references go."""

    def __init__(
        self,
        session: AsyncSession,
        now: Now = utc_now,
        room_columns: Iterable[RoomColumns] = (),
    ) -> None:
        self._session = session
        self._now = now
        self._room_columns = tuple(room_columns)

    async def record_replacement(self, platform: str, old_room_id: str, new_room_id: str) -> None:
        """Record that ``old_room_id`` was replaced and move stored references to the new room.

        The references moved are the ``room_columns`` given (the unit of work passes
        :data:`storage.schema.ROOM_REFERENCE_COLUMNS`), in rows whose room is on `platform`.
        Recording the same replacement again is harmless.
        """
        if old_room_id == new_room_id:
            raise ValueError(f"room {old_room_id} cannot replace itself")
        statement = _insert(self._session, RoomReplacement).values(
            platform=platform,
            old_room_id=old_room_id,
            new_room_id=new_room_id,
            replaced_at=self._now(),
        )
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[RoomReplacement.platform, RoomReplacement.old_room_id],
                set_={
                    "new_room_id": statement.excluded.new_room_id,
                    "replaced_at": statement.excluded.replaced_at,
                },
            )
        )
        for platform_column, column in self._room_columns:
            await self._session.execute(
                update(column.class_)
                .where(platform_column == platform, column == old_room_id)
                .values({column.key: new_room_id})
            )
        logger.info("Room %s was replaced by %s", old_room_id, new_room_id)

    async def replacements(self, platform: str) -> dict[str, str]:
        """Every replacement recorded on `platform`, old room to new room, in one query.

        Resolving room by room cost a transaction per configured room on the first command
        after a start (its role check asks every department room); rooms are rarely
        upgraded, so the whole table is small. Follow them with `follow_replacements`.
        """
        rows = await self._session.execute(
            select(RoomReplacement.old_room_id, RoomReplacement.new_room_id).where(
                RoomReplacement.platform == platform
            )
        )
        return {old: new for old, new in rows}


def follow_replacements(replacements: Mapping[str, str], room_id: str) -> str:
    """The current room for ``room_id``, following chains of `replacements` (old to new).

    A room never replaced resolves to itself. A cycle (which a misbehaving homeserver
    could produce) stops at the last room before the cycle repeats.
    """
    seen = {room_id}
    current = room_id
    while (successor := replacements.get(current)) is not None:
        if successor in seen:
            logger.warning("Room replacements form a cycle at %s; using %s", successor, current)
            return current
        seen.add(successor)
        current = successor
    return current
