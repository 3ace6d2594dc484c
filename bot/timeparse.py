"""Dates, times and durations as people type them in chat, in German and English.

Pure functions without I/O, shared by every feature that asks for a time (poll deadlines,
workshop dates). Everything is relative to an injected, timezone-aware `now`, and results
are aware datetimes in the zone of `now` (Europe/Berlin for the bot), so a daylight-saving
change never shifts a deadline by an hour.

Accepted moments (case-insensitive, "Uhr"/"um"/"at"/"," optional):
  03.12.2026 18:00 · 3.12.26 18:00 · 3.12. 18 Uhr · 2026-12-03 18:00 · 2026-12-03T18:00
  heute/today 18:00 · morgen/tomorrow 6pm · übermorgen 9:30
  Dienstag/Di/Tuesday/Tue 18:30 (the next such day; today if that time is still ahead)
  18:00 (today, or tomorrow once it has passed)
Accepted durations: 2h · 90m · 90 min · 1d · 1h30m · 1,5h · 2 Stunden · 1 Tag · 3 days.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

DURATION_UNITS = {
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minuten": 60,
    "minutes": 60,
    "h": 3600,
    "std": 3600,
    "stunde": 3600,
    "stunden": 3600,
    "hour": 3600,
    "hours": 3600,
    "hr": 3600,
    "hrs": 3600,
    "d": 86400,
    "t": 86400,
    "tag": 86400,
    "tage": 86400,
    "tagen": 86400,
    "day": 86400,
    "days": 86400,
    "w": 604800,
    "woche": 604800,
    "wochen": 604800,
    "week": 604800,
    "weeks": 604800,
}
RELATIVE_DAYS = {
    "heute": 0,
    "today": 0,
    "morgen": 1,
    "tomorrow": 1,
    "übermorgen": 2,
    "uebermorgen": 2,
}
WEEKDAYS = {
    name: index
    for index, names in enumerate(
        (
            ("montag", "mo", "monday", "mon"),
            ("dienstag", "di", "tuesday", "tue", "tues"),
            ("mittwoch", "mi", "wednesday", "wed"),
            ("donnerstag", "do", "thursday", "thu", "thurs"),
            ("freitag", "fr", "friday", "fri"),
            ("samstag", "sa", "saturday", "sat", "sonnabend"),
            ("sonntag", "so", "sunday", "sun"),
        )
    )
    for name in names
}

_DURATION_PART = re.compile(r"(\d+(?:[.,]\d+)?)\s*([a-zäöü]+)")
_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(uhr|h|am|pm)?$")
_JOINER = re.compile(r"^[\s,+]*(?:und|and)?[\s,+]*$")
_FILLER = {"um", "at", "am", "on", "den", "bis", "until"}
LONGEST_DURATION = timedelta(days=36_500)
"""No feature takes a century; anything longer (up to 10^400 weeks) is refused as "range"."""


class TimeParseError(ValueError):
    """The text is not a date, time or duration this module understands.

    `reason` says what was wrong, as a short key a caller maps to a message:
    "format" (not understood), "time_missing" (a day without a time), "date" (no such day),
    "range" (a duration longer than LONGEST_DURATION).
    """

    def __init__(self, reason: str, text: str) -> None:
        super().__init__(f"{reason}: {text!r}")
        self.reason = reason
        self.text = text


def parse_duration(text: str) -> timedelta:
    """A positive duration such as `2h`, `90m`, `1d`, `1h30m`, `1,5 h` or `2 Stunden`."""
    compact = text.strip().casefold()
    position = 0
    seconds = 0.0
    for match in _DURATION_PART.finditer(compact):
        if not _JOINER.match(compact[position : match.start()]):
            raise TimeParseError("format", text)
        unit = DURATION_UNITS.get(match.group(2))
        if unit is None:
            raise TimeParseError("format", text)
        seconds += float(match.group(1).replace(",", ".")) * unit
        position = match.end()
    if position == 0 or compact[position:].strip() or seconds <= 0:
        raise TimeParseError("format", text)
    if seconds > LONGEST_DURATION.total_seconds():
        raise TimeParseError("range", text)
    return timedelta(seconds=round(seconds))


def parse_moment(text: str, now: datetime) -> datetime:
    """The moment `text` names, in the zone of `now`; a day without a time is an error.

    Dates without a year mean the next such day (this year, or next year once passed).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    words = _words(text)
    if not words:
        raise TimeParseError("format", text)
    if len(words) == 1 and "t" in words[0] and _ISO_DATE.match(words[0].split("t")[0]):
        words = words[0].split("t", 1)
    day_word, time_words = words[0], words[1:]
    at = _parse_time(" ".join(time_words)) if time_words else None
    if at is None and len(words) == 1:
        at = _parse_time(day_word)
        if at is not None:
            return _next_at(now, now.date(), at, step=timedelta(days=1))
    spec = _parse_day(day_word, now)
    if spec is None:
        raise TimeParseError("format", text)
    if at is None:
        raise TimeParseError("time_missing" if not time_words else "format", text)
    return _next_at(now, spec.day, at, step=spec.step)


def parse_date(text: str, now: datetime) -> date:
    """A day without a time (`31.12.2026`, `31.12.`, `2026-12-31`, `morgen`, `Freitag`).

    For end dates such as the last day of a series; the same day forms as `parse_moment`.
    """
    words = _words(text)
    spec = _parse_day(words[0], now) if len(words) == 1 else None
    if spec is None:
        raise TimeParseError("format", text)
    return spec.day


@dataclass(frozen=True)
class _DaySpec:
    """A day, and how far to move it if the moment on it has already passed."""

    day: date
    step: timedelta | None


def _words(text: str) -> list[str]:
    cleaned = text.strip().casefold().replace(",", " ")
    raw = cleaned.split()
    words: list[str] = []
    for word in raw:
        if word in ("am", "pm", "uhr", "h") and words and words[-1][-1].isdigit():
            words[-1] += word  # "6 pm", "18 Uhr": the suffix belongs to the time
        elif word not in _FILLER:
            words.append(word)
    return words


def parse_time_of_day(text: str) -> time | None:
    """A time of day as people write it (8:00, 18.30, 8am); None if it is none."""
    return _parse_time(text.casefold())


def _parse_time(text: str) -> time | None:
    match = _TIME.match(text.strip())
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    suffix = match.group(3)
    if suffix in ("am", "pm"):
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    elif suffix is None and match.group(2) is None:
        return None  # a bare number is not a time ("3" could be anything)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _parse_day(word: str, now: datetime) -> _DaySpec | None:
    today = now.date()
    if word in RELATIVE_DAYS:
        return _DaySpec(today + timedelta(days=RELATIVE_DAYS[word]), None)
    if word in WEEKDAYS:
        ahead = (WEEKDAYS[word] - today.weekday()) % 7
        return _DaySpec(today + timedelta(days=ahead), timedelta(days=7))
    if match := _ISO_DATE.match(word):
        return _DaySpec(_date(int(match[1]), int(match[2]), int(match[3]), word), None)
    if match := _GERMAN_DATE.match(word):
        day, month, year = int(match[1]), int(match[2]), match[3]
        if year is None:
            this_year = _maybe_date(today.year, month, day)
            if this_year is None or this_year < today:
                return _DaySpec(_date(today.year + 1, month, day, word), None)
            return _DaySpec(this_year, None)
        full_year = int(year) + (2000 if len(year) == 2 else 0)
        return _DaySpec(_date(full_year, month, day, word), None)
    return None


def _maybe_date(year: int, month: int, day: int) -> date | None:
    """The day, or None if it does not exist in that year (29.02. may exist next year)."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _date(year: int, month: int, day: int, word: str) -> date:
    found = _maybe_date(year, month, day)
    if found is None:
        raise TimeParseError("date", word)
    return found


def _next_at(now: datetime, day: date, at: time, step: timedelta | None) -> datetime:
    """`day` at `at` in the zone of `now`, moved by `step` while it is not in the future."""
    moment = datetime.combine(day, at, tzinfo=now.tzinfo)
    while step is not None and moment <= now:
        moment = datetime.combine(moment.date() + step, at, tzinfo=now.tzinfo)
    return moment
