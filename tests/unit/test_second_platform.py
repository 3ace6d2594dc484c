"""The civic core on a platform whose flags differ from Matrix, next to the Matrix fake.

`FakeAdapter.limited("chat")` has native polls of at most 10 answers of 55 characters that
cannot hide results and run whole hours, no threads, and reactions removed by person (no
reaction ids). Handlers must ask these flags and fall back, and tell staff why.

Polls, ideas, workshops and questions each run a conversation on it; where both platforms
run in one bot, one person with an identity on each sees and erases each identity's data
on its own.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.app import HANDLER_MODULES
from bot.context import Actor, IncomingMessage, IncomingReaction, IncomingReactionRemoved, Place
from handlers import moderation
from handlers.ideas import commands as ideas
from handlers.polls import commands as polls
from handlers.questions import commands as questions
from handlers.workshops import commands as workshops
from storage.ideas.models import Idea, IdeaSupport
from storage.polls.models import PollResponse
from storage.workshops.models import WorkshopRegistration
from tests.integration.question_support import write_departments
from tests.unit.fakes import FakeAdapter, FakeBot, make_fake_bot

STAFF, ALICE, BERND = "@sabine:localhost", "@alice:localhost", "@bernd:localhost"
MARIA = "@maria:localhost"
FORUM, IDEAS_ROOM = "!forum:localhost", "!ideas:localhost"
DIGITAL, MOBILITY, OTHER = "!dig:localhost", "!mob:localhost", "!other:localhost"
TWELVE = " ".join(f'"Antwort {n}"' for n in range(1, 13))
PLATFORM_WORDS = {"platforms.chat.user_reference": "Chat-Kennung"}
ADAPTERS = {"matrix": FakeAdapter, "chat": lambda: FakeAdapter.limited("chat")}
TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=TZ)  # a Thursday morning, a week before the workshop
ANNOUNCE = "!announce:localhost"
WORKSHOP = '!workshop neu "Digitale Sprechstunde" 03.12.2026 18:00 "Rathaus Würzburg"'
ANNA, OTTO = "@anna", "@otto"
"""Citizens of the limited platform, named as it names people."""


async def chat_bot(tmp_path, modules, adapter: FakeAdapter, **env: str) -> FakeBot:
    return await make_fake_bot(
        tmp_path, modules, PLATFORM_WORDS, adapter=adapter, BOT_STAFF_USERS=STAFF, **env
    )


_events = itertools.count()


async def say_on(bot: FakeBot, adapter: FakeAdapter, user: str, text: str) -> str:
    """`user` of `adapter`'s platform writes `text` in the forum; what that adapter sent back.

    For conversations across two platforms (`FakeBot.say` speaks on the bot's main one).
    """
    before = len(adapter.sent)
    actor = Actor(adapter.platform, user, user[1:].split(":")[0])
    event_id = f"${adapter.platform}-{next(_events)}"
    await bot.router.handle(IncomingMessage(event_id, actor, Place(FORUM, False), text))
    return "\n".join(sent.message.body for sent in adapter.sent[before:])


def direct_messages(adapter: FakeAdapter, user: str) -> list[str]:
    return [s.message.body for s in adapter.sent if s.room_id == f"!dm-{user}"]


# ----------------------------------------------------------------------------- polls


async def test_a_poll_beyond_the_native_limits_is_a_text_poll_and_staff_learn_why(tmp_path):
    bot = await chat_bot(tmp_path, (polls,), FakeAdapter.limited("chat"))
    text_poll, started, notice = await bot.say(STAFF, f'!umfrage "Was zuerst?" {TWELVE}', FORUM)
    assert "Umfrage #1" in started.body
    assert "Textumfrage" in notice.body and "höchstens 10 Antworten" in notice.body
    assert "!abstimmen" in notice.body
    assert [sent.kind for sent in bot.adapter.sent].count("poll") == 0
    assert "12. Antwort 12" in text_poll.body and "!abstimmen 1 <Nummer>" in text_poll.body

    [voted] = await bot.say(ALICE, "!abstimmen 1 12", room=FORUM)
    assert "12. Antwort 12" in voted.body
    await bot.say(STAFF, "!umfrage-ende 1", room=FORUM)
    assert not [s for s in bot.adapter.sent if s.kind == "poll_end"]
    results = [s for s in bot.adapter.sent if "Ergebnis von Umfrage #1" in s.message.body]
    assert results and "(1) – 12. Antwort 12" in results[-1].message.body


async def test_the_same_poll_is_native_on_matrix_without_a_notice(tmp_path):
    bot = await chat_bot(tmp_path, (polls,), FakeAdapter())
    *_, started = await bot.say(STAFF, f'!umfrage "Was zuerst?" {TWELVE}', room=FORUM)
    assert "Umfrage #1" in started.body and "Textumfrage" not in started.body
    [native] = [sent for sent in bot.adapter.sent if sent.kind == "poll"]
    assert native.poll is not None and len(native.poll.answers) == 12


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ("--verdeckt", "nicht bis zum Ende verbergen"),
        ("--dauer 90m", "nur volle Stunden"),
        ("--dauer 40d", "höchstens 32 Tage"),
        ("--mehrfach 2", "nicht genau bis zu 2"),
    ],
)
async def test_other_limits_of_native_polls_are_explained(tmp_path, options, reason):
    bot = await chat_bot(tmp_path, (polls,), FakeAdapter.limited("chat"))
    command = f'!umfrage "Was zuerst?" "A" "B" "C" {options}'
    *_, notice = await bot.say(STAFF, command, room=FORUM)
    assert reason in notice.body
    assert not [sent for sent in bot.adapter.sent if sent.kind == "poll"]


async def test_a_poll_within_the_limits_is_native_on_the_limited_platform(tmp_path):
    bot = await chat_bot(tmp_path, (polls,), FakeAdapter.limited("chat"))
    *_, started = await bot.say(STAFF, '!umfrage "Was zuerst?" "A" "B" --dauer 2h', room=FORUM)
    assert "Umfrage #1" in started.body and "Textumfrage" not in started.body
    assert [sent.kind for sent in bot.adapter.sent].count("poll") == 1


# ----------------------------------------------------------------------------- ideas


@pytest.mark.parametrize("platform", ADAPTERS)
async def test_support_by_reaction_and_its_withdrawal_on_both_platforms(tmp_path, platform):
    bot = await chat_bot(tmp_path, (ideas,), ADAPTERS[platform](), BOT_IDEAS_ROOM=IDEAS_ROOM)
    await bot.say(ALICE, "!idee Mehr Bänke am Mainufer")
    card = next(s for s in bot.adapter.sent if s.room_id == IDEAS_ROOM).event_id
    place, now = Place(IDEAS_ROOM, False), datetime.now(UTC)
    bernd, carla = Actor(platform, BERND, "bernd"), Actor(platform, "@carla:localhost", "carla")

    await bot.router.dispatch(IncomingReaction("r1", bernd, place, card, "👍", now))
    await bot.say("@carla:localhost", "!unterstuetzen 1")  # by command
    assert "👍 2" in bot.adapter.sent[-1].message.body

    await bot.router.dispatch(IncomingReactionRemoved("x1", bernd, place, card, "👍", now))
    assert "👍 1" in [s for s in bot.adapter.sent if s.kind == "edit"][-1].message.body
    # Carla's support came by command: taking back a reaction of hers leaves it.
    await bot.router.dispatch(IncomingReactionRemoved("x2", carla, place, card, "👍", now))
    async with bot.services.unit_of_work() as uow:
        supporters = (await uow.session.scalars(select(IdeaSupport.supporter_id))).all()
    assert supporters == ["@carla:localhost"]


# ------------------------------------------------------------------------ workshops


async def test_a_workshop_on_the_limited_platform_registers_by_command_and_by_reaction(tmp_path):
    bot = await chat_bot(
        tmp_path, (workshops,), FakeAdapter.limited("chat"), BOT_ANNOUNCE_ROOMS=ANNOUNCE
    )
    bot.services.clock.set(NOW)
    [created, *_] = await bot.say(STAFF, WORKSHOP + " --plaetze 1")
    assert "Workshop #1 ist angelegt: Digitale Sprechstunde" in created.body
    announcement, calendar = [s for s in bot.adapter.sent if s.room_id == ANNOUNCE]
    assert "📣 Workshop #1: Digitale Sprechstunde" in announcement.message.body
    assert "1 von 1 Plätzen frei" in announcement.message.body
    assert "✅" in announcement.message.body and "!anmelden 1" in announcement.message.body
    assert calendar.kind == "file" and calendar.upload.content_type == "text/calendar"

    # Anna takes the only seat with a ✅; Otto types the command and has to wait.
    place = Place(ANNOUNCE, False)
    anna = Actor("chat", ANNA, "anna")
    tick = IncomingReaction("r1", anna, place, announcement.event_id, "✅", NOW)
    await bot.router.dispatch(tick)
    [registered] = direct_messages(bot.adapter, ANNA)
    assert "angemeldet" in registered
    [waiting] = await bot.say(OTTO, "!anmelden 1", room=FORUM)
    assert "Du stehst auf Platz 1 der Warteliste" in waiting.body

    # No reaction ids here: the platform names who took back which emoji on which message.
    untick = IncomingReactionRemoved(
        f"removed:{ANNA}:{announcement.event_id}:✅", anna, place, announcement.event_id, "✅", NOW
    )
    await bot.router.dispatch(untick)
    assert "abgemeldet" in direct_messages(bot.adapter, ANNA)[-1]
    [promoted] = direct_messages(bot.adapter, OTTO)
    assert "Ein Platz ist frei geworden" in promoted and "Workshop #1" in promoted
    [attendees] = await bot.say(STAFF, "!teilnehmer 1")
    assert f"1. {OTTO}" in attendees.body
    assert ANNA not in attendees.body and "Warteliste" not in attendees.body

    # The reminder a day before reaches Otto on this platform, too.
    bot.services.clock.set(datetime(2026, 12, 2, 18, 0, tzinfo=TZ))
    await bot.services.scheduler.run_due()
    assert "Erinnerung: Digitale Sprechstunde" in direct_messages(bot.adapter, OTTO)[-1]
    assert all(sent.thread_root is None for sent in bot.adapter.sent)


# ------------------------------------------------------------------------- questions


async def test_a_routed_question_without_threads_is_answered_by_replies(tmp_path):
    departments = write_departments(tmp_path, {"digitales": DIGITAL, "mobilitaet": MOBILITY}, OTHER)
    bot = await chat_bot(
        tmp_path, (questions,), FakeAdapter.limited("chat"), BOT_DEPARTMENTS_FILE=str(departments)
    )
    bot.adapter.members |= {(DIGITAL, MARIA)}
    await questions.start_questions(bot.services)
    await bot.say(ALICE, "!frage Wann kommt Glasfaser nach Rimpar?", room=FORUM)
    [root] = [s for s in bot.adapter.sent if s.room_id == DIGITAL]
    await bot.say(ALICE, "!nachfrage 1 Gilt das auch für Maidbronn?", room=FORUM)
    followup = [s for s in bot.adapter.sent if s.room_id == DIGITAL][-1]
    assert followup.thread_root is None and followup.reply_to == root.event_id
    assert "Maidbronn" in followup.message.body

    answer = IncomingMessage(
        "$answer", Actor("chat", MARIA, "Maria"), Place(DIGITAL, False),
        "Der Ausbau beginnt im Mai.", reply_to=root.event_id,
    )  # fmt: skip
    await bot.router.handle(answer)
    relayed = bot.adapter.sent[-1]
    assert relayed.room_id == FORUM and "Der Ausbau beginnt im Mai." in relayed.message.body
    assert relayed.reply_to == "$event0", "a reply to Alice's question"
    assert all(sent.thread_root is None for sent in bot.adapter.sent)


async def test_a_question_asked_on_chat_is_routed_answered_and_relayed_on_chat(tmp_path):
    departments = write_departments(tmp_path, {"digitales": DIGITAL, "mobilitaet": MOBILITY}, OTHER)
    chat = FakeAdapter.limited("chat")
    bot = await chat_bot(tmp_path, (questions,), chat, BOT_DEPARTMENTS_FILE=str(departments))
    matrix = FakeAdapter()  # the departments have rooms on Matrix as well
    bot.services.adapters["matrix"] = matrix  # type: ignore[index]
    chat.members |= {(DIGITAL, "@maria")}
    await questions.start_questions(bot.services)

    asked = IncomingMessage(
        "$asked", Actor("chat", ANNA, "anna"), Place(FORUM, False),
        "!frage Wann kommt Glasfaser nach Rimpar?",
    )  # fmt: skip
    await bot.router.handle(asked)
    [root] = [s for s in chat.sent if s.room_id == DIGITAL]
    assert "Frage #1" in root.message.body and "Glasfaser nach Rimpar" in root.message.body
    assert root.thread_root is None and root.reply_to is None, "a root message, no thread"
    [confirmed] = [s for s in chat.sent if s.room_id == FORUM]
    assert "Deine Frage #1 ging an: Digitale Verwaltung" in confirmed.message.body
    assert confirmed.reply_to == "$asked"

    answer = IncomingMessage(
        "$answer", Actor("chat", "@maria", "Maria"), Place(DIGITAL, False),
        "Der Ausbau beginnt im Mai.", reply_to=root.event_id,
    )  # fmt: skip
    await bot.router.handle(answer)
    relayed = chat.sent[-1]
    assert relayed.room_id == FORUM and relayed.reply_to == "$asked"
    assert "Der Ausbau beginnt im Mai." in relayed.message.body
    assert "Maria" in relayed.message.body
    assert [s.room_id for s in chat.sent] == [DIGITAL, FORUM, FORUM], "no echo in the room"
    assert matrix.sent == [], "the whole conversation stayed on the asker's platform"


# --------------------------------------------------------------------------- privacy

BERND_ON_CHAT = "@bernd"
"""Bernd again, on the limited platform: one person, two identities the bot keeps apart."""


async def bernd_on_both_platforms(tmp_path) -> tuple[FakeBot, FakeAdapter, FakeAdapter]:
    """One bot on Matrix and chat; Bernd has used ideas, polls and workshops on each."""
    matrix, chat = FakeAdapter(), FakeAdapter.limited("chat")
    bot = await chat_bot(
        tmp_path, HANDLER_MODULES, chat, BOT_IDEAS_ROOM=IDEAS_ROOM, BOT_ANNOUNCE_ROOMS=ANNOUNCE
    )
    bot.services.adapters["matrix"] = matrix  # type: ignore[index]
    bot.services.clock.set(NOW)
    await say_on(bot, matrix, ALICE, "!idee Mehr Radständer am Hauptbahnhof aufstellen")  # 1
    await say_on(bot, matrix, BERND, "!sprache en")
    await say_on(bot, matrix, BERND, "!idee Mehr Bänke am Mainufer mit Blick aufs Wasser")  # 2
    await say_on(bot, chat, BERND_ON_CHAT, "!sprache de")
    await say_on(bot, chat, BERND_ON_CHAT, "!idee Ein Trinkbrunnen auf dem Marktplatz wäre schön")
    await say_on(bot, matrix, STAFF, '!umfrage "Welches Thema?" "Verkehr" "Bildung" --dauer 2h')
    await say_on(bot, chat, STAFF, '!umfrage "Welcher Tag?" "Montag" "Dienstag" --dauer 2h')
    await say_on(bot, matrix, STAFF, WORKSHOP)  # announced on both platforms
    for adapter, bernd, poll, answer in ((matrix, BERND, 1, 1), (chat, BERND_ON_CHAT, 2, 2)):
        await say_on(bot, adapter, bernd, "!unterstuetzen 1")
        await say_on(bot, adapter, bernd, f"!abstimmen {poll} {answer}")
        await say_on(bot, adapter, bernd, "!anmelden 1")
    return bot, matrix, chat


async def my_data(bot: FakeBot, adapter: FakeAdapter, user: str) -> dict:
    """`!meinedaten` in the forum; the JSON file that arrives in `user`'s direct chat."""
    before = len(adapter.sent)
    await say_on(bot, adapter, user, "!meinedaten")
    [file] = [s for s in adapter.sent[before:] if s.kind == "file"]
    assert file.room_id == await adapter.direct_room(user)
    assert file.upload is not None and file.upload.content_type == "application/json"
    return json.loads(file.upload.data)


async def rows(bot: FakeBot, *columns) -> list[tuple]:
    async with bot.services.unit_of_work() as uow:
        return [tuple(row) for row in await uow.session.execute(select(*columns))]


def activity(data: dict) -> dict[str, list]:
    """What the person did, from their data export."""
    return {
        "ideas": [idea["number"] for idea in data["ideas"]],
        "supports": [support["idea"] for support in data["idea_supports"]],
        "votes": [(vote["poll"], vote["answers"]) for vote in data["poll_votes"]],
        "workshops": [r["workshop"] for r in data["workshop_registrations"]],
    }


async def test_my_data_on_each_platform_holds_only_that_identity(tmp_path):
    bot, matrix, chat = await bernd_on_both_platforms(tmp_path)

    before_on_matrix = len(matrix.sent)
    on_chat = await my_data(bot, chat, BERND_ON_CHAT)
    assert len(matrix.sent) == before_on_matrix, "the chat identity's file goes through chat"
    assert on_chat["person"] == {"platform": "chat", "id": BERND_ON_CHAT}
    assert activity(on_chat) == {
        "ideas": [3], "supports": [1], "votes": [(2, ["Dienstag"])], "workshops": [1],
    }  # fmt: skip
    assert on_chat["profile"]["language"] == "de"
    assert BERND not in json.dumps(on_chat), "nothing of the Matrix identity"

    before_on_chat = len(chat.sent)
    on_matrix = await my_data(bot, matrix, BERND)
    assert len(chat.sent) == before_on_chat
    assert on_matrix["person"] == {"platform": "matrix", "id": BERND}
    assert activity(on_matrix) == {
        "ideas": [2], "supports": [1], "votes": [(1, ["Verkehr"])], "workshops": [1],
    }  # fmt: skip
    assert on_matrix["profile"]["language"] == "en"


async def test_erasure_on_chat_erases_the_chat_identity_only(tmp_path):
    bot, matrix, chat = await bernd_on_both_platforms(tmp_path)
    on_matrix = await my_data(bot, matrix, BERND)

    asked = await say_on(bot, chat, BERND_ON_CHAT, "!datenloeschen")
    assert "!datenloeschen bestaetigen" in asked
    not_his = await say_on(bot, matrix, BERND, "!deletemydata confirm")
    assert "There is no erasure request from you" in not_his, "asked on chat, not on Matrix"
    before_on_matrix = len(matrix.sent)
    done = await say_on(bot, chat, BERND_ON_CHAT, "!datenloeschen bestaetigen")
    assert "Ideen gelöscht: 1, ohne Namen erhalten: 0" in done
    assert "Stimmen entfernt: 1. Workshop-Anmeldungen entfernt: 1." in done
    [card] = [s for s in chat.sent if s.kind == "edit" and "Idee #3" in s.message.body]
    assert card.room_id == IDEAS_ROOM and "gelöscht" in card.message.body
    # Alice's card lives on Matrix: it loses the chat identity's support there.
    [recounted] = matrix.sent[before_on_matrix:]
    assert recounted.kind == "edit" and "Idee #1" in recounted.message.body
    assert "👍 1 ·" in recounted.message.body

    ideas_left = await rows(bot, Idea.number, Idea.platform, Idea.author_id)
    supports = await rows(bot, IdeaSupport.platform, IdeaSupport.supporter_id)
    votes = await rows(bot, PollResponse.platform, PollResponse.voter)
    registered = await rows(bot, WorkshopRegistration.platform, WorkshopRegistration.external_id)
    async with bot.services.unit_of_work() as uow:
        languages = [
            await uow.people.language_of(*who)
            for who in (("matrix", BERND), ("chat", BERND_ON_CHAT))
        ]
    assert sorted(ideas_left) == [(1, "matrix", ALICE), (2, "matrix", BERND)]
    assert supports == votes == registered == [("matrix", BERND)]
    assert languages == ["en", None], "his choice of German on chat went with the rest"

    assert await my_data(bot, matrix, BERND) == on_matrix, "the Matrix identity is untouched"
    after = await my_data(bot, chat, BERND_ON_CHAT)
    assert activity(after) == {"ideas": [], "supports": [], "votes": [], "workshops": []}


# ------------------------------------------------------------------------ moderation


async def test_people_are_named_as_the_platform_writes_them(tmp_path):
    bot = await chat_bot(tmp_path, (moderation,), FakeAdapter.limited("chat"))
    [blocked] = await bot.say(STAFF, "!sperren @bernd Spam")
    assert "bernd ist gesperrt" in blocked.body
    [refused] = await bot.say(STAFF, "!sperren @bernd:localhost")
    problem, usage = refused.body.split("\n")
    assert problem == "„@bernd:localhost“ ist keine Chat-Kennung wie @name."
    assert "!sperren <@name> [Dauer] [Grund]" in usage
