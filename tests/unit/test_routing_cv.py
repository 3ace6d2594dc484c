"""The cross-validation of `bench.routing_cv` holds out what it claims to hold out."""

from bench.classify import Question
from bench.keyword_overlap import keyword_words, shared_keywords
from bench.routing_cv import FOLDS, folds_of, without_fold
from bot.config import Department

DEPARTMENTS = (
    Department(
        id="mobilitaet",
        name="Verkehr",
        rooms={},
        keywords=("Bus", "Haltestelle", "Radweg"),
        examples=("Wann fährt der Bus?", "Der Radweg ist kaputt."),
    ),
    Department(
        id="umwelt",
        name="Umwelt",
        rooms={},
        keywords=("Müll", "Baum"),
        examples=("Wann kommt die Müllabfuhr?",),
    ),
)
FOLD = [Question("wann fährt der bus", "mobilitaet"), Question("Mülltonne voll", "umwelt")]


def test_the_folds_split_every_question_once():
    questions = [Question(f"frage {n}", "umwelt") for n in range(23)]
    folds = folds_of(questions, seed=1)
    assert len(folds) == FOLDS
    assert sorted(q.text for fold in folds for q in fold) == sorted(q.text for q in questions)


def test_a_held_out_question_is_no_example_however_it_is_spelt():
    held = without_fold(DEPARTMENTS, FOLD, "held out", seed=1)
    assert held[0].examples == ("Der Radweg ist kaputt.",)
    assert held[1].examples == DEPARTMENTS[1].examples
    assert [d.keywords for d in held] == [d.keywords for d in DEPARTMENTS]


def test_no_keyword_leaves_each_question_no_keyword_of_its_department():
    held = without_fold(DEPARTMENTS, FOLD, "no keyword", seed=1)
    assert held[0].keywords == ("Haltestelle", "Radweg")
    assert held[1].keywords == ("Baum",)
    for question in FOLD:
        department = next(d for d in held if d.id == question.department)
        assert shared_keywords(question.text, keyword_words(department.keywords)) == []


def test_dropping_keywords_keeps_the_rest():
    held = without_fold(DEPARTMENTS, FOLD, "-40% kw", seed=1)
    assert len(held[0].keywords) == 2
    assert set(held[0].keywords) < set(DEPARTMENTS[0].keywords)
