"""The public page in a process of its own: `smartregion-bot web`.

The page only reads the database, so it needs nothing from the running bot but what the
bot stores there (the resolved private rooms, the page version). In its own process it
cannot hold up the chat: a burst of page requests costs CPU, as any other program on the
machine would, but the bot's event loop stays free for its syncs and answers.

`smartregion-bot run` starts it as a child when BOT_WEB_ADDRESS is set (`PageProcess`),
with the same settings, after the schema is upgraded and the private rooms are stored; it
restarts the child if it ends and stops it with the bot. The child ends by itself when its
standard input closes, i.e. when the bot is gone, however it ended. An operator may
instead run `smartregion-bot web` under its own systemd unit (docs/deployment.md) and
leave BOT_WEB_ADDRESS out of the bot's settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Mapping

from sqlalchemy.exc import DBAPIError

from bot.clock import SystemClock
from bot.config import Settings
from bot.i18n import Catalog
from bot.web.server import WebServer
from bot.web.site import Site
from storage.db import create_engine, create_session_factory
from storage.uow import UnitOfWorkFactory
from storage.web.repository import PageStateRepository

logger = logging.getLogger(__name__)

READY = b"ready"
"""What the page's process prints on its standard output once it listens."""
START_TIMEOUT_S = 60.0
RESTART_DELAY_S = 5.0
STOP_TIMEOUT_S = 10.0
CONNECTIONS = 8
"""The page's database connections, kept open (storage.db.create_engine): a page reads for
a few milliseconds, so more requests than this at once wait for one rather than open one."""


class SchemaMissing(Exception):
    """The database has not been upgraded by `smartregion-bot run` yet."""


async def serve(settings: Settings, *, until_stdin_closes: bool = False) -> None:
    """Serve the page on BOT_WEB_ADDRESS until cancelled (or, as a child, until the parent's
    end of the pipe on standard input closes)."""
    web = settings.web
    if web is None:
        raise ValueError("BOT_WEB_ADDRESS is not set")
    engine = create_engine(settings.database_url, connections=CONNECTIONS)
    try:
        clock = SystemClock(settings.timezone)
        unit_of_work = UnitOfWorkFactory(create_session_factory(engine), now=clock.now)
        async with unit_of_work() as uow:
            try:
                await PageStateRepository(uow.session).version()
            except DBAPIError as error:
                raise SchemaMissing(
                    "The database has no page tables yet: start `smartregion-bot run` once, "
                    "which upgrades the schema."
                ) from error
        site = Site(settings, Catalog.load(default=settings.language), unit_of_work, clock)
        async with WebServer(site, web.host, web.port):
            sys.stdout.buffer.write(READY + b"\n")
            sys.stdout.flush()
            if until_stdin_closes:
                await _end_of_input()
            else:
                await asyncio.Event().wait()
    finally:
        await engine.dispose()


async def _end_of_input() -> None:
    """Return when standard input reaches its end (the parent closed it or is gone)."""
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    try:
        while await reader.read(4096):
            pass
    finally:
        transport.close()


class PageProcess:
    """The page's process as a child of the bot: started, kept running, stopped."""

    def __init__(self, environment: Mapping[str, str]) -> None:
        self.environment = {**os.environ, **environment}
        self._process: asyncio.subprocess.Process | None = None
        self._keeper: asyncio.Task[None] | None = None
        self._stopping = False

    async def __aenter__(self) -> PageProcess:
        """Start the child and wait until it listens (or, failing that, log why and keep
        trying in the background: the chat runs without its page)."""
        try:
            await self._start()
        except (OSError, RuntimeError):
            logger.exception("The public page did not start; trying again")
            await self._stop_child()
        self._keeper = asyncio.create_task(self._keep_running(), name="public page")
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stopping = True
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
        await self._stop_child()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def _start(self) -> None:
        process = self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "web",
            "--until-stdin-closes",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=self.environment,
        )
        assert process.stdout is not None
        try:
            line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT_S)
        except TimeoutError:
            line = b""
        if line.strip() != READY:
            raise RuntimeError(f"the public page's process ended (exit {process.returncode})")

    async def _keep_running(self) -> None:
        while not self._stopping:
            if self._process is not None:
                code = await self._process.wait()
                if self._stopping:
                    return
                logger.error("The public page's process ended (exit %s); restarting", code)
            await asyncio.sleep(RESTART_DELAY_S)
            try:
                await self._start()
            except (OSError, RuntimeError):
                logger.exception("The public page did not start; trying again")
                await self._stop_child()

    async def _stop_child(self) -> None:
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        assert process.stdin is not None
        process.stdin.close()  # the child's signal to end
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
        except TimeoutError:
            process.kill()
            await process.wait()
