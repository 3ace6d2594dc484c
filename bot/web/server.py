"""The aiohttp application of the public page and the server the bot runs it on.

Middlewares, outermost first: security headers on every answer; only GET and HEAD; the
per-address request limit; errors as pages in the visitor's language; ETag/Last-Modified
with 304 answers.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from importlib import resources

from aiohttp import web

from bot.web import feed, open_data, pages
from bot.web.cache import CACHE, RenderCache
from bot.web.freshness import conditional
from bot.web.protection import ALLOWED_METHODS, RequestLimit, add_security_headers
from bot.web.rendering import VISITOR, PageError, Visitor, not_found
from bot.web.site import SITE, Site, site_of

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
STYLESHEET = resources.files("bot.web").joinpath("static/style.css").read_bytes()


def build_app(site: Site) -> web.Application:
    requests_per_minute = site.settings.web.requests_per_minute if site.settings.web else 0
    limit = RequestLimit(requests_per_minute)

    @web.middleware
    async def headers(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as error:
            response = error
        add_security_headers(response)
        return response

    @web.middleware
    async def read_only(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method not in ALLOWED_METHODS:
            return web.Response(status=405, headers={"Allow": ", ".join(ALLOWED_METHODS)})
        if not limit.allow(request):
            return _too_many(request)
        return await handler(request)

    @web.middleware
    async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            request[VISITOR] = Visitor.of(request, site.settings.language)
            return await handler(request)
        except PageError as error:
            return _error(request, error)
        except web.HTTPNotFound:
            return _error(request, not_found())

    @web.middleware
    async def fresh(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if not isinstance(response, web.Response):
            return response
        key = f"{request.path_qs}|{request[VISITOR].language}"
        return conditional(request, response, site.freshness, key, site.clock.now())

    app = web.Application(middlewares=[headers, read_only, errors, fresh])
    app[SITE] = site
    app[CACHE] = RenderCache()
    pages.add_routes(app)
    feed.add_routes(app)
    open_data.add_routes(app)
    app.router.add_get("/style.css", stylesheet)
    return app


async def stylesheet(request: web.Request) -> web.Response:
    del request  # the same for everyone
    return web.Response(body=STYLESHEET, content_type="text/css", charset="utf-8")


def _error(request: web.Request, error: PageError) -> web.Response:
    site = site_of(request)
    if request.path.startswith("/api/"):
        visitor: Visitor = request.get(VISITOR) or Visitor(site.settings.language, False)
        message = site.catalog.text(visitor.language, error.key, **error.params)
        response = web.json_response({"error": message}, status=error.status, dumps=_readable_json)
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response
    return site.renderer.error(request, error)


def _readable_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _too_many(request: web.Request) -> web.Response:
    site = site_of(request)
    request[VISITOR] = Visitor(site.settings.language, False)
    # The 429 page in the chosen or browser's language; a bad `lang` is not the point here.
    with contextlib.suppress(PageError):
        request[VISITOR] = Visitor.of(request, site.settings.language)
    response = _error(request, PageError(429, "web.errors.too_many"))
    response.headers["Retry-After"] = "60"
    return response


class WebServer:
    """Runs the application on the configured address while the bot runs."""

    def __init__(self, site: Site, host: str, port: int) -> None:
        self.site = site
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    async def __aenter__(self) -> WebServer:
        self._runner = web.AppRunner(build_app(self.site), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:  # an ephemeral port (tests): learn which one
            self.port = self._runner.addresses[0][1]
        logger.info("The public page is served at %s", self.address)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
