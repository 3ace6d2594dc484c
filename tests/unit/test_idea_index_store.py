"""The compact storage of the similar-idea index stays right through edits and compaction."""

import random

import pytest

from handlers.ideas.index_store import Documents, Postings
from handlers.ideas.similarity import SimilarityIndex


def test_re_indexing_many_times_compacts_and_keeps_every_idea_s_stems():
    documents = Documents()
    rng = random.Random(5)
    expected: dict[int, list[str]] = {}
    for _ in range(20_000):  # far more garbage than the compaction threshold
        number = rng.randrange(1, 300)
        words = [f"w{rng.randrange(50)}" for _ in range(rng.randrange(0, 6))]
        if rng.random() < 0.2:
            documents.pop(number)
            expected.pop(number, None)
        else:
            documents.put(number, words)
            expected[number] = words
    assert len(documents) == len(expected)
    for number in range(300):
        assert documents.words(number) == expected.get(number, [])
        assert (number in documents) == (number in expected)


def test_postings_stay_sorted_and_forget_empty_words():
    postings = Postings()
    for number in (5, 1, 9, 5):
        postings.insert("bank", number)
    assert list(postings.numbers("bank")) == [1, 5, 9]
    assert sorted(postings.within("bank", {5, 9, 10})) == [5, 9]
    assert not postings.discard("bank", 5)
    assert postings.discard("bank", 1) is False and postings.discard("bank", 9)
    assert "bank" not in postings and postings.count("bank") == 0


def test_an_edited_index_answers_like_a_freshly_built_one():
    rng = random.Random(8)
    words = ["".join(rng.choices("bdfgklmnprstvwz", k=6)) for _ in range(40)]
    texts = {n: " ".join(rng.sample(words, 4)) for n in range(1, 2_001)}
    edited = SimilarityIndex.build(texts.items())
    for number in rng.sample(sorted(texts), 1_500):
        texts[number] = " ".join(rng.sample(words, 4))
        edited.add(number, texts[number])
    for number in rng.sample(sorted(texts), 300):
        del texts[number]
        edited.remove(number)
    fresh = SimilarityIndex.build(texts.items())
    assert len(edited) == len(fresh) == len(texts)
    for query in rng.sample(sorted(texts.values()), 50):
        found, expected = edited.similar(query, limit=5), fresh.similar(query, limit=5)
        assert [m.score for m in found] == pytest.approx([m.score for m in expected])
        assert set(texts[found[0].number].split()) == set(query.split())


def test_negative_numbers_are_refused():
    with pytest.raises(ValueError, match="not negative"):
        Documents().put(-1, ["bank"])


def test_an_index_handed_over_as_bytes_answers_like_the_original_and_stays_editable():
    rng = random.Random(11)
    words = ["".join(rng.choices("bdfgklmnprstvwz", k=6)) for _ in range(60)]
    texts = {n: " ".join(rng.sample(words, 4)) for n in range(1, 1_001)}
    original = SimilarityIndex.build(texts.items())
    for number in rng.sample(sorted(texts), 200):  # garbage in the flat array
        texts[number] = " ".join(rng.sample(words, 3))
        original.add(number, texts[number])
    for number in (3, 500, 999):  # absent numbers in the middle of the arrays
        original.remove(number)
        del texts[number]
    copy = SimilarityIndex.from_bytes(original.to_bytes())
    assert len(copy) == len(original) == len(texts)
    assert 500 not in copy and 501 in copy
    for query in rng.sample(sorted(texts.values()), 50):
        assert copy.similar(query, limit=5) == original.similar(query, limit=5)
    copy.add(5_000, "zzzbank " + texts[1])
    copy.remove(1)
    assert copy.similar("zzzbank " + texts[1], limit=1)[0].number == 5_000


def test_an_empty_index_survives_the_hand_over():
    copy = SimilarityIndex.from_bytes(SimilarityIndex.build([]).to_bytes())
    assert len(copy) == 0 and copy.similar("Bank am Marktplatz") == []


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:-3],  # cut short
        lambda data: b"XXXXXX" + data[6:],  # not an index
        lambda data: data[:6] + b"\xff" * 8 + data[14:],  # a section length that lies
        lambda data: data[:-4] + (10**6).to_bytes(4, "little"),  # a word id out of range
    ],
)
def test_damaged_bytes_are_refused_not_misread(damage):
    index = SimilarityIndex.build([(1, "Bank am Marktplatz"), (2, "Radweg zur Schule")])
    with pytest.raises(ValueError):
        SimilarityIndex.from_bytes(damage(index.to_bytes()))
