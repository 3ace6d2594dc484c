"""DSGVO rights through a real Synapse: the first word in a direct chat, the data file, and
the erasure that leaves no trace in the bot's database."""

from __future__ import annotations

import json

from bots import RunningBot, register_bot
from chat import ChatUser, Event
from sqlalchemy import String, Text, select

from storage.schema import metadata


def file_from(bot: RunningBot, room: str):
    def matches(event: Event) -> bool:
        return (
            event["room_id"] == room
            and event["sender"] == bot.user_id
            and event.get("content", {}).get("msgtype") == "m.file"
        )

    return matches


async def stored_anywhere(bot: RunningBot, needles: set[str]) -> list[tuple[str, str]]:
    """(table, column) of every string value in the bot's database that holds a needle."""
    assert bot.app is not None
    found = []
    async with bot.app.unit_of_work() as uow:
        for table in metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text)]
            for row in await uow.session.execute(select(*columns)) if columns else []:
                for column, value in zip(columns, row, strict=True):
                    if value and any(needle in value for needle in needles):
                        found.append((table.name, column.name))
    return found


async def test_my_data_and_erasure_in_a_direct_chat(synapse, tmp_path, make_user):
    bot = await register_bot(synapse, tmp_path, env={"BOT_PRIVACY_CONTROLLER": "Stadt Würzburg"})
    await bot.start()
    bernd: ChatUser = await make_user("bernd")
    try:
        room = await bernd.dm(bot.user_id)
        await bernd.wait_joined(room, bot.user_id)

        idea = await bernd.say(room, "idee Mehr Bänke am Mainufer mit Blick aufs Wasser")
        intro = await bernd.next_reply(room)
        assert "automatischer Assistent" in intro.body and "!datenschutz" in intro.body
        assert "#1" in (await bernd.reply_to(idea)).body

        await bernd.say(room, "!meinedaten")
        upload = await bernd.wait_for(file_from(bot, room))
        assert upload["content"]["body"].endswith(".json")
        data = json.loads(await bernd.download(upload["content"]["url"]))
        assert data["person"]["id"] == bernd.user_id
        assert data["controller"]["name"] == "Stadt Würzburg"
        assert [(i["number"], i["text"]) for i in data["ideas"]] == [
            (1, "Mehr Bänke am Mainufer mit Blick aufs Wasser")
        ]
        assert data["profile"]["display_names_stored"] == ["Bernd"]

        asked = await bernd.reply_to(await bernd.say(room, "datenloeschen"))
        assert "!datenloeschen bestaetigen" in asked.body
        done = await bernd.reply_to(await bernd.say(room, "datenloeschen bestaetigen"))
        assert "Ideen gelöscht: 1" in done.body
        assert await stored_anywhere(bot, {bernd.user_id, "Bernd"}) == []
    finally:
        await bot.stop()
