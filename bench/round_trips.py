"""Database work per command, counted in the bot's process: stable where timings are noisy.

`python -m bench.round_trips [bench.discord_latency|bench.latency] [its options]`

Runs the given latency benchmark with the bot's process instrumented (nothing else changes):
every SQL statement, every commit and every call aiosqlite hands to its thread ("hop": one
round trip between the event loop and the database thread) is counted, and the process's
CPU time (all its threads) measured, and attributed to the command whose handling was
started last (by the router's `handle`, or taken by its sync's batch, as Matrix's
`!abstimmen`, which were counted with the `!idee` before them). Each command's count
therefore includes the work it leaves behind after its answer, which the next command of
the benchmark competes with. The counts do not depend on the machine's load, so they show
what a change saves where the timings of this shared machine cannot (CPU time depends on it
less than wall time, but does); they are printed as a table per kind.
"""

from __future__ import annotations

import collections
import json
import os
import runpy
import shlex
import sys
import tempfile
import time
from pathlib import Path

from bench import harness

_COUNTS_ENV = "SMARTREGION_ROUND_TRIPS"


def instrument(counts_path: str) -> None:
    """In the bot's process: count statements, commits and hops per command kind."""
    import atexit

    import aiosqlite.core
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    import bot.router

    current = ["(start)"]
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)

    @event.listens_for(Engine, "before_cursor_execute")
    def statement(*_: object) -> None:
        counts[current[0]]["statements"] += 1

    @event.listens_for(Engine, "commit")
    def commit(*_: object) -> None:
        counts[current[0]]["commits"] += 1

    execute = aiosqlite.core.Connection._execute

    async def hop(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        counts[current[0]]["hops"] += 1
        return await execute(self, fn, *args, **kwargs)

    aiosqlite.core.Connection._execute = hop  # type: ignore[method-assign]
    handle = bot.router.Router.handle

    switched = [time.process_time()]

    def switch(message) -> None:  # type: ignore[no-untyped-def]
        now = time.process_time()
        counts[current[0]]["cpu_us"] += round((now - switched[0]) * 1e6)
        switched[0] = now
        current[0] = message.text.split(" ")[0] if message.text.startswith("!") else "other"
        counts[current[0]]["commands"] += 1

    async def counted(self, message):  # type: ignore[no-untyped-def]
        switch(message)
        await handle(self, message)

    bot.router.Router.handle = counted  # type: ignore[method-assign]
    candidate = bot.router.Router._batch_candidate

    async def batched(self, message):  # type: ignore[no-untyped-def]
        """A command the batch of its sync takes (Matrix's `!abstimmen`) is not `handle`d."""
        found = await candidate(self, message)
        if found is not None:
            switch(message)
        return found

    bot.router.Router._batch_candidate = batched  # type: ignore[method-assign]

    def save() -> None:
        Path(counts_path).write_text(json.dumps(counts), encoding="utf-8")

    atexit.register(save)


def bot_main() -> None:
    """`python -m bench.round_trips --bot -m bot.cli run …`: the instrumented bot."""
    instrument(os.environ[_COUNTS_ENV])
    module = sys.argv[3]
    sys.argv = [module, *sys.argv[4:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


def main() -> None:
    if sys.argv[1:2] == ["--bot"]:
        bot_main()
        return
    benchmark, options = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    if benchmark not in ("bench.discord_latency", "bench.latency"):
        sys.exit(__doc__)
    counts_path = Path(tempfile.mkdtemp(prefix="smartregion-round-trips-")) / "counts.json"
    os.environ[_COUNTS_ENV] = str(counts_path)
    start = harness.ProcessBot.__init__

    def instrumented(self, name, directory, command, user_id):  # type: ignore[no-untyped-def]
        command = list(command)
        if name == "bot":
            # `python -m bot.cli run …` (Discord) or the `smartregion-bot run …` script (Matrix)
            run = command[3:] if command[1:3] == ["-m", "bot.cli"] else command[1:]
            command = [sys.executable, "-m", "bench.round_trips", "--bot", "-m", "bot.cli", *run]
        start(self, name, directory, command, user_id)

    harness.ProcessBot.__init__ = instrumented  # type: ignore[method-assign]
    status = harness.run_benchmark(benchmark, options)
    counts = json.loads(counts_path.read_text(encoding="utf-8"))
    rows = [
        [
            kind,
            c["commands"],
            *(c.get(k, 0) / c["commands"] for k in ("statements", "commits", "hops")),
            c.get("cpu_us", 0) / c["commands"] / 1000,
        ]
        for kind, c in sorted(counts.items())
        if c.get("commands")
    ]
    print(f"per command, {shlex.join([benchmark, *options])}:")
    print(
        harness.table(
            ["kind", "commands", "SQL statements", "commits", "aiosqlite hops", "bot CPU ms"], rows
        )
    )
    sys.exit(status)


if __name__ == "__main__":
    main()
