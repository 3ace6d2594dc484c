"""The emulator checked with a bare discord.py client: an echo bot that replies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.discord_emulator import DiscordEmulator, User

discord = pytest.importorskip("discord", reason="discord.py is not installed (extra `discord`)")


class EchoBot(discord.Client):
    """Replies to every message of a person with the same text, pinging nobody."""

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        await message.reply(
            f"echo: {message.content}", allowed_mentions=discord.AllowedMentions.none()
        )


class World:
    def __init__(self, emulator: DiscordEmulator) -> None:
        self.bot = emulator.add_bot("echo", token="echo-token")
        self.alice: User = emulator.add_user("alice")
        guild = emulator.add_guild("Würzburg", owner=self.alice)
        emulator.add_member(guild, self.bot)
        self.channel = emulator.add_channel(guild, "buergerforum").id


@pytest_asyncio.fixture(loop_scope="session")
async def echo(discord_at_emulator: DiscordEmulator) -> AsyncIterator[tuple[EchoBot, World]]:
    world = World(discord_at_emulator)
    intents = discord.Intents.default()
    intents.message_content = True
    client = EchoBot(intents=intents)
    task = asyncio.create_task(client.start("echo-token"))
    await asyncio.wait_for(client.wait_until_ready(), 10)
    yield client, world
    await client.close()
    await asyncio.gather(task, return_exceptions=True)


async def test_echo_bot_connects_and_sees_the_guild(echo, emulator: DiscordEmulator) -> None:
    client, world = echo
    assert client.user is not None and str(client.user.id) == world.bot.id
    channel = client.get_channel(int(world.channel))
    assert channel is not None and channel.name == "buergerforum"


async def test_echo_bot_replies_with_a_message_reference(echo, emulator: DiscordEmulator) -> None:
    _, world = echo
    said = await emulator.say(world.alice, world.channel, "Hallo @everyone")
    reply = await emulator.reply_to(world.channel, said)
    assert reply.content == "echo: Hallo @everyone"
    assert reply.author_id == world.bot.id
    assert not reply.mention_everyone and reply.mentions == []
    request = emulator.request_of(reply)
    assert request.json["message_reference"]["message_id"] == int(said)
    assert request.json["allowed_mentions"]["parse"] == []
    assert not request.json["allowed_mentions"].get("replied_user")


async def test_direct_messages_reach_the_bot(echo, emulator: DiscordEmulator) -> None:
    _, world = echo
    dm = emulator.dm(world.alice, world.bot)
    said = await emulator.say(world.alice, dm, "privat")
    assert (await emulator.reply_to(dm, said)).content == "echo: privat"


async def test_a_reconnect_resumes_and_replays_what_was_missed(
    echo, emulator: DiscordEmulator
) -> None:
    client, world = echo
    resumed = asyncio.Event()
    client.on_resumed = resumed.set  # type: ignore[method-assign]
    await emulator.drop_connections()
    said = await emulator.say(world.alice, world.channel, "während der Pause")
    await asyncio.wait_for(resumed.wait(), 10)
    assert (await emulator.reply_to(world.channel, said)).content == "echo: während der Pause"
    assert emulator.gateway.resumes == 1


async def test_an_invalid_session_makes_the_client_identify_again(
    echo, emulator: DiscordEmulator
) -> None:
    client, world = echo
    identified = emulator.gateway.identifies
    await emulator.invalidate_sessions(resumable=False)
    for _ in range(100):
        if emulator.gateway.identifies > identified and emulator.gateway.sessions:
            break
        await asyncio.sleep(0.05)
    await asyncio.wait_for(client.wait_until_ready(), 10)
    said = await emulator.say(world.alice, world.channel, "neu verbunden")
    assert (await emulator.reply_to(world.channel, said)).content == "echo: neu verbunden"
