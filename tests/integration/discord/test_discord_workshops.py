"""Workshops on Discord: ✅ on the announcement registers, taking it back unregisters.

The bot runs on a fake clock that is never moved: the dates typed here stay in the future
and no timed job fires; the announcement goes out when the workshop is created.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.clock import FakeClock
from tests.discord_emulator import DiscordEmulator, StoredMessage

pytest.importorskip("discord", reason="discord.py is not installed (extra `discord`)")

from discord_bot import DiscordBot  # needs discord.py: after the check above
from event_tasks import events_handled
from workshop_guild import NOW, WorkshopGuild

CHECK = "✅"


class Club(WorkshopGuild):
    """The workshop guild with its announcements."""

    def __init__(self, emulator: DiscordEmulator) -> None:
        super().__init__(emulator, "Makerspace", "workshop-bot-token")

    async def announcement(self) -> StoredMessage:
        """The announcement, once the bot has stored its id (a person reacts later)."""
        await events_handled()
        return next(
            m
            for m in self.emulator.messages(self.announcements)
            if m.author_id == self.bot.id and CHECK in m.content
        )


@pytest_asyncio.fixture(loop_scope="session")
async def club(discord_at_emulator: DiscordEmulator, tmp_path: Path) -> AsyncIterator[Club]:
    club = Club(discord_at_emulator)
    async with DiscordBot(
        discord_at_emulator, club.bot, tmp_path / "bot.db", env=club.env, clock=FakeClock(NOW)
    ):
        yield club


async def test_a_check_mark_registers_and_taking_it_back_unregisters(club: Club) -> None:
    emulator = club.emulator
    created = await club.staff_says(
        '!workshop neu "Löten für Einsteiger" 03.12.2026 18:00 "Makerspace" --plaetze 2'
    )
    assert "Workshop **#1** ist angelegt" in created.content
    announcement = await club.announcement()
    assert "Löten für Einsteiger" in announcement.content and CHECK in announcement.content
    assert not announcement.mention_everyone and announcement.mention_roles == []

    await emulator.react(club.alice, club.announcements, announcement.id, CHECK)
    registered = await club.direct_message(club.alice, "Reaktion zurücknehmen")
    assert "**Löten für Einsteiger** (Workshop #1) angemeldet" in registered.content
    attendees = await club.staff_says("!teilnehmer 1")
    assert "1 von 2 Plätzen belegt" in attendees.content and club.alice.id in attendees.content

    await emulator.unreact(club.alice, club.announcements, announcement.id, CHECK)
    await club.direct_message(club.alice, "abgemeldet")
    assert "Noch niemand angemeldet" in (await club.staff_says("!teilnehmer 1")).content

    # Adding ✅ again registers again: a new reaction, not a replay of the first.
    await emulator.react(club.alice, club.announcements, announcement.id, CHECK)
    again = await club.direct_message(club.alice, "Reaktion zurücknehmen", after=registered)
    assert "**Löten für Einsteiger** (Workshop #1) angemeldet" in again.content


async def test_a_full_workshop_waitlists_and_promotes_by_direct_message(club: Club) -> None:
    emulator = club.emulator
    await club.staff_says('!workshop neu "Bürgerlabor" 03.12.2026 18:00 "Makerspace" --plaetze 1')
    announcement = await club.announcement()

    await emulator.react(club.alice, club.announcements, announcement.id, CHECK)
    await club.direct_message(club.alice, "Reaktion zurücknehmen")
    await emulator.react(club.bob, club.announcements, announcement.id, CHECK)
    waiting = await club.direct_message(club.bob, "Warteliste")
    assert "Platz 1 der Warteliste" in waiting.content

    await emulator.unreact(club.alice, club.announcements, announcement.id, CHECK)
    promoted = await club.direct_message(club.bob, "Ein Platz ist frei")
    assert "Bürgerlabor" in promoted.content

    for request in emulator.requests("POST", "/messages"):
        if request.json is not None:
            assert request.json["allowed_mentions"]["parse"] == []
