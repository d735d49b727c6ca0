"""The two ways a measurement query may be written, told apart: a counter selector in Pyrra's
style (`http_requests_total{job="api",code=~"5.."}`) or PromQL in Sloth's style, where
`{{.window}}` stands for the range to evaluate over. Pure functions; `measure/` builds the
queries it sends from these, `validate.py` reports a query that is neither."""

from __future__ import annotations

import enum
import json
import math
import re
from dataclasses import dataclass
from decimal import Decimal

WINDOW_PLACEHOLDER = "{{.window}}"
# Sloth writes the placeholder with or without spaces inside the braces.
_PLACEHOLDER_RE = re.compile(r"\{\{\s*\.window\s*\}\}")

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_STRING = r'"(?:[^"\\\n]|\\.)*"' + r"|'(?:[^'\\\n]|\\.)*'" + r"|`[^`]*`"
# a label's name, or (Prometheus 3, its UTF-8 names) a quoted one: `{"service.name"="api"}`
_LABEL = rf"(?:[a-zA-Z_][a-zA-Z0-9_]*|{_STRING})"
# a label matcher, or a quoted name alone, which is the metric's (`{"http.server.request.duration", le="0.5"}`)
_MATCHER = rf"\s*(?:{_LABEL}\s*(?:=~|!~|!=|=)\s*(?:{_STRING})|{_STRING})\s*"
_SELECTOR_RE = re.compile(rf"\s*(?P<name>{_NAME})?\s*(?:\{{(?:{_MATCHER}(?:,{_MATCHER})*,?)?\s*\}})?\s*")


class QueryForm(enum.Enum):
    SELECTOR = "selector"  # a counter or gauge selector; servicebook wraps it for the window
    TEMPLATE = "template"  # full PromQL with {{.window}}, evaluated as written


def query_form(query: str) -> QueryForm | None:
    """Which of the two forms `query` is written in; None when it is neither (PromQL without
    `{{.window}}` cannot be evaluated over the SLO's window, so it is not guessed at)."""
    if _PLACEHOLDER_RE.search(query):
        return QueryForm.TEMPLATE
    match = _SELECTOR_RE.fullmatch(query)
    if match is None or not query.strip():
        return None
    if match["name"] is None and metric_name(query) is None:
        return None  # `{job="x"}` alone selects every metric of the job: not a counter
    return QueryForm.SELECTOR


# `$namespace`, `${cluster}`, `$__rate_interval`: a variable of Grafana or of a templating tool (kustomize,
# envsubst, Helm) that Prometheus reads as the text written; `$1` (label_replace's group) and a regular
# expression's `$"` are PromQL's own
_VARIABLE_RE = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")


def template_variables(query: str) -> list[str]:
    """The variables of another tool `query` holds, in the order written, each once."""
    return list(dict.fromkeys(_VARIABLE_RE.findall(query)))


# a range over the window (not a subquery, whose brackets hold ':'), and the token written before it
_WINDOW_RANGE_RE = re.compile(r"\[\s*\{\{\s*\.window\s*\}\}\s*\]")
_NAME_BEFORE_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*$")


def range_over_expression(query: str) -> str | None:
    """Where `query` writes a range over the window after something that is no selector
    (`probe_success == 0[{{.window}}]`, `(…)[{{.window}}]`), which Prometheus refuses ("ranges only
    allowed for vector selectors"): the text up to the range, shortened; None where every range
    follows a selector (a metric name or its braces)."""
    for found in _WINDOW_RANGE_RE.finditer(query):
        before = query[: found.start()].rstrip()
        if before.endswith("}") or _NAME_BEFORE_RE.search(before):
            continue
        start = max(0, len(before) - 60)
        return ("…" if start else "") + before[start:] + query[found.start() : found.end()]
    return None


# `sum(…) by (l, …)` or `sum by (l, …) (…)`: a query of a series per group (the body's brackets balanced)
_SUM_BY = re.compile(r"\s*sum\s*(?:by\s*\((?P<a>[^()]*)\))?\s*\((?P<body>.*?)\)\s*(?:by\s*\((?P<b>[^()]*)\))?\s*", re.S)


def grouped_by(query: str) -> tuple[str, ...] | None:
    """The labels a query sums by at its outermost (`sum(rate(x[5m])) by (host)`), sorted; None for
    one of a single series (or a shape this does not tell)."""
    found = _SUM_BY.fullmatch(query)
    if found is None or not (found["a"] or found["b"]):
        return None
    depth = 0
    for ch in found["body"]:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return None  # `sum(a) by (x) / sum(b)`: not one sum
    labels = tuple(sorted(label.strip() for label in (found["a"] or found["b"]).split(",") if label.strip()))
    return labels or None


_LEGACY_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_BY_ITEM = re.compile(rf"\s*(?P<label>{_STRING}|[^,\s\"'`]+)\s*(?:,|$)")


def label_in_promql(name: str) -> str:
    """A label name as PromQL writes it in `by (…)`: as it is, or quoted where it is none of Prometheus 2's
    (Prometheus 3's UTF-8 names: `"service.name"`)."""
    return name if _LEGACY_LABEL.fullmatch(name) else json.dumps(name, ensure_ascii=False)


def labels_in(by: str) -> tuple[str, ...]:
    """The label names of what `by (…)` holds (`service, "http.method"`), unquoted, in order; a comma in a
    quoted name is part of it."""
    found, at = [], 0
    while at < len(by) and by[at:].strip():
        item = _BY_ITEM.match(by, at)
        if item is None:
            break
        label = item["label"]
        found.append(_unquoted(label) if label[0] in "\"'`" else label)
        at = item.end()
    return tuple(found)


def with_window(query: str, window: str) -> str:
    """A template query with its `{{.window}}` replaced by a PromQL duration (`30d`, `3600s`)."""
    return _PLACEHOLDER_RE.sub(window, query)


def metric_name(selector: str) -> str | None:
    """The metric a selector names (`http_requests_total`), if it names one: before its braces, in
    them as a quoted name (`{"http.server.request.duration"}`, Prometheus 3) or as `__name__="…"`."""
    match = _SELECTOR_RE.fullmatch(selector)
    if match is None:
        return None
    if match["name"]:
        return match["name"]
    for braces in _braces(selector):
        return braces.metric
    return None


# Prometheus 3 stores a classic histogram's `le` and a summary's `quantile` as OpenMetrics writes a float
# (`1` → `1.0`, `1000000` → `1e+06`), whatever the exporter wrote; Prometheus 2 stored what a text
# scrape gave (Go's client writes `1`, Python's and Java's `1.0`). A query naming one spelling of a bound
# finds nothing where the other is stored (prometheus.io/docs/prometheus/latest/migration).
BOUND_LABELS = ("le", "quantile")
_FLOAT_RE = re.compile(r"[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf(?:inity)?)", re.I)
_ITEM_RE = re.compile(
    rf"\s*(?:(?P<label>{_LABEL})\s*(?P<op>=~|!~|!=|=)\s*(?P<value>{_STRING})|(?P<bare>{_STRING}))\s*(?P<end>,\s*\}}|,|\}})"
)
# a PromQL comment runs from a `#` outside a string to the line's end: braces and quotes in it are text
_TOKEN_RE = re.compile(rf"{_STRING}|{_PLACEHOLDER_RE.pattern}|#[^\n]*|\{{|[^\"'`{{#]+|.", re.S)
_NAME_RE = re.compile(_NAME)


@dataclass(frozen=True, slots=True)
class Matcher:
    """One label matcher of a selector, unquoted, and where it is written in the query."""

    label: str
    op: str
    value: str
    start: int  # of its label
    end: int  # after its value's closing quote


@dataclass(frozen=True, slots=True)
class _Braces:
    metric: str | None  # the metric the selector names, before the braces or in them
    matchers: tuple[Matcher, ...]


def _unquoted(text: str) -> str:
    """A PromQL string's value: its quotes dropped, its escapes read (`\\"` → `"`)."""
    if text.startswith("`"):
        return text[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r"}.get(m[1], m[1]), text[1:-1])


def _braces(query: str) -> list[_Braces]:
    """Each selector's braces in `query` that hold label matchers only (strings and {{.window}} passed
    over), with the metric it names."""
    found = []
    for token in _TOKEN_RE.finditer(query):
        if token.group() != "{":
            continue
        matchers, bare, at, closed = [], None, token.end(), False
        while not closed:
            item = _ITEM_RE.match(query, at)
            if item is None:  # `{}`, or a trailing comma: closed all the same
                closed = query[at:].lstrip().startswith("}")
                break
            if item["bare"] is not None:
                bare = bare or _unquoted(item["bare"])
            else:
                label = item["label"]
                label = _unquoted(label) if label[0] in "\"'`" else label
                matchers.append(
                    Matcher(label, item["op"], _unquoted(item["value"]), item.start("label"), item.end("value"))
                )
            at, closed = item.end(), item["end"].endswith("}")
        if not closed:
            continue
        named = next((m.value for m in matchers if m.label == "__name__" and m.op == "="), None)
        found.append(_Braces(_name_before(query, token.start()) or bare or named, tuple(matchers)))
    return found


def _name_before(query: str, at: int) -> str | None:
    """The metric name written just before `at` (white space between), walked back to, not searched
    for: a search of all the text before each brace is quadratic in a query of many selectors."""
    end = at
    while end > 0 and query[end - 1].isspace():
        end -= 1
    start = end
    while start > 0 and (query[start - 1].isascii() and (query[start - 1].isalnum() or query[start - 1] in "_:")):
        start -= 1
    found = _NAME_RE.fullmatch(query, start, end)
    return found.group() if found else None


def open_metrics_float(text: str) -> str | None:
    """A number as Prometheus 3 stores an `le` or `quantile` value (Go's FormatOpenMetricsFloat: the
    shortest that reads back, `.0` after a whole number, `e` notation below 1e-4 and from 1e6);
    None for text that is no number."""
    if not _FLOAT_RE.fullmatch(text):
        return None
    value = float(text)
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "0.0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    shown = "".join(map(str, digits))
    point = len(shown) + exponent  # where the decimal point falls after the digits' first
    if point - 1 < -4 or point - 1 >= 6:  # Go's shortest %g: e notation outside [1e-4, 1e6)
        mantissa = shown[0] + ("." + shown[1:] if len(shown) > 1 else "")
        written = f"{mantissa}e{point - 1:+03d}"
    elif point <= 0:
        written = "0." + "0" * -point + shown
    elif point >= len(shown):
        written = shown + "0" * (point - len(shown)) + ".0"
    else:
        written = shown[:point] + "." + shown[point:]
    return ("-" if sign else "") + written


def _spellings(written: str) -> tuple[str, ...]:
    """Every way a bound may be stored: as written, as Prometheus 3 stores it, and as Go's client
    writes it (Prometheus 2's text scrape: `1`, where Prometheus 3 stores `1.0`)."""
    normal = open_metrics_float(written)
    if normal is None:
        return (written,)
    go = normal[:-2] if normal.endswith(".0") else normal
    return tuple(dict.fromkeys((written, normal, go)))


def spelled_out(written: str) -> str:
    """The regular expression of every spelling of a bound (`1` → `1|1\\.0`)."""
    return "|".join(s.replace(".", "\\.").replace("+", "\\+") for s in _spellings(written))


def unnormalised_bounds(query: str) -> tuple[tuple[str, str, str], ...]:
    """Each (label, value as written, value as Prometheus 3 stores it) of an `le` or `quantile`
    equality matcher in `query` whose number Prometheus 3 stores otherwise (`le="1"`, stored `1.0`)."""
    found = []
    for braces in _braces(query):
        for m in braces.matchers:
            normal = open_metrics_float(m.value) if m.label in BOUND_LABELS and m.op == "=" else None
            if normal is not None and normal != m.value:
                found.append((m.label, m.value, normal))
    return tuple(dict.fromkeys(found))


def every_spelling(query: str) -> str:
    """`query` with each `le` or `quantile` equality matcher on a number that may be stored in more
    than one spelling made a regular expression of them all (`le="1"` → `le=~"1|1\\.0"`), so that it
    finds the bucket on Prometheus 2 and 3 alike, and both across an upgrade."""
    out, at = [], 0
    for braces in _braces(query):
        for m in braces.matchers:
            if m.label not in BOUND_LABELS or m.op != "=" or len(_spellings(m.value)) < 2:
                continue
            out += [query[at : m.start], f"{m.label}=~{json.dumps(spelled_out(m.value), ensure_ascii=False)}"]
            at = m.end
    return "".join(out) + query[at:] if out else query


_OPTIONAL_POINT = re.compile(r"(?P<number>[0-9]+)\(\\\.0\+?\)\?")  # Pyrra's `2(\.0)?`, matching both


def bound_matched(op: str, value: str) -> str | None:
    """The number an `le` or `quantile` matcher's value (unquoted) matches, as Prometheus 3 stores it, when
    it matches one number in whichever of its spellings (`=` `1` or `1.0`, `=~` `1|1\\.0` or Pyrra's
    `1(\\.0)?`); None for any other matcher (a range of bounds, `!=`)."""
    if op == "=~":
        pyrra = _OPTIONAL_POINT.fullmatch(value)
        alternatives = [pyrra["number"]] if pyrra else value.replace("\\.", ".").replace("\\+", "+").split("|")
    elif op == "=":
        alternatives = [value]
    else:
        return None
    stored = {open_metrics_float(alternative) for alternative in alternatives}
    if len(stored) != 1 or None in stored:
        return None
    return stored.pop()


def go_spelling(stored: str) -> str:
    """A bound as Go's client writes it (and Prometheus 2 stored it from a Go exporter): as Prometheus 3
    stores it (`stored`, open_metrics_float's) without its `.0` (`1.0` → `1`, `0.5` and `1e+06` alike)."""
    return stored[:-2] if stored.endswith(".0") else stored


def in_go_spelling(query: str) -> tuple[str, tuple[str, ...]]:
    """`query` with each `le` matcher that matches one number, in any of its spellings (bound_matched), an
    equality on Go's spelling of it (`le=~"1|1\\.0"` → `le="1"`; one that is already, as written), and each
    bound as Prometheus 3 stores it.
    What Pyrra needs: its webhook takes an equality on a number only, and its Prometheus 3 migration
    (`--enable-prometheus3-migration`, on by default from Pyrra 0.10) matches a whole number `N` as
    `N(\\.0)?`, so Go's spelling finds the bucket on Prometheus 2 and 3 alike."""
    out, at, stored = [], 0, []
    for braces in _braces(query):
        for m in braces.matchers:
            number = bound_matched(m.op, m.value) if m.label == "le" else None
            if number is None:
                continue
            stored.append(number)
            if m.op == "=" and m.value == go_spelling(number):
                continue  # Go's spelling already, in whichever quotes: as written
            out += [query[at : m.start], f'le="{go_spelling(number)}"']
            at = m.end
    return ("".join(out) + query[at:] if out else query), tuple(dict.fromkeys(stored))


def bucket_bounds(query: str) -> tuple[tuple[str, str], ...]:
    """The (metric, bound) of each selector in `query` that names a bucket by an equality matcher on
    its `le` (`request_seconds_bucket{le="0.3"}` → ("request_seconds_bucket", "0.3")), in order."""
    found = []
    for braces in _braces(query):
        le = next((m.value for m in braces.matchers if m.label == "le" and m.op == "="), None)
        if braces.metric is not None and le is not None:
            found.append((braces.metric, le))
    return tuple(dict.fromkeys(found))


def selector_text(selector: str) -> str:
    """The selector as it goes into a query: surrounding white space dropped."""
    return selector.strip()
