"""Sending the answers that were stored with a command's effect but did not go out.

A crash between the commit and the send leaves them in the database (the command itself
counts as handled, so a replay will not answer it); they are sent once the bot is synced
again. Their transaction ids are the ones the first attempt used, so an answer that did go
out just before the crash is recognised by the homeserver instead of appearing twice.
"""

from __future__ import annotations

import logging

from bot.context import Services
from bot.messages import Message

logger = logging.getLogger(__name__)


async def send_pending_replies(services: Services, event_id: str | None = None) -> int:
    """Send the stored answers (to the command `event_id`, or all); how many went out.

    An answer that cannot be sent now stays stored for the next start.
    """
    async with services.unit_of_work() as uow:
        pending = await uow.replies.pending(event_id)
    sent = 0
    for reply in pending:
        try:
            await services.adapter_for(reply.platform).send(
                reply.room_id,
                Message.from_json(reply.message),
                reply_to=reply.event_id,
                dedupe_key=reply.dedupe_key,
            )
        except Exception:
            logger.exception("A stored answer could not be sent; it is kept for the next start")
            continue
        async with services.unit_of_work() as uow:
            await uow.replies.remove([reply.dedupe_key])
            await uow.commit()
        sent += 1
    if sent and event_id is None:
        logger.info("Sent %d answers a stop had left unsent", sent)
    return sent
