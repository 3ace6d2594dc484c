"""Fault injection for HTTP 429: per-route and global rate limits, as Discord answers them.

A test arms a limit (`DiscordEmulator.rate_limit` / `rate_limit_globally`); the next
`times` matching REST requests are refused with 429 before the route sees them, so they
change nothing and are not recorded among the bot's requests. The answer has Discord's
shape: a JSON body with `retry_after` (seconds) and `global`, the `X-RateLimit-*` headers
of the route's bucket (or `X-RateLimit-Global` for a global limit), `Retry-After`, and a
`Via` header: discord.py takes a 429 without it for a Cloudflare ban and gives up.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.discord_emulator.rest import API_PREFIX

ALL_ROUTES = ""
"""A pattern every request matches."""
BUCKET = "emulated"
"""The bucket hash of every limited route (discord.py keys buckets by hash and channel)."""


@dataclass
class Limit:
    """The next `remaining` requests matching `pattern` get 429 with `retry_after`."""

    pattern: re.Pattern[str]
    remaining: int
    retry_after: float
    is_global: bool


@dataclass(frozen=True)
class LimitedRequest:
    """A request refused with 429: `route` is "METHOD /path" without the API prefix."""

    route: str
    is_global: bool


class RateLimits:
    """The armed limits and the requests they refused; a middleware on every REST route."""

    def __init__(self) -> None:
        self.limits: list[Limit] = []
        self.limited: list[LimitedRequest] = []

    def arm(self, pattern: str, times: int, retry_after: float, is_global: bool) -> None:
        self.limits.append(Limit(re.compile(pattern), times, retry_after, is_global))

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX):
            return await handler(request)
        route = f"{request.method} {request.path.removeprefix(API_PREFIX)}"
        limit = next(
            (lim for lim in self.limits if lim.remaining > 0 and lim.pattern.search(route)),
            None,
        )
        if limit is None:
            return await handler(request)
        limit.remaining -= 1
        self.limited.append(LimitedRequest(route, limit.is_global))
        return self._too_many(limit)

    @staticmethod
    def _too_many(limit: Limit) -> web.Response:
        body = {
            "message": "You are being rate limited.",
            "retry_after": limit.retry_after,
            "global": limit.is_global,
        }
        headers = {
            "Content-Type": "application/json",
            "Retry-After": str(max(1, round(limit.retry_after))),
            "Via": "1.1 google",
        }
        if limit.is_global:
            headers["X-RateLimit-Global"] = "true"
            headers["X-RateLimit-Scope"] = "global"
        else:
            headers.update(
                {
                    "X-RateLimit-Limit": "5",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": f"{time.time() + limit.retry_after:.3f}",
                    "X-RateLimit-Reset-After": f"{limit.retry_after:.3f}",
                    "X-RateLimit-Bucket": BUCKET,
                    "X-RateLimit-Scope": "user",
                }
            )
        return web.Response(status=429, body=json.dumps(body).encode(), headers=headers)
