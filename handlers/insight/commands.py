"""`!statistik [Wochen]` (`!stats`): the staff report on demand, with its chart.

The same figures and chart as the weekly digest, for the last full week or, with a number,
the last N full weeks compared with the N weeks before. Nothing is stored.
"""

from __future__ import annotations

from bot.arguments import Word
from bot.context import Context, Role
from bot.errors import UsageError
from bot.router import command, rate_limited, requires
from handlers.insight.figures import MAX_WEEKS
from handlers.insight.report import compose, latest


def parse_weeks(word: str | None) -> int:
    """1 without a word; else a whole number from 1 to MAX_WEEKS, or a usage error."""
    if word is None:
        return 1
    text = word.strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_WEEKS:
        raise UsageError("insight.bad_weeks", value=word[:40], most=MAX_WEEKS)
    return int(text)


@rate_limited(per_hour=20)
@command("statistik", "stats", Word("weeks", optional=True))
@requires(Role.STAFF)
async def statistics(ctx: Context, weeks: str | None) -> None:
    """Answer with the report, then the chart as a reply to the command."""
    services = ctx.services
    report = await latest(services, parse_weeks(weeks))
    message, chart = await compose(services, ctx.language, report)
    await ctx.reply_message(message)
    if chart is not None:
        adapter = services.adapter_for(ctx.actor.platform)
        await adapter.upload(
            ctx.place.room_id, chart, reply_to=ctx.event_id, dedupe_key=f"{ctx.event_id}/chart"
        )
