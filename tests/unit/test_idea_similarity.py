"""Similar-idea detection on German chat text: spellings, inflections, compounds, speed."""

import random

import pytest

from handlers.ideas.similarity import SimilarityIndex, stem, stems
from handlers.text.normalise import fold


def test_umlauts_and_their_ascii_spellings_are_one_word():
    assert fold("Ständer") == fold("Staender") == fold("STÄNDER")
    assert fold("Straße") == fold("Strasse")
    assert stems("Grünfläche") == stems("Gruenflaeche")


@pytest.mark.parametrize(
    ("forms"),
    [
        ("Radweg", "Radwege", "Radwegen", "Radwegs"),
        ("Bank", "Bänke", "Baenke"),
        ("Baum", "Bäume", "Bäumen"),
        ("Kind", "Kinder", "Kindern"),
        ("Haltestelle", "Haltestellen"),
        ("Platz", "Plätze"),
    ],
)
def test_inflections_share_a_stem(forms):
    assert len({stem(form) for form in forms}) == 1, {form: stem(form) for form in forms}


def test_stop_words_do_not_count():
    assert stems("Mehr und bitte endlich die Bänke am Mainufer") == stems("Bänke Mainufer")


@pytest.fixture
def index():
    return SimilarityIndex.build(
        [
            (1, "Fahrradständer am Hauptbahnhof fehlen"),
            (2, "Mehr Bänke am Mainufer"),
            (3, "Bessere Beleuchtung im Ringpark"),
            (4, "Mehr Bäume in der Innenstadt pflanzen"),
            (5, "Kostenloses WLAN in der Stadtbücherei"),
        ]
    )


def test_compounds_match_their_parts_both_ways(index):
    assert [m.number for m in index.similar("Mehr Radständer am Bahnhof")] == [1]
    fresh = SimilarityIndex.build([(7, "Radständer am Bahnhof")])
    assert [m.number for m in fresh.similar("Fahrradstaender beim Hauptbahnhof")] == [7]


def test_inflected_and_ascii_spelled_duplicates_are_found(index):
    assert [m.number for m in index.similar("Neue Sitzbaenke am Mainufer aufstellen")] == [2]
    assert [m.number for m in index.similar("Baum pflanzen in der Innenstadt")] == [4]


def test_unrelated_ideas_are_not_similar(index):
    assert index.similar("Längere Öffnungszeiten im Schwimmbad") == []
    assert index.similar("und oder aber bitte") == []


def test_best_matches_first_and_at_most_the_limit():
    index = SimilarityIndex.build(
        [(n, f"Mehr Radständer am Bahnhof Nummer{n}") for n in range(1, 6)]
        + [(9, "Mehr Radständer am Bahnhof")]
    )
    found = index.similar("Mehr Radständer am Bahnhof", limit=3)
    assert len(found) == 3 and found[0].number == 9
    assert found[0].score >= found[1].score >= found[2].score


def test_add_remove_and_exclude_keep_the_index_current(index):
    index.remove(1)
    assert index.similar("Radständer am Bahnhof") == []
    index.add(11, "Radständer am Bahnhof gesucht")
    assert [m.number for m in index.similar("Radständer am Bahnhof")] == [11]
    assert index.similar("Radständer am Bahnhof", exclude=11) == []
    index.add(11, "Ganz etwas anderes: Trinkbrunnen")  # re-adding replaces the old text
    assert index.similar("Radständer am Bahnhof") == []
    index.remove(999)  # unknown numbers are ignored
    assert 11 in index and 1 not in index


def test_a_large_index_finds_the_same_idea_among_thousands():
    """Timing is measured by `python -m bench.ideas_similarity`; this checks the results."""
    rng = random.Random(1)
    words = ["".join(rng.choices("abcdefghiklmnoprstuvwz", k=7)) for _ in range(3000)]
    ideas = [(n, " ".join(rng.sample(words, 8))) for n in range(1, 20_001)]
    index = SimilarityIndex.build(ideas)
    for number, text in ideas[:50]:
        assert index.similar(text)[0].number == number
