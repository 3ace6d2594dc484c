"""Expert questions on Discord: a conversation through the emulator with the real bot core.

A citizen asks in #buergerforum, the bot posts the question in the department's channel and
opens a thread from it (a post in a forum channel), an expert answers in the thread, and
the answer comes back to the citizen as a reply that pings only them. A closed question's
thread is archived, a forwarded question's old thread archived and locked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.messages import Message
from tests.discord_emulator import FORUM, TEXT, VIEW_CHANNEL, DiscordEmulator, StoredMessage
from tests.discord_emulator.rest import DiscordError
from tests.discord_emulator.threads import THREAD_ARCHIVED
from tests.integration.question_support import write_departments

pytest.importorskip("discord", reason="discord.py is not installed (extra `discord`)")

from discord_bot import DiscordBot  # needs discord.py: after the check above

QUESTION = "Wie beantrage ich einen Anwohnerparkausweis?"


class Town:
    """A guild with #buergerforum, the experts' channel #mobilitaet (only the experts' role
    may view it) and #verwaltung for every other department."""

    def __init__(self, emulator: DiscordEmulator, mobility_type: int) -> None:
        self.emulator = emulator
        self.bot = emulator.add_bot("smartregion-bot", token="bot-token")
        self.citizen = emulator.add_user("Mara")
        self.expert = emulator.add_user("Jonas")
        guild = emulator.add_guild("Würzburg", owner=emulator.add_user("Orga"))
        experts = emulator.add_role(guild, "Mobilität")
        emulator.add_member(guild, self.bot, experts)
        emulator.add_member(guild, self.citizen)
        emulator.add_member(guild, self.expert, experts)
        self.forum = emulator.add_channel(guild, "buergerforum").id
        mobility = emulator.add_channel(guild, "mobilitaet", mobility_type)
        mobility.overwrites = [
            {"id": guild.id, "type": 0, "allow": "0", "deny": str(VIEW_CHANNEL)},
            {"id": experts.id, "type": 0, "allow": str(VIEW_CHANNEL), "deny": "0"},
        ]
        self.mobility = mobility.id
        self.administration = emulator.add_channel(guild, "verwaltung").id

    def departments(self, directory: Path) -> Path:
        return write_departments(
            directory,
            {"mobilitaet": self.mobility},
            self.administration,
            key="discord_channel",
        )

    async def answer_to(self, asked: str, text: str) -> StoredMessage:
        """The bot's reply to the citizen's message `asked` that contains `text`."""
        return await self.emulator.wait_for(
            self.forum,
            lambda m: (
                m.reference is not None and m.reference["message_id"] == asked and text in m.content
            ),
        )

    async def ask(self, text: str) -> tuple[str, StoredMessage]:
        """The citizen says `text` in #buergerforum; returns its id and the bot's reply."""
        said = await self.emulator.say(self.citizen, self.forum, text)
        return said, await self.emulator.reply_to(self.forum, said)

    def no_one_pinged_everyone(self) -> bool:
        return not any(m.mention_everyone for m in self.emulator.world.messages.values())


async def _town(emulator: DiscordEmulator, directory: Path, kind: int) -> AsyncIterator[Town]:
    town = Town(emulator, kind)
    database = directory / "bot.db"
    env = {"BOT_DEPARTMENTS_FILE": str(town.departments(directory))}
    async with DiscordBot(emulator, town.bot, database, env=env):
        yield town


@pytest_asyncio.fixture(loop_scope="session")
async def town(discord_at_emulator: DiscordEmulator, tmp_path: Path) -> AsyncIterator[Town]:
    async for town in _town(discord_at_emulator, tmp_path, TEXT):
        yield town


@pytest_asyncio.fixture(loop_scope="session")
async def forum_town(discord_at_emulator: DiscordEmulator, tmp_path: Path) -> AsyncIterator[Town]:
    async for town in _town(discord_at_emulator, tmp_path, FORUM):
        yield town


async def test_an_expert_answers_in_the_thread_and_the_citizen_gets_a_reply(town: Town) -> None:
    emulator = town.emulator
    asked, confirmation = await town.ask(f"!frage {QUESTION}")
    assert "ging an: **Mobilität" in confirmation.content

    thread = await emulator.wait_for_thread(town.mobility)
    root = emulator.world.messages[thread.id]
    assert root.channel_id == town.mobility and root.author_id == town.bot.id
    assert "Frage #1" in root.content and "Bürger\\*in " in root.content
    assert QUESTION in root.content
    assert town.citizen.id not in root.content and "Mara" not in root.content
    assert thread.name == "Frage #1 · Mobilität & Verkehr"
    assert emulator.requests("POST", f"/channels/{town.mobility}/messages/{root.id}/threads")

    await emulator.say(town.expert, thread.id, "Online beim Bürgerbüro, mit Meldebescheinigung.")
    answer = await town.answer_to(asked, "Online beim Bürgerbüro, mit Meldebescheinigung.")
    assert answer.author_id == town.bot.id
    assert "Jonas" in answer.content
    assert answer.mentions == [town.citizen.id]
    mentions = emulator.request_of(answer).json["allowed_mentions"]
    assert mentions["parse"] == [] and mentions["users"] == [int(town.citizen.id)]
    assert mentions["replied_user"] is True

    closing = await emulator.say(town.expert, thread.id, "!erledigt")
    await town.answer_to(asked, "ist erledigt")
    note = await emulator.wait_for(thread.id, lambda m: "als erledigt markiert" in m.content)
    assert note.author_id == town.bot.id
    assert not any(
        m.reference is not None and m.reference["message_id"] == closing
        for m in emulator.messages(thread.id)
    ), "closed in its thread: no extra confirmation"
    assert town.no_one_pinged_everyone()


async def test_a_citizen_cannot_answer_in_a_thread_they_cannot_see(town: Town) -> None:
    emulator = town.emulator
    asked, _ = await town.ask(f"!frage {QUESTION}")
    thread = await emulator.wait_for_thread(town.mobility)
    await emulator.say(town.citizen, thread.id, "Ich antworte mir selbst.")
    await emulator.say(town.expert, thread.id, "// nur intern")
    await emulator.say(town.expert, thread.id, "Beim Bürgerbüro.")
    await town.answer_to(asked, "Beim Bürgerbüro.")
    replies = [
        m
        for m in emulator.messages(town.forum)
        if m.reference is not None and m.reference["message_id"] == asked
    ]
    assert all("selbst" not in m.content and "intern" not in m.content for m in replies)


async def test_a_forum_department_gets_a_post_per_question(forum_town: Town) -> None:
    town = forum_town
    emulator = town.emulator
    asked, _ = await town.ask(f"!frage {QUESTION}")
    thread = await emulator.wait_for_thread(town.mobility)
    assert thread.name == "Frage #1 · Mobilität & Verkehr"
    starter = emulator.messages(thread.id)[0]
    assert starter.id == thread.id and "Frage #1" in starter.content
    assert emulator.messages(town.mobility) == []

    await emulator.say(town.expert, thread.id, "Online beim Bürgerbüro.")
    answer = await town.answer_to(asked, "Online beim Bürgerbüro.")
    assert answer.mentions == [town.citizen.id]
    assert town.no_one_pinged_everyone()


async def test_a_closed_question_archives_its_thread_and_a_late_answer_still_arrives(
    town: Town,
) -> None:
    emulator = town.emulator
    asked, _ = await town.ask(f"!frage {QUESTION}")
    thread = await emulator.wait_for_thread(town.mobility)
    await emulator.say(town.citizen, town.forum, "!erledigt 1")
    await emulator.wait_until(lambda: thread.archived)
    assert not thread.locked, "an expert may still add something"
    assert emulator.requests("PATCH", f"/channels/{thread.id}")[-1].json == {
        "archived": True,
        "locked": False,
    }
    assert any("als erledigt markiert" in m.content for m in emulator.messages(thread.id))

    await emulator.say(town.expert, thread.id, "Nachtrag: auch per Post möglich.")
    assert not thread.archived, "a message wakes an archived thread, as on Discord"
    answer = await town.answer_to(asked, "Nachtrag: auch per Post möglich.")
    assert answer.mentions == [town.citizen.id]


async def test_a_forwarded_question_locks_its_old_thread(town: Town) -> None:
    emulator = town.emulator
    await town.ask(f"!frage {QUESTION}")
    old = await emulator.wait_for_thread(town.mobility)
    await emulator.say(town.expert, old.id, "!weiterleiten umwelt")
    new = await emulator.wait_for_thread(town.administration)
    await emulator.wait_until(lambda: old.archived and old.locked)
    assert not new.archived
    with pytest.raises(DiscordError) as refused:
        await emulator.say(town.expert, old.id, "Noch eine Antwort?")
    assert refused.value.code == THREAD_ARCHIVED


async def test_a_forum_post_is_not_posted_twice_by_a_retry_after_a_crash(
    discord_at_emulator: DiscordEmulator, tmp_path: Path
) -> None:
    emulator = discord_at_emulator
    town = Town(emulator, FORUM)
    env = {"BOT_DEPARTMENTS_FILE": str(town.departments(tmp_path))}
    root = Message.plain(f"Frage #7 von Bürger*in 4f2a: {QUESTION}")
    title = "Frage #7 · Mobilität & Verkehr"
    async with DiscordBot(emulator, town.bot, tmp_path / "bot.db", env=env) as bot:
        posted = await bot.adapter.open_thread(town.mobility, root, title=title, dedupe_key="n7")
        again = await bot.adapter.open_thread(town.mobility, root, title=title, dedupe_key="n7")
    assert again == posted, "the sent-log knows it"

    # A crash between posting and recording it: a bot whose sent-log lacks the post.
    async with DiscordBot(emulator, town.bot, tmp_path / "lost.db", env=env) as bot:
        retried = await bot.adapter.open_thread(town.mobility, root, title=title, dedupe_key="n7")
        other = await bot.adapter.open_thread(
            town.mobility, Message.plain("Frage #7 (weitergeleitet)"), title=title, dedupe_key="n8"
        )
    assert retried == posted, "found among the forum's threads"
    assert other != posted
    assert [t.id for t in emulator.threads(town.mobility)] == [posted, other]
    assert len(emulator.requests("POST", f"/channels/{town.mobility}/threads")) == 2
