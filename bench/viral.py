"""A viral poll: the bot's own capacity (`python -m bench.load --viral`).

`python -m bench.load --viral [--members 2000] [--ideas 200] [--text-votes 200] [--quick]`

A room of `--members` citizens (registered through the shared-secret admin API, whose
answer carries the access token, so no login per citizen). Staff start two native polls.
Each citizen then answers with a native MSC3381 response; `--changed` of them (10 %) change
their vote with a second response, about `--spoiled` of all responses (2 %) name an answer
the poll does not have (a spoiled ballot), `--text-votes` citizens vote once more with
`!abstimmen` and `--ideas` citizens send an `!idee`. Every citizen sends in order; up to
`--parallel` citizens send at once, as fast as the homeserver accepts them.

Two rounds, one per poll:

* live: the bot runs while the citizens send. It handles events as fast as Synapse
  accepts and delivers them, so this round shows the homeserver's pace.
* backlog: the bot is stopped (SIGTERM) while the same burst is sent, then started again.
  It catches up on everything at once: the bot at saturation, with nothing else to wait for.

The bot's own timestamps come from its `bot.timing` log (`smartregion-bot --log
bot.timing=DEBUG`): when each sync's events arrived (after any backfill) and when each batch
of poll responses was committed; commands count from their `processed_events` row. The
tally is correct from the commit of the last vote on (checked against the expected one
afterwards), so "tally lag" is that commit minus the arrival of the last sync before it.

Everything sent is checked: each response stored exactly once, the tally (votes, voters,
spoiled) equal to each citizen's last vote, each idea stored once with its author and text,
each command answered exactly once, `!ergebnis` showing the counts.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, select

from bench import harness
from bench.ideas_similarity import idea_text
from handlers.polls.lifecycle import load_tally
from storage.polls.models import PollResponse
from storage.polls.repository import PollRepository

POLL_START = "org.matrix.msc3381.poll.start"
POLL_RESPONSE = "org.matrix.msc3381.poll.response"
ANSWERS = ("a1", "a2", "a3", "a4")
SPOILED = "a9"
"""An answer id the polls do not have: a response naming it is a spoiled ballot."""
TIMING_LOGGER = "bot.timing"
TALLY_TARGET_S = 1.0
RATE_TARGET = 500.0
SETTLE_TIMEOUT_S = 600.0
_SYNC_LINE = re.compile(r"sync delivered (\d+) events: received ([\d.]+) handled ([\d.]+)")
_BATCH_LINE = re.compile(r"stored a batch of (\d+) events at ([\d.]+)")
_RESULT_LINE = re.compile(r"\((\d+)\) – (\d)\.")


@dataclass
class Action:
    """One event a citizen sends: a native response, `!abstimmen` or `!idee`."""

    kind: str  # "native", "text" or "idea"
    answer: str | None = None
    text: str | None = None
    event_id: str = ""
    send_s: float = 0.0


@dataclass
class Round:
    """One burst on one poll, and what it sent."""

    name: str
    poll: int
    poll_event: str
    plan: dict[str, list[Action]] = field(default_factory=dict)
    started: float = 0.0
    send_s: float = 0.0

    def actions(self) -> list[tuple[str, Action]]:
        return [(sender, action) for sender, actions in self.plan.items() for action in actions]

    def expected(self) -> tuple[dict[str, int], int, int]:
        """Votes per answer, voters and spoiled ballots by each citizen's last vote."""
        votes = dict.fromkeys(ANSWERS, 0)
        spoiled = 0
        for actions in self.plan.values():
            last = [a.answer for a in actions if a.kind in ("native", "text")]
            if not last:
                continue
            if last[-1] == SPOILED:
                spoiled += 1
            else:
                votes[str(last[-1])] += 1
        return votes, sum(votes.values()), spoiled


def make_plan(
    members: list[harness.Account], args: argparse.Namespace, rng: random.Random, name: str
) -> dict[str, list[Action]]:
    """Who sends what, in which order (a citizen's own events are sent one after another)."""
    text_voters = set(rng.sample(range(len(members)), args.text_votes))
    idea_senders = set(rng.sample(range(len(members)), args.ideas))
    plan = {}
    for position, member in enumerate(members):
        first = SPOILED if rng.random() < args.spoiled else rng.choice(ANSWERS)
        actions = [Action("native", answer=first)]
        if rng.random() < args.changed:
            other = rng.choice([a for a in (*ANSWERS, SPOILED) if a != first])
            changed = SPOILED if rng.random() < args.spoiled else other
            actions.append(Action("native", answer=changed))
        if position in text_voters:
            actions.append(Action("text", answer=rng.choice(ANSWERS)))
        if position in idea_senders:
            localpart = member.user_id.split(":")[0][1:]
            text = f"{idea_text(rng)} ({name} {localpart})"
            actions.append(Action("idea", text=text))
        plan[member.user_id] = actions
    return plan


async def send_round(
    members: list[harness.Account], room: str, burst: Round, parallel: int
) -> None:
    """Every citizen sends their actions in order; `parallel` citizens at a time."""
    gate = asyncio.Semaphore(parallel)

    async def citizen(member: harness.Account) -> None:
        async with gate:
            for action in burst.plan[member.user_id]:
                began = time.perf_counter()
                if action.kind == "native":
                    content = {
                        POLL_RESPONSE: {"answers": [action.answer]},
                        "m.relates_to": {"rel_type": "m.reference", "event_id": burst.poll_event},
                    }
                    action.event_id = await member.send(room, POLL_RESPONSE, content)
                elif action.kind == "text":
                    number = str(action.answer)[1:]
                    action.event_id = await member.say(room, f"!abstimmen {burst.poll} {number}")
                else:
                    action.event_id = await member.say(room, f"!idee {action.text}")
                action.send_s = time.perf_counter() - began

    burst.started = time.time()
    began = time.perf_counter()
    await asyncio.gather(*(citizen(member) for member in members))
    burst.send_s = time.perf_counter() - began


async def setup_members(
    synapse: Any, http: Any, room: str, count: int, parallel: int
) -> tuple[list[harness.Account], float, float]:
    """Register and join `count` citizens; seconds each step took."""
    began = time.perf_counter()
    members = await harness.register_crowd(synapse, http, "citizen", count, parallel)
    registered = time.perf_counter() - began
    gate = asyncio.Semaphore(parallel)

    async def join(member: harness.Account) -> None:
        async with gate:
            await member.join(room)

    began = time.perf_counter()
    await asyncio.gather(*(join(m) for m in members))
    return members, registered, time.perf_counter() - began


async def start_poll(staff: harness.Account, view: harness.Timeline, room: str, bot_id: str) -> str:
    """Staff start a native poll; the id of the bot's poll start event."""
    scanned = len(view.events)
    await staff.say(room, '!umfrage "Welches Projekt zuerst?" "Radwege" "Bus" "Kita" "WLAN"')
    _, start = await view.wait_for(
        lambda e: e.get("type") == POLL_START and e.get("sender") == bot_id, 60, scanned
    )
    return str(start["event_id"])


async def measure_viral(args: argparse.Namespace) -> int:
    if args.quick:
        args.members, args.ideas, args.text_votes = 100, 10, 10
    rng = random.Random(17)
    async with (
        harness.workspace("load-viral", args.keep) as directory,
        harness.homeserver() as synapse,
        harness.http_session() as http,
    ):
        staff = await harness.register(synapse, http, "sabine")
        bot = await harness.smartregion_bot(
            synapse, directory / "bot", options=("--log", f"{TIMING_LOGGER}=DEBUG")
        )
        room = await staff.create_room("Bürgerforum", [bot.user_id], public=True)
        ideas_room = await staff.create_room("Ideen", [bot.user_id])
        members, register_s, join_s = await setup_members(
            synapse, http, room, args.members, args.parallel
        )
        print(f"{args.members} citizens registered in {register_s:.0f} s, joined in {join_s:.0f} s")
        bot.env.update({"BOT_STAFF_USERS": staff.user_id, "BOT_IDEAS_ROOM": ideas_room})
        view = harness.Timeline(staff)
        await view.start()
        database = harness.BotDatabase(bot.env["DATABASE_URL"])
        rounds: list[Round] = []
        try:
            await bot.start()
            await harness.wait_joined(view, (room, ideas_room), bot.user_id, bot)
            for number, name in enumerate(("live", "backlog"), start=1):
                event = await start_poll(staff, view, room, bot.user_id)
                burst = Round(name, number, event)
                burst.plan = make_plan(members, args, rng, name)
                rounds.append(burst)
            live, backlog = rounds
            await send_round(members, room, live, args.parallel)
            await wait_processed(database, live)
            await bot.stop()
            await send_round(members, room, backlog, args.parallel)
            restarted = time.time()
            await bot.start()
            await wait_processed(database, backlog)
            rss, peak = bot.rss_mb(), bot.rss_mb("VmHWM")
            results = [
                await check_round(database, staff, view, room, bot, burst) for burst in rounds
            ]
        finally:
            await bot.stop()
            await view.stop()
            await database.close()
        timings = read_timings(bot.log_path)
    for burst, result in zip(rounds, results, strict=True):
        result.update(bot_side(burst, result, timings))
    results[1]["restart_to_first_arrival_s"] = results[1]["first_arrival"] - restarted
    return report(args, rounds, results, register_s, join_s, rss, peak)


async def wait_processed(database: harness.BotDatabase, burst: Round) -> None:
    """Until the bot has marked every sent event processed (bounded)."""
    ids = [action.event_id for _, action in burst.actions()]
    limit = time.monotonic() + SETTLE_TIMEOUT_S
    while True:
        done = await database.processed_at(ids)
        if len(done) == len(ids) or time.monotonic() > limit:
            return
        await asyncio.sleep(0.5)


async def room_history(account: harness.Account, room: str) -> list[harness.Event]:
    """Every event of the room, newest first (paged /messages)."""
    events: list[harness.Event] = []
    start = None
    while True:
        params = {"dir": "b", "limit": "1000", **({"from": start} if start else {})}
        page = await account.request("GET", f"/rooms/{quote(room)}/messages", **params)
        events.extend(page.get("chunk", []))
        if not page.get("chunk") or not page.get("end"):
            return events
        start = page["end"]


async def check_round(
    database: harness.BotDatabase,
    staff: harness.Account,
    view: harness.Timeline,
    room: str,
    bot: harness.SmartRegionBot,
    burst: Round,
) -> dict[str, Any]:
    """Everything the round sent, checked against the bot's database and its answers."""
    sent = burst.actions()
    processed = await database.processed_at(action.event_id for _, action in sent)
    async with database.sessions() as session:
        polls = PollRepository(session)
        poll = await polls.get(burst.poll)
        assert poll is not None
        tally = await load_tally(polls, poll)
        rows = await session.execute(
            select(PollResponse.event_id, func.count())
            .where(PollResponse.poll_id == burst.poll)
            .group_by(PollResponse.event_id)
        )
        stored_votes = dict(rows.tuples().all())
    ideas = await database.ideas_by_event()
    history = await room_history(staff, room)
    replies = Counter(
        harness.in_reply_to(event) for event in history if event.get("sender") == bot.user_id
    )
    votes = [(s, a) for s, a in sent if a.kind != "idea"]
    commands = [(s, a) for s, a in sent if a.kind != "native"]
    asked = await staff.say(room, f"!ergebnis {burst.poll}")
    _, reply = await view.wait_for(harness.reply_to(asked, bot.user_id), 60)
    shown = {f"a{pos}": int(n) for n, pos in _RESULT_LINE.findall(reply["content"]["body"])}
    expected_votes, voters, spoiled = burst.expected()
    return {
        "sent": Counter(action.kind for _, action in sent),
        "accept_ms": harness.summary_ms([action.send_s for _, action in sent]),
        "processed": processed,
        "votes_once": sum(1 for _, a in votes if stored_votes.get(a.event_id) == 1),
        "votes": len(votes),
        "ideas_once": sum(
            1 for s, a in sent if a.kind == "idea" and ideas.get(a.event_id) == [(s, a.text)]
        ),
        "ideas": sum(1 for _, a in sent if a.kind == "idea"),
        "answered_once": sum(1 for _, a in commands if replies[a.event_id] == 1),
        "commands": len(commands),
        "tally_ok": (tally.votes, tally.voters, tally.spoiled) == (expected_votes, voters, spoiled),
        "expected": {"votes": expected_votes, "voters": voters, "spoiled": spoiled},
        "results_ok": shown == expected_votes,
    }


def read_timings(log_path: Path) -> dict[str, list[tuple[float, ...]]]:
    """The bot's `bot.timing` lines: (events, received, handled) per sync, (events,
    committed) per stored batch."""
    text = log_path.read_text(encoding="utf-8", errors="replace")
    syncs = [(int(n), float(r), float(h)) for n, r, h in _SYNC_LINE.findall(text)]
    batches = [(int(n), float(at)) for n, at in _BATCH_LINE.findall(text)]
    return {"syncs": syncs, "batches": batches}


def bot_side(
    burst: Round, result: dict[str, Any], timings: dict[str, list[tuple[float, ...]]]
) -> dict[str, Any]:
    """Rate and tally lag of one round from the bot's own timestamps."""
    sent = burst.actions()
    end = max(burst.started + burst.send_s, *(t.timestamp() for t in result["processed"].values()))
    syncs = [s for s in timings["syncs"] if burst.started <= s[1] <= end + 1 and s[0] > 0]
    batches = [b for b in timings["batches"] if burst.started <= b[1] <= end + 1]
    first_arrival = min(s[1] for s in syncs)
    last_arrival = max(s[1] for s in syncs)
    command_done = [
        result["processed"][a.event_id].timestamp()
        for _, a in sent
        if a.kind != "native" and a.event_id in result["processed"]
    ]
    vote_done = [
        result["processed"][a.event_id].timestamp()
        for _, a in sent
        if a.kind == "text" and a.event_id in result["processed"]
    ]
    last_batch = max((b[1] for b in batches), default=first_arrival)
    last_done = max([last_batch, *command_done])
    tally_at = max([last_batch, *vote_done])
    # The last vote arrived with a sync received before the tally was final; later syncs
    # brought only ideas (the log names no events, so this is the closest bound).
    last_vote_arrival = max(s[1] for s in syncs if s[1] <= tally_at)
    return {
        "first_arrival": first_arrival,
        "last_arrival": last_arrival,
        "syncs": len(syncs),
        "batches": len(batches),
        "largest_batch": max((b[0] for b in batches), default=0),
        "bot_events_per_s": len(sent) / max(last_done - first_arrival, 1e-9),
        "bot_busy_s": last_done - first_arrival,
        "tally_lag_s": tally_at - last_vote_arrival,
        "synapse_accept_per_s": len(sent) / burst.send_s,
    }


def report(
    args: argparse.Namespace,
    rounds: list[Round],
    results: list[dict[str, Any]],
    register_s: float,
    join_s: float,
    rss: float,
    peak: float,
) -> int:
    rows: list[list[Any]] = []

    def row(label: str, render: Any) -> None:
        rows.append([label, *(render(r) for r in results)])

    row("events sent (native / !abstimmen / !idee)", lambda r: _sent(r["sent"]))
    row(
        "Synapse accepted the sends",
        lambda r: (
            f"{r['synapse_accept_per_s']:.0f} events/s "
            f"(p50 {r['accept_ms']['p50']:.0f} / p99 {r['accept_ms']['p99']:.0f} ms per send)"
        ),
    )
    row("syncs that delivered them / poll-response batches", lambda r: f"{r['syncs']} / "
        f"{r['batches']} (largest {r['largest_batch']})")  # fmt: skip
    row(
        "bot: first arrival → last event processed",
        lambda r: (
            f"{r['bot_busy_s']:.2f} s = {r['bot_events_per_s']:.0f} events/s "
            f"(target ≥ {RATE_TARGET:.0f})"
        ),
    )
    row(
        "bot: last arrival → correct tally committed",
        lambda r: f"{r['tally_lag_s'] * 1000:.0f} ms (target ≤ {TALLY_TARGET_S * 1000:.0f})",
    )
    row("votes stored exactly once", lambda r: f"{r['votes_once']} / {r['votes']}")
    row("ideas stored exactly once (author, text)", lambda r: f"{r['ideas_once']} / {r['ideas']}")
    row("commands answered exactly once", lambda r: f"{r['answered_once']} / {r['commands']}")
    row(
        "tally = last vote of each citizen (voters, spoiled)",
        lambda r: (
            f"{'yes' if r['tally_ok'] else 'NO'} "
            f"({r['expected']['voters']}, {r['expected']['spoiled']})"
        ),
    )
    row("!ergebnis shows the expected counts", lambda r: "yes" if r["results_ok"] else "NO")
    text = harness.table(["measure", *(f"{b.name} (poll #{b.poll})" for b in rounds)], rows)
    backlog = results[1]
    notes = (
        f"{args.members} citizens: registered in {register_s:.0f} s, joined in {join_s:.0f} s; "
        f"backlog: bot restart → events received {backlog['restart_to_first_arrival_s']:.1f} s "
        f"(start-up, sync, backfill through /messages); bot RSS after {rss:.0f} MB "
        f"(peak {peak:.0f} MB)"
    )
    correct = all(
        r["votes_once"] == r["votes"]
        and r["ideas_once"] == r["ideas"]
        and r["answered_once"] == r["commands"]
        and r["tally_ok"]
        and r["results_ok"]
        for r in results
    )
    harness.write_results(
        "load-viral",
        args.quick,
        {
            "members": args.members,
            "rounds": [
                {
                    "name": burst.name,
                    **{k: v for k, v in r.items() if k != "processed"},
                    "sent": dict(r["sent"]),
                }
                for burst, r in zip(rounds, results, strict=True)
            ],
            "register_s": register_s,
            "join_s": join_s,
            "bot_rss_mb": rss,
            "bot_peak_rss_mb": peak,
            "correct": correct,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
        [text, notes],
    )
    if not correct:
        print("FAILED: something sent was not counted, stored or answered exactly once")
    return 0 if correct else 1


def _sent(counts: Counter[str]) -> str:
    return f"{sum(counts.values())} ({counts['native']} / {counts['text']} / {counts['idea']})"


def add_arguments(arguments: argparse.ArgumentParser) -> None:
    """The options of `bench.load --viral`."""
    arguments.add_argument("--members", type=int, default=2000)
    arguments.add_argument("--ideas", type=int, default=200)
    arguments.add_argument("--text-votes", type=int, default=200)
    arguments.add_argument("--changed", type=float, default=0.10, help="share changing a vote")
    arguments.add_argument("--spoiled", type=float, default=0.02, help="share of spoiled ballots")
    arguments.add_argument("--parallel", type=int, default=32, help="citizens sending at once")
