"""What someone typed while picking a numbered thing (an idea, poll, workshop, question), as
a query condition: digits match numbers starting with them, words match the text."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, cast, true
from sqlalchemy.sql.elements import ColumnElement

SUGGESTIONS = 25
"""At most this many suggestions (Discord shows 25 autocomplete choices)."""


def typed_matches(number: Any, text: Any, typed: str) -> ColumnElement[bool]:
    """`#12`/`12` matches 12, 120, 1203…; other text is looked for in `text`, ignoring case
    (`%` and `_` are taken literally); nothing typed matches everything."""
    typed = typed.strip()
    digits = typed.lstrip("#")
    if digits.isascii() and digits.isdigit():
        return cast(number, String).startswith(digits, autoescape=True)
    if not typed:
        return true()
    return text.icontains(typed, autoescape=True)
