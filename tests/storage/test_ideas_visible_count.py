"""The count of visible ideas the database keeps (migration 0022), on SQLite and PostgreSQL.

Whatever submits, approves, hides, shows, merges, re-files or erases an idea, the kept
count of each category must equal the visible ideas counted, because `!ideen` shows its
"page 1 of N" from it without counting.
"""

from alembic import command
from sqlalchemy import Connection, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import alembic_config, create_session_factory, upgrade_schema
from storage.ideas.models import Idea, IdeaVisibleCount
from storage.ideas.personal_data import IdeaPersonalData
from storage.ideas.repository import IdeasRepository, Person
from storage.privacy.personal_data import Someone
from storage.uow import UnitOfWorkFactory
from tests.storage.idea_rows import NOW, new_idea


async def kept_and_counted(uow_factory: UnitOfWorkFactory) -> tuple[dict[str, int], dict[str, int]]:
    """Per category ('' for none): the kept count (zeros left out) and the ideas counted."""
    async with uow_factory() as uow:
        kept = await uow.session.execute(
            select(IdeaVisibleCount.category, IdeaVisibleCount.visible)
        )
        counted = await uow.session.execute(
            select(Idea.category, func.count())
            .where(Idea.published.is_(True), Idea.hidden.is_(False), Idea.merged_into.is_(None))
            .group_by(Idea.category)
        )
        return (
            {category: visible for category, visible in kept if visible},
            {category or "": count for category, count in counted},
        )


async def totals(uow_factory: UnitOfWorkFactory, category: str | None) -> int:
    async with uow_factory() as uow:
        _page, total = await IdeasRepository(uow.session).listing(
            top=True, category=category, author=None, offset=0, limit=10
        )
    return total


async def test_every_way_of_changing_an_idea_keeps_the_count(
    uow_factory: UnitOfWorkFactory,
) -> None:
    categories = ("mobilitaet", "umwelt", None, "mobilitaet", None, "umwelt", "mobilitaet")
    async with uow_factory() as uow:
        ideas = IdeasRepository(uow.session)
        for number, category in enumerate(categories, start=1):
            author = f"@author{number % 3}:localhost"
            idea = new_idea(number, category=category, published=number != 7, author=author)
            await ideas.add(idea, NOW)
        await uow.commit()
    kept, counted = await kept_and_counted(uow_factory)
    assert kept == counted == {"mobilitaet": 2, "umwelt": 2, "": 2}
    assert await totals(uow_factory, None) == 6
    assert await totals(uow_factory, "mobilitaet") == 2

    async with uow_factory() as uow:  # approve, hide, merge, re-file
        ideas = IdeasRepository(uow.session)
        pending, hidden, duplicate, refiled = [await ideas.get(n) for n in (7, 2, 4, 5)]
        assert pending and hidden and duplicate and refiled
        pending.published = True
        hidden.hidden = True
        duplicate.merged_into = 1
        refiled.category = "umwelt"
        await uow.commit()
    kept, counted = await kept_and_counted(uow_factory)
    assert kept == counted == {"mobilitaet": 2, "umwelt": 2, "": 1}
    assert await totals(uow_factory, None) == 5
    assert await totals(uow_factory, "umwelt") == 2

    async with uow_factory() as uow:  # show again; updates that change nothing counted
        hidden = await IdeasRepository(uow.session).get(2)
        assert hidden
        hidden.hidden = False
        await uow.session.flush()
        await uow.session.execute(text("UPDATE ideas SET category = category, hidden = hidden"))
        await uow.commit()
    kept, counted = await kept_and_counted(uow_factory)
    assert kept == counted == {"mobilitaet": 2, "umwelt": 3, "": 1}

    async with uow_factory() as uow:  # an erasure deletes the ideas nobody built on
        data = IdeaPersonalData(uow.session, Someone("matrix", "@author0:localhost"))
        ideas = IdeasRepository(uow.session)
        await data.delete_ideas([idea for n in (3, 6) if (idea := await ideas.get(n))])
        await uow.commit()
    kept, counted = await kept_and_counted(uow_factory)
    assert kept == counted == {"mobilitaet": 2, "umwelt": 2}
    assert await totals(uow_factory, None) == 4
    assert await totals(uow_factory, "bildung") == 0


IDEA = """INSERT INTO ideas (number, platform, author_id, author_name, room_id,
    source_event_id, category, text, status, published, hidden, merged_into, created_at)
    VALUES (:number, 'matrix', '@a:x', 'a', '!r:x', :event, :category, 'Bänke', 'new',
    :published, :hidden, :merged_into, :now)"""
OLD_IDEAS = [
    # number, category, published, hidden, merged_into
    (1, "umwelt", True, False, None),
    (2, "umwelt", True, True, None),
    (3, None, True, False, None),
    (4, "umwelt", False, False, None),
    (5, "umwelt", True, False, 1),
    (6, "umwelt", True, False, None),
]


def _ideas_before_0022(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "0021_web_speed_page_state")
    for number, category, published, hidden, merged_into in OLD_IDEAS:
        connection.execute(
            text(IDEA),
            {
                "number": number,
                "event": f"$idea{number}",
                "category": category,
                "published": published,
                "hidden": hidden,
                "merged_into": merged_into,
                "now": NOW,
            },
        )


async def test_the_migration_counts_the_ideas_already_stored(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.run_sync(_ideas_before_0022)
        await connection.commit()
    await upgrade_schema(engine)
    uow_factory = UnitOfWorkFactory(create_session_factory(engine))
    kept, counted = await kept_and_counted(uow_factory)
    assert kept == counted == {"umwelt": 2, "": 1}


async def test_each_view_pages_with_its_total_and_supports(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        ideas = IdeasRepository(uow.session)
        for number in range(1, 8):  # authors @author1, @author2, @author0, @author1, ...
            author = f"@author{number % 3}:localhost"
            category = "umwelt" if number % 2 else None
            idea = await ideas.add(new_idea(number, category=category, author=author), NOW)
            for supporter in range(number % 3):
                await ideas.add_support(idea, "matrix", f"@s{supporter}:x", NOW)
        await uow.commit()

    async def page(**view: object) -> tuple[list[tuple[int, int]], int]:
        arguments = {"top": False, "category": None, "author": None, "offset": 0, "limit": 3}
        async with uow_factory() as uow:
            listed, total = await IdeasRepository(uow.session).listing(**{**arguments, **view})
        return [(item.idea.number, item.supports) for item in listed], total

    assert await page() == ([(7, 1), (6, 0), (5, 2)], 7)
    assert await page(offset=6) == ([(1, 1)], 7)
    assert await page(offset=9) == ([], 7)  # beyond the last page: still the total
    assert await page(top=True) == ([(5, 2), (2, 2), (7, 1)], 7)
    assert await page(category="umwelt", offset=3) == ([(1, 1)], 4)
    author = Person("matrix", "@author1:localhost")
    assert await page(author=author) == ([(7, 1), (4, 1), (1, 1)], 3)
    assert await page(author=author, offset=3) == ([], 3)
    assert await page(author=Person("matrix", "@nobody:x")) == ([], 0)
