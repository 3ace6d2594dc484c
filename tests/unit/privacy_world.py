"""A small town where one citizen, one staff member and one expert have used every feature.

Shared by the erasure tests (unit, and storage on SQLite and PostgreSQL): after someone's
erasure, `traces_of` walks every table of the schema looking for their id and names.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import String, Text, select

from bot.app import HANDLER_MODULES
from bot.context import Actor, IncomingMessage, Place
from storage.schema import metadata
from tests.integration.question_support import write_departments
from tests.unit.fakes import FakeBot, Sent, make_fake_bot

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=TZ)
BERND, ALICE = "@bernd:localhost", "@alice:localhost"
SABINE, MARIA, TOM = "@sabine:localhost", "@maria:localhost", "@tom:localhost"
NAMES = {BERND: "bernd", ALICE: "alice", SABINE: "sabine", MARIA: "Maria Fachfrau", TOM: "tom"}
FORUM, BERND_DM = "!forum:localhost", "!direct-b:localhost"
DIGITAL, MOBILITY, OTHER = "!dig:localhost", "!mob:localhost", "!other:localhost"
IDEAS_ROOM, STAFF_ROOM, ANNOUNCE = "!ideas:localhost", "!staff:localhost", "!announce:localhost"
GLASFASER = "Wann kommt Glasfaser nach Rimpar?"
BAYERNID = "Wie beantrage ich die BayernID für das Bürgerbüro?"

_thread_events = itertools.count()


async def town(tmp_path: Path, **env: str) -> FakeBot:
    """The bot with every feature, departments, an ideas room and announcement rooms."""
    departments = write_departments(tmp_path, {"digitales": DIGITAL, "mobilitaet": MOBILITY}, OTHER)
    bot = await make_fake_bot(
        tmp_path,
        HANDLER_MODULES,
        BOT_DEPARTMENTS_FILE=str(departments),
        BOT_STAFF_ROOM=STAFF_ROOM,
        BOT_STAFF_USERS=SABINE,
        BOT_IDEAS_ROOM=IDEAS_ROOM,
        BOT_ANNOUNCE_ROOMS=ANNOUNCE,
        **env,
    )
    bot.adapter.members |= {(DIGITAL, MARIA), (MOBILITY, TOM), (FORUM, BERND), (FORUM, ALICE)}
    bot.services.clock.set(NOW)
    for hook in bot.services.commands.start_hooks:
        await hook(bot.services)
    return bot


async def say(bot: FakeBot, user: str, text: str, room: str = FORUM, direct: bool = False) -> str:
    """`user` (with their display name) writes `text`; returns the bot's answers as text."""
    before = len(bot.adapter.sent)
    await bot.router.handle(
        IncomingMessage(
            f"$w{next(_thread_events)}",
            Actor("matrix", user, NAMES[user]),
            Place(room, direct),
            text,
        )
    )
    return "\n".join(sent.message.body for sent in bot.adapter.sent[before:])


async def in_thread(bot: FakeBot, user: str, room: str, root: str, text: str) -> None:
    """`user` writes in the thread of `root`, as Element sends it."""
    await bot.router.handle(
        IncomingMessage(
            f"$w{next(_thread_events)}",
            Actor("matrix", user, NAMES[user]),
            Place(room, False),
            text,
            reply_to=root,
            thread_root=root,
        )
    )


def roots_in(bot: FakeBot, room: str) -> list[Sent]:
    return [s for s in bot.adapter.sent if s.room_id == room and s.thread_root is None]


async def everything_happened(bot: FakeBot) -> None:
    """Bernd, Sabine (staff) and Maria (expert) use every feature; Alice builds on Bernd."""
    await say(bot, BERND, "hallo", room=BERND_DM, direct=True)
    await say(bot, BERND, "!sprache en")
    await say(bot, BERND, "!idee Mehr Bänke am Mainufer mit Blick aufs Wasser")  # 1, supported
    await say(bot, BERND, "!idee Ein Trinkbrunnen auf dem Marktplatz wäre schön")  # 2, alone
    await say(bot, ALICE, "!idee Mehr Radständer am Hauptbahnhof aufstellen")  # 3
    await say(bot, ALICE, "!unterstuetzen 1")
    await say(bot, BERND, "!unterstuetzen 3")
    await say(bot, BERND, "!melden 3 doppelt gemeldet")
    await say(bot, SABINE, "!status 1 pruefung Wir schauen es uns an", room=STAFF_ROOM)

    await say(bot, SABINE, '!umfrage "Welches Thema?" "Verkehr" "Bildung" --dauer 2h')  # 1 open
    await say(bot, SABINE, '!umfrage "Welcher Tag?" "Montag" "Dienstag" --dauer 2h')  # 2 closed
    await say(bot, SABINE, '!umfrage "Geheim offen?" "Ja" "Nein" --geheim --dauer 2h')  # 3
    await say(bot, SABINE, '!umfrage "Geheim zu?" "Ja" "Nein" --geheim --dauer 2h')  # 4
    for user in (BERND, ALICE):
        await say(bot, user, "!abstimmen 1 2")
        await say(bot, user, "!abstimmen 2 1")
    await say(bot, BERND, "!abstimmen 3 1", room=BERND_DM, direct=True)
    await say(bot, BERND, "!abstimmen 4 2", room=BERND_DM, direct=True)
    await say(bot, SABINE, "!umfrage-ende 2")
    await say(bot, SABINE, "!umfrage-ende 4")

    await say(
        bot, SABINE, '!workshop neu "Digitale Sprechstunde" 03.12.2026 18:00 "Rathaus" --plaetze 1'
    )
    await say(bot, BERND, "!anmelden 1")
    await say(bot, ALICE, "!anmelden 1")  # on the waitlist

    await say(bot, BERND, f"!frage {GLASFASER}")  # 1, answered
    await in_thread(bot, MARIA, DIGITAL, roots_in(bot, DIGITAL)[-1].event_id, "Im Frühjahr 2027.")
    await say(bot, BERND, "!nachfrage 1 Danke, und in welchem Ortsteil zuerst?")
    await say(bot, BERND, f"!frage --oeffentlich #digitales {BAYERNID}")  # 2, public, forwarded
    await in_thread(
        bot, MARIA, DIGITAL, roots_in(bot, DIGITAL)[-1].event_id, "!weiterleiten mobilitaet"
    )
    await say(bot, ALICE, f"!frage {GLASFASER} Und in Versbach?")  # 3, Maria answers, closes
    await in_thread(bot, MARIA, DIGITAL, roots_in(bot, DIGITAL)[-1].event_id, "Auch 2027.")
    await in_thread(bot, MARIA, DIGITAL, roots_in(bot, DIGITAL)[-1].event_id, "!erledigt")
    await say(bot, SABINE, f"!sperren {ALICE} 1d Test")


async def traces_of(bot: FakeBot, needles: set[str]) -> list[tuple[str, str, str]]:
    """Every (table, column, value) of the whole schema whose text contains a needle."""
    folded = {needle.casefold() for needle in needles}
    found = []
    async with bot.services.unit_of_work() as uow:
        for table in metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text)]
            for row in await uow.session.execute(select(*columns)) if columns else []:
                for column, value in zip(columns, row, strict=True):
                    if value and any(needle in value.casefold() for needle in folded):
                        found.append((table.name, column.name, value))
    return found
