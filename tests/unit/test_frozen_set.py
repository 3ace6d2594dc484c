"""The frozen routing test set is what it claims to be (see `bench.classify`)."""

import hashlib
import json

import pytest

from bench.classify import FROZEN, FROZEN_SHA256, check_frozen
from bench.keyword_overlap import keyword_words, shared_keywords
from bot.config import example_departments_file, load_departments
from handlers.questions.classifier import Classifier


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return [json.loads(line) for line in FROZEN.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def keywords() -> dict[str, frozenset[str]]:
    problems: list[str] = []
    departments = load_departments(example_departments_file(), problems)
    assert problems == []
    return {department.id: keyword_words(department.keywords) for department in departments}


def test_the_file_is_the_one_recorded():
    assert hashlib.sha256(FROZEN.read_bytes()).hexdigest() == FROZEN_SHA256
    assert check_frozen(FROZEN) is None


def test_a_changed_copy_is_refused(tmp_path, monkeypatch):
    copy = tmp_path / "routing-frozen.jsonl"
    copy.write_bytes(FROZEN.read_bytes() + b"\n")
    monkeypatch.setattr("bench.classify.FROZEN", copy)
    assert "changed" in (check_frozen(copy) or "")


def test_it_covers_every_department_both_languages_and_every_kind(rows, keywords):
    assert len(rows) >= 300
    assert {row["department"] for row in rows} == set(keywords)
    assert sum(row["lang"] == "en" for row in rows) >= 0.25 * len(rows)
    tags = {tag for row in rows for tag in row["tags"]}
    assert tags == {"short", "long", "typo", "franconian", "colloquial"}
    assert len({row["text"] for row in rows}) == len(rows)


def test_no_keyword_questions_share_no_keyword_with_their_department(rows, keywords):
    marked = [row for row in rows if row["no_keyword"]]
    assert len(marked) >= 50
    shared = {
        row["text"]: found
        for row in marked
        if (found := shared_keywords(row["text"], keywords[row["department"]]))
    }
    assert shared == {}


def test_the_overlap_check_finds_words_and_compound_parts():
    words = keyword_words(["Haltestelle", "Park"])
    assert shared_keywords("Wo ist die nächste Haltestelle?", words) == ["haltestell"]
    assert shared_keywords("Im Ringpark", words) == ["park"]
    assert shared_keywords("Wohin mit dem alten Sofa?", words) == []


def test_the_router_keeps_its_measured_floor_on_the_frozen_set(rows):
    """A regression guard, not a target: `python -m bench.classify` measured top-1 0.751 and
    top-3 0.863 here when the floors were set, 0.773 and 0.897 now (docs/questions.md). The
    router is never tuned against these questions, so the floors are only ever lowered with a
    reason."""
    problems: list[str] = []
    router = Classifier(load_departments(example_departments_file(), problems))
    results = [(row["department"], router.classify(row["text"])) for row in rows]
    top1 = sum(result.department == expected for expected, result in results) / len(rows)
    top3 = sum(expected in result.candidates[:3] for expected, result in results) / len(rows)
    assert top1 >= 0.72
    assert top3 >= 0.83
