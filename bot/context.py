"""Neutral types the civic logic talks through, so handlers never see a chat library.

A second platform (Discord) implements `bot.adapters.base.ChatAdapter` and produces these
same types.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from bot.errors import AlreadyProcessed, UnknownPlatform
from bot.messages import Message, render

if TYPE_CHECKING:
    from bot.adapters.base import ChatAdapter
    from bot.clock import Clock
    from bot.config import Settings
    from bot.i18n import Catalog
    from bot.roles import RoleResolver
    from bot.router import CommandRegistry
    from bot.scheduler import Scheduler
    from storage.uow import UnitOfWork


class Role(IntEnum):
    """Who someone is to the bot; a higher role may do everything a lower one may."""

    CITIZEN = 0
    EXPERT = 1
    STAFF = 2


@dataclass(frozen=True)
class Actor:
    """The person behind an incoming event, as the platform identifies them."""

    platform: str
    id: str
    display_name: str


@dataclass(frozen=True)
class Place:
    """Where an event happened; direct rooms relax the command prefix."""

    room_id: str
    is_direct: bool


@dataclass(frozen=True)
class IncomingMessage:
    """A text message someone sent in a room the bot is in.

    `reply_to` and `thread_root` say what it answers, so an expert's reply in a question's
    thread can be recognised without knowing how a platform encodes threads.
    """

    event_id: str
    actor: Actor
    place: Place
    text: str
    sent_at: datetime | None = None
    reply_to: str | None = None
    thread_root: str | None = None


@dataclass(frozen=True)
class IncomingReaction:
    """Someone reacted to a message with `key` (usually an emoji such as 👍 or ✅)."""

    event_id: str
    actor: Actor
    place: Place
    target_event_id: str
    key: str
    sent_at: datetime


@dataclass(frozen=True)
class IncomingReactionRemoved:
    """Someone took back their reaction `key` on `target_event_id`.

    Platforms name a removed reaction differently (Matrix redacts the reaction event by its
    id; Discord names person, message and emoji); the adapter reports both as this.
    `event_id` is the removal's own id (or one the adapter derives), for at-most-once.
    """

    event_id: str
    actor: Actor
    place: Place
    target_event_id: str
    key: str
    sent_at: datetime


@dataclass(frozen=True)
class IncomingRedaction:
    """Someone took back (redacted) an earlier event that was not a reaction.

    Only native poll responses act on it: a vote taken back in the client. Matrix models
    that as a redaction of the response event, and the stored response is keyed by that
    id, so this stays an event of its own rather than being folded into a neutral
    "vote withdrawn". Redactions of reactions arrive as `IncomingReactionRemoved`.
    """

    event_id: str
    actor: Actor
    place: Place
    redacted_event_id: str
    sent_at: datetime


@dataclass(frozen=True)
class IncomingPollResponse:
    """A vote on a native poll: the answer ids as sent, before any counting rule."""

    event_id: str
    actor: Actor
    place: Place
    poll_event_id: str
    answer_ids: tuple[str, ...]
    sent_at: datetime


@dataclass(frozen=True)
class IncomingPollEnd:
    """Someone (a client, not this bot) ended a native poll."""

    event_id: str
    actor: Actor
    place: Place
    poll_event_id: str
    sent_at: datetime


@dataclass(frozen=True)
class IncomingUnreadable:
    """A message the bot could not decrypt even after asking for the keys.

    The sender deserves to know the bot did not read it, instead of silence.
    """

    event_id: str
    actor: Actor
    place: Place
    sent_at: datetime


@dataclass(frozen=True)
class IncomingInterest:
    """Someone marked (or, with `added` false, unmarked) interest in a calendar entry the
    bot keeps on the platform (`target`, the id the adapter returned for it; Discord: a
    scheduled event's "Interested"). `event_id` is derived by the adapter, for at-most-once.
    """

    event_id: str
    actor: Actor
    place: Place
    target: str
    added: bool
    sent_at: datetime


@dataclass(frozen=True)
class SuggestionRequest:
    """Someone is typing a number in a platform's command menu (Discord's autocomplete):
    which things it counts (`refers_to`: "idea", "poll", "workshop", "question") and what
    they typed so far (part of a number, or words of a title)."""

    actor: Actor
    place: Place
    refers_to: str
    typed: str


@dataclass(frozen=True)
class Suggestion:
    """One number to offer, with a label saying what it is ("#12 · Mehr Bänke …")."""

    number: int
    label: str


IncomingEvent = (
    IncomingMessage
    | IncomingReaction
    | IncomingReactionRemoved
    | IncomingRedaction
    | IncomingPollResponse
    | IncomingPollEnd
    | IncomingUnreadable
    | IncomingInterest
)


def poll_answer_id(position: int) -> str:
    """The id of a poll's answer at `position` (1-based), in the order it was given.

    Fixed by position so that a platform which numbers native answers itself (Discord: 1..n
    in order) maps votes back to our answers without storing a mapping.
    """
    return f"a{position}"


@dataclass(frozen=True)
class PollDraft:
    """A poll to post natively; answer ids are ours (`poll_answer_id` of their positions),
    so votes map back to answers."""

    question: str
    answers: tuple[tuple[str, str], ...]
    max_selections: int
    disclosed: bool
    fallback: Message
    duration: timedelta | None = None
    """How long the poll runs (whole hours where the platform's polls need them); None when
    the bot ends it. For platforms whose native polls expire by themselves (Discord)."""


@dataclass(frozen=True)
class CalendarEntry:
    """A workshop as a platform's own calendar shows it (Discord: a scheduled event)."""

    title: str
    starts_at: datetime
    ends_at: datetime
    location: str
    description: str


@dataclass(frozen=True)
class FileUpload:
    """A file to hand to people in a room (exports, calendar files, data requests)."""

    filename: str
    content_type: str
    data: bytes
    description: str | None = None
    """What an image shows, for people who cannot see it (alt text); None for other files."""


@dataclass
class Services:
    """Dependencies handed from `bot.app` to every handler; no module holds globals."""

    settings: Settings
    catalog: Catalog
    clock: Clock
    unit_of_work: Callable[[], UnitOfWork]
    adapters: Mapping[str, ChatAdapter]
    """The running chat adapters by platform name; one process may serve several."""
    commands: CommandRegistry
    scheduler: Scheduler
    roles: RoleResolver
    state: dict[str, Any] = field(default_factory=dict)
    """In-memory caches features build at start (e.g. the similar-ideas index), keyed by
    feature name. Always derived from the database, never the source of truth."""

    def adapter_for(self, platform: str) -> ChatAdapter:
        """The adapter of `platform`: what a person or room on it is reached through.

        Raises UnknownPlatform when that platform is not running (e.g. its settings were
        removed while its people and rooms stay stored).
        """
        try:
            return self.adapters[platform]
        except KeyError:
            raise UnknownPlatform(platform) from None

    async def language_of(self, actor: Actor) -> str:
        """The language someone chose, else the deployment's default."""
        async with self.unit_of_work() as uow:
            chosen = await uow.people.language_of(actor.platform, actor.id)
        return chosen or self.settings.language

    def render(self, language: str, key: str, **params: Any) -> Message:
        """A catalog message for someone who is not the asker of a command (e.g. a DM)."""
        return render(self.catalog.raw(language, key), **params)


@dataclass
class Context:
    """One command invocation: who asked, where, in which language, and how to answer."""

    services: Services
    message: IncomingMessage
    language: str
    role: Role
    command_name: str
    _answers: int = 0
    _queued: list[tuple[str, Message]] = field(default_factory=list)
    sent_from_queue: list[str] = field(default_factory=list)
    """Dedupe keys of queued answers that went out; the router then forgets their rows."""

    @property
    def actor(self) -> Actor:
        return self.message.actor

    @property
    def place(self) -> Place:
        return self.message.place

    @property
    def event_id(self) -> str:
        return self.message.event_id

    @property
    def has_unsent_answers(self) -> bool:
        return bool(self._queued)

    def t(self, key: str, **params: Any) -> str:
        """A catalog message in the asker's language, as plain text."""
        return self.services.catalog.text(self.language, key, **params)

    def render(self, key: str, *, language: str | None = None, **params: Any) -> Message:
        """A catalog message, in the asker's language unless told otherwise."""
        template = self.services.catalog.raw(language or self.language, key)
        return render(template, **params)

    async def reply(self, key: str, *, mentions: Sequence[str] = (), **params: Any) -> str:
        """Answer the command with a notice that replies to it."""
        return await self.reply_message(self.render(key, **params).notifying(mentions))

    async def reply_message(self, message: Message) -> str:
        """Answer with an already rendered message (for replies assembled from parts)."""
        return await self._send(self._next_dedupe_key(), message)

    async def claim(self, uow: UnitOfWork) -> None:
        """Mark the command handled in the transaction that stores its effect; once only.

        A replay after a restart then raises AlreadyProcessed and stores nothing twice. It
        also skips the answer, so answers to a claimed command are queued in the same
        transaction (`queue_reply`) and sent after the commit (`send_queued`).
        """
        if not await uow.events.mark_processed(self.actor.platform, self.event_id):
            raise AlreadyProcessed

    def queue_reply(self, uow: UnitOfWork, key: str, **params: Any) -> None:
        """Store an answer with the command's effect (see `claim`)."""
        self.queue_reply_message(uow, self.render(key, **params))

    def queue_reply_message(self, uow: UnitOfWork, message: Message) -> None:
        """Store an already rendered answer with the command's effect."""
        dedupe_key = self._next_dedupe_key()
        uow.replies.add(
            dedupe_key,
            platform=self.actor.platform,
            event_id=self.event_id,
            room_id=self.place.room_id,
            message=message.to_json(),
        )
        self._queued.append((dedupe_key, message))

    async def send_queued(self) -> None:
        """Send the answers queued in a transaction that has been committed, in order."""
        while self._queued:
            dedupe_key, message = self._queued[0]
            await self._send(dedupe_key, message)
            self._queued.pop(0)
            self.sent_from_queue.append(dedupe_key)

    def _next_dedupe_key(self) -> str:
        self._answers += 1
        return f"{self.event_id}/{self._answers - 1}"

    async def _send(self, dedupe_key: str, message: Message) -> str:
        return await self.services.adapter_for(self.actor.platform).send(
            self.place.room_id, message, reply_to=self.event_id, dedupe_key=dedupe_key
        )
