"""Composition root: the one place that builds and connects every part of the bot."""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack
from types import ModuleType

from bot.adapters.matrix.adapter import MatrixAdapter
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.context import Services
from bot.i18n import Catalog
from bot.reply_outbox import send_pending_replies
from bot.roles import RoleResolver
from bot.router import CommandRegistry, Router
from bot.scheduler import Scheduler
from handlers import exports, moderation, unreadable
from handlers import help as help_commands
from handlers.ideas import commands as ideas
from handlers.ideas import staff_commands as ideas_staff
from handlers.polls import commands as polls
from handlers.privacy import commands as privacy
from handlers.privacy import retention
from handlers.questions import commands as questions
from handlers.workshops import commands as workshops
from storage.db import create_engine, create_session_factory, upgrade_schema
from storage.uow import UnitOfWorkFactory

logger = logging.getLogger(__name__)

# The order is the order of `!hilfe`: what citizens use most comes first.
HANDLER_MODULES: tuple[ModuleType, ...] = (
    help_commands,
    ideas,
    ideas_staff,
    questions,
    polls,
    workshops,
    privacy,
    moderation,
    exports,
    unreadable,
    retention,
)


class App:
    """A running bot: storage, scheduler and chat adapter, entered and left together.

    Tests build it with a fake clock and `start_scheduler=False`, then fire due jobs with
    `await app.scheduler.run_due()` after moving the clock; they stop and re-enter it to
    simulate restarts.
    """

    def __init__(
        self,
        settings: Settings,
        clock: Clock | None = None,
        handler_modules: tuple[ModuleType, ...] = HANDLER_MODULES,
        start_scheduler: bool = True,
    ) -> None:
        self.settings = settings
        self.start_scheduler = start_scheduler
        self.clock = clock or SystemClock(settings.timezone)
        self.handler_modules = handler_modules
        self._stack = AsyncExitStack()
        self._run_task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> App:
        settings = self.settings
        engine = create_engine(settings.database_url)
        self._stack.push_async_callback(engine.dispose)
        await upgrade_schema(engine)
        unit_of_work = UnitOfWorkFactory(create_session_factory(engine), now=self.clock.now)
        self.unit_of_work = unit_of_work
        self.scheduler = Scheduler(self.clock)
        self._stack.callback(self.scheduler.shutdown)
        self.adapter = await self._stack.enter_async_context(MatrixAdapter(settings, unit_of_work))
        registry = CommandRegistry.from_modules(self.handler_modules)
        self.services = Services(
            settings=settings,
            catalog=Catalog.load(default=settings.language),
            clock=self.clock,
            unit_of_work=unit_of_work,
            adapter=self.adapter,
            commands=registry,
            scheduler=self.scheduler,
            roles=RoleResolver(settings, self.adapter),
        )
        self.router = Router(self.services, registry)
        self.adapter.on_event = self.router.dispatch
        for hook in registry.start_hooks:
            await hook(self.services)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.adapter.stop()
        if self._run_task is not None:
            await asyncio.gather(self._run_task, return_exceptions=True)
        await self._stack.aclose()

    async def run(self) -> None:
        """Sync until stopped; scheduled work starts once the first sync is handled.

        Jobs that fell due while the bot was down then run with the bot's rooms known (a
        reminder by direct message reuses the existing direct chat instead of opening one).
        """
        logger.info("smartregion-bot is running")
        starter = asyncio.create_task(self._catch_up_when_synced())
        try:
            await self.adapter.run()
        finally:
            starter.cancel()

    async def _catch_up_when_synced(self) -> None:
        """Send the answers a stop left unsent, then start the scheduled work."""
        await self.adapter.ready.wait()
        try:
            await send_pending_replies(self.services)
        except Exception:  # the scheduled work must start all the same
            logger.exception("The answers a stop left unsent could not be read")
        if self.start_scheduler:
            self.scheduler.start()

    def start_background(self) -> asyncio.Task[None]:
        """Run the sync loop as a task (for tests and the demo); stopped by leaving the App."""
        self._run_task = asyncio.create_task(self.run(), name="smartregion-bot sync")
        return self._run_task
