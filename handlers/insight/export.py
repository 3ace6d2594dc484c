"""`smartregion-bot stats`: the weekly figures as CSV or JSON, for the city's reporting.

One entry per calendar week (Monday to Sunday in the bot's zone), the same figures the
digest shows; counts and department names only. CSV is long ("tidy"): one row per week,
figure and department, so a spreadsheet's pivot table gives any layout.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from typing import Any

from bot.config import Settings
from handlers.insight.figures import PeriodFigures, last_full_week, weekly
from storage.uow import UnitOfWork

FORMATS = ("csv", "json")
CSV_COLUMNS = ("week_start", "week_end", "figure", "department", "value")


async def statistics_file(
    uow: UnitOfWork, settings: Settings, now: datetime, weeks: int, file_format: str
) -> str:
    """The last `weeks` full weeks before `now` as a CSV or JSON document."""
    figures = await weekly(
        uow, last_full_week(now), weeks, settings.timezone, settings.question_sla
    )
    document = {
        "timezone": settings.timezone.key,
        "weeks": [_week(settings, week) for week in figures],
    }
    if file_format == "json":
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    return _csv(document["weeks"])


def _week(settings: Settings, week: PeriodFigures) -> dict[str, Any]:
    def name(department_id: str) -> str:
        department = settings.department(department_id)
        return department.name if department is not None else department_id

    return {
        "start": week.start.isoformat(),
        "end": (week.end - timedelta(days=1)).isoformat(),
        "ideas_new": week.ideas,
        "supports_new": week.supports,
        "status_changes": dict(sorted(week.status_changes.items())),
        "questions": [
            {
                "department": name(d.department_id),
                "asked": d.asked,
                "first_answers": d.answered,
                "median_hours_to_first_answer": d.median_hours,
                "overdue": d.overdue,
            }
            for d in week.departments
        ],
        "workshops": {
            "held": len(week.workshops),
            "seats": week.seats,
            "seats_taken": week.seats_taken,
            "fill_percent": week.fill_percent,
            "waiting": week.waiting,
        },
        "polls": {"ended": week.polls, "participants": week.poll_voters},
    }


def _csv(weeks: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for week in weeks:
        span = (week["start"], week["end"])
        rows: list[tuple[str, str, Any]] = [
            ("ideas_new", "", week["ideas_new"]),
            ("supports_new", "", week["supports_new"]),
            *((f"status_changes_{status}", "", n) for status, n in week["status_changes"].items()),
        ]
        for department in week["questions"]:
            rows += [
                (f"questions_{key}", department["department"], department[key])
                for key in ("asked", "first_answers", "median_hours_to_first_answer", "overdue")
            ]
        rows += [(f"workshops_{key}", "", value) for key, value in week["workshops"].items()]
        rows += [(f"polls_{key}", "", value) for key, value in week["polls"].items()]
        for figure, department, value in rows:
            writer.writerow((*span, figure, department, "" if value is None else value))
    return buffer.getvalue()
