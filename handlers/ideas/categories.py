"""Which category (department id) an idea belongs to: named with `#kategorie` or proposed.

The categories are the departments of the departments file; the proposal comes from the
question router's classifier (`handlers.questions.classifier`), so ideas and questions use the same
ids and the same understanding of German chat text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.config import Department
from bot.errors import UsageError
from handlers.questions.classifier import Classifier

_LEADING_TAG = re.compile(r"^\s*#([^\s#]+)\s*")


@dataclass(frozen=True)
class CategoryChoice:
    """The idea's text without its `#kategorie`, and the category it got."""

    text: str
    category: str | None
    explicit: bool


class IdeaCategories:
    """Category look-up and proposal for the configured departments (possibly none)."""

    def __init__(self, departments: Sequence[Department]) -> None:
        self._ids = tuple(department.id for department in departments)
        self._classifier = Classifier(departments) if len(departments) >= 2 else None

    @property
    def ids(self) -> tuple[str, ...]:
        return self._ids

    def find(self, word: str) -> str | None:
        """The category `word` names (id, a word of the name, a unique prefix), if any."""
        word = word.lstrip("#")
        if not word or not self._ids:
            return None
        if self._classifier is None:
            return self._ids[0] if word.casefold() == self._ids[0] else None
        return self._classifier.route_hint(f"#{word}")

    def choose(self, raw: str) -> CategoryChoice:
        """Split off a leading `#kategorie`, or propose a category from the text.

        A leading tag that names no category is an error (the person meant one); a tag of
        digits (`#12`) is text. Without departments, nothing is a category tag.
        """
        tag = _LEADING_TAG.match(raw)
        if tag is not None and self._ids and not tag.group(1).isdigit():
            category = self.find(tag.group(1))
            if category is None:
                raise UsageError(
                    "ideas.unknown_category",
                    category=tag.group(1)[:40],
                    categories=", ".join(self._ids),
                )
            return CategoryChoice(raw[tag.end() :].strip(), category, explicit=True)
        return CategoryChoice(raw.strip(), self.propose(raw), explicit=False)

    def propose(self, text: str) -> str | None:
        """The most likely category, or None when the text says nothing about any."""
        if not self._ids:
            return None
        if self._classifier is None:
            return self._ids[0]
        if not self._classifier.recognises(text):
            return None  # no known word: letter groups are no reason for a category
        return self._classifier.classify(text).department
