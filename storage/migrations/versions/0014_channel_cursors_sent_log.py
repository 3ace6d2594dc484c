"""catch-up and idempotent sends: channel cursors and a sent-log per platform

Revision ID: 0014_channel_cursors_sent_log
Revises: 0013_room_platforms

A platform whose gateway does not replay what was said while the bot was down (Discord
after a full re-identify) is caught up from each channel's history after the last handled
message (`channel_cursors`). A platform whose send idempotency expires after minutes
(Discord's nonce) keeps what was sent under which dedupe key (`sent_log`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_channel_cursors_sent_log"
down_revision: str | Sequence[str] | None = "0013_room_platforms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "channel_cursors",
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=255), nullable=False),
        sa.Column("last_event_id", sa.String(length=255), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "channel_id", name=op.f("pk_channel_cursors")),
    )
    op.create_table(
        "sent_log",
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("dedupe_key", sa.String(length=300), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "dedupe_key", name=op.f("pk_sent_log")),
    )


def downgrade() -> None:
    op.drop_table("sent_log")
    op.drop_table("channel_cursors")
