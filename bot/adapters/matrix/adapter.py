"""The Matrix side of the bot: login, the sync loop, invites, and sending notices.

This is the only module that talks to the homeserver through nio. It turns Matrix events
into the neutral types of `bot.context` and hands them to the router, so handlers never see
a Matrix object.

We run our own sync loop instead of nio's `sync_forever`, because that one saves the sync
token before callbacks run and awaits callbacks inline: a crash would then lose events and a
slow handler would stall every room.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    EncryptionError,
    Event,
    InviteMemberEvent,
    JoinError,
    LocalProtocolError,
    LoginResponse,
    MatrixRoom,
    MegolmEvent,
    MessageDirection,
    RoomCreateResponse,
    RoomMemberEvent,
    RoomMessagesResponse,
    RoomPreset,
    RoomResolveAliasResponse,
    RoomSendResponse,
    RoomUpgradeEvent,
    SyncResponse,
    UploadResponse,
    WhoamiResponse,
)
from nio.api import RelationshipType
from nio.crypto import ENCRYPTION_ENABLED

from bot.activity import Activity
from bot.adapters.base import PlatformFeatures
from bot.adapters.matrix.events import (
    POLL_END_TYPES,
    POLL_START_TYPES,
    edit_content,
    notice_content,
    parse_event,
    poll_end_content,
    poll_start_content,
)
from bot.adapters.matrix.features import MATRIX_FEATURES
from bot.adapters.matrix.identity import PLATFORM, USER_REFERENCE_EXAMPLE, parse_user_id
from bot.adapters.matrix.reactions import through_reaction_log
from bot.adapters.matrix.sync_progress import SyncProgress
from bot.config import MatrixSettings
from bot.context import (
    Actor,
    FileUpload,
    IncomingEvent,
    IncomingPollResponse,
    IncomingUnreadable,
    Message,
    Place,
    PollDraft,
)
from storage.repositories import follow_replacements
from storage.uow import UnitOfWork

logger = logging.getLogger(__name__)
timing = logging.getLogger("bot.timing")
"""At DEBUG, when each sync's events arrived and were handled (`bench.load --viral` reads it;
`smartregion-bot --log bot.timing=DEBUG run` turns it on alone)."""

SYNC_TIMEOUT_MS = 30_000
TIMELINE_LIMIT = 50
MAX_BACKOFF_SECONDS = 4.0
SEND_ATTEMPTS = 10
MODERATOR_POWER_LEVEL = 50
"""Element's moderators; they may redact others' events, so MSC3381 accepts their poll ends,
and in the staff room they are staff."""
KEY_WAIT_SECONDS = 10
TOKEN_SAVE_INTERVAL_S = 1.0
FIRST_PRIVILEGED_CREATOR_VERSION = 12
TXN_NAMESPACE = uuid.UUID("1f0e3c55-8d6e-4f52-9a3b-5c1a7e4d2b90")

EventSink = Callable[[IncomingEvent], Awaitable[None]]
BatchSink = Callable[[Sequence[IncomingEvent]], Awaitable[None]]


class MatrixError(Exception):
    """The homeserver refused something the bot cannot do without (e.g. login)."""


def backoff_delays() -> Iterator[float]:
    """0.25 s doubling up to a few seconds: quick to recover, gentle on a struggling server."""
    delay = 0.25
    while True:
        yield delay
        delay = min(delay * 2, MAX_BACKOFF_SECONDS)


class MatrixAdapter:
    """A Matrix account the bot lives in; implements `bot.adapters.base.ChatAdapter`."""

    platform = PLATFORM
    features: PlatformFeatures = MATRIX_FEATURES
    user_reference_example = USER_REFERENCE_EXAMPLE

    def __init__(self, settings: MatrixSettings, unit_of_work: Callable[[], UnitOfWork]) -> None:
        self.settings = settings
        self.unit_of_work = unit_of_work
        self.on_event: EventSink | None = None
        self.on_events: BatchSink | None = None
        """Takes the events of one sync together; without it they go to `on_event`."""
        self.activity = Activity()
        """Counts each sync's delivery as busy from the moment it is handed over; the App
        shares the router's, so the start's follow-ups wait for the first sync's commands."""
        self.client = AsyncClient(
            settings.homeserver,
            settings.user_id,
            device_id=settings.device_id or "",
            store_path=str(settings.crypto_store),
            config=AsyncClientConfig(
                max_limit_exceeded=None,  # nio waits retry_after_ms and resends on 429
                max_timeouts=0,  # connection failures come back to our own backoff
                request_timeout=SYNC_TIMEOUT_MS / 1000 + 30,
                encryption_enabled=ENCRYPTION_ENABLED,
                store_sync_tokens=False,  # our own token, saved after the work is stored
            ),
        )
        self._progress = SyncProgress()
        self._stopping = asyncio.Event()
        self._room_ids: dict[str, str] = {}
        self._replacements: dict[str, str] | None = None
        self._direct_rooms: dict[str, str] = {}
        self._creators: dict[str, frozenset[str]] = {}
        self._saved_token: str | None = None
        self._token_saved_at = 0.0
        self._token_saving: asyncio.Future[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self.ready = asyncio.Event()
        """Set once the first sync is handled: from then on the bot hears every message."""

    @property
    def user_id(self) -> str:
        return self.settings.user_id

    async def __aenter__(self) -> MatrixAdapter:
        await self.login()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ----------------------------------------------------------------- session

    async def login(self) -> None:
        """Log in, reusing the stored device so restarts do not pile up devices."""
        settings = self.settings
        if ENCRYPTION_ENABLED:
            await asyncio.to_thread(settings.crypto_store.mkdir, parents=True, exist_ok=True)
        else:
            logger.warning(
                "Encryption support is not installed (extra `e2e`): encrypted rooms stay unreadable"
            )
        if settings.access_token:
            self.client.restore_login(
                settings.user_id, settings.device_id or "", settings.access_token
            )
            whoami = await self._retrying(self.client.whoami)
            if not isinstance(whoami, WhoamiResponse):
                raise MatrixError(f"The access token was refused: {whoami}")
            self.client.device_id = whoami.device_id or settings.device_id or ""
            return
        async with self.unit_of_work() as uow:
            stored = await uow.credentials.get(settings.user_id)
        if stored is not None and not await self._crypto_store_exists(stored.device_id):
            logger.error(
                "The encryption keys of device %s are missing from %s. Logging in as a new "
                "device; messages encrypted for the old device stay unreadable. Restore the "
                "directory from a backup to avoid this.",
                stored.device_id,
                settings.crypto_store,
            )
            stored = None
            self.client.device_id = ""
        if stored is not None:
            self.client.restore_login(settings.user_id, stored.device_id, stored.access_token)
            whoami = await self._retrying(self.client.whoami)
            if isinstance(whoami, WhoamiResponse):
                logger.info("Resumed the stored session on device %s", stored.device_id)
                return
            logger.warning("The stored session is no longer valid; logging in with the password")
            self.client.access_token = ""
        response = await self._retrying(
            lambda: self.client.login(settings.password or "", device_name="smartregion-bot")
        )
        if not isinstance(response, LoginResponse):
            raise MatrixError(f"Login as {settings.user_id} failed: {response.message}")
        async with self.unit_of_work() as uow:
            await uow.credentials.save(settings.user_id, response.device_id, response.access_token)
            await uow.commit()
        logger.info("Logged in on device %s", response.device_id)

    def _skip_empty_encrypted_room_saves(self) -> None:
        """Stop nio from writing an empty set to its key store after every sync.

        nio saves the encrypted rooms each sync found in a blocking SQLite transaction on the
        event loop, even when there are none (nearly always); bench.latency's profile showed
        it as the largest single cost of handling a sync. Saving nothing is now skipped.
        """
        store = self.client.store
        if store is None:
            return
        save = store.save_encrypted_rooms

        def save_if_any(rooms: set[str]) -> None:
            if rooms:
                save(rooms)

        store.save_encrypted_rooms = save_if_any  # type: ignore[method-assign]

    async def _crypto_store_exists(self, device_id: str) -> bool:
        """Whether nio's key store for this device is on disk (always true without e2e)."""
        if not ENCRYPTION_ENABLED:
            return True
        path = self.settings.crypto_store / f"{self.user_id}_{device_id}.db"
        return await asyncio.to_thread(path.exists)

    async def _maintain_keys(self) -> None:
        """What nio's sync_forever would do: publish, fetch and claim keys, send key shares."""
        client = self.client
        if client.olm is None:
            return
        try:
            if client.should_upload_keys:
                await client.keys_upload()
            if client.should_query_keys:
                await client.keys_query()
            if client.should_claim_keys:
                await client.keys_claim(client.get_users_for_key_claiming())
            await client.send_to_device_messages()
        except Exception as error:
            logger.warning("Key maintenance failed (%s); retrying after the next sync", error)

    async def _cross_sign(self) -> None:
        """Sign this device with the bot's own identity (MSC4153 clients require it)."""
        if self.client.olm is None:
            return
        from bot.adapters.matrix.cross_signing import CrossSigner  # needs the e2e extra (PyNaCl)

        signer = CrossSigner(
            self.settings.homeserver,
            self.user_id,
            self.client.device_id,
            self.client.access_token,
            self.settings.crypto_store / "cross-signing.json",
            self.settings.password,
        )
        await self.activity.settled()  # people's commands first; this can wait a moment
        try:
            await signer.ensure()
        except Exception:
            logger.exception("Cross-signing the bot's device failed; it stays unverified")

    async def close(self) -> None:
        self._stopping.set()
        await self._progress.drain(seconds=10)
        if self._token_saving is not None:
            await self._token_saving
        await self._save_token(force=True)
        self._progress.cancel_all()
        for task in self._background:
            task.cancel()
        await self.client.close()

    def stop(self) -> None:
        """Ask `run` to return after the current sync."""
        self._stopping.set()

    # --------------------------------------------------------------- sync loop

    async def run(self) -> None:
        """Sync until `stop()`: retries with backoff when the homeserver is unreachable."""
        self._skip_empty_encrypted_room_saves()
        async with self.unit_of_work() as uow:
            token = await uow.sync.get(self.user_id)
        self._saved_token = token
        first_start = token is None
        full_state = True
        delays = backoff_delays()
        while not self._stopping.is_set():
            response = await self._sync(token, full_state, first_start)
            if self._stopping.is_set():
                break
            if not isinstance(response, SyncResponse):
                delay = next(delays)
                logger.warning("Sync failed (%s); retrying in %.2f s", response, delay)
                await self._sleep_unless_stopping(delay)
                continue
            delays = backoff_delays()
            self._progress.begin(response.next_batch)
            await self._maintain_keys()
            await self._handle_sync(response, since=token, first_start=first_start)
            token = response.next_batch
            first_start = full_state = False
            self._save_token_soon()
            if not self.ready.is_set():
                self.ready.set()
                self._spawn_background(self._cross_sign())

    async def _sync(self, token: str | None, full_state: bool, first_start: bool) -> Any:
        timeline_limit = 1 if first_start else TIMELINE_LIMIT
        sync_filter = {"room": {"timeline": {"limit": timeline_limit}}}
        stop = asyncio.ensure_future(self._stopping.wait())
        sync = asyncio.ensure_future(
            self.client.sync(
                timeout=0 if first_start else SYNC_TIMEOUT_MS,
                sync_filter=sync_filter,
                since=token,
                full_state=full_state,
            )
        )
        try:
            done, _ = await asyncio.wait({stop, sync}, return_when=asyncio.FIRST_COMPLETED)
            if sync not in done:
                return "stopping"
            return sync.result()
        except Exception as error:
            return f"{type(error).__name__}: {error}"
        finally:
            for future in (stop, sync):
                if not future.done():
                    future.cancel()

    async def _sleep_unless_stopping(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    def _save_token_soon(self) -> None:
        """Save the safe token in the background if a save is due and none is running.

        Awaited between two syncs, the commit (a disk sync, 4-40 ms in bench.latency's
        trace) delayed the next long poll, and with it the answer to whatever arrived
        meanwhile. One save at a time, so an older token never overwrites a newer one.
        """
        if self._token_saving is not None and not self._token_saving.done():
            return
        if self._progress.safe_token() in (None, self._saved_token):
            return
        if time.monotonic() - self._token_saved_at < TOKEN_SAVE_INTERVAL_S:
            return
        self._token_saving = asyncio.ensure_future(self._save_token_logged())

    async def _save_token_logged(self) -> None:
        """A failed save is retried a second later; the events after the saved token are
        replayed after a crash and recognised by their ids, so nothing is lost meanwhile."""
        try:
            await self._save_token()
        except Exception:
            logger.exception("Could not save the sync token; retrying after the next sync")

    async def _save_token(self, force: bool = False) -> None:
        """Persist the safe token, at most once a second while running (a commit per sync
        would cost every message time; a replay after a crash is recognised by event ids)."""
        token = self._progress.safe_token()
        if token is None or token == self._saved_token:
            return
        now = time.monotonic()
        if not force and now - self._token_saved_at < TOKEN_SAVE_INTERVAL_S:
            return
        self._token_saved_at = now
        async with self.unit_of_work() as uow:
            await uow.sync.set(self.user_id, token)
            await uow.commit()
        self._saved_token = token

    async def _handle_sync(
        self, response: SyncResponse, since: str | None, first_start: bool
    ) -> None:
        for room_id, info in response.rooms.invite.items():
            self._spawn_background(self._answer_invite(room_id, info.invite_state))
        arrived: list[tuple[MatrixRoom, IncomingEvent]] = []
        for room_id, info in response.rooms.join.items():
            if self._everyone_else_left(room_id, info.timeline.events):
                self._spawn_background(self._leave(room_id))
                continue
            for event in [*info.state, *info.timeline.events]:
                # Read the raw event: nio rejects v12 create events of upgraded rooms.
                if event.source.get("type") == "m.room.create":
                    self._remember_creators(room_id, event.source)
            if first_start:
                continue  # history from before the bot's first start is never replayed
            events = list(info.timeline.events)
            if info.timeline.limited and since and info.timeline.prev_batch:
                events = await self._backfill(room_id, info.timeline.prev_batch, since) + events
            room = self.client.rooms.get(room_id)
            if room is None:
                continue
            for event in self._events_after_own_join(events):
                incoming = self._incoming(room, event)
                if incoming is not None:
                    arrived.append((room, incoming))
        if arrived:
            delivery = self._progress.spawn(self._deliver(arrived), name=f"{len(arrived)} events")
            self.activity.begin()  # busy already now, before the router sees the events
            delivery.add_done_callback(lambda _: self.activity.end())

    async def _backfill(self, room_id: str, prev_batch: str, since: str) -> list[Event]:
        """Fetch events a limited timeline left out, so downtime loses nothing."""
        older: list[Event] = []
        start = prev_batch
        while True:
            response = await self._retrying(
                lambda start=start: self.client.room_messages(
                    room_id, start=start, end=since, direction=MessageDirection.back, limit=100
                )
            )
            if not isinstance(response, RoomMessagesResponse) or not response.chunk:
                break
            older.extend(response.chunk)
            if not response.end or response.end == start:
                break
            start = response.end
        older.reverse()
        if older:
            logger.info("Backfilled %d events in %s after a gap", len(older), room_id)
        return older

    def _events_after_own_join(self, events: list[Event]) -> list[Event]:
        """Skip what was said in a room before the bot joined it."""
        for index in range(len(events) - 1, -1, -1):
            event = events[index]
            if (
                isinstance(event, RoomMemberEvent)
                and event.state_key == self.user_id
                and event.membership == "join"
                and event.prev_membership != "join"
            ):
                return events[index + 1 :]
        return events

    def _incoming(self, room: MatrixRoom, event: Event) -> IncomingEvent | None:
        """The neutral event to deliver; upgrades and undecrypted events are handled apart."""
        if event.sender == self.user_id:
            return None
        if isinstance(event, RoomUpgradeEvent):
            self._progress.spawn(self._follow_upgrade(room.room_id, event.replacement_room))
            return None
        place = Place(room.room_id, self._is_direct(room))
        if isinstance(event, MegolmEvent):
            self._progress.spawn(self._await_room_key(room, place, event))
            return None
        return parse_event(event.source, place, room.user_name(event.sender) or event.sender)

    async def _deliver(self, arrived: list[tuple[MatrixRoom, IncomingEvent]]) -> None:
        """Hand one sync's events to the core together (it stores a burst of poll responses
        in one transaction), reactions and their redactions through the log."""
        received = time.time()
        logged = await asyncio.gather(*(self._through_log(room, event) for room, event in arrived))
        events = [event for event in logged if event is not None]
        if self.on_events is not None:
            await self.on_events(events)
        elif self.on_event is not None:
            await asyncio.gather(*(self.on_event(event) for event in events))
        finished = time.time()
        timing.debug(
            "sync delivered %d events: received %.3f handled %.3f", len(events), received, finished
        )

    async def _through_log(self, room: MatrixRoom, incoming: IncomingEvent) -> IncomingEvent | None:
        try:
            return await through_reaction_log(
                self.unit_of_work, incoming, lambda user: room.user_name(user) or user
            )
        except Exception:
            logger.exception("Could not look up the reaction log for %s", incoming.event_id)
            return None

    async def _await_room_key(self, room: MatrixRoom, place: Place, event: MegolmEvent) -> None:
        """Ask the sender's devices for the missing key, wait briefly, then read or apologise."""
        if self.client.olm is not None:
            with contextlib.suppress(LocalProtocolError):  # already requested for this session
                await self._retrying(lambda: self.client.request_room_key(event))
        for _ in range(KEY_WAIT_SECONDS):
            await asyncio.sleep(1)
            if self.client.olm is None:
                break
            try:
                decrypted = self.client.decrypt_event(event)
            except (EncryptionError, LocalProtocolError):
                continue
            name = room.user_name(event.sender) or event.sender
            incoming = parse_event(decrypted.source, place, name)
            if incoming is not None:
                await self._deliver([(room, incoming)])
            return
        logger.info("Could not decrypt event %s in %s", event.event_id, room.room_id)
        if self.on_event is not None:
            sent_at = datetime.fromtimestamp(event.server_timestamp / 1000, tz=UTC)
            actor = Actor(PLATFORM, event.sender, room.user_name(event.sender) or event.sender)
            await self.on_event(IncomingUnreadable(event.event_id, actor, place, sent_at))

    def _spawn_background(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ------------------------------------------------------------------ rooms

    async def _answer_invite(self, room_id: str, invite_state: list[Any]) -> None:
        """Join when a user of an allowed server invites the bot; decline otherwise."""
        invite = next(
            (
                e
                for e in invite_state
                if isinstance(e, InviteMemberEvent)
                and e.state_key == self.user_id
                and e.membership == "invite"
            ),
            None,
        )
        inviter = invite.sender if invite else ""
        server = inviter.split(":", 1)[1] if ":" in inviter else ""
        if server not in self.settings.allowed_servers:
            logger.info("Declining an invite to %s from a server that is not allowed", room_id)
            await self._retrying(lambda: self.client.room_leave(room_id))
            return
        response = await self._retrying(lambda: self.client.join(room_id))
        if isinstance(response, JoinError):
            logger.warning("Could not join %s: %s", room_id, response.message)
            return
        if invite is not None and invite.content.get("is_direct"):
            self._direct_rooms[room_id] = inviter
        logger.info("Joined %s", room_id)

    async def _follow_upgrade(self, old_room_id: str, new_room_id: str) -> None:
        """Move to the replacement room of an upgrade and point stored references at it."""
        if not new_room_id or new_room_id == old_room_id:
            return
        async with self.unit_of_work() as uow:
            await uow.rooms.record_replacement(PLATFORM, old_room_id, new_room_id)
            await uow.commit()
        self._room_ids.clear()
        self._replacements = None
        response = await self._retrying(lambda: self.client.join(new_room_id))
        if isinstance(response, JoinError):
            # Invite-only rooms: the bot joins when the upgrader's client invites it.
            logger.info("Waiting for an invite to the upgraded room of %s", old_room_id)
            return
        logger.info("Followed the upgrade of %s to %s", old_room_id, new_room_id)

    def _everyone_else_left(self, room_id: str, events: list[Event]) -> bool:
        """Whether this sync saw the last other member leave, so the bot should go too."""
        someone_left = any(
            isinstance(e, RoomMemberEvent)
            and e.membership in ("leave", "ban")
            and e.state_key != self.user_id
            for e in events
        )
        room = self.client.rooms.get(room_id)
        return someone_left and room is not None and set(room.users) <= {self.user_id}

    async def _leave(self, room_id: str) -> None:
        await self._retrying(lambda: self.client.room_leave(room_id))
        logger.info("Left %s: every other member had left", room_id)

    def _remember_creators(self, room_id: str, create_event: dict[str, Any]) -> None:
        content = create_event.get("content", {})
        try:
            version = int(content.get("room_version", "1"))
        except ValueError:
            version = 0
        if version < FIRST_PRIVILEGED_CREATOR_VERSION:
            self._creators.pop(room_id, None)
            return
        additional = content.get("additional_creators", [])
        self._creators[room_id] = frozenset({create_event.get("sender", ""), *additional})

    def _is_direct(self, room: MatrixRoom) -> bool:
        """A direct chat: invited as such, or an unnamed room of the bot and one person."""
        if room.room_id in self._direct_rooms:
            return True
        return room.name is None and room.canonical_alias is None and room.member_count <= 2

    async def resolve_room(self, reference: str) -> str:
        """Room id for an id or alias, following recorded upgrades."""
        cached = self._room_ids.get(reference)
        if cached is not None:
            return cached
        room_id = reference
        if reference.startswith("#"):
            response = await self._retrying(lambda: self.client.room_resolve_alias(reference))
            if not isinstance(response, RoomResolveAliasResponse):
                raise MatrixError(f"The room alias {reference} cannot be resolved: {response}")
            room_id = response.room_id
        room_id = follow_replacements(await self._known_replacements(), room_id)
        self._room_ids[reference] = room_id
        return room_id

    async def _known_replacements(self) -> dict[str, str]:
        """The recorded room upgrades, read once for all rooms: the first command after a
        start resolves every department room for its role check, and a transaction per
        room made it the slowest command (`bench.scale`)."""
        if self._replacements is None:
            async with self.unit_of_work() as uow:
                self._replacements = await uow.rooms.replacements(PLATFORM)
        return self._replacements

    def parse_user(self, text: str) -> str | None:
        return parse_user_id(text)

    async def is_moderator(self, room_id: str, user_id: str) -> bool:
        """Power level 50 or more in the room; in room version 12 its creators always."""
        room = self.client.rooms.get(await self.resolve_room(room_id))
        if room is None:
            return False
        if user_id in self._creators.get(room.room_id, frozenset()):
            return True  # room v12: creators are above every power level
        return room.power_levels.get_user_level(user_id) >= MODERATOR_POWER_LEVEL

    async def is_member(self, room_id: str, user_id: str) -> bool:
        room = self.client.rooms.get(await self.resolve_room(room_id))
        return room is not None and user_id in room.users and user_id not in room.invited_users

    async def in_group(self, group_id: str, user_id: str) -> bool:
        """Matrix has no groups apart from rooms; its settings name none."""
        return False

    async def direct_room(self, user_id: str) -> str:
        """The direct chat with `user_id`, opened on first use."""
        for room_id, partner in self._direct_rooms.items():
            if partner == user_id and room_id in self.client.rooms:
                return room_id
        for room in self.client.rooms.values():
            if self._is_direct(room) and user_id in room.users:
                self._direct_rooms[room.room_id] = user_id
                return room.room_id
        response = await self._retrying(
            lambda: self.client.room_create(
                is_direct=True, invite=[user_id], preset=RoomPreset.trusted_private_chat
            )
        )
        if not isinstance(response, RoomCreateResponse):
            raise MatrixError(f"Could not open a direct chat: {response}")
        self._direct_rooms[response.room_id] = user_id
        return response.room_id

    # ---------------------------------------------------------------- sending

    async def send(
        self,
        room_id: str,
        message: Message,
        *,
        reply_to: str | None = None,
        thread_root: str | None = None,
        dedupe_key: str | None = None,
    ) -> str:
        content = notice_content(message, reply_to, thread_root)
        return await self.send_event(
            await self.resolve_room(room_id), "m.room.message", content, dedupe_key
        )

    async def open_thread(
        self, room_id: str, message: Message, *, title: str, dedupe_key: str | None = None
    ) -> str:
        """A Matrix thread has no name and begins with its first reply: the root is a
        plain notice."""
        return await self.send(room_id, message, dedupe_key=dedupe_key)

    async def close_thread(self, room_id: str, thread_root: str, *, lock: bool = False) -> None:
        """A Matrix thread has no state to close: its last notice says it is done."""

    async def send_direct(
        self, user_id: str, message: Message, *, dedupe_key: str | None = None
    ) -> str:
        return await self.send(await self.direct_room(user_id), message, dedupe_key=dedupe_key)

    async def edit(self, room_id: str, event_id: str, message: Message) -> str:
        room = await self.resolve_room(room_id)
        return await self.send_event(room, "m.room.message", edit_content(event_id, message), None)

    async def upload(
        self,
        room_id: str,
        upload: FileUpload,
        *,
        reply_to: str | None = None,
        dedupe_key: str | None = None,
    ) -> str:
        room_id = await self.resolve_room(room_id)
        room = self.client.rooms.get(room_id)
        # In an encrypted room the file is encrypted too (the homeserver's media store would
        # otherwise hold, say, a person's data export in the clear).
        encrypt = room is not None and room.encrypted and self.client.olm is not None
        response, keys = await self._retrying(
            lambda: self.client.upload(
                io.BytesIO(upload.data),
                content_type=upload.content_type,
                filename=upload.filename,
                filesize=len(upload.data),
                encrypt=encrypt,
            )
        )
        if not isinstance(response, UploadResponse):
            raise MatrixError(f"Uploading {upload.filename} failed: {response}")
        # An image is an m.image, shown inline by clients; its body is read out as the
        # image's description where it has one (alt text).
        is_image = upload.content_type.startswith("image/")
        content: dict[str, Any] = {
            "msgtype": "m.image" if is_image else "m.file",
            "body": (upload.description if is_image else None) or upload.filename,
            "filename": upload.filename,
            "info": {"mimetype": upload.content_type, "size": len(upload.data)},
            "m.mentions": {},
        }
        if encrypt and keys:
            content["file"] = {**keys, "url": response.content_uri}
        else:
            content["url"] = response.content_uri
        if reply_to:
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
        return await self.send_event(room_id, "m.room.message", content, dedupe_key)

    async def send_poll(self, room_id: str, poll: PollDraft, *, dedupe_key: str) -> str:
        room = await self.resolve_room(room_id)
        return await self.send_event(
            room, POLL_START_TYPES[0], poll_start_content(poll), dedupe_key
        )

    async def end_poll(
        self, room_id: str, poll_event_id: str, results: Message, *, dedupe_key: str
    ) -> str:
        room = await self.resolve_room(room_id)
        content = poll_end_content(poll_event_id, results)
        return await self.send_event(room, POLL_END_TYPES[0], content, dedupe_key)

    async def poll_responses(self, room_id: str, poll_event_id: str) -> list[IncomingPollResponse]:
        """The responses `/relations` lists for a poll, oldest first (redacted ones are gone)."""
        room = await self.resolve_room(room_id)
        relations = self.client.room_get_event_relations(
            room, poll_event_id, RelationshipType.reference, direction=MessageDirection.front
        )
        try:
            events = [event async for event in relations]
        except AttributeError:  # nio 0.26 reads `next_batch` of an error response
            raise MatrixError(f"The relations of {poll_event_id} cannot be read") from None
        place = Place(room, is_direct=False)
        parsed = (parse_event(event.source, place, event.sender) for event in events)
        return [
            response
            for response in parsed
            if isinstance(response, IncomingPollResponse)
            and response.poll_event_id == poll_event_id
            and response.actor.id != self.user_id
        ]

    async def send_event(
        self, room_id: str, event_type: str, content: dict[str, Any], dedupe_key: str | None
    ) -> str:
        """Send with retries; the transaction id makes a resend after a crash a no-op."""
        txn_id = str(uuid.uuid5(TXN_NAMESPACE, dedupe_key) if dedupe_key else uuid.uuid4())
        delays = backoff_delays()
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                response = await self.client.room_send(
                    room_id, event_type, content, tx_id=txn_id, ignore_unverified_devices=True
                )
            except Exception as error:
                response = f"{type(error).__name__}: {error}"
            if isinstance(response, RoomSendResponse):
                return response.event_id
            logger.warning("Sending to %s failed (attempt %d): %s", room_id, attempt, response)
            await asyncio.sleep(next(delays))
        raise MatrixError(f"Could not send to {room_id} after {SEND_ATTEMPTS} attempts")

    async def _retrying(self, request: Callable[[], Awaitable[Any]]) -> Any:
        """Repeat a request while the homeserver is unreachable; errors it answers are kept."""
        delays = backoff_delays()
        while True:
            try:
                return await request()
            except Exception as error:
                if self._stopping.is_set():
                    raise
                delay = next(delays)
                logger.warning("Homeserver unreachable (%s); retrying in %.2f s", error, delay)
                await asyncio.sleep(delay)
