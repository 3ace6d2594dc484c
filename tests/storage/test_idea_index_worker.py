"""The similar-idea index built in a child process, on a SQLite file and on PostgreSQL.

The child reads the database itself (with the bot's PostgreSQL search path) and must index
exactly the ideas hints may name: hidden, unpublished, merged and closed ideas never.
"""

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.child_process import ChildProcessFailed
from handlers.ideas.index_worker import (
    build_in_child,
    can_read_separately,
    search_path,
)
from handlers.ideas.similarity import SimilarityIndex
from storage.ideas.repository import IdeasRepository
from storage.uow import UnitOfWorkFactory
from tests.storage.idea_rows import NOW, new_idea

TOPICS = [
    "Mehr Sitzbänke am Marktplatz",
    "Radweg zur Grundschule beleuchten",
    "Trinkbrunnen im Stadtpark",
    "Busverbindung nach Kleinwalsertal am Sonntag",
    "Hundewiese am Mainufer",
]


def url_of(engine: AsyncEngine) -> str:
    return engine.url.render_as_string(hide_password=False)


async def test_the_child_indexes_exactly_the_open_ideas(
    engine: AsyncEngine, uow_factory: UnitOfWorkFactory
) -> None:
    async with uow_factory() as uow:
        ideas = IdeasRepository(uow.session)
        for number in range(1, 41):
            idea = new_idea(number)
            idea.text = f"{TOPICS[number % len(TOPICS)]} Nummer{number}"
            idea.hidden = number == 1
            idea.published = number != 2
            idea.merged_into = 5 if number == 3 else None
            idea.status = "done" if number == 4 else "new"
            await ideas.add(idea, NOW)
        await uow.commit()
    async with uow_factory() as uow:
        schema_path = await search_path(uow.session, url_of(engine))
        expected = SimilarityIndex.build(await IdeasRepository(uow.session).open_texts())

    built = await build_in_child(url_of(engine), schema_path)

    assert len(built) == len(expected) == 36
    assert not any(number in built for number in (1, 2, 3, 4))
    for number in range(5, 41):
        query = f"{TOPICS[number % len(TOPICS)]} Nummer{number}"
        # Sums of the same idf weights, in another order in the child: equal up to rounding.
        found = {match.number: match.score for match in built.similar(query, limit=50)}
        wanted = {match.number: match.score for match in expected.similar(query, limit=50)}
        assert found == pytest.approx(wanted) and number in found


async def test_a_child_that_cannot_read_the_ideas_fails_loudly(tmp_path: Path) -> None:
    with pytest.raises(ChildProcessFailed, match="no such table"):
        await build_in_child(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'x.db'}", None)


@pytest.mark.parametrize("url", ["sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:"])
def test_an_in_memory_database_is_not_read_by_a_child(url: str) -> None:
    assert not can_read_separately(url)
    assert can_read_separately("sqlite+aiosqlite:///data/bot.db")
    assert can_read_separately("postgresql+asyncpg://bot@db/bot")
