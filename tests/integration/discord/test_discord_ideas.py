"""The idea box on Discord: a card in the ideas channel, 👍 to support, status DMs.

A conversation through the emulator with the real bot core; reactions arrive as the
gateway's MESSAGE_REACTION_ADD / MESSAGE_REACTION_REMOVE, which carry no event id.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.discord_emulator import DiscordEmulator, StoredMessage

pytest.importorskip("discord", reason="discord.py is not installed (extra `discord`)")

from discord_bot import DiscordBot  # needs discord.py: after the check above
from event_tasks import events_handled

THUMBS_UP = "👍"


class IdeaBox:
    """A guild with #buergerforum and #ideen, an author, two supporters, staff and the bot."""

    def __init__(self, emulator: DiscordEmulator) -> None:
        self.emulator = emulator
        self.bot = emulator.add_bot("smartregion-bot", token="ideas-bot-token")
        self.author = emulator.add_user("Mara")
        self.supporter = emulator.add_user("Jonas")
        self.second = emulator.add_user("Lea")
        self.staff = emulator.add_user("Sabine")
        self.guild = emulator.add_guild("Würzburg", owner=emulator.add_user("Orga"))
        for user in (self.bot, self.author, self.supporter, self.second, self.staff):
            emulator.add_member(self.guild, user)
        self.forum = emulator.add_channel(self.guild, "buergerforum").id
        self.ideas = emulator.add_channel(self.guild, "ideen").id

    @property
    def env(self) -> dict[str, str]:
        return {
            "DISCORD_GUILD_IDS": self.guild.id,
            "DISCORD_IDEAS_CHANNEL": self.ideas,
            "DISCORD_STAFF_USERS": self.staff.id,
        }

    async def card(self) -> StoredMessage:
        """The bot's newest card, once the bot has stored its id."""
        await events_handled()
        return self.emulator.messages(self.ideas)[-1]

    async def card_showing(self, card: StoredMessage, text: str) -> StoredMessage:
        """The card once an edit shows `text`."""
        return await self.emulator.wait_for(
            self.ideas, lambda m: m.id == card.id and text in m.content
        )


@pytest_asyncio.fixture(loop_scope="session")
async def box(discord_at_emulator: DiscordEmulator, tmp_path: Path) -> AsyncIterator[IdeaBox]:
    box = IdeaBox(discord_at_emulator)
    async with DiscordBot(discord_at_emulator, box.bot, tmp_path / "bot.db", env=box.env):
        yield box


def assert_pings_no_everyone_or_roles(emulator: DiscordEmulator, bot_id: str) -> None:
    """Every message the bot sent or edited names whom it may ping, never everyone or roles."""
    sent = emulator.requests("POST", "/messages") + emulator.requests("PATCH", "/messages/")
    assert sent
    for request in sent:
        allowed = request.json["allowed_mentions"]
        assert allowed["parse"] == []
        assert not allowed.get("roles")
    for message in emulator.world.messages.values():
        if message.author_id == bot_id:
            assert not message.mention_everyone and message.mention_roles == []


async def test_a_thumbs_up_on_the_card_supports_and_taking_it_back_withdraws(
    box: IdeaBox,
) -> None:
    emulator = box.emulator
    said = await emulator.say(box.author, box.forum, "!idee Mehr Bänke am Mainufer")
    assert "gespeichert als **#1**" in (await emulator.reply_to(box.forum, said)).content
    card = await box.card()
    assert "**Idee #1**" in card.content and "Mehr Bänke am Mainufer" in card.content
    assert "👍 0" in card.content

    await emulator.react(box.supporter, box.ideas, card.id, THUMBS_UP)
    await box.card_showing(card, "👍 1")
    await emulator.unreact(box.supporter, box.ideas, card.id, THUMBS_UP)
    await box.card_showing(card, "👍 0")
    await emulator.react(box.supporter, box.ideas, card.id, THUMBS_UP)
    await box.card_showing(card, "👍 1")
    assert card.reactions == {THUMBS_UP: [box.supporter.id]}

    # The author's own 👍 is no support.
    await emulator.react(box.author, box.ideas, card.id, THUMBS_UP)
    await emulator.react(box.second, box.ideas, card.id, THUMBS_UP)
    await box.card_showing(card, "👍 2")

    assert_pings_no_everyone_or_roles(emulator, box.bot.id)


async def test_a_reaction_event_delivered_twice_counts_once(box: IdeaBox) -> None:
    emulator = box.emulator
    said = await emulator.say(box.author, box.forum, "!idee Trinkbrunnen am Marktplatz")
    await emulator.reply_to(box.forum, said)
    card = await box.card()

    await emulator.react(box.supporter, box.ideas, card.id, THUMBS_UP)
    await box.card_showing(card, "👍 1")
    await emulator.unreact(box.supporter, box.ideas, card.id, THUMBS_UP)
    await box.card_showing(card, "👍 0")
    await emulator.react(box.supporter, box.ideas, card.id, THUMBS_UP)
    await box.card_showing(card, "👍 1")

    # The same removal once more (same session, same sequence number) is the one already
    # handled; reactions are handled in order, so once Lea's 👍 shows, it was ignored.
    await emulator.redeliver("MESSAGE_REACTION_REMOVE")
    await emulator.react(box.second, box.ideas, card.id, THUMBS_UP)
    await box.card_showing(card, "👍 2")


async def test_a_status_change_tells_author_and_supporters_by_direct_message(
    box: IdeaBox,
) -> None:
    emulator = box.emulator
    said = await emulator.say(box.author, box.forum, "!idee Fahrradständer am Bahnhof")
    await emulator.reply_to(box.forum, said)
    card = await box.card()
    await emulator.react(box.supporter, box.ideas, card.id, THUMBS_UP)
    await box.card_showing(card, "👍 1")

    said = await emulator.say(box.staff, box.forum, "!status 1 angenommen Wird 2027 gebaut")
    await emulator.reply_to(box.forum, said)

    to_author = await emulator.wait_for(
        emulator.dm(box.author, box.bot), lambda m: m.author_id == box.bot.id
    )
    assert "deiner Idee #1" in to_author.content and "„angenommen“" in to_author.content
    assert "Begründung: Wird 2027 gebaut" in to_author.content
    to_supporter = await emulator.wait_for(
        emulator.dm(box.supporter, box.bot), lambda m: m.author_id == box.bot.id
    )
    assert "die du unterstützt" in to_supporter.content
    await box.card_showing(card, "Status: angenommen")
    assert emulator.messages(emulator.dm(box.second, box.bot)) == []

    assert_pings_no_everyone_or_roles(emulator, box.bot.id)
