"""Matrix takes a reaction back by redacting its event; the core hears which one it was.

A redaction names only the event it removes. To tell the core "this person took back 👍
on that message" (`IncomingReactionRemoved`, as on every platform), the adapter writes each
reaction it delivers to the core's neutral reaction log and reads it back when a
redaction arrives. Redactions of anything else (a poll response) pass on unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.context import (
    Actor,
    IncomingEvent,
    IncomingReaction,
    IncomingReactionRemoved,
    IncomingRedaction,
)
from storage.uow import UnitOfWork


async def through_reaction_log(
    unit_of_work: Callable[[], UnitOfWork],
    event: IncomingEvent,
    display_name: Callable[[str], str],
) -> IncomingEvent:
    """Remember a reaction, or turn the redaction of a remembered one into its removal.

    The removal's actor is the person whose reaction it was, also when a moderator
    redacted it (as on platforms that report removals by person).
    """
    if isinstance(event, IncomingReaction):
        async with unit_of_work() as uow:
            await uow.reactions.remember(
                event.actor.platform,
                event.event_id,
                event.target_event_id,
                event.key,
                event.actor.id,
            )
            await uow.commit()
        return event
    if not isinstance(event, IncomingRedaction):
        return event
    async with unit_of_work() as uow:
        reaction = await uow.reactions.get(event.actor.platform, event.redacted_event_id)
    if reaction is None:
        return event
    actor = event.actor
    if reaction.person_id != actor.id:
        actor = Actor(actor.platform, reaction.person_id, display_name(reaction.person_id))
    return IncomingReactionRemoved(
        event_id=event.event_id,
        actor=actor,
        place=event.place,
        target_event_id=reaction.target_id,
        key=reaction.key,
        sent_at=event.sent_at,
    )
