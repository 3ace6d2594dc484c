"""Fault injection for refused requests: Discord answering a route with an error (a missing
permission such as Manage Events, or an outage), the way its errors look.

A test arms a refusal (`DiscordEmulator.refuse`); the next `times` REST requests whose
"METHOD /path" (without the API prefix) matches get the error before the route sees them:
they change nothing and are not among the bot's recorded requests. 403 and 404 are not
retried by discord.py (it raises at once), unlike 429 and 5xx.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.discord_emulator.rest import API_PREFIX, json_answer

MISSING_PERMISSIONS = 50013


@dataclass
class Refusal:
    pattern: re.Pattern[str]
    remaining: int
    status: int
    code: int
    message: str


@dataclass
class Refusals:
    """The armed refusals and the routes they refused; a middleware on every REST route."""

    armed: list[Refusal] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def arm(self, pattern: str, times: int, status: int, code: int, message: str) -> None:
        self.armed.append(Refusal(re.compile(pattern), times, status, code, message))

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        route = f"{request.method} {request.path.removeprefix(API_PREFIX)}"
        refusal = next((r for r in self.armed if r.remaining > 0 and r.pattern.search(route)), None)
        if refusal is None or not request.path.startswith(API_PREFIX):
            return await handler(request)
        refusal.remaining -= 1
        self.refused.append(route)
        return json_answer({"message": refusal.message, "code": refusal.code}, refusal.status)
