"""The public page over HTTP: every route, status code and header, in both languages.

A real aiohttp server on a loopback port, on the SQLite file of a bot that was used through
real commands (tests/web/world.py). These tests only read; the ones that change the world
between requests are in test_freshness.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient

from bot.web.protection import CONTENT_SECURITY_POLICY
from tests.unit.privacy_world import ALICE, BERND, NAMES, say
from tests.web.world import (
    BASE_URL,
    BENCH_IDEA,
    PRIVATE_ANSWER,
    PRIVATE_QUESTION,
    PUBLISHED_ANSWER,
    PUBLISHED_QUESTION,
    browsing,
    web_town,
)

PAGES = (
    "/",
    "/ideas",
    "/ideas?sort=top",
    "/ideas?category=umwelt&status=accepted&q=B%C3%A4nke&page=1",
    "/ideas/1",
    "/ideas/4",
    "/polls",
    "/polls/1",
    "/polls/2",
    "/polls/3",
    "/workshops",
    "/workshops/1",
    "/workshops/2",
    "/questions",
)
FILES = {
    "/workshops.ics": "text/calendar",
    "/workshops/category/digitales.ics": "text/calendar",
    "/workshops/1.ics": "text/calendar",
    "/api/ideas.json": "application/json",
    "/api/ideas.csv": "text/csv",
    "/api/polls.json": "application/json",
    "/api/workshops.json": "application/json",
    "/style.css": "text/css",
}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[TestClient]:
    bot = await web_town(tmp_path_factory.mktemp("web"))
    async with browsing(bot) as web_client:
        yield web_client


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_answers_in_german_by_default_with_strict_headers(client, path):
    response = await client.get(path)
    body = await response.text()
    assert response.status == 200, body
    assert response.content_type == "text/html"
    assert '<html lang="de">' in body
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Vary"] == "Accept-Language"
    assert "ETag" in response.headers and "Last-Modified" in response.headers
    assert "Set-Cookie" not in response.headers
    assert "<script" not in body


@pytest.mark.parametrize(("path", "content_type"), FILES.items())
async def test_feeds_open_data_and_the_stylesheet_answer_with_their_types(
    client, path, content_type
):
    response = await client.get(path)
    assert response.status == 200, await response.text()
    assert response.content_type == content_type
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("path", ["/", "/ideas/1", "/api/ideas.json", "/workshops.ics"])
async def test_head_answers_like_get_without_a_body(client, path):
    got = await client.get(path)
    head = await client.head(path)
    assert head.status == 200
    assert head.headers["ETag"] == got.headers["ETag"]
    assert await head.read() == b""


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
async def test_only_get_and_head_are_allowed(client, method):
    response = await client.request(method, "/ideas")
    assert response.status == 405
    assert response.headers["Allow"] == "GET, HEAD"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


async def test_english_by_accept_language_and_by_the_visible_switch(client):
    english = await client.get("/ideas", headers={"Accept-Language": "en-GB,en;q=0.9,de;q=0.5"})
    body = await english.text()
    assert '<html lang="en">' in body and "newest first" in body
    assert '<a href="/ideas?lang=de" hreflang="de" lang="de">Deutsch</a>' in body
    chosen = await client.get("/ideas?lang=en", headers={"Accept-Language": "de"})
    chosen_body = await chosen.text()
    assert '<html lang="en">' in chosen_body
    assert 'href="/ideas/1?lang=en"' in chosen_body  # the choice stays on every link
    assert "Vary" not in chosen.headers
    german = await client.get("/ideas", headers={"Accept-Language": "fr, de;q=0.3, en;q=0.2"})
    assert '<html lang="de">' in await german.text()


async def test_the_ideas_list_filters_searches_and_orders(client):
    listed = await (await client.get("/ideas")).text()
    # Hidden (3) and merged (4) ideas are not listed; newest first.
    assert "/ideas/2" in listed and "/ideas/1" in listed
    assert "/ideas/3" not in listed and "/ideas/4" not in listed
    assert listed.index("/ideas/2") < listed.index("/ideas/1")
    top = await (await client.get("/ideas?sort=top")).text()
    assert top.index("/ideas/1") < top.index("/ideas/2")
    accepted = await (await client.get("/ideas?status=accepted")).text()
    assert "/ideas/1" in accepted and "/ideas/2" not in accepted
    searched = await (await client.get("/ideas?q=trinkbrunnen")).text()
    assert "/ideas/2" in searched and "/ideas/1" not in searched
    wildcard = await (await client.get("/ideas?q=%25")).text()
    assert "Hier gibt es (noch) keine Ideen." in wildcard  # % is text, not a wildcard


async def test_pages_of_the_list_link_each_other(tmp_path):
    bot = await web_town(tmp_path, BOT_IDEA_RATE="0")
    for number in range(25):
        await say(bot, ALICE, f"!idee Noch eine Idee für den Marktplatz, die {number + 1}.")
    async with browsing(bot) as client:
        first = await (await client.get("/ideas?sort=top&status=new")).text()
        second = await (await client.get("/ideas?page=2&sort=top&status=new")).text()
        beyond = await client.get("/ideas?page=3&sort=top&status=new")
    assert 'rel="next" href="/ideas?page=2&amp;sort=top&amp;status=new"' in first
    assert 'rel="prev"' not in first
    assert 'rel="prev" href="/ideas?page=1&amp;sort=top&amp;status=new"' in second
    assert 'rel="next"' not in second
    assert second.count('class="card"') == 26 - 20  # Alice's 25 and Bernd's "new" idea 2
    assert beyond.status == 400


async def test_an_idea_page_shows_status_reason_history_and_no_person(client):
    body = await (await client.get("/ideas/1")).text()
    assert BENCH_IDEA in body
    assert "angenommen – Das Gartenamt plant zwölf Bänke" in body
    assert "<dd>1</dd>" in body  # Alice's support
    merged = await (await client.get("/ideas/4")).text()
    assert 'Zusammengeführt mit <a href="/ideas/1">Idee #1</a>' in merged
    for page in (body, merged):
        for person in (BERND, ALICE, NAMES[BERND], NAMES[ALICE]):
            assert person not in page


async def test_polls_show_standing_only_where_the_chat_shows_it_to_everyone(client):
    open_poll = await (await client.get("/polls/1")).text()
    assert "Zwischenstand – 2 Personen haben abgestimmt" in open_poll
    assert "<td>2</td>" in open_poll and "100 %" in open_poll
    hidden = await (await client.get("/polls/2")).text()
    assert "Das Ergebnis wird erst nach dem Ende gezeigt." in hidden
    assert "<td>" not in hidden and "%" not in hidden
    closed = await (await client.get("/polls/3")).text()
    assert "<caption>Ergebnis – 2 Personen haben abgestimmt</caption>" in closed
    assert '<rect class="fill" width="100%"' in closed  # the bar, beside its text value
    listing = await (await client.get("/polls")).text()
    assert "Intern?" not in listing  # the staff room's poll


async def test_workshops_show_free_seats_waiting_list_and_cancellations(client):
    listing = await (await client.get("/workshops")).text()
    assert "0 von 1 Plätzen frei · 1 auf der Warteliste" in listing
    assert "Abgesagt" in listing
    assert f"{BASE_URL}/workshops.ics" in listing
    assert 'href="/workshops/category/digitales.ics"' in listing
    page = await (await client.get("/workshops/2")).text()
    assert "Abgesagt – Regen" in page
    assert 'href="/workshops/2.ics" download' in page


async def test_answered_questions_are_published_only_with_the_askers_consent(client):
    body = await (await client.get("/questions")).text()
    assert PUBLISHED_QUESTION in body and PUBLISHED_ANSWER in body
    assert "Digitale Verwaltung &amp; Infrastruktur" in body
    assert PRIVATE_QUESTION not in body and PRIVATE_ANSWER not in body
    assert "Maria" not in body  # the expert answers for the office


@pytest.mark.parametrize(
    ("path", "german", "english"),
    [
        ("/ideas?page=0", "keine Seitenzahl", "not a page number"),
        ("/ideas?page=zwei", "keine Seitenzahl", "not a page number"),
        ("/ideas?page=99", "Seite 99 gibt es nicht", "There is no page 99"),
        ("/ideas?sort=random", "Reihenfolge", "no order"),
        ("/ideas?category=mond", "Kategorie", "category"),
        ("/ideas?status=vergessen", "Status", "status"),
        ("/ideas?q=" + "x" * 101, "höchstens 100 Zeichen", "at most 100 characters"),
        ("/ideas?lang=fr", "Sprache „fr“", "language “fr”"),
        ("/workshops/category/mond.ics", "Kategorie", "category"),
        ("/api/ideas.json?after=-1", "keine erlaubte Zahl", "not an allowed number"),
        ("/api/ideas.json?limit=5000", "höchstens 1000", "at most 1000"),
    ],
)
async def test_bad_parameters_get_a_400_in_the_visitors_language(client, path, german, english):
    de = await client.get(path)
    assert de.status == 400
    assert german in await de.text()
    en = await client.get(path, headers={"Accept-Language": "en"})
    assert en.status == 400
    assert english in await en.text()
    assert en.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    ("path", "english"),
    [
        ("/ideas/99", "There is no public idea #99."),
        ("/ideas/3", "There is no public idea #3."),  # hidden: as if it did not exist
        ("/ideas/0", "This page does not exist."),
        ("/ideas/12345678901234567890", "This page does not exist."),
        ("/polls/4", "There is no public poll #4."),  # in the staff room
        ("/polls/99", "There is no public poll #99."),
        ("/workshops/99", "There is no workshop #99."),
        ("/workshops/99.ics", "There is no workshop #99."),
        ("/nirgends", "This page does not exist."),
    ],
)
async def test_unknown_numbers_get_a_404_in_the_visitors_language(client, path, english):
    response = await client.get(path + "?lang=en")
    assert response.status == 404
    body = await response.text()
    assert english in body and '<html lang="en">' in body


async def test_api_errors_are_json(client):
    response = await client.get("/api/ideas.json?after=x")
    assert response.status == 400
    assert "error" in await response.json()
    assert response.headers["Access-Control-Allow-Origin"] == "*"


# ------------------------------------------------------------------ Leichte Sprache

LEICHT_TEXTS = {
    "/": "Ein Workshop ist ein Treffen zum Mit·arbeiten.",
    "/ideas": "Die neuen Ideen zuerst. Seite 1",
    "/ideas?sort=top": "Die Ideen mit der meisten Unterstützung zuerst. Seite 1",
    "/ideas/1": "Das ist mit der Idee passiert",
    "/ideas/4": 'Gehört jetzt zu <a href="/ideas/1?lang=leicht">Idee #1</a>',
    "/polls": "Diese Umfragen laufen jetzt",
    "/polls/1": "Ergebnis bis jetzt – 2 Menschen haben abgestimmt",
    "/polls/2": "Das Ergebnis kommt nach dem Ende von der Umfrage.",
    "/polls/3": "<caption>Ergebnis – 2 Menschen haben abgestimmt</caption>",
    "/workshops": "0 von 1 Plätzen frei · 1 Menschen auf der Warte·liste",
    "/workshops/1": "Donnerstag, 3. Dezember 2026, 18 Uhr",
    "/workshops/2": "Fällt aus – Regen",
    "/questions": "Fach·leute aus der Verwaltung haben die Fragen beantwortet.",
}


@pytest.mark.parametrize(("path", "text"), LEICHT_TEXTS.items())
async def test_every_page_kind_in_leichte_sprache_by_the_switch(client, path, text):
    separator = "&" if "?" in path else "?"
    response = await client.get(f"{path}{separator}lang=leicht", headers={"Accept-Language": "en"})
    body = await response.text()
    assert response.status == 200, body
    assert text in body
    # German to screen readers and translators, marked visibly as Leichte Sprache.
    assert '<html lang="de">' in body
    assert response.headers["Content-Language"] == "de"
    assert '<span class="current" aria-current="true" lang="de">Leichte Sprache</span>' in body
    assert 'href="/ideas?lang=leicht"' in body  # the choice stays on every link
    assert "Vary" not in response.headers


async def test_the_switch_offers_every_language_and_marks_the_current_one(client):
    german = await (await client.get("/ideas/1?x=1")).text()
    assert '<span class="current" aria-current="true" lang="de">Deutsch</span>' in german
    assert '<a href="/ideas/1?x=1&amp;lang=en" hreflang="en" lang="en">English</a>' in german
    assert (
        '<a href="/ideas/1?x=1&amp;lang=leicht" hreflang="de" lang="de">Leichte Sprache</a>'
        in german
    )
    easy = await (await client.get("/ideas?lang=leicht&sort=top")).text()
    assert '<a href="/ideas?sort=top&amp;lang=de" hreflang="de" lang="de">Deutsch</a>' in easy
    assert '<input type="hidden" name="lang" value="leicht">' in easy  # the search keeps it


@pytest.mark.parametrize("header", ["leicht", "de-x-leicht", "ls, en;q=0.5"])
async def test_accept_language_cannot_ask_for_leichte_sprache(client, header):
    body = await (await client.get("/ideas", headers={"Accept-Language": header})).text()
    assert "Die neuen Ideen zuerst" not in body
    assert ("Neueste zuerst" in body) == (not header.endswith("q=0.5"))


async def test_dates_in_leichte_sprache_name_the_weekday_and_month(client):
    easy = await (await client.get("/workshops?lang=leicht")).text()
    assert "Donnerstag, 3. Dezember 2026, 18 Uhr" in easy
    german = await (await client.get("/workshops?lang=de")).text()
    assert "03.12.2026, 18:00 Uhr" in german and "Donnerstag" not in german


async def test_each_language_has_its_own_etag(client):
    german = await client.get("/ideas?lang=de")
    easy = await client.get("/ideas?lang=leicht")
    assert german.headers["ETag"] != easy.headers["ETag"]
    stale = await client.get(
        "/ideas?lang=leicht", headers={"If-None-Match": german.headers["ETag"]}
    )
    assert stale.status == 200 and "Die neuen Ideen zuerst" in await stale.text()
    fresh = await client.get("/ideas?lang=leicht", headers={"If-None-Match": easy.headers["ETag"]})
    assert fresh.status == 304


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        ("/ideas?page=0", 400, "„0“ ist keine Seiten·zahl. Bitte nimm eine ganze Zahl ab 1."),
        ("/ideas?sort=random", 400, "Du kannst wählen: new oder top."),
        ("/ideas?category=mond", 400, "Das Thema „mond“ gibt es nicht."),
        ("/ideas/99", 404, "Es gibt keine Idee #99 für alle."),
        ("/polls/4", 404, "Es gibt keine Umfrage #4 für alle."),
        ("/workshops/99", 404, "Es gibt keinen Workshop #99."),
        ("/nirgends", 404, "Diese Seite gibt es nicht."),
    ],
)
async def test_errors_in_leichte_sprache(client, path, status, text):
    separator = "&" if "?" in path else "?"
    response = await client.get(f"{path}{separator}lang=leicht")
    body = await response.text()
    assert response.status == status
    assert text in body and '<html lang="de">' in body
    assert 'href="/?lang=leicht"' in body  # back to the start page, still in Leichte Sprache


async def test_an_unknown_language_names_leichte_sprache_as_a_choice(client):
    response = await client.get("/ideas?lang=easy")
    assert response.status == 400
    assert "möglich sind de, en und leicht (Leichte Sprache)" in await response.text()
