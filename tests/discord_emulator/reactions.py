"""Reactions in the emulated Discord: stored on messages, dispatched as gateway events.

People react through the test API (`DiscordEmulator.react` / `unreact`); bots through the
REST routes discord.py calls (`PUT`/`DELETE …/reactions/{emoji}/@me`). Either way the
reaction is kept on the message (its `reactions` in REST answers, with `count` and `me`) and
MESSAGE_REACTION_ADD / MESSAGE_REACTION_REMOVE go to every session with the reactions
intent of the channel's kind. As on Discord, a second add of the same emoji by the same
person, or a removal of a reaction that is not there, changes nothing and sends no event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.discord_emulator.rest import API_PREFIX, BOT, unknown
from tests.discord_emulator.world import StoredMessage, User, World, emoji_payload

if TYPE_CHECKING:
    from tests.discord_emulator.gateway import Gateway

GUILD_MESSAGE_REACTIONS = 1 << 10
DIRECT_MESSAGE_REACTIONS = 1 << 13
NORMAL_REACTION = 0
"""`type` of a reaction event: 0 normal, 1 burst ("super reaction")."""


class Reactions:
    """Adds and removes reactions, and the REST routes of the bot's own reactions."""

    def __init__(self, world: World, gateway: Gateway) -> None:
        self.world = world
        self.gateway = gateway

    def routes(self) -> list[web.RouteDef]:
        path = f"{API_PREFIX}/channels/{{channel}}/messages/{{message}}/reactions/{{emoji}}/@me"
        return [web.put(path, self.put_own), web.delete(path, self.delete_own)]

    async def put_own(self, request: web.Request) -> web.Response:
        bot: User = request[BOT]
        message = self._message(request)
        await self.add(bot.id, message, request.match_info["emoji"])
        return web.Response(status=204)

    async def delete_own(self, request: web.Request) -> web.Response:
        bot: User = request[BOT]
        message = self._message(request)
        await self.remove(bot.id, message, request.match_info["emoji"])
        return web.Response(status=204)

    async def add(self, user_id: str, message: StoredMessage, emoji: str) -> bool:
        """Store the reaction and dispatch MESSAGE_REACTION_ADD; False if it was there."""
        users = message.reactions.setdefault(emoji, [])
        if user_id in users:
            return False
        users.append(user_id)
        data = self._event(user_id, message, emoji)
        data["message_author_id"] = message.author_id
        data["burst_colors"] = []
        guild_id = self.world.channels[message.channel_id].guild_id
        member = self.world.guilds[guild_id].members.get(user_id) if guild_id else None
        if member is not None:
            data["member"] = member.payload(self.world)
        await self._dispatch("MESSAGE_REACTION_ADD", message, data)
        return True

    async def remove(self, user_id: str, message: StoredMessage, emoji: str) -> bool:
        """Drop the reaction and dispatch MESSAGE_REACTION_REMOVE (no member, no id, as on
        Discord); False if it was not there."""
        users = message.reactions.get(emoji, [])
        if user_id not in users:
            return False
        users.remove(user_id)
        if not users:
            del message.reactions[emoji]
        await self._dispatch(
            "MESSAGE_REACTION_REMOVE", message, self._event(user_id, message, emoji)
        )
        return True

    def _event(self, user_id: str, message: StoredMessage, emoji: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "user_id": user_id,
            "channel_id": message.channel_id,
            "message_id": message.id,
            "emoji": emoji_payload(emoji),
            "burst": False,
            "type": NORMAL_REACTION,
        }
        guild_id = self.world.channels[message.channel_id].guild_id
        if guild_id is not None:
            data["guild_id"] = guild_id
        return data

    async def _dispatch(self, event: str, message: StoredMessage, data: dict[str, Any]) -> None:
        """To every session that sees the channel and asked for its kind of reactions."""
        await self.gateway.channel_event(
            message.channel_id, event, data, GUILD_MESSAGE_REACTIONS, DIRECT_MESSAGE_REACTIONS
        )

    def _message(self, request: web.Request) -> StoredMessage:
        channel = self.world.channels.get(request.match_info["channel"])
        if channel is None:
            raise unknown("Channel", 10003)
        message = self.world.messages.get(request.match_info["message"])
        if message is None or message.channel_id != channel.id:
            raise unknown("Message", 10008)
        return message
