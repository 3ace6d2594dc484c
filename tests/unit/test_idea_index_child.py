"""The similar-idea index of many ideas comes from a child process (`index_worker`).

What the bot changes while the child reads and indexes must still reach the index: an
idea erased by `!datenloeschen` after the child read it is never named afterwards. Nothing
is written to disk on the way (the index travels through a pipe), so no file keeps it.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.app import HANDLER_MODULES
from bot.child_process import ChildProcessFailed
from bot.context import Services
from handlers.ideas import personal_data, state
from handlers.ideas.index_worker import build_in_child
from handlers.ideas.similarity import SimilarityIndex
from handlers.ideas.state import IdeasState, ideas_state
from tests.unit.fakes import FakeBot, make_fake_bot
from tests.unit.privacy_world import ALICE, BERND, SABINE, say

BERND_IDEA = "Ein Trinkbrunnen auf dem Marktplatz wäre schön"
ALICE_IDEA = "Mehr Radständer am Hauptbahnhof aufstellen"


@pytest.fixture
async def bot(tmp_path, monkeypatch) -> FakeBot:
    """Two ideas, and "many" lowered to two so that they are indexed by a child process."""
    monkeypatch.setattr(state, "CHILD_PROCESS_FROM", 2)
    bot = await make_fake_bot(tmp_path, HANDLER_MODULES, BOT_STAFF_USERS=SABINE)
    await say(bot, BERND, f"!idee {BERND_IDEA}")
    await say(bot, ALICE, f"!idee {ALICE_IDEA}")
    bot.services.state.clear()  # as after a restart: the index is built from the database
    return bot


async def test_an_idea_erased_after_the_child_read_it_is_not_named(bot, caplog, monkeypatch):
    """The child reads Bernd's idea; the erasure commits before its index is taken over."""
    caplog.set_level(logging.INFO, logger="handlers.ideas.state")
    await say(bot, BERND, "!datenloeschen")
    committed = asyncio.Event()
    erasing: list[asyncio.Task[str]] = []
    read_by_child: list[bool] = []

    async def child_then_erasure(url: str, schema_path: str | None) -> SimilarityIndex:
        index = await build_in_child(url, schema_path)
        read_by_child.append(1 in index)
        erasing.append(asyncio.create_task(say(bot, BERND, "!datenloeschen bestaetigen")))
        await committed.wait()
        return index

    async def state_after_erasure(services: Services) -> IdeasState:
        committed.set()  # the erasure's follow-up runs after its commit
        return await ideas_state(services)

    monkeypatch.setattr(state, "build_in_child", child_then_erasure)
    monkeypatch.setattr(personal_data, "ideas_state", state_after_erasure)
    index = (await ideas_state(bot.services)).index
    assert "gelöscht" in await erasing[0]
    assert read_by_child == [True]
    assert 1 not in index and index.similar(BERND_IDEA) == []
    assert [match.number for match in index.similar(ALICE_IDEA)] == [2]
    assert "Indexing 2 open ideas in a child process" in caplog.text


async def test_if_the_child_fails_the_ideas_are_indexed_in_the_bot(bot, caplog, monkeypatch):
    async def failing(_url: str, _schema_path: str | None) -> None:
        raise ChildProcessFailed("index worker exited with 1: out of memory")

    monkeypatch.setattr(state, "build_in_child", failing)
    index = (await ideas_state(bot.services)).index
    assert [match.number for match in index.similar(BERND_IDEA)] == [1]
    assert "Indexing in a child process failed" in caplog.text
