"""After an erasure, no table on SQLite or PostgreSQL holds the person's id or name.

The town of tests/unit/privacy_world.py is built on each backend (a throwaway PostgreSQL
database per test), then every string column of every table in `storage.schema.metadata`
is searched.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.schema import metadata
from tests.storage.conftest import POSTGRES_URL
from tests.unit.privacy_world import (
    ALICE,
    BERND,
    MARIA,
    NAMES,
    SABINE,
    everything_happened,
    say,
    town,
    traces_of,
)


@pytest_asyncio.fixture(loop_scope="session")
async def postgresql_url(postgres_admin: AsyncEngine) -> AsyncIterator[str]:
    """A fresh database for the bot (it opens its own engine), dropped afterwards."""
    name = f"privacy_{secrets.token_hex(6)}"
    async with postgres_admin.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.exec_driver_sql(f"CREATE DATABASE {name}")
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    async with postgres_admin.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"{request.param}_url")


async def test_no_table_holds_an_erased_person(tmp_path: Path, database_url: str) -> None:
    bot = await town(tmp_path, DATABASE_URL=database_url)
    await everything_happened(bot)
    assert {table for table, _, _ in await traces_of(bot, {BERND, NAMES[BERND]})} >= {
        "people",
        "ideas",
        "idea_supports",
        "idea_reports",
        "poll_responses",
        "poll_secret_voters",
        "workshop_registrations",
        "questions",
        "question_messages",
        "question_notices",
        "privacy_introductions",
    }

    for person in (BERND, SABINE, MARIA):
        await say(bot, person, "!datenloeschen")
        await say(bot, person, "!datenloeschen bestaetigen")
        assert await traces_of(bot, {person, NAMES[person]}) == [], person

    assert await traces_of(bot, {ALICE})  # the others' data is still there
    assert len(metadata.sorted_tables) >= 30  # every feature's tables were walked
