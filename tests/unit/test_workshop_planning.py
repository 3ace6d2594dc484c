"""When workshop effects fall due: local calendar days, elapsed hours, series steps."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.timeparse import TimeParseError, parse_date
from handlers.workshops.planning import (
    MONTHLY,
    WEEKLY,
    add_months,
    before,
    following_slot,
    next_slot,
    plan_effects,
)

TZ = ZoneInfo("Europe/Berlin")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


def test_day_offsets_keep_the_local_time_and_hour_offsets_count_elapsed_time():
    # Sunday 25 October 2026: the clocks went back at 03:00 that night.
    starts = local(2026, 10, 25, 18, 0)
    assert before(starts, timedelta(days=1), TZ) == local(2026, 10, 24, 18, 0)
    assert before(starts, timedelta(days=7), TZ) == local(2026, 10, 18, 18, 0)
    # 25 hours passed between those two; elapsed offsets count real time instead:
    assert before(starts, timedelta(hours=25), TZ) == local(2026, 10, 24, 18, 0)
    assert before(starts, timedelta(hours=3), TZ) == local(2026, 10, 25, 15, 0)
    assert before(local(2026, 10, 25, 3, 30), timedelta(hours=2), TZ) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )  # 02:30 CEST, the first of the two 02:30s that night


def test_plan_skips_what_is_already_due_and_adds_the_next_occurrence_of_a_series():
    starts = local(2026, 12, 3, 18, 0)
    now = local(2026, 11, 30, 9, 0)
    planned = plan_effects(
        starts, now, TZ, (timedelta(days=7), timedelta(days=1)), (timedelta(hours=1),),
        recurring=True,
    )  # fmt: skip
    assert [(p.kind, p.due_at.astimezone(TZ), p.skipped) for p in planned] == [
        ("announce", local(2026, 11, 26, 18, 0), True),
        ("announce", local(2026, 12, 2, 18, 0), False),
        ("remind", local(2026, 12, 3, 17, 0), False),
        ("next", local(2026, 12, 3, 18, 0), False),
    ]
    assert all(p.due_at.tzinfo is UTC for p in planned)


def test_weekly_slots_stay_at_the_same_local_time_across_both_changes():
    autumn = following_slot(local(2026, 10, 20, 18, 0), WEEKLY, TZ)
    assert autumn == local(2026, 10, 27, 18, 0)
    assert autumn.utcoffset() == timedelta(hours=1)
    spring = following_slot(local(2026, 3, 24, 18, 0), WEEKLY, TZ)
    assert spring == local(2026, 3, 31, 18, 0)
    assert spring.utcoffset() == timedelta(hours=2)


def test_monthly_slots_fall_back_to_the_last_day_of_short_months():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)
    slot = following_slot(local(2026, 1, 31, 10, 0), MONTHLY, TZ)
    assert slot == local(2026, 2, 28, 10, 0)


def test_next_slot_skips_missed_slots_and_stops_after_the_end_date():
    slot, missed = next_slot(
        local(2026, 10, 6, 18, 0), WEEKLY, None, TZ, after=local(2026, 10, 21, 9, 0)
    )
    assert (slot, missed) == (local(2026, 10, 27, 18, 0), 2)
    slot, missed = next_slot(
        local(2026, 10, 20, 18, 0), WEEKLY, date(2026, 10, 26), TZ, after=local(2026, 10, 20, 18, 0)
    )
    assert (slot, missed) == (None, 0)


def test_end_dates_are_read_like_the_days_of_moments():
    now = local(2026, 11, 26, 10, 0)
    assert parse_date("31.12.2026", now) == date(2026, 12, 31)
    assert parse_date("2027-01-15", now) == date(2027, 1, 15)
    assert parse_date("Freitag", now) == date(2026, 11, 27)
    with pytest.raises(TimeParseError):
        parse_date("31.12.2026 18:00", now)
