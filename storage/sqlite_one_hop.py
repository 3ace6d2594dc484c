"""aiosqlite connections whose statements cost one trip to the database thread, not four.

aiosqlite runs every call on the sqlite3 connection in a thread of its own, and SQLAlchemy's
aiosqlite dialect makes four such calls per statement: create a cursor, execute, fetch all
rows, close the cursor. Each is a hand-over between the event loop and that thread, which on
a busy machine waits for the thread to be scheduled and then for the loop to wake again
(about 50 per command, the largest cost of the bot's own work in the Discord latency
profile; see docs/benchmarks.md, "Latency, third round"). Here the cursor is a plain object
on the event loop, and its `execute` does all four in one call on the thread, keeping the
rows for SQLAlchemy to fetch. Transactions, isolation and error types are sqlite3's,
unchanged: the same calls run on the same connection in the same order, only bundled.

Server-side cursors (`stream()`), which would fetch in chunks, are not used by the bot; with
this cursor they would read all rows at once, as the ordinary ones do.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

import aiosqlite

_Description = tuple[tuple[Any, ...], ...] | None


def _execute(
    connection: sqlite3.Connection, sql: str, parameters: Any, many: bool
) -> tuple[_Description, int, int | None, list[Any]]:
    """On the database thread: run one statement and collect everything SQLAlchemy reads."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneHopCursor:
    """The part of aiosqlite's `Cursor` that SQLAlchemy uses, one thread hop per statement."""

    def __init__(self, connection: OneHopConnection) -> None:
        self._connection = connection
        self._rows: deque[Any] = deque()
        self.description: _Description = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    async def __aenter__(self) -> OneHopCursor:
        """SQLAlchemy enters every new cursor; there is nothing to open."""
        return self

    async def _run(self, sql: str, parameters: Any, many: bool) -> OneHopCursor:
        connection = self._connection
        result = await connection._execute(_execute, connection._conn, sql, parameters, many)
        self.description, self.rowcount, self.lastrowid, rows = result
        self._rows = deque(rows)
        return self

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> OneHopCursor:
        return await self._run(sql, () if parameters is None else parameters, many=False)

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> OneHopCursor:
        return await self._run(sql, parameters, many=True)

    # fetchone and fetchmany serve SQLAlchemy's server-side cursors (`stream()`); the
    # ordinary ones fetch all rows right after `execute`.
    async def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = min(len(self._rows), self.arraysize if size is None else size)
        return [self._rows.popleft() for _ in range(count)]

    async def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    async def close(self) -> None:
        """Nothing to release on the thread: `execute` closed the sqlite3 cursor already."""
        self._rows.clear()


class OneHopConnection(aiosqlite.Connection):
    """An aiosqlite connection handing out `OneHopCursor`s (no hop to create one), whose
    commit and rollback make no hop when no transaction is open."""

    def cursor(self) -> OneHopCursor:  # type: ignore[override]
        return OneHopCursor(self)

    async def commit(self) -> None:
        """sqlite3 does nothing without an open transaction; neither does this, without
        the hop that would find that out on the thread."""
        if self.in_transaction:
            await super().commit()

    async def rollback(self) -> None:
        """As `commit`: a read-only session (the router's read before every message)
        ends with a rollback that sqlite3 skips, but that cost a hop to the thread first,
        and on a busy machine a wait for the thread (`bench.bot_steps`). Whether a
        transaction is open is the connection's autocommit flag, read on the loop while
        no statement runs (aiosqlite's `in_transaction` reads it the same way)."""
        if self.in_transaction:
            await super().rollback()


def connect(database: str, **kwargs: Any) -> OneHopConnection:
    """Like `aiosqlite.connect`; the worker thread is a daemon, as SQLAlchemy's dialect makes
    it, so a process that forgot to dispose of its engine still exits."""

    def connector() -> sqlite3.Connection:
        return sqlite3.connect(database, **kwargs)

    connection = OneHopConnection(connector, iter_chunk_size=64)
    connection._thread.daemon = True
    return connection
