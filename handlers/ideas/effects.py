"""What ideas cause outside the database: cards, their edits, direct messages, staff notices.

Each runs after the transaction that decided it has committed, with a dedupe key derived
from stable ids, so a retry after a crash sends the same event instead of a second one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from bot.context import Actor, Services
from bot.messages import Message, join
from handlers.ideas.state import ideas_state
from handlers.ideas.texts import card_message
from storage.ideas.models import Idea
from storage.ideas.repository import IdeasRepository, Person

logger = logging.getLogger(__name__)


async def post_card(services: Services, number: int, new: Idea | None = None) -> None:
    """Post the idea's card in the ideas room of its platform (if any); remember its event.

    `new` is the idea as its submission just committed it: it has no card and no supports
    yet, so it is not read again (supports given meanwhile are caught below, as always).
    """
    if new is not None:
        idea, supports = new, 0
    else:
        async with services.unit_of_work() as uow:
            repository = IdeasRepository(uow.session)
            found = await repository.get(number)
            if found is None:
                return
            idea, supports = found, await repository.support_count(found)
    if not idea.published or idea.card_event_id is not None:
        return
    platform = idea.platform
    room = services.settings.for_platform(platform).ideas_room
    if room is None or platform not in services.adapters:
        return
    adapter = services.adapter_for(platform)
    room_id = await adapter.resolve_room(room)
    event_id = await adapter.send(
        room_id, card_message(services, idea, supports), dedupe_key=f"idea-card:{number}"
    )
    async with services.unit_of_work() as uow:
        repository = IdeasRepository(uow.session)
        idea = await repository.get(number)
        if idea is None:
            return
        idea.card_platform, idea.card_room_id = platform, room_id
        idea.card_event_id = event_id
        changed = await repository.support_count(idea) != supports
        await uow.commit()
    if changed:  # supported (by command) while the card was being posted
        await refresh_card(services, number)


async def refresh_card(services: Services, number: int) -> None:
    """Edit the card to show the idea's current supports, status or visibility.

    The count is read and the edit sent under one lock, so the last edit always carries the
    latest count even when reactions are handled concurrently.
    """
    async with (await ideas_state(services)).card_lock:
        async with services.unit_of_work() as uow:
            repository = IdeasRepository(uow.session)
            idea = await repository.get(number)
            if idea is None or idea.card_event_id is None or idea.card_room_id is None:
                return
            supports = await repository.support_count(idea)
        if idea.card_platform not in services.adapters:
            logger.debug("Not editing the card of idea #%d: its platform is not running", number)
            return
        message = card_message(services, idea, supports)
        adapter = services.adapter_for(idea.card_platform)
        await adapter.edit(idea.card_room_id, idea.card_event_id, message)


async def notify(
    services: Services,
    people: Iterable[tuple[Person, str]],
    dedupe_prefix: str,
    params: Callable[[str], Mapping[str, Any]],
    reason: str | None = None,
) -> None:
    """Send each `(person, message key)` a direct message in their language.

    `params(language)` gives the message's parameters in that language (e.g. a status name).
    A failed message is logged and does not stop the others.
    """
    for person, key in reachable(services, people):
        language = await services.language_of(Actor(person.platform, person.id, person.id))
        parts = [services.render(language, key, **params(language))]
        if reason:
            parts.append(services.render(language, "ideas.dm_reason", reason=reason))
        try:
            await services.adapter_for(person.platform).send_direct(
                person.id, join(parts), dedupe_key=f"{dedupe_prefix}:{person.id}"
            )
        except Exception:
            logger.exception("Could not send an idea notification (%s)", dedupe_prefix)


def reachable(services: Services, people: Iterable[tuple[Person, str]]) -> list[tuple[Person, str]]:
    """The `(person, message key)` pairs `notify` writes to: those on a running platform.

    Someone whose platform is not running in this process (its settings were removed) is
    skipped, and the log says so.
    """
    running = []
    for person, key in people:
        if person.platform in services.adapters:
            running.append((person, key))
        else:
            logger.debug(
                "Not notifying a person on %s: that platform is not running", person.platform
            )
    return running


async def tell_staff(
    services: Services, platform: str, key: str, dedupe_key: str, params: Mapping[str, Any]
) -> None:
    """A notice in the staff room of `platform`, in the deployment's language; nothing
    without a room there (or with that platform not running)."""
    room = services.settings.for_platform(platform).staff_room
    if room is None or platform not in services.adapters:
        return
    message: Message = services.render(services.settings.language, key, **params)
    await services.adapter_for(platform).send(room, message, dedupe_key=dedupe_key)
