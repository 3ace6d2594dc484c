"""The real bot core on the Discord adapter, wired as `bot.app` wires it, for tests."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from bot.adapters.discord.adapter import DiscordAdapter
from bot.adapters.discord.connection import DiscordConnection
from bot.app import HANDLER_MODULES
from bot.clock import Clock, SystemClock
from bot.config import PlatformSettings, Settings
from bot.context import Services
from bot.i18n import Catalog
from bot.roles import RoleResolver
from bot.router import CommandRegistry, Router
from bot.scheduler import Scheduler
from storage.db import create_engine, create_session_factory, upgrade_schema
from storage.uow import UnitOfWorkFactory
from tests.discord_emulator import DiscordEmulator, User

READY_SECONDS = 15


class DiscordBot:
    """Storage, router and the Discord adapter, connected to the emulator until closed.

    `bot.app.App` builds adapters from the settings only, so this builds the same parts
    around an adapter the test points at the emulator.
    """

    def __init__(
        self,
        emulator: DiscordEmulator,
        account: User,
        database: Path,
        env: Mapping[str, str] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.emulator = emulator
        self.account = account
        self.database = database
        self.env = dict(env or {})
        """More settings (e.g. DISCORD_IDEAS_CHANNEL); with any DISCORD_* the Discord
        settings are read from them, token and URLs filled in for the emulator."""
        self.clock = clock

    async def __aenter__(self) -> DiscordBot:
        env = {"DATABASE_URL": f"sqlite+aiosqlite:///{self.database}", **self.env}
        if any(name.startswith("DISCORD_") for name in self.env):
            env.update(
                DISCORD_TOKEN=self.account.token or "",
                DISCORD_API_URL=self.emulator.api_url,
                DISCORD_GATEWAY_URL=self.emulator.gateway_url,
            )
        settings = Settings.from_env(env=env)
        discord_settings = settings.platforms.get("discord") or PlatformSettings()
        settings = replace(
            settings, platforms={"discord": replace(discord_settings, user_id=self.account.id)}
        )
        self.engine = create_engine(settings.database_url)
        await upgrade_schema(self.engine)
        clock = self.clock or SystemClock(settings.timezone)
        unit_of_work = UnitOfWorkFactory(create_session_factory(self.engine), now=clock.now)
        connection = DiscordConnection(
            token=self.account.token or "",
            api_url=self.emulator.api_url,
            gateway_url=self.emulator.gateway_url,
        )
        self.adapter = await DiscordAdapter(connection).__aenter__()
        registry = CommandRegistry.from_modules(HANDLER_MODULES)
        adapters = {"discord": self.adapter}
        self.services = Services(
            settings=settings,
            catalog=Catalog.load(default=settings.language),
            clock=clock,
            unit_of_work=unit_of_work,
            adapters=adapters,
            commands=registry,
            scheduler=Scheduler(clock),
            roles=RoleResolver(settings, adapters),
        )
        self.adapter.on_event = Router(self.services, registry).dispatch
        for hook in registry.start_hooks:
            await hook(self.services)
        self._run = asyncio.create_task(self.adapter.run())
        await asyncio.wait_for(self.adapter.ready.wait(), READY_SECONDS)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.adapter.stop()
        await asyncio.gather(self._run, return_exceptions=True)
        await self.adapter.__aexit__()
        self.services.scheduler.shutdown()
        await self.engine.dispose()
