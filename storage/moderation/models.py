"""Blocks staff put on people who abuse the bot."""

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class Block(Base):
    """One person the bot ignores until `until` (None: until staff lift it)."""

    __tablename__ = "blocks"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(255))
    until: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text, default="")
    blocked_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
