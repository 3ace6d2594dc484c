"""What every answer of the public page carries and what it refuses.

Read-only (GET and HEAD only), no cookies, no scripts: the Content-Security-Policy allows
nothing but the page's own stylesheet and images, so even an injected tag could not load or
run anything. Each address may make a limited number of requests per minute (429 after).
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable

from aiohttp import web

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
ALLOWED_METHODS = ("GET", "HEAD")


def add_security_headers(response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value


class RequestLimit:
    """At most `per_minute` requests per client address in each clock minute (0: no limit).

    Counted in memory, one counter per address, all of them dropped when the minute turns
    (so memory stays bounded by one minute's visitors). Written here rather than taken from
    `limits`, whose memory storage starts a timer thread on every hit (about 10 ms a
    request on this machine, half the page's budget).
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._per_minute = per_minute
        self._clock = clock
        self._minute = -1
        self._counts: dict[str, int] = {}

    def allow(self, request: web.Request) -> bool:
        if self._per_minute <= 0:
            return True
        minute = int(self._clock() // 60)
        if minute != self._minute:
            self._minute, self._counts = minute, {}
        address = client_address(request)
        count = self._counts.get(address, 0) + 1
        self._counts[address] = count
        return count <= self._per_minute


def client_address(request: web.Request) -> str:
    """The connecting address; behind a reverse proxy on this machine, the address the
    proxy reports (the last `X-Forwarded-For` entry, which the proxy itself added)."""
    remote = request.remote or ""
    forwarded = request.headers.get("X-Forwarded-For")
    if forwarded and _is_loopback(remote):
        return forwarded.split(",")[-1].strip()
    return remote


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
