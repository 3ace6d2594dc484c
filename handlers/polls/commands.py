"""Quick polls: `!umfrage`, `!abstimmen`, `!ergebnis`, `!umfrage-ende`, `!umfragen`.

Staff start native polls where the platform has them (Element shows buttons) and text polls
where a poll goes beyond them (handlers.polls.native); everyone votes with the buttons or
with `!abstimmen`, and by either path a person's latest vote counts, exactly as Element
counts (handlers.polls.tally). Secret polls (`--geheim`) take votes by direct message only
and store who voted apart from what was chosen (see docs/polls.md).

The poll's life after the command (posting, timed close, publishing) is in
handlers.polls.lifecycle; its text in handlers.polls.texts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from bot.arguments import Number, Option, Param, Text, Token
from bot.context import (
    Context,
    IncomingPollEnd,
    IncomingPollResponse,
    IncomingRedaction,
    Role,
    Services,
    poll_answer_id,
)
from bot.errors import NotPermitted, UsageError
from bot.router import (
    BatchedCommand,
    command,
    in_batches,
    listens,
    listens_in_batches,
    on_start,
    rate_limited,
    requires,
)
from bot.timeparse import TimeParseError, parse_duration, parse_moment
from handlers.polls import lifecycle
from handlers.polls.native import text_poll_reason
from handlers.polls.texts import join
from storage.polls.models import Poll
from storage.polls.repository import NewResponse, PollRepository
from storage.uow import UnitOfWork

logger = logging.getLogger(__name__)

# What a poll may be at all, native or as text: as much as a chat message lists readably and
# people number when voting by text. Equal to Element's native limits (the most generous a
# platform of the bot has), so on Matrix every acceptable poll is native; a platform with
# smaller native polls gets text polls beyond them (handlers.polls.native).
MIN_ANSWERS, MAX_ANSWERS = 2, 20
MAX_TEXT = 340
MIN_DURATION = timedelta(minutes=1)
MAX_DURATION = timedelta(days=365)
_CHOICE_SEPARATORS = re.compile(r"[\s,;]+")


class QuestionAndAnswers(Param):
    """All remaining words or quoted phrases: the question, then the answers."""

    def take(self, tokens: Sequence[Token], raw: str) -> tuple[Any, int]:
        return tuple(token.value.strip() for token in tokens), len(tokens)


# ----------------------------------------------------------------------------- start


@command(
    "umfrage",
    "poll",
    QuestionAndAnswers("poll"),
    options=(
        Option("dauer", "duration"),
        Option("bis", "until"),
        Option("mehrfach", "multi"),
        Option("verdeckt", "hidden", flag=True),
        Option("geheim", "secret", flag=True),
        Option("raum", "room"),
    ),
)
@requires(Role.STAFF)
async def start_poll(
    ctx: Context,
    poll: tuple[str, ...],
    dauer: str | None,
    bis: str | None,
    mehrfach: str | None,
    verdeckt: bool,
    geheim: bool,
    raum: str | None,
) -> None:
    """Store the poll with the command's event id, then post it in the room."""
    question, answers = poll[0], poll[1:]
    _check_texts(question, answers)
    now = ctx.services.clock.now()
    closes_at = _deadline(ctx, now, dauer, bis)
    max_selections = _max_selections(mehrfach, len(answers))
    room_id = await _target_room(ctx, raum)
    async with ctx.services.unit_of_work() as uow:
        await ctx.claim(uow)
        created = await PollRepository(uow.session).create(
            platform=ctx.actor.platform,
            room_id=room_id,
            question=question,
            answers=[
                (poll_answer_id(position), text) for position, text in enumerate(answers, start=1)
            ],
            max_selections=max_selections,
            hidden=verdeckt,
            secret=geheim,
            created_by=ctx.actor.id,
            created_at=now,
            closes_at=closes_at,
        )
        number = created.id
        deadline = lifecycle.moment_text(ctx.services, ctx.language, closes_at)
        room = ctx.t("polls.here") if room_id == ctx.place.room_id else (raum or room_id)
        if deadline:
            ctx.queue_reply(uow, "polls.started_until", number=number, room=room, deadline=deadline)
        else:
            ctx.queue_reply(uow, "polls.started", number=number, room=room)
        if not geheim:
            _explain_text_poll(ctx, uow, created)
        await uow.commit()
    logger.info("Poll #%d created (secret=%s, timed=%s)", number, geheim, closes_at is not None)
    await lifecycle.post(ctx.services, number)
    await ctx.send_queued()


def _explain_text_poll(ctx: Context, uow: UnitOfWork, poll: Poll) -> None:
    """Tell staff why a poll the platform cannot carry natively is posted as text."""
    reason = text_poll_reason(ctx.services, poll)
    if reason is None:
        return
    ctx.queue_reply(
        uow,
        "polls.text_poll.notice",
        number=poll.id,
        command=lifecycle.vote_command(ctx.services, ctx.language),
        reason=ctx.t(f"polls.text_poll.reasons.{reason.key}", **reason.params),
    )


def _check_texts(question: str, answers: Sequence[str]) -> None:
    if not 1 <= len(question) <= MAX_TEXT:
        raise UsageError("polls.errors.question_length", max=MAX_TEXT)
    if not MIN_ANSWERS <= len(answers) <= MAX_ANSWERS:
        raise UsageError(
            "polls.errors.answer_count", min=MIN_ANSWERS, max=MAX_ANSWERS, count=len(answers)
        )
    for position, answer in enumerate(answers, start=1):
        if not 1 <= len(answer) <= MAX_TEXT:
            raise UsageError("polls.errors.answer_length", position=position, max=MAX_TEXT)


def _deadline(
    ctx: Context, now: datetime, duration: str | None, until: str | None
) -> datetime | None:
    if duration is not None and until is not None:
        raise UsageError("polls.errors.both_deadlines")
    try:
        if duration is not None:
            closes_at = now + parse_duration(duration)
        elif until is not None:
            closes_at = parse_moment(until, now)
        else:
            return None
    except TimeParseError as error:
        if error.reason == "range":
            raise UsageError("polls.errors.deadline_far", days=MAX_DURATION.days) from None
        if duration is not None:
            raise UsageError("polls.errors.duration", value=duration[:60]) from None
        key = {"time_missing": "moment_time_missing", "date": "moment_date"}.get(
            error.reason, "moment"
        )
        raise UsageError(f"polls.errors.{key}", value=error.text[:60]) from None
    if closes_at < now + MIN_DURATION:
        shown = lifecycle.moment_text(ctx.services, ctx.language, closes_at)
        raise UsageError("polls.errors.deadline_past", deadline=shown)
    if closes_at > now + MAX_DURATION:
        raise UsageError("polls.errors.deadline_far", days=MAX_DURATION.days)
    return closes_at


def _max_selections(multi: str | None, answers: int) -> int:
    if multi is None:
        return 1
    if not (multi.isascii() and multi.isdigit() and len(multi) <= 2 and 1 <= int(multi) <= answers):
        raise UsageError("polls.errors.multi", max=answers)
    return int(multi)


async def _target_room(ctx: Context, reference: str | None) -> str:
    """The room to post in: this one, or `--raum` if the bot is a member there."""
    if reference is None:
        return ctx.place.room_id
    platform = ctx.actor.platform
    adapter = ctx.services.adapter_for(platform)
    try:
        room_id = await adapter.resolve_room(reference)
    except Exception:  # an unknown alias; the adapter's error types are its own
        raise UsageError("polls.errors.room", room=reference[:80]) from None
    if not await adapter.is_member(room_id, adapter.user_id):
        raise UsageError("polls.errors.room", room=reference[:80])
    return room_id


# ------------------------------------------------------------------------------ vote


async def votes_together(uow: UnitOfWork, commands: Sequence[BatchedCommand]) -> list[Context]:
    """The `!abstimmen` of one sync, stored with its native responses (`in_batches`).

    In a viral poll hundreds come in one sync; as part of the batch's transaction they are
    final as soon as the native votes, instead of after a few transactions each. Taken are
    the votes `vote` would store without asking the platform anything: valid numbers for an
    open, public poll of the room they were sent in. The rest (errors, a vote from another
    room, which needs a membership check, secret polls) goes to `vote` as usual.
    """
    polls = PollRepository(uow.session)
    found: dict[int, Poll | None] = {}
    stored: list[NewResponse] = []
    taken: list[Context] = []
    for batched in commands:
        ctx, number = batched.ctx, batched.arguments["number"]
        if number not in found:
            found[number] = await polls.get(number)
        poll = found[number]
        if (
            poll is None
            or poll.secret
            or poll.closed_at is not None
            or (poll.platform, poll.room_id) != (ctx.actor.platform, ctx.place.room_id)
        ):
            continue
        try:
            answer_ids, chosen = _ballot(ctx, poll, batched.arguments["choices"])
        except UsageError:
            continue
        stored.append(_text_vote(ctx, poll, answer_ids))
        ctx.queue_reply(uow, "polls.voted", number=number, choices=chosen)
        taken.append(ctx)
    await polls.add_responses(stored)
    return taken


@rate_limited(per_hour=60)
@in_batches(votes_together)
@command("abstimmen", "vote", Number("number", refers_to="poll"), Text("choices", max_length=200))
async def vote(ctx: Context, number: int, choices: str) -> None:
    """A text vote: the same as pressing the buttons, or the only way in secret polls."""
    poll = await _open_poll(ctx, number)
    positions = _positions(poll, choices)
    in_room = (poll.platform, poll.room_id) == (ctx.actor.platform, ctx.place.room_id)
    if not in_room and not (
        poll.platform == ctx.actor.platform
        and await ctx.services.adapter_for(poll.platform).is_member(poll.room_id, ctx.actor.id)
    ):
        raise UsageError("polls.errors.not_member", number=number)
    if poll.secret:
        await _vote_secretly(ctx, poll, positions)
        return
    answer_ids, chosen = _ballot(ctx, poll, choices)
    async with ctx.services.unit_of_work() as uow:
        await ctx.claim(uow)
        await PollRepository(uow.session).add_response(**asdict(_text_vote(ctx, poll, answer_ids)))
        ctx.queue_reply(uow, "polls.voted", number=number, choices=chosen)
        await uow.commit()
    await ctx.send_queued()


def _ballot(ctx: Context, poll: Poll, choices: str) -> tuple[list[str], str]:
    """The answer ids a text vote chooses, and how the confirmation names them."""
    positions = _positions(poll, choices)
    answer_ids = [poll.answers[position - 1].answer_id for position in positions]
    chosen = ", ".join(
        ctx.t("polls.choice", position=p, answer=poll.answers[p - 1].text) for p in positions
    )
    return answer_ids, chosen


def _text_vote(ctx: Context, poll: Poll, answer_ids: Sequence[str]) -> NewResponse:
    """A text vote stored as a response like a native one, keyed by the command's event."""
    return NewResponse(
        poll_id=poll.id,
        platform=ctx.actor.platform,
        event_id=ctx.event_id,
        voter=ctx.actor.id,
        answer_ids=answer_ids,
        sent_at=ctx.message.sent_at or ctx.services.clock.now(),
    )


async def _vote_secretly(ctx: Context, poll: Poll, positions: Sequence[int]) -> None:
    """Count once, anonymously; only in a direct chat, so the room never sees a choice."""
    bot_id = ctx.services.adapter_for(ctx.actor.platform).user_id
    if not ctx.place.is_direct:
        raise UsageError("polls.errors.secret_in_room", number=poll.id, bot=bot_id)
    async with ctx.services.unit_of_work() as uow:
        await ctx.claim(uow)
        counted = await PollRepository(uow.session).record_secret_vote(
            poll.id, ctx.actor.platform, ctx.actor.id, positions
        )
        if not counted:
            raise UsageError("polls.errors.secret_already", number=poll.id)
        ctx.queue_reply(uow, "polls.voted_secret", number=poll.id)
        await uow.commit()
    await ctx.send_queued()


def _positions(poll: Poll, choices: str) -> list[int]:
    """Answer numbers as typed ("2", "1,3", "1 3"), each once, within the poll's limit."""
    positions: list[int] = []
    for word in filter(None, _CHOICE_SEPARATORS.split(choices)):
        text = word.lstrip("#").rstrip(".")
        if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= len(poll.answers):
            raise UsageError(
                "polls.errors.choice", value=word[:40], number=poll.id, max=len(poll.answers)
            )
        if int(text) not in positions:
            positions.append(int(text))
    if not positions:
        raise UsageError(
            "polls.errors.choice", value=choices[:40], number=poll.id, max=len(poll.answers)
        )
    if len(positions) > poll.max_selections:
        raise UsageError("polls.errors.too_many", number=poll.id, max=poll.max_selections)
    return positions


async def _poll(ctx: Context, number: int) -> Poll:
    poll = await lifecycle.load(ctx.services, number)
    if poll is None or poll.platform != ctx.actor.platform:
        raise UsageError("polls.errors.not_found", number=number)
    return poll


async def _open_poll(ctx: Context, number: int) -> Poll:
    poll = await _poll(ctx, number)
    if poll.closed_at is not None:
        raise UsageError("polls.errors.closed", number=number)
    return poll


# --------------------------------------------------------------------------- results


@rate_limited(per_hour=60)
@command("ergebnis", "results", Number("number", refers_to="poll"))
async def show_results(ctx: Context, number: int) -> None:
    """The standing as a bar chart; hidden polls only after the end (staff: any time)."""
    poll = await _readable_poll(ctx, number)
    if poll.closed_at is None:
        await lifecycle.reconcile(ctx.services, poll)
    tally = await lifecycle.tally_of(ctx.services, poll)
    results = lifecycle.results_text(ctx.services, poll, tally, ctx.render, ctx.language)
    await ctx.reply_message(
        await lifecycle.with_poll_link(ctx.services, poll, results, ctx.language)
    )


async def _readable_poll(ctx: Context, number: int) -> Poll:
    """The poll, if the asker may see its numbers now."""
    poll = await _poll(ctx, number)
    if poll.closed_at is None and poll.secret:
        raise UsageError("polls.errors.secret_open", number=number)
    if poll.closed_at is None and poll.hidden and ctx.role < Role.STAFF:
        raise NotPermitted(Role.STAFF, key="polls.errors.hidden")
    return poll


@command("umfrage-ende", "endpoll", Number("number", refers_to="poll"))
@requires(Role.STAFF)
async def end_poll(ctx: Context, number: int) -> None:
    """Close now; the results go to the poll's room."""
    poll = await _open_poll(ctx, number)
    closed = await lifecycle.close(
        ctx.services,
        poll,
        at=ctx.services.clock.now(),
        how=lifecycle.CLOSED_BY_COMMAND,
        event=(ctx.actor.platform, ctx.event_id),
    )
    if not closed:
        raise UsageError("polls.errors.closed", number=number)
    await ctx.reply("polls.closed_reply", number=number)


@command("umfragen", "polls")
async def list_polls(ctx: Context) -> None:
    """The open polls of this room with how they end."""
    async with ctx.services.unit_of_work() as uow:
        polls = await PollRepository(uow.session).open_in_room(
            ctx.actor.platform, ctx.place.room_id
        )
    if not polls:
        await ctx.reply("polls.list_empty")
        return
    lines = [ctx.render("polls.list_header")]
    for poll in polls:
        lines.append(
            ctx.render(
                "polls.list_line", number=poll.id, question=poll.question, status=_status(ctx, poll)
            )
        )
    await ctx.reply_message(join(lines))


def _status(ctx: Context, poll: Poll) -> str:
    deadline = lifecycle.moment_text(ctx.services, ctx.language, poll.closes_at)
    parts = [
        ctx.t("polls.status_until", deadline=deadline) if deadline else ctx.t("polls.status_open")
    ]
    if poll.secret:
        parts.append(ctx.t("polls.status_secret"))
    elif poll.hidden:
        parts.append(ctx.t("polls.status_hidden"))
    return ", ".join(parts)


# ------------------------------------------------------------------ native events


@listens_in_batches(IncomingPollResponse)
async def record_responses(
    services: Services, uow: UnitOfWork, responses: Sequence[IncomingPollResponse]
) -> None:
    """Keep every native response as sent; counting rules apply when tallying.

    Responses arrive in batches (a viral poll sends thousands within seconds), stored in
    the router's transaction in the order they arrived.
    """
    polls = PollRepository(uow.session)
    found: dict[tuple[str, str], Poll | None] = {}
    stored: list[NewResponse] = []
    for response in responses:
        key = (response.actor.platform, response.poll_event_id)
        if key not in found:
            found[key] = await polls.by_start_event(*key)
        poll = found[key]
        if poll is not None and not poll.secret:
            stored.extend(lifecycle.as_stored(poll.id, [response]))
    await polls.add_responses(stored)


@listens(IncomingRedaction)
async def forget_redacted_response(services: Services, redaction: IncomingRedaction) -> None:
    """A redacted response (or `!abstimmen`) no longer counts; the one before it does."""
    async with services.unit_of_work() as uow:
        poll_id = await PollRepository(uow.session).redact_response(
            redaction.actor.platform, redaction.redacted_event_id
        )
        if poll_id is not None:
            await uow.commit()
            logger.debug("Response %s to poll #%d redacted", redaction.redacted_event_id, poll_id)


@listens(IncomingPollEnd)
async def accept_poll_end(services: Services, end: IncomingPollEnd) -> None:
    """A moderator ended the poll in their client: the first valid end closes it here too.

    MSC3381 accepts ends from the poll's sender or someone who may redact others' events;
    ends by people who are no moderators are ignored, as Element ignores them.
    """
    async with services.unit_of_work() as uow:
        poll = await PollRepository(uow.session).by_start_event(
            end.actor.platform, end.poll_event_id
        )
    if poll is None or poll.secret or poll.closed_at is not None:
        return
    adapter = services.adapter_for(poll.platform)
    if not await adapter.is_moderator(poll.room_id, end.actor.id):
        logger.debug("Ignoring an end of poll #%d by someone who may not end it", poll.id)
        return
    await lifecycle.close(
        services, poll, at=end.sent_at, how=lifecycle.CLOSED_BY_END_EVENT, end_event_id=end.event_id
    )


@on_start
async def resume_polls(services: Services) -> None:
    """Rebuild poll jobs from the database: the database is the source of truth."""
    await lifecycle.resume(services)
