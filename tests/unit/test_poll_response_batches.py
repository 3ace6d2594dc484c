"""A viral poll: the poll responses of one sync are stored in one transaction, exactly once.

The router marks a batch processed in the transaction that stores it, so a crash stores all
of it or none of it, and the replay after the restart (the sync token is saved only after
the batch) stores each response once. The sync's `!abstimmen` are part of that transaction
(their answers stored with it and sent after the commit); those it cannot take are handled
alone and answered as always.
"""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.context import Actor, IncomingMessage, IncomingPollResponse, Place
from bot.reply_outbox import send_pending_replies
from bot.router import Router
from handlers import help as help_commands
from handlers import moderation
from handlers.polls import commands as polls
from storage.models import PendingReply, ProcessedEvent
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


# ------------------------------------------------- !abstimmen in the same batch


def text_votes(bot: FakeBot, voters: range, text: str = "!abstimmen 1 2", tag: str = "t"):
    """`!abstimmen` of one sync, sent a second after the native responses (so they win)."""
    later = bot.services.clock.now() + timedelta(seconds=1)
    return [
        IncomingMessage(
            f"${tag}{n}",
            Actor("matrix", f"@citizen{n}:localhost", f"citizen{n}"),
            Place(FORUM, False),
            text,
            later,
        )
        for n in voters
    ]


def answers_to(bot: FakeBot, event_id: str) -> list[str]:
    return [sent.message.body for sent in bot.adapter.sent if sent.reply_to == event_id]


async def text_votes_stored(bot: FakeBot, tag: str = "t") -> tuple[int, int, int]:
    """Stored text votes, their processed marks, and answers still waiting to be sent."""
    async with bot.services.unit_of_work() as uow:
        votes = await uow.session.scalar(
            select(func.count())
            .select_from(PollResponse)
            .where(PollResponse.event_id.like(f"${tag}%"))
        )
        marked = await uow.session.scalar(
            select(func.count())
            .select_from(ProcessedEvent)
            .where(ProcessedEvent.event_id.like(f"${tag}%"))
        )
        waiting = await uow.session.scalar(select(func.count()).select_from(PendingReply))
    return int(votes or 0), int(marked or 0), int(waiting or 0)


async def test_text_votes_are_stored_in_the_batch_transaction_and_answered_once(
    tmp_path, monkeypatch
):
    bot = await restarted(tmp_path)
    poll_event = await started_poll(bot)
    sync = burst(bot, poll_event, range(100)) + text_votes(bot, range(40))
    commits = []
    commit = UnitOfWork.commit

    async def counted(self: UnitOfWork) -> None:
        commits.append(self)
        await commit(self)

    monkeypatch.setattr(UnitOfWork, "commit", counted)
    await bot.router.dispatch_all(sync)
    # One transaction stores all votes; one more forgets the answers that went out.
    assert len(commits) == 2
    assert await stored(bot) == (140, 140, 100)
    assert await text_votes_stored(bot) == (40, 40, 0)
    voted = bot.services.render("de", "polls.voted", number=1, choices="2. Bus").body
    assert all(answers_to(bot, f"$t{n}") == [voted] for n in range(40))

    await bot.router.dispatch_all(sync)  # the sync again: nothing stored or answered twice
    assert await text_votes_stored(bot) == (40, 40, 0)
    assert all(len(answers_to(bot, f"$t{n}")) == 1 for n in range(40))
    [reply] = await bot.say(STAFF, "!ergebnis 1")
    assert "(40) – 2." in reply.body and "(60) – 1." in reply.body


async def test_a_crash_before_the_batch_commit_stores_no_text_vote_and_the_replay_each_once(
    tmp_path, monkeypatch
):
    first = await restarted(tmp_path)
    poll_event = await started_poll(first)

    async def die_before_commit(self: UnitOfWork) -> None:
        raise Crash

    commit = UnitOfWork.commit
    monkeypatch.setattr(UnitOfWork, "commit", die_before_commit)
    with pytest.raises(Crash):
        await first.router.dispatch_all(
            burst(first, poll_event, range(30)) + text_votes(first, range(30))
        )
    monkeypatch.setattr(UnitOfWork, "commit", commit)
    assert await text_votes_stored(first) == (0, 0, 0)
    assert await stored(first) == (0, 0, 0)
    assert not any(answers_to(first, f"$t{n}") for n in range(30))

    second = await restarted(tmp_path)
    await second.router.dispatch_all(
        burst(second, poll_event, range(30)) + text_votes(second, range(30))
    )
    assert await text_votes_stored(second) == (30, 30, 0)
    assert all(len(answers_to(second, f"$t{n}")) == 1 for n in range(30))


async def test_a_crash_after_the_commit_sends_the_stored_answers_at_the_start_once(
    tmp_path, monkeypatch
):
    first = await restarted(tmp_path)
    poll_event = await started_poll(first)
    sync = burst(first, poll_event, range(20)) + text_votes(first, range(20))

    async def die_before_answering(self: Router, taken: object) -> None:
        raise Crash

    monkeypatch.setattr(Router, "_answer_batch", die_before_answering)
    with pytest.raises(Crash):
        await first.router.dispatch_all(sync)
    monkeypatch.undo()
    assert await text_votes_stored(first) == (20, 20, 20)
    assert not any(answers_to(first, f"$t{n}") for n in range(20))

    second = await restarted(tmp_path)
    assert await send_pending_replies(second.services) == 20
    await second.router.dispatch_all(sync)  # the sync token was not saved: it comes again
    assert await text_votes_stored(second) == (20, 20, 0)
    assert all(len(answers_to(second, f"$t{n}")) == 1 for n in range(20))
    keys = {sent.dedupe_key for sent in second.adapter.sent if sent.reply_to == "$t0"}
    assert keys == {"$t0/0"}  # the key the first attempt used: a homeserver drops a repeat


async def test_invalid_text_votes_in_a_batch_get_the_answer_they_get_alone(tmp_path):
    bot = await restarted(tmp_path)
    poll_event = await started_poll(bot)
    await bot.say(STAFF, '!umfrage "Wann?" "Heute" "Morgen"')
    await bot.say(STAFF, "!umfrage-ende 2")
    async with bot.services.unit_of_work() as uow:
        await uow.people.set_language("matrix", "@citizen5:localhost", "leicht")
        await uow.commit()
    invalid = [
        "!abstimmen 1 7",  # no such answer (a spoiled vote by text)
        "!abstimmen 1 1,2",  # more answers than the poll allows
        "!abstimmen 9 1",  # no such poll
        "!abstimmen 2 1",  # closed
        "!vote 1 x",  # English
        "!abstimmen 1 9",  # in Leichte Sprache (citizen5 chose it)
    ]
    sync = burst(bot, poll_event, range(10))
    for n, text in enumerate(invalid):
        sync += text_votes(bot, range(n, n + 1), text, tag=f"bad{n}-")
    sync += text_votes(bot, range(6, 10))
    await bot.router.dispatch_all(sync)

    assert await text_votes_stored(bot) == (4, 4, 0)
    assert await text_votes_stored(bot, "bad") == (0, len(invalid), 0)
    for n, text in enumerate(invalid):
        in_batch = answers_to(bot, f"$bad{n}-{n}")
        alone = await bot.say(f"@citizen{n}:localhost", text)
        assert in_batch == [answer.body for answer in alone] and in_batch
    assert "Umfrage" in answers_to(bot, "$bad0-0")[0]
    assert "poll" in answers_to(bot, "$bad4-4")[0]


async def test_text_votes_are_confirmed_in_the_language_of_the_voter(tmp_path):
    bot = await restarted(tmp_path)
    poll_event = await started_poll(bot)
    async with bot.services.unit_of_work() as uow:
        await uow.people.set_language("matrix", "@citizen1:localhost", "en")
        await uow.people.set_language("matrix", "@citizen2:localhost", "leicht")
        await uow.commit()
    sync = burst(bot, poll_event, range(4))
    sync += text_votes(bot, range(3), "!abstimmen 1 3")
    sync += text_votes(bot, range(3, 4), "!vote 1 3")
    await bot.router.dispatch_all(sync)
    assert await text_votes_stored(bot) == (4, 4, 0)
    for n, language in enumerate(("de", "en", "leicht", "en")):
        kita = "3. Kita"
        expected = bot.services.render(language, "polls.voted", number=1, choices=kita).body
        assert "".join(answers_to(bot, f"$t{n}")) == expected


async def test_text_votes_of_blocked_people_are_ignored_and_the_limit_counts_each_once(tmp_path):
    bot = await make_fake_bot(
        tmp_path,
        (help_commands, polls, moderation),
        BOT_STAFF_USERS=STAFF,
        BOT_RATE_LIMITS="abstimmen=4",
    )
    poll_event = await started_poll(bot)
    await bot.say(STAFF, "!sperren @citizen3:localhost Spam")
    await bot.router.dispatch_all(burst(bot, poll_event, range(5)) + text_votes(bot, range(5)))
    assert await text_votes_stored(bot) == (4, 5, 0)  # citizen3's is marked, not stored
    assert answers_to(bot, "$t3") == []

    # citizen1 voted once; a wrong vote and a valid one in a batch use two more of the
    # hour's four (the wrong one, handled alone, counts there), so one more is allowed.
    wrong = text_votes(bot, range(1, 2), "!abstimmen 1 7", tag="x")
    right = text_votes(bot, range(1, 2), "!abstimmen 1 3", tag="y")
    await bot.router.dispatch_all(wrong + right)
    assert await text_votes_stored(bot, "y") == (1, 1, 0)
    [fourth] = await bot.say("@citizen1:localhost", "!abstimmen 1 1")
    assert (
        fourth.body == bot.services.render("de", "polls.voted", number=1, choices="1. Radwege").body
    )
    [too_many] = await bot.say("@citizen1:localhost", "!abstimmen 1 1")
    assert too_many.body == bot.services.render("de", "errors.rate_limited", limit=4).body


async def test_results_asked_in_the_same_sync_count_the_votes_before_them(tmp_path):
    bot = await restarted(tmp_path)
    poll_event = await started_poll(bot)
    ask = IncomingMessage(
        "$ask", Actor("matrix", STAFF, "sabine"), Place(FORUM, False), "!ergebnis 1"
    )
    await bot.router.dispatch_all(
        [*burst(bot, poll_event, range(12)), *text_votes(bot, range(5), "!abstimmen 1 3"), ask]
    )
    [results] = answers_to(bot, "$ask")
    assert "(5) – 3." in results and "(7) – 1." in results
