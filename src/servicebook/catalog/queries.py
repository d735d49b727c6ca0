"""The two ways a measurement query may be written, told apart: a counter selector in Pyrra's
style (`http_requests_total{job="api",code=~"5.."}`) or PromQL in Sloth's style, where
`{{.window}}` stands for the range to evaluate over. Pure functions; `measure/` builds the
queries it sends from these, `validate.py` reports a query that is neither."""

from __future__ import annotations

import enum
import re

WINDOW_PLACEHOLDER = "{{.window}}"
# Sloth writes the placeholder with or without spaces inside the braces.
_PLACEHOLDER_RE = re.compile(r"\{\{\s*\.window\s*\}\}")

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
_STRING = r'"(?:[^"\\\n]|\\.)*"' + r"|'(?:[^'\\\n]|\\.)*'" + r"|`[^`]*`"
_MATCHER = rf"\s*{_LABEL}\s*(?:=~|!~|!=|=)\s*(?:{_STRING})\s*"
_SELECTOR_RE = re.compile(rf"\s*(?P<name>{_NAME})?\s*(?:\{{(?:{_MATCHER}(?:,{_MATCHER})*,?)?\s*\}})?\s*")
_NAME_MATCHER_RE = re.compile(r"""__name__\s*=\s*(?:"([^"\\]*)"|'([^'\\]*)')""")


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
    if match["name"] is None and _NAME_MATCHER_RE.search(query) is None:
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


def with_window(query: str, window: str) -> str:
    """A template query with its `{{.window}}` replaced by a PromQL duration (`30d`, `3600s`)."""
    return _PLACEHOLDER_RE.sub(window, query)


def metric_name(selector: str) -> str | None:
    """The metric a selector names (`http_requests_total`), if it names one."""
    match = _SELECTOR_RE.fullmatch(selector)
    if match is None:
        return None
    if match["name"]:
        return match["name"]
    named = _NAME_MATCHER_RE.search(selector)
    return (named[1] or named[2]) if named else None


# a metric named with its braces, and in them an equality matcher on a histogram's bucket bound
_NAMED_BRACES_RE = re.compile(rf"(?P<name>{_NAME})\s*\{{(?P<matchers>[^{{}}]*)\}}")
_LE_RE = re.compile(r"""(?<![a-zA-Z0-9_])le\s*=(?!~)\s*(?:"([^"\\]*)"|'([^'\\]*)'|`([^`]*)`)""")


def bucket_bounds(query: str) -> tuple[tuple[str, str], ...]:
    """The (metric, bound) of each selector in `query` that names a bucket by an equality matcher on
    its `le` (`request_seconds_bucket{le="0.3"}` → ("request_seconds_bucket", "0.3")), in order."""
    found = []
    for braces in _NAMED_BRACES_RE.finditer(query):
        le = _LE_RE.search(braces["matchers"])
        if le is not None:
            found.append((braces["name"], next(bound for bound in le.groups() if bound is not None)))
    return tuple(dict.fromkeys(found))


def selector_text(selector: str) -> str:
    """The selector as it goes into a query: surrounding white space dropped."""
    return selector.strip()
