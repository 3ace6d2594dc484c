"""The Leichte Sprache catalog (`bot/locales/leicht`) against the rules it is written by.

The rules of the Netzwerk Leichte Sprache and DIN SPEC 33429 that a machine can check:
every message exists, with the same placeholders as German; short sentences; no
abbreviations, officialese, subjunctive, genitive article or semicolon; long compounds split
with the mid-dot; and the whole catalog reads clearly easier than the German one. What a
machine cannot check (active voice, one idea per sentence, the same word for the same thing)
is what the catalog's author and reviewers look at; see docs/leichte-sprache.md.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bench.leichte_sprache import DATE_PATTERNS, is_syntax, prose, readability, sentences, words
from bot.i18n import EASY_LANGUAGE, Catalog, placeholders
from bot.short_messages import MAX_LINES
from bot.texts import local_time

MAX_WORDS = 12
ABBREVIATIONS = re.compile(
    r"\b(?:z\.\s?B|bzw|Nr|ca|usw|ggf|d\.\s?h|u\.\s?a|inkl|evtl|vgl|etc|bspw|sog|Art|Abs|"
    r"Min|Std|Tel|max|min|T)\.|\bNr\b"
)
OFFICIALESE = (
    "gemäß",
    "bezüglich",
    "seitens",
    "Antragsteller",
    "hinsichtlich",
    "diesbezüglich",
    "zwecks",
    "mittels",
    "vorbehaltlich",
    "unverzüglich",
    "obliegt",
    "Inanspruchnahme",
    "nachgehakt",
    "zuständig",
)
SUBJUNCTIVE = ("würde", "würden", "könnte", "könnten", "hätte", "hätten", "wäre", "wären")
GENITIVE_ARTICLE = "des"
"""Always genitive; Leichte Sprache writes "von dem" instead."""
LONGEST_WORD = 15
"""Letters in a row before a compound must be split (Halte·stelle) or hyphenated."""
ACRONYMS_EXPLAINED = {"CSV", "JSON"}
"""File formats named by their usual name, always as "CSV-Datei"/"JSON-Datei"."""
TZ = ZoneInfo("Europe/Berlin")
MENU_ONLY = "arguments."
"""Names and descriptions of a platform's command menu (Discord's slash commands): the
platform shows them by its own language setting, which knows German and English only."""


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


def long_sentences(catalog: Catalog, language: str) -> list[tuple[str, int, str]]:
    return [
        (key, len(words(sentence)), sentence)
        for key, text in prose(catalog, language).items()
        for sentence in sentences(text)
        if len(words(sentence)) > MAX_WORDS
    ]


def forbidden(catalog: Catalog, language: str) -> list[tuple[str, str]]:
    """(key, what) for every abbreviation, officialese word, subjunctive, genitive article,
    semicolon, unexplained acronym and unsplit long compound in the catalog."""
    found = []
    bad_words = {w.casefold() for w in (*OFFICIALESE, *SUBJUNCTIVE, GENITIVE_ARTICLE)}
    for key in sorted(catalog.keys(language)):
        text = catalog.raw(language, key)
        found += [(key, hit.group()) for hit in ABBREVIATIONS.finditer(text)]
        if is_syntax(key):
            continue
        readable = prose(catalog, language)[key]
        tokens = re.findall(r"[\wÄÖÜäöüß]+", readable)
        found += [(key, token) for token in tokens if token.casefold() in bad_words]
        found += [(key, ";") for _ in re.findall(";", readable)]
        found += [
            (key, token)
            for token in re.findall(r"\b[A-ZÄÖÜ]{2,}\b", readable)
            if token not in ACRONYMS_EXPLAINED
        ]
        found += [
            (key, token)
            for token in re.findall(r"[A-Za-zÄÖÜäöüß]+", readable)
            if len(token) > LONGEST_WORD
        ]
    return found


# ----------------------------------------------------------------- the catalog itself


def test_leichte_sprache_has_every_german_message_and_nothing_else(catalog):
    german, easy = catalog.keys("de"), catalog.keys(EASY_LANGUAGE)
    german = {key for key in german if not key.startswith(MENU_ONLY)}
    assert german - easy == set(), "missing in Leichte Sprache"
    assert easy - german == set(), "only in Leichte Sprache"


def test_leichte_sprache_uses_the_placeholders_of_german(catalog):
    for key in catalog.keys("de"):
        if key.startswith(MENU_ONLY):
            continue
        if key.endswith(DATE_PATTERNS):
            continue  # a pattern, not a message: see test_dates_in_leichte_sprache
        assert placeholders(catalog.raw("de", key)) == placeholders(
            catalog.raw(EASY_LANGUAGE, key)
        ), key


def test_no_sentence_in_leichte_sprache_has_more_than_twelve_words(catalog):
    assert long_sentences(catalog, EASY_LANGUAGE) == []


def test_leichte_sprache_has_no_abbreviation_officialese_or_hard_grammar(catalog):
    assert forbidden(catalog, EASY_LANGUAGE) == []


INLINE_PREFIXES = (
    "roles.",
    "ideas.statuses.",
    "ideas.view_",
    "questions.status.",
    "questions.age_",
    "polls.status_",
    "workshops.seats.",
    "workshops.repeat.",
    "workshops.weekday.",
    "workshops.month.",
    "privacy.server.",
    "privacy.unset",
)
"""Texts the bot puts inside a line of another message (a list entry, a card)."""


def test_texts_shown_inside_a_line_are_one_line(catalog):
    inline = [k for k in catalog.keys(EASY_LANGUAGE) if k.startswith(INLINE_PREFIXES)]
    assert len(inline) > 30
    assert [k for k in inline if "\n" in catalog.raw(EASY_LANGUAGE, k)] == []


def test_every_paragraph_of_leichte_sprache_fits_one_short_message(catalog):
    """The author decides where a long message is split (an empty line); only lists that
    code assembles are cut by line count (bot.short_messages)."""
    too_long = [
        (key, paragraph.count("\n") + 1)
        for key in catalog.keys(EASY_LANGUAGE)
        for paragraph in catalog.raw(EASY_LANGUAGE, key).split("\n\n")
        if paragraph.count("\n") + 1 > MAX_LINES
    ]
    assert too_long == []


def test_leichte_sprache_reads_clearly_easier_than_german(catalog):
    """German Flesch (Amstad): at least 8 points easier; Wiener Sachtextformel: at least
    two school years lower. `python -m bench.leichte_sprache` prints the numbers."""
    german, easy = readability(catalog, "de"), readability(catalog, EASY_LANGUAGE)
    assert easy.flesch_catalog >= german.flesch_catalog + 8
    assert easy.flesch_mean >= german.flesch_mean + 8
    assert easy.wiener_catalog <= german.wiener_catalog - 2
    assert easy.longest_sentence <= MAX_WORDS < german.longest_sentence


# -------------------------------------------------------- the checks can fail


def _catalog_with(language_texts: dict[str, str]) -> Catalog:
    real = Catalog.load()
    messages = {
        language: {key: real.raw(language, key) for key in real.keys(language)}
        for language in real.languages
    }
    messages[EASY_LANGUAGE].update(language_texts)
    return Catalog(messages, real.default)


def test_the_checks_find_what_the_rules_forbid():
    bad = _catalog_with(
        {
            "errors.usage": "Gemäß der Satzung würde ich das z. B. bzw. ggf. prüfen; Nr. 3.",
            "errors.internal": "Eins zwei drei vier fünf sechs sieben acht neun zehn elf zwölf "
            "dreizehn.",
            "errors.choice": "Die Daten des Antragstellers gehen an die "
            "DSGVO-Bürgerbeteiligungsplattform {value} {choices}.",
        }
    )
    assert [(key, n) for key, n, _ in long_sentences(bad, EASY_LANGUAGE)] == [
        ("errors.internal", 13)
    ]
    found = set(forbidden(bad, EASY_LANGUAGE))
    assert {
        ("errors.usage", "z. B."),
        ("errors.usage", "bzw."),
        ("errors.usage", "ggf."),
        ("errors.usage", "Nr."),
        ("errors.usage", "Gemäß"),
        ("errors.usage", "würde"),
        ("errors.usage", ";"),
        ("errors.choice", "des"),
        ("errors.choice", "DSGVO"),
        ("errors.choice", "Bürgerbeteiligungsplattform"),
    } <= found
    assert ("errors.choice", "Antragstellers") not in found  # only the listed form
    assert {key for key, _ in found} == {"errors.usage", "errors.choice"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hallo!\nIch bin ein Bot.", ["Hallo!", "Ich bin ein Bot."]),
        ("Dienstag, 3. Dezember, 18 Uhr. Danke!", ["Dienstag, 3. Dezember, 18 Uhr.", "Danke!"]),
        ("Wann: 1\nWo: 1", ["Wann:", "1", "Wo:", "1"]),
        ("• Nummer 1 → 1 – 👍 1 – offen", ["Nummer 1 → 1", "👍 1", "offen"]),
        ("„Frage“ „Antwort 1“. Weiter", ["„Frage“ „Antwort 1“.", "Weiter"]),
    ],
)
def test_sentences_split_at_ends_lines_labels_and_list_parts(text, expected):
    assert sentences(text) == expected


def test_a_placeholder_counts_as_one_word(catalog):
    assert words(prose(catalog, EASY_LANGUAGE)["ideas.similar_line"]) == ["#1", "1"]


# --------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("key", "when", "written"),
    [
        (
            "polls.date_format",
            datetime(2026, 12, 1, 18, 0, tzinfo=TZ),
            "Dienstag, 1. Dezember, 18 Uhr",
        ),
        (
            "polls.date_format",
            datetime(2026, 12, 3, 9, 30, tzinfo=TZ),
            "Donnerstag, 3. Dezember, 09:30 Uhr",
        ),
        (
            "ideas.date_format",
            datetime(2027, 1, 4, 8, 0, tzinfo=TZ),
            "Montag, 4. Januar 2027, 8 Uhr",
        ),
        (
            "moderation.date_format",
            datetime(2026, 12, 6, 23, 15, tzinfo=TZ),
            "Sonntag, 6. Dezember 2026, 23:15 Uhr",
        ),
        (
            "web.datetime_format",
            datetime(2026, 12, 8, 18, 0, tzinfo=TZ),
            "Dienstag, 8. Dezember 2026, 18 Uhr",
        ),
        ("web.date_format", datetime(2026, 12, 8, 18, 0, tzinfo=TZ), "Dienstag, 8. Dezember 2026"),
    ],
)
def test_dates_in_leichte_sprache(catalog, key, when, written):
    assert local_time(catalog, EASY_LANGUAGE, key, when, TZ) == written


def test_german_dates_are_unchanged(catalog):
    when = datetime(2026, 12, 1, 18, 0, tzinfo=TZ)
    assert local_time(catalog, "de", "polls.date_format", when, TZ) == "01.12.2026, 18:00 Uhr"
