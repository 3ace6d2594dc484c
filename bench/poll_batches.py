"""How much a native poll response costs the bot, alone and in a sync's batch.

`python -m bench.poll_batches [--responses 2000]`

In-process, without a homeserver: the real router, handlers and SQLite storage with the
unit tests' fake adapter (sending costs nothing). Times responses handed over one by one
(`Router.dispatch`, as a sync with one response), 200 at once as separate events, and a
sync's worth as one batch (`Router.dispatch_all`). On a branch without `dispatch_all` only
the first two run, which is how the "before" numbers in docs/benchmarks.md were taken.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bot.context import Actor, IncomingPollResponse, Place
from handlers import help as help_commands
from handlers.polls import commands as polls
from tests.unit.fakes import make_fake_bot

STAFF = "@sabine:localhost"
FORUM = "!forum:localhost"
SINGLE = 200


async def measure(total: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        bot = await make_fake_bot(Path(directory), (help_commands, polls), BOT_STAFF_USERS=STAFF)
        await bot.say(STAFF, '!umfrage "Welches Projekt zuerst?" "Radwege" "Bus" "Kita"')
        poll_event = next(sent.event_id for sent in bot.adapter.sent if sent.kind == "poll")
        now = bot.services.clock.now()
        responses = [
            IncomingPollResponse(
                f"$r{n}", Actor("matrix", f"@c{n}:localhost", "c"), Place(FORUM, False),
                poll_event, ("a1",), now,
            )
            for n in range(2 * SINGLE + total)
        ]  # fmt: skip
        began = time.perf_counter()
        for response in responses[:SINGLE]:
            await bot.router.dispatch(response)
        print(f"one by one:        {(time.perf_counter() - began) / SINGLE * 1000:.2f} ms each")
        began = time.perf_counter()
        await asyncio.gather(*(bot.router.dispatch(r) for r in responses[SINGLE : 2 * SINGLE]))
        print(
            f"{SINGLE} at once:       {(time.perf_counter() - began) / SINGLE * 1000:.2f} ms each"
        )
        if hasattr(bot.router, "dispatch_all"):
            began = time.perf_counter()
            await bot.router.dispatch_all(responses[2 * SINGLE :])
            elapsed = time.perf_counter() - began
            print(f"one batch of {total}: {elapsed / total * 1000:.2f} ms each ({elapsed:.2f} s)")


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__)
    arguments.add_argument("--responses", type=int, default=2000, help="size of the batch")
    asyncio.run(measure(arguments.parse_args().responses))


if __name__ == "__main__":
    main()
