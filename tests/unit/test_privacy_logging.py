"""Logs at INFO and above carry neither message text nor Matrix ids of people."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from storage.db import create_engine
from tests.unit.privacy_world import (
    ALICE,
    BAYERNID,
    BERND,
    GLASFASER,
    MARIA,
    SABINE,
    everything_happened,
    say,
    town,
)


async def test_a_busy_day_logs_no_ids_and_no_text_at_info(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    bot = await town(tmp_path)
    await everything_happened(bot)
    await say(bot, BERND, "!meinedaten")
    await say(bot, BERND, "!datenloeschen")
    await say(bot, BERND, "!datenloeschen bestaetigen")
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert any("Erased a person's data" in line for line in logged)
    secrets = (ALICE, BERND, MARIA, SABINE, "bernd", GLASFASER, BAYERNID, "Mainufer", "Im Frühjahr")
    leaks = [line for line in logged for secret in secrets if secret in line]
    assert leaks == []


async def test_database_errors_do_not_repeat_the_values(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        async with engine.connect() as connection:
            with pytest.raises(SQLAlchemyError) as raised:
                await connection.execute(text("INSERT INTO nowhere VALUES (:who)"), {"who": BERND})
    finally:
        await engine.dispose()
    assert BERND not in str(raised.value)
