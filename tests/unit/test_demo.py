"""`smartregion-bot demo`: its departments file routes exactly like the shipped one."""

import tomllib
from importlib.resources.abc import Traversable
from pathlib import Path

import pytest

from bot.classify_command import load_classifier
from bot.config import example_departments_file, load_departments
from bot.demo import demo_departments, write_demo_departments
from handlers.questions.classifier import Classifier

EXAMPLE = example_departments_file()
SERVER = "localhost"

# A few questions of /work/shared/data/routing-sample.jsonl, from several departments.
QUESTIONS = (
    "Wie beantrage ich einen Anwohnerparkausweis?",
    "Warum fährt die Straßenbahn Linie 5 abends nur noch alle 20 Minuten?",
    "Where can I charge my electric car near the city centre?",
    "Die Altglascontainer in der Zellerau sind ständig überfüllt",
    "Kann ich meinen Personalausweis auch online beantragen oder muss ich ins Bürgerbüro?",
    "Meine Mutter sitzt im Rollstuhl, welche Haltestellen sind wirklich barrierefrei?",
    "Gibt es in den Pfingstferien ein Ferienprogramm für 10-Jährige?",
    "Darf ich bei meinem denkmalgeschützten Haus neue Fenster einbauen?",
    "Wo bekomme ich eine Impfung gegen FSME, macht das auch das Gesundheitsamt?",
)


def example_entries() -> list[dict]:
    return tomllib.loads(EXAMPLE.read_text("utf-8"))["department"]


def classifier_for(path: Path | Traversable) -> Classifier:
    """The router `smartregion-bot classify` builds from `path`."""
    problems: list[str] = []
    classifier = load_classifier(path, problems)
    assert problems == []
    assert classifier is not None
    return classifier


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory) -> Path:
    return write_demo_departments(tmp_path_factory.mktemp("demo"), example_entries(), SERVER)


def test_every_key_survives_and_only_the_room_changes(demo_file: Path):
    demo = tomllib.loads(demo_file.read_text("utf-8"))["department"]
    example = example_entries()
    assert [d["room"] for d in demo] == [f"#abteilung-{d['id']}:{SERVER}" for d in example]
    assert [{**d, "room": None} for d in demo] == [{**d, "room": None} for d in example]


def test_the_loaded_departments_keep_keywords_and_examples(demo_file: Path):
    problems: list[str] = []
    demo = load_departments(demo_file, problems)
    example = load_departments(EXAMPLE, problems)
    assert problems == []
    assert [d.id for d in demo] == [d.id for d in example]
    for ours, shipped in zip(demo, example, strict=True):
        assert ours.keywords == shipped.keywords, ours.id
        assert ours.examples == shipped.examples, ours.id
        assert ours.keywords and ours.examples, ours.id


def test_the_demo_routes_like_the_shipped_file(demo_file: Path):
    demo, shipped = classifier_for(demo_file), classifier_for(EXAMPLE)
    assert demo.classify(QUESTIONS[0]).department == "mobilitaet"
    # The top department alone proves little: a router without keywords ranks unknown words
    # in file order, and mobilitaet comes first. Ranking and confidence must agree too.
    for question in QUESTIONS:
        ours, theirs = demo.classify(question), shipped.classify(question)
        assert (ours.department, ours.candidates) == (theirs.department, theirs.candidates)
        assert ours.confidence == pytest.approx(theirs.confidence)


def test_text_that_needs_escaping_survives(tmp_path: Path):
    entry = {"id": "a", "name": 'Quote " and \\ backslash', "room": "#x:y", "keywords": ["ä"]}
    other = {"id": "b", "name": "B", "room": "#x:y"}
    path = tmp_path / "departments.toml"
    path.write_text(demo_departments([entry, other], SERVER), "utf-8")
    [written, _] = tomllib.loads(path.read_text("utf-8"))["department"]
    assert written == {**entry, "room": f"#abteilung-a:{SERVER}"}
