"""The page version on both backends: raised once by a committed write the page could show,
in the same transaction; untouched by bookkeeping, reads and rollbacks; and the private
rooms are replaced as a whole, writing nothing when they are unchanged."""

from datetime import UTC, datetime

from sqlalchemy import select

from storage.moderation.models import Block
from storage.moderation.repository import BlockRepository
from storage.uow import UnitOfWork, UnitOfWorkFactory
from storage.web.repository import PageStateRepository

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SPAMMER = "@spam:example.org"


async def version(uow_factory: UnitOfWorkFactory) -> int | None:
    async with uow_factory() as uow:
        return await PageStateRepository(uow.session).version()


async def test_writes_raise_the_version_once_per_commit_and_nothing_else_does(
    uow_factory: UnitOfWorkFactory,
) -> None:
    start = await version(uow_factory)
    assert start is not None
    async with uow_factory() as uow:
        await uow.events.mark_processed("matrix", "$bookkeeping")
        await uow.session.scalars(select(Block))
        await uow.commit()
    assert await version(uow_factory) == start
    async with uow_factory() as uow:  # blocks count: they are no bookkeeping table
        await block(uow)
        await uow.rollback()
    assert await version(uow_factory) == start
    async with uow_factory() as uow:  # a flushed object
        await block(uow)
        await uow.commit()
    assert await version(uow_factory) == start + 1
    async with uow_factory() as uow:  # a statement alone
        assert await BlockRepository(uow.session).unblock("matrix", SPAMMER)
        await uow.commit()
    assert await version(uow_factory) == start + 2
    async with uow_factory() as uow:  # a second commit of the same session counts alone
        await block(uow)
        await uow.commit()
        await uow.events.mark_processed("matrix", "$after")
        await uow.commit()
    assert await version(uow_factory) == start + 3


async def block(uow: UnitOfWork) -> None:
    await BlockRepository(uow.session).block(
        "matrix", SPAMMER, until=None, reason="", blocked_by="@staff:example.org", now=NOW
    )


async def test_private_rooms_are_replaced_only_when_they_change(
    uow_factory: UnitOfWorkFactory,
) -> None:
    rooms = [("matrix", "#staff:example.org", "!abc:example.org")]
    async with uow_factory() as uow:
        assert await PageStateRepository(uow.session).replace_private_rooms(rooms)
        await uow.commit()
    start = await version(uow_factory)
    async with uow_factory() as uow:
        repository = PageStateRepository(uow.session)
        assert not await repository.replace_private_rooms(rooms)
        assert await repository.private_rooms() == {
            ("matrix", "#staff:example.org"): "!abc:example.org"
        }
        await uow.commit()
    assert await version(uow_factory) == start
