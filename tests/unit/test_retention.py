"""The daily retention purge with a fake clock: what goes when, once a day, and after downtime."""

from __future__ import annotations

import logging
from datetime import datetime

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.config import ConfigError, Settings
from handlers.privacy import retention
from handlers.privacy.retention import run_retention, schedule_retention
from storage.privacy.models import RetentionRun
from storage.questions.models import Question
from storage.workshops.models import WorkshopRegistration
from tests.unit.fakes import FakeBot, make_fake_bot
from tests.unit.privacy_world import TZ, everything_happened, town


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


async def rows(bot: FakeBot, model: type) -> list:
    async with bot.services.unit_of_work() as uow:
        return list(await uow.session.scalars(select(model)))


async def run_at(bot: FakeBot, when: datetime) -> int:
    clock = bot.services.clock
    assert isinstance(clock, FakeClock)
    clock.set(when)
    return await bot.services.scheduler.run_due()


async def test_old_questions_and_registrations_go_once_their_time_is_up(tmp_path, caplog):
    bot = await town(tmp_path)
    await everything_happened(bot)  # question #3 closed now; workshop #1 ends 3 Dec, 20:00
    assert await bot.services.scheduler.run_due() >= 1  # today's run, right after the start
    assert [q.id for q in await rows(bot, Question)] == [1, 2, 3]

    caplog.set_level(logging.INFO, logger="handlers.privacy.retention")
    await run_at(bot, at(2027, 3, 3, 3, 30))  # 89 days and a bit after the workshop
    assert len(await rows(bot, WorkshopRegistration)) == 2
    await run_at(bot, at(2027, 3, 4, 3, 30))
    assert await rows(bot, WorkshopRegistration) == []

    await run_at(bot, at(2027, 5, 25, 3, 30))  # not quite 180 days after closing
    assert [q.id for q in await rows(bot, Question)] == [1, 2, 3]
    await run_at(bot, at(2027, 5, 26, 3, 30))
    assert [q.id for q in await rows(bot, Question)] == [1, 2]  # still open: kept

    runs = {
        run.day.isoformat(): (run.questions, run.registrations)
        for run in await rows(bot, RetentionRun)
    }
    assert runs["2027-03-04"] == (0, 2) and runs["2027-05-26"] == (1, 0)
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert (
        "Retention: deleted 1 questions (with their answers) and 0 workshop registrations" in logged
    )
    assert not any("@" in line for line in logged)


async def test_a_day_is_purged_once_even_when_asked_twice(tmp_path):
    bot = await make_fake_bot(tmp_path, (retention,))
    first = await run_retention(bot.services)
    assert first is not None
    assert await run_retention(bot.services) is None
    assert len(await rows(bot, RetentionRun)) == 1


async def test_a_run_missed_while_down_happens_at_start_and_not_again(tmp_path):
    bot = await make_fake_bot(tmp_path, (retention,))  # starts at 9:00, after the 3:30 run
    await schedule_retention(bot.services)
    assert await bot.services.scheduler.run_due() == 0  # the first commands come first
    bot.services.clock.advance(retention.CATCH_UP_DELAY)
    assert await bot.services.scheduler.run_due() == 1
    await schedule_retention(bot.services)  # a restart the same day
    assert await bot.services.scheduler.run_due() == 0
    assert await run_at(bot, at(2025, 3, 4, 3, 29)) == 0
    assert await run_at(bot, at(2025, 3, 4, 3, 30)) == 1
    assert [run.day.isoformat() for run in await rows(bot, RetentionRun)] == [
        "2025-03-03",
        "2025-03-04",
    ]


async def test_before_the_daily_time_the_run_waits_for_it(tmp_path):
    bot = await make_fake_bot(tmp_path, (retention,))
    bot.services.clock.set(at(2025, 3, 30, 1, 0))  # the night clocks go forward
    await schedule_retention(bot.services)
    assert await bot.services.scheduler.run_due() == 0
    assert await run_at(bot, at(2025, 3, 30, 3, 30)) == 1


def test_retention_periods_are_whole_days():
    env = {
        "MATRIX_HOMESERVER": "http://127.0.0.1:1",
        "MATRIX_USER_ID": "@bot:localhost",
        "MATRIX_PASSWORD": "x",
        "BOT_RETENTION_QUESTIONS_DAYS": "0",
        "BOT_RETENTION_WORKSHOPS_DAYS": "two weeks",
    }
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(env=env)
    assert any("BOT_RETENTION_QUESTIONS_DAYS" in p for p in raised.value.problems)
    assert any("'two weeks'" in p for p in raised.value.problems)
    env.update(BOT_RETENTION_QUESTIONS_DAYS="30", BOT_RETENTION_WORKSHOPS_DAYS="7")
    settings = Settings.from_env(env=env)
    assert (settings.retention_questions_days, settings.retention_workshops_days) == (30, 7)
