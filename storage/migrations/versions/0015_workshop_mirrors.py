"""workshop mirrors: a workshop's entries in platforms' own calendars (Discord events)

Revision ID: 0015_workshop_mirrors
Revises: 0014_channel_cursors_sent_log
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_workshop_mirrors"
down_revision: str | Sequence[str] | None = "0014_channel_cursors_sent_log"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workshop_mirrors",
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workshop_id"],
            ["workshops.id"],
            name=op.f("fk_workshop_mirrors_workshop_id_workshops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("platform", "external_id", name=op.f("pk_workshop_mirrors")),
    )
    op.create_index(op.f("ix_workshop_mirrors_workshop_id"), "workshop_mirrors", ["workshop_id"])


def downgrade() -> None:
    op.drop_table("workshop_mirrors")
