"""Which rooms' polls stay off the public page: every staff room and department room.

Settings may name a room by alias; polls store the room id, so each reference is resolved
through its platform's adapter once and remembered (a failed resolution is tried again on
the next request, and meanwhile the reference as written still counts).
"""

from __future__ import annotations

import logging

from bot.context import Services
from bot.web.site import PrivateRooms

logger = logging.getLogger(__name__)


def private_rooms_of(services: Services) -> PrivateRooms:
    remembered: list[frozenset[tuple[str, str]]] = []

    async def private_rooms() -> frozenset[tuple[str, str]]:
        if remembered:
            return remembered[0]
        found: set[tuple[str, str]] = set()
        complete = True
        for platform, adapter in services.adapters.items():
            staff_room = services.settings.for_platform(platform).staff_room
            departments = (d.rooms.get(platform) for d in services.settings.departments)
            for reference in filter(None, (staff_room, *departments)):
                found.add((platform, reference))
                try:
                    found.add((platform, await adapter.resolve_room(reference)))
                except Exception:  # the platform may be unreachable; ask again next time
                    logger.warning("Could not resolve room %s on %s", reference, platform)
                    complete = False
        rooms = frozenset(found)
        if complete:
            remembered.append(rooms)
        return rooms

    return private_rooms
