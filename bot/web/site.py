"""What every part of the public page shares: settings, texts, the database and the clock.
Kept on the aiohttp application (no module globals)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import quote

from aiohttp import web

from bot.clock import Clock
from bot.config import Settings
from bot.i18n import Catalog
from bot.web.freshness import Freshness
from bot.web.rendering import Renderer, not_found
from storage.uow import UnitOfWork

NUMBER = r"{number:\d{1,9}}"
"""A `#N` in a path; longer digit strings are no number the bot ever handed out (404)."""


@dataclass
class Site:
    settings: Settings
    catalog: Catalog
    unit_of_work: Callable[[], UnitOfWork]
    clock: Clock
    renderer: Renderer = field(init=False)
    freshness: Freshness = field(init=False, default_factory=Freshness)

    def __post_init__(self) -> None:
        self.renderer = Renderer(self.settings, self.catalog)

    @property
    def discord_invite(self) -> str:
        return self.settings.web.discord_invite if self.settings.web else ""

    @property
    def licence(self) -> str:
        return self.settings.web.licence if self.settings.web else "CC0-1.0"

    @asynccontextmanager
    async def reading(self, request: web.Request) -> AsyncIterator[UnitOfWork]:
        """The unit of work a page reads in: the one the render cache opened to read the
        page version (its data is read after the version, in the same session), else a
        new one."""
        opened = request.get(READING)
        if opened is not None:
            yield opened
            return
        async with self.unit_of_work() as uow:
            yield uow

    def base_url(self, request: web.Request) -> str:
        """The public address: BOT_WEB_BASE_URL, else the one the request came to."""
        configured = self.settings.web.base_url if self.settings.web else ""
        return configured or f"{request.scheme}://{request.host}"

    def absolute(self, request: web.Request, path: str) -> str:
        return self.base_url(request) + path

    def department_name(self, department_id: str | None) -> str | None:
        department = self.settings.department(department_id) if department_id else None
        return department.name if department is not None else None

    def room_links(self) -> list[tuple[str, str]]:
        """(label, matrix.to link) of the public Matrix rooms given by alias: the ideas room
        and the announcement rooms (a room id alone tells a visitor nothing)."""
        matrix = self.settings.matrix
        if matrix is None:
            return []
        rooms = [r for r in (matrix.ideas_room, *matrix.announce_rooms) if r and r[0] == "#"]
        return [(room, "https://matrix.to/#/" + quote(room)) for room in dict.fromkeys(rooms)]


SITE = web.AppKey("site", Site)
READING = web.RequestKey("reading", UnitOfWork)
"""The unit of work a cached page's version was read in (bot.web.cache)."""


def site_of(request: web.Request) -> Site:
    return request.app[SITE]


def number_in_path(request: web.Request) -> int:
    number = int(request.match_info["number"])
    if number < 1:
        raise not_found()
    return number
