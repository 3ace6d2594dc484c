"""The report's chart as a PNG, drawn with matplotlib (the optional extra `charts`).

Readable in Element's light and dark theme alike: the image has its own opaque white
background with near-black text, and the series use the Okabe–Ito palette, which stays
distinguishable with the common colour-vision deficiencies. Without matplotlib there is no
chart: `draw_chart` returns None and the report goes out as text (the caller logs it).
"""

from __future__ import annotations

import io
from typing import Any

from handlers.insight.figures import Report
from handlers.insight.texts import ReportTexts

BACKGROUND = "#ffffff"
INK = "#1a1a1a"
GRID = "#d0d0d0"
SERIES = (
    ("ideas", "#0072B2"),
    ("supports", "#E69F00"),
    ("questions", "#009E73"),
    ("poll_voters", "#CC79A7"),
)
ASKED, OVERDUE = "#56B4E9", "#D55E00"


def draw_chart(texts: ReportTexts, report: Report) -> bytes | None:
    """The PNG, or None when matplotlib is not installed."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None
    figure = Figure(figsize=(10, 8), dpi=100, facecolor=BACKGROUND, layout="constrained")
    activity, questions = figure.subplots(2, 1, height_ratios=(3, 2))
    for axes in (activity, questions):
        _style(axes)
    _activity(texts, report, activity)
    _questions(texts, report, questions)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", facecolor=BACKGROUND)
    return buffer.getvalue()


def _chart_text(texts: ReportTexts, key: str, **params: Any) -> str:
    return texts.t(f"chart.{key}", **params)


def _style(axes: Any) -> None:
    axes.set_facecolor(BACKGROUND)
    axes.tick_params(colors=INK)
    for spine in axes.spines.values():
        spine.set_color(INK)
    axes.grid(axis="y", color=GRID, linewidth=0.8)
    axes.set_axisbelow(True)


def _activity(texts: ReportTexts, report: Report, axes: Any) -> None:
    weeks = report.history
    positions = range(len(weeks))
    for key, colour in SERIES:
        values = [week.questions if key == "questions" else getattr(week, key) for week in weeks]
        axes.plot(
            positions, values, marker="o", color=colour, linewidth=2,
            label=_chart_text(texts, key),
        )  # fmt: skip
    axes.set_xticks(
        list(positions),
        [_chart_text(texts, "week", number=week.start.isocalendar().week) for week in weeks],
    )
    highest = max(
        max(week.ideas, week.supports, week.questions, week.poll_voters) for week in weeks
    )
    axes.set_ylim(0, max(highest, 1) * 1.25)  # room for the legend above the lines
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_title(_chart_text(texts, "activity_title"), color=INK, loc="left")
    legend = axes.legend(frameon=False, ncols=len(SERIES), loc="upper left")
    for label in legend.get_texts():
        label.set_color(INK)


def _questions(texts: ReportTexts, report: Report, axes: Any) -> None:
    current = report.current
    axes.set_title(
        _chart_text(texts, "questions_title", period=texts.period(current)), color=INK, loc="left"
    )
    departments = sorted(current.departments, key=lambda d: texts.department(d.department_id))
    if not departments:
        axes.text(0.5, 0.5, _chart_text(texts, "none"), color=INK, ha="center", va="center")
        axes.set_xticks([])
        axes.set_yticks([])
        return
    rows = range(len(departments))
    height = 0.38
    asked = [d.asked for d in departments]
    overdue = [d.overdue for d in departments]
    axes.barh(
        [r - height / 2 for r in rows], asked, height, color=ASKED,
        label=_chart_text(texts, "asked"),
    )  # fmt: skip
    axes.barh(
        [r + height / 2 for r in rows], overdue, height, color=OVERDUE,
        label=_chart_text(texts, "overdue"),
    )  # fmt: skip
    axes.set_yticks(list(rows), [texts.department(d.department_id) for d in departments])
    axes.invert_yaxis()
    longest = max([*asked, *overdue, 1])
    axes.set_xlim(0, longest * 1.6)
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.grid(axis="y", visible=False)
    axes.grid(axis="x", color=GRID, linewidth=0.8)
    for row, department in zip(rows, departments, strict=True):
        axes.text(
            max(department.asked, department.overdue) + longest * 0.05,
            row,
            _chart_text(texts, "median", hours=texts.hours(department.median_hours)),
            color=INK,
            va="center",
        )
    legend = axes.legend(frameon=False, loc="lower right")
    for label in legend.get_texts():
        label.set_color(INK)
