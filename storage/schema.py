"""Every table of the bot in one metadata, for Alembic and the schema-versus-models test.

Each feature keeps its tables in its own module (`storage/<feature>_models.py`, all on
`storage.models.Base`); importing them here is what makes them part of the schema.
"""

from storage import models

metadata = models.Base.metadata
