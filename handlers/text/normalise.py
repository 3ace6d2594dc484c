"""Chat text as comparable words: one normaliser for the question router and the idea index.

Citizens write ``Müll``, ``Muell`` and ``MÜLL``, ``Ampeln`` and ``Ampel``, ``tickets`` and
``Tickets``, with typos and in two languages. Everything that compares such text goes
through here, so that the router and the similar-idea index agree on what a word is:

* `fold`: lower case, accents and umlauts to their base letter, ``ß`` as ``ss``, and the
  ASCII spellings ``ae``/``oe``/``ue`` folded like the umlauts they stand for (``Plätze``
  meets ``Platz``; ``neue`` becoming ``neu`` is harmless because everything is folded alike);
* `tokens`: the folded words of a text;
* `STOPWORDS` and `PLACES`: words that say nothing about a topic, and the place names of city
  and county, both read from data files in ``handlers/text/data/``;
* `german_stem` and `english_stem`: Snowball stemmers from PyStemmer (C), falling back to the
  pure-Python snowballstemmer where PyStemmer is not installed; they are the same algorithms;
* `Speller`: typo tolerance against a vocabulary, with rapidfuzz;
* `translations`: German words for common English ones, from a data file.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import cache
from importlib.resources import files

from rapidfuzz import process
from rapidfuzz.distance import OSA

try:
    from Stemmer import Stemmer as _Stemmer
except ImportError:  # pragma: no cover - PyStemmer has wheels for the usual platforms
    from snowballstemmer import stemmer as _Stemmer

_WORD = re.compile(r"[a-z0-9]+")
_DIGRAPHS = (("ae", "a"), ("oe", "o"), ("ue", "u"))
_PLACE_FORMS = ("", "er", "s", "ern")
"""A place name's adjective and genitive forms (Würzburger, Höchbergs) are places too."""


def fold(text: str) -> str:
    """Lower case without accents; umlauts and their ae/oe/ue spellings become the base vowel."""
    text = text.casefold().replace("ß", "ss")
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(char for char in text if not unicodedata.combining(char))
    for digraph, vowel in _DIGRAPHS:
        text = text.replace(digraph, vowel)
    return text


def tokens(text: str) -> list[str]:
    """The folded words (letters and digits) of `text`, in order."""
    return _WORD.findall(fold(text))


@cache
def word_list(name: str) -> frozenset[str]:
    """The folded words of ``handlers/text/data/<name>.txt`` (``#`` starts a comment line)."""
    text = (files("handlers.text") / "data" / f"{name}.txt").read_text(encoding="utf-8")
    return frozenset(
        word
        for line in text.splitlines()
        if not line.lstrip().startswith("#")
        for word in tokens(line)
    )


STOPWORDS = word_list("stopwords")
PLACES = frozenset(name + form for name in word_list("places") for form in _PLACE_FORMS)

_GERMAN = _Stemmer("german")
_ENGLISH = _Stemmer("english")


def german_stem(word: str) -> str:
    """The Snowball German stem of a folded word (``ampeln`` -> ``ampel``)."""
    return _GERMAN.stemWord(word)


def english_stem(word: str) -> str:
    """The Snowball English stem of a folded word (``charging`` -> ``charg``)."""
    return _ENGLISH.stemWord(word)


def stems(word: str) -> tuple[str, ...]:
    """The German and the English stem of a folded word, once each: chat mixes both languages,
    and a word stemmed the wrong way only adds a feature nobody else has."""
    return tuple(dict.fromkeys((german_stem(word), english_stem(word))))


def _read_translations() -> dict[str, tuple[str, ...]]:
    """``handlers/text/data/english-german.txt`` as English word form -> folded German words.

    Each English word also stands for its plural (``tree``: ``trees``; ``daisy``:
    ``daisies``). Stems would reach more forms but also German words: the English stem of
    ``Rente`` (pension) is ``rent``."""
    text = (files("handlers.text") / "data" / "english-german.txt").read_text(encoding="utf-8")
    found: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        english, colon, german = line.partition(":")
        if not colon or line.lstrip().startswith("#"):
            continue
        word = fold(english.strip())
        plurals = (word[:-1] + "ies",) if word.endswith("y") else (word + "s", word + "es")
        for form in (word, *plurals):
            found[form] = tuple(dict.fromkeys((*found.get(form, ()), *tokens(german))))
    return found


_TRANSLATIONS = _read_translations()


def translations(word: str) -> tuple[str, ...]:
    """German words for a folded English word (``landlord`` -> ``vermieter``), or ().

    They let an English question meet the German words of a department's description;
    the list is a data file, ``handlers/text/data/english-german.txt``."""
    return _TRANSLATIONS.get(word, ())


def is_noise(word: str, *, places: bool = True) -> bool:
    """Whether a folded word carries no topic: a stopword, a number, one letter, or a place."""
    return len(word) < 2 or word.isdigit() or word in STOPWORDS or (places and word in PLACES)


class Speller:
    """Reads an unknown word as the closest known word one or two typos away, if one is closest.

    One edit (insertion, deletion, substitution, swapping neighbours) is allowed from five
    letters up, two from nine: shorter words have too many neighbours (``bad``, ``bar``,
    ``bus``) for a guess to be safe. Candidates are the known words of about the same length,
    so a look-up scans a small share of the vocabulary; answers are remembered.
    """

    MIN_LENGTH = 5
    TWO_EDITS_FROM = 9
    REMEMBERED = 50_000
    """Answers remembered at most (then forgotten all at once): chat brings new words forever."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self._by_length: dict[int, list[str]] = {}
        for word in set(vocabulary):
            if len(word) >= self.MIN_LENGTH - 1 and word.isalpha():
                self._by_length.setdefault(len(word), []).append(word)
        self._known = {word for words in self._by_length.values() for word in words}
        self._answers: dict[str, str | None] = {}

    def known(self, word: str) -> bool:
        """Whether `word` is in the vocabulary (from four letters; shorter ones are not kept)."""
        return word in self._known

    def correct(self, word: str) -> str | None:
        """The known word `word` is a typo of, or None (also for known and short words)."""
        if word in self._answers:
            return self._answers[word]
        answer = None
        if len(word) >= self.MIN_LENGTH and word not in self._known and word.isalpha():
            edits = 2 if len(word) >= self.TWO_EDITS_FROM else 1
            candidates = [
                known
                for length in range(len(word) - edits, len(word) + edits + 1)
                for known in self._by_length.get(length, ())
            ]
            found = process.extract(
                word, candidates, scorer=OSA.distance, score_cutoff=edits, limit=2
            )
            if found and (len(found) == 1 or found[1][1] > found[0][1]):
                answer = found[0][0]
        if len(self._answers) >= self.REMEMBERED:
            self._answers.clear()
        self._answers[word] = answer
        return answer


_LINKS = ("", "s", "es", "n", "en", "e")
"""Linking elements between the parts of a German compound (Verkehr|s|schild, Straße|n|bahn)."""


def split_compound(word: str, known: Callable[[str], bool], shortest: int = 4) -> list[str]:
    """The two known parts of a compound of two known words, or [] (``glasfaserbaustelle`` ->
    ``glasfaser``, ``baustelle``). The longest known head wins; both parts have at least
    `shortest` letters, so that ``renovating`` does not become ``reno`` + ``vating``."""
    for cut in range(shortest, len(word) - shortest + 1):
        head = word[cut:]
        if not known(head):
            continue
        modifier = word[:cut]
        for link in _LINKS:
            if modifier.endswith(link) and len(modifier) - len(link) >= shortest:
                stem = modifier[: len(modifier) - len(link)] if link else modifier
                if known(stem):
                    return [stem, head]
    return []
