"""Migration 0011_neutral_replies: answers waiting in the outbox survive the new format."""

import json

from alembic import command
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.matrix.render import matrix_html
from bot.messages import Message
from storage.db import alembic_config, upgrade_schema

INSERT_OLD_REPLY = text(
    "INSERT INTO pending_replies"
    " (dedupe_key, platform, event_id, room_id, body, html, mentions, created_at)"
    " VALUES ('$cmd/0', 'matrix', '$cmd', '!room:x', :body, :html, :mentions,"
    " '2026-12-01 10:00:00+00:00')"
)


def _upgrade_to(revision: str):
    def upgrade(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), revision)

    return upgrade


async def test_a_pending_reply_keeps_its_text_and_mentions(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.run_sync(_upgrade_to("0008"))
        await connection.execute(
            INSERT_OLD_REPLY,
            {
                "body": "Danke! <b>#1</b>\n\nDetails",
                "html": "<strong>Danke!</strong> &lt;b&gt;#1&lt;/b&gt;<br><br>Details",
                "mentions": "@a:x\n@b:x",
            },
        )
        await connection.commit()
    await upgrade_schema(engine)

    async with engine.connect() as connection:
        [stored] = (await connection.execute(text("SELECT message FROM pending_replies"))).all()
    message = Message.from_json(stored[0])
    assert json.loads(stored[0])["notify"] == ["@a:x", "@b:x"]
    assert message.body == "Danke! <b>#1</b>\n\nDetails"
    assert message.mentions == ("@a:x", "@b:x")
    assert matrix_html(message) == "Danke! &lt;b&gt;#1&lt;/b&gt;<br><br>Details"
