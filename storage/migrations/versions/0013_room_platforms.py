"""rooms carry their platform, like people: idea cards, question routes, notices, upgrades

Revision ID: 0013_room_platforms
Revises: 0012_reaction_log, 0005

Several chat platforms run in one process, so a stored room id needs its platform to know
which adapter reaches it. Rows whose room is on the platform of the row's person already
(an idea's submission room, a question's origin, a poll, a pending reply, a workshop
announcement) reuse their `platform` column. Every existing row is on Matrix.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# After 0012 (one line of schema changes), and on the questions branch (0005) it changes.
revision: str = "0013_room_platforms"
down_revision: str | Sequence[str] | None = ("0012_reaction_log", "0005")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLATFORM = sa.String(length=32)


def upgrade() -> None:
    # `ideas` carries the support-count triggers of 0009: add the column in place, never
    # through a batch copy that would drop them on SQLite.
    op.add_column("ideas", sa.Column("card_platform", PLATFORM, nullable=True))
    op.execute("UPDATE ideas SET card_platform = 'matrix' WHERE card_room_id IS NOT NULL")

    op.add_column("question_routes", sa.Column("platform", PLATFORM, nullable=True))
    op.execute("UPDATE question_routes SET platform = 'matrix'")
    with op.batch_alter_table("question_routes") as batch:
        batch.alter_column("platform", existing_type=PLATFORM, nullable=False)
        batch.drop_constraint("uq_question_routes_thread_root", type_="unique")
        batch.create_unique_constraint(
            "uq_question_routes_platform_thread_root", ["platform", "thread_root"]
        )

    op.execute("UPDATE workshop_notices SET platform = 'matrix' WHERE platform IS NULL")
    with op.batch_alter_table("workshop_notices") as batch:
        batch.alter_column("platform", existing_type=PLATFORM, nullable=False)

    op.add_column("room_replacements", sa.Column("platform", PLATFORM, nullable=True))
    op.execute("UPDATE room_replacements SET platform = 'matrix'")
    with op.batch_alter_table("room_replacements") as batch:
        batch.alter_column("platform", existing_type=PLATFORM, nullable=False)
        batch.drop_constraint("pk_room_replacements", type_="primary")
        batch.create_primary_key("pk_room_replacements", ["platform", "old_room_id"])


def downgrade() -> None:
    with op.batch_alter_table("room_replacements") as batch:
        batch.drop_constraint("pk_room_replacements", type_="primary")
        batch.create_primary_key("pk_room_replacements", ["old_room_id"])
        batch.drop_column("platform")
    with op.batch_alter_table("workshop_notices") as batch:
        batch.alter_column("platform", existing_type=PLATFORM, nullable=True)
    op.execute("UPDATE workshop_notices SET platform = NULL WHERE room_id IS NOT NULL")
    with op.batch_alter_table("question_routes") as batch:
        batch.drop_constraint("uq_question_routes_platform_thread_root", type_="unique")
        batch.create_unique_constraint("uq_question_routes_thread_root", ["thread_root"])
        batch.drop_column("platform")
    op.drop_column("ideas", "card_platform")
