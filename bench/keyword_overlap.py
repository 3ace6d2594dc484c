"""Whether a question shares a keyword with a department's keyword list.

The frozen routing test set (`bench/data/routing-frozen.jsonl`) marks questions written to
share no keyword with their department (`"no_keyword": true`); this is the check that makes
the mark true. It is deliberately strict and independent of the router's own text handling,
so that changing the router cannot change which questions count: a keyword word is reduced
by one common ending, and it is shared if it equals a word of the question (reduced alike)
or, from four letters up, occurs inside one (``Ringpark`` contains ``park``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_WORD = re.compile(r"[a-z0-9]+")
_ENDINGS = ("en", "er", "e", "n", "s")


def fold(text: str) -> str:
    """Lower case, ``ß`` as ``ss``, accents and umlauts to their base letter."""
    text = unicodedata.normalize("NFKD", text.casefold().replace("ß", "ss"))
    return "".join(char for char in text if not unicodedata.combining(char))


_FUNCTION_TEXT = """
    und oder der die das den dem des ein eine einer eines einem einen für mit von zu zum zur
    im in am an auf aus bei nach vor über unter the and of for to in on at a an with by or
    this that these those
"""
_FUNCTION_WORDS = frozenset(fold(word) for word in _FUNCTION_TEXT.split())


def _reduce(word: str) -> str:
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def _words(text: str) -> set[str]:
    return {
        _reduce(word)
        for word in _WORD.findall(fold(text))
        if word not in _FUNCTION_WORDS and len(word) >= 3
    }


def keyword_words(keywords: Iterable[str]) -> frozenset[str]:
    """The reduced words of a keyword list, without function words and two-letter words."""
    return frozenset(word for keyword in keywords for word in _words(keyword))


def shared_keywords(text: str, keywords: frozenset[str]) -> list[str]:
    """The keyword words (from `keyword_words`) that `text` shares, sorted; empty if none."""
    found = {
        keyword
        for word in _words(text)
        for keyword in keywords
        if word == keyword or (len(keyword) >= 4 and keyword in word)
    }
    return sorted(found)
