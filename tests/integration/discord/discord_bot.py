"""The bot as `smartregion-bot run` starts it on Discord (`bot.app.App`), at the emulator."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.adapters.discord.adapter import DiscordAdapter
from bot.app import App
from bot.clock import Clock
from bot.config import Settings
from tests.discord_emulator import DiscordEmulator, User

READY_SECONDS = 15


def discord_env(emulator: DiscordEmulator, account: User, database: Path) -> dict[str, str]:
    """The settings of a Discord-only deployment at the emulator: the account's token and,
    as the servers it serves, every guild the account is a member of."""
    guilds = [guild.id for guild in emulator.world.guilds.values() if account.id in guild.members]
    return {
        "DISCORD_TOKEN": account.token or "",
        "DISCORD_GUILD_IDS": ",".join(guilds),
        "DISCORD_API_URL": emulator.api_url,
        "DISCORD_GATEWAY_URL": emulator.gateway_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
    }


class DiscordBot:
    """The real `App` on Discord alone, connected to the emulator until closed.

    `env` adds or overrides settings (e.g. DISCORD_STAFF_ROLE, BOT_DEPARTMENTS_FILE). The
    scheduler is not started: nothing in these tests waits for scheduled work.
    """

    def __init__(
        self,
        emulator: DiscordEmulator,
        account: User,
        database: Path,
        env: dict[str, str] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.emulator = emulator
        self.account = account
        self.clock = clock
        self.settings = Settings.from_env(
            env={**discord_env(emulator, account, database), **(env or {})}
        )

    async def __aenter__(self) -> DiscordBot:
        self.app = await App(self.settings, clock=self.clock, start_scheduler=False).__aenter__()
        adapter = self.app.adapters["discord"]
        assert isinstance(adapter, DiscordAdapter)
        self.adapter = adapter
        self.services = self.app.services
        self.app.start_background()
        await asyncio.wait_for(adapter.ready.wait(), READY_SECONDS)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.app.__aexit__(*exc)
