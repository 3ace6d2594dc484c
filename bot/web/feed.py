"""The workshop calendar: a subscribable feed (all, or one category) and one file each.

Built with the `icalendar` library on the same VEVENT as the chat's `!kalender` file: a
UID that never changes, SEQUENCE raised by every move, cancelled workshops kept with
STATUS:CANCELLED (so subscribed calendars remove them), a VTIMEZONE for the bot's zone.
The page's address is in URL and in DESCRIPTION (many apps show only the description).
DTSTAMP is the workshop's creation, so an unchanged feed is byte for byte the same and
answers 304.
"""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web
from icalendar import Calendar, vDuration

from bot.web.links import workshop_path
from bot.web.rendering import bad_request, not_found
from bot.web.site import NUMBER, Site, number_in_path, site_of
from bot.web.views import WorkshopView, calendar_workshops, workshop
from handlers.workshops.calendar import CONTENT_TYPE, PRODUCT_ID, workshop_event
from storage.workshops.models import Workshop

KEPT_FOR = timedelta(days=30)
"""How long past workshops stay in the feed, so calendars keep recent entries."""
REFRESH = timedelta(hours=1)


async def feed(request: web.Request) -> web.Response:
    site = site_of(request)
    category = request.match_info.get("category")
    if category is not None and site.settings.department(category) is None:
        raise bad_request("web.errors.bad_category", value=category[:40])
    async with site.unit_of_work() as uow:
        found = await calendar_workshops(uow, site.clock.now() - KEPT_FOR, category)
    name = site.catalog.text(site.settings.language, "web.feed.name")
    if category is not None:
        name = f"{name} – {site.department_name(category)}"
    return _calendar(request, site, found, name, subscribed=True)


async def workshop_file(request: web.Request) -> web.Response:
    site = site_of(request)
    number = number_in_path(request)
    async with site.unit_of_work() as uow:
        found = await workshop(uow, number)
    if found is None:
        raise not_found("web.errors.workshop_not_found", number=number)
    response = _calendar(request, site, [found], found.title, subscribed=False)
    response.headers["Content-Disposition"] = f'attachment; filename="workshop-{number}.ics"'
    return response


def _calendar(
    request: web.Request,
    site: Site,
    workshops: list[WorkshopView],
    name: str,
    *,
    subscribed: bool,
) -> web.Response:
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
    base = site.base_url(request)
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
    calendar.add_missing_timezones()
    return web.Response(body=calendar.to_ical(), content_type=CONTENT_TYPE, charset="utf-8")


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
    app.router.add_get("/workshops.ics", feed)
    app.router.add_get(r"/workshops/category/{category:[a-z][a-z0-9_]*}.ics", feed)
    app.router.add_get(f"/workshops/{NUMBER}.ics", workshop_file)
