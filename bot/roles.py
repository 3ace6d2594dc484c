"""Who is staff, expert or citizen, decided from settings, rooms and the platform's groups."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.context import Role

if TYPE_CHECKING:
    from bot.adapters.base import ChatAdapter


class RoleResolver:
    """Derives a person's role on demand, so changes in the rooms take effect at once.

    Per platform: staff are listed in that platform's settings (Matrix: BOT_STAFF_USERS),
    belong to its staff group (Discord: DISCORD_STAFF_ROLE), or are moderators of its staff
    room (as the platform decides: on Matrix power level 50). Expert: a member of a
    department room on that platform, or of the department's group there (Discord: its
    `discord_role`). Everyone else is a citizen.
    """

    def __init__(self, settings: Settings, adapters: Mapping[str, ChatAdapter]) -> None:
        self.settings = settings
        self.adapters = adapters

    async def role_of(self, platform: str, user_id: str) -> Role:
        rooms = self.settings.for_platform(platform)
        adapter = self.adapters.get(platform)
        if user_id in rooms.staff_users:
            return Role.STAFF
        if adapter is None:
            return Role.CITIZEN
        staff_group = rooms.staff_group
        if staff_group and await adapter.in_group(staff_group, user_id):
            return Role.STAFF
        staff_room = rooms.staff_room
        if staff_room and await adapter.is_moderator(staff_room, user_id):
            return Role.STAFF
        for department in self.settings.departments:
            room = department.rooms.get(platform)
            if room and await adapter.is_member(room, user_id):
                return Role.EXPERT
            group = department.roles.get(platform)
            if group and await adapter.in_group(group, user_id):
                return Role.EXPERT
        return Role.CITIZEN
