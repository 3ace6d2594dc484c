"""One person's rows in expert questions: found for the data export, erased on request.

Covers both sides: the questions the person asked, and what they did as an expert or staff
(answers, forwards, routing examples). Takes a session and never commits (see storage.uow).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.privacy.models import ERASED
from storage.privacy.personal_data import Someone
from storage.questions.models import (
    Question,
    QuestionExample,
    QuestionMessage,
    QuestionNotice,
    QuestionRoute,
)
from storage.questions.repository import CLOSED, delete_question_rows


@dataclass(frozen=True)
class QuestionThread:
    """One of the person's questions with everything said in it."""

    question: Question
    messages: Sequence[QuestionMessage]
    examples: Sequence[QuestionExample]


class QuestionPersonalData:
    """The questions of `person` and their traces as an expert."""

    def __init__(self, session: AsyncSession, person: Someone) -> None:
        self._session = session
        self.person = person

    # ---------------------------------------------------------------------- reading

    async def names(self) -> set[str]:
        """The names stored with the person's questions and messages."""
        found: set[str] = set()
        for column, platform, ident in (
            (Question.asker_name, Question.platform, Question.asker),
            (QuestionMessage.author_name, QuestionMessage.platform, QuestionMessage.author),
        ):
            found.update(
                await self._session.scalars(select(column).where(self.person.owns(platform, ident)))
            )
        return {name for name in found if name}

    async def questions(self) -> list[QuestionThread]:
        """The person's questions, oldest first, with their messages and learned examples."""
        asked = await self._session.scalars(
            select(Question)
            .where(self.person.owns(Question.platform, Question.asker))
            .order_by(Question.id)
        )
        threads = []
        for question in asked:
            messages = await self._session.scalars(
                select(QuestionMessage)
                .where(QuestionMessage.question_id == question.id)
                .order_by(QuestionMessage.id)
            )
            examples = await self._session.scalars(
                select(QuestionExample)
                .where(QuestionExample.question_id == question.id)
                .order_by(QuestionExample.id)
            )
            threads.append(QuestionThread(question, list(messages), list(examples)))
        return threads

    async def answers_written(self) -> list[QuestionMessage]:
        """What the person wrote as an expert in other people's questions."""
        found = await self._session.scalars(
            select(QuestionMessage)
            .join(Question, Question.id == QuestionMessage.question_id)
            .where(
                self.person.owns(QuestionMessage.platform, QuestionMessage.author),
                ~self.person.owns(Question.platform, Question.asker),
            )
            .order_by(QuestionMessage.id)
        )
        return list(found)

    async def forwards_made(self) -> list[QuestionRoute]:
        found = await self._session.scalars(
            select(QuestionRoute)
            .where(QuestionRoute.routed_by == self.person.id)
            .order_by(QuestionRoute.id)
        )
        return list(found)

    async def examples_taught(self) -> list[QuestionExample]:
        """Routing examples the person created by forwarding (any asker's question)."""
        found = await self._session.scalars(
            select(QuestionExample)
            .where(QuestionExample.created_by == self.person.id)
            .order_by(QuestionExample.id)
        )
        return list(found)

    async def thread_roots(
        self, numbers: Collection[int], target: str
    ) -> list[tuple[QuestionNotice, str, str]]:
        """The posted thread roots (notices of `target`) of these questions, with the
        platform and id of their room."""
        if not numbers:
            return []
        rows = await self._session.execute(
            select(QuestionNotice, QuestionRoute.platform, QuestionRoute.room_id)
            .join(QuestionRoute, QuestionRoute.id == QuestionNotice.route_id)
            .where(
                QuestionNotice.question_id.in_(numbers),
                QuestionNotice.target == target,
                QuestionNotice.event_id.is_not(None),
            )
            .order_by(QuestionNotice.id)
        )
        return [(notice, platform, room_id) for notice, platform, room_id in rows]

    # ---------------------------------------------------------------------- erasing

    async def delete_questions(self, numbers: Collection[int]) -> None:
        """Questions with their routes, messages, notices and the examples taken from them."""
        if numbers:
            await delete_question_rows(self._session, numbers)

    async def anonymise_questions(self, numbers: Collection[int], name: str, now: datetime) -> None:
        """Questions whose answers were relayed: kept, closed, no longer pointing at the asker
        (their retention period runs from now at the latest).

        Their notices go (they carry the asker's name in public questions, and nothing reads
        a sent notice again); follow-ups the person wrote keep their text under `name`.
        Erasing withdraws the consent to publish them on the public page too.
        """
        if not numbers:
            return
        await self._session.execute(
            delete(QuestionNotice).where(QuestionNotice.question_id.in_(numbers))
        )
        await self._session.execute(
            update(Question)
            .where(Question.id.in_(numbers))
            .values(
                platform=ERASED,
                asker=ERASED,
                asker_name=name,
                public=False,
                publish=False,
                origin_room_id="",
                status=CLOSED,
                closed_at=func.coalesce(Question.closed_at, now),
            )
        )
        await self._session.execute(
            update(QuestionMessage)
            .where(
                QuestionMessage.question_id.in_(numbers),
                self.person.owns(QuestionMessage.platform, QuestionMessage.author),
            )
            .values(author=ERASED, author_name=name)
        )

    async def anonymise_expert_traces(self, name: str) -> None:
        """What the person did as staff or expert stays, without their id or name."""
        for column in (QuestionRoute.routed_by, QuestionExample.created_by):
            await self._session.execute(
                update(column.class_).where(column == self.person.id).values({column.key: ERASED})
            )
        await self._session.execute(
            update(QuestionMessage)
            .where(self.person.owns(QuestionMessage.platform, QuestionMessage.author))
            .values(author=ERASED, author_name=name)
        )
