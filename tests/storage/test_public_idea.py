"""The public page's idea read, on SQLite and PostgreSQL: the idea, its history and the page
version in one statement, so the page's render cache (bot.web.cache) costs it no second
round trip and keys what it keeps by the version of the very snapshot it rendered."""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.ideas.repository import IdeasRepository
from storage.uow import UnitOfWorkFactory
from storage.web.repository import PageStateRepository
from tests.storage.idea_rows import new_idea
from tests.storage.test_statements_before_an_answer import statements

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


async def test_a_public_idea_comes_with_its_history_and_the_page_version_in_one_statement(
    engine: AsyncEngine, uow_factory: UnitOfWorkFactory
) -> None:
    async with uow_factory() as uow:
        repository = IdeasRepository(uow.session)
        await repository.add(new_idea(1), NOW)
        await repository.add(new_idea(2, published=False), NOW)
        await uow.commit()
    async with uow_factory() as uow:
        version = await PageStateRepository(uow.session).version()
        with statements(engine) as sent:
            shown = await IdeasRepository(uow.session).public_idea(1)
        assert sent == ["SELECT"]
        assert await IdeasRepository(uow.session).public_idea(2) is None
    assert shown is not None and version is not None
    assert shown.page_version == version
    assert [(entry.status, entry.at) for entry in shown.history] == [("new", NOW)]
