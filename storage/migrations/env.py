"""Alembic environment of the bot's schema.

Migrations always run on a connection handed in by :func:`storage.db.upgrade_schema` (via
``config.attributes["connection"]``, made with ``AsyncConnection.run_sync``), so the async
engine, its SQLite pragmas and PostgreSQL search path apply; there is no alembic.ini.

To write a new revision, autogenerate it against a database at the current head, then
review it by hand::

    import asyncio
    from alembic import command
    from storage.db import alembic_config, create_engine, upgrade_schema

    async def main() -> None:
        engine = create_engine("sqlite+aiosqlite:///data/dev.db")
        await upgrade_schema(engine)
        async with engine.connect() as connection:
            await connection.run_sync(
                lambda sync: command.revision(
                    alembic_config(sync), message="add ideas", autogenerate=True, rev_id="0002"
                )
            )
        await engine.dispose()

    asyncio.run(main())
"""

from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from storage.models import UtcDateTime
from storage.schema import metadata


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Render UtcDateTime as its plain column type.

    A migration must not import the application's models: they change after the migration
    is written. UtcDateTime only converts values in Python; the column is DateTime(tz).
    """
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


_connection = context.config.attributes.get("connection")
if not isinstance(_connection, Connection):
    raise RuntimeError(
        "run migrations through storage.db.upgrade_schema or storage.db.alembic_config"
    )
_run_migrations(_connection)
