"""ideas: a support counter kept by triggers, so `!ideen top` reads an index

Revision ID: 0009
Revises: 0002

Counting 150,000 supports for every `!ideen top` took 80 ms and more. The database keeps
`ideas.support_count` itself, on every insert, delete or move of a support, whichever code
path (command, reaction, merge, erasure, retention) does it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INCREMENT = "UPDATE ideas SET support_count = support_count + 1 WHERE id = NEW.idea_id;"
DECREMENT = "UPDATE ideas SET support_count = support_count - 1 WHERE id = OLD.idea_id;"

SQLITE_TRIGGERS = {
    "idea_supports_count_insert": f"AFTER INSERT ON idea_supports BEGIN {INCREMENT} END",
    "idea_supports_count_delete": f"AFTER DELETE ON idea_supports BEGIN {DECREMENT} END",
    "idea_supports_count_move": (
        f"AFTER UPDATE OF idea_id ON idea_supports BEGIN {DECREMENT} {INCREMENT} END"
    ),
}

POSTGRESQL_FUNCTION = f"""
CREATE FUNCTION idea_supports_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN {INCREMENT} END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN {DECREMENT} END IF;
    RETURN NULL;
END
$$
"""
POSTGRESQL_TRIGGER = """
CREATE TRIGGER idea_supports_count
AFTER INSERT OR DELETE OR UPDATE OF idea_id ON idea_supports
FOR EACH ROW EXECUTE FUNCTION idea_supports_count()
"""


def upgrade() -> None:
    op.add_column(
        "ideas",
        sa.Column("support_count", sa.Integer(), server_default="0", nullable=False),
    )
    op.execute(
        "UPDATE ideas SET support_count = "
        "(SELECT count(*) FROM idea_supports WHERE idea_supports.idea_id = ideas.id)"
    )
    op.create_index(
        "ix_ideas_support_count_number", "ideas", ["support_count", "number"], unique=False
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL_FUNCTION)
        op.execute(POSTGRESQL_TRIGGER)
    else:
        for name, definition in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {definition}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER idea_supports_count ON idea_supports")
        op.execute("DROP FUNCTION idea_supports_count()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_index("ix_ideas_support_count_number", table_name="ideas")
    op.drop_column("ideas", "support_count")
