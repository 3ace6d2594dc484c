"""Reading the page version and storing the resolved private rooms."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.web.models import PAGE_VERSION_ROW, PageVersion, PrivateRoom

_VERSION = select(PageVersion.__table__.c.version).where(
    PageVersion.__table__.c.id == PAGE_VERSION_ROW
)
"""Built once, on the table: the page reads it on every request, and building an ORM
select each time cost more than the query (docs/benchmarks.md, "Public page, idea page
speed")."""
PAGE_VERSION = _VERSION.scalar_subquery()
"""The page version as a column of another statement: a page whose data is one statement
reads the version with it (bot.web.cache), in the same round trip and the same snapshot."""


class PageStateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def version(self) -> int | None:
        """The current page version; None if the row is missing (then nothing is kept)."""
        return await self.session.scalar(_VERSION)

    async def private_rooms(self) -> dict[tuple[str, str], str]:
        """(platform, reference as configured) -> resolved room id."""
        rows = await self.session.execute(
            select(PrivateRoom.platform, PrivateRoom.reference, PrivateRoom.room_id)
        )
        return {(platform, reference): room for platform, reference, room in rows}

    async def replace_private_rooms(self, resolved: Iterable[tuple[str, str, str]]) -> bool:
        """Store (platform, reference, room id) in place of what was stored; False (and
        nothing written) when that is what was stored already."""
        wanted = {(platform, reference): room for platform, reference, room in resolved}
        if wanted == await self.private_rooms():
            return False
        await self.session.execute(delete(PrivateRoom))
        self.session.add_all(
            PrivateRoom(platform=platform, reference=reference, room_id=room)
            for (platform, reference), room in wanted.items()
        )
        return True
