"""`smartregion-bot classify`: questions on stdin, one JSON object per question on stdout."""

import io
import json
import sys
from pathlib import Path

import pytest

from bench import classify as classify_bench
from bot.cli import main

DEPARTMENT_IDS = {
    "mobilitaet",
    "umwelt",
    "digitales",
    "soziales",
    "bildung",
    "wirtschaft",
    "bauen",
    "kultur",
    "gesundheit",
}

SMALL_FILE = """
[[department]]
id = "verkehr"
name = "Verkehr"
room = "#verkehr:example.org"
keywords = ["Bus", "Ampel"]

[[department]]
id = "natur"
name = "Natur"
room = "#natur:example.org"
keywords = ["Baum", "Müll"]

[[department]]
id = "kultur"
name = "Kultur"
room = "#kultur:example.org"
keywords = ["Theater", "Museum"]
"""


def classify(monkeypatch, capsys, stdin: str, *args: str) -> tuple[int, list[dict], str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    status = main(["classify", *args])
    out, err = capsys.readouterr()
    return status, [json.loads(line) for line in out.splitlines()], err


def test_one_json_object_per_question_in_order(monkeypatch, capsys):
    monkeypatch.delenv("BOT_DEPARTMENTS_FILE", raising=False)
    status, answers, _ = classify(
        monkeypatch,
        capsys,
        "Wann kommt Glasfaser nach Rimpar?\n\n   \nWo kann ich Sperrmüll anmelden?\n",
    )
    assert status == 0
    assert [answer["department"] for answer in answers] == ["digitales", "umwelt"]
    for answer in answers:
        assert set(answer) == {"department", "confidence", "candidates"}
        assert 0.0 <= answer["confidence"] <= 1.0
        assert answer["candidates"][0] == answer["department"]
        assert len(answer["candidates"]) >= 3
        assert set(answer["candidates"]) == DEPARTMENT_IDS


def test_departments_file_from_the_option(monkeypatch, capsys, tmp_path: Path):
    departments = tmp_path / "departments.toml"
    departments.write_text(SMALL_FILE, encoding="utf-8")
    status, answers, _ = classify(
        monkeypatch, capsys, "Der Bus ist zu spät\n", "--departments", str(departments)
    )
    assert status == 0
    assert answers[0]["department"] == "verkehr"
    assert sorted(answers[0]["candidates"]) == ["kultur", "natur", "verkehr"]


def test_departments_file_from_the_environment(monkeypatch, capsys, tmp_path: Path):
    departments = tmp_path / "departments.toml"
    departments.write_text(SMALL_FILE, encoding="utf-8")
    monkeypatch.setenv("BOT_DEPARTMENTS_FILE", str(departments))
    status, answers, _ = classify(monkeypatch, capsys, "Wann ist das Museum offen?\n")
    assert status == 0
    assert answers[0]["department"] == "kultur"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot be read"),
        ("[[department]]\nid = 'a'\n", "lacks name, room"),
        (
            "[[department]]\nid = 'solo'\nname = 'Solo'\nroom = '#solo:example.org'\n",
            "at least two departments",
        ),
    ],
)
def test_an_unusable_departments_file_exits_with_2(
    monkeypatch, capsys, tmp_path: Path, content, problem
):
    departments = tmp_path / "departments.toml"
    if content is not None:
        departments.write_text(content, encoding="utf-8")
    status, answers, err = classify(
        monkeypatch, capsys, "Frage\n", "--departments", str(departments)
    )
    assert status == 2
    assert answers == []
    assert problem in err


def test_the_benchmark_reports_accuracy_calibration_and_speed(monkeypatch, capsys, tmp_path: Path):
    """`python -m bench.classify`: the numbers the router's documentation quotes."""
    monkeypatch.delenv("BOT_DEPARTMENTS_FILE", raising=False)
    monkeypatch.setattr(classify_bench, "TIMED_CLASSIFICATIONS", 20)
    data = tmp_path / "questions.jsonl"
    rows = [
        {"text": "Wann kommt Glasfaser nach Rimpar?", "department": "digitales"},
        {"text": "Wo kann ich Sperrmüll anmelden?", "department": "umwelt"},
        {"text": "Gibt es noch Kitaplätze in Höchberg?", "department": "bildung"},
    ]
    data.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    output = tmp_path / "classify.json"

    assert classify_bench.main(["--data", str(data), "--output", str(output)]) == 0

    report = json.loads(output.read_text(encoding="utf-8"))
    assert {result["router"] for result in report["files"]} == {"shipped", "-40% kw"}
    shipped = next(result for result in report["files"] if result["router"] == "shipped")
    every = shipped["groups"]["all"]
    assert (every["questions"], every["top1"], every["top3"]) == (3, 1.0, 1.0)
    assert 0.0 <= every["asked"] <= 1.0
    assert 0.0 < every["mean_confidence"] <= 1.0
    assert report["speed"]["cold_classifications"] == 3
    assert report["speed"]["per_second"] > 0
    assert "mean conf" in capsys.readouterr().out


def test_the_benchmark_refuses_unknown_departments(monkeypatch, capsys, tmp_path: Path):
    monkeypatch.delenv("BOT_DEPARTMENTS_FILE", raising=False)
    data = tmp_path / "questions.jsonl"
    data.write_text('{"text": "Frage", "department": "zoo"}\n', encoding="utf-8")
    assert classify_bench.main(["--data", str(data), "--output", str(tmp_path / "r.json")]) == 2
    assert "unknown department 'zoo'" in capsys.readouterr().err
