"""Who is staff, expert or citizen, decided from settings and room membership."""

from __future__ import annotations

from bot.config import Settings
from bot.context import ChatAdapter, Role

STAFF_POWER_LEVEL = 50


class RoleResolver:
    """Derives a person's role on demand, so changes in the rooms take effect at once.

    Staff: listed in BOT_STAFF_USERS, or power level >= 50 in the staff room. Expert: a
    member of any department room. Everyone else is a citizen.
    """

    def __init__(self, settings: Settings, adapter: ChatAdapter) -> None:
        self.settings = settings
        self.adapter = adapter

    async def role_of(self, user_id: str) -> Role:
        if user_id in self.settings.staff_users:
            return Role.STAFF
        staff_room = self.settings.staff_room
        if staff_room and await self.adapter.power_level(staff_room, user_id) >= STAFF_POWER_LEVEL:
            return Role.STAFF
        for department in self.settings.departments:
            if await self.adapter.is_member(department.room, user_id):
                return Role.EXPERT
        return Role.CITIZEN
