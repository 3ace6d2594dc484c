"""The emulator as tests use it: start it, build a world, speak as people, read the bot."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.discord_emulator.events import ScheduledEvents
from tests.discord_emulator.gateway import Gateway
from tests.discord_emulator.interactions import Answer, Interactions
from tests.discord_emulator.polls import Polls
from tests.discord_emulator.rate_limits import ALL_ROUTES, LimitedRequest, RateLimits
from tests.discord_emulator.reactions import Reactions
from tests.discord_emulator.refusals import MISSING_PERMISSIONS, Refusals
from tests.discord_emulator.rest import API_PREFIX, RecordedRequest, Rest
from tests.discord_emulator.threads import Thread, ThreadRoutes
from tests.discord_emulator.world import (
    TEXT,
    Channel,
    Guild,
    Member,
    Role,
    StoredMessage,
    User,
    World,
)

DEFAULT_TIMEOUT = 10.0


class DiscordEmulator:
    """A wire-level Discord on 127.0.0.1 (a free port) for discord.py to talk to.

    `api_url` is what discord.py's `Route.BASE` must be, `gateway_url` what its
    `DiscordWebSocket.DEFAULT_GATEWAY` must be. A bot account is created with `add_bot`.
    """

    def __init__(self, latency: float = 0.0) -> None:
        """`latency`: a one-way network delay in seconds, to compare with a real Discord
        (0 answers at once): what a person says reaches the bots' gateway connections that
        much later, and each REST request arrives that much after it was sent (and is
        recorded then) and its answer that much after it was handled."""
        self.latency = latency
        self.world = World()
        self.gateway = Gateway(self.world, lambda: self.gateway_url)
        self.rest = Rest(self.world, self.gateway, lambda: self.base_url)
        self.thread_routes = ThreadRoutes(self.world, self.gateway, self.rest)
        self.rest.before_post = self.thread_routes.wake
        self.reactions = Reactions(self.world, self.gateway)
        self.scheduled_events = ScheduledEvents(self.world, self.gateway)
        self.polls = Polls(self.world, self.gateway)
        self.rate_limits = RateLimits()
        self.refusals = Refusals()
        self.interactions = Interactions(self.world, self.gateway, self.rest)
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Condition()
        self.base_url = ""

    @property
    def api_url(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return self.base_url.replace("http://", "ws://", 1) + "/gateway"

    async def __aenter__(self) -> DiscordEmulator:
        app = web.Application(
            middlewares=[
                self._network,
                self.rate_limits.middleware,
                self.refusals.middleware,
                self.rest.middleware,
            ]
        )
        app.add_routes(
            [
                web.get("/gateway", self.gateway.handle),
                *self.rest.routes(),
                *self.thread_routes.routes(),
            ]
        )
        app.add_routes(self.reactions.routes())
        app.add_routes(self.scheduled_events.routes())
        app.add_routes(self.polls.routes())
        app.add_routes(self.interactions.routes())
        app.on_response_prepare.append(self._notify_changed)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.gateway.drop_connections(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _network(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """The way to Discord and back, when a `latency` is set (the gateway has its own)."""
        if not self.latency or request.path == "/gateway":
            return await handler(request)
        await asyncio.sleep(self.latency)
        response = await handler(request)
        await asyncio.sleep(self.latency)
        return response

    async def _notify_changed(self, request: web.Request, response: web.StreamResponse) -> None:
        async with self._changed:
            self._changed.notify_all()

    # ------------------------------------------------------------------ world

    def add_bot(self, name: str = "smartregion-bot", token: str = "test-token") -> User:
        return self.world.add_user(name, bot=True, token=token)

    def add_user(self, name: str) -> User:
        return self.world.add_user(name)

    def add_guild(self, name: str, owner: User) -> Guild:
        return self.world.add_guild(name, owner)

    def add_role(self, guild: Guild, name: str, permissions: int = 0) -> Role:
        return self.world.add_role(guild, name, permissions)

    def add_member(self, guild: Guild, user: User, *roles: Role) -> Member:
        return self.world.add_member(guild, user, roles)

    def add_channel(self, guild: Guild, name: str, type: int = TEXT) -> Channel:
        return self.world.add_channel(guild, name, type)

    async def invite(self, guild: Guild, bot: User) -> None:
        """The bot is added to the guild while it runs (the invite link): it becomes a
        member and its sessions get GUILD_CREATE without `unavailable` (with it, discord.py
        takes the guild for one that came back from an outage, not a new one)."""
        self.world.add_member(guild, bot)
        joined = guild.payload(self.world)
        del joined["unavailable"]
        await self.gateway.guild_event(bot, "GUILD_CREATE", joined)

    def dm(self, user: User, bot: User) -> str:
        """The id of the DM channel between a person and a bot."""
        return self.world.dm_channel(user.id, bot.id).id

    # ----------------------------------------------------------------- speaking

    async def say(
        self, user: User, channel_id: str, content: str, reply_to: str | None = None
    ) -> str:
        """`user` writes `content` in the channel (optionally as a reply); returns its id."""
        body: dict[str, Any] = {"content": content}
        if reply_to is not None:
            body["message_reference"] = {"message_id": reply_to}
        await self.thread_routes.wake(channel_id)
        message = self.world.store(self.rest.compose(user.id, channel_id, body))
        if self.latency:
            await asyncio.sleep(self.latency)
        await self.gateway.message_event("MESSAGE_CREATE", message)
        async with self._changed:
            self._changed.notify_all()
        return message.id

    async def react(self, user: User, channel_id: str, message_id: str, emoji: str) -> None:
        """`user` reacts to the message with `emoji` (MESSAGE_REACTION_ADD to the bots)."""
        await self.reactions.add(user.id, self._stored(channel_id, message_id), emoji)

    async def unreact(self, user: User, channel_id: str, message_id: str, emoji: str) -> None:
        """`user` takes back their `emoji` on the message (MESSAGE_REACTION_REMOVE)."""
        await self.reactions.remove(user.id, self._stored(channel_id, message_id), emoji)

    async def vote(self, user: User, channel_id: str, message_id: str, answer_id: int) -> None:
        """`user` chooses answer `answer_id` (1..n) of the message's poll
        (MESSAGE_POLL_VOTE_ADD; in a single-choice poll their earlier answer is taken back
        first)."""
        await self.polls.vote(user.id, self._stored(channel_id, message_id), answer_id)

    async def unvote(self, user: User, channel_id: str, message_id: str, answer_id: int) -> None:
        """`user` takes back their vote for answer `answer_id` (MESSAGE_POLL_VOTE_REMOVE)."""
        await self.polls.unvote(user.id, self._stored(channel_id, message_id), answer_id)

    async def slash(
        self,
        user: User,
        channel_id: str,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        bot: User | None = None,
        locale: str = "de",
    ) -> str:
        """`user` runs the bot's slash command `name` (its registered, German name) in the
        channel with `options` (by their registered names, values of their types); returns
        the interaction's id (see interactions.py). `bot` defaults to the bot connected to
        the gateway that can see the channel."""
        bot = bot or self._connected_bot_in(channel_id)
        return await self.interactions.use(user, bot, channel_id, name, options or {}, locale)

    async def autocomplete(
        self,
        user: User,
        channel_id: str,
        name: str,
        focused: str,
        typed: str,
        options: dict[str, Any] | None = None,
        *,
        locale: str = "de",
        within: float = DEFAULT_TIMEOUT,
    ) -> list[dict[str, Any]]:
        """`user` has typed `typed` into the option `focused` of the slash command `name`
        (other `options` filled in already); returns the choices the bot offered."""
        bot = self._connected_bot_in(channel_id)
        used = await self.interactions.use(
            user, bot, channel_id, name, {**(options or {}), focused: typed}, locale, focused
        )
        interaction = self.interactions.interactions[used]
        await self.wait_until(lambda: interaction.choices is not None, within)
        assert interaction.choices is not None
        return interaction.choices

    async def answers(
        self, interaction_id: str, count: int = 1, within: float = DEFAULT_TIMEOUT
    ) -> list[Answer]:
        """The bot's answers to the interaction once there are `count` of them."""
        await self.wait_until(
            lambda: len(self.interactions.answers_to(interaction_id)) >= count, within
        )
        return self.interactions.answers_to(interaction_id)

    def _connected_bot_in(self, channel_id: str) -> User:
        channel = self.world.channels[channel_id]
        there = (
            channel.recipients
            if channel.guild_id is None
            else self.world.guilds[channel.guild_id].members
        )
        connected = {
            session.bot.id
            for session in self.gateway.sessions.values()
            if session.socket is not None and not session.socket.closed
        }
        return next(self.world.users[u] for u in there if u in connected)

    def _stored(self, channel_id: str, message_id: str) -> StoredMessage:
        message = self.world.messages[message_id]
        assert message.channel_id == channel_id, "the message is in another channel"
        return message

    async def interested(self, user: User, guild: Guild, event_id: str) -> None:
        """`user` marks the scheduled event "Interested" (GUILD_SCHEDULED_EVENT_USER_ADD)."""
        assert self.scheduled_events.events[event_id]["guild_id"] == guild.id
        await self.scheduled_events.interested(user.id, event_id, added=True)

    async def not_interested(self, user: User, guild: Guild, event_id: str) -> None:
        """`user` takes back their interest (GUILD_SCHEDULED_EVENT_USER_REMOVE)."""
        assert self.scheduled_events.events[event_id]["guild_id"] == guild.id
        await self.scheduled_events.interested(user.id, event_id, added=False)

    # ------------------------------------------------------------------ reading

    def messages(self, channel_id: str) -> list[StoredMessage]:
        """Every message in the channel, oldest first."""
        return [self.world.messages[m] for m in self.world.history[channel_id]]

    def thread(self, thread_id: str) -> Thread | None:
        """The thread with this id (a thread from a message has the message's id)."""
        channel = self.world.channels.get(thread_id)
        return channel if isinstance(channel, Thread) else None

    def threads(self, parent_id: str) -> list[Thread]:
        """The threads of a text or forum channel, oldest first."""
        return [
            channel
            for channel in self.world.channels.values()
            if isinstance(channel, Thread) and channel.parent_id == parent_id
        ]

    def requests(self, method: str | None = None, path: str = "") -> list[RecordedRequest]:
        """Requests the bots made, optionally of one method and containing `path`."""
        return [
            r
            for r in self.rest.requests
            if (method is None or r.method == method) and path in r.path
        ]

    def request_of(self, message: StoredMessage) -> RecordedRequest:
        """The create-message request that made `message` (matched by its nonce or content)."""
        for request in reversed(self.requests("POST", f"/channels/{message.channel_id}/messages")):
            body = request.json or {}
            if message.nonce is not None and body.get("nonce") == message.nonce:
                return request
            if message.nonce is None and body.get("content") == message.content:
                return request
        raise LookupError(f"No request created message {message.id}")

    async def wait_for(
        self,
        channel_id: str,
        predicate: Callable[[StoredMessage], bool],
        within: float = DEFAULT_TIMEOUT,
    ) -> StoredMessage:
        """The first message in the channel that satisfies `predicate`, waiting for it up to
        `within` seconds."""

        def found() -> StoredMessage | None:
            return next((m for m in self.messages(channel_id) if predicate(m)), None)

        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: found() is not None)
        message = found()
        assert message is not None
        return message

    async def wait_for_thread(self, parent_id: str, within: float = DEFAULT_TIMEOUT) -> Thread:
        """The first thread of a text or forum channel, waiting up to `within` seconds for
        one whose starter message is there (a forum post's is inside the thread)."""

        def found() -> Thread | None:
            return next((t for t in self.threads(parent_id) if t.id in self.world.messages), None)

        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: found() is not None)
        thread = found()
        assert thread is not None
        return thread

    async def reply_to(
        self, channel_id: str, message_id: str, within: float = DEFAULT_TIMEOUT
    ) -> StoredMessage:
        """The first message replying to `message_id` (by `message_reference`)."""
        return await self.wait_for(
            channel_id,
            lambda m: m.reference is not None and m.reference["message_id"] == message_id,
            within,
        )

    async def wait_until(
        self, condition: Callable[[], bool], within: float = DEFAULT_TIMEOUT
    ) -> None:
        """Wait until `condition()` holds, checked after each request the bots make."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(condition)

    # ------------------------------------------------------------------- faults

    async def send_reconnect(self) -> None:
        await self.gateway.send_reconnect()

    async def invalidate_sessions(self, resumable: bool = False) -> None:
        await self.gateway.invalidate_sessions(resumable)

    async def drop_connections(self) -> None:
        await self.gateway.drop_connections()

    async def redeliver(self, event: str) -> None:
        """Every session gets its last `event` dispatch once more (e.g. a reaction)."""
        await self.gateway.redeliver(event)

    def rate_limit(self, route_pattern: str, times: int, retry_after: float) -> None:
        """The next `times` REST requests whose "METHOD /path" (without `/api/v10`) matches
        the regular expression `route_pattern` get a per-route 429 (see rate_limits.py)."""
        self.rate_limits.arm(route_pattern, times, retry_after, is_global=False)

    def refuse(
        self,
        route_pattern: str,
        times: int,
        status: int = 403,
        code: int = MISSING_PERMISSIONS,
        message: str = "Missing Permissions",
    ) -> None:
        """The next `times` REST requests whose "METHOD /path" matches the regular
        expression `route_pattern` get the error (see refusals.py); by default 403 Missing
        Permissions."""
        self.refusals.arm(route_pattern, times, status, code, message)

    def lose_answer(self, route_pattern: str, times: int = 1) -> None:
        """The next `times` REST requests whose "METHOD /path" matches take effect, but the
        connection drops before their answer (see refusals.py)."""
        self.refusals.arm_lost_answer(route_pattern, times)

    def rate_limit_globally(self, times: int, retry_after: float) -> None:
        """The next `times` REST requests, whatever their route, get a global 429."""
        self.rate_limits.arm(ALL_ROUTES, times, retry_after, is_global=True)

    def expire_nonces(self) -> None:
        """Let Discord's `enforce_nonce` window pass: a nonce sent before no longer finds
        its message (as after a crash and a restart minutes later)."""
        self.rest.forget_nonces()

    def rate_limited(self) -> list[LimitedRequest]:
        """The requests refused with 429 so far, in order."""
        return list(self.rate_limits.limited)
