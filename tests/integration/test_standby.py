"""Two `smartregion-bot run` processes on one PostgreSQL: one answers, the other takes over.

Real processes (killed with SIGKILL), the session's real Synapse and a fresh database on
the real PostgreSQL per test. A SQLite file serves one process only.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from chat import ChatUser, MakeUser
from sqlalchemy import func, select

from bench import harness
from bot.cli import EXIT_ALREADY_RUNNING, EXIT_LOST_LEADERSHIP
from bot.devserver import LocalSynapse
from storage.ideas.models import Idea
from tests.tcp_relay import relayed_database

ACTIVE, STANDBY = "Active:", "Standby:"
WAIT_S = 120.0  # generous: a shared 2-core machine; nothing here measures speed


@pytest_asyncio.fixture(loop_scope="session")
async def postgres_url() -> AsyncIterator[str]:
    try:
        async with harness.postgres_database() as url:
            yield url
    except harness.PostgresUnavailable as error:
        pytest.skip(str(error))


def pair(first: harness.SmartRegionBot, directory: Path, **env: str) -> harness.SmartRegionBot:
    """A second process of the same bot: same account, database and key store."""
    return harness.SmartRegionBot(directory, first.user_id, {**first.env, **env})


async def start_in_turn(
    citizen: ChatUser, active: harness.SmartRegionBot, standby: harness.SmartRegionBot
) -> str:
    """Start the active one, let it join a new room of `citizen`, then start the standby."""
    await active.start()
    room = await citizen.create_room(name="Forum", invite=[active.user_id])
    await citizen.wait_joined(room, active.user_id, timeout=WAIT_S)
    await standby.start()
    await standby.wait_for_log(STANDBY, WAIT_S)
    return room


def logged_at(bot: harness.SmartRegionBot, fragment: str) -> str:
    """The timestamp of the first log line containing `fragment` (sortable text)."""
    line = next(line for line in bot.log_text().splitlines() if fragment in line)
    return line[:23]


@pytest.mark.postgres
async def test_the_standby_answers_once_the_active_one_is_killed(
    synapse: LocalSynapse, make_user: MakeUser, tmp_path: Path, postgres_url: str
) -> None:
    alice = await make_user("alice")
    active = await harness.smartregion_bot(
        synapse, tmp_path / "one", {"DATABASE_URL": postgres_url}
    )
    standby = pair(active, tmp_path / "two")
    database = harness.BotDatabase(postgres_url)
    try:
        room = await start_in_turn(alice, active, standby)
        before = await alice.say(room, "!hilfe")
        await alice.reply_to(before, timeout=WAIT_S)

        await active.kill()
        idea = await alice.say(room, "!idee Mehr Bänke am Mainufer")
        reply = await alice.reply_to(idea, timeout=WAIT_S)

        assert reply.sender == active.user_id
        assert ACTIVE in standby.log_text()
        with pytest.raises(TimeoutError):  # the standby does not answer it a second time
            await alice.reply_to(before, timeout=3)
        async with database.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Idea)) == 1
    finally:
        await asyncio.gather(active.kill(), standby.kill())
        await database.close()


@pytest.mark.postgres
async def test_two_instances_started_at_once_elect_exactly_one(
    synapse: LocalSynapse, make_user: MakeUser, tmp_path: Path, postgres_url: str
) -> None:
    alice = await make_user("alice")
    first = await harness.smartregion_bot(synapse, tmp_path / "one", {"DATABASE_URL": postgres_url})
    second = pair(first, tmp_path / "two")
    try:
        room = await alice.create_room(name="Forum", invite=[first.user_id])
        await asyncio.gather(first.start(), second.start())
        await alice.wait_joined(room, first.user_id, timeout=WAIT_S)
        command = await alice.say(room, "!hilfe")
        await alice.reply_to(command, timeout=WAIT_S)
        with pytest.raises(TimeoutError):
            await alice.reply_to(command, timeout=3)

        logs = [first.log_text(), second.log_text()]
        assert sorted(ACTIVE in log for log in logs) == [False, True]
        assert sorted(STANDBY in log for log in logs) == [False, True]
    finally:
        await asyncio.gather(first.kill(), second.kill())


@pytest.mark.postgres
async def test_an_active_one_cut_off_from_postgresql_stops_before_the_standby_answers(
    synapse: LocalSynapse, make_user: MakeUser, tmp_path: Path, postgres_url: str
) -> None:
    alice = await make_user("alice")
    async with relayed_database(postgres_url) as (relayed, relay):
        active = await harness.smartregion_bot(
            synapse, tmp_path / "one", {"DATABASE_URL": relayed, "BOT_FAILOVER_SECONDS": "3"}
        )
        standby = pair(active, tmp_path / "two", DATABASE_URL=postgres_url)
        try:
            room = await start_in_turn(alice, active, standby)
            relay.cut()
            assert active.process is not None
            assert await asyncio.wait_for(active.process.wait(), WAIT_S) == EXIT_LOST_LEADERSHIP
            command = await alice.say(room, "!hilfe")
            reply = await alice.reply_to(command, timeout=WAIT_S)

            assert reply.sender == active.user_id
            assert logged_at(active, "Lost the leadership") < logged_at(standby, ACTIVE)
        finally:
            await asyncio.gather(active.kill(), standby.kill())


async def test_a_second_process_on_the_same_sqlite_file_is_refused(
    synapse: LocalSynapse, make_user: MakeUser, tmp_path: Path
) -> None:
    alice = await make_user("alice")
    running = await harness.smartregion_bot(synapse, tmp_path / "one")
    second = pair(running, tmp_path / "two")
    try:
        await running.start()
        room = await alice.create_room(name="Forum", invite=[running.user_id])
        await alice.wait_joined(room, running.user_id, timeout=WAIT_S)
        await second.start()
        assert second.process is not None
        assert await asyncio.wait_for(second.process.wait(), WAIT_S) == EXIT_ALREADY_RUNNING
        assert "is already running on" in second.log_text()
        assert str(running.pid) in second.log_text()

        command = await alice.say(room, "!hilfe")  # the first one runs on, undisturbed
        await alice.reply_to(command, timeout=WAIT_S)
    finally:
        await asyncio.gather(running.kill(), second.kill())
