"""Timed jobs: a thin wrapper over APScheduler 3's AsyncIOScheduler.

The database is the source of truth: jobs live in memory only, are derived from stored
state at start-up, and carry plain ids (``str``/``int``), never clients or ORM objects. A
job looks its subject up and decides, in one transaction, whether the effect still happens
and records that it did.

Two ways jobs fire:

* Production: a :class:`~bot.clock.SystemClock` and the started AsyncIOScheduler, which
  fires jobs on the real wall clock by itself. :meth:`Scheduler.run_due` can additionally
  run whatever is already due before :meth:`Scheduler.start`.
* Tests: a :class:`~bot.clock.FakeClock`; the scheduler is *not* started, so APScheduler
  never looks at the real clock, and the test calls ``await scheduler.run_due()`` after
  moving the fake clock. Nothing sleeps.

Only jobs due within :data:`HORIZON` are APScheduler jobs. Later ones wait in a plain heap
and move over as their time comes near: an APScheduler job costs about 60 µs and 1 KB to
create, which made 25,000 rebuilt jobs the largest part of a 3 s start-up. Stored work
that is due far ahead (a year of workshop reminders, SLA timers of thousands of questions)
does not even reach the heap: its owner registers a loader (:meth:`Scheduler.load_ahead`)
that schedules from the database what falls due within the horizon, window by window, so
a start reads and schedules only what is due soon.
"""

import functools
import heapq
import inspect
import logging
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Self

from apscheduler.events import EVENT_JOB_REMOVED, JobEvent
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from bot.clock import Clock

logger = logging.getLogger(__name__)

JobFunction = Callable[..., Awaitable[object]]
Loader = Callable[[datetime | None, datetime], Awaitable[object]]
"""``await loader(after, until)`` schedules the stored jobs due after ``after`` (``None``: any
time, overdue ones included) and by ``until``."""
HORIZON = timedelta(hours=2)
"""Jobs due later than this wait outside APScheduler (see the module docstring)."""
PROMOTE_EVERY = timedelta(hours=1)
"""How often waiting jobs are checked; shorter than HORIZON, so a job is handed to
APScheduler at least an hour before it is due, also if the check itself runs late."""
PROMOTE_JOB = "scheduler:promote"


@dataclass(frozen=True)
class _Waiting:
    when: datetime
    func: JobFunction
    args: tuple[str | int, ...]


class Scheduler:
    """One-shot jobs at given times, identified by stable job ids such as ``"poll-close:17"``.

    Job defaults: ``misfire_grace_time=None`` runs a late job however late it is. APScheduler
    3 would otherwise silently drop a job more than a second late (after a busy event loop,
    a suspended machine or a slow start), and dropping is never right here: the job asks the
    database whether its effect is still due, so only the database decides to skip.
    ``coalesce=True`` and ``max_instances=1``: a job never runs twice at once or in a burst.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._scheduler = AsyncIOScheduler(
            timezone=clock.tz,
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )
        # Ids of the jobs APScheduler holds. Before start() it keeps jobs in a plain list that
        # remove_job searches from the front, so cancelling an id it does not have (which
        # every schedule_at does first) cost O(jobs): rebuilding 25,000 jobs at start took
        # 20 s. Kept exact by the removal event APScheduler sends for every removed job,
        # including one-shot jobs after they ran.
        self._job_ids: set[str] = set()
        self._scheduler.add_listener(self._forget, EVENT_JOB_REMOVED)
        # Jobs beyond the horizon by id, and a heap of (when, id) to find the next ones;
        # a heap entry whose id was cancelled or rescheduled is skipped when popped.
        self._checked: weakref.WeakSet[JobFunction] = weakref.WeakSet()
        """Functions known to be coroutine functions: a rebuild schedules 25,000 jobs with
        a handful of them, and `inspect` unwrapping each partial again cost a tenth of it."""
        self._waiting: dict[str, _Waiting] = {}
        self._waiting_order: list[tuple[datetime, str]] = []
        self._loaded_until: dict[Loader, datetime] = {}
        """Each registered loader and the end of the window it last loaded."""

    def _forget(self, event: JobEvent) -> None:
        self._job_ids.discard(event.job_id)

    def schedule_at(self, job_id: str, when: datetime, func: JobFunction, *args: str | int) -> None:
        """Run ``await func(*args)`` at ``when``, replacing any job with the same id.

        ``when`` must be timezone-aware; a time in the past runs as soon as possible.
        ``func`` must be a coroutine function (``async def``, a bound async method or a
        ``functools.partial`` of one): APScheduler runs anything else in a thread pool, where
        an object with an async ``__call__`` would only create a coroutine and drop it.
        ``args`` must be plain ids, so a job never holds on to a client or a session.
        """
        if func not in self._checked:
            if not inspect.iscoroutinefunction(func):
                raise TypeError(f"job {job_id}: {func!r} is not a coroutine function")
            self._checked.add(func)
        if when.utcoffset() is None:
            raise ValueError(f"naive datetime {when!r}: pass a timezone-aware datetime")
        for arg in args:
            if not isinstance(arg, (str, int)):  # a tuple: cheaper than `str | int` per call
                raise TypeError(f"job {job_id}: arguments must be str or int ids, got {arg!r}")
        # Only an id held here can need replacing; a rebuild at start schedules 25,000
        # new ids, for which cancel() would only look them up a second time.
        if job_id in self._waiting or job_id in self._job_ids:
            self.cancel(job_id)
        if when > self._clock.now() + HORIZON:
            self._waiting[job_id] = _Waiting(when, func, args)
            heapq.heappush(self._waiting_order, (when, job_id))
        else:
            self._add_job(job_id, when, func, args)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("Scheduled job %s at %s", job_id, when)

    def _add_job(
        self, job_id: str, when: datetime, func: JobFunction, args: tuple[str | int, ...]
    ) -> None:
        # A scheduler that is not started yet queues jobs without de-duplicating ids, so
        # replace_existing alone would not replace there; schedule_at cancels first.
        self._scheduler.add_job(
            func, DateTrigger(run_date=when), args=args, id=job_id, replace_existing=True
        )
        self._job_ids.add(job_id)

    def _promote(self) -> None:
        """Hand the waiting jobs that are now within the horizon to APScheduler."""
        limit = self._clock.now() + HORIZON
        while self._waiting_order and self._waiting_order[0][0] <= limit:
            when, job_id = heapq.heappop(self._waiting_order)
            waiting = self._waiting.get(job_id)
            if waiting is None or waiting.when != when:
                continue  # cancelled, or rescheduled to another time
            del self._waiting[job_id]
            self._add_job(job_id, when, waiting.func, waiting.args)

    async def load_ahead(self, loader: Loader) -> None:
        """Register `loader` and let it schedule what is due by the horizon (overdue included).

        From then on each promotion (hourly, and every `run_due`) asks it for the next
        window, so a stored job is scheduled at least an hour before it is due. Jobs its
        owner creates meanwhile are scheduled by the owner as before; a loader that meets
        one again replaces it by its id.
        """
        until = self._clock.now() + HORIZON
        await loader(None, until)
        self._loaded_until[loader] = until

    async def _load(self) -> None:
        """Ask every loader for the window from where it stopped to the horizon. A loader
        that fails (the database is away) is asked for the same window next time."""
        until = self._clock.now() + HORIZON
        for loader, after in list(self._loaded_until.items()):
            if until <= after:
                continue
            try:
                await loader(after, until)
            except Exception:
                logger.exception("Loading the jobs due by %s failed; retrying later", until)
                continue
            self._loaded_until[loader] = until

    async def _promote_periodically(self) -> None:
        await self._load()
        self._promote()
        self._add_job(
            PROMOTE_JOB, self._clock.now() + PROMOTE_EVERY, self._promote_periodically, ()
        )

    def cancel(self, job_id: str) -> bool:
        """Remove the job; False if there was none."""
        if self._waiting.pop(job_id, None) is not None:
            logger.debug("Cancelled job %s", job_id)
            return True
        if job_id not in self._job_ids:
            return False
        try:
            self._scheduler.remove_job(job_id)
        except JobLookupError:
            return False
        logger.debug("Cancelled job %s", job_id)
        return True

    def job_ids(self) -> list[str]:
        """The ids of all jobs not yet run, sorted."""
        handed_over = (job.id for job in self._scheduler.get_jobs() if job.id != PROMOTE_JOB)
        return sorted([*handed_over, *self._waiting])

    async def run_due(self) -> int:
        """Run every job due by the injected clock, earliest first; returns how many ran.

        Each job is removed before it runs, so APScheduler cannot run it as well. A job that
        fails is logged and the others still run, as under APScheduler. Jobs that an earlier
        job cancels or replaces are skipped; jobs it schedules wait for the next call. The
        loaders are asked first, as the hourly promotion would have asked them by now.
        """
        await self._load()
        self._promote()
        now = self._clock.now()
        due = sorted(
            (
                job
                for job in self._scheduler.get_jobs()
                if job.trigger.run_date <= now and job.id != PROMOTE_JOB
            ),
            key=lambda job: (job.trigger.run_date, job.id),
        )
        ran = 0
        for job in due:
            if self._scheduler.get_job(job.id) is not job:
                continue
            self._scheduler.remove_job(job.id)
            ran += 1
            try:
                await job.func(*job.args)
            except Exception:
                logger.exception("Scheduled job %s failed", job.id)
        return ran

    def start(self, before_overdue: Callable[[], Awaitable[object]] | None = None) -> None:
        """Start firing jobs on the real wall clock (production only).

        Jobs already due (those that fell due while the bot was down, and the start hooks'
        "now") first await ``before_overdue()`` if given: the App lets the commands that
        arrived with the first sync go first. Each such job still runs exactly once, as
        the same APScheduler job under its id; only its start waits.
        """
        if before_overdue is not None:
            self._promote()
            now = self._clock.now()
            for job in self._scheduler.get_jobs():
                if job.trigger.run_date > now:
                    continue
                waiting = functools.partial(_after, before_overdue, job.func)
                self._scheduler.remove_job(job.id)  # before start, add_job would not replace
                self._add_job(job.id, job.trigger.run_date, waiting, tuple(job.args))
        self._add_job(PROMOTE_JOB, self._clock.now(), self._promote_periodically, ())
        self._scheduler.start()

    def shutdown(self) -> None:
        """Stop firing jobs; running jobs are cancelled. A no-op if not started.

        APScheduler completes the shutdown on the next event-loop iteration.
        """
        if self._scheduler.running:
            self._scheduler.shutdown()

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.shutdown()


async def _after(
    first: Callable[[], Awaitable[object]], func: JobFunction, *args: str | int
) -> None:
    """Run ``func(*args)`` once ``first()`` has returned (an overdue job at start)."""
    await first()
    await func(*args)
