"""Command argument parsing: quotes as Germans type them, numbers, free text, options."""

import pytest

from bot.arguments import Choice, Number, Option, Text, Word, parse_arguments, tokenize
from bot.errors import UsageError


def test_tokenize_keeps_german_and_straight_quotes_together():
    values = [t.value for t in tokenize('„Welches Thema?“ "Mobilität heute" Radwege')]
    assert values == ["Welches Thema?", "Mobilität heute", "Radwege"]


def test_unclosed_quote_is_a_usage_error():
    with pytest.raises(UsageError) as error:
        tokenize('"offen')
    assert error.value.key == "errors.unbalanced_quote"


def test_text_keeps_original_spacing():
    parsed = parse_arguments("12   Mehr  Bänke am Mainufer ", [Number("n"), Text("text")])
    assert parsed == {"n": 12, "text": "Mehr  Bänke am Mainufer"}


@pytest.mark.parametrize("raw", ["#7", "7"])
def test_number_accepts_hash_prefix(raw):
    assert parse_arguments(raw, [Number("n")]) == {"n": 7}


@pytest.mark.parametrize("raw", ["0", "-3", "zwölf", "1" * 12, "١٢"])
def test_number_rejects_what_is_no_reference(raw):
    with pytest.raises(UsageError) as error:
        parse_arguments(raw, [Number("n")])
    assert error.value.key == "errors.not_a_number"


def test_text_length_bounds():
    with pytest.raises(UsageError) as error:
        parse_arguments("kurz", [Text("text", min_length=10)])
    assert error.value.params == {"min": 10, "max": 2000, "length": 4}


def test_choice_maps_both_languages_to_one_value():
    choice = Choice("lang", choices={"deutsch": "de", "english": "en"})
    assert parse_arguments("English", [choice]) == {"lang": "en"}
    with pytest.raises(UsageError):
        parse_arguments("klingonisch", [choice])


def test_options_in_german_or_english_and_flags():
    options = [Option("dauer", "duration"), Option("geheim", "secret", flag=True)]
    parsed = parse_arguments('"Frage" --duration 2h --geheim', [Word("q")], options)
    assert parsed == {"q": "Frage", "dauer": "2h", "geheim": True}


def test_unknown_option_and_missing_value():
    with pytest.raises(UsageError) as error:
        parse_arguments("--farbe rot", [], [Option("dauer", "duration")])
    assert error.value.key == "errors.unknown_option"
    with pytest.raises(UsageError) as error:
        parse_arguments("--dauer", [], [Option("dauer", "duration")])
    assert error.value.key == "errors.option_value"


def test_missing_and_surplus_arguments():
    with pytest.raises(UsageError) as error:
        parse_arguments("", [Number("n")])
    assert error.value.key == "errors.missing_argument"
    assert parse_arguments("", [Word("w", optional=True)]) == {"w": None}
    with pytest.raises(UsageError) as error:
        parse_arguments("1 2", [Number("n")])
    assert error.value.key == "errors.too_many_arguments"


def test_free_text_leaves_out_the_options_around_it():
    options = [Option("oeffentlich", "public", flag=True), Option("dauer", "duration")]
    parsed = parse_arguments(
        "Wann kommt Glasfaser --public nach Rimpar? --dauer 2h", [Text("text")], options
    )
    assert parsed["oeffentlich"] is True and parsed["dauer"] == "2h"
    assert " ".join(parsed["text"].split()) == "Wann kommt Glasfaser nach Rimpar?"
