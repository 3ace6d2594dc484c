"""Tables of expert questions: the questions, where they went, what was said, and an outbox.

Room id columns: ``Question.origin_room_id`` (where the citizen asked; on the asker's
platform by construction, so ``Question.platform`` is its platform) and
``QuestionRoute.room_id`` (the department room whose thread holds the question, on
``QuestionRoute.platform``, which may differ from the asker's).

A question's life is recorded as columns, each set in the transaction that decides it, so a
restart neither skips nor repeats a step: created (row, ``status`` "choosing" while the
citizen picks a department) → routed (a :class:`QuestionRoute`, ``routed_at``) → answered
(``answered_at``, first expert answer) → closed (``closed_at``). The timed steps (offer
expired, reminder, escalation) each have their own column. Everything the bot has to say
about a question is queued as a :class:`QuestionNotice` in the same transaction and sent
afterwards with a dedupe key, so a crash between deciding and sending loses nothing.
"""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class Question(Base):
    """A citizen's question; its id is the number people see (#12)."""

    __tablename__ = "questions"
    __table_args__ = (
        UniqueConstraint("platform", "origin_event_id"),
        Index("ix_questions_asker", "platform", "asker"),
        Index("ix_questions_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    asker: Mapped[str] = mapped_column(String(255))
    asker_name: Mapped[str] = mapped_column(String(255))
    public: Mapped[bool] = mapped_column(Boolean)
    """The citizen chose to be named in the department room (`--oeffentlich`)."""
    publish: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """The citizen agreed that the question and its answers appear on the public page
    (`--veroeffentlichen`), without their name; a consent of its own, see docs/web.md."""
    text: Mapped[str] = mapped_column(Text)
    origin_room_id: Mapped[str] = mapped_column(String(255))
    origin_event_id: Mapped[str] = mapped_column(String(255))
    """The `!frage` message: every answer to the citizen replies to it."""
    origin_direct: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    """choosing, open (routed, no answer yet), answered, closed or expired (offer unanswered)."""
    department_id: Mapped[str | None] = mapped_column(String(64))
    candidates: Mapped[str] = mapped_column(Text, default="[]")
    """The department ids offered to the citizen, as a JSON list (empty when routed at once)."""
    created_at: Mapped[datetime]
    routed_at: Mapped[datetime | None]
    """First routing; reminder and escalation are measured from here, forwarding keeps it."""
    answered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    expired_at: Mapped[datetime | None]


class QuestionRoute(Base):
    """One stay of a question in a department room: the first routing or a forward."""

    __tablename__ = "question_routes"
    __table_args__ = (UniqueConstraint("platform", "thread_root"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    department_id: Mapped[str] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(32))
    """The platform of the department room: experts answer on theirs, whatever the asker's."""
    room_id: Mapped[str] = mapped_column(String(255))
    thread_root: Mapped[str | None] = mapped_column(String(255))
    """The event that starts the question's thread; None until it is posted."""
    how: Mapped[str] = mapped_column(String(16))
    """router (confident), hint (#abteilung), choice (the citizen picked) or forward."""
    routed_by: Mapped[str | None] = mapped_column(String(255))
    """Who forwarded it; None for the first routing."""
    routed_at: Mapped[datetime]


class QuestionMessage(Base):
    """An expert's answer or a citizen's follow-up, kept for the history a forward carries."""

    __tablename__ = "question_messages"
    __table_args__ = (UniqueConstraint("platform", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    """answer or followup."""
    platform: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(255))
    author: Mapped[str] = mapped_column(String(255))
    author_name: Mapped[str] = mapped_column(String(255))
    department_id: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class QuestionExample(Base):
    """A training example for the router: a forwarded question, where it belonged and where it
    had been routed before (`from_department_id`; None for examples from before migration 0017).
    """

    __tablename__ = "question_examples"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    department_id: Mapped[str] = mapped_column(String(64))
    from_department_id: Mapped[str | None] = mapped_column(String(64))
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id"))
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


class QuestionNotice(Base):
    """Something the bot has decided to say about a question and has not said yet.

    `target`: citizen (reply to the original question), root (the thread root of
    `route_id`, whose event id is recorded on delivery), thread (in the thread of
    `route_id`) or staff (the staff room). `params` are the catalog parameters as JSON.
    """

    __tablename__ = "question_notices"
    __table_args__ = (Index("ix_question_notices_pending", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    target: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    route_id: Mapped[int | None] = mapped_column(ForeignKey("question_routes.id"))
    reply_to: Mapped[str | None] = mapped_column(String(255))
    params: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    event_id: Mapped[str | None] = mapped_column(String(255))


class QuestionSecret(Base):
    """The random key behind the askers' pseudonyms, created on first use.

    In the database rather than in settings, so pseudonyms stay the same across restarts
    without anyone configuring a secret, yet cannot be computed from a Matrix id alone.
    """

    __tablename__ = "question_secrets"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
