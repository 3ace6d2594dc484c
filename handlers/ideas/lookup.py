"""Finding the idea a command names, with the friendly error when it cannot be used."""

from __future__ import annotations

from bot.context import Context, Role
from bot.errors import UsageError
from storage.ideas.models import Idea
from storage.ideas.repository import IdeasRepository


async def find_idea(repository: IdeasRepository, number: int) -> Idea:
    """Any idea by number (staff commands); unknown numbers are a usage error."""
    idea = await repository.get(number)
    if idea is None:
        raise UsageError("ideas.not_found", number=number)
    return idea


async def public_idea(repository: IdeasRepository, number: int, ctx: Context) -> Idea:
    """An idea citizens may act on: published, not hidden, not merged into another.

    Staff may act on hidden ideas too; an idea waiting for review does not exist yet for
    anyone but staff.
    """
    idea = await find_idea(repository, number)
    staff = ctx.role >= Role.STAFF
    if not idea.published and not staff:
        raise UsageError("ideas.not_found", number=number)
    if idea.hidden and not staff:
        raise UsageError("ideas.hidden", number=number)
    if idea.merged_into is not None:
        raise UsageError("ideas.merged", number=number, original=idea.merged_into)
    return idea
