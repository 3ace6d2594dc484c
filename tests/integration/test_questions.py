"""Expert questions through a real Synapse: a citizen asks, experts answer in a thread.

The bot runs on a fake clock, so reminders and escalations fire only when the test moves the
clock and calls `run_due`; experts answer in threads exactly as Element sends them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from bots import RunningBot, register_bot
from chat import ChatMessage, ChatUser
from question_support import write_departments

from bot.clock import FakeClock

GLASFASER = "Wann kommt Glasfaser nach Rimpar?"
VAGUE = "Ich habe eine Frage zu etwas ganz anderem"


@dataclass
class HelpDesk:
    """Who is in the test and where they talk."""

    bot: RunningBot
    clock: FakeClock
    alice: ChatUser  # a citizen in the forum room
    maria: ChatUser  # expert of the digital department
    tom: ChatUser  # expert of the mobility department
    sabine: ChatUser  # staff
    forum: str
    digital: str
    mobility: str
    staff: str


@pytest.fixture
async def desk(synapse, tmp_path, make_user):
    clock = FakeClock()
    bot = await register_bot(synapse, tmp_path, clock=clock)
    alice = await make_user("alice")
    maria = await make_user("maria")
    tom = await make_user("tom")
    sabine = await make_user("sabine")
    forum = await alice.create_room(name="Bürgerforum", invite=[bot.user_id])
    digital = await maria.create_room(name="Digitales", invite=[bot.user_id])
    mobility = await tom.create_room(name="Mobilität", invite=[bot.user_id])
    staff = await sabine.create_room(name="Team", invite=[bot.user_id])
    other = await sabine.create_room(name="Weitere Abteilungen", invite=[bot.user_id])
    departments = write_departments(tmp_path, {"digitales": digital, "mobilitaet": mobility}, other)
    bot.env.update(
        {
            "BOT_DEPARTMENTS_FILE": str(departments),
            "BOT_STAFF_ROOM": staff,
            "BOT_STAFF_USERS": sabine.user_id,
        }
    )
    await bot.start()
    for user, room in ((alice, forum), (maria, digital), (tom, mobility), (sabine, staff)):
        await user.wait_joined(room, bot.user_id)
    yield HelpDesk(bot, clock, alice, maria, tom, sabine, forum, digital, mobility, staff)
    await bot.stop()


async def reply_containing(user: ChatUser, event_id: str, text: str) -> ChatMessage:
    """The next reply to `event_id` that contains `text` (the bot's notes to the citizen)."""
    event = await user.wait_for(
        lambda e: (
            e.get("type") == "m.room.message"
            and e["content"].get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id")
            == event_id
            and text in e["content"].get("body", "")
        )
    )
    return ChatMessage.from_event(event)


async def thread_root(expert: ChatUser, room: str, bot: RunningBot) -> ChatMessage:
    """The next question the bot posts in a department room (a message outside any thread)."""
    event = await expert.wait_for(
        lambda e: (
            e.get("type") == "m.room.message"
            and e["room_id"] == room
            and e["sender"] == bot.user_id
            and "m.relates_to" not in e["content"]
        )
    )
    return ChatMessage.from_event(event)


async def from_bot_containing(user: ChatUser, room: str, bot: RunningBot, text: str) -> ChatMessage:
    """The next message of the bot in `room` that contains `text`, past any other notice."""
    event = await user.wait_for(
        lambda e: (
            e.get("type") == "m.room.message"
            and e["room_id"] == room
            and e["sender"] == bot.user_id
            and text in e["content"].get("body", "")
        )
    )
    return ChatMessage.from_event(event)


async def in_thread_from_bot(expert: ChatUser, room: str, root: str, text: str) -> ChatMessage:
    event = await expert.wait_for(
        lambda e: (
            e.get("type") == "m.room.message"
            and e["room_id"] == room
            and e["content"].get("m.relates_to", {}).get("event_id") == root
            and text in e["content"].get("body", "")
        )
    )
    return ChatMessage.from_event(event)


async def answer_in_thread(expert: ChatUser, room: str, root: str, text: str) -> str:
    """Reply in a thread the way Element does."""
    return await expert.send_event(
        room,
        "m.room.message",
        {
            "msgtype": "m.text",
            "body": text,
            "m.relates_to": {
                "rel_type": "m.thread",
                "event_id": root,
                "is_falling_back": True,
                "m.in_reply_to": {"event_id": root},
            },
        },
    )


async def test_question_thread_answer_and_relay(desk: HelpDesk):
    question = await desk.alice.say(desk.forum, f"!frage {GLASFASER}")
    routed = await reply_containing(desk.alice, question, "ging an")
    assert "Deine Frage #1 ging an: Digitale Verwaltung & Infrastruktur" in routed.body
    assert routed.content["m.mentions"] == {"user_ids": [desk.alice.user_id]}

    root = await thread_root(desk.maria, desk.digital, desk.bot)
    assert GLASFASER in root.body and "Bürger*in " in root.body
    assert desk.alice.user_id not in root.body
    assert desk.alice.user_id not in (root.formatted_body or "")

    await answer_in_thread(desk.maria, desk.digital, root.event_id, "Der Ausbau beginnt im Mai.")
    answer = await reply_containing(desk.alice, question, "Der Ausbau beginnt im Mai.")
    assert answer.room_id == desk.forum and answer.msgtype == "m.notice"
    assert "Antwort auf deine Frage #1 von Maria (Digitale Verwaltung & Infrastruktur)" in (
        answer.body
    )

    done = await desk.maria.say(desk.digital, "!erledigt 1")
    await reply_containing(desk.maria, done, "ist erledigt")
    await reply_containing(desk.alice, question, "Deine Frage #1 ist erledigt")


async def test_unclear_question_offers_departments_and_a_number_picks(desk: HelpDesk):
    question = await desk.alice.say(desk.forum, f"!frage {VAGUE}")
    offer = await reply_containing(desk.alice, question, "Antworte mit der Nummer")
    assert "3. Digitale Verwaltung & Infrastruktur" in offer.body

    await desk.alice.say(desk.forum, "3")
    await reply_containing(desk.alice, question, "ging an: Digitale Verwaltung")
    root = await thread_root(desk.maria, desk.digital, desk.bot)
    assert VAGUE in root.body


async def test_forward_starts_a_new_thread_and_the_router_learns(desk: HelpDesk):
    question = await desk.alice.say(desk.forum, f"!frage {GLASFASER}")
    root = await thread_root(desk.maria, desk.digital, desk.bot)
    await answer_in_thread(desk.maria, desk.digital, root.event_id, "Das ist eher Straßenbau.")
    await reply_containing(desk.alice, question, "Das ist eher Straßenbau.")

    await answer_in_thread(desk.maria, desk.digital, root.event_id, "!weiterleiten mobilitaet")
    await in_thread_from_bot(desk.maria, desk.digital, root.event_id, "weitergeleitet")
    moved = await thread_root(desk.tom, desk.mobility, desk.bot)
    assert "weitergeleitet von Digitale Verwaltung & Infrastruktur" in moved.body
    assert "Das ist eher Straßenbau." in moved.body and GLASFASER in moved.body
    await reply_containing(desk.alice, question, "an Mobilität & Verkehr weitergeleitet")

    examples = await desk.sabine.say(desk.staff, "!lernbeispiele")
    listed = await reply_containing(desk.sabine, examples, "Lernbeispiele")
    assert f"Nr. 1 → Mobilität & Verkehr: „{GLASFASER}“ (Frage #1)" in listed.body

    await answer_in_thread(desk.tom, desk.mobility, moved.event_id, "Die Baustelle endet im Mai.")
    answer = await reply_containing(desk.alice, question, "Die Baustelle endet im Mai.")
    assert "(Mobilität & Verkehr)" in answer.body


async def test_reminder_and_escalation_once_across_a_restart(desk: HelpDesk):
    question = await desk.alice.say(desk.forum, f"!frage {GLASFASER}")
    root = await thread_root(desk.maria, desk.digital, desk.bot)

    desk.clock.advance(timedelta(hours=24))
    assert desk.bot.app is not None
    await desk.bot.app.scheduler.run_due()
    await in_thread_from_bot(desk.maria, desk.digital, root.event_id, "wartet seit 24 Stunden")

    app = await desk.bot.restart()
    question_jobs = [job for job in app.scheduler.job_ids() if job.startswith("question-")]
    # The reminder is not repeated; the escalation is two days ahead, so it stays stored
    # until the scheduler loads it shortly before it is due.
    assert question_jobs == []

    desk.clock.advance(timedelta(hours=48))
    await app.scheduler.run_due()
    # Three days on, the weekly staff digest may be due in the same room: look for the notice.
    await from_bot_containing(
        desk.sabine,
        desk.staff,
        desk.bot,
        "Frage #1 (Digitale Verwaltung & Infrastruktur) ist seit 72 Stunden",
    )
    await reply_containing(desk.alice, question, "länger als üblich")

    app = await desk.bot.restart()
    assert not [job for job in app.scheduler.job_ids() if job.startswith("question-")]
    desk.clock.advance(timedelta(days=7))
    listing = await desk.sabine.say(desk.staff, "!fragen ueberfaellig")
    overdue = await reply_containing(desk.sabine, listing, "Überfällige Fragen (1,")
    assert "#1 · Digitale Verwaltung & Infrastruktur · offen · 10 T." in overdue.body


async def test_a_question_from_a_direct_chat_is_answered_there(desk: HelpDesk):
    direct = await desk.alice.dm(desk.bot.user_id)
    await desk.alice.wait_joined(direct, desk.bot.user_id)
    question = await desk.alice.say(direct, f"frage --oeffentlich {GLASFASER}")
    await reply_containing(desk.alice, question, "ging an")
    root = await thread_root(desk.maria, desk.digital, desk.bot)
    assert f"Alice ({desk.alice.user_id})" in root.body  # the citizen opted in to their name

    await answer_in_thread(desk.maria, desk.digital, root.event_id, "Im Mai geht es los.")
    answer = await reply_containing(desk.alice, question, "Im Mai geht es los.")
    assert answer.room_id == direct
