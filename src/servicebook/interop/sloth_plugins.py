"""Sloth's common SLI plugins (slok/sloth-common-sli-plugins) whose query servicebook writes as the plugin does,
so that an SLO whose SLI is one of them is measured by `servicebook measure` as Sloth's rules measure it; any
other plugin is Sloth's to run, and its SLO is imported without a measurement (interop/sloth.py says so).

Each query is the plugin's template (plugins/kubernetes/apiserver/*/plugin.go, as of d243322), whitespace and
all, with the options read and refused as the plugin reads and refuses them."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping


class OptionRefused(Exception):
    """An option the plugin refuses, so `sloth generate` fails on the file: which, and the plugin's words."""

    def __init__(self, option: str, reason: str) -> None:
        super().__init__(option, reason)
        self.option = option
        self.reason = reason


# the plugins' own check of `filter` (getFilter): label="value" matchers, separated by commas. Written with
# possessive quantifiers, which match what the plugin's Go regexp matches (a name runs to the next '=', a value
# to the next '"'), without the backtracking Python's engine would do over a long filter that fails
_FILTER = re.compile(r'(?m)^\{?(?:[^=]++="[^=,"]++",)*+[^=]++="[^=,"]++"$')
# what Go's strconv.ParseFloat reads as a bucket's bound, but for hexadecimal floats (left unread: said)
_DECIMAL = re.compile(r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|(?i:inf|infinity|nan))")


def _filter(options: Mapping[str, str]) -> str:
    """The plugin's filter, trimmed of braces and commas as it trims it ("" where none is given)."""
    written = options.get("filter", "")
    if written == "":
        return ""
    trimmed = written.strip("{},")
    if _FILTER.search(trimmed) is None:
        raise OptionRefused("filter", f"invalid prometheus filter: {trimmed}")
    return trimmed


def _bucket(options: Mapping[str, str]) -> str:
    bucket = options.get("bucket", "")
    if bucket == "":
        raise OptionRefused("bucket", '"bucket" option is required')
    if _DECIMAL.fullmatch(bucket) is None:
        raise OptionRefused("bucket", f"not a valid bucket, can't parse to float64: {bucket}")
    if math.isinf(float(bucket)) and not bucket.lstrip("+-").casefold().startswith("inf"):  # 1e400: Go's ErrRange
        raise OptionRefused("bucket", f"not a valid bucket, can't parse to float64: {bucket}: value out of range")
    return bucket


def _apiserver_availability(options: Mapping[str, str]) -> str:
    total = _filter(options)
    error = f"{total}," if total else ""
    return (
        f'sum(rate(apiserver_request_total{{ {error}code=~"(5..|429)" }}[{{{{.window}}}}]))\n'
        "/\n"
        f"sum(rate(apiserver_request_total{{ {total} }}[{{{{.window}}}}]))"
    )


def _apiserver_latency(options: Mapping[str, str]) -> str:
    bucket = _bucket(options)  # the plugin reads the bucket first: a missing one is said before a bad filter
    given = _filter(options)
    f = f"{given}," if given else ""
    return (
        "(\n"
        f'  sum(rate(apiserver_request_duration_seconds_count{{ {f}verb!="WATCH" }}[{{{{.window}}}}]))\n'
        "  -\n"
        f'  sum(rate(apiserver_request_duration_seconds_bucket{{ {f}le="{bucket}",verb!="WATCH" }}[{{{{.window}}}}]))\n'
        ")\n"
        "/\n"
        f'sum(rate(apiserver_request_duration_seconds_count{{ {f}verb!="WATCH" }}[{{{{.window}}}}]))'
    )


# the plugin's id (its SLIPluginID) → the error ratio query it makes of its options
KNOWN: dict[str, Callable[[Mapping[str, str]], str]] = {
    "sloth-common/kubernetes/apiserver/availability": _apiserver_availability,
    "sloth-common/kubernetes/apiserver/latency": _apiserver_latency,
}


def error_ratio(plugin: str, options: Mapping[str, str]) -> str | None:
    """The error ratio query the plugin `plugin` makes of `options`, with {{.window}} for the range; None for a
    plugin whose query servicebook does not know. Raises OptionRefused where the plugin refuses an option."""
    make = KNOWN.get(plugin)
    return None if make is None else make(options)
