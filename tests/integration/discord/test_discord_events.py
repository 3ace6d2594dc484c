"""Workshops as Discord scheduled events: created, moved and cancelled with the workshop;
"Interested" registers like ✅ (waitlist when full, answers by DM); a refused change is
retried until the events agree with the workshops.

The bot runs on a fake clock that is never moved, so the typed dates stay in the future.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.clock import FakeClock
from handlers.workshops.mirrors import RETRY_AFTER, RETRY_JOB_ID, converge
from tests.discord_emulator import DiscordEmulator

pytest.importorskip("discord", reason="discord.py is not installed (extra `discord`)")

from discord_bot import DiscordBot  # needs discord.py: after the check above
from event_tasks import events_handled
from workshop_guild import NOW, WorkshopGuild


class Town(WorkshopGuild):
    """The workshop guild with its scheduled events."""

    def __init__(self, emulator: DiscordEmulator) -> None:
        super().__init__(emulator, "Würzburg", "events-bot-token")

    def events(self) -> list[dict[str, Any]]:
        return self.emulator.scheduled_events.of_guild(self.guild.id)

    async def event(self, condition: Any = lambda event: True) -> dict[str, Any]:
        """The guild's one scheduled event, once it satisfies `condition` and the bot has
        stored what Discord answered (a person takes longer to mark interest)."""
        await self.emulator.wait_until(
            lambda: len(self.events()) == 1 and condition(self.events()[0])
        )
        await events_handled()
        return self.events()[0]


@pytest_asyncio.fixture(loop_scope="session")
async def town(discord_at_emulator: DiscordEmulator, tmp_path: Path) -> AsyncIterator[Town]:
    town = Town(discord_at_emulator)
    async with DiscordBot(
        discord_at_emulator, town.bot, tmp_path / "bot.db", env=town.env, clock=FakeClock(NOW)
    ):
        yield town


async def test_a_workshop_is_a_scheduled_event_and_interest_registers(town: Town) -> None:
    emulator = town.emulator
    await town.staff_says(
        '!workshop neu "Sprechstunde Open Data" 03.12.2026 18:00 "Rathaus" --plaetze 1'
    )
    event = await town.event()
    assert event["name"] == "Sprechstunde Open Data"
    assert event["entity_type"] == 3 and event["privacy_level"] == 2
    assert event["entity_metadata"] == {"location": "Rathaus"}
    assert datetime.fromisoformat(event["scheduled_start_time"]) == datetime.fromisoformat(
        "2026-12-03T17:00:00+00:00"
    )
    assert datetime.fromisoformat(event["scheduled_end_time"]) == datetime.fromisoformat(
        "2026-12-03T19:00:00+00:00"
    )
    assert "Workshop #1" in event["description"] and "!anmelden 1" in event["description"]

    await emulator.interested(town.alice, town.guild, event["id"])
    registered = await town.direct_message(town.alice, "angemeldet")
    assert "Sprechstunde Open Data" in registered.content
    await emulator.interested(town.bob, town.guild, event["id"])
    waiting = await town.direct_message(town.bob, "Warteliste")
    assert "Platz 1 der Warteliste" in waiting.content

    await emulator.not_interested(town.alice, town.guild, event["id"])
    await town.direct_message(town.alice, "abgemeldet")
    promoted = await town.direct_message(town.bob, "Ein Platz ist frei")
    assert "Sprechstunde Open Data" in promoted.content
    attendees = await town.staff_says("!teilnehmer 1")
    assert town.bob.id in attendees.content and town.alice.id not in attendees.content

    await town.staff_says("!workshop verschieben 1 04.12.2026 18:00")
    moved = await town.event(lambda e: e["scheduled_start_time"].startswith("2026-12-04"))
    assert datetime.fromisoformat(moved["scheduled_end_time"]) == datetime.fromisoformat(
        "2026-12-04T19:00:00+00:00"
    )
    [patch] = emulator.requests("PATCH", f"/scheduled-events/{event['id']}")
    assert "status" not in patch.json

    await town.staff_says("!workshop absagen 1")
    await town.event(lambda e: e["status"] == 4)
    assert emulator.requests("POST", "/scheduled-events")[0].json["privacy_level"] == 2


async def test_refused_event_changes_are_retried_until_the_events_agree(
    discord_at_emulator: DiscordEmulator, tmp_path: Path
) -> None:
    emulator = discord_at_emulator
    town = Town(emulator)
    clock = FakeClock(NOW)
    database = tmp_path / "bot.db"
    events = rf"/guilds/{town.guild.id}/scheduled-events"
    async with DiscordBot(emulator, town.bot, database, env=town.env, clock=clock) as bot:
        scheduler = bot.services.scheduler
        await scheduler.run_due()  # what a start schedules at once: nothing to mirror yet
        assert RETRY_JOB_ID not in scheduler.job_ids()
        emulator.refuse(rf"^POST {events}$", times=1)  # no Manage Events yet
        created = await town.staff_says('!workshop neu "Repair-Café" 05.12.2026 15:00 "Bücherei"')
        assert "Workshop **#1** ist angelegt" in created.content, "the workshop does not wait"
        await events_handled()
        assert emulator.refusals.refused == [f"POST {events}"]
        assert town.events() == [] and RETRY_JOB_ID in scheduler.job_ids()

        clock.advance(RETRY_AFTER)
        await scheduler.run_due()
        event = await town.event()
        assert event["name"] == "Repair-Café" and RETRY_JOB_ID not in scheduler.job_ids()

        emulator.refuse(rf"^PATCH {events}/{event['id']}$", times=1)
        await town.staff_says("!workshop verschieben 1 06.12.2026 15:00")
        await events_handled()
        assert RETRY_JOB_ID in scheduler.job_ids()
        assert town.events()[0]["scheduled_start_time"].startswith("2026-12-05")
        clock.advance(RETRY_AFTER)
        await scheduler.run_due()
        await town.event(lambda e: e["scheduled_start_time"].startswith("2026-12-06"))

        emulator.refuse(rf"^PATCH {events}/{event['id']}$", times=1)
        await town.staff_says("!workshop absagen 1")
        await events_handled()
        assert RETRY_JOB_ID in scheduler.job_ids()
        assert town.events()[0]["status"] == 1

    # The bot stopped before the retry: the next start converges from the database.
    async with DiscordBot(emulator, town.bot, database, env=town.env, clock=clock) as bot:
        assert RETRY_JOB_ID in bot.services.scheduler.job_ids()
        await bot.services.scheduler.run_due()
        await town.event(lambda e: e["status"] == 4)
        patches = len(emulator.requests("PATCH", "/scheduled-events/"))
        await converge(bot.services)  # nothing left to do
        assert len(emulator.requests("PATCH", "/scheduled-events/")) == patches
        assert len(town.events()) == 1


async def test_an_event_whose_answer_was_lost_is_taken_not_made_twice(
    discord_at_emulator: DiscordEmulator, tmp_path: Path
) -> None:
    emulator = discord_at_emulator
    town = Town(emulator)
    clock = FakeClock(NOW)
    events = rf"/guilds/{town.guild.id}/scheduled-events"
    async with DiscordBot(
        emulator, town.bot, tmp_path / "bot.db", env=town.env, clock=clock
    ) as bot:
        scheduler = bot.services.scheduler
        await scheduler.run_due()
        emulator.lose_answer(rf"^POST {events}$")  # made on Discord, the bot never hears
        await town.staff_says('!workshop neu "Repair-Café" 05.12.2026 15:00 "Bücherei"')
        await events_handled()
        assert emulator.refusals.lost == [f"POST {events}"]
        assert len(town.events()) == 1 and RETRY_JOB_ID in scheduler.job_ids()

        clock.advance(RETRY_AFTER)
        await scheduler.run_due()
        await events_handled()
        assert RETRY_JOB_ID not in scheduler.job_ids()
        event = await town.event()  # still the one event, now known to the bot
        assert len(emulator.requests("POST", "/scheduled-events")) == 1

        await emulator.interested(town.alice, town.guild, event["id"])
        registered = await town.direct_message(town.alice, "angemeldet")
        assert "Repair-Café" in registered.content
