"""How easy the catalogs read: `python -m bench.leichte_sprache`.

Prints, for every language of German origin (`de`, `leicht`), the German Flesch reading ease
(Amstad's formula, from textstat: higher is easier; 60-70 is plain prose, above 80 easy) and
the first Wiener Sachtextformel (a school grade: lower is easier), over the whole catalog
and as the mean over its messages, plus the longest sentence in words. The same functions
back the catalog check (tests/unit/test_leichte_sprache.py), so the numbers in the note are
the ones the test asserts on.

What is measured is the catalog's own wording: placeholders ({number}, {text}) count as one
short word each, usage lines and date patterns (syntax, not prose) are left out.
"""

from __future__ import annotations

import argparse
import re
import statistics
from dataclasses import dataclass

import textstat

from bot.i18n import Catalog

DATE_PATTERNS = ("date_format", "datetime_format")
"""How the keys of date patterns end (`strftime` in de/en, templates in leicht)."""


def is_syntax(key: str) -> bool:
    """Whether the message is syntax rather than sentences: a command's usage line or a
    date pattern."""
    return (key.startswith("commands.") and key.endswith(".usage")) or key.endswith(DATE_PATTERNS)


PLACEHOLDER_WORD = "1"
"""What a placeholder counts as: one short word (a digit, so `{day}. {month}` stays one
sentence, as `3. Dezember` does)."""

_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
_BOUNDARY = re.compile(
    r"\n"  # one statement per line
    r"|(?<=[^\s\d][.!?…])[“”\"«»)]*\s+"  # a sentence ends (not after a number: 3. Dezember)
    r"|(?<=[:;])\s+"  # a label or a second clause follows
    r"|\s[–·]\s"  # a dash or a mid-dot between parts of a line
    r"|•"  # a list item
)
_WORD = re.compile(r"\w", re.UNICODE)


def prose(catalog: Catalog, language: str) -> dict[str, str]:
    """Every message of `language` that is meant to be read, placeholders as one word."""
    return {
        key: _PLACEHOLDER.sub(PLACEHOLDER_WORD, catalog.raw(language, key).replace("**", ""))
        for key in sorted(catalog.keys(language))
        if not is_syntax(key)
    }


def sentences(text: str) -> list[str]:
    """The sentences of a message: split at line breaks, sentence ends, colons and
    semicolons, dashes and mid-dots between parts, and list bullets."""
    return [part.strip() for part in _BOUNDARY.split(text) if part and _WORD.search(part)]


def words(sentence: str) -> list[str]:
    """The words of a sentence: whitespace-separated tokens with a letter or digit."""
    return [token for token in sentence.split() if _WORD.search(token)]


def _as_text(messages: list[str]) -> str:
    """Messages as prose textstat can count: every sentence ends with a full stop."""
    return " ".join(
        sentence if sentence[-1] in ".!?" else f"{sentence}."
        for message in messages
        for sentence in sentences(message)
    )


@dataclass(frozen=True)
class Readability:
    language: str
    messages: int
    sentences: int
    words_per_sentence: float
    longest_sentence: int
    flesch_catalog: float
    flesch_mean: float
    wiener_catalog: float


def readability(catalog: Catalog, language: str) -> Readability:
    """The reading scores of one catalog (German formulas: for `de` and `leicht`)."""
    textstat.set_lang("de")
    texts = [text for text in prose(catalog, language).values() if sentences(text)]
    all_sentences = [sentence for text in texts for sentence in sentences(text)]
    lengths = [len(words(sentence)) for sentence in all_sentences]
    whole = _as_text(texts)
    return Readability(
        language=language,
        messages=len(texts),
        sentences=len(all_sentences),
        words_per_sentence=statistics.mean(lengths),
        longest_sentence=max(lengths),
        flesch_catalog=textstat.flesch_reading_ease(whole),
        flesch_mean=statistics.mean(textstat.flesch_reading_ease(_as_text([t])) for t in texts),
        wiener_catalog=textstat.wiener_sachtextformel(whole, 1),
    )


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    catalog = Catalog.load()
    print(
        "language  messages  sentences  words/sentence  longest  "
        "Flesch(catalog)  Flesch(mean/message)  Wiener(catalog)"
    )
    for language in ("de", "leicht"):
        r = readability(catalog, language)
        print(
            f"{r.language:<9} {r.messages:>8}  {r.sentences:>9}  {r.words_per_sentence:>14.1f}  "
            f"{r.longest_sentence:>7}  {r.flesch_catalog:>15.1f}  {r.flesch_mean:>20.1f}  "
            f"{r.wiener_catalog:>15.1f}"
        )


if __name__ == "__main__":
    main()
