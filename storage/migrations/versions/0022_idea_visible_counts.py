"""ideas: how many ideas are visible per category, kept by triggers

Revision ID: 0022_idea_visible_counts
Revises: 0021_web_speed_page_state

`!ideen` shows "page 1 of N" and counted every visible idea for it: with 100,000 ideas a
sequential scan of 32 ms on PostgreSQL (4.5 ms on SQLite), more than half of `!ideen top`
(`bench.scale`, EXPLAIN ANALYZE). The database keeps the number itself, one row per
category ('' for none), on every insert, delete or update of an idea that changes whether
it is visible (published, not hidden, not merged) or its category, whichever code path
(submission, approval, hiding, merge, erasure) does it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_idea_visible_counts"
down_revision: str | Sequence[str] | None = "0021_web_speed_page_state"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _visible(row: str) -> str:
    return f"({row}.published AND NOT {row}.hidden AND {row}.merged_into IS NULL)"


def _same_place(equal: str) -> str:
    """The row counts where it counted before: nothing to change. `equal` is the
    dialect's comparison that takes two NULLs as equal."""
    return f"({_visible('OLD')} AND {_visible('NEW')} AND OLD.category {equal} NEW.category)"


def _increment(row: str) -> str:
    return (
        "INSERT INTO idea_visible_counts (category, visible) "
        f"VALUES (coalesce({row}.category, ''), 1) "
        "ON CONFLICT (category) DO UPDATE SET visible = idea_visible_counts.visible + 1;"
    )


def _decrement(row: str) -> str:
    return (
        "UPDATE idea_visible_counts SET visible = visible - 1 "
        f"WHERE category = coalesce({row}.category, '');"
    )


WATCHED = "published, hidden, merged_into, category"
SQLITE_TRIGGERS = {
    "ideas_visible_insert": (
        f"AFTER INSERT ON ideas WHEN {_visible('NEW')} BEGIN {_increment('NEW')} END"
    ),
    "ideas_visible_delete": (
        f"AFTER DELETE ON ideas WHEN {_visible('OLD')} BEGIN {_decrement('OLD')} END"
    ),
    "ideas_visible_leave": (
        f"AFTER UPDATE OF {WATCHED} ON ideas "
        f"WHEN {_visible('OLD')} AND NOT {_same_place('IS')} "
        f"BEGIN {_decrement('OLD')} END"
    ),
    "ideas_visible_enter": (
        f"AFTER UPDATE OF {WATCHED} ON ideas "
        f"WHEN {_visible('NEW')} AND NOT {_same_place('IS')} "
        f"BEGIN {_increment('NEW')} END"
    ),
}

POSTGRESQL_FUNCTION = f"""
CREATE FUNCTION ideas_visible_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF {_same_place("IS NOT DISTINCT FROM")} THEN RETURN NULL; END IF;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        IF {_visible("OLD")} THEN {_decrement("OLD")} END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF {_visible("NEW")} THEN {_increment("NEW")} END IF;
    END IF;
    RETURN NULL;
END
$$
"""
POSTGRESQL_TRIGGER = f"""
CREATE TRIGGER ideas_visible_count
AFTER INSERT OR DELETE OR UPDATE OF {WATCHED} ON ideas
FOR EACH ROW EXECUTE FUNCTION ideas_visible_count()
"""

BACKFILL = f"""
INSERT INTO idea_visible_counts (category, visible)
SELECT coalesce(ideas.category, ''), count(*) FROM ideas WHERE {_visible("ideas")}
GROUP BY coalesce(ideas.category, '')
"""


def upgrade() -> None:
    op.create_table(
        "idea_visible_counts",
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("visible", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("category", name=op.f("pk_idea_visible_counts")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL_FUNCTION)
        op.execute(POSTGRESQL_TRIGGER)
    else:
        for name, definition in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {definition}")
    op.execute(BACKFILL)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER ideas_visible_count ON ideas")
        op.execute("DROP FUNCTION ideas_visible_count()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("idea_visible_counts")
