"""The ideas box as people meet it, on the recording fake adapter (no homeserver)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.adapters.matrix.render import matrix_html
from bot.config import example_departments_file
from bot.context import (
    Actor,
    IncomingMessage,
    IncomingReaction,
    IncomingReactionRemoved,
    Place,
)
from handlers import exports
from handlers.ideas import commands as ideas
from handlers.ideas import export as ideas_export
from handlers.ideas import staff_commands as ideas_staff
from handlers.ideas.similarity import SimilarityIndex
from handlers.ideas.state import ideas_state
from storage.ideas.models import Idea, IdeaSupport
from tests.unit.fakes import FakeBot, make_fake_bot

STAFF = "@sabine:localhost"
ALICE = "@alice:localhost"
BERND = "@bernd:localhost"
CARLA = "@carla:localhost"
DIETER = "@dieter:localhost"
STAFF_ROOM = "!staff:localhost"
IDEAS_ROOM = "!ideas:localhost"
EXAMPLE_DEPARTMENTS = example_departments_file()
MODULES = (ideas, ideas_staff, exports, ideas_export)


async def make_bot(tmp_path, **env: str) -> FakeBot:
    settings = {
        "BOT_STAFF_USERS": STAFF,
        "BOT_STAFF_ROOM": STAFF_ROOM,
        "BOT_IDEAS_ROOM": IDEAS_ROOM,
        "BOT_DEPARTMENTS_FILE": str(EXAMPLE_DEPARTMENTS),
        **env,
    }
    return await make_fake_bot(tmp_path, MODULES, **settings)


@pytest.fixture
async def bot(tmp_path) -> FakeBot:
    return await make_bot(tmp_path)


async def stored(bot: FakeBot, model=Idea) -> int:
    async with bot.services.unit_of_work() as uow:
        return await uow.session.scalar(select(func.count()).select_from(model)) or 0


def sent_to(bot: FakeBot, room: str, kind: str | None = None):
    return [s for s in bot.adapter.sent if s.room_id == room and (kind is None or s.kind == kind)]


def card_edits(bot: FakeBot):
    return [s for s in bot.adapter.sent if s.kind == "edit" and s.room_id == IDEAS_ROOM]


async def react(bot: FakeBot, user: str, target: str, event_id: str, key: str = "👍") -> None:
    actor = Actor("matrix", user, user[1:].split(":")[0])
    await bot.router.dispatch(
        IncomingReaction(event_id, actor, Place(IDEAS_ROOM, False), target, key, datetime.now(UTC))
    )


async def withdraw(bot: FakeBot, user: str, target: str, event_id: str, key: str = "👍") -> None:
    """The person takes their reaction back (on Matrix the adapter reports a redaction so)."""
    actor = Actor("matrix", user, user[1:].split(":")[0])
    place = Place(IDEAS_ROOM, False)
    await bot.router.dispatch(
        IncomingReactionRemoved(event_id, actor, place, target, key, datetime.now(UTC))
    )


# --- submitting ---------------------------------------------------------------------------


async def test_an_idea_gets_a_number_a_proposed_category_and_a_card(bot):
    [reply, card] = await bot.say(ALICE, "!idee Mehr Radständer am Bahnhof")
    assert "#1" in reply.body and "Mobilität & Verkehr" in reply.body
    assert "vorgeschlagen" in reply.body and "!idee #mobilitaet" in reply.body
    assert bot.adapter.sent[-1].room_id == IDEAS_ROOM
    assert "Idee #1" in card.body and "Mehr Radständer am Bahnhof" in card.body
    assert "👍 0" in card.body and "alice" in card.body


async def test_a_given_category_is_taken_and_english_works(bot):
    [reply, _card] = await bot.say(ALICE, "!idea #umwelt More trees on the market square")
    assert "stored as **#1**" not in reply.body  # bold markers only in HTML
    assert "stored as #1" in reply.body and "Category: Umwelt, Klima & Energie." in reply.body


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("!idee zu kurz", "zwischen 10 und 2000"),
        ("!idee #mobilitaet kurz", "zwischen 10 und 2000"),
        ("!idee " + "x" * 2001, "zwischen 10 und 2000"),
        ("!idee #quatsch Mehr Radständer am Bahnhof", "„quatsch“ kenne ich nicht"),
        ("!idee", "fehlt noch"),
        ('!idee "Mehr Radständer', "Anführungszeichen"),
    ],
)
async def test_bad_ideas_are_refused_and_nothing_is_stored(bot, text, key):
    [reply] = await bot.say(ALICE, text)
    assert key in reply.body and "So geht’s: !idee" in reply.body
    assert await stored(bot) == 0


async def test_similar_open_ideas_are_named_but_the_idea_is_still_stored(bot):
    await bot.say(ALICE, "!idee Fahrradständer am Hauptbahnhof fehlen")
    await bot.say(BERND, "!idee Mehr Bänke am Mainufer")
    [reply, _card] = await bot.say(CARLA, "!idee Mehr Radstaender am Bahnhof bitte")
    assert "#3" in reply.body
    assert "Ähnliche Ideen" in reply.body and "#1 Fahrradständer am Hauptbahnhof" in reply.body
    assert "#2" not in reply.body.split("Ähnliche")[1]
    assert await stored(bot) == 3


async def test_user_text_is_escaped_everywhere(bot):
    text = "<script>alert(1)</script> und [Link](http://x.example) für alle"
    [_reply, card] = await bot.say(ALICE, f"!idee {text}")
    html = matrix_html(card)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "[Link](http://x.example)" in html and "<a " not in html
    assert "<script>" in card.body  # plain text shows it as typed
    [shown] = await bot.say(ALICE, "!ideen 1")
    shown_html = matrix_html(shown)
    assert "&lt;script&gt;" in shown_html and "<script>" not in shown_html


async def test_the_same_event_is_stored_once(bot):
    message = IncomingMessage(
        "$same", Actor("matrix", ALICE, "alice"), Place("!r:x", False), "!idee Mehr Bänke am Main"
    )
    await bot.router.handle(message)
    await bot.router.handle(message)
    assert await stored(bot) == 1


async def test_more_than_the_hourly_limit_is_refused_kindly(tmp_path):
    bot = await make_bot(tmp_path, BOT_IDEA_RATE="2")
    await bot.say(ALICE, "!idee Erste Idee für die Stadt")
    await bot.say(ALICE, "!idee Zweite Idee für die Stadt")
    [refusal] = await bot.say(ALICE, "!idee Dritte Idee für die Stadt")
    assert "schon 2 Ideen" in refusal.body and "So geht’s" not in refusal.body
    assert await stored(bot) == 2
    [other, _card] = await bot.say(BERND, "!idee Bernds Idee für die Stadt")
    assert "#3" in other.body
    bot.services.clock.advance(timedelta(hours=1, seconds=1))
    [later, _card] = await bot.say(ALICE, "!idee Dritte Idee für die Stadt")
    assert "#4" in later.body


# --- listing and showing ------------------------------------------------------------------


async def test_listings_page_by_ten_newest_first(tmp_path):
    bot = await make_bot(tmp_path, BOT_IDEA_RATE="0")
    for n in range(1, 13):
        await bot.say(ALICE, f"!idee Vorschlag Nummer {n} für den Ringpark")
    [page1] = await bot.say(BERND, "!ideen")
    lines = page1.body.splitlines()
    assert "Seite 1 von 2, 12 insgesamt" in lines[0]
    assert lines[1].startswith("#12 ") and lines[10].startswith("#3 ")
    assert lines[-1] == "Weiter: !ideen seite 2"
    [page2] = await bot.say(BERND, "!ideas page 2")
    assert page2.body.splitlines()[1].startswith("#2 ") and "More:" not in page2.body
    [too_far] = await bot.say(BERND, "!ideen seite 3")
    assert "Seite 3 gibt es nicht" in too_far.body


async def test_top_mine_and_category_views(bot):
    await bot.say(ALICE, "!idee #umwelt Mehr Bäume in der Innenstadt")
    await bot.say(BERND, "!idee #mobilitaet Mehr Radständer am Bahnhof")
    await bot.say(CARLA, "!unterstuetzen 2")
    [top] = await bot.say(DIETER, "!ideen top")
    assert top.body.splitlines()[1].startswith("#2 ") and "👍 1" in top.body.splitlines()[1]
    [mine] = await bot.say(ALICE, "!ideas mine")
    assert "#1" in mine.body and "#2" not in mine.body
    [category] = await bot.say(DIETER, "!ideen mobilität")
    assert "Kategorie Mobilität & Verkehr" in category.body and "#1 " not in category.body
    [empty] = await bot.say(DIETER, "!ideen meine")
    assert "noch keine Ideen" in empty.body
    [bad] = await bot.say(DIETER, "!ideen quatsch")
    assert "„quatsch“ verstehe ich hier nicht" in bad.body


async def test_one_idea_with_its_status_history(bot):
    await bot.say(ALICE, "!idee Mehr Bänke am Mainufer")
    await bot.say(STAFF, "!status 1 pruefung Wir fragen das Gartenamt")
    [shown] = await bot.say(BERND, "!ideen #1")
    assert "Idee #1" in shown.body and "eingereicht von alice am 03.03.2025 09:00" in shown.body
    assert "Status: in Prüfung" in shown.body
    assert "• 03.03.2025 09:00: neu" in shown.body
    assert "• 03.03.2025 09:00: in Prüfung – Wir fragen das Gartenamt" in shown.body
    [missing] = await bot.say(BERND, "!ideen 99")
    assert "Eine Idee #99 gibt es nicht" in missing.body


# --- supporting ---------------------------------------------------------------------------


async def test_support_once_not_your_own_and_withdraw(bot):
    await bot.say(ALICE, "!idee Mehr Bänke am Mainufer")
    [own] = await bot.say(ALICE, "!unterstuetzen 1")
    assert "eigene Idee" in own.body
    [supported, edit] = await bot.say(BERND, "!unterstuetzen 1")
    assert "unterstützt jetzt #1 (👍 1)" in supported.body
    assert bot.adapter.sent[-1].kind == "edit" and "👍 1" in edit.body
    [twice] = await bot.say(BERND, "!support 1")
    assert "already support #1" in twice.body
    [withdrawn, edit] = await bot.say(BERND, "!zurueckziehen 1")
    assert "nicht mehr (👍 0)" in withdrawn.body and "👍 0" in edit.body
    [never] = await bot.say(BERND, "!unsupport 1")
    assert "do not support #1" in never.body
    [unknown] = await bot.say(BERND, "!unterstuetzen 7")
    assert "#7 gibt es nicht" in unknown.body
    [not_a_number] = await bot.say(BERND, "!unterstuetzen sieben")
    assert "keine gültige Nummer" in not_a_number.body
    assert await stored(bot, IdeaSupport) == 0


async def test_thumbs_up_on_the_card_supports_and_redacting_withdraws(bot):
    await bot.say(ALICE, "!idee Mehr Bänke am Mainufer")
    card_id = sent_to(bot, IDEAS_ROOM, "notice")[0].event_id
    await react(bot, BERND, card_id, "$r1")
    await react(bot, CARLA, card_id, "$r2", key="👍🏽")
    await react(bot, BERND, card_id, "$r1")  # replayed after a restart
    await react(bot, DIETER, card_id, "$r3", key="🎉")  # not a support
    await react(bot, ALICE, card_id, "$r4")  # the author's own 👍 does not count
    edits = card_edits(bot)
    assert [("👍 1" in e.message.body, "👍 2" in e.message.body) for e in edits] == [
        (True, False),
        (False, True),
    ]
    assert all(e.edits == card_id for e in edits)
    await withdraw(bot, BERND, card_id, "$x1")
    assert "👍 1" in card_edits(bot)[-1].message.body
    await withdraw(bot, CARLA, "$unrelated", "$x2")
    assert len(card_edits(bot)) == 3
    assert await stored(bot, IdeaSupport) == 1


# --- staff: status ------------------------------------------------------------------------


async def test_status_change_tells_author_and_supporters_in_their_language(bot):
    await bot.say(ALICE, "!idee Mehr Bänke am Mainufer")
    async with bot.services.unit_of_work() as uow:
        await uow.people.set_language("matrix", BERND, "en")
        await uow.commit()
    await bot.say(BERND, "!unterstuetzen 1")
    [*_, reply] = await bot.say(STAFF, "!status 1 angenommen Wird im Frühjahr umgesetzt")
    assert "Status „angenommen“" in reply.body and "Benachrichtigt: 2" in reply.body
    to_alice = sent_to(bot, f"!dm-{ALICE}")[-1].message.body
    to_bernd = sent_to(bot, f"!dm-{BERND}")[-1].message.body
    assert "deiner Idee #1" in to_alice and "„angenommen“" in to_alice
    assert "Begründung: Wird im Frühjahr umgesetzt" in to_alice
    assert "which you support" in to_bernd and "“accepted”" in to_bernd
    assert "Reason: Wird im Frühjahr umgesetzt" in to_bernd
    assert "Status: angenommen" in card_edits(bot)[-1].message.body
    [same] = await bot.say(STAFF, "!status 1 accepted")
    assert "hat den Status „angenommen“ schon" in same.body


async def test_status_errors_change_nothing(bot):
    await bot.say(ALICE, "!idee Mehr Bänke am Mainufer")
    [citizen] = await bot.say(BERND, "!status 1 abgelehnt")
    assert "Mitarbeitende" in citizen.body
    [bad] = await bot.say(STAFF, "!status 1 vielleicht")
    assert "„vielleicht“ kenne ich hier nicht" in bad.body
    [missing] = await bot.say(STAFF, "!status 5 abgelehnt")
    assert "#5 gibt es nicht" in missing.body
    [shown] = await bot.say(BERND, "!ideen 1")
    assert "Status: neu" in shown.body
    assert sent_to(bot, f"!dm-{ALICE}") == []


# --- reports and hiding -------------------------------------------------------------------


async def test_reports_reach_staff_and_the_threshold_hides(bot):
    await bot.say(ALICE, "!idee Mehr Bänke am Mainufer")
    [thanks, _notice] = await bot.say(BERND, "!melden 1 Werbung")
    assert "Danke für den Hinweis" in thanks.body
    notice = sent_to(bot, STAFF_ROOM)[-1].message.body
    assert "Idee #1 wurde gemeldet (1. Meldung). Grund: Werbung" in notice
    [again] = await bot.say(BERND, "!melden 1")
    assert "schon gemeldet" in again.body
    await bot.say(CARLA, "!report 1")
    assert "Grund: keiner angegeben" in sent_to(bot, STAFF_ROOM)[-1].message.body
    await bot.say(DIETER, "!melden 1 Beleidigung")
    assert "ausgeblendet" in sent_to(bot, STAFF_ROOM)[-1].message.body
    assert "ist ausgeblendet" in card_edits(bot)[-1].message.body
    [listing] = await bot.say(BERND, "!ideen")
    assert "noch keine Ideen" in listing.body
    [hidden] = await bot.say(BERND, "!unterstuetzen 1")
    assert "ausgeblendet" in hidden.body
    [*_, shown] = await bot.say(STAFF, "!zeigen 1")
    assert "wieder sichtbar" in shown.body
    assert "Mehr Bänke" in card_edits(bot)[-1].message.body
    await bot.say("@erik:localhost", "!melden 1")  # earlier reports are settled
    [listing] = await bot.say(BERND, "!ideen")
    assert "#1" in listing.body


async def test_staff_hide_and_unhide(bot):
    await bot.say(ALICE, "!idee Mehr Bänke am Mainufer")
    [*_, hidden] = await bot.say(STAFF, "!verbergen 1 Doppelt gepostet")
    assert "#1 ist jetzt ausgeblendet" in hidden.body
    [again] = await bot.say(STAFF, "!hide 1")
    assert "already hidden" in again.body
    [staff_view] = await bot.say(STAFF, "!ideen 1")
    assert "ausgeblendet – Grund: Doppelt gepostet" in staff_view.body
    [citizen] = await bot.say(BERND, "!hide 1")
    assert "Staff" in citizen.body or "staff" in citizen.body
    await bot.say(STAFF, "!unhide 1")
    [again] = await bot.say(STAFF, "!zeigen 1")
    assert "nicht ausgeblendet" in again.body


# --- merging ------------------------------------------------------------------------------


async def test_merge_carries_supports_over_without_double_counting(bot):
    await bot.say(ALICE, "!idee Mehr Radständer am Bahnhof")
    await bot.say(BERND, "!idee Fahrradständer am Hauptbahnhof fehlen")
    await bot.say(CARLA, "!unterstuetzen 1")
    await bot.say(CARLA, "!unterstuetzen 2")
    await bot.say(DIETER, "!unterstuetzen 2")
    await bot.say(ALICE, "!unterstuetzen 2")  # the original's author
    [*_, reply] = await bot.say(STAFF, "!zusammenfuehren 2 1")
    # Carla counted once, Dieter and Bernd (the duplicate's author) added, Alice not.
    assert "#2 ist jetzt mit #1 zusammengeführt; #1 hat 👍 3" in reply.body
    assert "Benachrichtigt: 4" in reply.body
    assert "Du unterstützt jetzt #1" in sent_to(bot, f"!dm-{BERND}")[-1].message.body
    assert "zählt jetzt für #1" in sent_to(bot, f"!dm-{DIETER}")[-1].message.body
    [shown] = await bot.say(DIETER, "!ideen 2")
    assert "zusammengeführt mit #1" in shown.body
    [support] = await bot.say(DIETER, "!unterstuetzen 2")
    assert "bitte nutze #1" in support.body
    [listing] = await bot.say(DIETER, "!ideen")
    assert "#2 " not in listing.body
    [twice] = await bot.say(STAFF, "!merge 2 1")
    assert "#2 was merged into #1" in twice.body
    [same] = await bot.say(STAFF, "!merge 1 1")
    assert "itself" in same.body


# --- review mode --------------------------------------------------------------------------


async def test_review_mode_publishes_only_after_approval(tmp_path):
    bot = await make_bot(tmp_path, BOT_IDEAS_REVIEW="true")
    [reply, _review] = await bot.say(ALICE, "!idee Mehr Bänke am Mainufer")
    assert "schaut sie sich kurz an" in reply.body
    review = sent_to(bot, STAFF_ROOM)[-1].message.body
    assert "wartet auf Freigabe" in review and "!freigeben 1" in review
    assert sent_to(bot, IDEAS_ROOM) == []
    [listing] = await bot.say(BERND, "!ideen")
    assert "noch keine Ideen" in listing.body
    [hidden] = await bot.say(BERND, "!ideen 1")
    assert "gibt es nicht" in hidden.body
    [own] = await bot.say(ALICE, "!ideen 1")
    assert "wartet auf Freigabe" in own.body
    [*_, approved] = await bot.say(STAFF, "!freigeben 1")
    assert "#1 ist veröffentlicht" in approved.body
    assert "Idee #1" in sent_to(bot, IDEAS_ROOM)[0].message.body
    assert "jetzt veröffentlicht" in sent_to(bot, f"!dm-{ALICE}")[-1].message.body
    [again] = await bot.say(STAFF, "!approve 1")
    assert "already published" in again.body


async def test_review_mode_rejection_tells_the_author(tmp_path):
    bot = await make_bot(tmp_path, BOT_IDEAS_REVIEW="true")
    await bot.say(ALICE, "!idee Mehr Bänke am Mainufer")
    await bot.say(STAFF, "!status 1 abgelehnt Gibt es schon")
    to_alice = sent_to(bot, f"!dm-{ALICE}")[-1].message.body
    assert "„abgelehnt“" in to_alice and "Gibt es schon" in to_alice
    assert sent_to(bot, IDEAS_ROOM) == []


# --- export -------------------------------------------------------------------------------


async def test_export_as_csv_and_json_with_pseudonyms(bot):
    await bot.say(ALICE, "!idee Mehr Bänke am Mainufer, bitte mit „Lehne“")
    await bot.say(BERND, "!idee #umwelt Mehr Bäume in der Innenstadt")
    await bot.say(CARLA, "!unterstuetzen 2")
    await bot.say(STAFF, "!verbergen 1")
    await bot.say(STAFF, "!export ideen", room=STAFF_ROOM)
    upload = bot.adapter.sent[-1].upload
    assert upload is not None and upload.filename == "ideas-20250303-0900.csv"
    rows = list(csv.DictReader(io.StringIO(upload.data.decode("utf-8-sig"))))
    assert [row["number"] for row in rows] == ["1", "2"]
    assert rows[1]["created"] == "2025-03-03T09:00:00+01:00"
    assert (rows[1]["category"], rows[1]["status"], rows[1]["supports"]) == ("umwelt", "new", "1")
    assert rows[0]["hidden"] == "true" and rows[0]["merged_into"] == ""
    assert rows[0]["text"] == "Mehr Bänke am Mainufer, bitte mit „Lehne“"
    assert rows[0]["author_pseudonym"].startswith("p-") and "alice" not in upload.data.decode()
    await bot.say(STAFF, "!export ideas json", room=STAFF_ROOM)
    records = json.loads(bot.adapter.sent[-1].upload.data)
    assert records[0]["author_pseudonym"] == rows[0]["author_pseudonym"]  # stable
    assert records[1]["author_pseudonym"] != records[0]["author_pseudonym"]
    assert records[0]["hidden"] is True and records[1]["supports"] == 1


async def test_export_only_for_staff_in_the_staff_room_or_a_dm(bot):
    [citizen] = await bot.say(ALICE, "!export ideen", room=STAFF_ROOM)
    assert "Mitarbeitende" in citizen.body
    [elsewhere] = await bot.say(STAFF, "!export ideen")
    assert "nur im Staff-Raum" in elsewhere.body
    [bad_kind] = await bot.say(STAFF, "!export fahrräder", room=STAFF_ROOM)
    assert "kenne ich hier nicht" in bad_kind.body
    [bad_format] = await bot.say(STAFF, "!export ideen xlsx", room=STAFF_ROOM)
    assert "„xlsx“" in bad_format.body
    [upload] = await bot.say(STAFF, "!export ideen", room="!dm:localhost", direct=True)
    assert bot.adapter.sent[-1].kind == "file" and upload.body.endswith(".csv")


# --- restart: state rebuilt from the database ---------------------------------------------


async def test_missing_cards_are_posted_and_the_index_rebuilt_at_start(tmp_path):
    bot = await make_bot(tmp_path, BOT_IDEAS_ROOM="")
    await bot.say(ALICE, "!idee Fahrradständer am Hauptbahnhof fehlen")
    settings = bot.services.settings
    matrix = replace(settings.matrix, ideas_room=IDEAS_ROOM)
    bot.services.settings = replace(settings, platforms={"matrix": matrix})
    bot.services.state.clear()
    await ideas.prepare_ideas(bot.services)
    assert sent_to(bot, IDEAS_ROOM, "notice") == [], "cards wait until the bot is synced"
    await bot.services.scheduler.run_due()
    assert "Idee #1" in sent_to(bot, IDEAS_ROOM, "notice")[0].message.body
    [reply, _card] = await bot.say(BERND, "!idee Radständer am Bahnhof")
    assert "#1 Fahrradständer" in reply.body


# --- settings -----------------------------------------------------------------------------


def test_idea_settings_are_checked():
    from bot.config import ConfigError, Settings

    base = {
        "MATRIX_HOMESERVER": "http://127.0.0.1:1",
        "MATRIX_USER_ID": "@bot:localhost",
        "MATRIX_PASSWORD": "x",
    }
    defaults = Settings.from_env(env=base)
    assert (defaults.idea_rate, defaults.idea_report_threshold, defaults.ideas_review) == (
        5,
        3,
        False,
    )
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(
            env={
                **base,
                "BOT_IDEA_RATE": "viele",
                "BOT_IDEA_REPORT_THRESHOLD": "0",
                "BOT_IDEAS_REVIEW": "true",
            }
        )
    problems = "\n".join(raised.value.problems)
    assert "BOT_IDEA_RATE must be a whole number from 0 to 10000, not 'viele'" in problems
    assert "BOT_IDEA_REPORT_THRESHOLD must be a whole number from 1 to 1000" in problems
    assert "BOT_IDEAS_REVIEW=true needs BOT_STAFF_ROOM" in problems


async def test_listing_ideas_does_not_wait_for_the_similar_idea_index(bot, monkeypatch):
    """Right after a start the index of every open idea is still being built."""
    await bot.say(ALICE, "!idee Mehr Bänke am Mainufer")
    bot.services.state.clear()  # as after a restart
    release = threading.Event()

    def slow_build(ideas):
        release.wait(10)
        return SimilarityIndex()

    monkeypatch.setattr(SimilarityIndex, "build", staticmethod(slow_build))
    building = asyncio.create_task(ideas_state(bot.services))
    try:
        async with asyncio.timeout(5):
            [top] = await bot.say(BERND, "!ideen top")
        assert "Mehr Bänke am Mainufer" in top.body
        assert not building.done()
    finally:
        release.set()
        await building
