"""The workshop calendar: a subscribable feed (all, or one category) and one file each.

Built with the `icalendar` library on the same VEVENT as the chat's `!kalender` file: a
UID that never changes, SEQUENCE raised by every move, cancelled workshops kept with
STATUS:CANCELLED (so subscribed calendars remove them), a VTIMEZONE for the bot's zone.
The page's address is in URL and in DESCRIPTION (many apps show only the description).
DTSTAMP is the workshop's creation, so an unchanged feed is byte for byte the same and
answers 304.

The feed covers the last 30 days and the next year. Building it costs about a millisecond
per workshop, so a built feed is kept until the workshops in its window change (their
count, highest number or sum of SEQUENCE, which every move and cancellation raises), and
it is built in a worker thread so the chat is not held up meanwhile.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from aiohttp import web
from icalendar import Calendar, Timezone, vDuration

from bot.web.links import workshop_path
from bot.web.rendering import bad_request, not_found
from bot.web.site import NUMBER, Site, number_in_path, site_of
from bot.web.views import WorkshopView, calendar_workshops, workshop
from handlers.workshops.calendar import CONTENT_TYPE, PRODUCT_ID, workshop_event
from storage.workshops.models import Workshop
from storage.workshops.repository import WorkshopRepository

KEPT_FOR = timedelta(days=30)
"""How long past workshops stay in the feed, so calendars keep recent entries."""
AHEAD = timedelta(days=365)
REFRESH = timedelta(hours=1)
KEPT_FEEDS = 64


class FeedCache:
    """Built feeds by (address, category), each with the window version it was built at."""

    def __init__(self) -> None:
        self._feeds: dict[tuple[str, str | None], tuple[tuple[int, int, int], bytes]] = {}

    def get(self, key: tuple[str, str | None], version: tuple[int, int, int]) -> bytes | None:
        found = self._feeds.get(key)
        return found[1] if found is not None and found[0] == version else None

    def put(self, key: tuple[str, str | None], version: tuple[int, int, int], body: bytes) -> None:
        if len(self._feeds) >= KEPT_FEEDS and key not in self._feeds:
            self._feeds.pop(next(iter(self._feeds)))
        self._feeds[key] = (version, body)


FEEDS = web.AppKey("feeds", FeedCache)


async def feed(request: web.Request) -> web.Response:
    site = site_of(request)
    category = request.match_info.get("category")
    if category is not None and site.settings.department(category) is None:
        raise bad_request("web.errors.bad_category", value=category[:40])
    now = site.clock.now()
    since, until = now - KEPT_FOR, now + AHEAD
    key = (site.base_url(request), category)
    async with site.reading(request) as uow:
        version = await WorkshopRepository(uow.session).window_version(since, until, category)
        body = request.app[FEEDS].get(key, version)
        if body is None:
            found = await calendar_workshops(uow, since, until, category)
    if body is None:
        name = site.catalog.text(site.settings.language, "web.feed.name")
        if category is not None:
            name = f"{name} – {site.department_name(category)}"
        body = await asyncio.to_thread(calendar_body, site, key[0], found, name, subscribed=True)
        request.app[FEEDS].put(key, version, body)
    return _response(body)


async def workshop_file(request: web.Request) -> web.Response:
    site = site_of(request)
    number = number_in_path(request)
    async with site.reading(request) as uow:
        found = await workshop(uow, number)
    if found is None:
        raise not_found("web.errors.workshop_not_found", number=number)
    body = calendar_body(site, site.base_url(request), [found], found.title, subscribed=False)
    response = _response(body)
    response.headers["Content-Disposition"] = f'attachment; filename="workshop-{number}.ics"'
    return response


def _response(body: bytes) -> web.Response:
    return web.Response(body=body, content_type=CONTENT_TYPE, charset="utf-8")


def calendar_body(
    site: Site, base: str, workshops: list[WorkshopView], name: str, *, subscribed: bool
) -> bytes:
    """The iCalendar text of `workshops`, their pages under `base`."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    if subscribed:
        calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(REFRESH))
    tz = site.settings.timezone
    for item in workshops:
        page = base + workshop_path(item.number)
        event = workshop_event(_as_row(item), item.created_at, tz)
        event.pop("URL", None)
        event.pop("DESCRIPTION", None)
        event.add("url", page)
        details = [item.description or "", item.online_url or "", item.cancel_reason or "", page]
        event.add("description", "\n\n".join(part for part in details if part))
        calendar.add_component(event)
    if workshops:
        calendar.add_missing_timezones()
    else:  # an empty feed still says which zone its future entries will be in
        calendar.add_component(Timezone.from_tzinfo(tz))
    return calendar.to_ical()


def _as_row(item: WorkshopView) -> Workshop:
    """The view as the (unsaved) row the chat's calendar builder takes."""
    return Workshop(
        uid=item.uid,
        sequence=item.sequence,
        title=item.title,
        place=item.place,
        description=item.description,
        online_url=item.online_url,
        starts_at=item.starts_at,
        ends_at=item.ends_at,
        status="cancelled" if item.cancelled else "scheduled",
    )


def add_routes(app: web.Application) -> None:
    app[FEEDS] = FeedCache()
    app.router.add_get("/workshops.ics", feed)
    app.router.add_get(r"/workshops/category/{category:[a-z][a-z0-9_]*}.ics", feed)
    app.router.add_get(f"/workshops/{NUMBER}.ics", workshop_file)
