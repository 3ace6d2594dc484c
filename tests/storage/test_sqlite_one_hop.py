"""SQLite statements through `storage.sqlite_one_hop`: same results, one thread hop each."""

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.sqlite_one_hop import OneHopConnection


@pytest_asyncio.fixture(loop_scope="session")
async def table(sqlite_engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    async with sqlite_engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
    yield sqlite_engine


async def driver_of(connection: AsyncConnection) -> OneHopConnection:
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert isinstance(driver, OneHopConnection)
    return driver


async def test_statements_return_what_sqlite_returns(table: AsyncEngine) -> None:
    async with table.begin() as connection:
        inserted = await connection.execute(
            text("INSERT INTO t (v) VALUES ('a'), ('b'), ('c') RETURNING id, v")
        )
        assert inserted.all() == [(1, "a"), (2, "b"), (3, "c")]
        await connection.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "d"}, {"v": "e"}])
        updated = await connection.execute(text("UPDATE t SET v = v || '!' WHERE id > 3"))
        assert updated.rowcount == 2
        rows = await connection.execute(text("SELECT v FROM t ORDER BY id"))
        assert rows.scalars().all() == ["a", "b", "c", "d!", "e!"]
        empty = await connection.execute(text("SELECT v FROM t WHERE id > 99"))
        assert empty.first() is None


async def test_an_error_reaches_the_caller_and_the_transaction_rolls_back(
    table: AsyncEngine,
) -> None:
    async with table.begin() as connection:
        await connection.execute(text("INSERT INTO t (v) VALUES ('x')"))
    with pytest.raises(IntegrityError):
        async with table.begin() as connection:
            await connection.execute(text("INSERT INTO t (v) VALUES ('y')"))
            await connection.execute(text("INSERT INTO t (v) VALUES ('x')"))
    async with table.connect() as connection:
        rows = await connection.execute(text("SELECT v FROM t ORDER BY v"))
        assert rows.scalars().all() == ["x"]


@contextmanager
def hops(driver: OneHopConnection) -> Iterator[list[str]]:
    """The calls handed to the connection's database thread meanwhile."""
    calls: list[str] = []
    hop = driver._execute

    async def counted(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(getattr(fn, "__name__", repr(fn)))
        return await hop(fn, *args, **kwargs)

    driver._execute = counted  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        del driver._execute


async def test_a_statement_is_one_hop_to_the_database_thread(table: AsyncEngine) -> None:
    async with table.connect() as connection:
        with hops(await driver_of(connection)) as calls:
            result = await connection.execute(text("SELECT id FROM t"))
            assert result.all() == []
            assert calls == ["_execute"]


async def test_ending_a_read_makes_no_hop_and_ending_a_write_one(table: AsyncEngine) -> None:
    async with table.connect() as connection:
        with hops(await driver_of(connection)) as calls:
            await connection.execute(text("SELECT id FROM t"))
            await connection.rollback()
            await connection.commit()
            assert calls == ["_execute"]
            await connection.execute(text("INSERT INTO t (v) VALUES ('r')"))
            await connection.rollback()
            await connection.execute(text("INSERT INTO t (v) VALUES ('c')"))
            await connection.commit()
            assert calls == ["_execute", "_execute", "rollback", "_execute", "commit"]
        rows = await connection.execute(text("SELECT v FROM t"))
        assert rows.scalars().all() == ["c"]


async def test_a_streamed_result_yields_every_row(table: AsyncEngine) -> None:
    async with table.begin() as connection:
        await connection.execute(
            text("INSERT INTO t (v) VALUES (:v)"), [{"v": str(n)} for n in range(5)]
        )
        streamed = await connection.stream(text("SELECT v FROM t ORDER BY id"))
        assert [row.v async for row in streamed] == ["0", "1", "2", "3", "4"]
