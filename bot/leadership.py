"""Which `smartregion-bot run` may talk to the chat platforms: one per database at a time.

PostgreSQL (active/standby): every instance asks the database for a session advisory lock
on a connection of its own. The one that gets it is *active* and starts the bot; the others
are *standbys* that ask again every tenth of the failover time and start nothing (no sync,
no sending) until the lock is theirs. PostgreSQL is the only judge, so there is no consensus
of our own and no extra service: when the active process dies, its connection closes and
PostgreSQL frees the lock at once; when its machine or its network to PostgreSQL goes away
silently, the server ends the lock's session after `idle_session_timeout` (the failover
time), because the active instance touches it ten times as often.

Fencing: the active instance checks every tenth of the failover time that it still holds
the lock, giving each check a quarter of it. A failed or late check calls `on_lost` (the
command line ends the process at once), which therefore happens at most 0.35 × the failover
time after PostgreSQL last heard from it, well before the server frees the lock for a
standby. A process that lost the lock never sends another message.

SQLite (single instance): one process per database file. An exclusive `flock` on
`<database>.lock`, held for the life of the process (the kernel drops it when the process
dies, even by kill -9), makes a second `run` on the same file fail with `AlreadyRunning`.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import socket
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import create_engine

logger = logging.getLogger(__name__)

LOCK_CLASS = 0x53524254
"""First key of the advisory lock ("SRBT"); the second is derived from the schema's name, so
bots in different schemas of one database elect separately."""

_TRY_LOCK = text("SELECT pg_try_advisory_lock(:class_key, :schema_key)")
_HOLDS_LOCK = text(
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND pid = pg_backend_pid() AND classid = :class_key AND objid = :schema_key"
    " AND objsubid = 2)"
)
_CONNECTION_PROBLEMS = (OSError, SQLAlchemyError, TimeoutError)


class AlreadyRunning(Exception):
    """Another bot process already runs on this SQLite database file."""

    def __init__(self, database: Path, pid: str) -> None:
        super().__init__(f"another smartregion-bot (pid {pid or 'unknown'}) runs on {database}")
        self.database = database
        self.pid = pid


MIN_SERVER_VERSION = 140000
"""PostgreSQL 14: the first with `idle_session_timeout`, which frees a silent holder's lock."""


class UnsupportedServer(Exception):
    """The PostgreSQL server is too old to free the lock of a silent active instance."""

    def __init__(self, version: int) -> None:
        super().__init__(
            f"PostgreSQL {version // 10000} cannot elect an active instance safely: "
            f"version {MIN_SERVER_VERSION // 10000} or newer is needed (idle_session_timeout)"
        )
        self.version = version


class Election(Protocol):
    """What `smartregion-bot run` needs: wait until this instance may run, and let go."""

    async def acquire(self) -> None:
        """Return once this instance is the active one (raise if it never may be)."""
        ...

    async def release(self) -> None:
        """Let another instance take over (idempotent)."""
        ...


class PostgresLeadership:
    """Active/standby through a session advisory lock on a dedicated PostgreSQL connection."""

    def __init__(
        self,
        database_url: str,
        failover_seconds: float,
        on_lost: Callable[[], None],
        connect_args: Mapping[str, Any] | None = None,
    ) -> None:
        self.check_interval = failover_seconds / 10
        self.check_timeout = failover_seconds / 4
        args = dict(connect_args or {})
        server_settings = {
            **args.pop("server_settings", {}),
            # Who holds the lock, for operators (pg_stat_activity.application_name).
            "application_name": f"smartregion-bot {socket.gethostname()}:{os.getpid()}",
        }
        self._idle_timeout_ms = round(failover_seconds * 1000)
        self._engine = create_engine(
            database_url, connect_args={**args, "server_settings": server_settings}
        )
        self._on_lost = on_lost
        self._connection: AsyncConnection | None = None
        self._schema_key = 0
        self._watch: asyncio.Task[None] | None = None
        self._unanswered: asyncio.Future[Any] | None = None
        """A check the fence gave up on, ended with the connection on release."""

    async def acquire(self) -> None:
        waiting_said = False
        while True:
            try:
                async with asyncio.timeout(self.check_timeout * 2):
                    if await self._try_lock():
                        break
            except _CONNECTION_PROBLEMS as error:
                logger.warning("The election cannot reach PostgreSQL (%s); trying again", error)
                await self._disconnect()
            else:
                if not waiting_said:
                    logger.info(
                        "Standby: another instance is active; taking over when it stops "
                        "(checking every %.1f s)",
                        self.check_interval,
                    )
                    waiting_said = True
            await asyncio.sleep(self.check_interval)
        logger.info("Active: this instance holds the leadership and starts the bot")
        self._watch = asyncio.create_task(self._keep(), name="leadership watch")

    async def _try_lock(self) -> bool:
        if self._connection is None:
            self._connection = await self._engine.connect()
            await self._prepare(self._connection)
        keys = {"class_key": LOCK_CLASS, "schema_key": self._schema_key}
        return bool(await self._connection.scalar(_TRY_LOCK, keys))

    async def _prepare(self, connection: AsyncConnection) -> None:
        """Autocommit (between checks the session must be idle, not "idle in transaction",
        for idle_session_timeout to end it when we fall silent), the timeout, the key."""
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        version = int(await connection.scalar(text("SHOW server_version_num")))
        if version < MIN_SERVER_VERSION:
            await self._disconnect()
            raise UnsupportedServer(version)
        await connection.exec_driver_sql(f"SET idle_session_timeout = {self._idle_timeout_ms}")
        schema = await connection.scalar(text("SELECT current_schema()"))
        self._schema_key = zlib.crc32(str(schema).encode()) & 0x7FFFFFFF

    async def _keep(self) -> None:
        """Check the lock until it is gone, then fence (see the module's docstring).

        The deadline is kept by waiting on the check, not by cancelling it: the driver
        may take seconds to give up a query on a dead connection, which is exactly when
        the fence must not wait.
        """
        assert self._connection is not None
        keys = {"class_key": LOCK_CLASS, "schema_key": self._schema_key}
        while True:
            await asyncio.sleep(self.check_interval)
            check = asyncio.ensure_future(self._connection.scalar(_HOLDS_LOCK, keys))
            done, _ = await asyncio.wait({check}, timeout=self.check_timeout)
            if not done:
                self._unanswered = check
                reason = f"PostgreSQL did not answer within {self.check_timeout:.1f} s"
            elif check.exception() is not None:
                reason = f"the connection failed ({check.exception()!r})"
            elif check.result():
                continue
            else:
                reason = "the lock is no longer held"
            logger.critical("Lost the leadership: %s. Stopping at once.", reason)
            self._on_lost()
            return

    async def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(*_CONNECTION_PROBLEMS):
                await connection.invalidate()

    async def release(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
            self._watch = None
        await self._disconnect()  # ends the session, and with it the lock
        if self._unanswered is not None:
            self._unanswered.cancel()
            with contextlib.suppress(asyncio.CancelledError, *_CONNECTION_PROBLEMS):
                await self._unanswered
        await self._engine.dispose()


class SqliteSingleInstance:
    """One process per SQLite file: an exclusive lock on `<database>.lock`.

    `fcntl.flock` rather than a lock-file library: the kernel releases it when the process
    dies in any way, so no stale lock is ever left to clean up, and the file keeps the
    holder's pid for the error message.
    """

    def __init__(self, database: Path) -> None:
        self.database = database
        self.lock_path = database.with_name(database.name + ".lock")
        self._fd: int | None = None

    async def acquire(self) -> None:
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip()
            os.close(fd)
            raise AlreadyRunning(self.database, holder) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    async def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing drops the lock; the file stays, so no unlink race


class NoElection:
    """An in-memory database: no other process can reach it, so nothing to elect."""

    async def acquire(self) -> None:
        return None

    async def release(self) -> None:
        return None


def election(database_url: str, failover_seconds: float, on_lost: Callable[[], None]) -> Election:
    """The election that fits the database: active/standby on PostgreSQL, one process on
    a SQLite file."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        return PostgresLeadership(database_url, failover_seconds, on_lost)
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return NoElection()
    return SqliteSingleInstance(Path(database).resolve())
