"""`smartregion-bot demo` as a newcomer meets it: log in, ask, submit an idea, vote.

The first round shipped a demo whose router had silently lost its keywords; unit tests of
the pieces did not notice. This runs the demo itself (its own Synapse, its provisioning,
its departments file, the bot on SQLite) and talks to it as the demo's people.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from chat import ChatUser
from dotenv import dotenv_values

from bot.demo import DEMO_PASSWORD, run_demo
from bot.devserver import free_port

START_TIMEOUT_S = 120.0


@dataclass
class Demo:
    homeserver: str
    task: asyncio.Task[None]
    data_dir: Path

    async def login(self, localpart: str) -> ChatUser:
        return await ChatUser.login(self.homeserver, f"@{localpart}:localhost", DEMO_PASSWORD)


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Demo]:
    port = free_port()
    task = asyncio.create_task(run_demo(tmp_path, port, free_port()), name="demo")
    async with asyncio.timeout(START_TIMEOUT_S):
        while not (tmp_path / "bot.env").exists():  # written once the world is provisioned
            assert not task.done(), "the demo stopped while starting"
            await asyncio.sleep(0.2)
    yield Demo(f"http://127.0.0.1:{port}", task, tmp_path)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def public_page(demo: Demo, path: str) -> str:
    """A page of the demo's public web page, at the address the demo wrote to bot.env."""
    settings = dotenv_values(demo.data_dir / "bot.env")
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{settings['BOT_WEB_BASE_URL']}{path}") as response,
    ):
        assert response.status == 200
        return await response.text()


async def room_id(user: ChatUser, alias: str) -> str:
    response = await user.client.room_resolve_alias(alias)
    return response.room_id


async def first_answer(user: ChatUser, room: str, text: str) -> str:
    """Say `text` until the bot answers it (it may still be joining rooms); its answer."""
    async with asyncio.timeout(START_TIMEOUT_S):
        while True:
            event_id = await user.say(room, text)
            with contextlib.suppress(TimeoutError):
                return (await user.reply_to(event_id, timeout=10)).body


async def test_a_newcomer_asks_submits_and_votes_in_the_demo(demo: Demo):
    bernd = await demo.login("bernd")
    sabine = await demo.login("sabine")
    eva = await demo.login("eva")
    try:
        forum = await room_id(bernd, "#buergerforum:localhost")
        mobility = await room_id(eva, "#abteilung-mobilitaet:localhost")
        assert "!idee" in await first_answer(bernd, forum, "!hilfe")

        question = await bernd.say(forum, "!frage Wie beantrage ich einen Anwohnerparkausweis?")
        routed = (await bernd.reply_to(question)).body
        assert "ging an" in routed and "Mobilität" in routed, routed
        in_department = await eva.next_reply(mobility)
        assert "Anwohnerparkausweis" in in_department.body

        idea = await bernd.say(forum, "!idee Mehr Bänke am Mainufer zum Ausruhen")
        assert "gespeichert als" in (await bernd.reply_to(idea)).body
        assert "Mehr Bänke am Mainufer zum Ausruhen" in await public_page(demo, "/ideas")

        poll = await sabine.say(forum, '!umfrage "Welches Thema zuerst?" "Radwege" "Bänke"')
        started = (await sabine.reply_to(poll)).body
        assert "läuft jetzt" in started, started
        number = started.split("#", 1)[1].split()[0]
        vote = await bernd.say(forum, f"!abstimmen {number} 2")
        assert "gezählt" in (await bernd.reply_to(vote)).body
    finally:
        for user in (bernd, sabine, eva):
            await user.close()
