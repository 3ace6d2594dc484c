"""Timed steps of a question: the department offer expires, the thread is reminded, staff
are alerted.

Jobs live in memory and carry only the question number; they are derived from the stored
questions at start. Each job decides in one transaction whether its step is still due
(`QuestionRepository.set_once`) and queues what it has to say there, so a restart neither
repeats nor skips it, however late the job runs.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable
from datetime import datetime, timedelta
from typing import NamedTuple

from bot.context import Services
from handlers.questions.delivery import CITIZEN, STAFF, THREAD, deliver, staff_platform
from storage.questions.models import Question
from storage.questions.repository import (
    CHOOSING,
    EXPIRED,
    OPEN,
    QuestionRepository,
    QuestionSteps,
    QuestionTimes,
)

logger = logging.getLogger(__name__)

OFFER_TTL = timedelta(hours=24)
"""How long the citizen may take to pick one of the offered departments."""


def _offer_job(number: int) -> str:
    return f"question-offer:{number}"


def _remind_job(number: int) -> str:
    return f"question-remind:{number}"


def _escalate_job(number: int) -> str:
    return f"question-escalate:{number}"


def schedule(
    services: Services, question: Question | QuestionTimes, jobs: _Jobs | None = None
) -> None:
    """Schedule whatever timed step of `question` has not happened yet.

    `jobs`: the job functions, when a rebuild schedules thousands of questions with the same
    three (the scheduler checks each new function object once).
    """
    scheduler = services.scheduler
    settings = services.settings
    jobs = jobs or _jobs(services)
    if question.status == CHOOSING and question.expired_at is None:
        scheduler.schedule_at(
            _offer_job(question.id), question.created_at + OFFER_TTL, jobs.expire, question.id
        )
    if question.status != OPEN or question.routed_at is None:
        return
    if question.reminded_at is None:
        scheduler.schedule_at(
            _remind_job(question.id),
            question.routed_at + settings.question_remind,
            jobs.remind,
            question.id,
        )
    if question.escalated_at is None:
        scheduler.schedule_at(
            _escalate_job(question.id),
            question.routed_at + settings.question_sla,
            jobs.escalate,
            question.id,
        )


class _Jobs(NamedTuple):
    expire: functools.partial[Awaitable[None]]
    remind: functools.partial[Awaitable[None]]
    escalate: functools.partial[Awaitable[None]]


def _jobs(services: Services) -> _Jobs:
    return _Jobs(
        functools.partial(expire_offer, services),
        functools.partial(remind, services),
        functools.partial(escalate, services),
    )


def cancel(services: Services, number: int) -> None:
    """Drop the timers of a question that was answered, closed or routed."""
    for job_id in (_offer_job(number), _remind_job(number), _escalate_job(number)):
        services.scheduler.cancel(job_id)


async def rebuild(services: Services) -> None:
    """At start: the timers of the waiting questions with a step due soon (past ones run at
    once); the scheduler asks for later ones as their time comes near."""
    await services.scheduler.load_ahead(functools.partial(load_timers, services))


async def load_timers(services: Services, after: datetime | None, until: datetime) -> None:
    """Schedule the timers of the questions with a step due after `after` (None: overdue
    ones too) and by `until`."""
    settings = services.settings
    steps = QuestionSteps(OFFER_TTL, settings.question_remind, settings.question_sla)
    async with services.unit_of_work() as uow:
        waiting = await QuestionRepository(uow.session).timers_due(after, until, steps)
    jobs = _jobs(services)
    for question in waiting:
        schedule(services, question, jobs)
    if after is None:
        logger.info("Scheduled the timers of %d questions due soon", len(waiting))


async def _due(services: Services, number: int, offset: timedelta, base: str) -> Question | None:
    """The question if its step is due now; reschedules it if the job ran early."""
    async with services.unit_of_work() as uow:
        question = await QuestionRepository(uow.session).get(number)
    if question is None:
        return None
    start: datetime | None = getattr(question, base)
    if start is None:
        return None
    if start + offset > services.clock.now():
        schedule(services, question)
        return None
    return question


async def expire_offer(services: Services, number: int) -> None:
    """Nobody picked a department within a day: close the offer and tell the citizen."""
    question = await _due(services, number, OFFER_TTL, "created_at")
    if question is None:
        return
    now = services.clock.now()
    async with services.unit_of_work() as uow:
        repo = QuestionRepository(uow.session)
        if not await repo.set_once(
            number, Question.expired_at, now, statuses=(CHOOSING,), new_status=EXPIRED
        ):
            return
        await repo.queue(question, CITIZEN, "offer_expired", now, number=number)
        await uow.commit()
    logger.info("The department offer of question #%d expired", number)
    await deliver(services)


async def remind(services: Services, number: int) -> None:
    """No expert has answered yet: nudge the department in the question's thread."""
    question = await _due(services, number, services.settings.question_remind, "routed_at")
    if question is None:
        return
    now = services.clock.now()
    async with services.unit_of_work() as uow:
        repo = QuestionRepository(uow.session)
        if not await repo.set_once(number, Question.reminded_at, now, statuses=(OPEN,)):
            return
        route = await repo.current_route(number)
        if route is not None:
            await repo.queue(
                question,
                THREAD,
                "reminder",
                now,
                route_id=route.id,
                number=number,
                hours=_hours(services.settings.question_remind),
            )
        await uow.commit()
    logger.info("Reminded the department of question #%d", number)
    await deliver(services)


async def escalate(services: Services, number: int) -> None:
    """Still no answer after the SLA: alert the staff room and tell the citizen it takes longer."""
    question = await _due(services, number, services.settings.question_sla, "routed_at")
    if question is None:
        return
    now = services.clock.now()
    department = services.settings.department(question.department_id or "")
    async with services.unit_of_work() as uow:
        repo = QuestionRepository(uow.session)
        if not await repo.set_once(number, Question.escalated_at, now, statuses=(OPEN,)):
            return
        hours = _hours(services.settings.question_sla)
        current = await repo.current_route(number)
        staff = services.settings.for_platform(staff_platform(question, current))
        if staff.staff_room is not None:
            await repo.queue(
                question,
                STAFF,
                "escalation",
                now,
                number=number,
                department=department.name if department else "?",
                hours=hours,
            )
        await repo.queue(question, CITIZEN, "takes_longer", now, number=number)
        await uow.commit()
    logger.info("Escalated question #%d to the staff room", number)
    await deliver(services)


def _hours(delta: timedelta) -> int:
    return round(delta.total_seconds() / 3600)
