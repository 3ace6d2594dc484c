"""Building the similar-idea index in a child process, so the bot's own process stays quick.

Indexing 89,000 open ideas is 2.2 s of pure Python. In a worker thread it held the
interpreter lock right when the first commands after a start ran (`bot.child_process`);
yielding the lock more often, event-loop slices and a shorter switch interval did not help
(docs/benchmarks.md). The child reads the open ideas itself, builds the index and writes it
to its standard output as a few flat arrays (`SimilarityIndex.to_bytes`): pickling the
index took longer than building it. The bot only turns those bytes back into arrays.
Nothing is written to disk, so no file can keep an erased idea's words.

`python -m handlers.ideas.index_worker` reads its request (database URL and PostgreSQL
search path) as JSON on standard input.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.child_process import run_child
from handlers.ideas.similarity import SimilarityIndex
from storage.db import create_engine, create_session_factory
from storage.ideas.repository import IdeasRepository


def can_read_separately(database_url: str) -> bool:
    """Whether another process can open this database (not an in-memory SQLite one)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return True
    database = url.database or ""
    return database not in ("", ":memory:") and "mode=memory" not in database


async def search_path(session: Any, database_url: str) -> str | None:
    """The PostgreSQL search path of the bot's own connections, for the child's.

    The bot may run in a schema given by its connections' settings rather than its URL
    (as `bench.scale` and the storage tests do); the child must read the same tables.
    """
    if make_url(database_url).get_backend_name() != "postgresql":
        return None
    return str(await session.scalar(text("SELECT current_setting('search_path')")))


async def build_in_child(database_url: str, schema_path: str | None) -> SimilarityIndex:
    """The index of the open ideas, built by `python -m handlers.ideas.index_worker`."""
    request = json.dumps({"url": database_url, "search_path": schema_path}).encode()
    out = await run_child(__name__, request)
    # Turning 10 MB into arrays and 50,000 postings is a few tens of milliseconds: in a
    # thread, so that the event loop gets the lock back within the switch interval.
    return await asyncio.to_thread(SimilarityIndex.from_bytes, out)


async def _read_open_ideas(database_url: str, schema_path: str | None) -> list[tuple[int, str]]:
    connect_args = {"server_settings": {"search_path": schema_path}} if schema_path else None
    engine = create_engine(database_url, connect_args=connect_args)
    try:
        async with create_session_factory(engine)() as session:
            return await IdeasRepository(session).open_texts()
    finally:
        await engine.dispose()


def main() -> None:
    request = json.loads(sys.stdin.buffer.read())
    ideas = asyncio.run(_read_open_ideas(request["url"], request["search_path"]))
    sys.stdout.buffer.write(SimilarityIndex.build(ideas).to_bytes())


if __name__ == "__main__":
    main()
