"""Several chat platforms in one process: everyone is reached through their own platform."""

from __future__ import annotations

import logging

import pytest

from bot.context import Actor, IncomingMessage, Place
from bot.errors import UnknownPlatform
from handlers import exports
from handlers.ideas import commands as ideas
from handlers.ideas import staff_commands as ideas_staff
from storage.ideas.repository import IdeasRepository
from tests.unit.fakes import FakeAdapter, FakeBot, make_fake_bot

STAFF = "@sabine:localhost"
ALICE = "@alice:localhost"
BOB = "bob#42"
"""Bob is on the second platform ("chat"), whose ids look nothing like Matrix ids."""


async def make_bot(tmp_path) -> tuple[FakeBot, FakeAdapter]:
    bot = await make_fake_bot(
        tmp_path, (ideas, ideas_staff, exports), BOT_STAFF_USERS=STAFF, BOT_IDEAS_ROOM=""
    )
    chat = FakeAdapter(platform="chat")
    bot.services.adapters["chat"] = chat  # type: ignore[index]
    return bot, chat


async def say_on_chat(bot: FakeBot, chat: FakeAdapter, user: str, text: str) -> list[str]:
    """Send `text` as `user` of the second platform; what the chat adapter sent back."""
    before = len(chat.sent)
    await bot.router.handle(
        IncomingMessage(
            f"chat-{len(chat.sent)}", Actor("chat", user, user), Place("c1", False), text
        )
    )
    return [sent.message.body for sent in chat.sent[before:]]


async def test_a_supporter_on_another_platform_gets_the_status_message_there(tmp_path, caplog):
    bot, chat = await make_bot(tmp_path)
    await bot.say(ALICE, "!idee Mehr Bänke am Mainufer")
    [supported] = await say_on_chat(bot, chat, BOB, "!unterstuetzen 1")
    assert "Du unterstützt jetzt #1" in supported
    async with bot.services.unit_of_work() as uow:
        repository = IdeasRepository(uow.session)
        idea = await repository.get(1)
        assert idea is not None
        await repository.add_support(idea, "gone", "carol", bot.services.clock.now(), False)
        await uow.commit()

    with caplog.at_level(logging.DEBUG, logger="handlers.ideas.effects"):
        [*_, reply] = await bot.say(STAFF, "!status 1 angenommen")

    assert "Benachrichtigt: 2." in reply.body, "Alice on Matrix and Bob on chat, not Carol"
    [to_bob] = [sent for sent in chat.sent if sent.room_id == f"!dm-{BOB}"]
    assert "Neuigkeiten zur Idee #1" in to_bob.message.body
    assert all(sent.room_id != f"!dm-{BOB}" for sent in bot.adapter.sent), "not via Matrix"
    assert any(sent.room_id == f"!dm-{ALICE}" for sent in bot.adapter.sent)
    assert all("carol" not in sent.room_id for sent in bot.adapter.sent + chat.sent)
    assert "Not notifying a person on gone" in caplog.text


async def test_answers_go_back_through_the_askers_platform(tmp_path):
    bot, chat = await make_bot(tmp_path)
    before = len(bot.adapter.sent)
    [answer] = await say_on_chat(bot, chat, BOB, "!idee Ein Trinkbrunnen am Markt")
    assert "#1" in answer
    assert len(bot.adapter.sent) == before, "nothing went out through Matrix"


async def test_an_unknown_platform_is_a_clear_error(tmp_path):
    bot, _chat = await make_bot(tmp_path)
    assert bot.services.adapter_for("chat").platform == "chat"
    with pytest.raises(UnknownPlatform, match="'gone'"):
        bot.services.adapter_for("gone")
