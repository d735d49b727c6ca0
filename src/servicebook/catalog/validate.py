"""Check located YAML against the model's own definitions and build the frozen model from it.

Two passes, both collecting every problem rather than stopping at the first:
`read_record` checks shapes and scalar formats field by field (driven by the dataclasses in
`model.py`, so the format has one definition), and `check_catalog` checks what spans records:
unique ids, references, the ladder rules of tool decisions, review dates.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import itertools
import re
import types
import typing
import unicodedata
from collections.abc import Collection, Iterable
from collections.abc import Mapping as AbcMapping
from collections.abc import Sequence as AbcSequence
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, TypeVar
from urllib.parse import unquote_to_bytes, urlsplit

from servicebook.catalog import model, portals
from servicebook.catalog.ascii_names import ascii_name
from servicebook.catalog.crossrefs import Named as CrossKind
from servicebook.catalog.crossrefs import alternative, names_another_team
from servicebook.catalog.model import Kind, Ref
from servicebook.catalog.queries import (
    WINDOW_PLACEHOLDER,
    QueryForm,
    grouped_by,
    query_form,
    range_over_expression,
    template_variables,
)
from servicebook.errors import Problem, Severity, SourceLocation
from servicebook.source.lookalike import alike_apart, begun_or_part, drawn_as, latin_in_disguise, meant, meant_any
from servicebook.source.lookalike import close_to as _close
from servicebook.source.yaml import Mapping, Node, Scalar, Sequence, SourceText
from servicebook.source.yaml_written import flow_scalar

_GLUED_KEY_RE = re.compile(r"(?P<key>[A-Za-z_][A-Za-z0-9_-]*):(?P<value>[^\s:].*)", re.DOTALL)

T = TypeVar("T")
Path = tuple[str | int, ...]

ID_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
MAX_PERCENT_PLACES = 20
"""Digits after the decimal point a percentage may have (trailing zeros aside): more than a float
holds, so an objective travels exactly, yet with its at most 2 digits before the point within the
28 significant digits that decimal arithmetic (error budgets) keeps exactly; 10⁻²⁰ % of a year is
3 fs, which no measurement tells apart (docs/writing-a-catalog.md)."""
# what a page's file name or folder under content/ is told when it cannot become part of a URL
PAGE_NAME_HINT = "use lower-case letters, digits and '-' (at most 63), e.g. change-approval.md"


def name_shown(name: str) -> str:
    """`name` quoted and, when it holds other than ASCII, also written with each such character as
    an escape: two names that differ only in how Unicode encodes a letter ('é' as one code point,
    NFC, or as 'e' and a combining accent, NFD) look the same on a terminal, and are told apart so."""
    if name.isascii():
        return f"'{name}'"
    written = "".join(ch if ch.isascii() else _code_point(ch) for ch in name)
    return f"'{name}' (written {written})"


def _code_point(ch: str) -> str:
    return f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}"


def name_hint(name: str, ending: str, siblings: Iterable[str] = ()) -> str:
    """What a page's file name or folder `name` (`ending` ".md" or "") that cannot become part of a
    URL is told: the name to rename it to (`On call.md`: on-call.md), or, where the name is one the
    site or Windows keeps, or none can be made of it, PAGE_NAME_HINT; and the names beside it
    (`siblings`) that look the same, written with other code points."""
    stem = name.removesuffix(ending) if ending else name
    if name.isascii():
        renamed = ascii_name(stem, empty="")
        reserved = stem.lower()
        if reserved in ("index", "assets"):
            return f"'{reserved}' is taken by the site's own files: choose another name, e.g. change-approval.md"
        if reserved in RESERVED_IDS:
            return f"'{reserved}' is a device's name on Windows (a checkout there cannot hold it): choose another name"
        if not renamed or renamed == stem or renamed in RESERVED_IDS or stem.endswith(".md"):
            return PAGE_NAME_HINT
        return f"use lower-case letters, digits and '-' (at most 63): rename it to {renamed}{ending}"
    hint = f"use lower-case ASCII letters, digits and '-' (at most 63): rename it to {ascii_name(stem)}{ending}"
    twins = sorted(
        other
        for other in siblings
        if other != name and unicodedata.normalize("NFC", other) == unicodedata.normalize("NFC", name)
    )
    if twins:
        hint += (
            f"; {', '.join(name_shown(t) for t in twins)} beside it looks the same but is written with other code "
            "points (Unicode NFC and NFD): keep one of them"
        )
    return hint


# The most folders a page may sit in under content/: each is a part of its URL, and a thousand of
# them made the paths the build writes longer than a file system holds (and a RecursionError).
MAX_CONTENT_DEPTH = 32
CONTENT_DEPTH_HINT = f"each folder is a part of the page's URL: keep pages at most {MAX_CONTENT_DEPTH} folders deep"
RESERVED_IDS = frozenset(
    {"con", "prn", "aux", "nul", "index", "assets"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
)
# a version names its release's folder (v/<version>/): it does not end in '.', which Windows drops
# from a name (v/2.0./ is v/2.0/ there), and it is not a name Windows keeps for a device
VERSION_RE = re.compile(r"[0-9A-Za-z](?:[0-9A-Za-z.+_-]{0,38}[0-9A-Za-z+_-])?")
WINDOWS_DEVICES = frozenset({"con", "prn", "aux", "nul"} | {f"{d}{i}" for d in ("com", "lpt") for i in range(10)})


def windows_device(name: str) -> bool:
    """Whether Windows takes the file or folder `name` for a device (CON, aux.png, Nul.1.0): no
    checkout there can hold it."""
    return name.split(".", 1)[0].casefold() in WINDOWS_DEVICES


_NOT_ON_WINDOWS = frozenset('<>:"|?*\\')


def unportable(name: str) -> str | None:
    """Why a file named `name` (published as it is named) cannot be checked out on every system,
    or None: Windows takes it for a device, drops the dot or space it ends in, or refuses a
    character of it."""
    if windows_device(name):
        return f"Windows takes it for a device ({name.split('.', 1)[0].upper()})"
    if name.endswith((".", " ")):
        return f"Windows drops the {'dot' if name.endswith('.') else 'space'} it ends in"
    refused = sorted({ch for ch in name if ch in _NOT_ON_WINDOWS or ord(ch) < 32})
    if refused:
        return f"Windows does not allow {', '.join(repr(ch) for ch in refused)} in a file name"
    return None


def folder_name(version: str) -> bool:
    """Whether `version` is one (VERSION_RE) that names a release's folder on every system."""
    return bool(VERSION_RE.fullmatch(version)) and not windows_device(version)


# The calendar windows, shortest first: a week from Monday (ISO 8601), a month, quarter or year
# from the 1st, each at midnight in the SLO's time zone (docs/writing-a-catalog.md)
CALENDAR_WINDOWS = ("calendar-week", "calendar-month", "calendar-quarter", "calendar-year")
CALENDAR_WINDOWS_TEXT = "calendar-week, calendar-month, calendar-quarter or calendar-year"
WINDOW_RE = re.compile(r"([1-9][0-9]{0,2})d|" + "|".join(CALENDAR_WINDOWS))
# a window written as OpenSLO or Prometheus write weeks and years: 4w, 1y (told what the catalog writes)
# a window in weeks, years or days as OpenSLO writes it (4w, 1Y) or as people say it (4 weeks, 30 days)
_WEEKS_OR_YEARS_RE = re.compile(r"([1-9][0-9]{0,3}) ?(w|wks?|weeks?|y|yrs?|years?|days?)", re.IGNORECASE)
DURATION_RE = re.compile(r"([1-9][0-9]{0,3})(m|h|d)")
CLOCK_RE = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])|24:00")
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A `%` only where no percent-escape starts: a mail client decodes the address of a mailto: link,
# so `a%2Cb@x` is two recipients (a and b@x) and `%0D%0A` a line break, where the page shows one.
EMAIL_RE = re.compile(r"(?:[A-Za-z0-9._+-]|%(?![0-9A-Fa-f]{2})){1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_PERCENT_ESCAPE_RE = re.compile(r"%[0-9A-Fa-f]{2}")
# A URL is one token: no white space, quotes, angle brackets, backticks or backslashes.
URL_CHARS_RE = re.compile(r"[^\s\"'<>`\\\x00-\x1f\x7f]+")
URL_SCHEMES = ("https://", "http://", "mailto:")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_LINE = 200
MAX_TEXT = 10_000
DURATION_MINUTES = {"m": 1, "h": 60, "d": 24 * 60}


def _decimal_places(number: Decimal) -> int:
    """Digits after the decimal point, trailing zeros left out (exactly: normalize() would round
    to the context's 28 digits)."""
    _sign, digits, exponent = number.as_tuple()
    if not isinstance(exponent, int):
        return 0
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + trailing))


class _Invalid:
    """Marks a value that failed to read; its problem has already been reported."""


INVALID: Any = _Invalid()

# What a salvaged catalog (salvage_record) holds in place of its site, team or support when that
# failed, so that the rules over its records still run: values that say nothing, read by no rule
# (check_catalog leaves out the rules over a section stood in for: `unread`).
_STAND_INS: dict[str, object] = {
    "site": model.Site(title=""),
    "team": model.Team(name="", mission=""),
    "support": model.Support(
        hours=model.Hours(days="mon-fri", start="09:00", end="17:00", timezone="UTC"), channels=(), severities=()
    ),
}


# What an organisation site's catalog may name a member's record of, as `<member>/<id>`.
MEMBER_REF_TARGETS = ("offering", "tool", "tool-or-offering")


def _member_ref(meta: Ref, value: str) -> bool:
    """Whether `value` may name a member's offering or tool (`<member>/<id>`; a tool's alternative
    `tool:<member>/<id>`, catalog/crossrefs.py): whether it exists is judged with the organisation
    site's members (federation/)."""
    return meta.target in MEMBER_REF_TARGETS and _bare(meta, value).count("/") == 1


def _reference_hint(target: str) -> str:
    """What a reference that is not an id should be: most often the record's name was written
    (`alternative: Shared pipeline templates`), where its id goes."""
    if target == "page":
        return "name the policy page by its file under content/, without .md (content/ops/backups.md is ops/backups)"
    return f"name the {target.replace('-or-', ' or ')} by its id (its entry's id:), not by its name"


def _bare(meta: Ref, value: str) -> str:
    return alternative(value)[1] if meta.target == "tool-or-offering" else value


@dataclasses.dataclass(frozen=True, slots=True)
class Checked(typing.Generic[T]):
    """A model object plus where each of its values was written, keyed by its path."""

    value: T
    locations: AbcMapping[Path, SourceLocation]

    def at(self, *path: str | int) -> SourceLocation:
        """The location of `path`, or of its closest written ancestor."""
        while path:
            found = self.locations.get(path)
            if found is not None:
                return found
            path = path[:-1]
        return self.locations[()]


_DECIMAL_COMMA = re.compile(r"([0-9]{1,3}),([0-9]+) *%?")


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    close = _close(word, choices)
    return meant_any(word, close) if close else None


def did_you_mean_id(word: str, choices: Iterable[str]) -> str | None:
    """`did_you_mean`, or else the ids that `word` is the start or a part of, between dashes or
    slashes (`ci` for ci-pipelines: too short for a spelling slip; `scanning` for the page
    security/scanning)."""
    choices = choices if isinstance(choices, Collection) else list(choices)
    close = did_you_mean(word, choices)
    if close is not None or not word:
        return close
    found = begun_or_part(word, choices)
    if len(found) == 1:
        return f"did you mean '{found[0]}'?"
    return f"did you mean one of: {', '.join(found)}?" if 1 < len(found) <= 5 else None  # (more: the list of all)


# what a page's link and the catalog's `policies:` say of a page that is not there, with the name
# written (content/markdown.py `broken link`, `_unknown` here)
_NO_SUCH_PAGE = re.compile(
    r"(?:unknown policy page|broken link: no page) (?:'(?P<name>[^']+)'|content/(?P<file>.+)\.md)$"
)


def renamed_page_hint(was: str, now: str, why: str) -> str:
    """The hint for a reference to the page `was`, now `now` (`why`: how that is known)."""
    return f"did you mean '{now}'? content/{was}.md is now content/{now}.md, {why}: name the page by its new name"


def names_unknown_pages(problems: Iterable[Problem]) -> bool:
    """Whether any of `problems` is a reference or a link to a page that is not there."""
    return any(_NO_SUCH_PAGE.match(p.message) for p in problems)


def renamed_pages_hinted(problems: Iterable[Problem], hints: AbcMapping[str, str]) -> list[Problem]:
    """`problems` with each reference to a page by a name it had before given its hint (`hints`:
    old name → `renamed_page_hint`): the old address may still send readers on, but a reference
    names a page as it is now."""
    if not hints:
        return list(problems)
    out: list[Problem] = []
    for problem in problems:
        match = _NO_SUCH_PAGE.match(problem.message)
        hint = None if match is None else hints.get(match["name"] or match["file"])
        out.append(problem if hint is None else dataclasses.replace(problem, hint=hint))
    return out


# what a reference and a page's link say of an offering or a tool that is not there (`Checker.ref`,
# `_unknown` here, content/markdown.py `broken link`)
_NO_SUCH_RECORD = re.compile(r"(?:unknown|broken link: no) (?P<kind>offering|tool|tool or offering) '(?P<name>[^']+)'$")


def renamed_records_hinted(problems: list[Problem], catalog: model.Catalog | None) -> list[Problem]:
    """`problems` with each reference to an offering or a tool by an id its `renamed_from` lists
    told the id it has now: the old address sends readers on, but a reference names a record as
    it is now (the hint listed the ids, as for any typo)."""
    if catalog is None or not any(_NO_SUCH_RECORD.match(p.message) for p in problems):
        return problems
    now = {
        "offering": {old: o.id for o in catalog.offerings for old in o.renamed_from},
        "tool": {old: t.id for t in catalog.tools for old in t.renamed_from},
    }
    out: list[Problem] = []
    for problem in problems:
        match = _NO_SUCH_RECORD.match(problem.message)
        if match is None:
            out.append(problem)
            continue
        name = match["name"]
        found = next(((k, now[k][name]) for k in ("offering", "tool") if k in match["kind"] and name in now[k]), None)
        if found is None:
            out.append(problem)
            continue
        kind, new = found
        hint = f"did you mean '{new}'? {kind} {name} is now {new}, as its renamed_from says: name it by its new id"
        out.append(dataclasses.replace(problem, hint=hint))
    return out


def _email_hint(value: str) -> str:
    """What to write for an address that is not one: 'platform at acme.com' spelt out, as people
    write it to keep it from robots, read back as platform@acme.com."""
    spelt = re.sub(r"\s*(?:\bat\b|\(at\)|\[at\])\s*", "@", value.strip(), count=1, flags=re.IGNORECASE)
    if spelt != value.strip() and EMAIL_RE.fullmatch(spelt):
        return f"did you mean '{shown(spelt)}'?"
    if _PERCENT_ESCAPE_RE.search(value):
        return PERCENT_IN_ADDRESS
    return "write one address as name@domain, e.g. platform-team@example.com"


PERCENT_IN_ADDRESS = (
    "a mail client decodes a percent-escape in the address (%2C: a comma, a second recipient; %0A: a new line): "
    "write the address as it is, without one"
)


def shown(value: str, limit: int = 60) -> str:
    """`value` cut to `limit` characters for quoting in a message (a 10 MB value stays 10 MB)."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


# A host name with a dot, then a path or nothing: `acme.example.com/catalog`
_BARE_HOST_RE = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?:[/?#]|$)")


def check_url(value: str) -> str | None:
    """Why `value` is not an allowed link address, or None when it is.

    An allow-list: https, http and mailto only, one token, a host and no credentials, so
    `javascript:` in any spelling, protocol-relative `//host` and attribute break-outs fail.
    """
    if not URL_CHARS_RE.fullmatch(value):
        return "a link address must be one token without spaces, quotes, angle brackets or backslashes"
    lowered = value.lower()
    if lowered.startswith("mailto:"):
        if EMAIL_RE.fullmatch(value[7:]):
            return None
        if _PERCENT_ESCAPE_RE.search(value[7:]):
            return f"mailto: needs one e-mail address ({PERCENT_IN_ADDRESS})"
        return "mailto: needs one e-mail address"
    if not lowered.startswith(("https://", "http://")):
        return "only https://, http:// and mailto: addresses are allowed"
    authority = value.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if "@" in authority:
        return "credentials in a URL are not allowed"
    if not authority or authority.startswith(":"):
        return "the URL has no host"
    try:  # what browsers and our own link check will parse: it must parse (`https://[` does not)
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a port that is not a number below 65536
    except ValueError:
        return "the host or port is malformed"
    if not parts.hostname:
        return "the URL has no host"
    return _host_problem(authority.rsplit(":", 1)[0] if not authority.endswith("]") else authority)


# What the URL standard (WHATWG, which browsers and nh3's parser follow) refuses in a host that
# `urlsplit` takes: a browser does not follow such a link, and nh3 drops it from a page's HTML.
_FORBIDDEN_IN_HOST_RE = re.compile(r"[\x00-\x20#%/:<>?@\[\\\]^|\x7f]")
_ENDS_IN_NUMBER_RE = re.compile(r"[0-9]+|0[xX][0-9A-Fa-f]*")


def _host_problem(host: str) -> str | None:
    """Why a browser refuses `host` (an http(s) URL's host, its port taken off), or None."""
    if host.startswith("["):
        return None  # an IPv6 address: `urlsplit` checked its brackets
    try:
        name = unquote_to_bytes(host).decode("utf-8")
    except UnicodeDecodeError:
        return f"the host '{shown(host)}' is not UTF-8 once its %-escapes are read"
    bad = _FORBIDDEN_IN_HOST_RE.search(name)
    if bad:
        return f"its host holds {bad.group()!r}, which browsers refuse in a host name"
    labels = name.split(".")
    for label in labels:
        if label[:4].lower() == "xn--" and not _is_punycode(label[4:]):
            return f"'{shown(label)}' in the host is not punycode (a part of a host that begins 'xn--' must be)"
    if len(labels) > 1 and not labels[-1]:
        labels.pop()
    if _ENDS_IN_NUMBER_RE.fullmatch(labels[-1]) and not _is_ipv4(labels):
        return (
            f"browsers read a host whose last part is a number as an IPv4 address, and '{shown(host)}' is not one "
            "(four numbers 0-255, or write the name the host has)"
        )
    return None


def _is_punycode(encoded: str) -> bool:
    try:
        decoded = encoded.encode("ascii").decode("punycode")
    except UnicodeError:
        return False
    return any(ord(c) > 0x9F for c in decoded) and not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in decoded)


def _is_ipv4(parts: list[str]) -> bool:
    """The URL standard's IPv4 parser: up to four numbers, decimal, octal (0…) or hex (0x…), the
    last filling the bytes the others left."""
    if len(parts) > 4:
        return False
    numbers = []
    for part in parts:
        if part[:2].lower() == "0x":
            digits, base = part[2:] or "0", 16
        elif len(part) > 1 and part.startswith("0"):
            digits, base = part[1:], 8
        else:
            digits, base = part, 10
        try:
            numbers.append(int(digits, base) if digits.isascii() and digits.isalnum() else -1)
        except ValueError:
            return False
        if numbers[-1] < 0:
            return False
    return all(n <= 255 for n in numbers[:-1]) and numbers[-1] < 256 ** (5 - len(numbers))


class _Reader:
    """Reads one file's nodes into model objects, collecting problems and locations."""

    def __init__(self, source: SourceText, salvage: bool = False) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.locations: dict[Path, SourceLocation] = {}
        # With `salvage`, an invalid record in a list of records with ids is left out rather than
        # invalidating the whole file (see `salvage_record`): its id, and where items went.
        self.salvage = salvage
        self.dropped: dict[str, set[str]] = {}  # "offerings", "tools", "offerings.slos" … → ids
        self.kept: dict[Path, list[int]] = {}  # list path → the original index of each kept item
        self.stood_in: set[str] = set()  # the catalog's sections held by a stand-in (_STAND_INS)

    def error(self, loc: SourceLocation, message: str, hint: str | None = None) -> Any:
        self.problems.append(Problem(loc, message, hint, source_line=self.source.line(loc.line)))
        return INVALID

    def read(self, node: Node, tp: Any, path: Path, what: str) -> Any:
        self.locations[path] = node.location
        base, meta, shape = _shape(tp)
        if isinstance(node, Scalar) and node.is_null:
            return self.error(node.location, f"{what} is empty", "give it a value or remove the key")
        if shape == "list":
            return self._tuple(node, typing.get_args(base)[0], path, what)
        if shape == "record":
            return self._record(node, base, path, what)
        if not isinstance(node, Scalar):
            shape = "a list" if isinstance(node, Sequence) else "a mapping"
            return self.error(node.location, f"{what} must be a single value, not {shape}")
        return self._scalar(node, base, meta, what)

    def _tuple(self, node: Node, item: Any, path: Path, what: str) -> Any:
        if not isinstance(node, Sequence):
            return self.error(node.location, f"{what} must be a list", "start each item on its own line with '- '")
        values = [self.read(child, item, (*path, i), f"{what}[{i + 1}]") for i, child in enumerate(node.items)]
        if not any(v is INVALID for v in values):
            return tuple(values)
        if not self.salvage or not isinstance(item, type) or not dataclasses.is_dataclass(item):
            return INVALID
        if "id" not in {f.name for f in _fields(item)}:
            return INVALID
        ids = [_raw_id(child) for child in node.items]
        section = ".".join(p for p in path if isinstance(p, str))
        dropped = self.dropped.setdefault(section, set())
        dropped.update(i for v, i in zip(values, ids, strict=True) if v is INVALID and i is not None)
        self.kept[path] = [n for n, v in enumerate(values) if v is not INVALID]
        return tuple(v for v in values if v is not INVALID)

    def _record(self, node: Node, cls: type, path: Path, what: str) -> Any:
        name = cls.__name__
        if not isinstance(node, Mapping):
            glued = _GLUED_KEY_RE.fullmatch(node.value) if isinstance(node, Scalar) and node.plain else None
            hint = None
            if glued is not None and glued["key"] in {f.key for f in _fields(cls)}:
                # `title:Platform` is text to YAML, not a key: the mistake, not the type, is the news
                key = glued["key"]
                hint = f"no space after '{key}:', so YAML reads it as text; write '{key}: {glued['value']}'"
            elif isinstance(node, Scalar) and _label(name) != "catalog":
                hint = _keys_hint(cls, node.value)
            return self.error(node.location, f"{what} must be a mapping of keys to values ({name})", hint)
        fields = _fields(cls)
        by_key = {f.key: f for f in fields}
        values: dict[str, Any] = {}
        ok = True
        misspelt: set[str] = set()  # a typo is one problem, not also a missing key
        for key, child in node.items:
            spec = by_key.get(key.value)
            if spec is None:
                close = _close(key.value, by_key)
                misspelt.update(close)
                hint = meant_any(key.value, close) if close else f"valid keys: {', '.join(by_key)}"
                self.error(key.location, f"unknown key '{shown(key.value)}' in {_label(name)}", hint)
                ok = False
                continue
            self.locations[(*path, f"@{spec.key}")] = key.location
            if isinstance(child, Scalar) and child.is_null and not spec.required:
                continue
            value = self.read(child, spec.type, (*path, spec.name), f"'{spec.key}'")
            if value is INVALID:
                value = self._stand_in(cls, path, spec.name)
            if value is INVALID:
                ok = False
            else:
                values[spec.name] = value
        present = {key.value for key, _ in node.items}
        for spec in fields:
            if spec.required and spec.key not in present:
                if spec.key not in misspelt:
                    self.error(
                        node.location,
                        f"{_label(name)} is missing the required key '{spec.key}'",
                        f"add '{spec.key}: …' ({spec.doc.rstrip('.')})" if spec.doc else f"add '{spec.key}: …'",
                    )
                stand_in = self._stand_in(cls, path, spec.name)
                if stand_in is INVALID:
                    ok = False
                else:
                    values[spec.name] = stand_in
        return cls(**values) if ok else INVALID

    def _stand_in(self, cls: type, path: Path, name: str) -> Any:
        """With `salvage`, what the catalog holds in place of its site, team or support when that
        failed (_STAND_INS); INVALID for any other value."""
        if not self.salvage or path or cls is not model.Catalog or name not in _STAND_INS:
            return INVALID
        self.stood_in.add(name)
        return _STAND_INS[name]

    def _scalar(self, node: Scalar, base: Any, meta: Any, what: str) -> Any:
        value, loc = node.value, node.location
        if isinstance(base, type) and issubclass(base, enum.Enum):
            allowed = [m.value for m in base]
            if value in allowed:
                return base(value)
            # 'GA' is no closer to 'ga' than to 'beta' for difflib: the same word in lower case first
            same = [a for a in allowed if a.casefold() == value.casefold()]
            hint = (meant(value, same[0]) if same else did_you_mean(value, allowed)) or ""
            hint = f"{hint} " if hint.endswith("?") else f"{hint}; " if hint else ""
            return self.error(loc, f"{what} cannot be '{shown(value)}'", f"{hint}expected one of: {', '.join(allowed)}")
        if base is int and meta is not Kind.DURATION:
            if re.fullmatch(r"-?[0-9]{1,9}", value):
                return int(value)
            return self.error(loc, f"{what} must be a whole number, not '{shown(value)}'")
        if base is dt.date:
            return self._date(loc, value, what)
        if base is Decimal:
            return self._percent(loc, value, what, up_to_100=meta is Kind.SLICE_PERCENT)
        if isinstance(meta, Ref) and "/" in value and (meta.target == "page" or _member_ref(meta, value)):
            # pages in sub-folders of content/, or a member's record on an organisation site
            # (db-team/postgres): every segment is an id
            for segment in _bare(meta, value).split("/"):
                if self._text(loc, segment, what, Kind.ID) is INVALID:
                    return INVALID
            return value
        if isinstance(meta, Ref):
            if value.strip() and "\n" not in value and not ID_RE.fullmatch(value):  # a name where an id goes
                return self.error(loc, f"{what} '{shown(value)}' is not a valid id", _reference_hint(meta.target))
            return self._text(loc, value, what, Kind.ID)
        return self._text(loc, value, what, meta if isinstance(meta, Kind) else Kind.LINE)

    def _date(self, loc: SourceLocation, value: str, what: str) -> Any:
        if DATE_RE.fullmatch(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                return self.error(loc, f"{what} is not a real date: '{shown(value)}'")
        return self.error(loc, f"{what} must be a date written YYYY-MM-DD, not '{shown(value)}'")

    def _percent(self, loc: SourceLocation, value: str, what: str, up_to_100: bool = False) -> Any:
        try:
            number = Decimal(value.removesuffix("%").strip())
        except InvalidOperation:
            number = Decimal("NaN")
        # 99,9: a decimal comma, as many languages write it
        comma = _DECIMAL_COMMA.fullmatch(value.strip())
        if comma is not None and not Decimal(0) < Decimal(f"{comma[1]}.{comma[2]}") <= Decimal(100):
            comma = None
        places = _decimal_places(number)
        if places > MAX_PERCENT_PLACES:  # 99.(5,000 nines): no measurement tells those apart
            hint = f"write a percentage, e.g. {95 if up_to_100 else 99.9}"
            # the number shortened, when its digits are the ones written: an exponent (1e-999999999)
            # writes as many as it says (gigabytes), and one that leaves nothing in the first places
            # would be shortened to 0
            if -MAX_PERCENT_PLACES <= number.adjusted() <= 2:
                whole, _, fraction = format(number, "f").partition(".")  # exact: as long as the text
                cut = f"{whole}.{fraction[:MAX_PERCENT_PLACES]}".rstrip("0").rstrip(".")
                while "." in cut and float(cut) >= 100:  # as many nines as a float tells from 100 (below)
                    cut = cut[:-1].rstrip(".")
                hint = f"shorten it, e.g. to {cut}"
            return self.error(
                loc,
                f"{what} has {places:,} digits after the decimal point; at most {MAX_PERCENT_PLACES} are meaningful",
                hint,
            )
        if up_to_100:
            if not number.is_finite() or not (Decimal(0) < number <= Decimal(100)):
                return self.error(
                    loc,
                    f"{what} must be a percentage above 0 and at most 100, not '{shown(value)}'",
                    f"did you mean {comma[1]}.{comma[2]}? (a decimal point, not a comma)" if comma else "e.g. 95",
                )
            return number
        if not number.is_finite() or not (Decimal(0) < number < Decimal(100)):
            return self.error(
                loc,
                f"{what} must be a percentage between 0 and 100 (exclusive), not '{shown(value)}'",
                f"did you mean {comma[1]}.{comma[2]}? (a decimal point, not a comma)" if comma else "e.g. 99.9",
            )
        if float(number) >= 100:  # 99.99999999999999999: catalog.json, the exports and Prometheus read 100
            return self.error(
                loc,
                f"{what} {shown(value)} is 100 to every program that reads it as a number (catalog.json, the "
                "exports, Prometheus: about 15 digits), and an objective of 100 % leaves no error budget",
                "use fewer nines, e.g. 99.9999",
            )
        if number < 1:  # no service promises less than 1 %: a fraction typed where a percent is meant
            return self.error(
                loc,
                f"{what} {shown(value)} is below 1 %: objectives are percentages",
                f"did you mean {format((number * 100).normalize(), 'f')}? "
                "(write 99.9 for 99.9 %, not the fraction 0.999)",
            )
        return number

    def _text(self, loc: SourceLocation, value: str, what: str, kind: Kind) -> Any:  # noqa: C901
        if kind is Kind.ID and not ID_RE.fullmatch(value) and value.strip():
            return self.error(
                loc,
                f"{what} '{shown(value)}' is not a valid id",
                "use 1-63 lower-case letters, digits and '-', starting and ending with a letter or digit",
            )
        if kind is not Kind.TEXT:
            if "\n" in value or len(value) > MAX_LINE:
                return self.error(loc, f"{what} must be one line of at most {MAX_LINE} characters")
        elif len(value) > MAX_TEXT:
            return self.error(loc, f"{what} is longer than {MAX_TEXT:,} characters")
        if not value.strip():
            return self.error(loc, f"{what} is empty", "give it a value or remove the key")
        if kind is Kind.ID:
            if not ID_RE.fullmatch(value):
                return self.error(
                    loc,
                    f"{what} '{shown(value)}' is not a valid id",
                    "use 1-63 lower-case letters, digits and '-', starting and ending with a letter or digit",
                )
            if value in RESERVED_IDS:
                return self.error(loc, f"{what} '{shown(value)}' is a reserved name", "choose another id")
        elif kind is Kind.URL:
            why = check_url(value)
            if why:
                # `acme.example.com/catalog`: an address without its scheme, as a browser's bar shows it
                bare = _BARE_HOST_RE.match(value) is not None and check_url(f"https://{value}") is None
                hint = f"did you mean 'https://{shown(value)}'?" if bare else None
                return self.error(loc, f"{what} '{shown(value)}' is not allowed: {why}", hint)
        elif kind is Kind.EMAIL:
            if not EMAIL_RE.fullmatch(value):
                return self.error(loc, f"{what} '{shown(value)}' is not an e-mail address", _email_hint(value))
        elif kind is Kind.WINDOW:
            if not WINDOW_RE.fullmatch(value):
                return self.error(loc, f"{what} '{shown(value)}' is not a window", window_hint(value))
        elif kind is Kind.DURATION:
            match = DURATION_RE.fullmatch(value)
            if not match:
                return self.error(
                    loc, f"{what} '{shown(value)}' is not a duration", "write minutes, hours or days: 15m, 4h, 2d"
                )
            return int(match[1]) * DURATION_MINUTES[match[2]]
        elif kind is Kind.CLOCK:
            if not CLOCK_RE.fullmatch(value):
                return self.error(
                    loc, f"{what} '{shown(value)}' is not a time of day", 'use 24-hour HH:MM, quoted: "08:00"'
                )
        elif kind is Kind.TIMEZONE:
            if not is_timezone(value):
                near = timezones_like(value)
                return self.error(
                    loc,
                    f"{what} '{shown(value)}' is not an IANA time zone",
                    f"did you mean {' or '.join(repr(n) for n in near)}?"
                    if near
                    else "write a name from the IANA time zone database, e.g. Europe/Zurich, America/New_York, UTC",
                )
        elif kind is Kind.DAYS:
            if parse_days(value) is None:
                lower = value.lower()
                hint = f"did you mean '{shown(lower)}'? " if parse_days(lower) else ""
                return self.error(
                    loc,
                    f"{what} '{shown(value)}' is not a set of week days",
                    hint + "week days are written in lower case, e.g. mon-fri, mon-sun or mon,wed,fri",
                )
        elif kind is Kind.VERSION and value.endswith(".") and VERSION_RE.fullmatch(value.rstrip(".")):
            return self.error(
                loc,
                f"{what} '{shown(value)}' ends in '.', which Windows drops from the name of its release's folder "
                f"(v/{shown(value)}/ is v/{shown(value.rstrip('.'))}/ there)",
                f"write {value.rstrip('.')}",
            )
        elif kind is Kind.VERSION and not VERSION_RE.fullmatch(value):
            return self.error(loc, f"{what} '{shown(value)}' is not a version", "e.g. 2026.11 or 3.2.0")
        elif kind is Kind.VERSION and windows_device(value):
            return self.error(
                loc,
                f"{what} '{shown(value)}' names the folder of its release (v/{shown(value)}/), which Windows "
                "takes for a device: no checkout of the site there can hold it",
                "e.g. 2026.11 or 3.2.0",
            )
        return value


def _keys_hint(cls: type, text: str | None) -> str:
    """What to write where one value stands in place of a record's keys (`request: Ask in
    #platform-help`): its keys, the required ones first; a text under the one key it requires."""
    fields = _fields(cls)
    required = [f.key for f in fields if f.required]
    optional = [f.key for f in fields if not f.required]
    keys = ", ".join([*(f"{k} (required)" for k in required), *optional])
    if len(required) == 1 and text is not None and "\n" not in text and text.strip():
        return f"its keys: {keys}; write '{required[0]}: {shown(text)}' on the line below, indented"
    return f"its keys, each on a line of its own below it, indented: {keys}"


@dataclasses.dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str  # attribute name
    key: str  # YAML key
    type: Any
    required: bool
    doc: str
    example: Any


@cache
def _fields(cls: type) -> tuple[FieldSpec, ...]:
    hints = typing.get_type_hints(cls, include_extras=True)
    specs = []
    for f in dataclasses.fields(cls):
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        specs.append(
            FieldSpec(
                f.name,
                f.metadata.get("key", f.name),
                hints[f.name],
                required,
                f.metadata.get("doc", ""),
                f.metadata.get("example"),
            )
        )
    return tuple(specs)


def fields_of(cls: type) -> tuple[FieldSpec, ...]:
    """The YAML-facing description of a model record (also used to publish the schema)."""
    return _fields(cls)


def unwrap(tp: Any) -> tuple[Any, Any, bool]:
    """(base type, Kind/Ref metadata, optional?) with Optional and Annotated peeled off."""
    meta, optional = None, False
    while True:
        if typing.get_origin(tp) is typing.Annotated:
            meta = tp.__metadata__[0]
            tp = tp.__origin__
        elif isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
            tp = next(a for a in typing.get_args(tp) if a is not type(None))
            optional = True
        else:
            return tp, meta, optional


@cache
def _shape(tp: Any) -> tuple[Any, Any, str]:
    """(base type, Kind/Ref metadata, "list", "record" or "value") of a field's type: worked out
    once per type, not at every value of every record read."""
    base, meta, _ = unwrap(tp)
    if typing.get_origin(base) is tuple:
        return base, meta, "list"
    return base, meta, "record" if dataclasses.is_dataclass(base) else "value"


def _label(cls_name: str) -> str:
    return {"SLO": "SLO", "PageMeta": "front matter", "SupportOverride": "support"}.get(
        cls_name, re.sub(r"(?<!^)([A-Z])", r" \1", cls_name).lower()
    )


@cache
@functools.cache
def _timezone_names() -> tuple[str, ...]:
    """Every IANA time zone name this Python knows (the tzdata package ships them all)."""
    # start-up cost, measured: xml.etree, tarfile, zoneinfo, difflib 7 ms a build together
    import zoneinfo  # a calendar window's time zone alone: a page's check does not import it

    return tuple(sorted(zoneinfo.available_timezones()))


def timezones_like(value: str, most: int = 3) -> tuple[str, ...]:
    """The IANA names `value` was probably meant to be: the same name in other case or with spaces
    for underscores (`europe/berlin`, `America/New York`), the zones whose city it names
    (`Berlin` → Europe/Berlin), else names spelt alike (`Europe/Berln`)."""
    names = _timezone_names()
    key = value.strip().replace(" ", "_").lower()
    if not key:
        return ()
    exact = [n for n in names if n.lower() == key]
    if exact:
        return tuple(exact[:most])
    city = [n for n in names if "/" in n and n.rsplit("/", 1)[1].lower() == key.rsplit("/", 1)[-1]]
    if city:
        return tuple(city[:most])
    lowered = {n.lower(): n for n in names}
    close = _close(key, lowered, cutoff=0.75)
    if close:
        return tuple(lowered[c] for c in close[:most])
    cities = {n.rsplit("/", 1)[1].lower(): n for n in names if "/" in n}  # a misspelt city alone: `Berln`
    return tuple(cities[c] for c in _close(key, cities, cutoff=0.75)[:most])


def is_timezone(name: str) -> bool:
    if name.startswith(("/", ".")) or ".." in name:
        return False
    # start-up cost, measured: xml.etree, tarfile, zoneinfo, difflib 7 ms a build together
    import zoneinfo  # a calendar window's time zone alone: a page's check does not import it

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    except OSError:  # a folder of zones (`America`, `Etc`), a name longer than a file's can be
        return False
    return True


def parse_days(value: str) -> tuple[str, ...] | None:
    """'mon-fri' → ('mon', …, 'fri'); 'mon,wed' → ('mon', 'wed'); None if not week days."""
    days: list[str] = []
    for part in value.replace(" ", "").split(","):
        ends = part.split("-")
        if len(ends) == 1 and ends[0] in WEEKDAYS:
            days.append(ends[0])
        elif len(ends) == 2 and ends[0] in WEEKDAYS and ends[1] in WEEKDAYS:
            start, stop = WEEKDAYS.index(ends[0]), WEEKDAYS.index(ends[1])
            if start > stop:
                return None
            days.extend(WEEKDAYS[start : stop + 1])
        else:
            return None
    return tuple(d for d in WEEKDAYS if d in days) if days else None


def read_record(
    source: SourceText, node: Node | None, cls: type[T], what: str, empty: str | None = None
) -> tuple[Checked[T] | None, list[Problem]]:
    """Read a whole file's YAML tree as a `cls`; the model object is None if anything failed.
    `empty`: the hint for a file with nothing in it (else: what it must be)."""
    reader = _Reader(source)
    if node is None:
        reader.error(
            SourceLocation(source.path, 1, 1),
            f"{what} is empty",
            empty or f"it must be a mapping ({_label(cls.__name__)})",
        )
        return None, reader.problems
    reader.locations[()] = node.location
    value = reader.read(node, cls, (), what)
    if value is INVALID:
        return None, reader.problems
    return Checked(value, reader.locations), reader.problems


def salvage_record(
    source: SourceText, node: Node | None, cls: type[T], what: str
) -> tuple[Checked[T], dict[str, frozenset[str]], frozenset[str]] | None:
    """What is left of a file that failed `read_record` once each invalid record of a list of
    records with ids (an offering, a tool …) is left out, and a catalog's failed site, team or
    support is stood in for (_STAND_INS); the ids left out by list ("offerings", "tools",
    "offerings.slos" …), and the sections stood in for. None when the failure is elsewhere. For
    the cross-record rules to report their problems in the same run as the type errors
    (references to a left-out id are then not reported: the record exists). Locations are those
    of the kept items."""
    if node is None:
        return None
    reader = _Reader(source, salvage=True)
    reader.locations[()] = node.location
    value = reader.read(node, cls, (), what)
    if value is INVALID:
        return None
    locations: dict[Path, SourceLocation] = {}
    for path, loc in reader.locations.items():
        moved = _kept_path(path, reader.kept)
        if moved is not None:
            locations[moved] = loc
    dropped = {section: frozenset(ids) for section, ids in reader.dropped.items()}
    return Checked(value, locations), dropped, frozenset(reader.stood_in)


def _kept_path(path: Path, kept: AbcMapping[Path, list[int]]) -> Path | None:
    """`path` with each index into a list that lost items renumbered; None for a left-out item."""
    out: list[str | int] = []
    for n, part in enumerate(path):
        order = kept.get(path[:n])
        if order is not None and isinstance(part, int):
            if part not in order:
                return None
            out.append(order.index(part))
        else:
            out.append(part)
    return tuple(out)


def _raw_id(node: Node) -> str | None:
    """The `id` written in a mapping node, if it is a plain value."""
    written = _id_node(node)
    return None if written is None else str(written.value)


def _id_node(node: Node) -> Scalar | None:
    """The value node of the `id` written in a mapping node, if it is a plain value."""
    written = _written_value(node, "id")
    return written if isinstance(written, Scalar) and not written.is_null else None


# --- Cross-record rules ----------------------------------------------------------------------


# The lists of the catalog whose ids each kind of reference names.
_SECTIONS = {
    "offering": ("offerings",),
    "tool": ("tools",),
    "tool or offering": ("tools", "offerings"),
    "category": ("categories",),
}


# The references that may name another team's record (`<member>/<id>`), by what they name.
# A tool's alternative names another team's offering as `<member>/<id>`, its tool as
# `tool:<member>/<id>`: a member's own site links it to that page of the organisation site.
_CROSS_KINDS: dict[str, CrossKind] = {"offering": "offering", "tool or offering": "alternative"}


# How many unknown references of one catalog are each measured against every known id for a "did
# you mean" (~2 CPU ms each against 5,000 alike ids, source/lookalike.py): a catalog may hold a
# million references, and the rest are hinted with the first known ids, every one still reported.
MAX_MEANT = 1_000


class _Check:
    def __init__(
        self,
        source: SourceText | None,
        checked: Checked[Any],
        exist: AbcMapping[str, Collection[str]] | None = None,
        unread: Collection[str] = (),
    ) -> None:
        self.source = source
        self.checked = checked
        self.problems: list[Problem] = []
        self.exist = exist or {}  # ids of records left out for their own errors, by list (salvage_record)
        self.unread = unread  # the catalog's sections stood in for (salvage_record): no rule reads them
        # a member of an organisation (`organisation:`) may name other teams' records: <member>/<id>
        self.other_teams = isinstance(checked.value, model.Catalog) and checked.value.organisation is not None
        # what `ref` names in a hint, made once for each kind of record and list of known ids (a
        # catalog of 20,000 unknown references sorted its 5,000 ids 20,000 times)
        self.hinted: dict[str, tuple[object, tuple[str, ...], frozenset[str]]] = {}
        self.left_out: dict[str, frozenset[str]] = {}
        self.unknown = 0  # references to no record so far: past MAX_MEANT, hinted without "did you mean"

    def _left_out(self, what: str) -> frozenset[str]:
        found = self.left_out.get(what)
        if found is None:
            found = frozenset(i for section in _SECTIONS.get(what, ()) for i in self.exist.get(section, ()))
            self.left_out[what] = found
        return found

    def _names(self, what: str, known: object, left_out: frozenset[str]) -> tuple[tuple[str, ...], frozenset[str]]:
        """The ids `known` and `left_out` hold, sorted and as a set (lookalike's index's key, found
        again without being read), made again only for another list of known ids."""
        made = self.hinted.get(what)
        if made is None or made[0] is not known:
            ids = frozenset({*typing.cast("Iterable[str]", known), *left_out})
            made = (known, tuple(sorted(ids)), ids)
            self.hinted[what] = made
        return made[1], made[2]

    def report(
        self,
        path: Path,
        message: str,
        hint: str | None = None,
        severity: Severity = Severity.ERROR,
        kind: str | None = None,
    ) -> None:
        loc = self.checked.at(*path)
        line = self.source.line(loc.line) if self.source else None
        self.problems.append(Problem(loc, message, hint, severity, line, kind=kind))

    def unique(self, items: AbcSequence[Any], path: Path, what: str) -> None:
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            if item.id in seen:
                first = self.checked.at(*path, seen[item.id], "id")
                self.report(
                    (*path, i, "id"),
                    f"duplicate {what} id '{item.id}' (first used at line {first.line})",
                    "ids must be unique",
                )
            else:
                seen[item.id] = i

    def ref(self, value: str, known: AbcMapping[str, Any] | AbcSequence[str], path: Path, what: str) -> bool:
        if value in known:
            return True
        kind = _CROSS_KINDS.get(what)
        if self.other_teams and kind is not None and names_another_team(value, kind, known):
            return False  # another team's record: the organisation site checks it (catalog/crossrefs.py)
        left_out = self._left_out(what)
        if value in left_out:
            return True
        names, ids = self._names(what, known, left_out)
        self.unknown += 1
        close = did_you_mean_id(value, ids) if self.unknown <= MAX_MEANT else None
        hint = close or (
            f"known {_plural(what)}: {', '.join(names[:12])}" if names else f"there are no {_plural(what)}"
        )
        self.report(path, f"unknown {what} '{shown(value)}'", hint)
        return False


# The references each kind of record makes, by key, checked from the YAML as written for a
# record that is left out of a salvaged catalog (or a page whose front matter did not validate).
OFFERING_REFS = (
    ("depends_on", "offering"),
    ("tools", "tool"),
    ("policies", "policy page"),
    ("replaced_by", "offering"),
)
TOOL_REFS = (("category", "category"), ("alternative", "tool or offering"), ("migration", "policy page"))
PAGE_REFS = (("offerings", "offering"), ("tools", "tool"))


def check_raw_references(
    source: SourceText, node: Node, refs: Iterable[tuple[str, str]], known: AbcMapping[str, Collection[str]]
) -> list[Problem]:
    """Unknown ids among the references of a record that did not validate, read from its YAML as
    written (a value or a list of values; any other shape is already reported as a type error), so
    that a typo in them is reported in the same run as the record's own errors, not after them.
    `known`: the ids each kind of reference may name."""
    if not isinstance(node, Mapping):
        return []
    problems = []
    values = {key.value: child for key, child in node.items}
    for key, what in refs:
        child = values.get(key)
        items = [child] if isinstance(child, Scalar) else list(child.items) if isinstance(child, Sequence) else []
        for item in items:
            if not isinstance(item, Scalar) or not ID_RE.fullmatch(item.value) or item.value in known[what]:
                continue  # not an id at all is a type error, reported already
            loc = item.location
            message, hint = _unknown(item.value, known[what], what)
            problems.append(Problem(loc, message, hint, source_line=source.line(loc.line)))
    return problems


def check_left_out_references(
    source: SourceText,
    node: Node | None,
    rest: Checked[model.Catalog],
    page_slugs: Collection[str],
    exist: AbcMapping[str, Collection[str]],
) -> list[Problem]:
    """The references of the offerings and tools left out of a salvaged catalog for their own
    errors (`exist`: their ids, see salvage_record), which check_catalog does not see."""
    if not isinstance(node, Mapping):
        return []
    catalog = rest.value
    offerings = {o.id for o in catalog.offerings} | set(exist.get("offerings", ()))
    tools = {t.id for t in catalog.tools} | set(exist.get("tools", ()))
    known: dict[str, Collection[str]] = {
        "offering": offerings,
        "tool": tools,
        "tool or offering": tools | offerings,
        "category": {c.id for c in catalog.categories} | set(exist.get("categories", ())),
        "policy page": set(page_slugs),
    }
    kept = {"offerings": {o.id for o in catalog.offerings}, "tools": {t.id for t in catalog.tools}}
    problems: list[Problem] = []
    for key, child in node.items:
        refs = {"offerings": OFFERING_REFS, "tools": TOOL_REFS}.get(key.value)
        if refs is None or not isinstance(child, Sequence):
            continue
        for item in child.items:
            ident = _raw_id(item)
            if ident is not None and ident in exist.get(key.value, ()) and ident not in kept[key.value]:
                problems += check_raw_references(source, item, refs, known)
    return problems


@dataclasses.dataclass(frozen=True, slots=True)
class WrittenIds:
    """The ids a catalog that did not validate writes in its lists of records, by list; None for a
    list whose ids cannot be told (not a list at all: reported as such)."""

    offerings: frozenset[str] | None
    tools: frozenset[str] | None
    categories: frozenset[str] | None


def written_ids(node: Node | None) -> WrittenIds | None:
    """The ids written in the catalog's offerings, tools and categories (a missing list has none,
    unless a key the catalog does not have may be it misspelt: `offering:`); None when the catalog
    is not a mapping."""
    if not isinstance(node, Mapping):
        return None
    sections = {key.value: child for key, child in node.items}
    misspelt = not sections.keys() <= {f.key for f in _fields(model.Catalog)}

    def ids(section: str) -> frozenset[str] | None:
        child = sections.get(section)
        if child is None and misspelt:
            return None
        if child is None or (isinstance(child, Scalar) and child.is_null):
            return frozenset()
        if not isinstance(child, Sequence):
            return None
        return frozenset(i for item in child.items if (i := _raw_id(item)) is not None)

    return WrittenIds(ids("offerings"), ids("tools"), ids("categories"))


def check_written_references(
    source: SourceText, node: Node | None, page_slugs: Collection[str]
) -> tuple[list[Problem], WrittenIds | None]:
    """The unknown ids among the references of every offering and tool of a catalog that failed
    outside its lists of records (a site, team or support value: `salvage_record` has no catalog
    then), read from the YAML as written against the ids written there, so that a first catalog's
    misspelt tool or page is reported in the same run as its wrong e-mail address, not after it.
    A kind whose list is not a list is not judged. Also the ids found, for the pages' references."""
    found = written_ids(node)
    if found is None or not isinstance(node, Mapping):
        return [], None
    tools_or_offerings = None if found.tools is None or found.offerings is None else found.tools | found.offerings
    known: dict[str, Collection[str] | None] = {
        "offering": found.offerings,
        "tool": found.tools,
        "tool or offering": tools_or_offerings,
        "category": found.categories,
        "policy page": page_slugs,
    }
    problems: list[Problem] = []
    for key, child in node.items:
        refs = {"offerings": OFFERING_REFS, "tools": TOOL_REFS}.get(key.value)
        if refs is None or not isinstance(child, Sequence):
            continue
        judged = [(k, what) for k, what in refs if known[what] is not None]
        sure = {what: ids for what, ids in known.items() if ids is not None}
        for item in child.items:
            problems += check_raw_references(source, item, judged, sure)
    return problems + _written_duplicates(source, node), found


# The lists of records whose ids must be unique, by key, with what their records are called.
_LISTS_OF_RECORDS = {"offerings": "offering", "tools": "tool", "categories": "category"}


def _written_duplicates(source: SourceText, node: Mapping) -> list[Problem]:
    """check_catalog's unique ids (`_Check.unique`: offerings, tools, categories, and each
    offering's SLOs) over the YAML as written, for a catalog that failed outside its lists of
    records: a duplicate id is reported in the same run as a wrong site value, not after it."""
    problems: list[Problem] = []
    for key, child in node.items:
        what = _LISTS_OF_RECORDS.get(key.value)
        if what is None or not isinstance(child, Sequence):
            continue
        problems += _duplicate_ids(source, child, what)
        if key.value == "offerings":
            for item in child.items:
                slos = _written_value(item, "slos")
                if isinstance(slos, Sequence):
                    problems += _duplicate_ids(source, slos, "SLO")
    return problems


def _written_value(node: Node, key: str) -> Node | None:
    """The value written at `key` in a mapping node, if it is one."""
    if isinstance(node, Mapping):
        return next((value for k, value in node.items if k.value == key), None)
    return None


def _duplicate_ids(source: SourceText, records: Sequence, what: str) -> list[Problem]:
    """Each id written a second time in `records`, where it is, as `_Check.unique` says it."""
    first: dict[str, SourceLocation] = {}
    problems: list[Problem] = []
    for item in records.items:
        written = _id_node(item)
        if written is None:
            continue
        ident = str(written.value)
        if ident not in first:
            first[ident] = written.location
            continue
        loc = written.location
        problems.append(
            Problem(
                loc,
                f"duplicate {what} id '{ident}' (first used at line {first[ident].line})",
                "ids must be unique",
                source_line=source.line(loc.line),
            )
        )
    return problems


def _unknown(value: str, known: Collection[str], what: str) -> tuple[str, str]:
    names = sorted(known)
    hint = did_you_mean_id(value, names) or (
        f"known {_plural(what)}: {', '.join(names[:12])}" if names else f"there are no {_plural(what)}"
    )
    return f"unknown {what} '{shown(value)}'", hint


def _plural(noun: str) -> str:
    if " or " in noun:  # "tool or offering" → "tools or offerings"
        return " or ".join(_plural(part) for part in noun.split(" or "))
    return noun[:-1] + "ies" if noun.endswith("y") else noun + "s"


def changed_span(old: AbcSequence[object], new: AbcSequence[object]) -> tuple[int, int, int]:
    """(start, old end, new end): `old[start:old end]` became `new[start:new end]`, and the
    records before and after are equal in both: the very same objects, as records.py shares the
    records two versions of a catalog have in common, which a comparison takes at once (an
    equal record that is another object compares as equal, field by field)."""
    n = min(len(old), len(new))
    start = _same_run(old, new, n, lambda s, i, j: s[i:j])
    end = _same_run(old, new, n - start, lambda s, i, j: s[len(s) - j : len(s) - i])
    return start, len(old) - end, len(new) - end


def _same_run(
    old: AbcSequence[object],
    new: AbcSequence[object],
    n: int,
    part: typing.Callable[[AbcSequence[object], int, int], AbcSequence[object]],
) -> int:
    """How many of the first `n` items of `part` agree in `old` and `new` (slices compared in
    runs that double, then halving the run that differs: the comparison of two slices is a C
    loop that takes identical items at once)."""
    i, step = 0, 64
    while i + step <= n and part(old, i, i + step) == part(new, i, i + step):
        i += step
        step *= 2
    hi = min(i + step, n)
    while i < hi:
        mid = (i + hi + 1) // 2
        if part(old, i, mid) == part(new, i, mid):
            i = mid
        else:
            hi = mid - 1
    return i


@dataclasses.dataclass
class _Judged:
    """One version's cross-record check (see RecordChecks), each record's problems apart."""

    catalog: model.Catalog  # kept, so that its records can be compared with the next version's by identity
    context: tuple[object, ...]  # what else the rules read, but the offerings and tools
    today: dt.date | None
    release: bool
    offerings: dict[str, model.Offering]
    tools: dict[str, model.Tool]
    categories: dict[str, model.Category]
    pages: dict[str, None]
    head: list[Problem]  # the format, unique ids, old ids, the team's support
    own_support: list[tuple[Problem, ...]]  # of each offering: its own support promises
    offering: list[tuple[Problem, ...]]  # of each offering: _check_offering
    sunset: list[tuple[Problem, ...]]  # of each offering: a sunset that has passed
    tool: list[tuple[Problem, ...]]  # of each tool: _check_tool
    # id → the offerings whose replaced_by, and the tools whose alternative, name it (positions)
    successors: dict[str, set[int]]
    alternatives: dict[str, set[int]]


@dataclasses.dataclass
class RecordChecks:
    """What the rules that span records found in the last version of a catalog that the history
    reads record by record (records.read_by_records), where every problem is located at the file
    itself, so a problem does not depend on where its record is.

    A next version that shares its records with it (records.py gives every version the very same
    object for a record whose text did not change) and keeps every id where it was is checked
    by its changed records alone, plus the records that read them: an offering whose
    `replaced_by`, or a tool whose `alternative`, names a record whose lifecycle or status
    changed. Every other rule reads what did not change: the ids of every kind and the old ids
    (unique, references, renames), the page slugs, the categories, the team's support, the date
    and whether it is a release; a version that changes any of them, or an id, or a record's
    `renamed_from`, is checked whole. The portal exports' rules read every offering's owner, and
    are checked whole whenever the catalog has `portals:`."""

    last: _Judged | None = None

    def check(
        self,
        source: SourceText | None,
        checked: Checked[model.Catalog],
        page_slugs: AbcSequence[str],
        today: dt.date | None,
        release: bool,
    ) -> list[Problem]:
        catalog = checked.value
        context = (
            source,
            checked.locations[()],
            catalog.format,
            catalog.support,
            catalog.categories,
            catalog.organisation is not None,
            tuple(page_slugs),
            today,
            release,
        )
        last = self.last
        if last is None or not self._follow(last, source, checked, context):
            last = self.last = _judge_all(source, checked, page_slugs, today, release, context)
        problems = [*last.head]
        for part in (last.own_support, last.offering, last.sunset, last.tool):
            problems += itertools.chain.from_iterable(part)
        if catalog.portals is not None:
            c = _Check(source, checked)
            _check_portals(c, catalog, catalog.portals, last.offerings, last.categories)
            problems += c.problems
        return problems

    @staticmethod
    def _follow(
        last: _Judged, source: SourceText | None, checked: Checked[model.Catalog], context: tuple[object, ...]
    ) -> bool:
        """Carry `last` forward to `checked` when only records changed, in place (see the class);
        False: check it whole."""
        catalog, before = checked.value, last.catalog
        if context != last.context:
            return False
        if len(last.offerings) != len(before.offerings) or len(last.tools) != len(before.tools):
            return False  # an id given twice: which record an id names is not carried forward
        o_start, o_old, o_new = changed_span(before.offerings, catalog.offerings)
        t_start, t_old, t_new = changed_span(before.tools, catalog.tools)
        if o_old != o_new or t_old != t_new:
            return False
        for start, end, old, new in (
            (o_start, o_old, before.offerings, catalog.offerings),
            (t_start, t_old, before.tools, catalog.tools),
        ):
            for i in range(start, end):
                if old[i].id != new[i].id or old[i].renamed_from != new[i].renamed_from:
                    return False
        offerings, tools = range(o_start, o_old), range(t_start, t_old)
        again_offerings, again_tools = set(offerings), set(tools)
        for i in offerings:
            was, now = before.offerings[i], catalog.offerings[i]
            last.offerings[now.id] = now
            _move(last.successors, i, was.replaced_by, now.replaced_by)
            if was.lifecycle != now.lifecycle:
                again_offerings |= last.successors.get(now.id, set())
                again_tools |= last.alternatives.get(now.id, set())
        for j in tools:
            was_tool, tool = before.tools[j], catalog.tools[j]
            last.tools[tool.id] = tool
            _move(last.alternatives, j, was_tool.alternative, tool.alternative)
            if was_tool.status != tool.status:
                again_tools |= last.alternatives.get(tool.id, set())
        today, release = last.today, last.release
        team = catalog.support
        for i in offerings:
            last.own_support[i] = _own_support(source, checked, catalog.offerings[i], i, team)
            last.sunset[i] = _sunset(source, checked, catalog.offerings[i], i, today)
        for i in again_offerings:
            alone = _Check(source, checked)
            _check_offering(
                alone, catalog.offerings[i], ("offerings", i), last.offerings, last.tools, last.pages, release
            )
            last.offering[i] = tuple(alone.problems)
        for j in again_tools:
            alone = _Check(source, checked)
            _check_tool(
                alone, catalog.tools[j], ("tools", j), last.tools, last.offerings, last.categories, last.pages, today
            )
            last.tool[j] = tuple(alone.problems)
        last.catalog = catalog
        return True


def _move(index: dict[str, set[int]], at: int, was: str | None, now: str | None) -> None:
    """Record `at` now names `now` where it named `was` (a reverse index of references)."""
    if was == now:
        return
    if was is not None:
        index[was].discard(at)
    if now is not None:
        index.setdefault(now, set()).add(at)


def _judge_all(
    source: SourceText | None,
    checked: Checked[model.Catalog],
    page_slugs: AbcSequence[str],
    today: dt.date | None,
    release: bool,
    context: tuple[object, ...],
) -> _Judged:
    """Every rule of check_catalog but the portal exports', each record's problems apart."""
    catalog = checked.value
    head = _Check(source, checked)
    offerings, tools, categories, pages = _head(head, catalog, page_slugs)
    judged = _Judged(
        catalog, context, today, release, offerings, tools, categories, pages, head.problems, [], [], [], [], {}, {}
    )
    for i, offering in enumerate(catalog.offerings):
        judged.own_support.append(_own_support(source, checked, offering, i, catalog.support))
        alone = _Check(source, checked)
        _check_offering(alone, offering, ("offerings", i), offerings, tools, pages, release)
        judged.offering.append(tuple(alone.problems))
        judged.sunset.append(_sunset(source, checked, offering, i, today))
        _move(judged.successors, i, None, offering.replaced_by)
    for j, decision in enumerate(catalog.tools):
        alone = _Check(source, checked)
        _check_tool(alone, decision, ("tools", j), tools, offerings, categories, pages, today)
        judged.tool.append(tuple(alone.problems))
        _move(judged.alternatives, j, None, decision.alternative)
    return judged


def _own_support(
    source: SourceText | None, checked: Checked[model.Catalog], offering: model.Offering, i: int, team: model.Support
) -> tuple[Problem, ...]:
    """An offering's own support promises, round the clock (the team's are checked with the head)."""
    own = offering.support
    if own is None or own.severities is None:
        return ()
    c = _Check(source, checked)
    oncall = own.oncall or team.oncall
    _check_round_the_clock(
        c, own.severities, oncall, own.hours or team.hours, ("offerings", i, "support", "severities")
    )
    return tuple(c.problems)


def _sunset(
    source: SourceText | None, checked: Checked[model.Catalog], offering: model.Offering, i: int, today: dt.date | None
) -> tuple[Problem, ...]:
    """A deprecated offering whose sunset has passed."""
    sunset = offering.sunset
    if sunset is None or today is None or not sunset < today or offering.lifecycle is not model.Lifecycle.DEPRECATED:
        return ()
    c = _Check(source, checked)
    c.report(
        ("offerings", i, "sunset"),
        f"'{offering.name}' was to be retired on {sunset}",
        "retire it (lifecycle: retired), or move sunset forward and tell its users",
        Severity.WARNING,
        kind="offering-past-sunset",
    )
    return tuple(c.problems)


def _head(
    c: _Check, catalog: model.Catalog, page_slugs: AbcSequence[str]
) -> tuple[dict[str, model.Offering], dict[str, model.Tool], dict[str, model.Category], dict[str, None]]:
    """The rules over the catalog as a whole (the format, unique ids, old ids, the team's
    support); the records by id, and the page slugs, as the rules of each record read them."""
    if catalog.format != model.FORMAT_VERSION:
        c.report(
            ("format",),
            f"catalog format {catalog.format} is not supported by this servicebook",
            f"this release reads format {model.FORMAT_VERSION}",
        )
    c.unique(catalog.offerings, ("offerings",), "offering")
    c.unique(catalog.tools, ("tools",), "tool")
    c.unique(catalog.categories, ("categories",), "category")
    _check_renames(c, catalog.offerings, ("offerings",), "offering")
    _check_renames(c, catalog.tools, ("tools",), "tool")
    if "support" not in c.unread:
        team = catalog.support
        c.unique(team.severities, ("support", "severities"), "severity")
        _check_hours(c, team.hours, ("support", "hours"))
        _check_round_the_clock(c, team.severities, team.oncall, team.hours, ("support", "severities"))
    offerings = {o.id: o for o in catalog.offerings}
    tools = {t.id: t for t in catalog.tools}
    categories = {cat.id: cat for cat in catalog.categories}
    pages = dict.fromkeys(page_slugs)  # looked up once per reference: not a scan of every page
    _members_apart(c, catalog, offerings, tools, pages)
    return offerings, tools, categories, pages


def members_apart(source: SourceText, checked: Checked[model.Catalog], page_slugs: AbcSequence[str]) -> list[Problem]:
    """A member whose id is also an own offering's, tool's or (of `page_slugs`) policy page's, as the
    build refuses it (`federate update` and `fetch`, which check the catalog without its pages)."""
    c = _Check(source, checked, None)
    catalog = checked.value
    _members_apart(
        c,
        catalog,
        {o.id: o for o in catalog.offerings},
        {t.id: t for t in catalog.tools},
        dict.fromkeys(page_slugs),
    )
    return c.problems


def _members_apart(
    c: _Check,
    catalog: model.Catalog,
    offerings: AbcMapping[str, model.Offering],
    tools: AbcMapping[str, model.Tool],
    pages: AbcMapping[str, None],
) -> None:
    """A member's records are published under its id (offerings/<member>/<id>/, tools/…, policies/…):
    an organisation's own offering, tool or page of that id would hold them as its own sub-pages,
    and `offering:db-team/postgres` read as a part of the organisation's db-team."""
    for i, member in enumerate(catalog.members):
        for what, ids, folder in (
            ("offering", offerings, "offerings"),
            ("tool decision", tools, "tools"),
            ("policy page", pages, "policies"),
        ):
            if member.id in ids:
                c.report(
                    ("members", i, "id"),
                    f"member id '{member.id}' is also this site's own {what} '{member.id}': the member's records "
                    f"would be published inside its page ({folder}/{member.id}/…)",
                    f"give the member another id, or the {what} another one: a member's records are named "
                    f"<member>/<id>",
                )


def check_catalog(
    source: SourceText,
    checked: Checked[model.Catalog],
    page_slugs: AbcSequence[str],
    today: dt.date | None,
    exist: AbcMapping[str, Collection[str]] | None = None,
    *,
    release: bool = False,
    memo: RecordChecks | None = None,
    unread: Collection[str] = (),
) -> list[Problem]:
    """Rules that span records: unique ids, references, tool-decision ladder, review dates.
    `exist`: ids of records left out of a salvaged catalog (see salvage_record); `unread`: its
    sections stood in for (site, team, support), whose rules are left out. With `release`
    (the catalog of a past release), a rule added after format 1 was published that old catalogs
    could not have met (time-slice fields) is a warning, so that past releases keep building.
    `memo`: the last version's check, for catalogs whose every location is the file's (see
    RecordChecks); the problems are the same as without it, in the same order."""
    catalog = checked.value
    if memo is not None:
        if exist or unread or len(checked.locations) != 1:
            raise ValueError("RecordChecks remembers problems located at the file only")
        checked_by_records = memo.check(source, checked, page_slugs, today, release)
        if release:
            return checked_by_records
        alike = _Check(source, checked)
        _alike_names(alike, catalog)
        return checked_by_records + alike.problems
    c = _Check(source, checked, exist, unread)
    offerings, tools, categories, pages = _head(c, catalog, page_slugs)
    for i, offering in enumerate(catalog.offerings):
        if "support" not in unread:  # an offering's own support is judged with the team's
            c.problems += _own_support(source, checked, offering, i, catalog.support)
    for i, offering in enumerate(catalog.offerings):
        _check_offering(c, offering, ("offerings", i), offerings, tools, pages, release)
    for i, offering in enumerate(catalog.offerings):
        c.problems += _sunset(source, checked, offering, i, today)
    for i, decision in enumerate(catalog.tools):
        _check_tool(c, decision, ("tools", i), tools, offerings, categories, pages, today)
    if catalog.portals is not None:
        _check_portals(c, catalog, catalog.portals, offerings, categories)
    if not release:  # (a past release's names are what they were)
        _alike_names(c, catalog)
    return c.problems


def _alike_names(c: _Check, catalog: model.Catalog) -> None:
    """A warning at each offering or tool whose name is drawn as another's of its kind but is not
    the same text ('Shаred pipeline templates', its 'а' Cyrillic, beside 'Shared pipeline
    templates'): the site lists the two side by side, one supported and one not, and a reader
    cannot tell which is which (Trojan Source's homoglyphs). Names in another script alone are
    nobody's business here: only a name with a character outside ASCII is looked at twice."""
    kinds: tuple[tuple[str, str, AbcSequence[model.Offering | model.Tool]], ...] = (
        ("offering", "offerings", catalog.offerings),
        ("tool", "tools", catalog.tools),
    )
    for kind, section, records in kinds:
        if all(r.name.isascii() for r in records):  # the usual case, without a look at each
            continue
        drawn: dict[str, list[int]] = {}
        for i, r in enumerate(records):
            drawn.setdefault(drawn_as(r.name), []).append(i)
        for places in drawn.values():
            for i in places:
                name = records[i].name
                other = next((records[j] for j in places if records[j].name != name), None)
                if other is None and not name.isascii():
                    _disguised_word(c, kind, section, i, records[i])
                if other is None or name.isascii():
                    continue
                c.report(
                    (section, i, "name"),
                    f"{kind} '{records[i].id}' is named '{shown(name)}', which reads as the name of {kind} "
                    f"'{other.id}', '{shown(other.name)}': the site lists both, and readers cannot tell them apart",
                    f"they differ only in {alike_apart(name, other.name)}: write the name in the letters it is read in",
                    Severity.WARNING,
                    kind="look-alike-names",
                )


def _disguised_word(c: _Check, kind: str, section: str, i: int, record: model.Offering | model.Tool) -> None:
    """A warning at a name no other record's reads as, one of whose words is written wholly in
    another script's letters drawn as Latin ones ('Pipeline сору', Cyrillic): readers take it for
    the Latin word, and a search for that word does not find it."""
    found = latin_in_disguise(record.name)
    if found is None:
        return
    word, reads = found
    escaped = "".join(f"\\u{ord(ch):04x}" for ch in word)  # shown as written, it reads as the Latin word
    c.report(
        (section, i, "name"),
        f"{kind} '{record.id}' is named '{shown(record.name)}', whose word '{escaped}' is written in "
        f"letters of another script that read as '{reads}': readers and the site's search take it for another word",
        f"write '{reads}' in Latin letters, or the whole name in that other script",
        Severity.WARNING,
        kind="look-alike-names",
    )


def _check_tool(
    c: _Check,
    decision: model.Tool,
    at: Path,
    tools: AbcMapping[str, model.Tool],
    offerings: AbcMapping[str, model.Offering],
    categories: AbcMapping[str, model.Category],
    pages: AbcMapping[str, None],
    today: dt.date | None,
) -> None:
    c.ref(decision.category, categories, (*at, "category"), "category")
    if decision.migration is not None:
        c.ref(decision.migration, pages, (*at, "migration"), "policy page")
    _check_alternative(c, decision, at, tools, offerings)
    if decision.review_by is not None:
        if decision.review_by < decision.since:
            c.report((*at, "review_by"), f"review_by {decision.review_by} is before since {decision.since}")
        elif today is not None and decision.review_by < today:
            c.report(
                (*at, "review_by"),
                f"the decision on '{decision.name}' was due for review on {decision.review_by}",
                "review it, then move review_by forward (or change the decision)",
                Severity.WARNING,
                kind="decision-due-for-review",
            )


def _unmapped_owners(c: _Check, catalog: model.Catalog, namespace: str) -> None:
    """Each offering owner without a Backstage entity reference, at the first offering it owns."""
    mapped = portals.owner_refs(catalog)
    first: dict[str, int] = {}
    for i, offering in enumerate(catalog.offerings):
        if offering.owner not in mapped and offering.owner not in first:
            first[offering.owner] = i
            owned = [o.id for o in catalog.offerings if o.owner == offering.owner]
            c.report(
                ("offerings", i, "owner"),
                f"owner '{shown(offering.owner)}' has no Backstage entity reference (owns {', '.join(owned)})",
                f"add it under portals.backstage.owners: - owner: {flow_scalar(offering.owner)} / ref: "
                f"group:{namespace}/{portals.slug(offering.owner)}",
            )


def backstage_export(
    source: SourceText, checked: Checked[model.Catalog], *, base_url_given: bool = False
) -> list[Problem]:
    """What stops `export backstage` of a catalog that publishes no Backstage entities (no
    portals.backstage, which validation checks where there is one), where it is: each offering owner
    without an entity reference, and site.base_url unset (the entities link to the site) unless
    `--base-url` gave the site's address (`base_url_given`)."""
    c = _Check(source, checked, None)
    if checked.value.site.base_url is None and not base_url_given:
        c.report(
            ("site",),
            "the Backstage entities link each offering to its page on the published site, but site.base_url is not set",
            "add 'base_url:' (where the site is published) under 'site:'; to try the export before the site is "
            "published, give its address with `export backstage --base-url URL`",
        )
    _unmapped_owners(c, checked.value, "default")
    return c.problems


def _existing_group_unowned(c: _Check, catalog: model.Catalog, backstage: model.BackstagePortal) -> None:
    """A warning where `existing: [group]` says Backstage has the team's Group, which the export refers to
    (its System's owner), while portals.backstage.owners maps the team's own name to another Group: that
    one is the Group Backstage has (an import before 7 Dec 2026 wrote both of a Group named `Team_A`, which
    no catalog id can name), and the System would be owned by a Group nobody writes."""
    if model.BackstageEntity.GROUP not in backstage.existing:
        return
    j, mapping = next(((j, m) for j, m in enumerate(backstage.owners) if m.owner == catalog.team.name), (-1, None))
    parsed = portals.parse_entity_ref(mapping.ref) if mapping is not None else None
    if mapping is None or not isinstance(parsed, portals.EntityRef) or (parsed.kind or "group").lower() != "group":
        return
    group, space = portals.group_name(catalog), portals.group_namespace(catalog)
    if parsed.name.lower() == group.lower() and (parsed.namespace or backstage.namespace).lower() == space.lower():
        return
    c.report(
        ("portals", "backstage", "owners", j, "ref"),
        f"the team's offerings are owned by {shown(mapping.ref)}, but existing: [group] says Backstage has the "
        f"team's Group group:{space}/{group}, which the export refers to as its System's owner and does not write",
        f"if {shown(mapping.ref)} is the team's Group, take group out of existing (the export then writes "
        f"group:{space}/{group} for the System), or give the Group a catalog id for a name in Backstage and set "
        "portals.backstage.group to it",
        Severity.WARNING,
    )


def _check_portals(
    c: _Check,
    catalog: model.Catalog,
    settings: model.Portals,
    offerings: AbcMapping[str, model.Offering],
    categories: AbcMapping[str, model.Category],
) -> None:
    """The Backstage and radar exports can be made: every owner mapped, four quadrants at most."""
    at: Path = ("portals", "backstage")
    backstage = settings.backstage
    if backstage is not None:
        if catalog.site.base_url is None and "site" not in c.unread:
            c.report(
                ("portals", "@backstage"),
                "the Backstage export links each entity to its page on the published site, but site.base_url is "
                "not set",
                "add 'base_url:' (where the site is published) under 'site:'",
            )
        seen: dict[str, int] = {}
        for j, mapping in enumerate(backstage.owners):
            parsed = portals.parse_entity_ref(mapping.ref)
            if isinstance(parsed, str):
                c.report(
                    (*at, "owners", j, "ref"),
                    f"'{shown(mapping.ref)}' is not a Backstage entity reference: {parsed}",
                    "write [kind:][namespace/]name, e.g. group:default/delivery-tooling",
                )
            if mapping.owner in seen:
                c.report(
                    (*at, "owners", j, "owner"),
                    f"owner '{shown(mapping.owner)}' is mapped twice "
                    f"(first at line {c.checked.at(*at, 'owners', seen[mapping.owner], 'owner').line})",
                )
            seen.setdefault(mapping.owner, j)
        _existing_group_unowned(c, catalog, backstage)
        _unmapped_owners(c, catalog, backstage.namespace)
        for j, resource in enumerate(backstage.resources):
            c.ref(resource, offerings, (*at, "resources", j), "offering")
        _check_entity_names(c, catalog, backstage, offerings)
    radar = settings.techradar
    if radar is not None:
        at = ("portals", "techradar")
        for j, quadrant in enumerate(radar.quadrants):
            c.ref(quadrant.category, categories, (*at, "quadrants", j, "category"), "category")
        _check_unique_keys(c, [m.category for m in radar.quadrants], (*at, "quadrants"), "category")
        _check_unique_keys(c, [m.status.value for m in radar.rings], (*at, "rings"), "status")
        _check_unique_keys(c, [f.value for f in radar.formats], (*at, "formats"), None)
        used = portals.quadrant_order(catalog, radar)
        if len(used) > portals.RADAR_QUADRANTS:
            c.report(
                (*at, "@quadrants") if radar.quadrants else ("portals", "@techradar"),
                f"a radar has {portals.RADAR_QUADRANTS} quadrants, but the tools are in {len(used)}: {', '.join(used)}",
                "map the categories onto four quadrants under 'quadrants:' (- category: … / quadrant: …)",
            )
        rings = portals.ring_order(radar)
        if model.RadarFormat.ZALANDO in radar.formats and len(rings) > portals.RADAR_QUADRANTS:
            c.report(
                (*at, "rings"),
                f"Zalando's radar draws four rings, but the statuses map to {len(rings)}: {', '.join(rings)}",
                "map two statuses to one ring",
            )


def _check_entity_names(
    c: _Check, catalog: model.Catalog, backstage: model.BackstagePortal, offerings: AbcMapping[str, model.Offering]
) -> None:
    """portals.backstage.names: each a known offering, listed once, with a name Backstage takes, and no
    two offerings' entities one name (Backstage compares names without case)."""
    at: Path = ("portals", "backstage", "names")
    _check_unique_keys(c, [n.offering for n in backstage.names], at, "offering")
    named = portals.entity_names(catalog)
    taken = {o.id.casefold(): o.id for o in catalog.offerings if o.id not in named}
    for j, entry in enumerate(backstage.names):
        c.ref(entry.offering, offerings, (*at, j, "offering"), "offering")
        if not portals.is_backstage_name(entry.name):
            c.report(
                (*at, j, "name"),
                f"'{shown(entry.name)}' is not a Backstage name: 1-63 letters and digits, separated by one of '-', "
                "'_' or '.'",
                "write the name of the entity as Backstage has it",
            )
            continue
        other = taken.setdefault(entry.name.casefold(), entry.offering)
        if other != entry.offering:
            c.report(
                (*at, j, "name"),
                f"'{shown(entry.name)}' names the entity of offering '{other}' too: Backstage compares entity "
                "names without case, and would take the two for one",
                "give each offering's entity a name of its own",
            )


def _check_unique_keys(c: _Check, keys: AbcSequence[str], at: Path, key: str | None) -> None:
    seen: set[str] = set()
    for j, value in enumerate(keys):
        if value in seen:
            c.report((*at, j, key) if key else (*at, j), f"'{shown(value)}' is listed twice")
        seen.add(value)


def _check_offering(
    c: _Check,
    offering: model.Offering,
    at: Path,
    offerings: AbcMapping[str, model.Offering],
    tools: AbcMapping[str, model.Tool],
    page_slugs: AbcMapping[str, None],
    release: bool,
) -> None:
    c.unique(offering.slos, (*at, "slos"), "SLO")
    for j, slo in enumerate(offering.slos):
        if slo.objective < 50:
            c.report(
                (*at, "slos", j, "objective"),
                f"objective {slo.objective} % is unusually low",
                "objectives are percentages: write 99.9, not the fraction 0.999",
                Severity.WARNING,
                kind="objective-unusually-low",
            )
        if slo.measurement is not None:
            _check_measurement(c, slo.measurement, (*at, "slos", j, "measurement"))
        _check_openslo_fields(c, slo, (*at, "slos", j), release)
    for j, dep in enumerate(offering.depends_on):
        if c.ref(dep, offerings, (*at, "depends_on", j), "offering") and dep == offering.id:
            c.report((*at, "depends_on", j), f"offering '{dep}' depends on itself")
    _check_sunset(c, offering, at, offerings)
    for j, tool in enumerate(offering.tools):
        c.ref(tool, tools, (*at, "tools", j), "tool")
    for j, page in enumerate(offering.policies):
        c.ref(page, page_slugs, (*at, "policies", j), "policy page")
    if offering.support is not None:
        if offering.support.severities is not None:
            c.unique(offering.support.severities, (*at, "support", "severities"), "severity")
        if offering.support.hours is not None:
            _check_hours(c, offering.support.hours, (*at, "support", "hours"))


def _check_openslo_fields(c: _Check, slo: model.SLO, at: Path, release: bool) -> None:
    """Time slices need their length (OpenSLO's timeSliceWindow), and Timeslices also the share of
    good events that makes a slice good (timeSliceTarget); other budgeting has neither; a time zone
    belongs to a calendar window."""
    needed = {
        model.Budgeting.TIMESLICES: ("timeslice_target", "timeslice_window"),
        model.Budgeting.RATIO_TIMESLICES: ("timeslice_window",),
    }.get(slo.budgeting, ())
    if needed:
        missing = [key for key in needed if getattr(slo, key) is None]
        if missing:
            # A release from before these fields existed keeps building (see check_catalog).
            c.report(
                (*at, "budgeting"),
                f"budgeting: {slo.budgeting.value} needs {' and '.join(repr(k) for k in missing)}",
                (
                    "add the share of good events that makes a slice good (timeslice_target: 95) and the length of "
                    "a slice (timeslice_window: 1m), or use budgeting: occurrences"
                    if slo.budgeting is model.Budgeting.TIMESLICES
                    else "add the length of a slice (timeslice_window: 1m), or use budgeting: occurrences"
                ),
                Severity.WARNING if release else Severity.ERROR,
                kind="timeslices-incomplete",
            )
        elif slo.timeslice_window is not None and slo.timeslice_window >= window_minutes(slo.window):
            c.report(
                (*at, "timeslice_window"),
                f"a time slice ({minutes_text(slo.timeslice_window)}) is not shorter than the window ({slo.window})",
                "a slice is a small part of the window, e.g. 1m or 5m",
            )
        m = slo.measurement
        if m is not None and m.error_ratio is not None and query_form(m.error_ratio) is QueryForm.SELECTOR:
            # a recording rule's series holds the ratio over the SLO's window, which no slice can
            # be read from: `measure` compares it, a share of events, with an objective on slices
            c.report(
                (*at, "measurement", "error_ratio"),
                f"budgeting: {slo.budgeting.value}, but the measurement's error_ratio is a series (a recording "
                "rule's ratio over the window): `measure` compares that share of events with an objective on slices",
                "give the ratio as PromQL with {{.window}}, which `measure` evaluates over each slice, or "
                "errors (good) and total (docs/measuring.md); or use budgeting: occurrences",
                Severity.WARNING,
                kind="timeslices-of-a-series",
            )
    for key in ("timeslice_target", "timeslice_window"):
        if key not in needed and getattr(slo, key) is not None:
            if slo.budgeting is model.Budgeting.RATIO_TIMESLICES:
                c.report(
                    (*at, key),
                    f"'{key}' applies to budgeting: timeslices only: ratio-timeslices averages each slice's share "
                    "of good events, and no share makes a slice good or bad",
                    f"remove {key}, or use budgeting: timeslices to count good slices",
                )
            else:
                methods = "timeslices" if key == "timeslice_target" else "timeslices or ratio-timeslices"
                c.report(
                    (*at, key),
                    f"'{key}' applies to budgeting: {methods} only, and this SLO counts occurrences",
                    f"add 'budgeting: timeslices', or remove {key}",
                )
    if slo.timezone is not None and slo.window not in CALENDAR_WINDOWS:
        c.report(
            (*at, "timezone"),
            f"a time zone applies to calendar windows only, and {slo.window} is a rolling window",
            f"remove timezone, or use window: {CALENDAR_WINDOWS_TEXT}",
        )


def window_hint(value: str) -> str:
    """What to write for a window the catalog does not have: weeks and years as OpenSLO writes
    them (4w, 1Y) are days when rolling, or the calendar's; a misspelt calendar window is named."""
    match = _WEEKS_OR_YEARS_RE.fullmatch(value.strip())
    if match is not None:
        unit = match[2][0].lower()
        days = int(match[1]) * {"w": 7, "y": 365, "d": 1}[unit]
        rolling = f"a rolling window is written in days: {days}d" if days <= 999 else "a rolling window is 1d to 999d"
        if unit == "d":
            return rolling
        word = "week" if unit == "w" else "year"
        return f"{rolling}; a calendar {word} is calendar-{word}"
    close = _close(value.strip().lower(), CALENDAR_WINDOWS)
    if close:
        return meant_any(value, close)
    return f"use a rolling window like 28d or 30d, or {CALENDAR_WINDOWS_TEXT}"


def minutes_text(minutes: int) -> str:
    """Minutes as a duration is written in the catalog, in its largest whole unit: 60 → '1h'."""
    for unit, size in (("d", 24 * 60), ("h", 60)):
        if minutes % size == 0:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"


def window_minutes(window: str) -> int:
    """The shortest length of an SLO window, in minutes (a calendar month: 28 days)."""
    if window.endswith("d"):
        return int(window[:-1]) * 24 * 60
    shortest = {"calendar-week": 7, "calendar-month": 28, "calendar-quarter": 90, "calendar-year": 365}
    return shortest[window] * 24 * 60


_SHAPES = (("errors", "total"), ("good", "total"), ("error_ratio",), ("bool_gauge",))


def _check_measurement(c: _Check, m: model.Measurement, at: Path) -> None:
    given = tuple(name for name in ("errors", "good", "total", "error_ratio", "bool_gauge") if getattr(m, name))
    if given in _SHAPES:
        _check_query_forms(c, m, given, at)
        return
    shapes = "; ".join(" and ".join(shape) for shape in _SHAPES)
    if not given:
        c.report(at, "a measurement without a query", f"give one of these shapes: {shapes}")
    elif given in (("errors",), ("good",)):
        c.report(
            (*at, given[0]),
            f"'{given[0]}' needs 'total' beside it: events are counted as a share of all valid events",
            "add 'total:' with the query for all valid events",
        )
    elif given == ("total",):
        c.report((*at, "total"), "'total' needs 'errors' or 'good' beside it", "add the query for bad or good events")
    else:
        c.report(
            (*at, given[-1]),
            f"a measurement gives more than one shape ({', '.join(given)})",
            f"keep exactly one of: {shapes}",
        )


def _check_query_forms(c: _Check, m: model.Measurement, given: tuple[str, ...], at: Path) -> None:
    """Each query is a selector or PromQL with {{.window}} (catalog/queries.py), and the two
    counts of a ratio are written the same way: a count of events and a per-second rate do not
    divide into a share."""
    forms = {}
    for name in given:
        form = query_form(getattr(m, name))
        if form is None:
            c.report(
                (*at, name),
                f"'{name}' is neither a metric selector nor PromQL with {WINDOW_PLACEHOLDER}",
                'write a selector such as http_requests_total{code=~"5.."}, or PromQL whose range is '
                f"{WINDOW_PLACEHOLDER}, e.g. sum(rate(http_requests_total[{WINDOW_PLACEHOLDER}]))",
            )
        else:
            forms[name] = form
            ranged = range_over_expression(getattr(m, name)) if form is QueryForm.TEMPLATE else None
            if ranged is not None:  # a warning: VictoriaMetrics' MetricsQL, which `measure` may ask, reads it
                c.report(
                    (*at, name),
                    f"'{name}' writes a range over {WINDOW_PLACEHOLDER} after an expression, not a selector "
                    f"({ranged}): Prometheus refuses it (ranges only allowed for vector selectors)",
                    "write the expression as a subquery, in brackets with a colon: "
                    f"(EXPRESSION)[{WINDOW_PLACEHOLDER}:] "
                    f"(count_over_time((probe_success == 0)[{WINDOW_PLACEHOLDER}:]) counts the failed probes); "
                    "VictoriaMetrics' MetricsQL reads it as written",
                    Severity.WARNING,
                    kind="range-over-expression",
                )
    for name in given:
        variables = template_variables(getattr(m, name))
        if variables:  # a warning: a label value may hold a dollar sign, however seldom
            c.report(
                (*at, name),
                f"'{name}' holds {', '.join(variables)}, a variable another tool fills in (Grafana, kustomize, "
                "envsubst, a Helm template): Prometheus reads it as the text written, and `measure` finds no series",
                "write the value it stands for",
                Severity.WARNING,
                kind="query-variable",
            )
    if len(given) == 2 and len(forms) == 2 and forms[given[0]] is forms[given[1]] is QueryForm.TEMPLATE:
        _check_grouped(c, m, given, at)
    if len(given) == 2 and len(forms) == 2 and forms[given[0]] is not forms[given[1]]:
        c.report(
            (*at, given[0]),
            f"'{given[0]}' and 'total' are written differently (one a selector, the other PromQL with "
            f"{WINDOW_PLACEHOLDER}), so their values do not divide into a share",
            "write both as selectors, or both as PromQL over {{.window}}",
        )


def _check_grouped(c: _Check, m: model.Measurement, given: tuple[str, ...], at: Path) -> None:
    """Two counts summed by labels (`sum(…) by (host)`) give a series per group, where `measure` takes one
    value each: a warning, with the worst group's error ratio to write (a promise each group keeps; the
    sum over every group is a weaker one)."""
    part, total = (getattr(m, name) for name in given)
    by = grouped_by(part)
    if by is None or by != grouped_by(total):
        return
    shape = "max((ERRORS or 0 * TOTAL) / TOTAL)" if given[0] == "errors" else "max(1 - (GOOD or 0 * TOTAL) / TOTAL)"
    c.report(
        (*at, given[0]),
        f"'{given[0]}' and 'total' are summed by ({', '.join(by)}): a series for each group, and `measure` takes one "
        "value of each query",
        f"for a promise each group keeps, write error_ratio: {shape} (the worst group's share); or sum over every "
        "group, without by, a weaker promise",
        Severity.WARNING,
        kind="summed-by-labels",
    )


def _check_sunset(c: _Check, offering: model.Offering, at: Path, offerings: AbcMapping[str, model.Offering]) -> None:
    """replaced_by and sunset say where readers go next: only for an offering on its way out."""
    leaving = offering.lifecycle in (model.Lifecycle.DEPRECATED, model.Lifecycle.RETIRED)
    if offering.replaced_by is not None:
        if not leaving:
            c.report(
                (*at, "replaced_by"),
                f"'{offering.id}' is {offering.lifecycle.value}, so nothing replaces it yet",
                "set lifecycle: deprecated, or remove replaced_by",
            )
        elif offering.replaced_by == offering.id:
            c.report((*at, "replaced_by"), f"offering '{offering.id}' is replaced by itself")
        elif c.ref(offering.replaced_by, offerings, (*at, "replaced_by"), "offering"):
            # (None: a record left out of a salvaged catalog, reported on its own)
            successor = offerings.get(offering.replaced_by)
            if successor is not None and successor.lifecycle in (model.Lifecycle.DEPRECATED, model.Lifecycle.RETIRED):
                c.report(
                    (*at, "replaced_by"),
                    f"'{offering.id}' is replaced by '{successor.id}', which is {successor.lifecycle.value} too",
                    "point to the offering readers should move to now",
                )
    if offering.lifecycle is model.Lifecycle.DEPRECATED and offering.replaced_by is None and offering.sunset is None:
        c.report(
            (*at, "lifecycle"),
            f"'{offering.id}' is deprecated but says neither what replaces it nor when it ends",
            "add replaced_by: (the offering to move to) or sunset: YYYY-MM-DD, or both: its page and the search "
            "tell its users where to go and by when",
            Severity.WARNING,
            kind="deprecated-without-successor",
        )
    if offering.sunset is not None and offering.lifecycle is not model.Lifecycle.DEPRECATED:
        c.report(
            (*at, "sunset"),
            f"'{offering.id}' is {offering.lifecycle.value}: a sunset date belongs to a deprecated offering",
            "set lifecycle: deprecated, or remove sunset",
        )


def _check_renames(c: _Check, items: AbcSequence[model.Offering | model.Tool], at: Path, what: str) -> None:
    """An old id names one page to send readers on from: never a current id, never two records."""
    current = {item.id for item in items}
    claimed: dict[str, str] = {}
    for i, item in enumerate(items):
        for j, old in enumerate(item.renamed_from):
            where = (*at, i, "renamed_from", j)
            if old == item.id:
                c.report(where, f"'{old}' is the {what}'s own id", "list only the ids it had before")
            elif old in current:
                c.report(where, f"'{old}' is the id of a current {what}, so it cannot be an old id of '{item.id}'")
            elif old in claimed and claimed[old] != item.id:
                c.report(
                    where, f"'{old}' is an old id of both '{claimed[old]}' and '{item.id}'", "keep it on one of them"
                )
            claimed.setdefault(old, item.id)


def _check_round_the_clock(
    c: _Check, severities: AbcSequence[model.Severity], oncall: model.OnCall | None, hours: model.Hours, at: Path
) -> None:
    """A response promised 24x7 needs someone to answer outside business hours: an on-call, or
    business hours that are already every hour of the week."""
    staffed = parse_days(hours.days) == WEEKDAYS and hours.start == "00:00" and hours.end == "24:00"
    if oncall is not None or staffed:
        return
    for j, severity in enumerate(severities):
        if severity.coverage is model.Coverage.ALWAYS:
            c.report(
                (*at, j, "coverage"),
                f"{severity.id} ({severity.name}) is answered around the clock, but nobody is on call "
                "outside business hours",
                "add 'oncall:' (who answers, and how to page them) to the support, or make it 'business-hours'",
                Severity.WARNING,
                kind="around-the-clock-without-oncall",
            )


def _check_hours(c: _Check, hours: model.Hours, at: Path) -> None:
    if hours.end != "24:00" and hours.start >= hours.end:
        c.report((*at, "end"), f"business hours end ({hours.end}) before they start ({hours.start})")


def _check_alternative(
    c: _Check,
    tool: model.Tool,
    at: Path,
    tools: AbcMapping[str, model.Tool],
    offerings: AbcMapping[str, model.Offering],
) -> None:
    weak = tool.status in (model.ToolStatus.DEPRECATED, model.ToolStatus.UNSUPPORTED)
    if tool.alternative is None:
        if weak:
            c.report(
                (*at, "status"),
                f"{tool.status.value} tool '{tool.id}' needs an alternative",
                "add 'alternative:' with a supported tool or an offering, so readers know what to use instead",
            )
        return
    where = (*at, "alternative")
    if tool.alternative == tool.id:
        c.report(where, f"tool '{tool.id}' is its own alternative")
    elif tool.alternative in tools and tool.alternative in offerings:
        c.report(
            where,
            f"'{tool.alternative}' is both a tool and an offering, so the alternative is ambiguous",
            "rename one of them; ids of tools and offerings should not collide",
        )
    elif tool.alternative in tools:
        target = tools[tool.alternative]
        if target.status not in (model.ToolStatus.SUPPORTED, model.ToolStatus.BEST_EFFORT):
            c.report(
                where,
                f"the alternative to '{tool.id}' is '{target.id}', which is {target.status.value}"
                + (" itself" if tool.status is not model.ToolStatus.SUPPORTED else ""),
                "point to a supported or best-effort tool, or to an offering",
            )
    elif tool.alternative in offerings:
        lifecycle = offerings[tool.alternative].lifecycle
        if lifecycle in (model.Lifecycle.DEPRECATED, model.Lifecycle.RETIRED):
            c.report(
                where,
                f"the alternative to '{tool.id}' is the {lifecycle.value} offering '{tool.alternative}'",
                "point to an offering that is not going away, or to a supported or best-effort tool",
            )
    else:
        c.ref(tool.alternative, [*tools, *offerings], where, "tool or offering")


def check_page_meta(
    checked: Checked[model.PageMeta], source: SourceText, offerings: Collection[str], tools: Collection[str]
) -> list[Problem]:
    """Front-matter references of a policy page (the known ids are sorted only to explain a miss)."""
    c = _Check(source, checked)
    for j, ref in enumerate(checked.value.offerings):
        if ref not in offerings:
            c.ref(ref, sorted(offerings), ("offerings", j), "offering")
    for j, ref in enumerate(checked.value.tools):
        if ref not in tools:
            c.ref(ref, sorted(tools), ("tools", j), "tool")
    return c.problems
