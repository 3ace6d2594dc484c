"""The latency floor: a minimal matrix-nio bot that answers every message at once.

`python -m bench.echo_bot --homeserver URL --user @echo:localhost --password …`

It syncs like the real bot (long polling, one request at a time), joins every room it is
invited to, and replies to each text message from someone else with a notice in reply to
it: no commands, no storage, no encryption. What the real bot adds on top of this round
trip is its own cost.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from typing import Any

from nio import AsyncClient, AsyncClientConfig, LoginResponse, SyncResponse

SYNC_TIMEOUT_MS = 30_000
RETRY_S = 0.25


def reply_content(event_id: str, body: str) -> dict[str, Any]:
    return {
        "msgtype": "m.notice",
        "body": f"echo: {body[:40]}",
        "m.relates_to": {"m.in_reply_to": {"event_id": event_id}},
    }


async def answer(
    client: AsyncClient, response: SyncResponse, tasks: set[asyncio.Task[Any]]
) -> None:
    """Join invited rooms; reply to every new text message of someone else."""
    for room_id in response.rooms.invite:
        await client.join(room_id)
    for room_id, room in response.rooms.join.items():
        for event in room.timeline.events:
            source = event.source
            content = source.get("content", {})
            if (
                source.get("type") != "m.room.message"
                or source.get("sender") == client.user_id
                or content.get("msgtype") != "m.text"
            ):
                continue
            send = client.room_send(
                room_id, "m.room.message", reply_content(source["event_id"], content["body"])
            )
            task = asyncio.ensure_future(send)
            tasks.add(task)
            task.add_done_callback(tasks.discard)


async def serve(homeserver: str, user_id: str, password: str, stop: asyncio.Event) -> None:
    client = AsyncClient(homeserver, user_id, config=AsyncClientConfig(encryption_enabled=False))
    tasks: set[asyncio.Task[Any]] = set()
    try:
        login = await client.login(password, device_name="echo-bot")
        if not isinstance(login, LoginResponse):
            raise SystemExit(f"login failed: {login}")
        since = None
        first = True
        while not stop.is_set():
            sync_filter = {"room": {"timeline": {"limit": 1 if first else 50}}}
            response = await client.sync(
                timeout=0 if first else SYNC_TIMEOUT_MS,
                since=since,
                sync_filter=sync_filter,
                full_state=first,
            )
            if not isinstance(response, SyncResponse):
                await asyncio.sleep(RETRY_S)
                continue
            if first:  # history from before the start is never answered
                for room_id in response.rooms.invite:
                    await client.join(room_id)
            else:
                await answer(client, response, tasks)
            since = response.next_batch
            first = False
    finally:
        for task in tasks:
            task.cancel()
        await client.close()


async def main_async(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server = asyncio.ensure_future(serve(args.homeserver, args.user, args.password, stop))
    waiter = asyncio.ensure_future(stop.wait())
    await asyncio.wait({server, waiter}, return_when=asyncio.FIRST_COMPLETED)
    server.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await server
    waiter.cancel()


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__)
    arguments.add_argument("--homeserver", required=True)
    arguments.add_argument("--user", required=True)
    arguments.add_argument("--password", required=True)
    asyncio.run(main_async(arguments.parse_args()))


if __name__ == "__main__":
    main()
