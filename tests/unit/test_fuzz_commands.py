"""Random and adversarial commands against the parser and every handler (hypothesis).

Thousands of commands made of real command names (German and English), valid-looking
reference numbers, options in odd places and nasty text (RTL and zero-width characters,
combining marks, emoji, control characters, NUL, HTML, markdown links, unbalanced quotes of
every kind, huge and negative numbers, very long strings) go through the argument parser and
through the router into the handlers, as a citizen and as staff. For every command:

- nothing crashes: no reply is the internal-error apology and nothing is logged as an error;
- every HTML the bot sends holds only the tags the renderer makes (<strong>, <br>), so user
  text is always escaped;
- a refused command (usage error, missing permission, rate limit) stores nothing: the row
  counts of every table stay as they were (processed events and people aside, which every
  command may touch).

Each test owns an event loop, so hypothesis drives a synchronous function; the examples
actually run are counted and checked at the end (the counts are asserted, not hoped for).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.adapters.matrix.render import matrix_html
from bot.app import HANDLER_MODULES
from bot.arguments import Number, Text, Word, parse_arguments
from bot.context import Actor, Context, IncomingMessage, Place
from bot.errors import UsageError
from bot.i18n import Catalog
from bot.messages import Message, render
from bot.router import CommandRegistry, Router
from storage import schema
from tests.integration.question_support import write_departments
from tests.unit.fakes import FakeBot, make_fake_bot

PARSER_EXAMPLES = 5_000
HANDLER_EXAMPLES = 2_500
"""Per role (citizen, staff): with the parser examples, 10,000 commands a run."""

STAFF = "@sabine:localhost"
CITIZEN = "@bernd:localhost"
EXPERT = "@maria:localhost"
FORUM, STAFF_ROOM, IDEAS_ROOM = "!forum:localhost", "!staff:localhost", "!ideas:localhost"
ANNOUNCE_ROOM = "!announce:localhost"
DIGITAL, MOBILITY, OTHER = "!dig:localhost", "!mob:localhost", "!other:localhost"
UNCOUNTED_TABLES = {"processed_events", "people", "privacy_introductions"}
"""Bookkeeping any message may touch: handled events, known people, the DM introduction."""

REGISTRY = CommandRegistry.from_modules(HANDLER_MODULES)
CATALOG = Catalog.load()
COMMAND_NAMES = sorted({name for spec in REGISTRY.specs for name in spec.names})
OPTION_NAMES = sorted(
    {name for spec in REGISTRY.specs for option in spec.options for name in option.names}
)
INTERNAL_APOLOGIES = {CATALOG.text(language, "errors.internal") for language in CATALOG.languages}
RENDERER_TAGS = re.compile(r"</?strong>|<br>")
ENTITIES = re.compile(r"&(?:amp|lt|gt|quot|#x27);")

# ------------------------------------------------------------------ what to throw

WORDS = [
    # sub-actions, views, filters, statuses, kinds, formats, languages, confirmations
    *("neu", "new", "anlegen", "add", "absagen", "cancel", "verschieben", "move"),
    *("top", "meine", "mine", "seite", "page", "offen", "open", "überfällig", "overdue"),
    *("angenommen", "accepted", "abgelehnt", "prüfung", "umgesetzt", "done", "status"),
    *("ideen", "ideas", "umfragen", "polls", "workshops", "csv", "json", "xml"),
    *("de", "en", "deutsch", "english", "fr", "bestaetigen", "confirm", "ja"),
    *("woechentlich", "wöchentlich", "weekly", "monatlich", "monthly", "täglich"),
    *("#digitales", "#mobilitaet", "#nichtda", "digitales", "mobilitaet", "#", "##"),
]
IDS = [
    *("1", "#1", "2", "#2", "3", "#3", "4", "5", "0", "#0", "-1", "+1", "1.0", "1,3", "1 2"),
    *("999999999", "#999999999", "1000000000", "4294967296", "9223372036854775808"),
    *("１", "٣", "²", "Ⅻ", "1e9", "0x10", "NaN", "inf", "-0", "#-5", "#١"),
    "9" * 5000,
]
MOMENTS = [
    *("03.12.2026 18:00", "3.12. 18 Uhr", "2026-12-03T18:00", "morgen 18:00", "heute 23:59"),
    *("Freitag 9:30", "tomorrow 6pm", "18:00", "31.12.9999 23:59", "9999-12-31T23:59"),
    *("01.01.2036 10:00", "2126-01-01 10:00", "29.02. 10:00", "30.02.2027 10:00"),
    *("00.00.0000 00:00", "99.99.99 99:99", "0001-01-01 00:00", "13 pm", "25:61"),
]
DURATIONS = [
    *("2h", "90m", "1d", "1h30m", "1,5h", "2 Stunden", "100000h", "0m", "-2h", "1e9h"),
    *("99999999999999999999w", "9" * 400 + "d", "3650d", "3651d", "7d", "8d", "1.5.5h"),
]
USERS = [CITIZEN, STAFF, EXPERT, "@x:y", "@<script>:x", "bernd", "@", "@a:b:c", "@ä:x"]
NASTY = [
    *("<script>alert(1)</script>", "<b>fett</b>", "<br>", "</strong>", "&", "&amp;", "&lt;"),
    *("[klick](https://evil.example)", "**fett**", "__x__", "`code`", "> zitat", "{number}"),
    *("{0}", "{", "}", "%s", "%(x)s", "\\", "\\n", "'; DROP TABLE ideas; --", "${x}"),
    *("\u202eevil\u202c", "\u200b", "\u200d", "\ufeff", "\u2066x\u2069", "e\u0301\u0302\u0303"),
    *("👍", "👍🏽", "✅", "✅\ufe0f", "🇩🇪", "👩‍👩‍👧", "\u0000", "\x07", "\x1b[31m", "\r", "\x7f"),
    *("\u0085", "\u2028", "\u2029", "ﷺ", "𒐫", "Z̴̡̛a̷l̸g̶o̵", "שלום", "مرحبا"),
]
QUOTES = ['"', "„", "“", "”", "«", "»", "'", "‚", "‘", "’", "‹", "›", "「", "」"]
DASHES = ["--", "—", "–", "-", "---"]
LENGTHS = [39, 40, 41, 199, 200, 201, 339, 340, 341, 499, 500, 501, 1999, 2000, 2001, 2101]
SEPARATORS = [" ", " ", " ", "  ", "\n", "\t", " \u00a0 ", "\u3000"]

any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=24)
fragment = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(IDS),
    st.sampled_from(MOMENTS),
    st.sampled_from(DURATIONS),
    st.sampled_from(USERS),
    st.sampled_from(NASTY),
    st.sampled_from(QUOTES),
    st.integers(-(10**30), 10**30).map(str),
    any_text,
    st.tuples(st.sampled_from(QUOTES), any_text, st.sampled_from([*QUOTES, ""])).map("".join),
    st.tuples(st.sampled_from(DASHES), st.sampled_from([*OPTION_NAMES, "x", ""])).map("".join),
    st.tuples(st.sampled_from(LENGTHS), st.sampled_from(["x", "ä", "<", "👍", "e\u0301"])).map(
        lambda pair: pair[1] * pair[0]
    ),
)
arguments = st.lists(st.tuples(st.sampled_from(SEPARATORS), fragment).map("".join), max_size=7).map(
    "".join
)
command_name = st.one_of(
    st.sampled_from(COMMAND_NAMES),
    st.sampled_from(COMMAND_NAMES).map(str.upper),
    st.sampled_from(COMMAND_NAMES).map(lambda name: name[:-1]),
    any_text,
)
message_text = st.tuples(
    st.sampled_from(["!", "!", "!", "!", "", " !", "!!", "! "]), command_name, arguments
).map("".join)


# ------------------------------------------------------------------------- parser


def test_the_parser_accepts_or_refuses_every_input_within_the_declared_limits():
    specs = REGISTRY.specs
    ran = itertools.count(1)
    last = 0

    @settings(
        max_examples=PARSER_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(spec_index=st.integers(0, len(specs) - 1), raw=arguments)
    def parse(spec_index: int, raw: str) -> None:
        nonlocal last
        last = next(ran)
        spec = specs[spec_index]
        try:
            values = parse_arguments(raw, spec.params, spec.options)
        except UsageError as error:
            for language in CATALOG.languages:  # the refusal renders, escaped, in every language
                _assert_safe_html(
                    matrix_html(render(CATALOG.raw(language, error.key), **error.params))
                )
            return
        for param in spec.params:
            _assert_within_limits(param, values[param.name])

    parse()
    assert last >= PARSER_EXAMPLES, f"only {last} parser examples ran"


def _assert_within_limits(param: Any, value: Any) -> None:
    if value is None:
        assert param.optional, param.name
    elif isinstance(param, Number):
        assert 1 <= value <= 999_999_999
    elif isinstance(param, Word):
        assert 1 <= len(value) <= param.max_length
    elif isinstance(param, Text):
        assert param.min_length <= len(value) <= param.max_length


# ------------------------------------------------------------------------ handlers


class Fuzzer:
    """A bot with some of everything stored, and the checks made after every command."""

    def __init__(self, bot: FakeBot, refusals: list[str]) -> None:
        self.bot = bot
        self.refusals = refusals
        self.errors: list[logging.LogRecord] = []
        self.ran = 0
        self.thread_roots: list[str] = []
        self._events = itertools.count()
        self._counts: dict[str, int] = {}
        tables = [t for t in schema.metadata.sorted_tables if t.name not in UNCOUNTED_TABLES]
        self._count_all = select(
            *(select(func.count()).select_from(t).scalar_subquery().label(t.name) for t in tables)
        )

    async def prepare(self) -> None:
        """Start the bot as the app does and store an idea, polls, a workshop, a question."""
        services = self.bot.services
        for hook in services.commands.start_hooks:
            await hook(services)
        await services.scheduler.run_due()
        for user, text in (
            (CITIZEN, "!idee Mehr Bänke am Mainufer, bitte mit Schatten"),
            (STAFF, '!umfrage "Welches Thema?" "Verkehr" "Bildung" "Kultur" --dauer 2d'),
            (STAFF, '!umfrage --geheim "Geheime Wahl?" "Ja" "Nein"'),
            (STAFF, '!workshop neu "Sprechstunde" morgen 18:00 "Rathaus" --plaetze 1'),
            (CITIZEN, "!frage Wann kommt Glasfaser nach Rimpar?"),
        ):
            replies = await self.bot.say(user, text, room=FORUM)
            assert replies and not self.refusals, (text, replies)
        await services.scheduler.run_due()
        self.thread_roots = [
            sent.event_id
            for sent in self.bot.adapter.sent
            if sent.room_id in (DIGITAL, MOBILITY, OTHER) and sent.thread_root is None
        ]
        assert self.thread_roots, "the question was not routed"
        self._counts = await self._table_counts()

    async def exercise(self, user: str, text: str, place: Place, in_thread: bool) -> None:
        """Send one command and check what the bot did with it."""
        self.ran += 1
        self.refusals.clear()
        self.errors.clear()
        adapter = self.bot.adapter
        before = len(adapter.sent)
        await self.bot.router.handle(
            IncomingMessage(
                f"$fuzz{next(self._events)}",
                Actor("matrix", user, user[1:].split(":")[0]),
                place,
                text,
                thread_root=self.thread_roots[0] if in_thread else None,
            )
        )
        sent = adapter.sent[before:]
        for message in (s.message for s in sent):
            assert message.body not in INTERNAL_APOLOGIES, text
            _assert_safe_html(matrix_html(message))
        assert not self.errors, (text, [r.getMessage() for r in self.errors])
        counts = await self._table_counts()
        if self.refusals:
            changed = {k: (self._counts[k], v) for k, v in counts.items() if self._counts[k] != v}
            assert not changed, (text, self.refusals, changed)
        self._counts = counts
        self.bot.services.clock.advance(timedelta(minutes=3))
        if await self.bot.services.scheduler.run_due():
            for message in (s.message for s in adapter.sent[before + len(sent) :]):
                _assert_safe_html(matrix_html(message))
            self._counts = await self._table_counts()

    async def _table_counts(self) -> dict[str, int]:
        async with self.bot.services.unit_of_work() as uow:
            row = (await uow.session.execute(self._count_all)).one()
        return dict(row._mapping)


def _assert_safe_html(html: str) -> None:
    """Only the renderer's own tags and entities; any `<`, `>` or `&` from text is escaped."""
    rest = ENTITIES.sub("", RENDERER_TAGS.sub("", html))
    assert not {"<", ">", "&"} & set(rest), html[:300]


class _ErrorLog(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(logging.ERROR)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def _fuzzer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Fuzzer, Any]]:
    """A prepared Fuzzer on a database in memory-backed storage, with its own event loop."""
    refusals: list[str] = []
    original_reply, original_usage = Context.reply, Router.usage_message

    async def recording_reply(ctx: Context, key: str, **params: Any) -> str:
        if key.startswith("errors.") or ".errors." in key:
            refusals.append(key)
        return await original_reply(ctx, key, **params)

    def recording_usage(router: Router, ctx: Context, spec: Any, error: UsageError) -> Message:
        refusals.append(error.key)
        return original_usage(router, ctx, spec, error)

    monkeypatch.setattr(Context, "reply", recording_reply)
    monkeypatch.setattr(Router, "usage_message", recording_usage)
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else tmp_path) as directory:
        loop = asyncio.new_event_loop()
        departments = write_departments(
            tmp_path, {"digitales": DIGITAL, "mobilitaet": MOBILITY}, OTHER
        )
        bot = loop.run_until_complete(
            make_fake_bot(
                Path(directory),
                HANDLER_MODULES,
                BOT_STAFF_USERS=STAFF,
                BOT_STAFF_ROOM=STAFF_ROOM,
                BOT_IDEAS_ROOM=IDEAS_ROOM,
                BOT_ANNOUNCE_ROOMS=ANNOUNCE_ROOM,
                BOT_DEPARTMENTS_FILE=str(departments),
            )
        )
        bot.adapter.members |= {(FORUM, CITIZEN), (FORUM, STAFF), (DIGITAL, EXPERT)}
        fuzzer = Fuzzer(bot, refusals)
        handler = _ErrorLog(fuzzer.errors)
        logging.getLogger().addHandler(handler)
        try:
            loop.run_until_complete(fuzzer.prepare())
            yield fuzzer, loop
        finally:
            logging.getLogger().removeHandler(handler)
            loop.run_until_complete(_dispose(bot))
            loop.close()


async def _dispose(bot: FakeBot) -> None:
    async with bot.services.unit_of_work() as uow:
        engine = uow.session.bind
    await engine.dispose()


PLACES = st.sampled_from(
    [Place(FORUM, False), Place(f"!dm-{CITIZEN}", True), Place(STAFF_ROOM, False)]
)


@pytest.mark.parametrize("user", [CITIZEN, STAFF], ids=["citizen", "staff"])
def test_no_command_crashes_leaks_html_or_stores_a_refusal(tmp_path, monkeypatch, user):
    with _fuzzer(tmp_path, monkeypatch) as (fuzzer, loop):

        @settings(
            max_examples=HANDLER_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(text=message_text, place=PLACES, in_thread=st.booleans())
        def send(text: str, place: Place, in_thread: bool) -> None:
            loop.run_until_complete(fuzzer.exercise(user, text, place, in_thread))

        send()
        assert fuzzer.ran >= HANDLER_EXAMPLES, f"only {fuzzer.ran} commands ran"
