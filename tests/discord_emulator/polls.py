"""Polls in the emulated Discord: votes by people, ending and voter lists for bots.

A bot creates a poll by sending a message with `poll` (`rest.py` builds it, `poll_state.py`
holds it). People vote through the test API (`DiscordEmulator.vote` / `unvote`), each vote
or withdrawal of one answer a MESSAGE_POLL_VOTE_ADD / MESSAGE_POLL_VOTE_REMOVE to every
session with the polls intent of the channel's kind. As Discord's client does, choosing
another answer of a single-choice poll first takes the earlier one back (a REMOVE, then an
ADD). The author ends the poll early with `POST …/polls/{message}/expire`: the results are
final and a MESSAGE_UPDATE goes out. `GET …/polls/{message}/answers/{answer}` lists an
answer's voters by user id, `after` and `limit` as Discord pages them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.discord_emulator.poll_state import EmulatedPoll
from tests.discord_emulator.rest import API_PREFIX, BOT, DiscordError, json_answer, unknown
from tests.discord_emulator.world import StoredMessage, User, World

if TYPE_CHECKING:
    from tests.discord_emulator.gateway import Gateway

GUILD_MESSAGE_POLLS = 1 << 24
DIRECT_MESSAGE_POLLS = 1 << 25
POLL_EXPIRED = 520001
NOT_A_POLL = 520006
VOTERS_DEFAULT_LIMIT, VOTERS_MAX_LIMIT = 25, 100


class Polls:
    """Votes, early ends and voter lists of the polls on messages."""

    def __init__(self, world: World, gateway: Gateway) -> None:
        self.world = world
        self.gateway = gateway

    def routes(self) -> list[web.RouteDef]:
        base = f"{API_PREFIX}/channels/{{channel}}/polls/{{message}}"
        return [
            web.post(f"{base}/expire", self.expire),
            web.get(f"{base}/answers/{{answer}}", self.voters),
        ]

    async def expire(self, request: web.Request) -> web.Response:
        """End the poll now (its author only); answers the updated message."""
        bot: User = request[BOT]
        message = self._message(request)
        poll = self._open_poll(message)
        if message.author_id != bot.id:
            raise DiscordError(403, 50005, "Cannot expire a poll authored by another user")
        poll.expiry = datetime.now(UTC)
        poll.finalized = True
        await self.gateway.message_event("MESSAGE_UPDATE", message)
        return json_answer(message.payload(self.world, viewer=bot.id))

    async def voters(self, request: web.Request) -> web.Response:
        """The users who chose the answer, by ascending id after `after`."""
        poll = self._poll(self._message(request))
        answer = int(request.match_info["answer"])
        if not 1 <= answer <= len(poll.answers):
            raise unknown("Poll answer", 10018)
        after = int(request.query.get("after", 0))
        limit = min(int(request.query.get("limit", VOTERS_DEFAULT_LIMIT)), VOTERS_MAX_LIMIT)
        ids = sorted((u for u in poll.votes.get(answer, []) if int(u) > after), key=int)[:limit]
        return json_answer({"users": [self.world.users[u].payload() for u in ids]})

    # ------------------------------------------------------------------ people

    async def vote(self, user_id: str, message: StoredMessage, answer: int) -> bool:
        """Add the person's vote for `answer`; False if it was there already."""
        poll = self._open_poll(message)
        assert 1 <= answer <= len(poll.answers), f"the poll has no answer {answer}"
        if user_id in poll.votes.get(answer, []):
            return False
        if not poll.allow_multiselect:
            for earlier in [a for a, users in poll.votes.items() if user_id in users]:
                await self.unvote(user_id, message, earlier)
        poll.votes.setdefault(answer, []).append(user_id)
        await self._dispatch("MESSAGE_POLL_VOTE_ADD", message, user_id, answer)
        return True

    async def unvote(self, user_id: str, message: StoredMessage, answer: int) -> bool:
        """Take back the person's vote for `answer`; False if there was none."""
        poll = self._open_poll(message)
        if user_id not in poll.votes.get(answer, []):
            return False
        poll.votes[answer].remove(user_id)
        await self._dispatch("MESSAGE_POLL_VOTE_REMOVE", message, user_id, answer)
        return True

    async def _dispatch(
        self, event: str, message: StoredMessage, user_id: str, answer: int
    ) -> None:
        """To every session that sees the channel and asked for its kind of poll events."""
        channel = self.world.channels[message.channel_id]
        data: dict[str, Any] = {
            "user_id": user_id,
            "channel_id": message.channel_id,
            "message_id": message.id,
            "answer_id": answer,
        }
        if channel.guild_id is not None:
            data["guild_id"] = channel.guild_id
        await self.gateway.channel_event(
            channel.id, event, data, GUILD_MESSAGE_POLLS, DIRECT_MESSAGE_POLLS
        )

    # ----------------------------------------------------------------- helpers

    @staticmethod
    def _poll(message: StoredMessage) -> EmulatedPoll:
        if message.poll is None:
            raise DiscordError(400, NOT_A_POLL, "Cannot expire a non-poll message")
        return message.poll

    def _open_poll(self, message: StoredMessage) -> EmulatedPoll:
        poll = self._poll(message)
        if poll.finalized or poll.expiry <= datetime.now(UTC):
            raise DiscordError(400, POLL_EXPIRED, "Poll expired")
        return poll

    def _message(self, request: web.Request) -> StoredMessage:
        channel = self.world.channels.get(request.match_info["channel"])
        if channel is None:
            raise unknown("Channel", 10003)
        message = self.world.messages.get(request.match_info["message"])
        if message is None or message.channel_id != channel.id:
            raise unknown("Message", 10008)
        return message
