"""Commands on Discord, as a conversation through the emulator with the real bot core."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.discord_emulator import DiscordEmulator, StoredMessage

pytest.importorskip("discord", reason="discord.py is not installed (extra `discord`)")

from discord_bot import DiscordBot  # needs discord.py: after the check above


class Town:
    """A guild with #buergerforum, a citizen and the bot."""

    def __init__(self, emulator: DiscordEmulator) -> None:
        self.emulator = emulator
        self.bot = emulator.add_bot("smartregion-bot", token="bot-token")
        self.citizen = emulator.add_user("Mara")
        guild = emulator.add_guild("Würzburg", owner=emulator.add_user("Orga"))
        emulator.add_member(guild, self.bot)
        emulator.add_member(guild, self.citizen)
        self.forum = emulator.add_channel(guild, "buergerforum").id

    async def ask(self, text: str, channel: str | None = None) -> tuple[str, StoredMessage]:
        """The citizen says `text`; returns the command's id and the bot's reply to it."""
        channel = channel or self.forum
        said = await self.emulator.say(self.citizen, channel, text)
        return said, await self.emulator.reply_to(channel, said)


@pytest_asyncio.fixture(loop_scope="session")
async def town(discord_at_emulator: DiscordEmulator, tmp_path: Path) -> AsyncIterator[Town]:
    town = Town(discord_at_emulator)
    async with DiscordBot(discord_at_emulator, town.bot, tmp_path / "bot.db"):
        yield town


async def test_help_is_a_reply_that_pings_nobody(town: Town) -> None:
    said, reply = await town.ask("!hilfe")
    assert reply.author_id == town.bot.id
    assert reply.reference is not None and reply.reference["message_id"] == said
    assert "!idee" in reply.content
    request = town.emulator.request_of(reply)
    assert request.json["message_reference"]["message_id"] == int(said)
    assert request.json["message_reference"]["fail_if_not_exists"] is False
    assert request.json["allowed_mentions"]["parse"] == []
    assert request.json["enforce_nonce"] is True
    assert reply.mentions == [] and not reply.mention_everyone


async def test_an_idea_is_saved_with_its_number(town: Town) -> None:
    _, reply = await town.ask("!idee Mehr Bänke am Mainufer")
    assert "gespeichert als **#1**" in reply.content


async def test_commands_in_a_direct_message_need_no_prefix(town: Town) -> None:
    dm = town.emulator.dm(town.citizen, town.bot)
    said, reply = await town.ask("hilfe", channel=dm)
    assert reply.channel_id == dm
    assert reply.reference is not None and reply.reference["message_id"] == said
    assert "!idee" in reply.content


async def test_an_idea_with_markup_and_mentions_is_shown_as_typed_and_pings_nobody(
    town: Town,
) -> None:
    typed = "@everyone <script> **laut** <@&123456789012345678> Spielplatz am Main"
    await town.ask(f"!idee {typed}")
    _, listing = await town.ask("!ideen neu")
    shown = (
        "@\u200beveryone \\<script> \\*\\*laut\\*\\* \\<@\u200b&123456789012345678> "
        "Spielplatz am Main"
    )
    assert shown in listing.content
    assert not listing.mention_everyone
    assert listing.mentions == [] and listing.mention_roles == []
    assert town.emulator.request_of(listing).json["allowed_mentions"]["parse"] == []
