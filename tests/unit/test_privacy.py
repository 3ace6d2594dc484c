"""DSGVO in the chat: information, the first word in a direct chat, the data export and the
erasure, with every feature in play (see tests/unit/privacy_world.py)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import HANDLER_MODULES
from handlers.polls.lifecycle import tally_of
from storage.ideas.models import Idea
from storage.moderation.models import Block
from storage.polls.models import SecretVoter
from storage.polls.repository import PollRepository
from storage.questions.models import Question, QuestionExample, QuestionMessage
from tests.unit.fakes import FakeBot, make_fake_bot
from tests.unit.privacy_world import (
    ALICE,
    BERND,
    BERND_DM,
    DIGITAL,
    IDEAS_ROOM,
    MARIA,
    MOBILITY,
    NAMES,
    SABINE,
    TOM,
    everything_happened,
    in_thread,
    roots_in,
    say,
    town,
    traces_of,
)


@pytest.fixture
async def bot(tmp_path) -> FakeBot:
    """A bot without departments (quick to build) for the conversations about one thing."""
    return await make_fake_bot(tmp_path, HANDLER_MODULES, BOT_STAFF_USERS=SABINE)


@pytest.fixture
async def busy_town(tmp_path) -> FakeBot:
    """A town where Bernd, Sabine and Maria have used every feature."""
    bot = await town(tmp_path)
    await everything_happened(bot)
    return bot


async def rows(bot: FakeBot, model: type) -> list:
    async with bot.services.unit_of_work() as uow:
        return list(await uow.session.scalars(select(model)))


ERASED_NAME = "gelöschte*r Nutzer*in"


async def erase(bot: FakeBot, user: str) -> str:
    await say(bot, user, "!datenloeschen")
    return await say(bot, user, "!datenloeschen bestaetigen")


# ------------------------------------------------------------------ information


async def test_privacy_explains_controller_retention_and_rights(tmp_path):
    bot = await make_fake_bot(
        tmp_path,
        HANDLER_MODULES,
        BOT_PRIVACY_CONTROLLER="Stadt Würzburg",
        BOT_PRIVACY_CONTACT="datenschutz@wuerzburg.de",
        BOT_RETENTION_QUESTIONS_DAYS="30",
    )
    info = await say(bot, ALICE, "!datenschutz")
    assert "Verantwortlich: Stadt Würzburg" in info
    assert "datenschutz@wuerzburg.de" in info
    assert "30 Tage nach dem Abschluss" in info and "90 Tage nach dem Workshop" in info
    assert "!meinedaten" in info and "!datenloeschen" in info
    english = await say(bot, ALICE, "!privacy")
    assert "!mydata" in english or "!meinedaten" in english  # Alice chose no language


async def test_an_unset_controller_is_named_as_unset(bot):
    info = await say(bot, ALICE, "!privacy")
    assert "BOT_PRIVACY_CONTROLLER" in info and "BOT_PRIVACY_CONTACT" in info


async def test_the_first_direct_message_gets_an_introduction_once(bot):
    first = await say(bot, BERND, "!hilfe", room=BERND_DM, direct=True)
    assert first.startswith("Hallo! Ich bin ein automatischer Assistent")
    assert "!datenschutz" in first and "Das kann ich für dich tun" in first
    again = await say(bot, BERND, "hilfe", room=BERND_DM, direct=True)
    assert "automatischer Assistent" not in again
    in_a_room = await say(bot, ALICE, "!hilfe")
    assert "automatischer Assistent" not in in_a_room
    plain = await say(bot, ALICE, "hallo", room="!direct-a:localhost", direct=True)
    assert plain.startswith("Hallo! Ich bin ein automatischer Assistent")


# ---------------------------------------------------------------------- export


async def test_my_data_arrives_as_a_json_file_in_the_direct_chat(busy_town):
    bot = busy_town
    before = len(bot.adapter.sent)
    reply = await say(bot, BERND, "!mydata")
    assert "direct message" in reply
    [file] = [s for s in bot.adapter.sent[before:] if s.kind == "file"]
    assert file.room_id == await bot.adapter.direct_room(BERND)
    assert file.upload is not None and file.upload.content_type == "application/json"
    data = json.loads(file.upload.data)

    assert data["person"] == {"platform": "matrix", "id": BERND}
    assert data["profile"]["language"] == "en"
    assert data["profile"]["privacy_notice_shown_at"].startswith("2026-11-26T10:00")
    assert data["profile"]["display_names_stored"] == ["bernd"]
    assert [(i["number"], i["supports"]) for i in data["ideas"]] == [(1, 1), (2, 0)]
    assert [s["idea"] for s in data["idea_supports"]] == [3]
    assert data["idea_reports"][0]["reason"] == "doppelt gemeldet"
    assert [(v["poll"], v["answers"]) for v in data["poll_votes"]] == [
        (1, ["Bildung"]),
        (2, ["Montag"]),
    ]
    assert data["secret_polls_voted_in"] == [
        {"poll": 3, "question": "Geheim offen?", "choice": None},
        {"poll": 4, "question": "Geheim zu?", "choice": None},
    ]
    assert "cannot be attributed" in data["notes"]["secret_ballots"]
    [registration] = data["workshop_registrations"]
    assert registration["title"] == "Digitale Sprechstunde"
    assert registration["status"] == "registered"
    first, second = data["questions"]
    assert [(m["kind"], m["from"], m["text"]) for m in first["messages"]] == [
        ("answer", "Maria Fachfrau", "Im Frühjahr 2027."),
        ("followup", "you", "Danke, und in welchem Ortsteil zuerst?"),
    ]
    assert second["public"] is True
    [example] = second["learned_routing_examples"]
    assert (example["department"], example["from_department"]) == ("mobilitaet", "digitales")
    assert data["controller"]["name"].startswith("not set yet")
    assert ALICE not in file.upload.data.decode()  # nobody else's id

    before = len(bot.adapter.sent)
    await say(bot, MARIA, "!meinedaten", room="!direct-m:localhost", direct=True)
    [file] = [s for s in bot.adapter.sent[before:] if s.kind == "file"]
    done = json.loads(file.upload.data)["as_staff_or_expert"]
    assert [a["text"] for a in done["answers_written"]] == ["Im Frühjahr 2027.", "Auch 2027."]
    assert done["questions_forwarded"][0]["to"] == "mobilitaet"
    assert done["routing_examples_taught"] == 1
    assert BERND not in file.upload.data.decode()


async def test_my_data_asked_in_a_direct_chat_comes_right_there(bot):
    await say(bot, BERND, "!idee Mehr Bänke am Mainufer mit Blick aufs Wasser")
    before = len(bot.adapter.sent)
    await say(bot, BERND, "!meinedaten", room=BERND_DM, direct=True)
    kinds = [(s.room_id, s.kind) for s in bot.adapter.sent[before:]]
    assert (BERND_DM, "file") in kinds
    assert all(room == BERND_DM for room, _ in kinds)


# --------------------------------------------------------------------- erasure


async def test_erasure_needs_a_confirmation_within_ten_minutes(bot):
    await say(bot, BERND, "!idee Mehr Bänke am Mainufer mit Blick aufs Wasser")
    refused = await say(bot, BERND, "!datenloeschen bestaetigen")
    assert "keine Löschanfrage" in refused
    asked = await say(bot, BERND, "!datenloeschen")
    assert "!datenloeschen bestaetigen" in asked and "10 Minuten" in asked
    bot.services.clock.advance(timedelta(minutes=10, seconds=1))
    late = await say(bot, BERND, "!datenloeschen bestaetigen")
    assert "keine Löschanfrage" in late
    assert len(await rows(bot, Idea)) == 1
    await say(bot, BERND, "!datenloeschen")
    bot.services.clock.advance(timedelta(minutes=9))
    done = await say(bot, BERND, "!datenloeschen bestaetigen")
    assert "Ideen gelöscht: 1" in done
    assert await rows(bot, Idea) == []


async def test_after_erasure_no_table_holds_the_person(busy_town):
    bot = busy_town
    assert await traces_of(bot, {BERND, NAMES[BERND]})

    done = await erase(bot, BERND)

    assert "Ideas deleted: 1, kept without your name: 1" in done
    assert "Questions deleted: 1, kept without your name: 1" in done
    assert await traces_of(bot, {BERND, NAMES[BERND]}) == []
    for staff in (SABINE, MARIA):
        await erase(bot, staff)
        assert await traces_of(bot, {staff, NAMES[staff]}) == [], staff
    assert await traces_of(bot, {ALICE}), "others keep their data"


async def test_what_others_built_on_stays_and_the_chat_follows(busy_town):
    bot = busy_town
    closed_result = await say(bot, TOM, "!ergebnis 2")
    thread_of_first_question = roots_in(bot, DIGITAL)[0].event_id
    before = len(bot.adapter.sent)

    await erase(bot, BERND)

    kept, alices = await rows(bot, Idea)
    assert (kept.number, kept.author_name, kept.platform) == (1, ERASED_NAME, "deleted")
    assert alices.number == 3
    answered, other = await rows(bot, Question)
    assert (answered.id, answered.asker_name, answered.status) == (1, ERASED_NAME, "closed")
    assert other.asker == ALICE
    texts = [(m.question_id, m.author_name, m.text) for m in await rows(bot, QuestionMessage)]
    assert (1, ERASED_NAME, "Danke, und in welchem Ortsteil zuerst?") in texts
    assert (1, "Maria Fachfrau", "Im Frühjahr 2027.") in texts
    assert await rows(bot, QuestionExample) == []  # taken from the deleted question #2

    said = bot.adapter.sent[before:]
    edits = {(s.room_id, s.message.body.split(" wurde")[0]) for s in said if s.kind == "edit"}
    assert {(IDEAS_ROOM, "Idee #2"), (DIGITAL, "Frage #2"), (MOBILITY, "Frage #2")} <= edits
    card = next(s for s in said if s.kind == "edit" and "Idee #1" in s.message.body)
    assert f"eingereicht von {ERASED_NAME}" in card.message.body
    promoted = next(s for s in said if s.room_id == "!dm-@alice:localhost")
    assert "Ein Platz ist frei geworden" in promoted.message.body

    assert await say(bot, TOM, "!ergebnis 2") == closed_result
    async with bot.services.unit_of_work() as uow:
        polls = PollRepository(uow.session)
        open_poll, secret_open, secret_closed = [await polls.get(n) for n in (1, 3, 4)]
    assert (await tally_of(bot.services, open_poll)).voters == 1
    assert (await tally_of(bot.services, secret_open)).voters == 1  # counted, not attributable
    assert (await tally_of(bot.services, secret_closed)).voters == 1
    [voter] = await rows(bot, SecretVoter)
    assert voter.voter.startswith("deleted-")

    before = len(bot.adapter.sent)
    await in_thread(bot, MARIA, DIGITAL, thread_of_first_question, "Noch ein Nachtrag dazu.")
    assert all(s.room_id == DIGITAL for s in bot.adapter.sent[before:])  # nobody to tell


async def test_privacy_commands_work_for_blocked_people(bot):
    await say(bot, SABINE, f"!sperren {BERND} Spam")
    assert await say(bot, BERND, "!hilfe") == ""
    assert "Datenschutz" in await say(bot, BERND, "!datenschutz")
    assert "Direktnachricht" in await say(bot, BERND, "!meinedaten")
    done = await erase(bot, BERND)
    assert "Erledigt" in done and "laufende Sperre bleibt" in done
    [block] = await rows(bot, Block)
    assert block.external_id == BERND
    assert await say(bot, BERND, "!hilfe") == ""


async def test_an_expired_block_is_erased_with_the_rest(bot):
    await say(bot, SABINE, f"!sperren {BERND} 1h Spam")
    bot.services.clock.advance(timedelta(hours=2))
    assert "laufende Sperre" not in await erase(bot, BERND)
    assert await rows(bot, Block) == []
    assert await traces_of(bot, {BERND}) == []


async def test_privacy_commands_are_never_rate_limited(tmp_path):
    bot = await make_fake_bot(
        tmp_path, HANDLER_MODULES, BOT_RATE_LIMITS="datenschutz=1,meinedaten=1"
    )
    for _ in range(3):
        assert "Datenschutz" in await say(bot, BERND, "!datenschutz")
        assert "Direktnachricht" in await say(bot, BERND, "!meinedaten")
