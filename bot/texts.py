"""Small text helpers every capability uses the same way: excerpts and times for people."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import EASY_LANGUAGE, Catalog

EXCERPT_LENGTH = 80
WEEKDAY_KEY, MONTH_KEY = "workshops.weekday.{}", "workshops.month.{}"
"""Catalog keys of weekday (0 = Monday) and month (1 = January) names, in every language."""


def excerpt(text: str, limit: int = EXCERPT_LENGTH) -> str:
    """Someone's text on one line, cut at a word boundary with an ellipsis (for lists)."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0] or flat[:limit]
    return cut + "…"


def local_time(
    catalog: Catalog, language: str, pattern_key: str, when: datetime, tz: ZoneInfo
) -> str:
    """A moment in the bot's zone, written with the pattern at `pattern_key`.

    The pattern lives in the reader's catalog (e.g. `polls.date_format`), so every language
    writes dates its own way and no format is hard-coded in a handler. It is a `strftime`
    pattern, or, where numbers alone are hard to read (Leichte Sprache: "Dienstag,
    3. Dezember, 18 Uhr"), a template with the fields `weekday`, `day`, `month`, `year`
    and `time`, with names from the catalog.
    """
    local = when.astimezone(tz)
    pattern = catalog.raw(language, pattern_key)
    if "{" not in pattern:
        return local.strftime(pattern)
    return pattern.format(
        weekday=catalog.raw(language, WEEKDAY_KEY.format(local.weekday())),
        day=local.day,
        month=catalog.raw(language, MONTH_KEY.format(local.month)),
        year=local.year,
        time=clock(language, local),
    )


def clock(language: str, when: datetime) -> str:
    """The time of day as a reader of `language` reads it: 18:30, and in Leichte Sprache
    a full hour without minutes (18 for 18:00, as in "18 Uhr")."""
    if language == EASY_LANGUAGE and when.minute == 0:
        return str(when.hour)
    return f"{when:%H:%M}"
