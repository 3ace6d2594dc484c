"""Slash commands on Discord: registered per server from the command declarations, answered
through the interaction (deferred at once, then the answer), refusals for the asker alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.app import HANDLER_MODULES
from bot.router import CommandRegistry
from tests.discord_emulator import DiscordEmulator
from tests.discord_emulator.gateway import GUILD_MEMBERS, PRIVILEGED_INTENTS
from tests.discord_emulator.interactions import DEFERRED_CHANNEL_MESSAGE

pytest.importorskip("discord", reason="discord.py is not installed (extra `discord`)")

from discord_bot import DiscordBot  # needs discord.py: after the check above

HELP_FOOTER = "Details zu einem Befehl"


class Square:
    """A server with a channel for everyone and a citizen."""

    def __init__(self, emulator: DiscordEmulator, token: str) -> None:
        self.emulator = emulator
        self.bot = emulator.add_bot("smartregion-bot", token=token)
        self.guild = emulator.add_guild("Marktplatz", owner=emulator.add_user("Orga"))
        self.citizen = emulator.add_user("Mara")
        emulator.add_member(self.guild, self.bot)
        emulator.add_member(self.guild, self.citizen)
        self.forum = emulator.add_channel(self.guild, "buergerforum").id


@pytest_asyncio.fixture(loop_scope="session")
async def square(discord_at_emulator: DiscordEmulator, tmp_path: Path) -> AsyncIterator[Square]:
    square = Square(discord_at_emulator, "slash-token")
    async with DiscordBot(discord_at_emulator, square.bot, tmp_path / "bot.db"):
        yield square


async def test_commands_are_registered_per_server_in_german_with_english_names(
    square: Square,
) -> None:
    emulator = square.emulator
    idea = emulator.interactions.command(square.bot, square.guild.id, "idee")
    assert idea["name_localizations"] == {"en-US": "idea", "en-GB": "idea"}
    assert idea["description"] == "reicht eine Idee für Stadt und Landkreis ein"
    assert idea["description_localizations"]["en-US"].startswith("submit")
    [arguments] = idea["options"]
    assert arguments["name"] == "argumente"
    assert arguments["name_localizations"]["en-US"] == "arguments"
    assert arguments["description"] == "[#kategorie] <Text>"
    assert not arguments["required"]
    registered = emulator.interactions.commands[(square.bot.id, square.guild.id)]
    assert len(registered) == len(CommandRegistry.from_modules(HANDLER_MODULES).specs)
    assert emulator.interactions.command(square.bot, square.guild.id, "hilfe")
    assert emulator.interactions.command(square.bot, square.guild.id, "status")


async def test_help_is_deferred_at_once_then_answered(square: Square) -> None:
    emulator = square.emulator
    used = await emulator.slash(square.citizen, square.forum, "hilfe")
    [answer] = await emulator.answers(used)
    interaction = emulator.interactions.interactions[used]
    assert interaction.callback_type == DEFERRED_CHANNEL_MESSAGE
    assert answer.kind == "original" and not answer.ephemeral
    await emulator.wait_until(
        lambda: any(HELP_FOOTER in a.content for a in emulator.interactions.answers_to(used))
    )
    parts = emulator.interactions.answers_to(used)
    assert "!idee" in "\n".join(a.content for a in parts)
    assert [a.kind for a in parts][1:] == ["followup"] * (len(parts) - 1)
    assert emulator.messages(square.forum)[-1].id == parts[-1].message_id, "everyone sees it"


async def test_an_idea_by_slash_command_is_stored(square: Square) -> None:
    emulator = square.emulator
    used = await emulator.slash(
        square.citizen, square.forum, "idee", {"argumente": "Mehr Bänke am Mainufer"}
    )
    await emulator.wait_until(
        lambda: any(
            "gespeichert als **#" in a.content for a in emulator.interactions.answers_to(used)
        )
    )
    [answer, *_] = emulator.interactions.answers_to(used)
    assert "gespeichert als **#1**" in answer.content


async def test_english_clients_get_english_answers(square: Square) -> None:
    emulator = square.emulator
    used = await emulator.slash(square.citizen, square.forum, "hilfe", locale="en-GB")
    [answer, *_] = await emulator.answers(used)
    assert "!idea" in answer.content


async def test_a_refusal_is_for_the_asker_alone(square: Square) -> None:
    emulator = square.emulator
    used = await emulator.slash(square.citizen, square.forum, "status", {"argumente": "1 neu"})
    [answer] = await emulator.answers(used)
    assert "Das dürfen leider nur" in answer.content
    assert answer.ephemeral and answer.kind == "followup"
    assert all(m.id != answer.message_id for m in emulator.messages(square.forum))
    interaction = emulator.interactions.interactions[used]
    await emulator.wait_until(lambda: interaction.original_deleted)  # no "thinking…" left
    assert interaction.original_id is None


async def test_a_usage_error_is_for_the_asker_alone(square: Square) -> None:
    emulator = square.emulator
    used = await emulator.slash(square.citizen, square.forum, "idee")
    [answer] = await emulator.answers(used)
    assert "So geht’s" in answer.content and answer.ephemeral


async def test_a_late_acknowledgement_is_refused_as_discord_refuses_it(
    square: Square,
) -> None:
    emulator = square.emulator
    emulator.interactions.window = 0.0
    try:
        used = await emulator.slash(square.citizen, square.forum, "hilfe")
        await emulator.wait_until(lambda: bool(emulator.requests("POST", f"/interactions/{used}/")))
    finally:
        emulator.interactions.window = 3.0
    assert emulator.interactions.interactions[used].callback_type is None
    assert emulator.interactions.answers_to(used) == []


async def test_without_message_content_slash_commands_still_work(
    discord_at_emulator: DiscordEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = discord_at_emulator
    square = Square(emulator, "no-content-token")
    emulator.gateway.privileged_intents = GUILD_MEMBERS  # Message Content switched off
    try:
        async with DiscordBot(emulator, square.bot, tmp_path / "bot.db"):
            said = await emulator.say(square.citizen, square.forum, "!hilfe")
            used = await emulator.slash(square.citizen, square.forum, "hilfe")
            [answer, *_] = await emulator.answers(used)
            assert "!idee" in answer.content
    finally:
        emulator.gateway.privileged_intents = PRIVILEGED_INTENTS
    assert not any(
        m.reference is not None and m.reference["message_id"] == said
        for m in emulator.messages(square.forum)
    ), "`!hilfe` is not answered: its content never reached the bot"
    assert "Message Content Intent" in caplog.text
    assert "slash commands only" in caplog.text


async def test_leichte_sprache_comes_in_short_answers_to_a_slash_command(square: Square) -> None:
    emulator = square.emulator
    chosen = await emulator.slash(square.citizen, square.forum, "sprache", {"argumente": "leicht"})
    [changed] = await emulator.answers(chosen)
    assert changed.content.startswith("Gut.\nIch schreibe dir ab jetzt in Leichter Sprache.")

    used = await emulator.slash(square.citizen, square.forum, "datenschutz")
    await emulator.wait_until(
        lambda: any(
            "Das sind deine Rechte:" in a.content for a in emulator.interactions.answers_to(used)
        )
    )
    parts = emulator.interactions.answers_to(used)
    assert len(parts) >= 6, "one short answer per paragraph"
    assert parts[0].kind == "original" and parts[0].content.startswith("**Daten·schutz")
    assert [a.kind for a in parts][1:] == ["followup"] * (len(parts) - 1)
    assert not any(a.ephemeral for a in parts)
