"""Migration 0012 moves reaction ids from supports and registrations into the reaction log."""

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import alembic_config, create_session_factory, upgrade_schema
from storage.models import LoggedReaction
from storage.uow import UnitOfWorkFactory

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)

IDEA = """INSERT INTO ideas (id, number, platform, author_id, author_name, room_id,
    source_event_id, text, status, published, hidden, card_room_id, card_event_id, created_at)
    VALUES (1, 1, 'matrix', '@a:x', 'a', '!r:x', '$src', 'Bänke', 'new', true, false,
    '!ideas:x', '$card', :now)"""
SUPPORTS = """INSERT INTO idea_supports (idea_id, platform, supporter_id, reaction_event_id,
    created_at) VALUES (1, 'matrix', '@b:x', '$thumbs', :now), (1, 'matrix', '@c:x', NULL, :now)"""
WORKSHOP = """INSERT INTO workshops (id, uid, sequence, title, place, starts_at, ends_at,
    status, slot_at, created_by_platform, created_by, created_at) VALUES (1, 'u1', 0, 'Kurs',
    'Rathaus', :now, :now, 'scheduled', :now, 'matrix', '@s:x', :now)"""
ANNOUNCEMENTS = """INSERT INTO workshop_announcements (platform, event_id, workshop_id, room_id,
    posted_at) VALUES ('matrix', '$ann2', 1, '!b:x', :now), ('matrix', '$ann1', 1, '!a:x', :now)"""
REGISTRATIONS = """INSERT INTO workshop_registrations (workshop_id, platform, external_id,
    status, reaction_event_id, created_at) VALUES (1, 'matrix', '@b:x', 'registered', '$check',
    :now), (1, 'matrix', '@c:x', 'registered', NULL, :now)"""


def _before_0012(connection: Connection) -> None:
    config = alembic_config(connection)
    command.upgrade(config, "0009")
    command.upgrade(config, "0004")
    for statement in (IDEA, SUPPORTS, WORKSHOP, ANNOUNCEMENTS, REGISTRATIONS):
        connection.execute(text(statement), {"now": NOW})


async def test_reaction_ids_move_to_the_log_and_counters_keep_counting(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as connection:
        await connection.run_sync(_before_0012)
        await connection.commit()
    await upgrade_schema(engine)

    uow_factory = UnitOfWorkFactory(create_session_factory(engine))
    async with uow_factory() as uow:
        thumbs = await uow.reactions.get("matrix", "$thumbs")
        check = await uow.reactions.get("matrix", "$check")
        flags = {
            table: (await uow.session.execute(text(query))).all()
            for table, query in (
                ("ideas", "SELECT supporter_id, by_reaction FROM idea_supports ORDER BY id"),
                (
                    "workshops",
                    "SELECT external_id, by_reaction FROM workshop_registrations ORDER BY id",
                ),
            )
        }
        await uow.session.execute(text("DELETE FROM idea_supports WHERE supporter_id = '@b:x'"))
        count = await uow.session.scalar(text("SELECT support_count FROM ideas"))
    assert isinstance(thumbs, LoggedReaction)
    assert (thumbs.target_id, thumbs.key, thumbs.person_id) == ("$card", "👍", "@b:x")
    assert check is not None
    assert (check.target_id, check.key, check.person_id) == ("$ann1", "✅", "@b:x")
    assert [(who, bool(flag)) for who, flag in flags["ideas"]] == [("@b:x", True), ("@c:x", False)]
    assert [(who, bool(flag)) for who, flag in flags["workshops"]] == [
        ("@b:x", True),
        ("@c:x", False),
    ]
    assert count == 1  # the support counter's triggers survived the table's rebuild
