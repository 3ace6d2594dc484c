"""What the router reads about an incoming event before acting on it, in one statement.

Three separate queries (handled already? sender blocked? sender's language?) cost three
round trips per message, and on SQLite each is several hops to aiosqlite's thread; as scalar
subqueries of one SELECT they cost one.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Person, ProcessedEvent
from storage.moderation.models import Block


@dataclass(frozen=True)
class IncomingFacts:
    processed: bool
    blocked: bool
    language: str | None


async def incoming_facts(
    session: AsyncSession, platform: str, event_id: str, sender_id: str, now: datetime
) -> IncomingFacts:
    """Whether the event was handled already, whether its sender is blocked at `now`, and
    the language the sender chose (None: no choice made, or unknown)."""
    processed = (
        select(ProcessedEvent.event_id)
        .where(ProcessedEvent.platform == platform, ProcessedEvent.event_id == event_id)
        .exists()
    )
    block = (Block.platform == platform, Block.external_id == sender_id)
    row = (
        await session.execute(
            select(
                processed,
                select(Block.id).where(*block).scalar_subquery(),
                select(Block.until).where(*block).scalar_subquery(),
                select(Person.language)
                .where(Person.platform == platform, Person.external_id == sender_id)
                .scalar_subquery(),
            )
        )
    ).one()
    was_processed, block_id, until, language = row
    return IncomingFacts(
        processed=bool(was_processed),
        blocked=block_id is not None and (until is None or until > now),
        language=language,
    )
