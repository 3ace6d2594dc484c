"""Queries on blocks; takes the session of a unit of work and never commits."""

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.moderation.models import Block


class BlockRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def is_blocked(self, platform: str, external_id: str, now: datetime) -> bool:
        block = await self._find(platform, external_id)
        return block is not None and (block.until is None or block.until > now)

    async def block(
        self,
        platform: str,
        external_id: str,
        *,
        until: datetime | None,
        reason: str,
        blocked_by: str,
        now: datetime,
    ) -> None:
        """Block someone, replacing an earlier block of the same person."""
        block = await self._find(platform, external_id)
        if block is None:
            block = Block(platform=platform, external_id=external_id, created_at=now)
            self.session.add(block)
        block.until, block.reason, block.blocked_by = until, reason, blocked_by
        await self.session.flush()

    async def unblock(self, platform: str, external_id: str) -> bool:
        result = await self.session.execute(
            delete(Block).where(Block.platform == platform, Block.external_id == external_id)
        )
        return bool(result.rowcount)

    async def _find(self, platform: str, external_id: str) -> Block | None:
        return await self.session.scalar(
            select(Block).where(Block.platform == platform, Block.external_id == external_id)
        )
