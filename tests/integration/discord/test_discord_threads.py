"""The Discord adapter's threads, checked on the wire through the emulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from bot.context import IncomingEvent, IncomingMessage
from bot.messages import Message
from tests.discord_emulator import FORUM, PUBLIC_THREAD, DiscordEmulator

pytest.importorskip("discord", reason="discord.py is not installed (extra `discord`)")

from bot.adapters.discord.adapter import DiscordAdapter  # needs discord.py: after the check
from bot.adapters.discord.connection import DiscordConnection


class Server:
    """A guild with a text channel and a forum channel, an expert and the bot."""

    def __init__(self, emulator: DiscordEmulator) -> None:
        self.emulator = emulator
        self.bot = emulator.add_bot("smartregion-bot", token="threads-token")
        self.expert = emulator.add_user("Jonas")
        guild = emulator.add_guild("Würzburg", owner=emulator.add_user("Orga"))
        emulator.add_member(guild, self.bot)
        emulator.add_member(guild, self.expert)
        self.text = emulator.add_channel(guild, "mobilitaet").id
        self.forum = emulator.add_channel(guild, "fragen", FORUM).id
        self.heard: asyncio.Queue[IncomingEvent] = asyncio.Queue()


@pytest_asyncio.fixture(loop_scope="session")
async def connected(
    discord_at_emulator: DiscordEmulator,
) -> AsyncIterator[tuple[DiscordAdapter, Server]]:
    server = Server(discord_at_emulator)
    connection = DiscordConnection(
        token="threads-token",
        api_url=discord_at_emulator.api_url,
        gateway_url=discord_at_emulator.gateway_url,
    )
    async with DiscordAdapter(connection) as adapter:
        adapter.on_event = server.heard.put
        running = asyncio.create_task(adapter.run())
        await asyncio.wait_for(adapter.ready.wait(), 15)
        yield adapter, server
        adapter.stop()
        await asyncio.gather(running, return_exceptions=True)


async def test_a_thread_opens_from_its_root_and_has_the_root_id(connected) -> None:
    adapter, server = connected
    emulator = server.emulator
    root = await adapter.open_thread(
        server.text, Message.plain("Frage #1"), title="Frage #1 · Mobilität", dedupe_key="q1"
    )
    thread = emulator.thread(root)
    assert thread is not None and thread.type == PUBLIC_THREAD
    assert thread.parent_id == server.text and thread.name == "Frage #1 · Mobilität"
    assert [m.id for m in emulator.messages(server.text)] == [root]

    again = await adapter.open_thread(
        server.text, Message.plain("Frage #1"), title="Frage #1 · Mobilität", dedupe_key="q1"
    )
    assert again == root, "a retry keeps the message and the thread"
    assert emulator.threads(server.text) == [thread]


async def test_sends_with_a_thread_root_go_into_the_thread(connected) -> None:
    adapter, server = connected
    emulator = server.emulator
    root = await adapter.open_thread(server.text, Message.plain("Frage #2"), title="Frage #2")
    said = await emulator.say(server.expert, root, "Antwort im Thread")
    heard = await asyncio.wait_for(server.heard.get(), 10)
    assert isinstance(heard, IncomingMessage)
    assert heard.event_id == said and heard.thread_root == root
    assert heard.place.room_id == root and not heard.place.is_direct

    sent = await adapter.send(
        server.text, Message.plain("Erinnerung"), thread_root=root, reply_to=said
    )
    reminder = emulator.world.messages[sent]
    assert reminder.channel_id == root
    assert reminder.reference is not None and reminder.reference["channel_id"] == root


async def test_a_forum_gets_a_post_whose_starter_can_be_edited(connected) -> None:
    adapter, server = connected
    emulator = server.emulator
    long = Message.plain("\n".join(f"Zeile {n} " + "x" * 80 for n in range(40)))
    root = await adapter.open_thread(server.forum, long, title="Frage #3 · Mobilität")
    thread = emulator.thread(root)
    assert thread is not None and thread.parent_id == server.forum
    parts = emulator.messages(root)
    assert parts[0].id == root and parts[0].content.startswith("Zeile 0 ")
    assert len(parts) == 2 and parts[1].content.startswith("Zeile ")
    assert emulator.messages(server.forum) == []
    body = emulator.requests("POST", f"/channels/{server.forum}/threads")[-1].json
    assert body["name"] == "Frage #3 · Mobilität"
    assert body["message"]["allowed_mentions"]["parse"] == []

    await adapter.edit(server.forum, root, Message.plain("(gelöscht)"))
    assert emulator.world.messages[root].content == "(gelöscht)"
