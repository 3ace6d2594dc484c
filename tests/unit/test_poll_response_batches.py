"""A viral poll: the poll responses of one sync are stored in one transaction, exactly once.

The router marks a batch processed in the transaction that stores it, so a crash stores all
of it or none of it, and the replay after the restart (the sync token is saved only after
the batch) stores each response once.
"""

import pytest
from sqlalchemy import func, select

from bot.context import Actor, IncomingPollResponse, Place
from handlers import help as help_commands
from handlers import moderation
from handlers.polls import commands as polls
from storage.models import ProcessedEvent
from storage.polls.models import PollResponse
from storage.uow import UnitOfWork
from tests.unit.fakes import FakeBot, make_fake_bot

STAFF = "@sabine:localhost"
FORUM = "!forum:localhost"
QUESTION = '!umfrage "Welches Projekt zuerst?" "Radwege" "Bus" "Kita"'
VOTERS = 300


class Crash(BaseException):
    """The process dies (not an error the router could handle)."""


async def restarted(tmp_path) -> FakeBot:
    """A bot process on the same database file (a fresh start after the previous one)."""
    return await make_fake_bot(tmp_path, (help_commands, polls, moderation), BOT_STAFF_USERS=STAFF)


def burst(bot: FakeBot, poll_event: str, voters: range, answer: str = "a1", tag: str = "r"):
    now = bot.services.clock.now()
    return [
        IncomingPollResponse(
            f"${tag}{n}",
            Actor("matrix", f"@citizen{n}:localhost", f"citizen{n}"),
            Place(FORUM, False),
            poll_event,
            (answer,),
            now,
        )
        for n in voters
    ]


async def started_poll(bot: FakeBot) -> str:
    await bot.say(STAFF, QUESTION)
    return next(sent.event_id for sent in bot.adapter.sent if sent.kind == "poll")


async def stored(bot: FakeBot) -> tuple[int, int, int]:
    """Stored responses, distinct response event ids, processed events of the burst."""
    async with bot.services.unit_of_work() as uow:
        responses = await uow.session.scalar(select(func.count()).select_from(PollResponse))
        distinct = await uow.session.scalar(
            select(func.count(func.distinct(PollResponse.event_id)))
        )
        marked = await uow.session.scalar(
            select(func.count())
            .select_from(ProcessedEvent)
            .where(ProcessedEvent.event_id.like("$r%"))
        )
    return int(responses or 0), int(distinct or 0), int(marked or 0)


async def test_a_burst_is_counted_once_and_a_replay_changes_nothing(tmp_path):
    bot = await restarted(tmp_path)
    poll_event = await started_poll(bot)
    await bot.router.dispatch_all(burst(bot, poll_event, range(VOTERS)))
    assert await stored(bot) == (VOTERS, VOTERS, VOTERS)
    # The sync is delivered again (a crash after the commit, before the token was saved),
    # together with new responses.
    await bot.router.dispatch_all(burst(bot, poll_event, range(VOTERS + 50)))
    assert await stored(bot) == (VOTERS + 50, VOTERS + 50, VOTERS + 50)
    [reply] = await bot.say(STAFF, "!ergebnis 1")
    assert f"({VOTERS + 50}) – 1." in reply.body


async def test_a_restart_mid_batch_stores_nothing_and_the_replay_stores_each_once(
    tmp_path, monkeypatch
):
    first = await restarted(tmp_path)
    poll_event = await started_poll(first)
    await first.router.dispatch_all(burst(first, poll_event, range(100)))
    commit = UnitOfWork.commit

    async def die_before_commit(self: UnitOfWork) -> None:
        raise Crash

    monkeypatch.setattr(UnitOfWork, "commit", die_before_commit)
    with pytest.raises(Crash):  # the responses and their marks are written, not committed
        await first.router.dispatch_all(burst(first, poll_event, range(100, VOTERS)))
    monkeypatch.setattr(UnitOfWork, "commit", commit)
    assert await stored(first) == (100, 100, 100)

    second = await restarted(tmp_path)  # resumes from the token before the lost batch
    await second.router.dispatch_all(burst(second, poll_event, range(VOTERS)))
    assert await stored(second) == (VOTERS, VOTERS, VOTERS)


async def test_responses_of_blocked_people_are_ignored_and_the_rest_of_the_batch_counts(
    tmp_path,
):
    bot = await restarted(tmp_path)
    poll_event = await started_poll(bot)
    await bot.say(STAFF, "!sperren @citizen3:localhost Spam")
    await bot.router.dispatch_all(burst(bot, poll_event, range(10)))
    responses, _, marked = await stored(bot)
    assert (responses, marked) == (9, 10)


async def test_one_response_arriving_alone_goes_the_same_way(tmp_path):
    bot = await restarted(tmp_path)
    poll_event = await started_poll(bot)
    [response] = burst(bot, poll_event, range(1), answer="a2")
    await bot.router.dispatch(response)
    await bot.router.dispatch(response)
    assert await stored(bot) == (1, 1, 1)
