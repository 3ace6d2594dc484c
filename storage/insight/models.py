"""Tables of the weekly staff digest: which week's digest was decided, and where it went.

No person and no room id is stored: the figures are counts and department ids, and the
staff room is read from the settings when the digest is delivered.

A week's digest is decided once (a :class:`Digest` row, with the figures frozen as JSON, so
every platform and every retry shows the same numbers) together with one
:class:`DigestDelivery` per platform that has a staff room. A delivery is marked sent after
its messages went out under stable dedupe keys, so a restart in between resends without
doubling them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class Digest(Base):
    """The digest of one calendar week, decided in the transaction that claims the week."""

    __tablename__ = "insight_digests"

    week_start: Mapped[date] = mapped_column(primary_key=True)
    """The local Monday that begins the week the digest reports on."""
    figures: Mapped[str] = mapped_column(Text)
    """The week's figures and the week before's, as JSON (`handlers.insight.figures`)."""
    decided_at: Mapped[datetime]


class DigestDelivery(Base):
    """One platform's copy of a week's digest; `sent_at` is set once it is posted."""

    __tablename__ = "insight_digest_deliveries"

    week_start: Mapped[date] = mapped_column(
        ForeignKey("insight_digests.week_start", ondelete="CASCADE"), primary_key=True
    )
    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    sent_at: Mapped[datetime | None]
