"""public page: consent to publish a question, workshop categories, index of visible ideas

Revision ID: 0016_public_page
Revises: 0020_workshop_mirror_sync
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_public_page"
down_revision: str | Sequence[str] | None = "0020_workshop_mirror_sync"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The visible ideas, written as SQLAlchemy writes `Idea.published.is_(True)` etc. on each
# database: SQLite uses a partial index only when the query's terms match its own.
VISIBLE_SQLITE = "published IS 1 AND hidden IS 0 AND merged_into IS NULL"
VISIBLE_POSTGRESQL = "published IS true AND hidden IS false AND merged_into IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("questions") as batch:
        batch.add_column(
            sa.Column("publish", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("workshops") as batch:
        batch.add_column(sa.Column("category", sa.String(length=64), nullable=True))
    # The public list counts and pages the visible ideas on every request: a partial index
    # holds just them, newest and most supported first.
    op.create_index(
        "ix_ideas_visible_number",
        "ideas",
        ["number"],
        sqlite_where=sa.text(VISIBLE_SQLITE),
        postgresql_where=sa.text(VISIBLE_POSTGRESQL),
    )
    op.create_index(
        "ix_ideas_visible_support",
        "ideas",
        ["support_count", "number"],
        sqlite_where=sa.text(VISIBLE_SQLITE),
        postgresql_where=sa.text(VISIBLE_POSTGRESQL),
    )


def downgrade() -> None:
    op.drop_index("ix_ideas_visible_support", "ideas")
    op.drop_index("ix_ideas_visible_number", "ideas")
    with op.batch_alter_table("workshops") as batch:
        batch.drop_column("category")
    with op.batch_alter_table("questions") as batch:
        batch.drop_column("publish")
