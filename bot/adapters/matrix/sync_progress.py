"""Which sync token is safe to persist while handlers still run in the background.

Handlers run as tasks so a slow one cannot stall syncing. A token may only be saved once
every event delivered up to it has been handled; otherwise a crash would skip events that
were received but not yet processed. Replayed events are recognised by their ids.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _Batch:
    token: str
    pending: set[asyncio.Task[Any]] = field(default_factory=set)


class SyncProgress:
    """Tracks handler tasks per sync batch and reports the newest fully handled token."""

    def __init__(self) -> None:
        self._batches: list[_Batch] = []
        self._completed: str | None = None

    def begin(self, token: str) -> None:
        """Start a batch: tasks spawned until the next `begin` belong to `token`."""
        self._batches.append(_Batch(token))

    def spawn(self, work: Coroutine[Any, Any, Any], name: str | None = None) -> asyncio.Task[Any]:
        """Run `work` in the background as part of the current batch, keeping a reference."""
        batch = self._batches[-1]
        task = asyncio.create_task(work, name=name)
        batch.pending.add(task)
        task.add_done_callback(batch.pending.discard)
        return task

    def safe_token(self) -> str | None:
        """The newest token all of whose events (and all earlier ones) have been handled."""
        while self._batches and not self._batches[0].pending:
            self._completed = self._batches.pop(0).token
        return self._completed

    async def drain(self, seconds: float) -> None:
        """Wait (at most `seconds`) for running handlers, e.g. before shutting down."""
        tasks = {task for batch in self._batches for task in batch.pending}
        if tasks:
            await asyncio.wait(tasks, timeout=seconds)

    def cancel_all(self) -> None:
        for batch in self._batches:
            for task in batch.pending:
                task.cancel()
