"""Tables of quick polls: the polls, their answers, every response, and secret ballots.

Room id column: ``Poll.room_id``, on ``Poll.platform`` (staff start a poll on their own
platform, in a room there).

A poll moves through states recorded as columns, each set in the transaction that decides
it, so a restart finishes exactly what was decided and nothing twice:
created (row) → posted (``start_event_id``) → closed (``closed_at``, the cut-off for
counting) → published (``published_at``, end event and results message sent).

Secret ballots keep who voted (:class:`SecretVoter`) and what was chosen
(:class:`SecretTally`, one counter per answer) in tables that share nothing but the poll:
no per-vote row, id, order or timestamp joins a person to a choice.
"""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models import Base


class Poll(Base):
    """A poll started by staff in a room; its id is the number people see (#12)."""

    __tablename__ = "polls"
    __table_args__ = (
        UniqueConstraint("platform", "start_event_id"),
        Index("ix_polls_open", "platform", "room_id", "closed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    room_id: Mapped[str] = mapped_column(String(255))
    question: Mapped[str] = mapped_column(Text)
    max_selections: Mapped[int] = mapped_column(Integer)
    hidden: Mapped[bool] = mapped_column(Boolean)
    """Results only after the end (MSC3381 "undisclosed"), except for staff."""
    secret: Mapped[bool] = mapped_column(Boolean)
    """Secret ballot by direct message; no native poll events."""
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    closes_at: Mapped[datetime | None]
    start_event_id: Mapped[str | None] = mapped_column(String(255))
    """The native poll start event, or the announcement of a secret poll."""
    closed_at: Mapped[datetime | None]
    """When the poll ended: responses sent later are not counted."""
    closed_by: Mapped[str | None] = mapped_column(String(16))
    """How it ended: "command", "deadline" or "end_event" (a moderator's client)."""
    end_event_id: Mapped[str | None] = mapped_column(String(255))
    published_at: Mapped[datetime | None]

    answers: Mapped[list["PollAnswer"]] = relationship(
        lazy="selectin", order_by="PollAnswer.position", cascade="all, delete-orphan"
    )


class PollAnswer(Base):
    """One answer; `answer_id` is the id in the native poll, `position` what people type."""

    __tablename__ = "poll_answers"

    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    answer_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)


class PollResponse(Base):
    """A response to an open (non-secret) poll, native or by `!abstimmen`, kept as sent.

    All responses are kept (not just the latest) so the tally can be recomputed with every
    rule, including falling back to the previous response when one is redacted.
    """

    __tablename__ = "poll_responses"
    __table_args__ = (UniqueConstraint("platform", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id"), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(255))
    voter: Mapped[str] = mapped_column(String(255))
    answer_ids: Mapped[str] = mapped_column(Text)
    """The ids as sent, as a JSON list (emptied when the response is redacted)."""
    sent_at: Mapped[datetime]
    redacted: Mapped[bool] = mapped_column(Boolean, default=False)


class SecretVoter(Base):
    """Someone who has voted in a secret poll, and nothing about their choice.

    No surrogate id and no timestamp; on SQLite the table has no rowid either, so even the
    order of voting is not kept (rows are stored in key order).
    """

    __tablename__ = "poll_secret_voters"
    __table_args__ = ({"sqlite_with_rowid": False},)

    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id"), primary_key=True)
    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    voter: Mapped[str] = mapped_column(String(255), primary_key=True)


class SecretTally(Base):
    """The anonymous count of one answer of a secret poll."""

    __tablename__ = "poll_secret_tallies"

    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    votes: Mapped[int] = mapped_column(Integer, default=0)
