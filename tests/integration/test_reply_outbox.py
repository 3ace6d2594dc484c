"""Stored answers against a real Synapse: a resend after a crash never shows up twice."""

from __future__ import annotations

import asyncio

import pytest
from bots import register_bot

from bot.messages import Message

IDEA = "!idee Mehr Sitzbänke am Mainufer für ältere Menschen"


async def forgotten(app) -> None:
    """Wait until the bot holds no stored answer any more."""
    async with asyncio.timeout(30):
        while True:
            async with app.unit_of_work() as uow:
                if not await uow.replies.pending():
                    return
            await asyncio.sleep(0.1)


async def test_an_answer_sent_just_before_a_crash_is_not_doubled(synapse, tmp_path, make_user):
    alice = await make_user("alice", auto_join=True)
    bot = await register_bot(synapse, tmp_path)
    app = await bot.start()
    try:
        room = await alice.create_room(name="Forum", invite=[bot.user_id])
        await alice.wait_joined(room, bot.user_id)
        command = await alice.say(room, IDEA)
        answer = await alice.reply_to(command)
        assert "#1" in answer.body
        await forgotten(app)  # the bot forgets its stored copy just after sending it
        # As if the bot died after the answer went out but before it forgot the stored copy.
        async with app.unit_of_work() as uow:
            uow.replies.add(
                f"{command}/0",
                platform="matrix",
                event_id=command,
                room_id=room,
                message=Message.plain(answer.body).to_json(),
            )
            await uow.commit()
        app = await bot.restart()
        await forgotten(app)
        with pytest.raises(TimeoutError):
            await alice.reply_to(command, timeout=3)
    finally:
        await bot.stop()
