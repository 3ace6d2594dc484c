"""Finding ideas that say the same thing, in German (and English) chat text.

Text becomes a set of *stems*, with the normaliser the question router uses too
(`handlers.text.normalise`): lower case, umlauts and their ae/oe/ue spellings folded to the
plain vowel (Ständer, Staender and Stander all become "stander"), ß as ss, Snowball German
stems, stop words dropped (place names are kept: they tell ideas apart). Compounds are
matched through the vocabulary: "radstand" (Radständer) and "fahrradstand" (Fahrradständer)
match because one ends with the other.

Lookup uses an inverted index (stem -> idea numbers) plus two sorted vocabularies (stems, and
stems written backwards) for the compound matches, so a query touches only the ideas sharing
a stem with it instead of scanning every idea. Scores are idf-weighted Ochiai coefficients
(overlap / sqrt(|query| * |idea|)) in [0, 1].
"""

from __future__ import annotations

import bisect
import math
import re
import struct
from array import array
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from handlers.ideas.index_store import Documents, Postings
from handlers.text.normalise import STOPWORDS, fold, german_stem, is_noise, word_list

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
MIN_PART = 3
"""A compound part (and the rest of the compound) must be this long to count as a match."""
PARTIAL_WEIGHT = 0.8
"""A compound match is worth this share of an exact match."""
MAX_EXPANSIONS = 40
"""At most this many compounds are looked at per query stem (e.g. every "*platz")."""
CANDIDATES = 50
"""Ideas with the largest overlap that get the exact score."""
DEFAULT_THRESHOLD = 0.5
COMMON_SHARE = 50
COMMON_MIN_POSTINGS = 1000
"""A query word whose matches are in more than 1/COMMON_SHARE of all ideas (and more than
COMMON_MIN_POSTINGS) is "common": it raises scores of ideas found through rarer words only."""


IDEA_WORDS = word_list("idea-words")
"""Words every idea uses about itself ("Idee", "Vorschlag"): stop words for ideas only."""


def stem(word: str) -> str:
    """The Snowball German stem of a word, folded (`handlers.text.normalise`)."""
    return german_stem(fold(word))


def stems(text: str, known: dict[str, str] | None = None) -> frozenset[str]:
    """The distinct content stems of a text (stop words and one-letter words left out).

    `known` remembers each word's stem ("" for a word left out) across texts: indexing
    100,000 ideas then stems each distinct word once instead of every occurrence (about
    four times faster), and every idea shares the same string objects for its stems (a
    third less memory).
    """
    found = set()
    for match in _WORD.finditer(text):
        word = match.group()
        stemmed = known.get(word) if known is not None else None
        if stemmed is None:
            stemmed = _content_stem(word)
            if known is not None:
                known[word] = stemmed
        if stemmed:
            found.add(stemmed)
    return frozenset(found)


def _content_stem(word: str) -> str:
    """The stem of a content word; "" for stop words. Place names count: a bench "am Mainufer"
    is another idea than a bench "im Ringpark"."""
    folded = fold(word)
    if is_noise(folded, places=False) or folded in IDEA_WORDS:
        return ""
    stemmed = german_stem(folded)
    return "" if stemmed in STOPWORDS else stemmed


@dataclass(frozen=True)
class Match:
    """An indexed idea and how similar it is to the query (0..1)."""

    number: int
    score: float


class SimilarityIndex:
    """Ideas by their stems, kept current with `add` and `remove`.

    Postings and documents live in compact arrays (`handlers.ideas.index_store`).
    """

    def __init__(self) -> None:
        self._postings = Postings()
        self._documents = Documents()
        self._vocabulary: list[str] = []
        self._reversed: list[str] = []
        self._known: dict[str, str] = {}
        """Stems of the words of indexed ideas (see `stems`)."""

    def __len__(self) -> int:
        return len(self._documents)

    def __contains__(self, number: object) -> bool:
        return number in self._documents

    @classmethod
    def build(cls, ideas: Iterable[tuple[int, str]]) -> SimilarityIndex:
        """An index of `(number, text)` pairs with distinct numbers, e.g. every open idea."""
        index = cls()
        for number, text in ideas:
            words = stems(text, index._known)
            index._documents.put(number, words)
            for word in words:
                index._postings.append(word, number)
        index._postings.sort()
        index._vocabulary = sorted(index._postings)
        index._reversed = sorted(word[::-1] for word in index._postings)
        return index

    def to_bytes(self) -> bytes:
        """The index as flat arrays (see `from_bytes`): how a child process hands it over.

        Pickling the index object by object took longer than building it (6.8 s for
        100,000 ideas); these are a few memory copies.
        """
        words, flat, starts, lengths = self._documents.export()
        postings, offsets = self._postings.export(words)
        position = {word: word_id for word_id, word in enumerate(words)}
        vocabulary = array("I", (position[word] for word in self._vocabulary))
        backwards = array("I", (position[word[::-1]] for word in self._reversed))
        sections = [
            "\n".join(words).encode(),
            *(part.tobytes() for part in (flat, starts, lengths, postings, offsets)),
            vocabulary.tobytes(),
            backwards.tobytes(),
        ]
        header = _MAGIC + struct.pack(f"<{len(sections)}Q", *map(len, sections))
        return b"".join([header, *sections])

    @classmethod
    def from_bytes(cls, data: bytes) -> SimilarityIndex:
        """The index `to_bytes` wrote; ValueError if `data` is not one (e.g. cut short)."""
        header = struct.Struct(f"<{len(_SECTIONS)}Q")
        if not data.startswith(_MAGIC) or len(data) < len(_MAGIC) + header.size:
            raise ValueError("not a similar-idea index")
        sizes = header.unpack_from(data, len(_MAGIC))
        if len(_MAGIC) + header.size + sum(sizes) != len(data):
            raise ValueError("similar-idea index of the wrong length")
        view = memoryview(data)
        position = len(_MAGIC) + header.size
        parts: list[array[int]] = []
        for code, size in zip(_SECTIONS, sizes, strict=True):
            part = array(code or "B")
            part.frombytes(view[position : position + size])
            parts.append(part)
            position += size
        text, flat, starts, lengths, postings, offsets, vocabulary, backwards = parts
        words = text.tobytes().decode().split("\n") if text else []
        index = cls()
        index._documents = Documents.restore(words, flat, starts, lengths)
        index._postings = Postings.restore(words, postings, offsets)
        for order in (vocabulary, backwards):
            if len(order) != len(index._postings) or max(order, default=-1) >= len(words):
                raise ValueError("similar-idea index with a broken vocabulary")
        index._vocabulary = [words[word_id] for word_id in vocabulary]
        index._reversed = [words[word_id][::-1] for word_id in backwards]
        return index

    def add(self, number: int, text: str) -> None:
        """Index an idea (again, if it was indexed before)."""
        self.remove(number)
        words = stems(text, self._known)
        self._documents.put(number, words)
        for word in words:
            if self._postings.insert(word, number):
                bisect.insort(self._vocabulary, word)
                bisect.insort(self._reversed, word[::-1])

    def remove(self, number: int) -> None:
        """Forget an idea (closed, hidden or merged); unknown numbers are ignored."""
        for word in self._documents.pop(number):
            if self._postings.discard(word, number):
                _discard_sorted(self._vocabulary, word)
                _discard_sorted(self._reversed, word[::-1])

    def similar(
        self,
        text: str,
        *,
        limit: int = 3,
        threshold: float = DEFAULT_THRESHOLD,
        exclude: int | None = None,
    ) -> list[Match]:
        """The ideas most like `text`, best first, scoring at least `threshold`."""
        query = stems(text)
        if not query or not self._documents:
            return []
        weights = {word: self._idf(word) for word in query}
        features = {word: self._features(word) for word in query}
        common_size = max(COMMON_MIN_POSTINGS, len(self._documents) // COMMON_SHARE)
        sizes = {
            word: sum(self._postings.count(feature) for feature, _ in features[word])
            for word in query
        }
        ordered = sorted(query, key=sizes.__getitem__)
        # The rarest word always finds candidates, even if every word is common.
        rare = [ordered[0], *(word for word in ordered[1:] if sizes[word] <= common_size)]
        common = [word for word in ordered[1:] if sizes[word] > common_size]
        overlap: dict[int, float] = defaultdict(float)
        for word in rare:
            self._accumulate(overlap, features[word], weights[word], None)
        # Words found in very many ideas only add to the score of ideas already found:
        # walking all their postings would cost most of the time and find only weak matches.
        found = set(overlap)
        for word in common:
            self._accumulate(overlap, features[word], weights[word], found)
        if exclude is not None:
            overlap.pop(exclude, None)
        candidates = sorted(overlap.items(), key=lambda item: item[1], reverse=True)[:CANDIDATES]
        query_weight = sum(weights.values())
        matches = [
            Match(number, min(1.0, value / math.sqrt(query_weight * self._weight(number))))
            for number, value in candidates
        ]
        matches = [match for match in matches if match.score >= threshold]
        matches.sort(key=lambda match: (-match.score, -match.number))
        return matches[:limit]

    def _accumulate(
        self,
        overlap: dict[int, float],
        features: list[tuple[str, float]],
        weight: float,
        only: set[int] | None,
    ) -> None:
        """Add one query word's best match per idea (restricted to `only` if given)."""
        best: dict[int, float] = {}
        # Best feature first: a later (weaker) feature only fills in ideas not found yet.
        # dict.fromkeys and update walk the posting arrays in C.
        for feature, factor in sorted(features, key=lambda item: -item[1]):
            if only is None:
                numbers: Iterable[int] = self._postings.numbers(feature)
            else:
                numbers = self._postings.within(feature, only)
            found = dict.fromkeys(numbers, weight * factor)
            found.update(best)
            best = found
        for number, value in best.items():
            overlap[number] += value

    def _idf(self, word: str) -> float:
        frequency = self._postings.count(word)
        return math.log((len(self._documents) + 1) / (frequency + 0.5))

    def _weight(self, number: int) -> float:
        return sum(self._idf(word) for word in self._documents.words(number)) or 1.0

    def _features(self, word: str) -> list[tuple[str, float]]:
        """Indexed stems that match `word`: itself, and compounds sharing a part with it."""
        features: list[tuple[str, float]] = []
        if word in self._postings:
            features.append((word, 1.0))
        # The query word is a compound whose head or modifier is an indexed word.
        for cut in range(MIN_PART, len(word) - MIN_PART + 1):
            for part in (word[cut:], word[:cut]):
                if part in self._postings:
                    features.append((part, PARTIAL_WEIGHT))
        # An indexed compound has the query word as its head or its modifier.
        if len(word) >= MIN_PART:
            for compound in _starting_with(self._reversed, word[::-1]):
                features.append((compound[::-1], PARTIAL_WEIGHT))
            for compound in _starting_with(self._vocabulary, word):
                features.append((compound, PARTIAL_WEIGHT))
        return features


_MAGIC = b"SRIDX1"
_SECTIONS = ("", "I", "q", "H", "I", "q", "I", "I")
"""Array type of each section of `to_bytes` ("" the word list as UTF-8 text)."""


def _starting_with(ordered: list[str], prefix: str) -> list[str]:
    """Words in `ordered` that start with `prefix` and are longer by at least MIN_PART."""
    found = []
    position = bisect.bisect_left(ordered, prefix)
    while position < len(ordered) and len(found) < MAX_EXPANSIONS:
        word = ordered[position]
        if not word.startswith(prefix):
            break
        if len(word) - len(prefix) >= MIN_PART:
            found.append(word)
        position += 1
    return found


def _discard_sorted(ordered: list[str], word: str) -> None:
    position = bisect.bisect_left(ordered, word)
    if position < len(ordered) and ordered[position] == word:
        del ordered[position]
