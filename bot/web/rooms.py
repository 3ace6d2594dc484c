"""Which rooms' polls stay off the public page: every staff room and department room.

Settings may name a room by alias; polls store the room id, so each reference is resolved
through its platform's adapter once and remembered in `Services.state` (a failed
resolution is tried again next time, and meanwhile the reference as written still counts).
No web framework here: the chat's poll results ask it too, to link only to public polls.
"""

from __future__ import annotations

import logging

from bot.context import Services

logger = logging.getLogger(__name__)

STATE_KEY = "web.private_rooms"


async def private_rooms(services: Services) -> frozenset[tuple[str, str]]:
    """(platform, room) of every staff and department room, as configured and resolved."""
    remembered = services.state.get(STATE_KEY)
    if remembered is not None:
        return remembered
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
        services.state[STATE_KEY] = rooms
    return rooms


async def is_public_room(services: Services, platform: str, room_id: str) -> bool:
    return (platform, room_id) not in await private_rooms(services)
