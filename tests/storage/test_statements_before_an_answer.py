"""Statements before a command's answer, on SQLite and PostgreSQL: each costs the asker
time on the bot's event loop (`bench.bot_steps`), so the hot ones are counted here."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.ideas.repository import IdeasRepository
from storage.polls.repository import PollRepository
from storage.uow import UnitOfWorkFactory
from tests.storage.test_ideas_support_count import new_idea
from tests.storage.test_polls_storage import new_poll

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements sent meanwhile."""
    sent: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        sent.append(statement.split(" ")[0])

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def test_idea_numbers_count_up_with_one_statement_after_the_first(
    engine: AsyncEngine, uow_factory: UnitOfWorkFactory
) -> None:
    async with uow_factory() as uow:
        assert await IdeasRepository(uow.session).next_number() == 1
        await uow.commit()
    async with uow_factory() as uow:
        with statements(engine) as sent:
            assert await IdeasRepository(uow.session).next_number() == 2
        assert sent == ["UPDATE"]
        await uow.rollback()
    async with uow_factory() as uow:
        assert await IdeasRepository(uow.session).next_number() == 2


async def test_a_new_idea_is_one_insert_until_the_commit_stores_its_history(
    engine: AsyncEngine, uow_factory: UnitOfWorkFactory
) -> None:
    async with uow_factory() as uow:
        repository = IdeasRepository(uow.session)
        with statements(engine) as sent:
            idea = await repository.add(new_idea(1), NOW)
        assert sent == ["INSERT"]
        await uow.commit()
    async with uow_factory() as uow:
        [entry] = await IdeasRepository(uow.session).history(idea)
    assert (entry.status, entry.changed_at) == ("new", NOW)


async def test_a_poll_is_read_with_its_answers_in_one_statement(
    engine: AsyncEngine, uow_factory: UnitOfWorkFactory
) -> None:
    poll_id = await new_poll(uow_factory)
    async with uow_factory() as uow:
        with statements(engine) as sent:
            poll = await PollRepository(uow.session).get(poll_id)
        assert sent == ["SELECT"]
    assert poll is not None
    assert [(a.position, a.text) for a in poll.answers] == [
        (1, "Verkehr"),
        (2, "Bildung"),
        (3, "Kultur"),
    ]
    async with uow_factory() as uow:
        assert await PollRepository(uow.session).get(poll_id + 1) is None
