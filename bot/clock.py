"""Where the bot gets the time from.

All time comes from an injected :class:`Clock` so tests can freeze and move it; every
datetime it hands out is timezone-aware, in the bot's zone (Europe/Berlin by default).
"""

from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = ZoneInfo("Europe/Berlin")


class Clock(Protocol):
    """A source of the current time."""

    @property
    def tz(self) -> ZoneInfo:
        """The zone times are shown and scheduled in."""
        ...

    def now(self) -> datetime:
        """The current time, timezone-aware, in :attr:`tz`."""
        ...


class SystemClock:
    """The real time, used in production."""

    def __init__(self, tz: ZoneInfo = DEFAULT_TIMEZONE) -> None:
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(self.tz)


def _require_aware(when: datetime) -> datetime:
    if when.utcoffset() is None:
        raise ValueError(f"naive datetime {when!r}: pass a timezone-aware datetime")
    return when


class FakeClock:
    """A clock for tests that stands still until it is set or advanced.

    It keeps UTC internally so :meth:`advance` measures elapsed time: adding an hour across
    a daylight-saving change moves the clock by one real hour, not one wall-clock hour.
    """

    def __init__(self, start: datetime | None = None, tz: ZoneInfo = DEFAULT_TIMEZONE) -> None:
        self.tz = tz
        # A fixed default (a Monday morning) keeps tests reproducible.
        start = start or datetime(2025, 3, 3, 9, 0, tzinfo=tz)
        self._now = _require_aware(start).astimezone(UTC)

    def now(self) -> datetime:
        return self._now.astimezone(self.tz)

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (timezone-aware)."""
        self._now = _require_aware(when).astimezone(UTC)

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta`` of elapsed time; returns the new time."""
        self._now += delta
        return self.now()
