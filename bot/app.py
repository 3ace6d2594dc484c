"""Composition root: the one place that builds and connects every part of the bot."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from datetime import datetime
from functools import partial
from types import ModuleType
from typing import TYPE_CHECKING, Protocol

from bot.adapters.base import ChatAdapter
from bot.adapters.matrix.adapter import MatrixAdapter
from bot.capabilities import Capabilities
from bot.clock import Clock, SystemClock
from bot.command_menu import command_menu
from bot.config import NO_PLATFORM, ConfigError, DiscordSettings, Settings
from bot.context import IncomingEvent, Services
from bot.i18n import Catalog
from bot.reply_outbox import send_pending_replies
from bot.roles import RoleResolver
from bot.router import CommandRegistry, Router
from bot.scheduler import Scheduler
from handlers import exports, moderation, unreadable
from handlers import help as help_commands
from handlers.ideas import commands as ideas
from handlers.ideas import export as ideas_export
from handlers.ideas import personal_data as ideas_data
from handlers.ideas import staff_commands as ideas_staff
from handlers.insight import commands as insight
from handlers.insight import digest as insight_digest
from handlers.insight.export import statistics_file
from handlers.polls import commands as polls
from handlers.polls import export as polls_export
from handlers.polls import personal_data as polls_data
from handlers.privacy import commands as privacy
from handlers.privacy import personal_data as privacy_data
from handlers.privacy import retention
from handlers.questions import commands as questions
from handlers.questions import personal_data as questions_data
from handlers.questions.classifier import Classifier, DepartmentLike
from handlers.suggestions import suggest
from handlers.workshops import commands as workshops
from handlers.workshops import export as workshops_export
from handlers.workshops import personal_data as workshops_data
from storage.db import create_engine, create_session_factory, upgrade_schema, warm_pool
from storage.uow import UnitOfWork, UnitOfWorkFactory

if TYPE_CHECKING:
    from bot.adapters.discord.adapter import DiscordAdapter
    from bot.web.process import PageProcess

logger = logging.getLogger(__name__)

# Every module that declares something the bot collects: commands (their order is the order
# of `!hilfe`: what citizens use most comes first), listeners, start hooks, and what a
# capability registers (exports, personal data, erasure; see bot.capabilities).
HANDLER_MODULES: tuple[ModuleType, ...] = (
    help_commands,
    ideas,
    ideas_staff,
    questions,
    polls,
    workshops,
    privacy,
    insight,
    moderation,
    exports,
    unreadable,
    retention,
    insight_digest,
    ideas_export,
    ideas_data,
    questions_data,
    workshops_export,
    workshops_data,
    polls_export,
    polls_data,
    privacy_data,
)


def capabilities() -> Capabilities:
    """What the handler modules registered, for the command line (no router, no adapter)."""
    return Capabilities.from_modules(HANDLER_MODULES)


def statistics_writer() -> Callable[[UnitOfWork, Settings, datetime, int, str], Awaitable[str]]:
    """How `smartregion-bot stats` writes the weekly figures (the insight capability's)."""
    return statistics_file


def question_classifier(departments: Sequence[DepartmentLike]) -> Classifier:
    """The router of expert questions as the bot trains it (for `smartregion-bot classify`);
    raises ValueError when the departments cannot train it."""
    return Classifier(departments)


class RunningAdapter(ChatAdapter, Protocol):
    """What the composition root needs beyond `ChatAdapter`: a loop to run and stop."""

    on_event: Callable[[IncomingEvent], Awaitable[None]] | None
    ready: asyncio.Event
    """Set once the adapter hears every new event (Matrix: the first sync is handled)."""

    async def run(self) -> None: ...

    def stop(self) -> None: ...


def discord_adapter(settings: DiscordSettings, unit_of_work: UnitOfWorkFactory) -> DiscordAdapter:
    """The Discord adapter; imported here, so a deployment on Matrix alone runs without
    discord.py (the extra `discord`). The unit of work keeps its channel cursors (the
    catch-up after a downtime) and its sent-log."""
    from bot.adapters.discord.adapter import DiscordAdapter
    from bot.adapters.discord.connection import DiscordConnection

    return DiscordAdapter(DiscordConnection.from_settings(settings), unit_of_work)


class App:
    """A running bot: storage, scheduler and chat adapters, entered and left together.

    Every platform with settings gets its adapter (`App.adapters`, by platform name); they
    share one database, one scheduler and one router.

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
        serve_page: bool = True,
    ) -> None:
        self.settings = settings
        self.start_scheduler = start_scheduler
        self.serve_page = serve_page
        self.clock = clock or SystemClock(settings.timezone)
        self.handler_modules = handler_modules
        self._stack = AsyncExitStack()
        self._run_task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> App:
        try:
            return await self._enter()
        except BaseException:
            await self._stack.aclose()  # __aexit__ does not run when entering failed
            raise

    async def _enter(self) -> App:
        settings = self.settings
        if not settings.platforms:
            raise ConfigError([NO_PLATFORM])
        engine = create_engine(settings.database_url)
        self._stack.push_async_callback(engine.dispose)
        await upgrade_schema(engine)
        unit_of_work = UnitOfWorkFactory(create_session_factory(engine), now=self.clock.now)
        self._stack.push_async_callback(unit_of_work.close)  # deferred writes, then dispose
        self.unit_of_work = unit_of_work
        self.scheduler = Scheduler(self.clock)
        self._stack.callback(self.scheduler.shutdown)
        self.adapters: dict[str, RunningAdapter] = {}
        # Logging in mostly waits for the homeserver (a password login hashes there for a
        # few hundred milliseconds); the start hooks rebuild the schedule meanwhile. They
        # read the database and schedule jobs, none of them talks to a platform.
        logging_in = asyncio.ensure_future(self._log_in(unit_of_work))
        try:
            registry = CommandRegistry.from_modules(self.handler_modules)
            catalog = Catalog.load(default=settings.language)
            self.services = Services(
                settings=settings,
                catalog=catalog,
                clock=self.clock,
                unit_of_work=unit_of_work,
                adapters=self.adapters,
                commands=registry,
                scheduler=self.scheduler,
                roles=RoleResolver(settings, self.adapters),
            )
            self.router = Router(self.services, registry)
            for hook in registry.start_hooks:
                await hook(self.services)
            # The first commands then find their connections open (bench.scale: a command
            # beside the first sync's follow-ups had to open one on PostgreSQL).
            await warm_pool(engine)
            await logging_in
        finally:
            if not logging_in.done():
                logging_in.cancel()
                await asyncio.gather(logging_in, return_exceptions=True)
        discord = self.discord
        if discord is not None:
            discord.command_menu = command_menu(
                registry, catalog, settings.command_prefix, discord.user_reference_example
            )
            discord.suggest = partial(suggest, self.services)
        for adapter in self.adapters.values():
            adapter.on_event = self.router.dispatch
            if isinstance(adapter, MatrixAdapter):
                adapter.on_events = self.router.dispatch_all
                adapter.activity = self.router.activity
        self.page: PageProcess | None = None
        if settings.web is not None:
            await self._start_page()
        # What exists now (libraries, catalogs, the schedule, the platforms' state) lives as
        # long as the bot: out of the collector's sight, a full collection no longer scans it.
        # One took 60 ms and fell into a command after the start (`bench.scale` lists them).
        gc.freeze()
        self._stack.callback(gc.unfreeze)  # for processes that start more than one App
        return self

    async def _log_in(self, unit_of_work: UnitOfWorkFactory) -> None:
        """Enter every configured platform's adapter (each logs in) into `adapters`."""
        settings = self.settings
        self.discord: DiscordAdapter | None = None
        if settings.matrix is not None:
            self.adapters["matrix"] = await self._stack.enter_async_context(
                MatrixAdapter(settings.matrix, unit_of_work)
            )
        if settings.discord is not None:
            self.discord = await self._stack.enter_async_context(
                discord_adapter(settings.discord, unit_of_work)
            )
            self.adapters["discord"] = self.discord

    async def _start_page(self) -> None:
        """Store the private rooms the page must leave out (it has no adapters to resolve
        them), then start the page's own process (bot.web.process) unless it runs under a
        unit of its own (`run --no-page`)."""
        from bot.web.process import PageProcess
        from bot.web.rooms import private_rooms

        await private_rooms(self.services)
        if self.serve_page:
            self.page = await self._stack.enter_async_context(
                PageProcess(self.settings.environment)
            )

    async def __aexit__(self, *exc: object) -> None:
        for adapter in self.adapters.values():
            adapter.stop()
        if self._run_task is not None:
            await asyncio.gather(self._run_task, return_exceptions=True)
        await self._stack.aclose()

    async def run(self) -> None:
        """Run every adapter until stopped; scheduled work starts once all of them are ready.

        Jobs that fell due while the bot was down then run with the bot's rooms known (a
        reminder by direct message reuses the existing direct chat instead of opening one).
        """
        logger.info("smartregion-bot is running on %s", ", ".join(sorted(self.adapters)))
        starter = asyncio.create_task(self._catch_up_when_synced())
        try:
            await asyncio.gather(*(adapter.run() for adapter in self.adapters.values()))
        finally:
            starter.cancel()

    async def _catch_up_when_synced(self) -> None:
        """Send the answers a stop left unsent, then start the scheduled work.

        Both wait for the commands that came with the first sync (at most
        `Activity.at_most_s`), and each job already due waits for the commands then in
        flight once more: a citizen's command is answered first. The database stays the
        truth: a job that waited still decides from it whether its effect is due.
        """
        await asyncio.gather(*(adapter.ready.wait() for adapter in self.adapters.values()))
        activity = self.router.activity
        await activity.settled()
        try:
            await send_pending_replies(self.services)
        except Exception:  # the scheduled work must start all the same
            logger.exception("The answers a stop left unsent could not be read")
        if self.start_scheduler:
            self.scheduler.start(before_overdue=activity.settled)

    def start_background(self) -> asyncio.Task[None]:
        """Run the sync loop as a task (for tests and the demo); stopped by leaving the App."""
        self._run_task = asyncio.create_task(self.run(), name="smartregion-bot sync")
        return self._run_task
