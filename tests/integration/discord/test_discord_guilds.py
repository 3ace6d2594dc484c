"""The guild allowlist: the bot serves the servers in DISCORD_GUILD_IDS and leaves others."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.discord_emulator import DiscordEmulator

pytest.importorskip("discord", reason="discord.py is not installed (extra `discord`)")

from discord_bot import DiscordBot  # needs discord.py: after the check above


async def test_the_bot_leaves_an_unlisted_server_it_is_in_at_start(
    discord_at_emulator: DiscordEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = discord_at_emulator
    bot = emulator.add_bot(token="allowlist-token")
    orga = emulator.add_user("Orga")
    listed = emulator.add_guild("Würzburg", owner=orga)
    unlisted = emulator.add_guild("Geheimclub Kim", owner=orga)
    emulator.add_member(listed, bot)
    emulator.add_member(unlisted, bot)
    caplog.set_level(logging.INFO, logger="bot.adapters.discord")
    env = {"DISCORD_GUILD_IDS": listed.id}
    async with DiscordBot(emulator, bot, tmp_path / "bot.db", env=env):
        assert bot.id not in unlisted.members
        assert bot.id in listed.members
        [left] = emulator.requests("DELETE", "/users/@me/guilds/")
        assert left.path.endswith(f"/users/@me/guilds/{unlisted.id}")
    [logged] = [r for r in caplog.records if "Leaving" in r.getMessage()]
    assert logged.levelno == logging.INFO and unlisted.id in logged.getMessage()
    assert "Geheimclub Kim" not in caplog.text, "no name people chose"


async def test_the_bot_leaves_an_unlisted_server_it_is_added_to_and_serves_a_listed_one(
    discord_at_emulator: DiscordEmulator, tmp_path: Path
) -> None:
    emulator = discord_at_emulator
    bot = emulator.add_bot(token="allowlist-token")
    mara = emulator.add_user("Mara")
    home = emulator.add_guild("Würzburg", owner=mara)
    later = emulator.add_guild("Rimpar", owner=mara)
    stranger = emulator.add_guild("Irgendwo", owner=mara)
    forum = emulator.add_channel(later, "buergerforum").id
    emulator.add_member(home, bot)
    env = {"DISCORD_GUILD_IDS": f"{home.id},{later.id}"}
    async with DiscordBot(emulator, bot, tmp_path / "bot.db", env=env):
        await emulator.invite(stranger, bot)
        await emulator.wait_until(lambda: bot.id not in stranger.members)
        await emulator.invite(later, bot)
        said = await emulator.say(mara, forum, "!hilfe")
        reply = await emulator.reply_to(forum, said)
        assert "!idee" in reply.content
        assert bot.id in later.members
        assert [r.path for r in emulator.requests("DELETE", "/users/@me/guilds/")] == [
            f"/api/v10/users/@me/guilds/{stranger.id}"
        ]
