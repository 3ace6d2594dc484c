"""The scheduler's own record of job ids, which spares APScheduler a search per new job.

Rebuilding tens of thousands of jobs at start used to cost a linear search each (cancelling
an id APScheduler did not have); the record must still know exactly which jobs exist.
"""

import asyncio
from datetime import timedelta

from bot.clock import FakeClock, SystemClock
from bot.scheduler import Scheduler


async def nothing(*ids: str | int) -> None:
    """A job that only has to exist."""


async def test_a_job_that_ran_is_forgotten(scheduler: Scheduler, fake_clock: FakeClock) -> None:
    scheduler.schedule_at("poll-close:1", fake_clock.now() + timedelta(minutes=1), nothing, 1)
    fake_clock.advance(timedelta(minutes=2))
    assert await scheduler.run_due() == 1

    assert scheduler.cancel("poll-close:1") is False
    scheduler.schedule_at("poll-close:1", fake_clock.now() + timedelta(minutes=1), nothing, 1)
    assert scheduler.job_ids() == ["poll-close:1"]
    assert scheduler.cancel("poll-close:1") is True


async def test_many_jobs_before_start_are_each_scheduled_once(
    scheduler: Scheduler, fake_clock: FakeClock
) -> None:
    for number in range(2000):
        scheduler.schedule_at(f"effect:{number}", fake_clock.now() + timedelta(days=1), nothing)
    scheduler.schedule_at("effect:7", fake_clock.now() + timedelta(days=2), nothing)

    assert len(scheduler.job_ids()) == 2000
    assert scheduler.cancel("effect:7") is True
    assert scheduler.cancel("effect:7") is False
    assert len(scheduler.job_ids()) == 1999


async def test_a_job_fired_by_the_started_scheduler_is_forgotten() -> None:
    clock = SystemClock()
    fired = asyncio.Event()

    async def job() -> None:
        fired.set()

    async with Scheduler(clock) as scheduler:
        scheduler.schedule_at("soon", clock.now() + timedelta(seconds=0.1), job)
        async with asyncio.timeout(5):
            await fired.wait()
        await asyncio.sleep(0)  # APScheduler removes a one-shot job right after it ran
        assert scheduler.job_ids() == []
        assert scheduler.cancel("soon") is False
