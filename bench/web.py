"""The public page under load: `python -m bench.web [--ideas 100000] [--quick]`.

Seeds the database of `bench.scale` (100,000 ideas with supports and history, 10,000
workshops, 50,000 questions; SQLite) and serves the public page from it in its own process
(`bench.web_server`, the same application the bot runs). Sixteen clients on loopback then
ask, each as fast as answers come, for the idea list (pages 1-50, newest first), one idea
page (random visible numbers), the workshop feed and ideas.json (pages of 100 from a random
number), one kind of page at a time. Reported per route: the server time (the application's
own time per request, from a `Server-Timing` header) with one client, so that it is the
request's cost and not its wait behind the others; then, with sixteen clients, requests/s
and the response time the clients saw (queueing included).
Targets: list and idea page server p50 ≤ 20 ms, ≥ 300 requests/s at sixteen clients.

Not measured here: the chat latency while the page is under load (the bot answering
chat in the same process); see docs/web.md.

`--quick` (CI) uses 2,000 ideas and a few hundred requests, and checks correctness
instead of speed: every answer 200, an unchanged page answers 304, ideas.json pages
through every listed idea exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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
from storage.db import create_engine
from storage.ideas.models import Idea

CLIENTS = 16
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
) -> dict[str, Any]:
    """`requests` requests by `clients` clients at once; latencies and throughput."""
    latencies: list[float] = []
    server_times: list[float] = []
    statuses: dict[int, int] = {}
    remaining = [requests]

    async def client() -> None:
        while remaining[0] > 0:
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
                    busy = await load(http, base, next_path, requests)
                    results[name] = {
                        **busy,
                        "server": alone["server"],
                        "server_busy": busy["server"],
                    }
                problems = await check_correctness(http, base, len(visible))
        finally:
            server.terminate()
            await server.wait()
    return report(args, size, seeded, results, problems)


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
        "statuses",
    )
    text = harness.table(headers, rows)
    caption = (
        f"Public page, {size.ideas:,} ideas on SQLite, on loopback. Server: time in the "
        f"application per request, one client. Requests/s and client times: {CLIENTS} "
        "clients at once, until the whole answer arrived (queueing included)."
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
    harness.write_results(
        "web",
        args.quick,
        {"size": vars(size), "seed": seeded, "results": results, "problems": problems},
        [caption + "\n\n" + text],
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
    harness.run(measure, arguments)


if __name__ == "__main__":
    main()
