"""`smartregion-bot run` when the developer portal has the privileged intents switched off."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from tests.discord_emulator import DiscordEmulator
from tests.discord_emulator.gateway import GUILD_MEMBERS

pytest.importorskip("discord", reason="discord.py is not installed (extra `discord`)")

from discord_bot import discord_env  # needs discord.py: after the check above

PROJECT = Path(__file__).resolve().parents[3]
RUN_SECONDS = 60


async def test_run_names_the_portal_switches_and_fails_when_message_content_is_off(
    discord_at_emulator: DiscordEmulator, tmp_path: Path
) -> None:
    emulator = discord_at_emulator
    bot = emulator.add_bot(token="portal-token")
    emulator.add_member(emulator.add_guild("Würzburg", owner=emulator.add_user("Orga")), bot)
    emulator.gateway.privileged_intents = GUILD_MEMBERS  # Message Content switched off
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(PROJECT),
        **discord_env(emulator, bot, tmp_path / "bot.db"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import sys; from bot.cli import main; sys.exit(main(['run']))",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(RUN_SECONDS):
        _, stderr = await process.communicate()
    printed = stderr.decode()
    assert process.returncode == 2, printed
    assert "close code 4014" in printed
    assert "Bot → Privileged Gateway Intents" in printed
    assert '"Message Content Intent" and "Server Members Intent"' in printed
    assert "Traceback" not in printed
