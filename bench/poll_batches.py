"""How much a native poll response costs the bot, alone and in a sync's batch.

`python -m bench.poll_batches [--responses 2000] [--text-votes 200] [--ideas 200]`

In-process, without a homeserver: the real router, handlers and SQLite storage with the
unit tests' fake adapter (sending costs nothing). Times responses handed over one by one
(`Router.dispatch`, as a sync with one response), 200 at once as separate events, and a
sync's worth as one batch (`Router.dispatch_all`). On a branch without `dispatch_all` only
the first two run, which is how the "before" numbers in docs/benchmarks.md were taken.

Then the viral poll's sync (`bench.load --viral`, backlog round) in one `dispatch_all`: the
responses, `--text-votes` `!abstimmen` and `--ideas` `!idee`, on a fresh database. It shows
when the last vote was committed (from then on the tally is final: the tally lag of
`bench.load --viral` without the homeserver), when everything was handled, and counts
what the sync cost: SQL statements, commits and aiosqlite round trips ("hops" to its
thread), which do not depend on the machine's load as the times do.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiosqlite.core
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot.context import Actor, IncomingMessage, IncomingPollResponse, Place
from handlers import help as help_commands
from handlers.ideas import commands as ideas
from handlers.polls import commands as polls
from handlers.polls import lifecycle
from tests.unit.fakes import FakeBot, make_fake_bot

STAFF = "@sabine:localhost"
FORUM = "!forum:localhost"
IDEAS_ROOM = "!ideen:localhost"
SINGLE = 200
VOTES_TABLE = "poll_responses"


async def started_bot(directory: Path) -> tuple[FakeBot, str]:
    """A bot with a fresh database and a started native poll (its start event id)."""
    bot = await make_fake_bot(
        directory, (help_commands, polls, ideas), BOT_STAFF_USERS=STAFF, BOT_IDEAS_ROOM=IDEAS_ROOM
    )
    await bot.say(STAFF, '!umfrage "Welches Projekt zuerst?" "Radwege" "Bus" "Kita"')
    return bot, next(sent.event_id for sent in bot.adapter.sent if sent.kind == "poll")


def responses_to(bot: FakeBot, poll_event: str, count: int, tag: str) -> list[Any]:
    now = bot.services.clock.now()
    return [
        IncomingPollResponse(
            f"${tag}{n}", Actor("matrix", f"@c{n}:localhost", "c"), Place(FORUM, False),
            poll_event, (f"a{n % 3 + 1}",), now,
        )
        for n in range(count)
    ]  # fmt: skip


async def measure_responses(total: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        bot, poll_event = await started_bot(Path(directory))
        responses = responses_to(bot, poll_event, 2 * SINGLE + total, "r")
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


@contextmanager
def database_work() -> Iterator[dict[str, Any]]:
    """Count statements, commits and aiosqlite hops, and note when the last transaction
    that stored votes committed (`votes_final`, a `perf_counter` time)."""
    counts: dict[str, Any] = collections.Counter()
    storing_votes: set[int] = set()

    def statement(connection: Any, _cursor: Any, sql: str, *_: object) -> None:
        counts["statements"] += 1
        if sql.lstrip().upper().startswith("INSERT INTO " + VOTES_TABLE.upper()):
            storing_votes.add(id(connection))

    def commit(connection: Any) -> None:
        counts["commits"] += 1
        if id(connection) in storing_votes:
            storing_votes.discard(id(connection))
            counts["votes_final"] = time.perf_counter()

    execute = aiosqlite.core.Connection._execute

    async def hop(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        counts["hops"] += 1
        return await execute(self, fn, *args, **kwargs)

    event.listen(Engine, "before_cursor_execute", statement)
    event.listen(Engine, "commit", commit)
    aiosqlite.core.Connection._execute = hop  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        aiosqlite.core.Connection._execute = execute  # type: ignore[method-assign]
        event.remove(Engine, "before_cursor_execute", statement)
        event.remove(Engine, "commit", commit)


async def measure_viral_sync(responses: int, text_votes: int, idea_count: int) -> None:
    """The backlog round's sync in one `dispatch_all` (see the module's docstring)."""
    with tempfile.TemporaryDirectory() as directory:
        bot, poll_event = await started_bot(Path(directory))
        events: list[Any] = responses_to(bot, poll_event, responses, "v")
        events += [
            IncomingMessage(
                f"$t{n}", Actor("matrix", f"@c{n}:localhost", "c"), Place(FORUM, False),
                f"!abstimmen 1 {(n + 1) % 3 + 1}", bot.services.clock.now() + timedelta(seconds=1),
            )
            for n in range(text_votes)
        ]  # fmt: skip
        events += [
            IncomingMessage(
                f"$i{n}", Actor("matrix", f"@c{n}:localhost", "c"), Place(FORUM, False),
                f"!idee Mehr Sitzbänke am Marktplatz Nummer {n} für alle Generationen",
                bot.services.clock.now(),
            )
            for n in range(idea_count)
        ]  # fmt: skip
        answers_before = len(bot.adapter.sent)
        with database_work() as counts:
            began = time.perf_counter()
            await bot.router.dispatch_all(events)
            elapsed = time.perf_counter() - began
        final = counts["votes_final"] - began
        answers = len(bot.adapter.sent) - answers_before
        poll = await lifecycle.load(bot.services, 1)
        assert poll is not None
        tally = await lifecycle.tally_of(bot.services, poll)
        print(
            f"one sync of {len(events)} ({responses} responses, {text_votes} !abstimmen, "
            f"{idea_count} !idee): votes final after {final:.2f} s, all handled after "
            f"{elapsed:.2f} s = {len(events) / elapsed:.0f} events/s; tally {tally.voters} voters "
            f"{list(tally.votes.values())}; {answers} answers sent; "
            f"{counts['commits']} commits, {counts['statements']} statements, "
            f"{counts['hops']} aiosqlite hops"
        )


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__)
    arguments.add_argument("--responses", type=int, default=2000, help="size of the batch")
    arguments.add_argument("--text-votes", type=int, default=200, help="!abstimmen in the sync")
    arguments.add_argument("--ideas", type=int, default=200, help="!idee in the sync")
    arguments.add_argument(
        "--only-sync", action="store_true", help="measure only the viral poll's sync"
    )
    args = arguments.parse_args()
    if not args.only_sync:
        asyncio.run(measure_responses(args.responses))
    asyncio.run(measure_viral_sync(args.responses, args.text_votes, args.ideas))


if __name__ == "__main__":
    main()
