"""A recording chat adapter and a bot wired to it, for unit tests without a homeserver."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from types import ModuleType

from bot.adapters.base import PlatformFeatures, PollLimits
from bot.adapters.matrix.features import MATRIX_FEATURES
from bot.adapters.matrix.identity import USER_REFERENCE_EXAMPLE, parse_user_id
from bot.clock import FakeClock
from bot.config import PlatformSettings, Settings
from bot.context import (
    Actor,
    CalendarEntry,
    FileUpload,
    IncomingMessage,
    IncomingPollResponse,
    Place,
    PollDraft,
    Services,
)
from bot.i18n import Catalog
from bot.messages import Message
from bot.roles import RoleResolver
from bot.router import CommandRegistry, Router
from bot.scheduler import Scheduler
from storage.db import create_engine, create_session_factory, upgrade_schema
from storage.uow import UnitOfWorkFactory


@dataclass
class Sent:
    """One thing the bot sent; `kind` is notice, edit, file, poll or poll_end."""

    room_id: str
    message: Message
    reply_to: str | None
    kind: str = "notice"
    event_id: str = ""
    thread_root: str | None = None
    edits: str | None = None
    upload: FileUpload | None = None
    poll: PollDraft | None = None
    dedupe_key: str | None = None


LIMITED_FEATURES = PlatformFeatures(
    polls=PollLimits(
        max_answers=10,
        max_answer_length=55,
        max_question_length=300,
        max_duration=timedelta(days=32),
        whole_hours_only=True,
        can_hide_results=False,
        limits_selections=False,
    ),
    threads=False,
    reaction_ids=False,
    max_message_length=2000,
    idempotent_sends=False,
)
"""A platform smaller than Matrix in every way the core asks (shaped like Discord)."""


def _parse_handle(text: str) -> str | None:
    """`@name` on the limited platform; its ids are the bare names."""
    found = re.fullmatch(r"@(\w+)", text.strip())
    return found.group(1) if found else None


@dataclass
class FakeAdapter:
    """Records what the bot sends; moderators and memberships are set by the test.

    Configurable as any platform: `FakeAdapter()` behaves like Matrix, and
    `FakeAdapter.limited("chat")` like a platform with small native polls, no threads and
    reactions removed by person (no reaction ids).
    """

    platform: str = "matrix"
    features: PlatformFeatures = MATRIX_FEATURES
    user_id: str = "@bot:localhost"
    """The bot's own id, as `make_fake_bot` configures the Matrix account."""
    user_reference_example: str = USER_REFERENCE_EXAMPLE
    parse_user_id: Callable[[str], str | None] = parse_user_id
    sent: list[Sent] = field(default_factory=list)
    moderators: set[tuple[str, str]] = field(default_factory=set)
    """(room, person) pairs the platform counts as moderators of the room."""
    members: set[tuple[str, str]] = field(default_factory=set)
    thread_titles: list[str] = field(default_factory=list)
    """The titles `open_thread` was given, in order."""
    closed_threads: list[tuple[str, bool]] = field(default_factory=list)
    """Threads closed (`close_thread`): their root, and whether locked."""
    groups: set[tuple[str, str]] = field(default_factory=set)
    """(group, person) pairs: who belongs to which of the platform's groups (roles)."""
    relations: dict[str, list[IncomingPollResponse]] = field(default_factory=dict)
    """Poll responses the homeserver would list per poll event (`/relations`)."""
    calendar: list[tuple[str, str, CalendarEntry | None]] = field(default_factory=list)
    """Calendar calls as (action, entry id, entry): create, update or cancel."""
    _ids: itertools.count = field(default_factory=itertools.count)

    @classmethod
    def limited(cls, platform: str = "chat") -> FakeAdapter:
        return cls(
            platform=platform,
            features=LIMITED_FEATURES,
            user_reference_example="@name",
            parse_user_id=_parse_handle,
        )

    def parse_user(self, text: str) -> str | None:
        return self.parse_user_id(text)

    def _record(self, sent: Sent) -> str:
        sent.event_id = f"$sent{next(self._ids)}"
        self.sent.append(sent)
        return sent.event_id

    async def send(
        self, room_id, message, *, reply_to=None, thread_root=None, dedupe_key=None
    ) -> str:
        return self._record(
            Sent(room_id, message, reply_to, thread_root=thread_root, dedupe_key=dedupe_key)
        )

    async def open_thread(self, room_id, message, *, title, dedupe_key=None) -> str:
        self.thread_titles.append(title)
        return await self.send(room_id, message, dedupe_key=dedupe_key)

    async def close_thread(self, room_id, thread_root, *, lock=False) -> None:
        self.closed_threads.append((thread_root, lock))

    async def send_direct(self, user_id, message, *, dedupe_key=None) -> str:
        return await self.send(await self.direct_room(user_id), message)

    async def direct_room(self, user_id: str) -> str:
        return f"!dm-{user_id}"

    async def edit(self, room_id, event_id, message) -> str:
        return self._record(Sent(room_id, message, None, kind="edit", edits=event_id))

    async def upload(self, room_id, upload, *, reply_to=None, dedupe_key=None) -> str:
        message = Message.plain(upload.filename)
        return self._record(Sent(room_id, message, reply_to, kind="file", upload=upload))

    async def send_poll(self, room_id, poll, *, dedupe_key) -> str:
        return self._record(Sent(room_id, poll.fallback, None, kind="poll", poll=poll))

    async def end_poll(self, room_id, poll_event_id, results, *, dedupe_key) -> str:
        return self._record(Sent(room_id, results, None, kind="poll_end", edits=poll_event_id))

    async def poll_responses(self, room_id, poll_event_id) -> list[IncomingPollResponse]:
        return list(self.relations.get(poll_event_id, []))

    async def resolve_room(self, reference: str) -> str:
        return reference

    async def is_moderator(self, room_id: str, user_id: str) -> bool:
        return (room_id, user_id) in self.moderators

    async def is_member(self, room_id: str, user_id: str) -> bool:
        return (room_id, user_id) in self.members

    async def in_group(self, group_id: str, user_id: str) -> bool:
        return (group_id, user_id) in self.groups

    async def create_calendar_entries(self, entry: CalendarEntry) -> list[str]:
        entry_id = f"calendar{next(self._ids)}"
        self.calendar.append(("create", entry_id, entry))
        return [entry_id]

    async def update_calendar_entry(self, entry_id: str, entry: CalendarEntry) -> None:
        self.calendar.append(("update", entry_id, entry))

    async def cancel_calendar_entry(self, entry_id: str) -> None:
        self.calendar.append(("cancel", entry_id, None))


class FakeBot:
    """The router with real storage and catalogs, driven by `say`."""

    def __init__(self, router: Router, adapter: FakeAdapter, services: Services) -> None:
        self.router = router
        self.adapter = adapter
        self.services = services
        self._events = itertools.count()

    async def say(
        self, user: str, text: str, room: str = "!forum:localhost", direct: bool = False
    ) -> list[Message]:
        """Send `text` as `user`; returns what the bot answered to it."""
        before = len(self.adapter.sent)
        event_id = f"$event{next(self._events)}"
        actor = Actor(self.adapter.platform, user, user[1:].split(":")[0])
        await self.router.handle(IncomingMessage(event_id, actor, Place(room, direct), text))
        return [sent.message for sent in self.adapter.sent[before:]]


def catalog_with(extra: dict[str, str]) -> Catalog:
    """The real catalogs plus messages for commands that exist only in a test."""
    real = Catalog.load()
    messages = {
        language: {**{key: real.raw(language, key) for key in real.keys(language)}, **extra}
        for language in real.languages
    }
    return Catalog(messages, real.default)


def configured_like_matrix(settings: Settings, platform: str) -> Settings:
    """`settings` with `platform` configured as the environment configures Matrix.

    The environment only knows Matrix's settings; a test on a fake platform names its
    staff, rooms and department rooms the same way and gets them on that platform.
    """
    matrix = settings.for_platform("matrix")
    same = PlatformSettings(
        staff_users=matrix.staff_users,
        staff_room=matrix.staff_room,
        ideas_room=matrix.ideas_room,
        announce_rooms=matrix.announce_rooms,
    )
    departments = tuple(
        replace(d, rooms={**d.rooms, platform: d.rooms["matrix"]}) if "matrix" in d.rooms else d
        for d in settings.departments
    )
    return replace(
        settings, platforms={**settings.platforms, platform: same}, departments=departments
    )


async def make_fake_bot(
    tmp_path: Path,
    modules: tuple[ModuleType, ...],
    extra_messages: dict[str, str] | None = None,
    adapter: FakeAdapter | None = None,
    **settings_env: str,
) -> FakeBot:
    env = {
        "MATRIX_HOMESERVER": "http://127.0.0.1:1",
        "MATRIX_USER_ID": "@bot:localhost",
        "MATRIX_PASSWORD": "x",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        **settings_env,
    }
    settings = Settings.from_env(env=env)
    engine = create_engine(settings.database_url)
    await upgrade_schema(engine)
    adapter = adapter or FakeAdapter()
    if adapter.platform not in settings.platforms:
        settings = configured_like_matrix(settings, adapter.platform)
    adapters = {adapter.platform: adapter}
    """A test may add a second platform's adapter here; services and roles share it."""
    clock = FakeClock()
    registry = CommandRegistry.from_modules(modules)
    services = Services(
        settings=settings,
        catalog=catalog_with(extra_messages or {}),
        clock=clock,
        unit_of_work=UnitOfWorkFactory(create_session_factory(engine), now=clock.now),
        adapters=adapters,
        commands=registry,
        scheduler=Scheduler(clock),
        roles=RoleResolver(settings, adapters),
    )
    router = Router(services, registry)
    return FakeBot(router, adapter, services)
