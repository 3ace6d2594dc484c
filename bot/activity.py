"""Whether the bot is handling people's events right now, for work that can wait for it.

Right after a start, the first sync's commands and a handful of follow-ups want the event
loop and the database at the same moment: overdue jobs, cross-signing, the answers a stop
left unsent. The follow-ups can wait a moment; the citizen who typed a command should not
(bench.scale: the first `!ideen top` on PostgreSQL took 179 ms, of which the command's own
work was about 28 ms, the rest it waited beside those follow-ups).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

SETTLE_AT_MOST_S = 2.0
"""The longest that work yielding to people's events waits: a bot that is never idle (a
viral poll) still sends its reminders, at most this late."""


class Activity:
    """Counts the events being handled; `settled()` waits until there are none.

    The adapters count a delivery from the moment they hand it over (before the router has
    looked at it), the router counts what it dispatches; counts nest.
    """

    def __init__(self, at_most_s: float = SETTLE_AT_MOST_S) -> None:
        self.at_most_s = at_most_s
        self._handling = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def busy(self) -> bool:
        return self._handling > 0

    def begin(self) -> None:
        """An event is being handled from now on (one `end()` for each)."""
        self._handling += 1
        self._idle.clear()

    def end(self) -> None:
        self._handling -= 1
        if self._handling == 0:
            self._idle.set()

    @contextlib.contextmanager
    def handling(self) -> Iterator[None]:
        """Count the block as handling an event."""
        self.begin()
        try:
            yield
        finally:
            self.end()

    async def settled(self) -> None:
        """Return once no event is being handled, or after `at_most_s` at the latest.

        Nothing is dropped or skipped by waiting here: the caller only runs later.
        """
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), self.at_most_s)
