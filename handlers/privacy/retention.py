"""The daily retention purge: old questions and old workshop registrations are deleted.

Runs once per local calendar day at RUN_AT. The day is recorded in the purge's own
transaction, so a second run on the same day (a restart, two instances) deletes nothing
and a crash mid-way leaves the day unclaimed for the next try. The job is rebuilt at start;
if the bot was down at RUN_AT, the day's run happens a minute after the start.
"""

from __future__ import annotations

import functools
import logging
from datetime import date, datetime, time, timedelta

from bot.context import Services
from bot.router import on_start
from handlers.privacy.commands import CONFIRM_WINDOW
from handlers.questions.routing import build_router
from storage.privacy.models import RetentionRun
from storage.privacy.repository import PrivacyRepository
from storage.questions.repository import QuestionRepository, delete_question_rows
from storage.workshops.repository import WorkshopRepository

logger = logging.getLogger(__name__)

JOB_ID = "retention"
RUN_AT = time(3, 30)
"""Local time of the daily run: quiet hours, and outside the daylight-saving gap (2-3 am)."""
CATCH_UP_DELAY = timedelta(minutes=1)
"""A run missed while the bot was down waits this long after the start: purging a year of
registrations holds the database for a while, and the first commands come first
(bench.scale's profile showed the first `!ideen top` waiting a second behind it)."""


def run_time(day: date, services: Services) -> datetime:
    return datetime.combine(day, RUN_AT, tzinfo=services.clock.tz)


@on_start
async def schedule_retention(services: Services) -> None:
    """Today's run soon after the start if it is due and has not happened, else the next
    run at RUN_AT."""
    now = services.clock.now()
    today = now.date()
    async with services.unit_of_work() as uow:
        done_today = await PrivacyRepository(uow.session).has_run(today)
    if now >= run_time(today, services) and not done_today:
        when = now + CATCH_UP_DELAY
    elif now < run_time(today, services):
        when = run_time(today, services)
    else:
        when = run_time(today + timedelta(days=1), services)
    services.scheduler.schedule_at(JOB_ID, when, functools.partial(run_retention, services))


async def run_retention(services: Services) -> RetentionRun | None:
    """Purge what is past its retention period; None if today's run had happened already."""
    now = services.clock.now()
    settings = services.settings
    try:
        async with services.unit_of_work() as uow:
            privacy = PrivacyRepository(uow.session)
            run = await privacy.claim_retention_day(now.date(), now)
            if run is None:
                logger.debug("Retention already ran today")
                return None
            cutoff = now - timedelta(days=settings.retention_questions_days)
            questions = await QuestionRepository(uow.session).ended_before(cutoff)
            await delete_question_rows(uow.session, questions)
            run.questions = len(questions)
            run.registrations = await WorkshopRepository(
                uow.session
            ).purge_registrations_ended_before(
                now - timedelta(days=settings.retention_workshops_days)
            )
            await privacy.forget_erasure_requests_before(now - CONFIRM_WINDOW)
            await uow.commit()
    finally:
        tomorrow = run_time(now.date() + timedelta(days=1), services)
        services.scheduler.schedule_at(JOB_ID, tomorrow, functools.partial(run_retention, services))
    logger.info(
        "Retention: deleted %d questions (with their answers) and %d workshop registrations",
        run.questions,
        run.registrations,
    )
    if run.questions:
        await build_router(services)  # examples taken from the purged questions are gone
    return run
