"""HTML from Jinja2 templates with autoescaping, in the visitor's language.

Every text of a page comes from the message catalogs (`web.*` keys in
`bot/locales/<language>/web.toml`), through the `t` filter (`{{ "web.nav.ideas"|t }}`,
`{{ "web.ideas.number"|t(number=idea.number) }}`); user text (ideas, questions, answers)
only ever goes through a template variable, which autoescaping turns into text, never
markup.

The templates are compiled once per language and choice (`?lang=`), each time with filters
for that visitor (`PageFilters`: texts, links, dates). Jinja folds a filter of a constant
when it compiles a template, so a fixed text or link (most of a page's) is looked up and
escaped once, and then is part of the compiled template like its markup; filters of
values are plain calls, cheaper than calling a function of the render context. Only the
language switch asks the request itself (`PageHelpers`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web
from jinja2 import Environment, PackageLoader, StrictUndefined

from bot.config import Settings
from bot.i18n import EASY_LANGUAGE, Catalog
from bot.texts import local_time
from bot.web.language import from_accept_language

BROWSER_LANGUAGES = ("de", "en")
"""What `Accept-Language` can ask for: no language tag means Leichte Sprache."""
LANGUAGES = (*BROWSER_LANGUAGES, EASY_LANGUAGE)
"""What the switch offers (`?lang=`), in the order it lists them."""
HTML_LANGUAGE = {EASY_LANGUAGE: "de"}
"""The BCP 47 tag a page declares (`lang`, `Content-Language`) where it is not the catalog
name: Leichte Sprache is German, so screen readers and translators must treat it as `de`."""


def html_language(language: str) -> str:
    return HTML_LANGUAGE.get(language, language)


class PageError(Exception):
    """A page that cannot be shown: its status and the catalog key explaining why."""

    def __init__(self, status: int, key: str, **params: Any) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.params = params


def bad_request(key: str, **params: Any) -> PageError:
    return PageError(400, key, **params)


def not_found(key: str = "web.errors.not_found", **params: Any) -> PageError:
    return PageError(404, key, **params)


@dataclass(frozen=True)
class Visitor:
    """The language a request is answered in and whether the visitor chose it (`?lang=`),
    in which case every link on the page keeps the choice."""

    language: str
    chosen: bool

    @classmethod
    def of(cls, request: web.Request, default: str) -> Visitor:
        asked = request.query.get("lang")
        if asked is not None:
            if asked not in LANGUAGES:
                # Unknown language: answer the error in the browser's language.
                request[VISITOR] = cls(_browser_language(request, default), False)
                raise bad_request("web.errors.bad_language", value=asked[:20])
            return cls(asked, True)
        return cls(_browser_language(request, default), False)


VISITOR = web.RequestKey("visitor", Visitor)


def _browser_language(request: web.Request, default: str) -> str:
    header = request.headers.get("Accept-Language", "")
    return from_accept_language(header, BROWSER_LANGUAGES, default)


class Renderer:
    """The templates and what they need to write a page in one language."""

    def __init__(self, settings: Settings, catalog: Catalog) -> None:
        self.settings = settings
        self.catalog = catalog
        self._environments: dict[tuple[str, bool], Environment] = {}

    def environment(self, visitor: Visitor) -> Environment:
        """The templates as `visitor` reads them: in their language, with links that keep
        it if they chose it (see the module)."""
        key = (visitor.language, visitor.chosen)
        found = self._environments.get(key)
        if found is None:
            found = Environment(
                loader=PackageLoader("bot.web", "templates"),
                autoescape=True,
                undefined=StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
                # Templates change with a release, which restarts the process: no `stat`
                # of every template a page extends on every request (3 % of its time).
                auto_reload=False,
            )
            filters = PageFilters(self.settings, self.catalog, visitor)
            found.filters.update({name: getattr(filters, name) for name in FILTERS})
            self._environments[key] = found
        return found

    def page(
        self, request: web.Request, template: str, *, http_status: int = 200, **values: Any
    ) -> web.Response:
        visitor: Visitor = request[VISITOR]
        html = (
            self.environment(visitor)
            .get_template(template)
            .render(
                lang=html_language(visitor.language),
                choice=visitor.language,
                h=PageHelpers(request, visitor),
                **values,
            )
        )
        response = web.Response(text=html, status=http_status, content_type="text/html")
        response.headers["Content-Language"] = html_language(visitor.language)
        if not visitor.chosen:
            response.headers["Vary"] = "Accept-Language"
        return response

    def error(self, request: web.Request, error: PageError) -> web.Response:
        visitor = request.get(VISITOR) or Visitor(self.settings.language, False)
        request[VISITOR] = visitor
        return self.page(
            request,
            "error.html",
            http_status=error.status,
            title_key=f"web.errors.title_{error.status}",
            message=self.catalog.text(visitor.language, error.key, **error.params),
        )


FILTERS = ("t", "url", "date", "datetime", "iso", "category", "status", "html_language")


class PageFilters:
    """The filters templates write with (`FILTERS`): texts, links that keep the language,
    dates, labels. They depend on the visitor's language and choice only, never on the
    request, so that Jinja can fold them where their argument is a constant."""

    def __init__(self, settings: Settings, catalog: Catalog, visitor: Visitor) -> None:
        self._settings = settings
        self._catalog = catalog
        self._chosen = visitor.chosen
        self.language = visitor.language
        self.tz: ZoneInfo = settings.timezone

    def t(self, key: str, **params: Any) -> str:
        """The text `key`; `{p}` in it is the command prefix, as chat commands are typed."""
        return self._catalog.text(self.language, key, p=self._settings.command_prefix, **params)

    def url(self, path: str, **params: Any) -> str:
        """A link to `path` with `params` (None values left out) and the chosen language."""
        query = {k: v for k, v in params.items() if v is not None}
        if self._chosen:
            query["lang"] = self.language
        return path + ("?" + urlencode(query) if query else "")

    def html_language(self, language: str) -> str:
        return html_language(language)

    def date(self, moment: datetime) -> str:
        return self._moment("web.date_format", moment)

    def datetime(self, moment: datetime) -> str:
        return self._moment("web.datetime_format", moment)

    def _moment(self, pattern_key: str, moment: datetime) -> str:
        """A `strftime` pattern in de/en; "Dienstag, 3. Dezember 2026, 18 Uhr" in leicht."""
        return local_time(self._catalog, self.language, pattern_key, moment, self.tz)

    def iso(self, moment: datetime) -> str:
        return moment.astimezone(self.tz).isoformat(timespec="minutes")

    def category(self, category: str | None) -> str:
        department = self._settings.department(category) if category else None
        return department.name if department is not None else self.t("ideas.no_category")

    def status(self, status: str) -> str:
        if status == "merged":
            return self.t("web.ideas.merged_status")
        return self.t(f"ideas.statuses.{status}")


class PageHelpers:
    """What templates ask of the request itself (`h`): the visitor, the language switch."""

    def __init__(self, request: web.Request, visitor: Visitor) -> None:
        self._request = request
        self.visitor = visitor

    def switch(self, language: str) -> str:
        """This page in `language`: the same address with `lang` replaced."""
        query = {k: v for k, v in self._request.query.items() if k != "lang"}
        query["lang"] = language
        return self._request.path + "?" + urlencode(query)

    @property
    def languages(self) -> tuple[str, ...]:
        """Every language the switch lists; the page's own is marked, not linked."""
        return LANGUAGES
