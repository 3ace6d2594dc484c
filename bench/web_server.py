"""The public page alone, as `bench.web` measures it: `python -m bench.web_server DB PORT`.

The same application the bot serves (bot.web), on the given database, with the request
limit off (the benchmark's sixteen clients share one address) and one addition: a
`Server-Timing` header with the time the server spent on the request, from the moment
aiohttp handed it over until the answer was ready (waiting for the event loop before that
is not included). Prints `ready` once it listens, and serves until stopped.
"""

from __future__ import annotations

import asyncio
import sys
import time
from importlib import resources

from aiohttp import web

from bot.clock import SystemClock
from bot.config import Settings, example_departments_file
from bot.i18n import Catalog
from bot.web.process import CONNECTIONS
from bot.web.server import Handler, build_app
from bot.web.site import Site
from storage.db import create_engine, create_session_factory
from storage.uow import UnitOfWorkFactory


async def serve(database_url: str, port: int) -> None:
    with resources.as_file(example_departments_file()) as path:
        settings = Settings.from_env(
            env={
                "DATABASE_URL": database_url,
                "BOT_WEB_ADDRESS": f"127.0.0.1:{port}",
                "BOT_WEB_RATE_LIMIT": "0",
                "BOT_DEPARTMENTS_FILE": str(path),
            }
        )
    web_settings = settings.web
    if web_settings is None:
        raise SystemExit("BOT_WEB_ADDRESS was not taken")
    engine = create_engine(database_url, connections=CONNECTIONS)
    clock = SystemClock(settings.timezone)
    site = Site(
        settings,
        Catalog.load(),
        UnitOfWorkFactory(create_session_factory(engine), now=clock.now),
        clock,
    )
    app = build_app(site)
    app.middlewares.insert(0, server_timing)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, web_settings.host, web_settings.port).start()
        print("ready", flush=True)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


@web.middleware
async def server_timing(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    response = await handler(request)
    response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.3f}"
    return response


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], int(sys.argv[2])))
