"""Open data: ideas (JSON, paged, and CSV), polls and workshops as JSON, no personal data.

The fields are listed in docs/web.md; every record comes from `bot.web.views`, the same
views the pages show. Any site may fetch them (CORS `*`); the licence is in every JSON
document and in a `Link: rel="license"` header.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.web.cache import kept
from bot.web.links import idea_path, poll_path, workshop_path
from bot.web.pages import page_number
from bot.web.rendering import bad_request
from bot.web.rooms import stored_private_rooms
from bot.web.site import Site, site_of
from bot.web.views import (
    IdeaView,
    PollView,
    WorkshopView,
    ideas_after,
    polls,
    upcoming_workshops,
)

IDEAS_PER_DOCUMENT = 1000
CSV_BATCH = 5000
IDEA_FIELDS = ("number", "url", "created", "category", "status", "supports", "merged_into", "text")


async def ideas_json(request: web.Request) -> web.Response:
    """Ideas in number order, `?after=N` continuing where the previous document ended."""
    site = site_of(request)
    after = _after(request.query.get("after"))
    limit = _limit(request.query.get("limit"))
    async with site.reading(request) as uow:
        found = await ideas_after(uow, after, limit + 1)
    more = len(found) > limit
    found = found[:limit]
    base = site.base_url(request)
    following = None
    if more:
        following = f"{base}/api/ideas.json?after={found[-1].number}&limit={limit}"
    return _json(
        site,
        {
            "licence": site.licence,
            "ideas": [_idea(idea, base) for idea in found],
            "next": following,
        },
    )


async def ideas_csv(request: web.Request) -> web.Response:
    """Every listed idea as one CSV (UTF-8, header row), for spreadsheets."""
    site = site_of(request)
    base = site.base_url(request)
    out = io.StringIO()
    writer = csv.DictWriter(out, IDEA_FIELDS)
    writer.writeheader()
    after = 0
    async with site.reading(request) as uow:
        while batch := await ideas_after(uow, after, CSV_BATCH):
            writer.writerows(_idea(idea, base) for idea in batch)
            after = batch[-1].number
    response = web.Response(text=out.getvalue(), content_type="text/csv")
    response.headers["Content-Disposition"] = 'inline; filename="ideas.csv"'
    return _open(site, response)


async def polls_json(request: web.Request) -> web.Response:
    site = site_of(request)
    async with site.reading(request) as uow:
        found = await polls(uow, await stored_private_rooms(site.settings, uow))
    base = site.base_url(request)
    return _json(site, {"licence": site.licence, "polls": [_poll(p, base) for p in found]})


async def workshops_json(request: web.Request) -> web.Response:
    site = site_of(request)
    async with site.reading(request) as uow:
        found = await upcoming_workshops(uow, site.clock.now())
    base = site.base_url(request)
    return _json(site, {"licence": site.licence, "workshops": [_workshop(w, base) for w in found]})


def _idea(idea: IdeaView, base: str) -> dict[str, Any]:
    return {
        "number": idea.number,
        "url": base + idea_path(idea.number),
        "created": _moment(idea.created_at),
        "category": idea.category,
        "status": idea.status,
        "supports": idea.supports,
        "merged_into": idea.merged_into,
        "text": idea.text,
    }


def _poll(poll: PollView, base: str) -> dict[str, Any]:
    return {
        "number": poll.number,
        "url": base + poll_path(poll.number),
        "question": poll.question,
        "closed": _moment(poll.closed_at),
        "closes": _moment(poll.closes_at),
        "max_selections": poll.max_selections,
        "secret": poll.secret,
        "results_hidden_until_closed": poll.hidden,
        "voters": poll.voters,
        "answers": [
            {"position": a.position, "text": a.text, "votes": a.votes, "percent": a.percent}
            for a in poll.answers
        ],
    }


def _workshop(workshop: WorkshopView, base: str) -> dict[str, Any]:
    return {
        "number": workshop.number,
        "url": base + workshop_path(workshop.number),
        "ics": base + workshop_path(workshop.number) + ".ics",
        "title": workshop.title,
        "place": workshop.place,
        "description": workshop.description,
        "online_url": workshop.online_url,
        "category": workshop.category,
        "starts": _moment(workshop.starts_at),
        "ends": _moment(workshop.ends_at),
        "status": "cancelled" if workshop.cancelled else "scheduled",
        "seats": workshop.capacity,
        "free_seats": workshop.free,
        "waiting": workshop.waiting,
    }


def _moment(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")


def _json(site: Site, document: dict[str, Any]) -> web.Response:
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return _open(site, web.Response(text=body, content_type="application/json"))


def _open(site: Site, response: web.Response) -> web.Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    licence = site.licence
    if licence.startswith("https://"):
        response.headers["Link"] = f'<{licence}>; rel="license"'
    return response


def _after(raw: str | None) -> int:
    if raw is None:
        return 0
    if not (raw.isascii() and raw.isdigit()) or int(raw) > 1_000_000_000:
        raise bad_request("web.errors.bad_number", name="after", value=raw[:20])
    return int(raw)


def _limit(raw: str | None) -> int:
    if raw is None:
        return IDEAS_PER_DOCUMENT
    limit = page_number(raw)
    if limit > IDEAS_PER_DOCUMENT:
        raise bad_request("web.errors.bad_limit", max=IDEAS_PER_DOCUMENT)
    return limit


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/ideas.json", kept(ideas_json))
    app.router.add_get("/api/ideas.csv", ideas_csv)
    app.router.add_get("/api/polls.json", kept(polls_json))
    app.router.add_get("/api/workshops.json", workshops_json)
