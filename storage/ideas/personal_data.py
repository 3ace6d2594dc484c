"""One person's rows in the ideas box: found for the data export, erased on request.

Takes a session and never commits (see storage.uow).
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.ideas.models import Idea, IdeaReport, IdeaStatusChange, IdeaSupport
from storage.privacy.models import ERASED
from storage.privacy.personal_data import Someone


class IdeaPersonalData:
    """The ideas, supports, reports and status changes of `person`."""

    def __init__(self, session: AsyncSession, person: Someone) -> None:
        self._session = session
        self.person = person

    # ---------------------------------------------------------------------- reading

    async def names(self) -> set[str]:
        """The author names stored with the person's ideas."""
        found = await self._session.scalars(
            select(Idea.author_name).where(self.person.owns(Idea.platform, Idea.author_id))
        )
        return {name for name in found if name}

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
            .where(self.person.owns(Idea.platform, Idea.author_id))
            .order_by(Idea.number)
        )
        return [(idea, int(count)) for idea, count in rows]

    async def supports(self) -> list[tuple[IdeaSupport, int]]:
        """The person's supports with the idea number they support."""
        rows = await self._session.execute(
            select(IdeaSupport, Idea.number)
            .join(Idea, Idea.id == IdeaSupport.idea_id)
            .where(self.person.owns(IdeaSupport.platform, IdeaSupport.supporter_id))
            .order_by(IdeaSupport.id)
        )
        return [(support, number) for support, number in rows]

    async def reports(self) -> list[tuple[IdeaReport, int]]:
        rows = await self._session.execute(
            select(IdeaReport, Idea.number)
            .join(Idea, Idea.id == IdeaReport.idea_id)
            .where(self.person.owns(IdeaReport.platform, IdeaReport.reporter_id))
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

    # ---------------------------------------------------------------------- erasing

    async def delete_supports_and_reports(self) -> list[int]:
        """Withdraw the person's supports and reports; the numbers of the ideas supported."""
        supported = await self._session.execute(
            delete(IdeaSupport)
            .where(self.person.owns(IdeaSupport.platform, IdeaSupport.supporter_id))
            .returning(IdeaSupport.idea_id)
        )
        idea_ids = [idea_id for (idea_id,) in supported]
        await self._session.execute(
            delete(IdeaReport).where(self.person.owns(IdeaReport.platform, IdeaReport.reporter_id))
        )
        if not idea_ids:
            return []
        numbers = await self._session.scalars(
            select(Idea.number).where(Idea.id.in_(idea_ids)).order_by(Idea.number)
        )
        return list(numbers)

    async def is_built_on(self, idea: Idea, supports: int) -> bool:
        """Others built on an idea: it has supports, or other ideas were merged into it."""
        if supports:
            return True
        merged = await self._session.scalar(select(exists().where(Idea.merged_into == idea.number)))
        return bool(merged)

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

    async def anonymise_status_changes(self) -> None:
        """Status changes the person made as staff stay, without their id."""
        await self._session.execute(
            update(IdeaStatusChange)
            .where(IdeaStatusChange.changed_by == self.person.id)
            .values(changed_by=ERASED)
        )
