"""questions: questions, their routes and messages, router examples, notices, the pseudonym key

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-28 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("asker", sa.String(length=255), nullable=False),
        sa.Column("asker_name", sa.String(length=255), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("origin_room_id", sa.String(length=255), nullable=False),
        sa.Column("origin_event_id", sa.String(length=255), nullable=False),
        sa.Column("origin_direct", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("department_id", sa.String(length=64), nullable=True),
        sa.Column("candidates", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("routed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questions")),
        sa.UniqueConstraint(
            "platform", "origin_event_id", name=op.f("uq_questions_platform_origin_event_id")
        ),
    )
    op.create_index("ix_questions_asker", "questions", ["platform", "asker"], unique=False)
    op.create_index("ix_questions_status", "questions", ["status"], unique=False)
    op.create_table(
        "question_routes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.String(length=64), nullable=False),
        sa.Column("room_id", sa.String(length=255), nullable=False),
        sa.Column("thread_root", sa.String(length=255), nullable=True),
        sa.Column("how", sa.String(length=16), nullable=False),
        sa.Column("routed_by", sa.String(length=255), nullable=True),
        sa.Column("routed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"], ["questions.id"], name=op.f("fk_question_routes_question_id_questions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_routes")),
        sa.UniqueConstraint("thread_root", name=op.f("uq_question_routes_thread_root")),
    )
    op.create_index(
        op.f("ix_question_routes_question_id"), "question_routes", ["question_id"], unique=False
    )
    op.create_table(
        "question_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("author", sa.String(length=255), nullable=False),
        sa.Column("author_name", sa.String(length=255), nullable=False),
        sa.Column("department_id", sa.String(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_question_messages_question_id_questions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_messages")),
        sa.UniqueConstraint(
            "platform", "event_id", name=op.f("uq_question_messages_platform_event_id")
        ),
    )
    op.create_index(
        op.f("ix_question_messages_question_id"), "question_messages", ["question_id"], unique=False
    )
    op.create_table(
        "question_examples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("department_id", sa.String(length=64), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_question_examples_question_id_questions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_examples")),
    )
    op.create_table(
        "question_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("route_id", sa.Integer(), nullable=True),
        sa.Column("reply_to", sa.String(length=255), nullable=True),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("event_id", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_question_notices_question_id_questions"),
        ),
        sa.ForeignKeyConstraint(
            ["route_id"],
            ["question_routes.id"],
            name=op.f("fk_question_notices_route_id_question_routes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_notices")),
    )
    op.create_index("ix_question_notices_pending", "question_notices", ["sent_at"], unique=False)
    op.create_table(
        "question_secrets",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_question_secrets")),
    )


def downgrade() -> None:
    op.drop_table("question_secrets")
    op.drop_index("ix_question_notices_pending", table_name="question_notices")
    op.drop_table("question_notices")
    op.drop_table("question_examples")
    op.drop_index(op.f("ix_question_messages_question_id"), table_name="question_messages")
    op.drop_table("question_messages")
    op.drop_index(op.f("ix_question_routes_question_id"), table_name="question_routes")
    op.drop_table("question_routes")
    op.drop_index("ix_questions_status", table_name="questions")
    op.drop_index("ix_questions_asker", table_name="questions")
    op.drop_table("questions")
