"""Fixtures for Discord tests: a wire-level emulator, and discord.py pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from tests.discord_emulator import DiscordEmulator

pytest.importorskip("discord", reason="discord.py is not installed (extra `discord`)")


@pytest_asyncio.fixture(loop_scope="session")
async def emulator() -> AsyncIterator[DiscordEmulator]:
    async with DiscordEmulator() as emulator:
        yield emulator


@pytest.fixture
def discord_at_emulator(emulator: DiscordEmulator) -> Iterator[DiscordEmulator]:
    """discord.py's REST base and gateway set to the emulator for one test, then restored.

    They are class attributes of discord.py, shared by every client in the process.
    """
    import discord
    import yarl

    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = emulator.api_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(emulator.gateway_url)
    yield emulator
    discord.http.Route.BASE = base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway
