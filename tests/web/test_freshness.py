"""The public page follows the chat at once: ETag and Last-Modified with 304 answers that
turn into 200 on the next request after anything shown changed (a new idea, a status, a
hidden idea, an erasure), while a hidden poll's standing moves nothing at all.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from icalendar import Calendar

from tests.unit.privacy_world import ALICE, BERND, BERND_DM, NAMES, SABINE, STAFF_ROOM, say
from tests.web.world import (
    BASE_URL,
    BENCH_IDEA,
    PUBLISHED_ANSWER,
    PUBLISHED_QUESTION,
    browsing,
    web_town,
)


async def revalidate(client, path: str, response) -> int:
    """The status of asking again with the validators `response` gave."""
    again = await client.get(path, headers={"If-None-Match": response.headers["ETag"]})
    return again.status


async def test_an_unchanged_page_answers_304_by_etag_and_by_date(tmp_path):
    bot = await web_town(tmp_path)
    async with browsing(bot) as client:
        first = await client.get("/ideas")
        assert await revalidate(client, "/ideas", first) == 304
        by_date = await client.get(
            "/ideas", headers={"If-Modified-Since": first.headers["Last-Modified"]}
        )
        assert by_date.status == 304
        assert by_date.headers["ETag"] == first.headers["ETag"]
        assert await by_date.read() == b""
        english = await client.get("/ideas?lang=en", headers={"If-None-Match": "*"})
        assert english.status == 304


async def test_a_new_idea_and_a_status_change_show_on_the_next_request(tmp_path):
    bot = await web_town(tmp_path)
    async with browsing(bot) as client:
        listing = await client.get("/ideas")
        detail = await client.get("/ideas/2")
        by_date = listing.headers["Last-Modified"]
        await say(bot, ALICE, "!idee Ein Sonnensegel über dem Spielplatz am Main")
        assert await revalidate(client, "/ideas", listing) == 200
        changed = await client.get("/ideas", headers={"If-Modified-Since": by_date})
        assert changed.status == 200  # Last-Modified moved on, even within the same second
        assert "Sonnensegel" in await changed.text()
        await say(bot, SABINE, "!status 2 umgesetzt Steht seit Montag", room=STAFF_ROOM)
        assert await revalidate(client, "/ideas/2", detail) == 200
        assert "umgesetzt – Steht seit Montag" in await (await client.get("/ideas/2")).text()


async def test_a_hidden_idea_disappears_everywhere_on_the_next_request(tmp_path):
    bot = await web_town(tmp_path)
    async with browsing(bot) as client:
        before = {path: await client.get(path) for path in ("/ideas", "/api/ideas.json", "/")}
        await say(bot, SABINE, "!verbergen 2 Beleidigung", room=STAFF_ROOM)
        for path, response in before.items():
            assert await revalidate(client, path, response) == 200
            assert "Trinkbrunnen" not in await (await client.get(path)).text()
        assert (await client.get("/ideas/2")).status == 404
        csv_body = await (await client.get("/api/ideas.csv")).text()
        assert "Trinkbrunnen" not in csv_body


async def test_an_erasure_shows_on_the_next_request_and_nowhere_after(tmp_path):
    bot = await web_town(tmp_path)
    async with browsing(bot) as client:
        paths = ("/ideas", "/ideas/2", "/questions", "/api/ideas.json", "/api/ideas.csv")
        before = {path: await client.get(path) for path in paths}
        await say(bot, BERND, "!datenloeschen", room=BERND_DM, direct=True)
        await say(bot, BERND, "!datenloeschen bestaetigen", room=BERND_DM, direct=True)
        for path in ("/ideas", "/questions", "/api/ideas.json", "/api/ideas.csv"):
            assert await revalidate(client, path, before[path]) == 200
        # Idea 2 (nobody built on it) is gone; idea 1 (Alice supports it) stays, as in chat.
        assert (await client.get("/ideas/2")).status == 404
        assert BENCH_IDEA in await (await client.get("/ideas/1")).text()
        questions = await (await client.get("/questions")).text()
        assert PUBLISHED_QUESTION not in questions and PUBLISHED_ANSWER not in questions
        for path in ("/ideas", "/api/ideas.json", "/api/ideas.csv"):
            assert "Trinkbrunnen" not in await (await client.get(path)).text()


async def test_a_hidden_standing_never_leaks_through_page_json_or_etag(tmp_path):
    bot = await web_town(tmp_path)
    async with browsing(bot) as client:
        page = await client.get("/polls/2")
        data = await client.get("/api/polls.json")
        listing = await client.get("/polls")
        await say(bot, SABINE, "!abstimmen 2 2")  # the standing changes: 2 Montag, 1 Dienstag
        for path, response in (("/polls/2", page), ("/api/polls.json", data), ("/polls", listing)):
            assert await revalidate(client, path, response) == 304
        hidden = json.loads(await (await client.get("/api/polls.json")).text())
        poll = next(p for p in hidden["polls"] if p["number"] == 2)
        assert poll["voters"] is None
        assert {a["votes"] for a in poll["answers"]} == {None}
        await say(bot, SABINE, "!umfrage-ende 2")
        assert await revalidate(client, "/polls/2", page) == 200
        closed = await (await client.get("/polls/2")).text()
        assert "Ergebnis – 3 Personen haben abgestimmt" in closed


async def test_the_feed_keeps_uids_raises_sequence_on_a_move_and_keeps_cancellations(tmp_path):
    bot = await web_town(tmp_path)
    async with browsing(bot) as client:
        before = await client.get("/workshops.ics")
        first = Calendar.from_ical(await before.read())
        await say(bot, SABINE, "!workshop verschieben 1 04.12.2026 18:00")
        assert await revalidate(client, "/workshops.ics", before) == 200
        after = Calendar.from_ical(await (await client.get("/workshops.ics")).read())

    def events(calendar: Calendar) -> dict[str, object]:
        return {str(e["UID"]): e for e in calendar.walk("VEVENT")}

    old, new = events(first), events(after)
    assert old.keys() == new.keys() and len(new) == 2
    moved = next(e for e in new.values() if str(e["SUMMARY"]) == "Digitale Sprechstunde")
    was = old[str(moved["UID"])]
    assert int(moved["SEQUENCE"]) > int(was["SEQUENCE"])
    assert moved.decoded("DTSTART") - was.decoded("DTSTART") == timedelta(days=1)
    assert str(moved["URL"]) == f"{BASE_URL}/workshops/1"
    assert f"{BASE_URL}/workshops/1" in str(moved["DESCRIPTION"])
    cancelled = next(e for e in new.values() if str(e["SUMMARY"]) == "Radtour")
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert str(after["REFRESH-INTERVAL"].to_ical(), "ascii") == "PT1H"
    assert str(after["X-PUBLISHED-TTL"]) == "PT1H"
    assert [str(tz["TZID"]) for tz in after.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert str(moved["DTSTART"].params["TZID"]) == "Europe/Berlin"


async def test_the_category_feed_holds_only_that_category(tmp_path):
    bot = await web_town(tmp_path)
    async with browsing(bot) as client:
        digital = Calendar.from_ical(
            await (await client.get("/workshops/category/digitales.ics")).read()
        )
        mobility = Calendar.from_ical(
            await (await client.get("/workshops/category/mobilitaet.ics")).read()
        )
    assert [str(e["SUMMARY"]) for e in digital.walk("VEVENT")] == ["Digitale Sprechstunde"]
    assert mobility.walk("VEVENT") == []
    assert [str(tz["TZID"]) for tz in mobility.walk("VTIMEZONE")] == ["Europe/Berlin"]


async def test_open_data_has_no_personal_data_pages_by_number_and_allows_cors(tmp_path):
    bot = await web_town(tmp_path)
    async with browsing(bot) as client:
        bodies = []
        for path in ("/api/ideas.json", "/api/polls.json", "/api/workshops.json"):
            response = await client.get(path)
            assert response.headers["Access-Control-Allow-Origin"] == "*"
            document = json.loads(await response.text())
            assert document["licence"] == "CC0-1.0"
            bodies.append(await response.text())
        first = json.loads(await (await client.get("/api/ideas.json?limit=1")).text())
        second = json.loads(await (await client.get(first["next"].removeprefix(BASE_URL))).text())
        rows = list(csv.DictReader(io.StringIO(await (await client.get("/api/ideas.csv")).text())))
    assert [i["number"] for i in first["ideas"]] == [1]
    assert [i["number"] for i in second["ideas"]] == [2]
    assert second["next"] == f"{BASE_URL}/api/ideas.json?after=2&limit=1"
    assert [row["number"] for row in rows] == ["1", "2", "4"]  # 3 is hidden
    assert rows[2]["merged_into"] == "1"
    workshops = json.loads(bodies[2])["workshops"]
    assert workshops[0]["free_seats"] == 0 and workshops[0]["waiting"] == 1
    for body in [*bodies, json.dumps(rows)]:
        for person in (BERND, ALICE, SABINE, NAMES[BERND], NAMES[ALICE], "localhost"):
            assert person not in body


async def test_an_address_over_its_limit_gets_429(tmp_path):
    bot = await web_town(tmp_path, BOT_WEB_RATE_LIMIT="3")
    async with browsing(bot) as client:
        statuses = [(await client.get("/ideas")).status for _ in range(4)]
        refused = await client.get("/ideas", headers={"Accept-Language": "en"})
        assert statuses == [200, 200, 200, 429]
        assert refused.status == 429
        assert refused.headers["Retry-After"] == "60"
        assert "Too many requests" in await refused.text()
        other = await client.get("/ideas", headers={"X-Forwarded-For": "203.0.113.7"})
        assert other.status == 200  # another visitor behind the local reverse proxy
