"""Which HTTP requests the bot and the echo make to Synapse per message, and where time goes.

`python -m bench.http_trace [bench.latency options, e.g. --samples 30]`

Runs `bench.latency` with the bot's and the echo bot's processes instrumented (nothing else
changes): every request of their aiohttp sessions (nio's) is logged with its start, the
arrival of its answer's headers and, for a sent event, the event it replies to; every sync
response with the ids of the events in it. The benchmark's own process logs when each of
the citizen's messages was sent and stored. Reported:

- requests per measured message by kind of endpoint, bot against echo (typing notices,
  receipts, key traffic, state fetches would show here);
- per kind of message, the medians of the steps of one round trip: the citizen's PUT,
  Synapse until the replier's sync answer with the message arrives, the replier from that
  answer to the start of its reply's PUT, and that PUT; what remains of a sample is
  Synapse and the citizen's sync delivering the reply;
- the gap between one sync answer and the next long poll (the replier hears nothing then).

All processes run on this machine, so their monotonic clocks agree.
"""

from __future__ import annotations

import collections
import itertools
import json
import os
import re
import runpy
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import harness

_TRACE_ENV = "SMARTREGION_HTTP_TRACE"
_ENDPOINTS = (
    ("/sync", "sync"),
    ("/send/", "send"),
    ("/keys/", "keys"),
    ("/sendToDevice/", "to-device"),
    ("/typing/", "typing"),
    ("/receipt/", "receipts"),
    ("/read_markers", "receipts"),
    ("/state", "room state"),
    ("/members", "room state"),
)


def endpoint(path: str) -> str:
    return next((name for fragment, name in _ENDPOINTS if fragment in path), "other")


def instrument(log_path: str) -> None:
    """In a replier's process: log its HTTP requests and the events each sync brought."""
    import asyncio

    import aiohttp
    import nio

    log = Path(log_path).open("a", encoding="utf-8", buffering=1)  # noqa: SIM115
    header_times: dict[Any, float] = {}

    def write(**entry: Any) -> None:
        log.write(json.dumps(entry) + "\n")

    async def on_start(_: Any, context: Any, params: Any) -> None:
        context.started = time.monotonic()
        context.reply_to = None

    async def on_chunk(_: Any, context: Any, params: Any) -> None:
        match = re.search(rb'"m\.in_reply_to":\s*\{"event_id":\s*"([^"]+)"', params.chunk)
        if match:
            context.reply_to = match.group(1).decode()

    async def on_end(_: Any, context: Any, params: Any) -> None:
        now = time.monotonic()
        path = params.url.path
        if path.endswith("/sync"):
            header_times[asyncio.current_task()] = now
        write(
            kind="request",
            endpoint=endpoint(path),
            start=context.started,
            headers=now,
            reply_to=context.reply_to,
        )

    init = aiohttp.ClientSession.__init__

    def traced_init(self: aiohttp.ClientSession, *args: Any, **kwargs: Any) -> None:
        trace = aiohttp.TraceConfig()
        trace.on_request_start.append(on_start)
        trace.on_request_chunk_sent.append(on_chunk)
        trace.on_request_end.append(on_end)
        kwargs["trace_configs"] = [*(kwargs.get("trace_configs") or []), trace]
        init(self, *args, **kwargs)

    aiohttp.ClientSession.__init__ = traced_init  # type: ignore[method-assign]
    sync = nio.AsyncClient.sync

    async def traced_sync(self: nio.AsyncClient, *args: Any, **kwargs: Any) -> Any:
        response = await sync(self, *args, **kwargs)
        if isinstance(response, nio.SyncResponse):
            events = [
                event.event_id
                for room in response.rooms.join.values()
                for event in room.timeline.events
            ]
            headers = header_times.pop(asyncio.current_task(), None)
            write(kind="sync", headers=headers, returned=time.monotonic(), events=events)
        return response

    nio.AsyncClient.sync = traced_sync  # type: ignore[method-assign]


def process_main() -> None:
    """`python -m bench.http_trace --process NAME -m MODULE …`: an instrumented replier."""
    instrument(str(Path(os.environ[_TRACE_ENV]) / f"{sys.argv[2]}.jsonl"))
    module = sys.argv[4]
    sys.argv = [module, *sys.argv[5:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


def load(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000 if values else float("nan")


def report(directory: Path, said: list[dict[str, Any]], warmup_messages: int) -> None:
    repliers = {name: load(directory / f"{name}.jsonl") for name in ("bot", "echo")}
    measured = said[warmup_messages:]
    counts: dict[str, collections.Counter[str]] = {}
    for name, entries in repliers.items():
        counts[name] = collections.Counter(e["endpoint"] for e in entries if e["kind"] == "request")
    messages = {"bot": sum(1 for s in said if s["kind"] != "echo"), "echo": 0}
    messages["echo"] = len(said) - messages["bot"]
    endpoints = sorted({key for counter in counts.values() for key in counter})
    rows = [
        [key, *(counts[name][key] / max(messages[name], 1) for name in ("bot", "echo"))]
        for key in endpoints
    ]
    print("requests per message of the run (start-up included):")
    print(harness.table(["endpoint", "bot", "echo"], rows), end="\n\n")

    steps: dict[str, dict[str, list[float]]] = collections.defaultdict(
        lambda: collections.defaultdict(list)
    )
    for name, entries in repliers.items():
        synced = {}
        for entry in entries:
            if entry["kind"] == "sync" and entry["headers"] is not None:
                for event_id in entry["events"]:
                    synced.setdefault(event_id, entry["headers"])
        replies = {e["reply_to"]: e for e in entries if e["kind"] == "request" and e["reply_to"]}
        for message in measured:
            if (message["kind"] == "echo") != (name == "echo"):
                continue
            arrived, reply = synced.get(message["event_id"]), replies.get(message["event_id"])
            if arrived is None or reply is None:
                continue
            kind = steps[message["kind"]]
            kind["citizen PUT"].append(message["stored"] - message["sent"])
            kind["until replier's sync"].append(arrived - message["stored"])
            kind["replier until reply PUT"].append(reply["start"] - arrived)
            kind["reply PUT"].append(reply["headers"] - reply["start"])
    labels = ["citizen PUT", "until replier's sync", "replier until reply PUT", "reply PUT"]
    rows = [
        [kind, len(values[labels[0]]), *(median_ms(values[label]) for label in labels)]
        for kind, values in steps.items()
    ]
    print("medians per step, ms:")
    print(harness.table(["kind", "samples", *labels], rows), end="\n\n")

    rows = []
    for name, entries in repliers.items():
        syncs = sorted(
            (e for e in entries if e["kind"] == "request" and e["endpoint"] == "sync"),
            key=lambda e: e["start"],
        )
        gaps = sorted(b["start"] - a["headers"] for a, b in itertools.pairwise(syncs))
        if gaps:
            rows.append(
                [
                    name,
                    len(gaps),
                    median_ms(gaps),
                    harness.percentile(gaps, 0.99) * 1000,
                    gaps[-1] * 1000,
                    sum(1 for gap in gaps if gap > 0.005),
                ]
            )
    print("from a sync answer to the next long poll, ms:")
    print(harness.table(["replier", "gaps", "p50", "p99", "max", "over 5 ms"], rows))


def main() -> None:
    if sys.argv[1:2] == ["--process"]:
        process_main()
        return
    directory = Path(tempfile.mkdtemp(prefix="smartregion-http-trace-"))
    os.environ[_TRACE_ENV] = str(directory)
    start = harness.ProcessBot.__init__

    def instrumented(self, name, directory_, command, user_id):  # type: ignore[no-untyped-def]
        command = list(command)
        wrapper = [sys.executable, "-m", "bench.http_trace", "--process", name]
        if name == "bot":  # the `smartregion-bot run …` script
            command = [*wrapper, "-m", "bot.cli", *command[1:]]
        elif name == "echo":  # `python -m bench.echo_bot …`
            command = [*wrapper, *command[1:]]
        start(self, name, directory_, command, user_id)

    harness.ProcessBot.__init__ = instrumented  # type: ignore[method-assign]
    said: list[dict[str, Any]] = []
    say = harness.Account.say

    async def timed_say(self: harness.Account, room_id: str, body: str) -> str:
        sent = time.monotonic()
        event_id = await say(self, room_id, body)
        word = body.split(" ")[0]
        kind = word if word.startswith("!") else "echo"
        said.append({"kind": kind, "event_id": event_id, "sent": sent, "stored": time.monotonic()})
        return event_id

    harness.Account.say = timed_say  # type: ignore[method-assign]
    options = sys.argv[1:]
    status = harness.run_benchmark("bench.latency", options)
    warmup_rounds = 2 if "--quick" in options else 10
    said = [s for s in said if s["kind"] != "!umfrage"]
    report(directory, said, warmup_rounds * 5)
    shutil.rmtree(directory, ignore_errors=True)
    sys.exit(status)


if __name__ == "__main__":
    main()
