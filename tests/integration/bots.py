"""The bot under test, run in-process against the test session's Synapse.

Tests stop and start it to check what survives a restart; the database file and the
bot's account stay the same between runs, as in production.
"""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from types import ModuleType

from bot.app import HANDLER_MODULES, App
from bot.clock import Clock
from bot.config import Settings
from bot.devserver import LocalSynapse

BOT_PASSWORD = "bot-test-password"
READY_TIMEOUT_S = 30


class RunningBot:
    """One bot account with its own SQLite file; `start`/`stop` may alternate."""

    def __init__(
        self,
        synapse: LocalSynapse,
        user_id: str,
        data_dir: Path,
        env: dict[str, str],
        handler_modules: tuple[ModuleType, ...],
        clock: Clock | None,
    ) -> None:
        self.synapse = synapse
        self.user_id = user_id
        self.data_dir = data_dir
        self.env = env
        self.handler_modules = handler_modules
        self.clock = clock
        self.app: App | None = None

    @property
    def settings(self) -> Settings:
        return Settings.from_env(
            env={
                "MATRIX_HOMESERVER": self.synapse.base_url,
                "MATRIX_USER_ID": self.user_id,
                "MATRIX_PASSWORD": BOT_PASSWORD,
                "DATABASE_URL": f"sqlite+aiosqlite:///{self.data_dir / 'bot.db'}",
                "BOT_CRYPTO_STORE": str(self.data_dir / "crypto"),
                **self.env,
            }
        )

    async def start(self, wait_ready: bool = True) -> App:
        app = App(
            self.settings,
            clock=self.clock,
            handler_modules=self.handler_modules,
            start_scheduler=self.clock is None,
        )
        await app.__aenter__()
        self.app = app
        app.start_background()
        if wait_ready:
            await asyncio.wait_for(app.adapters["matrix"].ready.wait(), READY_TIMEOUT_S)
        return app

    async def stop(self) -> None:
        if self.app is not None:
            await self.app.__aexit__(None, None, None)
            self.app = None

    async def restart(self) -> App:
        await self.stop()
        return await self.start()


async def register_bot(
    synapse: LocalSynapse,
    data_dir: Path,
    env: dict[str, str] | None = None,
    handler_modules: tuple[ModuleType, ...] = HANDLER_MODULES,
    clock: Clock | None = None,
) -> RunningBot:
    """A fresh bot account (not yet started) on `synapse`."""
    user_id = await synapse.register_user(f"bot-{secrets.token_hex(4)}", BOT_PASSWORD)
    return RunningBot(synapse, user_id, data_dir, env or {}, handler_modules, clock)
