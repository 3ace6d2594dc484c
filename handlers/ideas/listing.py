"""Reading `!ideen [neu|top|meine|<kategorie>|<N>] [seite N]` into a request (pure)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.errors import UsageError

PAGE_SIZE = 10
VIEWS = {"neu": "new", "new": "new", "top": "top", "meine": "mine", "mine": "mine"}
PAGE_WORDS = ("seite", "page")
MAX_PAGE = 100_000


@dataclass(frozen=True)
class ListingRequest:
    """One page of a view: `new`, `top`, `mine` or `category` (with its id)."""

    view: str = "new"
    category: str | None = None
    page: int = 1


@dataclass(frozen=True)
class SingleIdea:
    """`!ideen 12`: one idea with its history."""

    number: int


def parse_listing(
    raw: str | None, find_category: Callable[[str], str | None]
) -> ListingRequest | SingleIdea:
    """The request `raw` stands for; a word that fits nothing is a usage error."""
    tokens = (raw or "").split()
    if len(tokens) == 1 and _number(tokens[0].removeprefix("#")) is not None:
        return SingleIdea(_number(tokens[0].removeprefix("#")) or 0)
    view: str | None = None
    category: str | None = None
    page = 1
    position = 0
    while position < len(tokens):
        token = tokens[position]
        word = token.casefold()
        if word in PAGE_WORDS:
            following = tokens[position + 1] if position + 1 < len(tokens) else ""
            number = _number(following)
            if number is None or number > MAX_PAGE:
                raise UsageError("ideas.bad_listing", value=(f"{token} {following}").strip()[:40])
            page = number
            position += 2
            continue
        if view is None and word in VIEWS:
            view = VIEWS[word]
        elif view is None and (found := find_category(token)) is not None:
            view, category = "category", found
        else:
            raise UsageError("ideas.bad_listing", value=token[:40])
        position += 1
    return ListingRequest(view or "new", category, page)


def _number(text: str) -> int | None:
    if text.isascii() and text.isdigit() and len(text) <= 9 and int(text) >= 1:
        return int(text)
    return None
