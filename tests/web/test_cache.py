"""The page's render cache and its own process.

A kept answer is served while the page version stays the same; every write the page could
show raises the version in its own transaction, so the next request renders afresh: a
hidden or erased idea is never served from a kept copy. Chat bookkeeping (the processed
event of every message) leaves the version alone, so the cache survives a busy chat.
The page's process reads the private rooms the bot stored, and leaves out every poll of a
platform whose rooms the bot has not resolved yet.
"""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import update

from bot.devserver import free_port
from bot.web.cache import CACHE, RenderCache
from bot.web.process import PageProcess
from bot.web.rooms import STATE_KEY, private_rooms
from bot.web.server import build_app
from storage.ideas.models import Idea
from storage.models import ProcessedEvent
from storage.web.repository import PageStateRepository
from tests.unit.privacy_world import ALICE, BERND, BERND_DM, SABINE, STAFF_ROOM, say
from tests.web.world import BENCH_IDEA, browsing, site_of_bot, web_town

KEPT = ("/ideas", "/ideas/2", "/polls", "/polls/1", "/questions", "/api/ideas.json")


async def page_version(bot) -> int | None:
    async with bot.services.unit_of_work() as uow:
        return await PageStateRepository(uow.session).version()


def cache_of(client: TestClient) -> RenderCache:
    return client.server.app[CACHE]


async def test_a_second_request_is_served_from_the_cache_with_the_same_answer(tmp_path):
    bot = await web_town(tmp_path)
    async with browsing(bot) as client:
        cache = cache_of(client)
        first = {path: await client.get(path) for path in KEPT}
        assert cache.hits == 0
        for path, response in first.items():
            again = await client.get(path)
            assert await again.read() == await response.read()
            assert again.headers["ETag"] == response.headers["ETag"]
            assert again.headers["Content-Type"] == response.headers["Content-Type"]
            assert again.headers["Content-Security-Policy"]
        assert cache.hits == len(KEPT)
        english = await client.get("/ideas?lang=en")
        assert "Ideas" in await english.text() and cache.hits == len(KEPT)


async def test_chat_bookkeeping_keeps_the_cache_and_a_support_empties_it(tmp_path):
    bot = await web_town(tmp_path)
    async with browsing(bot) as client:
        cache = cache_of(client)
        await client.get("/ideas/2")
        before = await page_version(bot)
        await say(bot, ALICE, "!hilfe")  # stores only the processed event
        assert await page_version(bot) == before
        await client.get("/ideas/2")
        assert cache.hits == 1
        await say(bot, ALICE, "!unterstuetzen 2")
        assert await page_version(bot) == before + 1
        supported = await client.get("/ideas/2")
        assert cache.hits == 1
        assert "Trinkbrunnen" in await supported.text()


async def test_a_hidden_idea_is_never_served_from_a_kept_copy(tmp_path):
    bot = await web_town(tmp_path)
    async with browsing(bot) as client:
        cache = cache_of(client)
        for _ in range(2):
            for path in ("/ideas", "/ideas/2", "/api/ideas.json"):
                assert "Trinkbrunnen" in await (await client.get(path)).text()
        assert cache.hits == 3
        await say(bot, SABINE, "!verbergen 2 Beleidigung", room=STAFF_ROOM)
        assert (await client.get("/ideas/2")).status == 404
        for path in ("/ideas", "/api/ideas.json"):
            assert "Trinkbrunnen" not in await (await client.get(path)).text()
        assert cache.hits == 3


async def test_an_erasure_is_never_served_from_a_kept_copy(tmp_path):
    bot = await web_town(tmp_path)
    async with browsing(bot) as client:
        for _ in range(2):
            for path in ("/ideas", "/ideas/2", "/questions"):
                await client.get(path)
        assert cache_of(client).hits == 3
        await say(bot, BERND, "!datenloeschen", room=BERND_DM, direct=True)
        await say(bot, BERND, "!datenloeschen bestaetigen", room=BERND_DM, direct=True)
        assert (await client.get("/ideas/2")).status == 404
        assert "Trinkbrunnen" not in await (await client.get("/ideas")).text()
        assert "schnelle Internet" not in await (await client.get("/questions")).text()
        assert cache_of(client).hits == 3


async def test_statements_raise_the_version_and_bookkeeping_or_a_rollback_does_not(tmp_path):
    bot = await web_town(tmp_path)
    start = await page_version(bot)
    async with bot.services.unit_of_work() as uow:
        await uow.session.execute(update(Idea).where(Idea.number == 2).values(hidden=True))
        await uow.rollback()
    assert await page_version(bot) == start
    async with bot.services.unit_of_work() as uow:
        at = datetime(2026, 11, 30, tzinfo=UTC)
        uow.session.add(ProcessedEvent(platform="matrix", event_id="$bookkeeping", processed_at=at))
        await uow.commit()
    assert await page_version(bot) == start
    async with bot.services.unit_of_work() as uow:
        await uow.session.execute(update(Idea).where(Idea.number == 2).values(hidden=True))
        await uow.commit()
    assert await page_version(bot) == start + 1


async def test_polls_stay_off_until_the_bot_stored_its_private_rooms(tmp_path):
    bot = await web_town(tmp_path)
    async with bot.services.unit_of_work() as uow:  # as before the bot's first resolution
        await PageStateRepository(uow.session).replace_private_rooms([])
        await uow.commit()
    bot.services.state.pop(STATE_KEY)
    async with TestClient(TestServer(build_app(site_of_bot(bot)))) as client:
        unresolved = await (await client.get("/polls")).text()
        assert "Welches Thema zuerst?" not in unresolved
        assert (await client.get("/polls/1")).status == 404
    async with browsing(bot) as client:  # the bot resolves and stores them first
        listing = await (await client.get("/polls")).text()
        assert "Welches Thema zuerst?" in listing and "Intern?" not in listing
        assert (await client.get("/polls/4")).status == 404


async def test_the_page_runs_in_its_own_process_and_ends_with_the_bot(tmp_path):
    port = free_port()
    bot = await web_town(tmp_path, BOT_WEB_ADDRESS=f"127.0.0.1:{port}")
    await private_rooms(bot.services)  # as `smartregion-bot run` does before the page
    async with PageProcess(bot.services.settings.environment) as page:
        child = page.pid
        assert child is not None
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/ideas") as response:
                assert response.status == 200
                assert BENCH_IDEA in await response.text()
            async with http.get(f"http://127.0.0.1:{port}/polls") as response:
                assert "Intern?" not in await response.text()
    assert page.pid is None
    async with aiohttp.ClientSession() as http:
        try:
            await http.get(f"http://127.0.0.1:{port}/ideas")
        except aiohttp.ClientConnectionError:
            stopped = True
        else:
            stopped = False
    assert stopped
