"""View models of the site's history, from a `history.Timeline`: the changes page, the Atom feed,
each entity's history and every page's "last changed". Pure functions; everything is ordered so
that two builds of one commit give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import operator
import posixpath
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from servicebook import routes
from servicebook.errors import counted
from servicebook.git.diff import Change, ordered
from servicebook.git.history import Entry, Timeline
from servicebook.git.snapshots import page_slug
from servicebook.git.versions import Release

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

ATOM = "http://www.w3.org/2005/Atom"
FEED_ENTRIES = 100  # the newest commits; the changes pages have all of them
PAGE_SIZE = 50  # entries per changes page, so a long history stays quick to load


@dataclass(frozen=True, slots=True)
class EntryView:
    commit: str | None  # None: the working tree
    short: str | None
    url: str | None  # the commit on the forge, when site.repository is set
    anchor: str  # id on the changes page
    page: str  # the changes page that lists it: "changes/", "changes/2/" …
    author: str
    date: str  # "2026-05-28 14:00 UTC", "" for the working tree
    iso: str  # RFC 3339, "" for the working tree
    message: str
    merge: bool
    state: str  # ok, invalid, missing, truncated
    errors: int
    changes: tuple[Change, ...]  # weakened first
    weakened: int
    contributors: tuple[str, ...] = ()  # a merge's: who wrote what it brought in
    coauthors: tuple[str, ...] = ()  # whom its Co-authored-by trailers name, the author aside
    committer: str = ""  # who committed it, where not its author
    approvals: tuple[str, ...] = ()  # its Reviewed-by and Approved-by trailers ("Reviewed-by: Grace Hopper")
    releases: tuple[tuple[str, str], ...] = ()  # (version, path under v/) of each release cut at this commit


@dataclass(frozen=True, slots=True)
class EntityEvent:
    """One commit's changes to one offering, tool or page."""

    entry: EntryView
    changes: tuple[Change, ...]


@dataclass(frozen=True, slots=True)
class HistoryView:
    available: bool
    shallow: bool
    entries: tuple[EntryView, ...]  # newest first; the working tree first when it has changes
    events: Mapping[str, tuple[EntityEvent, ...]] = field(default_factory=dict)  # subject → newest first
    newest: Mapping[str, EntryView] = field(default_factory=dict)  # subject or "kind:" prefix → last change
    # each offering and tool a commit removed from the catalog → the newest such event: its old
    # address keeps a page saying so while that is its newest event (render.py `_gone_specs`)
    removals: Mapping[str, EntityEvent] = field(default_factory=dict)

    def history_of(self, subject: str) -> tuple[EntityEvent, ...]:
        return self.events.get(subject, ())

    def last_changed(self, path: str) -> EntryView | None:
        """The newest entry that changed what the page at output `path` shows."""
        key = _page_subject(path)
        return None if key is None else self.newest.get(key)


def _page_subject(path: str) -> str | None:
    """The history subject whose newest change the page at output `path` shows ("offering:ci";
    "offering:" is any offering, "" anything at all), None for a page that shows none."""
    found = routes.entity_at(path)
    if found is not None:
        kind, ident = found
        return f"{SUBJECTS[kind]}:{ident}"
    fixed = routes.fixed_at(path)
    return None if fixed is None else fixed.shows


SUBJECTS: dict[routes.Entity, str] = {
    "offering": "offering",
    "tool": "tool",
    "policy": "page",
}  # as history.py names them


def _date(when: dt.datetime | None) -> tuple[str, str]:
    if when is None:
        return "", ""
    utc = when.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%d %H:%M UTC"), utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def changes_page_path(index: int) -> str:
    """The changes page listing the entry at `index` (0 = newest)."""
    return routes.changes(index // PAGE_SIZE + 1)


def _entry_view(
    entry: Entry, index: int, commit_url: Callable[[str], str | None], releases: Mapping[str, list[tuple[str, str]]]
) -> EntryView:
    date, iso = _date(entry.date)
    short = entry.commit[:12] if entry.commit else None
    changes = tuple(ordered(_published(entry.changes)))
    return EntryView(
        commit=entry.commit,
        short=short,
        url=commit_url(entry.commit) if entry.commit else None,
        anchor=f"c-{short}" if short else "working-tree",
        page=changes_page_path(index),
        author=entry.author,
        date=date,
        iso=iso,
        message=entry.message,
        merge=entry.merge,
        state=entry.state,
        errors=entry.errors,
        changes=changes,
        weakened=sum(1 for c in changes if c.effect == "weakened"),
        contributors=entry.contributors,
        coauthors=entry.coauthors,
        committer=entry.committer,
        approvals=entry.approvals,
        releases=tuple(releases.get(entry.commit, ())) if entry.commit else (),
    )


_FIRST_SEEN = {
    "offering.added": ("offering", "offerings"),
    "tool.added": ("tool decision", "tool decisions"),
    "category.added": ("category", "categories"),
}


def _published(changes: tuple[Change, ...]) -> tuple[Change, ...]:
    """The first catalog adds every entity; the changes list says how many, each entity's own
    history names it (a catalog of thousands would otherwise make one enormous entry)."""
    if not any(c.kind == "catalog.added" for c in changes):
        return changes
    counts = [(sum(1 for c in changes if c.kind == kind), names) for kind, names in _FIRST_SEEN.items()]
    text = "Catalog published: " + ", ".join(f"{n} {names[n != 1]}" for n, names in counts)
    summary = Change("catalog.added", "catalog", "neutral", text)
    return (summary, *(c for c in changes if c.kind not in _FIRST_SEEN and c.kind != "catalog.added"))


def _moves(change: Change) -> tuple[str, str] | None:
    """(old subject, new subject) when a change gives an entity a new name on the site."""
    if change.kind == "offering.id" and change.before and change.after:
        return f"offering:{change.before}", f"offering:{change.after}"
    if change.kind == "page.moved" and change.before and change.after:
        return f"page:{page_slug(change.before)}", f"page:{page_slug(change.after)}"
    return None


@dataclass(slots=True)
class HistoryMemo:
    """The view of the committed history a long-running process's (`serve`) last build made
    (`history_view`): the next build takes it again while the committed entries are the very ones
    (git.history.TimelineMemo keeps them while HEAD is the same commit) at the same places, with
    the same releases and links to the forge, and puts the working tree's entry on top, instead
    of viewing and ordering every change of every commit again (one commit adding a catalog of
    20,000 pages is 20,000 changes, each an entity's event)."""

    made_of: tuple[tuple[Entry, ...], int, object, tuple[Release, ...]] | None = None
    entries: tuple[EntryView, ...] = ()
    events: dict[str, tuple[EntityEvent, ...]] = field(default_factory=dict)
    newest: dict[str, EntryView] = field(default_factory=dict)
    # the Atom feed its last build made (`atom_feed`), compressed, its size, and what it was made
    # of (the committed entries' views, then the title, the address and the date)
    feed_of: tuple[object, ...] | None = None
    feed: bytes = b""
    feed_size: int = 0
    removals: dict[str, EntityEvent] = field(default_factory=dict)


REMOVALS = frozenset({"offering.removed", "tool.removed"})


def history_view(
    timeline: Timeline,
    commit_url: Callable[[str], str | None],
    releases: Iterable[Release] = (),
    *,
    memo: HistoryMemo | None = None,
    links: object = None,
) -> HistoryView:
    """The history's view models; each entry marks the releases published from its commit
    (linking to v/<version>/), so a reader sees where each release was cut. With a `memo`
    (`serve`) and `links`, what `commit_url` is made of, the committed entries' view is taken from
    the last build's while it is of the same entries (see HistoryMemo)."""
    released = tuple(releases)
    cut: dict[str, list[tuple[str, str]]] = {}
    for release in released:
        cut.setdefault(release.commit, []).append((release.version, release.path))
    every = timeline.entries
    top = next((n for n, e in enumerate(every) if e.commit is not None), len(every))  # the working tree's, on top
    # an entry that renames renames the subjects of the older ones: the working tree's then views them anew
    if memo is None or links is None or any(_moves(c) is not None for e in every[:top] for c in e.changes):
        entries = tuple(_entry_view(e, n, commit_url, cut) for n, e in enumerate(every))
        events, newest, removals = _folded(every, entries)
        return HistoryView(
            available=timeline.available,
            shallow=timeline.shallow,
            entries=entries,
            events=_sorted(events),
            newest=dict(sorted(newest.items())),
            removals=dict(sorted(removals.items())),
        )
    older = every[top:]
    last = memo.made_of
    if not (
        last is not None
        and last[1:] == (top, links, released)
        and len(last[0]) == len(older)
        and all(map(operator.is_, last[0], older))
    ):
        views = tuple(_entry_view(e, n, commit_url, cut) for n, e in enumerate(older, top))
        events, newest, removals = _folded(older, views)
        memo.made_of, memo.entries = (older, top, links, released), views
        memo.events, memo.newest = _sorted(events), dict(sorted(newest.items()))
        memo.removals = dict(sorted(removals.items()))
    entries = tuple(_entry_view(e, n, commit_url, cut) for n, e in enumerate(every[:top]))
    new_events, new_newest, new_removals = _folded(every[:top], entries)
    return HistoryView(
        available=timeline.available,
        shallow=timeline.shallow,
        entries=entries + memo.entries,
        events=_put(memo.events, {s: (*v, *memo.events.get(s, ())) for s, v in new_events.items()}),
        newest=_put(memo.newest, new_newest),
        removals=_put(memo.removals, new_removals),
    )


def _folded(
    entries: Iterable[Entry], views: Iterable[EntryView]
) -> tuple[dict[str, list[EntityEvent]], dict[str, EntryView], dict[str, EntityEvent]]:
    """Each subject's events, newest first, the newest entry of each subject, kind of subject
    ("offering:") and of all (""), and each offering's and tool's newest event that removed it
    (HistoryView `removals`), of `entries` (newest first) and their `views`."""
    events: dict[str, list[EntityEvent]] = {}
    newest: dict[str, EntryView] = {}
    removals: dict[str, EntityEvent] = {}
    alias: dict[str, str] = {}  # a name an entity had in older commits → its name today
    for entry, view in zip(entries, views, strict=True):  # newest first: renames apply to older
        newest.setdefault("", view)
        by_subject: dict[str, list[Change]] = {}
        removed: set[str] = set()
        for change in ordered(entry.changes):
            subject = alias.get(change.subject, change.subject)
            by_subject.setdefault(subject, []).append(change)
            if change.kind in REMOVALS:
                removed.add(subject)
        for change in entry.changes:
            move = _moves(change)
            if move is not None:
                alias[move[0]] = alias.get(move[1], move[1])
        for subject in sorted(by_subject):
            event = EntityEvent(view, tuple(by_subject[subject]))
            events.setdefault(subject, []).append(event)
            if subject in removed and subject not in removals:
                removals[subject] = event
            newest.setdefault(subject, view)
            kind = subject.split(":", 1)[0] + ":" if ":" in subject else None
            if kind:
                newest.setdefault(kind, view)
    return events, newest, removals


_V = TypeVar("_V")


def _sorted(events: Mapping[str, list[EntityEvent]]) -> dict[str, tuple[EntityEvent, ...]]:
    return {k: tuple(v) for k, v in sorted(events.items())}


def _put(kept: Mapping[str, _V], new: Mapping[str, _V]) -> dict[str, _V]:
    """`kept` (in key order) with `new`'s values over it, in key order: the copy put right in place
    when `new` brings no key of its own, else sorted again."""
    if not new:
        return dict(kept)
    if new.keys() <= kept.keys():
        merged = dict(kept)
        merged.update(new)
        return merged
    return dict(sorted({**kept, **new}.items()))


# --------------------------------------------------------------------------- Atom


def atom_feed(
    history: HistoryView,
    title: str,
    base_url: str | None,
    fallback_date: dt.datetime | None,
    memo: HistoryMemo | None = None,
) -> bytes:
    """An Atom feed (RFC 4287) of the newest commits. With `site.base_url` every link and id is
    absolute; without it, ids are URNs and links are relative to the feed, which RFC 4287 allows
    (they resolve against the feed's own address). With a `memo` (`serve`), the last build's feed
    while it is of the same committed entries (HistoryMemo keeps them while HEAD is the same
    commit): a commit that added 5,000 pages is one entry of 5,000 lines, whose feed (0.5 MB) was
    made again at every rebuild, ~2 MiB of text and XML on the way at the top of its memory
    (bench/README.md, ownmem27); it is kept compressed (~40 KB)."""
    committed = [e for e in history.entries if e.commit is not None][:FEED_ENTRIES]
    made_of = (*committed, title, base_url, None if committed else fallback_date)
    if memo is not None and _same_feed(memo.feed_of, made_of):
        return zlib.decompress(memo.feed, bufsize=memo.feed_size)  # (its size at once: no buffer grown)
    made = _atom_feed(committed, title, base_url, fallback_date)
    if memo is not None:
        memo.feed_of, memo.feed, memo.feed_size = made_of, zlib.compress(made, 1), len(made)
    return made


def _same_feed(last: tuple[object, ...] | None, now: tuple[object, ...]) -> bool:
    """Whether a feed made of `last` is the one made of `now`: equal entries, title, address and
    date. An entry's view made again (the first uncommitted edit views the history again) holds
    the very changes it held, which the comparison takes by identity before their text."""
    return last is not None and len(last) == len(now) and all(map(_same, last, now))


def _same(a: object, b: object) -> bool:
    return a is b or a == b


def _atom_feed(
    committed: list[EntryView], title: str, base_url: str | None, fallback_date: dt.datetime | None
) -> bytes:
    # start-up cost, measured: xml.etree, tarfile, zoneinfo, difflib 7 ms a build together
    import xml.etree.ElementTree as ET  # the feed alone: a build without history does not import it

    ET.register_namespace("", ATOM)
    base = base_url.rstrip("/") + "/" if base_url else None
    feed = ET.Element(f"{{{ATOM}}}feed")
    token = hashlib.sha256(title.encode()).hexdigest()[:16]
    _text(feed, "id", f"{base}{routes.changes()}" if base else f"urn:servicebook:changes:{token}")
    _text(feed, "title", f"Changes to {title}")
    updated = committed[0].iso if committed else _date(fallback_date or dt.datetime(1970, 1, 1, tzinfo=dt.UTC))[1]
    _text(feed, "updated", updated)
    _link(feed, f"{base}{routes.changes()}" if base else _from_feed(routes.changes()), "alternate", "text/html")
    if base:
        _link(feed, f"{base}{routes.FEED}", "self", "application/atom+xml")
    _text(feed, "generator", "servicebook")
    for entry in committed:
        item = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(
            item, "id", f"{base}{routes.changes()}#{entry.anchor}" if base else f"urn:servicebook:commit:{entry.commit}"
        )
        weak = f" ({entry.weakened} weaken{'s' if entry.weakened == 1 else ''} a commitment)" if entry.weakened else ""
        _text(item, "title", f"{entry.message}{weak}")
        _text(item, "updated", entry.iso)
        author = ET.SubElement(item, f"{{{ATOM}}}author")
        _text(author, "name", entry.author or "unknown")
        for name in entry.coauthors:
            _text(ET.SubElement(item, f"{{{ATOM}}}author"), "name", name)
        for name in entry.contributors:
            _text(ET.SubElement(item, f"{{{ATOM}}}contributor"), "name", name)
        _link(
            item,
            f"{base}{entry.page}#{entry.anchor}" if base else f"{_from_feed(entry.page)}#{entry.anchor}",
            "alternate",
            "text/html",
        )
        if entry.url:
            _link(item, entry.url, "related", "text/html")
        summary = ET.SubElement(item, f"{{{ATOM}}}content", {"type": "text"})
        summary.text = _entry_text(entry)
    ET.indent(feed)
    body = bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=False))
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body + b"\n"


def _entry_text(entry: EntryView) -> str:
    lines = []
    if entry.state == "invalid":
        lines.append(f"The catalog in this commit did not validate ({counted(entry.errors, 'error')}).")
    elif entry.state == "missing":
        lines.append("There is no catalog.yaml in this commit.")
    elif entry.state == "truncated":
        lines.append("The history before this commit is not in the clone the site was built from.")
    marks = {"weakened": "WEAKENS A COMMITMENT: ", "strengthened": "", "neutral": ""}
    lines += [f"- {marks[c.effect]}{c.text}" for c in entry.changes]
    if not lines:
        lines.append("No change in meaning (wording, comments or formatting).")
    return "\n".join(lines)


def _from_feed(target: str) -> str:
    """The URL of site path `target` from the feed, for a feed read without the site's address."""
    return routes.relative_url(posixpath.dirname(routes.FEED), target)


def _text(parent: ET.Element, tag: str, text: str) -> None:
    # start-up cost, measured: xml.etree, tarfile, zoneinfo, difflib 7 ms a build together
    import xml.etree.ElementTree as ET  # imported by atom_feed, which alone calls this

    ET.SubElement(parent, f"{{{ATOM}}}{tag}").text = text


def _link(parent: ET.Element, href: str, rel: str, kind: str) -> None:
    # start-up cost, measured: xml.etree, tarfile, zoneinfo, difflib 7 ms a build together
    import xml.etree.ElementTree as ET  # imported by atom_feed, which alone calls this

    ET.SubElement(parent, f"{{{ATOM}}}link", {"href": href, "rel": rel, "type": kind})


@dataclass(frozen=True, slots=True)
class ChangesPage:
    """One page of the changes list."""

    number: int  # 1-based
    count: int  # how many pages there are
    path: str  # "changes/" or "changes/N/"
    entries: tuple[EntryView, ...]
    newer: str | None  # site path of the previous page
    older: str | None  # site path of the next page
    pages: tuple[tuple[int, str], ...]  # (number, path) of every page


def changes_pages(history: HistoryView) -> tuple[ChangesPage, ...]:
    """The changes list cut into pages of PAGE_SIZE, newest first (one page when there is no history)."""
    count = max(1, -(-len(history.entries) // PAGE_SIZE))
    paths = tuple((n + 1, changes_page_path(n * PAGE_SIZE)) for n in range(count))
    return tuple(
        ChangesPage(
            number=n + 1,
            count=count,
            path=paths[n][1],
            entries=history.entries[n * PAGE_SIZE : (n + 1) * PAGE_SIZE],
            newer=paths[n - 1][1] if n > 0 else None,
            older=paths[n + 1][1] if n + 1 < count else None,
            pages=paths,
        )
        for n in range(count)
    )
