"""Workshops through a real Synapse: the announcement, its calendar file, ✅ to register.

The bot runs on a fake clock (no real scheduler), so the dates typed here stay in the future
and nothing fires on its own; the announcement on creation needs no clock at all.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest
from bots import RunningBot, register_bot
from chat import ChatMessage, ChatUser

from bot.clock import FakeClock

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=TZ)


@pytest.fixture
async def bot(synapse, tmp_path):
    running = await register_bot(synapse, tmp_path, clock=FakeClock(NOW))
    yield running
    await running.stop()


def is_file_from(sender: str, room_id: str):
    def matches(event: dict) -> bool:
        return (
            event.get("sender") == sender
            and event["room_id"] == room_id
            and event.get("content", {}).get("msgtype") == "m.file"
        )

    return matches


def direct_message_containing(sender: str, text: str):
    def matches(event: dict) -> bool:
        return event.get("sender") == sender and text in event.get("content", {}).get("body", "")

    return matches


async def setting_up(bot: RunningBot, make_user) -> tuple[ChatUser, ChatUser, str, str]:
    """Staff (talking to the bot in a direct chat) and a citizen in the announcement room."""
    sabine = await make_user("sabine")
    alice = await make_user("alice", auto_join=True)
    announcements = await sabine.create_room(
        name="Ankündigungen", invite=[bot.user_id, alice.user_id]
    )
    bot.env.update({"BOT_STAFF_USERS": sabine.user_id, "BOT_ANNOUNCE_ROOMS": announcements})
    await bot.start()
    await sabine.wait_joined(announcements, bot.user_id)
    await alice.wait_joined(announcements, alice.user_id)
    team = await sabine.dm(bot.user_id)
    await sabine.wait_joined(team, bot.user_id)
    return sabine, alice, announcements, team


async def test_announcement_calendar_file_and_registration_by_reaction(bot, make_user):
    sabine, alice, announcements, team = await setting_up(bot, make_user)

    command = await sabine.say(
        team,
        '!workshop neu "Digitale Sprechstunde" 03.12.2026 18:00 "Rathaus Würzburg" '
        "--plaetze 2 --dauer 90m",
    )
    created = await sabine.reply_to(command)
    assert "Workshop #1 ist angelegt" in created.body
    assert "Donnerstag, 3. Dezember 2026, 18:00–19:30 Uhr" in created.body

    announcement = await alice.next_reply(announcements, sender=bot.user_id)
    assert announcement.msgtype == "m.notice"
    assert "Workshop #1: Digitale Sprechstunde" in announcement.body
    assert "Donnerstag, 3. Dezember 2026, 18:00–19:30 Uhr" in announcement.body
    assert "📍 Rathaus Würzburg" in announcement.body
    assert "2 von 2 Plätzen frei" in announcement.body
    assert "✅" in announcement.body and "!anmelden 1" in announcement.body
    assert "<strong>Workshop #1: Digitale Sprechstunde</strong>" in (
        announcement.formatted_body or ""
    )

    attached = ChatMessage.from_event(
        await alice.wait_for(is_file_from(bot.user_id, announcements))
    )
    assert attached.body == "workshop-1.ics"
    assert attached.content["info"]["mimetype"] == "text/calendar"
    event = icalendar.Calendar.from_ical(await alice.download(attached.content["url"]))
    [vevent] = event.walk("VEVENT")
    assert str(vevent["summary"]) == "Digitale Sprechstunde"
    assert vevent.decoded("dtstart") == datetime(2026, 12, 3, 18, 0, tzinfo=TZ)
    uid = str(vevent["uid"])

    reaction = await alice.react(announcements, announcement.event_id, "✅")
    registered = await alice.wait_for(direct_message_containing(bot.user_id, "angemeldet"))
    assert "Digitale Sprechstunde" in registered["content"]["body"]
    attendees = await sabine.reply_to(await sabine.say(team, "!teilnehmer 1"))
    assert f"1. {alice.user_id}" in attendees.body

    await alice.redact(announcements, reaction)
    await alice.wait_for(direct_message_containing(bot.user_id, "abgemeldet"))
    attendees = await sabine.reply_to(await sabine.say(team, "!teilnehmer 1"))
    assert "Noch niemand angemeldet" in attendees.body

    # The calendar file on request keeps the UID, also after a move.
    await sabine.reply_to(await sabine.say(team, "!workshop verschieben 1 10.12.2026 18:00"))
    asked = await alice.say(announcements, "!kalender 1")
    file_reply = await alice.reply_to(asked)
    assert file_reply.msgtype == "m.file"
    [moved] = icalendar.Calendar.from_ical(await alice.download(file_reply.content["url"])).walk(
        "VEVENT"
    )
    assert str(moved["uid"]) == uid
    assert int(moved["sequence"]) == 1
    assert moved.decoded("dtstart") == datetime(2026, 12, 10, 18, 0, tzinfo=TZ)


async def test_a_full_workshop_waitlists_and_promotes_with_a_direct_message(bot, make_user):
    sabine, alice, announcements, team = await setting_up(bot, make_user)
    bob = await make_user("bob", auto_join=True)
    await sabine.invite(announcements, bob.user_id)
    await bob.wait_joined(announcements, bob.user_id)
    await sabine.reply_to(
        await sabine.say(
            team, '!workshop neu "Bürgerlabor" morgen 18 Uhr "Stadtbücherei" --plaetze 1'
        )
    )

    taken = await alice.reply_to(await alice.say(announcements, "!anmelden 1"))
    assert "angemeldet" in taken.body
    waiting = await bob.reply_to(await bob.say(announcements, "!register 1"))
    assert "number 1 on the waitlist" in waiting.body

    await alice.reply_to(await alice.say(announcements, "!abmelden 1"))
    promoted = await bob.wait_for(direct_message_containing(bot.user_id, "Ein Platz ist frei"))
    assert "Bürgerlabor" in promoted["content"]["body"]
