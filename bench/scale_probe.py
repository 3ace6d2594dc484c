"""The measuring side of `bench.scale`, in a process of its own so its memory is the bot's.

`python -m bench.scale_probe '<json settings>'` starts the real `App` on a seeded database
(schema check, login, every start hook: workshop schedule, question timers and router,
polls; the similar-idea index is built in the background and timed until ready), then
sends `!ideen top` and `!workshops` through the router as if a citizen had typed them (the
first ones while the index is still being built, as right after a real start), times
similar-idea lookups, and prints one JSON line.

Command latency is split into the bot's own time and the time the homeserver took to
accept the reply, which the bot does not control.
"""

from __future__ import annotations

import asyncio
import collections
import cProfile
import functools
import gc
import json
import logging
import random
import resource
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

import bot.app
from bench.harness import summary_ms
from bench.ideas_similarity import idea_text, rewrite
from bot.app import App
from bot.config import Settings
from bot.context import Actor, IncomingMessage, Place
from handlers.ideas.state import ideas_state
from handlers.questions.model_worker import departments_model
from storage.db import create_engine

JOIN_TIMEOUT_S = 30


def child_peak_mb() -> float:
    """The peak resident memory of the largest finished child process (the similar-idea
    index worker or the departments model's trainer, `bot.child_process`), in MB."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def memory() -> dict[str, float]:
    """Resident memory now and at its peak (Linux /proc), in MB."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return {"rss_mb": values.get("VmRSS", float("nan")), "peak_rss_mb": values.get("VmHWM", 0)}


class CollectionLog:
    """The garbage collector's collections of the second generation (full ones), with when
    they started (seconds since `since`) and how long they took: a full collection scans
    every object the bot holds, and one that falls into a command is that command's wait."""

    def __init__(self, since: float) -> None:
        self.since = since
        self.collections: list[tuple[float, float]] = []
        self._began = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        now = time.perf_counter()
        if phase == "start":
            self._began = now
        else:
            self.collections.append(
                (round(self._began - self.since, 3), round((now - self._began) * 1000, 1))
            )


class StackSampler(threading.Thread):
    """Samples every thread's Python stack every few milliseconds: cProfile sees only the
    event loop's thread, which spends the first call waiting in `epoll`; this shows what
    the other threads (aiosqlite's, worker threads) do meanwhile."""

    def __init__(self, interval_s: float = 0.002) -> None:
        super().__init__(daemon=True)
        self.interval_s = interval_s
        self.counts: collections.Counter[str] = collections.Counter()
        self.stopped = threading.Event()

    def run(self) -> None:
        names = {thread.ident: thread.name for thread in threading.enumerate()}
        while not self.stopped.wait(self.interval_s):
            for ident, frame in sys._current_frames().items():
                if ident == self.ident:
                    continue
                calls = [
                    f"{Path(f.filename).name}:{f.name}" for f in traceback.extract_stack(frame)
                ]
                self.counts[";".join([names.get(ident, str(ident)), *calls])] += 1

    def write(self, path: str) -> None:
        """Stacks with their sample counts, most frequent first (flame-graph input format)."""
        self.stopped.set()
        self.join()
        lines = [f"{stack} {count}" for stack, count in self.counts.most_common()]
        Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def first_call_profiler(
    config: dict[str, Any], text: str, number: int
) -> tuple[cProfile.Profile, StackSampler] | None:
    """A running profiler and stack sampler for the first call of a command if
    `bench.scale --profile` asked; the tasks running beside it are written down at once."""
    if not config.get("profile") or number != 0:
        return None
    name = f"{config['profile']}-{text.split()[-1]}"
    tasks = [
        f"{task.get_name()}: {' <- '.join(f'{frame.f_code.co_name}' for frame in task.get_stack())}"
        for task in asyncio.all_tasks()
    ]
    Path(f"{name}-tasks.txt").write_text("\n".join(sorted(tasks)) + "\n", encoding="utf-8")
    sampler = StackSampler()
    sampler.start()
    profiler = cProfile.Profile()
    profiler.enable()
    return profiler, sampler


async def probe(config: dict[str, Any]) -> dict[str, Any]:
    if config.get("schema"):
        # App builds its engine from the URL alone; a throwaway schema needs the search path.
        server_settings = {"search_path": config["schema"]}
        bot.app.create_engine = functools.partial(  # type: ignore[attr-defined]
            create_engine, connect_args={"server_settings": server_settings}
        )
    settings = Settings.from_env(env=config["env"])
    room = config["room"]
    profiler = cProfile.Profile() if config.get("profile") else None
    started, started_cpu = time.perf_counter(), time.process_time()
    full_collections = CollectionLog(started)
    gc.callbacks.append(full_collections)
    if profiler is not None:
        profiler.enable()
    app = App(settings)
    await app.__aenter__()
    startup_s = time.perf_counter() - started
    startup_cpu_s = time.process_time() - started_cpu
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(f"{config['profile']}-startup.prof")
    after_start = memory()

    index_cpu_s = 0.0

    async def index_ready() -> float:
        nonlocal index_cpu_s
        await ideas_state(app.services)
        index_cpu_s = time.process_time() - started_cpu
        return time.perf_counter() - started

    async def model_ready() -> float:
        await departments_model(app.services)  # started by the index's ideas state anyway
        return time.perf_counter() - started

    indexed = asyncio.create_task(index_ready())
    trained = asyncio.create_task(model_ready())
    try:
        # The commands run while the index is still being built, as after a real start:
        # the first `!ideen top` must not wait for it.
        app.start_background()  # the sync loop joins the room it was invited to
        async with asyncio.timeout(JOIN_TIMEOUT_S):
            while room not in app.adapters["matrix"].client.rooms:  # noqa: ASYNC110 - nio has no event
                await asyncio.sleep(0.05)
        sending = [0.0]
        send_event = app.adapters["matrix"].send_event

        async def timed_send(*args: Any, **kwargs: Any) -> str:
            began = time.perf_counter()
            try:
                return await send_event(*args, **kwargs)
            finally:
                sending[0] += time.perf_counter() - began

        app.adapters["matrix"].send_event = timed_send  # type: ignore[method-assign]
        commands: dict[str, dict[str, Any]] = {}
        timeline: dict[str, list[tuple[float, float]]] = {}
        """Per command, each call's start (seconds since `App` was created) and the bot's own
        milliseconds: a slow call of the thirty can be set beside what else ran then."""
        first_cpu_ms: dict[str, float] = {}
        """CPU time of the whole bot process (all its threads) during each first call:
        unlike the call's duration, barely changed by other load on the machine."""
        for text in ("!ideen top", "!workshops"):
            own, total = [], []
            calls: list[tuple[float, float]] = []
            for number in range(config["commands"]):
                message = IncomingMessage(
                    event_id=f"$probe-{text}-{number}",
                    actor=Actor("matrix", "@probe:localhost", "Probe"),
                    place=Place(room, is_direct=False),
                    text=text,
                )
                sending[0] = 0.0
                profiling = first_call_profiler(config, text, number)
                began, began_cpu = time.perf_counter(), time.process_time()
                await app.router.dispatch(message)
                elapsed = time.perf_counter() - began
                if number == 0:
                    first_cpu_ms[text] = (time.process_time() - began_cpu) * 1000
                if profiling is not None:
                    profiling[0].disable()
                    profiling[0].dump_stats(f"{config['profile']}-{text.split()[-1]}.prof")
                    profiling[1].write(f"{config['profile']}-{text.split()[-1]}-stacks.txt")
                total.append(elapsed)
                own.append(elapsed - sending[0])
                calls.append((round(began - started, 3), round(own[-1] * 1000, 1)))
            commands[text] = {"bot": summary_ms(own), "with_send": summary_ms(total)}
            timeline[text] = calls
        index_ready_s = await indexed
        model_ready_s = await trained
        index = (await ideas_state(app.services)).index
        rng = random.Random(3)
        lookups = []
        for _ in range(config["queries"]):
            query = idea_text(rng)
            query = rewrite(query) if rng.random() < 0.5 else query
            began = time.perf_counter()
            index.similar(query)
            lookups.append(time.perf_counter() - began)
        jobs = len(app.scheduler.job_ids())
    finally:
        await app.__aexit__(None, None, None)
    return {
        "startup_s": startup_s,
        "startup_cpu_s": startup_cpu_s,
        "first_call_cpu_ms": first_cpu_ms,
        "cpu_until_index_ready_s": index_cpu_s,
        "index_ready_s": index_ready_s,
        "model_ready_s": model_ready_s,
        "memory_after_start": after_start,
        "memory_at_end": memory(),
        "child_peak_rss_mb": child_peak_mb(),
        "commands": commands,
        "timeline": timeline,
        "full_collections": full_collections.collections,
        "similar_lookup": summary_ms(lookups),
        "indexed_ideas": len(index),
        "scheduled_jobs": jobs,
    }


def main() -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("nio").setLevel(logging.ERROR)
    result = asyncio.run(probe(json.loads(sys.argv[1])))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
