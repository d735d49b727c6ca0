"""Pyrra's `ServiceLevelObjective` resources (`pyrra.dev/v1alpha1`), read.

A Pyrra objective has a target (percent, as text), a window (a Prometheus duration) and one
indicator: `ratio` (errors over total), `latency` (successes over total), `latencyNative`
(a native histogram and a latency: read as the error ratio Pyrra records of it) or
`bool_gauge`, each a selector of a metric, summed over its series or, with `grouping`, for each
group on its own: the worst group's error ratio. It has no
service: the catalog SLO it measures is named by the annotation `servicebook.dev/slo`, or
guessed from its namespace (but Kubernetes' `default`, which names no service; without one, its label
`pyrra.dev/service`) and name. Its apiVersion is not required: Pyrra's filesystem mode does not read it.
"""

from __future__ import annotations

import re
from decimal import Decimal

from servicebook.catalog import model
from servicebook.catalog.queries import WINDOW_PLACEHOLDER, QueryForm, label_in_promql, query_form
from servicebook.interop.foreign import (
    Fields,
    ForeignSLO,
    Located,
    ObjectiveRule,
    Reading,
    label_id,
    objective_up_to_100,
    prometheus_seconds,
    refuse,
    rolling_window,
    text_not_number,
    under_one_percent,
)
from servicebook.source.yaml import Scalar, SourceText
from servicebook.source.yaml import Sequence as YamlSequence

API_VERSION = "pyrra.dev/v1alpha1"
ANNOTATION = "servicebook.dev/slo"
# what Pyrra's webhook takes (kubernetes/api/v1alpha1 validate: "target must be between 0 and 100")
PYRRA_TAKES = ObjectiveRule("Pyrra", "as Pyrra's webhook requires", takes_zero=True)
DEFAULT_NAMESPACE = "default"  # where Kubernetes puts what names no namespace: not a service
SERVICE = "pyrra.dev/service"  # a label rhobs/configuration's objectives name their service with
TEAM = "pyrra.dev/team"  # Pyrra's README labels an objective with its team (passed to its rules as `team`)
# an equality matcher on the bucket bound inside a selector's braces, its value in any of PromQL's
# quotes, as Pyrra's PromQL parser reads it: `le="0.1"`, `le='0.1'`, `le=`0.1``
_LE_MATCHER = re.compile(r"""[{,]\s*le\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|`([^`]*)`)""")
# what Go's strconv.ParseFloat reads as a number, which Pyrra's webhook requires of the bound
_GO_FLOAT = re.compile(r"[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf(?:inity)?|nan)", re.I)
# a query of Pyrra's CRD (its Query type) has a metric and nothing else: matchers go in the selector
NOT_A_QUERY_FIELD = "Pyrra's query is its metric alone: write matchers in the selector"
# Pyrra's `metric{…} offset 1m`: a selector shifted back in time
_OFFSET = re.compile(r"(?P<selector>.*?)\s+offset\s+(?P<by>-?[0-9][0-9a-z]*)\s*", re.S)


def read(root: Fields, source: SourceText, reading: Reading) -> None:
    api = root.text("apiVersion")
    kind = root.text("kind")
    if api is None or api.value != API_VERSION:
        reading.note(
            source,
            api.location if api is not None else (kind.location if kind is not None else root.location),
            f"read {f'apiVersion {api.value}' if api is not None else 'a ServiceLevelObjective without apiVersion'} "
            f"as Pyrra's filesystem mode reads it (it does not check apiVersion); Kubernetes refuses it",
            f"write apiVersion: {API_VERSION}, as Pyrra's resources are, to apply it with kubectl",
        )
    root.node_of("status")  # what Pyrra's controller reports (`kubectl get -o yaml` has it), not the objective
    meta = root.fields("metadata", required=True)
    assert meta is not None
    name = meta.text("name", required=True)
    assert name is not None
    namespace = meta.text("namespace")
    annotations = meta.strings("annotations")
    labels = meta.strings("labels")
    meta.used.update(meta.items)
    service = namespace.value if namespace and namespace.value != DEFAULT_NAMESPACE else None
    labelled = labels.get(SERVICE, "").strip()
    if service is None and labelled and label_id(labelled) == labelled:
        # Pyrra has no service; files that name no namespace (read by its filesystem mode) may label one
        service = labelled
        reading.note(
            source,
            meta.at("labels"),
            f"read the label {SERVICE} {labelled} as the objective's service: it names no namespace",
        )
    _team(labels, meta, service, source, reading)
    slo = ForeignSLO("Pyrra", name.location, name.value, service=service)
    slo.service_guessed = True
    if ANNOTATION in annotations:
        slo.explicit = meta.located_in("annotations", ANNOTATION)
    spec = root.fields("spec", required=True)
    assert spec is not None
    target = spec.text("target", required=True)
    assert target is not None
    text_not_number(slo, reading, source, target, "target")
    slo.objective, slo.objective_at = (
        objective_up_to_100(source, reading, target, "target", PYRRA_TAKES),
        target.location,
    )
    under_one_percent(reading, source, target, slo.objective, "Pyrra")
    window = spec.text("window", required=True)
    assert window is not None
    seconds = prometheus_seconds(window.value)
    if seconds is None:
        raise refuse(source, window.location, f"window '{window.value}' is not a Prometheus duration", "e.g. 28d, 4w")
    slo.window, slo.window_at = rolling_window(seconds), window.location
    if slo.window is None:
        raise refuse(source, window.location, f"a window of {window.value} is not a whole number of days (1 to 999)")
    slo.budgeting, slo.budgeting_at = model.Budgeting.OCCURRENCES, name.location
    description = spec.text("description")
    slo.description = description.value if description and description.value.strip() else None
    slo.measurement, slo.measurement_at = _indicator(spec, source, reading), spec.at("indicator")
    if spec.has("alerting"):
        spec.node_of("alerting")
        reading.note(source, spec.at("alerting"), "dropped 'alerting' (alerts are not part of the catalog)")
    spec.dropped(reading, "not part of the catalog")
    root.dropped(reading, "not part of the catalog")
    reading.slos.append(slo)


def _team(labels: dict[str, str], meta: Fields, service: str | None, source: SourceText, reading: Reading) -> None:
    """The owner of the offering an objective's namespace names, from its `pyrra.dev/team` label."""
    team = labels.get(TEAM, "").strip()
    if not team:
        return
    at = meta.at("labels")
    if service is None:
        reading.note(source, at, f"dropped the label {TEAM} {team}: no namespace names its offering")
        return
    reading.services.setdefault(service, {}).setdefault("owner", team)
    reading.note(source, at, f"guessed the offering's owner {team} from the label {TEAM}")


# the indicator's shapes, as the resource spells them, by their key without case or '_'
_SHAPES = {k.replace("_", "").casefold(): k for k in ("ratio", "latency", "latencyNative", "bool_gauge")}


def _indicator(spec: Fields, source: SourceText, reading: Reading) -> model.Measurement | None:
    indicator = spec.fields("indicator", required=True)
    assert indicator is not None
    given = [k for k in _SHAPES.values() if indicator.has(k)]
    if len(given) != 1:
        # `boolGauge` (Pyrra's API and UI name it so) or `latency_native`: the resource spells them otherwise,
        # and Pyrra's webhook reads no indicator of such a key
        near = next((k for k in indicator.items if _SHAPES.get(k.replace("_", "").casefold(), k) != k), None)
        if near is not None and not given:
            raise refuse(
                source,
                indicator.at(near),
                "an indicator gives exactly one of ratio, latency, latencyNative, bool_gauge: "
                f"'{near}' is none of them",
                f"write {_SHAPES[near.replace('_', '').casefold()]}: as Pyrra's ServiceLevelObjective resource "
                "spells it",
            )
        raise refuse(
            source, indicator.location, "an indicator gives exactly one of ratio, latency, latencyNative, bool_gauge"
        )
    shape = indicator.fields(given[0])
    assert shape is not None
    by = _grouping(shape, source)
    measurement: model.Measurement | None
    if given[0] == "ratio":
        first, total_q = _query(shape, "errors", reading), _query(shape, "total", reading)
        errors, total = _counted(first, total_q, source, reading)
        measurement = model.Measurement(errors=errors, total=total)
        if by:
            bad, every = _increase(first, by), _increase(total_q, by)
            # a group without a series of errors had none: 0, not a group left out of the worst
            measurement = model.Measurement(error_ratio=f"max(({bad} or 0 * {every}) / {every})")
    elif given[0] == "latency":
        success, total_q = _success(shape, source, reading), _query(shape, "total", reading)
        good, total = _counted(success, total_q, source, reading)
        measurement = model.Measurement(good=good, total=total)
        if by:
            ratio = f"max(1 - {_increase(success, by)} / {_increase(total_q, by)})"
            measurement = model.Measurement(error_ratio=ratio)
    elif given[0] == "bool_gauge":
        metric = shape.text("metric", required=True)
        assert metric is not None
        measurement = model.Measurement(bool_gauge=metric.value)
        if by:
            gauge, group = f"{metric.value.strip()}[{WINDOW_PLACEHOLDER}]", _by(by)
            ratio = f"max(1 - sum by ({group}) (sum_over_time({gauge})) / sum by ({group}) (count_over_time({gauge})))"
            measurement = model.Measurement(error_ratio=ratio)
    else:
        measurement = _native(shape, source, reading, by)
    if by:
        assert measurement.error_ratio is not None
        reading.note(
            source,
            shape.at("grouping"),
            f"measured the worst of each {', '.join(by)}: Pyrra's objective holds for each group on its own "
            "(one SLO a group), so the catalog's SLO is its worst group's error ratio, met when every group meets "
            f"it: {measurement.error_ratio}",
            "check the query: the sum over every group would be a weaker promise, met while one group fails",
        )
    shape.dropped(reading, "not part of the indicator")
    return measurement


def _grouping(shape: Fields, source: SourceText) -> tuple[str, ...]:
    """The labels of an indicator's `grouping` (none for null or an empty list, as Pyrra writes
    `grouping: null`); each a Prometheus label name, Prometheus 3's UTF-8 names (`http.method`)
    included: Pyrra writes each into its rules' `sum by (…)`, quoted where PromQL needs it."""
    node = shape.node_of("grouping")
    if node is None:
        return ()
    if not isinstance(node, YamlSequence):
        raise refuse(source, node.location, "'grouping' is a list of label names", "e.g. grouping: [service, method]")
    labels = []
    for item in node.items:
        if not isinstance(item, Scalar) or not item.value.strip():
            raise refuse(
                source,
                item.location,
                "'grouping' is a list of label names",
                "a Prometheus label name, e.g. method (or, on Prometheus 3, http.method)",
            )
        labels.append(item.value.strip())
    return tuple(dict.fromkeys(labels))


def _by(labels: tuple[str, ...]) -> str:
    return ", ".join(label_in_promql(label) for label in labels)


def _increase(query: Located, by: tuple[str, ...]) -> str:
    """A counter's increase over the window, summed by the labels `by` (a selector as _counted
    accepted it, optionally with Pyrra's offset)."""
    shift = _OFFSET.fullmatch(query.value)
    selector = (shift["selector"] if shift else query.value).strip()
    offset = f" offset {shift['by']}" if shift else ""
    return f"sum by ({_by(by)}) (increase({selector}[{WINDOW_PLACEHOLDER}]{offset}))"


def _native(shape: Fields, source: SourceText, reading: Reading, by: tuple[str, ...]) -> model.Measurement:
    """A native histogram's latency indicator as the error ratio Pyrra records of it (its
    slo/rules.go: `1 - histogram_fraction(0, LATENCY, rate(TOTAL[window]))`), summed over the
    histogram's series so the ratio is one number, said in the report."""
    total = _query(shape, "total", reading)
    latency = shape.text("latency", required=True)
    assert latency is not None
    bound = _seconds(latency.value)
    if bound is None:
        raise refuse(
            source, latency.location, f"latency '{latency.value}' is not a Prometheus duration", "e.g. 200ms, 1s"
        )
    if query_form(total.value) is not QueryForm.SELECTOR:
        raise refuse(source, total.location, f"'{total.value}' is not a metric selector, as Pyrra reads it")
    if by:  # each group's share, the worst of them (what that means: said by the caller)
        rate = f"sum by ({_by(by)}) (rate({total.value.strip()}[{WINDOW_PLACEHOLDER}]))"
        return model.Measurement(error_ratio=f"max(1 - histogram_fraction(0, {bound}, {rate}))")
    ratio = f"1 - histogram_fraction(0, {bound}, sum(rate({total.value.strip()}[{WINDOW_PLACEHOLDER}])))"
    reading.note(
        source,
        shape.location,
        f"guessed the error ratio of the native histogram as Pyrra records it: {ratio}",
        "check the query: the share of requests slower than the latency, over the window",
    )
    return model.Measurement(error_ratio=ratio)


_MILLISECONDS = re.compile(r"([0-9]{1,12})ms")


def _seconds(text: str) -> str | None:
    """A Prometheus duration (`200ms`, `1s`, `1m30s`) as seconds, written as PromQL takes a number."""
    text = text.strip()
    millis = _MILLISECONDS.fullmatch(text)
    if millis is not None:
        value = Decimal(millis[1]) / 1000
    else:
        seconds = prometheus_seconds(text)
        if seconds is None or seconds == 0:
            return None
        value = Decimal(seconds)
    return format(value.normalize(), "f") if value > 0 else None


def _query(shape: Fields, key: str, reading: Reading) -> Located:
    inner = shape.fields(key, required=True)
    assert inner is not None
    metric = inner.text("metric", required=True)
    assert metric is not None
    inner.dropped(reading, NOT_A_QUERY_FIELD)
    return metric


def _counted(first: Located, total: Located, source: SourceText, reading: Reading) -> tuple[str, str]:
    """A ratio's two counters as the catalog measures them: selectors as written (counted as
    sum(increase(SELECTOR[window]))); when Pyrra's `offset` shifts one, both as that PromQL over
    {{.window}}, the offset after the range where PromQL takes it, so the two still divide."""
    shifted = [_OFFSET.fullmatch(q.value) for q in (first, total)]
    out = []
    for query, shift in zip((first, total), shifted, strict=True):
        selector = shift["selector"] if shift else query.value
        if query_form(selector) is not QueryForm.SELECTOR:
            raise refuse(
                source,
                query.location,
                f"'{query.value}' is not a metric selector (optionally with offset), as Pyrra reads it",
                'e.g. http_requests_total{code=~"5.."}',
            )
        if not any(shifted):
            out.append(query.value)
        else:
            by = f" offset {shift['by']}" if shift else ""
            out.append(f"sum(increase({selector.strip()}[{WINDOW_PLACEHOLDER}]{by}))")
    if any(shifted):
        reading.note(
            source,
            first.location,
            f"guessed the queries as PromQL over {WINDOW_PLACEHOLDER}: an offset shifts the range, "
            "which a selector cannot say",
        )
    return out[0], out[1]


def _success(shape: Fields, source: SourceText, reading: Reading) -> Located:
    """A latency indicator's `success`: the histogram's bucket of requests under a bound, which
    its `le="…"` matcher names; without one the selector counts every bucket, not a ratio."""
    inner = shape.fields("success", required=True)
    assert inner is not None
    metric = inner.text("metric", required=True)
    assert metric is not None
    le = _LE_MATCHER.search(metric.value)
    if le is not None:
        bound = next(group for group in le.groups() if group is not None)
        if not _GO_FLOAT.fullmatch(bound):
            raise refuse(
                source,
                metric.location,
                f"the latency indicator's bound le '{bound}' is not a number: Pyrra's webhook refuses it (latency "
                "success metric must contain a le label matcher with a float value)",
                'write the bound in seconds, as the histogram\'s buckets name it, e.g. le="0.5"',
            )
    else:
        # a `matchers:` list beside the metric (Pyrra's examples/demo-dynamic-burnrate.yaml puts le
        # there) is no field of Pyrra's CRD: Kubernetes prunes it, and servicebook does not read it
        unread = ""
        if "matchers" in inner.items:
            at = inner.at("matchers")
            unread = f"; 'matchers' at {at.line}:{at.column} is not read ({NOT_A_QUERY_FIELD})"
        raise refuse(
            source,
            metric.location,
            'the latency indicator\'s success metric has no le="…" matcher: '
            f"it would count every bucket, not the requests faster than a bound{unread}",
            'add the bound in seconds to the selector, e.g. le="1" (Pyrra needs it too)',
        )
    inner.dropped(reading, NOT_A_QUERY_FIELD)
    return metric
