"""ORM models of the storage foundation.

People and chat objects are identified by ``(platform, external_id)``, e.g.
``("matrix", "@alice:localhost")``, so a second chat platform adds rows, not columns.

Every ``Mapped[datetime]`` column is a :class:`UtcDateTime`: values must be timezone-aware,
are stored as UTC and come back as aware UTC datetimes on every backend (SQLite has no
timezone support and would otherwise hand back naive values).
"""

from datetime import UTC, datetime

from sqlalchemy import DateTime, Dialect, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry
from sqlalchemy.types import TypeDecorator

# Deterministic constraint names: Alembic can only drop or alter a constraint it can name,
# and SQLite batch mode recreates tables, which needs the names to be known up front.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC.

    Naive datetimes are rejected when binding, because guessing their zone is how
    reminders end up an hour off after a daylight-saving change.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite: stored as UTC without an offset
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of all tables; carries the naming convention and the datetime type."""

    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UtcDateTime},
    )


class Person(Base):
    """Someone the bot has met on a chat platform, with their chosen language."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(255))
    # None means "not chosen": the bot then uses its default language.
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime]


class ProcessedEvent(Base):
    """An incoming chat event that has been handled; makes processing at-most-once."""

    __tablename__ = "processed_events"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    processed_at: Mapped[datetime]


class SyncState(Base):
    """The persisted sync token of one bot account, stored after the work it covers."""

    __tablename__ = "sync_states"

    account: Mapped[str] = mapped_column(String(255), primary_key=True)
    token: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class BotCredential(Base):
    """Device and access token of a bot account, so a password login reuses its device."""

    __tablename__ = "bot_credentials"

    account: Mapped[str] = mapped_column(String(255), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(255))
    access_token: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class RoomReplacement(Base):
    """A room that was upgraded (tombstoned) and the room that replaced it."""

    __tablename__ = "room_replacements"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    old_room_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    new_room_id: Mapped[str] = mapped_column(String(255))
    replaced_at: Mapped[datetime]


class PendingReply(Base):
    """An answer to a command, written in the transaction that stored the command's effect.

    `platform` is the asker's and so also the room's: the answer goes where they asked.

    The command's event is marked processed in that same transaction, so a replay after a
    crash would skip it; this row is what still makes the answer arrive (sent on the next
    start, with the same transaction id, so an answer that did go out is not doubled).
    """

    __tablename__ = "pending_replies"

    dedupe_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(255))
    room_id: Mapped[str] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text)
    """The neutral message as JSON (`bot.messages.Message.to_json`), rendered only when sent,
    so a resent answer looks the same on whichever platform renders it."""
    created_at: Mapped[datetime]


class LoggedReaction(Base):
    """A reaction someone made, kept for platforms that take a reaction back by its id.

    Such a platform's removal names only the reaction; this row says what it was (which
    message, which key, whose), so the core hears "this person took back this key on this
    message" on every platform. Written by the adapter when it delivers the reaction.
    """

    __tablename__ = "reaction_log"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    reaction_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    target_id: Mapped[str] = mapped_column(String(255))
    key: Mapped[str] = mapped_column(String(255))
    person_id: Mapped[str] = mapped_column(String(255), index=True)
    reacted_at: Mapped[datetime]


class ChannelCursor(Base):
    """The last message the bot handled in a channel, for platforms whose history the bot
    reads after a downtime (Discord): on start it catches up from here, so what was said
    while it was down is handled, once (the event log dedupes what overlaps).

    Written after the message's work is stored; it only ever moves forward.
    """

    __tablename__ = "channel_cursors"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    last_event_id: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime]


class SentMessage(Base):
    """A message the bot sent under a dedupe key, for platforms that forget a send's
    idempotency key after minutes (Discord's nonce): a retry of the same key after a
    restart finds the message here instead of posting it again.

    Written right after the send succeeded.
    """

    __tablename__ = "sent_log"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255))
    sent_at: Mapped[datetime]
