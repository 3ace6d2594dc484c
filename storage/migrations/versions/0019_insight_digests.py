"""insight digests: which week's staff digest was decided, with its figures, and where it went

Revision ID: 0019_insight_digests
Revises: 0015_workshop_mirrors
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_insight_digests"
down_revision: str | Sequence[str] | None = "0015_workshop_mirrors"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "insight_digests",
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("week_start", name=op.f("pk_insight_digests")),
    )
    op.create_table(
        "insight_digest_deliveries",
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["week_start"],
            ["insight_digests.week_start"],
            name=op.f("fk_insight_digest_deliveries_week_start_insight_digests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "week_start", "platform", name=op.f("pk_insight_digest_deliveries")
        ),
    )


def downgrade() -> None:
    op.drop_table("insight_digest_deliveries")
    op.drop_table("insight_digests")
