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

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from typing import Any

from servicebook import routes
from servicebook.site.views import SiteView, ToolRef, ToolView

INDEX_VERSION = 2
EXCERPT_CHARS = 240
MAX_HEADINGS = 24
CHUNK = 16  # records per records fragment
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


def words(text: str) -> list[str]:
    """The words of `text` as the index and the script see them."""
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
            found = _attributes(attrs)
            anchor = found.get("id")
            if name == "a" and heading and found.get("class") == "anchor":
                skip = True
            elif name in ("h2", "h3", "h4") and anchor:
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


def search_records(view: SiteView) -> list[dict[str, Any]]:
    """Every record, in the site's own order (offerings, SLOs, tools, policies, pages); a record's
    number in this list is its id in the index."""
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
    for p in view.pages:
        record: dict[str, Any] = {
            "k": "policy",
            "t": p.meta.title,
            "u": routes.policy(p.slug),
            "s": excerpt(p.meta.summary or p.text),
        }
        headings = [[h.text, h.anchor] for h in p.headings if h.level in (2, 3)][:MAX_HEADINGS]
        if headings:
            record["h"] = headings
        if p.meta.owner:
            record["x"] = p.meta.owner
        records.append(record)
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


def search_files(view: SiteView) -> dict[str, bytes]:
    """Every file of the index, by site path (`search_paths` names them without making them)."""
    records = search_records(view)
    texts = {i: page_sections(view.pages[n].html) for n, i in enumerate(_policy_ids(records))}
    postings: dict[str, dict[int, list[int]]] = {}  # word -> record id -> [fields, section]

    def add(rid: int, field: str, text: str, section: int = 0, skip: Iterable[str] = ()) -> None:
        for w in words(text):
            if len(w) > LONGEST_WORD or w in skip:
                continue
            at = postings.setdefault(w, {}).setdefault(rid, [0, section])
            at[0] |= FIELDS[field]
            if not at[1]:
                at[1] = section

    for rid, r in enumerate(records):
        add(rid, "title", r["t"])
        _mark_title(postings, rid, words(r["t"]))
        alternative = r.get("a")
        add(rid, "keys", " ".join([r.get("x", ""), r.get("sl", ""), alternative["t"] if alternative else ""]))
        add(rid, "summary", r["s"])
        if "d" in r:
            add(rid, "body", r["d"], skip=STOP)
        for n, (heading, _anchor, text) in enumerate(texts.get(rid, ())):
            add(rid, "keys", heading, n)
            add(rid, "body", text, n, skip=STOP)
    encoded = [(w, _compact(_flat(postings[w]))[:-1]) for w in sorted(postings, key=_order)]
    fragments = word_fragments(len(records))
    target = sum(len(w) + len(p) + 4 for w, p in encoded) / fragments
    ranges: list[list[tuple[str, bytes]]] = [[]]
    size = 0
    for w, p in encoded:
        if size >= target and len(ranges) < fragments:
            ranges.append([])
            size = 0
        ranges[-1].append((w, p))
        size += len(w) + len(p) + 4
    files = {
        routes.SEARCH_INDEX: _compact(
            {
                "servicebook_search": INDEX_VERSION,
                "catalog_version": view.site.catalog.version,
                "records": len(records),
                "chunk": CHUNK,
                "words": [r[0][0] for r in ranges if r],
                "kinds": _kinds(records),
            }
        )
    }
    for n in range(0, len(records), CHUNK):
        chunk = records[n : n + CHUNK]
        files[routes.search_fragment("r", n // CHUNK)] = _compact({"records": chunk})
    for n in range(fragments):  # the ones past the last range (few words, large postings) are empty
        pairs = ranges[n] if n < len(ranges) else []
        body = ",".join(json.dumps(w, ensure_ascii=False) + ":" + p.decode() for w, p in pairs)
        files[routes.search_fragment("w", n)] = ("{" + body + "}\n").encode("utf-8")
    for rid, sections in texts.items():
        files[routes.search_fragment("t", rid)] = _compact({"sections": sections})
    return files


def _mark_title(postings: dict[str, dict[int, list[int]]], rid: int, title: list[str]) -> None:
    """Record `rid`'s title words say which is its first and how many there are (`TITLE_WORDS`)."""
    for n, w in enumerate(title):
        if len(w) <= LONGEST_WORD:
            postings[w][rid][0] |= (FIELDS["lead"] if n == 0 else 0) | min(len(title), 7) << TITLE_WORDS


def search_paths(view: SiteView) -> tuple[str, ...]:
    """The paths `search_files` makes, in its order, from the records alone (cheap)."""
    records = search_records(view)
    return (
        routes.SEARCH_INDEX,
        *(routes.search_fragment("r", n) for n in range((len(records) + CHUNK - 1) // CHUNK)),
        *(routes.search_fragment("w", n) for n in range(word_fragments(len(records)))),
        *(routes.search_fragment("t", rid) for rid in _policy_ids(records)),
    )


def _flat(postings: dict[int, list[int]]) -> list[int]:
    """(id minus the one before, where, section) for each record a word occurs in, flattened."""
    flat: list[int] = []
    last = 0
    for rid, (fields, section) in postings.items():  # ids in increasing order
        flat += [rid - last, fields, section]
        last = rid
    return flat


def _kinds(records: list[dict[str, Any]]) -> list[list[object]]:
    """[kind, id of its first record] in the records' order, which groups them by kind: the script
    knows a record's kind from its id before it fetches the record (answer-first ranking)."""
    kinds: list[list[object]] = []
    for rid, r in enumerate(records):
        if not kinds or kinds[-1][0] != r["k"]:
            kinds.append([r["k"], rid])
    return kinds


def _policy_ids(records: list[dict[str, Any]]) -> list[int]:
    """The ids of the policy pages' records, in the order of view.pages."""
    return [rid for rid, r in enumerate(records) if r["k"] == "policy"]


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
    for record in records:
        parts = record["u"].split("/")
        if len(parts) >= 4 and parts[0] in ("offerings", "tools", "policies") and parts[1] in names:
            team = names[parts[1]]
            record["t"] = f"{record['t']} ({team})"
            record["x"] = f"{record.get('x', '')} {team}".strip()
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
