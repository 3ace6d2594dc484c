"""Catching up on what was said while the bot was down, and remembering what it handled.

Discord's gateway replays missed events only on RESUME. After a full IDENTIFY (a start, or
a session Discord invalidated) whatever was said meanwhile is only in the channels'
history, so at each READY the adapter reads every channel after the last message it
handled there (its cursor) and handles those messages as if they had just arrived. The
router's processed-events table makes a message handled once, whichever way it came.
"""

from __future__ import annotations

from bot.adapters.discord.identity import PLATFORM
from storage.uow import UnitOfWork, UnitOfWorkFactory

NEVER_HANDLED = 0
"""The cursor of a channel without messages when the bot first saw it: all of its history
is new."""


class ChannelCursors:
    """Per channel, the newest message id up to which everything has been handled.

    Messages are handled concurrently (discord.py runs each event as a task), so a cursor
    advances to a finished message only when no older message of the channel is still in
    flight; otherwise to just before the oldest one in flight. It never moves back, so a
    crash can repeat work (deduplicated by the router) but never skip it. For the same
    reason its write needs no commit of its own: it is deferred to the next transaction
    (`UnitOfWorkFactory.defer`), and a crash before that only makes the catch-up re-read
    the last second of a channel.
    """

    def __init__(self, unit_of_work: UnitOfWorkFactory) -> None:
        self._unit_of_work = unit_of_work
        self._stored: dict[str, int] = {}
        self._in_flight: dict[str, set[int]] = {}

    async def load(self) -> dict[str, int]:
        """The stored cursors, channel id to message id (read at each READY)."""
        async with self._unit_of_work() as uow:
            stored = await uow.cursors.all(PLATFORM)
        for channel, event in stored.items():
            self._stored[channel] = max(self._stored.get(channel, NEVER_HANDLED), int(event))
        return dict(self._stored)

    def begin(self, channel_id: str, message_id: int) -> bool:
        """Mark a message as being handled; False if it already is (it came live and from
        the history at once), and then it must not be handled a second time."""
        in_flight = self._in_flight.setdefault(channel_id, set())
        if message_id in in_flight:
            return False
        in_flight.add(message_id)
        return True

    def finish(self, channel_id: str, message_id: int) -> None:
        """The message's work is stored: advance the channel's cursor as far as safe."""
        in_flight = self._in_flight[channel_id]
        in_flight.discard(message_id)
        older = [pending for pending in in_flight if pending < message_id]
        self.advance(channel_id, min(older) - 1 if older else message_id)

    def start(self, channel_id: str, message_id: int | None) -> None:
        """A channel seen for the first time: what is in it so far was said before the bot
        listened there and is not caught up; everything after `message_id` is."""
        if channel_id not in self._stored:
            self.advance(channel_id, message_id or NEVER_HANDLED)

    def advance(self, channel_id: str, message_id: int) -> None:
        if message_id <= self._stored.get(channel_id, -1):
            return
        self._stored[channel_id] = message_id

        async def write(uow: UnitOfWork) -> None:
            await uow.cursors.set(PLATFORM, channel_id, str(self._stored[channel_id]))

        self._unit_of_work.defer((PLATFORM, "cursor", channel_id), write)
