"""A conversational Matrix test client on a real nio ``AsyncClient``.

Integration tests should read like a chat (``await alice.say(room, "!hilfe")`` then
``await alice.next_reply(room)``), so this wraps nio with a background sync loop that
collects every timeline event into a buffer and waits on it. It knows nothing about the
bot: it is the citizen's side of the conversation.

Buffer semantics: events are kept in arrival order behind a cursor. ``wait_for`` (and
everything built on it) scans from the cursor, returns the first match and moves the
cursor just past it, so an answer that arrived before the call is still found, and
events before the match count as seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import aiohttp
from nio import (
    AsyncClient,
    AsyncClientConfig,
    ErrorResponse,
    RoomPreset,
    RoomRedactResponse,
    RoomSendResponse,
    SyncResponse,
)

logger = logging.getLogger(__name__)

Event = dict[str, Any]
"""A timeline event as the server sent it (``event.source``) plus its ``room_id``."""

TEST_PASSWORD = "integration-test-password"
"""Good enough for throwaway users on a homeserver that only listens on 127.0.0.1."""

DEFAULT_TIMEOUT_S = 15.0
_SYNC_TIMEOUT_MS = 30_000
# Enough that a benchmark burst between two syncs is never cut off ("limited").
_TIMELINE_LIMIT = 500
_SYNC_FILTER: dict[str, Any] = {
    "presence": {"types": []},
    "account_data": {"types": []},
    "room": {"ephemeral": {"types": []}, "timeline": {"limit": _TIMELINE_LIMIT}},
}
# The first sync only fetches the since-token; history before login is not a reply.
_FIRST_SYNC_FILTER: dict[str, Any] = {
    **_SYNC_FILTER,
    "room": {"ephemeral": {"types": []}, "timeline": {"limit": 1}},
}
_RETRY_AFTER_SYNC_ERROR_S = 1.0

_R = TypeVar("_R")


class MakeUser(Protocol):
    """The ``make_user`` fixture: register a unique user and return it logged in."""

    async def __call__(
        self, name: str = "user", *, auto_join: bool = False, admin: bool = False
    ) -> ChatUser: ...


class ChatError(RuntimeError):
    """The homeserver refused a request of the test client."""


def _checked(response: _R | ErrorResponse, who: str, action: str) -> _R:
    """Turn nio's error-as-value into an exception a failing test shows clearly."""
    if isinstance(response, ErrorResponse):
        raise ChatError(f"{who} could not {action}: {response}")
    return response


def _in_reply_to(content: dict[str, Any]) -> str | None:
    relates_to = content.get("m.relates_to")
    if not isinstance(relates_to, dict):
        return None
    in_reply_to = relates_to.get("m.in_reply_to")
    if not isinstance(in_reply_to, dict):
        return None
    event_id = in_reply_to.get("event_id")
    return event_id if isinstance(event_id, str) else None


def _describe(event: Event) -> str:
    """One line per event for timeout messages, so a failing test shows what did arrive."""
    content = event.get("content", {})
    summary = content.get("body") or content.get("membership") or ""
    return f"{event.get('type')} from {event.get('sender')}: {str(summary)[:80]!r}"


@dataclass(frozen=True)
class ChatMessage:
    """An ``m.room.message`` as a test wants to assert on it."""

    event_id: str
    room_id: str
    sender: str
    msgtype: str | None
    body: str
    formatted_body: str | None
    content: dict[str, Any]
    in_reply_to: str | None

    @classmethod
    def from_event(cls, event: Event) -> ChatMessage:
        content = event.get("content", {})
        return cls(
            event_id=event["event_id"],
            room_id=event["room_id"],
            sender=event["sender"],
            msgtype=content.get("msgtype"),
            body=content.get("body", ""),
            formatted_body=content.get("formatted_body"),
            content=content,
            in_reply_to=_in_reply_to(content),
        )


def _is_message(event: Event) -> bool:
    return event.get("type") == "m.room.message" and "body" in event.get("content", {})


class ChatUser:
    """A logged-in Matrix user that talks and listens like a person in a chat.

    Create it with :meth:`login`; always :meth:`close` it (the test fixtures do).
    """

    def __init__(self, client: AsyncClient, *, auto_join: bool) -> None:
        self.client = client
        self.auto_join = auto_join
        self._timeline: list[Event] = []
        self._cursor = 0
        self._arrival = asyncio.Event()
        self._sync_task: asyncio.Task[None] | None = None

    @property
    def user_id(self) -> str:
        return str(self.client.user_id)

    @classmethod
    async def login(
        cls,
        homeserver: str,
        user_id: str,
        password: str,
        *,
        auto_join: bool = False,
        device_name: str = "chat-test",
        crypto_store: Path | None = None,
    ) -> ChatUser:
        """Log in, skip existing history with a first sync and start listening.

        ``auto_join`` accepts every invite as soon as it is seen, like a helpful bot would.
        ``crypto_store`` (a directory) makes this an encrypting client, as Element is.
        """
        if crypto_store is not None:
            await asyncio.to_thread(crypto_store.mkdir, parents=True, exist_ok=True)
        # Retry quickly while the homeserver restarts instead of nio's 60 s back-off cap.
        config = AsyncClientConfig(
            max_timeout_retry_wait_time=2, encryption_enabled=crypto_store is not None
        )
        client = AsyncClient(
            homeserver,
            user_id,
            config=config,
            store_path=str(crypto_store) if crypto_store else "",
        )
        try:
            _checked(await client.login(password, device_name=device_name), user_id, "log in")
            first = _checked(
                await client.sync(timeout=0, sync_filter=_FIRST_SYNC_FILTER),
                user_id,
                "run the first sync",
            )
        except BaseException:
            await client.close()
            raise
        user = cls(client, auto_join=auto_join)
        if auto_join:
            await user._accept_invites(first)
        user._sync_task = asyncio.create_task(user._sync_loop(), name=f"sync {user_id}")
        user._sync_task.add_done_callback(lambda _: user._wake())
        logger.debug("%s logged in as device %s", user_id, client.device_id)
        return user

    async def close(self) -> None:
        """Stop listening and close the HTTP session (the device stays, it is a test server)."""
        if self._sync_task is not None:
            self._sync_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sync_task
        await self.client.close()

    # --- talking -----------------------------------------------------------------

    async def create_room(
        self,
        name: str | None = None,
        invite: list[str] | tuple[str, ...] = (),
        direct: bool = False,
        topic: str | None = None,
        encrypted: bool = False,
    ) -> str:
        """Create a private room (inviting ``invite``) and return its id."""
        encryption = {
            "type": "m.room.encryption",
            "state_key": "",
            "content": {"algorithm": "m.megolm.v1.aes-sha2"},
        }
        response = await self.client.room_create(
            name=name,
            topic=topic,
            invite=invite,
            is_direct=direct,
            preset=RoomPreset.trusted_private_chat if direct else RoomPreset.private_chat,
            initial_state=[encryption] if encrypted else (),
        )
        return _checked(response, self.user_id, f"create room {name!r}").room_id

    async def dm(self, other_user_id: str) -> str:
        """Open a direct chat (``is_direct``) with another user and return the room id."""
        return await self.create_room(invite=[other_user_id], direct=True)

    async def invite(self, room_id: str, user_id: str) -> None:
        """Invite someone (e.g. the bot) into an existing room."""
        _checked(
            await self.client.room_invite(room_id, user_id),
            self.user_id,
            f"invite {user_id} to {room_id}",
        )

    async def join(self, room_id: str) -> None:
        """Accept an invite by hand (users without ``auto_join``)."""
        _checked(await self.client.join(room_id), self.user_id, f"join {room_id}")

    async def send_event(self, room_id: str, event_type: str, content: dict[str, Any]) -> str:
        """Send any room event (polls, hand-made replies) and return its event id."""
        await self._maintain_keys()
        response = await self.client.room_send(
            room_id, event_type, content, ignore_unverified_devices=True
        )
        sent: RoomSendResponse = _checked(response, self.user_id, f"send {event_type} to {room_id}")
        return sent.event_id

    async def say(self, room_id: str, body: str, msgtype: str = "m.text") -> str:
        """Write a plain message, as a person typing in a client would, and return its id."""
        return await self.send_event(room_id, "m.room.message", {"msgtype": msgtype, "body": body})

    async def react(self, room_id: str, event_id: str, key: str) -> str:
        """Annotate ``event_id`` with ``key`` (usually an emoji); returns the reaction's id."""
        content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}
        return await self.send_event(room_id, "m.reaction", content)

    async def redact(self, room_id: str, event_id: str, reason: str | None = None) -> str:
        """Redact an event (e.g. take back a reaction); returns the redaction's id."""
        response = await self.client.room_redact(room_id, event_id, reason=reason)
        redacted: RoomRedactResponse = _checked(
            response, self.user_id, f"redact {event_id} in {room_id}"
        )
        return redacted.event_id

    async def download(self, mxc: str) -> bytes:
        """An uploaded file through the authenticated media API, as a current client fetches it."""
        server_name, media_id = mxc.removeprefix("mxc://").split("/", 1)
        client = self.client
        url = f"{client.homeserver}/_matrix/client/v1/media/download/{server_name}/{media_id}"
        headers = {"Authorization": f"Bearer {client.access_token}"}
        async with (
            aiohttp.ClientSession() as session,
            session.get(url, headers=headers) as response,
        ):
            if response.status != 200:
                raise ChatError(f"{self.user_id} could not download {mxc}: {response.status}")
            return await response.read()

    # --- listening ---------------------------------------------------------------

    async def wait_for(
        self,
        predicate: Callable[[Event], bool],
        timeout: float = DEFAULT_TIMEOUT_S,  # noqa: ASYNC109 - a with-block reads worse in tests
    ) -> Event:
        """Return the first unseen timeline event matching ``predicate`` (see module doc)."""
        scanned = self._cursor
        try:
            async with asyncio.timeout(timeout):
                while True:
                    for index in range(scanned, len(self._timeline)):
                        if predicate(self._timeline[index]):
                            self._cursor = index + 1
                            return self._timeline[index]
                    scanned = len(self._timeline)
                    self._raise_if_not_listening()
                    await self._arrival.wait()
        except TimeoutError:
            unseen = "\n".join(_describe(e) for e in self._timeline[self._cursor :]) or "nothing"
            raise TimeoutError(
                f"{self.user_id} saw no matching event within {timeout:g} s; "
                f"unseen events:\n{unseen}"
            ) from None

    async def next_reply(
        self,
        room_id: str,
        timeout: float = DEFAULT_TIMEOUT_S,  # noqa: ASYNC109 - see wait_for
        sender: str | None = None,
    ) -> ChatMessage:
        """The next message in ``room_id`` from ``sender`` (default: anyone but me)."""

        def matches(event: Event) -> bool:
            if not _is_message(event) or event["room_id"] != room_id:
                return False
            return event["sender"] == sender if sender else event["sender"] != self.user_id

        return ChatMessage.from_event(await self.wait_for(matches, timeout))

    async def reply_to(
        self,
        event_id: str,
        timeout: float = DEFAULT_TIMEOUT_S,  # noqa: ASYNC109 - see wait_for
    ) -> ChatMessage:
        """The next message that is a reply (``m.in_reply_to``) to ``event_id``."""
        event = await self.wait_for(
            lambda e: _is_message(e) and _in_reply_to(e["content"]) == event_id, timeout
        )
        return ChatMessage.from_event(event)

    async def wait_joined(
        self,
        room_id: str,
        user_id: str,
        timeout: float = DEFAULT_TIMEOUT_S,  # noqa: ASYNC109 - see wait_for
    ) -> None:
        """Wait until ``user_id`` has joined ``room_id`` (e.g. the bot accepted an invite)."""
        await self.wait_for(
            lambda e: (
                e.get("type") == "m.room.member"
                and e["room_id"] == room_id
                and e.get("state_key") == user_id
                and e.get("content", {}).get("membership") == "join"
            ),
            timeout,
        )

    def _wake(self) -> None:
        """Release everyone waiting in ``wait_for`` so they rescan the buffer."""
        self._arrival.set()
        self._arrival = asyncio.Event()

    def _raise_if_not_listening(self) -> None:
        task = self._sync_task
        if task is not None and task.done():
            error = None if task.cancelled() else task.exception()
            raise ChatError(f"the sync loop of {self.user_id} has stopped") from error

    async def _sync_loop(self) -> None:
        """Long-poll /sync forever; nio itself retries while the server is unreachable."""
        while True:
            response = await self.client.sync(timeout=_SYNC_TIMEOUT_MS, sync_filter=_SYNC_FILTER)
            if isinstance(response, ErrorResponse):
                logger.warning("Sync of %s failed: %s", self.user_id, response)
                await asyncio.sleep(_RETRY_AFTER_SYNC_ERROR_S)
                continue
            await self._maintain_keys()
            for room_id, room in response.rooms.join.items():
                self._timeline.extend(
                    {**event.source, "room_id": room_id} for event in room.timeline.events
                )
            self._wake()
            if self.auto_join:
                await self._accept_invites(response)

    async def _maintain_keys(self) -> None:
        """Publish, fetch and claim encryption keys, as sync_forever would (e2e clients)."""
        client = self.client
        if client.olm is None:
            return
        if client.should_upload_keys:
            await client.keys_upload()
        if client.should_query_keys:
            await client.keys_query()
        if client.should_claim_keys:
            await client.keys_claim(client.get_users_for_key_claiming())
        await client.send_to_device_messages()

    async def _accept_invites(self, response: SyncResponse) -> None:
        for room_id in response.rooms.invite:
            logger.debug("%s accepts the invite to %s", self.user_id, room_id)
            await self.join(room_id)
