"""The weekly digest in every platform's staff room, once per week across restarts.

The digest is due each week at the configured weekday and time (`BOT_DIGEST_DAY`,
`BOT_DIGEST_TIME`; default Monday 08:00 in the bot's zone) and reports on the last full
calendar week before it. The transaction that decides it claims the week (a `Digest` row
with the figures frozen) and records a delivery per platform with a staff room; a delivery
is marked sent once its message and chart went out under stable dedupe keys. So a second
run in the same week (a restart, a second instance) decides nothing, and a crash between
deciding and sending resends the same digest without doubling it. A send that fails (the
platform unreachable) is tried again after RETRY_AFTER.

The job is rebuilt at start: a digest whose time passed while the bot was down (this
week's), or one decided but not delivered, goes out right after the start. A week whose
time passed entirely in an earlier downtime is not sent late: only the latest counts.
Until something has happened, a new installation sends no digest: the first would report
weeks before anyone used the bot.
"""

from __future__ import annotations

import functools
import logging
from datetime import date, datetime, timedelta

from bot.context import Services
from bot.errors import UnknownPlatform
from bot.router import on_start
from handlers.insight.figures import Report, collect, week_start
from handlers.insight.report import compose
from storage.insight.repository import InsightRepository

logger = logging.getLogger(__name__)

JOB_ID = "insight-digest"
RETRY_AFTER = timedelta(minutes=15)


def staff_platforms(services: Services) -> list[str]:
    """The platforms with a staff room: where the digest goes."""
    platforms = services.settings.platforms
    return sorted(name for name, platform in platforms.items() if platform.staff_room)


def due_in_week(monday: date, services: Services) -> datetime | None:
    """When the digest is due in the week starting `monday`; None when it is switched off
    or there is no staff room to send it to."""
    settings = services.settings
    if settings.digest_weekday is None or not staff_platforms(services):
        return None
    day = monday + timedelta(days=settings.digest_weekday)
    return datetime.combine(day, settings.digest_time, tzinfo=settings.timezone)


def next_due(now: datetime, services: Services) -> datetime | None:
    """The first due time after `now`."""
    monday = week_start(now.date())
    this_week = due_in_week(monday, services)
    if this_week is None or this_week > now:
        return this_week
    return due_in_week(monday + timedelta(weeks=1), services)


@on_start
async def schedule_digest(services: Services) -> None:
    """Now, if this week's digest is due and undecided or a delivery is unsent; else the
    next due time."""
    now = services.clock.now()
    monday = week_start(now.date())
    this_week = due_in_week(monday, services)
    async with services.unit_of_work() as uow:
        repository = InsightRepository(uow.session)
        unsent = await repository.unsent()
        decided = await repository.decided(monday - timedelta(weeks=1))
    when: datetime | None
    if unsent or (this_week is not None and this_week <= now and not decided):
        when = now
    else:
        when = next_due(now, services)
    if when is not None:
        services.scheduler.schedule_at(JOB_ID, when, functools.partial(run_digest, services))


async def run_digest(services: Services) -> bool:
    """Decide this week's digest if it is due and undecided, then deliver what is unsent;
    True if this call decided it."""
    now = services.clock.now()
    monday = week_start(now.date())
    due = due_in_week(monday, services)
    decided = finished = False
    try:
        if due is not None and due <= now:
            decided = await _decide(services, monday - timedelta(weeks=1), now)
        await deliver_unsent(services)
        finished = True
    finally:
        # A platform that could not be reached is tried again soon, not next week.
        following = next_due(now, services) if finished else now + RETRY_AFTER
        if following is not None:
            services.scheduler.schedule_at(
                JOB_ID, following, functools.partial(run_digest, services)
            )
    return decided


async def _decide(services: Services, week: date, now: datetime) -> bool:
    settings = services.settings
    platforms = staff_platforms(services)
    async with services.unit_of_work() as uow:
        repository = InsightRepository(uow.session)
        if await repository.decided(week):
            return False
        report = await collect(uow, week, 1, settings.timezone, settings.question_sla)
        if report.empty and not await repository.any_decided():
            # A new installation: a report of weeks before anyone used the bot says nothing.
            logger.info("No digest of %s: nothing has happened yet", week.isoformat())
            return False
        if not await repository.claim_week(week, report.to_json(), platforms, now):
            return False
        await uow.commit()
    logger.info("Weekly digest of %s decided for %s", week.isoformat(), ", ".join(platforms))
    return True


async def deliver_unsent(services: Services) -> int:
    """Post every decided, unsent digest to its platform's staff room; returns how many."""
    async with services.unit_of_work() as uow:
        unsent = [
            (delivery.week_start, delivery.platform, figures)
            for delivery, figures in await InsightRepository(uow.session).unsent()
        ]
    delivered = 0
    for week, platform, figures in unsent:
        if await _deliver(services, week, platform, Report.from_json(figures)):
            delivered += 1
    return delivered


async def _deliver(services: Services, week: date, platform: str, report: Report) -> bool:
    staff_room = services.settings.for_platform(platform).staff_room
    try:
        adapter = services.adapter_for(platform)
    except UnknownPlatform:
        logger.debug("The %s digest of %s waits: %s is not running", platform, week, platform)
        return False
    if staff_room is None:
        logger.warning("The %s digest of %s waits: %s has no staff room", platform, week, platform)
        return False
    message, chart = await compose(services, services.settings.language, report)
    key = f"insight-digest:{week.isoformat()}:{platform}"
    await adapter.send(staff_room, message, dedupe_key=key)
    if chart is not None:
        await adapter.upload(staff_room, chart, dedupe_key=f"{key}:chart")
    async with services.unit_of_work() as uow:
        await InsightRepository(uow.session).mark_sent(week, platform, services.clock.now())
        await uow.commit()
    logger.info("Weekly digest of %s posted on %s", week.isoformat(), platform)
    return True
