"""The figures of a staff report: what happened in a period, the same for the period before,
and weekly activity for the chart.

Periods are whole calendar weeks in the bot's zone: Monday 00:00 to Monday 00:00 local
time, so a week across a daylight-saving change is 167 or 169 hours long. Everything here
is counts, department ids and the public number and text of open ideas: no person.

The figures of a digest are frozen as JSON when the week's digest is decided
(`Report.to_json`), so every platform and every retry shows the same numbers.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from storage.insight.repository import InsightRepository, QuestionTimes, WorkshopFill
from storage.uow import UnitOfWork

TOP_IDEAS = 5
CHART_WEEKS = 12
"""Weeks of activity the chart shows (more when a report covers more weeks)."""
MAX_WEEKS = 52
"""The longest period a report covers, so a typo cannot ask for decades of queries."""


def week_start(day: date) -> date:
    """The Monday of the calendar week `day` is in."""
    return day - timedelta(days=day.weekday())


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def last_full_week(now: datetime) -> date:
    """The Monday of the last calendar week that has ended by `now` (local)."""
    return week_start(now.date()) - timedelta(weeks=1)


@dataclass(frozen=True)
class DepartmentFigures:
    """A department's questions in a period."""

    department_id: str
    asked: int = 0
    answered: int = 0
    """First answers given in the period."""
    median_hours: float | None = None
    """Median time from routing to the first expert answer, over the period's first answers."""
    overdue: int = 0
    """Unanswered longer than the escalation time at the period's end."""


@dataclass(frozen=True)
class PeriodFigures:
    """What happened from `start` (a local Monday) for `weeks` weeks."""

    start: date
    weeks: int
    ideas: int = 0
    supports: int = 0
    status_changes: dict[str, int] = field(default_factory=dict)
    departments: list[DepartmentFigures] = field(default_factory=list)
    workshops: list[WorkshopFill] = field(default_factory=list)
    polls: int = 0
    poll_voters: int = 0

    @property
    def end(self) -> date:
        return self.start + timedelta(weeks=self.weeks)

    @property
    def questions(self) -> int:
        return sum(d.asked for d in self.departments)

    @property
    def overdue(self) -> int:
        return sum(d.overdue for d in self.departments)

    @property
    def seats(self) -> int:
        """Seats of the period's workshops with a limit."""
        return sum(w.capacity or 0 for w in self.workshops if w.capacity)

    @property
    def seats_taken(self) -> int:
        return sum(w.registered for w in self.workshops if w.capacity)

    @property
    def fill_percent(self) -> int | None:
        return round(100 * self.seats_taken / self.seats) if self.seats else None

    @property
    def waiting(self) -> int:
        return sum(w.waiting for w in self.workshops)

    @property
    def quiet(self) -> bool:
        """Nothing at all happened in the period."""
        busy_departments = any(d.asked or d.answered or d.overdue for d in self.departments)
        return not (
            self.ideas
            or self.supports
            or self.status_changes
            or busy_departments
            or self.workshops
            or self.polls
        )

    def department(self, department_id: str) -> DepartmentFigures:
        found = next((d for d in self.departments if d.department_id == department_id), None)
        return found or DepartmentFigures(department_id)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PeriodFigures:
        return cls(
            start=date.fromisoformat(data["start"]),
            weeks=data["weeks"],
            ideas=data["ideas"],
            supports=data["supports"],
            status_changes=dict(data["status_changes"]),
            departments=[DepartmentFigures(**d) for d in data["departments"]],
            workshops=[WorkshopFill(**w) for w in data["workshops"]],
            polls=data["polls"],
            poll_voters=data["poll_voters"],
        )


@dataclass(frozen=True)
class TopIdea:
    number: int
    text: str
    supports: int
    gained: int
    """Supports given in the report's period."""


@dataclass(frozen=True)
class Report:
    """A period, the period of the same length before it, the top ideas and weekly activity."""

    current: PeriodFigures
    previous: PeriodFigures
    top_ideas: list[TopIdea]
    history: list[PeriodFigures]
    """One entry per week, oldest first, ending with the period's last week."""

    @property
    def empty(self) -> bool:
        """No activity in the period or any week of its history, and no idea to list."""
        periods = [self.current, self.previous, *self.history]
        return not self.top_ideas and all(period.quiet for period in periods)

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=str, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Report:
        data = json.loads(text)
        return cls(
            current=PeriodFigures.from_dict(data["current"]),
            previous=PeriodFigures.from_dict(data["previous"]),
            top_ideas=[TopIdea(**idea) for idea in data["top_ideas"]],
            history=[PeriodFigures.from_dict(week) for week in data["history"]],
        )


async def collect(
    uow: UnitOfWork, last_week: date, weeks: int, tz: ZoneInfo, sla: timedelta
) -> Report:
    """The report of the `weeks` weeks ending with the week starting `last_week`."""
    repository = InsightRepository(uow.session)
    start = last_week - timedelta(weeks=weeks - 1)
    previous_start = start - timedelta(weeks=weeks)
    history_weeks = max(CHART_WEEKS, weeks)
    history_start = last_week - timedelta(weeks=history_weeks - 1)
    earliest = min(previous_start, history_start)
    times = await repository.question_times(
        local_midnight(earliest, tz), local_midnight(last_week + timedelta(weeks=1), tz)
    )
    current = await _period(repository, times, start, weeks, tz, sla)
    top = await repository.most_supported_open(TOP_IDEAS)
    gained = await repository.supports_gained(
        (idea.number for idea in top),
        local_midnight(start, tz),
        local_midnight(current.end, tz),
    )
    return Report(
        current=current,
        previous=await _period(repository, times, previous_start, weeks, tz, sla),
        top_ideas=[
            TopIdea(idea.number, idea.text, idea.supports, gained.get(idea.number, 0))
            for idea in top
        ],
        history=await _weeks(repository, times, history_start, history_weeks, tz, sla),
    )


async def weekly(
    uow: UnitOfWork, last_week: date, weeks: int, tz: ZoneInfo, sla: timedelta
) -> list[PeriodFigures]:
    """The figures of each of the `weeks` weeks ending with the week starting `last_week`,
    oldest first."""
    repository = InsightRepository(uow.session)
    first = last_week - timedelta(weeks=weeks - 1)
    times = await repository.question_times(
        local_midnight(first, tz), local_midnight(last_week + timedelta(weeks=1), tz)
    )
    return await _weeks(repository, times, first, weeks, tz, sla)


async def _weeks(
    repository: InsightRepository,
    times: list[QuestionTimes],
    first: date,
    weeks: int,
    tz: ZoneInfo,
    sla: timedelta,
) -> list[PeriodFigures]:
    return [
        await _period(repository, times, first + timedelta(weeks=n), 1, tz, sla)
        for n in range(weeks)
    ]


async def _period(
    repository: InsightRepository,
    times: list[QuestionTimes],
    start: date,
    weeks: int,
    tz: ZoneInfo,
    sla: timedelta,
) -> PeriodFigures:
    begin = local_midnight(start, tz)
    end = local_midnight(start + timedelta(weeks=weeks), tz)
    voters = await repository.poll_voters(begin, end)
    return PeriodFigures(
        start=start,
        weeks=weeks,
        ideas=await repository.ideas_created(begin, end),
        supports=await repository.supports_given(begin, end),
        status_changes=await repository.status_changes(begin, end),
        departments=department_figures(times, begin, end, sla),
        workshops=await repository.workshops_between(begin, end),
        polls=len(voters),
        poll_voters=sum(voters),
    )


def department_figures(
    times: list[QuestionTimes], begin: datetime, end: datetime, sla: timedelta
) -> list[DepartmentFigures]:
    """Per department with anything to report: questions asked in `[begin, end)`, first
    answers given in it with their median time since routing, and what was overdue at
    `end` (routed more than `sla` before it and neither answered, closed nor expired)."""
    asked: dict[str, int] = {}
    hours: dict[str, list[float]] = {}
    overdue: dict[str, int] = {}
    for question in times:
        department = question.department_id
        if begin <= question.created_at < end:
            asked[department] = asked.get(department, 0) + 1
        answered = question.answered_at
        if answered is not None and begin <= answered < end:
            waited = (answered - question.routed_at).total_seconds() / 3600
            hours.setdefault(department, []).append(waited)
        if question.routed_at + sla <= end and all(
            moment is None or moment >= end
            for moment in (answered, question.closed_at, question.expired_at)
        ):
            overdue[department] = overdue.get(department, 0) + 1
    return [
        DepartmentFigures(
            department_id=department,
            asked=asked.get(department, 0),
            answered=len(hours.get(department, [])),
            median_hours=(
                round(statistics.median(hours[department]), 1) if department in hours else None
            ),
            overdue=overdue.get(department, 0),
        )
        for department in sorted({*asked, *hours, *overdue})
    ]
