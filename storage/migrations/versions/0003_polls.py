"""polls: polls, answers, responses, secret voters and secret tallies

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-27 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "polls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("room_id", sa.String(length=255), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("max_selections", sa.Integer(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("secret", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("start_event_id", sa.String(length=255), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=16), nullable=True),
        sa.Column("end_event_id", sa.String(length=255), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_polls")),
        sa.UniqueConstraint(
            "platform", "start_event_id", name=op.f("uq_polls_platform_start_event_id")
        ),
    )
    op.create_index("ix_polls_open", "polls", ["platform", "room_id", "closed_at"], unique=False)
    op.create_table(
        "poll_answers",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["polls.id"], name=op.f("fk_poll_answers_poll_id_polls")
        ),
        sa.PrimaryKeyConstraint("poll_id", "position", name=op.f("pk_poll_answers")),
    )
    op.create_table(
        "poll_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("voter", sa.String(length=255), nullable=False),
        sa.Column("answer_ids", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("redacted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["polls.id"], name=op.f("fk_poll_responses_poll_id_polls")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_responses")),
        sa.UniqueConstraint(
            "platform", "event_id", name=op.f("uq_poll_responses_platform_event_id")
        ),
    )
    op.create_index(op.f("ix_poll_responses_poll_id"), "poll_responses", ["poll_id"], unique=False)
    op.create_table(
        "poll_secret_voters",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("voter", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["polls.id"], name=op.f("fk_poll_secret_voters_poll_id_polls")
        ),
        sa.PrimaryKeyConstraint("poll_id", "platform", "voter", name=op.f("pk_poll_secret_voters")),
        # No rowid on SQLite: the order in which people voted is not kept.
        sqlite_with_rowid=False,
    )
    op.create_table(
        "poll_secret_tallies",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["polls.id"], name=op.f("fk_poll_secret_tallies_poll_id_polls")
        ),
        sa.PrimaryKeyConstraint("poll_id", "position", name=op.f("pk_poll_secret_tallies")),
    )


def downgrade() -> None:
    op.drop_table("poll_secret_tallies")
    op.drop_table("poll_secret_voters")
    op.drop_index(op.f("ix_poll_responses_poll_id"), table_name="poll_responses")
    op.drop_table("poll_responses")
    op.drop_table("poll_answers")
    op.drop_index("ix_polls_open", table_name="polls")
    op.drop_table("polls")
