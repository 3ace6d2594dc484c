"""Round trip from a citizen's message to the bot's reply, through a real Synapse.

`python -m bench.latency [--samples 200] [--quick]`

A citizen sends `!hilfe`, `!idee`, `!abstimmen` and `!frage` to the bot (run as its own
process, `smartregion-bot run`) and a plain message to a minimal nio echo bot
(`bench.echo_bot`) on the same homeserver, in a room with the same members as the bot's (a
staff member, whose client syncs too, the citizen and the replier): the echo is the floor
that Synapse, nio and the network cost anyway. The kinds are interleaved round by round, so
a slow moment of the machine hits all of them alike; warm-up rounds are not counted.
Reported: p50/p90/p99 per kind and the ratio bot/echo. Targets: p50 ≤ 1.10 × and p99 ≤ 1.25
× the echo. `--database postgresql` gives the bot a fresh database on the PostgreSQL server
of `SMARTREGION_TEST_POSTGRES_URL` instead of its SQLite file (results:
`latency-postgresql`), as a deployment with a standby has. `--settle-cards` (not the
benchmark's method) waits after each `!idee` until its card is in the ideas room, so the
next message does not meet Synapse persisting it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench import harness
from bench.ideas_similarity import idea_text

P50_TARGET, P99_TARGET = 1.10, 1.25
REPLY_TIMEOUT_S = 30.0
ECHO = "echo"
FALLBACK_QUESTIONS = (
    "Wann wird der Radweg an der Mergentheimer Straße saniert?",
    "Wann kommt schnelles Internet nach Rimpar?",
    "Wo kann ich mich für einen Kitaplatz anmelden?",
)


@dataclass(frozen=True)
class Kind:
    """One kind of message: where it goes and what the n-th one says."""

    name: str
    room: str
    text: Callable[[int], str]
    replier: str


def questions() -> list[str]:
    """Realistic citizens' questions from the router's development data, if present (never the
    frozen test set, which only `bench.classify` may open)."""
    texts = []
    for path in sorted((harness.PROJECT_ROOT / "bench" / "data").glob("routing-dev*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                text = json.loads(line)["text"]
                if 10 <= len(text) <= 400:
                    texts.append(text)
    return texts or list(FALLBACK_QUESTIONS)


async def measure(args: argparse.Namespace) -> int:
    rounds = 5 if args.quick else args.samples
    warmup = 2 if args.quick else 10
    rng = random.Random(8)
    asked = questions()
    async with (
        harness.workspace("latency", args.keep) as directory,
        harness.homeserver() as synapse,
        harness.http_session() as http,
        _database(args.database) as database_url,
    ):
        citizen = await harness.register(synapse, http, "alice")
        staff = await harness.register(synapse, http, "sabine")
        bot = await harness.smartregion_bot(synapse, directory / "bot")
        echo = await harness.echo_bot(synapse, directory)
        forum = await staff.create_room("Bürgerforum", [bot.user_id, citizen.user_id])
        ideas = await staff.create_room("Ideen", [bot.user_id])
        experts = await staff.create_room("Fachleute", [bot.user_id])
        # The floor's room is made like the forum (the staff member creates it, the citizen
        # and the replier are in it, the staff member's client syncs it): each message in
        # it then costs Synapse the same fan-out, which is not the bot's cost.
        echo_room = await staff.create_room("Echo", [echo.user_id, citizen.user_id])
        await citizen.join(forum)
        await citizen.join(echo_room)
        if database_url is not None:
            bot.env["DATABASE_URL"] = database_url
        bot.env.update(
            {
                "BOT_STAFF_USERS": staff.user_id,
                "BOT_IDEAS_ROOM": ideas,
                "BOT_DEPARTMENTS_FILE": str(harness.departments_file(directory, experts)),
            }
        )
        staff_view, citizen_view = harness.Timeline(staff), harness.Timeline(citizen)
        await staff_view.start()
        await citizen_view.start()
        try:
            await bot.start()
            await echo.start()
            await harness.wait_joined(staff_view, (forum, ideas, experts), bot.user_id, bot)
            await harness.wait_joined(staff_view, (echo_room,), echo.user_id, echo)
            poll = await staff.say(forum, '!umfrage "Wie kommst du zur Arbeit?" "Rad" "Bus"')
            await staff_view.wait_for(harness.reply_to(poll, bot.user_id), REPLY_TIMEOUT_S)
            kinds = (
                Kind(ECHO, echo_room, lambda n: f"Hallo Echo {n}", echo.user_id),
                Kind("!hilfe", forum, lambda n: "!hilfe", bot.user_id),
                Kind("!idee", forum, lambda n: f"!idee {idea_text(rng)} ({n})", bot.user_id),
                Kind("!abstimmen", forum, lambda n: f"!abstimmen 1 {1 + n % 2}", bot.user_id),
                Kind("!frage", forum, lambda n: f"!frage {asked[n % len(asked)]}", bot.user_id),
            )
            samples: dict[str, list[float]] = {kind.name: [] for kind in kinds}
            lost: dict[str, int] = dict.fromkeys(samples, 0)
            started = time.monotonic()
            for number in range(warmup + rounds):
                for kind in kinds:
                    seen = len(staff_view.events)
                    sent_at = time.monotonic()
                    event_id = await citizen.say(kind.room, kind.text(number))
                    try:
                        arrived, _ = await citizen_view.wait_for(
                            harness.reply_to(event_id, kind.replier), REPLY_TIMEOUT_S
                        )
                        if args.settle_cards and kind.name == "!idee":
                            card = harness.message_from(bot.user_id, ideas)
                            await staff_view.wait_for(card, REPLY_TIMEOUT_S, start=seen)
                    except TimeoutError:
                        lost[kind.name] += 1
                        continue
                    if number >= warmup:
                        samples[kind.name].append(arrived - sent_at)
            elapsed = time.monotonic() - started
            rss = bot.rss_mb()
        finally:
            await bot.stop()
            await echo.stop()
            await staff_view.stop()
            await citizen_view.stop()
    results = "latency-settled-cards" if args.settle_cards else "latency"
    if args.database == "postgresql":
        results += "-postgresql"
    return report(args, samples, lost, elapsed, rss, warmup, results)


def _database(kind: str) -> contextlib.AbstractAsyncContextManager[str | None]:
    """The bot's database URL for `--database`: None keeps its SQLite file."""
    if kind == "postgresql":
        return harness.postgres_database()
    return contextlib.nullcontext(None)


def report(
    args: argparse.Namespace,
    samples: dict[str, list[float]],
    lost: dict[str, int],
    elapsed: float,
    rss: float,
    warmup: int,
    results: str = "latency",
) -> int:
    """Print the table and write `bench/results/<results>[-quick].json`; 1 if a reply was lost."""
    stats = {name: harness.summary_ms(values) for name, values in samples.items()}
    floor = stats[ECHO]
    rows = []
    verdicts = {}
    for name, summary in stats.items():
        p50_ratio = summary["p50"] / floor["p50"]
        p99_ratio = summary["p99"] / floor["p99"]
        met = p50_ratio <= P50_TARGET and p99_ratio <= P99_TARGET
        verdicts[name] = {"p50_ratio": p50_ratio, "p99_ratio": p99_ratio, "target_met": met}
        verdict = "floor" if name == ECHO else ("met" if met else "MISSED")
        rows.append(
            [
                name,
                summary["n"],
                lost[name],
                summary["p50"],
                summary["p90"],
                summary["p99"],
                f"{p50_ratio:.2f}×",
                f"{p99_ratio:.2f}×",
                verdict,
            ]
        )
    headers = ["kind", "samples", "lost", "p50 ms", "p90 ms", "p99 ms", "p50/echo", "p99/echo"]
    text = harness.table([*headers, f"target ≤{P50_TARGET}×/≤{P99_TARGET}×"], rows)
    note = f"{warmup} warm-up rounds, run took {elapsed:.0f} s; bot RSS after the run {rss:.0f} MB"
    print(note)
    failed = sum(lost.values())
    harness.write_results(
        results,
        args.quick,
        {
            "samples_per_kind": args.samples if not args.quick else len(samples[ECHO]),
            "latency_ms": stats,
            "ratios": verdicts,
            "lost": lost,
            "bot_rss_mb": rss,
            "targets": {"p50_ratio": P50_TARGET, "p99_ratio": P99_TARGET},
        },
        [text],
    )
    if failed:
        print(f"FAILED: {failed} messages got no reply within {REPLY_TIMEOUT_S:.0f} s")
    return 1 if failed else 0


def main() -> None:
    arguments = harness.parser(__doc__)
    arguments.add_argument("--samples", type=int, default=200, help="measured rounds per kind")
    arguments.add_argument(
        "--database",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the bot's database (postgresql: a fresh database on the test server)",
    )
    arguments.add_argument(
        "--settle-cards",
        action="store_true",
        help="not the benchmark's figure: after each !idee's answer, wait until its card in "
        "the ideas room reached the staff member before the next message, to show what "
        "the card's posting costs the message after it (results: latency-settled-cards)",
    )
    harness.pythonpath_env()
    harness.run(measure, arguments)


if __name__ == "__main__":
    main()
