"""Workshops on Discord: ✅ on the announcement registers, taking it back unregisters.

The bot runs on a fake clock that is never moved: the dates typed here stay in the future
and no timed job fires; the announcement goes out when the workshop is created.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from bot.clock import FakeClock
from tests.discord_emulator import DiscordEmulator, StoredMessage, User

pytest.importorskip("discord", reason="discord.py is not installed (extra `discord`)")

from discord_bot import DiscordBot  # needs discord.py: after the check above
from event_tasks import events_handled

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
CHECK = "✅"


class Club:
    """A guild with an announcement channel, staff, two members and the bot."""

    def __init__(self, emulator: DiscordEmulator) -> None:
        self.emulator = emulator
        self.bot = emulator.add_bot("smartregion-bot", token="workshop-bot-token")
        self.staff = emulator.add_user("Sabine")
        self.alice = emulator.add_user("Alice")
        self.bob = emulator.add_user("Bob")
        self.guild = emulator.add_guild("Makerspace", owner=self.staff)
        for user in (self.bot, self.alice, self.bob):
            emulator.add_member(self.guild, user)
        self.announcements = emulator.add_channel(self.guild, "ankuendigungen").id

    @property
    def env(self) -> dict[str, str]:
        return {
            "DISCORD_GUILD_IDS": self.guild.id,
            "DISCORD_STAFF_USERS": self.staff.id,
            "DISCORD_ANNOUNCE_CHANNELS": self.announcements,
        }

    async def staff_says(self, text: str) -> StoredMessage:
        """Staff write to the bot in their DM; returns the bot's reply."""
        team = self.emulator.dm(self.staff, self.bot)
        return await self.emulator.reply_to(team, await self.emulator.say(self.staff, team, text))

    async def announcement(self) -> StoredMessage:
        """The announcement, once the bot has stored its id (a person reacts later)."""
        await events_handled()
        return next(
            m
            for m in self.emulator.messages(self.announcements)
            if m.author_id == self.bot.id and CHECK in m.content
        )

    async def direct_message(
        self, user: User, text: str, after: StoredMessage | None = None
    ) -> StoredMessage:
        """The bot's first DM to `user` containing `text` (after the message `after`)."""
        return await self.emulator.wait_for(
            self.emulator.dm(user, self.bot),
            lambda m: (
                m.author_id == self.bot.id
                and text in m.content
                and (after is None or int(m.id) > int(after.id))
            ),
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
