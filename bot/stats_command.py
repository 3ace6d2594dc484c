"""`smartregion-bot stats`: the weekly figures of the staff digest as CSV or JSON.

Reads the bot's database (upgrading its schema first, as the bot would) and writes the
document to a file or standard output; it runs beside a running bot.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.app import statistics_writer
from bot.clock import SystemClock
from bot.config import Settings
from storage.db import create_engine, create_session_factory, upgrade_schema
from storage.uow import UnitOfWorkFactory


def run_stats(settings: Settings, file_format: str, weeks: int, output: Path | None) -> int:
    """Write the figures of the last `weeks` full weeks to `output`, else standard output."""
    text = asyncio.run(_statistics(settings, file_format, weeks))
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        print(f"Wrote {output}", file=sys.stderr)
    return 0


async def _statistics(settings: Settings, file_format: str, weeks: int) -> str:
    engine = create_engine(settings.database_url)
    try:
        await upgrade_schema(engine)
        async with UnitOfWorkFactory(create_session_factory(engine))() as uow:
            now = SystemClock(settings.timezone).now()
            return await statistics_writer()(uow, settings, now, weeks, file_format)
    finally:
        await engine.dispose()
