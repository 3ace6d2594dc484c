"""Building the similar-idea index in a child process, so the bot's own process stays quick.

Indexing 89,000 open ideas is 2.2 s of pure Python. In a worker thread it held the
interpreter lock right when the first commands after a start ran: each of their database
round trips waited for the lock, and the first `!ideen top` took 1.5 s instead of 20 ms
(`bench.scale`). Yielding the lock more often, event-loop slices and a shorter switch
interval did not help (docs/benchmarks.md). A child process runs on another core and shares
no lock: it reads the open ideas itself, builds the index and writes it to its standard
output as a few flat arrays (`SimilarityIndex.to_bytes`); the bot only turns those bytes
back into arrays. Nothing is written to disk, so no file can keep an erased idea's words.

`python -m handlers.ideas.index_worker` reads its request (database URL and PostgreSQL
search path) as JSON on standard input: a URL with a password never shows in `ps`.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from handlers.ideas.similarity import SimilarityIndex
from storage.db import create_engine, create_session_factory
from storage.ideas.repository import IdeasRepository


class IndexWorkerFailed(RuntimeError):
    """The child process did not deliver an index (its error output is in the message)."""


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
    """The index of the open ideas, built by `python -m handlers.ideas.index_worker`.

    If the caller is cancelled (the bot stops), the child is killed.
    """
    request = json.dumps({"url": database_url, "search_path": schema_path}).encode()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        __name__,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_child_environment(),
    )
    try:
        out, err = await process.communicate(request)
    except BaseException:
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    if process.returncode != 0:
        tail = err.decode(errors="replace")[-2000:]
        raise IndexWorkerFailed(f"index worker exited with {process.returncode}: {tail}")
    # Turning 10 MB into arrays and 50,000 postings is a few tens of milliseconds: in a
    # thread, so that the event loop gets the lock back within the switch interval.
    return await asyncio.to_thread(SimilarityIndex.from_bytes, out)


def _child_environment() -> dict[str, str]:
    """The bot's environment, with the directory this code came from first on the path:
    the child must run the same code as the bot, also from a checkout that is not
    installed."""
    source = str(Path(__file__).resolve().parents[2])
    paths = [source, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


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
