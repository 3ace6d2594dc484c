"""Active/standby election on the real PostgreSQL, and one process per SQLite file.

Two `PostgresLeadership` objects in one test stand for two bot processes: each holds its
own connection, which is all PostgreSQL sees of a process. The network cut goes through a
relay that stops forwarding without closing anything, as a pulled cable does.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import leadership
from bot.leadership import (
    LOCK_CLASS,
    AlreadyRunning,
    PostgresLeadership,
    SqliteSingleInstance,
    UnsupportedServer,
)
from tests.storage.conftest import POSTGRES_URL
from tests.tcp_relay import relayed_database

FAILOVER_S = 3.0
WAIT_S = 60.0  # generous: the machine is shared; nothing here measures speed


class Fenced:
    """Records when `on_lost` was called (what the command line turns into an exit)."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.at: float | None = None

    def __call__(self) -> None:
        self.at = asyncio.get_running_loop().time()
        self.event.set()


@pytest_asyncio.fixture(loop_scope="session")
async def schema(postgres_admin: AsyncEngine) -> AsyncIterator[str]:
    name = f"t_{secrets.token_hex(6)}"
    async with postgres_admin.begin() as connection:
        await connection.exec_driver_sql(f"CREATE SCHEMA {name}")
    yield name
    async with postgres_admin.begin() as connection:
        await connection.exec_driver_sql(f"DROP SCHEMA {name} CASCADE")


@contextlib.asynccontextmanager
async def instance(
    schema: str, fenced: Fenced | None = None, url: str = POSTGRES_URL
) -> AsyncIterator[PostgresLeadership]:
    leadership = PostgresLeadership(
        url,
        FAILOVER_S,
        fenced or Fenced(),
        connect_args={"server_settings": {"search_path": schema}},
    )
    try:
        yield leadership
    finally:
        await leadership.release()


pytestmark = pytest.mark.postgres


async def test_the_standby_waits_while_the_active_one_holds_and_takes_over_after(schema):
    async with instance(schema) as active, instance(schema) as standby:
        await asyncio.wait_for(active.acquire(), WAIT_S)
        waiting = asyncio.create_task(standby.acquire())
        await asyncio.sleep(FAILOVER_S)  # thirty checks of the standby
        assert not waiting.done()
        await active.release()
        await asyncio.wait_for(waiting, WAIT_S)


async def test_bots_in_different_schemas_do_not_wait_for_each_other(schema, postgres_admin):
    other = f"t_{secrets.token_hex(6)}"
    async with postgres_admin.begin() as connection:
        await connection.exec_driver_sql(f"CREATE SCHEMA {other}")
    try:
        async with instance(schema) as first, instance(other) as second:
            await asyncio.wait_for(first.acquire(), WAIT_S)
            await asyncio.wait_for(second.acquire(), WAIT_S)
    finally:
        async with postgres_admin.begin() as connection:
            await connection.exec_driver_sql(f"DROP SCHEMA {other} CASCADE")


async def test_the_active_one_notices_when_its_lock_session_is_ended(schema, postgres_admin):
    fenced = Fenced()
    async with instance(schema, fenced) as active:
        await asyncio.wait_for(active.acquire(), WAIT_S)
        async with postgres_admin.begin() as connection:
            ended = await connection.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_locks"
                    " WHERE locktype = 'advisory' AND classid = :class_key"
                    " AND pid IN (SELECT pid FROM pg_stat_activity"
                    " WHERE application_name LIKE :me)"
                ),
                {"class_key": LOCK_CLASS, "me": f"smartregion-bot %:{os.getpid()}"},
            )
        assert ended == 1
        await asyncio.wait_for(fenced.event.wait(), WAIT_S)


async def test_an_active_one_cut_off_from_postgresql_fences_before_the_standby_takes_over(
    schema,
):
    fenced = Fenced()
    async with (
        relayed_database(POSTGRES_URL) as (relayed, relay),
        instance(schema, fenced, relayed) as active,
        instance(schema) as standby,
    ):
        await asyncio.wait_for(active.acquire(), WAIT_S)
        waiting = asyncio.create_task(standby.acquire())
        relay.cut()
        await asyncio.wait_for(waiting, WAIT_S)
        taken_over = asyncio.get_running_loop().time()
        assert fenced.at is not None, "the standby took over while the old one still ran"
        assert fenced.at < taken_over


async def test_a_server_without_idle_session_timeout_is_refused_with_a_reason(schema, monkeypatch):
    monkeypatch.setattr(leadership, "MIN_SERVER_VERSION", 10**9)  # this server is too old
    async with instance(schema) as candidate:
        with pytest.raises(UnsupportedServer, match="or newer is needed"):
            await asyncio.wait_for(candidate.acquire(), WAIT_S)


async def test_a_second_process_on_one_sqlite_file_is_refused(tmp_path: Path):
    database = tmp_path / "data" / "bot.db"
    first = SqliteSingleInstance(database)
    await first.acquire()
    try:
        with pytest.raises(AlreadyRunning) as refused:
            await SqliteSingleInstance(database).acquire()
        assert refused.value.pid == str(os.getpid())
    finally:
        await first.release()
    again = SqliteSingleInstance(database)
    await again.acquire()
    await again.release()
