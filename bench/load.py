"""A poll goes viral: many citizens vote and submit ideas at once in one room.

`python -m bench.load [--citizens 200] [--seconds 20] [--rate 50] [--quick]`

This paces the crowd below what the homeserver can take. `--viral` instead sends a burst on
a 2,000-member room and measures the bot's own capacity (see bench/viral.py).

The citizens (plain HTTP clients) join one public room where staff started a native poll.
For a fixed time each of them, after a random pause, votes by pressing a poll button (a
native MSC3381 response), votes with `!abstimmen 1 <n>`, or submits an idea with `!idee`;
about half the votes change an earlier vote. Together they offer `--rate` events a second.

Afterwards every sent event is checked against the bot's database: each vote stored
(100 % counted), each idea stored once with its author and text, the tally equal to each
citizen's last vote, every command answered exactly once, and `!ergebnis` showing it.
Reported: events/s processed, the per-event delay until the bot committed it, and the lag
between the last vote and a correct tally (target ≤ 1 s).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bench import harness, viral
from bench.ideas_similarity import idea_text
from handlers.polls.lifecycle import load_tally
from storage.polls.repository import PollRepository

POLL_START = "org.matrix.msc3381.poll.start"
POLL_RESPONSE = "org.matrix.msc3381.poll.response"
ANSWERS = ("a1", "a2", "a3", "a4")
POLL_NUMBER = 1
TALLY_TARGET_S = 1.0
SETTLE_TIMEOUT_S = 120.0
POLL_INTERVAL_S = 0.02
_RESULT_LINE = re.compile(r"\((\d+)\) – (\d)\.")


@dataclass
class Sent:
    """One event a citizen sent, and when (wall clock, to compare with the bot's commits)."""

    kind: str  # "native", "text" or "idea"
    event_id: str
    sender: str
    sent_at: float
    answer: str | None = None
    text: str | None = None
    send_s: float = 0.0
    """How long the homeserver took to accept it."""


@dataclass
class Crowd:
    """Everything the citizens sent, in the order each of them sent it."""

    sent: list[Sent] = field(default_factory=list)
    last_vote: dict[str, str] = field(default_factory=dict)

    def expected_votes(self) -> dict[str, int]:
        votes = dict.fromkeys(ANSWERS, 0)
        for answer in self.last_vote.values():
            votes[answer] += 1
        return votes


async def citizen_loop(
    citizen: harness.Account,
    room: str,
    poll_event: str,
    crowd: Crowd,
    rng: random.Random,
    mean_pause: float,
    deadline: float,
) -> None:
    """Pause, act, repeat until the deadline (bounded by time; every send is bounded too)."""
    await asyncio.sleep(rng.uniform(0, mean_pause))
    while time.monotonic() < deadline:
        roll = rng.random()
        previous = crowd.last_vote.get(citizen.user_id)
        answer = rng.choice([a for a in ANSWERS if a != previous])
        started = time.time()
        if roll < 0.45:
            content = {
                POLL_RESPONSE: {"answers": [answer]},
                "m.relates_to": {"rel_type": "m.reference", "event_id": poll_event},
            }
            event_id = await citizen.send(room, POLL_RESPONSE, content)
            crowd.sent.append(Sent("native", event_id, citizen.user_id, started, answer=answer))
        elif roll < 0.70:
            event_id = await citizen.say(room, f"!abstimmen {POLL_NUMBER} {answer[1:]}")
            crowd.sent.append(Sent("text", event_id, citizen.user_id, started, answer=answer))
        else:
            text = f"{idea_text(rng)} (Idee von {citizen.user_id.split(':')[0][1:]})"
            event_id = await citizen.say(room, f"!idee {text}")
            crowd.sent.append(Sent("idea", event_id, citizen.user_id, started, text=text))
        crowd.sent[-1].send_s = time.time() - started
        if roll < 0.70:
            crowd.last_vote[citizen.user_id] = answer
        pause = rng.expovariate(1 / mean_pause)
        await asyncio.sleep(max(0.0, min(pause, deadline - time.monotonic())))


async def measure(args: argparse.Namespace) -> int:
    citizens_n = 20 if args.quick else args.citizens
    seconds = 4.0 if args.quick else args.seconds
    rate = 20.0 if args.quick else args.rate
    rng = random.Random(11)
    async with (
        harness.workspace("load", args.keep) as directory,
        harness.homeserver() as synapse,
        harness.http_session() as http,
    ):
        staff = await harness.register(synapse, http, "sabine")
        setup_started = time.monotonic()
        citizens = await harness.register_many(synapse, http, "citizen", citizens_n)
        bot = await harness.smartregion_bot(synapse, directory / "bot")
        room = await staff.create_room("Bürgerforum", [bot.user_id], public=True)
        ideas = await staff.create_room("Ideen", [bot.user_id])
        gate = asyncio.Semaphore(10)

        async def join(citizen: harness.Account) -> None:
            async with gate:
                await citizen.join(room)

        await asyncio.gather(*(join(c) for c in citizens))
        setup_s = time.monotonic() - setup_started
        bot.env.update({"BOT_STAFF_USERS": staff.user_id, "BOT_IDEAS_ROOM": ideas})
        view = harness.Timeline(staff)
        await view.start()
        database = harness.BotDatabase(bot.env["DATABASE_URL"])
        try:
            await bot.start()
            await harness.wait_joined(view, (room, ideas), bot.user_id, bot)
            await staff.say(
                room, '!umfrage "Welches Projekt zuerst?" "Radwege" "Bus" "Kita" "WLAN"'
            )
            _, start = await view.wait_for(
                lambda e: e.get("type") == POLL_START and e.get("sender") == bot.user_id, 30
            )
            crowd = Crowd()
            mean_pause = citizens_n / rate
            started = time.monotonic()
            deadline = started + seconds
            await asyncio.gather(
                *(
                    citizen_loop(
                        c,
                        room,
                        start["event_id"],
                        crowd,
                        random.Random(rng.random()),
                        mean_pause,
                        deadline,
                    )
                    for c in citizens
                )
            )
            last_sent = time.time()
            send_s = time.monotonic() - started
            tally_lag = await wait_for_tally(database, crowd, last_sent)
            processed = await wait_processed(database, crowd)
            answered = await wait_answers(view, bot.user_id, crowd)
            results_ok = await check_results_message(staff, view, room, bot.user_id, crowd)
            stored_ideas = await database.ideas_by_event()
            rss = bot.rss_mb()
        finally:
            await bot.stop()
            await view.stop()
            await database.close()
    return report(
        args,
        citizens_n,
        seconds,
        rate,
        setup_s,
        send_s,
        crowd,
        processed,
        tally_lag,
        answered,
        results_ok,
        stored_ideas,
        rss,
    )


async def bot_tally(database: harness.BotDatabase) -> tuple[dict[str, int], int] | None:
    async with database.sessions() as session:
        polls = PollRepository(session)
        poll = await polls.get(POLL_NUMBER)
        if poll is None:
            return None
        tally = await load_tally(polls, poll)
    return tally.votes, tally.voters


async def wait_for_tally(database: harness.BotDatabase, crowd: Crowd, last_sent: float) -> float:
    """Seconds from the last send until the bot's stored tally is the expected one (NaN: never)."""
    expected = (crowd.expected_votes(), len(crowd.last_vote))
    limit = time.monotonic() + SETTLE_TIMEOUT_S
    while time.monotonic() < limit:
        if await bot_tally(database) == expected:
            return time.time() - last_sent
        await asyncio.sleep(POLL_INTERVAL_S)
    return float("nan")


async def wait_processed(database: harness.BotDatabase, crowd: Crowd) -> dict[str, datetime]:
    """When the bot committed each sent event; waits (bounded) until all are there."""
    limit = time.monotonic() + SETTLE_TIMEOUT_S
    ids = [sent.event_id for sent in crowd.sent]
    while True:
        found = await database.processed_at(ids)
        if len(found) == len(ids) or time.monotonic() > limit:
            return found
        await asyncio.sleep(0.2)


async def wait_answers(view: harness.Timeline, bot_id: str, crowd: Crowd) -> dict[str, int]:
    """Replies of the bot per command event, once all arrived (or the time is up)."""
    commands = {s.event_id for s in crowd.sent if s.kind != "native"}
    limit = time.monotonic() + SETTLE_TIMEOUT_S
    while True:
        replies = harness.replies_by_target(view, bot_id)
        if commands <= replies.keys() or time.monotonic() > limit:
            return {event_id: replies.get(event_id, 0) for event_id in commands}
        await asyncio.sleep(0.2)


async def check_results_message(
    staff: harness.Account, view: harness.Timeline, room: str, bot_id: str, crowd: Crowd
) -> bool:
    """What the bot answers to `!ergebnis` shows the expected count for every answer."""
    asked = await staff.say(room, f"!ergebnis {POLL_NUMBER}")
    _, reply = await view.wait_for(harness.reply_to(asked, bot_id), 30)
    shown = {
        f"a{position}": int(votes)
        for votes, position in _RESULT_LINE.findall(reply["content"]["body"])
    }
    return shown == crowd.expected_votes()


def report(
    args: argparse.Namespace,
    citizens_n: int,
    seconds: float,
    rate: float,
    setup_s: float,
    send_s: float,
    crowd: Crowd,
    processed: dict[str, datetime],
    tally_lag: float,
    answered: dict[str, int],
    results_ok: bool,
    stored_ideas: dict[str, list[tuple[str, str]]],
    rss: float,
) -> int:
    sent = crowd.sent
    votes = [s for s in sent if s.kind != "idea"]
    ideas = [s for s in sent if s.kind == "idea"]
    delays = [
        processed[s.event_id].timestamp() - s.sent_at for s in sent if s.event_id in processed
    ]
    first_sent = min(s.sent_at for s in sent)
    last_done = max((t.timestamp() for t in processed.values()), default=first_sent)
    throughput = len(processed) / max(last_done - first_sent, 1e-9)
    ideas_ok = sum(1 for s in ideas if stored_ideas.get(s.event_id) == [(s.sender, s.text)])
    lost_votes = sum(1 for s in votes if s.event_id not in processed)
    unanswered = sum(1 for count in answered.values() if count == 0)
    duplicated = sum(1 for count in answered.values() if count > 1)
    tally_ok = tally_lag == tally_lag  # NaN means it never became correct
    delay = harness.summary_ms(delays)
    accept = harness.summary_ms([s.send_s for s in sent])
    rows = [
        ["citizens", citizens_n],
        [
            "events sent (native votes / !abstimmen / !idee)",
            f"{len(sent)} ({sum(s.kind == 'native' for s in sent)} / "
            f"{sum(s.kind == 'text' for s in sent)} / {len(ideas)})",
        ],
        ["offered rate", f"{len(sent) / send_s:.1f} events/s for {send_s:.1f} s"],
        ["processed rate", f"{throughput:.1f} events/s"],
        ["homeserver accepting a send p50 / p99", f"{accept['p50']:.0f} / {accept['p99']:.0f} ms"],
        [
            "delay send → committed p50 / p90 / p99",
            f"{delay['p50']:.0f} / {delay['p90']:.0f} / {delay['p99']:.0f} ms",
        ],
        ["votes counted", f"{len(votes) - lost_votes} / {len(votes)}"],
        ["ideas stored exactly once, right author and text", f"{ideas_ok} / {len(ideas)}"],
        [
            "commands answered exactly once",
            f"{len(answered) - unanswered - duplicated} / {len(answered)}",
        ],
        ["tally correct (voters)", f"{'yes' if tally_ok else 'NO'} ({len(crowd.last_vote)})"],
        ["!ergebnis shows the expected counts", "yes" if results_ok else "NO"],
        [
            "lag last vote → correct tally",
            f"{tally_lag * 1000:.0f} ms (target ≤ {TALLY_TARGET_S * 1000:.0f} ms)",
        ],
        ["bot RSS after the run", f"{rss:.0f} MB"],
    ]
    text = harness.table(["measure", "value"], rows)
    print(f"setting up {citizens_n} citizens took {setup_s:.0f} s")
    correct = (
        lost_votes == 0
        and ideas_ok == len(ideas)
        and unanswered == 0
        and duplicated == 0
        and tally_ok
        and results_ok
    )
    harness.write_results(
        "load",
        args.quick,
        {
            "citizens": citizens_n,
            "seconds": seconds,
            "offered_rate": rate,
            "sent": {
                "native": len(votes) - sum(s.kind == "text" for s in sent),
                "text": sum(s.kind == "text" for s in sent),
                "ideas": len(ideas),
            },
            "processed_events_per_s": throughput,
            "delay_ms": delay,
            "send_ms": accept,
            "lost_votes": lost_votes,
            "ideas_ok": ideas_ok,
            "unanswered": unanswered,
            "duplicated_answers": duplicated,
            "tally_lag_ms": tally_lag * 1000,
            "tally_correct": tally_ok,
            "results_message_correct": results_ok,
            "bot_rss_mb": rss,
            "correct": correct,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
        [text],
    )
    if not correct:
        print("FAILED: something sent was not counted, stored or answered exactly once")
    return 0 if correct else 1


async def measure_mode(args: argparse.Namespace) -> int:
    """The paced crowd, or with `--viral` the burst that measures the bot's capacity."""
    if args.viral:
        return await viral.measure_viral(args)
    return await measure(args)


def main() -> None:
    arguments = harness.parser(__doc__)
    arguments.add_argument("--citizens", type=int, default=200)
    arguments.add_argument("--seconds", type=float, default=20.0, help="how long they send")
    arguments.add_argument("--rate", type=float, default=50.0, help="events/s offered in total")
    arguments.add_argument(
        "--viral", action="store_true", help="a burst on a 2,000-member room (bench/viral.py)"
    )
    viral.add_arguments(arguments)
    harness.run(measure_mode, arguments)


if __name__ == "__main__":
    main()
