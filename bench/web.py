"""The public page under load: `python -m bench.web [--ideas 100000] [--quick]`.

Seeds the database of `bench.scale` (100,000 ideas with supports and history, 10,000
workshops, 50,000 questions; SQLite) and serves the public page from it in its own process
(`bench.web_server`, the same application the bot runs). Sixteen clients on loopback then
ask, each as fast as answers come, for the idea list (pages 1-50, newest first), one idea
page (random visible numbers), the workshop feed and ideas.json (pages of 100 from a random
number), one kind of page at a time. Reported per route: the server time (the application's
own time per request, from a `Server-Timing` header) with one client, so that it is the
request's cost and not its wait behind the others; then, with sixteen clients, requests/s
and the response time the clients saw (queueing included), and the CPU time the page's
process spent per request meanwhile (all its threads; it hardly depends on other load).
Targets: list and idea page server p50 ≤ 20 ms, ≥ 300 requests/s at sixteen clients.

With `--chat`, the bot itself (`smartregion-bot run` against a local Synapse, on the same
database, the page on, which it runs as its own process) then answers `!hilfe` round
trips, alternating with messages to the echo bot of `bench.latency`, first with the page
idle, then while sixteen clients ask for idea pages from it. The echo bot has no page, so
its slowdown under the load is the machine's CPU contention alone (the load generator and
the page share its cores); the target is on the bot's ratio of p50s relative to the
echo's: the page may cost the chat no more than 10 % beyond that contention.

`--quick` (CI) uses 2,000 ideas and a few hundred requests, and checks correctness
instead of speed: every answer 200, an unchanged page answers 304, ideas.json pages
through every listed idea exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select

from bench import harness
from bench.scale_seed import Size, seed
from bot.devserver import free_port
from storage.db import create_engine, upgrade_schema
from storage.ideas.models import Idea

CLIENTS = 16
CHAT_TIMEOUT_S = 30.0
MAX_LOAD_REQUESTS = 200_000
"""A bound on the load behind the chat measurement; it stops when the chat is measured."""
LIST_PAGES = 50
TARGET_P50_MS, TARGET_RPS = 20.0, 300.0
START_TIMEOUT_S = 60.0


def routes(visible: list[int], rng: random.Random) -> dict[str, Callable[[], str]]:
    """The measured addresses, each a function giving the next path to ask."""
    pages = max(1, min(LIST_PAGES, len(visible) // 20))
    ideas = visible[-1]
    return {
        "idea list": lambda: f"/ideas?page={rng.randint(1, pages)}",
        "idea page": lambda: f"/ideas/{rng.choice(visible)}",
        "workshop feed": lambda: "/workshops.ics",
        "ideas.json": lambda: f"/api/ideas.json?after={rng.randint(0, ideas)}&limit=100",
    }


async def load(
    http: aiohttp.ClientSession,
    base: str,
    next_path: Callable[[], str],
    requests: int,
    clients: int = CLIENTS,
    until: asyncio.Event | None = None,
) -> dict[str, Any]:
    """`requests` requests by `clients` clients at once (fewer once `until` is set);
    latencies and throughput."""
    latencies: list[float] = []
    server_times: list[float] = []
    statuses: dict[int, int] = {}
    remaining = [requests]

    async def client() -> None:
        while remaining[0] > 0 and not (until is not None and until.is_set()):
            remaining[0] -= 1
            started = time.perf_counter()
            async with http.get(base + next_path()) as response:
                await response.read()
            latencies.append(time.perf_counter() - started)
            timing = response.headers.get("Server-Timing", "dur=nan")
            server_times.append(float(timing.rsplit("dur=", 1)[1]) / 1000)
            statuses[response.status] = statuses.get(response.status, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    return {
        "server": harness.summary_ms(server_times),
        "client": harness.summary_ms(latencies),
        "requests_per_s": len(latencies) / elapsed,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


async def chat_under_load(
    database_url: str, directory: Path, samples: int, rng: random.Random, visible: list[int]
) -> dict[str, Any]:
    """`!hilfe` round trips to the bot and messages to the echo bot, alternating, with the
    bot's page idle, then under sixteen clients. The echo bot shares the machine but not the
    page: what the load costs it is CPU contention alone, the floor for the bot's ratio."""
    web_port = free_port()
    async with harness.homeserver() as synapse, harness.http_session() as http:
        citizen = await harness.register(synapse, http, "alice")
        staff = await harness.register(synapse, http, "sabine")
        bot = await harness.smartregion_bot(
            synapse,
            directory / "bot",
            {
                "DATABASE_URL": database_url,
                "BOT_WEB_ADDRESS": f"127.0.0.1:{web_port}",
                "BOT_WEB_RATE_LIMIT": "0",
            },
        )
        echo = await harness.echo_bot(synapse, directory)
        forum = await staff.create_room("Bürgerforum", [bot.user_id, citizen.user_id])
        echo_room = await citizen.create_room("Echo", [echo.user_id])
        await citizen.join(forum)
        view = harness.Timeline(citizen)
        await view.start()
        try:
            await bot.start()
            await echo.start()
            await harness.wait_joined(view, (forum,), bot.user_id, bot)
            await harness.wait_joined(view, (echo_room,), echo.user_id, echo)

            async def round_trip(room: str, text: str, replier: str) -> float:
                sent_at = time.monotonic()
                event_id = await citizen.say(room, text)
                arrived, _ = await view.wait_for(
                    harness.reply_to(event_id, replier), CHAT_TIMEOUT_S
                )
                return arrived - sent_at

            async def round_trips() -> tuple[list[float], list[float]]:
                to_bot, to_echo = [], []
                for number in range(samples):
                    to_bot.append(await round_trip(forum, "!hilfe", bot.user_id))
                    to_echo.append(await round_trip(echo_room, f"Hallo {number}", echo.user_id))
                return to_bot, to_echo

            await round_trips()  # warm-up
            idle, echo_idle = await round_trips()
            base = f"http://127.0.0.1:{web_port}"
            stop = asyncio.Event()
            async with aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=CLIENTS)
            ) as web_http:
                page = routes(visible, rng)["idea page"]
                hammer = asyncio.create_task(
                    load(web_http, base, page, MAX_LOAD_REQUESTS, until=stop)
                )
                await asyncio.sleep(1)
                busy, echo_busy = await round_trips()
                stop.set()
                web_load = await hammer
        finally:
            await bot.stop()
            await echo.stop()
            await view.stop()
    idle_ms, busy_ms = harness.summary_ms(idle), harness.summary_ms(busy)
    echo_idle_ms, echo_busy_ms = harness.summary_ms(echo_idle), harness.summary_ms(echo_busy)
    ratio = busy_ms["p50"] / idle_ms["p50"]
    echo_ratio = echo_busy_ms["p50"] / echo_idle_ms["p50"]
    return {
        "idle": idle_ms,
        "busy": busy_ms,
        "echo_idle": echo_idle_ms,
        "echo_busy": echo_busy_ms,
        "ratio_p50": ratio,
        "echo_ratio_p50": echo_ratio,
        "ratio_to_echo_p50": ratio / echo_ratio,
        "web_during": web_load,
    }


async def check_correctness(http: aiohttp.ClientSession, base: str, visible: int) -> list[str]:
    """What `--quick` asserts; the problems found."""
    problems = []
    first = await http.get(base + "/ideas")
    etag = first.headers.get("ETag", "")
    again = await http.get(base + "/ideas", headers={"If-None-Match": etag})
    if first.status != 200 or again.status != 304:
        problems.append(f"/ideas then If-None-Match: {first.status}, {again.status}")
    numbers: list[int] = []
    url: str | None = base + "/api/ideas.json?limit=1000"
    while url is not None:
        async with http.get(url) as response:
            document = json.loads(await response.text())
        numbers += [idea["number"] for idea in document["ideas"]]
        url = document["next"]  # absolute, on the address the request came to
    if len(numbers) != visible or len(set(numbers)) != visible:
        problems.append(f"ideas.json listed {len(numbers)} ideas, the database {visible}")
    return problems


async def visible_ideas(database_url: str) -> list[int]:
    """The numbers of the ideas the public page shows."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            found = await connection.scalars(
                select(Idea.number)
                .where(Idea.published.is_(True), Idea.hidden.is_(False))
                .order_by(Idea.number)
            )
            return list(found)
    finally:
        await engine.dispose()


async def measure(args: argparse.Namespace) -> int:
    if args.quick:
        size = Size(ideas=2_000, supports_per_idea=2, workshops=200, questions=1_000)
    else:
        size = Size(args.ideas, 2.0, args.workshops, args.questions)
    requests = 100 if args.quick else args.requests
    async with harness.workspace("web", args.keep) as directory:
        if args.database is not None:
            database_url = f"sqlite+aiosqlite:///{args.database.resolve()}"
            seeded = {"rows": {}, "seconds": 0.0, "reused": str(args.database)}
            engine = create_engine(database_url)
            await upgrade_schema(engine)  # seeded by an earlier version, maybe
            await engine.dispose()
        else:
            database_url = f"sqlite+aiosqlite:///{directory / 'web.db'}"
            engine = create_engine(database_url)
            seeded = await seed(engine, size)
            await engine.dispose()
        port = free_port()
        server = await start_server(database_url, port, directory / "server.log")
        try:
            base = f"http://127.0.0.1:{port}"
            connector = aiohttp.TCPConnector(limit=CLIENTS)
            async with aiohttp.ClientSession(connector=connector) as http:
                rng = random.Random(13)
                visible = await visible_ideas(database_url)
                for path in ("/ideas", "/ideas/1", "/workshops.ics", "/api/ideas.json"):
                    await (await http.get(base + path)).read()  # warm the caches once
                results = {}
                for name, next_path in routes(visible, rng).items():
                    alone = await load(http, base, next_path, requests // 4, clients=1)
                    cpu_before = process_cpu_s(server.pid)
                    busy = await load(http, base, next_path, requests)
                    cpu = process_cpu_s(server.pid) - cpu_before
                    results[name] = {
                        **busy,
                        "server": alone["server"],
                        "server_busy": busy["server"],
                        "server_cpu_us_per_request": cpu / requests * 1e6,
                    }
                problems = await check_correctness(http, base, len(visible))
        finally:
            server.terminate()
            await server.wait()
        chat = None
        if args.chat:
            chat = await chat_under_load(database_url, directory, args.chat, rng, visible)
    return report(args, size, seeded, results, problems, chat)


def process_cpu_s(pid: int) -> float:
    """CPU time (user + system) of all threads of a process so far, from /proc: the
    page's own cost per request, which unlike requests/s hardly depends on what else the
    machine is doing (the load generator shares its two cores)."""
    ticks = 0
    for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # a thread that ended meanwhile
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


async def start_server(database_url: str, port: int, log: Path) -> asyncio.subprocess.Process:
    with log.open("wb") as errors:
        server = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.web_server",
            database_url,
            str(port),
            stdout=asyncio.subprocess.PIPE,
            stderr=errors,
        )
    assert server.stdout is not None
    try:
        line = await asyncio.wait_for(server.stdout.readline(), START_TIMEOUT_S)
    except TimeoutError:
        line = b""
    if line.strip() != b"ready":
        server.kill()
        await server.wait()
        raise harness.BenchFailure(f"the web server did not start:\n{harness.tail(log)}")
    return server


def report(
    args: argparse.Namespace,
    size: Size,
    seeded: dict[str, Any],
    results: dict[str, dict[str, Any]],
    problems: list[str],
    chat: dict[str, Any] | None,
) -> int:
    rows = [
        (
            name,
            r["client"]["n"],
            r["server"]["p50"],
            r["server"]["p99"],
            r["client"]["p50"],
            r["client"]["p99"],
            r["requests_per_s"],
            r["server_cpu_us_per_request"],
            json.dumps(r["statuses"]),
        )
        for name, r in results.items()
    ]
    headers = (
        "route",
        "requests",
        "server p50 ms",
        "server p99 ms",
        "client p50 ms",
        "client p99 ms",
        "requests/s",
        "server CPU µs/request",
        "statuses",
    )
    text = harness.table(headers, rows)
    caption = (
        f"Public page, {size.ideas:,} ideas on SQLite, on loopback. Server: time in the "
        f"application per request, one client. Requests/s and client times: {CLIENTS} "
        "clients at once, until the whole answer arrived (queueing included). Server CPU: "
        "all threads of the page's process during the sixteen clients' requests."
    )
    for name, result in results.items():
        if set(result["statuses"]) != {"200"}:
            problems.append(f"{name}: answers {result['statuses']}")
    if not args.quick:
        for name in ("idea list", "idea page"):
            if results[name]["server"]["p50"] > TARGET_P50_MS:
                p50 = results[name]["server"]["p50"]
                print(f"target missed: {name} server p50 {p50:.1f} ms > 20 ms")
            if results[name]["requests_per_s"] < TARGET_RPS:
                print(f"target missed: {name} {results[name]['requests_per_s']:.0f} req/s < 300")
    tables = [caption + "\n\n" + text]
    if chat is not None:
        during = chat["web_during"]
        tables.append(
            f"The bot's `!hilfe` round trip and a message to the echo bot ({chat['idle']['n']} "
            f"each, alternating), the bot's page idle and under {CLIENTS} clients asking for "
            f"idea pages ({during['requests_per_s']:.0f} requests/s served meanwhile):\n\n"
            + harness.table(
                ("page", "bot p50 ms", "bot p99 ms", "echo p50 ms", "echo p99 ms"),
                [
                    (
                        "idle",
                        chat["idle"]["p50"],
                        chat["idle"]["p99"],
                        chat["echo_idle"]["p50"],
                        chat["echo_idle"]["p99"],
                    ),
                    (
                        "under load",
                        chat["busy"]["p50"],
                        chat["busy"]["p99"],
                        chat["echo_busy"]["p50"],
                        chat["echo_busy"]["p99"],
                    ),
                ],
            )
            + f"\n\nratio of p50s, under load to idle: bot {chat['ratio_p50']:.2f}, echo "
            f"{chat['echo_ratio_p50']:.2f}; bot relative to echo "
            f"{chat['ratio_to_echo_p50']:.2f} (target ≤ 1.10)"
        )
    harness.write_results(
        "web",
        args.quick,
        {
            "size": vars(size),
            "seed": seeded,
            "results": results,
            "chat": chat,
            "problems": problems,
        },
        tables,
    )
    for problem in problems:
        print(f"FAILED: {problem}")
    return 1 if problems else 0


def main() -> None:
    arguments = harness.parser(__doc__)
    arguments.add_argument("--ideas", type=int, default=100_000)
    arguments.add_argument("--workshops", type=int, default=10_000)
    arguments.add_argument("--questions", type=int, default=50_000)
    arguments.add_argument("--requests", type=int, default=2_000, help="per route")
    arguments.add_argument(
        "--database", type=Path, help="an SQLite file seeded before (with the same size)"
    )
    arguments.add_argument(
        "--chat",
        type=int,
        default=0,
        metavar="N",
        help="also measure N `!hilfe` round trips to the bot, page idle and under load",
    )
    harness.run(measure, arguments)


if __name__ == "__main__":
    main()
