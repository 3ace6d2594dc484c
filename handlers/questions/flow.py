"""What happens to a question, step by step: asked, routed, answered, forwarded, closed.

Each step is one transaction that marks the triggering event processed, changes the
question and queues everything the bot has to say about it (handlers.questions.delivery);
after the commit the notices are sent and the timers adjusted. Commands and listeners in
handlers.questions.commands check permissions and parse; this module only does.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.config import Department
from bot.context import Actor, IncomingMessage, Services
from bot.errors import AlreadyProcessed
from handlers.questions import timers
from handlers.questions.delivery import CITIZEN, ROOT, THREAD, deliver
from handlers.questions.routing import pseudonym_code, question_router
from storage.questions.models import Question, QuestionMessage, QuestionRoute
from storage.questions.repository import (
    ACTIVE,
    ANSWERED,
    CHOOSING,
    CLOSED,
    OPEN,
    QuestionRepository,
)
from storage.uow import UnitOfWork

logger = logging.getLogger(__name__)

ANSWER, FOLLOWUP = "answer", "followup"


@dataclass(frozen=True)
class Event:
    """The chat event that triggers a step; it is marked processed with the step."""

    platform: str
    event_id: str

    @classmethod
    def of(cls, message: IncomingMessage) -> Event:
        return cls(message.actor.platform, message.event_id)


async def department_room(
    services: Services, department: Department, platform: str
) -> tuple[str, str]:
    """`(platform, room id)` where a question to `department` goes.

    Its room on the asker's `platform` if it has one there, else its room on another
    running platform, so experts answer whichever platform the citizen asked on.
    """
    for name in (platform, *department.rooms):
        if name in department.rooms and name in services.adapters:
            return name, await services.adapter_for(name).resolve_room(department.rooms[name])
    raise LookupError(f"department {department.id} has no room on a running chat platform")


async def _claim(uow: UnitOfWork, event: Event) -> QuestionRepository:
    if not await uow.events.mark_processed(event.platform, event.event_id):
        raise AlreadyProcessed
    return QuestionRepository(uow.session)


def department_name(services: Services, department_id: str | None) -> str:
    """The department's name, or its id if the departments file no longer has it."""
    department = services.settings.department(department_id or "")
    return department.name if department else (department_id or "?")


async def ask(
    services: Services,
    message: IncomingMessage,
    text: str,
    *,
    public: bool,
    department: Department | None,
    how: str,
    candidates: Sequence[str] = (),
    publish: bool = False,
) -> Question:
    """Store a new question: routed to `department` at once, or waiting for the citizen's pick.

    `publish` is the citizen's consent that the question and its answers appear on the
    public page (without their name), apart from `public` (experts see their name).
    """
    room = (
        await department_room(services, department, message.actor.platform) if department else None
    )
    now = services.clock.now()
    async with services.unit_of_work() as uow:
        repo = await _claim(uow, Event.of(message))
        question = await repo.create(
            platform=message.actor.platform,
            asker=message.actor.id,
            asker_name=message.actor.display_name,
            public=public,
            publish=publish,
            text=text,
            origin_room_id=message.place.room_id,
            origin_event_id=message.event_id,
            origin_direct=message.place.is_direct,
            status=CHOOSING if department is None else OPEN,
            candidates=json.dumps(list(candidates)),
            created_at=now,
        )
        if department is not None and room is not None:
            await _route(services, repo, question, department, room, how=how, by=None)
            await repo.queue(
                question, CITIZEN, "routed", now, number=question.id, department=department.name
            )
        await uow.commit()
    logger.info("Question #%d asked (%s)", question.id, how if department else "offered")
    timers.schedule(services, question)
    await deliver(services)
    return question


async def pick(
    services: Services, number: int, department: Department, event: Event
) -> Question | None:
    """Route a question whose asker picked one of the offered departments.

    None if it was routed or expired meanwhile (the offer is no longer open).
    """
    room = await department_room(services, department, event.platform)
    now = services.clock.now()
    async with services.unit_of_work() as uow:
        repo = await _claim(uow, event)
        question = await repo.get(number)
        if question is None or question.status != CHOOSING:
            return None
        await _route(services, repo, question, department, room, how="choice", by=None)
        await repo.queue(
            question, CITIZEN, "routed", now, number=question.id, department=department.name
        )
        await uow.commit()
    logger.info("Question #%d routed by the asker's choice", number)
    timers.cancel(services, number)
    timers.schedule(services, question)
    await deliver(services)
    return question


async def answer(
    services: Services,
    question: Question,
    route: QuestionRoute,
    expert: Actor,
    text: str,
    event: Event,
    *,
    echo_in_thread: bool,
) -> None:
    """Relay an expert's answer to the citizen; `echo_in_thread` if it was not written there."""
    department = department_name(services, route.department_id)
    now = services.clock.now()
    async with services.unit_of_work() as uow:
        repo = await _claim(uow, event)
        await repo.add_message(
            question_id=question.id,
            kind=ANSWER,
            platform=event.platform,
            event_id=event.event_id,
            author=expert.id,
            author_name=expert.display_name,
            department_id=route.department_id,
            text=text,
            created_at=now,
        )
        first = await repo.set_once(
            question.id, Question.answered_at, now, statuses=(OPEN,), new_status=ANSWERED
        )
        await repo.queue(
            question,
            CITIZEN,
            "answer",
            now,
            number=question.id,
            expert=expert.display_name,
            department=department,
            text=text,
        )
        if echo_in_thread:
            await repo.queue(
                question,
                THREAD,
                "answer_echo",
                now,
                route_id=route.id,
                number=question.id,
                expert=expert.display_name,
                text=text,
            )
        await uow.commit()
    logger.info("Relayed an answer to question #%d", question.id)
    if first:
        timers.cancel(services, question.id)
    await deliver(services)


async def close(
    services: Services, question: Question, closer: Actor, event: Event, *, tell_citizen: bool
) -> bool:
    """Close an open question; False if it was closed meanwhile."""
    now = services.clock.now()
    async with services.unit_of_work() as uow:
        repo = await _claim(uow, event)
        if not await repo.set_once(
            question.id, Question.closed_at, now, statuses=ACTIVE, new_status=CLOSED
        ):
            return False
        route = await repo.current_route(question.id)
        if route is not None:
            await repo.queue(
                question,
                THREAD,
                "closed_thread",
                now,
                route_id=route.id,
                number=question.id,
                name=closer.display_name,
            )
        if tell_citizen:
            await repo.queue(question, CITIZEN, "closed", now, number=question.id)
        await uow.commit()
    logger.info("Question #%d closed", question.id)
    timers.cancel(services, question.id)
    await deliver(services)
    return True


async def forward(
    services: Services, question: Question, department: Department, expert: Actor, event: Event
) -> None:
    """Move the question to another department's room as a new thread, with its history.

    The question becomes a training example for the new department and against the old one,
    so the router learns from the correction; the timers keep counting from the first routing.
    """
    room = await department_room(services, department, question.platform)
    router = await question_router(services)
    now = services.clock.now()
    async with services.unit_of_work() as uow:
        repo = await _claim(uow, event)
        question = await repo.get(question.id) or question
        previous = await repo.current_route(question.id)
        history = _history(services, await repo.messages(question.id))
        await _route(
            services,
            repo,
            question,
            department,
            room,
            how="forward",
            by=expert.id,
            history=history,
            from_department=department_name(services, previous.department_id if previous else None),
        )
        if previous is not None:
            await repo.queue(
                question,
                THREAD,
                "moved_thread",
                now,
                route_id=previous.id,
                number=question.id,
                department=department.name,
                name=expert.display_name,
            )
        await repo.queue(
            question, CITIZEN, "forwarded", now, number=question.id, department=department.name
        )
        previous_id = previous.department_id if previous else None
        await repo.add_example(
            question.text, department.id, question.id, expert.id, now, previous_id
        )
        await uow.commit()
    router.forward(question.text, department.id, previous_id)
    logger.info("Question #%d forwarded; the router learned from it", question.id)
    await deliver(services)


async def follow_up(
    services: Services, question: Question, asker: Actor, text: str, event: Event
) -> None:
    """Add the citizen's follow-up to the question's thread."""
    now = services.clock.now()
    async with services.unit_of_work() as uow:
        repo = await _claim(uow, event)
        await repo.add_message(
            question_id=question.id,
            kind=FOLLOWUP,
            platform=event.platform,
            event_id=event.event_id,
            author=asker.id,
            author_name=asker.display_name,
            department_id=None,
            text=text,
            created_at=now,
        )
        route = await repo.current_route(question.id)
        if route is not None:
            await repo.queue(
                question,
                THREAD,
                "followup",
                now,
                route_id=route.id,
                number=question.id,
                asker=await _asker(services, repo, question),
                text=text,
            )
        await uow.commit()
    logger.info("Follow-up added to question #%d", question.id)
    await deliver(services)


async def _route(
    services: Services,
    repo: QuestionRepository,
    question: Question,
    department: Department,
    room: tuple[str, str],
    *,
    how: str,
    by: str | None,
    history: str = "",
    from_department: str = "",
) -> QuestionRoute:
    """Add the route to `room` (platform, room id) and queue the thread root it will see."""
    now = services.clock.now()
    platform, room_id = room
    route = await repo.add_route(
        question,
        department_id=department.id,
        platform=platform,
        room_id=room_id,
        how=how,
        routed_by=by,
        at=now,
    )
    params: dict[str, str | int] = {
        "number": question.id,
        "department": department.name,
        "asker": await _asker(services, repo, question),
        "text": question.text,
        "prefix": services.settings.command_prefix,
    }
    if how == "forward":
        await repo.queue(
            question,
            ROOT,
            "root_forwarded",
            now,
            route_id=route.id,
            from_department=from_department,
            history=history,
            **params,
        )
    else:
        await repo.queue(question, ROOT, "root", now, route_id=route.id, **params)
    return route


async def _asker(services: Services, repo: QuestionRepository, question: Question) -> str:
    """How the department room names the asker: a pseudonym unless they chose to be public."""
    language = services.settings.language
    if question.public:
        return services.catalog.text(
            language, "questions.public_asker", name=question.asker_name, id=question.asker
        )
    secret = await repo.secret(services.clock.now())
    code = pseudonym_code(secret, question.platform, question.asker)
    return services.catalog.text(language, "questions.pseudonym", code=code)


def _history(services: Services, messages: Sequence[QuestionMessage]) -> str:
    """The thread so far, in the room language, for the forwarded thread root."""
    language = services.settings.language
    catalog = services.catalog
    if not messages:
        return catalog.text(language, "questions.history_empty")
    lines = []
    for message in messages:
        if message.kind == ANSWER:
            lines.append(
                catalog.text(
                    language,
                    "questions.history_answer",
                    name=message.author_name,
                    department=department_name(services, message.department_id),
                    text=message.text,
                )
            )
        else:
            lines.append(catalog.text(language, "questions.history_followup", text=message.text))
    return "\n".join(lines)
