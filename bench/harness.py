"""What every benchmark shares: a homeserver, cheap HTTP citizens, the bot as a process, results.

Citizens talk plain client-server HTTP (aiohttp) instead of nio: a benchmark needs hundreds
of them, and the measuring side must cost as little CPU as possible on a 2-core machine,
where it competes with Synapse and the bot. Only accounts that need to *see* replies run a
sync loop (:class:`Timeline`), which records when each event arrived.

Everything talks to 127.0.0.1 only, and every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import platform
import re
import runpy
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.config import example_departments_file
from bot.devserver import LocalSynapse, RateLimits
from storage.db import create_engine, create_session_factory
from storage.ideas.models import Idea
from storage.models import ProcessedEvent

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get(
    "SMARTREGION_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
PASSWORD = "bench-password"
CLIENT_API = "/_matrix/client/v3"
REQUEST_TIMEOUT_S = 60.0
SEND_ATTEMPTS = 600  # with a 0.2 s pause: bounded by REQUEST_TIMEOUT_S first
BOT_READY_TIMEOUT_S = 60.0
BOT_STOP_GRACE_S = 15.0
_SYNC_TIMEOUT_MS = 10_000
_SYNC_FILTER = {
    "presence": {"types": []},
    "account_data": {"types": []},
    "room": {
        "ephemeral": {"types": []},
        "state": {"lazy_load_members": True},
        "timeline": {"limit": 1000},
    },
}
_SYNC_RETRY_S = 0.2
_BOT_ENV = {
    # Benchmarks measure throughput, not the per-person limits that protect a real deployment.
    "BOT_IDEA_RATE": "0",
    "BOT_LANGUAGE": "de",
}

Event = dict[str, Any]


class BenchFailure(RuntimeError):
    """A benchmark could not run (as opposed to a measured miss)."""


# ------------------------------------------------------------------------- numbers


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of unsorted samples (0.5 = median); NaN when empty."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(samples_s: Sequence[float]) -> dict[str, float]:
    """p50/p90/p99/mean/max of durations in seconds, as milliseconds."""
    ms = [s * 1000 for s in samples_s]
    return {
        "n": len(ms),
        "p50": percentile(ms, 0.50),
        "p90": percentile(ms, 0.90),
        "p99": percentile(ms, 0.99),
        "mean": statistics.fmean(ms) if ms else float("nan"),
        "max": max(ms) if ms else float("nan"),
    }


# ---------------------------------------------------------------------- reporting


def machine() -> dict[str, Any]:
    """Cores, RAM and software versions: a number means little without them."""
    mem_kb = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    cpu = platform.processor()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cores": os.cpu_count(),
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A Markdown table (readable in a terminal and pasteable into the docs)."""

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
        return str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def write_results(name: str, quick: bool, data: dict[str, Any], tables: Sequence[str]) -> Path:
    """Print the tables and write ``bench/results/<name>[-quick].json`` with date and machine."""
    for text in tables:
        print(text, end="\n\n")
    info = machine()
    print(f"machine: {info['cores']} cores, {info['ram_gb']} GB RAM, {info['cpu']}")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}{'-quick' if quick else ''}.json"
    document = {
        "benchmark": name,
        "quick": quick,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": info,
        **data,
        "tables": list(tables),
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"results: {path.relative_to(PROJECT_ROOT)}")
    return path


def parser(description: str | None) -> argparse.ArgumentParser:
    """The options every benchmark has."""
    arguments = argparse.ArgumentParser(description=description)
    arguments.add_argument(
        "--quick", action="store_true", help="small N for CI: checks correctness, no targets"
    )
    arguments.add_argument("--keep", action="store_true", help="keep the temporary directory")
    arguments.add_argument("--verbose", action="store_true", help="log what happens")
    return arguments


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("nio").setLevel(logging.ERROR)


def run(main: Callable[[argparse.Namespace], Any], arguments: argparse.ArgumentParser) -> None:
    """Parse, run `main(args)` in asyncio and exit with its status (0 when it returns None)."""
    args = arguments.parse_args()
    setup_logging(args.verbose)
    status = asyncio.run(main(args))
    sys.exit(int(status or 0))


@contextlib.asynccontextmanager
async def workspace(name: str, keep: bool) -> AsyncIterator[Path]:
    """A temporary directory for one run (homeserver data, bot database, logs)."""
    path = Path(tempfile.mkdtemp(prefix=f"smartregion-bench-{name}-"))
    try:
        yield path
    finally:
        if keep:
            print(f"kept {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)


def _memory_directory(prefix: str) -> Path:
    """A new directory in /dev/shm if it is usable, else in the usual temporary place."""
    shm = Path("/dev/shm")
    base = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix=prefix, dir=base))


@contextlib.asynccontextmanager
async def homeserver(rate_limits: RateLimits = "relaxed") -> AsyncIterator[LocalSynapse]:
    """A fresh Synapse on a free loopback port, stopped and deleted afterwards.

    Its data lives in memory (/dev/shm) where there is one: Synapse is the environment, not
    what is measured, and on a disk its fsync per event (~40 ms on SQLite) would cap one
    room at ~25 events/s and hide what the bot costs. The bot's database stays on disk.
    """
    directory = _memory_directory("smartregion-bench-synapse-")
    try:
        async with LocalSynapse(directory, rate_limits=rate_limits) as synapse:
            yield synapse
    finally:
        shutil.rmtree(directory, ignore_errors=True)


# ------------------------------------------------------------------------ citizens


@dataclass
class Account:
    """A logged-in Matrix user speaking plain HTTP through a shared session."""

    synapse: LocalSynapse
    http: aiohttp.ClientSession
    user_id: str
    token: str

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def request(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        """One client API call; waits out 429s and a homeserver that is (re)starting."""
        url = self.synapse.base_url + CLIENT_API + path
        deadline = time.monotonic() + REQUEST_TIMEOUT_S
        for _ in range(SEND_ATTEMPTS):
            try:
                async with self.http.request(
                    method, url, json=body, params=params or None, headers=self._headers
                ) as response:
                    result = await response.json(content_type=None)
                    if response.status == 429:
                        await asyncio.sleep(result.get("retry_after_ms", 500) / 1000)
                        continue
                    if response.status >= 400:
                        raise BenchFailure(f"{method} {path}: HTTP {response.status} {result}")
                    return result
            except (aiohttp.ClientConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(_SYNC_RETRY_S)
        raise BenchFailure(f"{method} {path}: gave up after {SEND_ATTEMPTS} attempts")

    async def send(
        self, room_id: str, event_type: str, content: dict[str, Any], txn_id: str | None = None
    ) -> str:
        """Send a room event and return its id (retries reuse the transaction id)."""
        txn = quote(txn_id or uuid.uuid4().hex)
        path = f"/rooms/{quote(room_id)}/send/{quote(event_type)}/{txn}"
        return str((await self.request("PUT", path, content))["event_id"])

    async def say(self, room_id: str, body: str) -> str:
        return await self.send(room_id, "m.room.message", {"msgtype": "m.text", "body": body})

    async def create_room(self, name: str, invite: Sequence[str] = (), public: bool = False) -> str:
        body = {
            "name": name,
            "invite": list(invite),
            "preset": "public_chat" if public else "private_chat",
        }
        return str((await self.request("POST", "/createRoom", body))["room_id"])

    async def join(self, room_id: str) -> None:
        await self.request("POST", f"/join/{quote(room_id)}", {})

    async def sync(self, since: str | None, timeout_ms: int) -> dict[str, Any]:
        params = {"timeout": str(timeout_ms), "filter": json.dumps(_SYNC_FILTER)}
        if since:
            params["since"] = since
        url = self.synapse.base_url + CLIENT_API + "/sync"
        timeout = aiohttp.ClientTimeout(total=timeout_ms / 1000 + 30)
        async with self.http.get(
            url, params=params, headers=self._headers, timeout=timeout
        ) as response:
            if response.status != 200:
                raise BenchFailure(f"sync: HTTP {response.status}")
            return dict(await response.json())


async def register(
    synapse: LocalSynapse, http: aiohttp.ClientSession, localpart: str, admin: bool = False
) -> Account:
    """Register a user through the admin API and log it in (one device per account)."""
    user_id = await synapse.register_user(localpart, PASSWORD, admin=admin)
    body = {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": localpart},
        "password": PASSWORD,
        "device_id": "BENCH",
    }
    async with http.post(synapse.base_url + CLIENT_API + "/login", json=body) as response:
        result = await response.json()
        if response.status != 200:
            raise BenchFailure(f"login of {localpart}: HTTP {response.status} {result}")
    return Account(synapse, http, user_id, result["access_token"])


async def register_crowd(
    synapse: LocalSynapse, http: aiohttp.ClientSession, prefix: str, count: int, parallel: int
) -> list[Account]:
    """`count` accounts, registered `parallel` at a time through the shared-secret admin API,
    whose answer carries an access token: no separate login (and password hash) per account.
    """
    gate = asyncio.Semaphore(parallel)

    async def one(number: int) -> Account:
        async with gate:
            created = await synapse.register_account(f"{prefix}{number:05d}", PASSWORD)
        return Account(synapse, http, created["user_id"], created["access_token"])

    return list(await asyncio.gather(*(one(n) for n in range(count))))


async def register_many(
    synapse: LocalSynapse, http: aiohttp.ClientSession, prefix: str, count: int
) -> list[Account]:
    """`count` citizens, a few registrations at a time (Synapse hashes each password)."""
    gate = asyncio.Semaphore(8)

    async def one(number: int) -> Account:
        async with gate:
            return await register(synapse, http, f"{prefix}{number:04d}")

    return list(await asyncio.gather(*(one(n) for n in range(count))))


async def unlimit(admin: Account, user_id: str) -> None:
    """Exempt a user from Synapse's message limit (so only the bot meets a strict one)."""
    url = f"{admin.synapse.base_url}/_synapse/admin/v1/users/{quote(user_id)}/override_ratelimit"
    body = {"messages_per_second": 0, "burst_count": 0}
    async with admin.http.post(url, json=body, headers=admin._headers) as response:
        if response.status != 200:
            raise BenchFailure(f"override_ratelimit: HTTP {response.status}")


def http_session() -> aiohttp.ClientSession:
    """One connection pool for all citizens, large enough for hundreds of them."""
    connector = aiohttp.TCPConnector(limit=400)
    return aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    )


# ------------------------------------------------------------------------ listening


@dataclass
class Timeline:
    """An account's sync loop: every timeline event with the monotonic time it arrived.

    `wait_for` scans everything received so far, so a reply that came before the call is
    found; `taken` event ids are not returned twice.
    """

    account: Account
    events: list[tuple[float, Event]] = field(default_factory=list)
    _arrival: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None
    _since: str | None = None

    async def start(self) -> None:
        """Skip history (a first sync), then listen in the background."""
        first = await self.account.sync(None, 0)
        self._since = first["next_batch"]
        self._task = asyncio.create_task(self._loop(), name=f"sync {self.account.user_id}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            try:
                response = await self.account.sync(self._since, _SYNC_TIMEOUT_MS)
            except (aiohttp.ClientError, TimeoutError, BenchFailure):
                await asyncio.sleep(_SYNC_RETRY_S)  # the homeserver restarts in a fault run
                continue
            arrived = time.monotonic()
            self._since = response["next_batch"]
            joined = response.get("rooms", {}).get("join", {})
            for room_id, room in joined.items():
                for event in room.get("timeline", {}).get("events", []):
                    self.events.append((arrived, {**event, "room_id": room_id}))
            self._arrival.set()
            self._arrival = asyncio.Event()

    async def wait_for(
        self,
        predicate: Callable[[Event], bool],
        timeout: float,  # noqa: ASYNC109 - one bound per wait reads better here
        start: int = 0,
    ) -> tuple[float, Event]:
        """The first event (from index `start`) matching `predicate`, with its arrival time."""
        scanned = start
        async with asyncio.timeout(timeout):
            while True:
                for index in range(scanned, len(self.events)):
                    if predicate(self.events[index][1]):
                        return self.events[index]
                scanned = len(self.events)
                if self._task is not None and self._task.done():
                    raise BenchFailure(f"the sync loop of {self.account.user_id} stopped")
                await self._arrival.wait()

    def matching(self, predicate: Callable[[Event], bool]) -> list[Event]:
        return [event for _, event in self.events if predicate(event)]


def in_reply_to(event: Event) -> str | None:
    relates = event.get("content", {}).get("m.relates_to") or {}
    reply = relates.get("m.in_reply_to") if isinstance(relates, dict) else None
    return reply.get("event_id") if isinstance(reply, dict) else None


def reply_to(event_id: str, sender: str) -> Callable[[Event], bool]:
    def matches(event: Event) -> bool:
        return event.get("sender") == sender and in_reply_to(event) == event_id

    return matches


def message_from(sender: str, room_id: str) -> Callable[[Event], bool]:
    def matches(event: Event) -> bool:
        return (
            event.get("type") == "m.room.message"
            and event["room_id"] == room_id
            and event.get("sender") == sender
        )

    return matches


def joined(room_id: str, user_id: str) -> Callable[[Event], bool]:
    def matches(event: Event) -> bool:
        return (
            event.get("type") == "m.room.member"
            and event["room_id"] == room_id
            and event.get("state_key") == user_id
            and event.get("content", {}).get("membership") == "join"
        )

    return matches


def replies_by_target(timeline: Timeline, sender: str) -> dict[str, int]:
    """How many messages of `sender` reply to each event id."""
    counts: dict[str, int] = {}
    for _, event in timeline.events:
        target = in_reply_to(event)
        if event.get("sender") == sender and target:
            counts[target] = counts.get(target, 0) + 1
    return counts


# ---------------------------------------------------------------------------- bots


def departments_file(directory: Path, room_id: str) -> Path:
    """The project's departments (keywords and all) with every expert room set to `room_id`."""
    text = example_departments_file().read_text(encoding="utf-8")
    written = re.sub(r'^room = ".*"$', f'room = "{room_id}"', text, flags=re.MULTILINE)
    path = directory / "departments.toml"
    path.write_text(written, encoding="utf-8")
    return path


def tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log file ("" if there is none), for error messages."""
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _script(name: str) -> str:
    """A console script of this environment (next to the interpreter), else from PATH."""
    local = Path(sys.executable).with_name(name)
    found = str(local) if local.exists() else shutil.which(name)
    if found is None:
        raise BenchFailure(f"{name} is not installed (pip install -e .)")
    return found


class ProcessBot:
    """A bot (or the echo bot) as its own OS process, as in production.

    Its own process means its own event loop and interpreter lock: the benchmark's clients
    never steal its time slices, and it can be killed with SIGKILL mid-work.
    """

    def __init__(self, name: str, directory: Path, command: Sequence[str], user_id: str) -> None:
        self.name = name
        self.user_id = user_id
        self.directory = directory
        self.command = list(command)
        self.process: asyncio.subprocess.Process | None = None

    @property
    def log_path(self) -> Path:
        return self.directory / f"{self.name}.log"

    async def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *self.command,
                cwd=self.directory,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )

    @property
    def pid(self) -> int:
        if self.process is None:
            raise BenchFailure(f"{self.name} is not running")
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def kill(self) -> None:
        """SIGKILL: no clean-up, no saved state beyond what was already committed."""
        if self.alive():
            assert self.process is not None
            self.process.kill()
            await self.process.wait()

    async def stop(self) -> None:
        """SIGTERM and wait (SIGKILL after a grace period)."""
        if not self.alive():
            return
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), BOT_STOP_GRACE_S)
        except TimeoutError:
            await self.kill()

    def log_tail(self, lines: int = 30) -> str:
        return tail(self.log_path, lines)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def wait_for_log(self, fragment: str, timeout: float, after: int = 0) -> None:  # noqa: ASYNC109
        """Wait until the log (from character `after` on) contains `fragment`."""
        limit = time.monotonic() + timeout
        while fragment not in self.log_text()[after:]:
            if time.monotonic() > limit:
                raise BenchFailure(f"{self.name} never logged {fragment!r}\n{self.log_tail()}")
            if not self.alive():
                raise BenchFailure(
                    f"{self.name} ended before logging {fragment!r}\n{self.log_tail()}"
                )
            await asyncio.sleep(0.1)

    def rss_mb(self, field: str = "VmRSS") -> float:
        """Resident memory of the process now (Linux /proc); `VmHWM` for its peak."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
        return float("nan")


class SmartRegionBot(ProcessBot):
    """`smartregion-bot run --env-file …` with its own account, SQLite file and crypto store."""

    def __init__(
        self, directory: Path, user_id: str, env: dict[str, str], options: Sequence[str] = ()
    ) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.db_path = directory / "bot.db"
        self.env_path = directory / "bot.env"
        self.env = {
            **_BOT_ENV,
            "MATRIX_USER_ID": user_id,
            "MATRIX_PASSWORD": PASSWORD,
            "DATABASE_URL": f"sqlite+aiosqlite:///{self.db_path}",
            "BOT_CRYPTO_STORE": str(directory / "crypto"),
            **env,
        }
        command = [_script("smartregion-bot"), *options, "run", "--env-file", str(self.env_path)]
        super().__init__("bot", directory, command, user_id)

    async def start(self) -> None:
        lines = [f"{key}={value}" for key, value in self.env.items()]
        self.env_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        await super().start()


async def smartregion_bot(
    synapse: LocalSynapse,
    directory: Path,
    env: dict[str, str] | None = None,
    options: Sequence[str] = (),
) -> SmartRegionBot:
    """A fresh bot account on `synapse` (not started yet); `options` go before `run`."""
    user_id = await synapse.register_user(f"bot-{secrets.token_hex(3)}", PASSWORD)
    return SmartRegionBot(
        directory, user_id, {"MATRIX_HOMESERVER": synapse.base_url, **(env or {})}, options
    )


async def echo_bot(synapse: LocalSynapse, directory: Path) -> ProcessBot:
    """The latency floor: `python -m bench.echo_bot` with its own account (not started yet)."""
    pythonpath_env()  # it runs in its own directory, where `bench` is not importable
    user_id = await synapse.register_user(f"echo-{secrets.token_hex(3)}", PASSWORD)
    command = [
        sys.executable,
        "-m",
        "bench.echo_bot",
        "--homeserver",
        synapse.base_url,
        "--user",
        user_id,
        "--password",
        PASSWORD,
    ]
    return ProcessBot("echo", directory, command, user_id)


async def wait_joined(
    timeline: Timeline, rooms: Iterable[str], user_id: str, bot: ProcessBot | None = None
) -> None:
    """Wait until `user_id` joined every room (a bot accepted its invites, i.e. it runs)."""
    for room in rooms:
        try:
            await timeline.wait_for(joined(room, user_id), BOT_READY_TIMEOUT_S)
        except TimeoutError:
            tail = bot.log_tail() if bot else ""
            raise BenchFailure(f"{user_id} did not join {room}\n{tail}") from None


def run_benchmark(module: str, options: Sequence[str]) -> int | str | None:
    """Run `python -m <module> <options>` in this process (for a benchmark that instruments
    another one); its exit status."""
    sys.argv = [module, *options]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as finished:
        return finished.code
    return 0


def pythonpath_env() -> None:
    """Make `python -m bench.…` subprocesses find the project when run from elsewhere."""
    current = os.environ.get("PYTHONPATH", "")
    if str(PROJECT_ROOT) not in current.split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), current]))


# ------------------------------------------------------------------ bot database


class PostgresUnavailable(BenchFailure):
    """The PostgreSQL server for benchmarks and tests is not reachable."""


@contextlib.asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """The URL of a fresh database on the PostgreSQL server of `SMARTREGION_TEST_POSTGRES_URL`,
    dropped afterwards (with whatever is still connected to it).

    A whole database rather than a schema, because bot processes take their settings from
    a URL, which cannot carry a search path for asyncpg.
    """
    name = f"smartregion_{secrets.token_hex(5)}"
    admin = create_engine(POSTGRES_URL)
    try:
        try:
            async with asyncio.timeout(10), admin.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.exec_driver_sql(f"CREATE DATABASE {name}")
        except (OSError, TimeoutError, SQLAlchemyError) as error:
            raise PostgresUnavailable(
                f"PostgreSQL not reachable at {POSTGRES_URL}: {error}"
            ) from None
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with contextlib.suppress(OSError, SQLAlchemyError):
            async with admin.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.dispose()


class BotDatabase:
    """Read-only looks into a bot's database while it runs, through the project's models."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        self.sessions = create_session_factory(self.engine)

    async def close(self) -> None:
        await self.engine.dispose()

    async def processed_at(self, event_ids: Iterable[str]) -> dict[str, datetime]:
        """When the bot marked each of these events handled (missing: not handled)."""
        wanted = list(event_ids)
        found: dict[str, datetime] = {}
        async with self.sessions() as session:
            for start in range(0, len(wanted), 500):
                rows = await session.execute(
                    select(ProcessedEvent.event_id, ProcessedEvent.processed_at).where(
                        ProcessedEvent.event_id.in_(wanted[start : start + 500])
                    )
                )
                found.update({event_id: when for event_id, when in rows})
        return found

    async def ideas_by_event(self) -> dict[str, list[tuple[str, str]]]:
        """(author, text) of the stored ideas per source event id."""
        stored: dict[str, list[tuple[str, str]]] = {}
        async with self.sessions() as session:
            rows = await session.execute(select(Idea.source_event_id, Idea.author_id, Idea.text))
            for event_id, author, text in rows:
                stored.setdefault(event_id, []).append((author, text))
        return stored
