"""ETag and Last-Modified derived from what a page shows, with 304 answers.

The ETag is a hash of the body, so it changes exactly when the page does: a new idea, a
status change, a hidden idea or an erased person show on the next request, and what a page
does not show (a hidden poll's standing) cannot change its ETag. Responses say
`Cache-Control: no-cache`, so every cache asks again each time and keeps no stale copy.

Last-Modified is when this process first served the current body of an address, moved
at least one second past the previous one, so `If-Modified-Since` alone (clients without
ETags) also never gets a 304 for a page that changed. If-None-Match wins when both come
(RFC 9110, 13.2.2).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from datetime import UTC, datetime, timedelta

from aiohttp import web

REMEMBERED_ADDRESSES = 20_000
"""Addresses whose last body this process remembers; a forgotten one starts afresh."""


class Freshness:
    """The current ETag and Last-Modified of each address (path, query, language)."""

    def __init__(self) -> None:
        self._seen: OrderedDict[str, tuple[str, datetime]] = OrderedDict()

    def stamp(self, key: str, etag: str, now: datetime) -> datetime:
        """Last-Modified for `key` serving `etag` now."""
        second = now.astimezone(UTC).replace(microsecond=0)
        previous = self._seen.get(key)
        if previous is not None and previous[0] == etag:
            self._seen.move_to_end(key)
            return previous[1]
        modified = second if previous is None else max(second, previous[1] + timedelta(seconds=1))
        self._seen[key] = (etag, modified)
        self._seen.move_to_end(key)
        if len(self._seen) > REMEMBERED_ADDRESSES:
            self._seen.popitem(last=False)
        return modified


def body_etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def conditional(
    request: web.Request, response: web.Response, freshness: Freshness, key: str, now: datetime
) -> web.StreamResponse:
    """`response` with its validators, or a 304 when the client's copy is current."""
    body = response.body
    if response.status != 200 or not isinstance(body, bytes):
        return response
    etag = body_etag(body)
    modified = freshness.stamp(key, etag, now)
    response.headers["ETag"] = etag
    response.last_modified = modified
    response.headers.setdefault("Cache-Control", "no-cache")
    if _not_modified(request, etag, modified):
        unchanged = web.Response(status=304)
        for name in ("ETag", "Last-Modified", "Cache-Control", "Vary"):
            if name in response.headers:
                unchanged.headers[name] = response.headers[name]
        return unchanged
    return response


def _not_modified(request: web.Request, etag: str, modified: datetime) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag in tags
    since = request.if_modified_since
    return since is not None and modified <= since
