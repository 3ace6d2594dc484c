"""reactions: a neutral reaction log; supports and registrations remember only `by_reaction`

Revision ID: 0012_reaction_log
Revises: 0011_neutral_replies (after 0009, ideas), 0004 (workshops): it changes tables of
both branches, so it joins them

Taking back a 👍 or ✅ used to be matched by the reaction's Matrix event id, stored on the
support or registration. The core now hears "this person took back this key on this
message" from every platform; a platform that names a removed reaction only by its id
(Matrix) looks the reaction up in `reaction_log`, written by its adapter. The old ids
move there: an idea support's target is the idea's card, a registration's target one of
the workshop's announcements (any of them names the same workshop).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_reaction_log"
down_revision: str | Sequence[str] | None = ("0011_neutral_replies", "0004")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Rebuilding idea_supports on SQLite (batch mode) drops its triggers; 0009 defines them.
INCREMENT = "UPDATE ideas SET support_count = support_count + 1 WHERE id = NEW.idea_id;"
DECREMENT = "UPDATE ideas SET support_count = support_count - 1 WHERE id = OLD.idea_id;"
SQLITE_TRIGGERS = {
    "idea_supports_count_insert": f"AFTER INSERT ON idea_supports BEGIN {INCREMENT} END",
    "idea_supports_count_delete": f"AFTER DELETE ON idea_supports BEGIN {DECREMENT} END",
    "idea_supports_count_move": (
        f"AFTER UPDATE OF idea_id ON idea_supports BEGIN {DECREMENT} {INCREMENT} END"
    ),
}

LOG_SUPPORTS = """
INSERT INTO reaction_log (platform, reaction_id, target_id, key, person_id, reacted_at)
SELECT s.platform, s.reaction_event_id, i.card_event_id, '👍', s.supporter_id, s.created_at
FROM idea_supports s JOIN ideas i ON i.id = s.idea_id
WHERE s.reaction_event_id IS NOT NULL AND i.card_event_id IS NOT NULL
ON CONFLICT DO NOTHING
"""
LOG_REGISTRATIONS = """
INSERT INTO reaction_log (platform, reaction_id, target_id, key, person_id, reacted_at)
SELECT r.platform, r.reaction_event_id, a.event_id, '✅', r.external_id, r.created_at
FROM workshop_registrations r JOIN workshop_announcements a
  ON a.workshop_id = r.workshop_id AND a.platform = r.platform
WHERE r.reaction_event_id IS NOT NULL AND a.event_id = (
  SELECT min(b.event_id) FROM workshop_announcements b
  WHERE b.workshop_id = r.workshop_id AND b.platform = r.platform
)
ON CONFLICT DO NOTHING
"""
RESTORE_SUPPORT_IDS = """
UPDATE idea_supports SET reaction_event_id = (
  SELECT min(l.reaction_id) FROM reaction_log l JOIN ideas i ON i.card_event_id = l.target_id
  WHERE i.id = idea_supports.idea_id AND l.platform = idea_supports.platform
    AND l.person_id = idea_supports.supporter_id
) WHERE by_reaction
"""
RESTORE_REGISTRATION_IDS = """
UPDATE workshop_registrations SET reaction_event_id = (
  SELECT min(l.reaction_id) FROM reaction_log l JOIN workshop_announcements a
    ON a.event_id = l.target_id AND a.platform = l.platform
  WHERE a.workshop_id = workshop_registrations.workshop_id
    AND l.platform = workshop_registrations.platform
    AND l.person_id = workshop_registrations.external_id
) WHERE by_reaction
"""


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    op.create_table(
        "reaction_log",
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("reaction_id", sa.String(length=255), nullable=False),
        sa.Column("target_id", sa.String(length=255), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("person_id", sa.String(length=255), nullable=False),
        sa.Column("reacted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "reaction_id", name=op.f("pk_reaction_log")),
    )
    op.create_index(op.f("ix_reaction_log_person_id"), "reaction_log", ["person_id"])
    op.execute(LOG_SUPPORTS)
    op.execute(LOG_REGISTRATIONS)
    for table in ("idea_supports", "workshop_registrations"):
        op.add_column(
            table,
            sa.Column("by_reaction", sa.Boolean(), server_default=sa.false(), nullable=False),
        )
        op.execute(f"UPDATE {table} SET by_reaction = (reaction_event_id IS NOT NULL)")
    op.drop_index(
        op.f("ix_workshop_registrations_reaction_event_id"), table_name="workshop_registrations"
    )
    with op.batch_alter_table("workshop_registrations") as batch:
        batch.drop_column("reaction_event_id")
    with op.batch_alter_table("idea_supports") as batch:
        batch.drop_constraint(op.f("uq_idea_supports_reaction_event_id"), type_="unique")
        batch.drop_column("reaction_event_id")
    if _is_sqlite():
        for name, definition in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {definition}")


def downgrade() -> None:
    with op.batch_alter_table("idea_supports") as batch:
        batch.add_column(sa.Column("reaction_event_id", sa.String(length=255), nullable=True))
    with op.batch_alter_table("workshop_registrations") as batch:
        batch.add_column(sa.Column("reaction_event_id", sa.String(length=255), nullable=True))
    op.execute(RESTORE_SUPPORT_IDS)
    op.execute(RESTORE_REGISTRATION_IDS)
    with op.batch_alter_table("idea_supports") as batch:
        batch.drop_column("by_reaction")
        batch.create_unique_constraint(
            op.f("uq_idea_supports_reaction_event_id"), ["reaction_event_id"]
        )
    with op.batch_alter_table("workshop_registrations") as batch:
        batch.drop_column("by_reaction")
    op.create_index(
        op.f("ix_workshop_registrations_reaction_event_id"),
        "workshop_registrations",
        ["reaction_event_id"],
    )
    op.drop_index(op.f("ix_reaction_log_person_id"), table_name="reaction_log")
    op.drop_table("reaction_log")
    if _is_sqlite():
        for name, definition in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {definition}")
