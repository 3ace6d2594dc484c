"""workshops: occurrences, registrations, planned effects, notice outbox, announcements

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-26 13:04:28.942739
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _workshop_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workshop_id"],
        ["workshops.id"],
        name=op.f(f"fk_{table}_workshop_id_workshops"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "workshops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=255), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("online_url", sa.String(length=500), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("repeat", sa.String(length=16), nullable=True),
        sa.Column("repeat_until", sa.Date(), nullable=True),
        sa.Column("slot_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_platform", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshops")),
        sa.UniqueConstraint("uid", name=op.f("uq_workshops_uid")),
    )
    op.create_table(
        "workshop_registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reaction_event_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _workshop_fk("workshop_registrations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_registrations")),
        sa.UniqueConstraint(
            "workshop_id",
            "platform",
            "external_id",
            name=op.f("uq_workshop_registrations_workshop_id_platform_external_id"),
        ),
    )
    op.create_index(
        op.f("ix_workshop_registrations_reaction_event_id"),
        "workshop_registrations",
        ["reaction_event_id"],
    )
    op.create_table(
        "workshop_effects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        _workshop_fk("workshop_effects"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_effects")),
    )
    op.create_index(op.f("ix_workshop_effects_state"), "workshop_effects", ["state"])
    op.create_index(op.f("ix_workshop_effects_workshop_id"), "workshop_effects", ["workshop_id"])
    op.create_table(
        "workshop_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("room_id", sa.String(length=255), nullable=True),
        sa.Column("platform", sa.String(length=32), nullable=True),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        _workshop_fk("workshop_notices"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_notices")),
    )
    op.create_index(op.f("ix_workshop_notices_state"), "workshop_notices", ["state"])
    op.create_table(
        "workshop_announcements",
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.String(length=255), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        _workshop_fk("workshop_announcements"),
        sa.PrimaryKeyConstraint("platform", "event_id", name=op.f("pk_workshop_announcements")),
    )
    op.create_index(
        op.f("ix_workshop_announcements_workshop_id"), "workshop_announcements", ["workshop_id"]
    )


def downgrade() -> None:
    op.drop_table("workshop_announcements")
    op.drop_table("workshop_notices")
    op.drop_table("workshop_effects")
    op.drop_table("workshop_registrations")
    op.drop_table("workshops")
