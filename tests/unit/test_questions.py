"""Expert questions without a homeserver: asking, choosing, answering, forwarding, timers."""

from __future__ import annotations

import asyncio
import itertools
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.config import ConfigError, Settings
from bot.context import Actor, IncomingMessage, Place
from bot.errors import AlreadyProcessed
from handlers.questions import commands as questions
from handlers.questions import flow as question_flow
from handlers.questions.routing import (
    QuestionRouter,
    example_weight,
    pseudonym_code,
    question_router,
)
from storage.questions.models import Question, QuestionExample, QuestionNotice
from tests.integration.question_support import write_departments
from tests.unit.fakes import FakeAdapter, FakeBot, Sent, make_fake_bot

ALICE, BOB = "@alice:localhost", "@bob:localhost"
MARIA, TOM, SABINE = "@maria:localhost", "@tom:localhost", "@sabine:localhost"
FORUM = "!forum:localhost"
DIGITAL, MOBILITY, OTHER = "!dig:localhost", "!mob:localhost", "!other:localhost"
STAFF_ROOM = "!staff:localhost"
GLASFASER = "Wann kommt Glasfaser nach Rimpar?"
VAGUE = "Ich habe eine Frage zu etwas ganz anderem"

_thread_events = itertools.count()


@pytest.fixture
async def bot(tmp_path) -> FakeBot:
    departments = write_departments(tmp_path, {"digitales": DIGITAL, "mobilitaet": MOBILITY}, OTHER)
    fake = await make_fake_bot(
        tmp_path,
        (questions,),
        BOT_DEPARTMENTS_FILE=str(departments),
        BOT_STAFF_ROOM=STAFF_ROOM,
        BOT_STAFF_USERS=SABINE,
    )
    fake.adapter.members |= {(DIGITAL, MARIA), (MOBILITY, TOM)}
    await questions.start_questions(fake.services)
    return fake


def sent_to(bot: FakeBot, room: str) -> list[Sent]:
    return [sent for sent in bot.adapter.sent if sent.room_id == room]


def root_in(bot: FakeBot, room: str) -> Sent:
    """The latest thread root the bot posted in a department room."""
    return [sent for sent in sent_to(bot, room) if sent.thread_root is None][-1]


async def in_thread(bot: FakeBot, user: str, room: str, root: str, text: str) -> list[Sent]:
    """`user` writes `text` in the thread of `root`, as Element sends it."""
    before = len(bot.adapter.sent)
    name = "Maria Fachfrau" if user == MARIA else user[1:].split(":")[0]
    await bot.router.handle(
        IncomingMessage(
            f"$thread{next(_thread_events)}",
            Actor("matrix", user, name),
            Place(room, False),
            text,
            reply_to=root,
            thread_root=root,
        )
    )
    return bot.adapter.sent[before:]


async def count(bot: FakeBot, model: type) -> int:
    async with bot.services.unit_of_work() as uow:
        return await uow.session.scalar(select(func.count()).select_from(model)) or 0


async def ask_glasfaser(bot: FakeBot) -> Sent:
    await bot.say(ALICE, f"!frage {GLASFASER}", room=FORUM)
    return root_in(bot, DIGITAL)


# ---------------------------------------------------------------------------- asking


async def test_a_clear_question_goes_to_its_department_under_a_pseudonym(bot):
    answers = await bot.say(ALICE, f"!frage {GLASFASER}", room=FORUM)

    assert len(answers) == 2  # the thread root and the note to the citizen
    told = sent_to(bot, FORUM)[-1]
    assert "Deine Frage #1 ging an: Digitale Verwaltung & Infrastruktur" in told.message.body
    assert told.reply_to == "$event0"
    assert told.message.mentions == (ALICE,)
    root = root_in(bot, DIGITAL)
    assert "Frage #1 an Digitale Verwaltung & Infrastruktur" in root.message.body
    assert GLASFASER in root.message.body
    assert "Bürger*in " in root.message.body
    assert ALICE not in root.message.body and "alice" not in root.message.body


async def test_the_thread_is_opened_with_a_title_from_the_catalog(bot):
    await ask_glasfaser(bot)

    assert bot.adapter.thread_titles == ["Frage #1 · Digitale Verwaltung & Infrastruktur"]


async def test_the_pseudonym_is_stable_and_keyed(bot):
    await bot.say(ALICE, f"!frage {GLASFASER}")
    await bot.say(ALICE, "!frage Wie beantrage ich die BayernID für das Bürgerbüro?")
    await bot.say(BOB, f"!frage {GLASFASER}")
    first, second, third = (s.message.body for s in sent_to(bot, DIGITAL))
    code = first.split("Bürger*in ")[1][:4]
    assert f"Bürger*in {code}" in second
    assert f"Bürger*in {code}" not in third
    assert code != pseudonym_code(b"", "matrix", ALICE)  # not derivable without the key


async def test_public_questions_show_the_name(bot):
    await bot.say(ALICE, f"!frage --oeffentlich {GLASFASER}")
    await bot.say(BOB, f"!ask {GLASFASER} --public")
    first, second = (s.message.body for s in sent_to(bot, DIGITAL))
    assert f"alice ({ALICE})" in first and GLASFASER + "\n" in first
    assert f"bob ({BOB})" in second and "--public" not in second


async def test_a_leading_department_tag_routes_directly(bot):
    await bot.say(ALICE, f"!frage #verkehr {GLASFASER}")
    root = root_in(bot, MOBILITY)
    assert "#verkehr" not in root.message.body and GLASFASER in root.message.body
    assert not sent_to(bot, DIGITAL)


async def test_an_unknown_department_tag_is_refused_with_the_list(bot):
    [answer] = await bot.say(ALICE, f"!frage #zoo {GLASFASER}")
    assert "„#zoo“" in answer.body and "#mobilitaet, #umwelt" in answer.body
    assert await count(bot, Question) == 0


@pytest.mark.parametrize("text", ["Glasfaser", "x" * 2001, "#digitales kurz"])
async def test_question_length_is_checked(bot, text):
    [answer] = await bot.say(ALICE, f"!frage {text}")
    assert "zwischen 10 und 2000 Zeichen" in answer.body
    assert await count(bot, Question) == 0


async def test_a_dash_in_the_question_is_text_not_an_option(bot):
    await bot.say(ALICE, "!frage Glasfaser in Rimpar – wann ist es so weit?")
    assert "Glasfaser in Rimpar – wann" in root_in(bot, DIGITAL).message.body


async def test_without_departments_questions_are_not_set_up(tmp_path):
    fake = await make_fake_bot(tmp_path, (questions,))
    [answer] = await fake.say(ALICE, f"!frage {GLASFASER}")
    assert "nicht eingerichtet" in answer.body


async def test_a_replayed_question_is_stored_once(bot):
    message = IncomingMessage(
        "$same", Actor("matrix", ALICE, "alice"), Place(FORUM, False), f"!frage {GLASFASER}"
    )
    await bot.router.handle(message)
    await bot.router.handle(message)  # the router skips it
    with pytest.raises(AlreadyProcessed):  # and so would the flow itself
        await question_flow.ask(
            bot.services, message, GLASFASER, public=False, department=None, how="router"
        )
    assert await count(bot, Question) == 1
    assert len(sent_to(bot, DIGITAL)) == 1


# --------------------------------------------------------------------------- choosing


async def test_an_unclear_question_offers_three_departments_and_a_number_picks(bot):
    [offer] = await bot.say(ALICE, f"!frage {VAGUE}", room=FORUM)
    assert "Antworte mit der Nummer" in offer.body
    assert "1. Mobilität & Verkehr" in offer.body and "3. Digitale Verwaltung" in offer.body
    assert not sent_to(bot, DIGITAL)

    assert await bot.say(BOB, "3", room=FORUM) == []  # not Bob's offer: ignored
    assert not sent_to(bot, DIGITAL)
    await bot.say(ALICE, "3", room=FORUM)
    assert VAGUE in root_in(bot, DIGITAL).message.body
    assert "ging an: Digitale Verwaltung" in sent_to(bot, FORUM)[-1].message.body
    assert await bot.say(ALICE, "3", room=FORUM) == []  # the offer is used up


async def test_a_number_outside_the_offer_is_explained(bot):
    await bot.say(ALICE, f"!frage {VAGUE}")
    [answer] = await bot.say(ALICE, "7")
    assert "Nummer von 1 bis 3" in answer.body


async def test_picking_by_command(bot):
    await bot.say(ALICE, f"!frage {VAGUE}", room=FORUM)
    [refused] = await bot.say(BOB, "!frage 1 2")
    assert "Eine Frage #1 von dir finde ich nicht" in refused.body
    [wrong] = await bot.say(ALICE, "!frage 1 9")
    assert "von 1 bis 3" in wrong.body
    await bot.say(ALICE, "!frage #1 1", room="!elsewhere:localhost")
    assert VAGUE in root_in(bot, MOBILITY).message.body
    told = sent_to(bot, FORUM)[-1]
    assert "ging an: Mobilität & Verkehr" in told.message.body and told.reply_to == "$event0"
    [again] = await bot.say(ALICE, "!frage 1 2")
    assert "wartet nicht mehr auf eine Auswahl" in again.body


async def test_an_unanswered_offer_expires_once_after_a_day(bot):
    await bot.say(ALICE, f"!frage {VAGUE}", room=FORUM)
    bot.services.clock.advance(timedelta(hours=23))
    assert await bot.services.scheduler.run_due() == 0
    bot.services.clock.advance(timedelta(hours=1))
    await bot.services.scheduler.run_due()
    expired = sent_to(bot, FORUM)[-1]
    assert "ist verfallen" in expired.message.body and expired.reply_to == "$event0"
    await questions.start_questions(bot.services)  # a restart schedules nothing more
    assert await bot.services.scheduler.run_due() == 0
    assert await bot.say(ALICE, "1", room=FORUM) == []
    [mine] = await bot.say(ALICE, "!meinefragen")
    assert "verfallen" in mine.body
    [late] = await bot.say(ALICE, "!nachfrage 1 Hallo?")
    assert "ist verfallen" in late.body


# -------------------------------------------------------------------------- answering


async def test_an_experts_thread_reply_reaches_the_citizen_as_a_reply(bot):
    root = await ask_glasfaser(bot)
    sent = await in_thread(bot, MARIA, DIGITAL, root.event_id, "Der Ausbau beginnt im Mai.")
    [relayed] = sent
    assert relayed.room_id == FORUM and relayed.reply_to == "$event0"
    assert relayed.message.mentions == (ALICE,)
    assert "Antwort auf deine Frage #1 von Maria Fachfrau" in relayed.message.body
    assert "(Digitale Verwaltung & Infrastruktur)" in relayed.message.body
    assert "Der Ausbau beginnt im Mai." in relayed.message.body
    second = await in_thread(bot, MARIA, DIGITAL, root.event_id, "Ergänzung: in Rimpar ab Juni.")
    assert len(second) == 1 and "ab Juni" in second[0].message.body


async def test_thread_messages_of_non_experts_and_internal_notes_stay_in_the_room(bot):
    root = await ask_glasfaser(bot)
    assert await in_thread(bot, BOB, DIGITAL, root.event_id, "Ich weiß es auch nicht") == []
    assert await in_thread(bot, MARIA, DIGITAL, root.event_id, "// Tom, weißt du das?") == []
    assert await in_thread(bot, MARIA, DIGITAL, "$unrelated", "Hallo zusammen") == []


async def test_a_question_asked_in_a_direct_chat_is_answered_there(bot):
    await bot.say(ALICE, f"frage {GLASFASER}", room="!dm-alice:localhost", direct=True)
    root = root_in(bot, DIGITAL)
    [relayed] = await in_thread(bot, MARIA, DIGITAL, root.event_id, "Im Mai geht es los.")
    assert relayed.room_id == "!dm-alice:localhost" and relayed.message.mentions == ()


async def test_answer_by_command_is_relayed_and_shown_in_the_thread(bot):
    root = await ask_glasfaser(bot)
    confirmation = (await bot.say(MARIA, "!antwort 1 Der Ausbau beginnt im Mai.", room=DIGITAL))[-1]
    assert "an die fragende Person weitergegeben" in confirmation.body
    relayed = sent_to(bot, FORUM)[-1]
    assert "Der Ausbau beginnt im Mai." in relayed.message.body
    echo = [s for s in sent_to(bot, DIGITAL) if s.thread_root == root.event_id][-1]
    assert "maria hat per Befehl geantwortet" in echo.message.body


async def test_only_experts_of_that_department_or_staff_answer_by_command(bot):
    await ask_glasfaser(bot)
    [citizen] = await bot.say(BOB, "!antwort 1 Keine Ahnung")
    assert "Expert*innen" in citizen.body
    [other] = await bot.say(TOM, "!antwort 1 Keine Ahnung")
    assert "der Abteilung, bei der die Frage gerade liegt" in other.body
    staff = (await bot.say(SABINE, "!antwort 1 Im Mai."))[-1]
    assert "weitergegeben" in staff.body
    [missing] = await bot.say(MARIA, "!antwort 99 Im Mai.")
    assert "#99" in missing.body


# -------------------------------------------------------------------- closing, forwarding


async def test_done_in_the_thread_closes_and_tells_the_citizen(bot):
    root = await ask_glasfaser(bot)
    sent = await in_thread(bot, MARIA, DIGITAL, root.event_id, "!erledigt")
    bodies = {s.room_id: s.message.body for s in sent}
    assert "Deine Frage #1 ist erledigt" in bodies[FORUM]
    assert "als erledigt markiert" in bodies[DIGITAL]
    assert sent[0].thread_root == root.event_id
    [again] = await in_thread(bot, MARIA, DIGITAL, root.event_id, "!done")
    assert "Question #1 is already done" in again.message.body
    [mine] = await bot.say(ALICE, "!meinefragen")
    assert "#1 · Digitale Verwaltung & Infrastruktur · erledigt" in mine.body


async def test_the_asker_may_close_their_question_but_nobody_else(bot):
    await ask_glasfaser(bot)
    [refused] = await bot.say(BOB, "!erledigt 1")
    assert "Expert*innen" in refused.body
    [nowhere] = await bot.say(MARIA, "!erledigt")
    assert "im Thread der Frage" in nowhere.body
    *_, closed = await bot.say(ALICE, "!erledigt 1")
    assert "Frage #1 ist erledigt" in closed.body
    assert not [s for s in sent_to(bot, FORUM) if "Danke fürs Fragen" in s.message.body]


async def test_forward_moves_the_question_with_its_history_and_teaches_the_router(bot):
    root = await ask_glasfaser(bot)
    await in_thread(bot, MARIA, DIGITAL, root.event_id, "Das ist eher Straßenbau.")
    await bot.say(ALICE, "!nachfrage 1 Es geht um die Baustelle in der Hauptstraße.")
    sent = await in_thread(bot, MARIA, DIGITAL, root.event_id, "!weiterleiten mobilitaet")

    new_root = root_in(bot, MOBILITY)
    body = new_root.message.body
    assert "weitergeleitet von Digitale Verwaltung & Infrastruktur" in body
    assert "Maria Fachfrau (Digitale Verwaltung & Infrastruktur): Das ist eher Straßenbau." in body
    assert "Nachfrage: Es geht um die Baustelle" in body and "Bürger*in " in body
    moved = [s for s in sent if s.room_id == DIGITAL]
    assert "an Mobilität & Verkehr weitergeleitet" in moved[0].message.body
    assert "an Mobilität & Verkehr weitergeleitet" in sent_to(bot, FORUM)[-1].message.body
    assert await count(bot, QuestionExample) == 1
    async with bot.services.unit_of_work() as uow:
        [example] = (await uow.session.scalars(select(QuestionExample))).all()
    assert (example.department_id, example.from_department_id) == ("mobilitaet", "digitales")
    router = bot.services.state["questions"]
    assert router.classify(GLASFASER).candidates.index("mobilitaet") < 2

    # Answers in the old thread are no longer passed on; the new department answers.
    [moved_on] = await in_thread(bot, MARIA, DIGITAL, root.event_id, "Noch was")
    assert "inzwischen bei Mobilität & Verkehr" in moved_on.message.body
    [relayed] = await in_thread(
        bot, TOM, MOBILITY, new_root.event_id, "Die Baustelle endet im Mai."
    )
    assert relayed.room_id == FORUM and "(Mobilität & Verkehr)" in relayed.message.body


async def test_forward_errors(bot):
    root = await ask_glasfaser(bot)
    [same] = await in_thread(bot, MARIA, DIGITAL, root.event_id, "!weiterleiten digitales")
    assert "schon bei Digitale Verwaltung" in same.message.body
    [unknown] = await in_thread(bot, MARIA, DIGITAL, root.event_id, "!weiterleiten zoo")
    assert "„zoo“" in unknown.message.body
    [foreign] = await bot.say(TOM, "!weiterleiten 1 umwelt")
    assert "der Abteilung, bei der die Frage gerade liegt" in foreign.body
    [bad_number] = await bot.say(MARIA, "!weiterleiten eins umwelt")
    assert "keine gültige Nummer" in bad_number.body
    await bot.say(MARIA, "!erledigt 1")
    [closed] = await bot.say(MARIA, "!weiterleiten 1 umwelt")
    assert "schon erledigt" in closed.body


async def test_staff_review_and_remove_learned_examples(bot):
    root = await ask_glasfaser(bot)
    [empty] = await bot.say(SABINE, "!lernbeispiele")
    assert "noch nichts" in empty.body
    await bot.say(MARIA, "!weiterleiten 1 mobilitaet")
    assert root.event_id
    [listed] = await bot.say(SABINE, "!examples")
    assert f"No. 1 → Mobilität & Verkehr: “{GLASFASER}” (question #1)" in listed.body
    [refused] = await bot.say(MARIA, "!lernbeispiele")
    assert "Mitarbeitende" in refused.body
    [removed] = await bot.say(SABINE, "!lernbeispiel-entfernen 1")
    assert "Nr. 1 ist entfernt" in removed.body
    assert await count(bot, QuestionExample) == 0
    assert bot.services.state["questions"].classify(GLASFASER).department == "digitales"
    [missing] = await bot.say(SABINE, "!lernbeispiel-entfernen 1")
    assert "gibt es nicht" in missing.body


async def test_learned_examples_survive_a_restart(bot):
    await ask_glasfaser(bot)
    await bot.say(MARIA, "!weiterleiten 1 mobilitaet")
    bot.services.state.clear()
    await questions.start_questions(bot.services)
    learned = (await question_router(bot.services)).classify(GLASFASER)
    assert learned.candidates.index("mobilitaet") < 2


async def test_a_question_asked_while_the_router_trains_waits_for_it(bot, monkeypatch):
    """Training runs in a worker thread: the start hook does not wait for it, and a question
    that comes first is routed once it is done."""
    release = threading.Event()
    build = QuestionRouter.build

    def held_build(*args):
        release.wait(timeout=60)
        return build(*args)

    monkeypatch.setattr(QuestionRouter, "build", staticmethod(held_build))
    bot.services.state.clear()
    await questions.start_questions(bot.services)
    assert "questions" not in bot.services.state
    asking = asyncio.create_task(bot.say(ALICE, f"!frage {GLASFASER}", room=FORUM))
    await asyncio.sleep(0.1)
    assert not asking.done()
    release.set()
    assert len(await asking) == 2
    assert GLASFASER in root_in(bot, DIGITAL).message.body


async def test_learned_examples_age(bot):
    """After ten half-lives (`BOT_QUESTION_EXAMPLE_HALF_LIFE_DAYS`, 180 by default) a forward
    counts a thousandth as much as a fresh one: the file's own evidence wins again, also in a
    bot that was not restarted (the router re-weighs its examples once a day)."""
    await ask_glasfaser(bot)
    await bot.say(MARIA, "!weiterleiten 1 mobilitaet")
    fresh = bot.services.state["questions"].classify(GLASFASER)
    bot.services.clock.advance(timedelta(days=1800))
    aged = (await question_router(bot.services)).classify(GLASFASER)  # no restart needed
    assert (fresh.department, aged.department) == ("mobilitaet", "digitales")
    assert await question_router(bot.services) is bot.services.state["questions"]


def test_an_example_counts_half_after_one_half_life():
    taught = datetime(2026, 1, 1, tzinfo=UTC)
    assert example_weight(taught, taught, 180) == 1.0
    assert example_weight(taught, taught + timedelta(days=180), 180) == pytest.approx(0.5)
    assert example_weight(taught, taught + timedelta(days=360), 180) == pytest.approx(0.25)
    assert example_weight(taught, taught + timedelta(days=3650), 0) == 1.0


# ---------------------------------------------------------------------------- citizens


async def test_follow_up_goes_to_the_thread_and_only_for_the_asker(bot):
    root = await ask_glasfaser(bot)
    *_, added = await bot.say(ALICE, "!nachfrage 1 Gilt das auch für Maidbronn?")
    assert "Nachfrage zu #1" in added.body
    followup = sent_to(bot, DIGITAL)[-1]
    assert followup.thread_root == root.event_id
    assert "Nachfrage von Bürger*in " in followup.message.body
    assert "Gilt das auch für Maidbronn?" in followup.message.body
    [foreign] = await bot.say(BOB, "!nachfrage 1 Und für mich?")
    assert "finde ich nicht" in foreign.body
    await bot.say(MARIA, "!erledigt 1")
    [closed] = await bot.say(ALICE, "!followup 1 One more thing")
    assert "already done. Feel free to ask a new one with !ask" in closed.body


async def test_follow_up_before_a_department_is_chosen(bot):
    await bot.say(ALICE, f"!frage {VAGUE}")
    [early] = await bot.say(ALICE, "!nachfrage 1 Noch etwas dazu")
    assert "wähle zuerst eine Abteilung" in early.body


async def test_my_questions_list_status_and_age(bot):
    [empty] = await bot.say(ALICE, "!meinefragen")
    assert "noch keine Fragen" in empty.body
    root = await ask_glasfaser(bot)
    await bot.say(ALICE, f"!frage {VAGUE}")
    await in_thread(bot, MARIA, DIGITAL, root.event_id, "Im Mai.")
    bot.services.clock.advance(timedelta(hours=50))
    [mine] = await bot.say(ALICE, "!myquestions")
    lines = mine.body.splitlines()
    assert lines[0] == "Your questions:"
    assert lines[1].startswith("• #2 · – · waiting for a department to be chosen · 2 d 2 h")
    assert lines[2].startswith("• #1 · Digitale Verwaltung & Infrastruktur · answered")


# -------------------------------------------------------------------------------- staff


async def test_staff_overview_of_open_and_overdue_questions(bot):
    await ask_glasfaser(bot)
    await bot.say(BOB, "!frage Warum fährt die Straßenbahn am Sonntag so selten?")
    bot.services.clock.advance(timedelta(hours=73))
    await bot.say(ALICE, "!frage Wie beantrage ich die BayernID für das Bürgerbüro?")
    [everything] = await bot.say(SABINE, "!fragen")
    assert "Offene Fragen (3)" in everything.body
    [overdue] = await bot.say(SABINE, "!fragen ueberfaellig")
    assert "(2," in overdue.body and "#3" not in overdue.body
    [mobility] = await bot.say(SABINE, "!questions overdue verkehr")
    assert "#2 · Mobilität & Verkehr · open · 3 d 1 h" in mobility.body
    assert "#1" not in mobility.body
    [refused] = await bot.say(MARIA, "!fragen")
    assert "Mitarbeitende" in refused.body
    [unknown] = await bot.say(SABINE, "!fragen zoo")
    assert "„zoo“" in unknown.body


# ------------------------------------------------------------------------------ timers


async def test_reminder_then_escalation_each_exactly_once(bot):
    root = await ask_glasfaser(bot)
    clock, scheduler = bot.services.clock, bot.services.scheduler
    clock.advance(timedelta(hours=24))
    await scheduler.run_due()
    reminder = sent_to(bot, DIGITAL)[-1]
    assert reminder.thread_root == root.event_id
    assert "wartet seit 24 Stunden" in reminder.message.body

    await questions.start_questions(bot.services)  # a restart: the reminder is not repeated
    assert await scheduler.run_due() == 0
    clock.advance(timedelta(hours=48))
    await scheduler.run_due()
    [escalation] = sent_to(bot, STAFF_ROOM)
    assert "Frage #1 (Digitale Verwaltung & Infrastruktur) ist seit 72 Stunden" in (
        escalation.message.body
    )
    longer = sent_to(bot, FORUM)[-1]
    assert "länger als üblich" in longer.message.body and longer.reply_to == "$event0"

    await questions.start_questions(bot.services)
    clock.advance(timedelta(days=10))
    assert await scheduler.run_due() == 0
    assert len(sent_to(bot, STAFF_ROOM)) == 1


async def test_an_answer_stops_the_timers(bot):
    root = await ask_glasfaser(bot)
    await in_thread(bot, MARIA, DIGITAL, root.event_id, "Im Mai.")
    bot.services.clock.advance(timedelta(days=5))
    await bot.services.scheduler.run_due()
    await questions.start_questions(bot.services)
    await bot.services.scheduler.run_due()
    assert not sent_to(bot, STAFF_ROOM)
    assert not [s for s in sent_to(bot, DIGITAL) if "wartet seit" in s.message.body]


# ---------------------------------------------------------------------------- delivery


async def test_a_failed_send_is_retried_and_delivered_once(bot):
    adapter = bot.adapter
    real_send = adapter.send
    failing = True

    async def flaky_send(room_id, message, **kwargs):
        if failing and room_id == DIGITAL:
            raise ConnectionError("homeserver away")
        return await real_send(room_id, message, **kwargs)

    adapter.send = flaky_send
    await bot.say(ALICE, f"!frage {GLASFASER}", room=FORUM)
    assert not sent_to(bot, DIGITAL)
    assert "question-notices" in bot.services.scheduler.job_ids()
    failing = False
    bot.services.clock.advance(timedelta(minutes=1))
    await bot.services.scheduler.run_due()
    assert len(sent_to(bot, DIGITAL)) == 1
    async with bot.services.unit_of_work() as uow:
        pending = await uow.session.scalar(
            select(func.count()).select_from(QuestionNotice).where(QuestionNotice.sent_at.is_(None))
        )
    assert pending == 0


# ------------------------------------------------------------------------------ settings

BASE_ENV = {"MATRIX_HOMESERVER": "http://x", "MATRIX_USER_ID": "@b:x", "MATRIX_PASSWORD": "x"}


def test_question_timers_default_to_a_day_and_three_days():
    settings = Settings.from_env(env=BASE_ENV)
    assert settings.question_remind == timedelta(hours=24)
    assert settings.question_sla == timedelta(hours=72)
    custom = Settings.from_env(
        env={**BASE_ENV, "BOT_QUESTION_REMIND": "90m", "BOT_QUESTION_SLA": "2d"}
    )
    assert (custom.question_remind, custom.question_sla) == (
        timedelta(minutes=90),
        timedelta(days=2),
    )


@pytest.mark.parametrize(
    ("remind", "sla", "problem"),
    [
        ("morgen", "72h", "BOT_QUESTION_REMIND must be a duration"),
        ("24h", "0h", "BOT_QUESTION_SLA must be a duration"),
        ("3d", "72h", "BOT_QUESTION_REMIND must be shorter than BOT_QUESTION_SLA"),
    ],
)
def test_bad_question_timers_are_named(remind, sla, problem):
    with pytest.raises(ConfigError) as error:
        Settings.from_env(env={**BASE_ENV, "BOT_QUESTION_REMIND": remind, "BOT_QUESTION_SLA": sla})
    assert any(line.startswith(problem) for line in error.value.problems)


async def test_an_expert_by_the_departments_group_answers_without_seeing_its_room(tmp_path):
    departments = write_departments(tmp_path, {"digitales": DIGITAL, "mobilitaet": MOBILITY}, OTHER)
    text = departments.read_text("utf-8").replace(
        'id = "digitales"', 'id = "digitales"\ndiscord_role = "4242"'
    )
    assert "discord_role" in text
    departments.write_text(text, "utf-8")
    bot = await make_fake_bot(
        tmp_path,
        (questions,),
        adapter=FakeAdapter(platform="discord"),
        BOT_DEPARTMENTS_FILE=str(departments),
    )
    await questions.start_questions(bot.services)
    await bot.say(ALICE, f"!frage {GLASFASER}", room=FORUM)
    [outsider] = await bot.say(MARIA, "!antwort 1 Der Ausbau beginnt im Mai.", room=FORUM)
    assert "Expert*innen" in outsider.body
    bot.adapter.groups.add(("4242", MARIA))
    confirmation = (await bot.say(MARIA, "!antwort 1 Der Ausbau beginnt im Mai.", room=FORUM))[-1]
    assert "an die fragende Person weitergegeben" in confirmation.body
