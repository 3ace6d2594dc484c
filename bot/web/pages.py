"""The HTML pages: start, ideas, one idea, polls, one poll, workshops, one workshop, answered
questions. Each reads through `bot.web.views` in one unit of work and renders a template;
those that depend on the database alone are kept until it changes (bot.web.cache)."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.web.cache import CACHE, kept, key_of
from bot.web.rendering import bad_request, not_found
from bot.web.rooms import stored_private_rooms
from bot.web.site import NUMBER, number_in_path, site_of
from bot.web.views import (
    answered_questions,
    idea_detail,
    idea_page,
    poll,
    polls,
    upcoming_workshops,
    workshop,
)
from storage.ideas.models import STATUSES

SEARCH_MAX = 100
RECENT = 5
LISTED_WORKSHOPS = 100
"""The workshops page lists the next ones; open data holds them all, the feed a year."""


async def start(request: web.Request) -> web.Response:
    site = site_of(request)
    now = site.clock.now()
    async with site.reading(request) as uow:
        newest = await idea_page(uow, top=False, category=None, status=None, search=None, page=1)
        coming = await upcoming_workshops(uow, now, RECENT * 2)
    return site.renderer.page(
        request,
        "start.html",
        ideas=newest.ideas[:RECENT] if newest else (),
        workshops=[w for w in coming if not w.cancelled][:RECENT],
        rooms=site.room_links(),
        discord_invite=site.discord_invite,
    )


async def ideas(request: web.Request) -> web.Response:
    site = site_of(request)
    query = request.query
    sort = query.get("sort", "new")
    if sort not in ("new", "top"):
        raise bad_request("web.errors.bad_sort", value=sort[:20])
    category = query.get("category") or None
    if category is not None and site.settings.department(category) is None:
        raise bad_request("web.errors.bad_category", value=category[:40])
    status = query.get("status") or None
    if status is not None and status not in STATUSES:
        raise bad_request("web.errors.bad_status", value=status[:20])
    search = query.get("q", "").strip() or None
    if search is not None and len(search) > SEARCH_MAX:
        raise bad_request("web.errors.search_too_long", max=SEARCH_MAX)
    page = page_number(query.get("page"))
    async with site.reading(request) as uow:
        found = await idea_page(
            uow, top=sort == "top", category=category, status=status, search=search, page=page
        )
    if found is None:
        raise bad_request("web.errors.page_out_of_range", page=page)
    return site.renderer.page(
        request,
        "ideas.html",
        found=found,
        sort=sort,
        category=category,
        status=status,
        search=search or "",
        categories=site.settings.departments,
        statuses=STATUSES,
        search_max=SEARCH_MAX,
    )


async def idea(request: web.Request) -> web.Response:
    """Kept like the pages under `kept`, but with the page version read in the idea's own
    statement: the page most asked for costs one round trip to the database, not two."""
    site = site_of(request)
    number = number_in_path(request)
    async with site.unit_of_work() as uow:
        found, version = await idea_detail(uow, number)
    if found is None:
        raise not_found("web.errors.idea_not_found", number=number)
    return request.app[CACHE].answer(
        key_of(request), version, lambda: site.renderer.page(request, "idea.html", idea=found)
    )


async def poll_list(request: web.Request) -> web.Response:
    site = site_of(request)
    async with site.reading(request) as uow:
        found = await polls(uow, await stored_private_rooms(site.settings, uow))
    return site.renderer.page(
        request,
        "polls.html",
        open_polls=[p for p in found if p.closed_at is None],
        closed_polls=[p for p in found if p.closed_at is not None],
    )


async def poll_page(request: web.Request) -> web.Response:
    site = site_of(request)
    number = number_in_path(request)
    async with site.reading(request) as uow:
        found = await poll(uow, number, await stored_private_rooms(site.settings, uow))
    if found is None:
        raise not_found("web.errors.poll_not_found", number=number)
    return site.renderer.page(request, "poll.html", poll=found)


async def workshop_list(request: web.Request) -> web.Response:
    site = site_of(request)
    async with site.reading(request) as uow:
        found = await upcoming_workshops(uow, site.clock.now(), LISTED_WORKSHOPS)
    return site.renderer.page(
        request,
        "workshops.html",
        workshops=found,
        categories=site.settings.departments,
        feed=site.absolute(request, "/workshops.ics"),
    )


async def workshop_page(request: web.Request) -> web.Response:
    site = site_of(request)
    number = number_in_path(request)
    async with site.reading(request) as uow:
        found = await workshop(uow, number)
    if found is None:
        raise not_found("web.errors.workshop_not_found", number=number)
    past = found.ends_at < site.clock.now() - timedelta(days=1)
    return site.renderer.page(request, "workshop.html", workshop=found, past=past)


async def questions(request: web.Request) -> web.Response:
    site = site_of(request)
    async with site.reading(request) as uow:
        found = await answered_questions(uow, site.department_name)
    groups: dict[str, list[Any]] = defaultdict(list)
    for question in found:
        groups[question.department or ""].append(question)
    return site.renderer.page(
        request, "questions.html", groups=sorted(groups.items(), key=lambda item: item[0])
    )


def page_number(raw: str | None) -> int:
    """`?page=`: a whole number from 1; absent means 1."""
    if raw is None:
        return 1
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 1_000_000:
        raise bad_request("web.errors.bad_page", value=raw[:20])
    return int(raw)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", start)
    app.router.add_get("/ideas", kept(ideas))
    app.router.add_get(f"/ideas/{NUMBER}", idea)
    app.router.add_get("/polls", kept(poll_list))
    app.router.add_get(f"/polls/{NUMBER}", kept(poll_page))
    app.router.add_get("/workshops", workshop_list)
    app.router.add_get(f"/workshops/{NUMBER}", workshop_page)
    app.router.add_get("/questions", kept(questions))
