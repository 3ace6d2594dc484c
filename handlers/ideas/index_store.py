"""Where the similar-idea index keeps its postings and documents: flat machine-word arrays.

With 100,000 open ideas the index held a Python `set` of idea numbers per stem and a
`frozenset` of stems per idea: about 60 MB of small objects (tracemalloc), a quarter of the
bot's memory. Here a stem's postings are one sorted `array('I')` of idea numbers and all
ideas' stems are word ids in one flat `array('I')`, found through two arrays indexed by the
idea number (a sequence number, so the arrays stay dense). That is about 4 bytes per entry
instead of 30-70, and lookups still touch only the postings they need.

Re-indexing an idea appends its stems and leaves the old span as garbage; the flat array is
compacted when the garbage outgrows the live part.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterable, Iterator, Sequence

_ABSENT = -1
_BISECT_COST = 12
"""How many array entries a C-level walk reads in the time of one bisection in Python."""
_COMPACT_MIN = 4096
"""Garbage (in word ids) below which compaction is not worth its time."""


class Postings:
    """Stem -> sorted idea numbers."""

    def __init__(self) -> None:
        self._by_word: dict[str, array[int]] = {}

    def __contains__(self, word: object) -> bool:
        return word in self._by_word

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_word)

    def __len__(self) -> int:
        """How many words have postings."""
        return len(self._by_word)

    def count(self, word: str) -> int:
        postings = self._by_word.get(word)
        return 0 if postings is None else len(postings)

    def numbers(self, word: str) -> array[int]:
        """The idea numbers indexed under `word`, ascending (empty if none)."""
        return self._by_word.get(word, array("I"))

    def append(self, word: str, number: int) -> bool:
        """Add without keeping order (for bulk builds; call `sort` after); True if new word."""
        postings = self._by_word.get(word)
        if postings is None:
            self._by_word[word] = array("I", (number,))
            return True
        postings.append(number)
        return False

    def sort(self) -> None:
        for word, postings in self._by_word.items():
            self._by_word[word] = array("I", sorted(postings))

    def insert(self, word: str, number: int) -> bool:
        """Add in order; True if the word is new."""
        postings = self._by_word.get(word)
        if postings is None:
            self._by_word[word] = array("I", (number,))
            return True
        position = bisect.bisect_left(postings, number)
        if position == len(postings) or postings[position] != number:
            postings.insert(position, number)
        return False

    def discard(self, word: str, number: int) -> bool:
        """Remove; True if the word has no postings left (it is then forgotten)."""
        postings = self._by_word.get(word)
        if postings is None:
            return False
        position = bisect.bisect_left(postings, number)
        if position < len(postings) and postings[position] == number:
            del postings[position]
        if postings:
            return False
        del self._by_word[word]
        return True

    def export(self, words: Sequence[str]) -> tuple[array[int], array[int]]:
        """Every posting as one flat array in the order of `words` (which must hold every
        indexed word), and the offsets where each word's numbers start (one more than words).

        Flat arrays cross a process boundary as bytes, without pickling 50,000 objects.
        """
        flat = array("I")
        offsets = array("q", [0])
        for word in words:
            flat.extend(self._by_word.get(word, ()))
            offsets.append(len(flat))
        if len(flat) != sum(len(postings) for postings in self._by_word.values()):
            raise ValueError("export: some indexed words are not in the given word list")
        return flat, offsets

    @classmethod
    def restore(cls, words: Sequence[str], flat: array[int], offsets: array[int]) -> Postings:
        """The postings `export` gave (words without numbers are left out)."""
        if len(offsets) != len(words) + 1 or offsets[-1] != len(flat):
            raise ValueError("restore: offsets do not match the words and the numbers")
        postings = cls()
        for position, word in enumerate(words):
            start, end = offsets[position], offsets[position + 1]
            if end > start:
                postings._by_word[word] = flat[start:end]
        return postings

    def within(self, word: str, only: set[int]) -> Iterable[int]:
        """The postings of `word` that are in `only`.

        A few numbers are looked up by bisection; otherwise the array is walked in C
        (measured: one bisection in Python costs about as much as a dozen array entries).
        """
        postings = self.numbers(word)
        if len(only) * _BISECT_COST >= len(postings):
            return only.intersection(postings)
        found = []
        for number in only:
            position = bisect.bisect_left(postings, number)
            if position < len(postings) and postings[position] == number:
                found.append(number)
        return found


class Documents:
    """Idea number -> its stems, as word ids in one flat array."""

    def __init__(self) -> None:
        self._word_ids: dict[str, int] = {}
        self._words: list[str] = []
        self._flat = array("I")
        self._starts = array("q")
        self._lengths = array("H")
        self._count = 0
        self._garbage = 0

    def __len__(self) -> int:
        return self._count

    def __contains__(self, number: object) -> bool:
        return (
            isinstance(number, int)
            and 0 <= number < len(self._starts)
            and self._starts[number] != _ABSENT
        )

    def words(self, number: int) -> list[str]:
        """The stems of an indexed idea (empty if it is not indexed)."""
        if number not in self:
            return []
        start = self._starts[number]
        ids = self._flat[start : start + self._lengths[number]]
        return [self._words[word_id] for word_id in ids]

    def put(self, number: int, words: Iterable[str]) -> None:
        """Store an idea's stems (replacing what was stored for it)."""
        if number < 0:
            raise ValueError(f"Idea numbers are not negative: {number}")
        self.pop(number)
        ids = [self._word_id(word) for word in words]
        if number >= len(self._starts):
            missing = number + 1 - len(self._starts)
            self._starts.extend([_ABSENT] * missing)
            self._lengths.extend([0] * missing)
        self._starts[number] = len(self._flat)
        self._lengths[number] = len(ids)
        self._flat.extend(ids)
        self._count += 1

    def pop(self, number: int) -> list[str]:
        """Forget an idea; its stems (empty if it was not indexed)."""
        words = self.words(number)
        if number not in self:
            return words
        self._garbage += self._lengths[number]
        self._starts[number] = _ABSENT
        self._lengths[number] = 0
        self._count -= 1
        if self._garbage > max(_COMPACT_MIN, len(self._flat) // 2):
            self._compact()
        return words

    def export(self) -> tuple[list[str], array[int], array[int], array[int]]:
        """The word list (by word id), the flat word ids and each idea's start and length,
        compacted first so that the flat array holds live ideas only."""
        if self._garbage:
            self._compact()
        return self._words, self._flat, self._starts, self._lengths

    @classmethod
    def restore(
        cls, words: list[str], flat: array[int], starts: array[int], lengths: array[int]
    ) -> Documents:
        """The documents `export` gave, checked to be consistent (a truncated or mixed-up
        transfer raises ValueError instead of answering with other ideas' words)."""
        count = len(starts) - starts.count(_ABSENT)
        if (
            len(starts) != len(lengths)
            or sum(lengths) != len(flat)
            or (flat and max(flat) >= len(words))
            or any(
                start + length > len(flat) for start, length in zip(starts, lengths, strict=True)
            )
        ):
            raise ValueError("restore: the documents' arrays do not fit together")
        documents = cls()
        documents._words = words
        documents._word_ids = {word: word_id for word_id, word in enumerate(words)}
        documents._flat, documents._starts, documents._lengths = flat, starts, lengths
        documents._count = count
        return documents

    def _word_id(self, word: str) -> int:
        word_id = self._word_ids.get(word)
        if word_id is None:
            word_id = self._word_ids[word] = len(self._words)
            self._words.append(word)
        return word_id

    def _compact(self) -> None:
        flat = array("I")
        for number, start in enumerate(self._starts):
            if start != _ABSENT:
                self._starts[number] = len(flat)
                flat.extend(self._flat[start : start + self._lengths[number]])
        self._flat = flat
        self._garbage = 0
