"""The emulated gateway: HELLO, IDENTIFY/READY/GUILD_CREATE, heartbeats, RESUME and faults.

JSON over text frames, no compression: discord.py asks for `zlib-stream` but reads a text
frame as plain JSON, so the emulator ignores the `compress` query. Each session keeps every
dispatch it was sent (or would have been sent while disconnected), so a RESUME replays
what came after the client's sequence number, as Discord does for a resumable session.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from tests.discord_emulator.world import DM, StoredMessage, User, World

if TYPE_CHECKING:
    from collections.abc import Callable

logger = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_MS = 41_250
DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, RESUME = 0, 1, 2, 3, 6
RECONNECT, REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 7, 8, 9, 10, 11

GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = GUILD_MEMBERS | (1 << 8) | MESSAGE_CONTENT
"""Members, presences and message content: switched on per application in the portal."""

AUTHENTICATION_FAILED = 4004
DISALLOWED_INTENTS = 4014


@dataclass
class Session:
    """One gateway session of a bot: what it asked for and every dispatch it was sent."""

    id: str
    bot: User
    intents: int
    log: list[dict[str, Any]] = field(default_factory=list)
    socket: web.WebSocketResponse | None = None

    @property
    def sequence(self) -> int:
        return len(self.log)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        frame = {"op": DISPATCH, "t": event, "s": self.sequence + 1, "d": data}
        self.log.append(frame)
        await self._send(frame)

    async def replay_after(self, sequence: int) -> None:
        for frame in self.log[sequence:]:
            await self._send(frame)

    async def redeliver(self, event: str) -> None:
        """Send the last `event` dispatch again as it was (same `s`)."""
        last = next((frame for frame in reversed(self.log) if frame["t"] == event), None)
        if last is not None:
            await self._send(last)

    async def _send(self, frame: dict[str, Any]) -> None:
        if self.socket is not None and not self.socket.closed:
            await self.socket.send_str(json.dumps(frame))


class Gateway:
    """The WebSocket endpoint and the live sessions; test faults act on it."""

    def __init__(self, world: World, resume_url: Callable[[], str]) -> None:
        self.world = world
        self.resume_url = resume_url
        self.sessions: dict[str, Session] = {}
        self.sockets: set[web.WebSocketResponse] = set()
        self.privileged_intents = PRIVILEGED_INTENTS
        """What the developer portal switched on; asking for more closes with 4014."""
        self.identifies = 0
        self.resumes = 0

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(max_msg_size=0)
        await socket.prepare(request)
        self.sockets.add(socket)
        session: Session | None = None
        try:
            hello = {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}
            await socket.send_str(json.dumps({"op": HELLO, "d": hello, "s": None, "t": None}))
            async for frame in socket:
                if frame.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(frame.data)
                session = await self._receive(socket, session, payload) or session
        finally:
            self.sockets.discard(socket)
            if session is not None and session.socket is socket:
                session.socket = None
        return socket

    async def _receive(
        self, socket: web.WebSocketResponse, session: Session | None, payload: dict[str, Any]
    ) -> Session | None:
        op, data = payload.get("op"), payload.get("d")
        if op == HEARTBEAT:
            await socket.send_str(json.dumps({"op": HEARTBEAT_ACK, "d": None}))
        elif op == IDENTIFY:
            return await self._identify(socket, data)
        elif op == RESUME:
            return await self._resume(socket, data)
        elif op == REQUEST_MEMBERS and session is not None:
            await self._members_chunk(session, data)
        return None

    async def _identify(
        self, socket: web.WebSocketResponse, data: dict[str, Any]
    ) -> Session | None:
        bot = self._bot_of(data.get("token"))
        if bot is None:
            await socket.close(code=AUTHENTICATION_FAILED, message=b"Authentication failed.")
            return None
        intents = int(data.get("intents", 0))
        if intents & PRIVILEGED_INTENTS & ~self.privileged_intents:
            await socket.close(code=DISALLOWED_INTENTS, message=b"Disallowed intent(s).")
            return None
        self.identifies += 1
        for old in [s for s in self.sessions.values() if s.bot.id == bot.id]:
            del self.sessions[old.id]
        session = Session(self.world.ids.next(), bot, intents, socket=socket)
        self.sessions[session.id] = session
        guilds = [g for g in self.world.guilds.values() if bot.id in g.members]
        await session.dispatch(
            "READY",
            {
                "v": 10,
                "user": {**bot.payload(), "verified": True, "mfa_enabled": False, "flags": 0},
                "guilds": [{"id": guild.id, "unavailable": True} for guild in guilds],
                "session_id": session.id,
                "resume_gateway_url": self.resume_url(),
                "application": {"id": bot.id, "flags": 0},
                "private_channels": [],
                "relationships": [],
            },
        )
        if intents & GUILDS:
            for guild in guilds:
                await session.dispatch("GUILD_CREATE", guild.payload(self.world))
        return session

    async def _resume(self, socket: web.WebSocketResponse, data: dict[str, Any]) -> Session | None:
        session = self.sessions.get(str(data.get("session_id")))
        bot = self._bot_of(data.get("token"))
        if session is None or bot is None or session.bot.id != bot.id:
            await socket.send_str(json.dumps({"op": INVALID_SESSION, "d": False}))
            return None
        self.resumes += 1
        session.socket = socket
        await session.replay_after(int(data.get("seq") or 0))
        await session.dispatch("RESUMED", {})
        return session

    async def _members_chunk(self, session: Session, data: dict[str, Any]) -> None:
        guild = self.world.guilds.get(str(data.get("guild_id")))
        if guild is None:
            return
        members = [member.payload(self.world) for member in guild.members.values()]
        chunk = {
            "guild_id": guild.id,
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        await session.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    def _bot_of(self, token: object) -> User | None:
        return next((u for u in self.world.users.values() if u.bot and u.token == token), None)

    # ------------------------------------------------------------- dispatches

    async def message_event(self, event: str, message: StoredMessage) -> None:
        """MESSAGE_CREATE/UPDATE to every session that can see the channel, by its intents.

        Without the Message Content intent a guild message arrives with empty content,
        unless the bot wrote it or is mentioned in it (DMs always carry content).
        """
        channel = self.world.channels[message.channel_id]
        for session in self.sessions_seeing(channel.id, GUILD_MESSAGES, DIRECT_MESSAGES):
            bot = session.bot.id
            data = message.payload(self.world, gateway=True, viewer=bot)
            readable = (
                channel.type == DM
                or session.intents & MESSAGE_CONTENT
                or message.author_id == bot
                or bot in message.mentions
            )
            if not readable:
                data.update(content="", embeds=[], attachments=[], components=[])
            await session.dispatch(event, data)

    def sessions_seeing(self, channel_id: str, guild_intent: int, dm_intent: int) -> list[Session]:
        """The sessions whose bot sees the channel (a member of its guild, a recipient of the
        DM) and asked for that kind of event with the intent for guilds or for DMs."""
        channel = self.world.channels[channel_id]
        if channel.type == DM:
            return [
                session
                for session in list(self.sessions.values())
                if session.bot.id in channel.recipients and session.intents & dm_intent
            ]
        members = self.world.guilds[channel.guild_id or ""].members
        return [
            session
            for session in list(self.sessions.values())
            if session.bot.id in members and session.intents & guild_intent
        ]

    async def channel_event(
        self, channel_id: str, event: str, data: dict[str, Any], guild_intent: int, dm_intent: int
    ) -> None:
        """`event` to every session that sees the channel and asked for its kind of event."""
        for session in self.sessions_seeing(channel_id, guild_intent, dm_intent):
            await session.dispatch(event, data)

    async def guild_event(self, bot: User, event: str, data: dict[str, Any]) -> None:
        """GUILD_CREATE or GUILD_DELETE to the bot's sessions that asked for guild events."""
        for session in list(self.sessions.values()):
            if session.bot.id == bot.id and session.intents & GUILDS:
                await session.dispatch(event, data)

    # ------------------------------------------------------------------ faults

    async def redeliver(self, event: str) -> None:
        """Send every session its last `event` dispatch again, same sequence number and all,
        as a gateway delivering at least once may."""
        for session in self.sessions.values():
            await session.redeliver(event)

    async def send_reconnect(self) -> None:
        """Op 7 on every connection: the client closes and resumes."""
        for session in self.sessions.values():
            if session.socket is not None and not session.socket.closed:
                await session.socket.send_str(json.dumps({"op": RECONNECT, "d": None}))

    async def invalidate_sessions(self, resumable: bool = False) -> None:
        """Op 9 on every connection; a session that cannot resume is forgotten."""
        for session in list(self.sessions.values()):
            if session.socket is not None and not session.socket.closed:
                await session.socket.send_str(json.dumps({"op": INVALID_SESSION, "d": resumable}))
            if not resumable:
                del self.sessions[session.id]

    async def drop_connections(self, code: int = 4000) -> None:
        """Close every socket as a failing gateway would; sessions stay resumable."""
        for socket in list(self.sockets):
            await socket.close(code=code, message=b"Unknown error.")
