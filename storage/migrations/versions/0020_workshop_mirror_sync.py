"""workshop mirror sync: which change of its workshop a calendar entry shows

Revision ID: 0020_workshop_mirror_sync
Revises: 0015_workshop_mirrors

Entries that exist already are taken to show their workshop as it is now (nothing recorded
says otherwise).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_workshop_mirror_sync"
down_revision: str | Sequence[str] | None = "0019_insight_digests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workshop_mirrors") as batch:
        batch.add_column(
            sa.Column("synced_sequence", sa.Integer(), nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE workshop_mirrors SET synced_sequence = "
        "(SELECT sequence FROM workshops WHERE workshops.id = workshop_mirrors.workshop_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("workshop_mirrors") as batch:
        batch.drop_column("synced_sequence")
