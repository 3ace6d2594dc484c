"""Queries of the ideas box. Takes the unit of work's session and never commits.

Writes that two events may race for (a support, a report, the next number) use
``INSERT ... ON CONFLICT`` or a row update, so a collision neither raises nor aborts the
caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.ideas.models import (
    MERGED,
    OPEN_STATUSES,
    Idea,
    IdeaReport,
    IdeaSequence,
    IdeaStatusChange,
    IdeaSupport,
    IdeaVisibleCount,
)
from storage.matching import SUGGESTIONS, typed_matches
from storage.repositories import _insert
from storage.web.repository import PAGE_VERSION

SEQUENCE_NAME = "ideas"


@dataclass(frozen=True)
class ListedIdea:
    """An idea with its current number of supports, as listings and exports show it."""

    idea: Idea
    supports: int


@dataclass(frozen=True)
class Person:
    """Someone to notify, by platform identity."""

    platform: str
    id: str


@dataclass(frozen=True)
class StatusChange:
    status: str
    """A status id, or "merged"."""
    reason: str | None
    at: datetime


@dataclass(frozen=True)
class PublicIdea:
    """What the public page shows of one idea: no author, room or event ids."""

    number: int
    text: str
    category: str | None
    status: str
    support_count: int
    created_at: datetime
    merged_into: int | None
    history: tuple[StatusChange, ...]
    page_version: int | None
    """The page version read with the idea (None if its row is missing): what the page
    keeps its rendering under (bot.web.cache)."""


class IdeasRepository:
    """Ideas, their supports, status history and reports."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # ------------------------------------------------------------------ ideas

    async def next_number(self) -> int:
        """The next idea number; the row lock on PostgreSQL serialises concurrent ideas.

        One statement per idea: the counter's row is created only by the very first idea
        (each statement before a command's answer costs the asker about a millisecond of
        the bot's loop, `bench.bot_steps`)."""
        number = await self._bump_number()
        if number is None:
            await self._session.execute(
                _insert(self._session, IdeaSequence)
                .values(name=SEQUENCE_NAME, last_number=0)
                .on_conflict_do_nothing(index_elements=[IdeaSequence.name])
            )
            number = await self._bump_number()
        assert number is not None  # the row exists now
        return number

    async def _bump_number(self) -> int | None:
        result = await self._session.execute(
            update(IdeaSequence)
            .where(IdeaSequence.name == SEQUENCE_NAME)
            .values(last_number=IdeaSequence.last_number + 1)
            .returning(IdeaSequence.last_number)
        )
        return result.scalar_one_or_none()

    async def add(self, idea: Idea, changed_at: datetime) -> Idea:
        """Store a new idea with the first entry of its history.

        The entry is flushed with whatever the transaction writes next (at the latest its
        commit): one flush fewer before the submission's answer."""
        self._session.add(idea)
        await self._session.flush()
        self._session.add(self._status_change(idea, idea.status, None, None, changed_at))
        return idea

    async def get(self, number: int) -> Idea | None:
        return await self._session.scalar(select(Idea).where(Idea.number == number))

    async def by_card(self, platform: str, card_event_id: str) -> Idea | None:
        """The idea whose card is the event `card_event_id` on `platform` (a 👍 was put on it)."""
        return await self._session.scalar(
            select(Idea).where(Idea.card_platform == platform, Idea.card_event_id == card_event_id)
        )

    async def count_since(self, platform: str, author_id: str, since: datetime) -> int:
        """How many ideas the person submitted since `since` (for the hourly limit)."""
        count = await self._session.scalar(
            select(func.count())
            .select_from(Idea)
            .where(Idea.platform == platform, Idea.author_id == author_id, Idea.created_at > since)
        )
        return int(count or 0)

    async def open_texts(self) -> list[tuple[int, str]]:
        """Number and text of every idea similar-idea hints may name."""
        rows = await self._session.execute(
            select(Idea.number, Idea.text).where(*_open_conditions()).order_by(Idea.number)
        )
        return [(number, text) for number, text in rows]

    async def open_count(self) -> int:
        """How many ideas similar-idea hints may name (what `open_texts` would return)."""
        return int(
            await self._session.scalar(
                select(func.count()).select_from(Idea).where(*_open_conditions())
            )
            or 0
        )

    async def open_numbers(self, numbers: Sequence[int]) -> list[Idea]:
        """Those of `numbers` that are still open and visible, in the given order."""
        if not numbers:
            return []
        found = await self._session.scalars(
            select(Idea).where(Idea.number.in_(numbers), *_open_conditions())
        )
        by_number = {idea.number: idea for idea in found}
        return [by_number[number] for number in numbers if number in by_number]

    async def matching(self, typed: str, *, include_hidden: bool) -> list[tuple[int, str]]:
        """Ideas whose number starts with or whose text contains `typed`, newest first (at
        most `SUGGESTIONS`); merged ideas never, hidden and unpublished ones only for staff
        (`include_hidden`)."""
        conditions = [Idea.merged_into.is_(None), typed_matches(Idea.number, Idea.text, typed)]
        if not include_hidden:
            conditions += [Idea.published.is_(True), Idea.hidden.is_(False)]
        rows = await self._session.execute(
            select(Idea.number, Idea.text)
            .where(*conditions)
            .order_by(Idea.number.desc())
            .limit(SUGGESTIONS)
        )
        return [(number, text) for number, text in rows]

    async def published_without_card(self) -> list[Idea]:
        """Published ideas whose card was never recorded (e.g. the bot stopped in between)."""
        found = await self._session.scalars(
            select(Idea)
            .where(Idea.published.is_(True), Idea.card_event_id.is_(None))
            .order_by(Idea.number)
        )
        return list(found)

    async def listing(
        self,
        *,
        top: bool,
        category: str | None,
        author: Person | None,
        offset: int,
        limit: int,
    ) -> tuple[list[ListedIdea], int]:
        """One page of visible ideas (published, not hidden, not merged) and the total.

        One statement: the page with the total beside each row. Each round trip costs a
        command time (on PostgreSQL under load several ms, `bench.scale`); the total is
        asked alone only when the page is empty. Support counts and, without an author,
        the total are the trigger-kept counters (migrations 0009 and 0022): nothing counts
        every idea or every support.
        """
        conditions = [Idea.published.is_(True), Idea.hidden.is_(False), Idea.merged_into.is_(None)]
        if category is not None:
            conditions.append(Idea.category == category)
        if author is not None:
            conditions.extend([Idea.platform == author.platform, Idea.author_id == author.id])
            total = select(func.count()).select_from(Idea).where(*conditions)
        else:
            total = select(func.coalesce(func.sum(IdeaVisibleCount.visible), 0))
            if category is not None:
                total = total.where(IdeaVisibleCount.category == category)
        order = (Idea.support_count.desc(), Idea.number.desc()) if top else (Idea.number.desc(),)
        rows = (
            await self._session.execute(
                select(Idea, total.scalar_subquery())
                .where(*conditions)
                .order_by(*order)
                .offset(offset)
                .limit(limit)
            )
        ).all()
        if not rows:
            return [], int(await self._session.scalar(total) or 0) if offset else 0
        return [ListedIdea(idea, idea.support_count) for idea, _ in rows], int(rows[0][1] or 0)

    async def public_page(
        self,
        *,
        top: bool,
        category: str | None,
        status: str | None,
        search: str | None,
        offset: int,
        limit: int,
    ) -> list[Idea]:
        """One page of the ideas the public page lists (as `listing` shows them in chat:
        published, not hidden, not merged), newest or most supported first.

        Not counted: counting every visible idea on each request would cost more than the
        page itself (a partial index keeps the paging cheap). Support counts are the
        trigger-kept `support_count`, so no page counts supports either.
        """
        conditions: list[Any] = [*_visible_conditions(), Idea.merged_into.is_(None)]
        if category is not None:
            conditions.append(Idea.category == category)
        if status is not None:
            conditions.append(Idea.status == status)
        if search:
            escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conditions.append(Idea.text.ilike(f"%{escaped}%", escape="\\"))
        order = (Idea.support_count.desc(), Idea.number.desc()) if top else (Idea.number.desc(),)
        page = await self._session.scalars(
            select(Idea).where(*conditions).order_by(*order).offset(offset).limit(limit)
        )
        return list(page)

    async def public_idea(self, number: int) -> PublicIdea | None:
        """The idea `number` with its status history if the public may see it (published,
        not hidden); merged ones too, so their page can point to the idea they were merged
        into. One statement of plain rows (see `_PUBLIC_IDEA`), which also reads the page
        version."""
        rows = (await self._session.execute(_PUBLIC_IDEA, {"number": number})).all()
        if not rows:
            return None
        first = rows[0]
        return PublicIdea(
            number=first.number,
            text=first.text,
            category=first.category,
            status=first.status,
            support_count=first.support_count,
            created_at=first.created_at,
            merged_into=first.merged_into,
            history=tuple(
                StatusChange(row.change_status, row.change_reason, row.changed_at)
                for row in rows
                if row.changed_at is not None
            ),
            page_version=first.page_version,
        )

    async def public_after(self, after: int, limit: int) -> list[Idea]:
        """Visible ideas numbered above `after`, oldest first (open data, paged by number)."""
        found = await self._session.scalars(
            select(Idea)
            .where(Idea.number > after, *_visible_conditions())
            .order_by(Idea.number)
            .limit(limit)
        )
        return list(found)

    async def everything(self) -> list[ListedIdea]:
        """Every idea with its supports, oldest first, for exports."""
        rows = await self._session.execute(_with_support_counts().order_by(Idea.number))
        return [ListedIdea(idea, int(count)) for idea, count in rows]

    # ----------------------------------------------------------------- history

    async def record_status(
        self,
        idea: Idea,
        status: str,
        reason: str | None,
        changed_by: str | None,
        changed_at: datetime,
    ) -> IdeaStatusChange:
        """Add an entry to the idea's history; a real status also becomes the idea's status."""
        change = self._status_change(idea, status, reason, changed_by, changed_at)
        self._session.add(change)
        await self._session.flush()
        return change

    @staticmethod
    def _status_change(
        idea: Idea, status: str, reason: str | None, changed_by: str | None, changed_at: datetime
    ) -> IdeaStatusChange:
        if status != MERGED:
            idea.status = status
        return IdeaStatusChange(
            idea_id=idea.id,
            status=status,
            reason=reason,
            changed_by=changed_by,
            changed_at=changed_at,
        )

    async def history(self, idea: Idea) -> list[IdeaStatusChange]:
        found = await self._session.scalars(
            select(IdeaStatusChange)
            .where(IdeaStatusChange.idea_id == idea.id)
            .order_by(IdeaStatusChange.changed_at, IdeaStatusChange.id)
        )
        return list(found)

    # ---------------------------------------------------------------- supports

    async def add_support(
        self,
        idea: Idea,
        platform: str,
        supporter_id: str,
        created_at: datetime,
        by_reaction: bool = False,
    ) -> bool:
        """Record a support; False if the person already supports the idea."""
        result = await self._session.execute(
            _insert(self._session, IdeaSupport)
            .values(
                idea_id=idea.id,
                platform=platform,
                supporter_id=supporter_id,
                by_reaction=by_reaction,
                created_at=created_at,
            )
            .on_conflict_do_nothing()
            .returning(IdeaSupport.id)
        )
        return result.first() is not None

    async def remove_support(self, idea: Idea, platform: str, supporter_id: str) -> bool:
        """Withdraw a support; False if there was none."""
        result = await self._session.execute(
            delete(IdeaSupport)
            .where(
                IdeaSupport.idea_id == idea.id,
                IdeaSupport.platform == platform,
                IdeaSupport.supporter_id == supporter_id,
            )
            .returning(IdeaSupport.id)
        )
        return result.first() is not None

    async def remove_reaction_support(self, idea: Idea, platform: str, supporter_id: str) -> bool:
        """Withdraw the person's support if a 👍 made it (one by command stays); False if
        there was none."""
        result = await self._session.execute(
            delete(IdeaSupport)
            .where(
                IdeaSupport.idea_id == idea.id,
                IdeaSupport.platform == platform,
                IdeaSupport.supporter_id == supporter_id,
                IdeaSupport.by_reaction,
            )
            .returning(IdeaSupport.id)
        )
        return result.first() is not None

    async def supports(self, idea: Idea, platform: str, supporter_id: str) -> bool:
        found = await self._session.scalar(
            select(IdeaSupport.id).where(
                IdeaSupport.idea_id == idea.id,
                IdeaSupport.platform == platform,
                IdeaSupport.supporter_id == supporter_id,
            )
        )
        return found is not None

    async def support_count(self, idea: Idea) -> int:
        count = await self._session.scalar(
            select(func.count()).select_from(IdeaSupport).where(IdeaSupport.idea_id == idea.id)
        )
        return int(count or 0)

    async def supporters(self, idea: Idea) -> list[Person]:
        rows = await self._session.execute(
            select(IdeaSupport.platform, IdeaSupport.supporter_id)
            .where(IdeaSupport.idea_id == idea.id)
            .order_by(IdeaSupport.id)
        )
        return [Person(platform, supporter) for platform, supporter in rows]

    async def move_supports(self, duplicate: Idea, original: Idea) -> None:
        """Make the duplicate's supporters (and author) supporters of the original.

        Nobody is counted twice and the original's author does not support their own idea.
        A support made by 👍 stays one, so taking that reaction back later still withdraws it.
        """
        moving = await self._session.scalars(
            select(IdeaSupport).where(IdeaSupport.idea_id == duplicate.id).order_by(IdeaSupport.id)
        )
        carried = [(s.platform, s.supporter_id, s.by_reaction) for s in moving]
        await self._session.execute(delete(IdeaSupport).where(IdeaSupport.idea_id == duplicate.id))
        carried.append((duplicate.platform, duplicate.author_id, False))
        for platform, supporter_id, by_reaction in carried:
            if (platform, supporter_id) == (original.platform, original.author_id):
                continue
            await self.add_support(
                original, platform, supporter_id, duplicate.created_at, by_reaction
            )

    # ----------------------------------------------------------------- reports

    async def add_report(
        self, idea: Idea, platform: str, reporter_id: str, reason: str | None, at: datetime
    ) -> bool:
        """Record a report; False if this person reported the idea before."""
        result = await self._session.execute(
            _insert(self._session, IdeaReport)
            .values(
                idea_id=idea.id,
                platform=platform,
                reporter_id=reporter_id,
                reason=reason,
                resolved=False,
                created_at=at,
            )
            .on_conflict_do_nothing()
            .returning(IdeaReport.id)
        )
        return result.first() is not None

    async def open_report_count(self, idea: Idea) -> int:
        """Reports since staff last decided to show the idea."""
        count = await self._session.scalar(
            select(func.count())
            .select_from(IdeaReport)
            .where(IdeaReport.idea_id == idea.id, IdeaReport.resolved.is_(False))
        )
        return int(count or 0)

    async def resolve_reports(self, idea: Idea) -> None:
        """Staff decided: earlier reports no longer count towards hiding the idea."""
        await self._session.execute(
            update(IdeaReport).where(IdeaReport.idea_id == idea.id).values(resolved=True)
        )


def _visible_conditions() -> tuple[Any, ...]:
    """Ideas anyone may see: published and not hidden."""
    return (Idea.published.is_(True), Idea.hidden.is_(False))


_IDEAS = Idea.__table__.c
_CHANGES = IdeaStatusChange.__table__.c
_PUBLIC_IDEA = (
    select(
        _IDEAS.number,
        _IDEAS.text,
        _IDEAS.category,
        _IDEAS.status,
        _IDEAS.support_count,
        _IDEAS.created_at,
        _IDEAS.merged_into,
        _CHANGES.status.label("change_status"),
        _CHANGES.reason.label("change_reason"),
        _CHANGES.changed_at,
        PAGE_VERSION.label("page_version"),
    )
    .select_from(Idea.__table__.outerjoin(IdeaStatusChange.__table__))
    .where(
        _IDEAS.number == bindparam("number"),
        _IDEAS.published.is_(True),
        _IDEAS.hidden.is_(False),
    )
    .order_by(_CHANGES.changed_at, _CHANGES.id)
)
"""An idea the public may see, one row per history entry (one row of NULLs for none).
Built once, on the tables rather than the mapped classes: the public page reads it for
every idea page it renders, and constructing an ORM select and loading `Idea` objects
from it cost three times what the query itself does (docs/benchmarks.md, "Public page,
idea page speed")."""


def _open_conditions() -> tuple[object, ...]:
    return (
        Idea.published.is_(True),
        Idea.hidden.is_(False),
        Idea.merged_into.is_(None),
        Idea.status.in_(OPEN_STATUSES),
    )


def _with_support_counts() -> Select[tuple[Idea, int]]:
    counts = (
        select(IdeaSupport.idea_id, func.count().label("supports"))
        .group_by(IdeaSupport.idea_id)
        .subquery()
    )
    supports = func.coalesce(counts.c.supports, 0).label("supports")
    return select(Idea, supports).outerjoin(counts, counts.c.idea_id == Idea.id)
