"""The support counter the database keeps (migration 0009), on SQLite and PostgreSQL.

Whatever adds, withdraws or moves a support, `ideas.support_count` must equal the number
of support rows, because `!ideen top` orders by it without counting.
"""

from sqlalchemy import delete, func, select

from storage.ideas.models import Idea, IdeaSupport
from storage.ideas.repository import IdeasRepository
from storage.uow import UnitOfWorkFactory
from tests.storage.idea_rows import NOW, new_idea


async def counters(uow_factory: UnitOfWorkFactory) -> dict[int, tuple[int, int]]:
    """Per idea number: (the kept counter, the supports counted)."""
    async with uow_factory() as uow:
        counted = (
            select(func.count())
            .where(IdeaSupport.idea_id == Idea.id)
            .correlate(Idea)
            .scalar_subquery()
        )
        rows = await uow.session.execute(select(Idea.number, Idea.support_count, counted))
        return {number: (kept, real) for number, kept, real in rows}


async def test_every_way_of_changing_supports_keeps_the_counter(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        ideas = IdeasRepository(uow.session)
        one, two, three = [await ideas.add(new_idea(n), NOW) for n in (1, 2, 3)]
        for person in ("@a:x", "@b:x", "@c:x"):
            await ideas.add_support(one, "matrix", person, NOW)
        await ideas.add_support(one, "matrix", "@a:x", NOW)  # twice: still one
        await ideas.add_support(two, "matrix", "@d:x", NOW, by_reaction=True)
        await ideas.add_support(two, "matrix", "@a:x", NOW)
        await uow.commit()
    assert await counters(uow_factory) == {1: (3, 3), 2: (2, 2), 3: (0, 0)}

    async with uow_factory() as uow:
        ideas = IdeasRepository(uow.session)
        one, two, three = [await ideas.get(n) for n in (1, 2, 3)]
        await ideas.remove_support(one, "matrix", "@c:x")
        await ideas.remove_reaction_support(two, "matrix", "@d:x")
        await ideas.move_supports(one, three)  # a merge: @a and @b and the author move over
        await uow.commit()
    kept = await counters(uow_factory)
    assert all(counter == counted for counter, counted in kept.values()), kept
    assert kept[3] == (3, 3)

    async with uow_factory() as uow:  # an erasure deletes a person's supports directly
        await uow.session.execute(delete(IdeaSupport).where(IdeaSupport.supporter_id == "@a:x"))
        await uow.commit()
    kept = await counters(uow_factory)
    assert all(counter == counted for counter, counted in kept.values()), kept


async def test_top_lists_by_the_counter(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        ideas = IdeasRepository(uow.session)
        added = [await ideas.add(new_idea(n), NOW) for n in (1, 2, 3)]
        for idea, supporters in zip(added, (1, 3, 2), strict=True):
            for person in range(supporters):
                await ideas.add_support(idea, "matrix", f"@p{person}:x", NOW)
        await uow.commit()
    async with uow_factory() as uow:
        page, total = await IdeasRepository(uow.session).listing(
            top=True, category=None, author=None, offset=0, limit=10
        )
    assert total == 3
    assert [(listed.idea.number, listed.supports) for listed in page] == [(2, 3), (3, 2), (1, 1)]
