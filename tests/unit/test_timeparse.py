"""Dates, times and durations as people type them, relative to a fixed Monday morning."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.timeparse import TimeParseError, parse_duration, parse_moment

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=BERLIN)  # Monday, 30 November 2026, 09:00


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03.12.2026 18:00", at(2026, 12, 3, 18, 0)),
        ("3.12.26 18:00", at(2026, 12, 3, 18, 0)),
        ("3.12. 18 Uhr", at(2026, 12, 3, 18, 0)),
        ("03.12. 18:00", at(2026, 12, 3, 18, 0)),
        ("am 3.12. um 18.30 Uhr", at(2026, 12, 3, 18, 30)),
        ("2026-12-03 18:00", at(2026, 12, 3, 18, 0)),
        ("2026-12-03T18:00", at(2026, 12, 3, 18, 0)),
        ("morgen 18:00", at(2026, 12, 1, 18, 0)),
        ("Morgen, 18 Uhr", at(2026, 12, 1, 18, 0)),
        ("übermorgen 9:30", at(2026, 12, 2, 9, 30)),
        ("heute 17:00", at(2026, 11, 30, 17, 0)),
        ("Dienstag 18:30", at(2026, 12, 1, 18, 30)),
        ("Di 18:30", at(2026, 12, 1, 18, 30)),
        ("tomorrow 6pm", at(2026, 12, 1, 18, 0)),
        ("tomorrow at 6:30 pm", at(2026, 12, 1, 18, 30)),
        ("Friday 12am", at(2026, 12, 4, 0, 0)),
        ("18:00", at(2026, 11, 30, 18, 0)),
        ("8:00", at(2026, 12, 1, 8, 0)),  # already past today: tomorrow
        ("Montag 10:00", at(2026, 11, 30, 10, 0)),  # later today
        ("Montag 8:00", at(2026, 12, 7, 8, 0)),  # passed today: next week
        ("2.1. 10:00", at(2027, 1, 2, 10, 0)),  # without a year: the next 2 January
    ],
)
def test_moments(text: str, expected: datetime) -> None:
    assert parse_moment(text, MONDAY) == expected


def test_results_are_in_the_zone_of_now_across_daylight_saving() -> None:
    before_change = datetime(2026, 10, 24, 12, 0, tzinfo=BERLIN)
    monday = parse_moment("Montag 12:00", before_change)
    assert monday == at(2026, 10, 26, 12, 0)
    assert monday.utcoffset() == timedelta(hours=1)  # winter time after 25 October


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("03.12.", "time_missing"),
        ("morgen", "time_missing"),
        ("Dienstag", "time_missing"),
        ("31.02.2026 10:00", "date"),
        ("irgendwann", "format"),
        ("18", "format"),
        ("25:00", "format"),
        ("morgen 13pm", "format"),
        ("", "format"),
    ],
)
def test_what_is_not_a_moment(text: str, reason: str) -> None:
    with pytest.raises(TimeParseError) as raised:
        parse_moment(text, MONDAY)
    assert raised.value.reason == reason


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_moment("18:00", datetime(2026, 11, 30, 9, 0))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2h", timedelta(hours=2)),
        ("90m", timedelta(minutes=90)),
        ("90 min", timedelta(minutes=90)),
        ("1d", timedelta(days=1)),
        ("1h30m", timedelta(minutes=90)),
        ("1h 30m", timedelta(minutes=90)),
        ("1 Stunde und 30 Minuten", timedelta(minutes=90)),
        ("1,5h", timedelta(minutes=90)),
        ("2 Stunden", timedelta(hours=2)),
        ("1 Tag", timedelta(days=1)),
        ("3 days", timedelta(days=3)),
        ("1 Woche", timedelta(weeks=1)),
        ("2 HOURS", timedelta(hours=2)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "2", "h", "2x", "0h", "2h dann 3m", "1h30", "-2h"])
def test_what_is_not_a_duration(text: str) -> None:
    with pytest.raises(TimeParseError):
        parse_duration(text)
