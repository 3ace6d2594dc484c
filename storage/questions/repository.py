"""Queries of expert questions; takes a session and never commits (see storage.uow)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import CursorResult, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.matching import SUGGESTIONS, typed_matches
from storage.questions.models import (
    Question,
    QuestionExample,
    QuestionMessage,
    QuestionNotice,
    QuestionRoute,
    QuestionSecret,
)
from storage.repositories import _insert, falls_due

CHOOSING, OPEN, ANSWERED, CLOSED, EXPIRED = "choosing", "open", "answered", "closed", "expired"
ACTIVE = (OPEN, ANSWERED)
"""Statuses of a question that sits in a department room and may still be answered."""
PSEUDONYM_SECRET = "pseudonyms"


class QuestionSteps(NamedTuple):
    """How long after its base time each timed step of a question falls due: the offer's
    expiry after `created_at`, the reminder and the escalation after `routed_at`."""

    offer: timedelta
    remind: timedelta
    escalate: timedelta


class QuestionTimes(NamedTuple):
    """What a question's timers are computed from: all `handlers.questions.timers` reads,
    as plain rows (rebuilding the timers of thousands of questions at start-up needs no
    ORM objects)."""

    id: int
    status: str
    created_at: datetime
    routed_at: datetime | None
    reminded_at: datetime | None
    escalated_at: datetime | None
    expired_at: datetime | None


class QuestionRepository:
    """Questions, their routes, messages, examples and queued notices."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # ------------------------------------------------------------------ questions

    async def ended_before(self, cutoff: datetime) -> list[int]:
        """Questions closed (or whose offer expired) before `cutoff` (for retention)."""
        ended = func.coalesce(Question.closed_at, Question.expired_at)
        found = await self._session.scalars(
            select(Question.id).where(ended.is_not(None), ended < cutoff).order_by(Question.id)
        )
        return list(found)

    async def create(self, **values: Any) -> Question:
        question = Question(**values)
        self._session.add(question)
        await self._session.flush()
        return question

    async def get(self, number: int) -> Question | None:
        return await self._session.get(Question, number, populate_existing=True)

    async def of_asker(self, platform: str, asker: str) -> Sequence[Question]:
        """The person's questions, newest first."""
        result = await self._session.scalars(
            select(Question)
            .where(Question.platform == platform, Question.asker == asker)
            .order_by(Question.id.desc())
        )
        return result.all()

    async def matching_of_asker(
        self, platform: str, asker: str, typed: str
    ) -> list[tuple[int, str]]:
        """Number and text of the person's questions whose number starts with or text
        contains `typed`, newest first (at most `SUGGESTIONS`)."""
        rows = await self._session.execute(
            select(Question.id, Question.text)
            .where(
                Question.platform == platform,
                Question.asker == asker,
                typed_matches(Question.id, Question.text, typed),
            )
            .order_by(Question.id.desc())
            .limit(SUGGESTIONS)
        )
        return [(number, text) for number, text in rows]

    async def pending_offer(self, platform: str, asker: str, room_id: str) -> Question | None:
        """The newest question of this person in this room still waiting for their pick."""
        return await self._session.scalar(
            select(Question)
            .where(
                Question.platform == platform,
                Question.asker == asker,
                Question.origin_room_id == room_id,
                Question.status == CHOOSING,
            )
            .order_by(Question.id.desc())
            .limit(1)
        )

    async def with_status(
        self, statuses: Collection[str], department_id: str | None = None
    ) -> Sequence[Question]:
        """Questions in any of `statuses` (optionally of one department), oldest first."""
        query = select(Question).where(Question.status.in_(statuses))
        if department_id is not None:
            query = query.where(Question.department_id == department_id)
        return (await self._session.scalars(query.order_by(Question.id))).all()

    async def timers_due(
        self, after: datetime | None, until: datetime, steps: QuestionSteps
    ) -> list[QuestionTimes]:
        """The timer columns of the questions with a step still to come that falls due after
        `after` (None: any time) and by `until`, oldest first."""
        rows = await self._session.execute(
            select(*(getattr(Question, name) for name in QuestionTimes._fields))
            .where(
                or_(
                    and_(
                        Question.status == CHOOSING,
                        Question.expired_at.is_(None),
                        falls_due(Question.created_at, after, until, steps.offer),
                    ),
                    and_(
                        Question.status == OPEN,
                        or_(
                            and_(
                                Question.reminded_at.is_(None),
                                falls_due(Question.routed_at, after, until, steps.remind),
                            ),
                            and_(
                                Question.escalated_at.is_(None),
                                falls_due(Question.routed_at, after, until, steps.escalate),
                            ),
                        ),
                    ),
                )
            )
            .order_by(Question.id)
        )
        return [QuestionTimes(*row) for row in rows]

    async def set_once(
        self,
        number: int,
        column: InstrumentedAttribute[Any],
        when: datetime,
        *,
        statuses: Collection[str],
        new_status: str | None = None,
    ) -> bool:
        """Set `column` to `when` if it is unset and the question is in `statuses`.

        The condition is part of the UPDATE, so of two racing callers exactly one wins; the
        winner queues what the step has to say in the same transaction.
        """
        values: dict[str, Any] = {column.key: when}
        if new_status is not None:
            values["status"] = new_status
        result = await self._session.execute(
            update(Question)
            .where(Question.id == number, column.is_(None), Question.status.in_(statuses))
            .values(values)
        )
        return _rowcount(result) == 1

    # --------------------------------------------------------------------- routes

    async def add_route(
        self,
        question: Question,
        *,
        department_id: str,
        platform: str,
        room_id: str,
        how: str,
        routed_by: str | None,
        at: datetime,
    ) -> QuestionRoute:
        """Send the question to a department: a new route, the question open there."""
        route = QuestionRoute(
            question_id=question.id,
            department_id=department_id,
            platform=platform,
            room_id=room_id,
            how=how,
            routed_by=routed_by,
            routed_at=at,
        )
        self._session.add(route)
        question.department_id = department_id
        if question.status not in ACTIVE:
            question.status = OPEN
        if question.routed_at is None:
            question.routed_at = at
        await self._session.flush()
        return route

    async def route(self, route_id: int) -> QuestionRoute | None:
        return await self._session.get(QuestionRoute, route_id, populate_existing=True)

    async def current_route(self, number: int) -> QuestionRoute | None:
        return await self._session.scalar(
            select(QuestionRoute)
            .where(QuestionRoute.question_id == number)
            .order_by(QuestionRoute.id.desc())
            .limit(1)
        )

    async def by_thread(self, platform: str, thread_root: str) -> QuestionRoute | None:
        return await self._session.scalar(
            select(QuestionRoute).where(
                QuestionRoute.platform == platform, QuestionRoute.thread_root == thread_root
            )
        )

    async def set_thread_root(self, route_id: int, event_id: str) -> None:
        await self._session.execute(
            update(QuestionRoute).where(QuestionRoute.id == route_id).values(thread_root=event_id)
        )

    # ------------------------------------------------------------------- messages

    async def add_message(self, **values: Any) -> QuestionMessage:
        message = QuestionMessage(**values)
        self._session.add(message)
        await self._session.flush()
        return message

    async def published_answered(self) -> list[tuple[Question, list[QuestionMessage]]]:
        """Answered questions whose askers agreed to publish them, with the experts' answers
        (never follow-ups), newest answer first, for the public page."""
        questions = list(
            await self._session.scalars(
                select(Question)
                .where(Question.publish.is_(True), Question.answered_at.is_not(None))
                .order_by(Question.answered_at.desc(), Question.id.desc())
            )
        )
        answers: dict[int, list[QuestionMessage]] = {q.id: [] for q in questions}
        if questions:
            found = await self._session.scalars(
                select(QuestionMessage)
                .where(QuestionMessage.question_id.in_(answers), QuestionMessage.kind == "answer")
                .order_by(QuestionMessage.id)
            )
            for message in found:
                answers[message.question_id].append(message)
        return [(question, answers[question.id]) for question in questions]

    async def messages(self, number: int) -> Sequence[QuestionMessage]:
        result = await self._session.scalars(
            select(QuestionMessage)
            .where(QuestionMessage.question_id == number)
            .order_by(QuestionMessage.id)
        )
        return result.all()

    # ------------------------------------------------------------------- examples

    async def add_example(
        self,
        text: str,
        department_id: str,
        question_id: int | None,
        created_by: str,
        at: datetime,
        from_department_id: str | None = None,
    ) -> QuestionExample:
        example = QuestionExample(
            text=text,
            department_id=department_id,
            from_department_id=from_department_id,
            question_id=question_id,
            created_by=created_by,
            created_at=at,
        )
        self._session.add(example)
        await self._session.flush()
        return example

    async def examples(self) -> Sequence[QuestionExample]:
        return (
            await self._session.scalars(select(QuestionExample).order_by(QuestionExample.id))
        ).all()

    async def remove_example(self, example_id: int) -> bool:
        result = await self._session.execute(
            delete(QuestionExample).where(QuestionExample.id == example_id)
        )
        return _rowcount(result) == 1

    # -------------------------------------------------------------------- notices

    async def queue(
        self,
        question: Question,
        target: str,
        kind: str,
        at: datetime,
        *,
        route_id: int | None = None,
        reply_to: str | None = None,
        **params: str | int,
    ) -> None:
        """Decide to say something; it is sent after the transaction commits."""
        self._session.add(
            QuestionNotice(
                question_id=question.id,
                target=target,
                kind=kind,
                route_id=route_id,
                reply_to=reply_to,
                params=json.dumps(params, ensure_ascii=False),
                created_at=at,
            )
        )

    async def pending_notices(self) -> Sequence[QuestionNotice]:
        result = await self._session.scalars(
            select(QuestionNotice)
            .where(QuestionNotice.sent_at.is_(None))
            .order_by(QuestionNotice.id)
        )
        return result.all()

    async def mark_notice_sent(self, notice_id: int, event_id: str | None, at: datetime) -> None:
        await self._session.execute(
            update(QuestionNotice)
            .where(QuestionNotice.id == notice_id)
            .values(sent_at=at, event_id=event_id)
        )

    # --------------------------------------------------------------------- secret

    async def secret(self, created_at: datetime, name: str = PSEUDONYM_SECRET) -> bytes:
        """The key behind pseudonyms: 32 random bytes made on first use (safe under races)."""
        await self._session.execute(
            _insert(self._session, QuestionSecret)
            .values(name=name, secret=secrets.token_hex(32), created_at=created_at)
            .on_conflict_do_nothing(index_elements=[QuestionSecret.name])
        )
        stored = await self._session.scalar(
            select(QuestionSecret.secret).where(QuestionSecret.name == name)
        )
        return bytes.fromhex(str(stored))


async def delete_question_rows(session: AsyncSession, numbers: Collection[int]) -> None:
    """Delete questions and everything hanging off them (retention and erasure)."""
    ids = list(numbers)
    await session.execute(delete(QuestionNotice).where(QuestionNotice.question_id.in_(ids)))
    await session.execute(delete(QuestionMessage).where(QuestionMessage.question_id.in_(ids)))
    await session.execute(delete(QuestionExample).where(QuestionExample.question_id.in_(ids)))
    await session.execute(delete(QuestionRoute).where(QuestionRoute.question_id.in_(ids)))
    await session.execute(delete(Question).where(Question.id.in_(ids)))


def notice_params(notice: QuestionNotice) -> Mapping[str, Any]:
    """The catalog parameters a notice was queued with."""
    return dict(json.loads(notice.params))


def _rowcount(result: Any) -> int:
    return result.rowcount if isinstance(result, CursorResult) else 0
