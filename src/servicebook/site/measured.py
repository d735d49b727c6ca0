"""What the site shows of the snapshots under measurements/: each SLO's latest attainment and
error budget left, with the snapshot's date (and a calendar window's period), whether that is
stale at the build's date (never the wall clock: the same commit shows the same), and a small
history chart as inline SVG (no script; drawn in `currentColor`, so it follows the page's colours
in dark mode and in print)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from servicebook.catalog import model
from servicebook.catalog.slo import format_duration
from servicebook.measure.budget import attainment_text, budget_left_text, period_text, too_little_data

CHART_WIDTH = 160
CHART_HEIGHT = 40
_PAD = 3


@dataclass(frozen=True, slots=True)
class Point:
    end: dt.datetime
    attainment: float
    budget_remaining: float


@dataclass(frozen=True, slots=True)
class MeasuredView:
    """An SLO's latest measurement as a page shows it."""

    result: model.MeasuredSLO  # the latest result for the SLO (measured or not)
    snapshot: str  # its file, e.g. measurements/2026-03-31T00-00-00Z.json
    date: str  # "2026-03-31 00:00 UTC"
    period: str | None  # a calendar window's: "week from Mon 30 Nov 00:00 (Europe/Berlin)"
    attainment: str | None  # "99.953 %"
    budget: str | None  # "53 % of the error budget left"
    met: bool | None  # attainment at or above the objective; None with too little data to judge it
    too_little: str | None  # "data for only 12 min of the 30 d window (under a quarter of it)"
    stale: str | None  # "stale: measured 9 d before this build (figures older than 2 d are stale)"
    history: tuple[Point, ...]  # every measured result of the SLO, oldest first
    chart: Markup | None  # two points or more

    @property
    def budget_remaining(self) -> float | None:
        return self.result.budget_remaining


def measured_views(
    snapshots: Sequence[model.Snapshot], built: dt.datetime | None, stale_after_minutes: int
) -> Mapping[tuple[str, str], MeasuredView]:
    """(offering, slo) → what the pages show of its measurements: the latest snapshot that has
    the SLO, measured or not (a failed run is shown as one: never an older figure in its place)."""
    latest: dict[tuple[str, str], tuple[model.Snapshot, model.MeasuredSLO]] = {}
    history: dict[tuple[str, str], list[Point]] = {}
    for snapshot in snapshots:
        for r in snapshot.results:
            key = (r.offering, r.slo)
            latest[key] = (snapshot, r)
            if r.attainment is not None and r.budget_consumed is not None:
                history.setdefault(key, []).append(Point(r.end, r.attainment, 1 - r.budget_consumed))
    views = {}
    for key, (snapshot, r) in latest.items():
        points = tuple(history.get(key, ()))
        measured = r.attainment is not None and r.budget_consumed is not None
        little = too_little_data(r)
        views[key] = MeasuredView(
            result=r,
            snapshot=snapshot.path,
            date=r.end.strftime("%Y-%m-%d %H:%M UTC"),
            period=period_text(r.window, r.start, r.timezone),
            attainment=attainment_text(r.attainment) if r.attainment is not None else None,
            budget=budget_left_text(r.budget_consumed) if r.budget_consumed is not None else None,
            met=(r.attainment * 100 >= float(r.objective))
            if measured and r.attainment is not None and not little
            else None,
            too_little=little,
            stale=_stale(r.end, built, stale_after_minutes),
            history=points,
            chart=chart(points, float(r.objective) / 100) if len(points) >= 2 else None,
        )
    return views


def _stale(end: dt.datetime, built: dt.datetime | None, minutes: int) -> str | None:
    if built is None:
        return None  # a build without a date (outside git, no SOURCE_DATE_EPOCH) cannot judge age
    age = int((built - end).total_seconds())
    if age <= minutes * 60:
        return None
    return (
        f"stale: measured {format_duration(age)} before this build "
        f"(figures older than {format_duration(minutes * 60)} are stale)"
    )


def chart(points: Sequence[Point], objective: float) -> Markup:
    """A line of attainment over time, with the objective as a dashed line; its text alternative
    says what it shows. Coordinates are rounded to 0.1, so the same snapshots draw the same bytes."""
    lowest = min(p.attainment for p in points)
    bottom = min(lowest, objective)
    span = (1.0 - bottom) or 1.0
    bottom -= span * 0.1  # room below the lowest point
    span = 1.0 - bottom
    first, last = points[0].end.timestamp(), points[-1].end.timestamp()
    width, height = CHART_WIDTH - 2 * _PAD, CHART_HEIGHT - 2 * _PAD

    def x(p: Point) -> str:
        return f"{_PAD + (p.end.timestamp() - first) / ((last - first) or 1) * width:.1f}"

    def y(value: float) -> str:
        return f"{_PAD + (1.0 - value) / span * height:.1f}"

    line = " ".join(f"{x(p)},{y(p.attainment)}" for p in points)
    dots = "".join(f'<circle cx="{x(p)}" cy="{y(p.attainment)}" r="1.8"/>' for p in points)
    label = (
        f"Attainment in {len(points)} snapshots from {points[0].end:%Y-%m-%d} to {points[-1].end:%Y-%m-%d}: "
        f"lowest {attainment_text(lowest)}, latest {attainment_text(points[-1].attainment)}; "
        f"the dashed line is the objective, {objective * 100:g} %"
    )
    return Markup(  # noqa: S704 - numbers, and the label escaped
        f'<svg class="slo-chart" viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" width="{CHART_WIDTH}" '
        f'height="{CHART_HEIGHT}" role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>"
        f'<line x1="{_PAD}" x2="{CHART_WIDTH - _PAD}" y1="{y(objective)}" y2="{y(objective)}" stroke="currentColor" '
        'stroke-width="1" stroke-dasharray="3 2" opacity="0.6"/>'
        f'<polyline points="{line}" fill="none" stroke="currentColor" stroke-width="1.5"/>'
        f'<g fill="currentColor">{dots}</g></svg>'
    )
