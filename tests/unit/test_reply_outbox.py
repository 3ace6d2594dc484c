"""Answers stored with a command's effect: a crash between commit and send loses none."""

from __future__ import annotations

import asyncio
import types

import pytest

from bot.context import Context
from bot.errors import UsageError
from bot.messages import Message
from bot.reply_outbox import send_pending_replies
from bot.router import command
from handlers import help as help_commands
from handlers.ideas import commands as ideas
from tests.unit.fakes import make_fake_bot

ALICE = "@alice:localhost"
IDEA = "!idee Mehr Sitzbänke am Mainufer für ältere Menschen"


def crash_on_first_send(bot) -> None:
    """The process dies while sending (as under kill -9): nothing after it runs."""
    real_send = bot.adapter.send

    async def send(*args, **kwargs):
        bot.adapter.send = real_send
        raise asyncio.CancelledError

    bot.adapter.send = send


async def test_an_answer_lost_to_a_crash_after_the_commit_is_sent_on_the_next_start(tmp_path):
    first = await make_fake_bot(tmp_path, (help_commands, ideas))
    crash_on_first_send(first)
    with pytest.raises(asyncio.CancelledError):
        await first.say(ALICE, IDEA)
    assert first.adapter.sent == []

    second = await make_fake_bot(tmp_path, (help_commands, ideas))
    assert await second.say(ALICE, IDEA) == []  # the replayed event counts as handled
    assert await send_pending_replies(second.services) == 1
    [answer] = second.adapter.sent
    assert "#1" in answer.message.body
    assert answer.reply_to == "$event0"
    # The first attempt's transaction id: had that answer gone out, Synapse would drop this.
    assert answer.dedupe_key == "$event0/0"

    third = await make_fake_bot(tmp_path, (help_commands, ideas))
    assert await send_pending_replies(third.services) == 0
    assert third.adapter.sent == []


async def test_answers_that_went_out_are_forgotten(tmp_path):
    bot = await make_fake_bot(tmp_path, (help_commands, ideas))
    [confirmation] = await bot.say(ALICE, IDEA)
    assert "#1" in confirmation.body
    async with bot.services.unit_of_work() as uow:
        assert await uow.replies.pending() == []


async def test_an_answer_that_cannot_be_sent_now_is_kept_for_the_next_start(tmp_path):
    bot = await make_fake_bot(tmp_path, (help_commands, ideas))

    async def homeserver_gone(*args, **kwargs):
        raise ConnectionError("homeserver gone")

    bot.adapter.send = homeserver_gone
    assert await bot.say(ALICE, IDEA) == []
    async with bot.services.unit_of_work() as uow:
        [kept] = await uow.replies.pending()
    assert "#1" in Message.from_json(kept.message).body

    again = await make_fake_bot(tmp_path, (help_commands, ideas))
    assert await send_pending_replies(again.services) == 1
    assert "#1" in again.adapter.sent[0].message.body


@command("probe", "probe")
async def claim_queue_then_refuse(ctx: Context) -> None:
    """Queues an answer, then refuses before the commit: the transaction rolls back."""
    async with ctx.services.unit_of_work() as uow:
        await ctx.claim(uow)
        ctx.queue_reply(uow, "probe.done")
        raise UsageError("probe.refused")


PROBE_MESSAGES = {
    "commands.probe.summary": "probe",
    "commands.probe.usage": "",
    "commands.probe.help": "probe",
    "probe.done": "stored",
    "probe.refused": "refused",
}


async def test_an_answer_queued_in_a_rolled_back_transaction_is_never_sent(tmp_path):
    probe = types.ModuleType("probe")
    probe.claim_queue_then_refuse = claim_queue_then_refuse
    bot = await make_fake_bot(tmp_path, (help_commands, probe), extra_messages=PROBE_MESSAGES)
    [answer] = await bot.say(ALICE, "!probe")
    assert "refused" in answer.body
    assert "stored" not in answer.body
    async with bot.services.unit_of_work() as uow:
        assert await uow.replies.pending() == []
        assert await uow.events.is_processed("matrix", "$event0")
