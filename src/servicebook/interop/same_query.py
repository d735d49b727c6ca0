"""Whether the monitoring's queries are the catalog's: compared as text, with white space outside
PromQL's strings normalised and a selector's label matchers taken in any order (`{a="1",b="2"}` is
`{b="2",a="1"}`; PromQL is not parsed), a selector taken for the sum of its rate or increase
over the window (what the catalog counts of a selector), and a measurement taken as the one Sloth's
export writes of it (`sloth_export.sli`), so that a file exported from the catalog, or a catalog
imported from the file, never differs from itself. Pure functions."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from servicebook.catalog import model
from servicebook.catalog.queries import WINDOW_PLACEHOLDER, QueryForm, bound_matched, query_form
from servicebook.interop import sloth_export

# PromQL's strings, kept as written (white space in a label value is part of it), and what lies between
_STRING = re.compile(r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`""")
_PLACEHOLDER = re.compile(r"\{\{\s*\.window\s*\}\}")
_WORD = r"[A-Za-z0-9_:.]"
# white space is dropped but between two words, where it parts them (`sum by (le)`, `a or b`)
_NOT_PARTING = re.compile(rf"\s+(?!{_WORD})|(?<!{_WORD})\s+")
_SPACES = re.compile(r"\s+")
# a selector's braces holding label matchers only (white space already dropped), their order PromQL's to ignore
_MATCHER = rf"[A-Za-z_][A-Za-z0-9_]*(?:=~|!~|!=|=)(?:{_STRING.pattern})"
_STRING_OR_MATCHERS = re.compile(rf"(?P<string>{_STRING.pattern})|\{{(?P<matchers>{_MATCHER}(?:,{_MATCHER})*),?\}}")
_ONE_MATCHER = re.compile(_MATCHER)
_COUNTED = re.compile(r"sum\((?:rate|increase)\((?P<selector>.*)\[\{\{\.window\}\}\]\)\)", re.S)

FIELDS = ("errors", "good", "total", "error_ratio", "bool_gauge")
SHAPE_NAMES = {
    ("errors", "total"): "errors over total",
    ("good", "total"): "good events over total",
    ("error_ratio",): "an error ratio",
    ("bool_gauge",): "a 0/1 gauge",
}


def normalised(query: str) -> str:
    """`query` with its white space outside strings dropped where it parts no two words, and a single
    space where it does; the window's placeholder spelt one way; each selector's label matchers sorted."""
    query = _PLACEHOLDER.sub(WINDOW_PLACEHOLDER, query)
    out, at = [], 0
    for found in _STRING.finditer(query):
        out.append(_between(query[at : found.start()]))
        out.append(found.group())
        at = found.end()
    out.append(_between(query[at:]))
    return _STRING_OR_MATCHERS.sub(_matchers_sorted, "".join(out).strip())


def _matchers_sorted(found: re.Match[str]) -> str:
    """A selector's label matchers in one order, each once (PromQL ands them); a string as it is."""
    if found["matchers"] is None:
        return found.group()
    return "{" + ",".join(sorted({_bound(m) for m in _ONE_MATCHER.findall(found["matchers"])})) + "}"


_BOUND_MATCHER = re.compile(
    r"""(?P<label>le|quantile)(?P<op>=~|=)(?P<value>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)"""
)


def _bound(matcher: str) -> str:
    """A bucket's bound (`le`) or a quantile as Prometheus 3 stores it, in whichever of its spellings it is
    matched (`le="1"`, `le="1.0"`, `le=~"1|1\\.0"`, `le=~"1(\\.0)?"`): one bound, matched as `measure`
    matches it (every spelling); any other matcher as written."""
    found = _BOUND_MATCHER.fullmatch(matcher)
    if found is None:
        return matcher
    value = found["value"][1:-1]
    if found["value"][0] != "`":
        value = re.sub(r"\\(.)", r"\1", value)
    stored = bound_matched(found["op"], value)
    return matcher if stored is None else f'{found["label"]}="{stored}"'


def _between(text: str) -> str:
    return _NOT_PARTING.sub("", _SPACES.sub(" ", text))


def _counted(query: str) -> str:
    """A count of events as the catalog reads one: a selector, or the sum of a selector's rate (or
    increase) over the window, which is the same count (the catalog counts a selector's increase)."""
    text = normalised(query)
    found = _COUNTED.fullmatch(text)
    if found is not None and query_form(found["selector"]) is QueryForm.SELECTOR:
        return found["selector"]
    return text


@dataclass(frozen=True, slots=True)
class Queries:
    """A measurement's shape (the fields it gives) and each query, normalised."""

    shape: tuple[str, ...]
    queries: tuple[str, ...]
    written: tuple[str, ...]  # as the measurement writes them
    told: str = ""  # how the catalog's was turned into this form, said with it

    @property
    def shape_name(self) -> str:
        return SHAPE_NAMES.get(self.shape, " and ".join(self.shape))


def queries(measurement: model.Measurement) -> Queries:
    shape = tuple(f for f in FIELDS if getattr(measurement, f) is not None)
    written = tuple(str(getattr(measurement, f)) for f in shape)
    counted = {"errors", "good", "total"}
    return Queries(
        shape,
        tuple((_counted if f in counted else normalised)(q) for f, q in zip(shape, written, strict=True)),
        written,
    )


def as_compared(promised: model.Measurement, sloth: bool) -> list[Queries]:
    """The forms the catalog's measurement may take in a file that measures it as promised: as
    written, and in a Sloth file as `export sloth` writes it (good events become the total minus them,
    a gauge a ratio of its samples), which `import sloth` reads back as they are written."""
    forms = [queries(promised)]
    indicator, _ = sloth_export.sli(promised) if sloth else (None, None)
    if indicator is not None:
        events = indicator.get("events")
        if events is not None:
            written = model.Measurement(errors=events["error_query"], total=events["total_query"])
        else:
            written = model.Measurement(error_ratio=indicator["raw"]["error_ratio_query"])
        forms.append(dataclasses.replace(queries(written), told=" (as `export sloth` writes it)"))
    return forms


@dataclass(frozen=True, slots=True)
class QueryDifference:
    """How a file's measurement differs from the catalog's: the field (or the shape) and both texts."""

    field: str | None  # None: another shape
    promised: str
    measured: str
    told: str = ""  # how the catalog's was turned into the form compared


def difference(promised: model.Measurement, measured: model.Measurement, *, sloth: bool) -> QueryDifference | None:
    """None when `measured` (of a Sloth file: `sloth`) is one of the forms of `promised`; else the first
    query that differs (of the form of the same shape, as written first), or the two shapes."""
    theirs = queries(measured)
    forms = as_compared(promised, sloth)
    if any(form.queries == theirs.queries and form.shape == theirs.shape for form in forms):
        return None
    same_shape = next((form for form in forms if form.shape == theirs.shape), None)
    if same_shape is None:
        return QueryDifference(None, forms[0].shape_name, theirs.shape_name)
    for at, name in enumerate(theirs.shape):
        if same_shape.queries[at] != theirs.queries[at]:
            return QueryDifference(name, same_shape.written[at].strip(), theirs.written[at].strip(), same_shape.told)
    return None  # pragma: no cover - the forms differ in a query when their shapes are alike
