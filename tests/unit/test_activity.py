"""Work that can wait (the start's follow-ups) yields to the events being handled."""

import asyncio
from datetime import timedelta
from types import ModuleType

from bot.activity import Activity
from bot.clock import SystemClock
from bot.context import Actor, Context, IncomingMessage, Place
from bot.router import command
from bot.scheduler import Scheduler
from tests.unit.fakes import make_fake_bot
from tests.unit.test_scheduler import Recorder


async def test_a_follow_up_waits_until_the_command_in_flight_is_handled() -> None:
    activity = Activity(at_most_s=60)
    order: list[str] = []

    async def follow_up() -> None:
        await activity.settled()
        order.append("follow-up")

    with activity.handling():
        waiting = asyncio.create_task(follow_up())
        for _ in range(5):  # every chance to run, had it not waited
            await asyncio.sleep(0)
        order.append("command")
    await waiting
    assert order == ["command", "follow-up"]
    assert not activity.busy


async def test_a_bot_that_is_never_idle_still_runs_its_follow_ups() -> None:
    activity = Activity(at_most_s=0)
    activity.begin()  # a command that never finishes
    await activity.settled()
    assert activity.busy


async def test_the_router_is_busy_exactly_while_it_dispatches(tmp_path) -> None:
    seen: list[bool] = []
    module = ModuleType("activity_test_commands")

    @command("beschaeftigt", "busy")
    async def busy(ctx: Context) -> None:
        seen.append(bot.router.activity.busy)

    module.busy = busy
    bot = await make_fake_bot(tmp_path, (module,))
    message = IncomingMessage(
        "$busy", Actor("matrix", "@bernd:localhost", "Bernd"), Place("!r:localhost", False), "!busy"
    )
    assert not bot.router.activity.busy
    await bot.router.dispatch(message)
    await bot.router.dispatch_all([message])  # a replay: recognised, still counted
    assert seen == [True]
    assert not bot.router.activity.busy


async def test_overdue_jobs_at_start_wait_for_the_commands_and_run_once() -> None:
    clock = SystemClock()
    overdue, later = Recorder(), Recorder()
    asked, commands_done = asyncio.Event(), asyncio.Event()

    async def before_overdue() -> None:
        asked.set()
        await commands_done.wait()

    scheduler = Scheduler(clock)
    scheduler.schedule_at("overdue", clock.now() - timedelta(hours=1), overdue.run, 1)
    scheduler.schedule_at("later", clock.now() + timedelta(hours=3), later.run, 2)
    scheduler.start(before_overdue=before_overdue)
    try:
        async with asyncio.timeout(5):
            await asked.wait()
            assert overdue.calls == []
            commands_done.set()
            await overdue.fired.wait()
        assert overdue.calls == [(1,)]
        assert later.calls == []
        assert scheduler.job_ids() == ["later"]
    finally:
        scheduler.shutdown()


async def test_overdue_jobs_still_run_when_the_bot_stays_busy() -> None:
    clock = SystemClock()
    overdue = Recorder()
    activity = Activity(at_most_s=0)
    activity.begin()  # a command that never finishes
    scheduler = Scheduler(clock)
    scheduler.schedule_at("reminder:7", clock.now() - timedelta(days=1), overdue.run, 7)
    scheduler.start(before_overdue=activity.settled)
    try:
        async with asyncio.timeout(5):
            await overdue.fired.wait()
        assert overdue.calls == [(7,)]
        assert scheduler.job_ids() == []
    finally:
        scheduler.shutdown()
