"""The link check of a built site: every output path stays inside the output and collides with no
other, and every relative link and #anchor in the HTML leads to a file and an id of the site.
Pure functions over the rendered files, run before anything is written (write.py)."""

from __future__ import annotations

import itertools
import json
import posixpath
from collections.abc import Collection, Container, Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from servicebook.cache.codec import read_json
from servicebook.cache.digest import digest
from servicebook.cache.store import Entry, Store
from servicebook.catalog import model
from servicebook.content.htmlrefs import HtmlRefs, read_refs
from servicebook.errors import Problem, SourceLocation
from servicebook.site.parallel import map_shared
from servicebook.site.write import HeldLinks, PageLinks, SiteFiles


def safe_path(path: str) -> bool:
    """Whether `path` stays inside the output folder: relative, normalised, no '..', no backslash.
    String work only (it runs for every file of the site): a normalised relative path is one
    whose parts are none of "", "." and "..", or "." itself."""
    if path.startswith("/") or "\\" in path:
        return False
    return path == "." or not _UNNORMAL.intersection(path.split("/"))


_UNNORMAL = frozenset(("", ".", ".."))


@dataclass(slots=True)
class CheckedPaths:
    """The output paths of a long-running process's last build (`serve`, fresh.PageMemory), which
    passed the path checks: the same paths pass again without being looked at one by one. And
    the ids of the kept pages whose ids a link check read (a link to a heading of a page kept
    from the last build, not rendered: its file parsed), each while the page is kept build after
    build: its bytes are those it was read from."""

    paths: AbstractSet[str] | None = None
    ids: dict[str, bytes] = field(default_factory=dict)


class Trusted(AbstractSet[str]):
    """The pages whose links are not read again (`check_links`): those in any of `sets` but not
    in `less`, looked up in them, not copied into a set of their own. A serve rebuild keeps its
    pages (11,000 files at 5k) and restamps them all at its first uncommitted edit (build.py
    `_verify`): their union, then it less the pages whose anchors' page changed, made sets of
    11,000 paths (0.5–1 MiB each) at the top of its memory (bench/README.md, ownmem27)."""

    def __init__(self, sets: tuple[Collection[str], ...], less: frozenset[str] = frozenset()) -> None:
        self.sets, self.less = sets, less

    def less_also(self, less: Iterable[str]) -> Trusted:
        """It, less `less` too."""
        return Trusted(self.sets, self.less.union(less))

    def __contains__(self, path: object) -> bool:
        return path not in self.less and any(path in paths for paths in self.sets)

    def __iter__(self) -> Iterator[str]:
        for n, paths in enumerate(self.sets):
            before = self.sets[:n]
            for path in paths:
                if path not in self.less and not any(path in other for other in before):
                    yield path

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __bool__(self) -> bool:  # (the first found, not all of them counted)
        return any(path not in self.less for paths in self.sets for path in paths)

    def outside(self, paths: Collection[str]) -> Iterator[str]:
        """Those of `paths` not in it, found by each set's lookup at C speed (`check_links`)."""
        rest: Iterator[str] = iter(paths)
        for trusted in self.sets:
            rest = itertools.filterfalse(trusted.__contains__, rest)
        less = (p for p in self.less if p in paths and any(p in trusted for trusted in self.sets))
        return itertools.chain(rest, less)


def check_files(
    files: Mapping[str, bytes],
    mounted: Collection[str] = (),
    trusted: Collection[str] = (),
    workers: int = 1,
    checked: CheckedPaths | None = None,
    kept: Container[str] = (),
) -> list[Problem]:
    """Path safety, then every relative link and #anchor in the HTML must lead somewhere.
    `checked`: the paths that passed last time (CheckedPaths), left holding this build's, and the
    ids of the pages `kept` byte for byte from the last build that a check read (check_links)."""
    problems: list[Problem] = []
    names = files.paths() if isinstance(files, SiteFiles) else files.keys()
    if checked is None or checked.paths is None or names != checked.paths:
        folded: dict[str, str] = {}
        for path in names:
            if not safe_path(path):
                problems.append(Problem(SourceLocation(path), "output path escapes the output folder"))
            key = path.casefold()
            if key in folded and folded[key] != path:
                problems.append(Problem(SourceLocation(path), f"output path collides with {folded[key]}"))
            folded[key] = path
        if checked is not None:
            checked.paths = None if problems else set(names)
    problems += check_links(files, mounted, trusted, workers, checked, kept)
    return problems


def check_links(
    files: Mapping[str, bytes],
    mounted: Collection[str] = (),
    trusted: Collection[str] = (),
    workers: int = 1,
    checked: CheckedPaths | None = None,
    kept: Container[str] = (),
) -> list[Problem]:
    """Every relative link in `files` leads to one of them, or to a `mounted` path (a release
    tree checked when it was built). The links of `trusted` files are not read again: they are
    pages kept from the last build, whose inputs, and so the set of pages and headings they can
    point to, are unchanged (see build.py); they are still link targets. Pages whose links were
    read when they were rendered (`SiteFiles.scans`) are not read again either; the others are
    read over `workers` processes. Problems come in file order whatever their number. The ids
    of a page linked to with a #fragment whose links were not read are read from it, or, for a
    page `kept` byte for byte from the last build (`serve`), taken from `checked` when that
    build, or one before it that the page was kept from since, read them; `checked` is left
    holding those of this build's kept pages."""

    scans: Mapping[str, PageLinks | HeldLinks] = files.scans if isinstance(files, SiteFiles) else {}
    # (the few untrusted picked out: a rebuild trusts most of the site's pages, and `names -
    # trusted` makes a set of every file first)
    names = files.paths() if isinstance(files, SiteFiles) else files.keys()
    kept = trusted if isinstance(trusted, AbstractSet) else set(trusted)
    untrusted = kept.outside(names) if isinstance(kept, Trusted) else itertools.filterfalse(kept.__contains__, names)
    paths = sorted(p for p in untrusted if p.endswith(".html") and p != "404.html")
    unread = [p for p in paths if p not in scans]
    read = dict(zip(unread, map_shared(_scan_file, files, unread, workers), strict=True))
    last = {path: ids for path, ids in checked.ids.items() if path in kept} if checked is not None else {}
    check = _LinkCheck(files, mounted, {path: scan.ids for path, scan in scans.items()}, last, [])
    problems = [problem for path in paths for problem in _check_page_links(check, path, scans.get(path) or read[path])]
    if checked is not None:
        last.update((path, check.ids[path]) for path in check.read if path in kept)
        checked.ids = last
    return problems


def scan_page(
    path: str,
    data: bytes,
    known: Container[str] = (),
    memo: dict[str, LinkTarget] | None = None,
    body: tuple[bytes, HtmlRefs] | None = None,
) -> PageLinks:
    """The links and ids of the page at `path`. Links to a path in `known` (files sure to be in
    the site) without a #fragment, and links to an id of the page itself, are settled here; pure,
    so the processes that render pages can call it on what they made. `memo`, kept by the caller
    for one `known`, holds what each link that climbs to the site's root leads to (by the path
    after the climb: `../../assets/site.css` from `policies/x/` leads to the same file from every
    page at that depth), the first MEMO_LINKS of them: most of a page's links are the theme's,
    the same on every page, while a link to another page's heading is met once or twice in the
    whole site (remembering all of those grew each render worker by 50 MiB at 20,000 pages).
    `body`: HTML that `data` holds and what it links to and its ids, known without reading it (a
    policy page's body: content/markdown.py `body_refs`): only the rest of `data` is read."""
    return settle(path, page_refs(data, body), known, memo)


def page_refs(data: bytes, body: tuple[bytes, HtmlRefs] | None = None) -> HtmlRefs:
    """What the page `data` links to and its ids (`scan_page`'s `body`: the part of it known already)."""
    return _refs_around(data, body) if body is not None else read_refs(data)


def settle(
    path: str, refs: HtmlRefs, known: Container[str] = (), memo: dict[str, LinkTarget] | None = None
) -> PageLinks:
    """`scan_page` of the page at `path` whose links and ids are `refs` (`page_refs`): a page's
    refs are a function of its bytes alone, so they can be kept by the page's key and settled
    again against the files of another build (`check`: site/scans.py)."""
    here = posixpath.dirname(path)
    climb = "../" * (here.count("/") + 1) if here else ""
    ids = _joined_ids(refs.ids)
    links = []
    for href in sorted(refs.urls):
        rest = href[len(climb) :]
        # from the root: a plain path (not "", "#…", "?…", "/…", or one that may hold a scheme)
        if memo is None or not (href.startswith(climb) and rest[:1].isalnum() and ":" not in rest):
            target = _target(here, href, known)  # a link of this page's own: not remembered
        else:
            target = memo.get(rest, _UNSEEN)
            if target is _UNSEEN:
                target = _target("", rest, known)
                if len(memo) < MEMO_LINKS:
                    memo[rest] = target
        if target is None:  # another site's, or settled
            continue
        joined, folder, fragment = target
        if joined or fragment not in refs.ids:  # (not a search of `ids`: a page's 60,000 took minutes)
            links.append((href, joined, folder, fragment))
    return PageLinks(tuple(links), ids)


def _refs_around(data: bytes, body: tuple[bytes, HtmlRefs]) -> HtmlRefs:
    """`read_refs(data)` where `data` holds `body[0]`, whose links and ids are `body[1]`: the rest
    of the page read with a marker element in the body's place. The marker is read as an element
    only where the body's tags are read as elements too (not in a comment, an attribute or a
    script); anywhere else, or without the body in `data`, the whole page is read."""
    html, known = body
    at = data.find(html) if html else -1
    if at < 0 or _BODY_ID.encode() in data:
        return read_refs(data)
    rest = read_refs(data[:at] + _BODY_MARKER + data[at + len(html) :])
    if _BODY_ID not in rest.ids:
        return read_refs(data)
    return HtmlRefs(rest.urls | known.urls, (rest.ids - {_BODY_ID}) | known.ids)


_BODY_ID = "servicebook-body-here"
_BODY_MARKER = f'<b id="{_BODY_ID}"></b>'.encode()


LinkTarget = tuple[str, bool, str] | None  # what a link leads to: (path joined, to a folder, #fragment)
MEMO_LINKS = 4096  # links to the site's files that a render worker remembers (scan_page)
_UNSEEN: LinkTarget = ("", False, "")


def _target(here: str, href: str, known: Container[str]) -> LinkTarget:
    """What `href`, on a page in folder `here`, leads to: None for another site's address, for a
    link to a file in `known` without a #fragment, and for one to nothing at all; a fragment alone
    has `joined` "" (checked against the page's own ids)."""
    if ":" in href or href.startswith("//"):  # may have a scheme or a host: let urlsplit decide
        try:
            parts = urlsplit(href)
        except ValueError:  # an address urlsplit cannot read (`http://[::1`): another site's, not a file here
            return None
        if parts.scheme or parts.netloc:
            return None
        path_part, fragment = parts.path, parts.fragment
    else:  # a relative reference, as urlsplit would split it
        before, _, fragment = href.partition("#")
        path_part = before.partition("?")[0]
    if path_part:
        joined = posixpath.normpath(posixpath.join(here, unquote(path_part) if "%" in path_part else path_part))
        folder = href.split("#", 1)[0].endswith("/")
        if not fragment and resolve(joined, folder, known) in known:
            return None
        return joined, folder, fragment
    return ("", False, fragment) if fragment else None


class SharedLinks:
    """Page scans as the build holds them until the check (`HeldLinks`): each link by its href
    alone (where it leads is said again by the check, from the page's path: `_held_links`), and
    each distinct href, set of hrefs and set of ids kept once for the whole site. A scan comes
    back from a render worker with copies of its own, and many of a page's links are those of
    every page (the theme's anchors, the offerings a policy applies to); the path and #fragment
    each link leads to were two thirds of what the parent held of a page's links (bench/README.md)."""

    def __init__(self) -> None:
        self._hrefs: dict[str, str] = {}
        self._sets: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._ids: dict[bytes, bytes] = {}

    def __call__(self, scan: PageLinks | HeldLinks) -> HeldLinks:
        """`scan` as the build holds it, made of the hrefs and ids already held where they are the same."""
        if isinstance(scan, HeldLinks):
            return scan
        shared = self._hrefs
        hrefs = tuple(shared.setdefault(link[0], link[0]) for link in scan.links)
        return HeldLinks(self._sets.setdefault(hrefs, hrefs), self._ids.setdefault(scan.ids, scan.ids))


def _held_links(path: str, scan: PageLinks | HeldLinks) -> tuple[tuple[str, str, bool, str], ...]:
    """The links of a page's scan, each as `scan_page` found it: (href, path joined, to a folder,
    #fragment). A held link is one `scan_page` did not settle, so it leads somewhere: its href and
    the page's folder say where, as they did when the page was scanned (a link that climbs to the
    root leads where its path after the climb does from the root: `scan_page`'s memo)."""
    if isinstance(scan, PageLinks):
        return scan.links
    here = posixpath.dirname(path)
    links = []
    for href in scan.hrefs:
        target = _target(here, href, ())
        assert target is not None, href  # a held link leads somewhere (above)
        links.append((href, *target))
    return tuple(links)


def _joined_ids(ids: Collection[str]) -> bytes:
    """`ids` as PageLinks keeps them."""
    return b"\0" + b"\0".join(sorted(i.encode() for i in ids)) + b"\0"


def resolve(joined: str, folder: bool, files: Container[str]) -> str:
    """The file a link's path leads to: a folder's index.html, or the path itself."""
    if folder:
        return posixpath.normpath(posixpath.join(joined, "index.html"))
    return joined + "/index.html" if joined + "/index.html" in files else joined


def _scan_file(files: Mapping[str, bytes], path: str) -> PageLinks:
    return scan_page(path, files[path], files)


@dataclass(frozen=True, slots=True)
class _LinkCheck:
    files: Mapping[str, bytes]
    mounted: Collection[str]
    ids: dict[str, bytes]  # ids of each page (see PageLinks.ids): known from scans, else read when needed
    kept: Mapping[str, bytes]  # those of pages kept from the last build, as read then (check_links)
    read: list[str]  # the pages whose ids were read
    # the ids of each page a link's #fragment was looked up in, as a set: a search of the joined
    # ids for each link took minutes where many pages link to one of 60,000 headings
    id_sets: dict[str, frozenset[bytes]] = field(default_factory=dict)

    def has_id(self, path: str, fragment: str) -> bool:
        found = self.id_sets.get(path)
        if found is None:
            if path not in self.ids:
                known = self.kept.get(path)
                if known is None:
                    known = _joined_ids(read_refs(self.files[path]).ids)
                    self.read.append(path)
                self.ids[path] = known
            found = self.id_sets[path] = frozenset(self.ids[path].split(b"\0"))
        return fragment.encode() in found


def _check_page_links(check: _LinkCheck, path: str, scan: PageLinks | HeldLinks) -> list[Problem]:
    files = check.files
    problems: list[Problem] = []
    for href, joined, folder, fragment in _held_links(path, scan):
        target = path
        if joined:
            target = resolve(joined, folder, files)
            if target in check.mounted:
                continue
            if target not in files:
                problems.append(
                    Problem(
                        SourceLocation(path),
                        f"broken link to '{href}' (no {target} in the site)",
                        "check the template that produced it",
                    )
                )
                continue
        if fragment and target.endswith(".html") and not check.has_id(target, fragment):
            problems.append(Problem(SourceLocation(path), f"broken link to '{href}' (no id '{fragment}' on {target})"))
    return problems


class SettledAnchors:
    """Which pages' links to other pages' headings all led somewhere, as a build in a process of
    its own (the command line) found them, for the next one: `serve` keeps its last load's answer
    in memory (load.LoadMemo); without this, a command-line build reads every page's links back
    and looks each one up, though a one-page edit changes one page's links.

    Kept in the store under a digest of every page's slug and of what other pages see of it
    (load.Loaded `page_digests`: its source, front matter and headings, so every page's anchors):
    the slug and the SHA-256 of the HTML (`held`) of each page whose links were all settled
    against those anchors. A page's links to headings are its HTML's (a link to `page.md#anchor`
    is written into the HTML as that page's address relative to the page's own, and the anchor),
    so the page at the same place with the same HTML, among pages with the same anchors, is
    settled again without its links being read. Pages whose links did not all lead somewhere are
    never in it (their problems are found again, and reported, every build)."""

    KIND = "anchors-settled"

    def __init__(self, store: Store, pages: str, settled: frozenset[str]) -> None:
        self.store = store
        self.pages = pages  # the digest of the pages and their anchors it is kept under
        self.settled = settled  # each page settled among them (`held`)

    @staticmethod
    def held(pages: Mapping[str, model.Page]) -> dict[str, str]:
        """Each page by slug as `settled` holds it: where it is and its HTML (the first 128 bits
        of its SHA-256)."""
        return {slug: f"{slug} {page.html_sha256[:32]}" for slug, page in pages.items()}

    @classmethod
    def read(cls, store: Store | None, slugs: Iterable[str], digests: Mapping[str, str]) -> SettledAnchors | None:
        """What the store holds for the pages `slugs` (each with its digest in `digests`); None
        without a usable store."""
        if store is None or not store.usable:
            return None
        pages = digest("\n".join(f"{slug} {digests.get(slug, '')}" for slug in slugs))
        entry = store.get(cls.KIND, [pages]).get(pages)
        settled: frozenset[str] = frozenset()
        if entry is not None:
            try:
                found = read_json(entry.data)["settled"]
            except (ValueError, TypeError, KeyError):
                found = None
            if isinstance(found, list) and all(isinstance(h, str) for h in found):
                settled = frozenset(found)
        return cls(store, pages, settled)

    def record(self, settled: Iterable[str]) -> None:
        """The pages settled now (`held`), kept if they are not what was kept."""
        now = set(settled)
        if now != self.settled:
            self.store.put(self.KIND, self.pages, Entry(json.dumps({"settled": sorted(now)})))
