"""What the civic core needs from a chat platform, and what the platform can do.

The protocol and its flag types live here, beside the adapters, and not in `bot.context`:
handlers never import them. A handler reaches the flags through the adapter it is given
(`services.adapter_for(platform).features.polls.max_answers`), so it depends on values, not on this
module, and `handlers/` keeps importing nothing from `bot.adapters`. `bot.context` names
`ChatAdapter` only for type checking.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.context import CalendarEntry, FileUpload, IncomingPollResponse, PollDraft
    from bot.messages import Message


@dataclass(frozen=True)
class PollLimits:
    """What a platform's native poll can carry; a poll beyond them is posted as text."""

    max_answers: int
    max_answer_length: int
    max_question_length: int
    max_duration: timedelta | None
    """The longest deadline a native poll can have; None when native polls never expire on
    their own (the bot ends them)."""
    whole_hours_only: bool
    """Native polls run for whole hours only (a deadline at 14:30 cannot be native)."""
    can_hide_results: bool
    """Whether clients can be told not to show the standing before the end."""
    limits_selections: bool
    """Whether a multiple-choice poll can allow k of its n answers (1 < k < n); without,
    a native poll allows one answer or any number."""


@dataclass(frozen=True)
class PlatformFeatures:
    """Capability flags and limits of one chat platform, read by handlers to fall back."""

    polls: PollLimits | None
    """Native polls and their limits; None when the platform has none (text polls only)."""
    threads: bool
    """Whether a message can start a thread; without, a question's thread is replies."""
    reaction_ids: bool
    """Whether removing a reaction names the reaction by its own id (Matrix: a redaction of
    the reaction event) rather than by person, message and emoji. An adapter of the first
    kind remembers its reactions (`uow.reactions`) to report `IncomingReactionRemoved`."""
    max_message_length: int
    """The longest text one message may carry, in characters."""
    idempotent_sends: bool
    """Whether the platform itself drops a repeated send with the same transaction id.
    Where it does not, the adapter must keep a sent-log (key -> message id) to keep the
    promise of `ChatAdapter.send`."""
    calendar_events: bool = False
    """Whether the platform keeps a calendar of its own that workshops are mirrored into
    (`ChatAdapter.create_calendar_entries`; Discord: scheduled events), where marking
    interest arrives as `IncomingInterest`. Without, those methods are never called."""


@dataclass(frozen=True)
class ChoiceDeclaration:
    """One of the fixed words an argument accepts: the word the command line gets (`value`,
    one the core's parser reads) and what people see, per language (`de`, `en`)."""

    value: str
    names: dict[str, str]


@dataclass(frozen=True)
class ArgumentDeclaration:
    """One argument of a command, for a command menu that asks for each one by itself.

    `kind` says what it holds: "number" (a reference number such as 12), "word", "text"
    (free text up to the end of the line), "choice" (one of `choices`), "flag" (an option
    that is there or not) or "words" (several words or quoted phrases, as typed).
    `option` marks a `--name value` option (positional otherwise). `refers_to` names what a
    number counts ("idea", "poll", "workshop", "question"), so a menu can suggest them.
    Names and descriptions per language (`de`, `en`).
    """

    key: str
    """The name in the command declaration (the positional parameter or the option)."""
    kind: str
    required: bool
    option: bool
    names: dict[str, str]
    descriptions: dict[str, str]
    choices: tuple[ChoiceDeclaration, ...] = ()
    refers_to: str | None = None


@dataclass(frozen=True)
class CommandDeclaration:
    """A chat command as a platform with a command menu of its own (Discord's slash
    commands) lists it: its German name, English alias, and per language (`de`, `en`) the
    one-line summary and usage line from the catalogs (usage empty: it takes no arguments),
    and its arguments one by one.
    """

    name: str
    alias: str
    summaries: dict[str, str]
    usages: dict[str, str]
    arguments: tuple[ArgumentDeclaration, ...] = ()


@dataclass(frozen=True)
class CommandMenu:
    """The commands to offer in a platform's command menu, and the prefix that the text a
    menu command becomes (`<prefix><name> <arguments>`) starts with."""

    prefix: str
    commands: tuple[CommandDeclaration, ...]


class PlatformSetupError(Exception):
    """The platform refuses the bot until its operator changes something outside the bot
    (e.g. a switch in Discord's developer portal); the message says what, for `run` to show.
    """


class ChatAdapter(Protocol):
    """What the civic logic needs from a chat platform (implemented per platform package).

    Every send takes an optional `dedupe_key`: the adapter delivers at most one message per
    key, however often it is asked (a retry after a crash sends the same key again). Matrix
    derives the transaction id from the key; a platform without transaction ids keeps a
    sent-log of keys and message ids.
    """

    platform: str
    features: PlatformFeatures
    user_id: str
    """The bot's own id on the platform (Matrix: the configured account; Discord: known once
    logged in), e.g. to check the bot is in a room or to tell people where to write to it."""
    user_reference_example: str
    """How a person is written when typed, for help texts (Matrix: `@name:server`)."""

    def parse_user(self, text: str) -> str | None:
        """The platform's id of the person a typed mention or id names, else None."""
        ...

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

        `thread_root` is only given when `features.threads` is true.
        """
        ...

    async def open_thread(
        self, room_id: str, message: Message, *, title: str, dedupe_key: str | None = None
    ) -> str:
        """Post `message` as the root of a new thread named `title` (where the platform
        names threads) and return the root's id, the `thread_root` of later sends.

        Matrix: a plain notice (a thread begins with its first reply). Discord: the message
        and a thread from it, or a post in a forum channel.
        """
        ...

    async def close_thread(self, room_id: str, thread_root: str, *, lock: bool = False) -> None:
        """The thread started by `thread_root` is done: out of the list of active threads
        where the platform keeps one, and with `lock` closed to further messages. Doing it
        twice changes nothing.

        Matrix: nothing (a Matrix thread has no state). Discord: the thread is archived (a
        new message wakes it, unless locked).
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
        """Post a native poll within `features.polls` (with a text fallback for clients
        without polls)."""
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

    async def is_moderator(self, room_id: str, user_id: str) -> bool:
        """Whether the person moderates the room (may end others' polls; staff in the staff
        room), by the platform's own permission model."""
        ...

    async def is_member(self, room_id: str, user_id: str) -> bool:
        """Whether the user has joined the room."""
        ...

    async def in_group(self, group_id: str, user_id: str) -> bool:
        """Whether the person belongs to a group the platform keeps apart from rooms (Discord:
        has the role), as settings name groups (a department's expert group, the staff's).
        Only asked of platforms whose settings name groups."""
        ...

    async def direct_room(self, user_id: str) -> str:
        """The direct chat with `user_id` (opened if needed), e.g. to hand them a file."""
        ...

    async def create_calendar_entries(self, entry: CalendarEntry) -> list[str]:
        """Put the entry into the platform's own calendar, wherever the platform keeps one
        (Discord: a scheduled event in each server); returns the ids of what it created.
        Only asked when `features.calendar_events` is true."""
        ...

    async def update_calendar_entry(self, entry_id: str, entry: CalendarEntry) -> None:
        """Change a calendar entry made by `create_calendar_entries` (a moved workshop)."""
        ...

    async def cancel_calendar_entry(self, entry_id: str) -> None:
        """Mark a calendar entry made by `create_calendar_entries` cancelled."""
        ...
