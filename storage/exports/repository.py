"""The export secret: read it, or create it once (safe when two processes race)."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.exports.models import ExportSecret
from storage.repositories import _insert

PSEUDONYM_SECRET = "pseudonyms"


class ExportSecretRepository:
    """Secrets exports derive pseudonyms from; takes a session and never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get_or_create(self, created_at: datetime, name: str = PSEUDONYM_SECRET) -> bytes:
        """The secret `name`, made of 32 random bytes on first use."""
        await self._session.execute(
            _insert(self._session, ExportSecret)
            .values(name=name, secret=secrets.token_hex(32), created_at=created_at)
            .on_conflict_do_nothing(index_elements=[ExportSecret.name])
        )
        stored = await self._session.scalar(
            select(ExportSecret.secret).where(ExportSecret.name == name)
        )
        return bytes.fromhex(str(stored))
