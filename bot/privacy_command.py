"""`smartregion-bot privacy export|delete <person>`: data requests that arrive in writing.

The person is a Matrix id (`@name:server`) or a Discord user id written `discord:<id>` (the
id from "Copy User ID" in Discord; `--platform discord` with the bare id does the same): a
Discord identity and a Matrix identity are separate people to the bot.

Staff answering a letter or an e-mail (Art. 15 and 17 DSGVO) get the same JSON file the
person would get with `!meinedaten`, and the same erasure as `!datenloeschen bestaetigen`,
straight from the bot's database. The erasure cannot edit chat messages (idea cards,
thread roots); docs/privacy.md says what that means.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from bot.adapters.discord import identity as discord_identity
from bot.adapters.matrix import identity as matrix_identity
from bot.app import capabilities
from bot.clock import SystemClock
from bot.config import ConfigError, Settings
from bot.i18n import Catalog
from bot.personal_data import Erasure, controller, erase, export_file, personal_data
from storage.db import create_engine, create_session_factory, upgrade_schema
from storage.privacy.personal_data import Someone
from storage.uow import UnitOfWork, UnitOfWorkFactory

T = TypeVar("T")


PERSON_FORMS = "a Matrix id like @name:server or a Discord user id like discord:123456789012345678"


def parse_person(text: str, platform: str | None = None) -> Someone | None:
    """The person named on the command line, or None. Without `platform`, `discord:<id>`
    is a Discord user and anything else a Matrix id; with it, `text` is that platform's
    id (a Discord id bare or as a mention `<@id>`)."""
    if platform is None and text.startswith(f"{discord_identity.PLATFORM}:"):
        platform, text = discord_identity.PLATFORM, text.split(":", 1)[1]
    if platform == discord_identity.PLATFORM:
        user = discord_identity.parse_user_id(text)
        return Someone(platform, user) if user and discord_identity.is_snowflake(user) else None
    if platform in (None, matrix_identity.PLATFORM):
        user = matrix_identity.parse_user_id(text)
        return Someone(matrix_identity.PLATFORM, user) if user is not None else None
    return None


def run_privacy(
    action: str,
    person_id: str,
    env_file: Path | None,
    output: Path | None = None,
    confirmed: bool = False,
    ask: Callable[[str], str] = input,
    platform: str | None = None,
) -> int:
    """Export or erase the person's data; the exit code (2: bad input or settings)."""
    person = parse_person(person_id, platform)
    if person is None:
        on = f"a {platform} user id" if platform else PERSON_FORMS
        print(f"{person_id!r} is not {on}.", file=sys.stderr)
        return 2
    try:
        settings = Settings.from_env(env_file=env_file)
    except ConfigError as error:
        print("The settings have problems:", file=sys.stderr)
        for problem in error.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    if action == "export":
        path = asyncio.run(_export(settings, person, output))
        print(f"Wrote {path}")
        return 0
    who = f"{person.platform} user {person.id}"
    if not confirmed and ask(f"Erase everything stored about {who}? [y/N] ").strip() != "y":
        print("Nothing was erased.")
        return 1
    done = asyncio.run(_run(settings, lambda uow: _erase(settings, person, uow)))
    counts = done.counts
    print(
        f"Erased: {counts['ideas_deleted']} ideas deleted, {counts['ideas_kept']} kept "
        f"anonymised; {counts['questions_deleted']} questions deleted, "
        f"{counts['questions_kept']} kept anonymised; {counts['votes']} votes; "
        f"{counts['registrations']} workshop registrations."
    )
    if counts["blocks_kept"]:
        print("An active block stays until it ends.")
    print("Chat messages (idea cards, question threads) are not edited from here.")
    return 0


async def _export(settings: Settings, person: Someone, output: Path | None) -> Path:
    now = SystemClock(settings.timezone).now()
    catalog = Catalog.load(default=settings.language)
    language = settings.language

    async def build(uow: UnitOfWork) -> dict[str, Any]:
        return await personal_data(
            uow,
            capabilities(),
            person,
            now=now,
            tz=settings.timezone,
            controller=controller(settings, catalog, language),
            explain=lambda key: catalog.text(language, key),
        )

    upload = export_file(await _run(settings, build), now)
    safe_id = re.sub(r"[^A-Za-z0-9._-]", "_", person.id.lstrip("@"))
    if person.platform != matrix_identity.PLATFORM:
        safe_id = f"{person.platform}-{safe_id}"
    path = output or Path(f"personal-data-{safe_id}-{now:%Y%m%d-%H%M}.json")
    path.write_bytes(upload.data)
    return path


async def _erase(settings: Settings, person: Someone, uow: UnitOfWork) -> Erasure:
    catalog = Catalog.load(default=settings.language)
    label = catalog.text(settings.language, "privacy.erased_person")
    now = SystemClock(settings.timezone).now()
    done = await erase(uow, capabilities(), person, now=now, label=label)
    await uow.commit()
    return done


async def _run(settings: Settings, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """`work` in one unit of work on the bot's database (upgraded first, as the bot does)."""
    engine = create_engine(settings.database_url)
    try:
        await upgrade_schema(engine)
        async with UnitOfWorkFactory(create_session_factory(engine))() as uow:
            return await work(uow)
    finally:
        await engine.dispose()
