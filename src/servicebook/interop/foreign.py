"""What the readers of other tools' SLO files share: the SLO as read (`ForeignSLO`), strict access
to located YAML (`Fields`), and the dispatch of each document of a file (or each object a document
lists: a Kubernetes `List`, OpenSLO's go-sdk's list) to the reader of its kind.

Files are read as strictly as the catalog (source/yaml.py: no anchors, aliases, tags or duplicate
keys; size limits; valid UTF-8). A document is recognised by its `apiVersion` and `kind` (Sloth's
plain spec by `version`); a version of a known format that is not read (OpenSLO v1alpha, v2alpha)
is named, never guessed at. What a format says that the catalog has no place for is reported as
dropped, what had to be assumed as guessed, each at its place in the file.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path

from servicebook.catalog import model
from servicebook.catalog.queries import (
    WINDOW_PLACEHOLDER,
    QueryForm,
    go_spelling,
    query_form,
    range_over_expression,
    spelled_out,
    unnormalised_bounds,
)
from servicebook.catalog.validate import MAX_PERCENT_PLACES, WINDOW_RE
from servicebook.errors import Problem, Severity, SourceLocation
from servicebook.interop import closed
from servicebook.interop.fragment import IMPORT_BOUNDS, MAX_IMPORT_BYTES, listed_objects, read_file
from servicebook.interop.openslo import PREFIX
from servicebook.source.yaml import (
    Mapping,
    Node,
    Scalar,
    Sequence,
    SourceError,
    SourceText,
    parse_yaml_documents,
    read_text,
)

FORMATS = ("openslo", "sloth", "pyrra")
# where the catalog's calendar periods begin, said where another tool's begin elsewhere
CALENDAR_PERIODS = (
    "the catalog's calendar windows are whole weeks from Monday, and whole months, quarters and years from the 1st"
)


class Refused(Exception):
    """A document that cannot be read; carries its located problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class LeftOut(Refused):
    """A document an import leaves out, said where it is, while the other documents of its file are
    read (an OpenSLO composite SLO beside ordinary ones): a warning to an import, to the drift check
    a document it cannot read, as any Refused."""

    def __init__(self, problem: Problem, what: str) -> None:
        super().__init__(problem)
        self.what = what  # names it: "the composite SLO 'checkout'"


@dataclass(frozen=True, slots=True)
class Located:
    """A value read from a file, and where it was written."""

    value: str
    location: SourceLocation
    plain: bool = True  # written unquoted: a number or a boolean to the YAML readers of Go's tools


@dataclass(slots=True)
class ForeignSLO:
    """One objective as another tool states it, in the catalog's terms where they exist."""

    format: str  # "OpenSLO", "Sloth", "Pyrra"
    location: SourceLocation  # of the SLO (its name)
    name: str  # the tool's own name for it
    explicit: Located | None = None  # `offering/slo` from a servicebook.dev/slo annotation (servicebook_slo label)
    service: str | None = None  # the tool's service (OpenSLO spec.service, Sloth service)
    service_guessed: bool = False  # Pyrra has none: its namespace stands in
    display_name: str | None = None
    description: str | None = None
    objective: Decimal | None = None
    objective_at: SourceLocation | None = None
    window: str | None = None  # in the catalog's spelling: 28d, calendar-month …
    window_at: SourceLocation | None = None
    window_assumed: bool = False  # not in the file (Sloth: its default period)
    budgeting: model.Budgeting | None = None
    budgeting_at: SourceLocation | None = None
    timeslice_target: Decimal | None = None
    timeslice_target_at: SourceLocation | None = None
    timeslice_window: int | None = None  # minutes
    timeslice_window_at: SourceLocation | None = None
    timezone: str | None = None
    timezone_at: SourceLocation | None = None
    # where a calendar window's periods begin ("2020-01-08 00:00:00 (a Wednesday)"), when not where
    # the catalog's do: other periods are judged than the catalog's
    window_begins: str | None = None
    window_begins_at: SourceLocation | None = None  # the field that says where (OpenSLO's startTime)
    measurement: model.Measurement | None = None
    measurement_at: SourceLocation | None = None  # where its queries are (Sloth's sli, Pyrra's indicator, the SLI)
    annotations: dict[str, str] = field(default_factory=dict)  # servicebook.dev/… keys, prefix dropped
    missing_sli: Located | None = None  # an OpenSLO indicatorRef no file read defines
    # the format it is written in, when read as another tool reads it ("OpenSLO v1alpha", which Sloth reads)
    written_as: str | None = None
    # how its own tool may not take it (a Pyrra target written as a number): said by the drift check too
    cautions: list[Problem] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.explicit.value if self.explicit else f"{self.service or ''}/{self.name}"


@dataclass(slots=True)
class Reading:
    """What a set of files gave: their SLOs and services, and what was dropped, guessed or wrong."""

    slos: list[ForeignSLO] = field(default_factory=list)
    services: dict[str, dict[str, str]] = field(default_factory=dict)  # OpenSLO Service name → fields
    # OpenSLO Services no SLO read names: the note that says so, and what it said of their owner (unsaid
    # until an offering of the fragment takes the Service by its name: importing.fragment)
    unnamed: dict[str, tuple[Problem, list[Problem]]] = field(default_factory=dict)
    notes: list[Problem] = field(default_factory=list)  # warnings: dropped, guessed, skipped
    errors: list[Problem] = field(default_factory=list)
    # warnings, each with its document's tree: versions of known formats not read, other vendors' SLOs
    unread: list[tuple[Problem, Node]] = field(default_factory=list)
    # read without `expect` (the drift check): each document that could not be read, and its tree;
    # whether it is an error depends on whose SLO it is (drift.py)
    refused: list[tuple[Problem, Node]] = field(default_factory=list)
    skipped: int = 0  # documents of other kinds
    said: set[tuple[SourceLocation, str]] = field(default_factory=set)  # the notes' places and messages
    unknown: set[SourceLocation] = field(default_factory=set)  # keys said to be no field of their format's
    # of an import, the source line at each SLO's name and window: shown under what the fragment guesses of it
    lines: dict[SourceLocation, str] = field(default_factory=dict)

    def note(self, source: SourceText, loc: SourceLocation, message: str, hint: str | None = None) -> None:
        """Say `message` at `loc`, once: a value an alias or a merge key repeats is read in each
        place that names it, but written in one."""
        if (loc, message) in self.said:
            return
        self.said.add((loc, message))
        self.notes.append(Problem(loc, message, hint, Severity.WARNING, source.line(loc.line)))


class Fields:
    """A mapping node read key by key; the keys not asked for are what the reader dropped."""

    def __init__(self, node: Node, source: SourceText, what: str) -> None:
        if not isinstance(node, Mapping):
            raise Refused(_problem(source, node.location, f"{what} must be a mapping"))
        self.node = node
        self.source = source
        self.what = what
        self.items = {key.value: (key, value) for key, value in node.items}
        self.used: set[str] = set()

    @property
    def location(self) -> SourceLocation:
        return self.node.location

    def has(self, key: str) -> bool:
        return key in self.items and not _null(self.items[key][1])

    def at(self, key: str) -> SourceLocation:
        """Where `key` is written (the mapping's own place when it is not)."""
        return self.items[key][0].location if key in self.items else self.node.location

    def node_of(self, key: str) -> Node | None:
        self.used.add(key)
        found = self.items.get(key)
        return None if found is None or _null(found[1]) else found[1]

    def text(self, key: str, *, required: bool = False) -> Located | None:
        node = self.node_of(key)
        if node is None:
            if required:
                raise Refused(_problem(self.source, self.node.location, f"{self.what} has no '{key}'"))
            return None
        if not isinstance(node, Scalar):
            raise Refused(_problem(self.source, node.location, f"'{key}' in {self.what} must be a single value"))
        return Located(node.value, node.location, node.plain)

    def fields(self, key: str, *, required: bool = False) -> Fields | None:
        node = self.node_of(key)
        if node is None:
            if required:
                raise Refused(_problem(self.source, self.node.location, f"{self.what} has no '{key}'"))
            return None
        return Fields(node, self.source, f"'{key}'")

    def items_of(self, key: str) -> list[Node]:
        node = self.node_of(key)
        if node is None:
            return []
        if not isinstance(node, Sequence):
            raise Refused(_problem(self.source, node.location, f"'{key}' in {self.what} must be a list"))
        return list(node.items)

    def strings(self, key: str) -> dict[str, str]:
        """A map of plain values (labels, annotations); other shapes are refused."""
        node = self.node_of(key)
        if node is None:
            return {}
        if not isinstance(node, Mapping):
            raise Refused(_problem(self.source, node.location, f"'{key}' in {self.what} must be a mapping"))
        out = {}
        for k, v in node.items:
            if not isinstance(v, Scalar):
                raise Refused(_problem(self.source, v.location, f"'{k.value}' in '{key}' must be a single value"))
            out[k.value] = v.value
        return out

    def located_in(self, key: str, inner: str) -> Located | None:
        """The value of `inner` in the mapping under `key` (a label, an annotation), with its place."""
        found = self.items.get(key)
        if found is None or not isinstance(found[1], Mapping):
            return None
        for k, v in found[1].items:
            if k.value == inner and isinstance(v, Scalar):
                return Located(v.value, v.location)
        return None

    def dropped(self, reading: Reading, why: str) -> None:
        """Report each key of this mapping the reader did not use (one that is no field of the format's
        is said as such already: _say_unknown)."""
        for name, (key, _) in self.items.items():
            if name not in self.used and key.location not in reading.unknown:
                reading.note(self.source, key.location, f"dropped '{name}' ({why})")


def _null(node: Node) -> bool:
    return isinstance(node, Scalar) and node.is_null


def _problem(source: SourceText, loc: SourceLocation, message: str, hint: str | None = None) -> Problem:
    return Problem(loc, message, hint, source_line=source.line(loc.line))


# a histogram's bucket under a bound: `x_bucket{…le="250"…}`, the requests within it
_BUCKET_UNDER = re.compile(
    r"(?P<metric>[a-zA-Z_:][a-zA-Z0-9_:]*_bucket)\s*\{[^{}]*\ble\s*=~?\s*[\"'`](?P<le>[^\"'`]+)[\"'`]"
)


def bucket_under(query: str) -> tuple[str, str] | None:
    """(the bucket's metric, its bound) where `query` counts a classic histogram's bucket under a bound
    (`x_bucket{le="0.3"}`): the requests within it, the good ones, where a file counts errors; None
    for any other query (one of `le="+Inf"` counts every request)."""
    found = _BUCKET_UNDER.search(query)
    if found is None or found["le"].strip() in ("+Inf", "Inf"):
        return None
    if _SUBTRACTED.search(_STRINGS_AND_BRACKETS.sub("", query[: found.start()])):
        return None  # `count - bucket`: the requests over the bound, the errors indeed
    return found["metric"], found["le"]


_STRINGS_AND_BRACKETS = re.compile(r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`|\{[^{}]*\}|\[[^\[\]]*\]""")
_SUBTRACTED = re.compile(r"[\w)\]}]\s*-")  # a binary minus: after an operand, not a sign


def summed_text(by: tuple[str, ...] | None) -> str:
    """How a query is summed, as a report says it."""
    return f"is summed by ({', '.join(by)})" if by else "is not summed by labels"


def worst_group(errors: str, total: str) -> str:
    """The worst group's error ratio, of an error query and a total query summed by the same labels: a
    group without a series of errors had none (0), not a group left out of the worst."""
    return f"max(({errors.strip()} or 0 * {total.strip()}) / {total.strip()})"


_ZEROS_SUMMED = re.compile(r"sum_over_time\s*\(.*==\s*0(?![.0-9])", re.S)


def range_over_expression_note(what: str, query: str) -> tuple[str, str] | None:
    """What to say of a query that writes its range over {{.window}} after an expression
    (`sum_over_time(probe_success == 0[{{.window}}])`), which Prometheus refuses and so does the
    catalog's check, with the subquery to write; and, where the samples summed are those equal to
    0, that their sum is 0 whatever fails (they are to be counted); None for any other query."""
    ranged = range_over_expression(query) if query_form(query) is QueryForm.TEMPLATE else None
    if ranged is None:
        return None
    hint = f"write the expression as a subquery, in brackets with a colon: (EXPRESSION)[{WINDOW_PLACEHOLDER}:]"
    if _ZEROS_SUMMED.search(query):
        hint += (
            "; and count the samples that are 0 rather than sum them (their sum is 0 however many there are): "
            f"count_over_time((… == 0)[{WINDOW_PLACEHOLDER}:])"
        )
    return (
        f"the {what} writes a range over {WINDOW_PLACEHOLDER} after an expression, not a selector ({ranged}): "
        "Prometheus refuses it (ranges only allowed for vector selectors; VictoriaMetrics' MetricsQL reads it), and "
        "`check` warns of it",
        hint,
    )


def refuse(source: SourceText, loc: SourceLocation, message: str, hint: str | None = None) -> Refused:
    return Refused(_problem(source, loc, message, hint))


# --- Values in the catalog's terms ------------------------------------------------------------------

_PROM_DURATION = re.compile("".join(f"(?:([0-9]{{1,12}}){unit})?" for unit in "ywdhms"))  # at most 12 digits each
_PROM_UNITS = (365 * 86400, 7 * 86400, 86400, 3600, 60, 1)


def prometheus_seconds(text: str) -> int | None:
    """A Prometheus duration (`28d`, `2w`, `1w2d`, `12h`) in seconds; None if it is not one."""
    match = _PROM_DURATION.fullmatch(text)
    if not text or match is None:
        return None
    return sum(int(n) * size for n, size in zip(match.groups(), _PROM_UNITS, strict=True) if n)


def rolling_window(seconds: int) -> str | None:
    """A rolling window of whole days, 1 to 999, as the catalog writes it; None otherwise."""
    days, rest = divmod(seconds, 86400)
    return f"{days}d" if not rest and 1 <= days <= 999 else None


# a number of another tool's file is worked on only within 10^±MAX_EXPONENT: one written with a long
# exponent (1e999999999) is past what a decimal holds once multiplied (decimal.Overflow, a traceback),
# and its digits written out in a hint or a fragment were as many as the exponent said
MAX_EXPONENT = 100


def plain_decimal(text: str) -> Decimal | None:
    """`text` as a finite decimal within 10^±MAX_EXPONENT; None for any other (not a number, NaN,
    Infinity, 1e999999999)."""
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() and -MAX_EXPONENT <= number.adjusted() <= MAX_EXPONENT else None


def percent(source: SourceText, value: Located, what: str, *, scale: int = 1, up_to_100: bool = False) -> Decimal:
    """A number as the catalog's percent (`scale` 100 for a fraction such as 0.999), exact."""
    try:
        number = Decimal(value.value.strip())
    except InvalidOperation:
        raise refuse(source, value.location, f"{what} '{value.value}' is not a number") from None
    top = Decimal(100)
    if plain_decimal(value.value) is not None:  # else no percentage: refused below, not multiplied
        number *= scale
    # below 10^-20 % no catalog objective is written (catalog/validate.py's MAX_PERCENT_PLACES)
    tiny = number.is_finite() and number.adjusted() < -MAX_PERCENT_PLACES
    if not number.is_finite() or tiny or number <= 0 or number > top or (number == top and not up_to_100):
        limit = "at most 100 %" if up_to_100 else "below 100 % (100 % leaves no error budget)"
        raise refuse(source, value.location, f"{what} {value.value} is not a percentage above 0 and {limit}")
    return number.normalize()


def _a_number(text: str) -> bool:
    try:
        return Decimal(text.strip()).is_finite()
    except InvalidOperation:
        return False


def number_not_text(source: SourceText, written: Located, what: str, tool: str) -> None:
    """Refuse a number written in quotes where `tool` reads a number, as it refuses the file: Go's
    YAML and JSON readers make no float64 of text (`cannot unmarshal !!str`), nor does the
    Kubernetes API of a resource whose schema says number."""
    if not written.plain and _a_number(written.value):
        raise refuse(
            source,
            written.location,
            f"{what} '{written.value}' is written in quotes, as text: {tool} reads a number there and refuses the file",
            f"write {what}: {written.value.strip()}, without quotes",
        )


def text_not_number(
    slo: ForeignSLO,
    reading: Reading,
    source: SourceText,
    written: Located,
    what: str,
    *,
    tool: str | None = None,
    path: str | None = None,
    files_too: bool = True,
) -> None:
    """Say a number written unquoted where the resource of `tool` (`slo`'s format unless named) has
    text: the Kubernetes API refuses it (its schema says string), though a reader that knows the
    field (sigs.k8s.io/yaml) takes it, where the tool reads files at all (`files_too`); `path` is
    where the API says it is (spec.`what` unless given). Said by the import, and by the drift check
    where `slo` is one of the catalog's."""
    tool = tool or slo.format
    if written.plain and _a_number(written.value):
        read = f"{tool} read from files takes it, as servicebook does" if files_too else "servicebook reads it"
        caution = Problem(
            written.location,
            f"{what} {written.value} is written as a number: the Kubernetes API refuses the resource ({tool}'s "
            f"schema says {what} is a string: {path or 'spec.' + what} in body must be of type string); {read}",
            f'write {what}: "{written.value.strip()}", quoted, as {tool}\'s examples do',
            Severity.WARNING,
            source.line(written.location.line),
            kind="number-for-string",
        )
        reading.notes.append(caution)
        slo.cautions.append(caution)


@dataclass(frozen=True, slots=True)
class ObjectiveRule:
    """What a tool takes as an objective, up to 100 % included: its name, the reason it gives for
    what it refuses, and whether it takes 0 (which the catalog does not)."""

    tool: str
    refusal: str
    takes_zero: bool = False


def objective_up_to_100(
    source: SourceText, reading: Reading, written: Located, what: str, rule: ObjectiveRule, *, scale: int = 1
) -> Decimal:
    """An objective as a tool that takes 100 % takes it (`rule`): 100 % leaves no error budget (every
    error burns it) and the catalog does not promise it, so it is said and kept as written, for the
    drift check to compare and `check` of the fragment to ask for another."""
    try:
        objective = percent(source, written, what, scale=scale, up_to_100=True)
    except Refused as exc:
        problem = exc.problem
        taken = rule.takes_zero and _is_zero(written.value)
        said = "; the catalog's objectives are above 0" if taken else f", {rule.refusal}"
        raise Refused(replace(problem, message=f"{problem.message}{said}")) from None
    if objective == 100:
        reading.note(
            source,
            written.location,
            f"an objective of 100 %, which {rule.tool} takes (an error budget of nothing: every error burns it), "
            "kept as written; the catalog's objectives are below 100 %",
            "write the objective the team promises in the fragment (99.99, …)",
        )
    return objective


def _is_zero(text: str) -> bool:
    try:
        return Decimal(text.strip()) == 0
    except InvalidOperation:
        return False


def under_one_percent(reading: Reading, source: SourceText, value: Located, objective: Decimal, fmt: str) -> None:
    """Say an objective below 1 %: kept as written, though a target written as a fraction (0.999 for
    99.9 %) in a format that reads percents reads so."""
    if objective < 1:
        meant = format((objective * 100).normalize(), "f")
        reading.note(
            source,
            value.location,
            f"an objective of {objective} % ({fmt} reads the target as a percent), kept as written",
            f"if {meant} % was meant, write {meant}",
        )


def label_id(text: str) -> str | None:
    """`text` as a catalog id (lower case, digits, '-'; 1–63), or None when nothing is left."""
    ident = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:63].strip("-")
    return ident or None


# --- Files and documents ----------------------------------------------------------------------

DocumentReader = Callable[[Fields, SourceText, Reading], None]


# Sloth's resources of one spec: the second is what `sloth generate` reads for Google Cloud's
# Managed Prometheus (slok/sloth examples/managed-prometheus-*.yml), its rules a GMP Rules CRD
SLOTH_KINDS = ("PrometheusServiceLevel", "ManagedPrometheusServiceLevel")
# Kinds of a format servicebook reads that hold no SLO: passed over by name, as a manifest beside them is
NOT_SLOS = {"AlertWindows": "Sloth's alert windows for `sloth generate`, no SLO"}
# What `sloth generate` and Pyrra write from the SLOs (a rule file's `groups:`, or the operator's
# PrometheusRule): kept beside the specs in many repositories, and read for them by mistake
GENERATED_RULES = "Prometheus rules (`sloth generate` and Pyrra write them from SLOs), not SLOs: read the specs"


@dataclass(frozen=True, slots=True)
class Vendor:
    """Another tool's own format, which servicebook does not read: named for what it is, and for
    its SLOs, what to do (an import says so; the drift check warns that they are not compared)."""

    prefix: str  # of its apiVersion
    name: str  # whose, in words
    slo_kinds: frozenset[str]
    hint: str


VENDORS = (
    Vendor(
        "n9/",
        "Nobl9's own format (what sloctl applies and prints), not OpenSLO",
        frozenset({"SLO"}),
        "write the SLO in the catalog from its objectives (target is a fraction) and timeWindows, or import the "
        "OpenSLO files it was converted from (sloctl convert openslo)",
    ),
    Vendor(
        "datadoghq.com/",
        "the Datadog Operator's resource, no SLO format servicebook reads",
        frozenset({"DatadogSLO"}),
        "write the SLO in the catalog from its targetThreshold (a percent) and timeframe (7d, 30d, 90d)",
    ),
    Vendor(
        "sre.google.com/",
        "Google's slo-generator config, no SLO format servicebook reads",
        frozenset({"ServiceLevelObjective"}),
        "write the SLO in the catalog from its goal (a fraction, 0.999 for 99.9) and the window of the error "
        "budget policy it is computed with",
    ),
    Vendor("backstage.io/", "a Backstage entity, not an SLO", frozenset(), "use `servicebook import backstage`"),
)
# Documents without apiVersion of tools that write SLOs in their own keys: (keys that tell, whose, what to do)
PLAIN_VENDORS = (
    (
        frozenset({"slo_name", "slo_target"}),
        "Google's slo-generator v1 config, no SLO format servicebook reads",
        "write the SLO in the catalog from its slo_target (a fraction, 0.999 for 99.9)",
    ),
    (
        frozenset({"spec_version", "objectives"}),
        "a Keptn quality gate (slo.yaml), no SLO format servicebook reads",
        "a quality gate's pass and warning criteria are no objective over a window: write the SLO in the catalog",
    ),
)


def vendor_hint(root: Fields) -> str | None:
    """What to do with another tool's own format (VENDORS, PLAIN_VENDORS), or None."""
    api = root.items.get("apiVersion")
    api_v = api[1].value if api and isinstance(api[1], Scalar) else ""
    if not api_v:
        return next((hint for keys, _, hint in PLAIN_VENDORS if keys <= root.items.keys()), None)
    kind = root.items.get("kind")
    kind_v = kind[1].value if kind and isinstance(kind[1], Scalar) else ""
    vendor = next((v for v in VENDORS if api_v.startswith(v.prefix)), None)
    return vendor.hint if vendor is not None and (kind_v in vendor.slo_kinds or not vendor.slo_kinds) else None


def _vendor(root: Fields, api_v: str, kind_v: str) -> tuple[str, str] | None:
    """recognise() for another tool's own format: ("vendor", whose) for its SLOs, ("", whose) for its
    other kinds; None for a document of no vendor's."""
    if not api_v and not kind_v:
        return next((("vendor", whose) for keys, whose, _ in PLAIN_VENDORS if keys <= root.items.keys()), None)
    for vendor in VENDORS:
        if api_v.startswith(vendor.prefix):
            return (
                "vendor" if kind_v in vendor.slo_kinds else "",
                f"{kind_v or 'a document without kind'} ({api_v}): {vendor.name}",
            )
    return None


# osko, the OpenSLO Kubernetes operator, serves OpenSLO v1 as the API group openslo.com (its CRDs'
# openslo.com/v1), and did as openslo.openslo (kubebuilder's group of its first releases): the same objects
OSKO_GROUPS = ("openslo.com/v1", "openslo.openslo/v1")
# OpenSLO v2alpha (OpenSLO's go-sdk: VersionV2alpha), read by the OpenSLO reader with v2alpha's names
OPENSLO_V2ALPHA = "openslo.com/v2alpha"
# OpenSLO's draft of it (the specification's enhancements/v2alpha1.md), which some files carry: read as
# v2alpha where the two agree, each field where the draft differs said where it is written
OPENSLO_V2ALPHA1 = "openslo/v2alpha1"
# the OpenSLO apiVersions read, and how a document of each is named
_OPENSLO_READ = {
    "openslo/v1": "OpenSLO {kind}",
    **dict.fromkeys(OSKO_GROUPS, "OpenSLO {kind} ({api}, as osko serves it)"),
    OPENSLO_V2ALPHA: "OpenSLO v2alpha {kind}",
    OPENSLO_V2ALPHA1: "OpenSLO {kind} (openslo/v2alpha1, the draft of v2alpha)",
}
GMP_RULES = ("Rules", "ClusterRules", "GlobalRules")
# Pyrra's filesystem mode reads a file into its ServiceLevelObjective without looking at apiVersion, and files
# written from its Go types without their group (rhobs/configuration's) say `v1alpha1`: read as Pyrra reads them
PYRRA_FILE_VERSIONS = ("v1alpha1", "")  # Google Cloud Managed Service for Prometheus' rule kinds


def recognise(root: Fields) -> tuple[str, str]:
    """(format, what) for a document: format is one of FORMATS, "" for a kind of no SLO format,
    "refused" (a version of a format that is not read) or "vendor" (an SLO in another tool's own
    format, VENDORS); `what` names it for people."""
    api = root.items.get("apiVersion")
    kind = root.items.get("kind")
    api_v = api[1].value if api and isinstance(api[1], Scalar) else ""
    kind_v = kind[1].value if kind and isinstance(kind[1], Scalar) else ""
    version = root.items.get("version")
    version_v = version[1].value if version and isinstance(version[1], Scalar) else ""
    vendor = _vendor(root, api_v, kind_v)
    if vendor is not None:
        return vendor
    if not api_v and version_v:
        if version_v == "prometheus/v1":
            return "sloth", "Sloth prometheus/v1 spec"
        if version_v.startswith("prometheus/"):
            return "refused", f"Sloth spec version {version_v}"
        return "", f"a document with version '{version_v}'"
    what = f"{kind_v or 'a document without kind'} ({api_v or 'no apiVersion'})"
    if api_v in _OPENSLO_READ:
        return "openslo", _OPENSLO_READ[api_v].format(kind=kind_v, api=api_v)
    # v2alpha moved to a domain (OpenSLO's go-sdk: VersionV2alpha = "openslo.com/v2alpha")
    if api_v.startswith(("openslo/", "openslo.com/")):
        return "refused", f"OpenSLO {api_v} {kind_v}".rstrip()
    if api_v == "sloth.slok.dev/v1" and kind_v in NOT_SLOS:
        return "", f"{kind_v} ({api_v}): {NOT_SLOS[kind_v]}"
    if api_v == "sloth.slok.dev/v1":
        return ("sloth", f"Sloth {kind_v}") if kind_v in SLOTH_KINDS else ("refused", what)
    if api_v.startswith("sloth.slok.dev/"):
        return "refused", what
    if api_v == "pyrra.dev/v1alpha1":
        return ("pyrra", "Pyrra ServiceLevelObjective") if kind_v == "ServiceLevelObjective" else ("refused", what)
    if api_v in PYRRA_FILE_VERSIONS and kind_v == "ServiceLevelObjective":  # as Pyrra's filesystem mode reads it
        return "pyrra", f"Pyrra ServiceLevelObjective ({api_v or 'no apiVersion'})"
    if api_v.startswith("pyrra.dev/"):
        return "refused", what
    if (
        (not api_v and not kind_v and "groups" in root.items)
        or (kind_v == "PrometheusRule" and api_v.startswith("monitoring.coreos.com/"))
        # what `sloth generate` writes of a ManagedPrometheusServiceLevel: Google Cloud's Rules
        or (kind_v in GMP_RULES and api_v.startswith("monitoring.googleapis.com/"))
    ):
        return "", f"{kind_v or 'a rule file (groups:)'}: {GENERATED_RULES}"
    if kind_v == "ConfigMap" and api_v == "v1" and _pyrra_rules(root):
        return "", f"ConfigMap (v1) of Pyrra's --config-map-mode: {GENERATED_RULES}"
    return "", what


def _pyrra_rules(root: Fields) -> bool:
    """Whether a ConfigMap holds the rules Pyrra's --config-map-mode writes of a ServiceLevelObjective
    (named pyrra-recording-rule-NAME, owned by it), where a Prometheus Operator's PrometheusRule is not."""
    meta = root.items.get("metadata")
    if meta is None or not isinstance(meta[1], Mapping):
        return False
    fields = dict((key.value, value) for key, value in meta[1].items)
    name = fields.get("name")
    if isinstance(name, Scalar) and name.value.startswith("pyrra-recording-rule-"):
        return True
    owners = fields.get("ownerReferences")
    return isinstance(owners, Sequence) and any(
        isinstance(owner, Mapping)
        and any(
            k.value == "kind" and isinstance(v, Scalar) and v.value == "ServiceLevelObjective" for k, v in owner.items
        )
        for owner in owners.items
    )


# a Go template action where YAML has a line or a value (`{{- if …}}`, `key: {{ .Values.x }}`): a Helm
# chart's template; Sloth's own `{{.window}}` sits inside a query, after other text
_TEMPLATE_LINE = re.compile(r"^[ \t]*(?:-[ \t]+)?(?:[\w./-]+:[ \t]+)?\{\{", re.M)
HELM_HINT = "a Helm or Go template: render it first (e.g. helm template CHART > slos.yaml) and read that"


def read_files(
    paths: list[tuple[str, Path]],
    readers: dict[str, DocumentReader],
    reading: Reading,
    *,
    expect: str | None = None,
    named: bool = False,
) -> None:
    """Read every document of every file into `reading`: `paths` are (name shown, path).
    With `expect`, a document of another format is an error that names it; without, documents
    of no SLO format are counted as skipped. `named`: files the user named (an import), read as
    every import reads them, through a link or from a pipe (`<(kubectl get …)`); else files found
    in a folder (the drift check), plain files only."""
    for shown, path in paths:
        source: SourceText | None = None
        try:
            if named:
                source = read_file(path, shown)
            else:
                source = read_text(Path(), str(path), max_bytes=MAX_IMPORT_BYTES)
                source = SourceText(shown, source.text)
            documents = parse_yaml_documents(source, aliases=True, merges=True, bounds=IMPORT_BOUNDS)  # as Go's YAML
        except SourceError as exc:
            templated = source is not None and _TEMPLATE_LINE.search(source.text) is not None
            reading.errors += [replace(p, hint=p.hint or HELM_HINT) if templated else p for p in exc.problems]
            continue
        before = len(reading.slos)
        for document in documents:
            if document.node is None:
                continue
            listed = listed_objects(document.node)  # objects listed in one document: each read as one
            what = "the document" if listed is None else "an item of the list"
            for node in [document.node] if listed is None else listed:
                try:
                    _read_document(Fields(node, source, what), source, readers, reading, expect)
                except Refused as exc:
                    if expect is None:
                        reading.refused.append((exc.problem, node))
                    elif isinstance(exc, LeftOut):  # the file's other documents are read: said, not failing
                        p = exc.problem
                        reading.notes.append(
                            replace(p, message=f"left out {exc.what}: {p.message}", severity=Severity.WARNING)
                        )
                    else:
                        reading.errors.append(exc.problem)
        for slo in reading.slos[before:]:
            prometheus3_bounds(slo, source, reading)
        if named:  # (the drift check prints no guess: its files' lines are not kept)
            for slo in reading.slos[before:]:
                for at in (slo.location, slo.window_at):
                    line = source.line(at.line) if at is not None else None
                    if at is not None and line is not None:
                        reading.lines[at] = line


PROMETHEUS3_BOUND = "prometheus3-bound"  # the kind of the caution below: its tool's rules measure nothing there


def prometheus3_bounds(slo: ForeignSLO, source: SourceText, reading: Reading) -> None:
    """Say where an SLO's queries name a bucket's bound (`le="1"`) or a quantile in a spelling Prometheus 3
    does not store (it stores `1.0`): the rules its tool makes of the file find no series there. `measure`
    asks for every spelling; the other tool takes the query as written. Said by the import, and by the
    drift check (a caution) where the SLO is the catalog's."""
    m = slo.measurement
    queries = (m.errors, m.good, m.total, m.error_ratio, m.bool_gauge) if m else ()
    # at most three of an SLO, each looked for in the text: a query has a bound or two, and a file's
    # thousands would each be searched for from the SLI's line on
    found = list(dict.fromkeys(bound for q in queries if q for bound in unnormalised_bounds(q)))[:3]
    start = slo.measurement_at or slo.location
    for label, written, normal in found:
        loc = _written_at(source, start, rf"""\b{label}\s*=\s*["'`]{re.escape(written)}["'`]""")
        both = f"{label}=~{json.dumps(spelled_out(written), ensure_ascii=False)} to match both"
        hint = f'write {label}="{normal}", or {both}'
        # a Sloth SLI plugin's option (`bucket: "1"`), which the plugin writes into its query as `le="1"`
        option = _written_at(source, start, rf"""^\s*bucket\s*:\s*(?P<at>["']?){re.escape(written)}["']?\s*(?:#.*)?$""")
        if slo.format == "Sloth" and label == "le" and option is not None and (loc is None or option.line < loc.line):
            loc = option
            hint = (
                f'write bucket: "{normal}" (the plugin writes le="BUCKET" as given: one spelling, found on '
                f"Prometheus 3 only), or the SLI as events with {both}"
            )
        loc = loc or start
        maker = f"{slo.format} makes" if slo.format in ("Sloth", "Pyrra") else f"a tool reading {slo.format} makes"
        drift = True  # said by the drift check too, where the SLO is the catalog's
        if slo.format == "Pyrra":  # its webhook takes an le that is a number only
            # a whole number, which Pyrra 0.10's migration matches as `N(\.0)?`: what `export pyrra` writes, and
            # right for the Pyrra of most monitoring, so said by the import only (the drift check would fail
            # --strict on a file written as it should be)
            if label == "le" and go_spelling(normal) == written:
                drift = False
                maker = "a Pyrra before 0.10 (or run with --enable-prometheus3-migration=false) makes"
                hint = (
                    "run Pyrra 0.10 or later, whose Prometheus 3 migration (on by default) matches both, "
                    f'or write {label}="{normal}" (found on Prometheus 3 only)'
                )
            else:  # Go's spelling is Prometheus 3's (`1e+06`), or the file writes another (`0.50`)
                hint = f'write {label}="{normal}", which Prometheus 2 stores too from a Go exporter'
        caution = Problem(
            loc,
            f'{label}="{written}" names a {"bucket" if label == "le" else "quantile"} that Prometheus 3 stores as '
            f'{label}="{normal}" (it writes every le and quantile value as a float): the rules {maker} of this query '
            "find no series there (`measure` asks for both spellings)",
            hint,
            Severity.WARNING,
            source.line(loc.line),
            kind=PROMETHEUS3_BOUND,
        )
        if (loc, caution.message) not in reading.said:
            reading.said.add((loc, caution.message))
            reading.notes.append(caution)
            if drift:
                slo.cautions.append(caution)


def _written_at(source: SourceText, start: SourceLocation, pattern: str) -> SourceLocation | None:
    """Where `pattern` is first written in `source` from `start`'s line on (its group `at`, if it has one)."""
    lines = source.text.split("\n")
    for number in range(max(start.line, 1), len(lines) + 1):
        found = re.search(pattern, lines[number - 1])
        if found is not None:
            return SourceLocation(source.path, number, found.start("at" if "at" in found.re.groupindex else 0) + 1)
    return None


def _read_document(
    root: Fields, source: SourceText, readers: dict[str, DocumentReader], reading: Reading, expect: str | None
) -> None:
    fmt, what = recognise(root)
    by_version = readers.get(_api_version(root)) if fmt == "refused" else None
    if by_version is not None:  # a version read as its tool reads it (OpenSLO v1alpha, as sloth generate does)
        slos, notes = len(reading.slos), len(reading.notes)
        try:
            by_version(root, source, reading)
        except Refused as exc:
            p = exc.problem
            if expect is not None:
                # an import of the format it is a version of (`import openslo`) names the version it reads
                rewrite = REWRITE_HINTS.get(_api_version(root))
                if rewrite is None or rewrite[0] != expect:
                    raise
                _, how, other = rewrite
                hint = f"{p.hint}; {other}" if p.hint else other
                raise Refused(replace(p, message=f"{what}, {how}: {p.message}", hint=hint)) from None
            # what that tool cannot read another may (slogen reads v1alpha's logs queries): not compared,
            # and none of its SLOs read before the refusal compared either
            del reading.slos[slos:], reading.notes[notes:]
            reading.unread.append(
                (
                    Problem(p.location, f"{what}: {p.message} (not compared)", p.hint, Severity.WARNING, p.source_line),
                    root.node,
                )
            )
        return
    if fmt == "refused":
        hint = _unread_hint(root)
        problem = _problem(source, root.location, f"{what} is not read", hint)
        if expect is None:
            reading.unread.append(
                (Problem(problem.location, problem.message, hint, Severity.WARNING, problem.source_line), root.node)
            )
        else:
            reading.errors.append(problem)
        return
    if fmt == "vendor":  # another tool's own SLO: named, with what to do; the drift check cannot compare it
        if expect is not None:
            reading.note(source, root.location, f"skipped {what}", vendor_hint(root))
        else:
            reading.unread.append(
                (
                    Problem(
                        root.location,
                        f"{what} (not compared)",
                        vendor_hint(root),
                        Severity.WARNING,
                        source.line(root.location.line),
                    ),
                    root.node,
                )
            )
        return
    if fmt == "" or fmt not in readers:
        if expect is not None and fmt:  # another SLO format: the wrong command, said plainly
            reading.errors.append(
                _problem(source, root.location, f"{what} is not {expect}", f"use `servicebook import {fmt}`")
            )
        elif expect is not None:  # a manifest beside the SLOs (a Deployment …): named, then passed over
            reading.note(
                source,
                root.location,
                f"skipped {what}" + ("" if ": " in what else f": not {expect}"),
                vendor_hint(root),
            )
        else:
            reading.skipped += 1
        return
    _say_unknown(fmt, root, source, reading)
    readers[fmt](root, source, reading)


# what Kubernetes writes in every object's metadata, which OpenSLO's own has not
KUBE_META = frozenset(
    {"namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "ownerReferences", "finalizers"}
)


def _say_unknown(fmt: str, root: Fields, source: SourceText, reading: Reading) -> None:
    """Say each key of a document that its specification has no field for (closed.py), where it is, with
    the field meant: a slip (`ticker_alert`) its tool ignores or refuses, rather than one the catalog drops."""
    kind = root.items.get("kind")
    kind_v = kind[1].value if kind and isinstance(kind[1], Scalar) else ""
    if fmt == "sloth" and "version" in root.items:
        schema, tool, thing, why, after = closed.SLOTH_PLAIN, "Sloth", "prometheus/v1 spec", "Sloth ignores it", ""
    elif fmt == "sloth":
        schema, tool, thing, why = closed.SLOTH_RESOURCE, "Sloth", kind_v, "kubectl apply refuses it"
        after = "; Sloth reads nothing of it"
    elif fmt == "pyrra":
        schema, tool, thing, why = closed.PYRRA, "Pyrra", "ServiceLevelObjective", "kubectl apply refuses it"
        after = "; Pyrra reads nothing of it"
    elif fmt == "openslo" and _api_version(root) == "openslo/v1" and kind_v in closed.OPENSLO_V1:
        schema, tool, thing = closed.OPENSLO_V1[kind_v], "OpenSLO v1", kind_v
        why, after = "OpenSLO's go-sdk refuses it, and so does oslo validate", ""
    elif fmt == "openslo" and _api_version(root) == OPENSLO_V2ALPHA and kind_v in closed.OPENSLO_V2ALPHA:
        schema, tool, thing = closed.OPENSLO_V2ALPHA[kind_v], "OpenSLO v2alpha", kind_v
        why, after = "OpenSLO's go-sdk refuses it", ""
    else:
        return
    for unknown in closed.unknown_fields(root.node, schema):
        at = unknown.key.location
        reading.unknown.add(at)
        has = f"{tool}'s {unknown.section} has" if unknown.section else f"a {thing} has"
        hint = unknown.meant or f"{has} {', '.join(unknown.fields)}"
        if fmt == "pyrra" and unknown.path == "spec.service":  # as SLO write-ups give one
            hint += "; the offering is the objective's namespace"
        if fmt == "pyrra" and unknown.fields == ("metric",):  # Pyrra's examples write matchers beside it
            hint = "Pyrra's query is its metric alone: write matchers in the selector"
        if fmt == "sloth" and unknown.key.value.replace("_", "").lower() in SLOTH_PERIOD_SLIPS:
            hint = _sloth_period_hint(unknown)
        if fmt == "openslo" and tool != "OpenSLO v1":
            hint = _v2alpha_hint(unknown) or hint
        elif fmt == "openslo" and unknown.path.split(".")[-2:-1] == ["metadata"] and unknown.key.value in KUBE_META:
            hint = (
                f"{unknown.key.value} is Kubernetes' (OpenSLO v1's metadata has {', '.join(unknown.fields)}); osko's "
                "resources, which are Kubernetes objects, are apiVersion openslo.com/v1"
            )
        reading.note(
            source,
            at,
            f"dropped '{unknown.key.value}': no field of {tool}'s {thing} "
            f'({why}: unknown field "{unknown.path}"{after})',
            hint,
        )


# keys a Sloth spec is given to choose its period with, which Sloth has not (sloth.dev, "SLO period windows":
# Kubernetes and raw specs cannot select one; `sloth generate --default-slo-period` sets it for every spec)
SLOTH_PERIOD_SLIPS = frozenset({"sloperiod", "period", "window", "timewindow", "slowindow"})


def _sloth_period_hint(unknown: closed.Unknown) -> str:
    written = unknown.value.value if isinstance(unknown.value, Scalar) else None
    value = written if written and WINDOW_RE.fullmatch(written) and not written.startswith("calendar") else "28d"
    return (
        "a Sloth spec cannot choose its period: `sloth generate --default-slo-period` sets it for every spec (30d "
        f"unless given); where Sloth runs with --default-slo-period {value}, give servicebook --sloth-period {value}"
    )


def _v2alpha_hint(unknown: closed.Unknown) -> str | None:
    """What to write of a key OpenSLO v2alpha has not, where it is v1's (or Kubernetes') own."""
    key = unknown.key.value
    if key in closed.V2ALPHA_RENAMED:
        return f"v2alpha renamed OpenSLO v1's {key}: write {closed.V2ALPHA_RENAMED[key]}"
    if unknown.path.split(".")[-2:-1] != ["metadata"] and not unknown.path.endswith("sli.metadata." + key):
        return None
    if key == "displayName":
        return (
            "v2alpha removed displayName from metadata (as Kubernetes' has none): name it in the catalog, or in the "
            f"annotation {PREFIX}name, which servicebook reads"
        )
    if key in KUBE_META:
        return f"{key} is Kubernetes' (OpenSLO v2alpha's metadata has {', '.join(unknown.fields)})"
    return None


READ_VERSIONS = (
    "this servicebook reads openslo/v1, openslo.com/v2alpha (and its draft openslo/v2alpha1), Sloth prometheus/v1 "
    "and sloth.slok.dev/v1, Pyrra pyrra.dev/v1alpha1"
)
# What to do with an OpenSLO version that is not read: v1alpha's files (slogen's samples, Sloth's
# OpenSLO examples) say the same in other words, which v1 renamed
V1ALPHA_RENAMED = (
    "OpenSLO v1 renamed what v1alpha writes: timeWindows (unit: Day, count: 28) is timeWindow "
    "(duration: 28d, isRolling: true), and an objective's ratioMetrics is the SLO's indicator (spec.indicator.spec."
    "ratioMetric: good or bad, and total, each under metricSource)"
)
UNREAD_HINTS = {
    "openslo/v1alpha": f"{V1ALPHA_RENAMED}; rewrite it as openslo/v1, or write the SLO in the catalog; or read it "
    "as sloth generate does: servicebook import sloth FILE",
}
# What an import of a format says of a document of another version of it, read as another tool reads
# it, that that tool refuses: (the import's format, how it was read, what else to do)
REWRITE_HINTS = {
    "openslo/v1alpha": (
        "OpenSLO v1 or v2alpha",  # the import's (importing.FORMAT_NAMES)
        "read as sloth generate reads it",
        f"or rewrite it as openslo/v1: {V1ALPHA_RENAMED}",
    )
}


def _api_version(root: Fields) -> str:
    api = root.items.get("apiVersion")
    return api[1].value if api and isinstance(api[1], Scalar) else ""


def _unread_hint(root: Fields) -> str:
    return UNREAD_HINTS.get(_api_version(root), READ_VERSIONS)


def yaml_files(folder: Path) -> Iterator[Path]:
    """The .yaml and .yml files under `folder`, in a stable order; hidden folders and symbolic
    links are not followed."""
    for top, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (Path(top) / d).is_symlink())
        for name in sorted(files):
            path = Path(top) / name
            if path.suffix in (".yaml", ".yml") and not name.startswith(".") and not path.is_symlink():
                yield path
