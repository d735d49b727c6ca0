"""The fields of the closed specifications the SLO imports read (Sloth's and Pyrra's Go structs, OpenSLO v1
and v2alpha as its go-sdk decodes them), so that a key none of them has (`ticker_alert`, a slip for
`ticket_alert`) is said where it is written, with the field meant, rather than passed over or read as one the
catalog drops.

Backstage is not here: its entities take fields of anyone's (docs/portals.md)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Union

from servicebook.catalog.validate import did_you_mean
from servicebook.source.yaml import Mapping as YamlMapping
from servicebook.source.yaml import Node, Scalar, Sequence

# a mapping's fields, each with what its value holds: a Schema of its own (for a list: of each item), or
# None where what it holds is open (labels, annotations, a metric source's spec, a plugin's options)
Schema = Mapping[str, Union["Schema", None]]


def _both(*names: str) -> dict[str, None]:
    """Fields read in either spelling: Sloth's plain spec moved to snake case, its Kubernetes resource and
    early plain specs write camel case, and servicebook reads both in both (interop/sloth.py)."""
    return dict.fromkeys(names)


# `for`: read by Sloth's alert_for plugin (its examples/getting-started.yml)
_SLOTH_ALERT: Schema = {"disable": None, "labels": None, "annotations": None, "for": None}
_SLOTH_SLO: Schema = {
    "name": None,
    "description": None,
    "objective": None,
    "labels": None,
    "infoLabels": None,
    "sli": {
        "events": _both("error_query", "errorQuery", "total_query", "totalQuery"),
        "raw": _both("error_ratio_query", "errorRatioQuery"),
        "plugin": {"id": None, "options": None},
    },
    "alerting": {
        "name": None,
        "labels": None,
        "annotations": None,
        "page_alert": _SLOTH_ALERT,
        "pageAlert": _SLOTH_ALERT,
        "ticket_alert": _SLOTH_ALERT,
        "ticketAlert": _SLOTH_ALERT,
    },
    "interval": {"all": None, "slierror": None, "metadata": None, "alert": None},
    "plugins": None,
}
_SLOTH_SPEC: Schema = {"service": None, "labels": None, "slos": _SLOTH_SLO, "slo_plugins": None, "sloPlugins": None}
SLOTH_PLAIN: Schema = {"version": None, **_SLOTH_SPEC}
SLOTH_RESOURCE: Schema = {"apiVersion": None, "kind": None, "metadata": None, "spec": _SLOTH_SPEC, "status": None}

_PYRRA_QUERY: Schema = {"metric": None}
PYRRA: Schema = {
    "apiVersion": None,
    "kind": None,
    "metadata": None,
    "spec": {
        "description": None,
        "target": None,
        "window": None,
        "indicator": {
            "ratio": {"errors": _PYRRA_QUERY, "total": _PYRRA_QUERY, "grouping": None},
            "latency": {"success": _PYRRA_QUERY, "total": _PYRRA_QUERY, "grouping": None},
            "latencyNative": {"total": _PYRRA_QUERY, "latency": None, "grouping": None},
            "bool_gauge": {"metric": None, "grouping": None},
        },
        # burnRateType: Pyrra's dynamic burn rates (its examples/dynamic-burn-rate-*.yaml)
        "alerting": dict.fromkeys(("disabled", "burnrates", "absent", "name", "absentName", "burnRateType")),
        "partial_response_strategy": None,
    },
    "status": None,
}

# go-sdk's v1 Metadata: a Kubernetes `namespace` or `uid` there is refused as any other unknown field
_OPENSLO_METADATA: Schema = {"name": None, "displayName": None, "labels": None, "annotations": None}
_OPENSLO_METRIC: Schema = {"metricSource": {"metricSourceRef": None, "type": None, "spec": None}}
_OPENSLO_SLI_SPEC: Schema = {
    "description": None,
    "thresholdMetric": _OPENSLO_METRIC,
    "ratioMetric": {
        "counter": None,
        "good": _OPENSLO_METRIC,
        "bad": _OPENSLO_METRIC,
        "total": _OPENSLO_METRIC,
        "rawType": None,
        "raw": _OPENSLO_METRIC,
    },
}
_OPENSLO_INDICATOR: Schema = {"metadata": _OPENSLO_METADATA, "spec": _OPENSLO_SLI_SPEC}
_OPENSLO_SLO_SPEC: Schema = {
    "description": None,
    "service": None,
    "indicator": _OPENSLO_INDICATOR,
    "indicatorRef": None,
    "budgetingMethod": None,
    "timeWindow": {"duration": None, "isRolling": None, "calendar": {"startTime": None, "timeZone": None}},
    "objectives": {
        "displayName": None,
        "op": None,
        "value": None,
        "target": None,
        "targetPercent": None,
        "timeSliceTarget": None,
        "timeSliceWindow": None,
        "indicator": _OPENSLO_INDICATOR,
        "indicatorRef": None,
        "compositeWeight": None,
    },
    "alertPolicies": None,  # inline policies or references, said dropped as alerting
}
# OpenSLO v1 as OpenSLO/go-sdk's pkg/openslo/v1 decodes it (DisallowUnknownFields), the objects read
OPENSLO_V1: dict[str, Schema] = {
    "SLO": {"apiVersion": None, "kind": None, "metadata": _OPENSLO_METADATA, "spec": _OPENSLO_SLO_SPEC},
    "SLI": {"apiVersion": None, "kind": None, "metadata": _OPENSLO_METADATA, "spec": _OPENSLO_SLI_SPEC},
    "Service": {"apiVersion": None, "kind": None, "metadata": _OPENSLO_METADATA, "spec": {"description": None}},
}

# OpenSLO v2alpha as OpenSLO/go-sdk's pkg/openslo/v2alpha decodes it (openslosdk.Decode: DisallowUnknownFields,
# as for v1): its metadata has no displayName (the draft, enhancements/v2alpha1.md, removed it, as Kubernetes'
# ObjectMeta has none); a metric names its data source (dataSourceRef) or writes it (dataSourceSpec) beside its
# spec. The draft of v2alpha (openslo/v2alpha1), which no SDK decodes, is not checked.
_V2ALPHA_METADATA: Schema = {"name": None, "labels": None, "annotations": None}
_V2ALPHA_SOURCE: Schema = {"description": None, "type": None, "connectionDetails": None}
_V2ALPHA_METRIC: Schema = {
    "dataSourceRef": None,
    "dataSourceSpec": _V2ALPHA_SOURCE,
    "spec": None,
    # v1's nesting: refused by the reader with the v2alpha form to write (openslo_read._metric_v2alpha)
    "metricSource": None,
}
_V2ALPHA_SLI_SPEC: Schema = {
    "description": None,
    "thresholdMetric": _V2ALPHA_METRIC,
    "ratioMetric": {
        "counter": None,
        "good": _V2ALPHA_METRIC,
        "bad": _V2ALPHA_METRIC,
        "total": _V2ALPHA_METRIC,
        "rawType": None,
        "raw": _V2ALPHA_METRIC,
    },
}
_V2ALPHA_SLI: Schema = {"metadata": _V2ALPHA_METADATA, "spec": _V2ALPHA_SLI_SPEC}
_V2ALPHA_SLO_SPEC: Schema = {
    "description": None,
    "serviceRef": None,
    "service": None,  # the go-sdk's first v2alpha (and oslo's test inputs) named it so
    "sli": _V2ALPHA_SLI,
    "sliRef": None,
    "budgetingMethod": None,
    "timeWindow": {"duration": None, "isRolling": None, "calendar": {"startTime": None, "timeZone": None}},
    "objectives": {
        "displayName": None,
        "op": None,
        "value": None,
        "target": None,
        "targetPercent": None,
        "timeSliceTarget": None,
        "timeSliceWindow": None,
        "sli": _V2ALPHA_SLI,
        "sliRef": None,
        "compositeWeight": None,
    },
    "alertPolicies": None,
}
OPENSLO_V2ALPHA: dict[str, Schema] = {
    "SLO": {"apiVersion": None, "kind": None, "metadata": _V2ALPHA_METADATA, "spec": _V2ALPHA_SLO_SPEC},
    "SLI": {"apiVersion": None, "kind": None, "metadata": _V2ALPHA_METADATA, "spec": _V2ALPHA_SLI_SPEC},
    "Service": {"apiVersion": None, "kind": None, "metadata": _V2ALPHA_METADATA, "spec": {"description": None}},
    "DataSource": {"apiVersion": None, "kind": None, "metadata": _V2ALPHA_METADATA, "spec": _V2ALPHA_SOURCE},
}
# what OpenSLO v1 calls a field v2alpha renamed, by v2alpha's name
V2ALPHA_RENAMED = {"indicator": "sli", "indicatorRef": "sliRef"}


@dataclass(frozen=True, slots=True)
class Unknown:
    """A key the specification has no field for: where it is, its path in the document, and what to write."""

    key: Scalar
    path: str  # `slos[0].alerting.ticker_alert`, as the tools' own errors name a field
    section: str  # the path of the mapping it is in (`slos[0].alerting`; "" for the document)
    meant: str | None  # "did you mean 'ticket_alert'?"
    fields: tuple[str, ...]  # the fields the mapping has
    value: Node | None = None  # what the key holds


def unknown_fields(node: Node, schema: Schema, prefix: str = "") -> Iterator[Unknown]:
    """Every key under `node` that `schema` has no field for, in document order."""
    if not isinstance(node, YamlMapping):
        return
    for key, value in node.items:
        path = f"{prefix}.{key.value}" if prefix else key.value
        if key.value not in schema:
            yield Unknown(key, path, prefix, did_you_mean(key.value, schema), tuple(schema), value)
            continue
        inner = schema[key.value]
        if inner is None:
            continue
        if isinstance(value, Sequence):
            for index, item in enumerate(value.items):
                yield from unknown_fields(item, inner, f"{path}[{index}]")
        else:
            yield from unknown_fields(value, inner, path)
