"""Rendered answers kept until the page version moves (storage.web.versioning).

Every transaction that writes something a page could show raises the version, in the same
transaction. A request reads the version first and the data after it (in the same unit of
work, `Site.reading`), so what it renders is at least as new as the version it is stored
under: a copy is never older than its key, and the first request after any write (an
erasure, a hidden idea, a vote) reads the new version, misses, and renders afresh. Only
answers that depend on nothing but the database, the settings and the request are kept:
not the start and workshop pages, whose content moves with the clock. Errors (404 for a
hidden idea) are never kept.

A hit costs one small query (the version) instead of the page's queries and its template.
A page whose data is one statement reads the version in it instead (`RenderCache.answer`,
the idea page): one round trip for a hit and a miss alike, version and data from the same
snapshot.
The key is what the body depends on besides the data: the path with its query, the
visitor's language and whether they chose it (links then carry `?lang=`), and the base
address (the request's own host when BOT_WEB_BASE_URL is unset).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import wraps

from aiohttp import web
from multidict import CIMultiDict

from bot.web.rendering import VISITOR
from bot.web.site import READING, site_of
from storage.web.repository import PageStateRepository

KEPT_BYTES = 64 * 1024 * 1024
"""At most this many body bytes are kept; the least recently used go first."""
LARGEST_KEPT = KEPT_BYTES // 16
"""A body larger than this (the CSV of every idea) is not kept."""

Key = tuple[str, str, bool, str]
PageHandler = Callable[[web.Request], Awaitable[web.Response]]


@dataclass(frozen=True)
class Kept:
    body: bytes
    headers: CIMultiDict[str]

    def response(self) -> web.Response:
        return web.Response(body=self.body, headers=self.headers)


class RenderCache:
    """Answers of one page version; a newer version empties it."""

    def __init__(self, kept_bytes: int = KEPT_BYTES) -> None:
        self.kept_bytes = kept_bytes
        self.version: int | None = None
        self._kept: OrderedDict[Key, Kept] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def get(self, key: Key, version: int) -> Kept | None:
        if version != self.version:
            self.misses += 1
            return None
        found = self._kept.get(key)
        if found is None:
            self.misses += 1
            return None
        self._kept.move_to_end(key)
        self.hits += 1
        return found

    def answer(
        self, key: Key, version: int | None, render: Callable[[], web.Response]
    ) -> web.Response:
        """The kept answer for `key` at `version`, else `render()` (kept if it is a 200);
        `version` must have been read with (or before) the data `render` shows."""
        if version is None:  # no version row: nothing can be kept safely
            return render()
        found = self.get(key, version)
        if found is not None:
            return found.response()
        response = render()
        if response.status == 200:
            self.put(key, version, response)
        return response

    def put(self, key: Key, version: int, response: web.Response) -> None:
        body = response.body
        if not isinstance(body, bytes) or len(body) > min(LARGEST_KEPT, self.kept_bytes):
            return
        if self.version is None or version > self.version:
            self._kept.clear()
            self._bytes = 0
            self.version = version
        elif version < self.version:  # rendered from data older than what is kept now
            return
        headers = CIMultiDict(response.headers)
        headers.popall("Content-Length", None)
        previous = self._kept.pop(key, None)
        if previous is not None:
            self._bytes -= len(previous.body)
        self._kept[key] = Kept(body, headers)
        self._bytes += len(body)
        while self._bytes > self.kept_bytes:
            _, dropped = self._kept.popitem(last=False)
            self._bytes -= len(dropped.body)


CACHE = web.AppKey("render_cache", RenderCache)


def key_of(request: web.Request) -> Key:
    """What an answer depends on besides the data (see the module's docstring)."""
    visitor = request[VISITOR]
    base_url = site_of(request).base_url(request)
    return (request.path_qs, visitor.language, visitor.chosen, base_url)


def kept(handler: PageHandler) -> PageHandler:
    """`handler` answering from the cache while the page version stays the same."""

    @wraps(handler)
    async def answer(request: web.Request) -> web.Response:
        site = site_of(request)
        async with site.unit_of_work() as uow:
            version = await PageStateRepository(uow.session).version()
            if version is None:  # no version row: nothing can be kept safely
                return await handler(request)
            key = key_of(request)
            cache = request.app[CACHE]
            found = cache.get(key, version)
            if found is not None:
                return found.response()
            request[READING] = uow  # the page's data after the version, same session
            response = await handler(request)
        if response.status == 200:
            cache.put(key, version, response)
        return response

    return answer
