"""page state: a version of what the public page shows, and the resolved private rooms

Revision ID: 0021_web_speed_page_state
Revises: 0017_example_from_department
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_web_speed_page_state"
down_revision: str | Sequence[str] | None = "0017_example_from_department"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    version = op.create_table(
        "page_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_version")),
    )
    op.bulk_insert(version, [{"id": 1, "version": 1}])
    op.create_table(
        "page_private_rooms",
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=255), nullable=False),
        sa.Column("room_id", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("platform", "reference", name=op.f("pk_page_private_rooms")),
    )


def downgrade() -> None:
    op.drop_table("page_private_rooms")
    op.drop_table("page_version")
