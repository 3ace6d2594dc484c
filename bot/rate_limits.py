"""Per-person limits on commands that store or send something, against flooding.

Counts live in memory: a restart forgives, which is acceptable for flood protection and
keeps a hot path free of database writes. (Ideas count from the database instead, since
their limit is part of the Ideenbox's rules.)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from datetime import datetime, timedelta

WINDOW = timedelta(hours=1)

Person = tuple[str, str]
"""`(platform, id)`: the same id on two platforms may be two people, so they count apart."""


class RateLimiter:
    """A sliding one-hour window per (person, command)."""

    def __init__(self, overrides: Mapping[str, int]) -> None:
        self._overrides = overrides
        self._seen: dict[tuple[Person, str], deque[datetime]] = {}

    def limit_for(self, command: str, default: int) -> int:
        """The hourly limit of `command`: the setting if given, else the declared default."""
        return self._overrides.get(command, default)

    def allow(self, person: Person, command: str, default: int, now: datetime) -> bool:
        """Record one use and say whether it is within the limit (0 means unlimited)."""
        if self.exhausted(person, command, default, now):
            return False
        if self.limit_for(command, default) > 0:
            self._seen.setdefault((person, command), deque()).append(now)
        return True

    def give_back(self, person: Person, command: str, when: datetime) -> None:
        """Forget a use `allow` recorded at `when` that is to be counted again elsewhere
        (a command the router meant to handle in a batch and then handled alone)."""
        window = self._seen.get((person, command))
        if window is not None and when in window:
            window.remove(when)

    def exhausted(self, person: Person, command: str, default: int, now: datetime) -> bool:
        """Whether `person` has used up the hour's limit, without recording a use.

        For uses that count only once they turned out to matter (a reaction a feature took).
        """
        limit = self.limit_for(command, default)
        if limit <= 0:
            return False
        window = self._seen.get((person, command))
        if window is None:
            return False
        while window and now - window[0] >= WINDOW:
            window.popleft()
        if not window:  # forget people who went quiet, so memory stays bounded
            del self._seen[(person, command)]
            return False
        return len(window) >= limit
