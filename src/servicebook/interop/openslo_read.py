"""OpenSLO v1 files, read: `Service`, `SLI`, `SLO` and `DataSource` objects (alert objects are
reported as dropped). An SLO's indicator is inline or an `indicatorRef` to an SLI of any file read;
its metric becomes the catalog's measurement when its source is Prometheus. An SLO with several
objectives becomes one catalog SLO per objective; a composite SLO is not read.

What servicebook's own export keeps under `servicebook.dev/` annotations (the exact objective,
names and prose longer than OpenSLO allows, the measurement's shape) is read back from them.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

from servicebook.catalog import model
from servicebook.catalog.queries import WINDOW_PLACEHOLDER, QueryForm, grouped_by, query_form
from servicebook.catalog.validate import did_you_mean
from servicebook.errors import Problem, SourceLocation
from servicebook.interop.foreign import (
    CALENDAR_PERIODS,
    OPENSLO_V2ALPHA,
    OPENSLO_V2ALPHA1,
    OSKO_GROUPS,
    Fields,
    ForeignSLO,
    LeftOut,
    Located,
    Reading,
    Refused,
    bucket_under,
    label_id,
    number_not_text,
    percent,
    plain_decimal,
    prometheus3_bounds,
    range_over_expression_note,
    refuse,
    rolling_window,
    summed_text,
    text_not_number,
    worst_group,
)
from servicebook.interop.openslo import BUDGETING_METHODS, PREFIX
from servicebook.source.yaml import Mapping, Node, Scalar, Sequence, SourceText

_SHORTHAND = re.compile(r"([1-9][0-9]{0,8})([mhdwMQY])")  # at most 9 digits: int() reads them
_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
# OpenSLO's calendar durations the catalog has a window for, and those of the same length (a 7d
# period from startTime is a week; 3M a quarter; 12M and 4Q a year); where a period begins is
# read from startTime (_starts_a_period)
_CALENDAR = {
    "1w": "calendar-week",
    "7d": "calendar-week",
    "1M": "calendar-month",
    "3M": "calendar-quarter",
    "1Q": "calendar-quarter",
    "1Y": "calendar-year",
    "4Q": "calendar-year",
    "12M": "calendar-year",
}
_CALENDAR_TEXT = "1w, 1M, 1Q and 1Y"
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# what each calendar window of the catalog begins on, at 00:00 in its time zone
_BEGINS = {
    "calendar-week": "Monday",
    "calendar-month": "the 1st",
    "calendar-quarter": "the 1st",
    "calendar-year": "the 1st of January",
}
# a rolling month, quarter or year (oslo's test inputs roll 1M): no number of days says it
_ROLLING_HINT = {
    "M": "months have no length in days: write the window in days (30d or 28d for one), or "
    "isRolling: false with a calendar for calendar months",
    "Q": "quarters have no length in days: write the window in days (90d for one), or isRolling: false "
    "with a calendar for calendar quarters",
    "Y": "years have no length in days: write the window in days (365d for one), or isRolling: false "
    "with a calendar for calendar years",
}
# the kinds of OpenSLO v1 (OpenSLO/OpenSLO pkg/openslo/kind.go), and those of them about alerting
_KINDS = ("SLO", "SLI", "DataSource", "Service", "AlertPolicy", "AlertCondition", "AlertNotificationTarget")
_ALERT_KINDS = frozenset({"AlertPolicy", "AlertCondition", "AlertNotificationTarget"})
# A metric source's query, as OpenSLO's examples name it, or as Nobl9's OpenSLO files name a
# Prometheus one (nobl9/nobl9-openslo: `spec.promql`)
_QUERY_KEYS = ("query", "promql")
# isRolling as YAML 1.1 reads a boolean, as OpenSLO's Go tools do (sigs.k8s.io/yaml): `True`, `yes`
_TRUE = frozenset({"true", "yes", "on", "y"})
_FALSE = frozenset({"false", "no", "off", "n"})
# osko's (the OpenSLO Kubernetes operator's) annotation for an SLO's owner, read before the labels
OSKO_OWNER = "osko/owner"


@dataclass(frozen=True, slots=True)
class _Version:
    """What an OpenSLO version calls the parts the reader reads: v2alpha renamed an SLO's indicator
    `sli` (and indicatorRef `sliRef`), its service `serviceRef` (the go-sdk's first v2alpha wrote
    `service`, as oslo's test inputs do), and writes a metric's dataSourceRef or dataSourceSpec and
    spec where v1 nests them under metricSource."""

    indicator: str
    ref: str
    services: tuple[str, ...]
    v2: bool = False  # v2alpha's metrics, kinds and names
    draft: bool = False  # openslo/v2alpha1, the draft: an inline data source named by its key (_draft_source)


_V1 = _Version("indicator", "indicatorRef", ("service",))
_V2 = _Version("sli", "sliRef", ("serviceRef", "service"), v2=True)
# the draft writes `service` (as the go-sdk's first v2alpha did), `sli` and `sliRef`
_V2ALPHA1 = _Version("sli", "sliRef", ("service", "serviceRef"), v2=True, draft=True)


def _version(api: str) -> _Version:
    return {OPENSLO_V2ALPHA: _V2, OPENSLO_V2ALPHA1: _V2ALPHA1}.get(api, _V1)


_DRAFT = "openslo/v2alpha1 (OpenSLO's draft of v2alpha)"


def _draft_source(f: Fields, reading: Reading, keys: tuple[str, ...]) -> str | None:
    """The draft's inline data source: a key that names its type (`prometheus: {…connection}`), where
    v2alpha writes dataSourceSpec (or a DataSource's spec.type); None where there is none. Said where
    it is: the draft and v2alpha differ there."""
    named = [key for key in f.items if key not in keys]
    if not named:
        return None
    f.used.update(named)
    kind = "Prometheus" if named[0].casefold() == "prometheus" else named[0]
    reading.note(
        f.source,
        f.at(named[0]),
        f"read '{named[0]}' as the data source's type {kind}: {_DRAFT} names an inline data source by its key, "
        "where v2alpha writes its type (dataSourceSpec: {type: …} in a metric, spec.type in a DataSource)",
    )
    return kind


@dataclass(slots=True)
class _Source:
    type: str | None
    ref: str | None
    query: str | None
    location: SourceLocation
    query_location: SourceLocation | None = None
    size: str | None = None  # slogen's (Sumo Logic's) length of a time slice, in its metric source's spec


@dataclass(slots=True)
class _Indicator:
    shape: str  # "good", "bad", "raw-failure", "raw-success", "threshold", ""
    sources: dict[str, _Source]  # good/bad/total/raw/threshold → its metric source
    description: str | None
    annotations: dict[str, str]
    location: SourceLocation
    source: SourceText
    counter: Located | None = None  # a ratio's `counter`: false says its metrics are gauges


@dataclass(slots=True)
class _Pending:
    slo: ForeignSLO
    indicator: _Indicator | None
    ref: Located | None
    source: SourceText
    threshold: tuple[str | None, str | None]  # the objective's op and value
    written: tuple[Located | None, Located | None]  # the same, where they are written
    node: Node  # the SLO's document, for the drift check to tell whose it is


@dataclass(slots=True)
class OpenSLOState:
    """What a reading of OpenSLO files gathers before SLOs and SLIs can be joined."""

    slis: dict[str, _Indicator] = field(default_factory=dict)
    data_sources: dict[str, str] = field(default_factory=dict)  # name → type
    pending: list[_Pending] = field(default_factory=list)
    services: dict[str, tuple[SourceText, SourceLocation]] = field(default_factory=dict)  # name → where
    # what a Service's labels said of its owner: unsaid when no SLO read names the Service (finish)
    owner_notes: dict[str, list[Problem]] = field(default_factory=dict)


def _annotations(meta: Fields) -> dict[str, str]:
    return {k.removeprefix(PREFIX): v for k, v in meta.strings("annotations").items() if k.startswith(PREFIX)}


def _foreign_annotations(meta: Fields, reading: Reading, *, taken: str | None = None) -> None:
    """Say each annotation that is not servicebook's (`openslo.com/…`, another tool's) where it is:
    the catalog keeps none of them but the owner `taken` ("annotation osko/owner")."""
    meta.strings("annotations")
    found = meta.items.get("annotations")
    if found is not None and isinstance(found[1], Mapping):
        for key, _ in found[1].items:
            if not key.value.startswith(PREFIX) and taken != f"annotation {key.value}":
                reading.note(
                    meta.source, key.location, f"dropped the annotation '{key.value}' (the catalog keeps {PREFIX} ones)"
                )


def _not_text(value: Scalar) -> str | None:
    """What a plain value is to Go's YAML (sigs.k8s.io/yaml, YAML 1.1) when it is not text: "a number",
    "a boolean"; None for text (or null, which Go reads as no text)."""
    if not value.plain or value.is_null:
        return None
    if value.value.lower() in _TRUE | _FALSE:
        return "a boolean"
    try:
        return "a number" if Decimal(value.value.replace("_", "")).is_finite() else None
    except ArithmeticError:
        return None


def _boolean_not_text(source: SourceText, written: Located | None, what: str) -> None:
    """Refuse a boolean written in quotes (`isRolling: "true"`, `counter: "false"`): a bool to OpenSLO's
    Go SDK (and oslo), which refuses the file (`json: cannot unmarshal string into … of type bool`), as
    the Kubernetes API does osko's resource."""
    if written is not None and not written.plain and written.value.strip().lower() in _TRUE | _FALSE:
        raise refuse(
            source,
            written.location,
            f"{what} '{written.value}' is written in quotes, as text: OpenSLO's Go SDK (and oslo) reads a boolean "
            "there and refuses the file",
            f"write {what}: {written.value.strip().lower()}, without quotes",
        )


def _text_values(meta: Fields) -> None:
    """Refuse a label's or an annotation's value that is no text, as OpenSLO's Go SDK refuses the file
    (v1 Metadata: annotations map[string]string, labels a string or a list of strings each; its YAML
    becomes JSON, and `json: cannot unmarshal number into … of type string`), as the Kubernetes API
    refuses osko's."""
    for key, what in (("labels", "label"), ("annotations", "annotation")):
        found = meta.items.get(key)
        if found is None or not isinstance(found[1], Mapping):
            continue
        for name, node in found[1].items:
            values = node.items if isinstance(node, Sequence) and key == "labels" else (node,)
            for value in values:
                kind = _not_text(value) if isinstance(value, Scalar) else None
                if kind is not None and isinstance(value, Scalar):
                    raise refuse(
                        meta.source,
                        value.location,
                        f"the {what} '{name.value}' is {value.value}, {kind}: OpenSLO reads {key} as text; its Go "
                        "SDK (and oslo), and the Kubernetes API for osko's resources, refuse the file",
                        f'write it quoted: "{value.value}"',
                    )


def _metadata(root: Fields, reading: Reading, *, service: str | None = None) -> tuple[Fields, Located]:
    """The object's metadata and name; for a Service or an SLO (`service`: the one it names), the
    offering's owner its labels or osko's annotation give (_owner)."""
    meta = root.fields("metadata", required=True)
    assert meta is not None
    name = meta.text("name", required=True)
    assert name is not None
    _text_values(meta)
    meta.text("displayName")
    owner_key = _owner(meta, service, reading) if service is not None else None
    _foreign_annotations(meta, reading, taken=owner_key)
    if meta.has("labels"):
        node = meta.node_of("labels")
        rest = [k.value for k, _ in node.items] if isinstance(node, Mapping) else []
        if owner_key is not None and owner_key.startswith("label "):
            rest = [k for k in rest if k != owner_key.removeprefix("label ")]
        if rest or not isinstance(node, Mapping):
            named = f" {', '.join(rest)}" if owner_key is not None else ""
            reading.note(meta.source, meta.at("labels"), f"dropped 'labels'{named} (the catalog has no labels)")
    meta.dropped(reading, "not OpenSLO metadata")
    return meta, name


def _display_name(meta: Fields, api: str) -> Located | None:
    """metadata.displayName, where the version has it: OpenSLO v2alpha has not (its key is said dropped
    where it is, foreign._say_unknown), so it names nothing there."""
    return None if api == OPENSLO_V2ALPHA else meta.text("displayName")


def _written_api(root: Fields) -> str:
    found = root.items.get("apiVersion")
    return found[1].value if found is not None and isinstance(found[1], Scalar) else ""


def _written_name(root: Fields) -> str | None:
    """The object's metadata.name as written, before its metadata is read (and said)."""
    meta = root.items.get("metadata")
    if meta is None or not isinstance(meta[1], Mapping):
        return None
    name = dict((k.value, v) for k, v in meta[1].items).get("name")
    return name.value if isinstance(name, Scalar) else None


def _owner(meta: Fields, service: str, reading: Reading) -> str | None:
    """The offering's owner as OpenSLO files name it, where the specification has no field for it: osko's
    annotation `osko/owner`, else the label `owner`, else `team` (OpenSLO's go-sdk examples label an SLO
    `team: [team-a, team-b]`, its v2alpha ones `team: team-a`); a list's first value, the others said.
    Kept for the offering `service` names, as the Sloth and Pyrra imports guess owners, and said; returns
    which it was ("annotation osko/owner", "label team"), or None."""
    if PREFIX + "owner" in meta.strings("annotations"):  # servicebook's own export says it
        return None
    candidates: list[tuple[str, Node]] = []
    for key, what in (("annotations", "annotation"), ("labels", "label")):
        found = meta.items.get(key)
        if found is not None and isinstance(found[1], Mapping):
            named = {k.value: v for k, v in found[1].items}
            for wanted in (OSKO_OWNER,) if key == "annotations" else ("owner", "team"):
                if wanted in named:
                    candidates.append((f"{what} {wanted}", named[wanted]))
    for which, node in candidates:
        values = [v for v in (node.items if isinstance(node, Sequence) else [node]) if isinstance(v, Scalar)]
        owners = [v.value.strip() for v in values if not v.is_null and v.value.strip()]
        if not owners:
            continue
        reading.services.setdefault(service, {}).setdefault("owner", owners[0])
        others = f" (the catalog has one owner: dropped {', '.join(owners[1:])})" if len(owners) > 1 else ""
        reading.note(
            meta.source, values[0].location, f"guessed the offering's owner {owners[0]} from the {which}{others}"
        )
        return which
    return None


def read(root: Fields, source: SourceText, reading: Reading, state: OpenSLOState) -> None:
    api = root.text("apiVersion")
    kind = root.text("kind", required=True)
    assert kind is not None
    version = _version(api.value if api is not None else "")
    if kind.value == "Service":
        _service(root, source, reading, state)
    elif kind.value == "SLI":
        meta, name = _metadata(root, reading)
        spec = root.fields("spec", required=True)
        assert spec is not None
        state.slis[name.value] = _indicator(spec, source, reading, _annotations(meta), version)
    elif kind.value == "SLO":
        _slo(root, source, reading, state, api.value if api is not None else "")
    elif kind.value == "DataSource":
        _, name = _metadata(root, reading)
        spec = root.fields("spec", required=True)
        assert spec is not None
        typed = _draft_source(spec, reading, ("description", "type", "connectionDetails")) if version.draft else None
        kind_of = spec.text("type", required=typed is None)
        assert kind_of is not None or typed is not None
        state.data_sources[name.value] = kind_of.value if kind_of is not None else str(typed)
        spec.used.update(spec.items)
    elif kind.value in _ALERT_KINDS:
        reading.note(source, kind.location, f"dropped the {kind.value} (alerting is not part of the catalog)")
        return
    elif kind.value == "BudgetAdjustment" and version.v2:  # v2alpha's: a window the budget does not count
        reading.note(
            source,
            kind.location,
            "dropped the BudgetAdjustment (a time its SLO's error budget does not count: the catalog's budgets "
            "have no adjustments)",
            "say it where readers see it: a policy page, or the offering's description",
        )
        return
    elif kind.value == "Datasource" and api is not None and api.value in OSKO_GROUPS:
        _osko_datasource(root, source, reading, api.value)
        return
    else:  # a kind OpenSLO v1 does not define: a misspelt SLO is not an alert to pass over
        near = next((k for k in _KINDS if k.casefold() == kind.value.casefold()), None)
        reading.note(
            source,
            kind.location,
            f"skipped the {kind.value}: not a kind of OpenSLO v1 ({', '.join(_KINDS)})",
            f"kinds are written as the specification spells them: {near}" if near else None,
        )
        return
    root.dropped(reading, "not part of an OpenSLO object")


def _osko_datasource(root: Fields, source: SourceText, reading: Reading, api: str) -> None:
    """osko's own Datasource (its spelling; OpenSLO v1's DataSource is another object): the Mimir,
    Cortex or Prometheus osko sends an SLO's queries to, which `servicebook measure` is told with
    --prometheus. Named as such, not as a misspelt DataSource."""
    meta = root.fields("metadata")
    name = meta.text("name") if meta is not None else None
    spec = root.fields("spec")
    kind_of = spec.text("type") if spec is not None else None
    what = f"'{name.value}' " if name is not None else ""
    of = f", type {kind_of.value}" if kind_of is not None else ""
    reading.note(
        source,
        root.location,
        f"skipped osko's Datasource {what}({api}{of}): where osko sends the queries of the SLOs that name it "
        "(osko.dev/datasourceRef), not an OpenSLO v1 DataSource",
        "servicebook measures the SLOs' queries against the Prometheus API given to `servicebook measure "
        "--prometheus URL` (Mimir and Cortex serve one): give it the address this Datasource names",
    )


def _service(root: Fields, source: SourceText, reading: Reading, state: OpenSLOState) -> None:
    """An offering's name, summary and what servicebook's export keeps in annotations."""
    before = len(reading.notes)
    meta, name = _metadata(root, reading, service=_written_name(root))
    state.owner_notes.setdefault(name.value, []).extend(
        n for n in reading.notes[before:] if n.message.startswith("guessed the offering's owner")
    )
    state.services.setdefault(name.value, (source, name.location))
    annotations = _annotations(meta)
    display = _display_name(meta, _written_api(root))
    spec = root.fields("spec")
    description = spec.text("description") if spec is not None else None
    if spec is not None:
        spec.dropped(reading, "not part of the catalog")
    fields = {k: v for k, v in annotations.items() if k in ("owner", "tier", "lifecycle", "audience")}
    fields["display"] = annotations.get("name") or (display.value if display else name.value)
    summary = annotations.get("summary") or (description.value if description else None)
    if summary:
        fields["summary"] = summary
    reading.services[name.value] = {**reading.services.get(name.value, {}), **fields}  # an owner from labels


def _metric(f: Fields | None, version: _Version = _V1, reading: Reading | None = None) -> _Source | None:
    if f is None:
        return None
    if version.v2:
        return _metric_v2alpha(f, reading if version.draft else None)
    misplaced = [key for key in ("metricSourceRef", "type", "spec") if key in f.items]
    if not f.has("metricSource") and misplaced:
        raise refuse(
            f.source,
            f.at(misplaced[0]),
            f"{f.what} has no 'metricSource': '{misplaced[0]}' is written beside it, not in it",
            f"indent {', '.join(misplaced)} under metricSource: (OpenSLO v1: {f.what.strip(chr(39))}: metricSource: "
            "{metricSourceRef, type, spec})",
        )
    ms = f.fields("metricSource", required=True)
    assert ms is not None
    kind, ref = ms.text("type"), ms.text("metricSourceRef")
    written = ms.node_of("spec")
    if isinstance(written, Scalar):  # osko's samples write the query itself as the metric source's spec
        return _Source(
            kind.value if kind else None, ref.value if ref else None, written.value, ms.location, written.location
        )
    spec = ms.fields("spec")
    query, query_location, size = None, None, None
    if spec is not None:
        for key in _QUERY_KEYS:
            q = spec.node_of(key)
            if isinstance(q, Scalar) and not q.is_null:
                query, query_location = q.value, q.location
                break
        sized = spec.node_of("size")
        size = sized.value if isinstance(sized, Scalar) and not sized.is_null else None
        spec.used.update(spec.items)
    return _Source(kind.value if kind else None, ref.value if ref else None, query, ms.location, query_location, size)


def _metric_v2alpha(f: Fields, draft: Reading | None = None) -> _Source:
    """A v2alpha metric: its data source named (dataSourceRef) or written in it (dataSourceSpec, whose
    type says Prometheus; the draft's key that names it, `draft`: the reading, for openslo/v2alpha1),
    and its spec, which holds the query as v1's metricSource's spec does."""
    if f.has("metricSource"):
        raise refuse(
            f.source,
            f.at("metricSource"),
            f"{f.what} has a metricSource, as OpenSLO v1 writes a metric; v2alpha writes dataSourceRef (or "
            "dataSourceSpec) and spec in the metric itself",
            "write it as v2alpha does (good: {dataSourceRef: NAME, spec: {query: …}}), or the file as openslo/v1",
        )
    ref = f.text("dataSourceRef")
    inline = f.fields("dataSourceSpec")
    kind = inline.text("type") if inline is not None else None
    if inline is not None:
        inline.used.update(inline.items)  # its connection details: the catalog keeps none
    typed = _draft_source(f, draft, ("dataSourceRef", "dataSourceSpec", "spec")) if draft is not None else None
    if typed is not None and kind is None:  # its connection details: the catalog keeps none
        kind = Located(typed, f.location)
    query, query_location = None, None
    spec = f.fields("spec")
    if spec is not None:
        for key in _QUERY_KEYS:
            q = spec.node_of(key)
            if isinstance(q, Scalar) and not q.is_null:
                query, query_location = q.value, q.location
                break
        spec.used.update(spec.items)
    return _Source(kind.value if kind else None, ref.value if ref else None, query, f.location, query_location)


def _missing(fields: Fields, source: SourceText, wanted: tuple[str, ...], message: str) -> Refused:
    """`message` (a field required is missing), said where a key is written that is a slip for it (`objective`,
    `ratioMethic`, as older OpenSLO examples write them), with the key meant; else where the mapping is."""
    for key in fields.items:
        near = did_you_mean(key, wanted)
        if near is not None and key not in wanted:
            return refuse(source, fields.at(key), f"{message}: '{key}' is not read", near)
    return refuse(source, fields.location, message)


def _indicator(
    spec: Fields, source: SourceText, reading: Reading, annotations: dict[str, str], version: _Version = _V1
) -> _Indicator:
    description = spec.text("description")
    ratio, threshold = spec.fields("ratioMetric"), spec.fields("thresholdMetric")
    sources: dict[str, _Source] = {}
    shape = ""
    counter = None
    if ratio is None and threshold is None:
        raise _missing(
            spec, source, ("ratioMetric", "thresholdMetric"), "an SLI gives one of ratioMetric and thresholdMetric"
        )
    if ratio is not None and threshold is not None:
        raise refuse(source, spec.location, "an SLI gives exactly one of ratioMetric and thresholdMetric")
    if threshold is not None:
        shape = "threshold"
        found = _metric(threshold, version, reading)
        if found:
            sources["threshold"] = found
    elif ratio is not None:
        counter = ratio.text("counter")
        _boolean_not_text(source, counter, "counter")
        for key in ("good", "bad", "total", "raw"):
            found = _metric(ratio.fields(key), version, reading)
            if found is not None:
                sources[key] = found
        raw_type = ratio.text("rawType")
        if "raw" in sources and "total" not in sources:
            if raw_type is None or raw_type.value not in ("success", "failure"):
                raise refuse(source, ratio.location, "raw needs rawType: success or failure")
            shape = f"raw-{raw_type.value}"
        elif "total" in sources and ("good" in sources) != ("bad" in sources):
            shape = "good" if "good" in sources else "bad"
        else:
            raise refuse(source, ratio.location, "a ratioMetric gives good or bad with total, or raw")
        ratio.dropped(reading, "not part of a ratio metric")
    spec.dropped(reading, "not part of an SLI")
    described = description.value if description else None
    return _Indicator(shape, sources, described, annotations, spec.location, source, counter)


def _slo(root: Fields, source: SourceText, reading: Reading, state: OpenSLOState, api: str) -> None:
    version = _version(api)
    _composite(root, source, version)
    spec = root.fields("spec", required=True)
    assert spec is not None
    service = next((s for s in (spec.text(key) for key in version.services) if s is not None), None)
    if service is None:
        raise refuse(source, spec.location, f"the SLO's spec has no '{version.services[0]}'")
    meta, name = _metadata(root, reading, service=service.value)
    annotations = _annotations(meta)
    display = _display_name(meta, api)
    description = spec.text("description")
    ref, inline = _indicator_of(spec, source, reading, version)
    indicator = None
    if inline is not None:
        inline_meta = inline.fields("metadata")
        inline_annotations = _annotations(inline_meta) if inline_meta is not None else {}
        if inline_meta is not None:
            _text_values(inline_meta)
            _foreign_annotations(inline_meta, reading)
            inline_meta.used.update(inline_meta.items)
        inner = inline.fields("spec")
        if inner is not None:
            indicator = _indicator(inner, source, reading, inline_annotations, version)
        else:  # as oslo's test inputs write one (metadata only): an SLO whose measurement is not said
            named = inline_meta.text("name") if inline_meta is not None else None
            reading.note(
                source,
                inline.location,
                f"the inline indicator{f' {named.value!r}' if named else ''} has no spec: no measurement",
                "give it a spec with ratioMetric or thresholdMetric, or write the measurement in the catalog",
            )
        inline.dropped(reading, "not part of an inline SLI")
    elif ref is None:
        _v1_indicator(spec, version)
        raise refuse(source, spec.location, f"an SLO needs {version.indicator} or {version.ref}")
    budgeting, method = _budgeting(spec, source)
    window, timezone, begins = _time_window(spec, source, reading)
    if spec.has("alertPolicies"):
        spec.node_of("alertPolicies")
        reading.note(source, spec.at("alertPolicies"), "dropped 'alertPolicies' (alerting is not part of the catalog)")
    objectives = spec.items_of("objectives")
    if not objectives:
        raise _missing(spec, source, ("objectives",), "an SLO needs objectives")
    for i, node in enumerate(objectives):
        objective = Fields(node, source, "an objective")
        slo_name = name.value
        label = objective.text("displayName")
        if len(objectives) > 1:
            slo_name = f"{name.value}-{label_id(label.value) if label and label_id(label.value) else i + 1}"
            reading.note(
                source,
                objective.location,
                f"guessed the id '{slo_name}' for objective {i + 1} (the catalog has one per SLO)",
            )
        slo = ForeignSLO("OpenSLO", name.location, slo_name, service=service.value, annotations=dict(annotations))
        if "slo" in annotations and len(objectives) == 1:
            slo.explicit = meta.located_in("annotations", PREFIX + "slo")
        slo.display_name = annotations.get("name") or (display.value if display else None)
        shown = slo.display_name or name.value
        if label is not None and label.value.strip() and label.value != shown:
            if len(objectives) > 1:  # the objective's words name the SLO made of it
                slo.display_name = f"{shown}: {label.value}"
            else:
                reading.note(
                    source,
                    label.location,
                    f"dropped the objective's displayName '{label.value}' (the SLO is named '{shown}')",
                )
        slo.description = annotations.get("sli") or (description.value if description else None)
        slo.budgeting, slo.budgeting_at = method, budgeting.location
        slo.window, slo.window_at = window
        slo.timezone, slo.timezone_at = timezone if timezone is not None else (None, None)
        slo.window_begins, slo.window_begins_at = begins if begins is not None else (None, None)
        op, value = objective.text("op"), objective.text("value")
        _numbers_as_written(objective, source, reading, slo, api, i)
        _objective(objective, source, reading, slo, method, indicator)
        state.pending.append(
            _Pending(
                slo,
                indicator,
                ref,
                source,
                (op.value if op else None, value.value if value else None),
                (op, value),
                root.node,
            )
        )
        objective.dropped(reading, "not part of an objective")
        reading.slos.append(slo)
    spec.dropped(reading, "not part of the catalog")


def _indicator_of(
    spec: Fields, source: SourceText, reading: Reading, version: _Version
) -> tuple[Located | None, Fields | None]:
    """The SLO's indicator reference and inline indicator, by the version's names; the draft's own
    example writes v1's (indicator, indicatorRef), read as its sli and sliRef, said where they are."""
    ref, inline = spec.text(version.ref), spec.fields(version.indicator)
    if version.draft and ref is None and inline is None:
        for v1_name, name_of in ((_V1.indicator, version.indicator), (_V1.ref, version.ref)):
            if spec.has(v1_name):
                reading.note(
                    source,
                    spec.at(v1_name),
                    f"read '{v1_name}' as '{name_of}': {_DRAFT} names it {name_of}, as v2alpha does (the draft's own "
                    f"example writes {v1_name}, OpenSLO v1's name)",
                )
        ref, inline = spec.text(_V1.ref), spec.fields(_V1.indicator)
    return ref, inline


def _v1_indicator(spec: Fields, version: _Version) -> None:
    """Refuse an SLO of v2alpha that names its indicator as OpenSLO v1 does (indicator, indicatorRef) where
    it is written, with v2alpha's name: a file half moved to v2alpha."""
    if not version.v2:
        return
    for v1_name, name_of in ((_V1.indicator, version.indicator), (_V1.ref, version.ref)):
        if v1_name in spec.items:
            raise refuse(
                spec.source,
                spec.at(v1_name),
                f"an SLO of OpenSLO v2alpha names its indicator {name_of}: '{v1_name}' is OpenSLO v1's name",
                f"write {name_of} (v2alpha renamed v1's {v1_name}), or the file as openslo/v1",
            )


def _budgeting(spec: Fields, source: SourceText) -> tuple[Located, model.Budgeting]:
    """The SLO's budgetingMethod as written, and the catalog's."""
    budgeting = spec.text("budgetingMethod")
    if budgeting is None:  # required by OpenSLO v1, and left out by hand-written files and other tools' exports
        raise refuse(
            source,
            spec.location,
            "the SLO has no budgetingMethod (OpenSLO v1 requires one)",
            "write budgetingMethod: Occurrences to count good events (as Sloth and Pyrra do), or Timeslices "
            "with timeSliceTarget and timeSliceWindow on the objective to count good time slices",
        )
    method = next((m for m, written in BUDGETING_METHODS.items() if written == budgeting.value), None)
    if method is None:
        near = next(
            (written for written in BUDGETING_METHODS.values() if written.casefold() == budgeting.value.casefold()),
            None,
        )
        raise refuse(
            source,
            budgeting.location,
            f"budgetingMethod '{budgeting.value}' is not one of {', '.join(BUDGETING_METHODS.values())}",
            f"OpenSLO spells it {near}" if near else None,
        )
    return budgeting, method


def _composite(root: Fields, source: SourceText, version: _Version) -> None:
    """Leave out a composite SLO (OpenSLO v1: an objective with its own indicator or indicatorRef,
    weighted by compositeWeight), said at the first objective's indicator or weight, before anything
    of it is read: the catalog has one indicator per SLO. An import reads the file's other SLOs."""
    spec = root.items.get("spec")
    if spec is None or not isinstance(spec[1], Mapping):
        return
    objectives = dict((key.value, value) for key, value in spec[1].items).get("objectives")
    if not isinstance(objectives, Sequence):
        return
    for node in objectives.items:
        if not isinstance(node, Mapping):
            continue
        for key, _ in node.items:
            if key.value in (version.ref, version.indicator, "compositeWeight"):
                name = _written_name(root)
                named = f" '{name}'" if name is not None else ""
                raise LeftOut(
                    refuse(
                        source,
                        key.location,
                        f"a composite SLO (an indicator per objective, weighted: '{key.value}' on an objective) "
                        "is not read",
                        "the catalog has one indicator per SLO: write each objective's indicator as an SLO of its "
                        f"own, with {version.indicator} or {version.ref} under spec",
                    ).problem,
                    f"the composite SLO{named}",
                )


def _time_window(
    spec: Fields, source: SourceText, reading: Reading
) -> tuple[
    tuple[str | None, SourceLocation | None], tuple[str, SourceLocation] | None, tuple[str, SourceLocation] | None
]:
    """The window in the catalog's spelling and where it is, its calendar's time zone, and where a
    calendar window's periods begin when that is not where the catalog's do (with the place of the
    startTime that says so)."""
    windows = spec.items_of("timeWindow")
    if not windows:
        return (None, None), None, None
    if len(windows) != 1:
        raise refuse(source, spec.at("timeWindow"), "timeWindow has exactly one item")
    w = Fields(windows[0], source, "a time window")
    duration = w.text("duration", required=True)
    assert duration is not None
    rolling = w.text("isRolling")
    calendar = w.fields("calendar")
    if rolling is not None and rolling.value.lower() not in _TRUE | _FALSE:
        raise refuse(source, rolling.location, f"isRolling '{rolling.value}' is not true or false")
    _boolean_not_text(source, rolling, "isRolling")
    is_rolling = rolling is not None and rolling.value.lower() in _TRUE
    match = _SHORTHAND.fullmatch(duration.value)
    if match is None:
        raise refuse(
            source,
            duration.location,
            f"'{duration.value}' is not a duration shorthand",
            _unit_word_hint(duration.value, is_rolling),
        )
    if is_rolling:
        unit = match[2]
        window = rolling_window(int(match[1]) * _SECONDS[unit]) if unit in _SECONDS else None
        if window is None:
            raise refuse(
                source,
                duration.location,
                f"a rolling window of {duration.value} is not a whole number of days (1 to 999)",
                _ROLLING_HINT.get(unit, "the catalog's rolling windows are 1d to 999d"),
            )
        return (window, duration.location), None, None
    if calendar is None:
        raise refuse(
            source,
            w.location,
            "a window that is not rolling needs a calendar",
            "write isRolling: true for a rolling window (it is false unless written), or a calendar with its "
            "startTime for a calendar one",
        )
    start = calendar.text("startTime")
    zone = calendar.text("timeZone")
    window = _CALENDAR.get(duration.value)
    if window is None:
        raise refuse(
            source,
            duration.location,
            f"a calendar window of {duration.value}: the catalog's calendar windows are {_CALENDAR_TEXT}",
            _calendar_hint(match[2], int(match[1])),
        )
    timezone = None
    if zone is not None:
        try:
            zoneinfo.ZoneInfo(zone.value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise refuse(source, zone.location, f"'{zone.value}' is not an IANA time zone") from None
        timezone = (zone.value, zone.location)
    begins = None
    if start is not None and not _starts_a_period(start.value, window):
        begins = (f"{start.value}{_weekday(start.value) if window == 'calendar-week' else ''}", start.location)
        reading.note(
            source,
            start.location,
            f"guessed {window}, which begins on {_BEGINS[window]} at 00:00, for calendar windows "
            f"that begin at {begins[0]}",
            CALENDAR_PERIODS + "; check the objective still holds",
        )
    return (window, duration.location), timezone, begins


def _calendar_hint(unit: str, count: int) -> str:
    """What the catalog can promise instead of a calendar window it has not (2w, 1d, 6M): a rolling
    window of the same days, when it has one."""
    if unit == "m":
        return "units are case-sensitive: m is minutes, M months"
    seconds = count * _SECONDS.get(unit, 0)
    days = rolling_window(seconds) if seconds else None
    if days is not None:
        span = "a day" if days == "1d" else f"{days[:-1]} days"
        return (
            f"write isRolling: true for a rolling {days}, which judges every span of {span}, not only the "
            "calendar's; or write this SLO's window by hand"
        )
    return "write this SLO's window by hand, or leave it out"


# OpenSLO v1alpha's `unit: Day` and slogen's samples (`duration: Week`, a calendar from Monday) name a unit in words
_UNIT_WORDS = {"minute": "m", "hour": "h", "day": "d", "week": "w", "month": "M", "quarter": "Q", "year": "Y"}


def _unit_word_hint(written: str, rolling: bool) -> str:
    """What to write for a duration that is not a shorthand: the shorthand of a unit named in words,
    and whether the catalog has a window of it."""
    word = written.strip().casefold().removesuffix("s")
    unit = _UNIT_WORDS.get(word)
    if unit is None:
        return "e.g. 28d, 4w, 1M"
    hint = f"OpenSLO v1 writes one {word} as 1{unit} (a number and a unit, case-sensitive)"
    if rolling and unit not in _SECONDS:
        return f"{hint}, but a rolling {word} has no length in days: write it in days (30d, 90d, 365d)"
    if not rolling and f"1{unit}" not in _CALENDAR:
        return (
            f"{hint}, but a calendar {word} is no window of the catalog ({_CALENDAR_TEXT}): write this SLO's "
            "window by hand, or leave it out"
        )
    return hint


_START = re.compile(r"[0-9]{4}-([0-9]{2})-([0-9]{2})(?:[ T]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?)?")


def _weekday(start: str) -> str:
    """' (a Saturday)' for a startTime on a Saturday: where the file's weeks begin, said beside where
    the catalog's do; nothing for a startTime that is no date."""
    try:
        day = dt.date.fromisoformat(start.strip()[:10]).weekday()
    except ValueError:
        return ""
    return f" (a {_WEEKDAYS[day]})"  # not strftime's %A, which speaks the locale's language


def _starts_a_period(start: str, window: str) -> bool:
    """Whether OpenSLO's calendar startTime begins a period of the catalog's calendar `window`:
    midnight on a Monday for a week; on the 1st for a month, of a quarter's first month for a
    quarter, of January for a year."""
    match = _START.fullmatch(start.strip())
    if match is None:
        return False
    month, day, *time = match.groups()
    if not all(part in (None, "00") for part in time):
        return False
    if window == "calendar-week":
        try:
            return dt.date.fromisoformat(start.strip()[:10]).weekday() == 0
        except ValueError:
            return False
    first_months = {"calendar-month": range(1, 13), "calendar-quarter": (1, 4, 7, 10), "calendar-year": (1,)}
    return day == "01" and int(month) in first_months[window]


# an objective's numbers: float64 in OpenSLO's Go SDK (pkg/openslo/v1 SLOObjective), text in osko's
# resources (api/openslo/v1 ObjectivesSpec: `Target string`, its CRD's type string)
_OBJECTIVE_NUMBERS = ("target", "targetPercent", "timeSliceTarget", "value")


def _numbers_as_written(o: Fields, source: SourceText, reading: Reading, slo: ForeignSLO, api: str, index: int) -> None:
    """Refuse an objective's number written in quotes, as OpenSLO's Go SDK refuses the file (its YAML
    becomes JSON, and `json: cannot unmarshal string into Go struct field SLOObjective.target of type
    float64`), as oslo does; in osko's resources these fields are text, and a number unquoted is what
    the Kubernetes API refuses: said, as for Pyrra's target."""
    for key in _OBJECTIVE_NUMBERS:
        written = o.text(key)
        if written is None:
            continue
        if api in OSKO_GROUPS:
            where = f"spec.objectives[{index}].{key}"
            text_not_number(slo, reading, source, written, key, tool="osko", path=where, files_too=False)
        else:
            number_not_text(source, written, key, "OpenSLO's Go SDK (and oslo)")


def _objective(
    o: Fields,
    source: SourceText,
    reading: Reading,
    slo: ForeignSLO,
    method: model.Budgeting,
    indicator: _Indicator | None,
) -> None:
    o.text("displayName")
    target, percent_of = o.text("target"), o.text("targetPercent")
    if (target is None) == (percent_of is None):
        raise refuse(source, o.location, "an objective gives exactly one of target and targetPercent")
    given = target or percent_of
    assert given is not None
    if target is not None and _at_least_one(target.value):  # a percent written where a fraction goes
        raise refuse(
            source,
            target.location,
            f"target {target.value} is not a fraction below 1 (OpenSLO's target is 0.999 for 99.9 %)",
            f"write targetPercent: {target.value.strip()}, or target: {_fraction(target.value)}"
            if _at_most_100(target.value)
            else "write e.g. target: 0.999, or targetPercent: 99.9",
        )
    slo.objective = percent(
        source, given, "target" if target is not None else "targetPercent", scale=100 if target is not None else 1
    )
    slo.objective_at = given.location
    if percent_of is not None and slo.objective < 1:  # a fraction written where a percent goes
        meant = format((slo.objective * 100).normalize(), "f")
        reading.note(
            source,
            percent_of.location,
            f"an objective of {slo.objective} % (targetPercent is a percent), kept as written",
            f"if {meant} % was meant, write targetPercent: {meant} or target: {slo.objective}",
        )
    exact = slo.annotations.get("objective")
    if exact is not None:
        try:
            if abs(Decimal(exact) - slo.objective) < Decimal("1e-9"):
                slo.objective = Decimal(exact)
        except ArithmeticError:
            pass
    _time_slices(o, source, reading, slo, method, indicator)


def _time_slices(
    o: Fields,
    source: SourceText,
    reading: Reading,
    slo: ForeignSLO,
    method: model.Budgeting,
    indicator: _Indicator | None,
) -> None:
    """An objective's timeSliceTarget and timeSliceWindow, as its budgetingMethod uses them."""
    slice_target, slice_window = o.text("timeSliceTarget"), o.text("timeSliceWindow")
    if slice_target is not None:
        slo.timeslice_target = percent(source, slice_target, "timeSliceTarget", scale=100, up_to_100=True)
        slo.timeslice_target_at = slice_target.location
    if slice_window is not None:
        slo.timeslice_window_at = slice_window.location
        match = _SHORTHAND.fullmatch(slice_window.value)
        if slice_window.value.isascii() and slice_window.value.isdigit() and len(slice_window.value) <= 9:
            slo.timeslice_window = int(slice_window.value)  # minutes, says the specification
        elif match is not None and match[2] in _SECONDS:
            slo.timeslice_window = int(match[1]) * _SECONDS[match[2]] // 60
        else:
            raise _slice_window_refused(source, slice_window, match)
    if method is not model.Budgeting.OCCURRENCES:
        _slices_given(o, source, slo, method, indicator)
    # what the method has no use for is not promised: said where it is written
    unused = [("timeSliceTarget", slice_target)] if method is not model.Budgeting.TIMESLICES else []
    if method is model.Budgeting.OCCURRENCES:
        unused.append(("timeSliceWindow", slice_window))
    for key, written in unused:
        if written is not None:
            reading.note(
                source,
                written.location,
                f"dropped {key} (budgetingMethod {BUDGETING_METHODS[method]} has no use for it)",
            )
            if key == "timeSliceTarget":
                slo.timeslice_target = None
            else:
                slo.timeslice_window = None


_UNIT_NAMES = {"M": "months", "Q": "quarters", "Y": "years"}


def _slice_window_refused(source: SourceText, written: Located, match: re.Match[str] | None) -> Refused:
    """What is allowed at timeSliceWindow, said there: OpenSLO v1 writes a number (of minutes) or a
    duration shorthand, and a slice is a fixed length of time, which months, quarters and years are
    not (the catalog's timeslice_window is minutes)."""
    allowed = "a number of minutes (5) or a duration of minutes, hours, days or weeks (1m, 5m, 1h, 1d, 1w)"
    if match is not None:  # 1M, 1Q, 1Y: a shorthand OpenSLO allows elsewhere, with no fixed length
        hint = f"units are case-sensitive: m is minutes, M months: write {match[1]}m" if match[2] == "M" else None
        return refuse(
            source,
            written.location,
            f"timeSliceWindow '{written.value}' is {_UNIT_NAMES[match[2]]}, which have no fixed length: a time slice "
            f"is {allowed}",
            hint,
        )
    seconds = re.fullmatch(r"[0-9]+(?:\.[0-9]+)?\s*(?:s|sec|secs|seconds?|ms)", written.value.strip())
    return refuse(
        source,
        written.location,
        f"timeSliceWindow '{written.value}' is not a duration OpenSLO writes there: a time slice is {allowed}",
        "OpenSLO's durations have no seconds: the shortest slice is 1m" if seconds else None,
    )


def _slices_given(
    o: Fields, source: SourceText, slo: ForeignSLO, method: model.Budgeting, indicator: _Indicator | None
) -> None:
    """Refuse Timeslices without what makes a slice good and how long one is, and RatioTimeslices
    without how long a slice is (OpenSLO v1 puts both on the objective; the catalog requires them),
    saying what to write: slogen's (Sumo Logic's) samples give a slice's length as their metric
    source's `size`, which is named. RatioTimeslices has no use for a timeSliceTarget: said dropped."""
    given: list[tuple[str, object]] = [("timeSliceWindow", slo.timeslice_window)]
    if method is model.Budgeting.TIMESLICES:
        given.insert(0, ("timeSliceTarget", slo.timeslice_target))
    missing = [key for key, value in given if value is None]
    if not missing:
        return
    sizes = [s.size for s in (indicator.sources.values() if indicator else ()) if s.size]
    hint = (
        "OpenSLO v1 writes both on the objective: timeSliceTarget, the share of good events that makes a slice "
        "good (0.95), and timeSliceWindow, the length of a slice (1m)"
    )
    if method is model.Budgeting.RATIO_TIMESLICES:
        hint = "OpenSLO v1 writes it on the objective: timeSliceWindow, the length of a slice (1m)"
    if sizes and "timeSliceWindow" in missing:
        hint += (
            f"; the metric source's size ({sizes[0]}, as slogen writes it) is that length: timeSliceWindow: {sizes[0]}"
        )
    raise refuse(
        source,
        o.location,
        f"budgetingMethod {BUDGETING_METHODS[method]} needs {' and '.join(missing)} on the objective",
        f"{hint}; or write budgetingMethod: Occurrences to count events",
    )


def _at_least_one(text: str) -> bool:
    try:
        number = Decimal(text.strip())
        return number.is_finite() and number >= 1
    except ArithmeticError:
        return False  # not a number: percent() says so


def _at_most_100(text: str) -> bool:
    number = plain_decimal(text)
    return number is not None and number <= 100


def _fraction(text: str) -> str:
    """A percent (`99.9`) as OpenSLO's target writes it (`0.999`)."""
    return format((Decimal(text.strip()) / 100).normalize(), "f")


_DNS_LABEL = re.compile(r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?")  # RFC 1123, as OpenSLO's go-sdk checks names


def _in_other_case(name: str, served: set[str | None], state: OpenSLOState, reading: Reading) -> str | None:
    """A Service whose name the SLOs write in another case (`Payments`, `service: payments`) is the
    service they name, as a reader takes it: OpenSLO names are DNS labels (RFC 1123: lower case), so
    one of the two spellings is refused by OpenSLO's go-sdk and oslo, and no file they accept has
    both. Taken (None: its fields go to the SLOs' service), said with the spelling to write; where
    it is ambiguous (two Services, or two services of SLOs, alike but for case), the hint for the
    Service's skip says why it is not taken ("" where nothing is alike)."""
    folded = name.casefold()
    spellings = sorted(s for s in served if s is not None and s.casefold() == folded)
    services = sorted(s for s in state.services if s.casefold() == folded)
    if not spellings:
        return ""
    valid = next((s for s in (name, *spellings) if _DNS_LABEL.fullmatch(s)), None)
    write = f"write {valid} in both" if valid else "write both as one DNS label (lower-case letters, digits and '-')"
    if len(spellings) > 1 or len(services) > 1:
        alike = ", ".join(f"'{s}'" for s in sorted({*spellings, *services}))
        return (
            f"{alike} differ only in case: OpenSLO names are DNS labels (RFC 1123, lower case), so its go-sdk and "
            f"oslo refuse all but one, and which this Service is stays unsaid; {write}"
        )
    (service,) = spellings
    source, at = state.services[name]
    reading.services[service] = {**reading.services.pop(name, {}), **reading.services.get(service, {})}
    reading.note(
        source,
        at,
        f"read Service '{name}' as the service '{service}' the SLOs name: the two differ only in case, and OpenSLO "
        "names are DNS labels (RFC 1123, lower case), so its go-sdk and oslo refuse one of them",
        write,
    )
    return None


def finish(reading: Reading, state: OpenSLOState) -> None:
    """Join each SLO to its SLI (by indicatorRef across every file read) and read its measurement;
    an SLI that no SLO names is said to be passed over (the catalog has no SLI without its SLO)."""
    named = {p.ref.value for p in state.pending if p.ref is not None}
    served = {p.slo.service for p in state.pending}
    for name, (source, at) in state.services.items():
        if not state.pending:  # the import's "no SLO" then says why nothing of the Service is kept
            reading.note(
                source,
                at,
                f"skipped Service '{name}': a Service is read with the SLOs that name it (its description is "
                "their offering's summary), and the files read have no SLO",
                "give the files of its SLOs beside it",
            )
        if state.pending and name not in served:
            hint = _in_other_case(name, served, state, reading)
            if hint is None:
                continue
            said = f"skipped Service '{name}': no SLO in the files read names it"
            reading.note(source, at, said, hint or None)
            unsaid = state.owner_notes.get(name, [])
            reading.notes[:] = [n for n in reading.notes if not any(n is u for u in unsaid)]
            skip = next(n for n in reversed(reading.notes) if (n.location, n.message) == (at, said))
            reading.unnamed[name] = (skip, unsaid)
    for name, sli in state.slis.items():
        if name not in named:
            reading.note(sli.source, sli.location, f"skipped SLI '{name}': no SLO in the files read names it")
    for p in state.pending:
        indicator = p.indicator
        if indicator is None and p.ref is not None:
            indicator = state.slis.get(p.ref.value)
            if indicator is None:
                p.slo.missing_sli = p.ref
                if p.slo.annotations.get("measured") == "false":
                    continue  # servicebook's export of an SLO the catalog does not say how to measure
                reading.note(
                    p.source, p.ref.location, f"the SLI '{p.ref.value}' is not in the files read: no measurement"
                )
                continue
        if indicator is None:
            continue
        if indicator.shape != "threshold" and not _ratio_objective(p, reading):
            continue
        if p.slo.description is None:
            p.slo.description = indicator.annotations.get("sli") or indicator.description
        p.slo.measurement = _measurement(indicator, state, reading, p.threshold)
        p.slo.measurement_at = indicator.location
        prometheus3_bounds(p.slo, indicator.source, reading)  # its queries are known once its SLI is joined


# `op` on a ratio's objective: OpenSLO compares an SLI with a `value` by `op` for a thresholdMetric only
# ("Only needed when using a thresholdMetric"); a ratio's objective is met when the share of good
# events reaches its target. gt and gte say that (gt but for the target itself); lt and lte would
# keep the share under the target, which no objective of the catalog is.
_AT_LEAST = frozenset({"gt", "gte"})


def _ratio_objective(p: _Pending, reading: Reading) -> bool:
    """Whether the objective of an SLO whose SLI is a ratio reads as the catalog's objective: an `op`
    of lt or lte is refused where it is written (the SLO is not read); a `value`, which only a
    threshold is compared with, is said dropped."""
    op, value = p.written
    if op is not None and op.value not in _AT_LEAST:
        problem = refuse(
            p.source,
            op.location,
            f"op: {op.value} on the objective of an SLO whose SLI is a ratio: OpenSLO compares an SLI by op with a "
            "value for a thresholdMetric only; the objective of a ratio is met when the share of good events "
            f"reaches its target, and {op.value} would keep it under the target",
            "leave op out (or write op: gte): the target is the share of good events to reach; a ratio of bad "
            "events is written as bad over total, with the target of the good ones",
        ).problem
        reading.refused.append((problem, p.node))
        reading.slos[:] = [slo for slo in reading.slos if slo is not p.slo]
        return False
    if value is not None:
        reading.note(
            p.source,
            value.location,
            f"dropped the objective's value {value.value}: OpenSLO compares a value with a thresholdMetric only, and "
            "the SLI is a ratio, whose objective is its target",
        )
    return True


def _query(
    indicator: _Indicator,
    key: str,
    state: OpenSLOState,
    reading: Reading,
    *,
    form_note: bool = True,
    bound: str | None = None,
) -> str | None:
    src = indicator.sources[key]
    kind = src.type or (state.data_sources.get(src.ref) if src.ref else None)
    if kind is None or kind.lower() != "prometheus":
        what = f"'{kind}'" if kind else "an unknown source"
        unread = kind is None and src.ref is not None  # a DataSource named, not in the files read
        if unread:
            what = f"the DataSource '{src.ref}', which is not in the files read"
        hint = (
            f"give the file of DataSource '{src.ref}' beside this one (a DataSource of type Prometheus is read), or "
            "write the metric source's type: Prometheus"
            if unread
            else None
        )
        if bound is None:
            reading.note(
                indicator.source,
                src.location,
                f"dropped the measurement: its metric is from {what}, and the catalog's measurement speaks Prometheus",
                hint,
            )
        else:  # the bound would go unsaid: no objective of the catalog has a place for it
            reading.note(
                indicator.source,
                src.location,
                f"dropped the measurement, a threshold ({bound}): its metric is from {what}, and the catalog's "
                "measurement speaks Prometheus",
                f"write in the SLO's sli: what is measured and its bound ({bound}): the objective counts what "
                "keeps to it" + (f"; or {hint}" if hint else ""),
            )
        return None
    if src.query is None:
        reading.note(
            indicator.source, src.location, "dropped the measurement: its metric source has no spec.query (or promql)"
        )
        return None
    if form_note and query_form(src.query) is None and _summed_selector(indicator, src.query) is None:
        # as for Sloth: the catalog measures over the SLO's window, so the fragment's check would
        # refuse a query over a fixed range (`[1m]`, as OpenSLO's own examples write them)
        reading.note(
            indicator.source,
            src.query_location or src.location,
            f"the {key} query is neither a metric selector nor PromQL with {WINDOW_PLACEHOLDER}: "
            "the catalog refuses it",
            f"write its range as [{WINDOW_PLACEHOLDER}] in the fragment: the catalog measures over the SLO's window",
        )
    ranged = range_over_expression_note(f"{key} query", src.query) if form_note else None
    if ranged is not None:
        reading.note(indicator.source, src.query_location or src.location, *ranged)
    return src.query


# `sum(SELECTOR)`, as OpenSLO's README writes its ratio queries, or summed by labels: `sum by (l) (SELECTOR)`,
# `sum(SELECTOR) by (l)`
_SUMMED = re.compile(
    r"\s*sum\s*(?:by\s*\((?P<a>[^()]*)\))?\s*\((?P<selector>[^()]*)\)\s*(?:by\s*\((?P<b>[^()]*)\))?\s*"
)


def _summed_selector(indicator: _Indicator, query: str) -> str | None:
    """What the catalog measures for a counter ratio's `sum(SELECTOR)` query (the selector), or for
    one summed by labels (`sum by (l) (increase(SELECTOR[{{.window}}]))`); None for any other."""
    if indicator.shape not in ("good", "bad"):
        return None
    if indicator.counter is not None and indicator.counter.value.strip().lower() in _FALSE:
        return None  # gauges: _not_counted says what they become
    match = _SUMMED.fullmatch(query)
    if match is None or query_form(match["selector"]) is not QueryForm.SELECTOR or (match["a"] and match["b"]):
        return None
    selector = match["selector"].strip()
    labels = ", ".join(label.strip() for label in (match["a"] or match["b"] or "").split(",") if label.strip())
    if not labels:
        return selector
    return f"sum by ({labels}) (increase({selector}[{WINDOW_PLACEHOLDER}]))"


def _summed_counters(indicator: _Indicator, queries: dict[str, str], reading: Reading) -> None:
    """A ratio of counters each written as `sum(SELECTOR)`, as OpenSLO's README writes its ratioMetric
    queries: a sum at one instant, which the catalog cannot evaluate over the SLO's window. Of
    counters, the catalog counts a selector as its increase over the window, summed: the same ratio,
    so each becomes its selector (or, summed by labels, each group's increase over the window), said
    in the report (the query's own note would refuse it)."""
    for key, query in queries.items():
        counted = _summed_selector(indicator, query)
        if counted is None:
            continue
        queries[key] = counted
        src = indicator.sources[key]
        said = (
            f"its selector {counted}: the catalog counts a selector as sum(increase(SELECTOR[{WINDOW_PLACEHOLDER}])), "
            "the sum of the counter over the SLO's window"
            if query_form(counted) is QueryForm.SELECTOR
            else f"{counted}: the counter's increase over the SLO's window, summed for each group"
        )
        reading.note(
            indicator.source,
            src.query_location or src.location,
            f"guessed the {key} query as {said}",
            "check the query: a counter, summed over the window",
        )


def _by_group(indicator: _Indicator, queries: dict[str, str], reading: Reading) -> model.Measurement | None:
    """A ratio whose queries are summed by the same labels (`sum by (region) (…)`): a series for each
    group, a ratio for each, so the catalog's SLO is the worst group's error ratio, said (as for Sloth
    and Pyrra's grouping); summed otherwise, they are said too, as `measure` takes one value. None
    where the queries are not summed by labels (or cannot be measured: their own note says why)."""
    key = indicator.shape
    part, total = queries[key], queries["total"]
    by_part, by_total = grouped_by(part), grouped_by(total)
    if by_part is None and by_total is None:
        return None
    src = indicator.sources["total"]
    at = src.query_location or src.location
    if by_part != by_total:
        reading.note(
            indicator.source,
            at,
            f"the {key} query {summed_text(by_part)} and the total query {summed_text(by_total)}: a query summed by "
            "labels returns a series per group, and `measure` takes one value",
            "sum both by the same labels (an SLO for each group), or by none (one for the service)",
        )
        return None
    if query_form(part) is None or query_form(total) is None:  # over a fixed range: its own note says so
        shape = "max((BAD or 0 * TOTAL) / TOTAL)" if key == "bad" else "max(1 - (GOOD or 0 * TOTAL) / TOTAL)"
        reading.note(
            indicator.source,
            at,
            f"both queries are summed by ({', '.join(by_total or ())}), a ratio for each group: written over "
            f"{WINDOW_PLACEHOLDER}, the catalog's SLO is the worst group's error ratio, {shape}",
            f"write measurement: error_ratio: {shape} in the catalog, each query over [{WINDOW_PLACEHOLDER}] (the "
            "sum over every group would be a weaker promise, met while one group fails)",
        )
        return None
    if key == "bad":
        ratio = worst_group(part, total)
    else:  # a group without a series of good events had none: all of its events failed
        ratio = f"max(1 - ({part.strip()} or 0 * {total.strip()}) / {total.strip()})"
    reading.note(
        indicator.source,
        at,
        f"measured the worst of each {', '.join(by_total or ())}: both queries are summed by it, a ratio for each "
        "group; the catalog's SLO is the worst group's error ratio, met when every group meets it: " + ratio,
        "check the query: the sum over every group (no by) would be a weaker promise, met while one group fails",
    )
    return model.Measurement(error_ratio=ratio)


def _not_counted(indicator: _Indicator, queries: dict[str, str], reading: Reading) -> None:
    """A ratio of metrics that are not counters (`counter: false`: gauges, which go up and down,
    says OpenSLO): the catalog counts a selector as a counter's increase over the window, so the
    selectors become the sums of their samples over it (their ratio, the ratio of their averages),
    said in the report."""
    counter = indicator.counter
    if counter is None or counter.value.strip().lower() not in _FALSE:
        return
    summed = [key for key, query in queries.items() if query_form(query) is QueryForm.SELECTOR]
    for key in summed:
        queries[key] = f"sum(sum_over_time({queries[key].strip()}[{WINDOW_PLACEHOLDER}]))"
    if summed:
        reading.note(
            indicator.source,
            counter.location,
            f"guessed the {' and '.join(summed)} queries as sums over {WINDOW_PLACEHOLDER}: counter: false says "
            "the metrics are not counters, and the catalog counts a selector as a counter's increase",
            "check the queries: each is the sum of its gauge's samples over the window",
        )


def _measurement(
    indicator: _Indicator, state: OpenSLOState, reading: Reading, threshold: tuple[str | None, str | None]
) -> model.Measurement | None:
    gauge = indicator.annotations.get("measurement") == "bool_gauge" or threshold == ("gte", "1")
    # a threshold dropped whatever its query: what the query lacks is not said of a measurement not written
    written = indicator.shape != "threshold" or gauge
    queries = {}
    # a threshold of a metric dropped with its query is said with it: it is what makes the metric good
    bound = None if written else _threshold_text(threshold)
    for key in indicator.sources:
        query = _query(indicator, key, state, reading, form_note=written, bound=bound)
        if query is None:
            return None
        queries[key] = query
    shape = indicator.shape
    if shape in ("good", "bad"):
        _summed_counters(indicator, queries, reading)
        _not_counted(indicator, queries, reading)
        grouped = _by_group(indicator, queries, reading)
        if grouped is not None:
            return grouped
    bucket = bucket_under(queries["bad"]) if shape == "bad" else None
    if bucket is not None:
        bad = indicator.sources["bad"]
        reading.note(
            indicator.source,
            bad.query_location or bad.location,
            f"the bad query counts {bucket[0]} under le={bucket[1]}: the requests within the bound, the good ones",
            "if they are the good ones, write them as good: over the same total",
        )
    if shape == "good":
        return model.Measurement(good=queries["good"], total=queries["total"])
    if shape == "bad":
        return model.Measurement(errors=queries["bad"], total=queries["total"])
    if shape in ("raw-failure", "raw-success"):
        return _raw_ratio(indicator, queries["raw"], reading)
    # a threshold: good while the value is at least 1 is a gauge of 1 (good) and 0 (bad)
    if gauge:
        return model.Measurement(bool_gauge=queries["threshold"])
    _threshold_dropped(indicator, queries["threshold"], reading, threshold)
    return None


def _raw_ratio(indicator: _Indicator, raw: str, reading: Reading) -> model.Measurement:
    """A ratio the metric source computes (`raw`) as the catalog's error_ratio. A selector there is
    read as the catalog reads one, a series holding the share over the SLO's window, read at its
    end (a recording rule over the window: servicebook's own export writes such): OpenSLO does not
    say what time a raw ratio is over, so that reading is said, with what to write for a shorter
    one. A success ratio is turned into the failure one: of a selector, its last value over the
    window (`1 - SEL` is not a query the catalog can evaluate over the window)."""
    selector = query_form(raw) is QueryForm.SELECTOR
    failure = indicator.shape == "raw-failure"
    if selector and indicator.annotations.get("measurement") != "error_ratio":
        averaged = f"avg_over_time({raw.strip()}[{WINDOW_PLACEHOLDER}])"
        reading.note(
            indicator.source,
            indicator.location,
            "read the raw ratio's selector as a series holding the ratio over the SLO's whole window (a recording "
            "rule over it), its value at the window's end: OpenSLO does not say what time the ratio is over",
            "if it is a ratio over a shorter time (a rate5m rule), write error_ratio: "
            + (averaged if failure else f"1 - {averaged}")
            + " in the catalog",
        )
    if failure:
        return model.Measurement(error_ratio=raw)
    reading.note(
        indicator.source, indicator.location, "guessed error_ratio as 1 - (the success ratio); check the query"
    )
    success = f"last_over_time({raw.strip()}[{WINDOW_PLACEHOLDER}])" if selector else raw
    return model.Measurement(error_ratio=f"1 - ({success})")


def _threshold_text(threshold: tuple[str | None, str | None]) -> str:
    op, value = threshold
    return f"{op or 'no op'} {value}" if value is not None else f"{op or 'no op'}, no value"


def _threshold_dropped(
    indicator: _Indicator, query: str, reading: Reading, threshold: tuple[str | None, str | None]
) -> None:
    """Say a threshold other than a 0/1 gauge's `gte 1` dropped, with what measures a latency
    quantile's bound soundly where the query is one."""
    op, value = threshold
    written = _threshold_text(threshold)
    reading.note(
        indicator.source,
        indicator.location,
        f"dropped the measurement: a threshold ({written}) has no catalog shape",
        _quantile_hint(query, op, value)
        or "the catalog measures events (errors or good, over total), an error ratio or a 0/1 gauge",
    )


# `histogram_quantile(0.99, sum(rate(x_bucket{…}[5m])) by (le))`: a latency SLO's "p99 under a bound"
_QUANTILE = re.compile(r"\s*histogram_quantile\s*\(\s*(?P<q>0?\.[0-9]+|1(?:\.0*)?)\s*,(?P<inner>.*)\)\s*", re.S)
_BUCKET = re.compile(r"(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)_bucket\s*(?:\{(?P<labels>[^{}]*)\})?")
_BY_LE_ONLY = re.compile(r"\bby\s*\(\s*le\s*\)")


def _quantile_hint(query: str, op: str | None, value: str | None) -> str | None:
    """What to write for a quantile of a classic histogram kept under a bound (the commonest latency
    SLO, "p99 < 300 ms"), which no catalog shape is: the share of requests within the bound, a
    promise over the window's requests rather than OpenSLO's quantile at each data point, and sound
    only when the bound is one of the histogram's buckets; None for any other threshold."""
    found = _QUANTILE.fullmatch(query)
    if found is None or op not in ("lt", "lte") or value is None:
        return None
    bound = plain_decimal(value)
    buckets = {(m["name"], (m["labels"] or "").strip().rstrip(",")) for m in _BUCKET.finditer(found["inner"])}
    if len(buckets) != 1 or bound is None or bound <= 0 or not _BY_LE_ONLY.search(found["inner"]):
        return None  # several histograms, or per group (by le and more): no one share to write
    ((name, labels),) = buckets
    le = format(bound.normalize(), "f")
    within = ",".join(part for part in (labels, f'le="{le}"') if part)
    percent = format((Decimal(found["q"]) * 100).normalize(), "f")
    return (
        f"the share of requests within the bound measures it: good: {name}_bucket{{{within}}}, total: "
        f"{name}_count{{{labels}}}, objective: {percent} ({percent} % of the window's requests within {le}, not the "
        f"quantile at each data point), if {le} is one of the histogram's le bounds (any other matches no series)"
    )
