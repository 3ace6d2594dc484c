"""Tables of the privacy feature: who was told about data protection, pending erasures,
frozen poll results and the daily retention run.

No room ids are stored here. People are ``(platform, external_id)`` like everywhere else.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base

ERASED = "deleted"
"""Stands in for a person's platform and id on contributions kept after an erasure.

The same value for everyone, so anonymised contributions cannot be linked to each other
(and no Matrix id can be mistaken for it: those start with ``@``).
"""


class PrivacyIntroduction(Base):
    """Someone the bot has told, in a direct chat, that it is an automated assistant."""

    __tablename__ = "privacy_introductions"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    introduced_at: Mapped[datetime]


class ErasureRequest(Base):
    """An unconfirmed `!datenloeschen`: confirming counts only shortly after `requested_at`."""

    __tablename__ = "privacy_erasure_requests"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    requested_at: Mapped[datetime]


class PollFinalTally(Base):
    """The result of a closed poll, written before anyone's votes in it are erased.

    Closed polls are otherwise counted afresh from their responses; once a voter's rows are
    gone, this row keeps the published result (counts without the person) unchanged.
    """

    __tablename__ = "poll_final_tallies"

    poll_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    """The poll's id; no foreign key, so this branch of migrations stands on its own."""
    votes: Mapped[str] = mapped_column(Text)
    """Votes per answer id, as a JSON object."""
    voters: Mapped[int] = mapped_column(Integer)
    spoiled: Mapped[int] = mapped_column(Integer)
    frozen_at: Mapped[datetime]


class RetentionRun(Base):
    """One day's retention purge; the row is written in the purge's own transaction."""

    __tablename__ = "retention_runs"

    day: Mapped[date] = mapped_column(primary_key=True)
    """The local calendar day the run belongs to."""
    ran_at: Mapped[datetime]
    questions: Mapped[int] = mapped_column(Integer)
    registrations: Mapped[int] = mapped_column(Integer)
