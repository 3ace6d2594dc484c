"""Erasure replaces a person's id and names in stored text, and nobody else's."""

from storage.privacy.personal_data import scrub

LABEL = "gelöschte*r Nutzer*in"


def test_ids_and_names_are_replaced_where_they_stand_as_whole_words():
    text = "Frage von Anna Maria (@anna:example.org), Antwort an Anna."
    needles = {"@anna:example.org", "Anna Maria", "Anna"}
    assert scrub(text, needles, LABEL) == f"Frage von {LABEL} ({LABEL}), Antwort an {LABEL}."


def test_an_id_of_one_platform_is_not_found_inside_another_platforms_id():
    text = "asker @bernd:localhost, also known as @berndt"
    assert scrub(text, {"@bernd"}, LABEL) == text


def test_a_name_is_not_found_inside_a_longer_name_or_an_id():
    text = "Annabelle, Anna-Lena and @anna.b:example.org"
    assert scrub(text, {"Anna"}, LABEL) == text


def test_values_that_are_not_text_stay():
    assert scrub(7, {"7"}, LABEL) == 7
