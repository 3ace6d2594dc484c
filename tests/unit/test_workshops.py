"""Workshops as staff and citizens meet them, with a fake clock and a recording adapter.

Restarts are simulated by building a new bot on the same database file and running its
start hooks, as `bot.app` does; nothing sleeps, due jobs run with `scheduler.run_due()`.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from bot.context import Actor, IncomingReaction, IncomingReactionRemoved, Place
from bot.exports import build_export
from bot.messages import Message
from handlers import help as help_commands
from handlers.workshops import commands as workshops
from handlers.workshops.export import upcoming_calendar, workshops_table
from storage.workshops.repository import WorkshopRepository
from tests.unit.fakes import FakeBot, make_fake_bot

TZ = ZoneInfo("Europe/Berlin")
STAFF = "@sabine:localhost"
ALICE = "@alice:localhost"
BOB = "@bob:localhost"
CARLA = "@carla:localhost"
ANNOUNCE_ROOM = "!announce:localhost"
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=TZ)  # a Thursday morning
ADD = '!workshop neu "Digitale Sprechstunde" 03.12.2026 18:00 "Rathaus Würzburg"'


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


async def start_bot(tmp_path: Path, now: datetime, **env: str) -> FakeBot:
    """A bot on the database in `tmp_path` at `now`, started like `bot.app` starts it."""
    bot = await make_fake_bot(
        tmp_path,
        (help_commands, workshops),
        BOT_STAFF_USERS=STAFF,
        BOT_ANNOUNCE_ROOMS=ANNOUNCE_ROOM,
        **env,
    )
    # Event ids must not repeat across restarts, as on a real homeserver.
    bot._events = (f"{uuid.uuid4().hex}-{n}" for n in itertools.count())
    bot.services.clock.set(now)
    for hook in bot.services.commands.start_hooks:
        await hook(bot.services)
    await bot.services.scheduler.run_due()
    return bot


async def run_at(bot: FakeBot, when: datetime) -> int:
    bot.services.clock.set(when)
    return await bot.services.scheduler.run_due()


def room_notices(bot: FakeBot, room: str = ANNOUNCE_ROOM, kind: str = "notice") -> list[str]:
    return [s.message.body for s in bot.adapter.sent if s.room_id == room and s.kind == kind]


def first_reply(messages: list[Message]) -> Message:
    """The bot's answer to a command (announcements and notices may follow it)."""
    assert messages, "the bot did not answer"
    return messages[0]


def direct(bot: FakeBot, user: str) -> list[str]:
    return [s.message.body for s in bot.adapter.sent if s.room_id == f"!dm-{user}"]


async def effects(bot: FakeBot, number: int) -> list[tuple[str, datetime, str]]:
    async with bot.services.unit_of_work() as uow:
        rows = await WorkshopRepository(uow.session).effects(number)
    return [(e.kind, e.due_at.astimezone(TZ), e.state) for e in rows]


def parse_ics(data: bytes) -> icalendar.Event:
    calendar = icalendar.Calendar.from_ical(data)
    [event] = calendar.walk("VEVENT")
    return event


@pytest.fixture
async def bot(tmp_path: Path) -> FakeBot:
    return await start_bot(tmp_path, NOW)


# ------------------------------------------------------------ creating


async def test_staff_create_a_workshop_and_it_is_announced_with_a_calendar_file(bot):
    [reply, *_] = await bot.say(STAFF, ADD + ' --plaetze 20 --beschreibung "Fragen zur App"')
    assert "Workshop #1 ist angelegt: Digitale Sprechstunde" in reply.body
    assert "Donnerstag, 3. Dezember 2026, 18:00–20:00 Uhr" in reply.body

    [announcement] = room_notices(bot)
    assert "📣 Workshop #1: Digitale Sprechstunde" in announcement
    assert "Donnerstag, 3. Dezember 2026, 18:00–20:00 Uhr" in announcement
    assert "📍 Rathaus Würzburg" in announcement
    assert "20 von 20 Plätzen frei" in announcement
    assert "Fragen zur App" in announcement
    assert "✅" in announcement and "!anmelden 1" in announcement
    [file] = [s for s in bot.adapter.sent if s.kind == "file"]
    assert file.room_id == ANNOUNCE_ROOM
    assert file.upload.content_type == "text/calendar"
    assert str(parse_ics(file.upload.data)["summary"]) == "Digitale Sprechstunde"


async def test_creation_schedules_announcements_and_reminders_at_the_configured_offsets(bot):
    await bot.say(STAFF, ADD)
    assert await effects(bot, 1) == [
        ("announce", NOW, "sent"),  # on creation
        ("announce", at(2026, 11, 26, 18, 0), "pending"),  # 7d
        ("announce", at(2026, 12, 2, 18, 0), "pending"),  # 1d
        ("remind", at(2026, 12, 2, 18, 0), "pending"),  # 24h
        ("remind", at(2026, 12, 3, 17, 0), "pending"),  # 1h
    ]
    assert len(bot.services.scheduler.job_ids()) == 4


async def test_offsets_already_past_at_creation_are_skipped(bot):
    await bot.say(STAFF, '!workshop neu "Kurzfristig" morgen 18:00 "Rathaus"')
    states = [(kind, state) for kind, _, state in await effects(bot, 1)]
    assert states == [
        ("announce", "skipped"),  # 7d before was last week
        ("announce", "sent"),  # on creation
        ("announce", "pending"),  # 1d before is this evening
        ("remind", "pending"),
        ("remind", "pending"),
    ]


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("03.12.2026 18:00", "Donnerstag, 3. Dezember 2026, 18:00–20:00 Uhr"),
        ("3.12. 18 Uhr", "Donnerstag, 3. Dezember 2026, 18:00–20:00 Uhr"),
        ("2026-12-03 18:00", "Donnerstag, 3. Dezember 2026, 18:00–20:00 Uhr"),
        ("morgen 18:00", "Freitag, 27. November 2026, 18:00–20:00 Uhr"),
        ("Dienstag 18:30", "Dienstag, 1. Dezember 2026, 18:30–20:30 Uhr"),
        ("tomorrow 6pm", "Freitag, 27. November 2026, 18:00–20:00 Uhr"),
    ],
)
async def test_accepted_date_forms(bot, typed, written):
    [reply, *_] = await bot.say(STAFF, f'!workshop neu "Lab" {typed} "Rathaus"')
    assert written in reply.body


async def test_english_staff_get_an_english_date_and_duration(bot):
    [reply, *_] = await bot.say(
        STAFF, '!workshop add "Citizen lab" tomorrow 6pm "Town hall" --duration 90m --seats 12'
    )
    assert "Workshop #1 is set up: Citizen lab – Friday, 27 November 2026, 18:00–19:30" in (
        reply.body
    )


async def test_a_past_or_unreadable_date_is_refused_with_what_was_understood(bot):
    past = first_reply(await bot.say(STAFF, '!workshop neu "Lab" 01.11.2026 18:00 "Rathaus"'))
    assert "„01.11.2026 18:00“ verstehe ich als Sonntag, 1. November 2026, 18:00 Uhr" in past.body
    assert "Vergangenheit" in past.body
    unreadable = first_reply(await bot.say(STAFF, '!workshop neu "Lab" irgendwann bald "Rathaus"'))
    assert "Das Datum „irgendwann bald“ verstehe ich nicht" in unreadable.body
    no_time = first_reply(await bot.say(STAFF, '!workshop neu "Lab" 03.12.2026 "Rathaus"'))
    assert "fehlt die Uhrzeit" in no_time.body
    assert room_notices(bot) == []


async def test_citizens_may_not_create_cancel_or_move(bot):
    for text in (ADD, "!workshop absagen 1", "!workshop verschieben 1 morgen 18:00"):
        reply = first_reply(await bot.say(ALICE, text))
        assert "Das dürfen leider nur Mitarbeitende" in reply.body
    reply = first_reply(await bot.say(ALICE, "!teilnehmer 1"))
    assert "Das dürfen leider nur Mitarbeitende" in reply.body


# ------------------------------------------------------- registration


async def test_full_workshop_puts_people_on_the_waitlist_and_promotes_them(bot):
    await bot.say(STAFF, ADD + " --plaetze 2")
    alice = first_reply(await bot.say(ALICE, "!anmelden 1"))
    bob = first_reply(await bot.say(BOB, "!register 1"))
    carla = first_reply(await bot.say(CARLA, "!anmelden #1"))
    assert "Du bist für Workshop #1 „Digitale Sprechstunde“ angemeldet" in alice.body
    assert "You are registered for workshop #1" in bob.body
    assert "Du stehst auf Platz 1 der Warteliste" in carla.body

    details = first_reply(await bot.say(CARLA, "!workshop 1"))
    assert (
        "ausgebucht (2 Plätze)" in details.body and "Du stehst auf der Warteliste" in details.body
    )
    attendees = first_reply(await bot.say(STAFF, "!teilnehmer 1"))
    assert f"1. {ALICE}\n2. {BOB}\nWarteliste (1):\n1. {CARLA}" in attendees.body

    bye = first_reply(await bot.say(ALICE, "!abmelden 1"))
    assert "abgemeldet" in bye.body
    [promotion] = direct(bot, CARLA)
    assert "Ein Platz ist frei geworden" in promotion and "Workshop #1" in promotion
    attendees = first_reply(await bot.say(STAFF, "!teilnehmer 1"))
    assert f"1. {BOB}\n2. {CARLA}" in attendees.body and "Warteliste" not in attendees.body


async def test_registering_twice_and_unregistering_without_registration(bot):
    await bot.say(STAFF, ADD)
    await bot.say(ALICE, "!anmelden 1")
    again = first_reply(await bot.say(ALICE, "!anmelden 1"))
    assert "schon angemeldet" in again.body
    never = first_reply(await bot.say(BOB, "!abmelden 1"))
    assert "nicht angemeldet" in never.body
    unknown = first_reply(await bot.say(BOB, "!anmelden 7"))
    assert "Einen Workshop #7 gibt es nicht" in unknown.body


async def test_a_check_mark_on_the_announcement_registers_and_redacting_it_unregisters(bot):
    await bot.say(STAFF, ADD + " --plaetze 1")
    [announcement] = [s for s in bot.adapter.sent if s.room_id == ANNOUNCE_ROOM][:1]
    await bot.say(BOB, "!anmelden 1")  # takes the only seat

    react = IncomingReaction(
        "$react1", Actor("matrix", ALICE, "alice"), Place(ANNOUNCE_ROOM, False),
        announcement.event_id, "✅", NOW,
    )  # fmt: skip
    await bot.router.dispatch(react)
    await bot.router.dispatch(react)  # delivered twice (a replay): handled once
    assert len(direct(bot, ALICE)) == 1
    assert "Platz 1 der Warteliste" in direct(bot, ALICE)[0]

    await bot.say(BOB, "!abmelden 1")
    assert "Ein Platz ist frei geworden" in direct(bot, ALICE)[-1]

    withdraw = IncomingReactionRemoved(
        "$redact1", Actor("matrix", ALICE, "alice"), Place(ANNOUNCE_ROOM, False),
        announcement.event_id, "✅", NOW,
    )  # fmt: skip
    await bot.router.dispatch(withdraw)
    assert "abgemeldet" in direct(bot, ALICE)[-1]
    attendees = first_reply(await bot.say(STAFF, "!teilnehmer 1"))
    assert "Noch niemand angemeldet" in attendees.body


async def test_other_reactions_and_other_messages_are_ignored(bot):
    await bot.say(STAFF, ADD)
    [announcement] = [s for s in bot.adapter.sent if s.room_id == ANNOUNCE_ROOM][:1]
    for event_id, target, key in (("$r1", announcement.event_id, "👍"), ("$r2", "$other", "✅")):
        await bot.router.dispatch(
            IncomingReaction(
                event_id, Actor("matrix", ALICE, "a"), Place(ANNOUNCE_ROOM, False), target, key, NOW
            )
        )
    assert direct(bot, ALICE) == []


# ---------------------------------------------------- schedule & restarts


async def test_a_restart_between_announcements_neither_repeats_nor_skips(tmp_path):
    bot = await start_bot(tmp_path, NOW)
    await bot.say(STAFF, ADD)
    await bot.say(ALICE, "!anmelden 1")
    assert len(room_notices(bot)) == 1  # on creation

    await run_at(bot, at(2026, 11, 26, 18, 0))  # the 7d announcement
    assert len(room_notices(bot)) == 2

    bot = await start_bot(tmp_path, at(2026, 11, 26, 18, 5))  # restart
    assert room_notices(bot) == []  # the 7d announcement is not repeated
    # The three effects still to come are six days ahead: they stay in the database until
    # the scheduler loads them, shortly before they are due.
    assert bot.services.scheduler.job_ids() == []

    await run_at(bot, at(2026, 12, 2, 18, 0))  # 1d announcement and 24h reminder
    assert len(room_notices(bot)) == 1
    [reminder] = direct(bot, ALICE)
    assert "Erinnerung: Digitale Sprechstunde" in reminder
    await run_at(bot, at(2026, 12, 3, 17, 0))
    assert len(direct(bot, ALICE)) == 2
    assert [state for *_, state in await effects(bot, 1)] == ["sent"] * 5


async def test_a_reminder_due_during_downtime_is_sent_once_on_start(tmp_path, caplog):
    bot = await start_bot(tmp_path, NOW)
    await bot.say(STAFF, ADD)
    await bot.say(ALICE, "!anmelden 1")
    await run_at(bot, at(2026, 11, 26, 18, 0))

    # The bot is down from Wednesday afternoon until Thursday noon: the 1d announcement and
    # the 24h reminder fell due meanwhile; the workshop has not begun.
    bot = await start_bot(tmp_path, at(2026, 12, 3, 12, 0))
    [reminder] = direct(bot, ALICE)
    assert "Erinnerung" in reminder
    assert len(room_notices(bot)) == 1
    assert "late" in caplog.text

    bot = await start_bot(tmp_path, at(2026, 12, 3, 12, 5))  # another restart
    assert direct(bot, ALICE) == [] and room_notices(bot) == []
    late = [(kind, state) for kind, _, state in await effects(bot, 1)]
    assert late.count(("remind", "sent")) == 1 and late.count(("remind", "pending")) == 1


async def test_effects_due_while_down_are_skipped_once_the_workshop_has_begun(tmp_path, caplog):
    bot = await start_bot(tmp_path, NOW)
    await bot.say(STAFF, ADD)
    await bot.say(ALICE, "!anmelden 1")

    bot = await start_bot(tmp_path, at(2026, 12, 3, 18, 30))  # back during the workshop
    assert direct(bot, ALICE) == [] and room_notices(bot) == []
    assert [state for *_, state in await effects(bot, 1)] == ["sent"] + ["skipped"] * 4
    assert "Skipped the remind of workshop #1" in caplog.text


async def test_weekly_workshop_keeps_its_local_time_across_the_end_of_daylight_saving(tmp_path):
    bot = await start_bot(tmp_path, at(2026, 10, 12, 9, 0))
    [reply, *_] = await bot.say(
        STAFF,
        '!workshop neu "Bürgerlabor" 20.10.2026 18:00 "Stadtbücherei" '
        "--wiederholen woechentlich --bis 03.11.2026",
    )
    assert "findet wöchentlich statt, bis Dienstag, 3. November 2026" in reply.body
    first_effects = await effects(bot, 1)
    assert ("next", at(2026, 10, 20, 18, 0), "pending") in first_effects

    await run_at(bot, at(2026, 10, 20, 18, 0))  # the first occurrence begins: #2 is created
    second = await effects(bot, 2)
    assert ("announce", at(2026, 10, 26, 18, 0), "pending") in second  # 1d: local calendar day
    assert ("remind", at(2026, 10, 26, 18, 0), "pending") in second
    assert ("next", at(2026, 10, 27, 18, 0), "pending") in second
    announcement = room_notices(bot)[-1]
    assert "Workshop #2: Bürgerlabor" in announcement
    assert "Dienstag, 27. Oktober 2026, 18:00–20:00 Uhr" in announcement  # after the change

    async with bot.services.unit_of_work() as uow:
        repo = WorkshopRepository(uow.session)
        first, second_workshop = await repo.get(1), await repo.get(2)
    assert first.starts_at.utcoffset() == timedelta(0)  # stored in UTC
    assert first.starts_at.hour == 16 and second_workshop.starts_at.hour == 17  # UTC
    assert second_workshop.starts_at.astimezone(TZ).hour == 18

    await run_at(bot, at(2026, 10, 27, 18, 0))  # #3 on 3 November, the last one
    await run_at(bot, at(2026, 11, 3, 18, 0))  # the series has ended
    reply = first_reply(await bot.say(ALICE, "!workshop 4"))
    assert "Einen Workshop #4 gibt es nicht" in reply.body
    third = first_reply(await bot.say(ALICE, "!workshop 3"))
    assert "Dienstag, 3. November 2026, 18:00–20:00 Uhr" in third.body


async def test_a_series_skips_occurrences_missed_during_a_long_downtime(tmp_path):
    bot = await start_bot(tmp_path, at(2026, 10, 12, 9, 0))
    await bot.say(STAFF, '!workshop neu "Lab" 13.10.2026 18:00 "Ort" --wiederholen weekly')
    bot = await start_bot(tmp_path, at(2026, 10, 29, 9, 0))  # down for over two weeks
    reply = first_reply(await bot.say(ALICE, "!workshops"))
    assert "#2 Lab – Dienstag, 3. November 2026, 18:00–20:00 Uhr" in reply.body


# ----------------------------------------------------- cancel and move


async def test_cancelling_tells_everyone_and_stops_the_schedule(bot):
    await bot.say(STAFF, ADD + " --plaetze 1")
    await bot.say(ALICE, "!anmelden 1")
    await bot.say(BOB, "!anmelden 1")  # waiting
    reply = first_reply(await bot.say(STAFF, "!workshop absagen 1 Referentin ist krank"))
    assert "ist abgesagt" in reply.body and "2 Angemeldeten und Wartenden" in reply.body
    for person in (ALICE, BOB):
        [notice] = direct(bot, person)[-1:]
        assert "Abgesagt: Digitale Sprechstunde" in notice and "Referentin ist krank" in notice
    assert "Abgesagt" in room_notices(bot)[-1]
    cancellation = [s for s in bot.adapter.sent if s.kind == "file"][-1].upload.data
    assert b"METHOD:CANCEL" in cancellation
    assert str(parse_ics(cancellation)["status"]) == "CANCELLED"
    assert bot.services.scheduler.job_ids() == []

    await run_at(bot, at(2026, 12, 3, 17, 0))
    assert len(direct(bot, ALICE)) == 1  # no reminder for a cancelled workshop
    closed = first_reply(await bot.say(CARLA, "!anmelden 1"))
    assert "ist abgesagt" in closed.body


async def test_moving_tells_everyone_recomputes_the_schedule_and_keeps_the_calendar_uid(bot):
    await bot.say(STAFF, ADD)
    await bot.say(ALICE, "!anmelden 1")
    await bot.say(BOB, "!kalender 1")
    before = parse_ics(bot.adapter.sent[-1].upload.data)

    reply = first_reply(await bot.say(STAFF, "!workshop verschieben 1 10.12.2026 17:30"))
    assert "verschoben auf Donnerstag, 10. Dezember 2026, 17:30–19:30 Uhr" in reply.body
    [moved] = direct(bot, ALICE)
    assert "Verschoben" in moved and "vorher: Donnerstag, 3. Dezember 2026, 18:00–20:00 Uhr" in (
        moved
    )
    assert "Verschoben" in room_notices(bot)[-1]
    pending = [(kind, due) for kind, due, state in await effects(bot, 1) if state == "pending"]
    assert pending == [
        ("announce", at(2026, 12, 3, 17, 30)),
        ("announce", at(2026, 12, 9, 17, 30)),
        ("remind", at(2026, 12, 9, 17, 30)),
        ("remind", at(2026, 12, 10, 16, 30)),
    ]

    await bot.say(BOB, "!calendar 1")
    after = parse_ics(bot.adapter.sent[-1].upload.data)
    assert str(after["uid"]) == str(before["uid"])
    assert int(after["sequence"]) == int(before["sequence"]) + 1
    assert after.decoded("dtstart") == at(2026, 12, 10, 17, 30)
    assert after.decoded("dtstart").tzinfo.key == "Europe/Berlin"

    await run_at(bot, at(2026, 12, 2, 18, 0))  # the old 24h reminder is gone
    assert len(direct(bot, ALICE)) == 1
    await run_at(bot, at(2026, 12, 9, 17, 30))
    assert "Erinnerung" in direct(bot, ALICE)[-1]


# ------------------------------------------------------------- reading


async def test_list_details_and_calendar_for_citizens(bot):
    empty = first_reply(await bot.say(ALICE, "!workshops"))
    assert "kein Workshop geplant" in empty.body
    await bot.say(STAFF, ADD + " --plaetze 5 --online https://meet.example.org/lab")
    await bot.say(STAFF, '!workshop neu "Datenlabor" morgen 18:00 "Stadtbücherei"')
    listing = first_reply(await bot.say(ALICE, "!workshops"))
    lines = listing.body.splitlines()
    assert lines[1].startswith("• #2 Datenlabor – Freitag, 27. November 2026")
    assert "5 von 5 Plätzen frei" in lines[2]
    details = first_reply(await bot.say(ALICE, "!workshop 1"))
    assert "💻 Online dabei: https://meet.example.org/lab" in details.body
    await bot.say(ALICE, "!kalender 1")
    upload = bot.adapter.sent[-1]
    assert upload.kind == "file" and upload.upload.filename == "workshop-1.ics"
    event = parse_ics(upload.upload.data)
    assert str(event["location"]) == "Rathaus Würzburg"
    assert str(event["url"]) == "https://meet.example.org/lab"


async def test_malformed_workshop_commands_explain_themselves(bot):
    missing = first_reply(await bot.say(STAFF, "!workshop"))
    assert "Welchen Workshop?" in missing.body
    unknown = first_reply(await bot.say(STAFF, "!workshop feiern 3"))
    assert "„feiern“ kenne ich bei „workshop“ nicht" in unknown.body
    seats = first_reply(await bot.say(STAFF, ADD + " --plaetze viele"))
    assert "„viele“ ist keine gültige Platzzahl" in seats.body
    repeat = first_reply(await bot.say(STAFF, ADD + " --bis 31.12.2026"))
    assert "--bis gibt es nur zusammen mit --wiederholen" in repeat.body
    option = first_reply(await bot.say(STAFF, "!workshop 1 --plaetze 3"))
    assert "nur beim Anlegen" in option.body


async def test_exports_list_every_workshop_and_the_calendar_of_upcoming_ones(bot):
    await bot.say(STAFF, ADD + " --plaetze 3")
    await bot.say(STAFF, '!workshop neu "Datenlabor" morgen 18:00 "Stadtbücherei"')
    await bot.say(ALICE, "!anmelden 1")
    await bot.say(STAFF, "!workshop absagen 2")
    async with bot.services.unit_of_work() as uow:
        table = await build_export(uow, workshops_table.__exporter__, "csv", NOW)
        calendar = await upcoming_calendar(uow, NOW, TZ)
    rows = table.data.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("number,uid,title,starts,ends,place")
    assert rows[1].startswith("1,") and ",3,1,0,scheduled," in rows[1]
    assert ",cancelled," in rows[2]
    events = icalendar.Calendar.from_ical(calendar.data).walk("VEVENT")
    assert [(str(e["summary"]), str(e["status"])) for e in events] == [
        ("Datenlabor", "CANCELLED"),
        ("Digitale Sprechstunde", "CONFIRMED"),
    ]
