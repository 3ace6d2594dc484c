"""The bot keeps going when the homeserver goes away or slows it down."""

from __future__ import annotations

import asyncio
import logging

import pytest
from bots import register_bot
from chat import TEST_PASSWORD, ChatUser

from bot.devserver import LocalSynapse


@pytest.fixture
async def own_synapse(tmp_path):
    """A homeserver of this test's own, so stopping it disturbs nobody else."""
    server = LocalSynapse(tmp_path / "synapse")
    await server.start()
    yield server
    await server.stop()


async def test_bot_resumes_by_itself_after_the_homeserver_was_down(own_synapse, tmp_path):
    bot = await register_bot(own_synapse, tmp_path)
    alice_id = await own_synapse.register_user("alice", TEST_PASSWORD)
    await bot.start()
    alice = await ChatUser.login(own_synapse.base_url, alice_id, TEST_PASSWORD)
    try:
        room = await alice.create_room(name="Forum", invite=[bot.user_id])
        await alice.wait_joined(room, bot.user_id)
        await own_synapse.stop()
        await asyncio.sleep(3)  # the bot's sync fails meanwhile and backs off
        await own_synapse.start()
        command = await alice.say(room, "!hilfe")
        reply = await alice.reply_to(command, timeout=30)
        assert reply.sender == bot.user_id
    finally:
        await alice.close()
        await bot.stop()


async def test_rate_limited_replies_all_arrive(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="nio")  # whatever other tests set before
    server = LocalSynapse(tmp_path / "synapse", rate_limits="strict")
    await server.start()
    bot = await register_bot(server, tmp_path)
    alice_id = await server.register_user("alice", TEST_PASSWORD)
    alice = await ChatUser.login(server.base_url, alice_id, TEST_PASSWORD)
    try:
        await bot.start()
        room = await alice.create_room(name="Forum", invite=[bot.user_id])
        await alice.wait_joined(room, bot.user_id)
        commands = [await alice.say(room, f"!hilfe {name}") for name in ["hilfe", "sprache"] * 7]
        answered = set()
        while len(answered) < len(commands):
            reply = await alice.next_reply(room, sender=bot.user_id, timeout=60)
            answered.add(reply.in_reply_to)
        assert answered == set(commands)
        assert "ratelimited" in caplog.text, "the homeserver never said M_LIMIT_EXCEEDED"
    finally:
        await alice.close()
        await bot.stop()
        await server.stop()
