"""What the bot says about workshops, in one language: dates written out, cards, notices.

Every word comes from the catalogs (`bot/locales/*/workshops.toml`), weekday and month names
included; this module only chooses the messages and fills them in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.context import Services
from bot.messages import Message, join
from bot.texts import MONTH_KEY, WEEKDAY_KEY, clock
from bot.web.links import public_base, with_page_link, workshop_path
from storage.workshops.models import Workshop, WorkshopNotice
from storage.workshops.repository import CANCELLED, Seats


@dataclass(frozen=True)
class WorkshopTexts:
    """The workshop messages of one language."""

    services: Services
    language: str

    @property
    def tz(self) -> ZoneInfo:
        return self.services.settings.timezone

    def t(self, key: str, **params: Any) -> str:
        return self.services.catalog.text(self.language, key, **params)

    def render(self, key: str, **params: Any) -> Message:
        return self.services.catalog.message(self.language, key, **params)

    # ------------------------------------------------------------------ dates

    def date(self, day: date) -> str:
        """A day written out: Dienstag, 3. Dezember 2026 / Tuesday, 3 December 2026."""
        return self.t(
            "workshops.date",
            weekday=self.t(WEEKDAY_KEY.format(day.weekday())),
            day=day.day,
            month=self.t(MONTH_KEY.format(day.month)),
            year=day.year,
        )

    def when(self, starts_at: datetime, ends_at: datetime) -> str:
        """A time span written out (Dienstag, 3. Dezember 2026, 18:00–20:00 Uhr), local time."""
        start, end = starts_at.astimezone(self.tz), ends_at.astimezone(self.tz)
        if start.date() == end.date():
            return self.t(
                "workshops.when",
                date=self.date(start.date()),
                start=clock(self.language, start),
                end=clock(self.language, end),
            )
        return self.t(
            "workshops.when_multiday",
            date=self.date(start.date()),
            start=clock(self.language, start),
            end_date=self.date(end.date()),
            end=clock(self.language, end),
        )

    def moment(self, at: datetime) -> str:
        """A single moment written out (Dienstag, 3. Dezember 2026, 18:00 Uhr)."""
        local = at.astimezone(self.tz)
        return self.t(
            "workshops.moment", date=self.date(local.date()), time=clock(self.language, local)
        )

    # --------------------------------------------------------------- pieces

    def command(self, german_name: str, number: int | None = None) -> str:
        """A command as this language's speakers type it, e.g. `!register 5`."""
        spec = self.services.commands.find(german_name)
        name = spec.name_in(self.language) if spec else german_name
        text = f"{self.services.settings.command_prefix}{name}"
        return f"{text} {number}" if number is not None else text

    def seats(self, workshop: Workshop, seats: Seats) -> str:
        free = seats.free(workshop.capacity)
        if free is None:
            return self.t("workshops.seats.unlimited", registered=seats.registered)
        if free > 0:
            return self.t("workshops.seats.free", free=free, capacity=workshop.capacity)
        return self.t("workshops.seats.full", capacity=workshop.capacity, waiting=seats.waiting)

    def _where(self, workshop: Workshop) -> list[Message]:
        lines = [self.render("workshops.card.place", place=workshop.place)]
        if workshop.online_url:
            lines.append(self.render("workshops.card.online", url=workshop.online_url))
        return lines

    def repeat_lines(self, workshop: Workshop) -> list[Message]:
        if not workshop.repeat:
            return []
        kind = self.t(f"workshops.repeat.{workshop.repeat}")
        if workshop.repeat_until is None:
            return [self.render("workshops.card.repeats", repeat=kind)]
        until = self.date(workshop.repeat_until)
        return [self.render("workshops.card.repeats_until", repeat=kind, until=until)]

    def _header(self, key: str, workshop: Workshop) -> list[Message]:
        return [
            self.render(key, number=workshop.id, title=workshop.title),
            self.render(
                "workshops.card.when", when=self.when(workshop.starts_at, workshop.ends_at)
            ),
            *self._where(workshop),
        ]

    # ---------------------------------------------------------------- cards

    def announcement(self, workshop: Workshop, seats: Seats) -> Message:
        """The announcement posted in the announcement rooms."""
        parts = self._header("workshops.card.announcement", workshop)
        if workshop.description:
            parts.append(self.render("workshops.card.description", text=workshop.description))
        parts += self.repeat_lines(workshop)
        parts.append(self.render("workshops.card.seats", seats=self.seats(workshop, seats)))
        parts.append(
            self.render(
                "workshops.card.how_to_register",
                register=self.command("anmelden", workshop.id),
                calendar=self.command("kalender", workshop.id),
            )
        )
        return self.with_link(join(parts), workshop)

    def with_link(self, message: Message, workshop: Workshop) -> Message:
        """`message` with the workshop's public page linked (when the page has an address)."""
        template = self.services.catalog.raw(self.language, "web.chat.workshop_link")
        base = public_base(self.services.settings)
        return with_page_link(message, template, base, workshop_path(workshop.id), self.language)

    def details(self, workshop: Workshop, seats: Seats, own_status: str | None) -> Message:
        """`!workshop N`: everything about one occurrence, and the asker's own status."""
        parts = self._header("workshops.card.details", workshop)
        if workshop.description:
            parts.append(self.render("workshops.card.description", text=workshop.description))
        parts += self.repeat_lines(workshop)
        if workshop.status == CANCELLED:
            parts.append(self.render("workshops.card.cancelled"))
            if workshop.cancel_reason:
                parts.append(self.render("workshops.card.reason", reason=workshop.cancel_reason))
            return join(parts)
        parts.append(self.render("workshops.card.seats", seats=self.seats(workshop, seats)))
        if own_status:
            parts.append(self.render(f"workshops.card.you_{own_status}"))
        parts.append(
            self.render(
                "workshops.card.commands",
                register=self.command("anmelden", workshop.id),
                unregister=self.command("abmelden", workshop.id),
                calendar=self.command("kalender", workshop.id),
            )
        )
        return self.with_link(join(parts), workshop)

    def list_line(self, workshop: Workshop, seats: Seats) -> Message:
        """One line of `!workshops`."""
        return self.render(
            "workshops.list.line",
            number=workshop.id,
            title=workshop.title,
            when=self.when(workshop.starts_at, workshop.ends_at),
            place=workshop.place,
            seats=self.seats(workshop, seats),
        )

    # -------------------------------------------------------------- notices

    def notice(self, notice: WorkshopNotice, workshop: Workshop, seats: Seats) -> Message:
        """A queued notice; room notices and direct messages have their own wording."""
        if notice.kind == "announcement":
            return self.announcement(workshop, seats)
        params = json.loads(notice.params)
        target = "room" if notice.room_id else "direct"
        fields: dict[str, Any] = {
            "number": workshop.id,
            "title": workshop.title,
            "when": self.when(workshop.starts_at, workshop.ends_at),
            "place": workshop.place,
            "register": self.command("anmelden", workshop.id),
            "unregister": self.command("abmelden", workshop.id),
            "calendar": self.command("kalender", workshop.id),
        }
        if "previous_start" in params:
            fields["previous"] = self.when(
                datetime.fromisoformat(params["previous_start"]),
                datetime.fromisoformat(params["previous_end"]),
            )
        if "position" in params:
            fields["position"] = params["position"]
        parts = [self.render(f"workshops.notice.{notice.kind}.{target}", **fields)]
        if notice.kind == "reminder" and workshop.online_url:
            parts.append(self.render("workshops.card.online", url=workshop.online_url))
        if params.get("reason"):
            parts.append(self.render("workshops.card.reason", reason=params["reason"]))
        return join(parts)
