"""DSGVO rights on Discord: `!meinedaten` sends the data file as a DM attachment, and
`!datenloeschen` with its confirmation erases the person, card included; staff answer a
written request of a Discord user with `smartregion-bot privacy export|delete discord:<id>`.

A conversation through the emulator with the real bot core; the file is uploaded as
multipart (`payload_json` and `files[0]`) and downloaded from its attachment URL, as a
person's Discord client would.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from bot.cli import main
from tests.discord_emulator import DiscordEmulator, StoredMessage

pytest.importorskip("discord", reason="discord.py is not installed (extra `discord`)")

from discord_bot import DiscordBot, discord_env  # needs discord.py: after the check above
from event_tasks import events_handled

IDEA = "Mehr Bänke am Mainufer mit Blick aufs Wasser"


class Town:
    """A guild with #buergerforum and #ideen, a citizen and the bot."""

    def __init__(self, emulator: DiscordEmulator) -> None:
        self.emulator = emulator
        self.bot = emulator.add_bot("smartregion-bot", token="privacy-bot-token")
        self.citizen = emulator.add_user("Bernd")
        self.guild = emulator.add_guild("Würzburg", owner=emulator.add_user("Orga"))
        emulator.add_member(self.guild, self.bot)
        emulator.add_member(self.guild, self.citizen)
        self.forum = emulator.add_channel(self.guild, "buergerforum").id
        self.ideas = emulator.add_channel(self.guild, "ideen").id
        self.dm = emulator.dm(self.citizen, self.bot)

    async def ask(self, text: str, channel: str | None = None) -> StoredMessage:
        """The citizen says `text`; returns the bot's reply to it."""
        channel = channel or self.forum
        said = await self.emulator.say(self.citizen, channel, text)
        return await self.emulator.reply_to(channel, said)

    async def my_data(self) -> dict[str, Any]:
        """`!meinedaten` in the forum; the JSON file that then arrives in the DM."""
        files_before = len(self.files())
        reply = await self.ask("!meinedaten")
        assert "per Direktnachricht" in reply.content
        await self.emulator.wait_until(lambda: len(self.files()) > files_before)
        attachment = self.files()[-1].attachments[0]
        assert attachment["filename"].startswith("meine-daten-")
        assert attachment["filename"].endswith(".json")
        async with aiohttp.ClientSession() as http, http.get(attachment["url"]) as response:
            assert response.status == 200
            return json.loads(await response.read())

    def files(self) -> list[StoredMessage]:
        """The bot's messages with an attachment in the DM, oldest first."""
        return [
            m
            for m in self.emulator.messages(self.dm)
            if m.author_id == self.bot.id and m.attachments
        ]


@pytest_asyncio.fixture(loop_scope="session")
async def town(discord_at_emulator: DiscordEmulator, tmp_path: Path) -> AsyncIterator[Town]:
    town = Town(discord_at_emulator)
    env = {
        "DISCORD_GUILD_IDS": town.guild.id,
        "DISCORD_IDEAS_CHANNEL": town.ideas,
        "BOT_PRIVACY_CONTROLLER": "Stadt Würzburg",
    }
    async with DiscordBot(discord_at_emulator, town.bot, tmp_path / "bot.db", env=env):
        yield town


async def test_my_data_arrives_as_a_dm_attachment_and_erasure_empties_it(town: Town) -> None:
    emulator = town.emulator
    assert "gespeichert als **#1**" in (await town.ask(f"!idee {IDEA}")).content
    await events_handled()  # the bot has stored the card's id
    card = emulator.messages(town.ideas)[-1]
    assert IDEA in card.content

    data = await town.my_data()
    assert data["person"] == {"platform": "discord", "id": town.citizen.id}
    assert data["controller"]["name"] == "Stadt Würzburg"
    assert [(idea["number"], idea["text"]) for idea in data["ideas"]] == [(1, IDEA)]
    caption = emulator.messages(town.dm)[0]
    assert caption.author_id == town.bot.id and "JSON-Datei" in caption.content
    upload = emulator.requests("POST", f"/channels/{town.dm}/messages")[-1]
    assert [name for name, _ in upload.files] == [town.files()[-1].attachments[0]["filename"]]
    assert upload.json["allowed_mentions"]["parse"] == []

    asked = await town.ask("!datenloeschen")
    assert "!datenloeschen bestaetigen" in asked.content
    # Confirmed in the DM: the request belongs to the person, not to a channel.
    done = await town.ask("!datenloeschen bestaetigen", channel=town.dm)
    assert "Ideen gelöscht: 1" in done.content
    await emulator.wait_for(
        town.ideas, lambda m: m.id == card.id and "Idee #1 wurde auf Wunsch" in m.content
    )
    assert IDEA not in emulator.world.messages[card.id].content

    after = await town.my_data()
    assert after["person"]["id"] == town.citizen.id
    assert after["ideas"] == []
    assert IDEA not in json.dumps(after, ensure_ascii=False)


async def test_staff_answer_a_written_request_of_a_discord_user_from_the_command_line(
    discord_at_emulator: DiscordEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator = discord_at_emulator
    town = Town(emulator)
    database = tmp_path / "bot.db"
    env = {"DISCORD_IDEAS_CHANNEL": town.ideas, "BOT_PRIVACY_CONTROLLER": "Stadt Würzburg"}
    async with DiscordBot(emulator, town.bot, database, env=env):
        assert "gespeichert als **#1**" in (await town.ask(f"!idee {IDEA}")).content
        await events_handled()
    settings = {**discord_env(emulator, town.bot, database), **env}
    env_file = tmp_path / "bot.env"
    env_file.write_text("".join(f"{key}={value}\n" for key, value in settings.items()), "utf-8")

    output = tmp_path / "bernd.json"
    export = ["privacy", "export", f"discord:{town.citizen.id}", "--output", str(output)]
    assert await asyncio.to_thread(main, [*export, "--env-file", str(env_file)]) == 0
    data = json.loads(output.read_text("utf-8"))
    assert data["person"] == {"platform": "discord", "id": town.citizen.id}
    assert [idea["text"] for idea in data["ideas"]] == [IDEA]

    wrong = ["privacy", "export", "--platform", "discord", "@bernd:example.org"]
    assert await asyncio.to_thread(main, [*wrong, "--env-file", str(env_file)]) == 2
    assert "not a discord user id" in capsys.readouterr().err

    delete = ["privacy", "delete", "--platform", "discord", town.citizen.id, "--yes"]
    assert await asyncio.to_thread(main, [*delete, "--env-file", str(env_file)]) == 0
    assert "1 ideas deleted" in capsys.readouterr().out
    assert await asyncio.to_thread(main, [*export, "--env-file", str(env_file)]) == 0
    assert json.loads(output.read_text("utf-8"))["ideas"] == []
