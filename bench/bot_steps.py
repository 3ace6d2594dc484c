"""Where the bot's own step of a Matrix round trip goes, function by function.

`python -m bench.bot_steps [--profile FILE] [bench.latency options, e.g. --samples 30]`

`bench.http_trace` showed the bot's step (from the sync answer's headers to the start of the
reply's PUT) at about 20 ms for `!idee` and `!abstimmen` against 1.3 ms for the echo; this
says where inside the bot it goes. Runs `bench.latency` with the bot's process instrumented
(nothing else changes): the arrival of each sync answer's headers starts a frame, and the
calls listed in `SPANS` record their start and end relative to it, in the frame of the sync
whose handling started them (a context variable that the tasks the handling spawns
inherit); so do the steps of the event loop that took over 0.1 ms ("loop: <task's
coroutine>", in the frame of the latest sync). Reported per command kind: for each call,
how often it ran per command and the medians of its first start, its end and its total
time (several runs added up), in the order of the first start; so what stands between
the headers and the reply's PUT (`send_event`) can be read down the table. Wall times,
as noisy as the machine.
`--profile FILE` also writes a cProfile of the bot's main thread (read it with `pstats`):
a coroutine's time there is only while it runs, not while it waits.
"""

from __future__ import annotations

import collections
import contextvars
import functools
import importlib
import inspect
import json
import os
import runpy
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import harness

_LOG_ENV = "SMARTREGION_BOT_STEPS"
_PROFILE_ENV = "SMARTREGION_BOT_STEPS_PROFILE"
SPANS = (
    "nio.client.async_client:AsyncClient.create_matrix_response",
    "nio.client.async_client:AsyncClient.receive_response",
    "bot.adapters.matrix.adapter:MatrixAdapter._maintain_keys",
    "bot.adapters.matrix.adapter:MatrixAdapter._deliver",
    "bot.adapters.matrix.adapter:MatrixAdapter._through_log",
    "bot.router:Router.dispatch_all",
    "bot.router:Router._batch_candidate",
    "bot.router:Router._store_batch",
    "bot.router:Router._claim_fresh",
    "bot.router:Router._run_command_batches",
    "bot.router:Router._answer_batch",
    "bot.router:Router.handle",
    "bot.router:Router._facts",
    "bot.router:Router._mark_processed",
    "bot.roles:RoleResolver.role_of",
    "handlers.ideas.commands:submit_idea",
    "handlers.ideas.commands:ideas_state",
    "handlers.ideas.commands:reindex",
    "handlers.ideas.commands:post_card",
    "handlers.ideas.categories:IdeaCategories.choose",
    "handlers.ideas.similarity:SimilarityIndex.similar",
    "handlers.ideas.commands:_submitted_message",
    "storage.ideas.repository:IdeasRepository.next_number",
    "storage.ideas.repository:IdeasRepository.add",
    "storage.ideas.repository:IdeasRepository.open_numbers",
    "storage.ideas.repository:IdeasRepository.count_since",
    "bot.context:Context.claim",
    "bot.context:Context.send_queued",
    "handlers.polls.commands:votes_together",
    "storage.polls.repository:PollRepository.get",
    "storage.polls.repository:PollRepository.add_responses",
    "bot.router:people_facts",
    "storage.moderation.repository:BlockRepository.blocked_among",
    "storage.repositories:PeopleRepository.languages_of",
    "storage.uow:UnitOfWork.commit",
    "sqlalchemy.ext.asyncio.session:AsyncSession.execute",
    "sqlalchemy.ext.asyncio.session:AsyncSession.commit",
    "aiosqlite.core:Connection._execute",
    "storage.sqlite_one_hop:_execute",
    "sqlalchemy.ext.asyncio.session:AsyncSession.close",
    "bot.adapters.matrix.adapter:MatrixAdapter.send_event",
)


class Frame:
    """One sync answer's handling: when its headers came, the command it brought, the calls."""

    def __init__(self, headers: float) -> None:
        self.headers = headers
        self.kind: str | None = None
        self.spans: list[tuple[str, float, float]] = []


def instrument(log_path: str) -> None:
    """In the bot's process: frames per sync answer, spans of the calls in `SPANS`."""
    import asyncio
    import atexit

    import nio

    current: contextvars.ContextVar[Frame | None] = contextvars.ContextVar("frame", default=None)
    latest: list[Frame | None] = [None]
    frames: list[Frame] = []

    def frame_now() -> Frame | None:
        return current.get() or latest[0]

    def wrap(label: str, function: Any) -> Any:
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                frame, start = frame_now(), time.monotonic()
                try:
                    return await function(*args, **kwargs)
                finally:
                    if frame is not None:
                        frame.spans.append((label, start, time.monotonic()))

            return timed_async

        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            frame, start = frame_now(), time.monotonic()
            try:
                return function(*args, **kwargs)
            finally:
                if frame is not None:
                    frame.spans.append((label, start, time.monotonic()))

        return timed

    for spec in SPANS:
        module_name, qualname = spec.split(":")
        owner: Any = importlib.import_module(module_name)
        *parents, name = qualname.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        if not hasattr(owner, name):  # gone in this version of the bot (a before/after run)
            continue
        wrapped = wrap(qualname, getattr(owner, name))
        if isinstance(inspect.getattr_static(owner, name), staticmethod):
            wrapped = staticmethod(wrapped)
        setattr(owner, name, wrapped)

    send = nio.AsyncClient.send

    async def anchored(self: nio.AsyncClient, method: str, path: str, *args: Any, **kw: Any) -> Any:
        response = await send(self, method, path, *args, **kw)
        if "/sync" in path:
            latest[0] = Frame(time.monotonic())
            frames.append(latest[0])
        return response

    nio.AsyncClient.send = anchored  # type: ignore[method-assign]
    run = asyncio.events.Handle._run

    def loop_step(self: asyncio.events.Handle) -> None:
        """A step of the event loop over 0.1 ms: what kept the loop (and the asker) busy."""
        start = time.monotonic()
        run(self)
        end = time.monotonic()
        if latest[0] is not None and end - start > 0.0001:
            task = getattr(self._callback, "__self__", None)
            coroutine = task.get_coro() if isinstance(task, asyncio.Task) else None
            name = getattr(coroutine or self._callback, "__qualname__", "?")
            latest[0].spans.append((f"loop: {name}", start, end))

    asyncio.events.Handle._run = loop_step  # type: ignore[method-assign]

    from bot.adapters.matrix.adapter import MatrixAdapter
    from bot.router import Router

    handle_sync = MatrixAdapter._handle_sync

    async def in_frame(self: MatrixAdapter, *args: Any, **kwargs: Any) -> Any:
        current.set(latest[0])  # the tasks it spawns inherit the frame
        return await handle_sync(self, *args, **kwargs)

    MatrixAdapter._handle_sync = in_frame  # type: ignore[method-assign]

    def labelling(method: Any) -> Any:
        @functools.wraps(method)
        async def labelled(self: Router, message: Any, *args: Any, **kwargs: Any) -> Any:
            frame = current.get()
            if frame is not None and frame.kind is None:
                word = message.text.split(" ")[0]
                frame.kind = word if word.startswith("!") else "other"
            return await method(self, message, *args, **kwargs)

        return labelled

    Router.handle = labelling(Router.handle)  # type: ignore[method-assign]
    Router._batch_candidate = labelling(Router._batch_candidate)  # type: ignore[method-assign]

    def save() -> None:
        kept = [{"kind": f.kind, "headers": f.headers, "spans": f.spans} for f in frames if f.kind]
        Path(log_path).write_text(json.dumps(kept), encoding="utf-8")

    atexit.register(save)


def bot_main() -> None:
    """`python -m bench.bot_steps --bot -m bot.cli run …`: the instrumented bot."""
    instrument(os.environ[_LOG_ENV])
    if profile_path := os.environ.get(_PROFILE_ENV):
        import atexit
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
        atexit.register(lambda: profiler.dump_stats(profile_path))
    module = sys.argv[3]
    sys.argv = [module, *sys.argv[4:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


def report(frames: list[dict[str, Any]], warmup: int) -> None:
    by_kind: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for frame in frames:
        by_kind[frame["kind"]].append(frame)
    for kind, kept in sorted(by_kind.items()):
        kept = kept[warmup:]
        starts: dict[str, list[float]] = collections.defaultdict(list)
        ends: dict[str, list[float]] = collections.defaultdict(list)
        totals: dict[str, list[float]] = collections.defaultdict(list)
        calls: collections.Counter[str] = collections.Counter()
        for frame in kept:
            seen: dict[str, float] = collections.defaultdict(float)
            firsts: dict[str, tuple[float, float]] = {}
            for label, start, end in frame["spans"]:
                calls[label] += 1
                seen[label] += end - start
                if label not in firsts or start < firsts[label][0]:
                    firsts[label] = (start, end)
            for label, (start, end) in firsts.items():
                starts[label].append((start - frame["headers"]) * 1000)
                ends[label].append((end - frame["headers"]) * 1000)
                totals[label].append(seen[label] * 1000)
        rows = [
            [
                label,
                calls[label] / len(kept),
                statistics.median(starts[label]),
                statistics.median(ends[label]),
                statistics.median(totals[label]),
            ]
            for label in sorted(starts, key=lambda label: statistics.median(starts[label]))
        ]
        print(f"{kind} ({len(kept)} commands), ms after the sync answer's headers:")
        headers = ["call", "calls/command", "first start p50", "first end p50", "total p50"]
        print(harness.table(headers, rows), end="\n\n")


def main() -> None:
    if sys.argv[1:2] == ["--bot"]:
        bot_main()
        return
    log_path = Path(tempfile.mkdtemp(prefix="smartregion-bot-steps-")) / "frames.json"
    os.environ[_LOG_ENV] = str(log_path)
    start = harness.ProcessBot.__init__

    def instrumented(self, name, directory, command, user_id):  # type: ignore[no-untyped-def]
        command = list(command)
        if name == "bot":  # the `smartregion-bot run …` script
            run = command[1:]
            command = [sys.executable, "-m", "bench.bot_steps", "--bot", "-m", "bot.cli", *run]
        start(self, name, directory, command, user_id)

    harness.ProcessBot.__init__ = instrumented  # type: ignore[method-assign]
    options = sys.argv[1:]
    if "--profile" in options:  # cProfile of the bot's process (its main thread), to FILE
        at = options.index("--profile")
        os.environ[_PROFILE_ENV] = str(Path(options[at + 1]).resolve())
        del options[at : at + 2]
    status = harness.run_benchmark("bench.latency", options)
    warmup = 2 if "--quick" in options else 10
    report(json.loads(log_path.read_text(encoding="utf-8")), warmup)
    sys.exit(status)


if __name__ == "__main__":
    main()
