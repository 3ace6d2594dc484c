"""The emulator's reactions checked with a bare discord.py client: events in, own reactions out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.discord_emulator import DiscordEmulator

discord = pytest.importorskip("discord", reason="discord.py is not installed (extra `discord`)")


class Watcher(discord.Client):
    """Collects raw reaction events as discord.py parses them."""

    def __init__(self) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_reactions = True
        super().__init__(intents=intents)
        self.events: asyncio.Queue[discord.RawReactionActionEvent] = asyncio.Queue()

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        await self.events.put(payload)

    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        await self.events.put(payload)


@pytest_asyncio.fixture(loop_scope="session")
async def watched(discord_at_emulator: DiscordEmulator) -> AsyncIterator[tuple[Watcher, dict]]:
    emulator = discord_at_emulator
    bot = emulator.add_bot("watcher", token="watcher-token")
    alice = emulator.add_user("alice")
    guild = emulator.add_guild("Würzburg", owner=alice)
    emulator.add_member(guild, bot)
    channel = emulator.add_channel(guild, "ankuendigungen").id
    client = Watcher()
    task = asyncio.create_task(client.start("watcher-token"))
    await asyncio.wait_for(client.wait_until_ready(), 10)
    yield client, {"alice": alice, "guild": guild.id, "channel": channel}
    await client.close()
    await asyncio.gather(task, return_exceptions=True)


async def test_a_persons_reaction_arrives_with_member_and_its_removal_without(
    watched, emulator: DiscordEmulator
) -> None:
    client, world = watched
    said = await emulator.say(world["alice"], world["channel"], "Workshop am Freitag")
    await emulator.react(world["alice"], world["channel"], said, "✅")
    added = await asyncio.wait_for(client.events.get(), 10)
    assert added.event_type == "REACTION_ADD"
    assert (added.message_id, added.user_id) == (int(said), int(world["alice"].id))
    assert added.guild_id == int(world["guild"]) and str(added.emoji) == "✅"
    assert added.member is not None and added.member.name == "alice"

    await emulator.react(world["alice"], world["channel"], said, "✅")  # already there
    await emulator.unreact(world["alice"], world["channel"], said, "✅")
    removed = await asyncio.wait_for(client.events.get(), 10)
    assert removed.event_type == "REACTION_REMOVE" and removed.member is None
    assert emulator.world.messages[said].reactions == {}


async def test_the_bots_own_reactions_are_stored_and_listed_as_me(
    watched, emulator: DiscordEmulator
) -> None:
    client, world = watched
    said = await emulator.say(world["alice"], world["channel"], "Idee")
    await emulator.react(world["alice"], world["channel"], said, "👍")
    await asyncio.wait_for(client.events.get(), 10)
    message = await client.get_partial_messageable(int(world["channel"])).fetch_message(int(said))
    await message.add_reaction("👍")
    await asyncio.wait_for(client.events.get(), 10)  # its own reaction is an event, too

    fetched = await message.channel.fetch_message(int(said))
    [thumbs] = fetched.reactions
    assert (str(thumbs.emoji), thumbs.count, thumbs.me) == ("👍", 2, True)

    await message.remove_reaction("👍", client.user)
    await asyncio.wait_for(client.events.get(), 10)
    [thumbs] = (await message.channel.fetch_message(int(said))).reactions
    assert (thumbs.count, thumbs.me) == (1, False)
    assert emulator.requests("PUT", "/reactions/") and emulator.requests("DELETE", "/reactions/")
