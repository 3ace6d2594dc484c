"""Quick polls through a real Synapse: native MSC3381 events, text votes, timed closes,
downtime and a secret ballot whose database cannot tell who chose what.

The bot runs on a FakeClock that starts at the real time: Synapse stamps events with the
real time, and the counting rules compare those stamps with the poll's deadline.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bots import RunningBot, register_bot
from chat import ChatUser
from sqlalchemy import update

from bot.clock import FakeClock
from storage.db import create_engine
from storage.polls.models import Poll

START = "org.matrix.msc3381.poll.start"
RESPONSE = "org.matrix.msc3381.poll.response"
END = "org.matrix.msc3381.poll.end"
TEXT = "org.matrix.msc1767.text"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now().astimezone())


@pytest.fixture
async def people(make_user):
    staff = await make_user("sabine")
    citizens = [await make_user(name, auto_join=True) for name in ("alice", "bob", "carol")]
    return staff, citizens


@pytest.fixture
async def bot(synapse, tmp_path, people, clock):
    staff, _ = people
    running = await register_bot(
        synapse, tmp_path, env={"BOT_STAFF_USERS": staff.user_id}, clock=clock
    )
    await running.start()
    yield running
    await running.stop()


async def forum(staff: ChatUser, citizens: list[ChatUser], bot: RunningBot) -> str:
    room = await staff.create_room(
        name="Bürgerforum", invite=[bot.user_id, *(c.user_id for c in citizens)]
    )
    await staff.wait_joined(room, bot.user_id)
    for citizen in citizens:
        await staff.wait_joined(room, citizen.user_id)
    return room


async def poll_event(user: ChatUser, room: str, event_type: str) -> dict[str, Any]:
    return await user.wait_for(lambda e: e["room_id"] == room and e.get("type") == event_type)


async def vote_natively(citizen: ChatUser, room: str, poll_id: str, *answers: Any) -> datetime:
    """Press poll buttons as Element does; returns when the server stamped the response."""
    content = {
        RESPONSE: {"answers": list(answers)},
        "m.relates_to": {"rel_type": "m.reference", "event_id": poll_id},
    }
    event_id = await citizen.send_event(room, RESPONSE, content)
    echo = await citizen.wait_for(lambda e: e.get("event_id") == event_id)
    return datetime.fromtimestamp(echo["origin_server_ts"] / 1000, tz=UTC)


async def test_native_poll_votes_and_results(bot, people):
    staff, (alice, bob, carol) = people
    room = await forum(staff, [alice, bob, carol], bot)

    refused = await alice.reply_to(await alice.say(room, '!umfrage "Frage?" "Ja" "Nein"'))
    assert "Das dürfen leider nur Mitarbeitende des Programms" in refused.body

    command = await staff.say(
        room, '!umfrage „Welches Workshop-Thema als Nächstes?“ "Verkehr" "Bildung" "Kultur"'
    )
    start = await poll_event(staff, room, START)
    assert start["sender"] == bot.user_id
    fallback = start["content"][TEXT]
    assert start["content"] == {
        START: {
            "question": {TEXT: "Welches Workshop-Thema als Nächstes?"},
            "kind": "org.matrix.msc3381.poll.disclosed",
            "max_selections": 1,
            "answers": [
                {"id": "a1", TEXT: "Verkehr"},
                {"id": "a2", TEXT: "Bildung"},
                {"id": "a3", TEXT: "Kultur"},
            ],
        },
        TEXT: fallback,
    }
    assert "1. Verkehr\n2. Bildung\n3. Kultur" in fallback
    assert "!abstimmen 1 <Nummer>" in fallback
    started = await staff.reply_to(command)
    assert started.body == "Umfrage #1 läuft jetzt in diesem Raum."

    poll_id = start["event_id"]
    await vote_natively(alice, room, poll_id, "a1")
    await vote_natively(alice, room, poll_id, "a2")  # Alice changes her mind
    await vote_natively(bob, room, poll_id, "a2")
    await vote_natively(carol, room, poll_id, "a1", "gibt-es-nicht")  # spoiled
    results = await carol.reply_to(await carol.say(room, "!ergebnis 1"))
    assert "Zwischenstand von Umfrage #1" in results.body
    assert "░░░░░░░░░░ 0 % (0) – 1. Verkehr" in results.body
    assert "██████████ 100 % (2) – 2. Bildung" in results.body
    assert "Abgestimmt haben: 2" in results.body
    assert "Ungültige Stimmen (nicht gezählt): 1" in results.body

    # A text vote overrides Alice's earlier native vote.
    voted = await alice.reply_to(await alice.say(room, "!vote 1 3"))
    assert "3. Kultur" in voted.body
    results = await bob.reply_to(await bob.say(room, "!results 1"))
    assert "(1) – 2. Bildung" in results.body and "(1) – 3. Kultur" in results.body
    assert "Voters: 2" in results.body


async def test_a_timed_poll_closes_on_schedule(bot, people, clock):
    staff, (alice, bob, carol) = people
    room = await forum(staff, [alice, bob, carol], bot)
    await staff.say(room, '!umfrage "Grillfest?" "Ja" "Nein" --dauer 2h')
    start = await poll_event(staff, room, START)
    assert "Die Umfrage endet am" in start["content"][TEXT]
    await vote_natively(alice, room, start["event_id"], "a1")
    await vote_natively(bob, room, start["event_id"], "a1")

    clock.advance(timedelta(hours=1))
    await bot.app.scheduler.run_due()
    assert "poll-close:1" in bot.app.scheduler.job_ids()
    clock.advance(timedelta(hours=1, minutes=1))
    await bot.app.scheduler.run_due()
    assert "poll-close:1" not in bot.app.scheduler.job_ids()

    end = await poll_event(staff, room, END)
    assert end["sender"] == bot.user_id
    assert end["content"]["m.relates_to"] == {
        "rel_type": "m.reference",
        "event_id": start["event_id"],
    }
    assert end["content"][END] == {}
    assert "Ergebnis von Umfrage #1" in end["content"][TEXT]
    assert "(2) – 1. Ja" in end["content"][TEXT]
    results = await staff.next_reply(room, sender=bot.user_id)
    assert results.in_reply_to == start["event_id"]
    assert results.body == end["content"][TEXT]


async def test_a_deadline_during_downtime_closes_on_start_counting_votes_before_it(
    bot, people, clock
):
    staff, (alice, bob, carol) = people
    room = await forum(staff, [alice, bob, carol], bot)
    await staff.say(room, '!umfrage "Neuer Spielplatz?" "Ja" "Nein" --dauer 1h')
    start = await poll_event(staff, room, START)
    poll_id = start["event_id"]
    await vote_natively(alice, room, poll_id, "a1")
    await staff.reply_to(await staff.say(room, "!umfragen"))  # the bot has seen it all

    await bot.stop()
    bob_at = await vote_natively(bob, room, poll_id, "a1")  # while down, before the end
    carol_at = await vote_natively(carol, room, poll_id, "a2")  # while down, after the end
    assert bob_at < carol_at
    # Synapse stamps real time, so the deadline is moved between the two votes.
    deadline = bob_at + (carol_at - bob_at) / 2
    await move_deadline(bot, 1, deadline)
    clock.set(deadline + timedelta(hours=3))

    await bot.start()
    assert "poll-close:1" in bot.app.scheduler.job_ids()  # rebuilt from the database
    await bot.app.scheduler.run_due()
    end = await poll_event(staff, room, END)
    assert "(2) – 1. Ja" in end["content"][TEXT] and "(0) – 2. Nein" in end["content"][TEXT]
    assert "Abgestimmt haben: 2" in end["content"][TEXT]
    await staff.next_reply(room, sender=bot.user_id)  # the results message

    await bot.restart()
    assert not [job for job in bot.app.scheduler.job_ids() if job.startswith("poll-")]
    marker = await staff.say(room, "!ergebnis 1")
    after_restart = await staff.wait_for(
        lambda e: (
            e.get("type") == END
            or e.get("content", {}).get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id")
            == marker
        )
    )
    assert after_restart.get("type") != END, "the poll was ended twice"
    assert "(2) – 1. Ja" in after_restart["content"]["body"]


async def move_deadline(bot: RunningBot, number: int, deadline: datetime) -> None:
    engine = create_engine(bot.settings.database_url)
    try:
        async with engine.begin() as db:
            await db.execute(update(Poll).where(Poll.id == number).values(closes_at=deadline))
    finally:
        await engine.dispose()


async def test_a_secret_poll_by_direct_message_leaves_no_link_in_the_database(bot, people):
    staff, (alice, bob, carol) = people
    room = await forum(staff, [alice, bob, carol], bot)
    await staff.say(room, '!umfrage "Wer soll die Sitzung leiten?" "Anna" "Ben" --geheim')
    announcement = await staff.next_reply(room, sender=bot.user_id)
    assert "Geheime Umfrage #1" in announcement.body
    assert f"per Direktnachricht an mich ({bot.user_id}): !abstimmen 1 <Nummer>" in (
        announcement.body
    )

    in_public = await alice.reply_to(await alice.say(room, "!abstimmen 1 1"))
    assert "nicht gezählt" in in_public.body
    for citizen, choice in ((alice, 1), (bob, 2), (carol, 2)):
        dm = await citizen.dm(bot.user_id)
        await citizen.wait_joined(dm, bot.user_id)
        counted = await citizen.reply_to(await citizen.say(dm, f"abstimmen 1 {choice}"))
        assert "geheime Stimme für #1 ist gezählt" in counted.body
        if citizen is alice:
            again = await alice.reply_to(await alice.say(dm, "abstimmen 1 2"))
            assert "schon abgestimmt" in again.body

    secret_open = await staff.reply_to(await staff.say(room, "!ergebnis 1"))
    assert "erst, wenn sie beendet ist" in secret_open.body
    end_command = await staff.say(room, "!umfrage-ende 1")
    results = await staff.next_reply(room, sender=bot.user_id)  # published before the reply
    assert (await staff.reply_to(end_command)).body.startswith("Umfrage #1 ist beendet")
    assert "(1) – 1. Anna" in results.body and "(2) – 2. Ben" in results.body

    with sqlite3.connect(bot.data_dir / "bot.db") as db:
        voters = db.execute("SELECT * FROM poll_secret_voters").fetchall()
        voter_columns = [c[1] for c in db.execute("PRAGMA table_info(poll_secret_voters)")]
        tallies = db.execute("SELECT * FROM poll_secret_tallies ORDER BY position").fetchall()
        tally_columns = [c[1] for c in db.execute("PRAGMA table_info(poll_secret_tallies)")]
        responses = db.execute("SELECT count(*) FROM poll_responses").fetchone()[0]
        posted = db.execute("SELECT start_event_id, end_event_id FROM polls").fetchone()
    assert voter_columns == ["poll_id", "platform", "voter"]
    assert sorted(v[2] for v in voters) == sorted(c.user_id for c in (alice, bob, carol))
    assert tally_columns == ["poll_id", "position", "votes"]
    assert tallies == [(1, 1, 1), (1, 2, 2)]
    assert responses == 0  # no per-vote rows anywhere
    assert posted == (announcement.event_id, None)  # a notice, never native poll events
