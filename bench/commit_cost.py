"""What one durable commit costs on this machine's disk, against the Discord latency floor.

`python -m bench.commit_cost [--samples 300] [--quick]`

A confirmed idea or vote must survive a crash, so the bot commits (a disk sync in SQLite's
WAL mode) before it confirms. Timed here, in a directory like the one the latency
benchmarks give the bot's database: a one-row INSERT and COMMIT through the bot's own
engine (`storage.db.create_engine`: SQLAlchemy, aiosqlite's thread, one hop per
statement), the same on a bare sqlite3 connection on the calling thread (no thread, no
SQLAlchemy: the disk sync alone, nearly), and a read-only one-row SELECT through the
engine (what the router needs at least before any answer). `bench.discord_latency`'s echo
floor is 1.2-3.5 ms (docs/benchmarks.md); 10 % of it is what a command may add at p50.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import time
from pathlib import Path

from sqlalchemy import text

from bench import harness
from storage.db import SQLITE_BUSY_TIMEOUT_MS, create_engine

DISCORD_FLOOR_MS = 1.3
"""The Discord echo's p50 on a quiet machine (docs/benchmarks.md, the first Discord table)."""


async def engine_timings(path: Path, samples: int) -> tuple[list[float], list[float]]:
    """Seconds per INSERT+COMMIT and per SELECT through the bot's engine."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    commits: list[float] = []
    reads: list[float] = []
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
        for number in range(samples):
            started = time.perf_counter()
            async with engine.begin() as connection:
                await connection.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": str(number)})
            commits.append(time.perf_counter() - started)
            started = time.perf_counter()
            async with engine.connect() as connection:
                await connection.execute(text("SELECT v FROM t WHERE id = :i"), {"i": number + 1})
            reads.append(time.perf_counter() - started)
    finally:
        await engine.dispose()
    return commits, reads


def bare_commits(path: Path, samples: int) -> list[float]:
    """Seconds per INSERT+COMMIT on a plain sqlite3 connection, WAL as the bot sets it."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        connection.commit()
        timings = []
        for number in range(samples):
            started = time.perf_counter()
            connection.execute("INSERT INTO t (v) VALUES (?)", (str(number),))
            connection.commit()
            timings.append(time.perf_counter() - started)
        return timings
    finally:
        connection.close()


async def measure(args: argparse.Namespace) -> int:
    samples = 20 if args.quick else args.samples
    async with harness.workspace("commit-cost", args.keep) as directory:
        commits, reads = await engine_timings(directory / "engine.db", samples)
        bare = await asyncio.to_thread(bare_commits, directory / "bare.db", samples)
    stats = {
        "engine INSERT+COMMIT": harness.summary_ms(commits),
        "bare sqlite3 INSERT+COMMIT": harness.summary_ms(bare),
        "engine SELECT (no commit)": harness.summary_ms(reads),
    }
    rows = [
        [
            name,
            summary["n"],
            summary["p50"],
            summary["p90"],
            summary["p99"],
            f"{summary['p50'] / DISCORD_FLOOR_MS:.2f}×",
        ]
        for name, summary in stats.items()
    ]
    headers = ["operation", "samples", "p50 ms", "p90 ms", "p99 ms", "p50 / Discord floor"]
    table = harness.table(headers, rows)
    harness.write_results(
        "commit-cost",
        args.quick,
        {"timings_ms": stats, "discord_floor_ms": DISCORD_FLOOR_MS},
        [table],
    )
    return 0


def main() -> None:
    arguments = harness.parser(__doc__)
    arguments.add_argument("--samples", type=int, default=300, help="commits timed per kind")
    harness.run(measure, arguments)


if __name__ == "__main__":
    main()
