"""Tables of the ideas box: ideas, supports, status history, reports and the number sequence.

People are stored as ``(platform, external_id)`` like everywhere else. Room ids live in
``Idea.room_id`` (where the idea was submitted) and ``Idea.card_room_id`` (where its card was
posted); both follow room upgrades. The submission room is on the author's platform by
construction, so ``Idea.platform`` is its platform too; the card has ``card_platform``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base

OPEN_STATUSES = ("new", "review", "accepted")
"""Statuses of ideas that are still being worked on; similar-idea hints only name these."""
STATUSES = (*OPEN_STATUSES, "done", "rejected")
# Visible ideas as SQLAlchemy writes the public page's conditions on each database (a
# partial index is used only when the query's terms match its own; migration 0016).
_VISIBLE_SQLITE = text("published IS 1 AND hidden IS 0 AND merged_into IS NULL")
_VISIBLE_POSTGRESQL = text("published IS true AND hidden IS false AND merged_into IS NULL")
MERGED = "merged"
"""Recorded in the status history (never as an idea's status) when an idea is merged."""


class IdeaSequence(Base):
    """The last idea number handed out: numbers are gapless and independent of row ids."""

    __tablename__ = "idea_sequence"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_number: Mapped[int]


class Idea(Base):
    """A citizen's idea with where it came from, its state and its card."""

    __tablename__ = "ideas"
    __table_args__ = (
        UniqueConstraint("number"),
        UniqueConstraint("platform", "source_event_id"),
        Index("ix_ideas_platform_author_id_created_at", "platform", "author_id", "created_at"),
        Index("ix_ideas_card_event_id", "card_event_id"),
        Index("ix_ideas_support_count_number", "support_count", "number"),
        # The public page counts and pages only visible ideas (migration 0016).
        Index(
            "ix_ideas_visible_number",
            "number",
            sqlite_where=_VISIBLE_SQLITE,
            postgresql_where=_VISIBLE_POSTGRESQL,
        ),
        Index(
            "ix_ideas_visible_support",
            "support_count",
            "number",
            sqlite_where=_VISIBLE_SQLITE,
            postgresql_where=_VISIBLE_POSTGRESQL,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int]
    platform: Mapped[str] = mapped_column(String(32))
    author_id: Mapped[str] = mapped_column(String(255))
    author_name: Mapped[str] = mapped_column(String(255))
    room_id: Mapped[str] = mapped_column(String(255))
    source_event_id: Mapped[str] = mapped_column(String(255))
    category: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    published: Mapped[bool]
    hidden: Mapped[bool]
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    merged_into: Mapped[int | None]
    card_platform: Mapped[str | None] = mapped_column(String(32))
    """The platform of the card's room; set with `card_room_id`."""
    card_room_id: Mapped[str | None] = mapped_column(String(255))
    card_event_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
    # Kept by database triggers on idea_supports (migration 0009), never written here;
    # read by listings ordered by support, while the count of one idea is still counted.
    support_count: Mapped[int] = mapped_column(default=0, server_default="0")


class IdeaVisibleCount(Base):
    """How many ideas of a category ('' for none) are visible: published, not hidden, not
    merged. Kept by database triggers on `ideas` (migration 0022), never written here, so
    that a listing's "page 1 of N" reads a few rows instead of counting every idea."""

    __tablename__ = "idea_visible_counts"

    category: Mapped[str] = mapped_column(String(64), primary_key=True)
    visible: Mapped[int]


class IdeaSupport(Base):
    """One person supports one idea, by command, by 👍 on the card, or carried over by a merge.

    ``by_reaction`` is set when a 👍 created the support, so taking that reaction back
    withdraws it, while a support by command survives the removal of some other reaction.
    """

    __tablename__ = "idea_supports"
    __table_args__ = (UniqueConstraint("idea_id", "platform", "supporter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(32))
    supporter_id: Mapped[str] = mapped_column(String(255))
    by_reaction: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime]


class IdeaStatusChange(Base):
    """One entry of an idea's history: its status from then on and the reason given."""

    __tablename__ = "idea_status_changes"
    __table_args__ = (Index("ix_idea_status_changes_idea_id", "idea_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[str | None] = mapped_column(String(255))
    changed_at: Mapped[datetime]


class IdeaReport(Base):
    """Someone reported an idea; ``resolved`` once staff decided to show it again."""

    __tablename__ = "idea_reports"
    __table_args__ = (UniqueConstraint("idea_id", "platform", "reporter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(32))
    reporter_id: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str | None] = mapped_column(Text)
    resolved: Mapped[bool]
    created_at: Mapped[datetime]
