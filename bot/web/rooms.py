"""Which rooms' polls stay off the public page: every staff room and department room.

Settings may name a room by alias; polls store the room id, so each reference is resolved
through its platform's adapter. The bot does that (at start, and again after a failure) and
stores the result in the database (`page_private_rooms`), remembered in `Services.state`
once complete. The page runs in a process without chat adapters and reads them from there
(`stored_private_rooms`): a reference the bot has not resolved yet counts as written, and
keeps every poll of its platform off the page until it is resolved (fail closed).
No web framework here: the chat's poll results ask it too, to link only to public polls.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from bot.config import Settings
from bot.context import Services
from storage.uow import UnitOfWork
from storage.web.repository import PageStateRepository

logger = logging.getLogger(__name__)

STATE_KEY = "web.private_rooms"


def configured_private_rooms(settings: Settings) -> Iterator[tuple[str, str]]:
    """(platform, reference as written) of every staff and department room."""
    for platform in settings.platforms:
        staff_room = settings.for_platform(platform).staff_room
        departments = (d.rooms.get(platform) for d in settings.departments)
        for reference in dict.fromkeys(filter(None, (staff_room, *departments))):
            yield platform, reference


async def private_rooms(services: Services) -> frozenset[tuple[str, str]]:
    """(platform, room) of every staff and department room, as configured and resolved;
    what was resolved is stored for the page's process."""
    remembered = services.state.get(STATE_KEY)
    if remembered is not None:
        return remembered
    found: set[tuple[str, str]] = set()
    resolved: list[tuple[str, str, str]] = []
    complete = True
    for platform, reference in configured_private_rooms(services.settings):
        found.add((platform, reference))
        adapter = services.adapters.get(platform)
        if adapter is None:
            complete = False
            continue
        try:
            room = await adapter.resolve_room(reference)
        except Exception:  # the platform may be unreachable; ask again next time
            logger.warning("Could not resolve room %s on %s", reference, platform)
            complete = False
            continue
        found.add((platform, room))
        resolved.append((platform, reference, room))
    async with services.unit_of_work() as uow:
        if await PageStateRepository(uow.session).replace_private_rooms(resolved):
            await uow.commit()
    rooms = frozenset(found)
    if complete:
        services.state[STATE_KEY] = rooms
    return rooms


async def is_public_room(services: Services, platform: str, room_id: str) -> bool:
    return (platform, room_id) not in await private_rooms(services)


@dataclass(frozen=True)
class PrivateRooms:
    """The private rooms as the page's process knows them: `(platform, room) in` it is
    true for a private room, and for any room of a platform with a reference the bot has
    not resolved yet."""

    rooms: frozenset[tuple[str, str]]
    unresolved_platforms: frozenset[str]

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, tuple) or len(key) != 2:
            return False
        return key[0] in self.unresolved_platforms or key in self.rooms


async def stored_private_rooms(settings: Settings, uow: UnitOfWork) -> PrivateRooms:
    """The configured private rooms with what the bot stored about them."""
    stored = await PageStateRepository(uow.session).private_rooms()
    rooms: set[tuple[str, str]] = set()
    unresolved: set[str] = set()
    for platform, reference in configured_private_rooms(settings):
        rooms.add((platform, reference))
        room = stored.get((platform, reference))
        if room is None:
            unresolved.add(platform)
        else:
            rooms.add((platform, room))
    return PrivateRooms(frozenset(rooms), frozenset(unresolved))
