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

Bookkeeping that needs no commit of its own (what an adapter sent under a dedupe key, how
far it has read a channel) is handed to :meth:`UnitOfWorkFactory.defer`: it is written in
the next transaction anyone commits, or after :data:`DEFERRED_WRITE_DELAY_S` at the latest.
On SQLite each commit is a disk sync and each statement a round trip to aiosqlite's
thread, so a command that would otherwise commit three times after its answer commits once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Hashable
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

logger = logging.getLogger(__name__)

DEFERRED_WRITE_DELAY_S = 1.0
"""How long a deferred write waits for another transaction to ride along with."""

DeferredWrite = Callable[["UnitOfWork"], Awaitable[None]]


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

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        now: Now = utc_now,
        deferred: DeferredWrites | None = None,
    ):
        self._session_factory = session_factory
        self._now = now
        self._deferred = deferred
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
        """Commit the work so far, with the deferred writes waiting for a transaction; the
        block may go on with a new transaction. If the commit fails, the deferred writes
        wait for the next one."""
        taken = self._deferred.take() if self._deferred is not None else {}
        try:
            for write in taken.values():
                await write(self)
            await self.session.commit()
        except BaseException:
            if self._deferred is not None:
                self._deferred.give_back(taken)
            raise

    async def rollback(self) -> None:
        """Discard the work since the last commit."""
        await self.session.rollback()


class DeferredWrites:
    """Writes waiting for the next commit, by key: a later write under the same key replaces
    the earlier one (a channel's newest cursor, not every step of it)."""

    def __init__(self) -> None:
        self._waiting: dict[Hashable, DeferredWrite] = {}

    def __bool__(self) -> bool:
        return bool(self._waiting)

    def add(self, key: Hashable, write: DeferredWrite) -> None:
        self._waiting.pop(key, None)
        self._waiting[key] = write

    def take(self) -> dict[Hashable, DeferredWrite]:
        taken, self._waiting = self._waiting, {}
        return taken

    def give_back(self, taken: dict[Hashable, DeferredWrite]) -> None:
        """Return writes whose transaction failed; newer writes under a key win."""
        self._waiting = {**taken, **self._waiting}


class UnitOfWorkFactory:
    """Makes a fresh :class:`UnitOfWork` per call; the one object handlers receive."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], now: Now = utc_now):
        self._session_factory = session_factory
        self._now = now
        self._deferred = DeferredWrites()
        self._flush_task: asyncio.Task[None] | None = None

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self._session_factory, self._now, self._deferred)

    def defer(self, key: Hashable, write: DeferredWrite) -> None:
        """Run `write(uow)` in the next transaction that commits (within
        :data:`DEFERRED_WRITE_DELAY_S`); for records whose loss in a crash only repeats
        work that is deduplicated anyway. A later write under the same key replaces it."""
        self._deferred.add(key, write)
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.get_running_loop().create_task(self._flush_later())

    async def flush(self) -> None:
        """Write what is deferred now, in a transaction of its own (e.g. before stopping)."""
        if self._deferred:
            async with self() as uow:
                await uow.commit()

    async def _flush_later(self) -> None:
        await asyncio.sleep(DEFERRED_WRITE_DELAY_S)
        try:
            await self.flush()
        except Exception:  # they wait for the next commit; the log says why
            logger.exception("Deferred writes failed; retrying with the next transaction")

    async def close(self) -> None:
        """Stop the timer and write what is deferred (before the engine is disposed). A
        database that is gone by then is logged, not raised: what is lost is bookkeeping
        whose loss only repeats deduplicated work."""
        if self._flush_task is not None:
            self._flush_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flush_task
        try:
            await self.flush()
        except Exception:
            logger.exception("Deferred writes could not be written before stopping")
