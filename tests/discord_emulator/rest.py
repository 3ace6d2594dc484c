"""The emulated REST API: the routes discord.py calls for messages, DMs, channels, members.

Answers carry `Content-Type: application/json` exactly: discord.py parses a body as JSON
only then (aiohttp's `json_response` would add `; charset=utf-8`). Errors have Discord's
shape (`{"code", "message"}`) and status, so discord.py raises its own exceptions.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.discord_emulator.poll_state import EmulatedPoll, PollBodyError
from tests.discord_emulator.world import REPLY, StoredMessage, User, World, iso_now

if TYPE_CHECKING:
    from tests.discord_emulator.gateway import Gateway

API_PREFIX = "/api/v10"
MAX_CONTENT = 2000
MAX_NONCE = 25
NONCE_WINDOW = timedelta(minutes=5)
"""How long `enforce_nonce` finds an earlier message (Discord: "the past few minutes")."""
DEFAULT_LIMIT, MAX_LIMIT = 50, 100

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


BOT = web.RequestKey("bot", User)
BODY = web.RequestKey("body", object)
FILES = web.RequestKey("files", list)


class DiscordError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def unknown(what: str, code: int) -> DiscordError:
    return DiscordError(404, code, f"Unknown {what}")


def invalid(message: str) -> DiscordError:
    return DiscordError(400, 50035, f"Invalid Form Body: {message}")


def _token_authenticated(path: str) -> bool:
    """Interaction callbacks and webhooks: their token in the path is their credential."""
    return path.startswith((f"{API_PREFIX}/interactions/", f"{API_PREFIX}/webhooks/"))


def json_answer(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        body=json.dumps(data).encode(),
        headers={"Content-Type": "application/json"},
    )


@dataclass
class RecordedRequest:
    """A request the bot made: for assertions on what exactly went over the wire."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: list[tuple[str, bytes]] = field(default_factory=list)
    """Uploaded files as (filename, content)."""
    at: float = field(default_factory=time.monotonic)
    """When the request had arrived (`time.monotonic()`, its body read): the end of a
    round trip for the latency benchmark."""


def mentioned(
    world: World, content: str, allowed: dict[str, Any] | None, reply_to: StoredMessage | None
) -> tuple[list[str], list[str], bool]:
    """Who a message pings: (users, roles, everyone), by Discord's `allowed_mentions` rules.

    Without `allowed_mentions` everything in the text pings, and so does the author of the
    message replied to. With it, only what `parse` or the id lists allow, and the replied-to
    author only with `replied_user: true`.
    """
    if allowed is None:
        allowed = {"parse": ["users", "roles", "everyone"], "replied_user": True}
    parse = allowed.get("parse") or []
    user_ids = {str(user) for user in allowed.get("users") or []}
    role_ids = {str(role) for role in allowed.get("roles") or []}
    if ("users" in parse and user_ids) or ("roles" in parse and role_ids):
        raise invalid("allowed_mentions: parse and an id list are mutually exclusive")
    users = [
        user
        for user in dict.fromkeys(_USER_MENTION.findall(content))
        if user in world.users and ("users" in parse or user in user_ids)
    ]
    if reply_to is not None and allowed.get("replied_user") and reply_to.author_id not in users:
        users.append(reply_to.author_id)
    roles = [
        role
        for role in dict.fromkeys(_ROLE_MENTION.findall(content))
        if "roles" in parse or role in role_ids
    ]
    everyone = "everyone" in parse and ("@everyone" in content or "@here" in content)
    return users, roles, everyone


class Rest:
    """Route handlers over the world; every created or edited message goes to the gateway."""

    def __init__(self, world: World, gateway: Gateway, base_url: Any) -> None:
        self.world = world
        self.gateway = gateway
        self.base_url = base_url
        self.requests: list[RecordedRequest] = []
        self.files: dict[str, bytes] = {}
        self._nonces: dict[tuple[str, str], tuple[str, datetime]] = {}
        self.before_post: Callable[[str], Awaitable[None]] | None = None
        """Called with the channel id before a message is posted there (threads wake up)."""

    def forget_nonces(self) -> None:
        """Discord's `enforce_nonce` window has passed for every nonce sent so far."""
        self._nonces.clear()

    def routes(self) -> list[web.RouteDef]:
        p = API_PREFIX
        return [
            web.get(f"{p}/gateway", self.gateway_url),
            web.get(f"{p}/gateway/bot", self.gateway_url),
            web.get(f"{p}/users/@me", self.me),
            web.get(f"{p}/oauth2/applications/@me", self.application),
            web.post(f"{p}/users/@me/channels", self.open_dm),
            web.get(f"{p}/channels/{{channel}}", self.get_channel),
            web.get(f"{p}/channels/{{channel}}/messages", self.list_messages),
            web.post(f"{p}/channels/{{channel}}/messages", self.create_message),
            web.get(f"{p}/channels/{{channel}}/messages/{{message}}", self.get_message),
            web.patch(f"{p}/channels/{{channel}}/messages/{{message}}", self.edit_message),
            web.get(f"{p}/guilds/{{guild}}/members/{{user}}", self.get_member),
            web.delete(f"{p}/users/@me/guilds/{{guild}}", self.leave_guild),
            web.get("/attachments/{attachment}/{filename}", self.download),
        ]

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Authenticate as a bot, record the request, turn DiscordError into Discord's JSON."""
        if not request.path.startswith(API_PREFIX) or request.path.endswith("/gateway"):
            return await handler(request)
        bot = self._bot(request)
        if bot is None and not _token_authenticated(request.path):
            return json_answer({"message": "401: Unauthorized", "code": 0}, status=401)
        request[BOT] = bot
        body, files = await self._body(request)
        request[BODY] = body
        request[FILES] = files
        self.requests.append(
            RecordedRequest(request.method, request.path, dict(request.query), body, files)
        )
        try:
            return await handler(request)
        except DiscordError as error:
            return json_answer({"message": error.message, "code": error.code}, error.status)

    def _bot(self, request: web.Request) -> User | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bot":
            return None
        return next((u for u in self.world.users.values() if u.bot and u.token == token), None)

    async def _body(self, request: web.Request) -> tuple[Any, list[tuple[str, bytes]]]:
        """JSON, or multipart with `payload_json` and `files[n]` parts."""
        if not request.can_read_body:
            return None, []
        if request.content_type != "multipart/form-data":
            return await request.json(), []
        body: Any = None
        files: list[tuple[str, bytes]] = []
        reader = await request.multipart()
        async for part in reader:
            data = await part.read()  # type: ignore[union-attr]
            if part.name == "payload_json":
                body = json.loads(data)
            else:
                files.append((part.filename or "file", bytes(data)))  # type: ignore[union-attr]
        return body, files

    # ------------------------------------------------------------------ routes

    async def gateway_url(self, request: web.Request) -> web.Response:
        start_limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        url = self.gateway.resume_url()
        return json_answer({"url": url, "shards": 1, "session_start_limit": start_limit})

    async def me(self, request: web.Request) -> web.Response:
        bot: User = request[BOT]
        return json_answer({**bot.payload(), "verified": True, "mfa_enabled": False, "flags": 0})

    async def application(self, request: web.Request) -> web.Response:
        bot: User = request[BOT]
        return json_answer(
            {
                "id": bot.id,
                "name": bot.name,
                "icon": None,
                "description": "",
                "bot_public": False,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "flags": 0,
                "team": None,
                "owner": bot.payload(),
                "bot": bot.payload(),
                "interactions_endpoint_url": None,
            }
        )

    async def open_dm(self, request: web.Request) -> web.Response:
        bot: User = request[BOT]
        recipient = str((request[BODY] or {}).get("recipient_id"))
        if recipient not in self.world.users:
            raise unknown("User", 10013)
        channel = self.world.dm_channel(bot.id, recipient)
        return json_answer(channel.payload(self.world, viewer=bot.id))

    async def get_channel(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        return json_answer(channel.payload(self.world, viewer=request[BOT].id))

    async def get_member(self, request: web.Request) -> web.Response:
        guild = self.world.guilds.get(request.match_info["guild"])
        if guild is None:
            raise unknown("Guild", 10004)
        member = guild.members.get(request.match_info["user"])
        if member is None:
            raise unknown("Member", 10007)
        return json_answer(member.payload(self.world))

    async def leave_guild(self, request: web.Request) -> web.Response:
        """The bot leaves a guild: no longer a member, GUILD_DELETE (without `unavailable`)
        to its sessions, 204."""
        bot: User = request[BOT]
        guild = self.world.guilds.get(request.match_info["guild"])
        if guild is None or not self.world.remove_member(guild, bot.id):
            raise unknown("Guild", 10004)
        await self.gateway.guild_event(bot, "GUILD_DELETE", {"id": guild.id})
        return web.Response(status=204)

    async def list_messages(self, request: web.Request) -> web.Response:
        """Newest first, as Discord lists them; `after` gives the oldest `limit` after it."""
        channel = self._channel(request)
        ids = self.world.history[channel.id]
        limit = min(int(request.query.get("limit", DEFAULT_LIMIT)), MAX_LIMIT)
        if "after" in request.query:
            after = int(request.query["after"])
            chosen = [m for m in ids if int(m) > after][:limit]
        elif "before" in request.query:
            before = int(request.query["before"])
            chosen = [m for m in ids if int(m) < before][-limit:]
        else:
            chosen = ids[-limit:]
        viewer = request[BOT].id
        messages = [
            self.world.messages[m].payload(self.world, viewer=viewer) for m in reversed(chosen)
        ]
        return json_answer(messages)

    async def get_message(self, request: web.Request) -> web.Response:
        return json_answer(self._message(request).payload(self.world, viewer=request[BOT].id))

    async def create_message(self, request: web.Request) -> web.Response:
        bot: User = request[BOT]
        channel = self._channel(request)
        body = request[BODY] or {}
        nonce = body.get("nonce")
        if isinstance(nonce, str) and len(nonce) > MAX_NONCE:
            raise invalid(f"nonce must be at most {MAX_NONCE} characters")
        if body.get("enforce_nonce") and nonce is not None:
            earlier = self._nonces.get((bot.id, str(nonce)))
            if earlier is not None and datetime.now(UTC) - earlier[1] < NONCE_WINDOW:
                return json_answer(self.world.messages[earlier[0]].payload(self.world))
        # The body lists the files by upload index with what they carry besides their data.
        described = {
            int(item["id"]): item["description"]
            for item in body.get("attachments") or []
            if item.get("description")
        }
        attachments = [
            self._attachment(name, data, described.get(index))
            for index, (name, data) in enumerate(request[FILES])
        ]
        if self.before_post is not None:
            await self.before_post(channel.id)
        message = self.compose(bot.id, channel.id, body, attachments)
        if nonce is not None:
            self._nonces[(bot.id, str(nonce))] = (message.id, datetime.now(UTC))
        self.world.store(message)
        await self.gateway.message_event("MESSAGE_CREATE", message)
        return json_answer(message.payload(self.world))

    async def edit_message(self, request: web.Request) -> web.Response:
        bot: User = request[BOT]
        message = self._message(request)
        if message.author_id != bot.id:
            raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
        body = request[BODY] or {}
        if "content" in body:
            content = body["content"] or ""
            if len(content) > MAX_CONTENT:
                raise invalid(f"content must be {MAX_CONTENT} or fewer in length")
            reply_to = self._referenced(message.reference)
            users, roles, everyone = mentioned(
                self.world, content, body.get("allowed_mentions"), reply_to
            )
            message.content = content
            message.mentions, message.mention_roles, message.mention_everyone = (
                users,
                roles,
                everyone,
            )
        message.edited_timestamp = iso_now()
        await self.gateway.message_event("MESSAGE_UPDATE", message)
        return json_answer(message.payload(self.world, viewer=bot.id))

    async def download(self, request: web.Request) -> web.Response:
        data = self.files.get(request.match_info["attachment"])
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data, content_type="application/octet-stream")

    # ----------------------------------------------------------------- helpers

    def compose(
        self,
        author_id: str,
        channel_id: str,
        body: dict[str, Any],
        attachments: list[dict[str, Any]] | None = None,
    ) -> StoredMessage:
        """A new message from a create-message body, validated as Discord validates it."""
        content = body.get("content") or ""
        if len(content) > MAX_CONTENT:
            raise invalid(f"content must be {MAX_CONTENT} or fewer in length")
        poll = self._poll(body.get("poll"))
        if not content and not attachments and poll is None:
            raise DiscordError(400, 50006, "Cannot send an empty message")
        reference = body.get("message_reference")
        reply_to = None
        if reference is not None:
            reply_to = self.world.messages.get(str(reference.get("message_id")))
            if reply_to is None and reference.get("fail_if_not_exists", True):
                raise invalid("message_reference: Unknown message")
            reference = (
                {
                    "message_id": reply_to.id,
                    "channel_id": reply_to.channel_id,
                    **self._guild_of(reply_to.channel_id),
                }
                if reply_to is not None
                else None
            )
        users, roles, everyone = mentioned(
            self.world, content, body.get("allowed_mentions"), reply_to
        )
        return StoredMessage(
            id=self.world.ids.next(),
            channel_id=channel_id,
            author_id=author_id,
            content=content,
            type=REPLY if reference else 0,
            reference=reference,
            nonce=body.get("nonce"),
            mentions=users,
            mention_roles=roles,
            mention_everyone=everyone,
            attachments=attachments or [],
            poll=poll,
        )

    @staticmethod
    def _poll(body: Any) -> EmulatedPoll | None:
        """The poll a create-message body asks for (Discord: `poll`), if any."""
        if body is None:
            return None
        try:
            return EmulatedPoll.from_body(body, datetime.now(UTC))
        except PollBodyError as error:
            raise invalid(str(error)) from None

    def _guild_of(self, channel_id: str) -> dict[str, str]:
        guild_id = self.world.channels[channel_id].guild_id
        return {"guild_id": guild_id} if guild_id else {}

    def _referenced(self, reference: dict[str, Any] | None) -> StoredMessage | None:
        return self.world.messages.get(reference["message_id"]) if reference else None

    def _attachment(
        self, filename: str, data: bytes, description: str | None = None
    ) -> dict[str, Any]:
        attachment_id = self.world.ids.next()
        self.files[attachment_id] = data
        url = f"{self.base_url()}/attachments/{attachment_id}/{filename}"
        attachment = {
            "id": attachment_id,
            "filename": filename,
            "size": len(data),
            "url": url,
            "proxy_url": url,
            "content_type": "application/octet-stream",
        }
        if description is not None:
            attachment["description"] = description
        return attachment

    def _channel(self, request: web.Request) -> Any:
        channel = self.world.channels.get(request.match_info["channel"])
        if channel is None:
            raise unknown("Channel", 10003)
        return channel

    def _message(self, request: web.Request) -> StoredMessage:
        channel = self._channel(request)
        message = self.world.messages.get(request.match_info["message"])
        if message is None or message.channel_id != channel.id:
            raise unknown("Message", 10008)
        return message
