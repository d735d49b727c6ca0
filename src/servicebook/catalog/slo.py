"""Numbers derived from the catalog: error budgets and the durations people read. Pure functions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from servicebook.catalog import model
from servicebook.catalog.validate import parse_days

DAY_NAMES = {"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri", "sat": "Sat", "sun": "Sun"}

_ROLLING = re.compile(r"([0-9]+)d")
# Calendar windows vary in length; the nominal length is what the budget is quoted for. A week is
# 7 days (the hour a change of daylight saving time takes or gives is no more counted than in a month).
_CALENDAR = {
    "calendar-week": (7, 7, 7, "week"),
    "calendar-month": (30, 28, 31, "month"),
    "calendar-quarter": (91, 90, 92, "quarter"),
    "calendar-year": (365, 365, 366, "year"),
}
DAY = 86_400


@dataclass(frozen=True, slots=True)
class ErrorBudget:
    seconds: int  # for the nominal window
    text: str  # "43 min 12 s"
    window_text: str  # "rolling 30 days" / "calendar month"
    range_text: str | None  # for calendar windows: shortest and longest period
    rounded: str = ""  # what a reader can use: "6 h 43 min" (pages show it, with `text` on hover)
    range_rounded: str | None = None  # `range_text`, rounded the same way


def window_days(window: str) -> tuple[int, int, int]:
    """(nominal, shortest, longest) length in days of an SLO window."""
    match = _ROLLING.fullmatch(window)
    if match:
        days = int(match[1])
        return days, days, days
    nominal, shortest, longest, _ = _CALENDAR[window]
    return nominal, shortest, longest


def describe_window(window: str) -> str:
    match = _ROLLING.fullmatch(window)
    if match:
        return f"rolling {match[1]} days" if match[1] != "1" else "rolling day"
    return f"calendar {_CALENDAR[window][3]}"


def budget_seconds(objective: Decimal, days: int) -> int:
    """Allowed unavailability, in whole seconds: (1 − objective) × window. 99.9 % of 30 d → 2592."""
    exact = (Decimal(100) - objective) / Decimal(100) * Decimal(days * DAY)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_duration(seconds: int) -> str:
    """Human duration with at most three units: 2592 → '43 min 12 s', 90061 → '1 d 1 h 1 min'."""
    if seconds <= 0:
        return "0 s"
    parts = []
    for unit, size in (("d", DAY), ("h", 3600), ("min", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}")
    return " ".join(parts[:3])


def round_duration(seconds: int) -> str:
    """A duration to the precision a reader can use: to the hour from a day, to the minute from ten
    minutes, to ten seconds from a minute. 24192 → '6 h 43 min', 1296 → '22 min', 259 → '4 min 20 s'."""
    unit = 3600 if seconds >= DAY else 60 if seconds >= 600 else 10 if seconds >= 60 else 1
    return format_duration((seconds + unit // 2) // unit * unit)


def format_minutes(minutes: int) -> str:
    """A response target in minutes as people say it: 15 → '15 min', 240 → '4 h', 2880 → '2 d'."""
    if minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)} d"
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    return format_duration(minutes * 60)


def error_budget(slo: model.SLO) -> ErrorBudget:
    nominal, shortest, longest = window_days(slo.window)
    seconds = budget_seconds(slo.objective, nominal)
    range_text = range_rounded = None
    if shortest != longest:
        low, high = budget_seconds(slo.objective, shortest), budget_seconds(slo.objective, longest)
        period = _CALENDAR[slo.window][3]
        range_text = f"{format_duration(low)} to {format_duration(high)} depending on the {period}'s length"
        range_rounded = f"{round_duration(low)} to {round_duration(high)} depending on the {period}'s length"
    return ErrorBudget(
        seconds,
        format_duration(seconds),
        describe_window(slo.window),
        range_text,
        round_duration(seconds),
        range_rounded,
    )


def format_percent(value: Decimal) -> str:
    """99.90 → '99.9 %'; keeps what the author wrote, without trailing zeros."""
    text = format(value.normalize(), "f")
    return f"{text} %"


def effective_support(team: model.Support, override: model.SupportOverride | None) -> model.Support:
    """Team-wide support with an offering's overrides applied part by part (none of it to a
    WholeSupport: a member team's offering on an organisation site)."""
    if override is None:
        return team
    oncall = override.oncall
    if oncall is None and not isinstance(override, model.WholeSupport):
        oncall = team.oncall
    return model.Support(
        hours=override.hours or team.hours,
        channels=override.channels if override.channels is not None else team.channels,
        severities=override.severities if override.severities is not None else team.severities,
        oncall=oncall,
        escalation=override.escalation if override.escalation is not None else team.escalation,
    )


def hours_text(hours: model.Hours) -> str:
    days = parse_days(hours.days) or ()
    ordered = list(DAY_NAMES)
    if days and list(days) == ordered[ordered.index(days[0]) : ordered.index(days[0]) + len(days)] and len(days) > 2:
        span = f"{DAY_NAMES[days[0]]}–{DAY_NAMES[days[-1]]}"
    else:
        span = ", ".join(DAY_NAMES[d] for d in days)
    return f"{span} {hours.start}–{hours.end} ({hours.timezone})"


def calendar_timezone(catalog: model.Catalog, offering: model.Offering, slo: model.SLO) -> str:
    """The time zone a calendar window starts in: its own, else the offering's support hours'."""
    return slo.timezone or effective_support(catalog.support, offering.support).hours.timezone


_PERIOD_STARTS = {
    "calendar-week": "Monday",
    "calendar-month": "the 1st",
    "calendar-quarter": "1 January, April, July and October",
    "calendar-year": "1 January",
}


def calendar_start(catalog: model.Catalog, offering: model.Offering, slo: model.SLO) -> str | None:
    """Where a calendar window's periods begin, as readers need it to know which week (month …) is
    judged: "from Monday 00:00 (Europe/Zurich)"; None for a rolling window."""
    first = _PERIOD_STARTS.get(slo.window)
    return None if first is None else f"from {first} 00:00 ({calendar_timezone(catalog, offering, slo)})"


def latest_results(snapshots: Sequence[model.Snapshot]) -> dict[tuple[str, str], model.MeasuredSLO]:
    """(offering, slo) → its result in the latest snapshot that has it (snapshots oldest first),
    measured or not: a failed run stands, never an older figure in its place."""
    latest: dict[tuple[str, str], model.MeasuredSLO] = {}
    for snapshot in snapshots:
        for result in snapshot.results:
            latest[(result.offering, result.slo)] = result
    return latest
