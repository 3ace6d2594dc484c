"""The question router: German chat text normalised, questions routed, corrections learnt."""

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.config import Department, example_departments_file, load_departments
from handlers.questions import classifier as router_module
from handlers.questions.classifier import CONFIDENT_LEAD, Classifier, LearnedExample

DEV3 = Path(__file__).resolve().parents[2] / "bench" / "data" / "routing-dev3.jsonl"


def example_departments() -> tuple[Department, ...]:
    problems: list[str] = []
    departments = load_departments(example_departments_file(), problems)
    assert problems == []
    return departments


@pytest.fixture(scope="module")
def router() -> Classifier:
    """One router for the read-only tests; learning tests build their own."""
    return Classifier(example_departments())


def test_place_names_of_city_and_county_say_nothing_about_the_topic(router):
    places = "Würzburg Würzburger Zellerau Heidingsfeld Höchberg Hoechberg Ochsenfurt Kürnach Zell"
    assert router.normalise(places) == []
    plain = router.classify("Wann wird die Gelbe Tonne abgeholt?")
    placed = router.classify("Wann wird in Heidingsfeld die Gelbe Tonne abgeholt?")
    assert placed == plain


def test_compounds_route_like_their_parts(router):
    """Unknown compounds of two known words are split; letter n-grams carry parts too."""
    assert router.classify("Radständer am Bahnhof").department == "mobilitaet"
    assert router.classify("Fahrradständer fehlen am Bahnhof").department == "mobilitaet"
    assert router.classify("Glasfaserbaustelle vor dem Haus").department == "digitales"


def test_a_keyword_phrase_is_read_as_the_phrase(router):
    """The word "care" alone is ambiguous (day care, care home); "care home" is not."""
    result = router.classify("I am looking for a care home")
    assert result.department == "gesundheit"
    assert "car+hom" in router.normalise("care home")  # the German stems, as a pair


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("Wohngedl", "Wohngeld"),
        ("Stadtbüchrei", "Stadtbücherei"),
        ("Strassenbanh", "Straßenbahn"),
        ("Kitaplattz", "Kitaplatz"),
        ("Glasfasrr", "Glasfaser"),
    ],
)
def test_a_typo_is_read_as_the_known_word(router, typo, meant):
    assert router.normalise(typo) == router.normalise(meant)


@pytest.mark.parametrize(
    ("text", "department"),
    [
        ("#mobilitaet Wann fährt der Bus?", "mobilitaet"),
        ("#mobilität Wann fährt der Bus?", "mobilitaet"),
        ("  #Verkehr bitte", "mobilitaet"),
        ("#Umwelt: Müll", "umwelt"),
        ("#klima", "umwelt"),
        ("#digital", "digitales"),
        ("#schule Frage", "bildung"),
        ("#pflege", "gesundheit"),
        ("#wohnen", "bauen"),
        ("#sport", "kultur"),
        ("#Glasfaser", "digitales"),
    ],
)
def test_a_leading_hashtag_names_a_department(router, text, department):
    assert router.route_hint(text) == department


@pytest.mark.parametrize(
    "text", ["#12 hallo", "# Frage", "#quatsch Frage", "Frage ohne #mobilitaet vorne", ""]
)
def test_no_department_without_a_recognisable_leading_hashtag(router, text):
    assert router.route_hint(text) is None


CLEAR = {
    "mobilitaet": [
        "Wann fährt der letzte Bus nach Rimpar?",
        "Die Ampel am Sanderring ist seit Tagen aus",
        "Gibt es am Hauptbahnhof Ladesäulen für E-Autos?",
    ],
    "umwelt": [
        "Wann wird der Biomüll in Versbach abgeholt?",
        "Werden die alten Bäume im Park gefällt?",
        "How do I get a bigger recycling bin?",
    ],
    "digitales": [
        "Das öffentliche WLAN am Hauptbahnhof funktioniert nicht",
        "Wann bekommt Kürnach endlich Glasfaser?",
        "Can I renew my passport online?",
    ],
    "soziales": [
        "Wer hilft Senioren in Heidingsfeld beim Einkaufen?",
        "Wie kann ich mich ehrenamtlich für Geflüchtete engagieren?",
        "Is the town hall accessible by wheelchair?",
    ],
    "bildung": [
        "Ab wann kann ich mein Kind für die Kita anmelden?",
        "Gibt es in den Osterferien ein Ferienprogramm für Jugendliche?",
        "Which primary school is my child assigned to?",
    ],
    "wirtschaft": [
        "Wie gründe ich in Würzburg ein Start-up?",
        "Gibt es Förderprogramme für kleine Unternehmen im Landkreis?",
        "How can my company find skilled workers?",
    ],
    "bauen": [
        "Brauche ich eine Baugenehmigung für eine Garage in Gerbrunn?",
        "Wo sehe ich den Bebauungsplan für Lengfeld?",
        "Is there enough affordable housing planned?",
    ],
    "kultur": [
        "Wann öffnet das Freibad in Ochsenfurt?",
        "Gibt es noch Karten für das Theater am Samstag?",
        "Which museums are open on Mondays?",
    ],
    "gesundheit": [
        "Ich suche einen Hausarzt in Zellerau, der noch Patienten nimmt",
        "Wo kann ich mich gegen Grippe impfen lassen?",
        "Where is the nearest hospital emergency room?",
    ],
}


@pytest.mark.parametrize(
    ("department", "text"),
    [(department, text) for department, texts in CLEAR.items() for text in texts],
)
def test_clear_questions_go_to_their_department(router, department, text):
    assert router.classify(text).department == department


def test_most_clear_questions_are_routed_without_asking(router):
    """The confidence rule is set for questions worded unlike any keyword list, so it also
    asks about some clear ones (3 of these 27 when it was set); it must not ask about many."""
    texts = [text for texts in CLEAR.values() for text in texts]
    assert sum(router.classify(text).confident for text in texts) >= len(texts) - 4


def test_every_department_is_ranked_best_first(router):
    result = router.classify("Der Radweg nach Höchberg hat Schlaglöcher")
    assert len(result.candidates) >= 3
    assert result.candidates[0] == result.department
    assert sorted(result.candidates) == sorted(router.departments)
    assert 0.0 <= result.confidence <= 1.0


def test_a_question_between_two_departments_is_not_confident(router):
    parking, playground = router.classify("Parkplatz"), router.classify("Spielplatz")
    assert (parking.department, playground.department) == ("mobilitaet", "bildung")
    both = router.classify("Parkplatz oder Spielplatz?")
    # Each word alone is a clear case; together they pull apart, so the router is less sure
    # than about either alone, and asks the citizen.
    assert both.confidence < min(parking.confidence, playground.confidence)
    assert not both.confident
    assert set(both.candidates[:2]) == {"mobilitaet", "bildung"}


def test_an_unknown_word_votes_only_weakly(router):
    """A word the router has never seen gets a hint from its letter groups, never a verdict."""
    assert not router.classify("Zwischenfruchtbegrünungsgedöns").confident
    assert not router.classify("Quaxelbrummer").confident


def test_confident_needs_the_lead_and_evidence(router):
    """`Classification.confident` is exactly the documented rule, on real classifications."""
    for text in ("Wann fährt der letzte Bus?", "Parkplatz oder Spielplatz?", "Quaxelbrummer"):
        result = router.classify(text)
        assert result.confident == (result.evidence and result.lead >= CONFIDENT_LEAD)
    clear = router.classify("Wann fährt der letzte Bus?")
    assert clear.confident
    assert dataclasses.replace(clear, evidence=False).confident is False
    assert dataclasses.replace(clear, lead=CONFIDENT_LEAD - 0.01).confident is False


def test_letter_groups_alone_are_no_evidence(router):
    """Without a known word only the letter n-grams speak: that ranks, but never decides."""
    result = router.classify("Quaxelbrummer")
    assert not result.evidence


def test_a_learned_example_is_evidence():
    question = "Wo liegen in Würzburg überall Stolpersteine?"
    router = Classifier(example_departments())
    router.forward("Wer putzt die Stolpersteine und wer verlegt neue?", "kultur")
    result = router.classify(question)
    assert (result.department, result.evidence) == ("kultur", True)


def test_english_words_meet_their_german_words(router):
    """`handlers/text/data/english-german.txt`: ``landlord`` is read as ``vermieter`` too."""
    assert "vermiet" in router.normalise("landlord")


def test_without_a_known_word_all_departments_are_equally_likely(router):
    result = router.classify("ich hab mal ne frage")
    assert result.confidence == pytest.approx(1 / len(router.departments))
    assert result.candidates == router.departments


def test_a_forward_teaches_the_new_department_for_similar_wording():
    router = Classifier(example_departments())
    question = "Wo liegen in Würzburg überall Stolpersteine?"
    assert router.classify(question).department != "kultur"
    router.forward("Wer putzt die Stolpersteine und wer verlegt neue?", "kultur")
    assert router.classify(question).department == "kultur"
    assert router.classify("Wann fährt der letzte Bus?").department == "mobilitaet"


def test_a_forward_also_takes_evidence_from_the_old_department():
    question = "Wer kümmert sich um die Beleuchtung am Spielplatz?"
    before = Classifier(example_departments()).classify(question)
    old = before.department
    new = before.candidates[2]
    only_for = Classifier(example_departments(), [LearnedExample(question, new)])
    for_and_against = Classifier(example_departments(), [LearnedExample(question, new, old)])
    scores = {
        name: router.classify(question)
        for name, router in (("for", only_for), ("both", for_and_against))
    }
    assert scores["for"].candidates.index(old) < scores["both"].candidates.index(old)


def test_an_aged_forward_counts_less():
    question = "Wer kümmert sich um die Beleuchtung am Spielplatz?"
    before = Classifier(example_departments()).classify(question)
    new = before.candidates[2]
    fresh = Classifier(example_departments(), [LearnedExample(question, new, before.department)])
    old = Classifier(
        example_departments(), [LearnedExample(question, new, before.department, 0.01)]
    )
    assert fresh.classify(question).department == new
    assert old.classify(question).department == before.department


def test_learning_for_an_unknown_department_is_refused(router):
    with pytest.raises(ValueError, match="nirgendwo"):
        router.forward("Frage", "nirgendwo")
    with pytest.raises(ValueError, match="nirgendwo"):
        router.forward("Frage", "kultur", "nirgendwo")


def test_the_router_needs_two_departments():
    with pytest.raises(ValueError):
        Classifier(example_departments()[:1])


def test_two_departments_are_enough():
    router = Classifier(example_departments()[:2])
    assert router.classify("Wann fährt der Bus?").department == "mobilitaet"
    assert router.classify("Wann wird der Biomüll abgeholt?").department == "umwelt"


@pytest.mark.parametrize(
    ("text", "department"),
    [
        ("My landlord wants to evict me", "soziales"),
        ("grant to insulate my roof", "umwelt"),
        ("Mein Vermieter will mich rauswerfen", "soziales"),
        ("mosquitoes near the pond", "umwelt"),
    ],
)
def test_what_a_new_user_asked_in_issue_15_is_offered_the_right_department(
    router, text, department
):
    """Among the three the citizen may choose from; "rauswerfen" is a keyword of Soziales
    since this issue, so the German sentence is no test of generalisation."""
    assert department in router.classify(text).candidates[:3]


def test_accuracy_floor_on_development_questions(router):
    """A regression guard on `routing-dev3.jsonl` (development data, not among the examples).

    `python -m bench.classify` measured top-1 0.980 and top-3 1.000 on its 352 questions, and
    1.000 right among those routed without asking; the floors sit a few questions below, so
    that a harmless change to the departments file does not break the build while a real
    regression does. Training is seeded, so the test cannot flake.
    """
    rows = [json.loads(line) for line in DEV3.read_text(encoding="utf-8").splitlines()]
    results = [(row["department"], router.classify(row["text"])) for row in rows]
    top1 = sum(result.department == expected for expected, result in results) / len(rows)
    top3 = sum(expected in result.candidates[:3] for expected, result in results) / len(rows)
    confident = [(e, r) for e, r in results if r.confident]
    precision = sum(r.department == e for e, r in confident) / len(confident)
    assert top1 >= 0.96
    assert top3 >= 0.99
    assert precision >= 0.98


def test_only_words_of_the_departments_file_count_as_recognised(router):
    assert router.recognises("Mehr Radständer am Bahnhof")
    assert router.recognises("Wohngedl")  # a typo of a known word
    assert not router.recognises("Blubb blabb blobb")
    assert not router.recognises("ich hab mal ne frage")


def test_tf_idf_weighs_like_scikit_learn():
    """`TfidfVectorizer(sublinear_tf=True)` gave these rows (columns bahn, bus, radweg) when
    the router still used scikit-learn; an empty text stays empty."""
    index, _, rows = router_module._tfidf(
        iter([["bus", "bus", "bahn"], ["bahn"], [], ["radweg", "bus"]])
    )
    dense = np.zeros((4, len(index)))
    for row in range(4):
        entries = slice(rows.indptr[row], rows.indptr[row + 1])
        dense[row, rows.indices[entries]] = rows.data[entries]
    expected = [
        [0.508542, 0.861037, 0.0],
        [1.0, 0.0, 0.0],
        [0.0, 0.0, 0.0],
        [0.0, 0.61913, 0.785288],
    ]
    columns = [index["bahn"], index["bus"], index["radweg"]]
    assert dense[:, columns] == pytest.approx(np.array(expected), abs=1e-6)


def test_training_gives_the_same_model_every_time():
    """The seed is fixed: two trainings (not the cached model) agree to the last bit."""
    texts = tuple(router_module._training_texts(d) for d in example_departments()[:3])
    first, second = (router_module._trained.__wrapped__(texts) for _ in range(2))
    assert np.array_equal(first.word_block.weights, second.word_block.weights)
    assert np.array_equal(first.gram_block.weights, second.gram_block.weights)
    assert np.array_equal(first.intercept, second.intercept)


_TRAIN_AND_LIST_MODULES = """
import sys
from bot.config import example_departments_file, load_departments
from handlers.questions.classifier import Classifier
Classifier(load_departments(example_departments_file(), [])).classify("Wann kommt der Bus?")
print(sorted({name.split(".")[0] for name in sys.modules} & {"sklearn", "scipy"}))
"""


def test_the_router_needs_neither_scikit_learn_nor_scipy():
    """They cost the bot about 85 MB and a second at start (`python -m
    bench.router_startup`); numpy does the work. A fresh interpreter trains and classifies."""
    loaded = subprocess.run(
        [sys.executable, "-c", _TRAIN_AND_LIST_MODULES],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    ).stdout
    assert loaded.strip() == "[]"
