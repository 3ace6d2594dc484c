"""The shared normaliser of chat text (router and similar-idea index alike)."""

import pytest

from handlers.text.normalise import (
    PLACES,
    STOPWORDS,
    Speller,
    fold,
    german_stem,
    is_noise,
    stems,
    tokens,
)


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
        ("Parkplätze", "Parkplatz"),
        ("Straßen", "Straße"),
        ("Konzerte", "Konzert"),
        ("Ergebnisse", "Ergebnis"),
        ("charging", "charge"),
        ("libraries", "library"),
        ("evicted", "eviction"),
    ],
)
def test_inflections_share_a_stem_in_one_of_the_languages(inflected, base):
    assert set(stems(fold(inflected))) & set(stems(fold(base)))


def test_stopwords_and_places_come_from_the_data_files():
    assert {"bitte", "gibt", "please", "the"} <= STOPWORDS
    assert {"wurzburg", "wurzburger", "hochberg", "heidingsfeld", "zellerau"} <= PLACES
    words = tokens("Hallo, gibt es in Heidingsfeld bitte einen Radweg? Please!")
    assert [word for word in words if not is_noise(word)] == ["radweg"]
    assert not is_noise("heidingsfeld", places=False)


def test_a_word_one_typo_away_is_read_as_the_known_word():
    speller = Speller(["wohngeld", "stadtbucherei", "glasfaser", "bus", "radweg"])
    assert speller.correct("wohngled") == "wohngeld"  # letters swapped: one edit
    assert speller.correct("wohngld") == "wohngeld"
    assert speller.correct("stadtbucherie") == "stadtbucherei"  # two edits from nine letters
    assert speller.correct("glasfasrr") == "glasfaser"
    assert speller.correct("bsu") is None  # too short to guess
    assert speller.correct("wohngeld") is None  # known


def test_an_unknown_word_with_two_equally_close_known_words_is_left_alone():
    assert Speller(["kabeln", "kabels"]).correct("kabelx") is None


def test_the_stemmers_are_snowball():
    assert german_stem("haltestellen") == "haltestell"
    assert stems("parking") == ("parking", "park")
