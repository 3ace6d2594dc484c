"""Faults: the bot or the homeserver goes away mid-work, and nothing may be lost or doubled.

`python -m bench.faults [--quick]`

(a) kill -9 of the bot (`smartregion-bot run`, its own process) in the middle of a burst of
    `!idee` from many citizens, then a restart: every idea stored exactly once, every
    citizen got exactly one confirmation per idea (one sent before the kill counts).
(b) Synapse stopped for 10 s while citizens keep writing, then started again: the bot
    resumes by itself; recovery = from Synapse answering again until the bot's reply to a
    message sent at that moment arrives (target ≤ 5 s); every message answered once.
(c) the bot stopped across a workshop announcement and a poll deadline: after the restart
    each happens exactly once (and a second restart repeats neither). The full run waits
    for the real deadlines; `--quick` moves them into the past while the bot is down.
(d) Synapse with its default message limit (`M_LIMIT_EXCEEDED` after 10 messages, then
    one per 5 s) for the bot: every reply arrives, none twice.
(e) an active and a standby `smartregion-bot run` on one PostgreSQL database; kill -9 of
    the active one in the middle of a burst of `!idee` (200; `--quick` 40) and at the
    moment a workshop announcement falls due: takeover = from the kill to the first answer
    to a command sent after the kill (which only the standby can have answered; target
    ≤ 10 s; also reported: until the standby holds the lock, and until a `!hilfe` sent
    right after the kill is answered); every idea stored and confirmed once, the
    announcement posted once.
(f) both instances started at the same moment, 20 times (`--quick` 5): each time exactly
    one of them says it is active, the other that it is the standby, and a `!hilfe` gets
    exactly one answer.
(e) and (f) need the PostgreSQL server of `SMARTREGION_TEST_POSTGRES_URL` (default
127.0.0.1:5432, database test); each runs in a fresh database that is dropped afterwards.

Prints scenario → lost / duplicated / recovery time and exits non-zero on any loss or
duplicate.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from bench import harness
from bench.ideas_similarity import idea_text
from bot.devserver import LocalSynapse
from storage.polls.models import Poll
from storage.workshops.models import WorkshopEffect

SETTLE_TIMEOUT_S = 120.0
POLL_START = "org.matrix.msc3381.poll.start"
POLL_END = "org.matrix.msc3381.poll.end"
TZ = ZoneInfo("Europe/Berlin")
RECOVERY_TARGET_S = 5.0
TAKEOVER_TARGET_S = 10.0
ANNOUNCE_LEAD_S = 90.0  # setup time before the announcement of (e) falls due
ACTIVE_LOG, STANDBY_LOG = "Active:", "Standby:"  # what bot.leadership logs
DOWNTIME_S = 10.0


@dataclass
class Outcome:
    """One row of the result table."""

    scenario: str
    checked: str
    lost: int
    duplicated: int
    recovery_s: float | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Stage:
    """A bot, its room, citizens in it and staff watching everything the bot says."""

    synapse: LocalSynapse
    bot: harness.SmartRegionBot
    staff: harness.Account
    citizens: list[harness.Account]
    room: str
    view: harness.Timeline
    database: harness.BotDatabase
    extra_rooms: dict[str, str]

    async def close(self) -> None:
        await self.bot.stop()
        await self.view.stop()
        await self.database.close()


async def stage(
    synapse: LocalSynapse,
    http: Any,
    directory: Path,
    name: str,
    citizens_n: int,
    env: dict[str, str] | None = None,
    extra_rooms: tuple[str, ...] = (),
) -> Stage:
    """Register everyone, create the rooms, start the bot and wait until it has joined."""
    staff = await harness.register(synapse, http, f"{name}-staff")
    citizens = await harness.register_many(synapse, http, f"{name}-citizen", citizens_n)
    bot = await harness.smartregion_bot(synapse, directory / name)
    room = await staff.create_room("Bürgerforum", [bot.user_id, *(c.user_id for c in citizens)])
    await asyncio.gather(*(c.join(room) for c in citizens))
    rooms = {label: await staff.create_room(label, [bot.user_id]) for label in extra_rooms}
    bot.env.update({"BOT_STAFF_USERS": staff.user_id, **(env or {})})
    bot.env.update({key: rooms.get(value, value) for key, value in bot.env.items()})
    view = harness.Timeline(staff)
    await view.start()
    await bot.start()
    await harness.wait_joined(view, (room, *rooms.values()), bot.user_id, bot)
    return Stage(
        synapse,
        bot,
        staff,
        citizens,
        room,
        view,
        harness.BotDatabase(bot.env["DATABASE_URL"]),
        rooms,
    )


async def wait_until(condition: Callable[[], Awaitable[bool]], timeout: float) -> bool:  # noqa: ASYNC109
    limit = time.monotonic() + timeout
    while time.monotonic() < limit:
        if await condition():
            return True
        await asyncio.sleep(0.2)
    return False


@dataclass
class Sent:
    event_id: str
    sender: str
    text: str
    started: float = 0.0
    """When sending began (monotonic): a bot killed before it never saw the message."""


async def talk(
    citizen: harness.Account, room: str, texts: list[str], pause: float, sent: list[Sent]
) -> None:
    """Send each text in turn with a pause (bounded: len(texts) sends)."""
    for text in texts:
        started = time.monotonic()
        event_id = await citizen.say(room, text)
        sent.append(Sent(event_id, citizen.user_id, text, started))
        await asyncio.sleep(pause)


async def settle_replies(stage_: Stage, sent: list[Sent]) -> dict[str, int]:
    """Replies per sent message, once each has one (or the time is up)."""
    wanted = {s.event_id for s in sent}

    async def all_answered() -> bool:
        return wanted <= harness.replies_by_target(stage_.view, stage_.bot.user_id).keys()

    await wait_until(all_answered, SETTLE_TIMEOUT_S)
    await asyncio.sleep(2.0)  # a late duplicate would arrive now
    replies = harness.replies_by_target(stage_.view, stage_.bot.user_id)
    return {event_id: replies.get(event_id, 0) for event_id in wanted}


async def check_ideas(stage_: Stage, sent: list[Sent]) -> tuple[int, int]:
    """(lost, duplicated) of ideas and their confirmations."""
    replies = await settle_replies(stage_, sent)
    stored = await stage_.database.ideas_by_event()
    lost = duplicated = 0
    for message in sent:
        rows = stored.get(message.event_id, [])
        expected = (message.sender, message.text.removeprefix("!idee "))
        lost += rows.count(expected) == 0
        duplicated += max(0, len(rows) - 1)
        lost += replies[message.event_id] == 0
        duplicated += max(0, replies[message.event_id] - 1)
    duplicated += max(0, sum(len(rows) for rows in stored.values()) - len(sent))
    return lost, duplicated


def idea_burst(
    citizens: list[harness.Account], per_citizen: int, rng: random.Random
) -> dict[str, list[str]]:
    return {
        c.user_id: [f"!idee {idea_text(rng)} ({c.user_id[1:9]} {n})" for n in range(per_citizen)]
        for c in citizens
    }


async def answered_after(stage_: Stage, moment: float) -> float:
    """Seconds from `moment` (monotonic) until the answer to a `!hilfe` sent now arrives."""
    probe = await stage_.staff.say(stage_.room, "!hilfe")
    arrived, _ = await stage_.view.wait_for(
        harness.reply_to(probe, stage_.bot.user_id), SETTLE_TIMEOUT_S
    )
    return arrived - moment


# ----------------------------------------------------------------------- (a)


async def kill_mid_burst(stage_: Stage, quick: bool) -> Outcome:
    citizens_n, per_citizen = (5, 4) if quick else (20, 10)
    total = citizens_n * per_citizen
    texts = idea_burst(stage_.citizens[:citizens_n], per_citizen, random.Random(1))
    sent: list[Sent] = []
    burst = asyncio.gather(
        *(talk(c, stage_.room, texts[c.user_id], 0.05, sent) for c in stage_.citizens[:citizens_n])
    )

    async def some_confirmed() -> bool:
        replies = harness.replies_by_target(stage_.view, stage_.bot.user_id)
        return sum(1 for s in sent if s.event_id in replies) >= total // 4

    await wait_until(some_confirmed, SETTLE_TIMEOUT_S)
    before = sum(
        1 for s in sent if s.event_id in harness.replies_by_target(stage_.view, stage_.bot.user_id)
    )
    await stage_.bot.kill()
    killed_at = time.monotonic()
    await asyncio.sleep(1.0)
    await stage_.bot.start()
    await burst
    lost, duplicated = await check_ideas(stage_, sent)
    done = time.monotonic() - killed_at
    return Outcome(
        "(a) kill -9 of the bot mid-burst",
        f"{total} !idee from {citizens_n} citizens ({before} confirmed before the kill)",
        lost,
        duplicated,
        None,
        {"confirmed_before_kill": before, "all_confirmed_s_after_kill": done},
    )


# ----------------------------------------------------------------------- (b)


async def homeserver_outage(stage_: Stage, quick: bool) -> Outcome:
    citizens_n, per_citizen = (3, 6) if quick else (10, 12)
    texts = idea_burst(stage_.citizens[:citizens_n], per_citizen, random.Random(2))
    sent: list[Sent] = []
    stream = asyncio.gather(
        *(talk(c, stage_.room, texts[c.user_id], 0.5, sent) for c in stage_.citizens[:citizens_n])
    )
    await asyncio.sleep(1.5)
    await stage_.synapse.stop()
    await asyncio.sleep(DOWNTIME_S)
    await stage_.synapse.start()
    recovery = await answered_after(stage_, time.monotonic())
    await stream
    lost, duplicated = await check_ideas(stage_, sent)
    return Outcome(
        f"(b) Synapse down for {DOWNTIME_S:.0f} s",
        f"{len(sent)} !idee from {citizens_n} citizens across the outage",
        lost,
        duplicated,
        recovery,
        {"recovery_target_s": RECOVERY_TARGET_S},
    )


# ----------------------------------------------------------------------- (c)


def minute_after(moment: datetime) -> datetime:
    return (moment + timedelta(minutes=1)).replace(second=0, microsecond=0)


async def deadlines_across_a_stop(
    synapse: LocalSynapse, http: Any, directory: Path, quick: bool
) -> Outcome:
    now = datetime.now(TZ)
    if quick:
        starts, offset_minutes = minute_after(now + timedelta(days=2)), 24 * 60
    else:
        # An announcement 70–130 s from now: a whole number of minutes before a start
        # on a minute boundary.
        starts = minute_after(now + timedelta(seconds=150))
        offset_minutes = math.floor((starts - now - timedelta(seconds=75)).total_seconds() / 60)
    stage_ = await stage(
        synapse,
        http,
        directory,
        "c",
        1,
        {
            "BOT_ANNOUNCE_ROOMS": "Ankündigungen",
            "BOT_WORKSHOP_ANNOUNCE": f"{offset_minutes}m",
            "BOT_WORKSHOP_REMIND": "",
        },
        ("Ankündigungen",),
    )
    announce_room = stage_.extra_rooms["Ankündigungen"]
    try:
        when = starts.strftime("%d.%m.%Y %H:%M")
        created = await stage_.staff.say(
            stage_.room, f'!workshop neu "Bürgerhaushalt" {when} "Rathaus Würzburg"'
        )
        polled = await stage_.staff.say(
            stage_.room, '!umfrage "Welcher Termin passt?" "Dienstag" "Donnerstag" --dauer 1m'
        )
        for command in (created, polled):
            await stage_.view.wait_for(harness.reply_to(command, stage_.bot.user_id), 30)
        await stage_.view.wait_for(
            lambda e: e["room_id"] == announce_room and "Workshop #1" in body(e), 30
        )
        vote = await stage_.citizens[0].say(stage_.room, "!abstimmen 1 2")
        await stage_.view.wait_for(harness.reply_to(vote, stage_.bot.user_id), 30)
        await stage_.bot.stop()
        stopped = datetime.now(TZ)
        async with stage_.database.sessions() as session:
            due = await session.scalar(
                select(WorkshopEffect.due_at).where(
                    WorkshopEffect.state == "pending", WorkshopEffect.kind == "announce"
                )
            )
            poll_due = await session.scalar(select(Poll.closes_at))
        if quick:
            await move_into_past(stage_.database, stopped - timedelta(seconds=1))
        else:
            latest = max(due, poll_due)
            await asyncio.sleep(max(0.0, (latest - datetime.now(TZ)).total_seconds()) + 3)
        restarted = time.monotonic()
        await stage_.bot.start()

        def announced(e: dict[str, Any]) -> bool:
            return e["room_id"] == announce_room and "Workshop #1" in body(e)

        def ended(e: dict[str, Any]) -> bool:
            return e.get("type") == POLL_END and e.get("sender") == stage_.bot.user_id

        await stage_.view.wait_for(ended, SETTLE_TIMEOUT_S)
        await stage_.view.wait_for(
            lambda e: announced(e) and not is_first(e, stage_), SETTLE_TIMEOUT_S
        )
        recovery = time.monotonic() - restarted
        await stage_.bot.stop()  # a second restart must repeat neither
        await stage_.bot.start()
        await asyncio.sleep(5.0)
        announcements = len(stage_.view.matching(announced)) - 1  # the one on creation
        ends = len(stage_.view.matching(ended))
        results = len(
            stage_.view.matching(
                lambda e: (
                    e.get("sender") == stage_.bot.user_id
                    and e.get("type") == "m.room.message"
                    and "Ergebnis von Umfrage #1" in body(e)
                    and e["room_id"] == stage_.room
                )
            )
        )
    finally:
        await stage_.close()
    counts = [announcements, ends, results]
    return Outcome(
        "(c) bot stopped across a workshop announcement and a poll deadline",
        "announcement, poll end, poll results ("
        + ("deadlines moved into the past while down" if quick else "real deadlines")
        + ")",
        sum(1 for n in counts if n == 0),
        sum(max(0, n - 1) for n in counts),
        recovery,
        {"announcements": announcements, "poll_ends": ends, "results_messages": results},
    )


def body(event: dict[str, Any]) -> str:
    return str(event.get("content", {}).get("body", ""))


def is_first(event: dict[str, Any], stage_: Stage) -> bool:
    """The announcement posted on creation (the first one in the room)."""
    room = event["room_id"]
    first = next(
        e for _, e in stage_.view.events if e["room_id"] == room and "Workshop #1" in body(e)
    )
    return first["event_id"] == event["event_id"]


async def move_into_past(database: harness.BotDatabase, moment: datetime) -> None:
    """What a long downtime does: the pending announcement and the poll deadline are past."""
    async with database.sessions() as session:
        await session.execute(
            update(WorkshopEffect)
            .where(WorkshopEffect.state == "pending", WorkshopEffect.kind == "announce")
            .values(due_at=moment)
        )
        await session.execute(update(Poll).values(closes_at=moment))
        await session.commit()


# ----------------------------------------------------------------------- (d)


async def rate_limited(synapse: LocalSynapse, http: Any, directory: Path, quick: bool) -> Outcome:
    citizens_n, per_citizen = (3, 4) if quick else (4, 5)
    admin = await harness.register(synapse, http, "admin", admin=True)
    stage_ = await stage(synapse, http, directory, "d", citizens_n)
    try:
        for account in (stage_.staff, *stage_.citizens):
            await harness.unlimit(admin, account.user_id)
        sent: list[Sent] = []
        started = time.monotonic()
        texts = ["!hilfe idee" if n % 2 else "!hilfe" for n in range(per_citizen)]
        await asyncio.gather(*(talk(c, stage_.room, texts, 0.0, sent) for c in stage_.citizens))
        replies = await settle_replies(stage_, sent)
        took = time.monotonic() - started
    finally:
        await stage_.close()
    lost = sum(1 for count in replies.values() if count == 0)
    duplicated = sum(max(0, count - 1) for count in replies.values())
    return Outcome(
        "(d) Synapse rate limit (M_LIMIT_EXCEEDED) for the bot",
        f"{len(sent)} !hilfe, limit 10 then 1 per 5 s (all replies took {took:.0f} s)",
        lost,
        duplicated,
        None,
        {"all_replies_s": took},
    )


# ----------------------------------------------------------------------- (e)


def standby_of(bot: harness.SmartRegionBot, directory: Path) -> harness.SmartRegionBot:
    """A second process of the same bot: same account, database and key store (as on a
    shared volume), its own log."""
    return harness.SmartRegionBot(directory, bot.user_id, dict(bot.env))


async def kill_active_mid_burst(
    synapse: LocalSynapse, http: Any, directory: Path, quick: bool, database_url: str
) -> Outcome:
    citizens_n, per_citizen, pause = (5, 8, 0.5) if quick else (20, 10, 1.0)
    due = (datetime.now(TZ) + timedelta(seconds=ANNOUNCE_LEAD_S)).replace(microsecond=0)
    starts = minute_after(due + timedelta(minutes=1))
    offset = f"{(starts - due).total_seconds() / 60:.4f}m"  # seconds as decimal minutes
    env = {
        "DATABASE_URL": database_url,
        "BOT_ANNOUNCE_ROOMS": "Ankündigungen",
        "BOT_WORKSHOP_ANNOUNCE": offset,
        "BOT_WORKSHOP_REMIND": "",
    }
    stage_ = await stage(synapse, http, directory, "e", citizens_n, env, ("Ankündigungen",))
    standby = standby_of(stage_.bot, directory / "e-standby")
    announce_room = stage_.extra_rooms["Ankündigungen"]

    def announced(e: dict[str, Any]) -> bool:
        return e["room_id"] == announce_room and "Workshop #1" in body(e)

    try:
        await standby.start()
        await standby.wait_for_log(STANDBY_LOG, harness.BOT_READY_TIMEOUT_S)
        when = starts.strftime("%d.%m.%Y %H:%M")
        created = await stage_.staff.say(
            stage_.room, f'!workshop neu "Bürgerhaushalt" {when} "Rathaus Würzburg"'
        )
        await stage_.view.wait_for(harness.reply_to(created, stage_.bot.user_id), 30)
        await stage_.view.wait_for(announced, 30)
        # The burst spans the due time; the kill comes just after it.
        burst_s = per_citizen * pause
        lead = (due - datetime.now(TZ)).total_seconds() - burst_s / 2
        if lead < 0:
            raise harness.BenchFailure("setup outlasted the announcement's due time")
        await asyncio.sleep(lead)
        texts = idea_burst(stage_.citizens, per_citizen, random.Random(5))
        sent: list[Sent] = []
        burst = asyncio.gather(
            *(talk(c, stage_.room, texts[c.user_id], pause, sent) for c in stage_.citizens)
        )
        await asyncio.sleep(max(0.0, (due - datetime.now(TZ)).total_seconds()) + 0.3)
        confirmed = harness.replies_by_target(stage_.view, stage_.bot.user_id)
        before = sum(1 for s in sent if s.event_id in confirmed)
        announced_before = len(stage_.view.matching(announced)) > 1
        await stage_.bot.kill()
        killed = datetime.now()  # local and naive, as the bot's log times are
        killed_at = time.monotonic()
        probe_s = await answered_after(stage_, killed_at)
        elected = (logged_at(standby, ACTIVE_LOG) - killed).total_seconds()
        await burst
        lost, duplicated = await check_ideas(stage_, sent)
        # The first answer to a command the killed process never saw (the probe is one).
        after_kill = {s.event_id for s in sent if s.started > killed_at}
        takeover = min(first_reply(stage_, after_kill), killed_at + probe_s) - killed_at
        with contextlib.suppress(TimeoutError):  # counted as lost below
            await stage_.view.wait_for(lambda e: announced(e) and not is_first(e, stage_), 60)
        await asyncio.sleep(3.0)  # a second announcement would arrive now
        announcements = len(stage_.view.matching(announced)) - 1  # the one on creation
    finally:
        await standby.stop()
        await stage_.close()
    return Outcome(
        "(e) kill -9 of the active instance, the standby takes over (PostgreSQL)",
        f"{len(sent)} !idee from {citizens_n} citizens ({before} confirmed before the kill), "
        f"a workshop announcement due at the kill; recovery = kill to the first answer "
        f"to a command sent after it",
        lost + (announcements == 0),
        duplicated + max(0, announcements - 1),
        takeover,
        {
            "takeover_target_s": TAKEOVER_TARGET_S,
            "kill_to_standby_active_s": elected,
            "kill_to_answer_of_a_command_sent_after_it_s": probe_s,
            "confirmed_before_kill": before,
            "announced_before_kill": announced_before,
            "announcements": announcements,
        },
    )


# ----------------------------------------------------------------------- (f)


async def started_at_once(
    synapse: LocalSynapse, http: Any, directory: Path, quick: bool, database_url: str
) -> Outcome:
    rounds = 5 if quick else 20
    staff = await harness.register(synapse, http, "f-staff")
    first = await harness.smartregion_bot(
        synapse, directory / "f-one", {"DATABASE_URL": database_url}
    )
    first.env["BOT_STAFF_USERS"] = staff.user_id
    second = standby_of(first, directory / "f-two")
    pair = (first, second)
    room = await staff.create_room("Bürgerforum", [first.user_id])
    view = harness.Timeline(staff)
    await view.start()
    two_active = no_active = unanswered = extra_answers = 0
    answer_s: list[float] = []
    try:
        for number in range(rounds):
            marks = [len(first.log_text()), len(second.log_text())]
            await asyncio.gather(*(bot.start() for bot in pair))
            started = time.monotonic()
            if number == 0:
                await harness.wait_joined(view, (room,), first.user_id, first)
            probe = await staff.say(room, "!hilfe")
            try:
                arrived, _ = await view.wait_for(
                    harness.reply_to(probe, first.user_id), SETTLE_TIMEOUT_S
                )
                answer_s.append(arrived - started)
            except TimeoutError:
                unanswered += 1
            await wait_until(functools.partial(roles_logged, pair, marks), 30)
            await asyncio.sleep(2.0)  # a second answer (or a second active one) would show now
            logs = logs_since(pair, marks)
            active = sum(ACTIVE_LOG in log for log in logs)
            two_active += active > 1
            no_active += active == 0 or not any(STANDBY_LOG in log for log in logs)
            replies = harness.replies_by_target(view, first.user_id).get(probe, 0)
            extra_answers += max(0, replies - 1)
            # The standby first, so that it cannot take over while the active one stops.
            standbys = [b for b, log in zip(pair, logs, strict=True) if ACTIVE_LOG not in log]
            for bot in (*standbys, *pair):
                await bot.stop()
    finally:
        await asyncio.gather(*(bot.stop() for bot in pair))
        await view.stop()
    return Outcome(
        f"(f) two instances started at once, {rounds} times (PostgreSQL)",
        "each time: exactly one active, one standby, one answer to a !hilfe",
        no_active + unanswered,
        two_active + extra_answers,
        None,
        {
            "rounds": rounds,
            "rounds_with_two_active": two_active,
            "rounds_without_one_active_and_one_standby": no_active,
            "start_to_answer_s": harness.summary_ms(answer_s),
        },
    )


def first_reply(stage_: Stage, targets: set[str]) -> float:
    """When the first answer to one of `targets` arrived (monotonic; infinity if none)."""
    return min(
        (
            arrived
            for arrived, event in stage_.view.events
            if event.get("sender") == stage_.bot.user_id and harness.in_reply_to(event) in targets
        ),
        default=math.inf,
    )


def logged_at(bot: harness.ProcessBot, fragment: str) -> datetime:
    """When the bot first logged a line containing `fragment` (its log's local time)."""
    line = next(line for line in bot.log_text().splitlines() if fragment in line)
    return datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")


def logs_since(bots: tuple[harness.ProcessBot, ...], marks: list[int]) -> list[str]:
    return [bot.log_text()[mark:] for bot, mark in zip(bots, marks, strict=True)]


async def roles_logged(bots: tuple[harness.ProcessBot, ...], marks: list[int]) -> bool:
    """Whether one of the bots said it is active and another that it is the standby."""
    logs = logs_since(bots, marks)
    return any(ACTIVE_LOG in log for log in logs) and any(STANDBY_LOG in log for log in logs)


async def failover(synapse: LocalSynapse, http: Any, directory: Path, quick: bool) -> list[Outcome]:
    """(e) and (f), each on a fresh PostgreSQL database."""
    outcomes = []
    async with harness.postgres_database() as url:
        outcomes.append(await kill_active_mid_burst(synapse, http, directory, quick, url))
    async with harness.postgres_database() as url:
        outcomes.append(await started_at_once(synapse, http, directory, quick, url))
    return outcomes


# ------------------------------------------------------------------------ run


async def measure(args: argparse.Namespace) -> int:
    outcomes: list[Outcome] = []
    skipped: list[str] = []
    async with harness.workspace("faults", args.keep) as directory, harness.http_session() as http:
        async with harness.homeserver() as synapse:
            first = await stage(synapse, http, directory, "a", 5 if args.quick else 20)
            try:
                outcomes.append(await kill_mid_burst(first, args.quick))
            finally:
                await first.close()
            second = await stage(synapse, http, directory, "b", 3 if args.quick else 10)
            try:
                outcomes.append(await homeserver_outage(second, args.quick))
            finally:
                await second.close()
            outcomes.append(await deadlines_across_a_stop(synapse, http, directory, args.quick))
            try:
                outcomes += await failover(synapse, http, directory, args.quick)
            except harness.PostgresUnavailable as error:
                skipped.append(f"(e) and (f): {error}")
        async with harness.homeserver(rate_limits="strict") as strict:
            outcomes.append(await rate_limited(strict, http, directory, args.quick))
    return report(args, outcomes, skipped)


def report(args: argparse.Namespace, outcomes: list[Outcome], skipped: list[str]) -> int:
    rows = [
        [
            o.scenario,
            o.checked,
            o.lost,
            o.duplicated,
            "–" if o.recovery_s is None else f"{o.recovery_s:.1f} s",
        ]
        for o in outcomes
    ]
    text = harness.table(["scenario", "what was checked", "lost", "duplicated", "recovery"], rows)
    failed = sum(o.lost + o.duplicated for o in outcomes)
    harness.write_results(
        "faults",
        args.quick,
        {
            "scenarios": [o.__dict__ for o in outcomes],
            "skipped": skipped,
            "correct": failed == 0,
        },
        [text],
    )
    for reason in skipped:
        print(f"skipped {reason}")
    if failed:
        print("FAILED: something was lost or duplicated")
    return 1 if failed else 0


def main() -> None:
    harness.run(measure, harness.parser(__doc__))


if __name__ == "__main__":
    main()
