"""Everything stored about one person, across every feature's tables: found, and erased.

This is the one module that knows which columns of other features hold a person's id or
name, so the data export (Art. 15 DSGVO) and the erasure (Art. 17) cannot drift apart.
Takes a session and never commits (see storage.uow).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.ideas.models import Idea, IdeaReport, IdeaStatusChange, IdeaSupport
from storage.models import LoggedReaction, Person
from storage.moderation.models import Block
from storage.polls.models import Poll, PollResponse, SecretVoter
from storage.privacy.models import ERASED, ErasureRequest, PrivacyIntroduction
from storage.questions.models import (
    Question,
    QuestionExample,
    QuestionMessage,
    QuestionNotice,
    QuestionRoute,
)
from storage.questions.repository import CLOSED
from storage.workshops.models import Workshop, WorkshopNotice, WorkshopRegistration


@dataclass(frozen=True)
class Someone:
    """A person as the platform knows them."""

    platform: str
    id: str


@dataclass(frozen=True)
class Ballot:
    """One stored response of the person to an open (non-secret) poll."""

    poll: Poll
    response: PollResponse


@dataclass(frozen=True)
class QuestionThread:
    """One of the person's questions with everything said in it."""

    question: Question
    messages: Sequence[QuestionMessage]
    examples: Sequence[QuestionExample]


class PersonalDataRepository:
    """Reads and erases what the bot stores about `person`."""

    def __init__(self, session: AsyncSession, person: Someone) -> None:
        self._session = session
        self.person = person

    def _is(self, platform: Any, ident: Any) -> ColumnElement[bool]:
        """The condition "this (platform, id) pair of columns is the person"."""
        return (platform == self.person.platform) & (ident == self.person.id)

    # ====================================================================== reading

    async def profile(self) -> Person | None:
        return await self._session.scalar(
            select(Person).where(self._is(Person.platform, Person.external_id))
        )

    async def ideas(self) -> list[tuple[Idea, int]]:
        """The person's ideas with their number of supports, oldest first."""
        supports = (
            select(func.count())
            .select_from(IdeaSupport)
            .where(IdeaSupport.idea_id == Idea.id)
            .scalar_subquery()
        )
        rows = await self._session.execute(
            select(Idea, supports)
            .where(self._is(Idea.platform, Idea.author_id))
            .order_by(Idea.number)
        )
        return [(idea, int(count)) for idea, count in rows]

    async def supports(self) -> list[tuple[IdeaSupport, int]]:
        """The person's supports with the idea number they support."""
        rows = await self._session.execute(
            select(IdeaSupport, Idea.number)
            .join(Idea, Idea.id == IdeaSupport.idea_id)
            .where(self._is(IdeaSupport.platform, IdeaSupport.supporter_id))
            .order_by(IdeaSupport.id)
        )
        return [(support, number) for support, number in rows]

    async def reports(self) -> list[tuple[IdeaReport, int]]:
        rows = await self._session.execute(
            select(IdeaReport, Idea.number)
            .join(Idea, Idea.id == IdeaReport.idea_id)
            .where(self._is(IdeaReport.platform, IdeaReport.reporter_id))
            .order_by(IdeaReport.id)
        )
        return [(report, number) for report, number in rows]

    async def status_changes_made(self) -> list[tuple[IdeaStatusChange, int]]:
        """Status changes the person (as staff) made, with the idea number."""
        rows = await self._session.execute(
            select(IdeaStatusChange, Idea.number)
            .join(Idea, Idea.id == IdeaStatusChange.idea_id)
            .where(IdeaStatusChange.changed_by == self.person.id)
            .order_by(IdeaStatusChange.id)
        )
        return [(change, number) for change, number in rows]

    async def ballots(self) -> list[Ballot]:
        """Every stored response to non-secret polls, in the order they arrived."""
        rows = await self._session.execute(
            select(Poll, PollResponse)
            .join(PollResponse, PollResponse.poll_id == Poll.id)
            .where(self._is(PollResponse.platform, PollResponse.voter))
            .order_by(PollResponse.id)
        )
        return [Ballot(poll, response) for poll, response in rows]

    async def secret_polls_voted(self) -> list[Poll]:
        """Secret polls the person voted in; what they chose is not stored anywhere."""
        found = await self._session.scalars(
            select(Poll)
            .join(SecretVoter, SecretVoter.poll_id == Poll.id)
            .where(self._is(SecretVoter.platform, SecretVoter.voter))
            .order_by(Poll.id)
        )
        return list(found)

    async def polls_created(self) -> list[Poll]:
        found = await self._session.scalars(
            select(Poll).where(Poll.created_by == self.person.id).order_by(Poll.id)
        )
        return list(found)

    async def registrations(self) -> list[tuple[WorkshopRegistration, Workshop]]:
        rows = await self._session.execute(
            select(WorkshopRegistration, Workshop)
            .join(Workshop, Workshop.id == WorkshopRegistration.workshop_id)
            .where(self._is(WorkshopRegistration.platform, WorkshopRegistration.external_id))
            .order_by(WorkshopRegistration.id)
        )
        return [(registration, workshop) for registration, workshop in rows]

    async def workshop_notices(self) -> list[WorkshopNotice]:
        """Direct messages about workshops queued for or sent to the person."""
        found = await self._session.scalars(
            select(WorkshopNotice)
            .where(self._is(WorkshopNotice.platform, WorkshopNotice.external_id))
            .order_by(WorkshopNotice.id)
        )
        return list(found)

    async def workshops_created(self) -> list[Workshop]:
        found = await self._session.scalars(
            select(Workshop)
            .where(self._is(Workshop.created_by_platform, Workshop.created_by))
            .order_by(Workshop.id)
        )
        return list(found)

    async def questions(self) -> list[QuestionThread]:
        """The person's questions, oldest first, with their messages and learned examples."""
        asked = await self._session.scalars(
            select(Question)
            .where(self._is(Question.platform, Question.asker))
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
                self._is(QuestionMessage.platform, QuestionMessage.author),
                ~self._is(Question.platform, Question.asker),
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
    ) -> list[tuple[QuestionNotice, str]]:
        """The posted thread roots (notices of `target`) of these questions, with their room."""
        if not numbers:
            return []
        rows = await self._session.execute(
            select(QuestionNotice, QuestionRoute.room_id)
            .join(QuestionRoute, QuestionRoute.id == QuestionNotice.route_id)
            .where(
                QuestionNotice.question_id.in_(numbers),
                QuestionNotice.target == target,
                QuestionNotice.event_id.is_not(None),
            )
            .order_by(QuestionNotice.id)
        )
        return [(notice, room_id) for notice, room_id in rows]

    async def block(self) -> Block | None:
        return await self._session.scalar(
            select(Block).where(self._is(Block.platform, Block.external_id))
        )

    async def blocks_imposed(self) -> int:
        count = await self._session.scalar(
            select(func.count()).select_from(Block).where(Block.blocked_by == self.person.id)
        )
        return int(count or 0)

    async def names(self) -> set[str]:
        """Every display name of the person the bot has stored alongside their id."""
        found: set[str] = set()
        for column, platform, ident in (
            (Idea.author_name, Idea.platform, Idea.author_id),
            (Question.asker_name, Question.platform, Question.asker),
            (QuestionMessage.author_name, QuestionMessage.platform, QuestionMessage.author),
        ):
            found.update(
                await self._session.scalars(select(column).where(self._is(platform, ident)))
            )
        return {name for name in found if name}

    # ====================================================================== erasing

    async def delete_profile(self) -> None:
        """The person row (language, first contact), their logged reactions and the privacy
        feature's own records."""
        await self._session.execute(
            delete(Person).where(self._is(Person.platform, Person.external_id))
        )
        await self._session.execute(
            delete(LoggedReaction).where(
                self._is(LoggedReaction.platform, LoggedReaction.person_id)
            )
        )
        await self._session.execute(
            delete(PrivacyIntroduction).where(
                self._is(PrivacyIntroduction.platform, PrivacyIntroduction.external_id)
            )
        )
        await self._session.execute(
            delete(ErasureRequest).where(
                self._is(ErasureRequest.platform, ErasureRequest.external_id)
            )
        )

    async def delete_ideas(self, ideas: Collection[Idea]) -> None:
        """Ideas nobody built on, with their history and reports."""
        ids = [idea.id for idea in ideas]
        if not ids:
            return
        for child in (IdeaStatusChange, IdeaReport, IdeaSupport):
            await self._session.execute(delete(child).where(child.idea_id.in_(ids)))
        await self._session.execute(delete(Idea).where(Idea.id.in_(ids)))

    async def anonymise_ideas(self, ideas: Collection[Idea], name: str) -> None:
        ids = [idea.id for idea in ideas]
        if ids:
            await self._session.execute(
                update(Idea)
                .where(Idea.id.in_(ids))
                .values(platform=ERASED, author_id=ERASED, author_name=name)
            )

    async def is_built_on(self, idea: Idea, supports: int) -> bool:
        """Others built on an idea: it has supports, or other ideas were merged into it."""
        if supports:
            return True
        merged = await self._session.scalar(select(exists().where(Idea.merged_into == idea.number)))
        return bool(merged)

    async def delete_supports_and_reports(self) -> list[int]:
        """Withdraw the person's supports and reports; the numbers of the ideas supported."""
        supported = await self._session.execute(
            delete(IdeaSupport)
            .where(self._is(IdeaSupport.platform, IdeaSupport.supporter_id))
            .returning(IdeaSupport.idea_id)
        )
        idea_ids = [idea_id for (idea_id,) in supported]
        await self._session.execute(
            delete(IdeaReport).where(self._is(IdeaReport.platform, IdeaReport.reporter_id))
        )
        if not idea_ids:
            return []
        numbers = await self._session.scalars(
            select(Idea.number).where(Idea.id.in_(idea_ids)).order_by(Idea.number)
        )
        return list(numbers)

    async def delete_responses(self, poll_id: int) -> None:
        await self._session.execute(
            delete(PollResponse).where(
                PollResponse.poll_id == poll_id,
                self._is(PollResponse.platform, PollResponse.voter),
            )
        )

    async def delete_secret_voter(self, poll_id: int) -> None:
        await self._session.execute(
            delete(SecretVoter).where(
                SecretVoter.poll_id == poll_id, self._is(SecretVoter.platform, SecretVoter.voter)
            )
        )

    async def unlink_secret_voter(self, poll_id: int, stand_in: str) -> None:
        """Keep that somebody voted in an open secret poll (the count stays right), not who."""
        await self._session.execute(
            update(SecretVoter)
            .where(
                SecretVoter.poll_id == poll_id, self._is(SecretVoter.platform, SecretVoter.voter)
            )
            .values(platform=ERASED, voter=stand_in)
        )

    async def delete_workshop_notices(self) -> None:
        await self._session.execute(
            delete(WorkshopNotice).where(
                self._is(WorkshopNotice.platform, WorkshopNotice.external_id)
            )
        )

    async def delete_questions(self, numbers: Collection[int]) -> None:
        """Questions with their routes, messages, notices and the examples taken from them."""
        if not numbers:
            return
        await delete_question_rows(self._session, numbers)

    async def anonymise_questions(self, numbers: Collection[int], name: str, now: datetime) -> None:
        """Questions whose answers were relayed: kept, closed, no longer pointing at the asker
        (their retention period runs from now at the latest).

        Their notices go (they carry the asker's name in public questions, and nothing reads
        a sent notice again); follow-ups the person wrote keep their text under `name`.
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
                origin_room_id="",
                status=CLOSED,
                closed_at=func.coalesce(Question.closed_at, now),
            )
        )
        await self._session.execute(
            update(QuestionMessage)
            .where(
                QuestionMessage.question_id.in_(numbers),
                self._is(QuestionMessage.platform, QuestionMessage.author),
            )
            .values(author=ERASED, author_name=name)
        )

    async def anonymise_staff_traces(self, name: str) -> None:
        """What the person did as staff or expert stays, without their id or name."""
        person = self.person.id
        for column in (
            IdeaStatusChange.changed_by,
            Poll.created_by,
            QuestionRoute.routed_by,
            QuestionExample.created_by,
            Block.blocked_by,
        ):
            await self._session.execute(
                update(column.class_).where(column == person).values({column.key: ERASED})
            )
        await self._session.execute(
            update(Workshop)
            .where(self._is(Workshop.created_by_platform, Workshop.created_by))
            .values(created_by_platform=ERASED, created_by=ERASED)
        )
        await self._session.execute(
            update(QuestionMessage)
            .where(self._is(QuestionMessage.platform, QuestionMessage.author))
            .values(author=ERASED, author_name=name)
        )

    async def scrub_notice_params(self, needles: Collection[str], name: str) -> int:
        """Replace the person's id and names inside queued and sent notices' parameters.

        Notices carry display names (who answered, who closed a thread) in their JSON
        parameters; returns how many notices were changed.
        """
        changed = 0
        for model in (QuestionNotice, WorkshopNotice):
            conditions: list[ColumnElement[bool]] = [
                model.params.contains(json.dumps(needle)[1:-1]) for needle in needles
            ]
            if not conditions:
                continue
            for notice in await self._session.scalars(select(model).where(or_(*conditions))):
                params = json.loads(notice.params)
                scrubbed = {key: scrub(value, needles, name) for key, value in params.items()}
                if scrubbed != params:
                    notice.params = json.dumps(scrubbed, ensure_ascii=False, sort_keys=True)
                    changed += 1
        await self._session.flush()
        return changed

    async def delete_expired_block(self, now: datetime) -> bool:
        """An expired block has served its purpose; an active one stays (see docs/privacy.md)."""
        result = await self._session.execute(
            delete(Block)
            .where(
                self._is(Block.platform, Block.external_id),
                Block.until.is_not(None),
                Block.until <= now,
            )
            .returning(Block.id)
        )
        return result.first() is not None


async def delete_question_rows(session: AsyncSession, numbers: Collection[int]) -> None:
    """Delete questions and everything hanging off them (also used by retention)."""
    ids = list(numbers)
    await session.execute(delete(QuestionNotice).where(QuestionNotice.question_id.in_(ids)))
    await session.execute(delete(QuestionMessage).where(QuestionMessage.question_id.in_(ids)))
    await session.execute(delete(QuestionExample).where(QuestionExample.question_id.in_(ids)))
    await session.execute(delete(QuestionRoute).where(QuestionRoute.question_id.in_(ids)))
    await session.execute(delete(Question).where(Question.id.in_(ids)))


def scrub(value: Any, needles: Collection[str], name: str) -> Any:
    """`value` with every needle (an id or display name) replaced by `name`, if it is text."""
    if not isinstance(value, str):
        return value
    for needle in sorted(needles, key=len, reverse=True):  # "Anna Maria" before "Anna"
        value = value.replace(needle, name)
    return value
