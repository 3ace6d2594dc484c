"""The question router: German chat text normalised, questions routed, corrections learnt."""

import json
from pathlib import Path

import pytest

from bot.config import Department, example_departments_file, load_departments
from handlers.questions.classifier import CONFIDENT, Classifier, fold, normalise

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA = PROJECT_ROOT / "bench" / "data"
DEV3 = DATA / "routing-dev3.jsonl"


def example_departments() -> tuple[Department, ...]:
    problems: list[str] = []
    departments = load_departments(example_departments_file(), problems)
    assert problems == []
    return departments


@pytest.fixture(scope="module")
def router() -> Classifier:
    """One router for the read-only tests; learning tests build their own."""
    return Classifier(example_departments())


@pytest.mark.parametrize(
    "spellings",
    [
        ("Müll", "Muell", "muell", "MÜLL"),
        ("Straße", "Strasse", "STRASSE"),
        ("Ärzte", "Aerzte", "ärzte"),
        ("Bürgerbüro", "Buergerbuero", "buergerbüro"),
        ("Grünflächen", "Gruenflaechen"),
    ],
)
def test_umlauts_and_their_ascii_spellings_are_one_word(spellings):
    assert len({tuple(normalise(spelling)) for spelling in spellings}) == 1
    assert len({fold(spelling) for spelling in spellings}) == 1


@pytest.mark.parametrize(
    ("inflected", "base"),
    [
        ("Ampeln", "Ampel"),
        ("Kindern", "Kind"),
        ("Kinder", "Kind"),
        ("Impfungen", "Impfung"),
        ("Schulen", "Schule"),
        ("Tickets", "Ticket"),
        ("Bäume", "Baum"),
        ("Busse", "Bus"),
        ("Parkplätze", "Parkplatz"),
        ("Straßen", "Straße"),
        ("Konzerte", "Konzert"),
        ("Bürgerinnen", "Bürger"),
        ("Ergebnisse", "Ergebnis"),
        ("Kitas", "Kita"),
        ("charging", "charge"),
        ("libraries", "library"),
    ],
)
def test_inflections_meet_their_base_form(inflected, base):
    assert normalise(inflected) == normalise(base)


def test_stopwords_in_german_and_english_carry_no_topic():
    assert normalise("Hallo, wie kann ich das bitte machen? Gibts da was?") == []
    assert normalise("Is there anyone who can help me with this, please?") == []


def test_place_names_of_city_and_county_say_nothing_about_the_topic(router):
    places = (
        "Würzburg Würzburger Zellerau Heidingsfeld Höchberg Hoechberg Ochsenfurt Randersacker "
        "Rimpar Veitshöchheim Gerbrunn Sanderau Grombühl Lengfeld Kürnach Zell"
    )
    assert normalise(places) == []
    assert router.normalise(places) == []
    plain = router.classify("Wann wird die Gelbe Tonne abgeholt?")
    placed = router.classify("Wann wird in Heidingsfeld die Gelbe Tonne abgeholt?")
    assert placed == plain


def test_street_names_are_places_too(router):
    assert router.normalise("Domstraße Sanderring Barbarossaplatz Mainkai") == []


@pytest.mark.parametrize(
    ("compound", "parts"),
    [
        ("Glasfaserbaustelle", ("Glasfaser", "Baustelle")),
        ("Radwegebeleuchtung", ("Radweg", "Beleuchtung")),
        ("Radständer", ("Rad", "Ständer")),
        ("Spielplatzsanierung", ("Spielplatz", "Sanierung")),
    ],
)
def test_unknown_compounds_are_split_into_known_parts(router, compound, parts):
    assert router.normalise(compound) == [word for part in parts for word in router.normalise(part)]


def test_compound_parts_route_like_the_words(router):
    assert router.classify("Radständer am Bahnhof").department == "mobilitaet"
    assert router.classify("Fahrradständer fehlen am Bahnhof").department == "mobilitaet"
    assert router.classify("Glasfaserbaustelle vor dem Haus").department == "digitales"


def test_an_unknown_compound_keeps_its_known_head_and_modifier(router):
    assert router.normalise("Heuchelhofbad") == router.normalise("Bad")
    assert router.normalise("Klimaschutzstrategie")[0] == router.normalise("Klimaschutz")[0]


def test_a_short_word_inside_an_unknown_word_is_no_evidence(router):
    """The end of "renovating" stems to "vat", as "Vater" does; that is no evidence."""
    assert router.normalise("renovating") != router.normalise("Vater")


def test_a_keyword_phrase_written_apart_is_read_as_the_phrase(router):
    """The word "care" alone is ambiguous (day care, care home); "care home" is not."""
    result = router.classify("I am looking for a care home")
    assert result.department == "gesundheit"
    assert result.confidence >= CONFIDENT


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("wohngled", "Wohngeld"),
        ("Stadtbücherie", "Stadtbücherei"),
        ("strassenbhan", "Straßenbahn"),
        ("kitaplaz", "Kitaplatz"),
        ("Glasfasrr", "Glasfaser"),
    ],
)
def test_a_typo_is_read_as_the_known_word(router, typo, meant):
    assert router.normalise(typo) == router.normalise(meant)


def test_words_written_apart_meet_the_known_compound(router):
    assert router.normalise("bayern id") == router.normalise("BayernID")
    assert router.normalise("e auto") == router.normalise("E-Auto")


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
def test_clear_questions_go_to_their_department_with_confidence(router, department, text):
    result = router.classify(text)
    assert result.department == department
    assert result.confidence >= CONFIDENT


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
    # than about either alone (true of any naive Bayes mix), and far from routing at once.
    assert both.confidence < min(parking.confidence, playground.confidence)
    assert both.confidence < CONFIDENT - 0.1
    assert set(both.candidates[:2]) == {"mobilitaet", "bildung"}


def test_an_unknown_word_votes_only_weakly(router):
    """A word the router has never seen gets a hint from its letter groups, never a verdict."""
    result = router.classify("Zwischenfruchtbegrünungsgedöns")
    assert result.confidence < CONFIDENT
    assert router.classify("Quaxelbrummer").confidence < CONFIDENT


def test_without_a_known_word_all_departments_are_equally_likely(router):
    result = router.classify("ich hab mal ne frage")
    assert result.confidence == pytest.approx(1 / len(router.departments))
    assert result.candidates == router.departments


def test_an_experts_correction_changes_the_route_of_a_similar_question():
    router = Classifier(example_departments())
    question = "Wo liegen in Würzburg überall Stolpersteine?"
    assert router.classify(question).department != "kultur"
    router.learn("Wer putzt die Stolpersteine und wer verlegt neue?", "kultur")
    assert router.classify(question).department == "kultur"


def test_a_correction_can_outweigh_the_departments_file():
    question = "Wer ist für die Beleuchtung am Spielplatz zuständig?"
    before = Classifier(example_departments()).classify(question).department
    corrections = [
        ("Die Beleuchtung am Spielplatz ist kaputt", "bauen"),
        ("Spielplatz ohne Beleuchtung, wer repariert das?", "bauen"),
    ]
    assert before != "bauen"
    assert Classifier(example_departments(), corrections).classify(question).department == "bauen"


def test_learning_for_an_unknown_department_is_refused(router):
    with pytest.raises(ValueError, match="nirgendwo"):
        router.learn("Frage", "nirgendwo")


def test_the_router_needs_two_departments():
    with pytest.raises(ValueError):
        Classifier(example_departments()[:1])


def test_accuracy_floor_on_development_questions(router):
    """A correctness guard on development data (the keywords were grown alongside it).

    The router reached top-1 0.969 and top-3 0.997 on these 352 questions, with 93 % at or
    above `CONFIDENT` and 98.5 % of those right, and the right department among the three
    offered for 24 of the 25 others. The floors sit a few questions below (top-1: 6, top-3:
    4), so that a harmless change to the departments file does not break the build while a
    real regression does; classification is deterministic, so the test cannot flake.
    """
    rows = [json.loads(line) for line in DEV3.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 300
    assert {row["department"] for row in rows} == set(router.departments)
    results = [(row["department"], router.classify(row["text"])) for row in rows]
    top1 = sum(result.department == expected for expected, result in results) / len(rows)
    top3 = sum(expected in result.candidates[:3] for expected, result in results) / len(rows)
    confident = [
        (expected, result) for expected, result in results if result.confidence >= CONFIDENT
    ]
    right = sum(result.department == expected for expected, result in confident)
    offered_below = [
        expected in result.candidates[:3]
        for expected, result in results
        if result.confidence < CONFIDENT
    ]
    assert top1 >= 0.95
    assert top3 >= 0.985
    assert len(confident) / len(rows) >= 0.85
    assert right / len(confident) >= 0.96
    # Below the threshold the citizen chooses among three: the right one must be there.
    assert sum(offered_below) / max(len(offered_below), 1) >= 0.9
