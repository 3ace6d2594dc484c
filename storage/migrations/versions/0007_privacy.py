"""privacy: introductions, erasure requests, frozen poll results, retention runs

Revision ID: 0007
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "privacy_introductions",
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("introduced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "external_id", name=op.f("pk_privacy_introductions")),
    )
    op.create_table(
        "privacy_erasure_requests",
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "platform", "external_id", name=op.f("pk_privacy_erasure_requests")
        ),
    )
    op.create_table(
        "poll_final_tallies",
        sa.Column("poll_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("votes", sa.Text(), nullable=False),
        sa.Column("voters", sa.Integer(), nullable=False),
        sa.Column("spoiled", sa.Integer(), nullable=False),
        sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("poll_id", name=op.f("pk_poll_final_tallies")),
    )
    op.create_table(
        "retention_runs",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("questions", sa.Integer(), nullable=False),
        sa.Column("registrations", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_retention_runs")),
    )


def downgrade() -> None:
    op.drop_table("retention_runs")
    op.drop_table("poll_final_tallies")
    op.drop_table("privacy_erasure_requests")
    op.drop_table("privacy_introductions")
