"""A town that used every feature the public page shows, built through real commands.

The chat side is the fake adapter of tests/unit (real router, real handlers, a real SQLite
file); the web side is the real aiohttp application of bot.web on that database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from bot.web.rooms import private_rooms
from bot.web.server import build_app
from bot.web.site import Site
from tests.unit.fakes import FakeBot
from tests.unit.privacy_world import (
    ALICE,
    BERND,
    DIGITAL,
    MARIA,
    SABINE,
    STAFF_ROOM,
    in_thread,
    roots_in,
    say,
    town,
)

BASE_URL = "https://beteiligung.example.org"
BENCH_IDEA = "Mehr Bänke am Mainufer mit Blick aufs Wasser"
PUBLISHED_QUESTION = "Wann kommt das schnelle Internet nach Rimpar?"
PRIVATE_QUESTION = "Wie beantrage ich die BayernID für das Bürgerbüro?"
PUBLISHED_ANSWER = "Der Ausbau beginnt im Frühjahr 2027."
PRIVATE_ANSWER = "Online im BayernID-Portal, das dauert zehn Minuten."


async def web_town(tmp_path: Path, **env: str) -> FakeBot:
    """The town with the public page configured and this history:

    ideas 1 (Bernd, supported by Alice, status changed with a reason), 2 (Bernd, alone),
    3 (Alice, hidden by staff), 4 (Alice, merged into 1); polls 1 (open), 2 (open, results
    hidden until the end), 3 (closed), 4 (in the staff room); workshops 1 (one seat, a
    waiting person, category digitales) and 2 (cancelled); questions 1 (published, answered)
    and 2 (not published, answered).
    """
    env = {"BOT_WEB_ADDRESS": "127.0.0.1:0", "BOT_WEB_BASE_URL": BASE_URL, **env}
    bot = await town(tmp_path, **env)
    await say(bot, BERND, f"!idee {BENCH_IDEA}")
    await say(bot, BERND, "!idee Ein Trinkbrunnen auf dem Marktplatz wäre schön")
    await say(bot, ALICE, "!idee Mehr Radständer am Hauptbahnhof aufstellen")
    await say(bot, ALICE, "!idee Bänke am Mainufer bitte, mit Blick aufs Wasser")
    await say(bot, ALICE, "!unterstuetzen 1")
    await say(bot, SABINE, "!status 1 angenommen Das Gartenamt plant zwölf Bänke", room=STAFF_ROOM)
    await say(bot, SABINE, "!verbergen 3 Werbung", room=STAFF_ROOM)
    await say(bot, SABINE, "!zusammenfuehren 4 1", room=STAFF_ROOM)

    await say(bot, SABINE, '!umfrage "Welches Thema zuerst?" "Verkehr" "Bildung"')
    await say(bot, SABINE, '!umfrage "Welcher Abend?" "Montag" "Dienstag" --verdeckt')
    await say(bot, SABINE, '!umfrage "Welcher Ort?" "Rathaus" "Bibliothek"')
    await say(bot, SABINE, '!umfrage "Intern?" "Ja" "Nein"', room=STAFF_ROOM)
    for user in (BERND, ALICE):
        await say(bot, user, "!abstimmen 1 2")
        await say(bot, user, "!abstimmen 2 1")
        await say(bot, user, "!abstimmen 3 2")
    await say(bot, SABINE, "!umfrage-ende 3")

    await say(
        bot,
        SABINE,
        '!workshop neu "Digitale Sprechstunde" 03.12.2026 18:00 "Rathaus" --plaetze 1 '
        "--kategorie digitales",
    )
    await say(bot, SABINE, '!workshop neu "Radtour" 05.12.2026 10:00 "Marktplatz"')
    await say(bot, BERND, "!anmelden 1")
    await say(bot, ALICE, "!anmelden 1")
    await say(bot, SABINE, "!workshop absagen 2 Regen")

    await say(bot, BERND, f"!frage --veroeffentlichen #digitales {PUBLISHED_QUESTION}")
    await in_thread(bot, MARIA, DIGITAL, roots_in(bot, DIGITAL)[-1].event_id, PUBLISHED_ANSWER)
    await say(bot, ALICE, f"!frage #digitales {PRIVATE_QUESTION}")
    await in_thread(bot, MARIA, DIGITAL, roots_in(bot, DIGITAL)[-1].event_id, PRIVATE_ANSWER)
    return bot


def site_of_bot(bot: FakeBot) -> Site:
    """The page's site on the bot's database, as `smartregion-bot web` builds it."""
    services = bot.services
    return Site(services.settings, services.catalog, services.unit_of_work, services.clock)


@asynccontextmanager
async def browsing(bot: FakeBot) -> AsyncIterator[TestClient]:
    """An HTTP client of the bot's public page (a real server on a loopback port), after
    the bot stored its private rooms as it does before it starts the page."""
    await private_rooms(bot.services)
    async with TestClient(TestServer(build_app(site_of_bot(bot)))) as client:
        yield client
