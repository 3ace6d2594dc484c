"""Database engine, session factory and schema upgrades.

Supported URLs: ``sqlite+aiosqlite:///relative/or/absolute.db`` (``sqlite+aiosqlite://``
for an in-memory database in tests) and ``postgresql+asyncpg://user@host/db``.
"""

import asyncio
import logging
from collections.abc import Mapping
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import QueuePool

from storage import sqlite_one_hop
from storage.web.versioning import VersionedSession

logger = logging.getLogger(__name__)

MIGRATIONS_DIRECTORY = Path(__file__).with_name("migrations")

# How long a SQLite writer waits for another writer's lock before "database is locked".
# Generous, because the bot's transactions are short and failing is worse than waiting.
SQLITE_BUSY_TIMEOUT_MS = 15_000

_SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


def create_engine(
    url: str, *, connect_args: Mapping[str, Any] | None = None, connections: int | None = None
) -> AsyncEngine:
    """An async engine for ``url``, configured for the bot's needs.

    SQLite: the database's directory is created, and every connection uses WAL (readers do
    not block the writer), enforces foreign keys (off by default in SQLite) and waits
    :data:`SQLITE_BUSY_TIMEOUT_MS` for locks, and each statement costs one hand-over to
    aiosqlite's thread instead of four (`storage.sqlite_one_hop`). PostgreSQL: connections
    are pinged before use, so a restarted server costs a reconnect instead of a failed
    command. Both keep bound parameters (people's ids, message text) out of error messages,
    which reach the log.

    ``connect_args`` go to the driver, e.g. ``{"server_settings": {"search_path": "s"}}``
    for asyncpg.

    ``connections`` fixes the pool at that many connections, kept open, with no overflow:
    for a process whose many short reads come in bursts (the public page). The default
    pool keeps five and opens up to ten more for a burst, closing each as it comes back; on
    SQLite every such connection is a new thread and four statements to set it up, which
    sixteen clients asking for pages paid for again every dozen requests. A fixed pool
    makes the sixteenth request wait for a connection instead, which on reads of a few
    milliseconds is shorter than opening one.
    """
    parsed = make_url(url)
    if parsed.drivername not in _SUPPORTED_DRIVERS:
        raise ValueError(
            f"unsupported database URL {parsed.render_as_string(hide_password=True)!r}: "
            f"use one of {', '.join(d + '://' for d in _SUPPORTED_DRIVERS)}"
        )
    args = dict(connect_args or {})
    # The most recently returned connection first: it has the driver's cache of prepared
    # statements warm (asyncpg prepares each statement once per connection; taken in turn,
    # five warm connections prepared every statement five times over the first commands).
    pool: dict[str, Any] = {"pool_use_lifo": True}
    if connections is not None:
        pool = {"pool_size": connections, "max_overflow": 0, "pool_use_lifo": True}
    if parsed.drivername == "postgresql+asyncpg":
        return create_async_engine(
            parsed, connect_args=args, pool_pre_ping=True, hide_parameters=True, **pool
        )
    _create_sqlite_directory(parsed)
    positional, keywords = SQLiteDialect_aiosqlite().create_connect_args(parsed)
    database, options = positional[0], {**keywords, **args}

    async def connect() -> sqlite_one_hop.OneHopConnection:
        return await sqlite_one_hop.connect(database, **options)

    if not SQLiteDialect_aiosqlite._is_url_file_db(parsed):
        pool = {}  # an in-memory database has one connection (a StaticPool) anyway
    engine = create_async_engine(parsed, async_creator=connect, hide_parameters=True, **pool)
    event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
    return engine


async def warm_pool(engine: AsyncEngine) -> None:
    """Open as many connections as the pool keeps, at once, and give them back to it.

    A pool opens connections only when asked, and right after a start the first commands
    ask beside the start's follow-ups: bench.scale saw the first command's neighbours open
    a PostgreSQL connection (TCP, authentication, the driver's setup) while it waited.
    A pool without a size (SQLite in memory: one shared connection) is left as it is.
    """
    pool = engine.pool
    if not isinstance(pool, QueuePool):
        return
    async with AsyncExitStack() as held:
        await asyncio.gather(
            *(held.enter_async_context(engine.connect()) for _ in range(pool.size()))
        )


def _create_sqlite_directory(url: URL) -> None:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite_connection(dbapi_connection: Any, _connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay usable after commit.

    ``expire_on_commit=False`` because an expired attribute would be reloaded lazily, and
    lazy IO is not possible with an AsyncSession (it raises ``MissingGreenlet``).
    Every session raises the public page's version when it commits a write the page could
    show (storage.web.versioning).
    """
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=VersionedSession)


def alembic_config(connection: Connection) -> Config:
    """An Alembic config for the packaged migrations that runs on ``connection``.

    Built in code so migrations work from an installed package and any working directory;
    no alembic.ini is involved. ``migrations/env.py`` takes the connection from
    ``config.attributes["connection"]``.
    """
    config = Config()
    # Alembic's config is a ConfigParser: "%" must be doubled.
    config.set_main_option("script_location", str(MIGRATIONS_DIRECTORY).replace("%", "%%"))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.attributes["connection"] = connection
    return config


def _upgrade_to_head(connection: Connection) -> None:
    # Features add revisions on their own branches off the foundation; "heads" runs them all.
    command.upgrade(alembic_config(connection), "heads")


async def upgrade_schema(engine: AsyncEngine) -> None:
    """Bring the schema to the latest revision; a no-op when it is already there.

    On SQLite, foreign keys are off while migrating: batch mode rebuilds a table by dropping
    it, and with foreign keys on that drop would cascade into (or be refused by) the rows
    that reference it. The connection is discarded if the upgrade fails, so it never goes
    back to the pool with foreign keys off.
    """
    logger.info("Upgrading the database schema to the latest revision")
    async with engine.connect() as connection:
        is_sqlite = connection.dialect.name == "sqlite"
        try:
            if is_sqlite:
                await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            await connection.run_sync(_upgrade_to_head)
            await connection.commit()
            if is_sqlite:
                await connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        except BaseException:
            await connection.invalidate()
            raise
