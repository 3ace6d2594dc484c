"""Create rooms and memberships on a Matrix homeserver, as people would in their client.

Used by the demo to lay out its little world; it lives here because it speaks Matrix.
Every step is idempotent, so running the demo again reuses what exists.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from nio import (
    AsyncClient,
    JoinedMembersResponse,
    LoginResponse,
    RoomCreateResponse,
    RoomPreset,
    RoomResolveAliasResponse,
)

logger = logging.getLogger(__name__)


class ProvisioningError(Exception):
    """The homeserver refused a step of setting up rooms."""


@dataclass(frozen=True)
class Account:
    user_id: str
    password: str


@dataclass(frozen=True)
class RoomPlan:
    """A room to exist under `#alias:server`, created by `creator`, with these members."""

    alias_localpart: str
    name: str
    topic: str
    creator: Account
    members: tuple[Account, ...]
    invite_only: tuple[str, ...] = ()


async def provision(homeserver: str, rooms: list[RoomPlan]) -> dict[str, str]:
    """Make every planned room exist with its members joined; returns alias -> room id."""
    sessions: dict[str, AsyncClient] = {}
    try:
        result: dict[str, str] = {}
        for plan in rooms:
            creator = await _session(sessions, homeserver, plan.creator)
            server = plan.creator.user_id.split(":", 1)[1]
            alias = f"#{plan.alias_localpart}:{server}"
            room_id = await _ensure_room(creator, plan, alias)
            members = await creator.joined_members(room_id)
            joined = (
                {m.user_id for m in members.members}
                if isinstance(members, JoinedMembersResponse)
                else set()
            )
            for member in plan.members:
                if member.user_id in joined:
                    continue
                await creator.room_invite(room_id, member.user_id)
                client = await _session(sessions, homeserver, member)
                response = await client.join(room_id)
                if not hasattr(response, "room_id"):
                    raise ProvisioningError(f"{member.user_id} could not join {alias}: {response}")
            for user_id in plan.invite_only:
                if user_id not in joined:
                    await creator.room_invite(room_id, user_id)
            result[alias] = room_id
        return result
    finally:
        for client in sessions.values():
            await client.logout()
            await client.close()


async def _session(
    sessions: dict[str, AsyncClient], homeserver: str, account: Account
) -> AsyncClient:
    if account.user_id in sessions:
        return sessions[account.user_id]
    client = AsyncClient(homeserver, account.user_id)
    response = await client.login(account.password, device_name="smartregion demo setup")
    if not isinstance(response, LoginResponse):
        await client.close()
        raise ProvisioningError(f"{account.user_id} could not log in: {response}")
    sessions[account.user_id] = client
    return client


async def _ensure_room(client: AsyncClient, plan: RoomPlan, alias: str) -> str:
    existing = await client.room_resolve_alias(alias)
    if isinstance(existing, RoomResolveAliasResponse):
        return existing.room_id
    response = await client.room_create(
        alias=plan.alias_localpart,
        name=plan.name,
        topic=plan.topic,
        preset=RoomPreset.private_chat,
    )
    if not isinstance(response, RoomCreateResponse):
        raise ProvisioningError(f"Could not create {alias}: {response}")
    logger.info("Created %s", alias)
    return response.room_id
