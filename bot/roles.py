"""Who is staff, expert or citizen, decided from settings and room membership."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.config import Settings
from bot.context import Role

if TYPE_CHECKING:
    from bot.adapters.base import ChatAdapter


class RoleResolver:
    """Derives a person's role on demand, so changes in the rooms take effect at once.

    Staff: listed in BOT_STAFF_USERS, or a moderator of the staff room (as the platform
    decides: on Matrix power level 50). Expert: a member of any department room. Everyone
    else is a citizen.
    """

    def __init__(self, settings: Settings, adapter: ChatAdapter) -> None:
        self.settings = settings
        self.adapter = adapter

    async def role_of(self, user_id: str) -> Role:
        if user_id in self.settings.staff_users:
            return Role.STAFF
        staff_room = self.settings.staff_room
        if staff_room and await self.adapter.is_moderator(staff_room, user_id):
            return Role.STAFF
        for department in self.settings.departments:
            if await self.adapter.is_member(department.room, user_id):
                return Role.EXPERT
        return Role.CITIZEN
