"""Tables of the workshops feature: occurrences, registrations, planned effects, outbox.

A workshop row is one occurrence; a recurring series is a chain of rows created one at a
time (each with its own registrations). Every scheduled effect (an announcement, a reminder,
creating the next occurrence) is a `WorkshopEffect` row whose state is decided in the
transaction that acts on it, so a restart neither repeats nor skips it. What the bot has to
say because of a decision is written to the `WorkshopNotice` outbox in that same
transaction and delivered afterwards with a stable dedupe key.
"""

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class Workshop(Base):
    """One occurrence of a workshop; `id` is the `#N` people type."""

    __tablename__ = "workshops"

    id: Mapped[int] = mapped_column(primary_key=True)
    # iCalendar UID: stays the same across moves and cancellation, so calendars update.
    uid: Mapped[str] = mapped_column(String(255), unique=True)
    # iCalendar SEQUENCE: raised on every change a calendar app should pick up.
    sequence: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    online_url: Mapped[str | None] = mapped_column(String(500))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    # A department id (as idea categories), for the per-category calendar feeds; optional.
    category: Mapped[str | None] = mapped_column(String(64))
    # None: no limit on seats.
    capacity: Mapped[int | None]
    # "scheduled" or "cancelled".
    status: Mapped[str] = mapped_column(String(16))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # "weekly", "monthly" or None; the series ends after `repeat_until` (a local date).
    repeat: Mapped[str | None] = mapped_column(String(16))
    repeat_until: Mapped[date | None]
    # The series slot this occurrence stands for; moving the occurrence keeps it, so the
    # following occurrences stay on the series' weekday and local time.
    slot_at: Mapped[datetime]
    created_by_platform: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


class WorkshopRegistration(Base):
    """Someone registered for (or waiting for) one occurrence; waitlist order is `id`."""

    __tablename__ = "workshop_registrations"
    __table_args__ = (UniqueConstraint("workshop_id", "platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(255))
    # "registered" or "waiting".
    status: Mapped[str] = mapped_column(String(16))
    # Made (or confirmed) by a ✅ reaction, so taking that reaction back unregisters.
    by_reaction: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime]


class WorkshopEffect(Base):
    """A planned scheduled effect of an occurrence and whether it happened.

    `kind` is "announce", "remind" or "next" (create the next occurrence of a series);
    `state` is "pending", "sent", "skipped" or "cancelled". `late` records that it was sent
    after its due time (the bot was down).
    """

    __tablename__ = "workshop_effects"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshops.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16), index=True)
    late: Mapped[bool]
    decided_at: Mapped[datetime | None]


class WorkshopNotice(Base):
    """Outbox: a message the bot decided to send, delivered once with a stable dedupe key.

    Either `room_id` (an announcement room) or `external_id` (a direct message to a person)
    is set; `platform` is the platform of that room or person. `params` is JSON with what the
    message needs beyond the workshop (e.g. a cancellation reason or the previous date).
    """

    __tablename__ = "workshop_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    room_id: Mapped[str | None] = mapped_column(String(255))
    platform: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str | None] = mapped_column(String(255))
    params: Mapped[str] = mapped_column(Text)
    # "pending" or "sent".
    state: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class WorkshopAnnouncement(Base):
    """A message the bot posted about a workshop; a ✅ reaction on it registers.

    `platform` is the platform of the message and so of `room_id`.
    """

    __tablename__ = "workshop_announcements"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshops.id", ondelete="CASCADE"), index=True
    )
    room_id: Mapped[str] = mapped_column(String(255))
    posted_at: Mapped[datetime]


class WorkshopMirror(Base):
    """A workshop's entry in a platform's own calendar (a Discord scheduled event).

    One workshop can have several on one platform (one per Discord server); marking
    interest in one registers like ✅, so `(platform, external_id)` finds the workshop.
    """

    __tablename__ = "workshop_mirrors"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshops.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    synced_sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    """The workshop's `sequence` the entry shows: lower than the workshop's, the entry
    still has to be changed (a failed edit or cancel is retried until they agree)."""
