"""The report as a message in the reader's language: every figure beside the one before.

Departments are shown by their configured name (their id if it is no longer configured);
ideas by their public number and an excerpt of their public text, as `!ideen` shows them.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from bot.context import Services
from bot.messages import Message, join
from bot.texts import excerpt, local_time
from handlers.ideas.texts import status_label
from handlers.insight.figures import PeriodFigures, Report
from storage.ideas.models import MERGED


class ReportTexts:
    """Formats one report's figures in one language."""

    def __init__(self, services: Services, language: str) -> None:
        self.services = services
        self.language = language

    def t(self, key: str, **params: Any) -> str:
        return self.services.catalog.text(self.language, f"insight.{key}", **params)

    def line(self, key: str, **params: Any) -> Message:
        return self.services.render(self.language, f"insight.{key}", **params)

    def day(self, day: date, key: str = "short_date_format") -> str:
        """A day in the reader's way: digits, or names where a catalog spells them out."""
        zone = self.services.settings.timezone
        midnight = datetime.combine(day, time(), tzinfo=zone)
        return local_time(self.services.catalog, self.language, f"insight.{key}", midnight, zone)

    def period(self, figures: PeriodFigures) -> str:
        last = figures.end - timedelta(days=1)
        return self.t("period", first=self.day(figures.start), last=self.day(last, "date_format"))

    def compare(self, value: int, previous: int) -> str:
        return self.t("compare", value=value, previous=previous, delta=delta(value - previous))

    def beside(self, value: str, previous: str) -> str:
        """A figure that has no difference worth a sign (a median, a rate) and the one before."""
        return self.t("value_before", value=value, previous=previous)

    def hours(self, value: float | None) -> str:
        if value is None:
            return self.t("no_median")
        return self.t("hours", hours=f"{value:.1f}".replace(".", self.t("decimal_mark")))

    def percent(self, value: int | None) -> str:
        return self.t("no_median") if value is None else self.t("percent", value=value)

    def department(self, department_id: str) -> str:
        department = self.services.settings.department(department_id)
        return department.name if department is not None else department_id

    def status(self, status: str) -> str:
        if status == MERGED:
            return self.t("merged")
        return status_label(self.services, self.language, status)


def delta(change: int) -> str:
    """A change with its sign: +2, −1 (a real minus), ±0."""
    if change > 0:
        return f"+{change}"
    if change < 0:
        return f"−{-change}"
    return "±0"


def report_message(services: Services, language: str, report: Report, chart: bool) -> Message:
    """The whole report; with `chart`, it ends with the chart's description (its alt text)."""
    texts = ReportTexts(services, language)
    now, before = report.current, report.previous
    weeks = now.weeks
    heading = [
        texts.line("title", period=texts.period(now))
        if weeks == 1
        else texts.line("title_weeks", weeks=weeks, period=texts.period(now)),
        texts.line("compared_one", period=texts.period(before))
        if weeks == 1
        else texts.line("compared_many", weeks=weeks, period=texts.period(before)),
    ]
    parts = [
        join(heading),
        join(
            [
                texts.line("ideas", figure=texts.compare(now.ideas, before.ideas)),
                texts.line("supports", figure=texts.compare(now.supports, before.supports)),
                _status_changes(texts, now, before),
            ]
        ),
        _top_ideas(texts, report),
        _questions(texts, now, before),
        _workshops(texts, now, before),
        join(
            [
                texts.line("polls_title"),
                texts.line(
                    "polls_line",
                    count=texts.compare(now.polls, before.polls),
                    voters=texts.compare(now.poll_voters, before.poll_voters),
                ),
            ]
        ),
    ]
    if chart:
        parts.append(texts.line("chart_alt", weeks=len(report.history)))
    return join(parts, paragraphs=True)


def chart_description(services: Services, language: str, report: Report) -> str:
    """The chart's alt text, as the message says it."""
    return ReportTexts(services, language).t("chart_alt", weeks=len(report.history))


def _status_changes(texts: ReportTexts, now: PeriodFigures, before: PeriodFigures) -> Message:
    figure = texts.compare(sum(now.status_changes.values()), sum(before.status_changes.values()))
    if not now.status_changes:
        return texts.line("status_changes", figure=figure)
    detail = ", ".join(
        texts.t("status_count", status=texts.status(status), count=count)
        for status, count in sorted(now.status_changes.items())
    )
    return texts.line("status_changes_detail", figure=figure, detail=detail)


def _top_ideas(texts: ReportTexts, report: Report) -> Message:
    lines = [texts.line("top_title")]
    lines += [
        texts.line(
            "top_line",
            number=idea.number,
            text=excerpt(idea.text),
            supports=idea.supports,
            gained=idea.gained,
        )
        for idea in report.top_ideas
    ] or [texts.line("top_none")]
    return join(lines)


def _questions(texts: ReportTexts, now: PeriodFigures, before: PeriodFigures) -> Message:
    lines = [
        texts.line("questions_title"),
        texts.line(
            "questions_total",
            asked=texts.compare(now.questions, before.questions),
            overdue=texts.compare(now.overdue, before.overdue),
        ),
    ]
    ids = sorted(
        {d.department_id for d in (*now.departments, *before.departments)},
        key=texts.department,
    )
    for department_id in ids:
        current, previous = now.department(department_id), before.department(department_id)
        lines.append(
            texts.line(
                "question_line",
                department=texts.department(department_id),
                asked=texts.compare(current.asked, previous.asked),
                answered=texts.compare(current.answered, previous.answered),
                median=texts.beside(
                    texts.hours(current.median_hours), texts.hours(previous.median_hours)
                ),
                overdue=texts.compare(current.overdue, previous.overdue),
            )
        )
    if not ids:
        lines.append(texts.line("questions_none"))
    return join(lines)


def _workshops(texts: ReportTexts, now: PeriodFigures, before: PeriodFigures) -> Message:
    lines = [
        texts.line("workshops_title"),
        texts.line(
            "workshops_summary",
            count=texts.compare(len(now.workshops), len(before.workshops)),
            fill=texts.beside(texts.percent(now.fill_percent), texts.percent(before.fill_percent)),
            waiting=texts.compare(now.waiting, before.waiting),
        ),
    ]
    for workshop in now.workshops:
        if workshop.capacity:
            lines.append(
                texts.line(
                    "workshop_line",
                    number=workshop.number,
                    title=excerpt(workshop.title),
                    registered=workshop.registered,
                    capacity=workshop.capacity,
                    waiting=workshop.waiting,
                )
            )
        else:
            lines.append(
                texts.line(
                    "workshop_line_open",
                    number=workshop.number,
                    title=excerpt(workshop.title),
                    registered=workshop.registered,
                )
            )
    if not now.workshops:
        lines.append(texts.line("workshops_none"))
    return join(lines)
