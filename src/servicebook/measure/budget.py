"""The arithmetic of a measurement: the window an SLO is measured over, and attainment and error
budget from what Prometheus counted. Pure functions; the counts come from query.py.

- Counts (errors or good, with total): attainment = good / total; the error ratio is
  bad / total; the budget consumed is the error ratio over the allowed one, 1 − objective.
- An error ratio: attainment = 1 − ratio, consumed = ratio / (1 − objective).
- A bool gauge: attainment = the share of its samples that were 1 (sum_over_time over
  count_over_time: the share of the time it was good, at the scrape interval's resolution).
The budget remaining is 1 − consumed; below 0 the budget is overspent by that much.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal

from servicebook.catalog import model
from servicebook.catalog.slo import describe_window, format_duration, window_days

_CALENDAR_MONTHS = {"calendar-month": 1, "calendar-quarter": 3, "calendar-year": 12}
_CALENDAR_WEEK = "calendar-week"


def is_calendar(window: str) -> bool:
    return window in _CALENDAR_MONTHS or window == _CALENDAR_WEEK


def _zone(timezone: str) -> dt.tzinfo:
    # start-up cost, measured: xml.etree, tarfile, zoneinfo, difflib 7 ms a build together
    from zoneinfo import ZoneInfo  # calendar windows only: a build imports it only to measure one

    return ZoneInfo(timezone)


def day_start(day: dt.date, timezone: str) -> dt.datetime:
    """The midnight that begins `day` in `timezone`, in UTC: where `measure --at DAY` ends a
    calendar window (the midnight its periods turn at). Where the clocks skip midnight, the
    first instant of the day there."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=_zone(timezone)).astimezone(dt.UTC)


def window_start(window: str, end: dt.datetime, timezone: str = "UTC") -> dt.datetime:
    """Where the SLO's window ending at `end` begins (in UTC). Rolling: `end` less its days.
    Calendar: midnight of the first day of the week (Monday, as ISO 8601), month, quarter or year
    that holds the instant just before `end`, in `timezone` (the SLO's calendar time zone,
    catalog/slo.py calendar_timezone); so at that midnight the period that just ended is measured,
    whole. A week across a change of daylight saving time is 167 or 169 hours long: its Monday's
    midnight is where the clocks there say it is."""
    if is_calendar(window):
        return period(window, end, timezone)[0]
    days, _, _ = window_days(window)
    return end - dt.timedelta(days=days)


def period(window: str, end: dt.datetime, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """The calendar period (week, month, quarter, year) that holds the instant just before `end`,
    in `timezone`: (its first midnight, the midnight after its last day), in UTC."""
    zone = _zone(timezone)
    before = (end - dt.timedelta(microseconds=1)).astimezone(zone)
    if window == _CALENDAR_WEEK:
        first = before.date() - dt.timedelta(days=before.weekday())
        after = first + dt.timedelta(days=7)
    else:
        months = _CALENDAR_MONTHS[window]
        first_month = (before.month - 1) // months * months  # months since January, 0-based
        first = dt.date(before.year, first_month + 1, 1)
        year, month = divmod(first_month + months, 12)
        after = dt.date(before.year + year, month + 1, 1)
    return day_start(first, timezone), day_start(after, timezone)


def period_text(window: str, start: dt.datetime, timezone: str | None) -> str | None:
    """Where a calendar window's period began, as people read it: "week from Mon 30 Nov 00:00
    (Europe/Berlin)"; in UTC for a result that does not say its time zone (a snapshot written
    before they did). None for a rolling window, which starts where its length says."""
    if not is_calendar(window):
        return None
    local = start.astimezone(_zone(timezone or "UTC"))
    unit = describe_window(window).removeprefix("calendar ")
    return f"{unit} from {local:%a} {local.day} {local:%b %H:%M} ({timezone or 'UTC'})"


_DAY = dt.timedelta(days=1)


def calendar_note(window: str, start: dt.datetime, end: dt.datetime, timezone: str) -> str | None:
    """A note for a calendar window measured within a day of a turn of its periods, where the
    figures are of another span than the period people mean:

    - the period had only just begun: `--at 2026-12-01T00:00:00Z` is already 01:00 on the 1st in
      Europe/Zurich, so the month measured is December's first hour, not November;
    - the period ends less than a day after the end time: `--at 2026-11-30T00:00:00Z` is still
      19:00 on Sunday the 29th in America/New_York, so the week measured lacks its last 5 hours.

    Each says which `--at` measures the period meant whole: the day whose midnight in `timezone`
    turns it (`--at DAY` ends a calendar window there)."""
    if not is_calendar(window):
        return None
    unit = describe_window(window).removeprefix("calendar ")
    _, after = period(window, end, timezone)
    if end - start < _DAY:
        return (
            f"the calendar {unit} began only {format_duration(int((end - start).total_seconds()))} before the "
            f"end time, at midnight in {timezone} ({start:%Y-%m-%d %H:%M} UTC): the figures are of that part; the "
            f"{unit} before is measured whole up to that midnight by --at {_local_day(start, timezone)} "
            f"(or --at {start:%Y-%m-%dT%H:%M:%SZ})"
        )
    if end != after and after - end < _DAY:
        short = format_duration(int((after - end).total_seconds()))
        return (
            f"the calendar {unit} ends {short} after the end time, at midnight in {timezone} "
            f"({after:%Y-%m-%d %H:%M} UTC): the figures are of the {unit} without its last {short}; it is "
            f"measured whole up to that midnight by --at {_local_day(after, timezone)} "
            f"(or --at {after:%Y-%m-%dT%H:%M:%SZ})"
        )
    return None


def _local_day(midnight: dt.datetime, timezone: str) -> str:
    return midnight.astimezone(_zone(timezone)).date().isoformat()


def promql_duration(seconds: int) -> str:
    """A PromQL duration as people write it: 2592000 → "30d", 3600 → "1h", 90 → "90s"."""
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


@dataclass(frozen=True, slots=True)
class Attainment:
    attainment: float  # 0 to 1
    consumed: float  # share of the error budget spent; above 1: overspent


class NotMeasurable(Exception):
    """The numbers Prometheus returned cannot be read as a measurement (said why)."""


def from_counts(good: float, total: float, objective: Decimal) -> Attainment:
    """Attainment and budget from counts of good and all events (or samples)."""
    for name, value in (("good", good), ("total", total)):
        if not math.isfinite(value) or value < 0:
            raise NotMeasurable(f"the {name} count is {value!r}: not a count of events")
    if total == 0:
        raise NotMeasurable("no valid events in the window (the total is 0), so there is no share to give")
    if good > total:
        raise NotMeasurable(
            f"more good events ({good:g}) than events in all ({total:g}): the queries do not count the same events"
        )
    return from_ratio((total - good) / total, objective)


def from_ratio(error_ratio: float, objective: Decimal) -> Attainment:
    """Attainment and budget from the share of bad events (or of bad time)."""
    if not math.isfinite(error_ratio) or not 0 <= error_ratio <= 1:
        raise NotMeasurable(f"the error ratio is {error_ratio!r}: a share must be between 0 and 1")
    allowed = float((Decimal(100) - objective) / Decimal(100))
    return Attainment(1 - error_ratio, error_ratio / allowed)


# the share of the window the data must cover for its figures to judge the objective: a window of
# 30 days with minutes of data (a service new to Prometheus, a metric renamed) reads 100 %; a
# Prometheus of the default 15 days' retention still judges a 30-day window
ENOUGH_DATA = 0.25


def too_little_data(r: model.MeasuredSLO) -> str | None:
    """Why a measured result cannot judge its objective: "data for only 12 min of the 30 d
    window (under a quarter of it)", when the data behind its figures covers less than
    ENOUGH_DATA of the window; None when it covers enough, or was not checked (`covered` None)."""
    if r.reason is not None or r.covered is None:
        return None
    seconds = int((r.end - r.start).total_seconds())
    if r.covered >= ENOUGH_DATA * seconds:
        return None
    some = f"only {format_duration(r.covered)}" if r.covered > 0 else "almost none"
    return f"data for {some} of the {format_duration(seconds)} window (under a quarter of it)"


def attainment_text(share: float) -> str:
    """0.999534 → "99.953 %": rounded down, so a figure never reads as meeting an objective it missed."""
    thousandths = math.floor(share * 100_000 + 1e-6)
    return f"{thousandths // 1000}.{thousandths % 1000:03d} %"


def budget_left_text(consumed: float) -> str:
    """The error budget left, in whole percent rounded down: "53 % of the error budget left",
    "error budget overspent by 12 %" (never "0 % left" for a budget spent to the last event)."""
    left = 1 - consumed
    if left < 0:
        return f"error budget overspent by {math.ceil(-left * 100 - 1e-9)} %"
    return f"{math.floor(left * 100 + 1e-9)} % of the error budget left"
