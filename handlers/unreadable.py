"""Tell people when the bot could not decrypt their message, instead of staying silent."""

from __future__ import annotations

from bot.context import IncomingUnreadable, Services
from bot.router import listens


@listens(IncomingUnreadable)
async def apologise_for_unreadable(services: Services, event: IncomingUnreadable) -> None:
    language = await services.language_of(event.actor)
    await services.adapter_for(event.actor.platform).send(
        event.place.room_id,
        services.render(language, "encryption.unreadable"),
        reply_to=event.event_id,
        dedupe_key=f"unreadable:{event.event_id}",
    )
