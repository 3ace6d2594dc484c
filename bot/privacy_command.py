"""`smartregion-bot privacy export|delete <matrix-id>`: data requests that arrive in writing.

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

from bot.adapters.matrix.identity import PLATFORM, parse_user_id
from bot.app import capabilities
from bot.clock import SystemClock
from bot.config import ConfigError, Settings
from bot.i18n import Catalog
from bot.personal_data import Erasure, controller, erase, export_file, personal_data
from storage.db import create_engine, create_session_factory, upgrade_schema
from storage.privacy.personal_data import Someone
from storage.uow import UnitOfWork, UnitOfWorkFactory

T = TypeVar("T")


def run_privacy(
    action: str,
    matrix_id: str,
    env_file: Path | None,
    output: Path | None = None,
    confirmed: bool = False,
    ask: Callable[[str], str] = input,
) -> int:
    """Export or erase the person's data; the exit code (2: bad input or settings)."""
    if parse_user_id(matrix_id) is None:
        print(f"{matrix_id!r} is not a Matrix id like @name:server.", file=sys.stderr)
        return 2
    try:
        settings = Settings.from_env(env_file=env_file)
    except ConfigError as error:
        print("The settings have problems:", file=sys.stderr)
        for problem in error.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    person = Someone(PLATFORM, matrix_id)
    if action == "export":
        path = asyncio.run(_export(settings, person, output))
        print(f"Wrote {path}")
        return 0
    if not confirmed and ask(f"Erase everything stored about {matrix_id}? [y/N] ").strip() != "y":
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
