"""What expert questions hold about a person, for `!meinedaten`, and how they erase them.

Unanswered questions go, with the thread root in the department room replaced by a note.
Answered ones stay, closed and without the asker (the answer may help the next person);
a thread root that named the asker is rewritten without the name. What the person did as
an expert stays without their id or name.
"""

from __future__ import annotations

from typing import Any

from bot.capabilities import (
    Edit,
    Erased,
    Erasing,
    Reading,
    on_erase,
    personal_data,
    stored_names,
)
from bot.context import Services
from handlers.questions import timers as question_timers
from handlers.questions.delivery import ROOT
from handlers.questions.routing import build_router
from storage.privacy.personal_data import Someone, scrub, scrub_params
from storage.questions.models import QuestionNotice
from storage.questions.personal_data import QuestionPersonalData
from storage.questions.repository import notice_params
from storage.uow import UnitOfWork


@stored_names
async def question_names(uow: UnitOfWork, person: Someone) -> set[str]:
    return await QuestionPersonalData(uow.session, person).names()


@personal_data("questions", order=40)
async def questions_asked(uow: UnitOfWork, reading: Reading) -> list[dict[str, Any]]:
    moment = reading.moment
    return [
        {
            "number": thread.question.id,
            "text": thread.question.text,
            "public": thread.question.public,
            "status": thread.question.status,
            "department": thread.question.department_id,
            "asked_in_direct_chat": thread.question.origin_direct,
            "created_at": moment(thread.question.created_at),
            "routed_at": moment(thread.question.routed_at),
            "answered_at": moment(thread.question.answered_at),
            "closed_at": moment(thread.question.closed_at),
            "messages": [
                {
                    "kind": message.kind,
                    "from": "you" if message.kind == "followup" else message.author_name,
                    "department": message.department_id,
                    "text": message.text,
                    "created_at": moment(message.created_at),
                }
                for message in thread.messages
            ],
            "learned_routing_examples": [
                {
                    "text": example.text,
                    "department": example.department_id,
                    "from_department": example.from_department_id,
                    "created_at": moment(example.created_at),
                }
                for example in thread.examples
            ],
        }
        for thread in await QuestionPersonalData(uow.session, reading.person).questions()
    ]


@personal_data("answers_written", order=10, staff=True)
async def answers_written(uow: UnitOfWork, reading: Reading) -> list[dict[str, Any]]:
    return [
        {
            "question": message.question_id,
            "text": message.text,
            "created_at": reading.moment(message.created_at),
        }
        for message in await QuestionPersonalData(uow.session, reading.person).answers_written()
    ]


@personal_data("questions_forwarded", order=11, staff=True)
async def questions_forwarded(uow: UnitOfWork, reading: Reading) -> list[dict[str, Any]]:
    return [
        {
            "question": route.question_id,
            "to": route.department_id,
            "at": reading.moment(route.routed_at),
        }
        for route in await QuestionPersonalData(uow.session, reading.person).forwards_made()
    ]


@personal_data("routing_examples_taught", order=12, staff=True)
async def routing_examples_taught(uow: UnitOfWork, reading: Reading) -> int:
    return len(await QuestionPersonalData(uow.session, reading.person).examples_taught())


@on_erase(order=40)
async def erase_questions(uow: UnitOfWork, erasing: Erasing) -> Erased:
    """Unanswered questions go; answered ones stay, closed and without the asker."""
    data = QuestionPersonalData(uow.session, erasing.person)
    threads = await data.questions()
    answered = [t.question.id for t in threads if t.question.answered_at is not None]
    unanswered = [t.question.id for t in threads if t.question.answered_at is None]
    edits = [
        Edit(
            platform,
            room_id,
            str(notice.event_id),
            "privacy.question_root_erased",
            {"number": notice.question_id},
        )
        for notice, platform, room_id in await data.thread_roots(unanswered, ROOT)
    ]
    for notice, platform, room_id in await data.thread_roots(answered, ROOT):
        params = notice_params(notice)
        scrubbed = {
            key: scrub(value, erasing.needles, erasing.label) for key, value in params.items()
        }
        if scrubbed != params:  # a public question named the asker
            key = f"questions.notices.{notice.kind}"
            edits.append(Edit(platform, room_id, str(notice.event_id), key, scrubbed))
    examples_removed = sum(len(t.examples) for t in threads if t.question.id in unanswered)
    await data.anonymise_questions(answered, erasing.label, erasing.now)
    await data.delete_questions(unanswered)
    await data.anonymise_expert_traces(erasing.label)
    await scrub_params(uow.session, QuestionNotice, erasing.needles, erasing.label)

    async def follow_up(services: Services) -> None:
        """Stop the questions' timers; retrain the router without the examples that went."""
        for number in unanswered + answered:
            question_timers.cancel(services, number)
        if examples_removed:
            await build_router(services)

    return Erased(
        counts={"questions_deleted": len(unanswered), "questions_kept": len(answered)},
        edits=edits,
        follow_up=follow_up,
    )
