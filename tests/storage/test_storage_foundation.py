"""The storage foundation on SQLite and PostgreSQL: schema, repositories, unit of work."""

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, String, func, inspect, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

import storage.db
from storage.db import (
    MIGRATIONS_DIRECTORY,
    SQLITE_BUSY_TIMEOUT_MS,
    create_engine,
    create_session_factory,
    upgrade_schema,
    warm_pool,
)
from storage.incoming import PeopleFacts, people_facts
from storage.models import Person
from storage.moderation.repository import BlockRepository
from storage.repositories import RoomRepository, follow_replacements
from storage.schema import metadata
from storage.uow import UnitOfWork, UnitOfWorkFactory

ALICE = ("matrix", "@alice:localhost")


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _schema_differences(connection: Connection) -> list[object]:
    return compare_metadata(MigrationContext.configure(connection), metadata)


async def _count_people(uow: UnitOfWork) -> int:
    return await uow.session.scalar(select(func.count()).select_from(Person)) or 0


async def test_upgrade_schema_twice_creates_the_tables_once(engine: AsyncEngine) -> None:
    await upgrade_schema(engine)
    await upgrade_schema(engine)  # a second bot start

    async with engine.connect() as connection:
        tables = await connection.run_sync(_table_names)
        versions = (await connection.execute(text("SELECT version_num FROM alembic_version"))).all()
    assert tables >= {
        "alembic_version",
        "people",
        "processed_events",
        "sync_states",
        "bot_credentials",
        "room_replacements",
    }
    heads = set(ScriptDirectory(str(MIGRATIONS_DIRECTORY)).get_heads())
    assert {version for (version,) in versions} == heads


async def test_migrations_produce_the_schema_the_models_describe(engine: AsyncEngine) -> None:
    await upgrade_schema(engine)

    async with engine.connect() as connection:
        assert await connection.run_sync(_schema_differences) == []


def test_create_engine_refuses_drivers_the_bot_does_not_support() -> None:
    with pytest.raises(ValueError, match="unsupported database URL"):
        create_engine("sqlite:///bot.db")


async def test_sqlite_uses_wal_foreign_keys_and_a_busy_timeout(sqlite_engine: AsyncEngine) -> None:
    await upgrade_schema(sqlite_engine)  # migrating turns foreign keys off for a while

    async with sqlite_engine.connect() as connection:
        journal_mode = await connection.scalar(text("PRAGMA journal_mode"))
        foreign_keys = await connection.scalar(text("PRAGMA foreign_keys"))
        busy_timeout = await connection.scalar(text("PRAGMA busy_timeout"))
    assert (journal_mode, foreign_keys, busy_timeout) == ("wal", 1, SQLITE_BUSY_TIMEOUT_MS)


async def test_a_warmed_pool_holds_its_connections_and_hands_out_the_last_returned_first(
    engine: AsyncEngine,
) -> None:
    await warm_pool(engine)
    pool = engine.pool
    assert (pool.checkedin(), pool.checkedout()) == (pool.size(), 0)

    async with engine.connect() as first:
        used = first.sync_connection.connection.dbapi_connection
    async with engine.connect() as again:
        assert again.sync_connection.connection.dbapi_connection is used
    assert pool.checkedin() == pool.size()


async def test_a_failed_upgrade_leaves_no_connection_without_foreign_keys(
    sqlite_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_migration(_connection: Connection) -> None:
        raise RuntimeError("broken migration")

    monkeypatch.setattr(storage.db, "_upgrade_to_head", broken_migration)
    with pytest.raises(RuntimeError, match="broken migration"):
        await upgrade_schema(sqlite_engine)

    async with sqlite_engine.connect() as connection:
        assert await connection.scalar(text("PRAGMA foreign_keys")) == 1


async def test_get_or_create_returns_the_same_person(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        alice = await uow.people.get_or_create(*ALICE)
        assert await uow.people.get_or_create(*ALICE) is alice
        await uow.commit()

    async with uow_factory() as uow:
        assert (await uow.people.get_or_create(*ALICE)).id == alice.id
        other_platform = await uow.people.get_or_create("discord", "@alice:localhost")
        assert other_platform.id != alice.id
        assert await _count_people(uow) == 2


async def test_get_or_create_survives_a_concurrent_creation(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as first, uow_factory() as second:
        created = await first.people.get_or_create(*ALICE)
        # The second insert waits for the first transaction's lock, then finds the row.
        racing = asyncio.create_task(second.people.get_or_create(*ALICE))
        await asyncio.sleep(0.2)
        await first.commit()
        assert (await racing).id == created.id


async def test_language_is_unset_until_chosen(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.people.language_of(*ALICE) is None
        await uow.people.set_language(*ALICE, "en")
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.people.language_of(*ALICE) == "en"
        await uow.people.set_language(*ALICE, None)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.people.language_of(*ALICE) is None


async def test_marking_an_event_twice_reports_it_and_keeps_the_transaction(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        assert not await uow.events.is_processed("matrix", "$event1")
        assert await uow.events.mark_processed("matrix", "$event1") is True
        assert await uow.events.mark_processed("matrix", "$event1") is False
        await uow.people.set_language(*ALICE, "en")  # work after the duplicate still counts
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.events.is_processed("matrix", "$event1")
        assert await uow.events.mark_processed("matrix", "$event1") is False
        assert await uow.events.mark_processed("discord", "$event1") is True
        assert await uow.people.language_of(*ALICE) == "en"


async def test_an_event_marked_in_a_rolled_back_transaction_counts_as_unhandled(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        assert await uow.events.mark_processed("matrix", "$event2")

    async with uow_factory() as uow:
        assert not await uow.events.is_processed("matrix", "$event2")


async def test_the_facts_of_many_people_are_their_chosen_languages_and_blocks_now(
    uow_factory: UnitOfWorkFactory,
) -> None:
    now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    async with uow_factory() as uow:
        await uow.people.set_language("matrix", "@alice:localhost", "en")
        await uow.people.set_language("matrix", "@bernd:localhost", "leicht")
        await uow.people.get_or_create("matrix", "@carla:localhost")
        await uow.people.set_language("discord", "@alice:localhost", "de")
        blocks = BlockRepository(uow.session)
        for person, until in (
            ("@bernd:localhost", None),
            ("@carla:localhost", now + timedelta(hours=1)),
            ("@dora:localhost", now - timedelta(hours=1)),
        ):
            await blocks.block(
                "matrix", person, until=until, reason="spam", blocked_by="@sabine:x", now=now
            )
        await blocks.block(
            "discord", "@alice:localhost", until=None, reason="spam", blocked_by="x", now=now
        )
        await uow.commit()

    async with uow_factory() as uow:
        people = ["@alice:localhost", "@bernd:localhost", "@carla:localhost", "@dora:localhost"]
        facts = await people_facts(uow.session, "matrix", [*people, "@nobody:x"], now)
        assert facts.languages == {"@alice:localhost": "en", "@bernd:localhost": "leicht"}
        assert facts.blocked == {"@bernd:localhost", "@carla:localhost"}
        assert await people_facts(uow.session, "matrix", [], now) == PeopleFacts()


async def test_marks_taken_back_in_the_transaction_leave_the_events_unhandled(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        await uow.events.mark_processed("matrix", "$before")
        await uow.commit()

    async with uow_factory() as uow:
        new = await uow.events.mark_processed_many("matrix", ["$before", "$a", "$b", "$c"])
        assert new == {"$a", "$b", "$c"}
        await uow.events.unmark_many("matrix", ["$b", "$c"])
        await uow.events.unmark_many("matrix", [])
        await uow.commit()

    async with uow_factory() as uow:
        handled = [await uow.events.is_processed("matrix", e) for e in ("$before", "$a", "$b")]
        assert handled == [True, True, False]
        assert await uow.events.mark_processed("matrix", "$c") is True


async def test_sync_token_is_replaced(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.sync.get("@bot:localhost") is None
        await uow.sync.set("@bot:localhost", "s1_first")
        await uow.sync.set("@bot:localhost", "s2_second")
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.sync.get("@bot:localhost") == "s2_second"
        await uow.sync.set("@bot:localhost", "s3_third")
        assert await uow.sync.get("@bot:localhost") == "s3_third"
        assert await uow.sync.get("@other:localhost") is None


async def test_credentials_are_replaced(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.credentials.get("@bot:localhost") is None
        await uow.credentials.save("@bot:localhost", "DEVICE1", "token-1")
        first = await uow.credentials.get("@bot:localhost")
        assert first is not None
        assert (first.device_id, first.access_token) == ("DEVICE1", "token-1")
        await uow.credentials.save("@bot:localhost", "DEVICE2", "token-2")
        await uow.commit()

    async with uow_factory() as uow:
        saved = await uow.credentials.get("@bot:localhost")
        assert saved is not None
        assert (saved.device_id, saved.access_token) == ("DEVICE2", "token-2")
        assert saved.updated_at.tzinfo is UTC


async def test_leaving_without_commit_rolls_back(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        await uow.people.get_or_create(*ALICE)
        assert await _count_people(uow) == 1

    with pytest.raises(KeyError):
        async with uow_factory() as uow:
            await uow.people.get_or_create(*ALICE)
            await uow.commit()
            await uow.people.get_or_create("matrix", "@bob:localhost")
            raise KeyError("a failing handler")

    async with uow_factory() as uow:
        people = await uow.session.scalars(select(Person.external_id))
        assert list(people) == ["@alice:localhost"]


async def test_a_commit_is_visible_to_the_next_unit_of_work(uow_factory: UnitOfWorkFactory) -> None:
    uow = uow_factory()
    async with uow:
        await uow.people.set_language(*ALICE, "de")
        await uow.commit()

    async with uow:  # the same object, entered again: a new transaction
        assert await uow.people.language_of(*ALICE) == "de"


async def test_a_unit_of_work_cannot_be_shared_while_active(uow_factory: UnitOfWorkFactory) -> None:
    uow = uow_factory()
    with pytest.raises(RuntimeError, match="outside"):
        _ = uow.session
    async with uow:
        with pytest.raises(RuntimeError, match="already active"):
            await uow.__aenter__()


async def test_room_replacements_are_followed_through_chains(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        await uow.rooms.record_replacement("matrix", "!a:localhost", "!b:localhost")
        await uow.rooms.record_replacement("matrix", "!b:localhost", "!c:localhost")
        await uow.rooms.record_replacement("matrix", "!b:localhost", "!c:localhost")  # seen twice
        await uow.commit()

    async with uow_factory() as uow:
        replacements = await uow.rooms.replacements("matrix")
        assert await uow.rooms.replacements("discord") == {}
        assert follow_replacements(replacements, "!a:localhost") == "!c:localhost"
        assert follow_replacements(replacements, "!b:localhost") == "!c:localhost"
        assert follow_replacements(replacements, "!c:localhost") == "!c:localhost"
        assert (
            follow_replacements(replacements, "!never-replaced:localhost")
            == "!never-replaced:localhost"
        )
        with pytest.raises(ValueError, match="itself"):
            await uow.rooms.record_replacement("matrix", "!c:localhost", "!c:localhost")


async def test_a_cycle_of_replacements_still_resolves(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        await uow.rooms.record_replacement("matrix", "!a:localhost", "!b:localhost")
        await uow.rooms.record_replacement("matrix", "!b:localhost", "!a:localhost")

        replacements = await uow.rooms.replacements("matrix")
        assert follow_replacements(replacements, "!a:localhost") == "!b:localhost"
        assert follow_replacements(replacements, "!b:localhost") == "!a:localhost"


class _ExtraBase(DeclarativeBase):
    pass


class _Meeting(_ExtraBase):
    """Stands in for a later table that stores a room id."""

    __tablename__ = "test_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32), default="matrix")
    room_id: Mapped[str] = mapped_column(String(255))


async def test_a_replacement_moves_registered_room_references(
    engine: AsyncEngine, uow_factory: UnitOfWorkFactory
) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(_ExtraBase.metadata.create_all)
    async with uow_factory() as uow:
        uow.session.add_all([_Meeting(room_id="!old:localhost"), _Meeting(room_id="!x:localhost")])
        await uow.commit()

    async with uow_factory() as uow:
        rooms = RoomRepository(uow.session, room_columns=[(_Meeting.platform, _Meeting.room_id)])
        await rooms.record_replacement("matrix", "!old:localhost", "!new:localhost")
        await uow.commit()

    async with uow_factory() as uow:
        room_ids = await uow.session.scalars(select(_Meeting.room_id).order_by(_Meeting.id))
        assert list(room_ids) == ["!new:localhost", "!x:localhost"]


async def test_datetimes_come_back_timezone_aware_in_utc(
    engine: AsyncEngine, uow_factory: UnitOfWorkFactory
) -> None:
    summer_in_berlin = datetime(2025, 7, 1, 14, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    at_summer = UnitOfWorkFactory(create_session_factory(engine), now=lambda: summer_in_berlin)
    async with at_summer() as uow:
        await uow.people.get_or_create(*ALICE)
        await uow.commit()

    async with uow_factory() as uow:
        alice = await uow.people.get_or_create(*ALICE)
        assert alice.created_at == summer_in_berlin
        assert alice.created_at.tzinfo is UTC
        assert alice.created_at.hour == 12
        in_new_york = summer_in_berlin.astimezone(ZoneInfo("America/New_York"))
        earlier = await uow.session.scalar(
            select(func.count())
            .select_from(Person)
            .where(Person.created_at < in_new_york + timedelta(seconds=1))
        )
        assert earlier == 1


async def test_naive_datetimes_are_refused(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        uow.session.add(
            Person(platform="matrix", external_id="@n:localhost", created_at=datetime(2025, 1, 1))
        )
        with pytest.raises(StatementError, match="naive datetime"):
            await uow.session.flush()


async def test_an_upgrade_moves_delivery_rooms_but_not_event_locations(
    uow_factory: UnitOfWorkFactory,
) -> None:
    from storage.ideas.models import Idea

    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    async with uow_factory() as uow:
        uow.session.add(
            Idea(
                number=1,
                platform="matrix",
                author_id="@a:x",
                author_name="A",
                room_id="!old",
                source_event_id="$e",
                category=None,
                text="Mehr Bänke",
                status="new",
                published=True,
                hidden=False,
                hidden_reason=None,
                merged_into=None,
                card_room_id="!old",
                card_event_id="$card",
                created_at=now,
            )
        )
        await uow.commit()
    async with uow_factory() as uow:
        await uow.rooms.record_replacement("matrix", "!old", "!new")
        await uow.commit()
    async with uow_factory() as uow:
        idea = await uow.session.scalar(select(Idea))
    assert idea is not None
    assert idea.room_id == "!new", "where the author is answered follows the upgrade"
    assert idea.card_room_id == "!old", "the card is an event in the old room"
