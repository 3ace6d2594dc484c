"""A poll's life after `!umfrage`: posted, counted, closed on time and published once.

The database decides, the chat follows. Each step is recorded in the transaction that
decides it (posted → `start_event_id`, closed → `closed_at`, published → `published_at`)
and every send carries a dedupe key derived from the poll number, so a step interrupted by
a crash is simply done again on start and the homeserver drops the repeated send.

Timed closes run through the persistent scheduler: jobs are rebuilt from the database on
start. A poll whose deadline passed while the bot was down closes on start with the
deadline as its cut-off, after fetching the native responses from the homeserver
(`/relations`), so votes sent before the deadline count even though the catch-up sync
has not delivered them yet.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from bot.context import IncomingPollResponse, PollDraft, Services
from bot.errors import AlreadyProcessed
from bot.messages import Message
from bot.texts import local_time
from bot.web.links import poll_path, public_base, with_page_link
from bot.web.rooms import is_public_room
from handlers.polls.native import is_native
from handlers.polls.tally import Ballot, Tally, count_votes
from handlers.polls.texts import Render, poll_fallback, results_message
from storage.polls.models import Poll
from storage.polls.repository import NewResponse, PollRepository

logger = logging.getLogger(__name__)

VOTE_COMMAND = "abstimmen"
CLOSED_BY_COMMAND, CLOSED_BY_DEADLINE, CLOSED_BY_END_EVENT = "command", "deadline", "end_event"


def close_job_id(number: int) -> str:
    return f"poll-close:{number}"


def room_render(services: Services) -> Render:
    """Messages everyone in a room reads are in the deployment's language."""
    return functools.partial(services.render, services.settings.language)


def moment_text(services: Services, language: str, when: datetime | None) -> str | None:
    if when is None:
        return None
    return local_time(services.catalog, language, "polls.date_format", when, services.clock.tz)


def vote_command(services: Services, language: str) -> str:
    """`!abstimmen` as people of `language` type it."""
    vote = services.commands.find(VOTE_COMMAND)
    return services.settings.command_prefix + (vote.name_in(language) if vote else VOTE_COMMAND)


async def load(services: Services, number: int) -> Poll | None:
    async with services.unit_of_work() as uow:
        return await PollRepository(uow.session).get(number)


async def tally_of(services: Services, poll: Poll) -> Tally:
    """The standing from the database; recomputed every time, so no rule can drift."""
    async with services.unit_of_work() as uow:
        return await load_tally(PollRepository(uow.session), poll)


async def load_tally(polls: PollRepository, poll: Poll) -> Tally:
    """The standing, or the result frozen when a voter of the closed poll erased their data.

    Per-voter selections (`counted`, for exports) always come from the remaining responses.
    """
    tally = await _count(polls, poll)
    final = await polls.final_tally(poll.id)
    if final is None:
        return tally
    votes = json.loads(final.votes)
    return replace(tally, votes=votes, voters=final.voters, spoiled=final.spoiled)


async def _count(polls: PollRepository, poll: Poll) -> Tally:
    """Secret polls: their anonymous counters; others: every stored response, counted."""
    if poll.secret:
        counts, voters = await polls.secret_tally(poll.id)
        votes = {a.answer_id: counts.get(a.position, 0) for a in poll.answers}
        return Tally(votes=votes, voters=voters, spoiled=0, counted={})
    rows = await polls.responses(poll.id)
    ballots = [
        Ballot(row.voter, tuple(json.loads(row.answer_ids)), row.sent_at, row.id, row.redacted)
        for row in rows
    ]
    answer_ids = [answer.answer_id for answer in poll.answers]
    return count_votes(answer_ids, poll.max_selections, ballots, poll.closed_at)


def results_text(
    services: Services, poll: Poll, tally: Tally, render: Render, language: str
) -> Message:
    return results_message(
        render,
        poll,
        tally,
        deadline=moment_text(services, language, poll.closes_at),
        closed=moment_text(services, language, poll.closed_at),
    )


async def with_poll_link(
    services: Services, poll: Poll, message: Message, language: str
) -> Message:
    """`message` with the poll's public page linked, unless the poll is in a staff or
    department room (those polls are not on the page) or the page has no address."""
    base = public_base(services.settings)
    if base is None or not await is_public_room(services, poll.platform, poll.room_id):
        return message
    template = services.catalog.raw(language, "web.chat.poll_link")
    return with_page_link(message, template, base, poll_path(poll.id), language)


async def post(services: Services, number: int) -> None:
    """Post the native poll (or the text poll: secret, or beyond the platform's native
    polls) unless it is posted."""
    poll = await load(services, number)
    if poll is None or poll.start_event_id is not None:
        return
    language = services.settings.language
    fallback = poll_fallback(
        room_render(services),
        poll,
        command=vote_command(services, language),
        bot_id=services.adapter_for(poll.platform).user_id,
        deadline=moment_text(services, language, poll.closes_at),
    )
    dedupe_key = f"poll-start:{poll.id}"
    adapter = services.adapter_for(poll.platform)
    if not is_native(services, poll):
        event_id = await adapter.send(poll.room_id, fallback, dedupe_key=dedupe_key)
    else:
        draft = PollDraft(
            question=poll.question,
            answers=tuple((answer.answer_id, answer.text) for answer in poll.answers),
            max_selections=poll.max_selections,
            disclosed=not poll.hidden,
            fallback=fallback,
            duration=poll.closes_at - poll.created_at if poll.closes_at is not None else None,
        )
        event_id = await adapter.send_poll(poll.room_id, draft, dedupe_key=dedupe_key)
    async with services.unit_of_work() as uow:
        await PollRepository(uow.session).set_start_event(poll.id, event_id)
        await uow.commit()
    logger.info("Posted poll #%d", poll.id)
    if poll.closes_at is not None and poll.closed_at is None:
        schedule_close(services, poll)


async def reconcile(services: Services, poll: Poll) -> None:
    """Store native responses the homeserver has and we have not seen (yet).

    Best effort: when the homeserver cannot list them, the responses delivered by sync
    still count, so the failure is logged and counting goes on.
    """
    if poll.start_event_id is None or not is_native(services, poll):
        return
    try:
        responses = await services.adapter_for(poll.platform).poll_responses(
            poll.room_id, poll.start_event_id
        )
    except Exception:  # the adapter's error types are not visible from handlers
        logger.warning("Could not fetch the responses of poll #%d", poll.id, exc_info=True)
        return
    async with services.unit_of_work() as uow:
        await PollRepository(uow.session).add_responses(as_stored(poll.id, responses))
        await uow.commit()


def as_stored(poll_id: int, responses: Iterable[IncomingPollResponse]) -> list[NewResponse]:
    """Native responses as they are kept: as sent, once per event id; counting rules apply
    when tallying."""
    return [
        NewResponse(
            poll_id=poll_id,
            platform=response.actor.platform,
            event_id=response.event_id,
            voter=response.actor.id,
            answer_ids=response.answer_ids,
            sent_at=response.sent_at,
        )
        for response in responses
    ]


async def close(
    services: Services,
    poll: Poll,
    *,
    at: datetime,
    how: str,
    end_event_id: str | None = None,
    event: tuple[str, str] | None = None,
) -> bool:
    """End the poll with `at` as the cut-off for counting, then publish the results.

    `event` is the (platform, event id) of the command that asked for it, marked processed
    in the closing transaction. False if the poll had been closed already.
    """
    await reconcile(services, poll)
    async with services.unit_of_work() as uow:
        if event is not None and not await uow.events.mark_processed(*event):
            raise AlreadyProcessed
        closed = await PollRepository(uow.session).close(poll.id, at, how, end_event_id)
        await uow.commit()
    if not closed:
        return False
    logger.info("Closed poll #%d (%s)", poll.id, how)
    services.scheduler.cancel(close_job_id(poll.id))
    await publish(services, poll.id)
    return True


async def close_when_due(services: Services, number: int) -> None:
    """The scheduled close: the deadline is the cut-off, however late the job runs."""
    poll = await load(services, number)
    if poll is None or poll.closed_at is not None or poll.closes_at is None:
        return
    if poll.closes_at > services.clock.now():
        schedule_close(services, poll)
        return
    await close(services, poll, at=poll.closes_at, how=CLOSED_BY_DEADLINE)


async def publish(services: Services, number: int) -> None:
    """Send the end event (unless a client ended the poll) and the results, then record it."""
    poll = await load(services, number)
    if poll is None or poll.closed_at is None or poll.published_at is not None:
        return
    language = services.settings.language
    results = results_text(
        services, poll, await tally_of(services, poll), room_render(services), language
    )
    end_event_id = None
    adapter = services.adapter_for(poll.platform)
    native = poll.start_event_id is not None and is_native(services, poll)
    if native and poll.closed_by != CLOSED_BY_END_EVENT:
        end_event_id = await adapter.end_poll(
            poll.room_id, poll.start_event_id, results, dedupe_key=f"poll-end:{poll.id}"
        )
    await adapter.send(
        poll.room_id,
        await with_poll_link(services, poll, results, language),
        reply_to=poll.start_event_id,
        dedupe_key=f"poll-results:{poll.id}",
    )
    async with services.unit_of_work() as uow:
        await PollRepository(uow.session).mark_published(
            poll.id, end_event_id, services.clock.now()
        )
        await uow.commit()
    logger.info("Published the results of poll #%d", poll.id)


def schedule_close(services: Services, poll: Poll) -> None:
    if poll.closes_at is None:
        return
    job = functools.partial(close_when_due, services)
    services.scheduler.schedule_at(close_job_id(poll.id), poll.closes_at, job, poll.id)


async def resume(services: Services) -> None:
    """Rebuild the jobs of every unfinished poll from the database (on start).

    Unposted polls are posted, open timed polls get their close job (at once if the
    deadline has passed), closed but unpublished polls are published.
    """
    async with services.unit_of_work() as uow:
        unfinished = await PollRepository(uow.session).unfinished()
    now = services.clock.now()
    for poll in unfinished:
        if poll.start_event_id is None and poll.closed_at is None:
            job = functools.partial(post, services)
            services.scheduler.schedule_at(f"poll-post:{poll.id}", now, job, poll.id)
        elif poll.closed_at is None:
            schedule_close(services, poll)
        else:
            job = functools.partial(publish, services)
            services.scheduler.schedule_at(f"poll-publish:{poll.id}", now, job, poll.id)
    if unfinished:
        logger.info("Resumed %d unfinished polls", len(unfinished))
