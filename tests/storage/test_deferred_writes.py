"""Deferred writes ride along with the next commit, and the router's facts in one statement."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from storage.incoming import incoming_facts
from storage.moderation.repository import BlockRepository
from storage.uow import UnitOfWork, UnitOfWorkFactory

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def cursor_write(channel: str, event: str):  # type: ignore[no-untyped-def]
    async def write(uow: UnitOfWork) -> None:
        await uow.cursors.set("discord", channel, event)

    return write


async def cursors(uow_factory: UnitOfWorkFactory) -> dict[str, str]:
    async with uow_factory() as uow:
        return await uow.cursors.all("discord")


async def test_a_deferred_write_waits_for_the_next_commit_and_the_newest_per_key_wins(
    uow_factory: UnitOfWorkFactory,
) -> None:
    uow_factory.defer("c1", cursor_write("c1", "5"))
    uow_factory.defer("c1", cursor_write("c1", "7"))
    uow_factory.defer("c2", cursor_write("c2", "1"))
    assert await cursors(uow_factory) == {}
    async with uow_factory() as uow:
        await uow.events.mark_processed("discord", "e1")
        await uow.commit()
    assert await cursors(uow_factory) == {"c1": "7", "c2": "1"}
    async with uow_factory() as uow:
        assert await uow.events.is_processed("discord", "e1")


async def test_deferred_writes_survive_a_failed_commit_and_are_flushed_on_close(
    uow_factory: UnitOfWorkFactory,
) -> None:
    uow_factory.defer("c1", cursor_write("c1", "5"))
    with pytest.raises(IntegrityError):
        async with uow_factory() as uow:
            uow.replies.add("k", platform="discord", event_id="e", room_id="r", message="{}")
            uow.replies.add("k", platform="discord", event_id="e", room_id="r", message="{}")
            await uow.commit()
    assert await cursors(uow_factory) == {}
    await uow_factory.close()
    assert await cursors(uow_factory) == {"c1": "5"}


async def test_a_rolled_back_transaction_leaves_deferred_writes_waiting(
    uow_factory: UnitOfWorkFactory,
) -> None:
    uow_factory.defer("c1", cursor_write("c1", "5"))
    async with uow_factory() as uow:
        await uow.events.mark_processed("discord", "e1")  # never committed
    await uow_factory.flush()
    assert await cursors(uow_factory) == {"c1": "5"}
    async with uow_factory() as uow:
        assert not await uow.events.is_processed("discord", "e1")


async def test_incoming_facts_read_processed_blocked_and_language_together(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        facts = await incoming_facts(uow.session, "matrix", "$e", "@a:x", NOW)
    assert (facts.processed, facts.blocked, facts.language) == (False, False, None)
    async with uow_factory() as uow:
        await uow.events.mark_processed("matrix", "$e")
        await uow.people.set_language("matrix", "@a:x", "en")
        blocks = BlockRepository(uow.session)
        await blocks.block(
            "matrix", "@a:x", until=NOW + timedelta(hours=1), reason="", blocked_by="s", now=NOW
        )
        await blocks.block(
            "matrix", "@b:x", until=NOW - timedelta(hours=1), reason="", blocked_by="s", now=NOW
        )
        await blocks.block("matrix", "@c:x", until=None, reason="", blocked_by="s", now=NOW)
        await uow.commit()
    async with uow_factory() as uow:
        a = await incoming_facts(uow.session, "matrix", "$e", "@a:x", NOW)
        b = await incoming_facts(uow.session, "matrix", "$f", "@b:x", NOW)
        c = await incoming_facts(uow.session, "matrix", "$f", "@c:x", NOW)
        other_platform = await incoming_facts(uow.session, "discord", "$e", "@a:x", NOW)
    assert (a.processed, a.blocked, a.language) == (True, True, "en")
    assert (b.processed, b.blocked) == (False, False)
    assert c.blocked
    assert (other_platform.processed, other_platform.blocked) == (False, False)
