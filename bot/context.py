"""Neutral types the civic logic talks through, so handlers never see a chat library.

A second platform (Discord) implements `ChatAdapter` and produces these same types.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Protocol

from bot.errors import AlreadyProcessed, UnknownPlatform
from bot.messages import Message, render

if TYPE_CHECKING:
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
class IncomingRedaction:
    """Someone took back (redacted) an earlier event, e.g. a reaction."""

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


IncomingEvent = (
    IncomingMessage
    | IncomingReaction
    | IncomingRedaction
    | IncomingPollResponse
    | IncomingPollEnd
    | IncomingUnreadable
)


@dataclass(frozen=True)
class PollDraft:
    """A poll to post natively; answer ids are ours, so votes map back to answers."""

    question: str
    answers: tuple[tuple[str, str], ...]
    max_selections: int
    disclosed: bool
    fallback: Message


@dataclass(frozen=True)
class FileUpload:
    """A file to hand to people in a room (exports, calendar files, data requests)."""

    filename: str
    content_type: str
    data: bytes


class ChatAdapter(Protocol):
    """What the civic logic needs from a chat platform (implemented in `bot.adapters`)."""

    platform: str

    async def send(
        self,
        room_id: str,
        message: Message,
        *,
        reply_to: str | None = None,
        thread_root: str | None = None,
        dedupe_key: str | None = None,
    ) -> str:
        """Send a notice (optionally replying to an event or in a thread); returns its id.

        `dedupe_key` lets a retried send after a restart be recognised as the same message.
        """
        ...

    async def send_direct(
        self, user_id: str, message: Message, *, dedupe_key: str | None = None
    ) -> str:
        """Send a notice in the direct room with `user_id`, opening one if needed."""
        ...

    async def edit(self, room_id: str, event_id: str, message: Message) -> str:
        """Replace the text of a message the bot sent earlier (e.g. a live count)."""
        ...

    async def upload(
        self,
        room_id: str,
        upload: FileUpload,
        *,
        reply_to: str | None = None,
        dedupe_key: str | None = None,
    ) -> str:
        """Post a file into the room and return the event id of the file message."""
        ...

    async def send_poll(self, room_id: str, poll: PollDraft, *, dedupe_key: str) -> str:
        """Post a native poll (with a text fallback for clients without polls)."""
        ...

    async def end_poll(
        self, room_id: str, poll_event_id: str, results: Message, *, dedupe_key: str
    ) -> str:
        """Close a native poll, carrying the results text."""
        ...

    async def poll_responses(
        self, room_id: str, poll_event_id: str
    ) -> Sequence[IncomingPollResponse]:
        """Every response to a native poll the platform still has (Matrix: `/relations`).

        Lets a poll that closes right after a restart count votes sent while the bot was
        down, before the catch-up sync has delivered them.
        """
        ...

    async def resolve_room(self, reference: str) -> str:
        """The room id for a room id or alias (e.g. `#forum:example.org`)."""
        ...

    async def power_level(self, room_id: str, user_id: str) -> int:
        """The user's power level in the room, treating room creators as unlimited."""
        ...

    async def is_member(self, room_id: str, user_id: str) -> bool:
        """Whether the user has joined the room."""
        ...

    async def direct_room(self, user_id: str) -> str:
        """The direct chat with `user_id` (opened if needed), e.g. to hand them a file."""
        ...


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
