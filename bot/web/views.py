"""What the public may see, read through the storage repositories.

The one place that decides which fields leave the database: pages, open data and the
calendar feed are all built from these views, so none of them can show a reporter, a
supporter, an author, a platform id or a hidden poll's standing by accident.

The author of an idea is not shown at all: the chat shows a display name to the members of
its rooms, and putting it on the open web (searchable, archived) is a wider audience than
anyone agreed to when they typed `!idee`.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from dataclasses import dataclass
from datetime import datetime

from handlers.polls.lifecycle import load_tally
from storage.ideas.models import Idea
from storage.ideas.repository import IdeasRepository, PublicIdea, StatusChange
from storage.polls.models import Poll
from storage.polls.repository import PollRepository
from storage.questions.repository import QuestionRepository
from storage.uow import UnitOfWork
from storage.workshops.models import Workshop
from storage.workshops.repository import CANCELLED, WorkshopRepository

PAGE_SIZE = 20


@dataclass(frozen=True)
class IdeaView:
    number: int
    text: str
    category: str | None
    status: str
    supports: int
    created_at: datetime
    merged_into: int | None
    history: tuple[StatusChange, ...] = ()


@dataclass(frozen=True)
class IdeaPage:
    ideas: tuple[IdeaView, ...]
    page: int
    has_next: bool


@dataclass(frozen=True)
class AnswerView:
    position: int
    text: str
    votes: int | None
    """None while the standing is not shown (a hidden or secret poll that is still open)."""
    percent: int | None


@dataclass(frozen=True)
class PollView:
    number: int
    question: str
    answers: tuple[AnswerView, ...]
    closed_at: datetime | None
    closes_at: datetime | None
    max_selections: int
    secret: bool
    hidden: bool
    voters: int | None

    @property
    def standing_shown(self) -> bool:
        return self.voters is not None


@dataclass(frozen=True)
class WorkshopView:
    number: int
    uid: str
    sequence: int
    title: str
    place: str
    description: str | None
    online_url: str | None
    starts_at: datetime
    ends_at: datetime
    created_at: datetime
    category: str | None
    capacity: int | None
    free: int | None
    waiting: int
    cancelled: bool
    cancel_reason: str | None


@dataclass(frozen=True)
class QuestionView:
    number: int
    text: str
    department: str | None
    answered_at: datetime
    answers: tuple[tuple[str, datetime], ...]
    """The experts' answers (text, when), without their names: they answer for the office."""


def idea_view(idea: Idea | PublicIdea, history: tuple[StatusChange, ...] = ()) -> IdeaView:
    return IdeaView(
        number=idea.number,
        text=idea.text,
        category=idea.category,
        status=idea.status,
        supports=idea.support_count,
        created_at=idea.created_at,
        merged_into=idea.merged_into,
        history=history,
    )


async def idea_page(
    uow: UnitOfWork,
    *,
    top: bool,
    category: str | None,
    status: str | None,
    search: str | None,
    page: int,
) -> IdeaPage | None:
    """Page `page` (1-based) of the listed ideas; None when the page does not exist (an
    empty page after the first: the first page of an empty list exists)."""
    found = await IdeasRepository(uow.session).public_page(
        top=top,
        category=category,
        status=status,
        search=search,
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE + 1,
    )
    if page > 1 and not found:
        return None
    return IdeaPage(tuple(map(idea_view, found[:PAGE_SIZE])), page, len(found) > PAGE_SIZE)


async def idea_detail(uow: UnitOfWork, number: int) -> tuple[IdeaView | None, int | None]:
    """The idea with its history, or None when the public may not see it; and the page
    version read in the same statement (None with no idea, or without a version row)."""
    idea = await IdeasRepository(uow.session).public_idea(number)
    if idea is None:
        return None, None
    return idea_view(idea, idea.history), idea.page_version


async def ideas_after(uow: UnitOfWork, after: int, limit: int) -> list[IdeaView]:
    """Visible ideas numbered above `after`, oldest first (open data)."""
    return list(map(idea_view, await IdeasRepository(uow.session).public_after(after, limit)))


async def polls(uow: UnitOfWork, private_rooms: Container[tuple[str, str]]) -> list[PollView]:
    """Posted polls outside the staff and department rooms, newest first."""
    repository = PollRepository(uow.session)
    return [
        await _poll_view(repository, poll)
        for poll in await repository.posted()
        if (poll.platform, poll.room_id) not in private_rooms
    ]


async def poll(
    uow: UnitOfWork, number: int, private_rooms: Container[tuple[str, str]]
) -> PollView | None:
    repository = PollRepository(uow.session)
    found = await repository.get(number)
    if (
        found is None
        or found.start_event_id is None
        or (found.platform, found.room_id) in private_rooms
    ):
        return None
    return await _poll_view(repository, found)


async def _poll_view(repository: PollRepository, poll: Poll) -> PollView:
    """The poll with its standing only where the chat shows it to everyone too: once it is
    closed, or while open if it neither hides results until the end nor is secret. The
    hidden standing is not even counted, so it cannot reach a page, its JSON or its ETag."""
    shown = poll.closed_at is not None or not (poll.hidden or poll.secret)
    tally = await load_tally(repository, poll) if shown else None
    answers = tuple(
        AnswerView(
            answer.position,
            answer.text,
            None if tally is None else tally.votes[answer.answer_id],
            None if tally is None else round(tally.share(answer.answer_id) * 100),
        )
        for answer in poll.answers
    )
    return PollView(
        number=poll.id,
        question=poll.question,
        answers=answers,
        closed_at=poll.closed_at,
        closes_at=poll.closes_at,
        max_selections=poll.max_selections,
        secret=poll.secret,
        hidden=poll.hidden,
        voters=None if tally is None else tally.voters,
    )


async def upcoming_workshops(
    uow: UnitOfWork, now: datetime, limit: int | None = None
) -> list[WorkshopView]:
    """Workshops that have not begun, cancelled ones included (marked), soonest first."""
    repository = WorkshopRepository(uow.session)
    found = await repository.upcoming(now, include_cancelled=True, limit=limit)
    return await _workshop_views(repository, found)


async def calendar_workshops(
    uow: UnitOfWork, since: datetime, until: datetime, category: str | None = None
) -> list[WorkshopView]:
    """Workshops between `since` and `until`, cancelled ones included, for the feed."""
    repository = WorkshopRepository(uow.session)
    return await _workshop_views(repository, await repository.in_window(since, until, category))


async def workshop(uow: UnitOfWork, number: int) -> WorkshopView | None:
    repository = WorkshopRepository(uow.session)
    found = await repository.get(number)
    return None if found is None else (await _workshop_views(repository, [found]))[0]


async def _workshop_views(
    repository: WorkshopRepository, workshops: list[Workshop]
) -> list[WorkshopView]:
    seats = await repository.seats(w.id for w in workshops)
    return [
        WorkshopView(
            number=w.id,
            uid=w.uid,
            sequence=w.sequence,
            title=w.title,
            place=w.place,
            description=w.description,
            online_url=w.online_url,
            starts_at=w.starts_at,
            ends_at=w.ends_at,
            created_at=w.created_at,
            category=w.category,
            capacity=w.capacity,
            free=seats[w.id].free(w.capacity),
            waiting=seats[w.id].waiting,
            cancelled=w.status == CANCELLED,
            cancel_reason=w.cancel_reason,
        )
        for w in workshops
    ]


async def answered_questions(
    uow: UnitOfWork, department_name: Callable[[str | None], str | None]
) -> list[QuestionView]:
    """Questions published with their askers' consent that have an answer, newest first."""
    return [
        QuestionView(
            number=question.id,
            text=question.text,
            department=department_name(question.department_id),
            answered_at=question.answered_at,
            answers=tuple((answer.text, answer.created_at) for answer in answers),
        )
        for question, answers in await QuestionRepository(uow.session).published_answered()
        if question.answered_at is not None and answers
    ]
