"""Quick polls as people meet them, against a recording adapter and a real database."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bot.adapters.matrix.render import matrix_html
from bot.context import Actor, IncomingPollEnd, IncomingPollResponse, IncomingRedaction, Place
from handlers import exports
from handlers import help as help_commands
from handlers.polls import commands as polls
from handlers.polls import export as polls_export
from storage.db import create_engine
from tests.unit.fakes import FakeBot, make_fake_bot

STAFF = "@sabine:localhost"
ALICE, BOB, CAROL = "@alice:localhost", "@bob:localhost", "@carol:localhost"
FORUM = "!forum:localhost"
QUESTION = '!umfrage „Welches Thema als Nächstes?“ "Verkehr" "Bildung" "Kultur"'


@pytest.fixture
async def bot(tmp_path) -> FakeBot:
    return await make_fake_bot(tmp_path, (help_commands, polls), BOT_STAFF_USERS=STAFF)


async def start(bot: FakeBot, command: str = QUESTION) -> int:
    *_, reply = await bot.say(STAFF, command)
    assert "läuft jetzt" in reply.body, reply.body
    return int(reply.body.split("#")[1].split(" ")[0])


def posted(bot: FakeBot, kind: str = "poll"):
    return [sent for sent in bot.adapter.sent if sent.kind == kind]


async def respond(bot: FakeBot, voter: str, *answers: str, minutes: float = 0, event: str = ""):
    poll_event = posted(bot)[-1].event_id
    clock = bot.services.clock
    event_id = event or f"$r-{voter}-{len(bot.adapter.sent)}-{minutes}"
    await bot.router.dispatch(
        IncomingPollResponse(
            event_id,
            Actor("matrix", voter, voter),
            Place(FORUM, False),
            poll_event,
            answers,
            clock.now() + timedelta(minutes=minutes),
        )
    )
    return event_id


async def test_staff_start_a_native_poll_with_a_text_fallback(bot):
    number = await start(bot, QUESTION + " --mehrfach 2 --verdeckt")
    [poll] = posted(bot)
    assert poll.room_id == FORUM
    assert poll.poll.question == "Welches Thema als Nächstes?"
    assert poll.poll.answers == (("a1", "Verkehr"), ("a2", "Bildung"), ("a3", "Kultur"))
    assert poll.poll.max_selections == 2 and poll.poll.disclosed is False
    fallback = poll.poll.fallback.body
    assert f"Umfrage #{number}: Welches Thema als Nächstes?" in fallback
    assert "1. Verkehr\n2. Bildung\n3. Kultur" in fallback
    assert f"!abstimmen {number} <Nummer>,<Nummer> (bis zu 2 Antworten)" in fallback


async def test_a_citizen_cannot_start_or_end_a_poll_and_is_told_who_can(bot):
    [refusal] = await bot.say(ALICE, QUESTION)
    assert "Mitarbeitende des Programms" in refusal.body
    number = await start(bot)
    [refusal] = await bot.say(ALICE, f"!umfrage-ende {number}")
    assert "Mitarbeitende des Programms" in refusal.body
    assert not posted(bot, "poll_end")


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ('!umfrage "Frage" "nur eine"', "2 bis 20 Antworten (jetzt: 1)"),
        ("!umfrage Frage " + " ".join(f"A{i}" for i in range(21)), "(jetzt: 21)"),
        ('!umfrage "Frage" "A" "' + "x" * 341 + '"', "Antwort 2 ist zu lang"),
        (QUESTION + " --dauer 2", "„2“ verstehe ich nicht als Dauer"),
        (QUESTION + " --bis 03.12.", "fehlt die Uhrzeit"),
        (QUESTION + " --bis 08:30", None),  # tomorrow morning: fine
        (QUESTION + ' --bis "heute 8:00"', "muss in der Zukunft liegen"),
        (QUESTION + " --dauer 2h --bis 18:00", "nur --dauer oder --bis"),
        (QUESTION + " --mehrfach 4", "Zahl von 1 bis 3"),
    ],
)
async def test_poll_commands_are_checked(bot, command, expected):
    *_, reply = await bot.say(STAFF, command)
    if expected is None:
        assert "läuft jetzt" in reply.body
    else:
        assert expected in reply.body, reply.body
        assert not posted(bot)


async def test_english_names_and_duration(bot):
    *_, reply = await bot.say(STAFF, '!poll "Which day?" "Mon" "Tue" --duration 90m')
    assert "Poll **#1**" not in reply.body  # bold markers only in HTML
    assert reply.body.startswith("Poll #1 is now open in this room until 2025-03-03 10:30")


async def test_native_votes_changes_and_spoiled_votes_are_counted_like_element(bot):
    number = await start(bot)
    await respond(bot, ALICE, "a1", minutes=1)
    await respond(bot, ALICE, "a2", minutes=2)  # changed her mind
    await respond(bot, BOB, "a2", minutes=1)
    await respond(bot, CAROL, "a9", minutes=1)  # unknown id: spoiled
    [results] = await bot.say(CAROL, f"!ergebnis {number}")
    assert "Zwischenstand von Umfrage #1: Welches Thema als Nächstes?" in results.body
    assert "░░░░░░░░░░ 0 % (0) – 1. Verkehr" in results.body
    assert "██████████ 100 % (2) – 2. Bildung" in results.body
    assert "Abgestimmt haben: 2" in results.body
    assert "Ungültige Stimmen (nicht gezählt): 1" in results.body
    assert "<strong>Zwischenstand" in matrix_html(results)


async def test_a_text_vote_overrides_a_native_vote_and_the_other_way_round(bot):
    number = await start(bot)
    await respond(bot, ALICE, "a1", minutes=-1)
    [confirmation] = await bot.say(ALICE, f"!abstimmen {number} 3")
    assert "Deine Stimme für #1 ist gezählt: 3. Kultur" in confirmation.body
    [results] = await bot.say(STAFF, f"!ergebnis {number}")
    assert "(1) – 3. Kultur" in results.body and "(0) – 1. Verkehr" in results.body
    await respond(bot, ALICE, "a2", minutes=1)
    [results] = await bot.say(STAFF, f"!ergebnis {number}")
    assert "(1) – 2. Bildung" in results.body and "(0) – 3. Kultur" in results.body


async def test_text_votes_are_checked(bot):
    number = await start(bot, QUESTION + " --mehrfach 2")
    [wrong] = await bot.say(ALICE, f"!abstimmen {number} 7")
    assert "„7“ ist keine Antwort von Umfrage #1" in wrong.body
    [too_many] = await bot.say(ALICE, f"!vote {number} 1,2,3")
    assert "at most 2 answers" in too_many.body
    [ok] = await bot.say(ALICE, f"!abstimmen {number} 1, 3, 1")
    assert "1. Verkehr, 3. Kultur" in ok.body
    [missing] = await bot.say(ALICE, "!abstimmen 99 1")
    assert "Eine Umfrage #99 gibt es nicht" in missing.body


async def test_a_redacted_response_falls_back_to_the_previous_one(bot):
    number = await start(bot)
    await respond(bot, ALICE, "a1", minutes=1)
    second = await respond(bot, ALICE, "a3", minutes=2)
    await bot.router.dispatch(
        IncomingRedaction(
            "$redaction", Actor("matrix", ALICE, "alice"), Place(FORUM, False), second,
            bot.services.clock.now(),
        )
    )  # fmt: skip
    [results] = await bot.say(STAFF, f"!ergebnis {number}")
    assert "(1) – 1. Verkehr" in results.body and "(0) – 3. Kultur" in results.body


async def test_hidden_results_only_for_staff_until_the_end(bot):
    number = await start(bot, QUESTION + " --verdeckt")
    await respond(bot, ALICE, "a1")
    [refused] = await bot.say(BOB, f"!ergebnis {number}")
    assert "verdeckt" in refused.body and "Mitarbeitende des Programms" in refused.body
    [staff_view] = await bot.say(STAFF, f"!ergebnis {number}")
    assert "(1) – 1. Verkehr" in staff_view.body
    await bot.say(STAFF, f"!umfrage-ende {number}")
    [after] = await bot.say(BOB, f"!ergebnis {number}")
    assert "Ergebnis von Umfrage #1" in after.body and "Beendet am" in after.body


async def test_ending_sends_the_end_event_and_the_results_and_ignores_late_votes(bot):
    number = await start(bot)
    await respond(bot, ALICE, "a2", minutes=-1)
    replies = await bot.say(STAFF, f"!umfrage-ende {number}")
    assert "Umfrage **#1** ist beendet" not in replies[-1].body
    assert replies[-1].body == "Umfrage #1 ist beendet; das Ergebnis steht im Raum."
    [end] = posted(bot, "poll_end")
    assert end.edits == posted(bot)[0].event_id
    assert "(1) – 2. Bildung" in end.message.body
    results = [s for s in bot.adapter.sent if s.kind == "notice" and s.reply_to == end.edits]
    assert results and results[0].message.body == end.message.body
    await respond(bot, BOB, "a1", minutes=1)  # after the end
    [late] = await bot.say(BOB, f"!abstimmen {number} 1")
    assert "schon beendet" in late.body
    [final] = await bot.say(BOB, f"!ergebnis {number}")
    assert "(0) – 1. Verkehr" in final.body and "Abgestimmt haben: 1" in final.body
    [again] = await bot.say(STAFF, f"!umfrage-ende {number}")
    assert "schon beendet" in again.body
    assert len(posted(bot, "poll_end")) == 1


async def test_a_timed_poll_closes_through_the_scheduler_at_its_deadline(bot):
    number = await start(bot, QUESTION + " --dauer 2h")
    await respond(bot, ALICE, "a1", minutes=119)
    await respond(bot, BOB, "a2", minutes=121)  # after the deadline
    bot.services.clock.advance(timedelta(hours=1))
    assert await bot.services.scheduler.run_due() == 0
    bot.services.clock.advance(timedelta(hours=3))
    assert await bot.services.scheduler.run_due() == 1
    [end] = posted(bot, "poll_end")
    assert "(1) – 1. Verkehr" in end.message.body and "(0) – 2. Bildung" in end.message.body
    assert "Beendet am 03.03.2025, 11:00 Uhr" in end.message.body
    assert "Ergebnis von Umfrage #1" in (await bot.say(BOB, f"!ergebnis {number}"))[0].body


async def test_a_deadline_missed_while_down_closes_on_start_with_votes_from_relations(
    tmp_path,
):
    first = await make_fake_bot(tmp_path, (help_commands, polls), BOT_STAFF_USERS=STAFF)
    number = await start(first, QUESTION + " --dauer 1h")
    poll_event = posted(first)[0].event_id
    # The bot is down: the new process knows these responses only from /relations.
    second = await make_fake_bot(tmp_path, (help_commands, polls), BOT_STAFF_USERS=STAFF)
    second.services.clock.set(first.services.clock.now() + timedelta(hours=5))
    deadline = first.services.clock.now() + timedelta(hours=1)
    second.adapter.relations[poll_event] = [
        IncomingPollResponse(
            "$early", Actor("matrix", ALICE, "a"), Place(FORUM, False), poll_event, ("a3",),
            deadline - timedelta(minutes=5),
        ),
        IncomingPollResponse(
            "$late", Actor("matrix", BOB, "b"), Place(FORUM, False), poll_event, ("a1",),
            deadline + timedelta(minutes=5),
        ),
    ]  # fmt: skip
    await polls.resume_polls(second.services)
    assert await second.services.scheduler.run_due() == 1
    [end] = posted(second, "poll_end")
    assert end.edits == poll_event
    assert "(1) – 3. Kultur" in end.message.body and "(0) – 1. Verkehr" in end.message.body
    # A later restart finds nothing left to do.
    third = await make_fake_bot(tmp_path, (help_commands, polls), BOT_STAFF_USERS=STAFF)
    await polls.resume_polls(third.services)
    assert third.services.scheduler.job_ids() == []
    assert number == 1


async def test_a_poll_created_but_not_posted_before_a_crash_is_posted_on_start(tmp_path):
    first = await make_fake_bot(tmp_path, (help_commands, polls), BOT_STAFF_USERS=STAFF)

    async def crash(*args, **kwargs):
        raise ConnectionError("homeserver gone")

    first.adapter.send_poll = crash
    apology, stored = await first.say(STAFF, QUESTION + " --dauer 1h")
    assert "Entschuldigung" in apology.body
    assert "#1" in stored.body  # the poll is stored and will be posted: that is confirmed
    second = await make_fake_bot(tmp_path, (help_commands, polls), BOT_STAFF_USERS=STAFF)
    await polls.resume_polls(second.services)
    assert second.services.scheduler.job_ids() == ["poll-post:1"]
    await second.services.scheduler.run_due()
    assert len(posted(second)) == 1
    assert second.services.scheduler.job_ids() == ["poll-close:1"]


async def test_an_end_from_a_moderators_client_closes_and_an_end_from_others_does_not(bot):
    number = await start(bot)
    await respond(bot, ALICE, "a1", minutes=1)
    poll_event = posted(bot)[0].event_id

    async def end_by(user: str, event_id: str, minutes: int) -> None:
        when = bot.services.clock.now() + timedelta(minutes=minutes)
        actor = Actor("matrix", user, user)
        await bot.router.dispatch(
            IncomingPollEnd(event_id, actor, Place(FORUM, False), poll_event, when)
        )

    await end_by(BOB, "$end-bob", 2)
    [still_open] = await bot.say(CAROL, f"!ergebnis {number}")
    assert "Zwischenstand" in still_open.body
    bot.adapter.moderators.add((FORUM, CAROL))
    await end_by(CAROL, "$end-carol", 3)
    assert not posted(bot, "poll_end"), "the moderator's end event is the end; no second one"
    await respond(bot, BOB, "a2", minutes=4)  # after the end
    [final] = await bot.say(BOB, f"!ergebnis {number}")
    assert "Ergebnis von Umfrage #1" in final.body and "Abgestimmt haben: 1" in final.body


async def test_polls_lists_the_open_polls_of_the_room(bot):
    [empty] = await bot.say(ALICE, "!umfragen")
    assert "keine Umfrage" in empty.body
    await start(bot, QUESTION + " --dauer 1d")
    await start(bot, '!umfrage "Geheim?" "Ja" "Nein" --geheim')
    await bot.say(STAFF, '!umfrage "Anderswo?" "Ja" "Nein" --raum !other:localhost')
    [listing] = await bot.say(ALICE, "!umfragen")
    assert "#1 Welches Thema als Nächstes? – läuft bis 04.03.2025, 09:00 Uhr" in listing.body
    assert "#2 Geheim? – läuft, bis das Team sie beendet, geheim" in listing.body
    assert "Anderswo" not in listing.body


async def test_posting_into_a_room_without_the_bot_is_refused(bot):
    [refused] = await bot.say(STAFF, QUESTION + " --raum !elsewhere:localhost")
    assert "nicht Mitglied" in refused.body
    bot.adapter.members.add(("!elsewhere:localhost", "@bot:localhost"))
    *_, reply = await bot.say(STAFF, QUESTION + " --raum !elsewhere:localhost")
    assert "läuft jetzt in !elsewhere:localhost" in reply.body
    assert posted(bot)[0].room_id == "!elsewhere:localhost"


async def test_the_export_lists_every_answer_with_pseudonyms_and_seals_open_secret_polls(
    tmp_path,
):
    bot = await make_fake_bot(
        tmp_path, (help_commands, polls, exports, polls_export), BOT_STAFF_USERS=STAFF
    )
    bot.adapter.members.add((FORUM, ALICE))
    number = await start(bot)
    await respond(bot, ALICE, "a1")
    await respond(bot, BOB, "a1")
    secret = await start(bot, '!umfrage "Geheim?" "Ja" "Nein" --geheim')
    await bot.say(ALICE, f"abstimmen {secret} 1", room="!dm-alice", direct=True)
    await bot.say(STAFF, "export umfragen", room="!dm-sabine", direct=True)
    [upload] = posted(bot, "file")
    rows = list(csv.DictReader(io.StringIO(upload.upload.data.decode("utf-8-sig"))))
    first = rows[0]
    assert (first["poll"], first["answer"], first["answer_text"]) == (str(number), "1", "Verkehr")
    assert (first["votes"], first["percent"], first["poll_voters"]) == ("2", "100.0", "2")
    pseudonyms = first["voter_pseudonyms"].split()
    assert len(pseudonyms) == 2 and all(p.startswith("p-") for p in pseudonyms)
    assert ALICE not in upload.upload.data.decode("utf-8-sig")
    sealed = [row for row in rows if row["poll"] == str(secret)]
    assert [(row["votes"], row["voter_pseudonyms"]) for row in sealed] == [("", ""), ("", "")]
    await bot.say(STAFF, f"!umfrage-ende {secret}")
    await bot.say(STAFF, "export polls", room="!dm-sabine", direct=True)
    rows = list(csv.DictReader(io.StringIO(posted(bot, "file")[1].upload.data.decode("utf-8-sig"))))
    closed = [row for row in rows if row["poll"] == str(secret)]
    assert [(row["votes"], row["voter_pseudonyms"]) for row in closed] == [("1", ""), ("0", "")]


async def test_a_secret_poll_is_announced_and_takes_votes_only_by_direct_message(bot):
    bot.adapter.members.update({(FORUM, ALICE), (FORUM, BOB)})
    number = await start(bot, '!umfrage "Wer soll sprechen?" "Anna" "Ben" --geheim')
    assert not posted(bot), "a secret poll never uses native (public) poll events"
    announcement = bot.adapter.sent[0]
    assert announcement.room_id == FORUM
    assert "Geheime Umfrage #1: Wer soll sprechen?" in announcement.message.body
    assert "per Direktnachricht an mich (@bot:localhost): !abstimmen 1 <Nummer>" in (
        announcement.message.body
    )
    [in_room] = await bot.say(ALICE, f"!abstimmen {number} 1")
    assert "per Direktnachricht" in in_room.body and "nicht gezählt" in in_room.body
    [counted] = await bot.say(ALICE, f"abstimmen {number} 1", room="!dm-alice", direct=True)
    assert "geheime Stimme für #1 ist gezählt" in counted.body and "Anna" not in counted.body
    [again] = await bot.say(ALICE, f"abstimmen {number} 2", room="!dm-alice", direct=True)
    assert "schon abgestimmt" in again.body
    [stranger] = await bot.say(CAROL, f"abstimmen {number} 2", room="!dm-carol", direct=True)
    assert "Nur Mitglieder" in stranger.body or "nur Mitglieder" in stranger.body
    await bot.say(BOB, f"abstimmen {number} 2", room="!dm-bob", direct=True)
    [hidden] = await bot.say(STAFF, f"!ergebnis {number}")
    assert "erst, wenn sie beendet ist" in hidden.body
    await bot.say(STAFF, f"!umfrage-ende {number}")
    assert not posted(bot, "poll_end")
    [final] = await bot.say(ALICE, f"!ergebnis {number}")
    assert "(1) – 1. Anna" in final.body and "(1) – 2. Ben" in final.body
    assert "Abgestimmt haben: 2" in final.body


async def test_the_database_cannot_link_a_secret_voter_to_a_choice(bot, tmp_path):
    bot.adapter.members.update({(FORUM, ALICE), (FORUM, BOB), (FORUM, CAROL)})
    number = await start(bot, '!umfrage "Wer?" "Anna" "Ben" "Cem" --geheim')
    for voter, choice in ((ALICE, 2), (BOB, 3), (CAROL, 2)):
        await bot.say(voter, f"abstimmen {number} {choice}", room=f"!dm-{voter}", direct=True)
    engine = create_engine(bot.services.settings.database_url)
    async with engine.connect() as db:
        voter_columns = await columns(db, "poll_secret_voters")
        tally_columns = await columns(db, "poll_secret_tallies")
        voters = (await db.execute(text("SELECT * FROM poll_secret_voters"))).all()
        tallies = (await db.execute(text("SELECT * FROM poll_secret_tallies"))).all()
        responses = (await db.execute(text("SELECT count(*) FROM poll_responses"))).scalar()
        with pytest.raises(OperationalError, match="rowid"):
            await db.execute(text("SELECT rowid FROM poll_secret_voters"))
    await engine.dispose()
    # Who voted: people and the poll, nothing else (no id, no time, no choice).
    assert voter_columns == {"poll_id", "platform", "voter"}
    assert sorted(row.voter for row in voters) == sorted([ALICE, BOB, CAROL])
    # What was chosen: one counter per answer, nothing about anyone.
    assert tally_columns == {"poll_id", "position", "votes"}
    assert sorted((row.position, row.votes) for row in tallies) == [(1, 0), (2, 2), (3, 1)]
    # The only thing the two tables share is the poll; choices never become response rows.
    assert voter_columns & tally_columns == {"poll_id"}
    assert responses == 0


async def columns(db, table: str) -> set[str]:
    rows = (await db.execute(text(f"PRAGMA table_info({table})"))).all()
    return {row.name for row in rows}
