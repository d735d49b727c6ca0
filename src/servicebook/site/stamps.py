"""Pages that several releases render from the same inputs are rendered once: the release's
stamp (its version, commit and date, which every page shows) goes in last.

Used for the pages of a past release (offering, tool and policy pages, most of a site, and its
lists: LISTS) when the site has no layouts of its own. Such a page is rendered with placeholders
for the stamp and from a context that holds only what the key below covers: its own view (the
offering, tool or policy page, with everything they show of others; a list's part), the site's
settings, the team's name and the names of all offerings and tools, the navigation (a list: the
fields of the site view its template reads, the team). Anything else a template reaches for is undefined, so a
theme change that makes these pages show more fails here and the page is rendered the ordinary
way, never cached under a key that misses what it shows. The stored text (see buildcache.py) is keyed
by a digest of all of it; the stamp's values are plain text (a version, a hex commit, dates) that
HTML escaping leaves as they are, so filling them in gives exactly the bytes an ordinary render
gives. `servicebook verify` renders releases the ordinary way and compares, byte for byte.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import functools
import hashlib
import json
import operator
import posixpath
import re
from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import jinja2

from servicebook import routes
from servicebook.cache.codec import read_json
from servicebook.cache.digest import digest
from servicebook.cache.folder import flat_name, read_as_recorded
from servicebook.catalog import model
from servicebook.catalog.basics import BuildInfo
from servicebook.site.links import resolve
from servicebook.site.measured import measured_views
from servicebook.site.paging import Part
from servicebook.site.parallel import map_shared
from servicebook.site.templates import Renderer, VersionContext, render_one
from servicebook.site.views import CategoryView, OfferingView, ToolRef, ToolView, ViewMemo, overdue_tools
from servicebook.site.write import PageLinks

if TYPE_CHECKING:
    from servicebook.site.templates import PageSpec
    from servicebook.site.write import SiteFiles

TEMPLATES = frozenset({"offering.html", "tool.html", "policy.html"})
# The lists (the home page, a list of each kind, the whole catalog, the A to Z list, support): each
# is rendered from the stamped context with, of the site view, only the fields its template reads
# (a frozen dataclass of those alone: a field it does not name is undefined, and the page is then
# rendered the ordinary way), and the catalog as `_ListCatalog`. Consecutive releases change a
# record or two, which most lists do not show: under the same key, a list is the last release's
# (or the store's) with the stamp filled in, as a page of TEMPLATES is.
LISTS: Mapping[str, tuple[str, ...]] = {
    "home.html": ("offerings", "pages", "status_counts", "support", "unsupported"),
    "search.html": ("support",),
    "offerings.html": ("lifecycle_counts",),
    "slos.html": ("site",),  # its snapshots alone (`_Measured`)
    "unsupported.html": ("unsupported",),
    "policies.html": (),
    "support.html": ("offerings", "support"),
    "tools.html": ("status_counts",),
}
_MARK = "\ue000"  # a private-use character: no template, filter or escaping produces or changes it
_ESCAPED = repr(_MARK)[1:-1]  # as repr() writes it
_TOKEN_RE = re.compile(f"{_MARK}[0-9]{_MARK}")
_PLAIN_RE = re.compile(r"[0-9A-Za-z.+_: -]*")  # what escaping leaves as it is, in any context


def _token(n: int) -> str:
    return f"{_MARK}{n}{_MARK}"


class RenderedStore(Protocol):
    def get_rendered(self, keys: list[str]) -> dict[str, tuple[str, str, str]]: ...

    def get_rendered_links(self, keys: Mapping[str, str]) -> dict[str, str]: ...

    def put_rendered(self, key: str, html: str, data: str) -> None: ...

    def keep_rendered(self, keys: list[str]) -> None: ...


@dataclass(frozen=True, slots=True)
class _Name:
    name: str


@dataclass(frozen=True, slots=True)
class _OfferingName:
    offering: _Name


@dataclass(frozen=True, slots=True)
class _ToolName:
    tool: _Name


@dataclass(frozen=True, slots=True)
class _Names:
    """All a stamped page may see of the site view: the names of the offerings and tools."""

    offering_by_id: Mapping[str, _OfferingName]
    tool_by_id: Mapping[str, _ToolName]


@dataclass(frozen=True, slots=True)
class _Team:
    name: str


@dataclass(frozen=True, slots=True)
class _Build:
    """The build as a stamped page sees it: no date (the stamp's `built_on` and `published_on`
    carry it as text), the commit as a placeholder."""

    commit: str | None
    dirty: bool
    generator: str


@dataclass(frozen=True, slots=True)
class _Catalog:
    """All a stamped page may see of the catalog: the site settings, the team's name, the version."""

    site: model.Site
    team: _Team
    version: str


@dataclass(frozen=True, slots=True)
class _ListCatalog:
    """All a list may see of the catalog: the site settings, the team, the version."""

    site: model.Site
    team: model.Team
    version: str


@dataclass(frozen=True, slots=True)
class _Measured:
    """All a list may see of the site: its measurements."""

    snapshots: tuple[model.Snapshot, ...]


@dataclass(frozen=True, slots=True)
class _OfferingRecord:
    """All a list of ROWS may see of an offering's record: not its SLOs, tools, links or
    description, which the lists do not show (an SLO's objective or a tool's reason changes the
    record, not what a list shows of it)."""

    id: str
    name: str
    summary: str
    owner: str
    tier: model.Tier
    lifecycle: model.Lifecycle
    audience: tuple[model.Audience, ...]


@dataclass(frozen=True, slots=True)
class _Overridden:
    """All a list of ROWS may see of an offering's support: which parts differ from the team's."""

    overridden: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _OfferingRow:
    """All a list of ROWS may see of an offering's view (views.OfferingView): its record as
    `_OfferingRecord`, its SLOs only as many (`_hidden`: each undefined), its support's overrides;
    a field it does not name (its tools, its dependencies) is undefined, and the page is then
    rendered the ordinary way."""

    offering: _OfferingRecord
    path: str
    lifecycle: str
    audience: tuple[str, ...]
    slos: tuple[Any, ...]
    support: _Overridden


@dataclass(frozen=True, slots=True)
class _ToolRecord:
    """All a list of ROWS may see of a tool decision's record: not its reason, dates or notes."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class _ToolRow:
    """All a list of ROWS may see of a tool decision's view (views.ToolView): its record as
    `_ToolRecord`, its place, status and alternative; not the offerings that use it, nor its
    policies (undefined: the page is then rendered the ordinary way)."""

    tool: _ToolRecord
    path: str
    status: str
    status_class: str
    alternative: ToolRef | None


@dataclass(frozen=True, slots=True)
class _CategoryRow:
    """All a list of ROWS may see of a category's view (views.CategoryView): the category itself
    (the tools matrix finds its tools in its own context, paging.tools_part)."""

    category: model.Category


# The lists that show each offering or tool decision in a row (a list of offerings, their SLOs,
# their support, the home page's, the tools matrix): rendered with each offering's, tool's and
# category's view as `_OfferingRow`, `_ToolRow` and `_CategoryRow`, keyed by that alone, so a
# release that changed an SLO's objective or a tool's reason repeats the lists that do not show it.
ROWS = frozenset({"home.html", "offerings.html", "slos.html", "support.html", "tools.html"})


@functools.cache
def _hidden(count: int) -> tuple[Any, ...]:
    """`count` values a template may count but not show: each is undefined (StrictUndefined), so a
    template that shows one fails and its page is rendered the ordinary way."""
    return (jinja2.StrictUndefined(hint="a list shows how many of these it has, not what they are"),) * count


class _Rows:
    """Each offering's view as a list of ROWS sees it (`_OfferingRow`), made once a release and
    taken from the last release's where the view, or the offering's record, is the very object
    (so that their digests are carried too, see Carried)."""

    __slots__ = ("_last", "_now")

    def __init__(self, last: Mapping[int, tuple[object, Any]] | None = None) -> None:
        self._last = last or {}
        self._now: dict[int, tuple[object, Any]] = {}

    def _kept(self, value: object, make: Any) -> Any:
        found = self._now.get(id(value))
        if found is None:
            found = self._last.get(id(value))
            if found is None or found[0] is not value:
                found = (value, make(value))
            self._now[id(value)] = found
        return found[1]

    def row(self, view: OfferingView) -> _OfferingRow:
        row: _OfferingRow = self._kept(view, self._row)
        return row

    def _row(self, view: OfferingView) -> _OfferingRow:
        return _OfferingRow(
            self._kept(view.offering, _record),
            view.path,
            view.lifecycle,
            view.audience,
            _hidden(len(view.slos)),
            _Overridden(view.support.overridden),
        )

    def _tool(self, view: ToolView) -> _ToolRow:
        record = self._kept(view.tool, lambda t: _ToolRecord(t.id, t.name))
        return _ToolRow(record, view.path, view.status, view.status_class, view.alternative)

    def of(self, value: Any) -> Any:
        """`value` with each offering's, tool's and category's view in it as its row: in a list's
        part, a tuple (its items, the home page's offerings, the SLOs' rows, the tools matrix's
        cells); anything else as it is."""
        if isinstance(value, OfferingView):
            return self.row(value)
        if isinstance(value, ToolView):
            return self._kept(value, self._tool)
        if isinstance(value, CategoryView):
            return self._kept(value.category, _CategoryRow)
        if isinstance(value, Part):
            items = self.of(value.items)
            return value if items is value.items else dataclasses.replace(value, items=items)
        if isinstance(value, tuple):
            made = tuple(map(self.of, value))
            return value if all(map(operator.is_, made, value)) else made
        return value

    def made(self) -> dict[int, tuple[object, Any]]:
        """This release's rows, for the next."""
        return self._now


def _record(offering: model.Offering) -> _OfferingRecord:
    return _OfferingRecord(
        offering.id,
        offering.name,
        offering.summary,
        offering.owner,
        offering.tier,
        offering.lifecycle,
        offering.audience,
    )


@functools.cache
def _shown(fields: tuple[str, ...]) -> type:
    """The frozen dataclass of a list's view: the site view's `fields` alone."""
    return dataclasses.make_dataclass("_Shown_" + "_".join(fields), fields, frozen=True, slots=True)


def _digested(value: object) -> list[object]:
    """What `_Fingerprints` digests of a dataclass: its fields' values, in their order; of a
    policy page, its HTML by the SHA-256 the page holds of it (model.Page `html_sha256`, taken
    where it was rendered), not the HTML itself, wherever the build keeps it (`body`: "" when
    spooled) and where (`spooled`, `search_spooled`: offsets in this build's spool): a page has
    the same digest spooled or not, in every build, and its HTML is not read from the spool and
    hashed again for it (_Fingerprints `whole`)."""
    fields = dataclasses.fields(value)  # type: ignore[arg-type]  # (a dataclass: `of` asked)
    if type(value) is not model.Page:
        return [getattr(value, f.name) for f in fields]
    return [getattr(value, f.name) for f in fields if f.name not in _NOT_DIGESTED]


_NOT_DIGESTED = frozenset({"body", "spooled", "search_spooled"})  # see `_digested`


class _Marked(Exception):
    """A source holds the placeholders' character: filling the stamp in could change it."""


class _Fingerprints:
    """Digests of what stamped pages are rendered from, each object digested once per release.

    A page's view shares most of what it holds with other pages' views (an offering's tools are
    the tools' own views, a policy page it lists is the page's object), so the digest of each
    immutable object (a frozen dataclass, a tuple) is kept by its identity, with the object itself
    (its id is not reused while it is kept).
    Every text is digested as it is, never as repr() writes it, so the digest is the same in every
    process; a text holding the placeholders' character raises _Marked.

    A policy page is digested in full only as a page's own subject (`whole`: the policy page's
    `page`, a value of its context itself): its HTML by its SHA-256 (`_digested`), looked at for
    the character only when no build of this servicebook looked at the same HTML before
    (`Carried.clean`: the SHA-256s of those it found without it, kept with each release's tree).
    A policy page that another page lists (an offering's or a tool's, a list's part, a tool's
    migration guide: anywhere inside a view) counts by what a list of pages shows of it (`of`:
    its slug, source, front matter and headings, load.Loaded `page_digests`, pagekeys.py's rule
    for the current site's pages): the templates read its slug, title and summary of it
    (tests/test_stamps.py renders every stamped template with the listed pages' HTML and text
    blanked), so an edit to a page's body renders no release page but its own.
    """

    __slots__ = ("_carried", "_carried_whole", "_clean", "_kept", "_strict", "_whole")

    def __init__(self, *, strict: bool = True, carried: Carried | None = None) -> None:
        self._kept: dict[int, tuple[object, str]] = {}
        self._whole: dict[int, tuple[object, str]] = {}  # policy pages as their own page's subject
        self._strict = strict  # False: the stamped context itself, which holds the placeholders
        self._clean: set[str] = carried.clean if carried is not None else set()
        # the release built before this one: what it digested (and holds) is digested already;
        # the stamped context's digests apart, since only they may hold the placeholders
        self._carried: dict[int, tuple[object, str]] = {}
        self._carried_whole: dict[int, tuple[object, str]] = {}
        if carried is not None and strict:
            self._carried, carried.last = carried.last, self._kept
            self._carried_whole, carried.whole = carried.whole, self._whole
        elif carried is not None:
            self._carried, carried.chrome = carried.chrome, self._kept

    def of(self, value: object) -> str:
        if isinstance(value, str):
            if _MARK in value and self._strict:
                raise _Marked
            return "s" + value if len(value) <= _SHORT else "h" + digest(value)
        if value is None or isinstance(value, bool | int | float | enum.Enum | dt.date | dt.time | decimal.Decimal):
            return "r" + repr(value)  # bool before int: repr tells True from 1
        if isinstance(value, model.StoredHeadings):  # a page's headings read back: as the tuple it equals
            return self.of(value.made)
        kept = self._kept.get(id(value))
        if kept is not None:
            return kept[1]
        kept = self._carried.get(id(value))
        if kept is not None and kept[0] is value:  # a record the release before shared (records.py)
            self._kept[id(value)] = kept
            return kept[1]
        if isinstance(value, Mapping):  # a page's own context: made for it, never kept
            return digest("{", *(part for k, v in value.items() for part in (self.of(k), self.of(v))))
        if isinstance(value, list):
            return digest("[", *(self.of(item) for item in value))
        if type(value) in _BUILD_SHOWN and self._strict:  # what a stamped page may not show (see _views)
            raise _Marked
        if type(value) is model.Page:  # a page listed (see the class)
            made = digest("Page listed", *map(self.of, (value.slug, value.source, value.meta, value.headings)))
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            made = digest(type(value).__qualname__, *map(self.of, _digested(value)))
            if not type(value).__dataclass_params__.frozen:  # type: ignore[attr-defined]
                return made
        elif isinstance(value, tuple | frozenset):
            items = sorted(value, key=repr) if isinstance(value, frozenset) else value
            made = digest(type(value).__name__, *(self.of(item) for item in items))
        else:  # not one of the types a view is made of: as repr() writes it
            text = repr(value)
            if (_MARK in text or _ESCAPED in text) and self._strict:
                raise _Marked
            return digest("?", type(value).__qualname__, text)
        self._kept[id(value)] = (value, made)  # immutable: the same digest wherever it is shown
        return made

    def whole(self, value: object) -> str:
        """The digest of a value of a page's own context: a policy page in full (see the class),
        anything else as `of` digests it."""
        if type(value) is not model.Page:
            return self.of(value)
        kept = self._whole.get(id(value))
        if kept is None:
            kept = self._carried_whole.get(id(value))
            if kept is None or kept[0] is not value:
                if value.html_sha256 not in self._clean:
                    self._look_at(value)
                kept = (value, digest(type(value).__qualname__, *map(self.of, _digested(value))))
            self._whole[id(value)] = kept
        return kept[1]

    def context(self, context: Mapping[str, object]) -> str:
        """The digest of a page's own context (its values by `whole`)."""
        return digest("{", *(part for k, v in context.items() for part in (self.of(k), self.whole(v))))

    def _look_at(self, page: model.Page) -> None:
        """`page`'s HTML, looked at for the placeholders' character (raises _Marked), and noted
        clean when it does not hold it (see the class)."""
        if _MARK not in page.html:
            self._clean.add(page.html_sha256)
        elif self._strict:
            raise _Marked

    def _found(self, value: object) -> tuple[object, str] | None:
        return (self._whole if type(value) is model.Page else self._kept).get(id(value))

    def kept(self, values: tuple[object, ...]) -> tuple[str, ...] | None:
        """The digests of a page's own context's `values` (`whole`) made already, if each is kept
        by its identity (immutable)."""
        found = [self._found(value) for value in values]
        if not all(k is not None and k[0] is v for k, v in zip(found, values, strict=True)):
            return None
        return tuple(k[1] for k in found)  # type: ignore[index]

    def forget(self) -> None:
        """Let go of every digest, this release's and the one before's (no page is keyed after)."""
        self._kept.clear()
        self._whole.clear()
        self._carried, self._carried_whole = {}, {}

    def keep(self, values: tuple[object, ...], made: tuple[str, ...]) -> None:
        """A page's own context's `values` as digested already (`made`, see `kept`)."""
        for value, digested in zip(values, made, strict=True):
            (self._whole if type(value) is model.Page else self._kept).setdefault(id(value), (value, digested))


_SHORT = 64  # characters: longer texts (a policy page's HTML) are digested on their own
# The build's stamp, and what holds it: a stamped page shows the stamp by its placeholders
# alone, and the key of one whose context held them would change with every commit, which
# `_views` leaves out (such a page is rendered the ordinary way, never keyed)
_BUILD_SHOWN = (BuildInfo, model.SiteContent)


class Carried:
    """What the last release's pages were keyed from, for the next release's keys: consecutive
    releases share most of their catalog's records as the very same objects (catalog/records.py
    reads again only the records whose text changed), so a record digested for one release is
    not walked again for the next. Only the last release's digests are kept (with the objects
    they were made from, so that no id is reused while they are), which bounds the memory.
    `views`: the views the last release's pages were made of (views.ViewMemo), so that its
    digests hold for the next release's views too, not only for the records they show.
    `pages`: the last release's stamped pages as stored (split at their placeholders, their
    links read): a page under the same key is the same text with the same links, so the next
    release fills its stamp in without reading, decoding and parsing it again (about 10 kB a
    page held from one release to the next). `more`: whether a release may be built after this
    one; the last release's pages are not kept for none (the pages of a release of 5,000 pages,
    60 MB, on top of its files), nor its digests and keys, let go once its pages are keyed,
    before they are rendered (tens of MB at 5,000 pages: each an object held with its digest)."""

    __slots__ = (
        "chrome",
        "clean",
        "hashed",
        "keys",
        "known",
        "last",
        "more",
        "names",
        "pages",
        "restamp",
        "restamped",
        "rows",
        "shows",
        "views",
        "whole",
    )

    def __init__(self, clean: set[str] | None = None) -> None:
        # the SHA-256s of the policy pages' HTML found without the placeholders' character, by
        # this build or (`clean`) one before it of this servicebook (see _Fingerprints)
        self.clean: set[str] = clean if clean is not None else set()
        self.last: dict[int, tuple[object, str]] = {}
        self.whole: dict[int, tuple[object, str]] = {}  # the policy pages digested as their own page's
        # what each policy page of the release being built shows of itself to the pages that list
        # it (load.Loaded `page_digests`), for `_views`: None, not known
        self.shows: Mapping[str, str] | None = None
        # the SHA-256 of each stamped page the last release restamped, by path, as written: its
        # manifest's line (outputs.add_published_outputs `known`), the file not read back for it
        self.hashed: dict[str, str] = {}
        self.views = ViewMemo()
        self.chrome: dict[int, tuple[object, str]] = {}  # the stamped context's digests (`stamping`)
        # the names of the offerings and tools (id, name) and the _Names made of them
        self.names: tuple[tuple[tuple[str, str], ...], _Names] | None = None
        # the last release's stamped pages by key, as stored, with their links settled against
        # its pages (`known`): the next release's pages under the same keys are these
        self.pages: dict[str, tuple[_Stored, PageLinks]] = {}
        self.known: frozenset[str] = frozenset()
        # the offerings' views as the lists of ROWS saw them (`_Rows`), by the view's and the
        # record's identity, with the objects
        self.rows: dict[int, tuple[object, Any]] = {}
        # the last release's page keys, by path, with what each was made of (`_page_key`)
        self.keys: dict[str, tuple[tuple[str, ...], tuple[object, ...], tuple[str, ...], str]] = {}
        self.more = True
        # the tree of the release a build of this servicebook stored last (releases._Donor), whose
        # stamped pages the release built first may take with its own stamp filled in (Restamp)
        self.restamp: Restamp | None = None
        # the release built last's stamped pages, where its stamp is in each (`Restamped`), for
        # its tree's record: the first release a later build makes restamps them
        self.restamped: Restamped | None = None


@dataclass(frozen=True, slots=True)
class Stamping:
    """The context stamped pages are rendered with, the key of what it holds, and the stamp."""

    common: dict[str, Any]
    chrome: str  # a digest of everything in `common` (a part of every page's key)
    values: Mapping[str, str]  # placeholder → the text that replaces it
    seen: _Fingerprints = dataclasses.field(default_factory=_Fingerprints, compare=False)

    def fill(self, html: str) -> str | None:
        """The page with the stamp filled in; None when a placeholder was changed on the way."""
        out = _TOKEN_RE.sub(lambda m: self.values.get(m[0], m[0]), html)
        return None if _MARK in out else out

    def fill_stored(self, stored: _Stored) -> bytes | None:
        """`fill` of the page `stored` holds, as UTF-8 (the encoding of each part, joined)."""
        if stored.stray:
            return None
        values = [self.values.get(token) for token in stored.tokens]
        if None in values:
            return None
        joined: list[bytes] = [stored.parts[0]]
        for value, part in zip(values, stored.parts[1:], strict=True):
            joined += (value.encode("utf-8"), part)  # type: ignore[union-attr]
        return b"".join(joined)


@dataclass(frozen=True, slots=True)
class _Stored:
    """A stored page split at its placeholders: `parts` (UTF-8) around `tokens`, one more part
    than tokens; `stray`: a placeholders' character outside a placeholder (it cannot be filled);
    its links as stored (`_read_links`); the SHA-256 of its HTML as stored (`Restamped`)."""

    parts: tuple[bytes, ...]
    tokens: tuple[str, ...]
    stray: bool
    links: PageLinks
    sha256: str


def _stored(html: str, links: PageLinks, sha256: str) -> _Stored:
    parts = _TOKEN_RE.split(html)
    return _Stored(
        tuple(p.encode("utf-8") for p in parts),
        tuple(_TOKEN_RE.findall(html)),
        any(_MARK in p for p in parts),
        links,
        sha256,
    )


def _layout(stored: _Stored, values: Mapping[str, str]) -> str:
    """Where the stamp is in the page `Stamping.fill_stored` makes of `stored` with `values`:
    each placeholder's number and the offset of its value's first byte, as "number offset ...".
    (A value is plain ASCII, _PLAIN_RE: as many bytes as characters.)"""
    at = len(stored.parts[0])
    where: list[str] = []
    for token, part in zip(stored.tokens, stored.parts[1:], strict=True):
        where.append(f"{token[1]} {at}")
        at += len(values[token]) + len(part)
    return " ".join(where)


@dataclass(slots=True)
class Restamped:
    """A release's stamped pages as its tree holds them, for the tree's record (site/releases.py
    INPUTS): its stamp (each placeholder's number → its text) and, by path, each page's key, the
    SHA-256 of its HTML as stored (with the placeholders), where its stamp is (`_layout`) and
    what it was keyed from (`_made_of`)."""

    values: dict[str, str]
    views: str | None = None  # what every page's views are made of (`_views`), None: not known
    shows: Mapping[str, str] = field(default_factory=dict)  # Carried `shows`
    pages: dict[str, tuple[str, str, str, str]] = field(default_factory=dict)
    # by path, the key and `_made_of` the last build's tree gave a page of the same `views`
    # (Restamp `key`), not made again
    made: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def add(self, spec: PageSpec, key: str, sha256: str, layout: str) -> None:
        found = self.made.get(spec.path)
        made = found[1] if found is not None and found[0] == key else _made_of(self.views, self.shows, spec, key)
        self.pages[spec.path] = (key, sha256, layout, made)

    def record(self, paths: Container[str]) -> dict[str, object]:
        """The record of the pages at `paths` (those the tree holds)."""
        pages = {path: list(page) for path, page in sorted(self.pages.items()) if path in paths}
        return {"stamp": self.values, "pages": pages}


def _made_of(views: str | None, shows: Mapping[str, str], spec: PageSpec, key: str) -> str:
    """A digest of what the page of `spec` was keyed `key` from: the chrome and `views` (see
    `_views`), its path, template, title and section, and of a policy page its own context holds
    (a policy page's own), each field its key digests (_Fingerprints `whole`): its slug, source,
    front matter and headings as `shows` has them, its HTML's SHA-256, its text and the pages
    whose ids its links name. "" when `views` is not known or such a page is not in `shows`."""
    own: list[str] = []
    for value in spec.context.values():
        if type(value) is model.Page:
            shown = shows.get(value.slug)
            if shown is None:
                return ""
            own += (shown, value.html_sha256, value.text, *value.fragment_targets, "\0")
    if views is None:
        return ""
    return digest("made of", views, spec.path, spec.template, spec.title, spec.section, key, *own)


def _views(stamp: Stamping, common: Mapping[str, Any], shows: Mapping[str, str] | None) -> str | None:
    """A digest of everything a release's stamped pages but its policy pages are keyed from,
    with the chrome: the catalog, what every policy page shows of itself to the pages that list
    it (`shows`, load.Loaded `page_digests`: its source, front matter and headings, by slug, in
    the order of the site's pages; `_Fingerprints.of`'s rule for a page listed), the
    measurements and what the release's date makes of them and of the tool decisions' review
    dates, and an organisation's members; their views, and each page's context, are made of
    nothing else (views.site_view, render.page_specs) but the build's stamp, which no stamped
    page's key holds (_BUILD_SHOWN). None when not every page has its digest in `shows`,
    or a text holds the placeholders' character."""
    site: model.SiteContent = common["view"].site
    if shows is None or not all(p.slug in shows for p in site.pages):
        return None
    catalog = site.catalog
    measured = measured_views(site.snapshots, site.build.date, catalog.site.measurements_stale_after)
    overdue = sorted(overdue_tools(catalog, site.build.date))
    try:
        made = [stamp.seen.of(v) for v in (catalog, site.snapshots, measured, tuple(overdue), site.federation)]
    except _Marked:
        return None
    pages = digest(*(f"{p.slug}\0{p.source}\0{shows[p.slug]}" for p in site.pages))
    return digest("views", stamp.chrome, *made, pages)


class Restamp:
    """The stamped pages of a release tree a build of this servicebook stored (site/releases.py
    `_Donor`: its record, `Restamped`, and the identity of each of its files): a page of the
    release being built under the key the tree's page at its path was made under is the tree's
    file with the stamp's values replaced where the record says they are. The tree is this
    servicebook's (its code's set), so the tree's page is `fill_stored` of the HTML stored under
    that key with the tree's stamp, and the page made is `fill_stored` of it with this release's:
    the bytes a render makes. A file is taken only while it is the one the tree recorded (size
    and modification time: a published copy edited in place is not), each old value is found
    where the record places it, and the links are the store's, checked against the SHA-256 of
    the stored HTML the record names (RenderedStore `get_rendered_links`)."""

    __slots__ = ("identities", "made", "pages", "tree", "values")

    def __init__(
        self, tree: Path, pages: Mapping[str, object], values: Mapping[str, object], identities: Mapping[str, object]
    ) -> None:
        self.tree, self.pages, self.values, self.identities = tree, pages, values, identities
        self.made: dict[str, tuple[str, str]] = {}  # each key `key` gave, with its `_made_of`

    def key(self, spec: PageSpec, views: str, shows: Mapping[str, str]) -> str | None:
        """The key the tree's page at the path of `spec` was made under, when it was keyed from
        the same (`_made_of`): the key this release's page gets (a new process keys none of the
        pages a commit to one policy page leaves as they were)."""
        page = self.pages.get(spec.path)
        if not (isinstance(page, list) and len(page) == 4 and isinstance(page[0], str) and page[3]):
            return None
        if page[3] != _made_of(views, shows, spec, page[0]):
            return None
        self.made[spec.path] = (page[0], page[3])
        return page[0]

    def stored(self, path: str, key: str) -> str | None:
        """The SHA-256 of the stored HTML of the tree's page at `path`, when it was made under `key`."""
        page = self.pages.get(path)
        if isinstance(page, list) and len(page) == 4 and page[0] == key and isinstance(page[1], str):
            return page[1]
        return None

    def restamped(self, path: str, values: Mapping[str, str]) -> tuple[bytes, str] | None:
        """The tree's page at `path` with the stamp `values` (placeholder → text) in place of its
        own, and where they are (`_layout`); None when it cannot be (then it is filled in from the
        store, or rendered)."""
        page = self.pages.get(path)
        if not (isinstance(page, list) and len(page) == 4 and isinstance(page[2], str)):
            return None
        try:
            numbers = [int(n) for n in page[2].split()]
        except ValueError:
            return None
        read = read_as_recorded(f"{self.tree}/{flat_name(path)}", self.identities.get(path))
        if read is None or len(numbers) % 2:
            return None
        data = read[0]
        joined: list[bytes] = []
        where: list[str] = []
        start = at = 0  # in the tree's page; in the page made
        for number, offset in zip(numbers[::2], numbers[1::2], strict=True):
            old, new = self.values.get(str(number)), values.get(_token(number))
            if not isinstance(old, str) or new is None or not start <= offset:
                return None
            was = old.encode("utf-8")
            if data[offset : offset + len(was)] != was:
                return None
            made = new.encode("utf-8")
            at += offset - start
            where.append(f"{number} {at}")
            at += len(made)
            joined += (data[start:offset], made)
            start = offset + len(was)
        joined.append(data[start:])
        return b"".join(joined), " ".join(where)


def stamping(common: Mapping[str, Any], carried: Carried | None = None) -> Stamping | None:
    """The stamped context of a release build (`common` from render.py), or None when its pages
    cannot be stamped (the stamp is not plain text, or the build shows history). `carried`: the
    digests of the release built before it (see Carried)."""
    catalog: model.Catalog = common["catalog"]
    build: BuildInfo = common["build"]
    versioning: VersionContext = common["versioning"]
    if versioning.current is None or versioning.releases or versioning.summaries or common.get("history") is not None:
        return None
    commit = build.commit or ""
    commit_url = common.get("commit_url")
    stamp = {
        _token(1): catalog.version,
        _token(2): versioning.current,
        _token(3): commit,
        _token(4): common.get("short_commit") or "",
        _token(5): common.get("built_on") or "",
        _token(6): common.get("published_on") or "",
    }
    if not all(_PLAIN_RE.fullmatch(v) for v in stamp.values()):
        return None
    if commit_url is not None and not (commit and commit_url.endswith(commit)):
        return None
    names = _names(catalog, carried)
    stamped = {
        **common,
        "view": names,
        "catalog": _Catalog(catalog.site, _Team(catalog.team.name), _token(1)),
        "versioning": dataclasses.replace(versioning, current=_token(2)),
        "build": _Build(_token(3) if commit else None, build.dirty, build.generator),
        "short_commit": _token(4) if common.get("short_commit") else None,
        "commit_url": None if commit_url is None else commit_url[: -len(commit)] + _token(3),
        "built_on": _token(5) if common.get("built_on") else None,
        "published_on": _token(6) if common.get("published_on") else None,
    }
    shown = {k: v for k, v in stamped.items() if not callable(v)}  # `last_changed_for`: None here
    sources = (catalog.team.name, build.generator, str(common.get("source_prefix")), *names.offering_by_id)
    sources += (*(o.offering.name for o in names.offering_by_id.values()), *names.tool_by_id)
    sources += (*(t.tool.name for t in names.tool_by_id.values()), repr(catalog.site), repr(versioning.notes))
    if any(_MARK in text or _ESCAPED in text for text in sources):  # the placeholders' character is used
        return None
    seen = _Fingerprints(strict=False, carried=carried)
    chrome = digest(*(part for k in sorted(shown) for part in (k, seen.of(shown[k]))))
    return Stamping(stamped, chrome, stamp, _Fingerprints(carried=carried))


def _names(catalog: model.Catalog, carried: Carried | None) -> _Names:
    """The names stamped pages may see; the last release's object when they are the same (its
    digest is then carried too)."""
    named = (*((o.id, o.name) for o in catalog.offerings), ("", ""), *((t.id, t.name) for t in catalog.tools))
    if carried is not None and carried.names is not None and carried.names[0] == named:
        return carried.names[1]
    names = _Names(
        {o.id: _OfferingName(_Name(o.name)) for o in catalog.offerings},
        {t.id: _ToolName(_Name(t.name)) for t in catalog.tools},
    )
    if carried is not None:
        carried.names = (named, names)
    return names


def page_key(stamping: Stamping, spec: PageSpec) -> str | None:
    """A digest of everything the page is rendered from; None when its own sources use the
    placeholders' character (then filling the stamp in could change them)."""
    try:
        shown = stamping.seen.context(spec.context)
    except _Marked:
        return None
    if _MARK in spec.title:
        return None
    return digest(stamping.chrome, spec.path, spec.template, spec.title, spec.section, shown)


def _page_key(stamping: Stamping, spec: PageSpec, last: Mapping[str, Any], now: dict[str, Any]) -> str | None:
    """`page_key`, or the last release's key of the page at the same path when it was made with
    the same chrome, template, title and section from a context of the very same objects (each
    kept by identity: immutable, see _Fingerprints), whose digests are then carried as they are:
    most of a release's 1,700 pages are made of the last one's views. `now` is left holding it."""
    shown = (stamping.chrome, spec.template, spec.title, spec.section, *spec.context)
    values = tuple(spec.context.values())
    found = last.get(spec.path)
    if found is not None and found[0] == shown and all(map(operator.is_, found[1], values)):
        stamping.seen.keep(values, found[2])
        now[spec.path] = found
        return str(found[3])
    key = page_key(stamping, spec)
    made = stamping.seen.kept(values) if key is not None else None
    if made is not None:
        now[spec.path] = (shown, values, made, key)
    return key


def _list_contexts(
    stamping: Stamping, common: Mapping[str, Any], templates: set[str], rows: _Rows
) -> dict[str, dict[str, Any]]:
    """The stamped context of each list of `templates` (see LISTS): the view of the fields its
    template reads (the offerings as `rows` sees them, for a list of ROWS), the catalog as
    `_ListCatalog`."""
    view, catalog = common["view"], common["catalog"]
    made: dict[str, dict[str, Any]] = {}
    offerings: tuple[_OfferingRow, ...] | None = None
    for template in sorted(templates):
        fields = LISTS[template]
        values = [_Measured(view.site.snapshots) if name == "site" else getattr(view, name) for name in fields]
        if template in ROWS and "offerings" in fields:
            if offerings is None:
                offerings = tuple(map(rows.row, view.offerings))
            values[fields.index("offerings")] = offerings
        made[template] = {
            **stamping.common,
            "view": _shown(fields)(*values),
            "catalog": _ListCatalog(catalog.site, catalog.team, stamping.common["catalog"].version),
        }
    return made


# The lists whose template shows of its part's items only how many (the pager's "1 to 40 of
# 900"): what they show of each item their own context holds too (the tools matrix's cells,
# paging.tools_part), so the part's items are hidden (`_hidden`) rather than keyed twice.
_COUNTED = frozenset({"tools.html"})


def _as_shown(spec: PageSpec, rows: _Rows) -> PageSpec:
    """A list's spec as it is keyed and rendered: for a list of ROWS, each offering's, tool's
    and category's view in its own context (its part, the home page's offerings, the tools
    matrix's cells) as `rows` sees it; a part of one of _COUNTED, its items hidden."""
    if spec.template not in ROWS:
        return spec
    context = dict(spec.context)
    part = context.get("part")
    if spec.template in _COUNTED and isinstance(part, Part):
        context["part"] = dataclasses.replace(part, items=_hidden(len(part.items)))
    context = {k: rows.of(v) for k, v in context.items()}
    return dataclasses.replace(spec, context=context)


def list_key(stamping: Stamping, spec: PageSpec, context: Mapping[str, Any]) -> str | None:
    """`page_key` of a list (see LISTS) rendered from the stamped `context` `_list_contexts`
    made for it: its own context, the view and the catalog's site and team with the chrome."""
    catalog: _ListCatalog = context["catalog"]
    try:
        shown = [stamping.seen.of(v) for v in (spec.context, context["view"], catalog.site, catalog.team)]
    except _Marked:
        return None
    if _MARK in spec.title:
        return None
    return digest(stamping.chrome, "list", spec.path, spec.template, spec.title, spec.section, *shown)


def render_stamped(
    files: SiteFiles,
    store: RenderedStore,
    env: jinja2.Environment,
    specs: list[PageSpec],
    common: dict[str, Any],
    layouts: Path,
    known: frozenset[str],
    workers: int,
    carried: Carried | None = None,
    into: Path | None = None,
) -> list[PageSpec]:
    """Put the stamped pages of `specs` into `files`, from `store` or rendered once and stored;
    returns the specs left for the ordinary render. `carried`: see Carried. `into`: the folder
    each page is written to as it is made, flat (cache.folder.flat_name), put into `files` as
    that file (movable): a release's pages are not all held in memory until it is stored."""
    stamp = stamping(common, carried)
    tree = carried.restamp if carried is not None else None
    if carried is not None:  # (the last build's tree is for the first release a build makes alone)
        carried.restamp, carried.restamped, carried.hashed = None, None, {}
    if stamp is None or _has_files(layouts):
        return specs
    made_keys: dict[str, Any] = {}  # this release's page keys, for the next (`_page_key`)
    shows = carried.shows if carried is not None else None
    # what the pages are keyed from: for the last build's tree, or the record of this release's
    recording = carried is not None and (tree is not None or not carried.more)
    views = _views(stamp, common, shows) if recording else None
    # the last build's tree's keys made of the same (Restamp `key`), else each made
    recorded = _Keys(tree, views, shows) if tree is not None and views is not None and shows else None
    last_keys = carried.keys if carried is not None else {}
    keys: dict[str, str] = {}
    for s in specs:
        if s.template in TEMPLATES and (key := _taken(recorded, s) or _page_key(stamp, s, last_keys, made_keys)):
            keys[s.path] = key
    rows = _Rows(carried.rows if carried is not None else None)
    lists = _list_contexts(stamp, common, {s.template for s in specs if s.template in LISTS}, rows)
    shown = {s.path: _as_shown(s, rows) for s in specs if s.template in lists}  # what each list is rendered from
    for s in specs:
        if s.template in lists and (key := _taken(recorded, s) or list_key(stamp, shown[s.path], lists[s.template])):
            keys[s.path] = key
    if carried is not None and carried.more:
        carried.rows, carried.keys = rows.made(), made_keys
    elif carried is not None:  # the last release built: no release is keyed after it
        carried.rows, carried.keys, carried.chrome = {}, {}, {}
        stamp.seen.forget()  # (carried.last): every object its pages are made of, with its digest
    del made_keys, last_keys  # the pages are keyed: what they were keyed from is carried or let go
    chosen = [s for s in specs if s.path in keys]
    last = carried.pages if carried is not None else {}
    same_pages = carried is not None and carried.known == known  # the last release's settled links hold
    store.keep_rendered([key for key in keys.values() if key in last])
    now: dict[str, tuple[_Stored, PageLinks]] = {}
    carry = carried is not None and carried.more  # the pages for a release built after this one
    # the release built last records where its stamp is in each page, for a later build's first
    # release (Restamp): it is the newest tree of its set
    values = {t[1]: v for t, v in stamp.values.items()}
    made = tree.made if tree is not None else {}
    restamped = None if carry or carried is None else Restamped(values, views, shows or {}, made=made)
    done: set[str] = set()
    settled: dict[tuple[str, bool], bool] = {}
    if tree is not None and restamped is not None and carried is not None:
        hashed = carried.hashed
        chosen = _restamp(files, store, stamp, chosen, keys, tree, known, settled, restamped, into, done, hashed)
    taking = _Taking(files, store, stamp, keys, known, settled, now if carry else None, done, into, restamped)
    todo = _filled(taking, chosen, last, same_pages)
    # Rendered with no page known, their links are all left for the check, and so are the same
    # in every release: they are stored with the page and settled against this release's pages.
    # The pages over the workers; the lists (a few a release), each with its own context, here.
    pages = [s for s in todo if s.template not in lists]
    renderer = Renderer(env, pages, stamp.common, layouts, None, frozenset())
    # each page's HTML as it comes in from the workers, in order: into `files` (and the store, and
    # `now` for the next release), not held in a list of every page's besides (a release of 5,000
    # pages rendered from nothing held 60 MB of it at once, bench/README.md)
    map_shared(render_one, renderer, range(len(pages)), workers, keep=lambda i, result: taking(pages[i], result))
    for spec in todo:
        if spec.template in lists:
            taking(spec, render_one(Renderer(env, [shown[spec.path]], lists[spec.template], layouts, None), 0))
    if carried is not None:
        carried.pages, carried.known, carried.restamped = now, known, restamped
    return [s for s in specs if s.path not in done]


@dataclass(frozen=True, slots=True)
class _Keys:
    """The last build's tree (`tree`) and what this release's pages are keyed from (`_views`)."""

    tree: Restamp
    views: str
    shows: Mapping[str, str]


def _taken(keys: _Keys | None, spec: PageSpec) -> str | None:
    """The key of the page of `spec` the last build's tree recorded, made of the same (Restamp `key`)."""
    return keys.tree.key(spec, keys.views, keys.shows) if keys is not None else None


def _restamp(
    files: SiteFiles,
    store: RenderedStore,
    stamp: Stamping,
    chosen: list[PageSpec],
    keys: Mapping[str, str],
    tree: Restamp,
    known: frozenset[str],
    settled: dict[tuple[str, bool], bool],
    restamped: Restamped,
    into: Path | None,
    done: set[str],
    hashed: dict[str, str],
) -> list[PageSpec]:
    """The pages of `chosen` the last release's `tree` holds under the same key, put into `files`
    restamped (Restamp), their links the store's, the SHA-256 of each into `hashed` (for the
    manifest, which then reads none of them back); the specs left (filled in from the store, or
    rendered). A commit to one page leaves every other page of the release of HEAD's version
    under its key: none is read back from the store, split at its placeholders and joined again."""
    wanted = {keys[s.path]: sha256 for s in chosen if (sha256 := tree.stored(s.path, keys[s.path])) is not None}
    found = store.get_rendered_links(wanted) if wanted else {}
    left: list[PageSpec] = []
    for spec in chosen:
        key = keys[spec.path]
        data = found.get(key)
        made = tree.restamped(spec.path, stamp.values) if data is not None else None
        links = _read_links(data) if made is not None and data is not None else None
        if made is None or links is None:
            left.append(spec)
            continue
        restamped.add(spec, key, wanted[key], made[1])
        _put(files, spec.path, made[0], into)
        hashed[spec.path] = hashlib.sha256(made[0]).hexdigest()
        files.scans[spec.path] = _settle(links, known, settled)
        done.add(spec.path)
    return left


def _filled(
    taking: _Taking, chosen: list[PageSpec], last: Mapping[str, tuple[_Stored, PageLinks]], same_pages: bool
) -> list[PageSpec]:
    """The pages of `chosen` the last release built (`last`) or the store holds, their stamp
    filled in, put into the release's files (as `taking` puts a rendered one); the specs left to
    render. `same_pages`: the last release's pages are this one's, so its settled links hold."""
    stamp, keys, now, restamped = taking.stamp, taking.keys, taking.now, taking.restamped
    found = taking.store.get_rendered([keys[s.path] for s in chosen if keys[s.path] not in last])
    todo: list[PageSpec] = []
    for spec in chosen:
        key = keys[spec.path]
        page = last.get(key)
        if page is None:
            html, data, sha256 = found.get(key, ("", "", ""))
            links = _read_links(data) if html else None
            page = None if links is None else (_stored(html, links, sha256), PageLinks((), b""))
        filled = stamp.fill_stored(page[0]) if page is not None else None
        if page is None or filled is None:
            todo.append(spec)
            continue
        if not (same_pages and key in last):
            page = (page[0], _settle(page[0].links, taking.known, taking.settled))
        if now is not None:
            now[key] = page
        if restamped is not None:
            restamped.add(spec, key, page[0].sha256, _layout(page[0], stamp.values))
        _put(taking.files, spec.path, filled, taking.into)
        taking.files.scans[spec.path] = page[1]
        taking.done.add(spec.path)
    return todo


class _Taking:
    """A stamped page as rendered (`render_one`'s result), taken into the release's `files`, the
    store and `now` (the pages carried to the next release; None: none is built after it), and
    counted `done`; one that reaches for more than the stamped context is left for the ordinary
    render."""

    __slots__ = ("done", "files", "into", "keys", "known", "now", "restamped", "settled", "stamp", "store")

    def __init__(
        self,
        files: SiteFiles,
        store: RenderedStore,
        stamp: Stamping,
        keys: Mapping[str, str],
        known: frozenset[str],
        settled: dict[tuple[str, bool], bool],
        now: dict[str, tuple[_Stored, PageLinks]] | None,
        done: set[str],
        into: Path | None,
        restamped: Restamped | None = None,
    ) -> None:
        self.files, self.store, self.stamp, self.keys = files, store, stamp, keys
        self.known, self.settled, self.now, self.done, self.into = known, settled, now, done, into
        self.restamped = restamped

    def __call__(self, spec: PageSpec, result: Any) -> None:
        if not isinstance(result, tuple) or result[0] is None or result[1] is None:
            return  # it reaches for more than the stamped context: rendered the ordinary way
        html = result[0].decode("utf-8")
        if self.now is None and self.restamped is None:
            made = self.stamp.fill(html)
            filled = None if made is None else made.encode("utf-8")
            stored = None
        else:  # split at its placeholders once, for the next release or the record (the same bytes as `fill`)
            stored = _stored(html, result[1], hashlib.sha256(result[0]).hexdigest())
            filled = self.stamp.fill_stored(stored)
        if filled is None or _stamp_in(result[1]):
            return
        key = self.keys[spec.path]
        self.store.put_rendered(key, html, _write_links(result[1]))
        _put(self.files, spec.path, filled, self.into)
        links = _settle(result[1], self.known, self.settled)
        self.files.scans[spec.path] = links
        if self.now is not None and stored is not None:
            self.now[key] = (stored, links)
        if self.restamped is not None and stored is not None:
            self.restamped.add(spec, key, stored.sha256, _layout(stored, self.stamp.values))
        self.done.add(spec.path)


def _put(files: SiteFiles, path: str, data: bytes, into: Path | None) -> None:
    """A stamped page into `files`: its bytes, or with `into`, the file there it is written to."""
    if into is None:
        files[path] = data
        return
    name = f"{into}/{flat_name(path)}"
    with open(name, "wb") as file:
        file.write(data)
    files.put_file(path, name, movable=True)


# Where base.html shows the catalog's version, escaped as a version of _PLAIN_RE's characters
# is (unchanged): the head's meta element and the footer.
_VERSION_SHOWN = (
    '<meta name="servicebook-catalog-version" content="{}">',
    '<strong class="catalog-version">{}</strong>',
)


@dataclass(frozen=True, slots=True)
class Footer:
    """What base.html shows of the build on a page that pagekeys.py keys without it, filled into
    the kept page instead (`restamp`): the catalog's version, the release the current catalog has
    changed since (`unreleased`, linked), and whether the build, of a commit, has uncommitted
    changes (`dirty`: the first edit in a clean working tree makes it so on every page)."""

    version: str
    unreleased: str | None = None
    dirty: bool = False
    # where the 404 page links from (routes.not_found_root): the site's, not recorded (the site's
    # address is in every key that the footer is filled in beside)
    not_found_root: str = field(default="/", compare=False)
    # a list's own "Last changed" (base.html's `last-changed` paragraph, see `last_changed`),
    # keyed without it too (pagekeys.py): the newest change's commit, short commit, URL, date,
    # changes page and anchor (changes.EntryView), () when the page shows none; None on the
    # pages whose key holds it
    changed: tuple[str | None, ...] | None = None
    # as the build cache records it after a page's key (one line), made once: asked of every page
    text: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        shown: list[object] = [self.version, self.unreleased, self.dirty]
        if self.changed is not None:
            shown.append(list(self.changed))
        object.__setattr__(self, "text", json.dumps(shown))

    @staticmethod
    def read(text: str) -> Footer | None:
        """A recorded `text`; None for anything else (a record of an earlier servicebook)."""
        try:
            version, unreleased, dirty, *rest = read_json(text)
        except (ValueError, TypeError):  # not JSON, or fewer than three values
            return None
        if not (isinstance(version, str) and isinstance(unreleased, str | None) and isinstance(dirty, bool)):
            return None
        if not rest:
            return Footer(version, unreleased, dirty)
        changed = rest[0]
        if (
            len(rest) == 1
            and isinstance(changed, list)
            and len(changed) in (0, 6)
            and all(isinstance(v, str | None) for v in changed)
        ):
            return Footer(version, unreleased, dirty, changed=tuple(changed))
        return None

    def last_changed(self, path: str) -> str | None:
        """base.html's `last-changed` paragraph of the page at `path` when it shows `changed`;
        None when it shows none, or when a value is not one that escaping leaves as it is."""
        if not self.changed:
            return None
        commit, short, url, date, page, anchor = self.changed
        if any(v is not None and (_MARK in v or any(c in v for c in "&<>\"'")) for v in self.changed):
            return None
        if page is None or anchor is None:
            return None
        if commit is None:
            when = "uncommitted changes (working tree)"
        elif short is None or date is None:
            return None
        elif url:
            when = f'{date} in <a href="{url}"><code>{short}</code></a>'
        else:
            when = f"{date} in <code>{short}</code>"
        if path == routes.NOT_FOUND:
            href = self.not_found_root + page
        else:
            href = routes.relative_url(posixpath.dirname(path), page)
        return f'<p class="last-changed">Last changed: {when} · <a href="{href}#{anchor}">what changed</a></p>'

    def shown(self, path: str) -> str:
        """base.html's footer from the version to the team's name, on the page at `path` of a
        build of a commit that does not show the build's commit (templates.shows_build)."""
        release = ""
        if self.unreleased is not None:
            target = routes.release(self.unreleased)
            if path == routes.NOT_FOUND:
                href = self.not_found_root + target
            else:
                href = routes.relative_url(posixpath.dirname(path), target)
            release = f'<span class="unreleased">(with changes made after <a href="{href}">its release</a>)</span>'
        dirty = " · built from a working tree with uncommitted changes" if self.dirty else ""
        return f'<strong class="catalog-version">{self.version}</strong>\n{release}{dirty}      · '


# the footer's text before and after (`restamp`), by the two footers and where the page is (see `_where`)
FooterTexts = dict[tuple[object, ...], tuple[bytes, bytes]]


def restamp(html: bytes, path: str, old: Footer, new: Footer, memo: FooterTexts | None = None) -> bytes | None:
    """The page at `path` of the built-in theme rendered with the footer `old`, as it is rendered
    with `new` (see Footer): the version in its two places (restamp_version), a list's "Last
    changed" paragraph, then the footer's text from the version to the team's name, each of
    which must be found exactly once as `old` makes it.
    None (render the page again) when a version is not plain text or a place is not found.
    `memo` (one for the many pages of a build: the first uncommitted edit fills a new footer
    into every page) keeps the footer's two texts, the same on every page at the same depth."""
    if not all(_PLAIN_RE.fullmatch(v) for v in (old.version, new.version, old.unreleased or "", new.unreleased or "")):
        return None
    if old.version != new.version:
        made = restamp_version(html, old.version, new.version)
        if made is None:
            return None
        html = made
    if old.changed != new.changed:
        filled = _restamp_changed(html, path, old, new)
        if filled is None:
            return None
        html = filled
    if (old.unreleased, old.dirty) == (new.unreleased, new.dirty):
        return html
    key = (old.unreleased, old.dirty, new, new.not_found_root, _where(path, old.unreleased or new.unreleased))
    texts = memo.get(key) if memo is not None else None
    if texts is None:
        was = dataclasses.replace(new, unreleased=old.unreleased, dirty=old.dirty)
        texts = (was.shown(path).encode(), new.shown(path).encode())
        if memo is not None:
            memo[key] = texts
    before, after = texts
    if html.count(before) != 1:
        return None
    return html.replace(before, after)


def _where(path: str, release: str | None) -> object:
    """What of a page's path its footer's text depends on (Footer.shown: the link to `release`,
    relative to the page's folder): nothing without a link; its folder's depth, where the folder
    is outside the release's top folder (as routes.relative_urls has it); else the path itself."""
    if release is None:
        return 0
    folder = posixpath.dirname(path)
    if path == routes.NOT_FOUND or not folder:
        return path
    parts = folder.split("/")
    if parts[0] == routes.release(release).partition("/")[0] or not all(p and p not in (".", "..") for p in parts):
        return path
    return len(parts)


def _restamp_changed(html: bytes, path: str, old: Footer, new: Footer) -> bytes | None:
    """The page with `new`'s "Last changed" paragraph in place of `old`'s, which must be found
    exactly once; None when either shows none (or one not plain, see Footer.last_changed)."""
    if old.changed is None or new.changed is None:
        return None
    before = dataclasses.replace(new, changed=old.changed).last_changed(path)
    after = new.last_changed(path)
    if before is None or after is None:
        return None
    was = before.encode()
    if html.count(was) != 1:
        return None
    return html.replace(was, after.encode())


def restamp_version(html: bytes, old: str, new: str) -> bytes | None:
    """A page of the built-in theme rendered when the catalog's version was `old`, as it is
    rendered when it is `new`: base.html shows the version in exactly the places _VERSION_SHOWN
    spells, and the pages pagekeys.py keys without the version show it nowhere else. None (render
    the page again) when a version is not plain text or a place is not found exactly once."""
    if not (_PLAIN_RE.fullmatch(old) and _PLAIN_RE.fullmatch(new)):
        return None
    for shape in _VERSION_SHOWN:
        before = shape.format(old).encode()
        if html.count(before) != 1:
            return None
        html = html.replace(before, shape.format(new).encode())
    return html


def _stamp_in(links: PageLinks) -> bool:
    """Whether a placeholder is part of a link or an id: then the page's links depend on the
    stamp and are read again from each release's page."""
    mark = _MARK.encode()
    return mark in links.ids or any(_MARK in part for link in links.links for part in link if isinstance(part, str))


def _settle(links: PageLinks, known: frozenset[str], settled: dict[tuple[str, bool], bool]) -> PageLinks:
    """The links left for the check once those to pages of this release are settled (as
    links.scan_page settles them when it is given the release's pages). `settled`: whether each
    (path, is a folder) already met in this release leads to one of its pages: every page links
    the same few hundred places (the navigation, the lists, the offerings and tools)."""
    kept = []
    for link in links.links:
        if link[3] or not link[1]:
            kept.append(link)
            continue
        found = settled.get((link[1], link[2]))
        if found is None:
            found = settled[link[1], link[2]] = resolve(link[1], link[2], known) in known
        if not found:
            kept.append(link)
    return PageLinks(tuple(kept), links.ids)


def _write_links(links: PageLinks) -> str:
    return json.dumps([links.links, links.ids.decode("utf-8", "surrogateescape")], separators=(",", ":"))


def _read_links(data: str) -> PageLinks | None:
    """Links as stored; None when they cannot be read (a miss)."""
    try:
        raw_links, raw_ids = read_json(data)
        links = tuple((str(h), str(j), bool(f), str(g)) for h, j, f, g in raw_links)
        return PageLinks(links, str(raw_ids).encode("utf-8", "surrogateescape"))
    except (ValueError, TypeError):
        return None


def _has_files(folder: Path) -> bool:
    """A site's own layouts/ may show anything on any page: nothing is stamped then. The README.md
    `servicebook init` puts there is not a template (see build._reuse)."""
    try:
        return any(p.is_file() and p != folder / "README.md" for p in folder.rglob("*"))
    except OSError:
        return True
