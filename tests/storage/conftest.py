"""Storage fixtures: every test runs on a SQLite file and on PostgreSQL.

PostgreSQL tests get a throwaway schema each (``t_<random>``, reached through the
connection's ``search_path``) that is dropped afterwards. If the server is not reachable
they are skipped with the reason, never silently; ``-m "not postgres"`` deselects them.
"""

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import create_engine, create_session_factory, upgrade_schema
from storage.uow import UnitOfWorkFactory

POSTGRES_URL = os.environ.get(
    "SMARTREGION_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def postgres_admin() -> AsyncIterator[AsyncEngine]:
    """An engine on the test database's default schema; skips if the server is unreachable.

    Session-scoped, so an unreachable server costs one connection attempt, not one per test
    (pytest re-raises the cached skip).
    """
    engine = create_engine(POSTGRES_URL)
    try:
        async with asyncio.timeout(5), engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")
    except (OSError, TimeoutError, SQLAlchemyError) as error:
        await engine.dispose()
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {error}")
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture(loop_scope="session")
async def postgresql_engine(postgres_admin: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """An engine confined to a fresh schema, dropped after the test."""
    schema = f"t_{secrets.token_hex(6)}"
    async with postgres_admin.begin() as connection:
        await connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine = create_engine(POSTGRES_URL, connect_args={"server_settings": {"search_path": schema}})
    try:
        yield engine
    finally:
        await engine.dispose()
        async with postgres_admin.begin() as connection:
            await connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")


@pytest_asyncio.fixture(loop_scope="session")
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An engine on a SQLite file in a directory that does not exist yet."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}")
    yield engine
    await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> AsyncEngine:
    """An engine on an empty database, once per backend.

    A plain (sync) fixture so it can pick the backend's async fixture by name.
    """
    return request.getfixturevalue(f"{request.param}_engine")


@pytest_asyncio.fixture(loop_scope="session")
async def uow_factory(engine: AsyncEngine) -> UnitOfWorkFactory:
    """Units of work on a database upgraded to the latest schema."""
    await upgrade_schema(engine)
    return UnitOfWorkFactory(create_session_factory(engine))
