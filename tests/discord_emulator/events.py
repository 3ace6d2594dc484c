"""Guild scheduled events in the emulated Discord: the REST routes and gateway events.

Bots create, change, cancel (PATCH `status` 4) and delete events through REST; people mark
and unmark "Interested" through the test API (`DiscordEmulator.interested` /
`not_interested`). Every change goes as GUILD_SCHEDULED_EVENT_CREATE / _UPDATE / _DELETE /
_USER_ADD / _USER_REMOVE to the sessions in the guild with the GUILD_SCHEDULED_EVENTS intent.
Checked as on Discord: an EXTERNAL event needs `entity_metadata.location` and
`scheduled_end_time`, the end lies after the start, only a SCHEDULED event can be cancelled,
and a cancelled or completed event cannot change any more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.discord_emulator.rest import API_PREFIX, BODY, BOT, DiscordError, invalid, json_answer
from tests.discord_emulator.world import User, World

if TYPE_CHECKING:
    from tests.discord_emulator.gateway import Gateway

GUILD_SCHEDULED_EVENTS = 1 << 16
EXTERNAL = 3
GUILD_ONLY = 2
SCHEDULED, ACTIVE, COMPLETED, CANCELED = 1, 2, 3, 4
UNKNOWN_EVENT = 10070
EDITABLE = (
    "name",
    "description",
    "scheduled_start_time",
    "scheduled_end_time",
    "entity_metadata",
    "privacy_level",
    "status",
)


class ScheduledEvents:
    """The events of every guild, by id, with who is interested in each."""

    def __init__(self, world: World, gateway: Gateway) -> None:
        self.world = world
        self.gateway = gateway
        self.events: dict[str, dict[str, Any]] = {}
        self.interested_users: dict[str, list[str]] = {}

    def routes(self) -> list[web.RouteDef]:
        base = f"{API_PREFIX}/guilds/{{guild}}/scheduled-events"
        return [
            web.get(base, self.list_events),
            web.post(base, self.create),
            web.get(f"{base}/{{event}}", self.get),
            web.patch(f"{base}/{{event}}", self.edit),
            web.delete(f"{base}/{{event}}", self.delete),
            web.get(f"{base}/{{event}}/users", self.users),
        ]

    def of_guild(self, guild_id: str) -> list[dict[str, Any]]:
        return [e for e in self.events.values() if e["guild_id"] == guild_id]

    async def list_events(self, request: web.Request) -> web.Response:
        return json_answer(self.of_guild(self._guild(request)))

    async def get(self, request: web.Request) -> web.Response:
        return json_answer(self._event(request))

    async def create(self, request: web.Request) -> web.Response:
        bot: User = request[BOT]
        guild_id = self._guild(request)
        body: dict[str, Any] = request[BODY] or {}
        if body.get("entity_type") != EXTERNAL:
            raise invalid("entity_type: the emulator has external events only")
        if not (body.get("entity_metadata") or {}).get("location"):
            raise invalid("entity_metadata.location: required for external events")
        if not body.get("scheduled_end_time"):
            raise invalid("scheduled_end_time: required for external events")
        if body.get("privacy_level") != GUILD_ONLY:
            raise invalid("privacy_level: must be 2 (guild only)")
        event = {
            "id": self.world.ids.next(),
            "guild_id": guild_id,
            "channel_id": None,
            "creator_id": bot.id,
            "creator": bot.payload(),
            "name": body["name"],
            "description": body.get("description"),
            "scheduled_start_time": body["scheduled_start_time"],
            "scheduled_end_time": body["scheduled_end_time"],
            "privacy_level": GUILD_ONLY,
            "status": SCHEDULED,
            "entity_type": EXTERNAL,
            "entity_id": None,
            "entity_metadata": {"location": body["entity_metadata"]["location"]},
            "user_count": 0,
            "image": None,
        }
        self._check_times(event)
        self.events[event["id"]] = event
        self.interested_users[event["id"]] = []
        await self._dispatch("GUILD_SCHEDULED_EVENT_CREATE", guild_id, event)
        return json_answer(event)

    async def edit(self, request: web.Request) -> web.Response:
        event = self._event(request)
        body: dict[str, Any] = request[BODY] or {}
        if event["status"] in (COMPLETED, CANCELED):
            raise invalid("status: a cancelled or completed event cannot be changed")
        status = body.get("status", event["status"])
        if status == CANCELED and event["status"] != SCHEDULED:
            raise invalid("status: only a scheduled event can be cancelled")
        changed = {**event, **{k: v for k, v in body.items() if k in EDITABLE}}
        self._check_times(changed)
        event.update(changed)
        await self._dispatch("GUILD_SCHEDULED_EVENT_UPDATE", event["guild_id"], event)
        return json_answer(event)

    async def delete(self, request: web.Request) -> web.Response:
        event = self._event(request)
        del self.events[event["id"]]
        await self._dispatch("GUILD_SCHEDULED_EVENT_DELETE", event["guild_id"], event)
        return web.Response(status=204)

    async def users(self, request: web.Request) -> web.Response:
        event = self._event(request)
        guild = self.world.guilds[event["guild_id"]]
        return json_answer(
            [
                {
                    "guild_scheduled_event_id": event["id"],
                    "user": self.world.users[user].payload(),
                    "member": guild.members[user].payload(self.world, with_user=False),
                }
                for user in self.interested_users[event["id"]]
                if user in guild.members
            ]
        )

    async def interested(self, user_id: str, event_id: str, added: bool) -> bool:
        """Mark or unmark interest; False (and no event) when nothing changes."""
        users = self.interested_users[event_id]
        if (user_id in users) == added:
            return False
        if added:
            users.append(user_id)
        else:
            users.remove(user_id)
        event = self.events[event_id]
        event["user_count"] = len(users)
        data = {
            "guild_scheduled_event_id": event_id,
            "user_id": user_id,
            "guild_id": event["guild_id"],
        }
        kind = "ADD" if added else "REMOVE"
        await self._dispatch(f"GUILD_SCHEDULED_EVENT_USER_{kind}", event["guild_id"], data)
        return True

    @staticmethod
    def _check_times(event: dict[str, Any]) -> None:
        if event["scheduled_end_time"] <= event["scheduled_start_time"]:
            raise invalid("scheduled_end_time: must be after scheduled_start_time")

    def _guild(self, request: web.Request) -> str:
        guild = self.world.guilds.get(request.match_info["guild"])
        bot: User = request[BOT]
        if guild is None or bot.id not in guild.members:
            raise DiscordError(404, 10004, "Unknown Guild")
        return guild.id

    def _event(self, request: web.Request) -> dict[str, Any]:
        guild_id = self._guild(request)
        event = self.events.get(request.match_info["event"])
        if event is None or event["guild_id"] != guild_id:
            raise DiscordError(404, UNKNOWN_EVENT, "Unknown Guild Scheduled Event")
        return event

    async def _dispatch(self, name: str, guild_id: str, data: dict[str, Any]) -> None:
        guild = self.world.guilds[guild_id]
        for session in list(self.gateway.sessions.values()):
            if session.bot.id in guild.members and session.intents & GUILD_SCHEDULED_EVENTS:
                await session.dispatch(name, dict(data))
