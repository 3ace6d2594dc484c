"""Leichte Sprache across every capability, as people meet it in the chat.

One conversation per capability (help, ideas, polls, workshops, questions, privacy) with a
person who chose `!sprache leicht`, against the recording adapter: the answers, direct
messages, reminders and notices arrive in Leichte Sprache, long ones as several short
messages, while people with another language keep theirs.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.app import HANDLER_MODULES
from bot.context import Actor, IncomingMessage, Place
from bot.short_messages import MAX_LINES
from tests.integration.question_support import write_departments
from tests.unit.fakes import FakeBot, Sent, make_fake_bot
from tests.unit.insight_world import DUE, seed

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=TZ)  # a Thursday morning
STAFF, ALICE, BERND, MARIA = (
    "@sabine:localhost",
    "@alice:localhost",
    "@bernd:localhost",
    "@maria:localhost",
)
FORUM, STAFF_ROOM, IDEAS_ROOM, ANNOUNCE_ROOM = (
    "!forum:localhost",
    "!staff:localhost",
    "!ideas:localhost",
    "!announce:localhost",
)
DIGITAL, MOBILITY, OTHER = "!dig:localhost", "!mob:localhost", "!other:localhost"
_events = itertools.count()


@pytest.fixture
async def bot(tmp_path) -> FakeBot:
    """Every capability, started as `bot.app` starts it; Alice reads Leichte Sprache."""
    departments = write_departments(tmp_path, {"digitales": DIGITAL, "mobilitaet": MOBILITY}, OTHER)
    fake = await make_fake_bot(
        tmp_path,
        HANDLER_MODULES,
        BOT_STAFF_USERS=STAFF,
        BOT_STAFF_ROOM=STAFF_ROOM,
        BOT_IDEAS_ROOM=IDEAS_ROOM,
        BOT_ANNOUNCE_ROOMS=ANNOUNCE_ROOM,
        BOT_DEPARTMENTS_FILE=str(departments),
    )
    fake.adapter.members |= {(DIGITAL, MARIA), (FORUM, ALICE), (FORUM, BERND)}
    fake.services.clock.set(NOW)
    for hook in fake.services.commands.start_hooks:
        await hook(fake.services)
    [changed] = await fake.say(ALICE, "!sprache leicht")
    assert changed.body == "Gut.\nIch schreibe dir ab jetzt in Leichter Sprache."
    return fake


def sent_to(bot: FakeBot, room: str) -> list[Sent]:
    return [sent for sent in bot.adapter.sent if sent.room_id == room]


def bodies(messages) -> str:
    return "\n".join(message.body for message in messages)


# ---------------------------------------------------------------------------- help


async def test_help_and_language_choice_offer_leichte_sprache(bot):
    [choose] = await bot.say(BERND, "!sprache")
    assert "In welcher Sprache soll ich dir antworten?" in choose.body
    assert "!sprache leicht (Leichte Sprache)" in choose.body
    [english] = await bot.say(BERND, "!language")
    assert "!language easy (Leichte Sprache, easy-to-read German)" in english.body
    [german_help] = await bot.say(BERND, "!hilfe")
    assert "!sprache leicht" in german_help.body

    pieces = await bot.say(ALICE, "!hilfe")
    assert len(pieces) > 1, "a long help comes in several short messages"
    assert all(len(piece.lines) <= MAX_LINES for piece in pieces)
    text = bodies(pieces)
    assert text.startswith("Das kann ich für dich tun.\nDeine Rolle: Bürgerinnen und Bürger.")
    assert "• !idee: schickt deine Idee an die Stadt und den Land·kreis" in text
    assert "Leichte Sprache: !sprache leicht" in text
    detail = bodies(await bot.say(ALICE, "!hilfe sprache"))
    assert detail.startswith("!sprache <de|en|leicht>\nAuf Englisch: !language\n")

    [easy] = await bot.say(BERND, "!language easy")
    assert "Leichter Sprache" in easy.body
    [back] = await bot.say(BERND, "!sprache de")
    assert back.body == "Alles klar, ich antworte dir ab jetzt auf Deutsch."


async def test_first_contact_in_a_direct_chat_offers_leichte_sprache(bot):
    [intro, *_] = await bot.say(BERND, "Hallo", room="!dm-bernd", direct=True)
    assert "kein Mensch" in intro.body and "!sprache leicht (Leichte Sprache)" in intro.body


async def test_errors_come_in_leichte_sprache(bot):
    error = bodies(await bot.say(ALICE, "!sprache klingonisch"))
    assert "„klingonisch“ kenne ich hier nicht.\nDu kannst wählen:" in error
    unknown = bodies(await bot.say(ALICE, "!hilfee"))
    assert unknown == "Den Befehl „hilfee“ kenne ich nicht.\nMeinst du !hilfe?"


# --------------------------------------------------------------------------- ideas


async def test_ideas_in_leichte_sprache(bot):
    await bot.say(ALICE, "!idee #mobilitaet Mehr Bänke am Mainufer bitte")
    text = bodies(sent.message for sent in sent_to(bot, FORUM))
    assert "Ich habe deine Idee gespeichert.\nDeine Idee hat die Nummer #1." in text
    listing = bodies(await bot.say(ALICE, "!ideen"))
    assert listing.startswith("Ideen: die neuen Ideen zuerst\nSeite 1 von 1.")
    await bot.say(BERND, "!unterstuetzen 1")
    await bot.say(STAFF, "!status 1 angenommen Wird im Frühjahr umgesetzt")
    to_alice = sent_to(bot, f"!dm-{ALICE}")[-1].message.body
    to_bernd = sent_to(bot, f"!dm-{BERND}")[-1].message.body
    assert to_alice.startswith("Es gibt etwas Neues zu deiner Idee #1.")
    assert "Die Idee hat jetzt den Status „angenommen“." in to_alice
    assert "Der Grund ist: Wird im Frühjahr umgesetzt" in to_alice
    assert to_bernd.startswith("Neuigkeiten zur Idee #1")  # Bernd keeps German
    detail = bodies(await bot.say(ALICE, "!ideen 1"))
    assert "Am: Donnerstag, 26. November 2026, 10 Uhr" in detail


# --------------------------------------------------------------------------- polls


async def test_polls_in_leichte_sprache(bot):
    await bot.say(STAFF, '!umfrage "Welches Thema?" "Verkehr" "Bildung" --bis "03.12. 18:00"')
    voted = bodies(await bot.say(ALICE, "!abstimmen 1 2", room=FORUM))
    assert voted.startswith("Ich habe deine Stimme für die Umfrage #1 gezählt.")
    assert "Deine Wahl: 2. Bildung." in voted
    result = bodies(await bot.say(ALICE, "!ergebnis 1", room=FORUM))
    assert "So steht die Umfrage #1 gerade:" in result
    assert "Die Umfrage läuft bis Donnerstag, 3. Dezember, 18 Uhr." in result
    [german] = await bot.say(BERND, "!ergebnis 1", room=FORUM)
    assert "Zwischenstand von Umfrage #1" in german.body


# ------------------------------------------------------------------------ workshops


async def test_workshops_in_leichte_sprache_with_reminder(bot):
    await bot.say(STAFF, '!workshop neu "Digitale Sprechstunde" 03.12.2026 18:00 "Rathaus"')
    registered = bodies(await bot.say(ALICE, "!anmelden 1"))
    assert registered.startswith("✅ Du bist jetzt angemeldet.\nWorkshop #1:")
    assert "Wann: Donnerstag, 3. Dezember 2026, von 18 Uhr bis 20 Uhr" in registered

    before = len(sent_to(bot, f"!dm-{ALICE}"))
    bot.services.clock.set(datetime(2026, 12, 2, 18, 0, tzinfo=TZ))
    await bot.services.scheduler.run_due()
    reminder = [sent.message for sent in sent_to(bot, f"!dm-{ALICE}")[before:]]
    assert [message.body.split("\n")[0] for message in reminder] == [
        "⏰ Erinnerung an deinen Workshop:",
        "Du kannst nicht kommen?",
    ], "the reminder comes as two short messages, split at its paragraph"
    assert "Wo: Rathaus" in reminder[0].body and "!abmelden 1" in reminder[1].body


# ------------------------------------------------------------------------ questions


async def test_questions_in_leichte_sprache(bot):
    await bot.say(ALICE, "!frage Wann kommt Glasfaser nach Rimpar?", room=FORUM)
    told = sent_to(bot, FORUM)[-1].message.body
    assert told.startswith("Danke!\nDeine Frage hat die Nummer #1.")
    root = [sent for sent in sent_to(bot, DIGITAL) if sent.thread_root is None][-1]
    assert "Bürger*in " in root.message.body  # the experts' room keeps German
    await bot.router.handle(
        IncomingMessage(
            f"$thread{next(_events)}",
            Actor("matrix", MARIA, "Maria Fachfrau"),
            Place(DIGITAL, False),
            "Der Ausbau beginnt im Mai.",
            reply_to=root.event_id,
            thread_root=root.event_id,
        )
    )
    answer = sent_to(bot, FORUM)[-1].message.body
    assert answer.startswith("💬 Du hast eine Antwort auf deine Frage #1.")
    assert "Die Antwort ist von Maria Fachfrau" in answer and "beginnt im Mai" in answer
    mine = bodies(await bot.say(ALICE, "!meinefragen"))
    assert mine.startswith("Deine Fragen:")


# -------------------------------------------------------------------------- privacy


async def test_privacy_in_leichte_sprache_comes_in_short_messages(bot):
    pieces = await bot.say(ALICE, "!datenschutz")
    [german] = await bot.say(BERND, "!datenschutz")
    assert len(pieces) >= 6 and all(len(piece.lines) <= MAX_LINES for piece in pieces)
    assert pieces[0].body.startswith("Daten·schutz beim Smart-Region-Bot")
    assert "Das sind deine Rechte:" in bodies(pieces)
    assert all(piece.lines and piece.lines[0] for piece in pieces), "no piece starts empty"
    assert german.body.startswith("Datenschutz beim Smart-Region-Bot")
    asked = await bot.say(ALICE, "!datenloeschen")
    assert asked[0].body.startswith("Willst du wirklich alle deine Daten löschen?")
    assert asked[-1].body.endswith("!datenloeschen bestaetigen")


# ------------------------------------------------------------------ staff report


async def test_staff_report_in_leichte_sprache(bot):
    """A staff member who reads Leichte Sprache gets `!statistik` in it: days spelled out,
    figures as digits, one statement per line, and the chart described in short lines."""
    async with bot.services.unit_of_work() as uow:
        await seed(uow.session)
    bot.services.clock.set(DUE)
    await bot.say(STAFF, "!sprache leicht")
    pieces = await bot.say(STAFF, "!statistik")
    report = bodies(pieces)
    assert all(len(piece.lines) <= MAX_LINES for piece in pieces)
    assert report.startswith(
        "Wochen·bericht von Montag, 23. November bis Sonntag, 29. November 2026\n"
        "Neben jeder Zahl steht die Zahl von der Woche davor.\n"
        "Die Woche davor ist von Montag, 16. November bis Sonntag, 22. November 2026."
    )
    assert "Neue Ideen: 3 (davor 2, Unterschied +1)" in report
    assert "Warte·zeit bis zur ersten Antwort (Median): 6,0 Stunden (davor 4,0 Stunden)" in report
    assert "Plätze belegt: 80 Prozent (davor 25 Prozent)" in report
    assert "Im Anhang ist ein Bild mit 2 Diagrammen." in report
    assert not any(word in report for word in ("Statusänderungen", "überfällig", " h ", "%"))
    upload = bot.adapter.sent[-1].upload
    assert upload is not None and upload.description.startswith("Im Anhang ist ein Bild")
    explained = bodies(await bot.say(STAFF, "!hilfe statistik"))
    assert "Median heißt: Die Hälfte von den Fragen hat schneller eine Antwort bekommen." in (
        explained
    )


# ------------------------------------------------- before and after (the issue note)


async def test_before_and_after_pairs_as_in_the_issue_note(bot):
    """The three pairs the issue note shows, German reader (Bernd) against Leichte Sprache
    reader (Alice), exactly as the bot sends them."""

    async def both(command: str, room: str = FORUM) -> tuple[list[str], list[str]]:
        german = await bot.say(BERND, command, room=room)
        easy = await bot.say(ALICE, command, room=room)
        return [m.body for m in german], [m.body for m in easy]

    assert await both("!datenloeschen") == (
        [
            "Willst du wirklich alle deine Daten löschen lassen? Ideen, die andere unterstützt "
            "haben, und beantwortete Fragen bleiben ohne deinen Namen erhalten; alles andere "
            "wird gelöscht. Das lässt sich nicht rückgängig machen. Zum Bestätigen schreibe "
            "innerhalb von 10 Minuten: !datenloeschen bestaetigen"
        ],
        [
            "Willst du wirklich alle deine Daten löschen?\n"
            "Manche Ideen haben andere Menschen unterstützt.\n"
            "Diese Ideen bleiben da, aber ohne deinen Namen.\n"
            "Fragen mit Antwort bleiben auch da, ohne deinen Namen.\n"
            "Alles andere lösche ich.\n"
            "Das Löschen kann niemand mehr zurücknehmen.",
            "Du bist sicher?\nDann schreib in den nächsten 10 Minuten: !datenloeschen bestaetigen",
        ],
    )

    async def told(user: str) -> str:
        await bot.say(user, "!frage Wann kommt Glasfaser nach Rimpar?")
        return sent_to(bot, FORUM)[-1].message.body

    german, easy = await told(BERND), await told(ALICE)
    assert german == (
        "Danke! Deine Frage #1 ging an: Digitale Verwaltung & Infrastruktur. "
        "Die Antwort bekommst du hier."
    )
    assert easy == (
        "Danke!\nDeine Frage hat die Nummer #2.\n"
        "Die Frage ist jetzt bei: Digitale Verwaltung & Infrastruktur.\n"
        "Du bekommst die Antwort hier."
    )

    await bot.say(
        STAFF, '!workshop neu "Digitale Sprechstunde" 03.12.2026 18:00 "Rathaus Würzburg"'
    )
    await bot.say(BERND, "!anmelden 1")
    await bot.say(ALICE, "!anmelden 1")
    before = len(bot.adapter.sent)
    bot.services.clock.set(datetime(2026, 12, 2, 18, 0, tzinfo=TZ))
    await bot.services.scheduler.run_due()

    def reminders(user: str) -> list[str]:
        return [s.message.body for s in bot.adapter.sent[before:] if s.room_id == f"!dm-{user}"]

    assert reminders(BERND) == [
        "⏰ Erinnerung: Digitale Sprechstunde (Workshop #1) – Donnerstag, 3. Dezember 2026, "
        "18:00–20:00 Uhr, Rathaus Würzburg. Falls du nicht kommen kannst, gib deinen Platz "
        "bitte frei: !abmelden 1"
    ]
    assert reminders(ALICE) == [
        "⏰ Erinnerung an deinen Workshop:\nDigitale Sprechstunde (Workshop #1)\n"
        "Wann: Donnerstag, 3. Dezember 2026, von 18 Uhr bis 20 Uhr\nWo: Rathaus Würzburg",
        "Du kannst nicht kommen?\nDann gib bitte deinen Platz frei.\nSchreib dazu: !abmelden 1",
    ]
