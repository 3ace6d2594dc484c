"""Counts for the staff digest, and the digest's own bookkeeping.

Every query returns counts, department ids, or an open idea's public number and text: never
who did something. Periods are half-open, `[start, end)`, in aware datetimes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.ideas.models import Idea, IdeaStatusChange, IdeaSupport
from storage.ideas.repository import _open_conditions
from storage.insight.models import Digest, DigestDelivery
from storage.polls.models import Poll, PollResponse, SecretVoter
from storage.questions.models import Question
from storage.repositories import _insert
from storage.workshops.models import Workshop, WorkshopRegistration


@dataclass(frozen=True)
class QuestionTimes:
    """When a routed question reached each step; all a department's figures need."""

    department_id: str
    created_at: datetime
    routed_at: datetime
    answered_at: datetime | None
    closed_at: datetime | None
    expired_at: datetime | None


@dataclass(frozen=True)
class WorkshopFill:
    """A workshop's seats: its public number and title, capacity (None: unlimited), counts."""

    number: int
    title: str
    capacity: int | None
    registered: int
    waiting: int


@dataclass(frozen=True)
class OpenIdea:
    """A visible open idea as the public idea list shows it, with its supports."""

    number: int
    text: str
    supports: int


class InsightRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _count(self, column: object, start: datetime, end: datetime) -> int:
        query = select(func.count()).where(column >= start, column < end)  # type: ignore[operator]
        return int(await self._session.scalar(query) or 0)

    async def ideas_created(self, start: datetime, end: datetime) -> int:
        return await self._count(Idea.created_at, start, end)

    async def supports_given(self, start: datetime, end: datetime) -> int:
        """Supports that still exist and were given in the period (withdrawn ones are gone)."""
        return await self._count(IdeaSupport.created_at, start, end)

    async def status_changes(self, start: datetime, end: datetime) -> dict[str, int]:
        """Staff's status changes (and merges) by new status; an idea's first entry, which
        records its submission, has no author and is not a change."""
        rows = await self._session.execute(
            select(IdeaStatusChange.status, func.count())
            .where(
                IdeaStatusChange.changed_by.is_not(None),
                IdeaStatusChange.changed_at >= start,
                IdeaStatusChange.changed_at < end,
            )
            .group_by(IdeaStatusChange.status)
        )
        return {status: int(count) for status, count in rows}

    async def most_supported_open(self, limit: int) -> list[OpenIdea]:
        """The open ideas the public list shows, most supported first (ties: oldest)."""
        rows = await self._session.execute(
            select(Idea.number, Idea.text, Idea.support_count)
            .where(*_open_conditions())
            .order_by(Idea.support_count.desc(), Idea.number)
            .limit(limit)
        )
        return [OpenIdea(number, text, supports) for number, text, supports in rows]

    async def supports_gained(
        self, numbers: Iterable[int], start: datetime, end: datetime
    ) -> dict[int, int]:
        """Supports each of these ideas got in the period."""
        rows = await self._session.execute(
            select(Idea.number, func.count())
            .join(IdeaSupport, IdeaSupport.idea_id == Idea.id)
            .where(
                Idea.number.in_(list(numbers)),
                IdeaSupport.created_at >= start,
                IdeaSupport.created_at < end,
            )
            .group_by(Idea.number)
        )
        return {number: int(count) for number, count in rows}

    async def question_times(self, start: datetime, end: datetime) -> list[QuestionTimes]:
        """Routed questions that matter for any period within `[start, end)`: asked in it,
        or still unanswered or not yet closed when it began (so possibly overdue in it)."""
        rows = await self._session.execute(
            select(
                Question.department_id,
                Question.created_at,
                Question.routed_at,
                Question.answered_at,
                Question.closed_at,
                Question.expired_at,
            ).where(
                Question.department_id.is_not(None),
                Question.routed_at.is_not(None),
                Question.created_at < end,
                or_(
                    Question.created_at >= start,
                    and_(
                        or_(Question.answered_at.is_(None), Question.answered_at >= start),
                        or_(Question.closed_at.is_(None), Question.closed_at >= start),
                    ),
                ),
            )
        )
        return [QuestionTimes(*row) for row in rows]

    async def workshops_between(self, start: datetime, end: datetime) -> list[WorkshopFill]:
        """Workshops (not cancelled) that began in the period, with their seats."""
        registered = func.count().filter(WorkshopRegistration.status == "registered")
        waiting = func.count().filter(WorkshopRegistration.status == "waiting")
        rows = await self._session.execute(
            select(
                Workshop.id,
                Workshop.title,
                Workshop.capacity,
                registered,
                waiting,
            )
            .outerjoin(WorkshopRegistration, WorkshopRegistration.workshop_id == Workshop.id)
            .where(
                Workshop.status == "scheduled",
                Workshop.starts_at >= start,
                Workshop.starts_at < end,
            )
            .group_by(Workshop.id, Workshop.title, Workshop.capacity)
            .order_by(Workshop.starts_at, Workshop.id)
        )
        return [WorkshopFill(*row) for row in rows]

    async def poll_voters(self, start: datetime, end: datetime) -> list[int]:
        """For each poll that closed in the period, how many people took part: open polls
        count everyone with a response before the close, secret ones their voter list."""
        polls = await self._session.execute(
            select(Poll.id, Poll.secret, Poll.closed_at).where(
                Poll.closed_at >= start, Poll.closed_at < end
            )
        )
        voters: list[int] = []
        for poll_id, secret, closed_at in polls.all():
            if secret:
                query = select(func.count()).where(SecretVoter.poll_id == poll_id)
            else:
                people = PollResponse.platform + ":" + PollResponse.voter
                query = select(func.count(distinct(people))).where(
                    PollResponse.poll_id == poll_id,
                    PollResponse.redacted.is_(False),
                    PollResponse.sent_at <= closed_at,
                )
            voters.append(int(await self._session.scalar(query) or 0))
        return voters

    # ------------------------------------------------------------------ bookkeeping

    async def claim_week(
        self, week_start: date, figures: str, platforms: Iterable[str], now: datetime
    ) -> bool:
        """Decide the digest of the week starting `week_start`, with a delivery for each
        platform; False (and nothing written) if it was decided already."""
        result = await self._session.execute(
            _insert(self._session, Digest)
            .values(week_start=week_start, figures=figures, decided_at=now)
            .on_conflict_do_nothing(index_elements=[Digest.week_start])
            .returning(Digest.week_start)
        )
        if result.first() is None:
            return False
        self._session.add_all(
            DigestDelivery(week_start=week_start, platform=platform, sent_at=None)
            for platform in platforms
        )
        await self._session.flush()
        return True

    async def decided(self, week_start: date) -> bool:
        return await self._session.get(Digest, week_start) is not None

    async def any_decided(self) -> bool:
        """Whether a digest was ever decided: false on a new installation."""
        return await self._session.scalar(select(Digest.week_start).limit(1)) is not None

    async def unsent(self) -> list[tuple[DigestDelivery, str]]:
        """Deliveries not yet posted, oldest week first, each with its week's figures."""
        rows = await self._session.execute(
            select(DigestDelivery, Digest.figures)
            .join(Digest, Digest.week_start == DigestDelivery.week_start)
            .where(DigestDelivery.sent_at.is_(None))
            .order_by(DigestDelivery.week_start, DigestDelivery.platform)
        )
        return [(delivery, figures) for delivery, figures in rows]

    async def mark_sent(self, week_start: date, platform: str, now: datetime) -> None:
        delivery = await self._session.get(DigestDelivery, (week_start, platform))
        if delivery is not None:
            delivery.sent_at = now
