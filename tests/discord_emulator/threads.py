"""Threads in the emulated Discord: public threads from a message and forum posts.

A thread is a channel of its own (type 11) whose messages carry the thread's id as
`channel_id`. A thread started from a message has that message's id, as on Discord; a
forum post's starter message has the thread's id. Creating one dispatches THREAD_CREATE
(with `newly_created`) to every bot in the guild, before the REST answer, so discord.py
has the thread cached when the first message in it arrives.

`PATCH /channels/{thread}` archives (`archived`) and locks (`locked`) a thread and sends
THREAD_UPDATE. As on Discord, a message in an archived thread that is not locked wakes it
(un-archived, THREAD_UPDATE before the MESSAGE_CREATE); a locked archived thread takes no
messages (error 50083, "Thread is archived"; the emulator grants no Manage Threads).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.discord_emulator.gateway import GUILDS
from tests.discord_emulator.rest import (
    API_PREFIX,
    BODY,
    BOT,
    DiscordError,
    invalid,
    json_answer,
)
from tests.discord_emulator.world import FORUM, TEXT, Channel, User, World, iso_now

if TYPE_CHECKING:
    from tests.discord_emulator.gateway import Gateway
    from tests.discord_emulator.rest import Rest

PUBLIC_THREAD = 11
ARCHIVE_DURATIONS = frozenset({60, 1440, 4320, 10080})
MAX_NAME = 100
THREAD_ALREADY_CREATED = 160004
"""Discord's error code for a second thread from the same message."""
THREAD_ARCHIVED = 50083
"""Discord's error code for an action on an archived (here: locked) thread."""


@dataclass
class Thread(Channel):
    """A public thread: a channel under `parent_id`, opened by `owner_id`."""

    parent_id: str = ""
    owner_id: str = ""
    auto_archive_duration: int = 1440
    created: str = field(default_factory=iso_now)
    starter_in_thread: bool = False
    """A forum post's starter message lives in the thread and is not counted as a reply."""
    archived: bool = False
    locked: bool = False
    archived_at: str = ""

    def payload(self, world: World, viewer: str | None = None) -> dict[str, Any]:
        history = world.history[self.id]
        count = len(history) - 1 if self.starter_in_thread and history else len(history)
        data: dict[str, Any] = {
            "id": self.id,
            "type": PUBLIC_THREAD,
            "guild_id": self.guild_id,
            "parent_id": self.parent_id,
            "owner_id": self.owner_id,
            "name": self.name,
            "last_message_id": self.last_message_id,
            "rate_limit_per_user": 0,
            "message_count": count,
            "total_message_sent": count,
            "member_count": 1,
            "flags": 0,
            "thread_metadata": {
                "archived": self.archived,
                "auto_archive_duration": self.auto_archive_duration,
                "archive_timestamp": self.archived_at or self.created,
                "locked": self.locked,
                "create_timestamp": self.created,
            },
        }
        if world.channels[self.parent_id].type == FORUM:
            data["applied_tags"] = []
        if viewer == self.owner_id:
            data["member"] = {
                "id": self.id,
                "user_id": viewer,
                "join_timestamp": self.created,
                "flags": 0,
            }
        return data


class ThreadRoutes:
    """The REST routes that open threads, over the same world, gateway and request log."""

    def __init__(self, world: World, gateway: Gateway, rest: Rest) -> None:
        self.world = world
        self.gateway = gateway
        self.rest = rest

    def routes(self) -> list[web.RouteDef]:
        p = API_PREFIX
        return [
            web.post(f"{p}/channels/{{channel}}/messages/{{message}}/threads", self.from_message),
            web.post(f"{p}/channels/{{channel}}/threads", self.forum_post),
            web.patch(f"{p}/channels/{{channel}}", self.edit_thread),
        ]

    async def edit_thread(self, request: web.Request) -> web.Response:
        """Archive, un-archive, lock or unlock a thread (other channel edits: not emulated)."""
        bot: User = request[BOT]
        thread = self.rest._channel(request)
        if not isinstance(thread, Thread):
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        body = request[BODY] or {}
        unknown_fields = set(body) - {"archived", "locked"}
        if unknown_fields:
            raise invalid(
                f"the emulator edits threads' archived and locked only, not {unknown_fields}"
            )
        if "locked" in body:
            thread.locked = bool(body["locked"])
        if "archived" in body and bool(body["archived"]) != thread.archived:
            thread.archived = bool(body["archived"])
            thread.archived_at = iso_now()
        await self.dispatch_updated(thread)
        return json_answer(thread.payload(self.world, viewer=bot.id))

    async def wake(self, channel_id: str) -> None:
        """Before a message is posted in `channel_id`: an archived thread wakes up, unless it
        is locked (then the message is refused)."""
        thread = self.world.channels.get(channel_id)
        if not isinstance(thread, Thread) or not thread.archived:
            return
        if thread.locked:
            raise DiscordError(400, THREAD_ARCHIVED, "Thread is archived")
        thread.archived = False
        thread.archived_at = iso_now()
        await self.dispatch_updated(thread)

    async def from_message(self, request: web.Request) -> web.Response:
        """A public thread from a message of a text channel; its id is the message's id."""
        bot: User = request[BOT]
        message = self.rest._message(request)
        parent = self.world.channels[message.channel_id]
        if parent.type != TEXT:
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        if message.id in self.world.channels:
            raise DiscordError(
                400, THREAD_ALREADY_CREATED, "A thread has already been created for this message"
            )
        thread = self.open(message.id, parent, bot, request[BODY] or {})
        await self.dispatch_created(thread)
        return json_answer(thread.payload(self.world, viewer=bot.id))

    async def forum_post(self, request: web.Request) -> web.Response:
        """A post in a forum channel: a thread and its starter message (`message` in the
        body), which has the thread's id."""
        bot: User = request[BOT]
        forum = self.rest._channel(request)
        if forum.type != FORUM:
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        body = request[BODY] or {}
        if not isinstance(body.get("message"), dict):
            raise invalid("message: This field is required")
        thread_id = self.world.ids.next()
        starter = self.rest.compose(bot.id, thread_id, body["message"])
        thread = self.open(thread_id, forum, bot, body)
        thread.starter_in_thread = True
        starter.id = thread_id
        self.world.store(starter)
        await self.dispatch_created(thread)
        await self.gateway.message_event("MESSAGE_CREATE", starter)
        return json_answer(
            {
                **thread.payload(self.world, viewer=bot.id),
                "message": starter.payload(self.world),
            }
        )

    def open(self, thread_id: str, parent: Channel, owner: User, body: dict[str, Any]) -> Thread:
        """Store a new thread of `parent`, validated as Discord validates its name."""
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= MAX_NAME:
            raise invalid(f"name must be between 1 and {MAX_NAME} in length")
        duration = body.get("auto_archive_duration") or 1440
        if duration not in ARCHIVE_DURATIONS:
            raise invalid("auto_archive_duration: Value must be one of 60, 1440, 4320, 10080")
        thread = Thread(
            thread_id,
            PUBLIC_THREAD,
            name=name,
            guild_id=parent.guild_id,
            parent_id=parent.id,
            owner_id=owner.id,
            auto_archive_duration=duration,
        )
        self.world.channels[thread.id] = thread
        self.world.history[thread.id] = []
        self.world.guilds[parent.guild_id or ""].threads.append(thread.id)
        return thread

    async def dispatch_updated(self, thread: Thread) -> None:
        """THREAD_UPDATE to every bot of the guild listening to guild events."""
        guild = self.world.guilds[thread.guild_id or ""]
        for session in list(self.gateway.sessions.values()):
            if session.bot.id in guild.members and session.intents & GUILDS:
                data = thread.payload(self.world, viewer=session.bot.id)
                await session.dispatch("THREAD_UPDATE", data)

    async def dispatch_created(self, thread: Thread) -> None:
        """THREAD_CREATE to every bot of the guild listening to guild events."""
        guild = self.world.guilds[thread.guild_id or ""]
        for session in list(self.gateway.sessions.values()):
            if session.bot.id in guild.members and session.intents & GUILDS:
                data = thread.payload(self.world, viewer=session.bot.id)
                await session.dispatch("THREAD_CREATE", {**data, "newly_created": True})
