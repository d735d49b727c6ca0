"""The catalog as OpenSLO v1: a `Service` per offering, an `SLI` per measured SLO and an `SLO` per
objective, each valid under the v1 rules (the specification and the reference Go SDK's checks).

OpenSLO has no place for most of what the catalog says (owner, tier, lifecycle, the exact
objective as written, a name or prose longer than its limits): that goes under
`metadata.annotations` with the `servicebook.dev/` prefix, so an import gives it back. Pure
functions of the catalog: the same catalog always gives the same bytes.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from servicebook import routes
from servicebook.catalog import model
from servicebook.catalog.queries import every_spelling
from servicebook.catalog.slo import calendar_timezone, error_budget
from servicebook.catalog.validate import minutes_text
from servicebook.interop.yaml12 import dump_stream

API_VERSION = "openslo/v1"
# the catalog's budgeting as OpenSLO v1 spells its budgetingMethod
BUDGETING_METHODS = {
    model.Budgeting.OCCURRENCES: "Occurrences",
    model.Budgeting.TIMESLICES: "Timeslices",
    model.Budgeting.RATIO_TIMESLICES: "RatioTimeslices",
}
PREFIX = "servicebook.dev/"
NAME_MAX = 63  # metadata.name: an RFC 1123 DNS label
DISPLAY_NAME_MAX = 63
DESCRIPTION_MAX = 1050
SLI_SUFFIX = "-sli"
# A calendar window starts at the start of a month, quarter or year in its time zone, this date; a
# week on a Monday (ISO 8601), the first of 2020 (OpenSLO's periods follow one another from startTime)
CALENDAR_START = "2020-01-01 00:00:00"
WEEK_START = "2020-01-06 00:00:00"
CALENDAR_DURATIONS = {"calendar-week": "1w", "calendar-month": "1M", "calendar-quarter": "1Q", "calendar-year": "1Y"}
METRIC_SOURCE = "Prometheus"


@dataclass(frozen=True, slots=True)
class Names:
    """metadata.name of each SLO's `SLO` (its `SLI` adds SLI_SUFFIX), by (offering id, SLO id)."""

    slos: Mapping[tuple[str, str], str]

    def slo(self, offering: str, slo: str) -> str:
        return self.slos[(offering, slo)]

    def sli(self, offering: str, slo: str) -> str:
        return self.slos[(offering, slo)] + SLI_SUFFIX


def object_names(catalog: model.Catalog) -> Names:
    """`{offering}-{slo}` when that is a DNS label short enough to take the SLI suffix and no other
    SLO of the catalog would get it too (`a-b` + `c` and `a` + `b-c`); otherwise its first 50
    characters and a digest of both ids. Unique, and independent of the order of the catalog."""
    keys = [(o.id, s.id) for o in catalog.offerings for s in o.slos]
    plain = {key: f"{key[0]}-{key[1]}" for key in keys}
    claims = Counter(plain.values())
    limit = NAME_MAX - len(SLI_SUFFIX)
    names: dict[tuple[str, str], str] = {}
    taken = {name for key, name in plain.items() if claims[name] == 1 and len(name) <= limit}
    for key in keys:
        name = plain[key]
        if claims[name] == 1 and len(name) <= limit:
            names[key] = name
            continue
        digest = hashlib.sha256(f"{key[0]}/{key[1]}".encode()).hexdigest()
        size = 8
        while True:
            candidate = f"{name[: limit - size - 1].rstrip('-')}-{digest[:size]}"
            if candidate not in taken:
                break
            size += 2
        taken.add(candidate)
        names[key] = candidate
    return Names(names)


def clip(text: str, limit: int) -> str:
    """`text` as one line of at most `limit` characters (an ellipsis where it was cut)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _fraction(percent: Decimal) -> float:
    return float(percent / 100)


def time_window(catalog: model.Catalog, offering: model.Offering, slo: model.SLO) -> dict[str, Any]:
    if slo.window in CALENDAR_DURATIONS:
        return {
            "duration": CALENDAR_DURATIONS[slo.window],
            "isRolling": False,
            "calendar": {
                "startTime": WEEK_START if slo.window == "calendar-week" else CALENDAR_START,
                "timeZone": calendar_timezone(catalog, offering, slo),
            },
        }
    return {"duration": slo.window, "isRolling": True}


def _metadata(name: str, display: str, annotations: Mapping[str, str]) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "displayName": clip(display, DISPLAY_NAME_MAX)}
    if annotations:
        meta["annotations"] = {PREFIX + key: value for key, value in sorted(annotations.items())}
    return meta


def _kept_in_full(annotations: dict[str, str], key: str, text: str, limit: int) -> None:
    """When OpenSLO's field cuts `text`, the whole of it goes into an annotation."""
    if clip(text, limit) != text:
        annotations[key] = text


def service_document(catalog: model.Catalog, offering: model.Offering) -> dict[str, Any]:
    annotations = {
        "owner": offering.owner,
        "tier": offering.tier.value,
        "lifecycle": offering.lifecycle.value,
        "audience": ",".join(a.value for a in offering.audience),
        "catalog-version": catalog.version,
    }
    _kept_in_full(annotations, "name", offering.name, DISPLAY_NAME_MAX)
    _kept_in_full(annotations, "summary", offering.summary, DESCRIPTION_MAX)
    if catalog.site.base_url:
        annotations["page"] = catalog.site.base_url.rstrip("/") + "/" + routes.offering(offering.id)
    return {
        "apiVersion": API_VERSION,
        "kind": "Service",
        "metadata": _metadata(offering.id, offering.name, annotations),
        "spec": {"description": clip(offering.summary, DESCRIPTION_MAX)},
    }


def _source(query: str) -> dict[str, Any]:
    """A Prometheus metric source of the query, a bucket's bound or a quantile asked for in every spelling
    Prometheus 2 and 3 may store it in (`le="1"` as `le=~"1|1\\.0"`, as `measure` asks for it): the tools
    that read OpenSLO send the query as written, and Prometheus 3 stores `le="1.0"`."""
    return {"metricSource": {"type": METRIC_SOURCE, "spec": {"query": every_spelling(query)}}}


def measurement_shape(m: model.Measurement) -> str:
    if m.errors is not None:
        return "errors"
    if m.good is not None:
        return "good"
    if m.error_ratio is not None:
        return "error_ratio"
    return "bool_gauge"


def indicator_spec(slo: model.SLO) -> dict[str, Any]:
    """An SLI's spec: the prose, and the measurement as OpenSLO says it (when there is one)."""
    spec: dict[str, Any] = {"description": clip(slo.sli, DESCRIPTION_MAX)}
    m = slo.measurement
    if m is None:
        return spec
    if m.total is not None and (m.errors is not None or m.good is not None):
        # A selector of a counter (Pyrra's style) is a counter; a PromQL expression over
        # {{.window}} (Sloth's) is already a count over the window.
        queries = [q for q in (m.errors, m.good, m.total) if q is not None]
        ratio: dict[str, Any] = {"counter": not any("{{" in q for q in queries)}
        if m.good is not None:
            ratio["good"] = _source(m.good)
        else:
            ratio["bad"] = _source(m.errors or "")
        ratio["total"] = _source(m.total)
        spec["ratioMetric"] = ratio
    elif m.error_ratio is not None:
        spec["ratioMetric"] = {"counter": False, "rawType": "failure", "raw": _source(m.error_ratio)}
    elif m.bool_gauge is not None:
        # good while the gauge is 1: a threshold (the SLO's objective says `op: gte, value: 1`)
        spec["thresholdMetric"] = _source(m.bool_gauge)
    return spec


def sli_document(names: Names, offering: model.Offering, slo: model.SLO) -> dict[str, Any] | None:
    """The SLO's `SLI`, or None when the catalog does not say how it is measured: OpenSLO requires an
    SLI to have a ratio or threshold metric, so that SLI is left to the monitoring to define."""
    if slo.measurement is None:
        return None
    annotations = {"slo": f"{offering.id}/{slo.id}", "measurement": measurement_shape(slo.measurement)}
    _kept_in_full(annotations, "name", slo.name, DISPLAY_NAME_MAX)
    _kept_in_full(annotations, "sli", slo.sli, DESCRIPTION_MAX)
    return {
        "apiVersion": API_VERSION,
        "kind": "SLI",
        "metadata": _metadata(names.sli(offering.id, slo.id), slo.name, annotations),
        "spec": indicator_spec(slo),
    }


def slo_document(
    catalog: model.Catalog,
    names: Names,
    offering: model.Offering,
    slo: model.SLO,
    measured: model.MeasuredSLO | None = None,
) -> dict[str, Any]:
    """The SLO object; `measured`, the SLO's latest snapshot result, adds what was delivered."""
    annotations = {"slo": f"{offering.id}/{slo.id}", **promise_annotations(slo)}
    if slo.measurement is None:
        annotations["measured"] = "false"
    if measured is not None:
        annotations.update(delivered_annotations(measured))
    _kept_in_full(annotations, "name", slo.name, DISPLAY_NAME_MAX)
    _kept_in_full(annotations, "sli", slo.sli, DESCRIPTION_MAX)
    objective: dict[str, Any] = {"displayName": clip(slo.name, DISPLAY_NAME_MAX)}
    if slo.measurement is not None and slo.measurement.bool_gauge is not None:
        objective.update({"op": "gte", "value": 1})
    objective["target"] = _fraction(slo.objective)
    if slo.budgeting is model.Budgeting.TIMESLICES and slo.timeslice_target is not None:
        objective["timeSliceTarget"] = _fraction(slo.timeslice_target)
    if slo.budgeting is not model.Budgeting.OCCURRENCES and slo.timeslice_window is not None:
        objective["timeSliceWindow"] = minutes_text(slo.timeslice_window)
    return {
        "apiVersion": API_VERSION,
        "kind": "SLO",
        "metadata": _metadata(names.slo(offering.id, slo.id), slo.name, annotations),
        "spec": {
            "description": clip(slo.sli, DESCRIPTION_MAX),
            "service": offering.id,
            "indicatorRef": names.sli(offering.id, slo.id),
            "budgetingMethod": BUDGETING_METHODS[slo.budgeting],
            "timeWindow": [time_window(catalog, offering, slo)],
            "objectives": [objective],
        },
    }


def promise_annotations(slo: model.SLO) -> dict[str, str]:
    """What the SLO promises, for people reading another tool's file (keys without the prefix): the
    objective digit for digit, the window and the error budget it leaves. The OpenSLO, Pyrra and
    Sloth exports carry the same."""
    budget = error_budget(slo)
    return {
        "objective": format(slo.objective.normalize(), "f"),
        "window": slo.window,
        "error-budget": f"{budget.text} per {budget.window_text}",
    }


def delivered_annotations(r: model.MeasuredSLO) -> dict[str, str]:
    """The latest measurement as annotations (keys without the prefix; shares written as fractions,
    like OpenSLO's target)."""
    out = {
        "measured-from": r.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "measured-to": r.end.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if r.reason is not None or r.attainment is None or r.budget_remaining is None:
        out["not-measured"] = r.reason or "no figure"
        return out
    out["attainment"] = format(r.attainment, ".6g")
    out["budget-remaining"] = format(r.budget_remaining, ".6g")
    return out


def exportable(slo: model.SLO) -> bool:
    """Whether the SLO's OpenSLO form is valid: a time-slice SLO of a release from before the
    catalog said its slices (check_catalog(release=True)) is not."""
    if slo.budgeting is model.Budgeting.TIMESLICES:
        return slo.timeslice_target is not None and slo.timeslice_window is not None
    return slo.budgeting is model.Budgeting.OCCURRENCES or slo.timeslice_window is not None


def documents(
    catalog: model.Catalog,
    offerings: Iterable[model.Offering] | None = None,
    measured: Mapping[tuple[str, str], model.MeasuredSLO] | None = None,
) -> list[dict[str, Any]]:
    """The export, offering by offering in catalog order: its Service, then each SLO's SLI and SLO;
    `measured` (catalog/slo.py latest_results) adds each SLO's latest measurement."""
    names = object_names(catalog)
    out: list[dict[str, Any]] = []
    for offering in catalog.offerings if offerings is None else offerings:
        out.append(service_document(catalog, offering))
        for slo in offering.slos:
            if not exportable(slo):
                continue
            sli = sli_document(names, offering, slo)
            if sli is not None:
                out.append(sli)
            latest = measured.get((offering.id, slo.id)) if measured is not None else None
            out.append(slo_document(catalog, names, offering, slo, latest))
    return out


def dump(docs: Sequence[Mapping[str, Any]]) -> str:
    """A multi-document YAML stream, each document after `---`; the same documents, the same text."""
    return dump_stream(docs)
