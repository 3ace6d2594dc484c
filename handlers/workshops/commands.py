"""Workshops: staff schedule them, citizens register (also with ✅), the bot announces,
reminds and hands out calendar files.

Commands: `!workshop neu|absagen|verschieben|<N>`, `!workshops`, `!anmelden`, `!abmelden`,
`!teilnehmer`, `!kalender` (and their English names). The schedule itself lives in
`handlers.workshops.schedule`, the waitlist in `handlers.workshops.registration`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bot.arguments import Number, Option, Param, Token
from bot.context import (
    Context,
    IncomingInterest,
    IncomingReaction,
    IncomingReactionRemoved,
    Role,
    Services,
)
from bot.errors import AlreadyProcessed, NotPermitted, UsageError
from bot.messages import Message
from bot.router import command, listens, on_start, rate_limited, requires
from bot.timeparse import TimeParseError, parse_date, parse_duration, parse_moment
from handlers.workshops.calendar import workshop_file
from handlers.workshops.delivery import deliver_notices
from handlers.workshops.mirrors import mirror_changed, mirror_created
from handlers.workshops.planning import ANNOUNCE, NEXT, REMIND, REPEATS
from handlers.workshops.registration import is_open, register, unregister
from handlers.workshops.schedule import (
    NewWorkshop,
    announce_rooms,
    create_occurrence,
    plan_occurrence,
    rebuild,
    schedule,
    unschedule,
)
from handlers.workshops.texts import WorkshopTexts, join
from storage.uow import UnitOfWork
from storage.workshops.models import Workshop
from storage.workshops.repository import (
    CANCELLED,
    PENDING,
    REGISTERED,
    WAITING,
    WorkshopRepository,
)

logger = logging.getLogger(__name__)

REGISTER_REACTION = "✅"
DEFAULT_DURATION = timedelta(hours=2)
MAX_DURATION = timedelta(days=7)
MAX_AHEAD = timedelta(days=730)
"""How far ahead a workshop (or the end of a series) may be planned."""
MAX_SEATS = 10_000
MAX_LISTED = 20
TITLE_MAX, PLACE_MAX, DESCRIPTION_MAX, URL_MAX, REASON_MAX = 200, 200, 2000, 500, 500

ADD_ACTIONS = {"neu": "de", "anlegen": "de", "add": "en", "new": "en"}
CANCEL_ACTIONS = {"absagen": "de", "cancel": "en"}
MOVE_ACTIONS = {"verschieben": "de", "move": "en"}
REPEAT_WORDS = {
    "woechentlich": "weekly",
    "wöchentlich": "weekly",
    "weekly": "weekly",
    "monatlich": "monthly",
    "monthly": "monthly",
}
WORKSHOP_OPTIONS = (
    Option("dauer", "duration"),
    Option("plaetze", "seats"),
    Option("beschreibung", "description"),
    Option("online", "online"),
    Option("wiederholen", "repeat"),
    Option("bis", "until"),
    Option("serie", "series", flag=True),
    Option("kategorie", "category"),
)


@dataclass(frozen=True)
class Tokens(Param):
    """Every remaining word or quoted phrase; the sub-action decides what they mean."""

    def take(self, tokens: Sequence[Token], raw: str) -> tuple[Any, int]:
        return tuple(tokens), len(tokens)


@dataclass(frozen=True)
class AddOptions:
    """The `--…` options of `!workshop neu`, as typed."""

    dauer: str | None
    plaetze: str | None
    beschreibung: str | None
    online: str | None
    wiederholen: str | None
    bis: str | None
    kategorie: str | None = None


# ------------------------------------------------------------------ commands


@command("workshop", "workshop", Tokens("args", optional=True), options=WORKSHOP_OPTIONS)
async def workshop_command(
    ctx: Context, args: tuple[Token, ...] | None, serie: bool, **options: str | None
) -> None:
    """`!workshop <N>` for everyone; `neu`, `absagen`, `verschieben` for staff."""
    if not args:
        raise UsageError("workshops.errors.action_missing")
    action, rest = args[0].value.casefold(), args[1:]
    add_options = AddOptions(**options)
    if action in ADD_ACTIONS:
        await _speak(ctx, ADD_ACTIONS[action])
        await _add(ctx, rest, add_options)
        return
    if any(value is not None for value in options.values()):
        raise UsageError("workshops.errors.options_only_for_add")
    if action in CANCEL_ACTIONS:
        await _speak(ctx, CANCEL_ACTIONS[action])
        await _cancel(ctx, rest, whole_series=serie)
    elif serie:
        raise UsageError("workshops.errors.options_only_for_add")
    elif action in MOVE_ACTIONS:
        await _speak(ctx, MOVE_ACTIONS[action])
        await _move(ctx, rest)
    elif action.lstrip("#").isdigit():
        if rest:
            raise UsageError("errors.too_many_arguments", extra=rest[0].value[:40])
        await _details(ctx, _number(args[0]))
    else:
        raise UsageError("workshops.errors.action_unknown", action=args[0].value[:40])


@command("workshops", "workshops")
async def list_workshops(ctx: Context) -> None:
    """Upcoming workshops with their free seats."""
    now = ctx.services.clock.now()
    async with ctx.services.unit_of_work() as uow:
        repo = WorkshopRepository(uow.session)
        # Only the listed ones are loaded: years of planned workshops are thousands of rows.
        workshops = await repo.upcoming(now, limit=MAX_LISTED)
        total = await repo.count_upcoming(now) if len(workshops) == MAX_LISTED else len(workshops)
        seats = await repo.seats(w.id for w in workshops)
    if not workshops:
        await ctx.reply("workshops.list.empty")
        return
    texts = _texts(ctx)
    lines = [ctx.render("workshops.list.header", count=total)]
    lines += [texts.list_line(w, seats[w.id]) for w in workshops]
    if total > MAX_LISTED:
        lines.append(ctx.render("workshops.list.more", count=total - MAX_LISTED))
    lines.append(ctx.render("workshops.list.footer", details=texts.command("workshop")))
    await ctx.reply_message(join(lines))


@rate_limited(per_hour=20)
@command("anmelden", "register", Number("number", refers_to="workshop"))
async def register_command(ctx: Context, number: int) -> None:
    """Register for a workshop, or join its waitlist when it is full."""
    now = ctx.services.clock.now()
    async with _processing(ctx) as uow:
        repo = WorkshopRepository(uow.session)
        workshop = await _workshop(repo, number, for_update=True)
        if not is_open(workshop, now):
            await _reply_closed(ctx, workshop)
            return
        outcome = await register(repo, workshop, (ctx.actor.platform, ctx.actor.id), now)
        texts = _texts(ctx)
        ctx.queue_reply(
            uow,
            f"workshops.registration.{outcome.status}",
            number=workshop.id,
            title=workshop.title,
            when=texts.when(workshop.starts_at, workshop.ends_at),
            position=outcome.position or 0,
            unregister=texts.command("abmelden", workshop.id),
        )
        await uow.commit()
    await ctx.send_queued()


@rate_limited(per_hour=20)
@command("abmelden", "unregister", Number("number", refers_to="workshop"))
async def unregister_command(ctx: Context, number: int) -> None:
    """Give up a seat (or a waitlist place); the first person waiting moves up."""
    now = ctx.services.clock.now()
    async with _processing(ctx) as uow:
        repo = WorkshopRepository(uow.session)
        workshop = await _workshop(repo, number, for_update=True)
        registration = await repo.registration(workshop.id, ctx.actor.platform, ctx.actor.id)
        if registration is None:
            await ctx.reply("workshops.registration.not_registered", number=workshop.id)
            return
        promoted = await unregister(repo, workshop, registration, now)
        ctx.queue_reply(
            uow, "workshops.registration.unregistered", number=workshop.id, title=workshop.title
        )
        await uow.commit()
    await ctx.send_queued()
    if promoted is not None:
        await deliver_notices(ctx.services)


@command("teilnehmer", "attendees", Number("number", refers_to="workshop"))
@requires(Role.STAFF)
async def list_attendees(ctx: Context, number: int) -> None:
    """Staff: who is registered and who is waiting, in order."""
    async with ctx.services.unit_of_work() as uow:
        repo = WorkshopRepository(uow.session)
        workshop = await _workshop(repo, number)
        registrations = await repo.registrations(workshop.id)
    registered = [r.external_id for r in registrations if r.status == REGISTERED]
    waiting = [r.external_id for r in registrations if r.status == WAITING]
    capacity = workshop.capacity if workshop.capacity is not None else "∞"
    lines = [
        ctx.render(
            "workshops.attendees.header",
            number=workshop.id,
            title=workshop.title,
            count=len(registered),
            capacity=capacity,
        )
    ]
    lines += [
        ctx.render("workshops.attendees.line", index=i, person=p)
        for i, p in enumerate(registered, 1)
    ]
    if not registered:
        lines.append(ctx.render("workshops.attendees.nobody"))
    if waiting:
        lines.append(ctx.render("workshops.attendees.waitlist", count=len(waiting)))
        lines += [
            ctx.render("workshops.attendees.line", index=i, person=p)
            for i, p in enumerate(waiting, 1)
        ]
    await ctx.reply_message(join(lines))


@rate_limited(per_hour=20)
@command("kalender", "calendar", Number("number", refers_to="workshop"))
async def calendar_file(ctx: Context, number: int) -> None:
    """Upload the workshop's `.ics` file as a reply."""
    async with ctx.services.unit_of_work() as uow:
        workshop = await _workshop(WorkshopRepository(uow.session), number)
    services = ctx.services
    upload = workshop_file(workshop, services.clock.now(), services.settings.timezone)
    await services.adapter_for(ctx.actor.platform).upload(
        ctx.place.room_id, upload, reply_to=ctx.event_id, dedupe_key=f"{ctx.event_id}/ics"
    )


# ----------------------------------------------------------------- listeners


@listens(IncomingReaction)
async def register_by_reaction(services: Services, event: IncomingReaction) -> bool:
    """✅ on an announcement registers the person; the answer comes by direct message."""
    if event.key.replace("\ufe0f", "") != REGISTER_REACTION:
        return False
    platform, now = event.actor.platform, services.clock.now()
    async with services.unit_of_work() as uow:
        repo = WorkshopRepository(uow.session)
        workshop_id = await repo.announced_workshop(platform, event.target_event_id)
        if workshop_id is None:
            return False
        if not await uow.events.mark_processed(platform, event.event_id):
            raise AlreadyProcessed
        workshop = await _workshop(repo, workshop_id, for_update=True)
        await _register_by_gesture(repo, workshop, (platform, event.actor.id), now)
        await uow.commit()
    await deliver_notices(services)
    return True


@listens(IncomingReactionRemoved)
async def unregister_by_reaction_removal(
    services: Services, event: IncomingReactionRemoved
) -> bool:
    """Taking back the ✅ that registered someone (or confirmed it) unregisters them."""
    if event.key.replace("\ufe0f", "") != REGISTER_REACTION:
        return False
    platform, now = event.actor.platform, services.clock.now()
    async with services.unit_of_work() as uow:
        repo = WorkshopRepository(uow.session)
        workshop_id = await repo.announced_workshop(platform, event.target_event_id)
        if workshop_id is None:
            return False
        registration = await repo.registration(workshop_id, platform, event.actor.id)
        if registration is None or not registration.by_reaction:
            return False
        if not await uow.events.mark_processed(platform, event.event_id):
            raise AlreadyProcessed
        workshop = await _workshop(repo, registration.workshop_id, for_update=True)
        await unregister(repo, workshop, registration, now)
        await repo.add_notice(workshop.id, "unregistered", now, person=(platform, event.actor.id))
        await uow.commit()
    await deliver_notices(services)
    return True


@listens(IncomingInterest)
async def register_by_interest(services: Services, event: IncomingInterest) -> bool:
    """Marking interest in a workshop's calendar entry registers like ✅ on its
    announcement, and taking it back unregisters; the answers come by direct message."""
    platform, now = event.actor.platform, services.clock.now()
    person = (platform, event.actor.id)
    async with services.unit_of_work() as uow:
        repo = WorkshopRepository(uow.session)
        workshop_id = await repo.mirrored_workshop(platform, event.target)
        if workshop_id is None:
            return False
        registration = await repo.registration(workshop_id, *person)
        if not event.added and (registration is None or not registration.by_reaction):
            return False
        if not await uow.events.mark_processed(platform, event.event_id):
            raise AlreadyProcessed
        workshop = await _workshop(repo, workshop_id, for_update=True)
        if event.added:
            await _register_by_gesture(repo, workshop, person, now)
        elif registration is not None:
            await unregister(repo, workshop, registration, now)
            await repo.add_notice(workshop.id, "unregistered", now, person=person)
        await uow.commit()
    await deliver_notices(services)
    return True


async def _register_by_gesture(
    repo: WorkshopRepository, workshop: Workshop, person: tuple[str, str], now: datetime
) -> None:
    """Register someone who reacted or marked interest; queue the direct message."""
    if not is_open(workshop, now):
        await repo.add_notice(workshop.id, "closed", now, person=person)
        return
    outcome = await register(repo, workshop, person, now, by_reaction=True)
    if outcome.status in (REGISTERED, WAITING):
        params = {"position": outcome.position} if outcome.position else {}
        await repo.add_notice(workshop.id, outcome.status, now, person=person, params=params)


@on_start
async def rebuild_workshop_schedule(services: Services) -> None:
    """Jobs for every pending announcement, reminder and series step, from the database."""
    await rebuild(services)


# ------------------------------------------------------------ staff actions


async def _add(ctx: Context, words: Sequence[Token], options: AddOptions) -> None:
    _require_staff(ctx)
    if len(words) < 3:
        raise UsageError("workshops.errors.add_arguments")
    title = _text(words[0].value, TITLE_MAX)
    place = _text(words[-1].value, PLACE_MAX)
    now = ctx.services.clock.now().astimezone(ctx.services.settings.timezone)
    starts_at = _parse_start(ctx, " ".join(w.value for w in words[1:-1]), now)
    repeat = _repeat(options.wiederholen)
    if options.bis is not None and repeat is None:
        raise UsageError("workshops.errors.until_without_repeat")
    until = _parse_until(ctx, options.bis, now, starts_at)
    new = NewWorkshop(
        title=title,
        place=place,
        starts_at=starts_at,
        duration=_duration(options.dauer),
        capacity=_seats(options.plaetze),
        description=_text(options.beschreibung, DESCRIPTION_MAX) if options.beschreibung else None,
        online_url=_url(options.online),
        repeat=repeat,
        repeat_until=until,
        category=_category(ctx, options.kategorie),
    )
    async with _processing(ctx) as uow:
        repo = WorkshopRepository(uow.session)
        workshop, pending = await create_occurrence(
            repo, ctx.services, new, (ctx.actor.platform, ctx.actor.id), now
        )
        ctx.queue_reply_message(uow, _created_message(ctx, workshop))
        await uow.commit()
    schedule(ctx.services, pending)
    await ctx.send_queued()
    await deliver_notices(ctx.services)
    await mirror_created(ctx.services, workshop.id)


def _created_message(ctx: Context, workshop: Workshop) -> Message:
    texts = _texts(ctx)
    parts = [
        ctx.render(
            "workshops.created",
            number=workshop.id,
            title=workshop.title,
            when=texts.when(workshop.starts_at, workshop.ends_at),
            place=workshop.place,
        )
    ]
    parts += texts.repeat_lines(workshop)
    rooms = len(announce_rooms(ctx.services))
    parts.append(
        ctx.render("workshops.announced" if rooms else "workshops.not_announced", rooms=rooms)
    )
    return join(parts)


async def _cancel(ctx: Context, words: Sequence[Token], *, whole_series: bool) -> None:
    _require_staff(ctx)
    if not words:
        raise UsageError("workshops.errors.number_missing")
    number = _number(words[0])
    reason = _text(" ".join(w.value for w in words[1:]), REASON_MAX) if len(words) > 1 else None
    now = ctx.services.clock.now()
    async with _processing(ctx) as uow:
        repo = WorkshopRepository(uow.session)
        workshop = await _workshop(repo, number, for_update=True)
        if workshop.status == CANCELLED or now >= workshop.starts_at:
            await _reply_closed(ctx, workshop)
            return
        workshop.status = CANCELLED
        workshop.cancel_reason = reason
        workshop.sequence += 1
        kinds = None if whole_series else (ANNOUNCE, REMIND)  # a series goes on
        cancelled = await repo.cancel_pending_effects(workshop.id, now, kinds)
        told = await _notify_everyone(repo, workshop, "cancelled", now, {"reason": reason})
        ctx.queue_reply(
            uow,
            "workshops.cancelled_series"
            if whole_series and workshop.repeat
            else "workshops.cancelled",
            number=workshop.id,
            title=workshop.title,
            people=told,
        )
        await uow.commit()
    unschedule(ctx.services, cancelled)
    logger.info("Workshop #%d cancelled; %d people told", workshop.id, told)
    await ctx.send_queued()
    await deliver_notices(ctx.services)
    await mirror_changed(ctx.services, workshop.id)


async def _move(ctx: Context, words: Sequence[Token]) -> None:
    _require_staff(ctx)
    if len(words) < 2:
        raise UsageError("workshops.errors.move_arguments")
    number = _number(words[0])
    now = ctx.services.clock.now().astimezone(ctx.services.settings.timezone)
    starts_at = _parse_start(ctx, " ".join(w.value for w in words[1:]), now)
    async with _processing(ctx) as uow:
        repo = WorkshopRepository(uow.session)
        workshop = await _workshop(repo, number, for_update=True)
        if workshop.status == CANCELLED or now >= workshop.starts_at:
            await _reply_closed(ctx, workshop)
            return
        previous = {
            "previous_start": workshop.starts_at.isoformat(),
            "previous_end": workshop.ends_at.isoformat(),
        }
        series_continues = any(
            effect.kind == NEXT and effect.state == PENDING
            for effect in await repo.effects(workshop.id)
        )
        workshop.ends_at = starts_at + (workshop.ends_at - workshop.starts_at)
        workshop.starts_at = starts_at
        workshop.sequence += 1
        cancelled = await repo.cancel_pending_effects(workshop.id, now)
        pending = await plan_occurrence(
            repo, ctx.services, workshop, now, recurring=series_continues
        )
        told = await _notify_everyone(repo, workshop, "moved", now, previous)
        ctx.queue_reply(
            uow,
            "workshops.moved",
            number=workshop.id,
            title=workshop.title,
            when=_texts(ctx).when(workshop.starts_at, workshop.ends_at),
            people=told,
        )
        await uow.commit()
    unschedule(ctx.services, cancelled)
    schedule(ctx.services, pending)
    logger.info("Workshop #%d moved; %d people told", workshop.id, told)
    await ctx.send_queued()
    await deliver_notices(ctx.services)
    await mirror_changed(ctx.services, workshop.id)


async def _details(ctx: Context, number: int) -> None:
    async with ctx.services.unit_of_work() as uow:
        repo = WorkshopRepository(uow.session)
        workshop = await _workshop(repo, number)
        seats = (await repo.seats([workshop.id]))[workshop.id]
        own = await repo.registration(workshop.id, ctx.actor.platform, ctx.actor.id)
    await ctx.reply_message(_texts(ctx).details(workshop, seats, own.status if own else None))


async def _notify_everyone(
    repo: WorkshopRepository, workshop: Workshop, kind: str, now: datetime, params: dict[str, Any]
) -> int:
    """Queue `kind` for everyone registered or waiting and for the announcement rooms."""
    registrations = await repo.registrations(workshop.id)
    for registration in registrations:
        person = (registration.platform, registration.external_id)
        await repo.add_notice(workshop.id, kind, now, person=person, params=params)
    for room in await repo.announcement_rooms(workshop.id):
        await repo.add_notice(workshop.id, kind, now, room=room, params=params)
    return len(registrations)


# ------------------------------------------------------------------- helpers


@asynccontextmanager
async def _processing(ctx: Context) -> AsyncIterator[UnitOfWork]:
    """A unit of work that first marks the command's event processed (exactly once).

    Marking is the first write, so on SQLite it also takes the write lock before seats are
    counted. A replay after a restart raises AlreadyProcessed and stores nothing.
    """
    async with ctx.services.unit_of_work() as uow:
        await ctx.claim(uow)
        yield uow


def _texts(ctx: Context) -> WorkshopTexts:
    return WorkshopTexts(ctx.services, ctx.language)


async def _speak(ctx: Context, language: str) -> None:
    """Answer in the language of the action word, unless the person chose a language."""
    if language == ctx.language:
        return
    async with ctx.services.unit_of_work() as uow:
        chosen = await uow.people.language_of(ctx.actor.platform, ctx.actor.id)
    if chosen is None:
        ctx.language = language


def _require_staff(ctx: Context) -> None:
    if ctx.role < Role.STAFF:
        raise NotPermitted(Role.STAFF)


async def _workshop(repo: WorkshopRepository, number: int, *, for_update: bool = False) -> Workshop:
    workshop = await repo.get(number, for_update=for_update)
    if workshop is None:
        raise UsageError("workshops.errors.unknown", number=number)
    return workshop


async def _reply_closed(ctx: Context, workshop: Workshop) -> None:
    key = "cancelled" if workshop.status == CANCELLED else "begun"
    await ctx.reply(f"workshops.closed.{key}", number=workshop.id, title=workshop.title)


def _number(token: Token) -> int:
    number, _ = Number("number").take([token], token.value)
    return int(number)


def _text(value: str, maximum: int) -> str:
    text = value.strip()
    if not 1 <= len(text) <= maximum:
        raise UsageError("errors.text_length", min=1, max=maximum, length=len(text))
    return text


def _category(ctx: Context, value: str | None) -> str | None:
    """A department id (the same categories as ideas), or None when not given."""
    if value is None:
        return None
    wanted = value.strip().lstrip("#").casefold()
    if ctx.services.settings.department(wanted) is None:
        raise UsageError(
            "workshops.errors.unknown_category",
            category=value[:40],
            categories=", ".join(d.id for d in ctx.services.settings.departments) or "–",
        )
    return wanted


def _url(value: str | None) -> str | None:
    if value is None:
        return None
    url = value.strip()
    if not url.startswith(("https://", "http://")) or len(url) > URL_MAX or " " in url:
        raise UsageError("workshops.errors.url", value=url[:60])
    return url


def _duration(value: str | None) -> timedelta:
    if value is None:
        return DEFAULT_DURATION
    try:
        duration = parse_duration(value)
    except TimeParseError:
        raise UsageError("workshops.errors.duration", value=value[:40]) from None
    if duration > MAX_DURATION:
        raise UsageError("workshops.errors.duration", value=value[:40])
    return duration


def _seats(value: str | None) -> int | None:
    if value is None:
        return None
    digits = value.isascii() and value.isdigit() and len(value) <= len(str(MAX_SEATS))
    if not digits or not 1 <= int(value) <= MAX_SEATS:
        raise UsageError("workshops.errors.seats", value=value[:40], max=MAX_SEATS)
    return int(value)


def _repeat(value: str | None) -> str | None:
    if value is None:
        return None
    repeat = REPEAT_WORDS.get(value.casefold())
    if repeat not in REPEATS:
        raise UsageError("workshops.errors.repeat", value=value[:40])
    return repeat


def _parse_start(ctx: Context, text: str, now: datetime) -> datetime:
    """The start a person typed; errors repeat what was read and what it was taken as."""
    try:
        starts_at = parse_moment(text, now)
    except TimeParseError as error:
        raise UsageError(f"workshops.errors.date_{error.reason}", text=text[:60]) from None
    if starts_at <= now:
        understood = _texts(ctx).moment(starts_at)
        raise UsageError("workshops.errors.date_past", text=text[:60], understood=understood)
    _check_ahead(ctx, text, starts_at.date(), now)
    return starts_at


def _parse_until(ctx: Context, text: str | None, now: datetime, starts_at: datetime) -> date | None:
    if text is None:
        return None
    try:
        until = parse_date(text, now)
    except TimeParseError as error:
        raise UsageError(f"workshops.errors.date_{error.reason}", text=text[:60]) from None
    if until < starts_at.astimezone(ctx.services.settings.timezone).date():
        raise UsageError("workshops.errors.until_before_start", until=_texts(ctx).date(until))
    _check_ahead(ctx, text, until, now)
    return until


def _check_ahead(ctx: Context, text: str, day: date, now: datetime) -> None:
    """Refuse a day further ahead than MAX_AHEAD (a typo like 2062, or date arithmetic
    near the year 9999 overflowing)."""
    latest = (now + MAX_AHEAD).date()
    if day > latest:
        raise UsageError(
            "workshops.errors.date_far", text=text[:60], latest=_texts(ctx).date(latest)
        )
