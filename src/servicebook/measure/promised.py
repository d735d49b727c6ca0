"""What the snapshots say of each SLO on a day, for `servicebook promised`: the measurement whose
window holds the day, as a line for people and an object for tools."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from servicebook.catalog import model
from servicebook.catalog.slo import format_percent
from servicebook.git.in_effect import Moment
from servicebook.git.promised import Measured
from servicebook.measure.budget import attainment_text, budget_left_text, period_text, too_little_data
from servicebook.measure.snapshot import covering, utc_text


def measured_on(snapshots: Sequence[model.Snapshot], at: Moment) -> Measured:
    """(offering, SLO) → what the snapshot whose window holds the day (up to its end, UTC), or the
    time, says, or None when no snapshot's window holds it."""
    if at.time is not None:  # the second it names
        start = at.time
        end = at.cutoff or dt.datetime.max.replace(tzinfo=dt.UTC)
    else:
        start = dt.datetime.combine(at.day, dt.time(), dt.UTC)
        # up to the end of the day; the last day a date can name ends at the last instant there is
        end = start + dt.timedelta(days=1) if at.day < dt.date.max else dt.datetime.max.replace(tzinfo=dt.UTC)

    def measured(offering: str, slo: str) -> tuple[str, dict[str, object]] | None:
        found = covering(snapshots, offering, slo, start, end)
        if found is None:
            return None
        snapshot, r = found
        data: dict[str, object] = {
            "snapshot": snapshot.path,
            "start": utc_text(r.start),
            "end": utc_text(r.end),
            "timezone": r.timezone,
            "objective": format(r.objective.normalize(), "f"),
            "attainment": r.attainment,
            "budget_remaining": r.budget_remaining,
            "reason": r.reason,
            "too_little_data": too_little_data(r),
        }
        return _line(r, snapshot), data

    return measured


def _line(r: model.MeasuredSLO, snapshot: model.Snapshot) -> str:
    span = f"{r.start:%Y-%m-%d %H:%M} to {r.end:%Y-%m-%d %H:%M} UTC"
    period = period_text(r.window, r.start, r.timezone)
    if period is not None:  # where the calendar period began, in its own time zone
        span = f"the {period}, {span}"
    if r.reason is not None or r.attainment is None or r.budget_consumed is None:
        return f"measured {span}: could not be measured: {r.reason} ({snapshot.path})"
    little = too_little_data(r)
    if little is not None:
        return (
            f"measured {span}: not enough data: {attainment_text(r.attainment)} from {little}, too little to "
            f"judge the objective then, {format_percent(r.objective)} ({snapshot.path})"
        )
    return (
        f"measured {span}: {attainment_text(r.attainment)} (objective then {format_percent(r.objective)}), "
        f"{budget_left_text(r.budget_consumed)} ({snapshot.path})"
    )
