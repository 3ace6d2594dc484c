"""Unit of work: one transaction with the repositories bound to it.

Usage (``bot/app.py`` builds one :class:`UnitOfWorkFactory` and passes it to handlers)::

    async with uow_factory() as uow:
        person = await uow.people.get_or_create(actor.platform, actor.id)
        if await uow.events.mark_processed(actor.platform, event_id):
            ...
        await uow.commit()

Leaving the block without :meth:`UnitOfWork.commit` rolls back. Every call of the factory
gives an independent unit of work, so concurrent handlers never share a session (an
AsyncSession must not be used by two tasks at once).
"""

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.repositories import (
    ChannelCursorRepository,
    CredentialRepository,
    EventLogRepository,
    Now,
    PeopleRepository,
    ReactionLogRepository,
    ReplyOutboxRepository,
    RoomRepository,
    SentLogRepository,
    SyncStateRepository,
    utc_now,
)
from storage.schema import ROOM_REFERENCE_COLUMNS


class UnitOfWork:
    """A transaction and its repositories, opened by ``async with``.

    The repositories (``people``, ``events``, ``sync``, ``credentials``, ``rooms``,
    ``replies``, ``reactions``, ``cursors``, ``sent``) exist
    inside the block only. After the block the object may be entered again for a new
    transaction, but not while it is active.
    """

    people: PeopleRepository
    events: EventLogRepository
    sync: SyncStateRepository
    credentials: CredentialRepository
    rooms: RoomRepository
    replies: ReplyOutboxRepository
    reactions: ReactionLogRepository
    cursors: ChannelCursorRepository
    sent: SentLogRepository

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], now: Now = utc_now):
        self._session_factory = session_factory
        self._now = now
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        """The session of the open transaction, for queries no repository offers yet."""
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside 'async with'")
        return self._session

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("UnitOfWork is already active; take a new one from the factory")
        session = self._session = self._session_factory()
        self.people = PeopleRepository(session, self._now)
        self.events = EventLogRepository(session, self._now)
        self.sync = SyncStateRepository(session, self._now)
        self.credentials = CredentialRepository(session, self._now)
        self.rooms = RoomRepository(session, self._now, ROOM_REFERENCE_COLUMNS)
        self.replies = ReplyOutboxRepository(session, self._now)
        self.reactions = ReactionLogRepository(session, self._now)
        self.cursors = ChannelCursorRepository(session, self._now)
        self.sent = SentLogRepository(session, self._now)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        session, self._session = self.session, None
        await session.close()  # rolls back whatever was not committed

    async def commit(self) -> None:
        """Commit the work so far; the block may go on with a new transaction."""
        await self.session.commit()

    async def rollback(self) -> None:
        """Discard the work since the last commit."""
        await self.session.rollback()


class UnitOfWorkFactory:
    """Makes a fresh :class:`UnitOfWork` per call; the one object handlers receive."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], now: Now = utc_now):
        self._session_factory = session_factory
        self._now = now

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self._session_factory, self._now)
