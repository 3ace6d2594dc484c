"""Workshops mirrored into a platform's own calendar, with the recording FakeAdapter.

A platform with `calendar_events` gets an entry per workshop, changed on a move and
cancelled on a cancellation; marking interest registers like ✅. A platform without the flag
(Matrix) is never asked.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.adapters.matrix.features import MATRIX_FEATURES
from bot.context import Actor, IncomingInterest, Place
from handlers import help as help_commands
from handlers.workshops import commands as workshops
from tests.unit.fakes import FakeAdapter, FakeBot, make_fake_bot

TZ = ZoneInfo("Europe/Berlin")
STAFF = "@sabine:localhost"
ALICE = "@alice:localhost"
BOB = "@bob:localhost"
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=TZ)
ADD = '!workshop neu "Sprechstunde" 03.12.2026 18:00 "Rathaus" --plaetze 1'


async def start_bot(tmp_path: Path, *, calendar: bool) -> FakeBot:
    adapter = FakeAdapter(features=replace(MATRIX_FEATURES, calendar_events=calendar))
    bot = await make_fake_bot(
        tmp_path, (help_commands, workshops), adapter=adapter, BOT_STAFF_USERS=STAFF
    )
    bot.services.clock.set(NOW)
    return bot


def interest(event_id: str, person: str, target: str, added: bool) -> IncomingInterest:
    return IncomingInterest(
        event_id, Actor("matrix", person, person), Place("!guild", False), target, added, NOW
    )


def direct(bot: FakeBot, user: str) -> list[str]:
    return [s.message.body for s in bot.adapter.sent if s.room_id == f"!dm-{user}"]


async def test_a_platform_without_calendar_events_is_never_asked(tmp_path):
    bot = await start_bot(tmp_path, calendar=False)
    await bot.say(STAFF, ADD)
    await bot.say(STAFF, "!workshop verschieben 1 04.12.2026 18:00")
    await bot.say(STAFF, "!workshop absagen 1")
    assert bot.adapter.calendar == []


async def test_an_entry_follows_the_workshop_and_interest_registers(tmp_path):
    bot = await start_bot(tmp_path, calendar=True)
    await bot.say(STAFF, ADD)
    [(action, entry_id, entry)] = bot.adapter.calendar
    assert action == "create" and entry is not None
    assert entry.title == "Sprechstunde" and entry.location == "Rathaus"
    assert entry.starts_at == datetime(2026, 12, 3, 17, 0, tzinfo=UTC)
    assert entry.ends_at == datetime(2026, 12, 3, 19, 0, tzinfo=UTC)
    assert "#1" in entry.description and "!anmelden 1" in entry.description

    await bot.router.dispatch(interest("i1", ALICE, entry_id, added=True))
    await bot.router.dispatch(interest("i1", ALICE, entry_id, added=True))  # a replay
    assert len(direct(bot, ALICE)) == 1 and "angemeldet" in direct(bot, ALICE)[0]
    await bot.router.dispatch(interest("i2", BOB, entry_id, added=True))
    assert "Platz 1 der Warteliste" in direct(bot, BOB)[0]
    await bot.router.dispatch(interest("i3", ALICE, entry_id, added=False))
    assert "abgemeldet" in direct(bot, ALICE)[-1]
    assert "Ein Platz ist frei geworden" in direct(bot, BOB)[-1]

    await bot.say(STAFF, "!workshop verschieben 1 04.12.2026 18:00")
    action, moved_id, moved = bot.adapter.calendar[-1]
    assert (action, moved_id) == ("update", entry_id) and moved is not None
    assert moved.starts_at == datetime(2026, 12, 4, 17, 0, tzinfo=UTC)
    await bot.say(STAFF, "!workshop absagen 1")
    assert bot.adapter.calendar[-1] == ("cancel", entry_id, None)


async def test_the_next_occurrence_of_a_series_gets_its_own_entry(tmp_path):
    bot = await start_bot(tmp_path, calendar=True)
    await bot.say(STAFF, '!workshop neu "Lab" 01.12.2026 18:00 "Ort" --wiederholen woechentlich')
    bot.services.clock.set(datetime(2026, 12, 1, 18, 0, tzinfo=TZ))
    await bot.services.scheduler.run_due()  # the first occurrence begins: #2 is created
    [first, second] = [entry for action, _, entry in bot.adapter.calendar if action == "create"]
    assert first is not None and second is not None
    assert second.starts_at == datetime(2026, 12, 8, 17, 0, tzinfo=UTC)
    assert "#2" in second.description
