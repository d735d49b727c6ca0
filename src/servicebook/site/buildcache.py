"""What a build may reuse, and from where: the loaded pages, the catalogs as read and the pages of
past releases rendered with placeholders, all kept in the one store (cache/store.py) that every
build of the site shares, and, for the output a build replaces, which of its pages can be kept.

The store is an optimisation only: the output is byte-identical with or without it. An entry that
was altered on disk (its checksum, or a page's `html_sha256`, does not match) is a miss: the page
is rendered again, and the build warns, naming the store's file. Which pages of the current
output may be kept is decided by the key of the inputs each was rendered from, recorded in the
last build's manifest (fresh.py), and only while each is the very file that build wrote, or a copy
whose bytes are found to be its bytes (an output restored from a CI cache, see `reuse`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import operator
import os
import re
import stat
import weakref
import zlib
from collections.abc import Callable, Collection, Mapping, Sequence, Set
from pathlib import Path
from typing import Any, TypeVar

from servicebook import routes
from servicebook.cache.codec import decode, encode, read_json
from servicebook.cache.folder import output_folder
from servicebook.cache.store import Entry, Store
from servicebook.cache.store import names as entry_names
from servicebook.catalog import model
from servicebook.catalog.records import RecordCache
from servicebook.content.markdown import DIGEST_SIZE, NO_OUTLINE, AnchorRef, Outline, PackedRefs
from servicebook.errors import Problem, Severity, SourceLocation
from servicebook.site.fresh import (
    KeptMemo,
    Manifest,
    PageMemory,
    Report,
    Survey,
    file_identity,
    marker_identity,
    tree_identity,
)
from servicebook.site.load import BodySpool, PageResult
from servicebook.site.outputs import CATALOG_SECTIONS
from servicebook.site.stamps import Footer, FooterTexts, restamp
from servicebook.site.write import MARKER, RESTAMPED, SpareJournal, SpareRecord, Spooled, recorded_journal, spare_record


def encode_page(result: PageResult) -> tuple[str, str, str]:
    """A loaded page as stored: flat JSON lists rather than objects (a rebuild decodes every page
    of the site, and small objects cost JSON most of its time: 5x slower for 5,000 pages)."""
    page = result.page
    packed = result.anchor_refs
    refs: str | list[Any] = _links_stored(packed.packed)  # the page's links as the page holds them (PackedRefs)
    if packed.odd:  # runs of links from one source file: [path, slug, anchor, line, size, href, occurrence, …]
        refs = []
        for ref in packed:
            if not refs or refs[-1][0] != ref.path:
                refs.append([ref.path])
            refs[-1] += [ref.slug, ref.anchor, ref.line, ref.size, ref.href, ref.occurrence]
    data = [
        None
        if page is None
        else [
            page.slug,
            page.source,
            _encode_meta(page.meta),
            _encode_headings(page.headings),
            page.html_sha256,
            list(page.fragment_targets),
        ],
        [encode(p) for p in result.problems],
        refs,
        list(result.assets),
        result.digest,
        [part for anchor, title, digest in result.sections for part in (anchor, title, digest.hex())],
        result.sha256,
        result.blob,
        list(result.asked),
    ]
    return json.dumps(data, separators=(",", ":")), page.html if page else "", page.text if page else ""


def _encode_headings(headings: Sequence[model.Heading]) -> str | list[Any]:
    """A page's headings as stored: one text, "level|text|anchor|…", which a rebuild reads back
    without making anything of it (model.StoredHeadings: JSON reads one string where it read
    three a heading, and no heading is made for a page whose headings nobody asks); "|" as JSON
    writes it as it is (a NUL took six bytes, "\\u0000"). A list [level, text, anchor, …] should
    a text or an anchor hold a "|" (which a heading seldom does)."""
    parts = [str(part) for h in headings for part in (h.level, h.text, h.anchor)]
    if any(_APART in part for part in parts):
        return [part for h in headings for part in (h.level, h.text, h.anchor)]
    return _APART.join(parts)


def _links_stored(packed: str) -> str:
    """A page's links to headings as stored: the text the page holds (PackedRefs `packed`, its
    parts apart by NULs) with a "|" for each NUL, which JSON writes as it is (a NUL took six
    bytes, "\\u0000": 1.0 KB of links a page at 5k, read back by every rebuild), or as the page
    holds it should a part hold a "|" (`_links_read` tells the two apart by its NULs)."""
    return packed if _APART in packed else packed.replace("\0", _APART)


def _links_read(stored: str) -> str:
    """The text PackedRefs takes of a page's links as stored (`_links_stored`)."""
    return stored if "\0" in stored else stored.replace(_APART, "\0")


_APART = model.StoredHeadings.APART  # between the parts of a text stored for a list (headings, links)
# level|text|anchor, "|" between headings: what `_encode_headings` writes, or no heading at all
_STORED_HEADINGS = re.compile(r"(?:[1-6]\|[^|]*\|[^|]*(?:\|[1-6]\|[^|]*\|[^|]*)*)?")


def _stored_headings(
    parts: str | list[Any], shared: dict[Any, model.Heading], spool: BodySpool
) -> Sequence[model.Heading]:
    """`_headings` of a kept page (`_kept_page`): its stored text as it is, made into headings
    when first asked for (model.StoredHeadings), once it is found of the shape it must have."""
    if isinstance(parts, list):
        return _headings(parts, shared, spool)
    if _STORED_HEADINGS.fullmatch(parts) is None:
        raise ValueError("a page's headings are not as stored")
    return model.StoredHeadings(parts, shared) if parts else ()


# json.loads less its checks of what it is given (typeshed does not declare the scanner)
_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _json_value(text: str) -> Any:
    """`json.loads(text)` of a stored entry's data, which `json.dumps` wrote (no white space
    around it): the scanner alone (a rebuild reads back every page: 20,000 at 20k)."""
    try:
        value, end = _SCAN(text, 0)
    except StopIteration:
        raise ValueError("not JSON") from None
    if end != len(text):
        raise ValueError("not one JSON value")
    return value


def _page_meta(data: dict[str, Any], spool: BodySpool | None = None) -> model.PageMeta:
    """Front matter as stored: plain values and lists of ids, read directly (the generic
    `decode` resolves every field's type, which a rebuild would pay for on every page); with a
    `spool`, each owner and id as the one string it keeps of it (BodySpool `meta`). The shape is
    checked field by field without a generator per field (a rebuild reads back every page)."""
    if isinstance(data, dict) and data.keys() == _PAGE_META_TYPES.keys():
        title, summary, owner, order = data["title"], data["summary"], data["owner"], data["order"]
        offerings, tools, renamed = data["offerings"], data["tools"], data["renamed_from"]
        if (
            isinstance(title, str)
            and isinstance(summary, str | None)
            and isinstance(owner, str | None)
            and isinstance(order, int)
            and isinstance(offerings, list)
            and isinstance(tools, list)
            and _all_strings(offerings)
            and _all_strings(tools)
            and isinstance(renamed, list)
            and _all_strings(renamed)
        ):
            if spool is None:
                owned, offered, used = owner, tuple(offerings), tuple(tools)
            else:
                one = spool.names.setdefault
                owned = None if owner is None else one(owner, owner)
                offered, used = tuple(map(one, offerings, offerings)), tuple(map(one, tools, tools))
            return model.PageMeta(
                title=title,
                summary=summary,
                owner=owned,
                order=order,
                offerings=offered,
                tools=used,
                renamed_from=tuple(renamed),
            )
    meta: model.PageMeta = decode(model.PageMeta, data)  # a field of another shape: read it the careful way
    return meta if spool is None else spool.meta(meta)


def _all_strings(items: list[Any]) -> bool:
    """Whether every item is a str (joining them raises for any other)."""
    try:
        "".join(items)
    except TypeError:
        return False
    return True


# What `encode` makes of each PageMeta field (a test keeps this in step with the model).
_PAGE_META_TYPES: dict[str, type | tuple[type, ...]] = {
    "title": str,
    "summary": (str, type(None)),
    "owner": (str, type(None)),
    "order": int,
    "offerings": list,
    "tools": list,
    "renamed_from": list,
}


def _encode_meta(meta: model.PageMeta) -> dict[str, Any]:
    """`encode(meta)`, field by field without asking the dataclass for its fields: a cold build's
    parent stores every page as it comes in from the workers (the same dict; a test keeps the
    two in step)."""
    return {
        "title": meta.title,
        "summary": meta.summary,
        "owner": meta.owner,
        "order": meta.order,
        "offerings": list(meta.offerings),
        "tools": list(meta.tools),
        "renamed_from": list(meta.renamed_from),
    }


def decode_page(
    data: str,
    html: str | bytes | None,
    text: str,
    shared: dict[Any, model.Heading] | None = None,
    spool: BodySpool | None = None,
    html_sha256: str | None = None,
) -> PageResult:
    """A loaded page as stored; raises (DamagedEntry, or whatever a malformed entry gives) when it
    cannot be, or when its HTML is not the HTML it was stored with. `shared` holds the headings
    already read back (by level, text and anchor as stored), so that the pages of one build that
    share a heading ("Scope", "Exceptions") share one object, made once: a rebuild reads back
    every page, and making a frozen dataclass for each heading of each was most of that. With a
    `spool`, the page's HTML (its UTF-8 bytes, as `Store.get_bytes` gives them) goes there as it
    is, never made a text (load.BodySpool `keep_stored`). `html_sha256`: the SHA-256 of `html`
    when the caller has it (`Store.get_bytes` checked the entry with it). (A page whose HTML is
    left in the store is read back by `_kept_page`, its entry checked first.)"""
    stored, problems, refs, assets, digest_, sections, sha256, blob, asked = _json_value(data)
    page: model.Page | None = None
    encoded = html if isinstance(html, bytes) else (html or "").encode()
    if stored is not None:
        slug, source, meta, headings, kept_sha256, fragment_targets = stored
        if (html_sha256 or hashlib.sha256(encoded).hexdigest()) != kept_sha256:
            raise DamagedEntry(slug)
        page = model.Page(
            slug=slug,
            source=source,
            meta=_page_meta(meta, spool),
            body="" if spool is not None else html if isinstance(html, str) else encoded.decode("utf-8"),
            text=text,
            headings=_headings(_heading_parts(headings), {} if shared is None else shared, spool),
            html_sha256=str(kept_sha256),
            spooled=() if spool is None else spool.place(encoded, str(kept_sha256)),
            search_spooled=() if spool is None else spool.search_parts(str(kept_sha256)),
            fragment_targets=tuple(map(str, fragment_targets)),
        )
    links = PackedRefs.from_text(_links_read(refs)) if isinstance(refs, str) else PackedRefs.of(_anchor_refs(refs))
    return PageResult(
        page=page,
        problems=tuple(decode(Problem, p) for p in problems),
        anchor_refs=links if spool is None else spool.refs(links),
        assets=tuple(map(str, assets)),
        digest=str(digest_),
        sections=_sections(sections) if spool is None else spool.sections(_sections(sections)),
        sha256=str(sha256),
        blob=str(blob),
        asked=tuple(map(str, asked)) if spool is None else spool.asked(map(str, asked)),
    )


def _kept_page(
    value: list[Any], text: str, shared: dict[Any, model.Heading], spool: BodySpool, source: StoredHtml, key: str
) -> PageResult:
    """`decode_page` of an entry whose checksum was found to match its data, its text and the
    SHA-256 its page keeps of its HTML (`_json_value` of its data is `value`), its HTML left in
    the store (`source`, under `key`): the data is then what `encode_page` wrote, byte for byte,
    so its parts are made into the page without `decode_page`'s checks of their shapes (a rebuild
    from the command line reads back every page: 20,000 at 20k). An entry that does not match is
    damaged, whatever its data says (BuildCache `_get_leaving_html`). Its links to headings stay
    the text read, held by the result, not put into the spool: the heading-link check reads those
    of the few pages it does not hold as settled (load `_check_anchors`), and copying every kept
    page's into the spool cost a one-page rebuild more than holding them (bench/README.md)."""
    stored, problems, refs, assets, digest_, sections, sha256, blob, asked = value
    page: model.Page | None = None
    if stored is not None:
        slug, path, meta, headings, html_sha256, fragment_targets = stored
        one = spool.names.setdefault
        owner = meta["owner"]
        page = model.Page(
            slug=slug,
            source=path,
            meta=model.PageMeta(
                title=meta["title"],
                summary=meta["summary"],
                owner=None if owner is None else one(owner, owner),
                order=meta["order"],
                offerings=tuple(map(one, meta["offerings"], meta["offerings"])),
                tools=tuple(map(one, meta["tools"], meta["tools"])),
                renamed_from=tuple(meta["renamed_from"]),
            ),
            body="",
            text=text,
            headings=_stored_headings(headings, shared, spool),
            html_sha256=html_sha256,
            spooled=source.add(key, html_sha256),
            fragment_targets=tuple(fragment_targets),
        )
    links = PackedRefs.as_written(_links_read(refs)) if isinstance(refs, str) else PackedRefs.of(_anchor_refs(refs))
    return PageResult(
        page=page,
        problems=tuple(decode(Problem, p) for p in problems) if problems else (),
        anchor_refs=links,
        assets=tuple(assets),
        digest=digest_,
        sections=_kept_sections(sections, spool.names.setdefault) if sections else NO_OUTLINE,
        sha256=sha256,
        blob=blob,
        asked=spool.asked(asked),
    )


def _headings(
    parts: list[Any], shared: dict[Any, model.Heading], spool: BodySpool | None = None
) -> tuple[model.Heading, ...]:
    """Headings stored as [level, text, anchor, …], each made once for all the pages (`shared`),
    the one the `spool` keeps of it when there is one (BodySpool `heading`): stored parts that
    compare equal convert to equal headings (1, 1.0 and True are level 1). A page whose headings
    were all read back before (most of a rebuild's: "Scope", "Exceptions") is looked up at once."""
    if len(parts) % 3:
        raise ValueError("a page's headings are cut short")
    stored = zip(parts[0::3], parts[1::3], parts[2::3], strict=True)
    try:
        return tuple(map(shared.__getitem__, stored))
    except KeyError:  # a heading not read back before: made below
        pass
    found: list[model.Heading] = []
    for each in zip(parts[0::3], parts[1::3], parts[2::3], strict=True):
        heading = shared.get(each)
        if heading is None:
            heading = model.Heading(int(each[0]), str(each[1]), str(each[2]))
            heading = shared[each] = heading if spool is None else spool.heading(heading)
        found.append(heading)
    return tuple(found)


def _heading_parts(stored: str | list[Any]) -> list[Any]:
    """A page's headings as stored (`_encode_headings`) as the list [level, text, anchor, …]."""
    if isinstance(stored, list):
        return stored
    if _STORED_HEADINGS.fullmatch(stored) is None:
        raise ValueError("a page's headings are not as stored")
    parts: list[Any] = stored.split(_APART) if stored else []
    parts[0::3] = map(int, parts[0::3])
    return parts


def _anchor_refs(runs: list[Any]) -> tuple[AnchorRef, ...]:
    """A page's links to headings, stored as runs from one source file: [path, slug, anchor,
    line, size, href, occurrence, …] (tens of thousands in a rebuild: made by columns)."""
    found: list[AnchorRef] = []
    for run in runs:
        links = run[1:]
        if len(links) % 6:
            raise ValueError("a page's links are cut short")
        columns = (
            map(str, links[0::6]),
            map(str, links[1::6]),
            itertools.repeat(str(run[0])),
            map(int, links[2::6]),
            map(int, links[3::6]),
            map(str, links[4::6]),
            map(int, links[5::6]),
        )
        found += map(AnchorRef._make, zip(*columns, strict=False))  # as long as the columns: the path repeats
    return tuple(found)


def _sections(parts: list[Any]) -> Outline:
    """A page's outline for the history, stored as [anchor, title, digest as hex, …]."""
    if len(parts) % 3:
        raise ValueError("a page's outline is cut short")
    return Outline.of(zip(map(str, parts[0::3]), map(str, parts[1::3]), map(bytes.fromhex, parts[2::3]), strict=True))


def _kept_sections(parts: list[str], one: Callable[[str, str], str]) -> Outline:
    """`_sections` of an entry that matched its checksum, each anchor and title as the one
    string `one` gives (BodySpool `sections`)."""
    if len(parts) % 3:
        raise ValueError("a page's outline is cut short")
    hexes = parts[2::3]
    digests = bytes.fromhex("".join(hexes))
    if len(digests) != DIGEST_SIZE * len(hexes):
        raise ValueError("a page's outline has a digest that is not a SHA-256")
    del parts[2::3]  # (the anchors and titles, in their order, taken as one string each at once: no
    # Python loop over 55,000 sections at 5,000 pages; `parts` is the entry's own, read for this page)
    return Outline(tuple(map(one, parts, parts)), digests) if parts else NO_OUTLINE


_V = TypeVar("_V")


def _only(values: Mapping[str, _V], paths: Set[str], others: Set[str] | None = None) -> dict[str, _V]:
    """The entries of `values` under `paths`: a copy with the others deleted, as most are kept
    (a copy of a dict is made at once; a dict made entry by entry costs a few ms at 11,000).
    `others`: the paths of `values` not in `paths`, when found already."""
    kept = dict(values)
    for path in _not_in(values, paths) if others is None else others:
        del kept[path]
    return kept


def _not_in(values: Mapping[str, object], paths: Set[str]) -> set[str]:
    """The keys of `values` not in `paths`, each looked up in turn: `values.keys() - paths` makes
    a set of every key and then takes each of `paths` out of it (42,000 and 45,000 at 20,000
    pages), where most keys are in `paths` and few are left."""
    return set(itertools.filterfalse(paths.__contains__, values))


KEPT_PARTS = 64  # the entries a KeptMemo's outputs are kept in (BuildCache.kept_memo), by a hash of their path
KEPT_KIND = "kept"  # the store's entry of a command-line build's KeptMemo, by output folder (`kept_memo`)
_KINDS = {
    KEPT_KIND: "the kept outputs' keys",
    "page": "a page",
    "catalog": "the catalog",
    CATALOG_SECTIONS: "catalog.json's catalog sections",
    "rendered": "a page of a release",
}


def _kept_part(raw: Any) -> dict[str, tuple[str, str]]:
    """A part of a KeptMemo as stored: [paths, inputs, keys] or [] (BuildCache.kept_memo)."""
    if raw == []:
        return {}
    paths, own, keys = raw
    if not (_all_strings(paths) and _all_strings(own) and _all_strings(keys)) or not (
        len(paths) == len(own) == len(keys)
    ):
        raise ValueError("a kept memo of another shape")
    return dict(zip(paths, zip(own, keys, strict=True), strict=True))


def _kept_part_text(part: Mapping[str, tuple[str, str]]) -> str:
    """A part of a KeptMemo as stored (`_kept_part` reads it): [paths, inputs, keys]."""
    return json.dumps([list(part), *map(list, zip(*part.values(), strict=True))], separators=(",", ":"))


class DamagedEntry(ValueError):
    """A stored page whose HTML is not the HTML its `html_sha256` was taken of."""


_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()  # of a page stored without one (it had errors)


class StoredHtml:
    """Where the pages that a build of the command line reads back from the store keep their
    HTML: in the store, read when a page's HTML is first asked for (model.Page `html`, through
    model.STORED_HTML) and checked against the page's SHA-256, never other bytes. A one-page
    rebuild reads back every page and the HTML of none of them (their outputs are kept; the
    search index stored their words), which it used to read, hash and copy into the build's spool
    (39 MB at 5k pages). HTML found gone or altered is made again from the page's Markdown
    (`remake`, load._html_again), which the page's key says gives the HTML it was stored with.

    A worker process forked from this one must not use its SQLite connection: before each fork
    (`os.register_at_fork`), the HTML of every page handed out and not yet read goes into the
    build's spool, where a worker reads it (and checks it) as it would any page's there."""

    _numbers = itertools.count(1)

    def __init__(self, store: Store, spool: BodySpool) -> None:
        self.store = store
        self.spool = spool
        self.keys: list[str] = []  # the store key of each page handed out, by its index (`add`)
        self._sha256: list[str] = []  # and the SHA-256 of its HTML
        self._placed: dict[int, tuple[int, ...]] = {}  # of those, where the spool holds the HTML
        self.remake: Callable[[str], str | None] | None = None  # a page's HTML from its Markdown, by slug
        self.damaged: list[str] = []  # pages whose HTML was found altered in the store (BuildCache.warnings)
        self._pid = os.getpid()
        self.number = next(self._numbers)
        model.STORED_HTML[self.number] = functools.partial(_html_of, weakref.ref(self))
        _LIVE.add(self)

    def add(self, key: str, sha256: str) -> tuple[int, int, int]:
        """model.Page `spooled` of the page stored under `key` whose HTML has this SHA-256."""
        self.keys.append(key)
        self._sha256.append(sha256)
        return (-self.number, len(self.keys) - 1, 0)

    def html(self, page: model.Page, index: int) -> str:
        placed = self._placed.get(index)
        if placed is not None:
            data: bytes | None = os.pread(placed[0], placed[2], placed[1])  # (what may follow the HTML left)
        else:
            data = self.store.html("page", self.keys[index])
        if data is not None and hashlib.sha256(data).hexdigest() == page.html_sha256:
            return data.decode("utf-8")
        # gone or altered (a worker forked before it was put in the spool cannot read the store):
        # made again from its Markdown, which the page's key says gives the HTML it was stored with
        if data is not None and os.getpid() == self._pid and placed is None:
            self.damaged.append(f"page {page.slug}")
            self.store.forget("page", self.keys[index])
        html = self.remake(page.slug) if self.remake is not None else None
        if html is None or hashlib.sha256(html.encode()).hexdigest() != page.html_sha256:
            raise OSError(
                f"the HTML of policy page {page.slug!r} is no longer in the cache store {self.store.path}, "
                "and its source no longer gives it (changed during the build?): build again"
            )
        return html

    def spool_all(self) -> None:
        """Before a fork: each page's HTML not in the spool yet put there (each checked first)."""
        if self.spool.closed or len(self._placed) == len(self.keys):
            return
        for index, (key, sha256) in enumerate(zip(self.keys, self._sha256, strict=True)):
            if index in self._placed:
                continue
            data = self.store.html("page", key)
            if data is not None and hashlib.sha256(data).hexdigest() == sha256:
                self._placed[index] = self.spool.place(data, sha256)
        self.spool.flush()


def _html_of(stored: weakref.ref[StoredHtml], page: model.Page, index: int) -> str:
    """model.STORED_HTML's entry for a StoredHtml: its page's HTML while it is there."""
    source = stored()
    if source is None:
        raise OSError(f"the HTML of policy page {page.slug!r} is no longer where the build kept it")
    return source.html(page, index)


_LIVE: weakref.WeakSet[StoredHtml] = weakref.WeakSet()  # those whose pages may still be read


def _before_fork() -> None:
    for stored in list(_LIVE):
        with contextlib.suppress(Exception):  # a worker that then reads such a page makes it again
            stored.spool_all()


os.register_at_fork(before=_before_fork)


HELD = "held in the memory of the process that built it"  # (no SHA-256: fresh.Manifest `published`)


class BuildCache:
    """One build's view of the store: a `load.PageStore` (pages and catalogs as loaded), a
    `stamps.RenderedStore` (release pages with placeholders), and, when the build replaces an
    output, which of that output's pages it may keep. Every failure to read or write means 'not
    cached'."""

    def __init__(self, store: Store, hashes: Mapping[str, str] | None = None) -> None:
        self.store = store
        self.hashes = hashes  # source file → hash, for the page keys (see load.py)
        self.records = RecordCache()  # the records of the catalogs read so far, in memory (releases.py)
        self.built = 0  # releases built from their sources (not taken from the release cache)
        self.damaged: list[str] = []  # entries found altered (as the warning names them): made again
        self._headings: dict[Any, model.Heading] = {}  # the headings of the pages read back (`decode_page`)
        self._read: dict[str, Any] = {}  # the pages the last release read back, by key (`get_many`)
        # the pages the build's own load took, by key (`took`): made when a release's load first asks
        self._took: dict[str, Any] | None = {}
        self._took_from: tuple[Mapping[str, str], Mapping[str, Any]] | None = None
        self._stored_html: StoredHtml | None = None  # where those keep their HTML (`get_many`)
        # -- the output this build replaces (see `for_output`)
        self.output: Path | None = None
        self.inputs = ""
        self.sources: Mapping[str, list[Any]] = {}
        self.previous: Manifest | None = None
        # (serve) the survey's `rescanned`: the last survey's hashes and sources, and the files
        # whose hash alone may differ from them now
        self.rescanned: tuple[Mapping[str, str], Mapping[str, list[Any]], Collection[str]] | None = None
        self.keys: dict[str, str] = {}  # page path → key, for this build's manifest
        self.reused: set[str] = set()  # pages kept from the last build
        # pages kept with another footer filled in (`reuse_restamped`): a dict's keys, not a set, which
        # holds 3 to 6 times as many slots as paths (every page at the first uncommitted edit, 5,400
        # at 5k, held from the render to the end of the write stage, where a rebuild peaks: 512 KiB
        # against 150)
        self.restamped: dict[str, None] = {}
        # what `reuse_restamped` made once for them all: the footers read back, their texts (stamps.restamp)
        self._footers: dict[str, Footer | None] = {}
        self._footer_texts: FooterTexts = {}
        self.restored: dict[str, list[int]] = {}  # of those, the copies found byte-identical: their identity now
        self._hashes: Mapping[str, str] | None = None  # see `_recorded_hashes`
        self.source = ""  # the source folder, for a checkout that moves (fresh._previous)
        self._same_output: bool | None = None  # is the output the one the last build swapped in?
        self._output_text = ""  # the output folder as a string, once `reuse` has looked at it
        self.written: dict[str, list[int]] | None = None  # what the write stage put in the output (write.py)
        self.memory: PageMemory | None = None  # a long-running process's (serve): the manifest is kept there too
        self._replaced: Mapping[str, list[int]] = {}  # the output's files the write stage replaces (`spare_journal`)
        # the output's folders the write stage left as it found them, with their identities (`record_spare`)
        self.settled_folders: Mapping[str, tuple[int, int, int]] = {}
        self._published: dict[str, str] | None = None  # see `published_hashes`
        self._kept: KeptMemo | None = None  # the command line's KeptMemo (`kept_memo`), recorded with the manifest
        self._kept_texts: dict[str, str] = {}  # the text of each of its parts as read back
        # and the outputs of each part read back, by its name, then all of them: the very dict
        # its `outputs` were read into (`_record_kept` tells the parts to write again from them)
        self._kept_parts: dict[str, dict[str, tuple[str, str]]] = {}
        self._kept_read: dict[str, tuple[object, str]] | None = None

    @classmethod
    def for_output(cls, survey: Survey) -> BuildCache:
        cache = cls(survey.store, survey.hashes)
        cache.output = survey.output
        cache.inputs = survey.inputs
        cache.sources = survey.sources
        cache.previous = survey.previous
        cache.rescanned = survey.rescanned
        cache.source = str(survey.options.source.resolve())
        cache.memory = survey.options.memory
        cache.output_as_left()  # now, before the write stage swaps another marker in
        if cache.memory is not None:  # serve: what its last build marked used is moved at once
            survey.store.carry(cache.memory.used)
        else:  # the command line: what the build before it marked, as the store holds it
            survey.store.carry_stored()
        return cache

    # -- pages and catalogs (load.PageStore) ----------------------------------------------------

    def get_many(self, keys: list[str], spool: BodySpool | None = None) -> dict[str, Any]:
        """The loaded pages stored under `keys` (missing, damaged or unreadable ones are left out),
        with their HTML in `spool` when there is one.

        A release's build (after the first) takes the pages the release before it read back under
        the same keys as the very objects it made (immutable), not read and decoded again:
        consecutive releases share most pages, and what the last release's pages were keyed
        from by identity (stamps.Carried) then holds for them too."""
        last = self._read if self.built > 1 else {}
        own = self._own_pages() if self.built else {}
        kept = [key for key in keys if key in last or key in own]
        found: dict[str, Any] = {key: last[key] if key in last else own[key] for key in kept}
        if kept:
            self.store.touch("page", kept)
        rest = [key for key in keys if key not in found]
        # the command line's build: their HTML left in the store (StoredHtml), made again from the
        # build's own sources should it be found altered; a release's (`built`), from sources in a
        # folder of its own, which the next release's moves, is put into the spool as it is read
        if spool is not None and self.memory is None and not self.built:
            found.update(self._get_leaving_html(rest, spool))
            rest = []
        for key, (data, html, text, html_sha256) in self.store.get_bytes("page", rest).items():
            try:
                found[key] = decode_page(data, html, text, self._headings, spool, html_sha256)
            except DamagedEntry as exc:
                self.damaged.append(f"page {exc}")
                self.store.forget("page", key)
            except Exception:
                self.damaged.append("a page")
                self.store.forget("page", key)
        if self.built:
            self._read = found
        return found

    def took(self, keys: Mapping[str, str], results: Mapping[str, Any]) -> None:
        """The pages the build's own load took (read back or loaded), as it holds them (their HTML
        in the build's spool), each page's result by its slug and its key by its slug: a release's
        load takes a page under the same key as that very object (immutable), not read back and
        decoded again. HEAD's release is the working tree's pages when nothing is uncommitted: a
        build from nothing decoded each of them a second time, and held both. A release's own
        load (`built`) changes nothing. The pages by key are made only when a release's load
        first asks (`_own_pages`): a build that builds no release (`serve` outside git, after an
        edit) made a dict of every page for nothing (20,000 at 20,000 pages), and copied it."""
        if not self.built:
            self._took, self._took_from = None, (keys, results)

    def _own_pages(self) -> dict[str, Any]:
        """The pages the build's own load took, by key (`took`), made once."""
        if self._took is None:
            keys, results = self._took_from or ({}, {})
            self._took = {keys[slug]: result for slug, result in results.items() if slug in keys}
            self._took_from = None
        return self._took

    def releases_built(self) -> None:
        """The releases are built: the pages kept for the next one's load (`took`, `get_many`) are
        let go (the build keeps the working tree's pages as its site holds them)."""
        self._took, self._took_from, self._read = {}, None, {}

    def _get_leaving_html(self, keys: list[str], spool: BodySpool) -> dict[str, Any]:
        """`get_many` for a build in a process of its own: each page's HTML left in the store
        (StoredHtml), its entry checked by the SHA-256 of the HTML that the page keeps. (`serve`
        keeps its pages from build to build, and their HTML in its spool: it reads them whole.)"""
        source = self._stored_html
        if source is None or source.spool is not spool:
            source = self._stored_html = StoredHtml(self.store, spool)
        found: dict[str, Any] = {}
        shared, matches = self._headings, self.store.matches
        for key, entry in self.store.get_unchecked("page", keys).items():
            data, text, _ = entry
            try:  # the entry's parts, and the SHA-256 its page says its HTML has
                value = _json_value(data)
                stored = value[0]
                html_sha256 = _EMPTY_SHA256 if stored is None else stored[4]
                if type(html_sha256) is not str:
                    raise ValueError("not a SHA-256")
            except Exception:
                self.damaged.append("a page")
                self.store.forget("page", key)
                continue
            if not matches("page", key, entry, html_sha256):
                self.store.damaged.pop()  # named below, by its page
                slug = stored[0] if stored is not None and len(stored) == 6 and type(stored[0]) is str else None
                self.damaged.append("a page" if slug is None else f"page {slug}")
                self.store.forget("page", key)
                continue
            try:  # (one that matches is what `encode_page` wrote: only a forged one fails here)
                found[key] = _kept_page(value, text, shared, spool, source, key)
            except Exception:
                self.damaged.append("a page")
                self.store.forget("page", key)
        return found

    def remake_html(self, remake: Callable[[str], str | None]) -> None:
        """How the pages read back make their HTML again from their Markdown (load._html_again),
        should their HTML in the store be found gone or altered (StoredHtml): the build's own
        load's, not a release's (`built`: whose pages are never left there, `get_many`)."""
        if self._stored_html is not None and not self.built:
            self._stored_html.remake = remake

    def keep(self, keys: list[str]) -> None:
        """Count these pages as used by this build without reading them (see fresh.PageMemory)."""
        self.store.touch("page", keys)

    def keep_named(self, named: list[str]) -> None:
        """`keep` of the pages whose entries' names (`page_names`) the caller kept."""
        self.store.touch_names(named)

    @staticmethod
    def page_names(keys: list[str]) -> list[str]:
        """The names of the pages' entries under `keys` in the store (cache.store.names)."""
        return entry_names("page", keys)

    def put(self, key: str, value: object) -> None:
        """Store a loaded page now (committed with the manifest, or on close), so that thousands
        of rendered pages are not held in memory until the end of the build."""
        if isinstance(value, PageResult):
            data, html, text = encode_page(value)
            # the page's HTML was hashed where it was rendered (model.Page `html_sha256`)
            known = value.page.html_sha256 if value.page is not None and html else None
            self.store.put("page", key, Entry(data, html, text), known)

    def get_catalog(self, key: str) -> tuple[model.Catalog, tuple[Problem, ...]] | None:
        """The catalog read from bytes with this hash, and the problems reading it found."""
        for entry in self.store.get("catalog", [key]).values():
            try:
                raw = read_json(entry.data)
                return decode(model.Catalog, raw["catalog"]), tuple(decode(Problem, p) for p in raw["problems"])
            except Exception:
                self.damaged.append("the catalog")
        return None

    def keep_catalog(self, key: str) -> None:
        self.store.touch("catalog", [key])

    def has_catalog(self, key: str) -> bool:
        """Whether a catalog is stored under `key` (without reading it; it may still be damaged)."""
        return self.store.has("catalog", key)

    def put_catalog(self, key: str, catalog: model.Catalog, problems: tuple[Problem, ...]) -> None:
        data = json.dumps({"catalog": encode(catalog), "problems": [encode(p) for p in problems]})
        self.store.put("catalog", key, Entry(data))

    # -- pages of releases rendered with placeholders (stamps.RenderedStore) ----------------------

    def get_rendered(self, keys: list[str]) -> dict[str, tuple[str, str, str]]:
        """Rendered pages (with their stamp placeholders), what was stored with them (their
        links, see stamps.py) and their HTML's SHA-256 (as stored), under `keys`."""
        found: dict[str, tuple[str, str, str]] = {}
        for key, (data, html, _, html_sha256) in self.store.get_bytes("rendered", keys).items():
            try:
                found[key] = (html.decode("utf-8"), data, html_sha256)
            except UnicodeDecodeError:  # altered on disk, its checksum too
                self.store.damaged.append(("rendered", key))
        return found

    def get_rendered_links(self, keys: Mapping[str, str]) -> dict[str, str]:
        """What was stored with the rendered pages under `keys` (their links), each key with the
        SHA-256 of the page's HTML as stored, which checks it; the HTML itself is not read (a
        page restamped from the last release's tree: stamps.Restamp)."""
        found: dict[str, str] = {}
        for key, entry in self.store.get_unchecked("rendered", list(keys)).items():
            if self.store.matches("rendered", key, entry, keys[key]):
                found[key] = entry[0]
        return found

    def put_rendered(self, key: str, html: str, data: str) -> None:
        self.store.put("rendered", key, Entry(data, html))

    def keep_rendered(self, keys: list[str]) -> None:
        """Count these pages as used by this build without reading them (stamps.Carried holds them)."""
        if keys:
            self.store.touch("rendered", keys)

    def commit(self) -> None:
        self.store.commit()

    def warnings(self) -> tuple[Problem, ...]:
        """What the build says of entries found altered: each was made again, not used."""
        stored = self._stored_html.damaged if self._stored_html is not None else []
        damaged = [*(_KINDS.get(kind, kind) for kind, _ in self.store.damaged), *self.damaged, *stored]
        if not damaged or self.store.path is None:
            return ()
        names = sorted(set(damaged))
        shown = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
        return (
            Problem(
                SourceLocation(str(self.store.path)),
                f"{len(damaged)} cache entr{'y' if len(damaged) == 1 else 'ies'} had been altered ({shown}): "
                "not used, made again",
                "the cache is only an optimisation and safe to delete; if this happens again, check the disk",
                Severity.WARNING,
                kind="cache-altered",
            ),
        )

    # -- the output this build replaces -------------------------------------------------------

    def reuse(self, path: str, key: str) -> str | None:
        """The file `path` of the current output, if the last build rendered it from inputs with
        the same `key` and it is still the file that build wrote, or a copy of it byte for byte
        (see `_restored`); remembers `key` for the next build. A plain string, not a `Path`: this
        runs for every kept file of the site (11,229 at 5k), and making a `Path` of each was a
        third of its cost.

        In `serve` (a memory of the last build), the output is the process's own temporary
        folder, which only its own builds write: while the marker is the one its last build
        swapped in, each file is the one that build recorded, without an `lstat` to say so."""
        self.keys[path] = key
        previous = self.previous
        if previous is None or self.output is None or previous.keys.get(path) != key:
            return None
        if self._same_output is None:
            self._same_output = previous.marker == marker_identity(self.output / MARKER)
            self._output_text = str(self.output)
        file = f"{self._output_text}/{path}"  # plain strings: this runs for every page of the site
        recorded = previous.outputs.get(path)
        if not self._same_output or recorded is None or (self.memory is None and recorded != file_identity(file)):
            identity = self._restored(path, file)
            if identity is None:
                return None
            self.restored[path] = identity
        self.reused.add(path)
        return file

    def reuse_many(self, paths: list[str], keys: list[str]) -> list[str | None]:
        """`reuse` of many outputs, each asked with the very key the last build recorded for it
        (fresh.KeptMemo). In a long-running process's own output (`memory`), each is the file
        that build left while the output is the one it swapped in; in a build of the command line
        each is asked as `reuse` asks (the file checked to be the one the last build wrote). None
        for one that is not so (to be asked again by `reuse` or `reuse_restamped`)."""
        previous = self.previous
        if previous is None or self.output is None:
            return [None] * len(paths)
        if self._same_output is None:
            self._same_output = previous.marker == marker_identity(self.output / MARKER)
            self._output_text = str(self.output)
        if self.memory is None:
            return self._reuse_checked(paths, keys)
        if not self._same_output:
            return [None] * len(paths)
        before, outputs, folder = previous.keys, previous.outputs, self._output_text + "/"
        # each kept when the last build recorded the very key and the file: found at once, not
        # path by path (40,000 outputs at 20,000 pages)
        recorded = map(operator.is_, map(before.get, paths), keys)
        same = list(map(operator.and_, recorded, map(outputs.__contains__, paths)))
        self.keys.update(zip(paths, keys, strict=True))
        # each file at its place, then None at the places of those not kept (most are kept)
        found: list[str | None] = list(map(folder.__add__, paths))
        for i in itertools.compress(range(len(paths)), map(operator.not_, same)):
            found[i] = None
        # (through a dict, whose size the set is made ready for at once: added one by one, 5,400
        # paths to as many took it to 4 times the slots, 1 MiB at 5k, held to the end of the build)
        self.reused.update(dict.fromkeys(itertools.compress(paths, same)))
        return found

    def reuse_again(self, recorded: object, keys: Mapping[str, str], kept: Set[str], told: list[str]) -> bool:
        """In a long-running process's own output (`memory`): the outputs its last build kept with
        `reuse_many`, `kept`, each with the key it recorded (`keys`), kept again in one go, when
        this build's last manifest is the one that build recorded (`recorded`: that build's
        `keys`, the very dict its manifest holds; a build that failed after telling them recorded
        none) and the output is the one it swapped in: each is then the file that build linked
        into it under the key it recorded, which `reuse_many` would find path by path. `told`:
        those of `keys` and `kept` that this build tells again, not taken. False, and nothing
        taken, otherwise."""
        previous = self.previous
        if self.memory is None or previous is None or self.output is None or previous.keys is not recorded:
            return False
        if self._same_output is None:
            self._same_output = previous.marker == marker_identity(self.output / MARKER)
            self._output_text = str(self.output)
        if not self._same_output:
            return False
        self.keys.update(keys)  # (a copy at once while nothing else is in it: a clone of its table)
        self.reused.update(kept)
        for path in told:
            self.keys.pop(path, None)
            self.reused.discard(path)
        return True

    def _reuse_checked(self, paths: list[str], keys: list[str]) -> list[str | None]:
        """`reuse_many` in a build of the command line: each file whose key is the one recorded
        and whose `lstat` is the identity recorded (the output the last build swapped in), or,
        in an output restored from a CI cache (`_same_output` false: new inodes), a plain file of
        the size and modification time recorded (`_restored`'s copy), told in one pass (`reuse`
        of each cost as much again as its `lstat`: 42,000 kept files at 20,000 pages); any other
        asked by `reuse` (a copy whose time was cut, a key or file not as recorded)."""
        assert self.previous is not None
        before, outputs, folder = self.previous.keys, self.previous.outputs, self._output_text + "/"
        self.keys.update(zip(paths, keys, strict=True))
        found: list[str | None] = []
        lstat, same, restored, regular = os.lstat, self._same_output, self.restored, stat.S_ISREG
        for path, key in zip(paths, keys, strict=True):
            file = folder + path
            try:
                info = lstat(file)
            except OSError:
                found.append(self.reuse(path, key))
                continue
            recorded = outputs.get(path) if before.get(path) == key else None
            if recorded is None:
                found.append(self.reuse(path, key))
            elif same and recorded == [info.st_size, info.st_mtime_ns, info.st_ino]:
                found.append(file)
            elif not same and info.st_size == recorded[0] and info.st_mtime_ns == recorded[1] and regular(info.st_mode):
                restored[path] = [info.st_size, info.st_mtime_ns, info.st_ino]
                found.append(file)
            else:
                found.append(self.reuse(path, key))
        self.reused.update(dict.fromkeys(itertools.compress(paths, found)))  # (see `reuse_many`)
        return found

    def reuse_restamped(self, path: str, key: str, footer: Footer, spool: Path | None = None) -> str | bytes | None:
        """`reuse` for a page keyed without what its `footer` shows of the build (the catalog's
        version, the release it has changed since, uncommitted changes), which stamps.restamp
        fills in (pagekeys.py): the file as it is when the last build showed the same footer; its
        bytes with this footer filled in when it showed another (in `restamped`, not `reused`: its
        bytes are new, its links are the kept page's but for the footer's link to the release,
        which this build publishes), or with a `spool` folder, those bytes written into it
        (`Spooled`); None: render it. The footer is recorded after the key, for the next build."""
        full = f"{key}\n{footer.text}"
        before = self.previous.keys.get(path) if self.previous is not None else None
        if before is None or before == full or not before.startswith(key + "\n"):
            return self.reuse(path, full)
        text = before[len(key) + 1 :]
        if text in self._footers:  # (every page records the same one or two)
            shown = self._footers[text]
        else:
            shown = self._footers[text] = Footer.read(text)
        kept = self.reuse(path, before) if shown is not None else None
        self.keys[path] = full
        if kept is None or shown is None:
            return None
        self.reused.discard(path)
        self.restored.pop(path, None)
        try:
            with open(kept, "rb") as file:
                made = restamp(file.read(), path, shown, footer, self._footer_texts)
        except OSError:
            return None
        if made is None:
            return None
        self.restamped[path] = None
        if spool is None:
            return made
        # at the spool's top, named apart from any page's place (no folder made, and removed, for each
        # of thousands of pages): the write stage moves it to its place
        target = f"{spool}/{RESTAMPED}{len(self.restamped)}"
        with open(target, "xb") as file:
            file.write(made)
        return Spooled(target)

    def _restored(self, path: str, file: str) -> list[int] | None:
        """The identity of `file` if it is not the file the last build wrote but holds its very
        bytes: an output restored from a CI cache (new inodes), or copied. A plain file of the
        size and modification time (to the nanosecond) that build recorded is that copy, as git
        and rsync take a file of the same size and time for unchanged: a tar archive
        (actions/cache) and `cp -a` keep both, and a step that rewrote the file gave it a time
        of its own. Any other (a zip archive cuts times to seconds) has its SHA-256 compared
        with the one in the manifest.sha256 that build wrote, itself checked against the hash of
        it the store recorded; a file of another size is not read. None: render it again."""
        recorded = self.previous.outputs.get(path) if self.previous is not None else None
        if recorded is None:
            return None
        try:
            info = os.lstat(file)
        except OSError:
            return None
        if not stat.S_ISREG(info.st_mode) or info.st_size != recorded[0]:
            return None
        if info.st_mtime_ns == recorded[1]:
            return [info.st_size, info.st_mtime_ns, info.st_ino]
        try:
            with open(file, "rb") as kept:
                info = os.fstat(kept.fileno())
                if not stat.S_ISREG(info.st_mode) or info.st_size != recorded[0]:
                    return None
                expected = self._recorded_hashes().get(path)
                if expected is None or hashlib.file_digest(kept, "sha256").hexdigest() != expected:
                    return None
        except OSError:
            return None
        return [info.st_size, info.st_mtime_ns, info.st_ino]

    def _recorded_hashes(self) -> Mapping[str, str]:
        """Every file's SHA-256 in the output's manifest.sha256, provided that file is still the
        one the last build wrote (the same file, or the same bytes by the hash the store keeps)."""
        if self._hashes is not None:
            return self._hashes
        self._hashes = {}
        previous = self.previous
        if previous is None or self.output is None:
            return self._hashes
        file = f"{self.output}/{routes.MANIFEST}"
        try:
            with open(file, "rb") as manifest:
                data = manifest.read()
        except OSError:
            return self._hashes
        same = self._same_output and previous.outputs.get(routes.MANIFEST) == file_identity(file)
        if not same and (not previous.published or hashlib.sha256(data).hexdigest() != previous.published):
            return self._hashes
        try:
            pairs = (line.split("  ", 1) for line in data.decode("utf-8").splitlines())
            self._hashes = {path: sha for sha, path in pairs if len(sha) == 64}
        except (UnicodeDecodeError, ValueError):
            self._hashes = {}
        return self._hashes

    @property
    def spare(self) -> Path | None:
        """Where the site this build replaces is kept, for the next build to start from
        (write.write_site), beside the output (hard links need one file system); none without
        a store."""
        if self.output is None or not self.store.usable:
            return None
        return output_folder(self.output) / "build" / f"{self.output.name}.spare"

    def kept_identities(self) -> Mapping[str, list[int]]:
        """The identity of each file kept from the current output, as the last build recorded it
        and `reuse` found it unchanged, or as `reuse` found it when it checked its bytes (the
        write stage compares the spare's files with it). In `serve`, the last build's record of
        the output itself, every file's: the write stage looks up the kept ones alone, and tells
        the record by its identity (write.write_site), where a copy less the files not kept was
        a pass over every file of the site and of its release trees (85,000 at 20,000 pages in a
        site's own repository, 40,000 of them the release's) at every rebuild."""
        previous = self.previous
        if previous is None:
            return {}
        if not self.restored and self.memory is not None:
            return previous.outputs
        if not self.restored:  # (nothing restored) each as the last build recorded it
            return _only(previous.outputs, self.reused)
        return {
            path: self.restored.get(path) or previous.outputs[path] for path in self.reused if path in previous.outputs
        }

    def kept_hashes(self, manifest_name: str) -> dict[str, str]:
        """The SHA-256 of each page kept from the last build, from that build's manifest in the
        output (see `_recorded_hashes`); in `serve`, from the hashes its last build's manifest
        was made of (`published_hashes`, the very dict, put right), while the output is the one
        that build swapped in."""
        if not self.reused or manifest_name != routes.MANIFEST:
            return {}
        memory, previous = self.memory, self.previous
        if memory is not None and memory.published is not None and previous is not None:
            published, listed = memory.published
            if self._same_output and published == previous.published:
                # the last build's hashes taken over, not copied (the memory lets go of them: this
                # build publishes its own, `published_hashes`), less those of the files not kept
                memory.published = None
                unkept = _not_in(listed, self.reused)
                for path in unkept:
                    del listed[path]
                known = listed
                if memory.manifest_lines is not None:  # (what its lines are put right by, ManifestLines.make)
                    memory.manifest_lines.taken = (known, listed, unkept)
                return known
        hashes = self._recorded_hashes()
        return {path: hashes[path] for path in self.reused if path in hashes}

    def published_hashes(self, known: Mapping[str, str], hashed: Mapping[str, str]) -> None:
        """In `serve`: the SHA-256 of every file the manifest.sha256 this build made lists, those
        it took as `known` and those it `hashed`, kept in its memory by `record` for the next
        build's `kept_hashes` (which would otherwise read and parse that file again)."""
        self._published = known if isinstance(known, dict) else dict(known)
        self._published.update(hashed)
        if self.memory is not None and self.memory.manifest_lines is not None:
            self.memory.manifest_lines.published = self._published

    def output_as_left(self) -> bool:
        """Whether the output is the one the last build swapped in (its marker, the very file),
        as it was when this build began (`for_output` asks): False for one restored from a CI
        cache or copied (new inodes), or without a last build."""
        if self.previous is None or self.output is None:
            return False
        if self._same_output is None:
            self._same_output = self.previous.marker == marker_identity(self.output / MARKER)
            self._output_text = str(self.output)
        return self._same_output

    def spare_journal(self) -> SpareJournal | None:
        """For a build in a process of its own (the command line): what the last build left in
        the output and the spare, so that the write stage need not list the spare (write.py
        SpareRecord: the spare checked by its folders' identities); without a manifest, an empty
        one, in which a first build notes the spare it leaves, so that the first rebuild after it
        need not list it either. `serve` keeps its journal in its memory instead."""
        if self.memory is not None or self.output is None:
            return None
        if self.previous is None:
            return SpareJournal()
        if not self.output_as_left():
            # a restored (or copied) output: the last build's record of it names other files
            # than those the write stage replaces, so what the spare would be recorded to hold
            # is not known (every path would be said to differ); none is recorded
            return SpareJournal()
        entry = self.store.get("spare", [str(self.output)]).get(str(self.output))
        record = SpareRecord.from_json(entry.data) if entry is not None else None
        self._replaced = self.previous.outputs
        return recorded_journal(self.output, self.previous.outputs, self.spare, record)

    def record_spare(self, journal: SpareJournal | None) -> None:
        """After a successful swap: the record of the spare the write stage left (committed with
        the manifest, by `record`), for the next build's `spare_journal`."""
        if journal is None or self.output is None:
            return
        self.settled_folders = journal.settled  # for the stamp (fresh.Survey `record_stamp`)
        record = spare_record(journal, self.spare, self._replaced.keys())
        if record is not None:
            self.store.put("spare", str(self.output), Entry(record.to_json()))

    def kept_memo(self) -> KeptMemo:
        """For a build of the command line: the last build's answers for the outputs keyed by an
        input of their own (fresh.KeptMemo, as `serve` keeps it in memory), from the store, where
        `record` keeps it with the manifest; an empty one without it (every output then asked
        one by one, as before). It names, by output path, that input (a policy page's store key
        and HTML's SHA-256, a data file's declared inputs) and the key the build cache recorded,
        and what they all shared: a pure function of those, so one left from an older build is
        still true (and `reuse` checks each key against the last manifest's). It is kept in
        KEPT_PARTS + 1 entries (`_kept_names`): what they shared and the views' keys, then the
        outputs by a hash of their path, so that a build writes again only the parts that
        changed (a one-page edit: a few), not 2 MB at 5,000 pages. A part found damaged is left
        out (its outputs asked one by one), and named in the build's warning. An output with no
        memo of its own is given the one of the output whose manifest is the last build's (a CI
        job's fresh checkout at another path: fresh._previous), all of whose parts this build
        then writes under its own output's name."""
        memo = self._kept = KeptMemo()
        self._kept_texts, self._kept_parts, self._kept_read = {}, {}, None
        if self.output is None or self.previous is None:
            return memo
        names = self._kept_names()
        found = self.store.get(KEPT_KIND, names)
        head = found.get(names[0])
        moved = self._moved_from() if head is None else None
        if moved is not None:
            names = self._kept_names(moved)
            found = self.store.get(KEPT_KIND, names)
            head = found.get(names[0])
        if head is None:
            return memo
        try:
            raw = read_json(head.data)
            pages, data = raw["shared"]
            if not isinstance(pages, list) or len(pages) != 4:
                raise ValueError("a kept memo of another shape")
            viewed = _kept_part(raw["viewed"])
        except (ValueError, TypeError, KeyError):
            self.damaged.append(_KINDS[KEPT_KIND])
            return memo
        self._kept_texts[names[0]] = head.data
        outputs: dict[str, tuple[object, str]] = {}
        for name in names[1:]:
            entry = found.get(name)
            if entry is None:
                continue
            try:
                part = _kept_part(read_json(entry.data))
            except (ValueError, TypeError, KeyError):
                self.damaged.append(_KINDS[KEPT_KIND])
                continue
            outputs.update(part)
            self._kept_texts[name] = entry.data
            self._kept_parts[name] = part
        memo.shared, memo.outputs, memo.viewed = (tuple(pages), data), outputs, viewed
        if moved is not None:  # (none of its parts is this output's yet: `_record_kept` makes them all)
            self._kept_texts, self._kept_parts = {}, {}
        else:
            self._kept_read = outputs
        return memo

    def _kept_names(self, output: str | None = None) -> list[str]:
        """The store's names of the parts of the KeptMemo of this build's output (`kept_memo`),
        or of `output`'s."""
        output = output or str(self.output)
        return [output, *(f"{output}\0{n}" for n in range(KEPT_PARTS))]

    def _moved_from(self) -> str | None:
        """The output the last build's manifest was recorded for, when it is not this build's:
        the one at the same place from the source as this build's output, in the checkout the
        store was copied from (fresh._previous)."""
        previous = self.previous
        if previous is None or self.output is None or not previous.source or previous.source == self.source:
            return None
        other = os.path.normpath(f"{previous.source}/{os.path.relpath(self.output, self.source)}")
        return other if other != str(self.output) else None

    def _record_kept(self) -> None:
        """The KeptMemo this build left (`kept_memo`), for the next build of the command line:
        each part whose text is not the one read back, written again (or forgotten). The parts
        of the outputs are made again only where an output's entry is not the one read back
        (`_changed_parts`): a one-page edit changes a few of KEPT_PARTS."""
        memo = self._kept
        if memo is None or self.output is None:
            return
        names = self._kept_names()
        texts: dict[str, str | None] = {}
        pages, data = memo.shared
        if isinstance(pages, tuple):
            viewed = [list(memo.viewed), *map(list, zip(*memo.viewed.values(), strict=True))] if memo.viewed else []
            texts[names[0]] = json.dumps({"shared": [pages, data], "viewed": viewed}, separators=(",", ":"))
            for n, part in self._changed_parts(memo.outputs).items():
                texts[names[n + 1]] = _kept_part_text(part) if part else None
        else:  # (no page of this build was keyed by its store key: none of the parts holds)
            texts = dict.fromkeys(names)
        for name, text in texts.items():
            if text == self._kept_texts.get(name):
                continue
            if text is None:
                self.store.forget(KEPT_KIND, name)
            else:
                self.store.put(KEPT_KIND, name, Entry(text))

    def _changed_parts(self, outputs: dict[str, tuple[object, str]]) -> dict[int, dict[str, tuple[str, str]]]:
        """By its number, each part of the KeptMemo's `outputs` (those whose own input is a str,
        by a hash of their path) that may not be the part read back: all of them without one,
        else those holding an output whose entry is not the very one read back (pagekeys._Carried
        keeps it as it was while unchanged) or is gone, each the part read back with those
        entries put right."""
        read = self._kept_read
        changed: set[str] | None = None
        if read is not None:  # (at C speed: 42,000 outputs at 20,000 pages)
            changed = set(itertools.compress(outputs, map(operator.is_not, outputs.values(), map(read.get, outputs))))
            changed |= read.keys() - outputs.keys()
        if changed is None:
            parts: dict[int, dict[str, tuple[str, str]]] = {n: {} for n in range(KEPT_PARTS)}
            for path, (own, key) in outputs.items():
                if isinstance(own, str):
                    parts[zlib.crc32(path.encode()) % KEPT_PARTS][path] = (own, key)
            return parts
        names = self._kept_names()
        parts = {}
        for path in changed:
            n = zlib.crc32(path.encode()) % KEPT_PARTS
            part = parts.get(n)
            if part is None:
                part = parts[n] = dict(self._kept_parts.get(names[n + 1], {}))
            own, key = outputs.get(path, (None, ""))
            if isinstance(own, str):
                part[path] = (own, key)
            else:
                part.pop(path, None)
        return parts

    def forget_manifest(self) -> None:
        """Before the output is replaced: until the new manifest is recorded, trust nothing in it,
        nor in the spare (the write stage changes it)."""
        if self.output is not None:
            self.store.forget("spare", str(self.output))
            self.store.forget_manifest(str(self.output))
        if self.memory is not None:
            self.memory.manifest = self.memory.published = None

    def record(self, report: Report) -> None:
        """After a successful swap: the manifest of what is now in the output, and pruning."""
        if self.output is None:
            return
        marker = marker_identity(self.output / MARKER)
        if marker is None:
            return
        outputs = self.written if self.written is not None else tree_identity(self.output)
        if self.memory is not None:
            # serve: the manifest it holds is told by the memory's own (`kept_hashes`), and one
            # of an output that is not the one it swapped in is not trusted (`_recorded_hashes`:
            # no SHA-256 is HELD), so its manifest.sha256 (4 MB at 20,000 pages) is not read
            # back and hashed
            published = HELD
        else:
            try:
                published = hashlib.sha256((self.output / routes.MANIFEST).read_bytes()).hexdigest()
            except OSError:
                published = ""
        manifest = Manifest(
            self.inputs,
            marker,
            outputs,
            report.warnings,
            report.files,
            report.pages,
            self.keys,
            self.sources,
            published,
            self.source,
            report.release_pages,
            report.releases,
        )
        if self.memory is None:  # made part by part as the store writes it
            self._record_kept()  # (committed with the manifest)
            self.store.record(str(self.output), manifest.parts(), built_release=self.built > 0)
            return
        # serve: kept in its memory alone (fresh.PageMemory `manifest`); the store prunes
        self.store.record(str(self.output), None, built_release=self.built > 0)
        self.memory.manifest = manifest
        marked = self.store.marked
        self.memory.used = (self.store.generation, marked) if marked is not None and self.store.usable else None
        self.memory.published = (published, self._published) if published and self._published is not None else None
