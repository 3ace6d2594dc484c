"""Every table of the bot in one metadata, for Alembic and the schema-versus-models test.

Each feature keeps its tables in its own module (`storage/<feature>_models.py`, all on
`storage.models.Base`); importing them here is what makes them part of the schema.
"""

import storage.exports_models  # registers the export secret table
import storage.ideas_models  # registers the ideas tables
import storage.moderation_models  # registers the blocks table
import storage.polls_models  # registers the poll tables
import storage.questions_models  # registers the expert question tables
import storage.workshops_models  # noqa: F401  (registers the workshop tables)
from storage import models

metadata = models.Base.metadata
