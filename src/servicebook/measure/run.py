"""One run of `servicebook measure`: every SLO of the catalog that says how it is measured,
each over its own window ending at one time, asked of one Prometheus server (a few SLOs at a
time), gathered into one snapshot. An unreachable server is asked no further: the SLOs not yet
measured say so (and a run none of whose queries was answered is no snapshot: the command refuses it)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from servicebook.catalog import model
from servicebook.catalog.slo import calendar_timezone
from servicebook.errors import printable
from servicebook.measure.budget import calendar_note, day_start, is_calendar, window_start
from servicebook.measure.prometheus import Prometheus, QueryFailed, Unreachable
from servicebook.measure.query import Measured, measure_slo, shape_of
from servicebook.measure.snapshot import document

CONCURRENT_QUERIES = 8  # SLOs measured at once: enough to hide the round trips, light on the server


@dataclass(frozen=True, slots=True)
class Run:
    snapshot: model.Snapshot
    document: dict[str, Any]

    @property
    def failed(self) -> tuple[model.MeasuredSLO, ...]:
        return tuple(r for r in self.snapshot.results if r.reason is not None)


def chosen(catalog: model.Catalog, offering: str | None) -> list[tuple[model.Offering, model.SLO]]:
    return [(o, s) for o in catalog.offerings if offering is None or o.id == offering for s in o.slos]


def end_of(window: str, end: dt.datetime, day: dt.date | None, timezone: str) -> dt.datetime:
    """Where an SLO's window ends in a run up to `end`: for `--at DAY` (`day`), a calendar window
    ends at the midnight that begins the day in its time zone, where its periods turn (so
    `--at 2026-11-30` measures New York's week to Monday 00:00 there, 05:00 UTC, whole), and a
    rolling one at `end`, the day's start in UTC; for a time, every window ends at that time."""
    return day_start(day, timezone) if day is not None and is_calendar(window) else end


def calendar_zones(catalog: model.Catalog, slos: list[tuple[model.Offering, model.SLO]]) -> list[tuple[str, str]]:
    """("offering/slo", its time zone) of each SLO measured over a calendar window."""
    return [
        (f"{o.id}/{s.id}", calendar_timezone(catalog, o, s))
        for o, s in slos
        if s.measurement is not None and is_calendar(s.window)
    ]


def not_begun(zones: list[tuple[str, str]], day: dt.date, now: dt.datetime) -> tuple[str, str, dt.datetime] | None:
    """A calendar SLO of `zones` (`calendar_zones`) whose time zone has not yet reached `day` at
    `now` (`--at` today, in a zone west of UTC), the one where it begins last: ("offering/slo",
    its time zone, when the day begins there, UTC); None when the day has begun in every one."""
    late: tuple[str, str, dt.datetime] | None = None
    for name, zone in zones:
        begins = day_start(day, zone)
        if begins > now and (late is None or begins > late[2]):
            late = (name, zone, begins)
    return late


def measure(
    catalog: model.Catalog,
    prometheus: Prometheus,
    end: dt.datetime,
    *,
    day: dt.date | None = None,
    offering: str | None = None,
    commit: str | None = None,
    dirty: bool = False,
    generator: str = "servicebook",
    progress: Callable[[model.MeasuredSLO], None] | None = None,
) -> Run:
    """Measure every SLO with a measurement (of `offering`, or of all) up to `end`; with `day`
    (`--at DAY`, `end` its start in UTC), each calendar window up to that day's midnight in its
    time zone (`end_of`)."""
    slos = chosen(catalog, offering)
    defined = [(o, s) for o, s in slos if s.measurement is not None]
    down: list[str] = []  # the first Unreachable's message, shared by the threads of this run
    lock = threading.Lock()

    def one(pair: tuple[model.Offering, model.SLO]) -> Measured:
        o, s = pair
        zone = calendar_timezone(catalog, o, s)
        stop = end_of(s.window, end, day, zone)
        start = window_start(s.window, stop, zone)
        timezone = zone if is_calendar(s.window) else None
        if down:
            return _unmeasured(o, s, start, stop, timezone, down[0])
        try:
            measured = measure_slo(prometheus, o, s, start, stop, timezone)
            note = calendar_note(s.window, start, stop, zone)
            if note is None or measured.result.reason is not None:
                return measured
            return replace(measured, result=replace(measured.result, notes=(note, *measured.result.notes)))
        except Unreachable as exc:
            with lock:
                if not down:
                    down.append(str(exc))
            return _unmeasured(o, s, start, stop, timezone, down[0])
        except QueryFailed as exc:  # measure_slo returns the others
            return _unmeasured(o, s, start, stop, timezone, f"query failed: {exc}")

    results: list[Measured] = []
    for measured in _in_order(one, defined):
        results.append(measured)
        if progress is not None:
            progress(measured.result)
    snapshot = model.Snapshot(
        path="",
        end=end,
        server=prometheus.url,
        commit=commit,
        dirty=dirty,
        results=tuple(m.result for m in results),
    )
    plans = {(m.result.offering, m.result.slo): (m.shape, m.queries) for m in results}
    not_defined = [f"{o.id}/{s.id}" for o, s in slos if s.measurement is None]
    return Run(snapshot, document(snapshot, generator, plans, not_defined))


def _in_order(one: Callable[[tuple[model.Offering, model.SLO]], Measured], todo: list[Any]) -> Iterator[Measured]:
    if len(todo) <= 1:
        yield from map(one, todo)
        return
    with ThreadPoolExecutor(max_workers=CONCURRENT_QUERIES, thread_name_prefix="measure") as pool:
        yield from pool.map(one, todo)


def _unmeasured(
    o: model.Offering, s: model.SLO, start: dt.datetime, end: dt.datetime, timezone: str | None, reason: str
) -> Measured:
    assert s.measurement is not None
    result = model.MeasuredSLO(
        o.id, s.id, s.objective, s.window, start, end, reason=printable(reason), timezone=timezone
    )
    return Measured(result, {}, shape_of(s.measurement))
