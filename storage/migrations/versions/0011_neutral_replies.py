"""reply outbox: store the neutral message instead of its Matrix rendering

Revision ID: 0011_neutral_replies
Revises: 0008, 0009

A stored answer kept `body`, `html` and `mentions` as Matrix needs them; it now keeps the
platform-neutral message as JSON (`bot.messages.Message.to_json`), rendered by the adapter
when it is sent. Answers still waiting keep their plain text, a text line per body line, and
the people they notified; their bold is lost, their words are not. The JSON is written here
by hand so this migration never changes when `bot.messages` does.
"""

import html
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_neutral_replies"
# 0008 created the table; 0009 is the newest revision, which later ones chain on.
down_revision: str | Sequence[str] | None = ("0008", "0009")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

replies = sa.table(
    "pending_replies",
    sa.column("dedupe_key", sa.String()),
    sa.column("body", sa.Text()),
    sa.column("html", sa.Text()),
    sa.column("mentions", sa.Text()),
    sa.column("message", sa.Text()),
)


def upgrade() -> None:
    with op.batch_alter_table("pending_replies") as batch:
        batch.add_column(sa.Column("message", sa.Text(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(replies.c.dedupe_key, replies.c.body, replies.c.mentions))
    for key, body, mentions in rows.all():
        message = {
            "lines": [[{"text": line}] if line else [] for line in body.split("\n")],
            "notify": [user_id for user_id in mentions.split("\n") if user_id],
        }
        connection.execute(
            replies.update()
            .where(replies.c.dedupe_key == key)
            .values(message=json.dumps(message, ensure_ascii=False))
        )
    with op.batch_alter_table("pending_replies") as batch:
        batch.alter_column("message", existing_type=sa.Text(), nullable=False)
        batch.drop_column("body")
        batch.drop_column("html")
        batch.drop_column("mentions")


def downgrade() -> None:
    with op.batch_alter_table("pending_replies") as batch:
        batch.add_column(sa.Column("body", sa.Text(), nullable=True))
        batch.add_column(sa.Column("html", sa.Text(), nullable=True))
        batch.add_column(sa.Column("mentions", sa.Text(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(replies.c.dedupe_key, replies.c.message))
    for key, stored in rows.all():
        message = json.loads(stored)
        lines = ["".join(_plain(span) for span in line) for line in message["lines"]]
        mentioned = [
            span["mention"] for line in message["lines"] for span in line if "mention" in span
        ]
        connection.execute(
            replies.update()
            .where(replies.c.dedupe_key == key)
            .values(
                body="\n".join(lines),
                html="<br>".join(html.escape(line) for line in lines),
                mentions="\n".join(dict.fromkeys([*mentioned, *message["notify"]])),
            )
        )
    with op.batch_alter_table("pending_replies") as batch:
        for column in ("body", "html", "mentions"):
            batch.alter_column(column, existing_type=sa.Text(), nullable=False)
        batch.drop_column("message")


def _plain(span: dict[str, str]) -> str:
    """A stored span as plain text (as `bot.messages.plain_text` read it at this revision)."""
    if "link" in span:
        return (
            span["label"] if span["label"] == span["link"] else f"{span['label']} ({span['link']})"
        )
    if "mention" in span:
        return span["name"]
    return span.get("text", span.get("bold", ""))
