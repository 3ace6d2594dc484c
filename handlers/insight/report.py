"""A report as it is posted: the message and, where matplotlib is installed, the chart."""

from __future__ import annotations

import asyncio
import logging
from datetime import date

from bot.context import FileUpload, Services
from bot.messages import Message
from handlers.insight.chart import draw_chart
from handlers.insight.figures import Report, collect, last_full_week
from handlers.insight.texts import ReportTexts, chart_description, report_message

logger = logging.getLogger(__name__)


async def gather(services: Services, last_week: date, weeks: int) -> Report:
    """The figures of the `weeks` weeks ending with the week starting `last_week`."""
    settings = services.settings
    async with services.unit_of_work() as uow:
        return await collect(uow, last_week, weeks, settings.timezone, settings.question_sla)


async def latest(services: Services, weeks: int) -> Report:
    """The report of the last `weeks` full weeks."""
    return await gather(services, last_full_week(services.clock.now()), weeks)


async def compose(
    services: Services, language: str, report: Report
) -> tuple[Message, FileUpload | None]:
    """The message and its chart; drawing runs in a thread, so the bot keeps answering."""
    texts = ReportTexts(services, language)
    png = await asyncio.to_thread(draw_chart, texts, report)
    if png is None:
        logger.info(
            "matplotlib is not installed (extra `charts`): the report goes out without chart"
        )
        return report_message(services, language, report, chart=False), None
    upload = FileUpload(
        filename=texts.t("filename", date=report.current.start.isoformat()),
        content_type="image/png",
        data=png,
        description=chart_description(services, language, report),
    )
    return report_message(services, language, report, chart=True), upload
