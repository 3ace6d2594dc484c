"""`smartregion-bot run` when the developer portal has the privileged intents switched off."""

from __future__ import annotations

import asyncio
import os
import sys
from asyncio.subprocess import Process
from collections.abc import Awaitable
from pathlib import Path

import pytest

from tests.discord_emulator import DiscordEmulator
from tests.discord_emulator.gateway import GUILD_MEMBERS, MESSAGE_CONTENT

pytest.importorskip("discord", reason="discord.py is not installed (extra `discord`)")

from discord_bot import discord_env  # needs discord.py: after the check above

PROJECT = Path(__file__).resolve().parents[3]
RUN_SECONDS = 60


def start_run(emulator: DiscordEmulator, tmp_path: Path, switched_on: int) -> Awaitable[Process]:
    """`smartregion-bot run` against the emulator whose portal has `switched_on` privileged
    intents."""
    bot = emulator.add_bot(token="portal-token")
    emulator.add_member(emulator.add_guild("Würzburg", owner=emulator.add_user("Orga")), bot)
    emulator.gateway.privileged_intents = switched_on
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(PROJECT),
        **discord_env(emulator, bot, tmp_path / "bot.db"),
    }
    return asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import sys; from bot.cli import main; sys.exit(main(['run']))",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_run_names_the_portal_switches_and_fails_when_server_members_is_off(
    discord_at_emulator: DiscordEmulator, tmp_path: Path
) -> None:
    process = await start_run(discord_at_emulator, tmp_path, MESSAGE_CONTENT)
    async with asyncio.timeout(RUN_SECONDS):
        _, stderr = await process.communicate()
    printed = stderr.decode()
    assert process.returncode == 2, printed
    assert "close code 4014" in printed
    assert "Bot → Privileged Gateway Intents" in printed
    assert '"Message Content Intent" and "Server Members Intent"' in printed
    assert "Traceback" not in printed


async def test_run_goes_on_with_slash_commands_when_message_content_is_off(
    discord_at_emulator: DiscordEmulator, tmp_path: Path
) -> None:
    process = await start_run(discord_at_emulator, tmp_path, GUILD_MEMBERS)
    assert process.stderr is not None
    printed = ""
    try:
        async with asyncio.timeout(RUN_SECONDS):
            while "Message Content Intent" not in printed:
                line = await process.stderr.readline()
                assert line, printed  # the process ended instead
                printed += line.decode()
    finally:
        process.terminate()
        await process.wait()
    assert "slash commands only" in printed
    assert "`!` commands in channels are off" in printed
    assert "Bot → Privileged Gateway Intents" in printed
