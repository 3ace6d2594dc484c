"""One person's rows in moderation: found for the data export, erased on request.

Takes a session and never commits (see storage.uow).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.moderation.models import Block
from storage.privacy.models import ERASED
from storage.privacy.personal_data import Someone


class BlockPersonalData:
    """The block on `person` and the blocks they imposed as staff."""

    def __init__(self, session: AsyncSession, person: Someone) -> None:
        self._session = session
        self.person = person

    async def block(self) -> Block | None:
        return await self._session.scalar(
            select(Block).where(self.person.owns(Block.platform, Block.external_id))
        )

    async def blocks_imposed(self) -> int:
        count = await self._session.scalar(
            select(func.count()).select_from(Block).where(Block.blocked_by == self.person.id)
        )
        return int(count or 0)

    async def anonymise_blocks_imposed(self) -> None:
        await self._session.execute(
            update(Block).where(Block.blocked_by == self.person.id).values(blocked_by=ERASED)
        )

    async def delete_expired_block(self, now: datetime) -> bool:
        """An expired block has served its purpose; an active one stays (see docs/privacy.md)."""
        result = await self._session.execute(
            delete(Block)
            .where(
                self.person.owns(Block.platform, Block.external_id),
                Block.until.is_not(None),
                Block.until <= now,
            )
            .returning(Block.id)
        )
        return result.first() is not None
