"""Sending what was decided about questions: the notice outbox, each notice exactly once.

Notices are queued in the transaction that decides them (routed, answered, forwarded,
reminded ...) and sent here afterwards, in the order they were decided. Every send carries
a dedupe key derived from the notice id, so a resend after a crash between sending and
recording is recognised by the homeserver as the same message. A notice that cannot be sent
holds back the later notices of its question (an answer must not overtake the thread root
it belongs to) and is retried a minute later.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import timedelta

from bot.context import Actor, Services
from bot.messages import Message
from storage.privacy.models import ERASED
from storage.questions.models import Question, QuestionNotice, QuestionRoute
from storage.questions.repository import QuestionRepository, notice_params

logger = logging.getLogger(__name__)

CITIZEN, ROOT, THREAD, STAFF = "citizen", "root", "thread", "staff"
RETRY_JOB_ID = "question-notices"
RETRY_AFTER = timedelta(minutes=1)
LOCK_KEY = "questions.delivery_lock"
THREAD_ENDINGS = {"closed_thread": False, "moved_thread": True}
"""Notices after which a thread is closed (archived), and whether it is locked too: a
closed question's thread stays open to an expert's late answer, which is still relayed
(and wakes the thread); a forwarded question's old thread takes no more answers."""


async def deliver(services: Services) -> int:
    """Send every pending notice; returns how many went out. One delivery at a time."""
    lock = services.state.setdefault(LOCK_KEY, asyncio.Lock())
    async with lock:
        async with services.unit_of_work() as uow:
            pending = await QuestionRepository(uow.session).pending_notices()
        held: set[int] = set()
        sent = 0
        for notice in pending:
            if notice.question_id in held:
                continue
            try:
                await _deliver(services, notice)
                sent += 1
            except Exception:
                held.add(notice.question_id)
                logger.exception("Question notice %d could not be sent; retrying later", notice.id)
        if held:
            services.scheduler.schedule_at(
                RETRY_JOB_ID,
                services.clock.now() + RETRY_AFTER,
                functools.partial(deliver, services),
            )
        return sent


async def _send_to_asker(
    services: Services, question: Question, notice: QuestionNotice, dedupe_key: str
) -> str:
    """Answer where the citizen asked, as a reply to their question."""
    message = await _render(services, question, notice)
    return await services.adapter_for(question.platform).send(
        question.origin_room_id,
        message,
        reply_to=question.origin_event_id,
        dedupe_key=dedupe_key,
    )


async def _deliver(services: Services, notice: QuestionNotice) -> None:
    async with services.unit_of_work() as uow:
        repo = QuestionRepository(uow.session)
        question = await repo.get(notice.question_id)
        route = await repo.route(notice.route_id) if notice.route_id is not None else None
        current = await repo.current_route(notice.question_id)
    if question is None:
        raise LookupError(f"question {notice.question_id} of notice {notice.id} is gone")
    dedupe_key = f"question-notice:{notice.id}"
    event_id: str | None = None
    if notice.target == CITIZEN:
        # An asker who erased their data is written to no more (docs/privacy.md).
        if question.asker != ERASED:
            event_id = await _send_to_asker(services, question, notice, dedupe_key)
    elif notice.target == STAFF:
        platform = staff_platform(question, current)
        staff_room = services.settings.for_platform(platform).staff_room
        if staff_room is not None:
            message = await _render(services, question, notice)
            adapter = services.adapter_for(platform)
            event_id = await adapter.send(staff_room, message, dedupe_key=dedupe_key)
    elif route is None:
        raise LookupError(f"notice {notice.id} for a thread has no route")
    elif notice.target == ROOT:
        message = await _render(services, question, notice)
        adapter = services.adapter_for(route.platform)
        title = services.catalog.text(
            services.settings.language, "questions.thread_title", **notice_params(notice)
        )
        event_id = await adapter.open_thread(
            route.room_id, message, title=title, dedupe_key=dedupe_key
        )
    else:
        if route.thread_root is None:
            raise LookupError(f"the thread of route {route.id} is not posted yet")
        message = await _render(services, question, notice)
        adapter = services.adapter_for(route.platform)
        if adapter.features.threads:
            event_id = await adapter.send(
                route.room_id,
                message,
                thread_root=route.thread_root,
                reply_to=notice.reply_to,
                dedupe_key=dedupe_key,
            )
            if notice.kind in THREAD_ENDINGS:
                await adapter.close_thread(
                    route.room_id, route.thread_root, lock=THREAD_ENDINGS[notice.kind]
                )
        else:  # the question's "thread" is the replies to its root message
            event_id = await adapter.send(
                route.room_id,
                message,
                reply_to=notice.reply_to or route.thread_root,
                dedupe_key=dedupe_key,
            )
    async with services.unit_of_work() as uow:
        repo = QuestionRepository(uow.session)
        if notice.target == ROOT and route is not None and event_id is not None:
            await repo.set_thread_root(route.id, event_id)
        await repo.mark_notice_sent(notice.id, event_id, services.clock.now())
        await uow.commit()
    logger.debug(
        "Sent question notice %d (%s) of question #%d", notice.id, notice.kind, question.id
    )


def staff_platform(question: Question, current: QuestionRoute | None) -> str:
    """Whose staff room hears about a question: the platform of its department room (where
    its experts are), or the asker's before it is routed."""
    return current.platform if current is not None else question.platform


async def _render(services: Services, question: Question, notice: QuestionNotice) -> Message:
    """The notice in the citizen's language, or in the deployment's language for rooms.

    A citizen who asked in a shared room is mentioned, so the answer reaches them there.
    """
    if notice.target == CITIZEN:
        language = await services.language_of(Actor(question.platform, question.asker, ""))
    else:
        language = services.settings.language
    message = services.render(language, f"questions.notices.{notice.kind}", **notice_params(notice))
    if notice.target == CITIZEN and not question.origin_direct:
        return message.notifying((question.asker,))
    return message
