"""The client-side search index: what the browser's search looks through, built from the view
models, in fragments so that a query fetches only what it needs (Pagefind's design, measured in
bench/search_bench.py).

- `routes.SEARCH_INDEX`, the manifest: how many records, fragments of each kind.
- `search_fragment("w", n)`: the inverted index, the words in order (of UTF-16 code units, as
  the script compares them) cut into `word_fragments` ranges of about the same size; the
  manifest lists each range's first word, so a word typed so far finds the fragments of every
  word it begins. Each word lists the records it occurs in: (record id minus the one before,
  where it occurs (`FIELDS`; in a title also whether it is the title's first word and how many
  words the title has, `TITLE_WORDS`), the section of the page it first occurs in), flattened.
  So the script ranks "a title that is the query, or begins with it" before it fetches a record.
- `search_fragment("r", n)`: records `n * CHUNK` onwards, what a result shows (title, where it
  goes, a line of text, a status and what to use instead; an offering's description or a tool's
  whole reason as `d`).
- `search_fragment("t", id)`: a policy page's text, section by section (heading, anchor, text),
  for the lines around a word found in it.

URLs are site paths ("offerings/ci/"); the script makes them relative to the page it runs on.
Words are the text lower-cased, accents dropped, split at anything not a letter or a digit; a
page's text skips the small words of `STOP` (its title keeps them).
"""

from __future__ import annotations

import bisect
import contextlib
import json
import operator
import os
import re
import sys
import tempfile
import unicodedata
import weakref
import zlib
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from html import unescape
from html.parser import HTMLParser
from itertools import accumulate, chain, compress, pairwise
from pathlib import Path
from typing import Any, TypeVar, cast

from servicebook import routes
from servicebook.cache.codec import read_json
from servicebook.cache.digest import digest
from servicebook.cache.store import Entry, Store
from servicebook.catalog import model
from servicebook.site.parallel import map_shared
from servicebook.site.views import SiteView, ToolRef, ToolView

INDEX_VERSION = 2
EXCERPT_CHARS = 240
MAX_HEADINGS = 24
CHUNK = 16  # records per records fragment
# the records of an index by address: (record, its JSON text, its page's HTML digest, its key)
RecordTexts = dict[str, tuple[dict[str, Any], str, str, str]]
_FIRST, _SECOND, _FOURTH = operator.itemgetter(0), operator.itemgetter(1), operator.itemgetter(3)
_URL = operator.itemgetter("u")
_KIND = operator.itemgetter("k")
LONGEST_WORD = 40  # longer runs of letters and digits (hashes, keys) are not indexed

# Where in a record a word occurs, as bits (the script ranks a title above a page's body); "lead"
# is the title's first word.
FIELDS = {"title": 1, "keys": 2, "summary": 4, "body": 8, "lead": 16}
TITLE_WORDS = 5  # a title word's bits from here on: how many words its title has (7: 7 or more)

# Words a question is made of that say nothing about what is looked for (static/search.js has the same list).
STOP = frozenset(
    "a an and are can do does for from get how i in is it me my of on or our should the to use "  # noqa: SIM905
    "using we what when where which who why with you your".split()
)

# Record kinds, spelled out once: the script and the A-Z index label results with these.
KIND_LABELS = {
    "offering": "Offering",
    "slo": "SLO",
    "tool": "Tool",
    "policy": "Policy",
    "page": "Page",
}

_MARKS = re.compile("[\u0300-\u036f]")
_WORD = re.compile(r"[^\W_]+")


# ASCII text's bytes with every one but [a-z0-9] a space: what `_WORD` finds in lower-cased ASCII
_ASCII_WORDS = bytes(c if 48 <= c <= 57 or 97 <= c <= 122 else 32 for c in range(256))


def words(text: str) -> list[str]:
    """The words of `text` as the index and the script see them."""
    if text.isascii():  # nothing to decompose, no marks to drop (most text, and much faster)
        return text.lower().encode("ascii").translate(_ASCII_WORDS).decode("ascii").split()
    return _WORD.findall(_MARKS.sub("", unicodedata.normalize("NFD", text.lower())))


def word_fragments(records: int) -> int:
    """How many words fragments an index of `records` records has: one per 16 records or so."""
    n = 4
    while n < 1024 and n * 16 < records:
        n *= 2
    return n


def _order(word: str) -> bytes:  # JavaScript compares strings by UTF-16 code units
    return word.encode("utf-16-be")


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The first `limit` characters of `text` with whitespace collapsed, cut at a word boundary."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0].rstrip(",.;:—-– ")
    return cut + "…"


class _Sections(HTMLParser):
    """A page's rendered HTML as its sections' plain text, split at headings that have an id."""

    BLOCKS = frozenset("p li td th pre blockquote dd dt div br tr h1 h2 h3 h4 h5 h6".split())  # noqa: SIM905

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[list[str]] = [["", "", ""]]
        self._heading: str | None = None  # the tag of the heading being read
        self._skip = False  # in a heading's "#" link to itself

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        anchor = attributes.get("id")
        if tag == "a" and self._heading and attributes.get("class") == "anchor":
            self._skip = True
        elif tag in ("h2", "h3", "h4") and anchor:
            self._heading = tag
            self.sections.append(["", anchor, ""])
        elif tag in self.BLOCKS:
            self._add(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._skip = False
        elif tag == self._heading:
            self._heading = None
        elif tag in self.BLOCKS:
            self._add(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._add(data)

    def _add(self, text: str) -> None:
        self.sections[-1][0 if self._heading else 2] += text


def page_sections(html: str) -> list[tuple[str, str, str]]:
    """(heading, anchor, text) of each section of a page, the part before its first heading first
    (heading and anchor "")."""
    sections = _quick_sections(html)
    if sections is None:
        parser = _Sections()
        parser.feed(html)
        parser.close()
        sections = parser.sections
    return [(" ".join(h.split()), a, " ".join(t.split())) for h, a, t in sections]


# A start or end tag as the sanitizer writes them: attributes double-quoted or bare.
_TAG = re.compile(r'<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:="[^"]*")?)*)\s*(/?)>')
_ATTR = re.compile(r'([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:="([^"]*)")?')


def _quick_sections(html: str) -> list[list[str]] | None:  # noqa: C901 - one loop: what the handlers do, inline
    """What `_Sections` reads from `html`, with one regular expression instead of html.parser's
    state machine (a fifth of a full build's time went to it); None for anything but the plain
    tags and text the Markdown pipeline's sanitizer writes (a comment, a `<` in text, a script),
    which `_Sections` reads instead. A property test keeps the two equal."""
    blocks = _Sections.BLOCKS
    sections: list[list[list[str]]] = [[[], [""], []]]  # heading parts, anchor, text parts
    heading: str | None = None
    skip = False
    at = 0
    for tag in _TAG.finditer(html):
        text = html[at : tag.start()]
        at = tag.end()
        if text:
            if "<" in text:
                return None
            if not skip:
                sections[-1][0 if heading else 2].append(unescape(text) if "&" in text else text)
        closing, name, attrs, empty = tag.groups()
        name = name.lower()
        if not closing:
            if name in ("script", "style"):  # their content is not markup: html.parser reads it apart
                return None
            # only a heading's id and a link's class matter: most tags' attributes are not read
            if name == "a" and heading and attrs and _attributes(attrs).get("class") == "anchor":
                skip = True
            elif name in ("h2", "h3", "h4") and attrs and (anchor := _attributes(attrs).get("id")):
                heading = name
                sections.append([[], [anchor], []])
            elif name in blocks:
                sections[-1][0 if heading else 2].append(" ")
        if closing or empty:
            if name == "a":
                skip = False
            elif name == heading:
                heading = None
            elif name in blocks:
                sections[-1][0 if heading else 2].append(" ")
    rest = html[at:]
    if "<" in rest:
        return None
    if rest and not skip:
        sections[-1][0 if heading else 2].append(unescape(rest))
    return [["".join(h), a[0], "".join(t)] for h, a, t in sections]


def _attributes(attrs: str) -> dict[str, str | None]:
    """A tag's attributes as html.parser gives them: names lower-cased, values unescaped, the
    last of a repeated name."""
    if not attrs:
        return {}
    return {a[1].lower(): None if a[2] is None else unescape(a[2]) for a in _ATTR.finditer(attrs)}


def _tool_record(t: ToolView) -> dict[str, Any]:
    record: dict[str, Any] = {
        "k": "tool",
        "t": t.tool.name,
        "u": t.path,
        "s": excerpt(t.tool.reason),
        "x": " ".join([t.tool.id, t.category.name, *t.tool.renamed_from]),
        "st": t.tool.status.value,
        "sl": t.status,
    }
    if record["s"] != " ".join(t.tool.reason.split()):  # the whole reason, for the lines around a word
        record["d"] = " ".join(t.tool.reason.split())
    if t.alternative is not None:
        record["a"] = {"t": t.alternative.name, "u": t.alternative.url}
    if t.migration is not None:
        record["m"] = {"t": t.migration.meta.title, "u": routes.policy(t.migration.slug)}
    return record


def search_records(
    view: SiteView,
    policies: PolicyRecords | None = None,
    *,
    headings: bool = True,
    unmade: bool = False,
    memory: SearchMemory | None = None,
) -> list[dict[str, Any]]:
    """Every record, in the site's own order (offerings, SLOs, tools, policies, pages); a record's
    number in this list is its id in the index. `policies`: see `_policy_records`. Without
    `headings`, a policy page's record has none (`_record_text` writes them from the page). A
    record is never changed once made (the next index of the process may hold it). With
    `unmade`, each policy page's record is `_UNMADE` in the list, made where it is read
    (`_record_of`)."""
    records: list[dict[str, Any]] = []
    for o in view.offerings:
        off = o.offering
        offering: dict[str, Any] = {
            "k": "offering",
            "t": off.name,
            "u": o.path,
            "s": off.summary,
            "x": " ".join([off.id, off.owner, f"tier {off.tier.value}", *o.audience, *off.renamed_from]),
            "st": off.lifecycle.value,
            "sl": o.lifecycle,
        }
        if off.description:
            offering["d"] = " ".join(off.description.split())
        if o.replaced_by is not None:
            offering["a"] = {"t": o.replaced_by.name, "u": o.replaced_by.path}
        records.append(offering)
    for o in view.offerings:
        for s in o.slos:
            records.append(
                {
                    "k": "slo",
                    "t": f"{o.offering.name}: {s.slo.name}",
                    "u": f"{o.path}#slo-{s.slo.id}",
                    "s": f"{s.objective} over {s.budget.window_text}, error budget {s.budget.rounded}. {s.slo.sli}",
                    "x": "slo objective error budget",
                }
            )
    records.extend(_tool_record(t) for t in view.tools)
    records += [_UNMADE] * len(view.pages) if unmade else _policy_records(view.pages, policies, headings, memory)
    channels = ", ".join(c.name for c in view.support.support.channels)
    for sev in view.support.severities:
        severity = sev.severity
        records.append(
            {
                "k": "page",
                "t": f"{severity.id}: {severity.name}",
                "u": f"{routes.page('support')}#severity-{severity.id}",
                "s": f"{severity.description} First response: {sev.response} ({sev.coverage}).",
                "x": "severity response incident",
            }
        )
    support = view.support.support
    if support.oncall is not None:  # the parts of the support page people ask for by name
        records.append(
            {
                "k": "page",
                "t": "On call: help out of hours",
                "u": f"{routes.page('support')}#on-call",
                # whole: the way to reach on-call (a phone number) is at its end, and is the answer
                "s": " ".join(f"{support.oncall.summary} {support.oncall.how}".split()),
                "x": "on-call oncall pager paging incident outage night weekend",
            }
        )
    if support.escalation:
        records.append(
            {
                "k": "page",
                "t": "Escalation: when help is not enough",
                "u": f"{routes.page('support')}#escalation",
                "s": excerpt(" ".join(support.escalation)),
                "x": "escalate escalation manager complaint",
            }
        )
    # the fixed pages that have a record (routes.py), those every build has: a release has no others
    texts = {"support": f"{view.support.hours}. {channels}."}  # made of the catalog rather than fixed
    records += [
        {
            "k": "page",
            "t": page.search.title,
            "u": page.url,
            "s": texts.get(page.name, page.search.text),
            "x": page.search.words,
        }
        for page in routes.fixed_pages(history=False, releases=False)
        if page.search is not None
    ]
    _label_teams(view, records)
    return records


# the records of the policy pages of a process's last index: (page, its record) by id(page)
PolicyRecords = dict[int, tuple[model.Page, dict[str, Any]]]
# a policy page's record not made yet (`search_records`' `unmade`), in place of it in the list
_UNMADE: dict[str, Any] = {"k": "policy"}


def _record_of(records: list[dict[str, Any]], pages: dict[int, model.Page], rid: int) -> dict[str, Any]:
    """Record `rid`, made now (without its headings, as a build's) and put in its place in
    `records` if it was not (`_UNMADE`)."""
    record = records[rid]
    if record is _UNMADE:
        record = records[rid] = _policy_record(pages[rid], headings=False)
    return record


def _policy_records(
    pages: tuple[model.Page, ...], last: PolicyRecords | None, headings: bool, memory: SearchMemory | None = None
) -> list[dict[str, Any]]:
    """The records of `pages`. A page that is the very object a record in `last` was made of
    (`serve` loads again only the pages that changed) has that record, the same object: the page
    is frozen, and the record is made of it alone. `last` is left holding these. With `memory`
    (whose `policies` is `last`), as many pages as the last index's are found in its order
    (SearchMemory `policy_order`) at once, and `last` put right for those that are not the very
    objects at their place alone (at 20,000 pages, not a dict of 20,000 made again a rebuild)."""
    if last is None:
        return [_policy_record(p, headings) for p in pages]
    order = memory.policy_order if memory is not None else None
    if memory is not None and order is not None and len(order[0]) == len(pages):
        olds, records = order[0], list(order[1])
        changed = list(compress(range(len(pages)), map(operator.is_not, pages, olds)))
        for i in changed:
            known = last.get(id(pages[i]))
            records[i] = known[1] if known is not None and known[0] is pages[i] else _policy_record(pages[i])
        now = {id(pages[i]) for i in changed}
        for i in changed:  # (a page that left is at no place now; one that moved is at another)
            if id(olds[i]) not in now:
                last.pop(id(olds[i]), None)
        last.update((id(pages[i]), (pages[i], records[i])) for i in changed)
        memory.policy_order = (pages, records)
        return records
    now_records: PolicyRecords = {}
    for p in pages:
        known = last.get(id(p))
        now_records[id(p)] = known if known is not None and known[0] is p else (p, _policy_record(p))
    last.clear()
    last.update(now_records)
    records = [record for _, record in now_records.values()]
    if memory is not None:
        memory.policy_order = (pages, records)
    return records


def _policy_record(p: model.Page, headings: bool = True) -> dict[str, Any]:
    record: dict[str, Any] = {
        "k": "policy",
        "t": p.meta.title,
        "u": routes.policy(p.slug),
        "s": excerpt(p.meta.summary or p.text),
    }
    if headings and (found := _headings(p)):
        record["h"] = found
    keys = [p.meta.owner, *p.meta.renamed_from] if p.meta.owner else p.meta.renamed_from  # (found by its old names too)
    if keys:
        record["x"] = " ".join(keys)
    return record


def _headings(p: model.Page) -> tuple[tuple[str, str], ...]:
    """A policy page's headings as its record lists them: (text, anchor) of its first sections,
    written as JSON arrays. Tuples, as `serve` keeps its records: two-item lists were 4.1 MiB of
    what it held at 5,000 pages (55,000 of them), a tuple takes a block less each."""
    return tuple([(h.text, h.anchor) for h in p.headings if h.level in (2, 3)][:MAX_HEADINGS])


def _record_text(record: dict[str, Any], page: model.Page | None) -> str:
    """A record's JSON text; a policy page's record made without its headings (`search_records`)
    has them in its text all the same, where `_policy_record` puts them (before the owner, the
    last key even of a record `_label_teams` copied)."""
    if page is not None and "h" not in record and (headings := _headings(page)):
        owner = {"x": record["x"]} if "x" in record else {}
        record = {**{k: v for k, v in record.items() if k != "x"}, "h": headings, **owner}
    return _json(record)


# json.dumps(…, ensure_ascii=False, separators=(",", ":")) without making its encoder each time
_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def search_files(
    view: SiteView, store: Store | None = None, workers: int = 1, memory: SearchMemory | None = None
) -> dict[str, bytes]:
    """Every file of the index, by site path, made at once (`search_index` makes them lazily)."""
    return {f.path: f.make() for f in search_index(view, store, workers, memory)}


# the files of a process's last index, each with what it was made of: a records or words file by
# site path (its records' keys, its digest), a text fragment by its record's id (its page)
KeptFiles = dict[Any, tuple[object, Any]]


@dataclass(slots=True)
class SearchMemory:
    """What the last search index of a long-running process was made of, for the next to start
    from (site/search.py `search_index`): its records with their texts and keys, by address
    (search.RecordTexts), its words (None before the first index), and more of it by what each
    part was made of."""

    records: dict[str, tuple[dict[str, Any], str, str, str]] = field(default_factory=dict)
    words: IndexWords | None = None
    policies: PolicyRecords = field(default_factory=dict)  # its policy pages' records, by page
    files: KeptFiles = field(default_factory=dict)  # its records and words files, by site path
    texts: KeptFiles = field(default_factory=dict)  # its text fragments, by record id
    made_as: object = None  # what its files were made as (`index_files`' `file`)
    # what its records were made of (`_made_of`): the record count, the policy pages' record ids,
    # the pages, and what each record was made of
    made: tuple[int, list[int], list[model.Page], list[str]] | None = None
    # its policy pages in order, and their records (`_policy_records`)
    policy_order: tuple[tuple[model.Page, ...], list[dict[str, Any]]] | None = None
    # its records in order, with each one's text and key (`_record_texts`), as `records` holds them
    listed: tuple[list[dict[str, Any]], list[str], list[str]] | None = None
    # what `files` were made of: each record's key and each words fragment's digest, in order
    # (set with `files`: the next index looks again only at the chunks and fragments that differ)
    files_of: tuple[list[str], list[str]] | None = None
    # its records, their kinds, the policy pages' record ids and the pages by them, and the site
    # view's pages they were taken from (`_kinds_and_pages`)
    kinds_of: (
        tuple[list[dict[str, Any]], list[list[object]], list[int], dict[int, model.Page], tuple[model.Page, ...]] | None
    ) = None
    # what `texts` holds, in the order of the policy pages' records: the records' kinds (which say
    # the policy pages' ids, `_policy_ids`), their pages (the site view's very tuple) and their
    # files (set with `texts`; the next index patches them where a page changed)
    texts_of: tuple[list[list[object]], tuple[model.Page, ...], list[Any]] | None = None


@dataclass(frozen=True, slots=True)
class IndexFile:
    """One file of the index: where it goes, a digest of its bytes (or of all they are made
    from), and what makes them (in a render worker: it reads no store)."""

    path: str
    inputs: str
    make: Callable[[], bytes]


def search_index(
    view: SiteView, store: Store | None = None, workers: int = 1, memory: SearchMemory | None = None
) -> tuple[IndexFile, ...]:
    """The index's files in a fixed order: the manifest, the records, the words, the texts (see
    `index_files`)."""
    return index_files(view, IndexFile, store, workers, memory)


F = TypeVar("F")


def index_files(
    view: SiteView,
    file: Callable[[str, str, Callable[[], bytes]], F],
    store: Store | None = None,
    workers: int = 1,
    memory: SearchMemory | None = None,
    made_of: Mapping[str, str] | None = None,
) -> tuple[F, ...]:
    """The index's files in a fixed order: the manifest, the records, the words, the texts, each
    made as `file(path, inputs, make)`: where it goes, a digest of its bytes (or of all they are
    made from), and what makes them (in a render worker: it reads no store).

    Each record's words ("postings": word, where, section) are kept in `store` under a digest
    of the record and, for a policy page, of its HTML, so a page is read for its words once in
    the life of the store whatever the build (the current catalog, any release, `serve`). The
    words of the last index made (`_State`: each record's key, each word's encoded size, each
    fragment's text) are kept there too, and the next index is made from it: only the records
    whose key changed are taken out and put in, only their words' postings are encoded again,
    and only the fragments those words (or a moved cut between ranges) land in are made again;
    the others are the very bytes of the last index. The result is the same, byte for byte, as
    an index made from nothing (tests/test_search_incremental.py).

    `memory` (`serve`: fresh.PageMemory.search) holds what the last index the process made was
    made of: its records, with their texts and keys, its words (`IndexWords`), which the next
    index starts from instead of what the store holds, and its files, each the very object
    `file` made while what it is made of is the same; it is left holding this index's.
    Without `memory`, the records and words files are made as the index is, into a temporary
    file (`_Spill`), and read from there when asked for.

    `made_of` (the command line: load.Loaded `page_digests`, each policy page's slug, source,
    front matter and headings as a digest) says what each policy page's record is made of: with
    its HTML's digest, what the last index's state stored beside each record's key (`_Blocks`),
    so that a page whose record is the last index's has that record's key without its text
    being written out and digested again (most of them, in a rebuild), and its records file is
    written only if asked for."""
    # a cold build's policy records are made without their headings, which only their texts
    # need: as lists they were two thirds of what the records held (16 MiB at 20,000 pages)
    # the command line, with what the records are made of: the policy pages' records made only
    # where their key is not the last index's (`_record_keys`), or their file or words are made
    usable = store if store is not None and store.usable else None
    keyed = memory is None and made_of is not None and usable is not None and view.site.federation is None
    records = search_records(
        view, memory.policies if memory is not None else None, headings=memory is not None, unmade=keyed, memory=memory
    )
    kinds, policy, pages = _kinds_and_pages(records, view, memory)
    base: IndexWords | None = None
    made: list[str] | None = None  # what each record is made of (`_made_of`; "" for the others)
    if made_of is not None and usable is not None and view.site.federation is None:
        # stored with the runs by `serve` too, for the command line's next rebuild to key by
        made = _made_of(len(records), pages, made_of, memory)
        if keyed:
            base = _Words.stored(usable)
    written: list[str | None] = []
    all_texts: list[str] = []  # (`serve`: every record's text, each chunk's file made of them where it changed)
    if memory is not None:
        again = _texts_again(records, pages, memory)
        all_texts, keys = again if again is not None else _record_texts(records, pages, memory.records)
        memory.listed = (records, all_texts, keys)
    else:
        written, keys = _record_keys(records, pages, made, base)
    spill = _Spill() if memory is None else None  # `serve` keeps the texts for its next index
    records_files: list[Callable[[], bytes]] = []
    if spill is not None:
        for n in range(0, len(records), CHUNK):
            chunk = written[n : n + CHUNK]
            if None in chunk:  # records whose text was not written: written if the file is asked for
                records_files.append(partial(_records_file_of, records, pages, n, chunk))
            else:
                records_files.append(spill.keep(_records_file(cast(list[str], chunk))))
    del written  # in a cold build, in the spill: not held while the words are made
    start = memory.words if memory is not None else base
    words = _Words(records, pages, keys, store, workers, start, spill, made, read=base is not None)
    words_made = words.make()
    # a file the last index of the process made of the same keys, the same text, the same page
    # object is that index's (the same bytes, the same object), not made again
    same_kind = memory is not None and memory.made_as is file
    last: KeptFiles = memory.files if memory is not None and same_kind else {}
    last_texts: KeptFiles = memory.texts if memory is not None and same_kind else {}
    kept: KeptFiles = {}  # each file and what it was made of, for the next index of the process
    manifest = _compact(
        {
            "servicebook_search": INDEX_VERSION,
            "catalog_version": view.site.catalog.version,
            "records": len(records),
            "chunk": CHUNK,
            "words": words_made.firsts,
            "kinds": kinds,
        }
    )
    files = [file(routes.SEARCH_INDEX, digest(manifest), partial(bytes, manifest))]
    digests = [key for key, _ in words_made.fragments]
    carried = _kept_files(memory, last, keys, words_made.fragments, file) if memory is not None and same_kind else None
    if carried is not None:
        kept = carried
    else:
        for n in range(0, len(records), CHUNK):
            chunk_keys = keys[n : n + CHUNK]  # a record's key covers its text
            path = routes.search_fragment("r", n // CHUNK)
            known = last.get(path)
            if known is None or known[0] != chunk_keys:
                maker = (
                    records_files[n // CHUNK] if spill is not None else partial(_records_file, all_texts[n : n + CHUNK])
                )
                known = (chunk_keys, file(path, digest("\n".join(chunk_keys)), maker))
            kept[path] = known
        for n, (key, body) in enumerate(words_made.fragments):
            path = routes.search_fragment("w", n)
            known = last.get(path)
            if known is None or known[0] != key:
                known = (key, file(path, key, body))
            kept[path] = known
    files += [made for _, made in kept.values()]
    if memory is None:  # a file each, kept by nothing (20,000 at 20,000 pages)
        files += _text_files(pages, file)
        return tuple(files)
    memory.files_of = None  # (until `files` is this index's too)
    memory.files = kept
    memory.files_of = (keys, digests)
    texts, listed = _text_fragments(view, kinds, policy, pages, memory, last_texts, file)
    files += listed
    memory.words = words_made.words
    memory.texts = texts
    memory.made_as = file
    return tuple(files)


def _kinds_and_pages(
    records: list[dict[str, Any]], view: SiteView, memory: SearchMemory | None
) -> tuple[list[list[object]], list[int], dict[int, model.Page]]:
    """The records' kinds (`_kinds`), the policy pages' record ids in the order of `view.pages`
    (`_policy_ids`) and the pages by those ids. With a `memory` (`serve`), the last index's
    (`SearchMemory.kinds_of`) while each record that is not the very one at its place is of the
    same kind as that one, with the pages put right where the page is not the very object (found
    at once: each of 20,000 records' kind read and a dict of 20,000 pages made, a rebuild);
    `memory` is left holding these."""
    last = memory.kinds_of if memory is not None else None
    if memory is not None:
        memory.kinds_of = None  # (until it holds these, below)
    found: tuple[list[list[object]], list[int], dict[int, model.Page]] | None = None
    if last is not None and len(last[0]) == len(records) and len(last[4]) == len(view.pages):
        old, kinds, policy, old_pages, shown = last
        moved = compress(range(len(records)), map(operator.is_not, records, old))
        if all(_KIND(records[rid]) == _KIND(old[rid]) for rid in moved):
            pages = dict(old_pages)  # (a copy at once: the last index's stands while this one is made)
            for at in compress(range(len(policy)), map(operator.is_not, view.pages, shown)):
                pages[policy[at]] = view.pages[at]
            found = (kinds, policy, pages)
    if found is None:
        kinds = _kinds(records)  # (a policy page's record made later is one still: `_UNMADE`)
        policy = _policy_ids(kinds, len(records))
        found = (kinds, policy, dict(zip(policy, view.pages, strict=True)))
    if memory is not None:
        memory.kinds_of = (records, *found, view.pages)
    return found


def _text_fragments(
    view: SiteView,
    kinds: list[list[object]],
    policy: list[int],
    pages: dict[int, model.Page],
    memory: SearchMemory,
    last_texts: KeptFiles,
    file: Callable[[str, str, Callable[[], bytes]], F],
) -> tuple[KeptFiles, list[Any]]:
    """`serve`: the index's text fragments, a file each policy page's record (`pages`, by its id,
    in the order of `view.pages`; `policy`, their ids in that order), the last index's
    (`last_texts`) where the page is the very object it was; and the files in that order. When
    the last index's are of the records of the same kinds at the same places (`kinds`, which say
    the policy pages' ids) and of as many pages (`SearchMemory.texts_of`), its files are taken in
    order and put right where the page is not the one it held (pages compared by identity at
    once, not each entry looked at: 20,000 at 20,000 pages); `last_texts` is then patched in
    place."""
    fragment = routes.search_fragment
    texts: KeptFiles = {}
    look: Iterable[int] = policy
    texts_of = memory.texts_of if last_texts else None
    memory.texts_of = None  # (until `texts` is this index's, below)
    listed: list[Any] | None = None
    if texts_of is not None and texts_of[0] == kinds and len(texts_of[1]) == len(view.pages) == len(last_texts):
        # the last text fragments in order, put right where the page is not the very object: the
        # pages compared by identity with those the last index held, not each one's entry looked at
        texts, listed = last_texts, texts_of[2]  # (each patched in place: `texts_of` is None meanwhile)
        changed = list(compress(range(len(policy)), map(operator.is_not, view.pages, texts_of[1])))
        for at in changed:
            rid, page = policy[at], view.pages[at]
            known = texts.get(rid)
            if known is None or known[0] is not page:
                known = (page, file(fragment("t", rid), page.html_sha256, partial(_text_file, page)))
                texts[rid] = known
            listed[at] = known[1]
        look = ()
    elif len(last_texts) == len(policy) and list(last_texts) == policy:
        # the last text fragments, but where the page is not the very object (found at once)
        texts = dict(last_texts)
        olds = map(_FIRST, last_texts.values())
        look = list(compress(policy, map(operator.is_not, view.pages, olds)))  # (`pages`: `policy`'s, in order)
    for rid in look:
        page = pages[rid]
        known = last_texts.get(rid)
        if known is None or known[0] is not page:
            known = (page, file(fragment("t", rid), page.html_sha256, partial(_text_file, page)))
        texts[rid] = known
    if listed is None:
        listed = [made for _, made in texts.values()]
    memory.texts_of = (kinds, view.pages, listed)
    return texts, listed


def _kept_files(
    memory: SearchMemory,
    last: KeptFiles,
    keys: list[str],
    fragments: list[tuple[str, Callable[[], bytes]]],
    file: Callable[[str, str, Callable[[], bytes]], F],
) -> KeptFiles | None:
    """`serve`: the records and words files of the index (`index_files`' `kept`), the last
    index's (`last`, in its order: the records files, then the words files) but for the chunks
    of records with a key that is not the very one the last had at its place and the words
    fragments whose digest is not the last's, each of them made again where what it is made of
    differs. Found by comparing the keys and digests with those the last files were made of
    (`SearchMemory.files_of`), at once, not each file's path made and its entry looked at (at
    20,000 pages, 1,250 records files and 1,024 words files a rebuild). None when the last
    index's files are not those of as many records and fragments."""
    made_of = memory.files_of
    listed = memory.listed
    chunks = -(-len(keys) // CHUNK)
    digests = [key for key, _ in fragments]
    if made_of is None or listed is None or len(made_of[0]) != len(keys) or len(made_of[1]) != len(digests):
        return None
    if len(last) != chunks + len(digests):
        return None
    old_keys, old_digests = made_of
    paths = list(last)  # (the records files' paths in order, then the words files')
    kept = dict(last)
    texts = listed[1]  # this index's records' texts (`index_files` set `listed` before)
    for c in sorted({rid // CHUNK for rid in compress(range(len(keys)), map(operator.is_not, keys, old_keys))}):
        path, n = paths[c], c * CHUNK
        chunk_keys = keys[n : n + CHUNK]
        if kept[path][0] != chunk_keys:
            maker = partial(_records_file, texts[n : n + CHUNK])
            kept[path] = (chunk_keys, file(path, digest("\n".join(chunk_keys)), maker))
    for n in compress(range(len(digests)), map(operator.ne, digests, old_digests)):
        path = paths[chunks + n]
        key, body = fragments[n]
        if kept[path][0] != key:
            kept[path] = (key, file(path, key, body))
    return kept


def text_files(view: SiteView, file: Callable[[str, str, Callable[[], bytes]], F]) -> Iterator[F]:
    """The index's text fragments, a file each policy page, as `index_files` makes them, in its
    order (the same paths, inputs and makers) without the rest of the index: each is its page's
    alone. Not for an organisation site (whose records `index_files` labels by team)."""
    if view.site.federation is not None:
        raise ValueError("an organisation site's text fragments are made with its index")
    records = search_records(view, unmade=True)  # (only their kinds are read: the policy pages' ids)
    return _text_files(dict(zip(_policy_ids(_kinds(records), len(records)), view.pages, strict=True)), file)


def _text_files(pages: dict[int, model.Page], file: Callable[[str, str, Callable[[], bytes]], F]) -> Iterator[F]:
    fragment = routes.search_fragment
    return (file(fragment("t", rid), page.html_sha256, partial(_text_file, page)) for rid, page in pages.items())


def _record_texts(
    records: list[dict[str, Any]], pages: dict[int, model.Page], last: RecordTexts | None
) -> tuple[list[str], list[str]]:
    """Each record's JSON text, and its key: a digest of that text and of its page's HTML. Those
    of a record equal to one in `last` (the last index of this process, by its address), with the
    same HTML, are taken from it (`serve` makes an index after every edit, most records unchanged:
    comparing a record is cheaper than writing it out). `last` is left holding these."""
    now: RecordTexts = {}
    texts: list[str] = []
    keys: list[str] = []
    get = (last if last is not None else {}).get
    look: Iterable[int] = range(len(records))
    if last is not None and len(last) == len(records):
        # a record that is the very object at its place is of the very page it was (`_policy_records`),
        # with the same HTML: its text and key stand (found at once: 20,000 records at 20,000 pages)
        entries = list(last.values())
        same = list(map(operator.is_, records, map(_FIRST, entries)))
        if any(same):
            texts, keys = list(map(_SECOND, entries)), list(map(_FOURTH, entries))
            now = dict(zip(map(_URL, records), entries, strict=True))
            look = list(compress(range(len(records)), map(operator.not_, same)))
    for rid in look:
        record = records[rid]
        page = pages.get(rid)
        html = page.html_sha256 if page is not None else ""
        known = get(record["u"])
        if known is not None and known[0] is record and known[2] == html:  # most of them, in `serve`
            now[record["u"]] = known
            text, key = known[1], known[3]
        elif known is not None and known[2] == html and known[0] == record:
            # kept as this index has it: the very object next time, when it is (`_policy_records`)
            text, key = known[1], known[3]
            now[record["u"]] = (record, text, html, key)
        else:
            text = _record_text(record, page)
            key = digest(text, html)
            if last is not None:
                now[record["u"]] = (record, text, html, key)
        if isinstance(look, range):
            texts.append(text)
            keys.append(key)
        else:
            texts[rid], keys[rid] = text, key
    if last is not None:
        last.clear()
        last.update(now)
    return texts, keys


def _texts_again(
    records: list[dict[str, Any]], pages: dict[int, model.Page], memory: SearchMemory
) -> tuple[list[str], list[str]] | None:
    """`serve`: each record's JSON text and key (`_record_texts`), the last index's in order
    (SearchMemory `listed`) but for the records that are not the very object at their place,
    when each of those has the address of the one it replaces: `memory.records` is put right
    for them alone, at their addresses (the same places), not made again of every record's
    address (at 20,000 pages, a dict of 20,000 addresses and three passes over its entries a
    rebuild). None, and nothing changed, when they are not so (`_record_texts` then)."""
    listed, last = memory.listed, memory.records
    if listed is None or len(listed[0]) != len(records) or len(last) != len(records):
        return None  # (as many addresses as records: each record's at its place in `last`)
    old, old_texts, old_keys = listed
    changed = list(compress(range(len(records)), map(operator.is_not, records, old)))
    if any(records[rid]["u"] != old[rid]["u"] for rid in changed):
        return None
    texts, keys = list(old_texts), list(old_keys)
    for rid in changed:
        record = records[rid]
        page = pages.get(rid)
        html = page.html_sha256 if page is not None else ""
        url = record["u"]
        known = last.get(url)  # (there: the address was at this place)
        if known is not None and known[2] == html and (known[0] is record or known[0] == record):
            # kept as this index has it: the very object next time, when it is (`_policy_records`)
            text, key = known[1], known[3]
            last[url] = (record, text, html, key)
        else:
            text = _record_text(record, page)
            key = digest(text, html)
            last[url] = (record, text, html, key)
        texts[rid], keys[rid] = text, key
    return texts, keys


def _made_of(
    count: int, pages: dict[int, model.Page], digests: Mapping[str, str], memory: SearchMemory | None = None
) -> list[str]:
    """What each of `count` records is made of, as the index's state keeps it beside its key: for
    a policy page with a summary, the digest of its slug, source, front matter and headings
    (`digests`, load.Loaded `page_digests`) and its HTML's, which are all its record and its key
    are made of (`_policy_record`, `_record_text`); "" for any other record (a page without a
    summary has the beginning of its text in its record, which neither digest covers).
    With a `memory` (`serve`), the last index's, but for the records whose page is not the very
    object it was (found at once: 20,000 pages at 20,000 pages): a page's digest is of its own
    fields (load.py `_load_page`), so the very page has the digest it had, not looked up again
    (a page's slug and a lookup for each of 20,000 pages were most of this a rebuild). `memory`
    is left holding these."""
    rids, now = list(pages), list(pages.values())
    last = memory.made if memory is not None else None
    if last is not None and last[0] == count and last[1] == rids:
        made = list(last[3])
        look: Iterable[int] = compress(range(len(rids)), map(operator.is_not, now, last[2]))
    else:
        made, look = [""] * count, range(len(rids))
    for n in look:
        page = now[n]
        made[rids[n]] = _made_one(page, digests.get(page.slug))
    if memory is not None:
        memory.made = (count, rids, now, made)
    return made


def _made_one(page: model.Page, seen: str | None) -> str:
    """What the record of `page`, given the digest `seen`, is made of (`_made_of`)."""
    return f"{seen} {page.html_sha256}" if page.meta.summary and seen else ""


def _record_keys(
    records: list[dict[str, Any]], pages: dict[int, model.Page], made: list[str] | None, base: IndexWords | None
) -> tuple[list[str | None], list[str]]:
    """Each record's JSON text and key (`_record_texts`), but for a record made of what one of the
    last index's was (`made`, `_made_of`): that one's key, and no text (None: written, by
    `_records_file_of`, only if its records file is made)."""
    known: dict[str, str] = {}
    if made is not None and base is not None and len(base.state.made) == len(base.state.records):
        known = {m: key for m, key in zip(base.state.made, base.state.records, strict=True) if m}
    if not known:
        for rid in pages:
            _record_of(records, pages, rid)
        texts, all_keys = _record_texts(records, pages, None)
        return list(texts), all_keys
    assert made is not None
    written: list[str | None] = []
    keys: list[str] = []
    for rid, m in enumerate(made):
        key = known.get(m) if m else None
        if key is not None:
            written.append(None)
            keys.append(key)
            continue
        page = pages.get(rid)
        text = _record_text(_record_of(records, pages, rid), page)
        written.append(text)
        keys.append(digest(text, page.html_sha256 if page is not None else ""))
    return written, keys


def _records_file_of(
    records: list[dict[str, Any]], pages: dict[int, model.Page], first: int, texts: list[str | None]
) -> bytes:
    """A records file whose records' texts were not all written (`_record_keys`), from record
    `first` on."""
    return _records_file(
        [
            text if text is not None else _record_text(_record_of(records, pages, first + n), pages.get(first + n))
            for n, text in enumerate(texts)
        ]
    )


def _utf8(text: str) -> bytes:
    return text.encode("utf-8")


class _Spill:
    """Files of a cold build's index, made before the render workers make the data files, held
    in a temporary file rather than in memory until then (at 20,000 pages the words and records
    files are 34 MB, and all of them at once were most of what the build held when its render
    workers were forked). Read with `os.pread`: a forked worker reads them as this process wrote
    them. The file has no name; it is closed, and gone, once nothing holds a maker of it. Where
    no temporary file can be made or written (no temporary folder, a full disk), the files are
    held in memory, as they were before: the index is the same, its build only larger."""

    def __init__(self) -> None:
        self._fd = -1  # none: held in memory
        self._end = 0
        # the last index's fragments left in the store (`stored`): where each is, by digest, and
        # where it was put in this file before a fork, once it is
        self._left: dict[str, _StoredFragments] = {}
        self._placed: dict[str, Callable[[], bytes]] = {}
        self._pid = os.getpid()
        try:
            fd, name = tempfile.mkstemp(prefix="servicebook-search-")
        except OSError:
            return
        weakref.finalize(self, os.close, fd)
        try:
            Path(name).unlink()  # the file lives on, nameless, while `fd` is open
        except OSError:
            return  # not used: the files are held in memory
        self._fd = fd

    def keep(self, data: bytes) -> Callable[[], bytes]:
        """`data` written to the file; what reads it back."""
        fd, at = self._fd, self._end
        view = memoryview(data)
        try:
            while fd >= 0 and view:
                view = view[os.pwrite(fd, view, at + len(data) - len(view)) :]
        except OSError:
            self._fd = fd = -1  # the rest are held in memory; those written stay readable
        if fd < 0:
            return partial(bytes, data)
        self._end += len(data)
        return partial(self._read, fd, at, len(data))  # which holds this, and so the file open

    def stored(self, fragments: _StoredFragments, key: str, again: Callable[[], bytes]) -> Callable[[], bytes]:
        """What makes the bytes of a words fragment the last index had, left in the store under
        `key`: read from there when asked for in this process; in a worker forked from it
        (which must not use the store's connection), from this file, where those not read yet
        are put before each fork (`_before_fork`); made by `again` (the index made from
        nothing) where the store no longer holds it as it was."""
        self._left[key] = fragments
        _LEFT.add(self)
        return partial(self._stored, key, again)

    def _stored(self, key: str, again: Callable[[], bytes]) -> bytes:
        placed = self._placed.get(key)
        if placed is not None:
            return placed()
        fragments = self._left.get(key)
        if fragments is not None and os.getpid() == self._pid:
            try:
                return _utf8(fragments.text(key))
            except KeyError:
                pass
        return again()

    def place_stored(self) -> None:
        """Before a fork: each fragment left in the store not put in this file yet put there."""
        if os.getpid() != self._pid:
            return
        for key, fragments in self._left.items():
            if key not in self._placed:
                try:
                    self._placed[key] = self.keep(_utf8(fragments.text(key)))
                except KeyError:  # gone or altered: made again where asked for (`_stored`)
                    continue

    def _read(self, fd: int, at: int, size: int) -> bytes:
        data = os.pread(fd, size, at)
        if len(data) != size:
            raise OSError(f"the search index's temporary file lost {size - len(data)} bytes")
        return data


_LEFT: weakref.WeakSet[_Spill] = weakref.WeakSet()  # those with fragments left in the store (`_Spill.stored`)


def _before_fork() -> None:
    for spill in list(_LEFT):
        with contextlib.suppress(Exception):  # a worker then makes such a fragment again (`_Spill._stored`)
            spill.place_stored()


os.register_at_fork(before=_before_fork)


def _records_file(texts: list[str]) -> bytes:
    return ('{"records":[' + ",".join(texts) + "]}\n").encode("utf-8")


def _text_file(page: model.Page) -> bytes:
    # the page, not its HTML: a build keeps that in its spool (model.Page `spooled`), read here,
    # in the render worker that makes this file; the fragment itself when the page's render made it
    parts = spooled_parts(page)
    if parts is not None:
        return parts[1]
    return _compact({"sections": page_sections(page.html)})


def page_parts(sections: list[tuple[str, str, str]], html_sha256: str) -> bytes:
    """What the index needs of a policy page's HTML, made once, where the page was rendered
    (site/load.py, in the worker that renders its Markdown), from its `sections` as
    `page_sections` reads them from the HTML (content/markdown.py `search_sections` reads them
    from the Markdown's tokens): the digest of the HTML (so that a reader can tell these are its
    page's), the postings of its sections (`section_postings`: a record's postings are those of
    its own fields and these, see `merged_postings`) and its text fragment, the file's very bytes;
    a line each."""
    postings = json.dumps(section_postings(sections), ensure_ascii=False, separators=(",", ":"))
    return f"{html_sha256}\n{postings}\n".encode() + _compact({"sections": sections})


def spooled_parts(page: model.Page) -> tuple[bytes, bytes] | None:
    """The postings (JSON) and the text fragment `page_parts` made of `page`, where the build
    kept them (model.Page `search_spooled`); None when it did not, or they are not its HTML's."""
    if len(page.search_spooled) != 3:
        return None
    fd, offset, size = page.search_spooled
    try:
        data = os.pread(fd, size, offset)
    except OSError:
        return None
    made_of, _, rest = data.partition(b"\n")
    if len(data) != size or made_of != page.html_sha256.encode():
        return None
    postings, _, fragment = rest.partition(b"\n")
    return postings, fragment


def _add_words(found: dict[str, list[int]], bit: int, text: str, section: int = 0, skip: Container[str] = ()) -> None:
    """Each word of `text` into `found` (word → [where, section]): its `bit` added, and `section`
    when it has none yet (the first section other than the first it occurs in)."""
    for w in dict.fromkeys(words(text)):  # a word again in the same text changes nothing
        if len(w) > LONGEST_WORD or w in skip:
            continue
        at = found.get(w)
        if at is None:
            found[w] = [bit, section]
        else:
            at[0] |= bit
            if not at[1]:
                at[1] = section


def _record_words(record: dict[str, Any]) -> dict[str, list[int]]:
    """The words of a record's own fields (not its page's sections), all in section 0."""
    found: dict[str, list[int]] = {}
    _add_words(found, FIELDS["title"], record["t"])
    title = words(record["t"])
    for n, w in enumerate(title):
        if len(w) <= LONGEST_WORD:
            found[w][0] |= (FIELDS["lead"] if n == 0 else 0) | min(len(title), 7) << TITLE_WORDS
    alternative = record.get("a")
    keys = " ".join([record.get("x", ""), record.get("sl", ""), alternative["t"] if alternative else ""])
    _add_words(found, FIELDS["keys"], keys)
    _add_words(found, FIELDS["summary"], record["s"])
    if "d" in record:
        _add_words(found, FIELDS["body"], record["d"], skip=STOP)
    return found


def _section_words(found: dict[str, list[int]], sections: Iterable[tuple[str, str, str]]) -> dict[str, list[int]]:
    for n, (heading, _anchor, text) in enumerate(sections):
        _add_words(found, FIELDS["keys"], heading, n)
        _add_words(found, FIELDS["body"], text, n, STOP)
    return found


def _flat(found: dict[str, list[int]]) -> list[Any]:
    return [part for w, (where, section) in found.items() for part in (w, where, section)]


def record_postings(record: dict[str, Any], sections: list[tuple[str, str, str]]) -> list[Any]:
    """Where each word of one record occurs, whatever the record's id: [word, where, section, …]
    (`FIELDS` and `TITLE_WORDS` bits; the first section other than the first it occurs in)."""
    return _flat(_section_words(_record_words(record), sections))


def section_postings(sections: list[tuple[str, str, str]]) -> list[Any]:
    """The postings of a page's sections alone (`record_postings` without the record's fields)."""
    return _flat(_section_words({}, sections))


def merged_postings(record: dict[str, Any], postings: list[Any]) -> list[Any]:
    """`record_postings(record, sections)` from the `section_postings(sections)` made before:
    the record's own words are all in section 0, so a word of both has the bits of both and the
    sections' section; the same list, in the same order."""
    return _merged(_record_words(record), postings)


def _merged(found: dict[str, list[int]], postings: list[Any]) -> list[Any]:
    """The postings of a record's own words (`found`, which this changes) and of the rest."""
    for w, where, section in zip(postings[0::3], postings[1::3], postings[2::3], strict=True):
        at = found.get(w)
        if at is None:
            found[w] = [where, section]
        else:
            at[0] |= where
            if not at[1]:
                at[1] = section
    return _flat(found)


def _tokenise(shared: tuple[list[dict[str, Any]], dict[int, model.Page]], rid: int) -> list[Any]:
    records, pages = shared
    page = pages.get(rid)
    return record_postings(_record_of(records, pages, rid), page_sections(page.html) if page is not None else [])


POSTINGS_BATCH = 256  # records whose postings are made (or read from the store) at a time
_POSTINGS = "search-postings"  # a record's postings, under its key
_FRAGMENT = "search-words"  # a words fragment's text, under its digest
_STATE = "search-state"  # an index's _State, under its digest
_BLOCK_KEYS = "search-block-keys"  # a run of an index's records (`_Blocks`): their keys, under a digest of them
_BUNDLE = "search-bundle"  # the same run: each record's postings as stored (a list of them), under the same digest
_LATEST = "search-latest"  # the digest of the last _State made, under LATEST_KEY
LATEST_KEY = "latest"  # a fixed key: the next index starts from whichever was made last (any is right)
_EMPTY = "{}\n"


@dataclass(slots=True)
class _State:
    """What the next index is made from: each record's key, the words in order with the size each
    counts for when the words are cut into ranges, where each range starts, its text's digest;
    and the records in runs (`_Blocks`), each run's digest and length. Stored with the runs in
    place of the records' keys: the keys of a run are stored under its digest (_BLOCK_KEYS), so
    that an index after an edit stores the keys of the run that changed, not of every record."""

    records: list[str]
    words: list[str]
    sizes: list[int]
    starts: list[int]
    digests: list[str]
    blocks: list[tuple[str, int]] = field(default_factory=list)
    # what each record is made of, beside its key (`_made_of`; "" where not known), read from its
    # blocks with their keys
    made: list[str] = field(default_factory=list)
    # `words` as JSON, once written (`to_json`): the next state of the process that has the very
    # same list of words (an edit that brought no word in and took none out) writes it as it is
    words_json: str | None = None
    # `sizes` as JSON without its brackets, a part for each range of words (`starts`), when known
    # (`_Words._cut`: a range that is the last state's, of the same words, takes its part as it is)
    sizes_parts: list[str] | None = None

    def to_json(self) -> str:
        """`json.dumps({"search": [blocks, words, sizes, starts, digests]}, ensure_ascii=False)`,
        the words written once for the list (most of the state: ~100,000 words at 20,000 pages),
        the sizes joined of their ranges' parts where those are known."""
        if self.words_json is None:
            self.words_json = json.dumps(self.words, ensure_ascii=False)
        # (a part is `json.dumps` of its range's sizes, less its brackets)
        sizes = json.dumps(self.sizes) if self.sizes_parts is None else "[" + ", ".join(self.sizes_parts) + "]"
        parts = [json.dumps(part, ensure_ascii=False) for part in (self.blocks, self.starts, self.digests)]
        return '{"search": [' + ", ".join([parts[0], self.words_json, sizes, *parts[1:]]) + "]}"

    @classmethod
    def from_json(cls, text: str) -> _State:
        """The state stored, without its records' keys (`records` is empty: they are read from
        its blocks')."""
        blocks, words_, sizes, starts, digests = read_json(text)["search"]
        if not all(isinstance(part, list) for part in (blocks, words_, sizes, starts, digests)):
            raise ValueError("a search state's parts are not lists")
        if not (len(words_) == len(sizes) and len(starts) == len(digests)):
            raise ValueError("inconsistent search state")
        runs = [(key, n) for key, n in blocks]
        if not all(isinstance(key, str) and type(n) is int and n > 0 for key, n in runs):
            raise ValueError("a search state's blocks are not runs of records")
        # what this code writes (the store may hold what anyone wrote): words that are texts, sizes
        # that are counts, ranges that start at the first word and each after the one before
        if not (all(isinstance(w, str) for w in words_) and all(type(n) is int for n in sizes)):
            raise ValueError("a search state's words are not words")
        if not all(isinstance(d, str) for d in digests) or starts[:1] != ([0] if words_ else []):
            raise ValueError("a search state's ranges are not ranges of its words")
        if not all(type(a) is int for a in starts) or not all(a < b < len(words_) for a, b in pairwise(starts)):
            raise ValueError("a search state's ranges are not ranges of its words")
        return cls([], words_, sizes, starts, digests, runs)


_RUNS_KEPT = 16  # runs of the last index read for one call of `_Blocks.old_postings` kept for the next, at most
_BLOCK_ENDS = frozenset(f"{n:02x}" for n in range(0, 256, 64))  # a run ends at a record whose key ends so


class _Blocks:
    """An index's records in runs, each ending at a record whose key ends in one of `_BLOCK_ENDS`
    (one in 64, at random): where a run ends depends on its own records alone, so a record
    changed, put in or taken out changes the run it is in (or the two it joins), and the others
    are the last index's, whatever ids moved. A run's keys and its records' postings are stored
    under a digest of its keys (_BLOCK_KEYS, _BUNDLE), and the next index reads the postings of
    a record that left from there: so the store keeps the postings of an index's records by
    marking a few hundred runs used, not every record. Each run that is not the last index's is
    stored as its records' postings come in (`took`: a whole run at once, in a build from
    nothing), or at the end (`finish`) with those of the records that did not change read from
    the last index's runs."""

    def __init__(
        self,
        store: Store,
        keys: list[str],
        old: _State,
        made: list[str] | None = None,
        changed: list[int] | None = None,
        stored: Mapping[str, list[str]] | None = None,
    ) -> None:
        self.store = store
        self.keys = keys
        self.old = old
        self.made = made  # what each record is made of (`_made_of`), stored with the keys when given
        self.blocks: list[tuple[str, int]] = []
        known = {key: n for n, (key, _) in enumerate(old.blocks)}
        old_firsts = list(accumulate((n for _, n in old.blocks), initial=0))
        self.todo: dict[int, tuple[int, str]] = {}  # first id → (end, digest) of each run to store
        start = 0
        for end, key in _runs(keys, old, changed):
            self.blocks.append((key, end - start))
            if key not in known:
                self.todo[start] = (end, key)
            elif made is not None:  # the last index's run: its keys stored again if what they are made of is not
                at = old_firsts[known[key]]
                if old.made[at : at + end - start] != made[start:end]:
                    self._store_keys(start, end, key)
            start = end
        self.firsts = sorted(self.todo)
        self.held: dict[int, str] = {}  # postings of records in runs to store, by id, until stored
        self.failed = False  # a record's postings were nowhere: the state is not stored
        # the last index's runs read (`old_postings`), each its records' postings as stored (None:
        # not as this code stores them): the run a record that changed left is read for it, then
        # for the records around it, which its new run is stored with (`finish`); those of its
        # runs that the last index of the process stored itself are taken as it stored them
        self._read: dict[str, list[str] | None] = dict(stored) if stored else {}
        # the runs this index stores, as stored, while they are a few (`IndexWords.runs`); None past that
        self.stored: dict[str, list[str]] | None = {}

    def took(self, rid: int, data: str) -> None:
        """The postings of record `rid`, as stored (`_Words._keep`)."""
        at = bisect.bisect_right(self.firsts, rid) - 1
        if at < 0:
            return
        first = self.firsts[at]
        end, key = self.todo.get(first, (0, ""))
        if rid >= end:
            return
        self.held[rid] = data
        if rid == end - 1 and all(r in self.held for r in range(first, end)):  # a whole run came in
            self._store(first, end, key)

    def _store(self, first: int, end: int, key: str) -> None:
        lines = [self.held.pop(r) for r in range(first, end)]
        self._store_keys(first, end, key)
        self.store.put(_BUNDLE, key, Entry(json.dumps({"postings": lines}, ensure_ascii=False)))
        del self.todo[first]
        if self.stored is not None:  # (a build from nothing stores every run: none of them kept)
            self.stored[key] = lines
            if len(self.stored) > _RUNS_KEPT:
                self.stored = None

    def _store_keys(self, first: int, end: int, key: str) -> None:
        run: dict[str, list[str]] = {"keys": self.keys[first:end]}
        if self.made is not None:
            run["made"] = self.made[first:end]
        self.store.put(_BLOCK_KEYS, key, Entry(json.dumps(run)))

    def finish(self) -> None:
        """Store the runs left, each record's postings that did not come in read from the last
        index's runs that are not this one's (by the record's key)."""
        if not self.todo:
            return
        wanted = {self.keys[r] for first, (end, _) in self.todo.items() for r in range(first, end)}
        wanted.difference_update(self.keys[r] for r in self.held)
        now = {key for key, _ in self.blocks}
        found = self.old_postings(wanted, [key for key, _ in self.old.blocks if key not in now])
        if len(found) < len(wanted):  # (a record in two runs, one of them kept whole) stored on its own
            missing = sorted(wanted - found.keys())
            found.update((k, e.data) for k, e in self.store.get(_POSTINGS, missing).items())
        for first, (end, key) in sorted(self.todo.items()):
            for r in range(first, end):
                if r not in self.held:
                    data = found.get(self.keys[r])
                    if data is None:
                        self.failed = True
                        return
                    self.held[r] = data
            self._store(first, end, key)

    def old_postings(self, wanted: set[str], runs: list[str]) -> dict[str, str]:
        """The stored postings (`_Words._keep`'s text) of the records with keys in `wanted`, from
        the last index's `runs` (their digests)."""
        if not wanted:
            return {}
        where: dict[str, tuple[int, int]] = {}
        start = 0
        for key, n in self.old.blocks:
            where[key] = (start, start + n)
            start += n
        unread = sorted(set(runs) - self._read.keys())
        # kept for the next call when they are a few (an edit's): all of them are a whole store's worth
        read = self._read if len(unread) <= _RUNS_KEPT else dict(self._read)
        for key, entry in self.store.get(_BUNDLE, unread).items():
            first, end = where[key]
            try:
                lines = read_json(entry.data)["postings"]
            except (ValueError, TypeError, KeyError):
                lines = None
            ok = isinstance(lines, list) and len(lines) == end - first and all(isinstance(x, str) for x in lines)
            read[key] = lines if ok else None
        found: dict[str, str] = {}
        for key in dict.fromkeys(runs):
            lines = read.get(key)
            if lines is None:
                continue
            first, end = where[key]
            for k, line in zip(self.old.records[first:end], lines, strict=True):
                if k in wanted:
                    found[k] = line
        return found


def _runs(keys: list[str], old: _State, changed: list[int] | None) -> Iterator[tuple[int, str]]:
    """Where each run of `_Blocks` ends (`_block_ends`), and a digest of its keys. With `changed`,
    the ids of the records whose key is not the last index's (`old`'s), every other key being the
    same at the same id: the last index's runs, their ends moved only where a changed key ends a
    run or no longer does, and a run that holds no changed record taken with its digest (a pass
    over 20,000 keys and ~300 digests of 64 keys each a rebuild, for one page's run)."""
    old_ends = list(accumulate(n for _, n in old.blocks))
    last: dict[tuple[int, int], str] = {}
    if changed is None or not keys or len(keys) != len(old.records) or old_ends[-1:] != [len(keys)]:
        ends = _block_ends(keys)
    else:
        at = set(old_ends)
        for rid in changed:
            if keys[rid][-2:] in _BLOCK_ENDS:
                at.add(rid + 1)
            else:
                at.discard(rid + 1)
        at.add(len(keys))
        ends = sorted(at)
        last = {(s, e): key for s, e, (key, _) in zip([0, *old_ends[:-1]], old_ends, old.blocks, strict=True)}
    dirty = sorted(changed or ())
    start = 0
    for end in ends:
        key = last.get((start, end))
        if key is None or bisect.bisect_left(dirty, start) != bisect.bisect_left(dirty, end):  # (holds a changed one)
            key = digest("\n".join(keys[start:end]))  # hex digests: one part, not one a key
        yield end, key
        start = end


def _block_ends(keys: list[str]) -> list[int]:
    """Where each run of `_Blocks` ends (the id after its last record)."""
    ends = [i + 1 for i, key in enumerate(keys) if key[-2:] in _BLOCK_ENDS]
    if keys and (not ends or ends[-1] != len(keys)):
        ends.append(len(keys))
    return ends


# what reading a words fragment or a run of the last index raises when it is not what this code
# wrote (`_Words.make`)
_UNLIKE_WRITTEN = (ValueError, TypeError, KeyError, IndexError, AttributeError)

FRESH_BATCH = 1 << 16  # postings held as lists before they are encoded (about 360 pages' worth)


class _Fresh:
    """The postings of words that are new to the index (every word, in an index made from
    nothing), encoded as they will be written (`_compact` of [id minus the one before, where,
    section, …] without its line end) a batch at a time as they come, in the order of their ids:
    as Python lists, all of them for every word at once were most of a cold build's peak memory
    (24 bytes a posting and the lists' spare room; about 180 postings a page), as text they are
    about 6 bytes a posting."""

    def __init__(self) -> None:
        self.batch: dict[str, list[int]] = {}  # word → [id, where, section, …] not encoded yet
        self._held = 0
        self._text: dict[str, bytearray] = {}  # each word's postings so far, without the brackets
        self._last: dict[str, int] = {}  # the id of each word's last posting encoded

    def took(self, postings: int) -> None:
        """`postings` more were put in `batch` (in the order of their ids, after those before)."""
        self._held += postings
        if self._held >= FRESH_BATCH:
            self._encode()

    def _encode(self) -> None:
        text, last = self._text, self._last
        for w, flat in self.batch.items():
            rids = flat[0::3]
            before = last.get(w)
            flat[0::3] = [rids[0] - (before or 0), *map(operator.sub, rids[1:], rids[:-1])]
            last[w] = rids[-1]
            part = _compact(flat)[1:-2]  # without its brackets and line end
            if before is None:
                text[w] = bytearray(part)
            else:
                text[w] += b"," + part
        self.batch.clear()
        self._held = 0

    def done(self) -> dict[str, bytes]:
        """Each word's encoded postings (`_compact(postings)[:-1]`); this holds none after."""
        self._encode()
        text, self._text = self._text, {}
        self._last.clear()
        return {w: b"[" + text.pop(w) + b"]" for w in list(text)}


# A words fragment's text (str), or its UTF-8 compressed (bytes, `_packed`): as `serve` keeps each
# fragment of its last index for the next to start from. Packed, they are a fifth of their size
# (5.7 MB of text at 5,000 pages held as 1.3 MB), and the next index unpacks only the few
# fragments an edit's words land in; the others go to the output as they are (`_made_text`).
FragmentText = str | bytes
_PACKING = 1  # zlib's fastest level: 4.6 times smaller at 5,000 pages, 9 times faster than the default


def _packed(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), _PACKING)


def _text(kept: FragmentText) -> str:
    """A fragment's text, as kept (`FragmentText`)."""
    return kept if isinstance(kept, str) else zlib.decompress(kept).decode("utf-8")


@dataclass(frozen=True, slots=True)
class IndexWords:
    """An index's words as the next index starts from them: its state and each words fragment's
    text, by digest (what the store holds of the last index, or what `serve` kept of it: packed,
    `FragmentText`)."""

    state: _State
    texts: Mapping[str, FragmentText]  # (the command line's: `_StoredFragments`, each read when asked for)
    index: dict[str, int] | None = None  # where each word is in `state.words`, when known
    touched: int | None = None  # the store's generation its entries were last all marked used in (`_remember`)
    # the runs of records this index stored (`_Blocks`), each its records' postings as stored, by
    # digest, when they were a few (an edit's, in `serve`): the next index of the process reads a
    # record that left one of them from here, not from the store (a run is ~200 KB at 20,000 pages)
    runs: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Made:
    firsts: list[str]  # the first word of each range, for the manifest
    fragments: list[tuple[str, Callable[[], bytes]]]  # (digest, what makes its bytes) of each words fragment
    words: IndexWords  # what the next index starts from


class _Words:
    """The words fragments of one index, from the last index's state where there is one."""

    def __init__(
        self,
        records: list[dict[str, Any]],
        pages: dict[int, model.Page],
        keys: list[str],
        store: Store | None,
        workers: int,
        last: IndexWords | None = None,
        spill: _Spill | None = None,
        made: list[str] | None = None,
        *,
        read: bool = False,
    ) -> None:
        self.records = records
        self.pages = pages
        self.keys = keys
        self.store = store if store is not None and store.usable else None
        self.workers = workers
        # what the last index of the process left (`serve`), or (`read`) what the store held of
        # the last index (`stored`), if any
        self.last = last
        self.read = read
        self.spill = spill  # where the fragments' texts go as each is made (a cold build), not kept
        self.made = made  # what each record is made of (`_made_of`), kept in the state when given
        self.touched: int | None = None  # when the entries of the index made from were last all marked used
        self.blocks: _Blocks | None = None  # its records in runs (None without a store)
        # each record's postings stored under its own key too (`_keep`), not only in its run: not
        # in an index made from nothing, whose runs hold every record's (see `_from`)
        self.each = True

    def make(self) -> _Made:
        base = self.last if self.last is not None or self.read else self.stored(self.store)
        self.touched = base.touched if base is not None else None
        try:
            made = self._from(base) if base is not None else None
        except _UNLIKE_WRITTEN:
            # a words fragment or a run that is not what this code writes: the store's entries
            # are the checksums' word alone, and anyone who can write the cache folder can forge
            # both (a fragment's text is spliced as written, not parsed: `_moved`); the index is
            # made from nothing, as when an entry it needs is no longer stored
            made = None
        if made is None:
            self.touched = None
            made = self._from(None)
        assert made is not None
        return made

    # -- the store ----------------------------------------------------------------------------

    @staticmethod
    def stored(store: Store | None) -> IndexWords | None:
        """The last index's state and its fragments' texts (by digest), when all are stored."""
        if store is None or not store.usable:
            return None
        pointer = store.get(_LATEST, [LATEST_KEY]).get(LATEST_KEY)
        try:
            latest = read_json(pointer.data) if pointer is not None else None
        except ValueError:
            return None
        # the state's digest, and when every entry it needs was last marked used (`_remember`)
        latest, touched = (latest.get("state"), latest.get("touched")) if isinstance(latest, dict) else (latest, None)
        if not isinstance(latest, str):
            return None
        entry = store.get(_STATE, [latest]).get(latest)
        if entry is None or digest(entry.data) != latest:
            return None
        try:
            state = _State.from_json(entry.data)
        except (ValueError, TypeError, KeyError):
            return None
        runs = store.get(_BLOCK_KEYS, sorted({key for key, _ in state.blocks}))
        for key, n in state.blocks:  # the records' keys, a run at a time
            run = runs.get(key)
            try:
                found = read_json(run.data) if run is not None else None
                keys = found["keys"] if found is not None else None
            except (ValueError, TypeError, KeyError):
                return None
            if not isinstance(keys, list) or len(keys) != n or not all(isinstance(k, str) for k in keys):
                return None
            state.records += keys
            made = found.get("made") if isinstance(found, dict) else None  # where the build that stored it said
            ok = isinstance(made, list) and len(made) == n and all(isinstance(m, str) for m in made)
            state.made += made if ok and made is not None else [""] * n
        wanted = sorted(set(state.digests))
        # each read where a word in it changed (`_StoredFragments`): here only found stored
        if len(store.present(_FRAGMENT, wanted)) != len(wanted):
            return None
        return IndexWords(state, _StoredFragments(store, wanted), touched=touched if isinstance(touched, int) else None)

    def _postings(
        self, rids: list[int], known: Mapping[str, tuple[list[Any], str]] | None = None
    ) -> Iterator[tuple[int, dict[str, list[int]], list[Any], str]]:
        """The postings of these records, in their order, a batch at a time (so that they are not
        all held at once), each as its own fields' words (word → [where, section], all in
        section 0) and the rest of its postings ([word, where, section, …]; `merged_postings`
        makes the record's postings of the two), and their text as stored (`_keep`; "" without a
        store). Those of a record whose key is in `known` (postings and text, by key: those the
        last index's runs held for the records taken out, `_old_postings`), as they are there;
        stored; or made here from the record and what its page's render found (`page_parts`);
        or, for a page whose render this build did not see (read back from the store, a
        release's, a member's), read from its HTML over the workers. Each one made is stored."""
        pages = self.pages
        # a record put back where ids moved (its key the same): what its run held
        keys = self.keys
        rids_known = {rid: known[keys[rid]] for rid in rids if keys[rid] in known} if known else {}
        # pages without parts: their HTML is read, over the workers, all at once (as few as the
        # pages that changed, on a rebuild)
        unread = [rid for rid in rids if rid in pages and not pages[rid].search_spooled and rid not in rids_known]
        read = self._stored(unread)
        read.update(rids_known)
        missing = [rid for rid in unread if rid not in read]
        made = map_shared(_tokenise, (self.records, pages), missing, self.workers)
        for rid, postings in zip(missing, made, strict=True):
            postings[0::3] = map(sys.intern, postings[0::3])  # one string per word, not per posting
            read[rid] = (postings, self._keep(rid, {}, json.dumps(postings, ensure_ascii=False)))
        for n in range(0, len(rids), POSTINGS_BATCH):
            batch = rids[n : n + POSTINGS_BATCH]
            stored = self._stored([rid for rid in batch if rid not in read])
            for rid in batch:
                found = read.pop(rid) if rid in read else stored.get(rid)
                if found is not None:
                    yield rid, {}, found[0], found[1]
                    continue
                own, text = self._made(rid)
                yield rid, own, json.loads(text), self._keep(rid, own, text)

    def _made(self, rid: int) -> tuple[dict[str, list[int]], str]:
        """A record's postings, made in this process: its own fields' words, and the JSON of its
        page's sections' postings as the page's render found them (or, where they are not, its
        HTML read now)."""
        record = _record_of(self.records, self.pages, rid)
        page = self.pages.get(rid)
        if page is None:
            return _record_words(record), "[]"
        parts = spooled_parts(page)
        if parts is None:
            return _record_words(record), json.dumps(section_postings(page_sections(page.html)), ensure_ascii=False)
        return _record_words(record), parts[0].decode()

    def _stored(self, rids: list[int]) -> dict[int, tuple[list[Any], str]]:
        """The postings of these records that the store holds, and their text as stored."""
        if self.store is None or not rids:
            return {}
        stored = self.store.get(_POSTINGS, sorted({self.keys[r] for r in rids}))
        found: dict[int, tuple[list[Any], str]] = {}
        for rid in rids:
            entry = stored.get(self.keys[rid])
            postings = _postings_of(entry.data) if entry is not None else None
            if postings is not None and entry is not None:
                found[rid] = (postings, entry.data)
        return found

    def _keep(self, rid: int, own: dict[str, list[int]], rest: str) -> str:
        """A record's postings as stored: its own fields' words and the JSON of the rest, as they
        are (`_postings_of` reads them), stored under the record's key unless the index is made
        from nothing (`each`: its runs hold them); "" without a store."""
        if self.store is None:
            return ""
        data = f'{{"r":{json.dumps(_flat(own), ensure_ascii=False)},"b":{rest}}}'
        if self.each:
            self.store.put(_POSTINGS, self.keys[rid], Entry(data))
        return data

    def _old_postings(self, state: _State, removed: list[int]) -> dict[str, tuple[list[Any], str]] | None:
        """The postings of the last index's records `removed` (their ids), read from the runs
        that hold them, each with its text as stored, by key; None when one is not stored."""
        if self.blocks is None or not state.blocks:
            return None
        ends = list(accumulate(n for _, n in state.blocks))
        runs = [state.blocks[bisect.bisect_right(ends, rid)][0] for rid in removed]
        keys = {state.records[rid] for rid in removed}
        found: dict[str, tuple[list[Any], str]] = {}
        for k, data in self.blocks.old_postings(keys, runs).items():
            postings = _postings_of(data)
            if postings is None:
                return None
            found[k] = (postings, data)
        return found if len(found) == len(keys) else None

    def _came(
        self, added: list[int], state: _State, out: dict[str, tuple[list[Any], str]], index: Container[str]
    ) -> tuple[dict[str, list[int]], dict[str, bytes], set[str]]:
        """The postings of the records that came in, folded in as each record's are made: of the
        words the last index has (`index`), as lists (word → [id, where, section, …], in the
        order of their ids: `_from` splices them into that index's); of the others, as they
        will be written (`_Fresh`); and the words whose postings change: every word of a record
        that came in or left, except, when ids did not move, those whose place in a record that
        changed stayed the same."""
        same = len(state.records) == len(self.keys)  # then `added` is `removed`: each record that changed
        work: set[str] = set()
        entries: dict[str, list[int]] = {}
        fresh = _Fresh()
        blocks = self.blocks
        for rid, own, rest, data in self._postings(added, out):
            if blocks is not None:
                blocks.took(rid, data)
            if same:
                was = _places(out[state.records[rid]][0])
                now = _places(_merged({w: list(at) for w, at in own.items()}, rest))
                work.update(w for w in was.keys() | now.keys() if was.get(w) != now.get(w))
            fresh_words = fresh.batch  # words new to the index go there, the others to `entries`
            for w, where, section in zip(rest[0::3], rest[1::3], rest[2::3], strict=True):
                into = entries if w in index else fresh_words
                found = into.get(w)
                if found is None:
                    into[w] = [rid, where, section]
                else:
                    found += (rid, where, section)
            for w, (where, section) in own.items():  # all in section 0 (`_merged`)
                into = entries if w in index else fresh_words
                found = into.get(w)
                if found is None:
                    into[w] = [rid, where, section]
                elif found[-3] == rid:  # a word of the rest too: the bits of both, the rest's section
                    found[-2] |= where
                else:
                    found += (rid, where, section)
            fresh.took(len(rest) // 3 + len(own))
        encoded = fresh.done()
        return entries, encoded, work if same else {*state.words, *entries, *encoded}

    # -- the index ----------------------------------------------------------------------------

    def _from(self, base: IndexWords | None) -> _Made | None:
        """The words fragments, made from `base` (None: from nothing); None when `base` cannot be
        used (an entry it needs is no longer stored)."""
        keys = self.keys
        state = base.state if base is not None else _State([], [], [], [], [])
        texts = base.texts if base is not None else {}
        spans = _spans(state.records, keys)
        added = [rid for _, _, lo, hi in spans for rid in range(lo, hi)]
        removed = [rid for lo, hi, _, _ in spans for rid in range(lo, hi)]
        # (as many records: `added` is each record whose key changed, the others' the same)
        changed = added if len(state.records) == len(keys) else None
        # the runs the last index of the process stored, as it stored them (`serve`: not read again)
        stored = base.runs if base is not None and self.spill is None else None
        self.blocks = _Blocks(self.store, keys, state, self.made, changed, stored) if self.store is not None else None
        # An index made from nothing stores every record's postings in its runs, which the next
        # index reads the records that change from: stored each under its own key as well, they
        # were read by no later build but one that put back an edit, and dropped by the second
        # build after (20,000 entries, 0.55 CPU s of a one-page rebuild at 20,000 pages). An
        # index made from the last one stores those of the records that came in (a few).
        self.each = base is not None
        out = self._old_postings(state, removed) if removed else {}
        if out is None:
            return None
        index = base.index if base is not None and base.index is not None else {w: i for i, w in enumerate(state.words)}
        entries, encoded, work = self._came(added, state, out, index)
        if isinstance(texts, _StoredFragments):  # what is read of them, at once
            texts.fetch(self._fragments_read(state, work, index))
        parsed: dict[int, dict[str, list[int]]] = {}

        def postings(w: str) -> list[int]:
            """The last index's postings of `w`, from the fragment that holds it."""
            j = bisect.bisect_right(state.starts, index[w]) - 1
            if j not in parsed:
                parsed[j] = read_json(_text(texts[state.digests[j]]))
            return parsed[j][w]

        if changed is None and len(spans) == 1:  # ids moved: each word's postings spliced as written
            work = work - self._moved(state, texts, work, entries, spans[0], encoded, index)
            return self._cut(state, texts, work, encoded, index)
        for w in work:
            if w not in index:  # a word the last index did not have: its postings are those that came (encoded)
                continue
            came = entries.pop(w, [])  # each word's lists go as it is encoded: they are larger than its text
            flat = postings(w)
            rids, fields, sections = list(accumulate(flat[0::3])), flat[1::3], flat[2::3]
            came_rids, came_fields, came_sections = came[0::3], came[1::3], came[2::3]
            for old_lo, old_hi, new_lo, new_hi in reversed(spans):
                a, b = bisect.bisect_left(rids, old_lo), bisect.bisect_left(rids, old_hi)
                if new_hi != old_hi:
                    rids[b:] = [r + new_hi - old_hi for r in rids[b:]]
                c, d = bisect.bisect_left(came_rids, new_lo), bisect.bisect_left(came_rids, new_hi)
                rids[a:b], fields[a:b], sections[a:b] = came_rids[c:d], came_fields[c:d], came_sections[c:d]
            if rids:
                deltas = [rids[0], *map(operator.sub, rids[1:], rids[:-1])]
                encoded[w] = _compact(list(chain.from_iterable(zip(deltas, fields, sections, strict=True))))[:-1]
        return self._cut(state, texts, work, encoded, index)

    @staticmethod
    def _moved(
        state: _State,
        texts: Mapping[str, FragmentText],
        work: set[str],
        entries: dict[str, list[int]],
        span: tuple[int, int, int, int],
        encoded: dict[str, bytes],
        index: dict[str, int],
    ) -> set[str]:
        """Where records came or left (one `span` of ids, `_spans`: every id after it moved), each
        word of the last index spliced as its fragment wrote its postings (`_spliced`): those of
        the records that came put in, those of the records that left taken out, and the
        difference that says the first id after the span changed; the rest of its postings'
        text as written, neither decoded nor encoded again. Each word whose postings changed goes
        into `encoded` (none when none is left: the word is gone); the words whose postings are
        as written are returned. (Decoded, spliced and encoded again, every word cost a page
        added or removed ~0.6 CPU s at 5,000 pages, ~2.4 at 20,000: bench/README.md.)"""
        split: dict[int, dict[str, str]] = {}
        kept: set[str] = set()
        for w in work:
            if w not in index:  # a word the last index did not have: its postings are those that came (encoded)
                continue
            j = bisect.bisect_right(state.starts, index[w]) - 1
            if j not in split:
                split[j] = _written(_text(texts[state.digests[j]]))
            spliced = _spliced(split[j][w], span, entries.pop(w, []))
            if spliced is None:
                kept.add(w)
            elif spliced:
                encoded[w] = spliced
        return kept

    def _cut(
        self,
        state: _State,
        texts: Mapping[str, FragmentText],
        work: set[str],
        encoded: dict[str, bytes],
        index: dict[str, int],
    ) -> _Made:
        """The words cut into ranges of about the same size; each range's fragment is the last
        index's very text when it holds the same words and none of them changed, and a word that
        did not change is written as the last index's fragment wrote it. What it costs beyond the
        words that changed is C's: a copy of the words and their sizes, their running sum, each
        range's end found in it by bisection, each range's words compared with the last's."""
        split: dict[int, dict[str, str]] = {}

        def written(w: str) -> str:
            """`w` and its postings as the last index's fragment that holds it wrote them."""
            j = bisect.bisect_right(state.starts, index[w]) - 1
            if j not in split:
                split[j] = _written(_text(texts[state.digests[j]]))
            return split[j][w]

        ordered, sizes, same_words = _reordered(state, work, encoded, index)
        fragments = word_fragments(len(self.keys))
        starts = _starts(sizes, fragments)
        old_ranges = {state.words[a]: j for j, a in enumerate(state.starts)}
        ends = [*starts[1:], len(ordered)]
        old_ends = [*state.starts[1:], len(state.words)]
        # the ranges a word that changed is in (every range, when most words changed)
        dirty: Container[int] | None = None
        if same_words and len(work) * 8 < len(ordered):
            dirty = {bisect.bisect_right(starts, index[w]) - 1 for w in work}
        made: list[tuple[str, FragmentText]] = []  # (digest, text) of each fragment: packed, or "" once spilled
        makers: list[Callable[[], bytes]] = []
        # each range's sizes as JSON (`_State.sizes_parts`): the last state's part for a range of the
        # same words, none of them changed (so of the same sizes); made here for the others
        old_parts = state.sizes_parts if state.sizes_parts is not None and self.spill is None else None
        size_parts: list[str] | None = [] if old_parts is not None else None
        for j, (a, b) in enumerate(zip(starts, ends, strict=True)):
            o = old_ranges.get(ordered[a])
            if o is not None:
                oa, ob = state.starts[o], old_ends[o]
                if same_words:
                    clean = j not in dirty if dirty is not None else work.isdisjoint(ordered[a:b])
                    same = oa == a and ob == b and clean
                else:
                    same = ob - oa == b - a and state.words[oa:ob] == ordered[a:b] and work.isdisjoint(ordered[a:b])
                if same:
                    made.append(self._made_again(state.digests[o], texts, makers, j))
                    if size_parts is not None and old_parts is not None:
                        size_parts.append(old_parts[o])
                    continue
            if size_parts is not None:
                size_parts.append(json.dumps(sizes[a:b])[1:-1])
            parts = [
                json.dumps(w, ensure_ascii=False) + ":" + encoded.pop(w).decode()  # each goes as written
                if w in encoded
                else written(w)
                for w in ordered[a:b]
            ]
            text = "{" + ",".join(parts) + "}\n"
            key = digest(text)
            if self.store is not None:
                self.store.put(_FRAGMENT, key, Entry(text))
            made.append(self._made_text(key, text, makers))
        now = _State(self.keys, ordered, sizes, starts, [key for key, _ in made])
        if ordered is state.words:  # (the very list: `_reordered`)
            now.words_json = state.words_json
        if self.spill is None:  # (`serve`'s next index starts from this state: its parts kept for it)
            now.sizes_parts = size_parts if size_parts is not None else _size_parts(sizes, starts)
        now.made = self.made if self.made is not None else []  # (`serve`'s next index compares its runs' with it)
        if self.blocks is not None:
            self.blocks.finish()
            now.blocks = self.blocks.blocks
        touched = self._remember(now, self.touched)
        empty = digest(_EMPTY)
        fragments_made = list(zip(now.digests, makers, strict=True))
        fragments_made += [(empty, partial(_utf8, _EMPTY))] * (fragments - len(made))
        # a spilled index's texts are not kept: it is a cold build's, which no later index starts from
        kept = self.spill is None and self.blocks is not None and not self.blocks.failed
        runs = self.blocks.stored if kept and self.blocks is not None and self.blocks.stored is not None else {}
        words = IndexWords(now, dict(made) if self.spill is None else {}, index if same_words else None, touched, runs)
        return _Made([ordered[a] for a in starts], fragments_made, words)

    def _fragments_read(self, state: _State, work: set[str], index: dict[str, int]) -> set[str]:
        """The last index's fragments this one reads: those of the words that changed (when ids
        moved, every word), or (`serve`'s first index, which keeps their texts) all of them."""
        if self.spill is None:
            return set(state.digests)
        starts, digests = state.starts, state.digests
        return {digests[bisect.bisect_right(starts, index[w]) - 1] for w in work if w in index}

    def _made_again(
        self, key: str, texts: Mapping[str, FragmentText], makers: list[Callable[[], bytes]], n: int
    ) -> tuple[str, FragmentText]:
        """`_made_text` of fragment `n`, the last index's fragment `key` as it was: with a spill
        (the command line), left in the store when it was not read (`_Spill.stored`)."""
        if self.spill is not None and isinstance(texts, _StoredFragments) and key not in texts.read:
            again = partial(_fragment_anew, self.records, self.pages, self.keys, n)
            makers.append(self.spill.stored(texts, key, again))
            return key, ""
        return self._made_text(key, texts[key], makers)

    def _made_text(self, key: str, text: FragmentText, makers: list[Callable[[], bytes]]) -> tuple[str, FragmentText]:
        """A fragment's (digest, text), and what makes its bytes into `makers`: read from the
        spill, where its text goes at once (then not kept: ""), or (`serve`, which keeps it for
        its next index) unpacked from its text packed, which neither holds as a str."""
        if self.spill is None:
            packed = text if isinstance(text, bytes) else _packed(text)
            makers.append(partial(zlib.decompress, packed))
            return key, packed
        makers.append(self.spill.keep(text.encode("utf-8") if isinstance(text, str) else zlib.decompress(text)))
        return key, ""

    def _remember(self, state: _State, touched: int | None) -> int | None:
        """Keep `state` as the one the next index starts from, and the entries it needs (each
        run's keys and postings, each fragment's text) marked used, so that the store's pruning
        keeps them, in one build of two: the store drops what neither this build nor the one
        before it used; what was marked in build `touched` is kept through build `touched + 1`,
        and every entry this state names that was not in the last one was made or read by this
        build, so they are all marked again only when `touched` is two or more builds ago. The
        generation they were last all marked in (None: the state is not kept)."""
        store = self.store
        if store is None or self.blocks is None or self.blocks.failed:
            return None
        text = state.to_json()
        key = digest(text)
        store.put(_STATE, key, Entry(text))
        now = store.generation
        if touched is None or not now - 1 <= touched <= now:
            runs = sorted({run for run, _ in state.blocks})
            store.touch(_BLOCK_KEYS, runs)
            store.touch(_BUNDLE, runs)
            # an index made from what the process kept read no fragment from the store: marked here
            store.touch(_FRAGMENT, sorted(set(state.digests)))
            touched = now
        store.put(_LATEST, LATEST_KEY, Entry(json.dumps({"state": key, "touched": touched})))
        return touched


class _StoredFragments(Mapping[str, str]):
    """The last index's words fragments' texts, by digest, as the store holds them, each read
    (and checked against its checksum, by the store) when first asked for: a rebuild reads those
    that hold a word that changed (a one-page edit: a few of 242 at 5,000 pages), not every one
    (5.7 MB at 5,000 pages), and the others' files are kept as the last build wrote them. One
    found gone or altered is a KeyError (`_UNLIKE_WRITTEN`: the index is then made from
    nothing). Only in the process that opened the store (`_Spill.stored` for the others)."""

    def __init__(self, store: Store, digests: list[str]) -> None:
        self.store = store
        self.digests = frozenset(digests)
        self.read: dict[str, str] = {}  # those asked for so far
        self.gone: set[str] = set()  # and those found gone or altered (not asked of the store again)

    def __getitem__(self, key: str) -> str:
        text = self.read.get(key)
        if text is None:
            text = self.read[key] = self.text(key)
        return text

    def fetch(self, keys: set[str]) -> None:
        """Read those of `keys` not read yet, at once (one found gone or altered is not kept: a
        KeyError when it is asked for)."""
        wanted = sorted(k for k in keys if k not in self.read and k not in self.gone and k in self.digests)
        if wanted:
            found = self.store.get(_FRAGMENT, wanted)
            self.read.update((k, e.data) for k, e in found.items())
            self.gone.update(k for k in wanted if k not in found)

    def text(self, key: str) -> str:
        """A fragment's text, read from the store and not kept here."""
        entry = self.store.get(_FRAGMENT, [key]).get(key) if key in self.digests and key not in self.gone else None
        if entry is None:
            self.gone.add(key)
            raise KeyError(key)
        return entry.data

    def __iter__(self) -> Iterator[str]:
        return iter(self.digests)

    def __len__(self) -> int:
        return len(self.digests)


def _fragment_anew(records: list[dict[str, Any]], pages: dict[int, model.Page], keys: list[str], n: int) -> bytes:
    """Words fragment `n` of these records' index made from nothing, in this process: the bytes
    of the one made from the last index (tests/test_search_incremental.py), for a fragment the
    last index had that the store no longer holds as it was when its file is made."""
    return _Words(records, pages, keys, None, 1).make().fragments[n][1]()


def _reordered(
    state: _State, work: set[str], encoded: dict[str, bytes], index: dict[str, int]
) -> tuple[list[str], list[int], bool]:
    """The words of the next index in order (of `_order`), the size each counts for when they are
    cut into ranges, and whether they are the last index's words in the same places (`index`
    then holds for them too): the last index's words, those that changed sized again, those gone
    taken out and those new put in where they go (bisection); sorted again when most changed."""
    sizes = list(state.sizes)
    gone = [index[w] for w in work if w not in encoded]
    new = [w for w in encoded if w not in index]
    for w in work:
        if w in encoded and w in index:
            sizes[index[w]] = len(w) + len(encoded[w]) + 4
    if not gone and not new:
        return state.words, sizes, True
    if (len(gone) + len(new)) * 8 > len(state.words):
        kept = [w for w in state.words if w not in work]
        ordered = sorted(kept + list(encoded), key=_order)
        return ordered, [len(w) + len(encoded[w]) + 4 if w in encoded else sizes[index[w]] for w in ordered], False
    ordered = list(state.words)
    for i in sorted(gone, reverse=True):
        del ordered[i]
        del sizes[i]
    for w in new:
        i = bisect.bisect_left(ordered, _order(w), key=_order)
        ordered.insert(i, w)
        sizes.insert(i, len(w) + len(encoded[w]) + 4)
    return ordered, sizes, False


def _size_parts(sizes: list[int], starts: list[int]) -> list[str]:
    """`sizes` as JSON without its brackets, a part for each range of words beginning at `starts`."""
    return [json.dumps(sizes[a:b])[1:-1] for a, b in zip(starts, [*starts[1:], len(sizes)], strict=True)]


def _starts(sizes: list[int], fragments: int) -> list[int]:
    """Where each range of words begins: a range takes words until it holds at least its share
    (the sum of `sizes` over `fragments`), and there are `fragments` ranges at most. The running
    sum of the sizes, and each range's end found in it by bisection."""
    if not sizes:
        return []
    running = list(accumulate(sizes, initial=0))  # running[i]: the sizes of the words before i
    target = running[-1] / fragments
    starts = [0]
    while len(starts) < fragments:
        # the first word before which the range holds at least its share
        i = bisect.bisect_left(running, running[starts[-1]] + target, lo=starts[-1] + 1, hi=len(sizes))
        if i >= len(sizes):
            break
        starts.append(i)
    return starts


def _spans(old: list[str], new: list[str]) -> list[tuple[int, int, int, int]]:
    """Where the records of `new` differ from those of `old` (each a list of keys), as runs
    (old ids lo to hi, taken out; new ids lo to hi, put in), in order: with as many records, each
    record whose key changed; else the run between the longest common beginning and end (the
    ids after it moved)."""
    m, n = len(old), len(new)
    if m == n:
        return [(i, i + 1, i, i + 1) for i in range(n) if old[i] != new[i]]
    before = 0
    while before < min(m, n) and old[before] == new[before]:
        before += 1
    tail = 0
    while tail < min(m, n) - before and old[m - 1 - tail] == new[n - 1 - tail]:
        tail += 1
    return [(before, m - tail, before, n - tail)]


def _written(fragment: str) -> dict[str, str]:
    """Each word of a words fragment's text and its postings as written there (`"word":[…]`), by
    word. A word is letters and digits, its postings numbers: `],"` is found between two words
    alone."""
    if fragment == _EMPTY:
        return {}
    first, *rest = fragment[2:-3].split('],"')  # without '{"' and "]}\n": each is 'word":[…'
    return {part[: part.index('"')]: f'"{part}]' for part in (first, *rest)}


def _spliced(written: str, span: tuple[int, int, int, int], came: list[int]) -> bytes | None:
    """A word's postings as a words fragment wrote them (`"word":[id, where, section, …]`, each id
    written as the difference from the one before), as `_compact` writes them once the records
    of the old ids lo to hi are taken out and those of the new ids lo to hi put in (`span`; every
    id after it moved with them): those `came` ([id, where, section, …] by new id, within the
    span) written in their place, the difference of the first id after the span changed, the
    numbers before and after as written. None when the postings are as written; empty when
    none is left."""
    old_lo, old_hi, _, new_hi = span
    numbers = written[written.index(":[") + 2 : -1].split(",")
    ids = list(accumulate(map(int, numbers[0::3])))
    a, b = bisect.bisect_left(ids, old_lo), bisect.bisect_left(ids, old_hi)
    if a == b and not came and (b == len(ids) or new_hi == old_hi):
        return None
    parts = numbers[: 3 * a]
    last = ids[a - 1] if a else 0
    for rid, where, section in zip(came[0::3], came[1::3], came[2::3], strict=True):
        parts += (str(rid - last), str(where), str(section))
        last = rid
    if b < len(ids):
        parts.append(str(ids[b] + new_hi - old_hi - last))
        parts += numbers[3 * b + 1 :]
    return ("[" + ",".join(parts) + "]").encode() if parts else b""


def _postings_of(data: str) -> list[Any] | None:
    """A record's postings as stored (`_Words._keep`), or None when the entry is not what this
    code writes."""
    try:
        stored = read_json(data)
        own, rest = stored["r"], stored["b"]
    except (ValueError, TypeError, KeyError):
        return None
    if not (isinstance(own, list) and isinstance(rest, list)) or len(own) % 3 or len(rest) % 3:
        return None
    try:
        postings = _merged({own[k]: [own[k + 1], own[k + 2]] for k in range(0, len(own), 3)}, rest)
        postings[0::3] = map(sys.intern, postings[0::3])  # one string per word, not per posting
    except TypeError:  # a word that is not a string, a place that is not a number
        return None
    return postings


def _places(postings: list[Any]) -> dict[str, tuple[int, int]]:
    """A record's postings by word."""
    return {postings[k]: (postings[k + 1], postings[k + 2]) for k in range(0, len(postings), 3)}


def _kinds(records: list[dict[str, Any]]) -> list[list[object]]:
    """[kind, id of its first record] in the records' order, which groups them by kind: the script
    knows a record's kind from its id before it fetches the record (answer-first ranking)."""
    found = list(map(_KIND, records))  # the records where the kind changes found at once (20,000 and more)
    firsts = compress(range(1, len(found)), map(operator.ne, found[1:], found))
    return [[found[rid], rid] for rid in chain([0] if found else [], firsts)]


def _policy_ids(kinds: list[list[object]], count: int) -> list[int]:
    """The ids of the policy pages' records, in the order of view.pages: those of the runs of
    policy records in `kinds` (`_kinds` of the `count` records), not each record looked at again."""
    ends = [*(first for _, first in kinds[1:]), count] if kinds else []
    ids: list[int] = []
    for (kind, first), end in zip(kinds, ends, strict=True):
        if kind == "policy":
            ids += range(cast(int, first), cast(int, end))
    return ids


def _compact(data: object) -> bytes:
    """JSON without spaces, for files the browser downloads rather than people read."""
    return (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def _label_teams(view: SiteView, records: list[dict[str, Any]]) -> None:
    """On an organisation site: each member's offerings, SLOs, tools and policy pages say their
    team (two teams' "Kafka" are told apart), and each team's page has a record."""
    federation = view.site.federation
    if federation is None:
        return
    names = {t.id: t.name for t in federation.teams}
    for rid, record in enumerate(records):
        parts = record["u"].split("/")
        if len(parts) >= 4 and parts[0] in ("offerings", "tools", "policies") and parts[1] in names:
            team = names[parts[1]]
            # a copy: a record is never changed (a policy page's may be the last index's, `_policy_records`)
            records[rid] = {**record, "t": f"{record['t']} ({team})", "x": f"{record.get('x', '')} {team}".strip()}
    records += [
        {"k": "page", "t": f"Team: {t.name}", "u": routes.team(t.id), "s": excerpt(t.mission), "x": f"team {t.id}"}
        for t in federation.teams
    ]


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One line of the A-Z index on the search page (what readers without JavaScript get)."""

    title: str
    url: str
    kind: str  # a KIND_LABELS key
    note: str  # status, summary or SLO list
    status: str  # CSS class suffix for the badge ("" for none)
    status_label: str
    alternative: ToolRef | None


def a_to_z(view: SiteView) -> tuple[tuple[str, tuple[IndexEntry, ...]], ...]:
    """Every offering, tool decision and policy page, alphabetically, grouped by first letter."""
    entries: list[IndexEntry] = []
    for o in view.offerings:
        entries.append(
            IndexEntry(
                o.offering.name,
                o.path,
                "offering",
                o.offering.summary,
                f"lifecycle-{o.offering.lifecycle.value}",
                o.lifecycle,
                None,
            )
        )
    for t in view.tools:
        entries.append(
            IndexEntry(
                t.tool.name, t.path, "tool", t.category.name, f"status-{t.status_class}", t.status, t.alternative
            )
        )
    for p in view.pages:
        entries.append(IndexEntry(p.meta.title, routes.policy(p.slug), "policy", p.meta.summary or "", "", "", None))
    entries.sort(key=lambda e: (e.title.casefold(), e.kind, e.url))
    groups: dict[str, list[IndexEntry]] = {}
    for e in entries:
        first = e.title[:1].upper()
        groups.setdefault(first if first.isalpha() else "#", []).append(e)
    return tuple((letter, tuple(items)) for letter, items in sorted(groups.items()))
