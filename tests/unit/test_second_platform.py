"""The civic core on a platform whose flags differ from Matrix, next to the Matrix fake.

`FakeAdapter.limited("chat")` has native polls of at most 10 answers of 55 characters that
cannot hide results and run whole hours, no threads, and reactions removed by person (no
reaction ids). Handlers must ask these flags and fall back, and tell staff why.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.context import Actor, IncomingMessage, IncomingReaction, IncomingReactionRemoved, Place
from handlers import moderation
from handlers.ideas import commands as ideas
from handlers.polls import commands as polls
from handlers.questions import commands as questions
from storage.ideas.models import IdeaSupport
from tests.integration.question_support import write_departments
from tests.unit.fakes import FakeAdapter, FakeBot, make_fake_bot

STAFF, ALICE, BERND = "@sabine:localhost", "@alice:localhost", "@bernd:localhost"
MARIA = "@maria:localhost"
FORUM, IDEAS_ROOM = "!forum:localhost", "!ideas:localhost"
DIGITAL, MOBILITY, OTHER = "!dig:localhost", "!mob:localhost", "!other:localhost"
TWELVE = " ".join(f'"Antwort {n}"' for n in range(1, 13))
PLATFORM_WORDS = {"platforms.chat.user_reference": "Chat-Kennung"}
ADAPTERS = {"matrix": FakeAdapter, "chat": lambda: FakeAdapter.limited("chat")}


async def chat_bot(tmp_path, modules, adapter: FakeAdapter, **env: str) -> FakeBot:
    return await make_fake_bot(
        tmp_path, modules, PLATFORM_WORDS, adapter=adapter, BOT_STAFF_USERS=STAFF, **env
    )


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
    ],
)
async def test_other_limits_of_native_polls_are_explained(tmp_path, options, reason):
    bot = await chat_bot(tmp_path, (polls,), FakeAdapter.limited("chat"))
    *_, notice = await bot.say(STAFF, f'!umfrage "Was zuerst?" "A" "B" {options}', room=FORUM)
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
    assert all(sent.thread_root is None for sent in bot.adapter.sent)


# ------------------------------------------------------------------------ moderation


async def test_people_are_named_as_the_platform_writes_them(tmp_path):
    bot = await chat_bot(tmp_path, (moderation,), FakeAdapter.limited("chat"))
    [blocked] = await bot.say(STAFF, "!sperren @bernd Spam")
    assert "bernd ist gesperrt" in blocked.body
    [refused] = await bot.say(STAFF, "!sperren @bernd:localhost")
    problem, usage = refused.body.split("\n")
    assert problem == "„@bernd:localhost“ ist keine Chat-Kennung wie @name."
    assert "!sperren <@name> [Dauer] [Grund]" in usage
