"""ideas: ideas, supports, status history, reports, the idea number sequence, export secret

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "export_secrets",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_export_secrets")),
    )
    op.create_table(
        "idea_sequence",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_idea_sequence")),
    )
    op.create_table(
        "ideas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("author_id", sa.String(length=255), nullable=False),
        sa.Column("author_name", sa.String(length=255), nullable=False),
        sa.Column("room_id", sa.String(length=255), nullable=False),
        sa.Column("source_event_id", sa.String(length=255), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("hidden_reason", sa.Text(), nullable=True),
        sa.Column("merged_into", sa.Integer(), nullable=True),
        sa.Column("card_room_id", sa.String(length=255), nullable=True),
        sa.Column("card_event_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ideas")),
        sa.UniqueConstraint("number", name=op.f("uq_ideas_number")),
        sa.UniqueConstraint(
            "platform", "source_event_id", name=op.f("uq_ideas_platform_source_event_id")
        ),
    )
    op.create_index("ix_ideas_card_event_id", "ideas", ["card_event_id"], unique=False)
    op.create_index(
        "ix_ideas_platform_author_id_created_at",
        "ideas",
        ["platform", "author_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "idea_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("reporter_id", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["idea_id"],
            ["ideas.id"],
            name=op.f("fk_idea_reports_idea_id_ideas"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idea_reports")),
        sa.UniqueConstraint(
            "idea_id",
            "platform",
            "reporter_id",
            name=op.f("uq_idea_reports_idea_id_platform_reporter_id"),
        ),
    )
    op.create_table(
        "idea_status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("changed_by", sa.String(length=255), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["idea_id"],
            ["ideas.id"],
            name=op.f("fk_idea_status_changes_idea_id_ideas"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idea_status_changes")),
    )
    op.create_index(
        "ix_idea_status_changes_idea_id", "idea_status_changes", ["idea_id"], unique=False
    )
    op.create_table(
        "idea_supports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("supporter_id", sa.String(length=255), nullable=False),
        sa.Column("reaction_event_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["idea_id"],
            ["ideas.id"],
            name=op.f("fk_idea_supports_idea_id_ideas"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idea_supports")),
        sa.UniqueConstraint(
            "idea_id",
            "platform",
            "supporter_id",
            name=op.f("uq_idea_supports_idea_id_platform_supporter_id"),
        ),
        sa.UniqueConstraint("reaction_event_id", name=op.f("uq_idea_supports_reaction_event_id")),
    )


def downgrade() -> None:
    op.drop_table("idea_supports")
    op.drop_index("ix_idea_status_changes_idea_id", table_name="idea_status_changes")
    op.drop_table("idea_status_changes")
    op.drop_table("idea_reports")
    op.drop_index("ix_ideas_platform_author_id_created_at", table_name="ideas")
    op.drop_index("ix_ideas_card_event_id", table_name="ideas")
    op.drop_table("ideas")
    op.drop_table("idea_sequence")
    op.drop_table("export_secrets")
