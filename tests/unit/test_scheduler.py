"""The scheduler: a fake clock drives run_due; the real AsyncIOScheduler fires on its own."""

import asyncio
from datetime import datetime, timedelta

import pytest

from bot.clock import FakeClock, SystemClock
from bot.scheduler import Scheduler


class Recorder:
    """A job whose ``run`` remembers its calls, like a handler looking up an id."""

    def __init__(self) -> None:
        self.calls: list[tuple[str | int, ...]] = []
        self.fired = asyncio.Event()

    async def __call__(self, *ids: str | int) -> None:
        await self.run(*ids)

    async def run(self, *ids: str | int) -> None:
        self.calls.append(ids)
        self.fired.set()


async def test_a_future_job_waits_until_the_clock_reaches_it(
    scheduler: Scheduler, fake_clock: FakeClock
) -> None:
    job = Recorder()
    scheduler.schedule_at("poll-close:7", fake_clock.now() + timedelta(hours=1), job.run, 7)

    assert await scheduler.run_due() == 0
    fake_clock.advance(timedelta(minutes=59))
    assert await scheduler.run_due() == 0
    assert job.calls == []

    fake_clock.advance(timedelta(minutes=1))
    assert await scheduler.run_due() == 1
    assert job.calls == [(7,)]
    assert scheduler.job_ids() == []
    assert await scheduler.run_due() == 0


async def test_a_job_in_the_past_runs_at_once(scheduler: Scheduler, fake_clock: FakeClock) -> None:
    job = Recorder()
    scheduler.schedule_at(
        "reminder:3", fake_clock.now() - timedelta(days=2), job.run, "workshop", 3
    )

    assert await scheduler.run_due() == 1
    assert job.calls == [("workshop", 3)]


async def test_due_jobs_run_in_time_order(scheduler: Scheduler, fake_clock: FakeClock) -> None:
    job = Recorder()
    now = fake_clock.now()
    scheduler.schedule_at("b", now + timedelta(minutes=2), job.run, "second")
    scheduler.schedule_at("a", now + timedelta(minutes=1), job.run, "first")
    scheduler.schedule_at("c", now + timedelta(minutes=3), job.run, "later")

    fake_clock.advance(timedelta(minutes=2))
    assert await scheduler.run_due() == 2
    assert job.calls == [("first",), ("second",)]
    assert scheduler.job_ids() == ["c"]


async def test_cancel_removes_a_job(scheduler: Scheduler, fake_clock: FakeClock) -> None:
    job = Recorder()
    scheduler.schedule_at("announce:1", fake_clock.now() + timedelta(minutes=5), job.run, 1)

    assert scheduler.cancel("announce:1") is True
    assert scheduler.cancel("announce:1") is False
    fake_clock.advance(timedelta(hours=1))
    assert await scheduler.run_due() == 0
    assert job.calls == []


async def test_scheduling_an_id_again_replaces_the_job(
    scheduler: Scheduler, fake_clock: FakeClock
) -> None:
    job = Recorder()
    now = fake_clock.now()
    scheduler.schedule_at("poll-close:7", now + timedelta(minutes=5), job.run, "old")
    scheduler.schedule_at("poll-close:7", now + timedelta(minutes=30), job.run, "new")

    assert scheduler.job_ids() == ["poll-close:7"]
    fake_clock.advance(timedelta(minutes=10))
    assert await scheduler.run_due() == 0
    fake_clock.advance(timedelta(minutes=20))
    assert await scheduler.run_due() == 1
    assert job.calls == [("new",)]


async def test_a_job_cancelled_by_an_earlier_job_does_not_run(
    scheduler: Scheduler, fake_clock: FakeClock
) -> None:
    later = Recorder()

    async def close_poll(poll_id: int) -> None:
        scheduler.cancel(f"remind:{poll_id}")

    now = fake_clock.now()
    scheduler.schedule_at("close:1", now + timedelta(minutes=1), close_poll, 1)
    scheduler.schedule_at("remind:1", now + timedelta(minutes=2), later.run, 1)

    fake_clock.advance(timedelta(minutes=5))
    assert await scheduler.run_due() == 1
    assert later.calls == []


async def test_a_failing_job_does_not_stop_the_others(
    scheduler: Scheduler, fake_clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    job = Recorder()

    async def broken(_poll_id: int) -> None:
        raise RuntimeError("boom")

    scheduler.schedule_at("broken", fake_clock.now(), broken, 1)
    scheduler.schedule_at("fine", fake_clock.now(), job.run, 2)

    assert await scheduler.run_due() == 2
    assert job.calls == [(2,)]
    assert "Scheduled job broken failed" in caplog.text


def test_jobs_are_coroutines_with_ids_at_aware_times(
    scheduler: Scheduler, fake_clock: FakeClock
) -> None:
    job = Recorder()
    with pytest.raises(TypeError, match="not a coroutine function"):
        scheduler.schedule_at("x", fake_clock.now(), job, 1)  # async __call__ is not enough
    with pytest.raises(TypeError, match="str or int ids"):
        scheduler.schedule_at("x", fake_clock.now(), job.run, object())
    with pytest.raises(ValueError, match="naive"):
        scheduler.schedule_at("x", datetime(2025, 3, 3, 9, 0), job.run, 1)
    assert scheduler.job_ids() == []


async def test_the_started_scheduler_fires_jobs_on_the_wall_clock() -> None:
    clock = SystemClock()
    soon, overdue = Recorder(), Recorder()
    async with Scheduler(clock) as scheduler:
        scheduler.schedule_at("soon", clock.now() + timedelta(seconds=0.2), soon.run, 1)
        # Far beyond APScheduler's default misfire grace of one second: still runs.
        scheduler.schedule_at("overdue", clock.now() - timedelta(hours=1), overdue.run, 2)
        async with asyncio.timeout(5):
            await soon.fired.wait()
            await overdue.fired.wait()
    assert (soon.calls, overdue.calls) == ([(1,)], [(2,)])


async def test_jobs_beyond_the_horizon_wait_outside_apscheduler_and_still_run_in_order(
    scheduler: Scheduler, fake_clock: FakeClock
) -> None:
    job = Recorder()
    now = fake_clock.now()
    scheduler.schedule_at("reminder:2", now + timedelta(days=10, minutes=1), job.run, 2)
    scheduler.schedule_at("reminder:1", now + timedelta(days=10), job.run, 1)
    scheduler.schedule_at("soon", now + timedelta(minutes=5), job.run, 0)
    assert scheduler.job_ids() == ["reminder:1", "reminder:2", "soon"]
    assert [job.id for job in scheduler._scheduler.get_jobs()] == ["soon"]

    fake_clock.advance(timedelta(days=9, hours=23))
    assert await scheduler.run_due() == 1
    assert job.calls == [(0,)]
    fake_clock.advance(timedelta(hours=2))
    assert await scheduler.run_due() == 2
    assert job.calls == [(0,), (1,), (2,)]
    assert scheduler.job_ids() == []


async def test_a_waiting_job_can_be_cancelled_or_moved(
    scheduler: Scheduler, fake_clock: FakeClock
) -> None:
    job = Recorder()
    now = fake_clock.now()
    scheduler.schedule_at("gone", now + timedelta(days=3), job.run, "gone")
    scheduler.schedule_at("moved", now + timedelta(days=3), job.run, "moved")
    assert scheduler.cancel("gone") is True
    assert scheduler.cancel("gone") is False
    scheduler.schedule_at("moved", now + timedelta(days=1), job.run, "moved")

    fake_clock.advance(timedelta(days=1))
    assert await scheduler.run_due() == 1
    fake_clock.advance(timedelta(days=3))
    assert await scheduler.run_due() == 0
    assert job.calls == [("moved",)]


async def test_the_started_scheduler_hands_waiting_jobs_over_and_lists_only_real_ones() -> None:
    clock = SystemClock()
    soon = Recorder()
    async with Scheduler(clock) as scheduler:
        scheduler.schedule_at("later", clock.now() + timedelta(hours=3), soon.run, 1)
        scheduler.schedule_at("soon", clock.now() + timedelta(seconds=0.2), soon.run, 2)
        async with asyncio.timeout(5):
            await soon.fired.wait()
        assert scheduler.job_ids() == ["later"]
    assert soon.calls == [(2,)]


class StoredJobs:
    """A loader over jobs kept elsewhere (the database, in the bot): it schedules those due
    in the window it is asked for and remembers the windows."""

    def __init__(self, scheduler: Scheduler, due: dict[str, datetime], job: Recorder) -> None:
        self.scheduler, self.due, self.job = scheduler, due, job
        self.windows: list[tuple[datetime | None, datetime]] = []
        self.failing = False

    async def __call__(self, after: datetime | None, until: datetime) -> None:
        self.windows.append((after, until))
        if self.failing:
            raise ConnectionError("the database is away")
        for job_id, when in self.due.items():
            if (after is None or when > after) and when <= until:
                self.scheduler.schedule_at(job_id, when, self.job.run, job_id)


async def test_stored_jobs_are_loaded_window_by_window_and_each_runs_once(
    scheduler: Scheduler, fake_clock: FakeClock
) -> None:
    job = Recorder()
    start = fake_clock.now()
    stored = StoredJobs(
        scheduler,
        {
            "overdue": start - timedelta(days=1),
            "soon": start + timedelta(hours=1),
            "tomorrow": start + timedelta(days=1),
            "next-month": start + timedelta(days=30),
        },
        job,
    )
    await scheduler.load_ahead(stored)
    assert scheduler.job_ids() == ["overdue", "soon"]  # the rest stays stored

    horizon = timedelta(hours=2)
    ends = [start + horizon]
    assert await scheduler.run_due() == 1
    fake_clock.advance(timedelta(days=1))
    ends.append(fake_clock.now() + horizon)
    assert await scheduler.run_due() == 2  # "soon" and "tomorrow", loaded on the way
    fake_clock.advance(timedelta(days=30))
    ends.append(fake_clock.now() + horizon)
    assert await scheduler.run_due() == 1
    assert job.calls == [("overdue",), ("soon",), ("tomorrow",), ("next-month",)]
    assert stored.windows == [(None, ends[0]), (ends[0], ends[1]), (ends[1], ends[2])]


async def test_a_window_that_failed_to_load_is_asked_for_again(
    scheduler: Scheduler, fake_clock: FakeClock
) -> None:
    job = Recorder()
    start = fake_clock.now()
    stored = StoredJobs(scheduler, {"tomorrow": start + timedelta(days=1)}, job)
    await scheduler.load_ahead(stored)
    fake_clock.advance(timedelta(days=1))
    stored.failing = True
    assert await scheduler.run_due() == 0
    stored.failing = False
    fake_clock.advance(timedelta(minutes=5))
    assert await scheduler.run_due() == 1
    assert job.calls == [("tomorrow",)]
    assert stored.windows[1][0] == stored.windows[2][0] == start + timedelta(hours=2)
