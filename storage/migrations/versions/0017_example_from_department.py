"""question examples remember the department a forward took the question away from

Revision ID: 0017_example_from_department
Revises: 0015_workshop_mirrors
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_example_from_department"
down_revision: str | Sequence[str] | None = "0016_public_page"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "question_examples",
        sa.Column("from_department_id", sa.String(length=64), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table("question_examples") as batch:
        batch.drop_column("from_department_id")
