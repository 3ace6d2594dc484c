"""A recording chat adapter and a bot wired to it, for unit tests without a homeserver."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from bot.clock import FakeClock
from bot.config import Settings
from bot.context import (
    Actor,
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


@dataclass
class FakeAdapter:
    """Records what the bot sends; power levels and memberships are set by the test."""

    platform: str = "matrix"
    sent: list[Sent] = field(default_factory=list)
    power_levels: dict[tuple[str, str], int] = field(default_factory=dict)
    members: set[tuple[str, str]] = field(default_factory=set)
    relations: dict[str, list[IncomingPollResponse]] = field(default_factory=dict)
    """Poll responses the homeserver would list per poll event (`/relations`)."""
    _ids: itertools.count = field(default_factory=itertools.count)

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

    async def power_level(self, room_id: str, user_id: str) -> int:
        return self.power_levels.get((room_id, user_id), 0)

    async def is_member(self, room_id: str, user_id: str) -> bool:
        return (room_id, user_id) in self.members


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
        await self.router.handle(
            IncomingMessage(
                event_id, Actor("matrix", user, user[1:].split(":")[0]), Place(room, direct), text
            )
        )
        return [sent.message for sent in self.adapter.sent[before:]]


def catalog_with(extra: dict[str, str]) -> Catalog:
    """The real catalogs plus messages for commands that exist only in a test."""
    real = Catalog.load()
    messages = {
        language: {**{key: real.raw(language, key) for key in real.keys(language)}, **extra}
        for language in real.languages
    }
    return Catalog(messages, real.default)


async def make_fake_bot(
    tmp_path: Path,
    modules: tuple[ModuleType, ...],
    extra_messages: dict[str, str] | None = None,
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
    adapter = FakeAdapter()
    adapters = {"matrix": adapter}
    """A test may add a second platform's adapter here; services and roles share it."""
    clock = FakeClock()
    registry = CommandRegistry.from_modules(modules)
    services = Services(
        settings=settings,
        catalog=catalog_with(extra_messages or {}),
        clock=clock,
        unit_of_work=UnitOfWorkFactory(create_session_factory(engine)),
        adapters=adapters,
        commands=registry,
        scheduler=Scheduler(clock),
        roles=RoleResolver(settings, adapters),
    )
    router = Router(services, registry)
    return FakeBot(router, adapter, services)
