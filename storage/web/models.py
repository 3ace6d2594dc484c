"""Tables shared between the bot and the public page's process.

`page_version` has one row: a number every transaction raises that changes something the
page may show, so the page can keep what it rendered until the number moves.
`page_private_rooms` holds the staff and department rooms as the bot resolved them
through its chat adapters: the page runs without adapters, so it reads them here.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base

PAGE_VERSION_ROW = 1


class PageVersion(Base):
    """The one row whose `version` every write the page could show raises."""

    __tablename__ = "page_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


class PrivateRoom(Base):
    """A staff or department room as configured (`reference`, maybe an alias) and the room
    id the bot resolved it to; polls in it stay off the page."""

    __tablename__ = "page_private_rooms"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    reference: Mapped[str] = mapped_column(String(255), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(255))
