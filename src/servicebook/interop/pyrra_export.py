"""The catalog's SLOs as Pyrra `ServiceLevelObjective` resources (`pyrra.dev/v1alpha1`), valid under
Pyrra's own checks (its webhook's `validate`: a target of 0 to 100 as text, a Prometheus duration
for the window, one indicator whose metrics are selectors, a latency's success metric with an
`le` matcher).

Pyrra reads metric selectors, not PromQL: errors and total become a `ratio`, good and total a
`latency` when the good selector names a histogram bucket (`le="0.3"`), a bool_gauge its
`bool_gauge`; an SLO measured with PromQL, or with an error ratio, is left out with the reason, but
for the error ratios `import pyrra` writes of Pyrra's own indicators (grouped, or a native histogram's),
which go back as those indicators.
A latency's bucket bound goes in Go's spelling (`le="1"`, of the catalog's `le="1.0"` or
`le=~"1|1\\.0"`): Pyrra's webhook takes an equality on a number only, and Pyrra 0.10's Prometheus 3
migration, on by default, matches a whole number in both spellings Prometheus 2 and 3 store (`1`,
`1.0`); that an earlier Pyrra does not is said of each such SLO.
Each resource is named as `export openslo` names the SLO (a DNS label), lives in the offering's
namespace unless one is given, and carries the annotation `servicebook.dev/slo: offering/slo`,
which `check --against` and `import pyrra` read back, and those `export openslo` writes of the
objective, the window, the error budget and the latest measurement (Pyrra's webhook reads no
annotation; its rules carry only those of its own `pyrra.dev/` prefix). Pure functions of the catalog.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from servicebook.catalog import model
from servicebook.catalog.queries import (
    QueryForm,
    bucket_bounds,
    go_spelling,
    in_go_spelling,
    labels_in,
    query_form,
    selector_text,
)
from servicebook.interop.openslo import Names, delivered_annotations, promise_annotations
from servicebook.interop.rule_generators import PREFIX, Exported, Left, cannot_hold

API_VERSION = "pyrra.dev/v1alpha1"
KIND = "ServiceLevelObjective"
TEAM_LABEL = "pyrra.dev/team"
# a Kubernetes label value: at most 63 characters, letters, digits, '-', '_', '.', alphanumeric at both ends
_LABEL_VALUE = re.compile(r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)")
TOOL = "Pyrra"
NOT_SELECTORS = "Pyrra reads metric selectors, not PromQL (export sloth or openslo keeps it)"


_W = re.escape("[{{.window}}]")
_BY = r"sum by \((?P<by>[^()]*)\)"
_SAME = r"sum by \((?P=by)\)"


# the error ratios `import pyrra` writes of Pyrra's own indicators (interop/pyrra.py): grouped (the worst
# group), and a native histogram's
def _increase(name: str) -> str:
    """A counter's increase over the window as `import pyrra` writes it, with Pyrra's offset if any."""
    return rf"increase\((?P<{name}>.+?){_W}(?: offset (?P<{name}_offset>[^()\s]+))?\)"


def _increase_again(name: str) -> str:
    """The same increase as `_increase(name)` matched, written again."""
    return rf"increase\((?P={name}){_W}(?({name}_offset) offset (?P={name}_offset))\)"


_PYRRAS_OWN = {
    "ratio": re.compile(
        rf"max\(\({_BY} \({_increase('errors')}\) or 0 \* {_SAME} \({_increase('total')}\)\) "
        rf"/ {_SAME} \({_increase_again('total')}\)\)"
    ),
    "latency": re.compile(rf"max\(1 - {_BY} \({_increase('success')}\) / {_SAME} \({_increase('total')}\)\)"),
    "bool_gauge": re.compile(
        rf"max\(1 - {_BY} \(sum_over_time\((?P<metric>.+?){_W}\)\) / {_SAME} \(count_over_time\((?P=metric){_W}\)\)\)"
    ),
    "latencyNative": re.compile(
        r"(?P<max>max\()?1 - histogram_fraction\(0, (?P<latency>[0-9]+(?:\.[0-9]+)?), "
        rf"(?:sum|{_BY}) ?\(rate\((?P<total>.+?){_W}\)\)\)(?(max)\))"
    ),
}


def _duration(seconds: str) -> str:
    """Seconds (`0.5`) as the Prometheus duration Pyrra's latency takes (`500ms`)."""
    millis = Decimal(seconds) * 1000
    if millis % 1000 == 0:
        return f"{int(millis) // 1000}s"
    return f"{format(millis.normalize(), 'f')}ms"


def _pyrras_own(ratio: str) -> dict[str, Any] | None:
    """Pyrra's indicator for an error ratio `import pyrra` wrote of one (a grouping's worst group, a native
    histogram's share over its latency), so its objectives go back to Pyrra as they came; None for any
    other."""
    for shape, pattern in _PYRRAS_OWN.items():
        found = pattern.fullmatch(ratio.strip())
        if found is None:
            continue
        parts = found.groupdict()
        queries = {k: parts[k] for k in ("errors", "total", "success", "metric") if parts.get(k) is not None}
        offsets = {k: parts[f"{k}_offset"] for k in queries if parts.get(f"{k}_offset")}
        if any(query_form(q) is not QueryForm.SELECTOR for q in queries.values()):
            return None
        body: dict[str, Any] = {
            k: {"metric": selector_text(q) + (f" offset {offsets[k]}" if k in offsets else "")}
            for k, q in queries.items()
            if k != "metric"
        }
        if "metric" in queries:
            body["metric"] = selector_text(queries["metric"])
        if shape == "latencyNative":
            body["latency"] = _duration(parts["latency"])
        if parts.get("by"):
            body["grouping"] = list(labels_in(parts["by"]))
        if "success" in body:
            body["success"]["metric"] = in_go_spelling(body["success"]["metric"])[0]
        return {shape: body}
    return None


def indicator(measurement: model.Measurement) -> tuple[dict[str, Any] | None, str | None]:
    """Pyrra's `indicator` for a measurement, or why it has none."""
    m = measurement

    def selectors(*queries: str | None) -> bool:
        return all(q is not None and query_form(q) is QueryForm.SELECTOR for q in queries)

    if m.errors is not None and m.total is not None:
        if not selectors(m.errors, m.total):
            return None, NOT_SELECTORS
        return {
            "ratio": {"errors": {"metric": selector_text(m.errors)}, "total": {"metric": selector_text(m.total)}}
        }, None
    if m.good is not None and m.total is not None:
        if not selectors(m.good, m.total):
            return None, NOT_SELECTORS
        success, _ = in_go_spelling(selector_text(m.good))
        if not bucket_bounds(success):
            return None, (
                "Pyrra counts good events only as a histogram's bucket (latency: a good selector with an "
                "le matcher); write the bad events as errors for Pyrra's ratio"
            )
        return {"latency": {"success": {"metric": success}, "total": {"metric": selector_text(m.total)}}}, None
    if m.bool_gauge is not None:
        if not selectors(m.bool_gauge):
            return None, NOT_SELECTORS
        return {"bool_gauge": {"metric": selector_text(m.bool_gauge)}}, None
    pyrras = _pyrras_own(m.error_ratio) if m.error_ratio is not None else None
    if pyrras is not None:
        return pyrras, None
    return (
        None,
        "an error_ratio, which Pyrra has no form for: it computes the ratio itself (export sloth or openslo keeps it)",
    )


def bound_caution(spec: Mapping[str, Any]) -> str | None:
    """What to say of an indicator whose latency bound is a whole number (`le="1"`): Prometheus 3 stores
    it `le="1.0"`, which Pyrra's rules find from Pyrra 0.10 on (its Prometheus 3 migration, on by
    default, matches `1(\\.0)?`), an earlier Pyrra's not."""
    latency = spec.get("latency")
    if latency is None:
        return None
    for stored in in_go_spelling(latency["success"]["metric"])[1]:
        if go_spelling(stored) != stored:
            return (
                f'le="{go_spelling(stored)}", which Prometheus 3 stores as le="{stored}": Pyrra 0.10 and later find '
                "both (--enable-prometheus3-migration, on by default); an earlier Pyrra, or that flag set to false, "
                "finds no bucket on Prometheus 3"
            )
    return None


def objectives(
    offerings: Iterable[model.Offering],
    names: Names,
    namespace: str | None = None,
    measured: Mapping[tuple[str, str], model.MeasuredSLO] | None = None,
) -> Exported:
    """A resource per SLO Pyrra can hold, in catalog order, in `namespace` or its offering's;
    annotated as `export openslo` annotates the SLO: what it promises, and what `measured` (catalog/
    slo.py latest_results) says was delivered."""
    documents: list[dict[str, Any]] = []
    left: list[Left] = []
    cautions: list[Left] = []
    for offering in offerings:
        for slo in offering.slos:
            reason = cannot_hold(slo, TOOL)
            spec = None
            if reason is None:
                assert slo.measurement is not None
                spec, reason = indicator(slo.measurement)
            if reason is not None or spec is None:
                left.append(Left(offering.id, slo.id, reason or ""))
                continue
            caution = bound_caution(spec)
            if caution is not None:
                cautions.append(Left(offering.id, slo.id, caution))
            metadata: dict[str, Any] = {"name": names.slo(offering.id, slo.id), "namespace": namespace or offering.id}
            if _LABEL_VALUE.fullmatch(offering.owner):
                metadata["labels"] = {TEAM_LABEL: offering.owner}
            annotations = {"slo": f"{offering.id}/{slo.id}", **promise_annotations(slo)}
            latest = measured.get((offering.id, slo.id)) if measured is not None else None
            if latest is not None:
                annotations.update(delivered_annotations(latest))
            metadata["annotations"] = {PREFIX + key: value for key, value in sorted(annotations.items())}
            documents.append(
                {
                    "apiVersion": API_VERSION,
                    "kind": KIND,
                    "metadata": metadata,
                    "spec": {
                        "target": format(slo.objective.normalize(), "f"),
                        "window": slo.window,
                        "description": slo.sli,
                        "indicator": spec,
                    },
                }
            )
    return Exported(documents, len(documents), tuple(left), tuple(cautions))
