"""Years of data: start-up, list commands, similar-idea hints and memory on a big database.

`python -m bench.scale [--ideas 100000] [--workshops 10000] [--questions 50000] [--quick]`

Seeds a database (bulk inserts, `bench.scale_seed`) on SQLite and on PostgreSQL
(127.0.0.1:5432, user postgres, database test, a throwaway schema dropped afterwards;
`SMARTREGION_TEST_POSTGRES_URL` for another server), then runs `bench.scale_probe` in a
fresh process against a local Synapse: App start-up including rebuilding the schedule,
`!ideen top` and `!workshops` through the router, similar-idea lookups and resident memory.
Targets (issue 14): start-up ≤ 1 s, list commands p99 ≤ 50 ms including the first call
after the start, RSS ≤ 200 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bench import harness
from bench.scale_seed import Size, seed
from storage.db import create_engine

POSTGRES_URL = os.environ.get(
    "SMARTREGION_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
STARTUP_TARGET_S, COMMAND_TARGET_MS, RSS_TARGET_MB = 1.0, 50.0, 200.0
PROBE_TIMEOUT_S = float(os.environ.get("BENCH_PROBE_TIMEOUT", 300))


async def run_probe(config: dict[str, Any], log_path: Path) -> dict[str, Any]:
    """Run `bench.scale_probe` with `config`; its log goes to `log_path`."""
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.scale_probe",
            json.dumps(config),
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
        )
        try:
            out, _ = await asyncio.wait_for(process.communicate(), PROBE_TIMEOUT_S)
        except TimeoutError:
            process.kill()
            await process.wait()
    if process.returncode != 0:
        log = harness.tail(log_path)
        raise harness.BenchFailure(f"probe failed ({process.returncode}):\n{log}")
    return dict(json.loads(out.decode().strip().splitlines()[-1]))


async def postgres_schema() -> str | None:
    """A fresh schema on the test server, or None (with the reason printed) if unreachable."""
    admin = create_engine(POSTGRES_URL)
    schema = f"bench_{secrets.token_hex(5)}"
    try:
        async with asyncio.timeout(5), admin.begin() as connection:
            await connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except (OSError, TimeoutError, SQLAlchemyError) as error:
        print(f"PostgreSQL skipped: not reachable at {POSTGRES_URL}: {error}")
        return None
    finally:
        await admin.dispose()
    return schema


async def drop_schema(schema: str) -> None:
    admin = create_engine(POSTGRES_URL)
    try:
        async with admin.begin() as connection:
            await connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    finally:
        await admin.dispose()


async def one_backend(
    name: str, url: str, schema: str | None, size: Size, base: dict[str, Any]
) -> dict[str, Any]:
    connect_args = {"server_settings": {"search_path": schema}} if schema else None
    engine = create_engine(url, connect_args=connect_args)
    try:
        seeded = await seed(engine, size)
    finally:
        await engine.dispose()
    env = {**base["env"], "DATABASE_URL": url, "BOT_CRYPTO_STORE": base["crypto"] + name}
    log_path = Path(base["crypto"]).with_name(f"probe-{name}.log")
    profile = f"{base['profile']}-{name}" if base.get("profile") else None
    probe = await run_probe({**base, "env": env, "schema": schema, "profile": profile}, log_path)
    return {"backend": name, "seed": seeded, **probe}


async def measure(args: argparse.Namespace) -> int:
    if args.quick:
        size = Size(ideas=2_000, supports_per_idea=2, workshops=200, questions=1_000)
    else:
        size = Size(args.ideas, args.supports, args.workshops, args.questions)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    results = []
    async with (
        harness.workspace("scale", args.keep) as directory,
        harness.homeserver() as (synapse),
        harness.http_session() as http,
    ):
        staff = await harness.register(synapse, http, "sabine")
        bot_id = await synapse.register_user(f"bot-{secrets.token_hex(3)}", harness.PASSWORD)
        room = await staff.create_room("Bürgerforum", [bot_id])
        base = {
            "env": {
                "MATRIX_HOMESERVER": synapse.base_url,
                "MATRIX_USER_ID": bot_id,
                "MATRIX_PASSWORD": harness.PASSWORD,
                "BOT_DEPARTMENTS_FILE": str(harness.departments_file(directory, room)),
            },
            "crypto": str(directory / "crypto-"),
            "room": room,
            "commands": 5 if args.quick else args.commands,
            "queries": 20 if args.quick else 300,
            "profile": str(args.profile.resolve() / "first-call") if args.profile else None,
        }
        sqlite_url = f"sqlite+aiosqlite:///{directory / 'scale.db'}"
        if "sqlite" in args.databases:
            results.append(await one_backend("SQLite", sqlite_url, None, size, base))
        schema = await postgres_schema() if "postgresql" in args.databases else None
        if schema is not None:
            try:
                results.append(await one_backend("PostgreSQL", POSTGRES_URL, schema, size, base))
            finally:
                await drop_schema(schema)
    return report(args, size, results)


def report(args: argparse.Namespace, size: Size, results: list[dict[str, Any]]) -> int:
    rows = []
    for result in results:
        top, listed = result["commands"]["!ideen top"], result["commands"]["!workshops"]
        rss = max(result["memory_after_start"]["rss_mb"], result["memory_at_end"]["rss_mb"])
        rows.append(
            [
                result["backend"],
                f"{result['seed']['seconds']:.0f} s",
                f"{result['startup_s']:.2f} s",
                f"{result['startup_cpu_s']:.2f} s",
                f"{result['first_call_cpu_ms']['!ideen top']:.0f} ms",
                f"{result['cpu_until_index_ready_s']:.2f} s",
                f"{result['index_ready_s']:.2f} s",
                f"{top['bot']['p50']:.0f} / {top['bot']['p99']:.0f} ms",
                f"{listed['bot']['p50']:.0f} / {listed['bot']['p99']:.0f} ms",
                f"{top['with_send']['p50']:.0f} / {listed['with_send']['p50']:.0f} ms",
                f"{result['similar_lookup']['p50']:.1f} / {result['similar_lookup']['p99']:.1f} ms",
                f"{rss:.0f} MB (peak {result['memory_at_end']['peak_rss_mb']:.0f})",
                f"{result['child_peak_rss_mb']:.0f} MB",
                result["scheduled_jobs"],
            ]
        )
    headers = [
        "database",
        "seeding",
        f"start-up (≤{STARTUP_TARGET_S:g} s)",
        "bot CPU in start-up",
        "bot CPU in first !ideen top",
        "bot CPU until index ready",
        "similar-idea index ready",
        f"!ideen top p50/p99 (≤{COMMAND_TARGET_MS:g} ms)",
        f"!workshops p50/p99 (≤{COMMAND_TARGET_MS:g} ms)",
        "p50 incl. sending the reply (top / workshops)",
        "similar-idea lookup p50/p99",
        f"RSS (≤{RSS_TARGET_MB:g} MB)",
        "child processes peak RSS",
        "jobs scheduled",
    ]
    text = harness.table(headers, rows) + "\n" + "\n".join(map(slowest_calls, results))
    first = results[0]["seed"]["rows"]
    print(
        f"seeded: {first['ideas']:,} ideas, {first['idea_supports']:,} supports, "
        f"{first['workshops']:,} workshops ({first['workshop_registrations']:,} registrations, "
        f"{first['workshop_effects']:,} effects), {first['questions']:,} questions"
    )
    for result in results:
        result["targets_met"] = {
            "startup": result["startup_s"] <= STARTUP_TARGET_S,
            "ideen_top": result["commands"]["!ideen top"]["bot"]["p99"] <= COMMAND_TARGET_MS,
            "workshops": result["commands"]["!workshops"]["bot"]["p99"] <= COMMAND_TARGET_MS,
            "rss": result["memory_at_end"]["peak_rss_mb"] <= RSS_TARGET_MB,
        }
    harness.write_results(
        "scale",
        args.quick,
        {
            "size": size.__dict__,
            "results": results,
            "targets": {
                "startup_s": STARTUP_TARGET_S,
                "command_ms": COMMAND_TARGET_MS,
                "rss_mb": RSS_TARGET_MB,
            },
        },
        [text],
    )
    return 0


def slowest_calls(result: dict[str, Any]) -> str:
    """Each command's slowest call and when it started, beside when the children's work
    arrived: a slow call of the thirty is usually one that met something else."""
    slowest = []
    for command, calls in result["timeline"].items():
        started_s, duration_ms = max(calls, key=lambda call: call[1])
        slowest.append(f"{command} {duration_ms:.0f} ms at {started_s:.2f} s")
    full = ", ".join(f"{ms:.0f} ms at {at:.2f} s" for at, ms in result["full_collections"])
    return (
        f"{result['backend']}: slowest {', '.join(slowest)}; departments model adopted by "
        f"{result['model_ready_s']:.2f} s, similar-idea index by {result['index_ready_s']:.2f} s;"
        f" full garbage collections: {full or 'none'}"
    )


def main() -> None:
    arguments = harness.parser(__doc__)
    arguments.add_argument("--ideas", type=int, default=100_000)
    arguments.add_argument("--supports", type=float, default=2.0, help="mean supports per idea")
    arguments.add_argument("--workshops", type=int, default=10_000)
    arguments.add_argument("--questions", type=int, default=50_000)
    arguments.add_argument(
        "--databases", nargs="+", choices=("sqlite", "postgresql"), default=["sqlite", "postgresql"]
    )
    arguments.add_argument("--commands", type=int, default=30, help="timed runs of each command")
    arguments.add_argument(
        "--profile", type=Path, help="write cProfile stats of each command's first call here"
    )
    harness.pythonpath_env()
    harness.run(measure, arguments)


if __name__ == "__main__":
    main()
