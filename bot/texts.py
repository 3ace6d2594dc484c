"""Small text helpers every capability uses the same way: excerpts and times for people."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from bot.i18n import Catalog

EXCERPT_LENGTH = 80


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
    """A moment in the bot's zone, written with the `strftime` pattern at `pattern_key`.

    The pattern lives in the reader's catalog (e.g. `polls.date_format`), so every language
    writes dates its own way and no format is hard-coded in a handler.
    """
    return when.astimezone(tz).strftime(catalog.raw(language, pattern_key))
