"""Persistence of the bot: async SQLAlchemy on SQLite or PostgreSQL, migrated by Alembic.

The database is the source of truth; see ``storage.uow`` for how handlers use it.
"""

from storage.db import create_engine, create_session_factory, upgrade_schema
from storage.uow import UnitOfWork, UnitOfWorkFactory

__all__ = [
    "UnitOfWork",
    "UnitOfWorkFactory",
    "create_engine",
    "create_session_factory",
    "upgrade_schema",
]
