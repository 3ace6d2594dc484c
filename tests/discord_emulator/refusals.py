"""Fault injection for refused requests: Discord answering a route with an error (a missing
permission such as Manage Events, or an outage), the way its errors look.

A test arms a refusal (`DiscordEmulator.refuse`); the next `times` REST requests whose
"METHOD /path" (without the API prefix) matches get the error before the route sees them:
they change nothing and are not among the bot's recorded requests. 403 and 404 are not
retried by discord.py (it raises at once), unlike 429 and 5xx.

A lost answer (`DiscordEmulator.lose_answer`) is the other way round: the route does its
work, then the connection drops before the answer is written, as when the bot's process
or network dies at that moment. The client cannot know whether its request took effect.
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
    losing: list[Refusal] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)

    def arm(self, pattern: str, times: int, status: int, code: int, message: str) -> None:
        self.armed.append(Refusal(re.compile(pattern), times, status, code, message))

    def arm_lost_answer(self, pattern: str, times: int) -> None:
        self.losing.append(Refusal(re.compile(pattern), times, 0, 0, ""))

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        route = f"{request.method} {request.path.removeprefix(API_PREFIX)}"
        refusal = next((r for r in self.armed if r.remaining > 0 and r.pattern.search(route)), None)
        if refusal is None or not request.path.startswith(API_PREFIX):
            return await self._answer_or_lose(request, route, handler)
        refusal.remaining -= 1
        self.refused.append(route)
        return json_answer({"message": refusal.message, "code": refusal.code}, refusal.status)

    async def _answer_or_lose(
        self, request: web.Request, route: str, handler: Any
    ) -> web.StreamResponse:
        answer = await handler(request)
        losing = next((r for r in self.losing if r.remaining > 0 and r.pattern.search(route)), None)
        if losing is None:
            return answer
        losing.remaining -= 1
        self.lost.append(route)
        assert request.transport is not None
        request.transport.abort()  # the work is done, the answer never arrives
        raise ConnectionResetError(f"answer to {route} lost")
