"""Route a citizen's question to the department that can answer it.

The router is a logistic regression per department over two kinds of features of the question:

* **words**: content words (`handlers.text.normalise`: stopwords and place names dropped) as
  their Snowball German *and* English stems, since one chat mixes both, and pairs of
  neighbouring stems (``care home``, ``gelb sack``); a word the router has never seen is read
  as the known word one or two typos away, if there is one (rapidfuzz);
* **letter n-grams** (3 to 5 letters) of the folded content words: they carry what a
  department's text *means* beyond its literal words to new words that share a part with
  them: compounds (``Ringpark`` shares ``park``, ``Fahrradbügel`` shares ``fahrrad``),
  inflections the stemmer misses, and many typos.

Compound splitting was measured and is not used: the letter n-grams already reach the parts
of a compound (see docs/questions.md, "How the router decides").

It is trained at start, in under a second, from the departments file: the name, every item
of the scope, every keyword and every example question is one training text of its
department. It runs on city servers without internet and without model downloads, in plain
numpy: the features are weighted by tf-idf, one logistic regression per department is fitted
by averaged mini-batch stochastic gradient descent with a fixed seed (so every start gives
the same model; `_fit`), and classification is a sparse dot product. scikit-learn and scipy
did the same before, but cost the bot about 85 MB and a second to import.

What staff teach by forwarding sits on top of the model as *learned examples* (`forward`): a
question similar to a forwarded one gets evidence for the department it was forwarded to and
against the one it came from, in proportion to how similar it is and how recent the forward
is (`LearnedExample.weight`, see `BOT_QUESTION_EXAMPLE_HALF_LIFE_DAYS`). A learned example
that was wrong is removed by staff, and the router is rebuilt without it.

The softmax of the scores is the confidence. Whether a question is routed at once or the
citizen chooses among the top three is `Classification.confident`: the first department must
lead the second by `CONFIDENT_LEAD`, and the words alone and the letter n-grams alone must
agree on it (or a learned example must speak for the question).
"""

from __future__ import annotations

import math
import pickle
import re
import threading
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol, TypeVar

import numpy as np

from handlers.text.normalise import (
    Speller,
    fold,
    german_stem,
    is_noise,
    split_compound,
    stems,
    tokens,
    translations,
)

CONFIDENT_LEAD = 4.0
"""Route at once when the first department's score leads the second's by this much (it is
then e**4, about 55 times, as likely) and the ranking has evidence; otherwise offer the
citizen the top three (`Classification.confident`).

Chosen by cross-validation on development data only (`python -m bench.routing_cv
--calibrate`): the lead that asks least while the questions routed without asking go to the
right department at least 98 % of the time, on questions that share no keyword with their
department (the hardest case, so that the rule holds for wording nobody listed). The frozen
test set's figures are in docs/questions.md (`python -m bench.classify`).
"""

REGULARISATION = 3e-5
"""L2 regularisation strength of the logistic regression (smaller: fits the training text more
closely). Chosen on development data."""
EPOCHS = 10
"""Passes of stochastic gradient descent over the training texts. Chosen on development data
with the other training constants below: 20 (in batches of 64) changed top-1 on
`routing-dev3.jsonl` by one question and took about 70 % longer."""
BATCH = 32
"""Training texts per step of gradient descent."""
LEARNING_RATE = 1.0
"""Step size at the start (per text); chosen on development data."""
AVERAGE_FROM = 3
"""The first epoch whose weights count in the averaged model: the early ones are far off."""
GRAM_WEIGHT = 0.9
"""How much the letter n-gram block counts against the word block (each is unit length)."""
GRAM_SIZES = (3, 5)
COMPOUND_SPLITTING = True
"""Read an unknown compound of two known words as both words (measured: docs/questions.md)."""
TRANSLATING = True
"""Read English words also as their German words (`translations`); measured in
docs/questions.md with `python -m bench.routing_cv --no-translating`."""
LEARNED_FOR = 6.0
"""What a forwarded question identical to the new one adds to the score of the department it
was forwarded to (a similar one adds this times its similarity). Chosen on development data:
twice as much made the learning curve worse (`python -m bench.classify`)."""
LEARNED_AGAINST = 3.0
"""What it takes from the department it was forwarded away from."""
LEARNED_MIN_SIMILARITY = 0.3
"""Learned examples less similar than this (cosine of word features) say nothing."""
Key = TypeVar("Key")
_REMEMBERED = 50_000
"""Stems (and spelling answers) remembered per word, at most: chat brings new words forever."""
_TRAINING = threading.Lock()
"""Held while training: the question router and the idea categories are built in worker
threads at the same time, and the second should take the first's model, not train again."""
_ADOPTED: dict[tuple[tuple[str, ...], ...], _Model] = {}
"""Models trained by a child process (`handlers.questions.model_worker`), by their texts."""
_HINT = re.compile(r"^\s*#([^\s#]+)")
_SCOPE_ITEMS = re.compile(r"[,;()]|\bund\b")


class DepartmentLike(Protocol):
    """What the router reads of a department (`bot.config.Department` has all of it)."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def scope(self) -> str: ...

    @property
    def keywords(self) -> Sequence[str]: ...

    @property
    def examples(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class Classification:
    """Where a question should go, how sure the router is, and the alternatives, best first.

    `lead` is how far the first department's score is ahead of the second's: the natural log
    of how many times more likely the router thinks the first is. `evidence` says
    whether the first department is backed twice: by the words the router knows and by their
    letter n-grams, each alone, or by a learned example like the question.
    """

    department: str
    confidence: float
    candidates: tuple[str, ...]
    lead: float = math.inf
    evidence: bool = True

    @property
    def confident(self) -> bool:
        """Whether to route at once rather than offer the citizen the top three.

        Both must hold: the first department leads the second by `CONFIDENT_LEAD`, and the
        ranking has `evidence`.
        """
        return self.evidence and self.lead >= CONFIDENT_LEAD


@dataclass(frozen=True)
class LearnedExample:
    """A question staff forwarded: where it belonged, where it came from, how much it counts.

    `weight` is 1 for a fresh forward and falls with age (half of it per half-life).
    """

    text: str
    department: str
    previous: str | None = None
    weight: float = 1.0


class _Words:
    """The content words of texts as stems and stem pairs, with typos read as known words."""

    def __init__(self) -> None:
        self._speller: Speller | None = None
        self._stems: dict[str, tuple[str, ...]] = {}

    def use_vocabulary(self, vocabulary: Iterable[str]) -> None:
        """From now on, read unknown words as their closest word of `vocabulary`."""
        self._speller = Speller(vocabulary)
        self._stems.clear()

    def content(self, text: str) -> list[str]:
        """The folded content words of `text`, typos corrected once a vocabulary is set.

        With `COMPOUND_SPLITTING`, an unknown word that is two known words is read as both.
        """
        words = [word for word in tokens(text) if not is_noise(word)]
        speller = self._speller
        if speller is None:
            return words
        found = []
        for word in words:
            corrected = speller.correct(word)
            if corrected is not None:
                found.append(corrected)
            elif COMPOUND_SPLITTING and not speller.known(word):
                found.extend(split_compound(word, speller.known) or (word,))
            else:
                found.append(word)
        return found

    def features(self, text: str) -> list[str]:
        """Stems (German and English) of the content words, and neighbouring stem pairs."""
        return self.word_features(self.content(text))

    def word_features(self, words: Sequence[str]) -> list[str]:
        """`features` of content words already found; with `TRANSLATING`, also the stems of
        the German words of English ones (`translations`), without pairs."""
        found: list[str] = []
        previous: str | None = None
        for word in words:
            both = self._stems_of(word)
            found.extend(both)
            if previous is not None:
                found.append(f"{previous}+{both[0]}")
            previous = both[0]
        if TRANSLATING:
            for word in words:
                for german in translations(word):
                    found.extend(self._stems_of(german))
        return found

    def gram_words(self, words: Sequence[str]) -> list[str]:
        """The words whose letter n-grams are features: `words`, and with `TRANSLATING` the
        German words of English ones."""
        if not TRANSLATING:
            return list(words)
        return [*words, *(german for word in words for german in translations(word))]

    def _stems_of(self, word: str) -> tuple[str, ...]:
        both = self._stems.get(word)
        if both is None:
            if len(self._stems) >= _REMEMBERED:
                self._stems.clear()
            both = self._stems[word] = stems(word)
        return both


def word_grams(word: str) -> list[str]:
    """The letter n-grams of one word, with its start and end marked (``<ra``, ``ad>``)."""
    padded = f"<{word}>"
    low, high = GRAM_SIZES
    return [
        padded[i : i + size] for size in range(low, high + 1) for i in range(len(padded) - size + 1)
    ]


@dataclass(frozen=True)
class _Block:
    """One block of features: their columns, idf weights and model weights per department."""

    index: dict[str, int]
    idf: np.ndarray
    weights: np.ndarray
    remembered: dict[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)
    """Each word's n-gram columns (`word_scores`), looked up once."""

    def vector(self, features: Iterable[str]) -> dict[int, float]:
        """Sublinear tf-idf of the known `features`, unit length, as in training."""
        counts: dict[int, int] = {}
        for feature in features:
            column = self.index.get(feature)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        return _unit(
            {column: (1.0 + math.log(count)) * self.idf[column] for column, count in counts.items()}
        )

    def scores(self, vector: dict[int, float]) -> np.ndarray:
        """The model's score per department for a `vector` of this block."""
        indices = np.fromiter(vector, dtype=np.intp, count=len(vector))
        values = np.fromiter(vector.values(), dtype=np.float64, count=len(vector))
        return values @ self.weights[indices]

    def word_scores(self, words: Sequence[str]) -> np.ndarray | None:
        """The score per department of the letter n-grams of `words`; None if none is known."""
        parts = []
        for word in words:
            columns = self.remembered.get(word)
            if columns is None:
                if len(self.remembered) >= _REMEMBERED:
                    self.remembered.clear()
                found = [self.index[gram] for gram in word_grams(word) if gram in self.index]
                columns = self.remembered[word] = np.array(found, dtype=np.intp)
            parts.append(columns)
        if not parts:
            return None
        columns, counts = np.unique(np.concatenate(parts), return_counts=True)
        if not len(columns):
            return None
        values = (1.0 + np.log(counts)) * self.idf[columns]
        return (values / np.sqrt(values @ values)) @ self.weights[columns]


@dataclass(frozen=True)
class _Model:
    """What training on a departments file gives: shared by every router of the same file."""

    words: _Words
    word_block: _Block
    gram_block: _Block
    intercept: np.ndarray


@dataclass(frozen=True)
class _Rows:
    """A sparse matrix as compressed rows (scipy's CSR): row ``i`` has the values
    ``data[indptr[i]:indptr[i + 1]]`` in the columns ``indices[indptr[i]:indptr[i + 1]]``.

    scipy and scikit-learn would do this, but importing them cost the bot about 85 MB and a
    second at start (docs/questions.md, "Start-up cost"); the model needs a few lines of numpy.
    """

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray

    def take(self, rows: np.ndarray) -> _Rows:
        """The matrix of `rows`, in that order."""
        lengths = np.diff(self.indptr)[rows]
        indptr = np.zeros(len(rows) + 1, dtype=np.intp)
        np.cumsum(lengths, out=indptr[1:])
        entries = np.repeat(self.indptr[rows] - indptr[:-1], lengths) + np.arange(indptr[-1])
        return _Rows(indptr, self.indices[entries], self.data[entries])


def _tfidf(documents: Iterable[Iterable[str]]) -> tuple[dict[str, int], np.ndarray, _Rows]:
    """Vocabulary, idf and the unit-length sublinear tf-idf rows of `documents`.

    The weighting is scikit-learn's ``TfidfVectorizer(sublinear_tf=True)``: tf is
    ``1 + ln(count)``, idf is ``1 + ln((1 + documents) / (1 + documents with the feature))``
    and each row is scaled to length 1, as `_Block.vector` does at run time. The documents
    are read one at a time into compact arrays, so their features need not all be in memory.
    """
    index: dict[str, int] = {}
    indptr = array("q", [0])
    indices = array("q")
    counts = array("d")
    for document in documents:
        found = Counter(index.setdefault(feature, len(index)) for feature in document)
        indices.extend(found)
        counts.extend(found.values())
        indptr.append(len(indices))
    columns = np.frombuffer(indices, dtype=np.int64).astype(np.intp)
    rows = len(indptr) - 1
    idf = 1.0 + np.log((1.0 + rows) / (1.0 + np.bincount(columns, minlength=len(index))))
    values = (1.0 + np.log(np.frombuffer(counts, dtype=np.float64))) * idf[columns]
    pointers = np.frombuffer(indptr, dtype=np.int64).astype(np.intp)
    lengths = np.diff(pointers)
    filled = lengths > 0
    norms = np.ones(rows)
    if len(values):
        norms[filled] = np.sqrt(np.add.reduceat(values**2, pointers[:-1][filled]))
    values /= np.repeat(norms, lengths)
    return index, idf, _Rows(pointers, columns, values)


def _side_by_side(left: _Rows, right: _Rows, offset: int) -> _Rows:
    """Each row of `left` followed by the same row of `right`, its columns moved by `offset`."""
    left_lengths, right_lengths = np.diff(left.indptr), np.diff(right.indptr)
    indptr = np.zeros(len(left_lengths) + 1, dtype=np.intp)
    np.cumsum(left_lengths + right_lengths, out=indptr[1:])
    row_of_entry = np.concatenate(
        [
            np.repeat(np.arange(len(left_lengths)), left_lengths),
            np.repeat(np.arange(len(right_lengths)), right_lengths),
        ]
    )
    order = np.argsort(row_of_entry, kind="stable")
    indices = np.concatenate([left.indices, right.indices + offset])[order]
    data = np.concatenate([left.data, right.data])[order]
    return _Rows(indptr, indices, data)


def _fit(matrix: _Rows, labels: np.ndarray, classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights (a column per class) and intercepts of one logistic regression per class.

    What scikit-learn's ``SGDClassifier(loss="log_loss", class_weight="balanced",
    average=True)`` does, in mini-batches: each class is told apart from all others, its own
    texts weighing ``texts / (classes * its texts)`` so that every class counts the same;
    L2 regularisation; a step size falling as
    ``LEARNING_RATE / (1 + REGULARISATION * LEARNING_RATE * texts seen)``; the texts
    shuffled each epoch with a fixed seed, so every start gives the same model; and the
    result is the mean of the weights over the steps from epoch `AVERAGE_FROM` on.

    The weights are kept as ``scale * scaled``, so the L2 shrinking of all of them is one
    multiplication, and their running sum as ``sum of scales * scaled + correction``
    (Xu, 2011, "Towards optimal one pass large scale learning with averaged stochastic
    gradient descent"), so a step touches only the features of its texts.
    """
    texts = len(labels)
    features = int(matrix.indices.max()) + 1 if len(matrix.indices) else 0
    scaled = np.zeros((features, classes))
    correction = np.zeros((features, classes))
    intercept = np.zeros(classes)
    intercepts = np.zeros(classes)
    scale, scales = 1.0, 0.0
    own = np.eye(classes)[labels]
    per_class = np.bincount(labels, minlength=classes)
    balance = texts / (classes * np.maximum(per_class, 1))
    pair_weight = np.where(own > 0, balance[labels][:, None], 1.0)
    random = np.random.default_rng(0)
    seen = averaged = 0
    for epoch in range(EPOCHS):
        order = random.permutation(texts)
        shuffled = matrix.take(order)
        row_of_entry = np.repeat(np.arange(texts), np.diff(shuffled.indptr))
        for start in range(0, texts, BATCH):
            stop = min(start + BATCH, texts)
            batch = order[start:stop]
            low, high = shuffled.indptr[start], shuffled.indptr[stop]
            columns = shuffled.indices[low:high]
            values = shuffled.data[low:high]
            rows = row_of_entry[low:high] - start
            scores = np.zeros((stop - start, classes))
            if high > low:
                starts = shuffled.indptr[start:stop] - low
                filled = shuffled.indptr[start + 1 : stop + 1] - low > starts
                products = values[:, None] * scaled[columns]
                scores[filled] = np.add.reduceat(products, starts[filled], axis=0)
            scores = scale * scores + intercept
            error = (1.0 / (1.0 + np.exp(-scores)) - own[batch]) * pair_weight[batch]
            rate = LEARNING_RATE / (1.0 + REGULARISATION * LEARNING_RATE * seen)
            scale *= 1.0 - rate * REGULARISATION * (stop - start)
            if high > low:
                by_column = np.argsort(columns, kind="stable")
                ordered = columns[by_column]
                first = np.flatnonzero(np.diff(ordered, prepend=-1))
                parts = (values[:, None] * error[rows])[by_column]
                change = np.add.reduceat(parts, first, axis=0) * (-rate / scale)
                touched = ordered[first]
                scaled[touched] += change
                correction[touched] -= scales * change
            intercept -= rate * error.sum(axis=0)
            seen += stop - start
            if epoch >= AVERAGE_FROM:
                scales += scale
                intercepts += intercept
                averaged += 1
    scaled *= scales / averaged  # in place: the model's largest arrays, no copies
    correction /= averaged
    scaled += correction
    return scaled, intercepts / averaged


def departments_texts(departments: Iterable[DepartmentLike]) -> tuple[tuple[str, ...], ...]:
    """What the model of `departments` is trained on, per department (the model's key)."""
    return tuple(_training_texts(department) for department in departments)


def model_bytes(texts_by_department: tuple[tuple[str, ...], ...]) -> bytes:
    """The model trained on these texts, as bytes for `adopt_model` in another process.

    Pickled: 36,000 dictionary entries and a few arrays load in about 20 ms (the example
    departments), against 0.7-1.8 s of training.
    """
    return pickle.dumps(_trained(texts_by_department), protocol=pickle.HIGHEST_PROTOCOL)


def adopt_model(texts_by_department: tuple[tuple[str, ...], ...], data: bytes) -> None:
    """Use the model `model_bytes` gave (in a child process of this bot) for these texts.

    Only the latest is kept: a bot has one departments file.
    """
    model = pickle.loads(data)  # trusted: written by the bot's own child, through a pipe
    if not isinstance(model, _Model):
        raise ValueError(f"not a trained model: {type(model).__name__}")
    _ADOPTED.clear()
    _ADOPTED[texts_by_department] = model


def has_model(texts_by_department: tuple[tuple[str, ...], ...]) -> bool:
    """Whether a model for these texts was adopted already (training it again is no use)."""
    return texts_by_department in _ADOPTED


@lru_cache(maxsize=4)
def _trained(texts_by_department: tuple[tuple[str, ...], ...]) -> _Model:
    """Fit the model on the training texts of each department (in department order).

    Cached: the bot trains once for the question router and the idea categories, and tests
    and benchmarks that build many routers from one file train once too.
    """
    texts = [text for department in texts_by_department for text in department]
    labels = np.array(
        [position for position, department in enumerate(texts_by_department) for _ in department],
        dtype=np.intp,
    )
    words = _Words()
    words.use_vocabulary(word for text in texts for word in tokens(text))
    contents = [words.content(text) for text in texts]
    word_index, word_idf, word_matrix = _tfidf(words.word_features(c) for c in contents)
    gram_index, gram_idf, gram_matrix = _tfidf(
        (gram for word in words.gram_words(content) for gram in word_grams(word))
        for content in contents
    )
    gram_matrix = _Rows(gram_matrix.indptr, gram_matrix.indices, gram_matrix.data * GRAM_WEIGHT)
    coefficients, intercept = _fit(
        _side_by_side(word_matrix, gram_matrix, len(word_index)),
        labels,
        len(texts_by_department),
    )
    split = len(word_index)
    return _Model(
        words,
        _Block(word_index, word_idf, coefficients[:split]),
        _Block(gram_index, gram_idf, coefficients[split:] * GRAM_WEIGHT),
        intercept,
    )


class Classifier:
    """Logistic regression over words and letter n-grams, plus what staff taught by forwarding."""

    def __init__(
        self,
        departments: Iterable[DepartmentLike],
        learned: Iterable[LearnedExample | tuple[str, str]] = (),
    ) -> None:
        departments = tuple(departments)
        if len(departments) < 2:
            raise ValueError("The router needs at least two departments to choose between.")
        self._ids = tuple(department.id for department in departments)
        self._index = {dep_id: position for position, dep_id in enumerate(self._ids)}
        texts = departments_texts(departments)
        with _TRAINING:
            adopted = _ADOPTED.get(texts)
            self._model = adopted if adopted is not None else _trained(texts)
        self._learned: list[tuple[int, int | None, float]] = []
        self._learned_index: dict[str, list[tuple[int, float]]] = {}
        """Word feature -> (learned example, its value in the example's unit vector)."""
        for example in learned:
            if not isinstance(example, LearnedExample):
                example = LearnedExample(*example)
            self.forward(example.text, example.department, example.previous, example.weight)
        self._hints = self._build_hints(departments)

    @property
    def departments(self) -> tuple[str, ...]:
        """The department ids, in the order of the departments file."""
        return self._ids

    def normalise(self, text: str) -> list[str]:
        """The word features of `text` as the router sees them (stems and stem pairs)."""
        return self._model.words.features(text)

    def recognises(self, text: str) -> bool:
        """Whether `text` has a word (or a typo of one) that the departments file uses.

        Without one, `classify` still ranks departments by letter n-grams, which is a hint for
        routing a question but no reason to file an idea under a category.
        """
        return bool(self._model.word_block.vector(self._model.words.features(text)))

    def classify(self, text: str) -> Classification:
        """Rank every department for `text`; a text without known words ranks them in file order."""
        scores, evidence = self._scores(text)
        ranking = sorted(range(len(self._ids)), key=lambda position: -scores[position])
        exps = np.exp(scores - scores[ranking[0]])
        total = exps.sum()
        return Classification(
            department=self._ids[ranking[0]],
            confidence=float(1.0 / total),
            candidates=tuple(self._ids[position] for position in ranking),
            lead=float(scores[ranking[0]] - scores[ranking[1]]),
            evidence=evidence,
        )

    def forward(
        self, text: str, department_id: str, previous_id: str | None = None, weight: float = 1.0
    ) -> None:
        """Take a forward by staff: `text` belongs to `department_id`, not to `previous_id`.

        Questions worded like `text` get evidence for the new department and against the old
        one from now on, `weight` times as much as a fresh forward (see `LearnedExample`).
        """
        position = self._position(department_id)
        against = None if previous_id is None else self._position(previous_id)
        vector = _unit(Counter(self._model.words.features(text)))
        if vector:
            for feature, value in vector.items():
                self._learned_index.setdefault(feature, []).append((len(self._learned), value))
            self._learned.append((position, against, weight))

    def route_hint(self, text: str) -> str | None:
        """The department a leading ``#abteilung`` names, as in ``!frage #mobilitaet ...``.

        Accepts the id, a word of the name (``#verkehr``, ``#Umwelt``, ``#mobilität``), a
        prefix of four or more letters of either (``#digital``) or a one-word keyword
        (``#schule``), as long as only one department fits.
        """
        match = _HINT.match(text)
        if match is None:
            return None
        word = fold(match.group(1)).strip(".,:;!?()")
        if len(word) < 2 or word.isdigit():
            return None
        for exact in (word, german_stem(word)):
            if exact in self._hints:
                found = self._hints[exact]
                return next(iter(found)) if len(found) == 1 else None
        if len(word) >= 4:
            prefixed = {
                dep_id
                for key, dep_ids in self._hints.items()
                if key.startswith(word)
                for dep_id in dep_ids
            }
            if len(prefixed) == 1:
                return next(iter(prefixed))
        return None

    def _position(self, department_id: str) -> int:
        try:
            return self._index[department_id]
        except KeyError:
            raise ValueError(f"Unknown department {department_id!r}.") from None

    def _scores(self, text: str) -> tuple[np.ndarray, bool]:
        """The model's score per department, plus what learned examples say about `text`, and
        whether the ranking has evidence (see `Classification`): a learned example like `text`,
        or known words whose scores alone put the same department first as the letter n-grams'
        alone do. Two kinds of features that agree are wrong far less often than either one."""
        model = self._model
        content = model.words.content(text)
        features = model.words.word_features(content)
        words = model.word_block.vector(features)
        grams = model.gram_block.word_scores(model.words.gram_words(content))
        if not words and grams is None:
            scores = np.linspace(0.0, -1e-9, len(self._ids))  # file order, equally likely
            evidence = False
        else:
            scores = model.intercept.copy()
            word_scores = model.word_block.scores(words) if words else None
            if word_scores is not None:
                scores += word_scores
            if grams is not None:
                scores += grams
            evidence = (
                word_scores is not None
                and grams is not None
                and int(np.argmax(model.intercept + word_scores))
                == int(np.argmax(model.intercept + grams))
                == int(np.argmax(scores))
            )
        if self._learned and self._add_learned(_unit(Counter(features)), scores):
            evidence = True
        return scores, evidence

    def _add_learned(self, question: dict[str, float], scores: np.ndarray) -> bool:
        """Move `scores` by what the learned examples like the question say (see `forward`);
        whether any said something.

        Similarity is the cosine of the word features, counted plainly: a forward teaches
        words the departments file never had ("Stolpersteine") as well as known ones.
        """
        similarities: dict[int, float] = {}
        for feature, value in question.items():
            for example, weight in self._learned_index.get(feature, ()):
                similarities[example] = similarities.get(example, 0.0) + value * weight
        said = False
        for example, similarity in similarities.items():
            if similarity >= LEARNED_MIN_SIMILARITY:
                position, against, weight = self._learned[example]
                strength = weight * similarity
                scores[position] += LEARNED_FOR * strength
                if against is not None:
                    scores[against] -= LEARNED_AGAINST * strength
                said = True
        return said

    @staticmethod
    def _build_hints(departments: Sequence[DepartmentLike]) -> dict[str, set[str]]:
        """Map folded ids, name words and one-word keywords (and their stems) to department ids."""
        hints: dict[str, set[str]] = {}
        keyword_hints: dict[str, set[str]] = {}
        for department in departments:
            for word in (fold(department.id), *tokens(department.name)):
                if not is_noise(word):
                    for key in (word, german_stem(word)):
                        hints.setdefault(key, set()).add(department.id)
            for keyword in department.keywords:
                words = tokens(keyword)
                if len(words) == 1 and not is_noise(words[0]):
                    for key in (words[0], german_stem(words[0])):
                        keyword_hints.setdefault(key, set()).add(department.id)
        for key, dep_ids in keyword_hints.items():
            hints.setdefault(key, dep_ids)
        return hints


def _training_texts(department: DepartmentLike) -> tuple[str, ...]:
    """The name, every item of the scope, every keyword and every example: one text each."""
    scope = [item.strip() for item in _SCOPE_ITEMS.split(department.scope) if item.strip()]
    return (department.name, *scope, *department.keywords, *department.examples)


def _unit(vector: Mapping[Key, float]) -> dict[Key, float]:
    """`vector` scaled to length 1 (empty stays empty)."""
    norm = math.sqrt(sum(value * value for value in vector.values()))
    return {key: value / norm for key, value in vector.items()} if norm else vector
