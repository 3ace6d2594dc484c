"""Polls on Discord: native polls with Discord's buttons, votes counted as Discord counts.

Votes arrive as the gateway's MESSAGE_POLL_VOTE_ADD / _REMOVE, one per answer; the bot
turns them into each person's whole selection. A poll beyond Discord's native polls (more
than 10 answers) is a text poll, and staff are told why.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from handlers.polls import lifecycle
from tests.discord_emulator import DiscordEmulator, StoredMessage

pytest.importorskip("discord", reason="discord.py is not installed (extra `discord`)")

from discord_bot import DiscordBot  # needs discord.py: after the check above
from event_tasks import events_handled


class Council:
    """A guild with a channel for polls, staff, two members and the bot."""

    def __init__(self, emulator: DiscordEmulator) -> None:
        self.emulator = emulator
        self.bot = emulator.add_bot("smartregion-bot", token="polls-bot-token")
        self.staff = emulator.add_user("Sabine")
        self.mara = emulator.add_user("Mara")
        self.jonas = emulator.add_user("Jonas")
        self.guild = emulator.add_guild("Würzburg", owner=emulator.add_user("Orga"))
        for user in (self.bot, self.staff, self.mara, self.jonas):
            emulator.add_member(self.guild, user)
        self.channel = emulator.add_channel(self.guild, "buergerforum").id

    @property
    def env(self) -> dict[str, str]:
        return {"DISCORD_GUILD_IDS": self.guild.id, "DISCORD_STAFF_USERS": self.staff.id}

    async def staff_says(self, text: str) -> StoredMessage:
        """Staff write in the channel; returns the bot's reply."""
        said = await self.emulator.say(self.staff, self.channel, text)
        return await self.emulator.reply_to(self.channel, said)

    async def votes_handled(self) -> None:
        """Every vote so far is handled: the gateway delivers in order, so once the bot
        answered a later command, the vote events are in discord.py's hands; then wait
        for their listeners."""
        await self.staff_says("!umfragen")
        await events_handled()

    def poll_message(self) -> StoredMessage:
        return next(m for m in self.emulator.messages(self.channel) if m.poll is not None)


@pytest_asyncio.fixture(loop_scope="session")
async def council(
    discord_at_emulator: DiscordEmulator, tmp_path: Path
) -> AsyncIterator[tuple[Council, DiscordBot]]:
    council = Council(discord_at_emulator)
    async with DiscordBot(
        discord_at_emulator, council.bot, tmp_path / "bot.db", env=council.env
    ) as bot:
        yield council, bot


async def test_a_native_poll_counts_votes_and_ends_with_discords_result(
    council: tuple[Council, DiscordBot],
) -> None:
    town, bot = council
    emulator = town.emulator
    started = await town.staff_says('!umfrage "Welches Thema zuerst?" "Radwege" "Bänke" --dauer 2h')
    assert "#1" in started.content
    await events_handled()
    message = town.poll_message()
    poll = message.poll
    assert poll is not None
    assert message.author_id == town.bot.id
    assert (poll.question, poll.answers) == ("Welches Thema zuerst?", ["Radwege", "Bänke"])
    assert not poll.allow_multiselect
    sent = emulator.requests("POST", f"/channels/{town.channel}/messages")
    created = next(r.json["poll"] for r in sent if r.json and "poll" in r.json)
    assert created["duration"] == 2

    await emulator.vote(town.mara, town.channel, message.id, 1)
    await emulator.vote(town.jonas, town.channel, message.id, 1)
    await emulator.vote(town.jonas, town.channel, message.id, 2)  # changes their mind
    await town.votes_handled()

    standing = await town.staff_says("!ergebnis 1")
    assert "(1) – 1. Radwege" in standing.content
    assert "(1) – 2. Bänke" in standing.content

    ended = await town.staff_says("!umfrage-ende 1")
    assert "#1" in ended.content
    assert emulator.requests("POST", f"/polls/{message.id}/expire")
    assert poll.finalized
    results = await emulator.reply_to(town.channel, message.id)
    assert "(1) – 1. Radwege" in results.content
    stored = await lifecycle.load(bot.services, 1)
    assert stored is not None
    tally = await lifecycle.tally_of(bot.services, stored)
    discord_counts = {f"a{answer}": count for answer, count in poll.answer_counts().items()}
    assert {a: n for a, n in tally.votes.items() if n} == discord_counts == {"a1": 1, "a2": 1}


async def test_withdrawing_every_answer_withdraws_the_vote(
    council: tuple[Council, DiscordBot],
) -> None:
    town, bot = council
    emulator = town.emulator
    await town.staff_says(
        '!umfrage "Wo treffen wir uns?" "Rathaus" "Bibliothek" "Park" --mehrfach 3'
    )
    await events_handled()
    message = town.poll_message()
    assert message.poll is not None and message.poll.allow_multiselect

    await emulator.vote(town.mara, town.channel, message.id, 1)
    await emulator.vote(town.mara, town.channel, message.id, 3)
    await emulator.vote(town.jonas, town.channel, message.id, 2)
    await emulator.unvote(town.mara, town.channel, message.id, 1)
    await emulator.unvote(town.jonas, town.channel, message.id, 2)
    await town.votes_handled()

    stored = await lifecycle.load(bot.services, 1)
    assert stored is not None
    tally = await lifecycle.tally_of(bot.services, stored)
    assert tally.votes == {"a1": 0, "a2": 0, "a3": 1}
    assert tally.voters == 1


async def test_a_poll_with_more_answers_than_discord_takes_is_a_text_poll(
    council: tuple[Council, DiscordBot],
) -> None:
    town, _ = council
    answers = " ".join(f'"Ort {n}"' for n in range(1, 13))
    said = await town.emulator.say(town.staff, town.channel, f'!umfrage "Wohin?" {answers}')
    notice = await town.emulator.wait_for(
        town.channel, lambda m: m.author_id == town.bot.id and "Textumfrage" in m.content
    )
    assert notice.reference is not None and notice.reference["message_id"] == said
    assert "höchstens 10 Antworten" in notice.content
    await events_handled()
    assert all(m.poll is None for m in town.emulator.messages(town.channel))
    assert any("Ort 12" in m.content for m in town.emulator.messages(town.channel))
