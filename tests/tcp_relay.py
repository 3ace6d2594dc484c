"""A TCP relay whose network can be cut: for tests of what happens when a peer falls silent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.engine import make_url


class CuttableRelay:
    """A TCP relay to PostgreSQL; `cut()` silently drops everything from then on."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.is_cut = False
        self._writers: list[asyncio.StreamWriter] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def _serve(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter):
        server_in, server_out = await asyncio.open_connection(self.host, self.port)
        self._writers += [client_out, server_out]
        for source, sink in ((client_in, server_out), (server_in, client_out)):
            task = asyncio.create_task(self._pipe(source, sink))
            self._tasks.add(task)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        while data := await source.read(65536):
            if not self.is_cut:
                sink.write(data)
                await sink.drain()
        if not self.is_cut:  # a cut network does not pass the close on either
            sink.close()

    def cut(self) -> None:
        self.is_cut = True

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for writer in self._writers:
            writer.close()
        if self._server is not None:
            self._server.close()


@asynccontextmanager
async def relayed_database(url: str) -> AsyncIterator[tuple[str, CuttableRelay]]:
    """`url` rewritten to go through a new relay, and the relay (closed afterwards)."""
    parsed = make_url(url)
    relay = CuttableRelay(parsed.host or "127.0.0.1", parsed.port or 5432)
    port = await relay.start()
    try:
        yield parsed.set(host="127.0.0.1", port=port).render_as_string(hide_password=False), relay
    finally:
        await relay.close()
