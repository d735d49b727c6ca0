"""Measuring one SLO: the queries its `measurement` becomes, what Prometheus answers, and the
figures read from the answers, or why there are none. Each shape, over the window [start, end]
(W, a PromQL duration):

- errors or good, with total, written as selectors: counts of events,
  `sum(increase(SEL[W]))` each; `sum(resets(SEL[W]))` says whether a counter restarted (the
  increase counts across a restart as one from 0). An errors (good) selector that matches no
  series counts 0 only when its metric has series in the window (nothing went wrong yet);
  otherwise it is not measured.
- errors or good, with total, written as PromQL with {{.window}}: each evaluated as written with
  W for {{.window}} (Sloth's `sum(rate(…[{{.window}}]))`): values in the query's own unit, whose
  ratio is the share of bad (good) events. No series is not measured (`or vector(0)` in the
  query counts none as 0).
- error_ratio: PromQL with {{.window}}, the share of bad events over W; a selector is a series
  that already holds the ratio over the SLO's window (a recording rule), read at `end`.
- budgeting: timeslices, with errors or good and total, or an error_ratio in PromQL: each query
  over a slice (S) gives the slice's share of good events, a slice good when it is at least the
  slice target; good slices = `sum_over_time((SHARE >= bool T)[W-S/2:S])`, all slices =
  `count_over_time(SHARE[W-S/2:S])` (a slice without events is not counted).
- budgeting: ratio-timeslices: the same slices, the attainment the mean of their shares,
  `sum_over_time(SHARE[W-S/2:S])` over all slices.
- bool_gauge: a selector of a 0/1 gauge: good = `sum(sum_over_time(SEL[W]))` samples, total =
  `sum(count_over_time(SEL[W]))` samples; PromQL with {{.window}} gives the share of good time
  itself (`avg_over_time(…[{{.window}}])`).

The data behind the total (or the ratio, or the gauge) is also read as a range query in steps;
steps without data are reported as gaps: the figures are from the data there is, and say so.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from servicebook.catalog import model
from servicebook.catalog.queries import (
    QueryForm,
    bucket_bounds,
    every_spelling,
    metric_name,
    query_form,
    selector_text,
    with_window,
)
from servicebook.catalog.slo import format_duration
from servicebook.errors import printable
from servicebook.measure.budget import Attainment, NotMeasurable, from_counts, from_ratio, promql_duration
from servicebook.measure.prometheus import Prometheus, QueryFailed, Sample, Series, told

MAX_POINTS = 10_000  # points of one range query (Prometheus refuses more than 11,000)
MIN_STEP = 300  # seconds: Prometheus' default look-back; finer steps would see scrape gaps as outages


@dataclass(frozen=True, slots=True)
class Plan:
    """What one SLO is measured with: its shape, and the queries as they are sent."""

    shape: str  # "errors/total", "good/total", "error_ratio", "bool_gauge"
    queries: dict[str, str] = field(default_factory=dict)  # name → PromQL


def gap_step(seconds: int) -> int:
    """The step of the range query that looks for gaps: at least 5 min, at most 10,000 points."""
    step = max(MIN_STEP, math.ceil(seconds / MAX_POINTS))
    return math.ceil(step / 60) * 60


class _Refused(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Measured:
    result: model.MeasuredSLO
    queries: dict[str, str]
    shape: str


def measure_slo(
    prometheus: Prometheus,
    offering: model.Offering,
    slo: model.SLO,
    start: dt.datetime,
    end: dt.datetime,
    timezone: str | None = None,
) -> Measured:
    """Measure `slo` over [start, end] (a calendar window's period begun in `timezone`, which the
    result records); the result says why when it could not be measured (a
    QueryFailed from an unreachable server is raised, for the caller to stop asking). Its reason
    and notes are printable (errors.printable): they quote the catalog's own queries (a metric a
    `__name__` matcher names, a bucket's bound, a gap query), and a CI job's log obeys a workflow
    command in them."""
    assert slo.measurement is not None
    seconds = int((end - start).total_seconds())
    window = promql_duration(seconds)
    at = end.timestamp()
    sent: dict[str, str] = {}
    asking: list[str] = []  # the name of the query asked last: a refusal is said of it
    notes: list[str] = []

    warned: dict[str, list[str]] = {}  # query name → the server's warnings with its answers

    def ask(name: str, promql: str, when: float | None = None, whole: str | None = None) -> tuple[Sample, ...]:
        # a bucket's bound in each spelling it may be stored in (le="1" is "1.0" on Prometheus 3)
        sent[name] = every_spelling(whole or promql)
        asking[:] = [name]
        return prometheus.query(every_spelling(promql), at if when is None else when, warned.setdefault(name, []))

    base = model.MeasuredSLO(offering.id, slo.id, slo.objective, slo.window, start, end, reason=None, timezone=timezone)
    m = slo.measurement
    shape = shape_of(m)
    try:
        if shape == "error_ratio":
            assert m.error_ratio is not None
            got, counted = _ratio(ask, m.error_ratio, window), None
            figures = from_ratio(got, slo.objective)
            good = total = None
            if slo.budgeting is not model.Budgeting.OCCURRENCES and query_form(m.error_ratio) is QueryForm.TEMPLATE:
                ratio = m.error_ratio
                figures, good, total, counted = _slices(
                    ask, lambda size: f"(1 - ({with_window(ratio, size)}))", slo, (start, end), notes, _NO_VALUE
                )
            gap_query = m.error_ratio
        elif shape == "bool_gauge":
            assert m.bool_gauge is not None
            figures, good, total, counted = _gauge(ask, m.bool_gauge, window, slo)
            gap_query = m.bool_gauge
        else:
            part = m.errors if m.errors is not None else m.good
            assert part is not None and m.total is not None
            name = "errors" if m.errors is not None else "good"
            total, counted = _count(ask, "total", m.total, window, notes, required=True)
            value, _ = _count(ask, name, part, window, notes, required=False)
            if not math.isfinite(value) or value < 0:  # said of the query, not of a good count made from it
                raise NotMeasurable(f"the {name} query returned {value:g}: not a count of events")
            good = total - value if name == "errors" else value
            if name == "errors" and value > total:
                raise NotMeasurable(
                    f"more errors ({value:g}) than events in all ({total:g}): the queries do not count the same events"
                )
            figures = from_counts(good, total, slo.objective)
            gap_query = m.total
            if slo.budgeting is not model.Budgeting.OCCURRENCES:
                # the counts over the window above refuse what cannot be counted (no series, a
                # bucket that is not one); the promise is on the slices, counted next
                # a selector's events are its counter's increase; PromQL may be any query (a gauge's
                # avg_over_time): what leaves a slice out is said as it fits the total query
                why = _NO_EVENTS if query_form(m.total) is QueryForm.SELECTOR else _NO_VALUE
                share = _counted_share(name, part, m.total)
                figures, good, total, counted = _slices(ask, share, slo, (start, end), notes, why)
        asking[:] = ["coverage"]
        gaps, covered = _gaps(prometheus, sent, gap_query, start, end)
        notes += gaps
        if shape == "error_ratio" and query_form(gap_query) is QueryForm.SELECTOR:
            # a recording rule's series holds the ratio over the whole window, worked out from the
            # data behind it, however recently the rule was loaded: its own samples say nothing of that
            covered = None
    except (NotMeasurable, _Refused) as exc:
        return Measured(replace(base, reason=printable(str(exc))), sent, shape)
    except QueryFailed as exc:
        if type(exc) is not QueryFailed:
            raise
        what = f"the {asking[0]} query over the {format_duration(seconds)} window" if asking else "a query"
        return Measured(replace(base, reason=printable(f"query failed: {exc}{_what_to_do(exc, what)}")), sent, shape)
    notes += _warnings(warned)
    result = replace(
        base,
        attainment=figures.attainment,
        budget_consumed=figures.consumed,
        good=good,
        total=total,
        counted_as=counted,
        notes=tuple(map(printable, notes)),
        covered=covered,
    )
    return Measured(result, sent, shape)


def _warnings(warned: dict[str, list[str]]) -> list[str]:
    """A note for each warning the server gave with its answers (a partial response), naming the queries
    it was given with: the figures are from what the server had."""
    by_warning: dict[str, list[str]] = {}
    for name, said in warned.items():
        for warning in dict.fromkeys(said):
            by_warning.setdefault(warning, []).append(name)
    notes = []
    for warning, names in by_warning.items():
        named = f"{', '.join(names[:-1])} and {names[-1]} queries" if len(names) > 1 else f"{names[0]} query"
        notes.append(f"the server warned with its answer to the {named} (the figures may be incomplete): {warning}")
    return notes


def _counted_share(name: str, part: str, total: str) -> Callable[[str], str]:
    """The share of good events in a slice of the given length, from the errors (good) and total
    queries over the slice: none when the slice has no events (a division by 0 is no share)."""

    def over(query: str, size: str, *, none_is_zero: bool) -> str:
        if query_form(query) is QueryForm.TEMPLATE:
            return f"({with_window(query, size)})"
        zero = " or vector(0)" if none_is_zero else ""
        return f"(sum(increase({selector_text(query)}[{size}])){zero})"

    def share(size: str) -> str:
        # a slice whose counter of errors (good events) has no series in it counts none of them
        of = f"{over(part, size, none_is_zero=True)} / ({over(total, size, none_is_zero=False)} > 0)"
        return f"(1 - {of})" if name == "errors" else f"({of})"

    return share


# why a slice is not counted, said after how many were: a counter's increase needs two samples in
# the slice; PromQL (a gauge's avg_over_time, a ratio of rates) may give no value for other reasons
_NO_EVENTS = "slices had events, and only they are counted (a counter needs two samples in a slice to count its events)"
_NO_VALUE = (
    "slices had a share of good events, and only they are counted (the others gave the query no value: no "
    "samples in them, or no events)"
)


def _slices(
    ask: Ask,
    good_share: Callable[[str], str],
    slo: model.SLO,
    window: tuple[dt.datetime, dt.datetime],
    notes: list[str],
    why: str,
) -> tuple[Attainment, float, float, str]:
    """A time-slice SLO's good and all slices over the window (OpenSLO's Timeslices): a slice is good
    when its share of good events (`good_share` of the slice's length) is at least the slice target
    (for ratio-timeslices, OpenSLO's RatioTimeslices, the shares are summed instead: their mean);
    a slice without events (for a counter, without two samples in it) is not counted, and `why`
    says so in a note when there are fewer slices than the window's.

    A subquery `[R:S]` evaluates at the multiples of S in its range, each slice (t - S, t]; its range
    is R = W - S/2, not W, so that it holds W/S slices whether its start is in the range (Prometheus 2)
    or not (3): `[1d:1m]` counts 1,441 one-minute slices on Prometheus 2. Prometheus holds every
    slice of every series the share reads at once, so a long window of short slices (90 days of
    minutes: 129,600 a series) can pass its query.max-samples: then the slices are counted in parts
    (`_in_parts`), which add up to the same count."""
    assert slo.timeslice_window is not None  # validate.py requires it
    start, end = (round(t.timestamp()) for t in window)
    seconds = end - start
    size = slo.timeslice_window * 60
    share = good_share(promql_duration(size))
    ratios = slo.budgeting is model.Budgeting.RATIO_TIMESLICES
    queries: dict[str, Callable[[str], str]] = {"slices": lambda span: f"count_over_time({share}{span})"}
    if ratios:
        # OpenSLO's RatioTimeslices: the mean of the slices' shares, each slice weighing the same
        queries["slice shares"] = lambda span: f"sum_over_time({share}{span})"
    else:
        assert slo.timeslice_target is not None  # validate.py requires it with timeslices
        target = format(slo.timeslice_target / 100, "f")
        queries["good slices"] = lambda span: f"sum_over_time(({share} >= bool {target}){span})"
    # the slices' ends: the multiples of S in (end - W + S/2, end], as the subquery over the window has them
    first = (start + size // 2) // size * size + size
    last = end // size * size
    parts: list[tuple[int, int]] = [(first, last)]
    counts: dict[str, float | None] = {}
    for name, query in queries.items():
        counts[name], parts = _in_parts(ask, name, query, size, parts, whole=seconds - size // 2)
    all_slices = counts["slices"]
    if not all_slices:
        raise _Refused(f"no {format_duration(size)} slice of the window has events to share: nothing to count")
    if len(parts) > 1:
        notes.append(
            f"the slices were counted in {len(parts)} parts: Prometheus refused to hold all "
            f"{(last - first) // size + 1:,} of them at once (more samples than its query.max-samples)"
        )
    expected = seconds // size
    if all_slices < expected:
        notes.append(f"{int(all_slices):,} of the window's {expected:,} {format_duration(size)} {why}")
    if ratios:
        shares = counts["slice shares"] or 0.0
        return from_counts(shares, all_slices, slo.objective), shares, all_slices, "slice shares"
    good = counts["good slices"] or 0.0
    return from_counts(good, all_slices, slo.objective), good, all_slices, "slices"


def _in_parts(
    ask: Ask,
    name: str,
    query: Callable[[str], str],
    size: int,
    parts: list[tuple[int, int]],
    whole: int,
) -> tuple[float | None, list[tuple[int, int]]]:
    """The sum of `query` (a `[R:S]` subquery of the slices, `query(span)`) over the slices whose
    ends are in `parts` ((first, last) multiples of S), and the parts it was asked in. One part is
    asked as the window, at the end time with its range (`whole`), as every query is; each part is asked
    at its last slice's end with a range from half a slice before its first, which holds exactly
    its slices on Prometheus 2 and 3. A part refused for holding more samples than the server's
    query.max-samples is halved, down to one slice; None when no slice gave a value."""
    total: float | None = None
    done: list[tuple[int, int]] = []
    todo = list(parts)
    while todo:
        first, last = todo.pop(0)
        step = promql_duration(size)
        window = query(f"[{promql_duration(whole)}:{step}]")
        try:
            if len(parts) == 1 and not done and (first, last) == parts[0]:
                asked = ask(name, window)  # at the end time, as every query of the window is
            else:
                asked = ask(name, query(f"[{promql_duration(last - first + size // 2)}:{step}]"), last, window)
            value = _one(name, asked)
        except QueryFailed as exc:
            if type(exc) is not QueryFailed or not _too_many_samples(exc) or first == last:
                raise
            middle = first + (last - first) // size // 2 * size
            todo[:0] = [(first, middle), (middle + size, last)]
            continue
        done.append((first, last))
        if value is not None:
            total = (total or 0.0) + value
    return total, done


def _too_many_samples(exc: QueryFailed) -> bool:
    """Prometheus refused the query for loading more samples than its --query.max-samples."""
    return "too many samples" in str(exc)


def _what_to_do(exc: QueryFailed, what: str) -> str:
    """What to do about a query that failed for the window's length, said after Prometheus' words."""
    if _too_many_samples(exc):
        return (
            f": {what} reads more samples at once than the server's --query.max-samples allows (50,000,000 "
            "by default); raise that limit on the Prometheus server, or promise over a shorter window"
        )
    if "query timed out" in str(exc):
        return f": {what} takes the server longer than its --query.timeout (2 min by default); raise that limit"
    if str(exc).startswith("no answer within"):
        return f": {what} took longer; give measure a longer --timeout"
    if "in label matching, expected identifier" in str(exc):  # a quoted name in braces, which Prometheus 2 cannot read
        return (
            f': {what} names a metric or label in quotes (a UTF-8 name, `{{"http.server.request.duration"}}`), '
            "which Prometheus reads from version 3 on; ask a Prometheus 3, or write the name as this server stores it"
        )
    return ""


def shape_of(m: model.Measurement) -> str:
    if m.error_ratio is not None:
        return "error_ratio"
    if m.bool_gauge is not None:
        return "bool_gauge"
    return "errors/total" if m.errors is not None else "good/total"


class Ask(Protocol):
    """Asks Prometheus a query at the end time, recorded under its name as sent; or a part of the
    window's (at `when`), recorded as the window's query (`whole`), which it adds up to."""

    def __call__(
        self, name: str, promql: str, when: float | None = None, whole: str | None = None, /
    ) -> tuple[Sample, ...]: ...


def _one(name: str, samples: tuple[Sample, ...]) -> float | None:
    """The query's single value; None for no series."""
    if not samples:
        return None
    if len(samples) > 1:
        raise _Refused(f"the {name} query returned {len(samples)} series, not one value: wrap it in sum(…)")
    value = samples[0].value
    if math.isnan(value):
        raise _Refused(f"the {name} query returned NaN (a division by zero: no events in the window?)")
    return value


def _form(name: str, query: str) -> QueryForm:
    form = query_form(query)
    if form is None:  # validate.py refuses it in the catalog; a catalog read otherwise gets here
        raise _Refused(f"the {name} query is neither a metric selector nor PromQL with {{{{.window}}}}")
    return form


def _count(ask: Ask, name: str, query: str, window: str, notes: list[str], *, required: bool) -> tuple[float, str]:
    form = _form(name, query)
    if form is QueryForm.TEMPLATE:
        value = _one(name, ask(name, with_window(query, window)))
        if value is None:
            hint = "" if required else "; if that means none happened, end the query with `or vector(0)`"
            raise _Refused(f"the {name} query returned no series for the window{hint}")
        return value, "query values"
    selector = selector_text(query)
    value = _one(name, ask(name, f"sum(increase({selector}[{window}]))"))
    if value is None:
        no_bucket = _no_bucket(ask, selector, window)
        if no_bucket is not None:
            raise _Refused(f"the {name} selector {no_bucket}")
        metric = metric_name(selector)
        present = (
            _one(f"{name} metric", ask(f"{name} metric", f"count(count_over_time({_named(metric)}[{window}]))"))
            if metric and not required
            else None
        )
        if not present:
            what = f"no series of {metric} at all" if metric and not required else "no series"
            raise _Refused(f"the {name} selector matched {what} in the window: nothing to count")
        notes.append(f"{name}: the selector matched no series in the window while {metric} has some: counted as 0")
        value = 0.0
    resets = _one(f"{name} resets", ask(f"{name} resets", f"sum(resets({selector}[{window}]))"))
    if resets is not None and not (math.isfinite(resets) and resets >= 0):  # no server of the API counts so
        raise _Refused(f"the {name} resets query returned {resets:g}: not a count of restarts")
    if resets:
        restarts = int(resets)
        notes.append(
            f"{name}: {restarts} counter reset{'s' if restarts != 1 else ''} in the window; "
            "increase() counts each as a restart from 0"
        )
    return value, "events"


def _ratio(ask: Ask, query: str, window: str) -> float:
    form = _form("error_ratio", query)
    promql = with_window(query, window) if form is QueryForm.TEMPLATE else selector_text(query)
    value = _one("error_ratio", ask("error_ratio", promql))
    if value is None:
        if form is QueryForm.TEMPLATE:
            no_bucket = _no_bucket(ask, query, window)
            raise _Refused(f"the error_ratio query {no_bucket or 'returned no series for the window'}")
        raise _Refused(f"the error_ratio selector {_why_no_value(ask, selector_text(query), window)}")
    return value


def _no_bucket(ask: Ask, query: str, window: str) -> str | None:
    """Why a query that names a histogram's bucket (`…_bucket{le="0.25"}`) has no value, when no
    series of that metric has that bound: an `le` that is not one of the histogram's bounds
    matches nothing, which counted 0 fast requests, or no group at all, rather than naming the
    bucket. None when every bound named is there (or the metric has no series: said elsewhere)."""
    for metric, le in bucket_bounds(query):
        # the bound as a PromQL string: one written in single quotes may hold '"' (`le='0.1",job="x'`),
        # which spliced between double quotes made another selector than the query's
        bound = json.dumps(le, ensure_ascii=False)
        if _one("bucket", ask("bucket", f"count(count_over_time({_named(metric, f',le={bound}')}[{window}]))")):
            continue
        every = ask("bounds", f"count by (le) (count_over_time({_named(metric)}[{window}]))")
        bounds = {s.labels["le"] for s in every if s.labels.get("le")}
        if not bounds:
            continue
        listed = ", ".join(sorted(bounds, key=lambda bound: (_bound(bound), bound)))  # `1` before `1.0`: one order
        return (
            f'found no bucket le="{le}": no series of {metric} has that bound in the window (its bounds: '
            f"{told(listed)}); an le that is not one of the histogram's bounds "
            "matches nothing"
        )
    return None


def _named(metric: str, more: str = "") -> str:
    """The selector of every series of `metric` (and `more` matchers): its name a PromQL string, as a UTF-8
    name of Prometheus 3 may hold a quote."""
    return f"{{__name__={json.dumps(metric, ensure_ascii=False)}{more}}}"


def _bound(le: str) -> float:
    try:
        return float(le)
    except ValueError:
        return math.inf


def _why_no_value(ask: Ask, selector: str, window: str) -> str:
    """Why a selector of a recording rule's series (Sloth's `slo:sli_error:ratio_rate30d{…}`)
    has no value at the end time, as far as Prometheus can tell: no metric of that name at all
    (the rule is not loaded, or records another name), series of that name but none with these
    labels, or series that stopped before the end (the rule is no longer evaluated, or not yet up
    to then). Each is a different fix; "no series" alone named none of them."""
    metric = metric_name(selector)
    if metric:
        named = _one("metric", ask("metric", f"count(count_over_time({_named(metric)}[{window}]))"))
        if not named:
            return (
                f"has no value: Prometheus has no series named {metric} in the window; is the recording "
                "rule that records it loaded there, under that name, and was it by then? (a rule records "
                "from when it is loaded: `promtool check rules FILE` lists the names a rule file records, "
                "`promtool tsdb create-blocks-from rules` backfills them)"
            )
    matched = _one("series", ask("series", f"count(count_over_time({selector}[{window}]))"))
    if not matched:
        if not metric:
            return "matched no series in the window"
        return (
            f"matched no series in the window, though {metric} has some: its labels differ from the "
            "selector's (compare them with the recording rule's labels)"
        )
    return (
        "has no value at the end time, though its series have samples earlier in the window: it stopped "
        "(is the recording rule still evaluated, up to the end time?)"
    )


def _gauge(ask: Ask, query: str, window: str, slo: model.SLO) -> tuple[Attainment, float | None, float | None, str]:
    form = _form("bool_gauge", query)
    if form is QueryForm.TEMPLATE:
        share = _one("bool_gauge", ask("bool_gauge", with_window(query, window)))
        if share is None:
            raise _Refused("the bool_gauge query returned no series for the window")
        return from_ratio(1 - share, slo.objective), None, None, "share of time"
    selector = selector_text(query)
    good = _one("good samples", ask("good", f"sum(sum_over_time({selector}[{window}]))"))
    total = _one("samples", ask("total", f"sum(count_over_time({selector}[{window}]))"))
    if good is None or total is None:
        raise _Refused("the bool_gauge selector matched no series in the window: nothing to count")
    return from_counts(good, total, slo.objective), good, total, "samples"


def _gaps(
    prometheus: Prometheus, sent: dict[str, str], query: str, start: dt.datetime, end: dt.datetime
) -> tuple[list[str], int | None]:
    """Steps of the window with no data behind `query`, as notes ("no data from … to …"), and
    the seconds of the window the steps with data cover (None: not checked)."""
    seconds = int((end - start).total_seconds())
    step = gap_step(seconds)
    if seconds < 2 * step:
        return [], None
    duration = promql_duration(step)
    if query_form(query) is QueryForm.TEMPLATE:
        promql = with_window(query, duration)
    else:
        promql = f"sum(count_over_time({selector_text(query)}[{duration}]))"
    promql = every_spelling(promql)
    sent["coverage"] = promql
    first = start.timestamp() + step  # each point looks back one step: the first covers [start, start + step]
    series = _range_in_parts(prometheus, promql, first, end.timestamp(), step)
    seen = {round(t) for s in series for t, v in s.points if not math.isnan(v)}
    if not seen and query_form(query) is QueryForm.TEMPLATE:
        # the query gave figures over the window, so the data is there: a rate() over one step
        # needs two samples in it, which samples scraped that far apart do not give
        return [
            f"gaps not checked: `{promql}` returned nothing at any {format_duration(step)} step, "
            f"though the query over the window did (are samples more than {format_duration(step // 2)} apart?)"
        ], None
    expected = range(round(first), round(end.timestamp()) + 1, step)
    covered = min(seconds, step * len(seen.intersection(expected)))
    notes = []
    run_start: int | None = None
    for t in [*expected, None]:
        missing = t is not None and t not in seen
        if missing and run_start is None:
            run_start = t
        elif not missing and run_start is not None:
            last = t - step if t is not None else expected[-1]
            gap_from, gap_to = run_start - step, last
            notes.append(
                f"no data from {_utc(gap_from)} to {_utc(gap_to)} ({format_duration(gap_to - gap_from)}, "
                f"to within {format_duration(step)}); the figures are from the data there is"
            )
            run_start = None
    return notes, covered


def _range_in_parts(prometheus: Prometheus, promql: str, first: float, last: float, step: int) -> list[Series]:
    """A range query's series from `first` to `last` every `step`; a range refused for holding more
    samples than the server's query.max-samples (each point of every series the query reads) is
    asked in halves, whose points are the same steps."""
    try:
        return list(prometheus.query_range(promql, first, last, step))
    except QueryFailed as exc:
        if type(exc) is not QueryFailed or not _too_many_samples(exc) or last - first < step:
            raise
    middle = first + (last - first) // step // 2 * step
    return [
        *_range_in_parts(prometheus, promql, first, middle, step),
        *_range_in_parts(prometheus, promql, middle + step, last, step),
    ]


def _utc(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
