"""The OpenSLO v1 rules for Service, SLI and SLO objects, written for the tests from the
specification (OpenSLO/OpenSLO README.md, "openslo/v1") and the reference Go SDK's validation
(OpenSLO/go-sdk pkg/openslo/v1: objects.go, service.go, sli.go, slo.go, duration_shorthand.go).

`problems(doc)` lists every rule a document breaks, as "path: what"; an empty list is a valid
object. Independent of servicebook's own code: it is the oracle the export is checked against.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime
from typing import Any

# rules.StringDNSLabel: RFC 1123 label
DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
# objects.go annotationKeyLengthRegexp and annotationKeyRegexp
ANNOTATION_KEY_LENGTH = re.compile(r"(.{0,253}/)?.{0,63}", re.S)
ANNOTATION_KEY = re.compile(
    r"([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*/)?[a-zA-Z0-9]([-._a-zA-Z0-9]{0,61}[a-zA-Z0-9])?"
)
LABEL_KEY = re.compile(r"[a-zA-Z0-9]([-._a-zA-Z0-9]{0,61}[a-zA-Z0-9])?")
# README "duration-shorthand": a positive integer and one case-sensitive unit
DURATION = re.compile(r"[1-9][0-9]*[mhdwMQY]")
BUDGETING = ("Occurrences", "Timeslices", "RatioTimeslices")
OPERATORS = ("gt", "lt", "gte", "lte")
RAW_TYPES = ("success", "failure")
KINDS = ("SLO", "SLI", "DataSource", "Service", "AlertPolicy", "AlertCondition", "AlertNotificationTarget")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _metadata(meta: Any, out: list[str], path: str = "metadata") -> None:
    if not isinstance(meta, dict):
        out.append(f"{path}: required")
        return
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        out.append(f"{path}.name: required")
    elif not DNS_LABEL.fullmatch(name):
        out.append(f"{path}.name: not a DNS label: {name!r}")
    display = meta.get("displayName")
    if display is not None and (not isinstance(display, str) or len(display) > 63):
        out.append(f"{path}.displayName: longer than 63 characters")
    for key, value in (meta.get("labels") or {}).items():
        if not LABEL_KEY.fullmatch(key):
            out.append(f"{path}.labels: bad key {key!r}")
        if not isinstance(value, (str, list)):
            out.append(f"{path}.labels.{key}: a string or a list of strings")
    annotations = meta.get("annotations") or {}
    if not isinstance(annotations, dict):
        out.append(f"{path}.annotations: a map of strings")
        return
    for key, value in annotations.items():
        if not ANNOTATION_KEY_LENGTH.fullmatch(key) or not ANNOTATION_KEY.fullmatch(key):
            out.append(f"{path}.annotations: bad key {key!r}")
        if key.startswith("openslo.com/"):
            out.append(f"{path}.annotations: {key!r} uses the prefix reserved for OpenSLO")
        if not isinstance(value, str):
            out.append(f"{path}.annotations.{key}: values are strings")


def _head(doc: Any, kind: str, out: list[str]) -> None:
    if doc.get("apiVersion") != "openslo/v1":
        out.append("apiVersion: must be openslo/v1")
    if doc.get("kind") != kind:
        out.append(f"kind: must be {kind}")
    _metadata(doc.get("metadata"), out)


def _description(spec: dict[str, Any], path: str, out: list[str]) -> None:
    description = spec.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > 1050):
        out.append(f"{path}.description: longer than 1050 characters")


def _metric_spec(metric: Any, path: str, out: list[str]) -> None:
    if not isinstance(metric, dict) or not isinstance(metric.get("metricSource"), dict):
        out.append(f"{path}.metricSource: required")
        return
    source = metric["metricSource"]
    ref = source.get("metricSourceRef")
    if ref and not DNS_LABEL.fullmatch(ref):
        out.append(f"{path}.metricSource.metricSourceRef: not a DNS label")
    if not isinstance(source.get("spec"), dict) or not source["spec"]:
        out.append(f"{path}.metricSource.spec: required, at least one key")
    if not ref and not source.get("type"):
        out.append(f"{path}.metricSource.type: required without metricSourceRef (README, SLI)")


def _sli_spec(spec: Any, out: list[str], path: str = "spec") -> None:
    if not isinstance(spec, dict):
        out.append(f"{path}: required")
        return
    _description(spec, path, out)
    threshold, ratio = spec.get("thresholdMetric"), spec.get("ratioMetric")
    if (threshold is None) == (ratio is None):
        out.append(f"{path}: exactly one of ratioMetric, thresholdMetric")
    if threshold is not None:
        _metric_spec(threshold, f"{path}.thresholdMetric", out)
    if ratio is None:
        return
    at = f"{path}.ratioMetric"
    if not isinstance(ratio.get("counter"), bool) and ratio.get("raw") is None:
        out.append(f"{at}.counter: true or false")
    total, raw = ratio.get("total"), ratio.get("raw")
    good, bad = ratio.get("good"), ratio.get("bad")
    if (total is None) == (raw is None):
        out.append(f"{at}: exactly one of total, raw")
    if sum(x is not None for x in (raw, good, bad)) > 1:
        out.append(f"{at}: raw, good and bad are mutually exclusive")
    if total is not None:
        if (good is None) == (bad is None):
            out.append(f"{at}: one of good, bad with total")
        for key in ("total", "good", "bad"):
            if ratio.get(key) is not None:
                _metric_spec(ratio[key], f"{at}.{key}", out)
    if raw is not None:
        _metric_spec(raw, f"{at}.raw", out)
        if ratio.get("rawType") not in RAW_TYPES:
            out.append(f"{at}.rawType: one of {RAW_TYPES}")


def _time_window(window: Any, path: str, out: list[str]) -> None:
    if not isinstance(window, dict):
        out.append(f"{path}: a mapping")
        return
    duration = window.get("duration")
    if not isinstance(duration, str) or not DURATION.fullmatch(duration):
        out.append(f"{path}.duration: not a duration shorthand: {duration!r}")
    rolling, calendar = window.get("isRolling"), window.get("calendar")
    if rolling is True and calendar is not None:
        out.append(f"{path}: 'calendar' cannot be set when 'isRolling' is true")
    if not rolling and calendar is None:
        out.append(f"{path}: 'calendar' must be set when 'isRolling' is false")
    if calendar is not None:
        try:
            datetime.strptime(calendar.get("startTime", ""), "%Y-%m-%d %H:%M:%S")  # Go's time.DateTime
        except (TypeError, ValueError):
            out.append(f"{path}.calendar.startTime: not YYYY-MM-DD HH:MM:SS")
        try:
            zoneinfo.ZoneInfo(calendar.get("timeZone", ""))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
            out.append(f"{path}.calendar.timeZone: not an IANA time zone")


def _objective(objective: Any, budgeting: Any, path: str, out: list[str]) -> None:
    if not isinstance(objective, dict):
        out.append(f"{path}: a mapping")
        return
    if objective.get("op") is not None and objective["op"] not in OPERATORS:
        out.append(f"{path}.op: one of {OPERATORS}")
    target, percent = objective.get("target"), objective.get("targetPercent")
    if (target is None) == (percent is None):
        out.append(f"{path}: exactly one of target, targetPercent")
    if target is not None and not (_number(target) and 0 <= target < 1):
        out.append(f"{path}.target: in [0, 1)")
    if percent is not None and not (_number(percent) and 0 <= percent < 100):
        out.append(f"{path}.targetPercent: in [0, 100)")
    if budgeting == "Timeslices":
        slice_target = objective.get("timeSliceTarget")
        if slice_target is None:
            out.append(f"{path}.timeSliceTarget: required with Timeslices")
        elif not (_number(slice_target) and 0 < slice_target <= 1):
            out.append(f"{path}.timeSliceTarget: in (0, 1]")
    if budgeting in ("Timeslices", "RatioTimeslices"):
        window = objective.get("timeSliceWindow")
        if window is None:
            out.append(f"{path}.timeSliceWindow: required with {budgeting}")
        elif not (isinstance(window, str) and DURATION.fullmatch(window)) and not _number(window):
            out.append(f"{path}.timeSliceWindow: a number or a duration shorthand")


def problems(doc: Any) -> list[str]:
    """Every v1 rule `doc` (a Service, SLI or SLO) breaks."""
    out: list[str] = []
    if not isinstance(doc, dict):
        return ["an object is a mapping"]
    kind = doc.get("kind")
    if kind not in KINDS:
        return [f"kind: not an OpenSLO kind: {kind!r}"]
    _head(doc, kind, out)
    spec = doc.get("spec")
    if kind == "Service":
        if spec is not None:
            _description(spec, "spec", out)
    elif kind == "SLI":
        _sli_spec(spec, out)
    elif kind == "SLO":
        if not isinstance(spec, dict):
            return [*out, "spec: required"]
        _description(spec, "spec", out)
        if not spec.get("service"):
            out.append("spec.service: required")
        has_inline, ref = spec.get("indicator") is not None, spec.get("indicatorRef")
        composite = any(
            isinstance(o, dict) and ("indicator" in o or "indicatorRef" in o) for o in spec.get("objectives") or []
        )
        if composite == (has_inline or ref is not None):
            out.append("spec: indicator or indicatorRef on the spec (or on every objective of a composite)")
        if has_inline and ref is not None:
            out.append("spec: indicator and indicatorRef are mutually exclusive")
        if ref is not None and not DNS_LABEL.fullmatch(str(ref)):
            out.append("spec.indicatorRef: not a DNS label")
        if has_inline:
            _metadata(spec["indicator"].get("metadata"), out, "spec.indicator.metadata")
            _sli_spec(spec["indicator"].get("spec"), out, "spec.indicator.spec")
        budgeting = spec.get("budgetingMethod")
        if budgeting not in BUDGETING:
            out.append(f"spec.budgetingMethod: one of {BUDGETING}")
        windows = spec.get("timeWindow")
        if windows is not None:
            if not isinstance(windows, list) or len(windows) != 1:
                out.append("spec.timeWindow: exactly one item")
            else:
                _time_window(windows[0], "spec.timeWindow[0]", out)
        objectives = spec.get("objectives")
        if not isinstance(objectives, list) or not objectives:
            out.append("spec.objectives: required")
        else:
            for i, objective in enumerate(objectives):
                _objective(objective, budgeting, f"spec.objectives[{i}]", out)
    return out
