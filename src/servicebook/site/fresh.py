"""Stage 0 of the build: is the output still what the last build made from these very inputs?

This module answers it without the rest of the pipeline: it imports no renderer, no template
engine, no Markdown, so a rebuild with nothing to do pays for reading the source folder's
identities, a few git questions and one row of the store (cache/store.py), and nothing else
(bench/README.md, "No-change rebuild", has the figure).

The last successful build into an output recorded a **manifest** in the store: a fingerprint of
every input (source files, settings, commit and tags, servicebook's own code), the identity of
every file it put in the output, its warnings and counts, and for every page the key of the
inputs it was rendered from (build.py decides which pages it may keep by those keys).
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import functools
import itertools
import json
import operator
import os
import re
import stat
import time
from array import array
from collections.abc import Callable, Collection, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from servicebook.cache.codec import decode, encode
from servicebook.cache.digest import code_digest as servicebook_digest
from servicebook.cache.digest import digest, digest_encoded, encoded
from servicebook.cache.folder import output_folder
from servicebook.cache.store import Store, read_stamp
from servicebook.catalog.basics import CATALOG_TOO_BIG, MAX_CATALOG_BYTES, BuildInfo
from servicebook.errors import Problem, Severity, SourceLocation
from servicebook.git.repo import (
    BUILD_INPUTS,
    CATALOG_FILE,
    Repo,
    blob_id,
    build_info,
    committed_blobs,
    source_date_epoch,
    tag_refs_started,
)
from servicebook.progress import Phase, Phases
from servicebook.site.parallel import halves, worker_count
from servicebook.site.write import MARKER, SpareJournal, check_output_dir, settle
from servicebook.source.text import SourceError, read_text

if TYPE_CHECKING:
    from servicebook.catalog.model import Catalog
    from servicebook.git.history import TimelineMemo
    from servicebook.git.releases import Discovery
    from servicebook.site.changes import HistoryMemo
    from servicebook.site.links import CheckedPaths
    from servicebook.site.load import BodySpool, LoadMemo, PageResult
    from servicebook.site.outputs import CatalogLines, ManifestLines, VersionPages
    from servicebook.site.paging import PartsMemo
    from servicebook.site.search import SearchMemory
    from servicebook.site.views import ViewMemo

FORMAT = 5  # bump when what a manifest or a page key holds changes shape


@cache
def code_digest() -> str:
    """What a build recorded by another servicebook (version or code) must not be reused by."""
    return digest(f"build {FORMAT}", servicebook_digest())


@dataclass(slots=True)
class KeptMemo:
    """What a long-running process (`serve`, PageMemory `kept`) keeps of its last build's
    answers for the outputs keyed by one input of their own and by what they all share (a policy
    page: its page; a data file whose declared inputs are complete: those inputs): what they
    shared (`shared`), and by output path that input (a page is the very object while it is
    unchanged, see store.Remembering) and the key the build cache recorded for it. The next
    build, when they share the same, asks the build cache with those keys in one go
    (buildcache.BuildCache.reuse_many, through pagekeys.reuse_keys) for every output whose input
    is the same, without making its key again or asking output by output; the others are asked
    as any build asks. A build of the command line has it from the store (buildcache.BuildCache
    `kept_memo`), with `viewed`: an offering's or a tool's page key by the digest of what it is
    made from but its view, and a token of what every view is made from (pagekeys.reuse_keys),
    so that those views are not written out again to be keyed while none of that changed
    (`serve` keeps their keys in its KeyMemo instead)."""

    shared: tuple[object, ...] = (None, None)  # what the policy pages' keys share, and the data files'
    outputs: dict[str, tuple[object, str]] = field(default_factory=dict)
    viewed: dict[str, tuple[str, str]] = field(default_factory=dict)  # output path → (inputs' digest, key)
    # `serve`: the specs of the outputs its last build asked with their last keys and kept, at their
    # places among every output's (None elsewhere): one that is the very spec at its place has the
    # very own input it had (pagekeys._Carried)
    specs: list[object] = field(default_factory=list)
    # and how many of those `specs` each template has (a data file's: None), for the build's
    # report (pagekeys._Carried `taken`, site/tally.py)
    templates: collections.Counter[str | None] = field(default_factory=collections.Counter)
    # `serve`: what its last build's answers for those `specs` were (None: none to take as they were)
    answered: KeptAnswers | None = None


@dataclass(slots=True)
class KeptAnswers:
    """What a long-running process's (`serve`) last build answered for the outputs it kept with
    their last keys (KeptMemo `specs`), for the next build to take as they were, but at the
    places where a spec is not the very one (pagekeys._Carried): every output's answer at its
    place (the file of each kept one), every output's path at its place, and the paths of the
    kept ones with their keys and as a set, which buildcache.BuildCache.reuse_again takes at
    once. They hold only for a build whose last manifest is the one the build that made them
    recorded and whose output that build swapped in: `recorded` is that build's keys (the very
    dict its manifest holds: BuildCache `keys`), which the build cache compares its last
    manifest's with."""

    answers: list[str | bytes | None]
    paths: list[str]
    keys: dict[str, str]
    kept: set[str]
    recorded: object


class PageMemory:
    """Policy pages as loaded by the earlier builds of one long-running process (`serve`), by
    their store key, and the catalog last read: a rebuild after an edit takes what did not change
    from memory instead of decoding it from the build cache again (store.Remembering). It holds
    the pages of the last build only; the caches on disk still record each entry as used, so they
    keep it too. It also holds the manifest its last build recorded, which the store does not
    (thousands of entries, one per output file, made into JSON, written and read back by every
    build for nothing: no other process builds into its output).
    A build given a memory trusts the files its last build recorded in the output while that
    output's marker is the one it swapped in (buildcache.BuildCache.reuse): the process owns
    its output, as `serve` its temporary folder."""

    def __init__(self) -> None:
        self.pages: dict[str, PageResult] = {}
        # the names of the pages' entries in the store, by key (store.Remembering `carry`): those of
        # the pages it holds, and of at most as many more (cache.store.names: a pure function of the key)
        self.page_names: dict[str, str] = {}
        self.catalog: tuple[str, tuple[Catalog, tuple[Problem, ...]]] | None = None  # key, as read
        # the manifest its last build recorded, kept here only (buildcache.BuildCache.record): its
        # output is the process's own, which only its builds write; None from when a build begins
        # to replace the output until it records what the output holds
        self.manifest: Manifest | None = None
        # the SHA-256 of the manifest.sha256 its last build published, and of each file it lists
        self.published: tuple[str, dict[str, str]] | None = None
        # the store's generation of its last build and the entries it marked used (Store.carry)
        self.used: tuple[int, set[str]] | None = None
        # the output paths its last build checked (links.CheckedPaths), made by the first build
        self.checked: CheckedPaths | None = None
        # the last build's page keys and what each was made from (pagekeys.KeyMemo), so that
        # the next build makes again only those whose inputs changed
        self.keys: dict[str, tuple[tuple[object, ...], str]] = {}
        # and its answers for the outputs keyed by one input of their own (KeptMemo, below),
        # made by the first build
        self.kept: KeptMemo | None = None
        # where its pages' HTML is (load.BodySpool): the builds of the process share it, so the
        # memory holds each page's outline, not its text; made by the first build
        self.bodies: BodySpool | None = None
        # what its last search index was made of (made by the first build that makes one)
        self.search: SearchMemory | None = None
        # what its last build left in the output and the spare (write.SpareJournal): the next
        # build's write stage looks only at what changed, without listing the spare
        self.spare = SpareJournal()
        # catalog.json's catalog sections (made by the first build)
        self.catalog_lines: CatalogLines | None = None
        # the lines of the last manifest.sha256 it made (outputs.ManifestLines), made by the first build
        self.manifest_lines: ManifestLines | None = None
        # the views of its last build (views.ViewMemo) and how it cut the paged lists
        # (paging.PartsMemo), made by the first build
        self.views: ViewMemo | None = None
        self.paging: PartsMemo | None = None
        # what its last load found (load.LoadMemo), made by the first build
        self.load: LoadMemo | None = None
        # what its last history read of the commits (git.history.TimelineMemo), made by the first build
        self.timeline: TimelineMemo | None = None
        # the view of the committed history its last build made (changes.HistoryMemo), made by the first build
        self.history: HistoryMemo | None = None
        # its last build's release trees' paths in the site, and how many are pages (build._mounted),
        # with what they were made of: each release's path and its very set of paths
        self.mounted: tuple[tuple[tuple[str, frozenset[str]], ...], Collection[str], int] | None = None
        # each release's part of its last pages-by-version.json (outputs.VersionPages), made by the first build
        self.version_pages: VersionPages | None = None
        # the cached releases its builds stored or took as they were (releases.CheckedReleases), made by
        # the first build that publishes one; typed `object` here, as releases.py builds on this
        # module (a type import back would make a circle of the two)
        self.releases: object = None
        # the releases its last build found (git.releases.discover), with what they were found
        # from: the repository (HEAD's commit among it), the tag pattern, the tags as listed
        self.discovered: tuple[tuple[object, ...], Discovery | None] | None = None
        # the source files as its last survey found them (`scan_sources`: hashes, identities),
        # and what changed since then as far as a file watcher knows (paths relative to the
        # source, set before each build; None: not known): the next survey looks at those alone
        # (`rescan`), and a later full survey checks that nothing else changed (`unreported`)
        self.scanned: tuple[dict[str, str], dict[str, list[Any]]] | None = None
        # the survey's fingerprint of the sources, line by line (SourceLines), made by the first build
        self.source_lines: SourceLines | None = None
        self.changed: frozenset[str] | None = None
        self.unverified = False  # the last survey took the watcher's word for what changed
        # the store its last build kept open (Store.keep), for the next build's survey to open again
        self.store: Store | None = None
        # what its last build put in of the files it kept, by path (write.SiteFiles.put_kept `last`)
        self.kept_files: dict[str, str | bytes | None] = {}

    def unreported(self, root: Path) -> list[str]:
        """The source files that differ from what the last survey found, surveyed in full: those
        a file watcher did not report (a build that took its word has not seen them). Empty when
        the last survey was a full one; its verdict is remembered, so this is done once."""
        if not self.unverified or self.scanned is None:
            return []
        self.unverified = False
        files, seen = self.scanned
        now, _ = scan_sources(root, BUILD_INPUTS, seen)
        return sorted(p for p in files.keys() | now.keys() if files.get(p) != now.get(p))

    def close(self) -> None:
        if self.bodies is not None:
            self.bodies.close()
            self.bodies = None
        if self.store is not None:
            self.store.close()
            self.store = None
        self.pages = {}
        self.page_names = {}
        self.keys = {}
        self.kept = None
        self.kept_files = {}
        self.published = None
        self.manifest = None
        self.used = None
        self.checked = None
        self.search = None
        self.catalog_lines = None
        self.manifest_lines = None
        self.views = None
        self.paging = None
        self.load = None
        self.timeline = None
        self.history = None
        self.mounted = None
        self.version_pages = None
        self.scanned = self.changed = None
        self.spare.forget()


@dataclass(frozen=True, slots=True)
class Options:
    source: Path
    output: Path
    strict: bool = False
    versions: bool = True  # publish past releases under v/<version>/
    history: bool = True  # the changes page, feed, per-entity history and 'last changed'
    cache: bool = True  # reuse what earlier builds computed (the store, cache/store.py)
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    # pages loaded by this process's earlier builds (serve): not decoded from the store again
    memory: PageMemory | None = None
    # the build's phases, timed and told to a display if the command gave one (progress.py)
    progress: Phases = field(default_factory=Phases, compare=False, repr=False)


# Kinds of output file a build counts apart in its report (see `Work`).
KINDS = ("offerings", "tools", "policy pages", "other pages", "data files")


@dataclass(frozen=True, slots=True)
class Work:
    """What a build did and did not have to do: files rendered again and kept from the last
    build, per kind (KINDS); releases built from their commits and taken from the release cache;
    and for each file rendered again, why (which input changed; see site/tally.py)."""

    rendered: Mapping[str, int] = field(default_factory=dict)
    kept: Mapping[str, int] = field(default_factory=dict)
    releases_built: int = 0
    releases_kept: int = 0
    why: tuple[tuple[str, str], ...] = ()  # (output path, reason), in page order
    unchanged: bool = False  # stage 0 found nothing to do: every file kept as it was


@dataclass(frozen=True, slots=True)
class Report:
    """What a successful build or check tells the user."""

    warnings: tuple[Problem, ...]
    files: int = 0
    pages: int = 0
    work: Work | None = None  # what was rendered again and what kept (a build's, not a check's)
    phases: tuple[Phase, ...] = ()  # the time each phase took (progress.py)
    release_pages: int = 0  # of `pages`, those of the releases published with the site (v/…)
    releases: tuple[str, ...] = ()  # their versions
    # the sets of releases other servicebooks built that the build removed (cache/releases.py)
    removed_releases: tuple[str, ...] = ()
    # the output held a site that this servicebook has no record of building (it was upgraded since,
    # or the cache was deleted or not restored): every page was rendered again
    unrecorded_output: bool = False


def of_releases(report: Report) -> str:
    """What a build's page count holds besides the site's own pages, said after the count: a
    site's first commit of a catalog with a `version:` publishes that release too, which doubles
    the pages, and a user who is not told wonders why."""
    if not report.release_pages:
        return ""
    which = f"release {report.releases[0]}'s" if len(report.releases) == 1 else f"the {len(report.releases)} releases'"
    return f"; {report.release_pages} of the pages are {which}"


def _unchanged(
    warnings: tuple[Problem, ...], files: int, pages: int, release_pages: int, releases: tuple[str, ...]
) -> Report:
    """The report of a build that found nothing to do: the last build's, as it recorded it."""
    return Report(warnings, files, pages, Work(unchanged=True), release_pages=release_pages, releases=releases)


# -- what the inputs are -----------------------------------------------------------------------

# A file changed less than this before it was hashed may change again within the same timestamp
# tick unseen (git's "racy" files): its hash is not reused by the next build.
RACY_NS = 2_000_000_000
# A survey that finds this many source files it does not know by their identity asks git which
# blob each is (SourceList.hashed): two git processes cost about what reading a few hundred does.
ASK_GIT_AT = 256


def scan_sources(
    root: Path, sources: Iterable[str], known: Mapping[str, list[Any]] | None = None
) -> tuple[dict[str, str], dict[str, list[Any]]]:
    """path relative to `root` → hash, for every file under the given top-level source paths, and
    what to give the next build as `known`: each file's (size, mtime, inode, hash, settled).

    A regular file whose size, modification time and inode are those in `known`, and that had
    settled when it was hashed (see RACY_NS), keeps its hash there without being read (as git's
    index does). Links are not followed; a link, special file or
    unreadable entry is hashed by what it is, so that changing it changes the fingerprint (the
    build itself reports it).
    """
    return list_sources(root, sources).hashed(known)


def list_sources(root: Path, sources: Iterable[str]) -> SourceList:
    """Every file under the given top-level source paths of `root` and its identity, not read."""
    found = SourceList(str(root), [], array("q"), {}, time.time_ns() - RACY_NS, [], [])
    for top in sources:
        try:
            info = os.lstat(root / top)
        except FileNotFoundError:
            found.absent.append(top)
            continue
        except OSError:
            found.absent.append("\0")  # neither there nor not: the stamp cannot say which (_sources_key)
            continue
        found.add(top, str(root / top), info)
    return found


_IDENTITY = attrgetter("st_size", "st_mtime_ns", "st_ino")
_NAME = attrgetter("name")


@dataclass(frozen=True, slots=True)
class SourceList:
    """The source files as listed, not read: each regular file's path (relative to the site's
    folder, folders in the order of their names) and (size, mtime, inode), and the hash of each
    other entry (a link, special file or unreadable folder) by what it is."""

    root: str
    paths: list[str]  # regular files
    ids: array[int]  # (size, mtime, inode) of each of `paths`, one after the other
    odd: dict[str, str]  # hash of each other entry
    settled_before: int  # files changed after this (ns) are hashed again next time
    folders: list[tuple[str, int, int]]  # each folder listed: path, mtime and inode before it was
    absent: list[str]  # top-level source paths that are not there

    def add(self, rel: str, path: str, info: os.stat_result) -> None:
        """`rel` and, for a folder, everything under it, in the order of their names. Folders are
        walked with a stack of their listings, not by recursion: a content/ nested a thousand
        folders deep was a RecursionError, a traceback for a source the build reports."""
        paths, ids, is_file = self.paths, self.ids, stat.S_ISREG
        listings: list[tuple[str, Iterator[os.DirEntry[str]]]] = []
        self._entry(rel, path, info, listings)
        while listings:
            folder, entries = listings[-1]
            try:
                for entry in entries:
                    info = entry.stat(follow_symlinks=False)
                    if is_file(info.st_mode):  # most entries: no call
                        paths.append(f"{folder}/{entry.name}")
                        ids.extend(_IDENTITY(info))
                    elif self._entry(f"{folder}/{entry.name}", entry.path, info, listings):
                        break  # its entries first, then the rest of this folder's
                else:
                    listings.pop()  # (nothing was put on it while this folder was listed)
            except OSError as exc:
                self.odd[folder] = digest("unreadable folder", str(exc.errno))
                listings.pop()

    def _entry(
        self, rel: str, path: str, info: os.stat_result, listings: list[tuple[str, Iterator[os.DirEntry[str]]]]
    ) -> bool:
        """Adds the entry `rel`; whether it is a folder whose listing was put on `listings`."""
        mode = info.st_mode
        if stat.S_ISREG(mode):
            self.paths.append(rel)
            self.ids.extend(_IDENTITY(info))
        elif stat.S_ISDIR(mode):
            self.folders.append((rel, info.st_mtime_ns, info.st_ino))
            try:
                with os.scandir(path) as it:
                    entries = sorted(it, key=_NAME)
            except OSError as exc:
                self.odd[rel] = digest("unreadable folder", str(exc.errno))
                return False
            if not entries:  # no file says it is there, yet its name is checked (load.py)
                self.odd[rel] = digest("empty folder")
            listings.append((rel, iter(entries)))
            return True
        elif stat.S_ISLNK(mode):
            self.odd[rel] = digest("symlink", os.readlink(path))  # noqa: PTH115 - a str path in a hot loop
        else:
            self.odd[rel] = digest("special", str(mode))
        return False

    def inside(self, top: str) -> tuple[list[str], list[str]] | None:
        """The regular files and the folders under the top-level source folder `top`, relative to
        it, as listed (load.load takes content/'s instead of listing it again); None when `top` is
        not a folder as listed, or holds anything else (a link, a special file, a folder that
        could not be read), which the load then finds and reports by listing it."""
        prefix = top + "/"
        empty = digest("empty folder")  # (a folder with nothing in it is no other entry)
        odd = [path for path in self.odd if path == top or path.startswith(prefix)]
        if top in self.absent or any(self.odd[path] != empty for path in odd):
            return None
        folders = [folder for folder, _, _ in self.folders if folder.startswith(prefix) or folder == top]
        if not folders or folders[0] != top:
            return None
        cut = len(prefix)
        files = [path[cut:] for path in self.paths if path.startswith(prefix)]
        return files, [folder[cut:] for folder in folders[1:]]

    def hashed(
        self, known: Mapping[str, list[Any]] | None, committed: Callable[[list[str]], Mapping[str, str]] | None = None
    ) -> tuple[dict[str, str], dict[str, list[Any]]]:
        """(`scan_sources`) every file's hash (the id git gives a blob of its bytes, `blob_id`),
        read only when `known` does not have it. Once ASK_GIT_AT files are not known by their
        identity (a fresh checkout: every file a new inode and time), git is asked which blob
        each listed file holds (`committed`: repo.committed_blobs); a file git says holds blob X
        takes X unread when `known` has a file of its very size whose hash is X (a checkout's
        line-end conversion, the one rewriting that function leaves to its caller, only adds)."""
        files: dict[str, str] = {}
        seen: dict[str, list[Any]] = {}
        known = known or {}
        settled_before = self.settled_before
        values = iter(self.ids)
        unknown = 0
        blobs: Mapping[str, str] = {}
        sizes: dict[str, int] = {}
        for rel, size, mtime, inode in zip(self.paths, values, values, values, strict=False):
            before = known.get(rel)
            if before is not None and before[4] and before[0] == size and before[1] == mtime and before[2] == inode:
                files[rel] = before[3]
                seen[rel] = [size, mtime, inode, before[3], int(mtime < settled_before)]
                continue
            unknown += 1
            if unknown == ASK_GIT_AT and committed is not None:
                blobs = committed(self.paths)
                # each entry's size is that of the bytes its hash is of (below)
                sizes = {entry[3]: entry[0] for entry in known.values()} if blobs else {}
            blob = blobs.get(rel)
            if blob is not None and sizes.get(blob) == size:
                files[rel] = blob
                seen[rel] = [size, mtime, inode, blob, int(mtime < settled_before)]
                continue
            try:
                with open(f"{self.root}/{rel}", "rb") as f:
                    data = f.read()
            except OSError as exc:
                files[rel] = digest("unreadable file", str(exc.errno))
                continue
            files[rel] = blob_id(data)
            # the hash is kept either way (it says what changed, site/tally.py), but trusted by
            # the next build without reading the file only when the file had settled; a file
            # read at another size than it was listed at changed meanwhile: its entry has the size
            # of the bytes its hash is of, and is not trusted
            if len(data) == size:
                seen[rel] = [size, mtime, inode, files[rel], int(mtime < settled_before)]
            else:
                seen[rel] = [len(data), mtime, inode, files[rel], 0]
        files.update(self.odd)
        return files, seen


def rescan(
    root: Path, sources: Iterable[str], last: tuple[dict[str, str], dict[str, list[Any]]], changed: Iterable[str]
) -> tuple[dict[str, str], dict[str, list[Any]]] | None:
    """What `scan_sources` would find now, from what it found `last`, when only the files
    `changed` (relative to `root`) may differ since: each looked at as `scan_sources` looks at it.
    None (scan in full) when one of them is a folder, or was one, or is not under `sources`."""
    files, seen = dict(last[0]), dict(last[1])
    found = SourceList(str(root), [], array("q"), {}, time.time_ns() - RACY_NS, [], [])
    tops = frozenset(sources)
    for rel in changed:
        if rel.split("/", 1)[0] not in tops or rel.endswith("/") or "//" in rel:
            return None
        files.pop(rel, None)
        seen.pop(rel, None)
        try:
            info = os.lstat(root / rel)
        except FileNotFoundError:
            info = None
        except OSError:
            return None
        if info is None or stat.S_ISDIR(info.st_mode):
            folder = rel + "/"
            if info is not None or any(p.startswith(folder) for p in files):
                return None  # a folder made, removed or replaced: what is under it is not known
            continue
        found.add(rel, str(root / rel), info)
    now, now_seen = found.hashed(last[1])
    files.update(now)
    seen.update(now_seen)
    return files, seen


# -- what the output is ------------------------------------------------------------------------


def marker_identity(path: Path) -> list[int] | None:
    """(device, inode, modification time) of the output's marker: which `public/` this is."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return [info.st_dev, info.st_ino, info.st_mtime_ns]


def file_identity(path: Path | str) -> list[int] | None:
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns, info.st_ino]


def tree_identity(root: Path) -> dict[str, list[int]]:
    """Every file under `root`: an edit in place, a deletion or a replacement changes its entry."""
    paths: list[str] = []
    ids: array[int] = array("q")
    _list_tree(str(root), "", paths, ids)
    return _as_tree(paths, ids)


def _as_tree(paths: list[str], ids: array[int]) -> dict[str, list[int]]:
    values = iter(ids)
    return {path: [size, mtime, inode] for path, size, mtime, inode in zip(paths, values, values, values, strict=False)}


def _list_tree(
    folder: str,
    prefix: str,
    paths: list[str],
    ids: array[int],
    folders: list[_Folder] | None = None,
    names: list[str] | None = None,
) -> None:
    """Every file under `folder` (links not followed) and its (size, mtime, inode), each folder's
    entries in the order of their names (`listing_order`); with `folders`, each folder below
    `folder` too, with its identity as it was before it was listed, and the names in it; the
    names in `folder` itself go to `names`."""
    with os.scandir(folder) as it:
        entries = sorted(it, key=_NAME)
    if names is not None:
        names += [entry.name for entry in entries]
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            inside: list[str] | None = None
            if folders is not None:
                info = entry.stat(follow_symlinks=False)
                inside = []
                folders.append((f"{prefix}{entry.name}", info.st_mtime_ns, info.st_ino, inside))
            _list_tree(entry.path, f"{prefix}{entry.name}/", paths, ids, folders, inside)
        else:
            paths.append(prefix + entry.name)
            ids.extend(_IDENTITY(entry.stat(follow_symlinks=False)))


# a folder of the output: its path, modification time and inode, and the names in it
_Folder = tuple[str, int, int, list[str]]


def listing_order(path: str) -> str:
    """The order `_list_tree` finds files in, as a sort key: a folder's files before the next
    name of its parent's (no name holds NUL)."""
    return path.replace("/", "\0")


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Manifest:
    """What the last successful build into this output produced, recorded after its swap."""

    inputs: str  # fingerprint of every input and setting
    marker: list[int]  # marker_identity of the output it swapped in
    outputs: Mapping[str, list[int]]  # output path → (size, mtime, inode) right after the swap
    warnings: tuple[Problem, ...]
    files: int
    pages: int
    keys: Mapping[str, str]  # page path → key of the inputs it was rendered from
    sources: Mapping[str, list[Any]] = dataclasses.field(default_factory=dict)  # see `scan_sources`
    # SHA-256 of the output's manifest.sha256 as this build wrote it; `serve`'s, whose manifest is
    # held in its memory alone, HELD (buildcache.BuildCache.record)
    published: str = ""
    source: str = ""  # the source folder it was built from (a checkout moved or cloned elsewhere)
    release_pages: int = 0  # of `pages`, the releases' (Report.release_pages)
    releases: tuple[str, ...] = ()  # their versions

    def report(self) -> Report:
        """What the build that recorded this manifest reported, for a build that finds nothing
        changed since."""
        return _unchanged(self.warnings, self.files, self.pages, self.release_pages, self.releases)

    def to_bytes(self) -> bytes:
        """The manifest as recorded (`parts`, joined)."""
        return b"".join(self.parts())

    def parts(self) -> Iterator[bytes]:
        """The manifest as the store keeps it, in parts of at most `_PART_BYTES` made as they are
        asked for (the store writes each row as it comes, cache/store.py): `_MANIFEST`, the length
        of a short JSON head (its small fields and the size of each column), the head, then its
        maps as columns, not as JSON: each map's paths in UTF-8 (NUL between: no path holds one)
        and its values, the numbers as an array "q"'s bytes, the texts in UTF-8 one after the
        other with their lengths as an array "q"'s bytes. A one-page rebuild reads the last
        manifest and records its own (11,000 outputs, 11,000 keys and 5,000 sources at 5,000
        pages: 2.4 MB of JSON, 0.017 CPU s to parse and 0.015 to write; as columns ~0.006 and
        ~0.003, bench/README.md "the build's manifest read and written as columns")."""
        sources = self.sources.values()
        columns = [
            _utf8("\0".join(self.outputs)),
            array("q", itertools.chain.from_iterable(self.outputs.values())).tobytes(),
            _utf8("\0".join(self.keys)),
            *_texts(self.keys.values()),
            _utf8("\0".join(self.sources)),
            array("q", itertools.chain.from_iterable(_SOURCE_NUMBERS(s) for s in sources)).tobytes(),
            *_texts(map(_SOURCE_TEXT, sources)),
        ]
        head = _dumps(
            [
                self.inputs,
                self.marker,
                [encode(w) for w in self.warnings],
                self.files,
                self.pages,
                self.published,
                self.source,
                self.release_pages,
                list(self.releases),
                [len(self.outputs), len(self.keys), len(self.sources)],
                [len(column) for column in columns],
            ]
        ).encode("ascii")  # (json.dumps escapes every other character)
        yield b"".join([_MANIFEST, len(head).to_bytes(4, "little"), head])
        for column in columns:
            for at in range(0, len(column), _PART_BYTES):
                yield column[at : at + _PART_BYTES]

    @classmethod
    def from_bytes(cls, data: bytes | str | None) -> Manifest | None:
        """The manifest `to_bytes` made; None for anything else (none, another shape, cut short,
        a count that does not add up, a text that is not UTF-8)."""
        if not isinstance(data, bytes) or not data.startswith(_MANIFEST):
            return None
        try:
            at = len(_MANIFEST) + 4
            size = int.from_bytes(data[len(_MANIFEST) : at], "little")
            head = json.loads(data[at : at + size])
            inputs, marker, warnings, files, pages, published, source, release_pages, releases, counts, sizes = head
            at += size
            columns: list[bytes] = []
            for n in sizes:
                if type(n) is not int or n < 0:
                    return None
                columns.append(data[at : at + n])
                at += n
            if at != len(data) or len(columns) != 9 or len(counts) != 3:
                return None
            outputs_count, keys_count, sources_count = map(_count, counts)
            outputs = dict(zip(_paths_of(columns[0], outputs_count), _rows(columns[1], 3, outputs_count), strict=True))
            keys = dict(
                zip(_paths_of(columns[2], keys_count), _texts_of(columns[3], columns[4], keys_count), strict=True)
            )
            numbers = _rows(columns[6], 4, sources_count)
            hashes = _texts_of(columns[7], columns[8], sources_count)
            rows = [[a, b, c, h, d] for (a, b, c, d), h in zip(numbers, hashes, strict=True)]
            sources = dict(zip(_paths_of(columns[5], sources_count), rows, strict=True))
            if len(outputs) != outputs_count or len(keys) != keys_count or len(sources) != sources_count:
                return None  # (a path twice)
            return cls(
                inputs=_string(inputs),
                marker=[_count(n) for n in marker],
                outputs=outputs,
                warnings=tuple(decode(Problem, w) for w in warnings),
                files=_count(files),
                pages=_count(pages),
                keys=keys,
                sources=sources,
                published=_string(published),
                source=_string(source),
                release_pages=_count(release_pages),
                releases=tuple(map(_string, releases)),
            )
        except Exception:  # anything unreadable is simply no manifest
            return None


_MANIFEST = b"servicebook manifest %d\n" % FORMAT  # what a manifest's bytes begin with (`Manifest.parts`)
_PART_BYTES = 65_536  # bytes of a column per part of a manifest (the store writes rows of several)
_SOURCE_NUMBERS = operator.itemgetter(0, 1, 2, 4)  # a source's (size, mtime, inode, committed), see `scan_sources`
_SOURCE_TEXT = operator.itemgetter(3)  # its hash


def _texts(values: Iterable[str]) -> list[bytes]:
    """Texts as a manifest's column keeps them: their UTF-8 one after the other, and the length
    of each (in characters) as an array "q"'s bytes."""
    texts = list(values)
    return [_utf8("".join(texts)), array("q", map(len, texts)).tobytes()]


def _texts_of(data: bytes, lengths: bytes, count: int) -> list[str]:
    """The `count` texts `_texts` made `data` and `lengths` of; raises ValueError for others."""
    sizes: array[int] = array("q")
    sizes.frombytes(lengths)
    text = _text(data)
    if len(sizes) != count or sum(sizes) != len(text) or (sizes and min(sizes) < 0):
        raise ValueError("texts that do not add up")
    ends = list(itertools.accumulate(sizes))
    return list(map(text.__getitem__, map(slice, [0, *ends[:-1]], ends)))


def _paths_of(data: bytes, count: int) -> list[str]:
    """The `count` paths of a column (NUL between); raises ValueError for another count."""
    paths = _paths(_text(data))
    if len(paths) != count:
        raise ValueError("paths that do not add up")
    return paths


def _rows(data: bytes, width: int, count: int) -> list[list[int]]:
    """`count` lists of `width` numbers from an array "q"'s bytes; raises ValueError for others."""
    numbers: array[int] = array("q")
    numbers.frombytes(data)
    if len(numbers) != width * count:
        raise ValueError("numbers that do not add up")
    columns = [iter(numbers.tolist())] * width
    return list(map(list, zip(*columns, strict=True)))


def _count(value: object) -> int:
    if type(value) is not int:
        raise ValueError("not a number")
    return value


def _string(value: object) -> str:
    if type(value) is not str:
        raise ValueError("not a text")
    return value


# -- the survey --------------------------------------------------------------------------------


_STAMP = b"servicebook stamp %d\n" % FORMAT  # what a stamp's bytes begin with (`Stamp.to_bytes`)


@dataclass(frozen=True, slots=True)
class Stamp:
    """What lets a build see that nothing changed without reading the manifest (thousands of
    entries, 9 MB of JSON at 20,000 pages) or any source: a digest of the build's identity and
    settings and of every source file's path and identity, a digest of every output file's path
    and identity, and what the build reported; and, when it could be told, the output's listing
    (`Listing`), so that the output's folders need not be listed. The store keeps one beside each
    output's manifest (Store.record_stamp), recorded after a build, or after a check found nothing
    changed, only when every source had settled (RACY_NS): then a file whose path and identity are
    the same has the same bytes, as `scan_sources` trusts."""

    sources: str
    outputs: str
    warnings: tuple[Problem, ...]
    files: int
    pages: int
    listing: Listing | None = None
    inputs: Inputs | None = None
    release_pages: int = 0  # of `pages`, the releases' (Report.release_pages)
    releases: tuple[str, ...] = ()  # their versions

    def report(self) -> Report:
        """What the build that recorded this stamp reported, for a build that finds nothing
        changed since."""
        return _unchanged(self.warnings, self.files, self.pages, self.release_pages, self.releases)

    def to_bytes(self) -> bytes:
        """The stamp as the store keeps it: `_STAMP`, the length of a short JSON head (the digests,
        the report, the names in the listed folders, the absent sources, the size of each part),
        the head, and then the parts as they are: each list of paths in UTF-8 (NUL between) and
        each list of identities as an array "q"'s bytes. Reading it back parses no JSON of 80,000
        paths, nor their identities in hex (4.2 MB of JSON at 20,000 pages, 3.4 MB of bytes now)."""
        listing, inputs = self.listing, self.inputs
        parts = [b""] * 6
        if listing is not None:
            parts[:3] = [_utf8(listing.files), _utf8(listing.folders), listing.identities]
        if inputs is not None:
            parts[3:] = [_utf8(inputs.files), _utf8(inputs.folders), inputs.identities]
        head = _dumps(
            [
                self.sources,
                self.outputs,
                [encode(w) for w in self.warnings],
                self.files,
                self.pages,
                None if listing is None else listing.listed,
                None if inputs is None else inputs.absent,
                [len(part) for part in parts],
                self.release_pages,
                list(self.releases),
            ]
        ).encode("ascii")  # (json.dumps escapes every other character)
        return b"".join([_STAMP, len(head).to_bytes(4, "little"), head, *parts])

    @classmethod
    def from_bytes(cls, data: bytes | str | None) -> Stamp | None:
        """The stamp `to_bytes` made; None for anything else (none, another shape, cut short)."""
        if not isinstance(data, bytes) or not data.startswith(_STAMP):
            return None
        try:
            at = len(_STAMP) + 4
            size = int.from_bytes(data[len(_STAMP) : at], "little")
            head = json.loads(data[at : at + size])
            sources, outputs, warnings, files, pages, listed, absent, sizes, release_pages, releases = head
            at += size
            parts: list[bytes] = []
            for n in sizes:
                if not isinstance(n, int) or n < 0:
                    return None
                parts.append(data[at : at + n])
                at += n
            if at != len(data) or len(parts) != 6:
                return None
            listing = inputs = None
            if listed is not None:
                shown = [[str(f), str(n)] for f, n in listed]
                listing = Listing(_text(parts[0]), _text(parts[1]), parts[2], shown)
            if absent is not None:
                inputs = Inputs(_text(parts[3]), _text(parts[4]), parts[5], [str(a) for a in absent])
            problems = tuple(decode(Problem, w) for w in warnings)
            counted = (int(release_pages), tuple(map(str, releases)))
            return cls(str(sources), str(outputs), problems, int(files), int(pages), listing, inputs, *counted)
        except Exception:  # anything unreadable is simply no stamp
            return None

    def holds(
        self, context: tuple[str, ...], source: str, output: str, workers: int = 1
    ) -> tuple[bool, bool | None, SourceList | None]:
        """Whether the sources are as the stamp has them (`Inputs`) and then whether the output
        is (`Listing`; None when that cannot be told without listing it: no listing, or a folder
        changed), each by an `lstat` of each file and folder: the long lists' second halves all
        in one other process when there are two CPUs (`workers`, parallel.halves), which ends as
        soon as an answer is no. When the sources are not as the stamp has them but every source
        folder is (so each holds the files it held), the sources as `list_sources` would list
        them, from those `lstat`s (`Inputs.listed`): a one-page edit lists no folder again."""
        inputs, listing = self.inputs, self.listing
        if inputs is None:
            return False, None, None
        settled_before = time.time_ns() - RACY_NS  # (as list_sources takes it, before looking)
        with contextlib.ExitStack() as opened:
            try:
                sources = _descriptor(source, opened)
            except OSError:
                return False, None, None
            shown = None
            if listing is not None:
                with contextlib.suppress(OSError):  # (no output: told once the sources are)
                    shown = _descriptor(output, opened)
            looks = inputs.looks(sources)
            if shown is not None and listing is not None:
                looks += listing.looks(shown)
                marker = marker_identity(Path(output) / MARKER)
            found = opened.enter_context(contextlib.closing(_looked(looks, workers)))
            try:
                if next(found) != inputs.identities or not inputs.still_absent(sources):
                    return False, None, None
                now = next(found)
                if now is None:
                    return False, None, None
                if _inputs_key(context, inputs.files, now) != self.sources:
                    return False, None, inputs.listed(source, now, settled_before)
            except (OSError, ValueError):
                return False, None, None
            if shown is None or listing is None:
                return True, None, None
            try:
                if next(found) != listing.identities or not listing.as_listed(output):
                    return True, None, None
                now = next(found)
            except (OSError, ValueError):
                return True, None, None
            if now is None:
                return True, None, None
            return True, _outputs_key(marker, listing.files, now) == self.outputs, None


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogatepass")


def _descriptor(folder: str, opened: contextlib.ExitStack) -> int:
    """A descriptor of `folder`, closed with `opened`. Raises OSError."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    opened.callback(os.close, fd)
    return fd


_MOST_LISTED = 64  # folders a stamp's listing names the entries of, at most
_FOLDER_IDENTITY = attrgetter("st_mtime_ns", "st_ino")
Look = Callable[[str], os.stat_result]  # an `lstat` of a path relative to a folder
# the `lstat`s of a list of paths relative to a folder's descriptor (whether they are folders:
# what is kept of each is then its (mtime, inode), else its (size, mtime, inode))
_Looks = tuple[int, bool, list[str]]


@dataclass(frozen=True, slots=True)
class Listing:
    """The output as a stamp holds it, so that a build tells it unchanged with an `lstat` of each
    of its files and folders, without listing any but a few folders: every file's path (in
    `_list_tree`'s order), every folder known by its identity, and the names in each other folder.

    A folder is known by its identity when its modification time is earlier than the output's
    marker's (written by the build just before it swapped the output in) and, for a listing made
    from what a build wrote, holds as many folders as the build put there (its link count): a
    folder changed after the marker was written, by anyone, has a time no earlier than the
    marker's, so one still earlier has the entries it had then. The others (the output itself,
    where the marker is, and any changed since) are listed and their names compared."""

    files: str  # every file's path, NUL between
    folders: str  # the folders known by their identity, NUL between
    identities: bytes  # their (mtime, inode), one after the other (an array "q"'s bytes)
    listed: list[list[str]]  # [folder, its names (sorted, NUL between)] for the others ("" the output)

    def identity(self, output: str, workers: int = 1) -> array[int] | None:
        """Every file's (size, mtime, inode) now, in order, when every folder is as it was; None
        when one is not, or a file or folder is no longer there (`workers`: see _identities)."""
        return _identities(output, self.looks, self.identities, lambda _: self.as_listed(output), workers)

    def looks(self, fd: int) -> list[_Looks]:
        """The `lstat`s that tell it (`_looked`), relative to `fd`, the output's: its folders, its files."""
        return [(fd, True, _paths(self.folders)), (fd, False, _paths(self.files))]

    def as_listed(self, output: str) -> bool:
        """Whether the folders not known by their identity hold the names they held."""
        for folder, names in self.listed:
            inside = os.listdir(f"{output}/{folder}" if folder else output)  # noqa: PTH208 - names, not paths
            if "\0".join(sorted(inside)) != names:
                return False
        return True


@dataclass(frozen=True, slots=True)
class Inputs:
    """The source files as a stamp holds them, so that a build finds them as they were with an
    `lstat` of each, without listing their folders: every file's path (in `list_sources`'s
    order), every folder's identity, and the top-level source paths that were not there. It is
    recorded only when every folder had settled when it was listed (RACY_NS): one changed since
    has another modification time."""

    files: str  # every file's path, NUL between
    folders: str  # every folder's path, NUL between
    identities: bytes  # their (mtime, inode), one after the other (an array "q"'s bytes)
    absent: list[str]

    @classmethod
    def of(cls, listed: SourceList) -> Inputs | None:
        if listed.odd or "\0" in listed.absent:
            return None
        if not all(mtime < listed.settled_before for _, mtime, _ in listed.folders):
            return None
        identities = array("q", itertools.chain.from_iterable(f[1:] for f in listed.folders))
        folders = "\0".join(f[0] for f in listed.folders)
        return cls("\0".join(listed.paths), folders, identities.tobytes(), list(listed.absent))

    def identity(self, root: str, workers: int = 1) -> array[int] | None:
        """Every file's (size, mtime, inode) now, in order, when every folder is as it was and
        no absent path is there; None otherwise (`workers`: see _identities)."""
        return _identities(root, self.looks, self.identities, self.still_absent, workers)

    def listed(self, root: str, identities: bytes, settled_before: int) -> SourceList:
        """The sources as `list_sources` lists them, when every folder is as it was and no absent
        path is there: its files, each with its identity now (`identities`, in order, as
        `identity` finds them), and its folders. `settled_before`: see SourceList."""
        ids: array[int] = array("q")
        ids.frombytes(identities)
        known: array[int] = array("q")
        known.frombytes(self.identities)
        times = iter(known)
        folders = list(zip(_paths(self.folders), times, times, strict=True))
        return SourceList(root, _paths(self.files), ids, {}, settled_before, folders, list(self.absent))

    def looks(self, fd: int) -> list[_Looks]:
        """The `lstat`s that tell it (`_looked`), relative to `fd`, the source's: its folders, its files."""
        return [(fd, True, _paths(self.folders)), (fd, False, _paths(self.files))]

    def still_absent(self, fd: int) -> bool:
        """Whether each source path that was not there (relative to `fd`, the source's) still is not."""
        for top in self.absent:
            with contextlib.suppress(FileNotFoundError):
                os.stat(top, dir_fd=fd, follow_symlinks=False)
                return False
        return True


def _paths(names: str) -> list[str]:
    return names.split("\0") if names else []


def _identities(
    root: str, looks: Callable[[int], list[_Looks]], identities: bytes, holds: Callable[[int], bool], workers: int = 1
) -> array[int] | None:
    """(`Listing`, `Inputs`) every file's (size, mtime, inode) under `root` now, in order, when its
    folders have the (mtime, inode) in `identities` and `holds` (given the root's descriptor) is
    true; None when either is not, or a file or folder is no longer there. `looks` gives the
    `lstat`s to make, relative to the root's descriptor: the folders', then the files'."""
    with contextlib.ExitStack() as opened:
        try:
            fd = _descriptor(root, opened)
            found = opened.enter_context(contextlib.closing(_looked(looks(fd), workers)))
            if next(found) != identities or not holds(fd):
                return None
            now = next(found)
        except (OSError, ValueError):
            return None
        if now is None:
            return None
        ids: array[int] = array("q")
        ids.frombytes(now)
        return ids


# paths worth a second process for their `lstat`s: below this, forking it and reading its answer
# cost more than it saves (bench/README.md, "A no-change rebuild at 20,000 pages")
_SPLIT_AT = 4_096


def _looked(looks: Sequence[_Looks], workers: int) -> Generator[bytes | None, None, None]:
    """The identities of each list of paths of `looks` (each path's `lstat` relative to its
    folder's descriptor, not following links), as an array "q"'s bytes, list after list as asked
    for (parallel.halves: the long lists' second halves in one other process); None when that
    process failed (a path gone, say). Raises OSError."""

    def each(i: int, part: Sequence[str]) -> bytes:
        fd, folders, _ = looks[i]
        look = functools.partial(os.stat, dir_fd=fd, follow_symlinks=False)
        identity = _FOLDER_IDENTITY if folders else _IDENTITY
        return array("q", itertools.chain.from_iterable(map(identity, map(look, part)))).tobytes()

    widths = [16 if folders else 24 for _, folders, _ in looks]
    return halves(each, [paths for _, _, paths in looks], widths, workers, _SPLIT_AT)


def _listing(files: str, marker: int, folders: list[_Folder], nlinks: Mapping[str, int] | None) -> Listing | None:
    """The listing (see `Listing`) of an output holding `files` and `folders` ("" the output
    itself), the folders' identities taken before their entries were known, and `marker` the
    marker's time; with `nlinks` (how many folders each holds), a folder whose link count says
    otherwise is listed. None when too many folders would be listed to be worth it."""
    if marker > time.time_ns():  # a marker whose time was set by hand, in the future: no
        return None
    known: list[str] = []
    identities: array[int] = array("q")
    listed: list[list[str]] = []
    for folder, mtime, inode, names in folders:
        if folder and mtime < marker and (nlinks is None or nlinks.get(folder, -1) == 0):
            known.append(folder)
            identities.extend((mtime, inode))
        else:
            listed.append([folder, "\0".join(names)])
            if len(listed) > _MOST_LISTED:
                return None
    return Listing(files, "\0".join(known), identities.tobytes(), listed)


# A folder's (modification time, inode, link count), as `_written_folders` takes it.
_Identity = tuple[int, int, int]


def _written_folders(
    output: str, paths: list[str], settled: Mapping[str, _Identity] | None = None
) -> tuple[list[_Folder], dict[str, int]] | None:
    """The folders of an output holding the files `paths` ("" the output itself), each with its
    identity now and the names in it, and for each the difference between its link count and
    the folders `paths` put in it (0 on file systems that count them, as ext4 does). A folder
    of `settled` (the write stage's word that it did not touch it, write.py `_settled`) has the
    identity found there, without an `lstat` (~5,400 folders at 5,000 pages, each looked at just
    before by the spare's check, SpareRecord `holds`); the output itself is always looked at."""
    names: dict[str, list[str]] = {"": []}
    for path in paths:
        folder, _, name = path.rpartition("/")
        while folder not in names:
            names[folder] = [name]
            folder, _, name = folder.rpartition("/")
        names[folder].append(name)
    found: list[_Folder] = []
    nlinks: dict[str, int] = {}
    try:
        fd = os.open(output, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        look = functools.partial(os.stat, dir_fd=fd, follow_symlinks=False)
        taken = (settled or {}).get
        for folder, inside in names.items():
            known = taken(folder) if folder else None
            if known is None:
                info = look(folder or ".")
                if not stat.S_ISDIR(info.st_mode):
                    return None
                known = (info.st_mtime_ns, info.st_ino, info.st_nlink)
            inside.sort()
            found.append((folder, known[0], known[1], inside))
            nlinks[folder] = known[2] - 2
        for folder in names:
            if folder:
                nlinks[folder.rpartition("/")[0]] -= 1
    except (OSError, ValueError):  # ValueError: a path no file system holds (a NUL, a lone surrogate)
        return None
    finally:
        os.close(fd)
    return found, nlinks


def _sources_key(context: tuple[str, ...], listed: SourceList) -> str | None:
    """The stamp's digest of the build's identity and settings and of the source files as listed;
    None when a source is not a regular file (its hash is of what it is, not of an identity)."""
    if listed.odd or "\0" in listed.absent:
        return None
    return _inputs_key(context, "\0".join(listed.paths), listed.ids.tobytes())


def _inputs_key(context: tuple[str, ...], files: str, ids: bytes) -> str:
    """The stamp's digest of the build's identity and settings and of every source file (in
    `list_sources`' order, `ids` their identities as an array "q"'s bytes)."""
    return digest(f"stamp {FORMAT}", *context, files, ids)


def _outputs_key(marker: list[int] | None, files: str, ids: bytes) -> str:
    """The stamp's digest of the output: its marker and every file (`_list_tree`, in its order)."""
    return digest(repr(marker), files, ids)


@dataclass(slots=True)
class Survey:
    """What a build finds before doing anything: its output (checked), the build's identity, the
    store, what the last build into this output recorded, and the fingerprint of the inputs now.
    The build goes on from here (build.build), with what git said about the source (`repo`; None
    outside git); the store stays open until the survey is closed. A survey that found the stamp
    of the last build (`Stamp`) true has its report and nothing else: no manifest, no hashes."""

    options: Options
    output: Path
    repo: Repo | None
    info: BuildInfo
    store: Store
    previous: Manifest | None
    inputs: str  # fingerprint of every input and setting
    hashes: dict[str, str] | None  # source file → hash, for the page keys (see load.py)
    sources: dict[str, list[Any]]  # for the next build's fingerprint
    stamped: Report | None = None  # the last build's report, when its stamp is true (nothing to do)
    key: str | None = None  # the stamp's digest of the sources now (None: no stamp can be recorded)
    tree: dict[str, list[int]] | None = None  # the output's files as listed by the survey, if it did
    listed: SourceList | None = None  # the source files as the survey listed them
    tags: str | None = None  # (serve) the tags as git listed them for the survey (repo.tag_refs); None: not asked
    # (serve) when the survey looked again only at the files its watcher named: the last survey's
    # hashes and sources (`sources` of the last survey: the very dicts) and those files, the only
    # ones whose hash may differ (tally.Tally tells the changed inputs from them)
    rescanned: tuple[Mapping[str, str], Mapping[str, list[Any]], Collection[str]] | None = None
    held: int | None = None  # the hold on the output's folder (write.settle) until `close`

    def unchanged(self) -> Report | None:
        """The last build's report when every input is as it saw it and the output is what it
        wrote (no file edited, removed or added); None when there is work to do."""
        if self.stamped is not None:
            return self.stamped
        previous = self.previous
        marker = marker_identity(self.output / MARKER)
        if previous is None or previous.inputs != self.inputs or previous.marker != marker:
            return None
        if self.tree is not None:
            found, listing = self.tree, None
        else:
            paths: list[str] = []
            ids: array[int] = array("q")
            folders: list[_Folder] = []
            listing = _list_output(str(self.output), marker, paths, ids, folders)
            found = _as_tree(paths, ids)
        if found != previous.outputs:
            return None
        report = previous.report()
        self._record(found, report, listing)
        return report

    def record_stamp(
        self,
        outputs: Mapping[str, list[int]],
        report: Report,
        *,
        folders: bool = True,
        settled: Mapping[str, _Identity] | None = None,
    ) -> None:
        """Record the stamp (see `Stamp`) of the sources as this survey listed them and of the output
        holding `outputs`, what the build put in it; when every source had settled, else nothing
        (the next build then reads the manifest). Without `folders`, the stamp holds no `Listing`
        of the output (its folders are not looked at): the next build into it lists them once.
        `settled`: folders the write stage did not touch, with their identities as found before
        it (write.py `_settled`), not looked at again (`_written_folders`)."""
        self._record(outputs, report, None, folders=folders, settled=settled)

    def _record(
        self,
        outputs: Mapping[str, list[int]],
        report: Report,
        listing: Listing | None,
        *,
        folders: bool = True,
        settled: Mapping[str, _Identity] | None = None,
    ) -> None:
        key, listed = self.key, self.listed
        if key is None or listed is None or self.options.memory is not None:
            return  # (serve: each build follows an edit, no stamp would be of use)
        if len(self.sources) != len(self.hashes or ()):
            return  # a source that is no regular file, or unreadable
        if not all(entry[4] for entry in self.sources.values()):
            return  # changed too recently to be known by its identity (RACY_NS)
        marker = marker_identity(self.output / MARKER)
        if marker is None:
            return
        paths = sorted(outputs, key=listing_order)
        names = "\0".join(paths)
        ids = array("q", itertools.chain.from_iterable(map(outputs.__getitem__, paths)))
        if listing is None and folders:
            written = _written_folders(str(self.output), paths, settled)
            if written is not None:
                listing = _listing(names, marker[2], *written)
        stamp = Stamp(
            key,
            _outputs_key(marker, names, ids.tobytes()),
            report.warnings,
            report.files,
            report.pages,
            listing,
            Inputs.of(listed),
            report.release_pages,
            report.releases,
        )
        self.store.record_stamp(str(self.output), stamp.to_bytes())

    def close(self) -> None:
        """Close the store; a long-running process's (`serve`) keeps it open for its next build
        (PageMemory `store`). Lets go of the hold on the output's folder (write.settle)."""
        memory = self.options.memory
        try:
            if memory is not None and memory.store is None and self.store.keep():
                memory.store = self.store
            else:
                self.store.close()
        finally:
            if self.held is not None:
                os.close(self.held)
                self.held = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _list_output(
    output: str, marker: list[int] | None, paths: list[str], ids: array[int], folders: list[_Folder]
) -> Listing | None:
    """List the output (`_list_tree`) into `paths` and `ids`, and return its `Listing` (None when
    it has no marker or too many folders changed since it). Raises OSError."""
    info = os.lstat(output)
    names: list[str] = []
    folders.append(("", info.st_mtime_ns, info.st_ino, names))
    _list_tree(output, "", paths, ids, folders, names)
    return None if marker is None else _listing("\0".join(paths), marker[2], folders, None)


def survey(options: Options, repo: Repo | None) -> Survey:
    """Look before building (see Survey), with what git says about the source now (`repo`, from
    git/repo.open_repo; None outside git); refuses an output folder that is not ours to replace."""
    output = check_output_dir(options.output, options.source)  # refuse before any work
    # a build killed half-way (between the fallback swap's renames): the old site is put back and
    # staging folders removed first, so that this build, even if it fails, leaves a whole output;
    # not while another build is running (its folders are not leftovers), nor by another until
    # this survey is closed
    held = settle(output)
    try:
        found = _survey(options, repo, output)
    except BaseException:
        if held is not None:
            os.close(held)
        raise
    found.held = held
    return found


def _survey(options: Options, repo: Repo | None, output: Path) -> Survey:
    # the tags asked for at once with what build_info asks git
    tags = tag_refs_started(options.source) if repo is not None and options.cache else None
    info = build_info(repo, options.env)
    if not options.cache:
        return Survey(options, output, repo, info, Store(None), None, "", None, {})
    # `git fetch --unshallow` changes the history a build shows without changing HEAD
    shallow = options.history and repo is not None and repo.shallow
    settings = repr((options.strict, options.versions, options.history, shallow))
    context = (
        code_digest(),
        repr(info),
        settings,
        str(output),
        str(options.source.resolve()),
        tags() if tags is not None else "",
    )
    if options.memory is not None:  # serve: its builds record no stamp; its watcher says what changed
        kept, options.memory.store = options.memory.store, None  # (the survey's until it is closed)
        store = Store.for_site(options.source, kept=kept)
        previous = _previous(store, output, options.source.resolve(), options.memory)
        last = options.memory.scanned
        (hashes, sources), since = _scan(options, previous)
        if options.memory.source_lines is None:
            options.memory.source_lines = SourceLines()
        inputs = options.memory.source_lines.digest(context, hashes, since)
        listed_tags = context[5] if tags is not None else None
        rescanned = (since[0], last[1], since[1]) if since is not None and last is not None else None
        return Survey(
            options, output, repo, info, store, previous, inputs, hashes, sources, tags=listed_tags, rescanned=rescanned
        )
    # the stamp, read without opening the store for writing (which counts a build): a build with
    # nothing to do neither opens it nor writes it
    stamp = Stamp.from_bytes(read_stamp(options.source, str(output)))
    workers = worker_count(options.env)
    same, shown, listed = (
        stamp.holds(context, str(options.source), str(output), workers) if stamp else (False, None, None)
    )
    key: str | None = stamp.sources if stamp is not None and same else None
    if key is None:
        if listed is None:  # (`holds` gives it when the stamp's folders are as they were)
            listed = list_sources(options.source, BUILD_INPUTS)
        key = _sources_key(context, listed)
    tree = None
    if stamp is not None and key is not None and stamp.sources == key:
        marker = marker_identity(output / MARKER)
        report = stamp.report()
        if not same and stamp.listing is not None:  # (the sources found by listing them) the output
            now = stamp.listing.identity(str(output), workers)
            shown = None if now is None else _outputs_key(marker, stamp.listing.files, now.tobytes()) == stamp.outputs
        if shown:
            return Survey(options, output, repo, info, Store(None), None, "", None, {}, report)
        if shown is None:  # the output's folders listed
            paths: list[str] = []
            ids: array[int] = array("q")
            with contextlib.suppress(OSError):
                listing = _list_output(str(output), marker, paths, ids, [])
                if _outputs_key(marker, "\0".join(paths), ids.tobytes()) == stamp.outputs:
                    store = Store.for_site(options.source)
                    if listing is not None:  # so that the next build need not list them
                        store.record_stamp(str(output), dataclasses.replace(stamp, listing=listing).to_bytes())
                    return Survey(options, output, repo, info, store, None, "", None, {}, report)
                tree = _as_tree(paths, ids)
    if listed is None:  # the sources are as the stamp has them, the output is not
        listed = list_sources(options.source, BUILD_INPUTS)
        key = _sources_key(context, listed)
    store = Store.for_site(options.source)
    previous = _previous(store, output, options.source.resolve(), options.memory)
    # a fresh checkout of the commit the cache was made of (CI): git says which files it holds
    committed = functools.partial(committed_blobs, repo) if repo is not None else None
    hashes, sources = listed.hashed(previous.sources if previous else None, committed)
    inputs = digest(*context, *(f"{p}\0{h}" for p, h in sorted(hashes.items())))
    return Survey(options, output, repo, info, store, previous, inputs, hashes, sources, None, key, tree, listed)


class SourceLines:
    """The survey's fingerprint of the sources' hashes (`survey`: the digest of the build's
    context and a line for each source, in path order) for a long-running process (`serve`):
    each line kept encoded at its place, with the hash it says, so that the next fingerprint
    encodes again only the lines of the sources whose hash changed (found at once), not a line
    made, sorted and encoded for each of 20,000 sources, while the sources are the same paths."""

    def __init__(self) -> None:
        self.hashes: dict[str, str] = {}  # path → the hash its line says
        self.at: dict[str, int] = {}  # path → index of its line
        self.lines: list[bytes] = []  # each source's line, `encoded`
        self.given: Mapping[str, str] | None = None  # the hashes the last digest was made of (held)

    def digest(
        self,
        context: Iterable[str],
        hashes: Mapping[str, str],
        since: tuple[Mapping[str, str], Collection[str]] | None = None,
    ) -> str:
        """digest(*context, *(f"{p}\0{h}" for p, h in sorted(hashes.items()))). `since`: the
        hashes the last digest was made of and the paths that alone may differ from them in
        `hashes` (`rescan`'s); while those are the hashes this digest was last made of and every
        such path is a source in both, only those paths' lines are looked at (a one-page edit:
        not 20,000 hashes compared and copied)."""
        last, at, lines = self.hashes, self.at, self.lines
        if (
            since is not None
            and since[0] is self.given
            and len(hashes) == len(last)
            and all(path in hashes and path in last for path in since[1])
        ):
            for path in since[1]:
                if hashes[path] != last[path]:
                    lines[at[path]] = encoded(f"{path}\0{hashes[path]}")
                    last[path] = hashes[path]
            self.given = hashes
            return digest_encoded([*map(encoded, context), *lines])
        if len(hashes) == len(last) and hashes.keys() == last.keys():
            for path in itertools.compress(hashes, map(operator.ne, hashes.values(), map(last.__getitem__, hashes))):
                lines[at[path]] = encoded(f"{path}\0{hashes[path]}")
        else:
            paths = sorted(hashes)
            self.at = dict(zip(paths, range(len(paths)), strict=True))
            self.lines = lines = [encoded(f"{p}\0{hashes[p]}") for p in paths]
        self.hashes, self.given = dict(hashes), hashes
        return digest_encoded([*map(encoded, context), *lines])


def _scan(
    options: Options, previous: Manifest | None
) -> tuple[tuple[dict[str, str], dict[str, list[Any]]], tuple[Mapping[str, str], frozenset[str]] | None]:
    """`scan_sources` of the source; in a long-running process told what changed since its last
    survey (`serve`'s file watcher: PageMemory `changed`), only those files are looked at again:
    then, besides, the last survey's hashes and those files (the paths whose hash alone may
    differ: SourceLines `digest`'s `since`)."""
    memory = options.memory
    found = since = None
    if memory is not None and memory.scanned is not None and memory.changed is not None:
        found = rescan(options.source, BUILD_INPUTS, memory.scanned, memory.changed)
        since = None if found is None else (memory.scanned[0], memory.changed)
    if memory is not None:
        memory.unverified = found is not None  # a full survey finds everything
    if found is None:
        found = scan_sources(options.source, BUILD_INPUTS, previous.sources if previous else None)
    if memory is not None:
        memory.scanned, memory.changed = found, None
    return found, since


def _previous(store: Store, output: Path, source: Path, memory: PageMemory | None = None) -> Manifest | None:
    """The manifest of the last build into `output`; or, when none is recorded for it, the one of
    the same output in the checkout this store was copied from (a CI job's fresh checkout, with
    `.servicebook-cache/` restored, is a new folder, often at another path). Such an output is
    another folder than the one that build wrote: buildcache.BuildCache keeps its files only once
    their bytes are found to be those that build recorded."""
    if memory is not None and memory.manifest is not None:
        return memory.manifest  # the one this process recorded last (serve), in its memory only
    recorded = store.manifest(str(output))
    if recorded is not None:
        return _read_manifest(recorded)
    # where the output is from the source: inside it (`public/`), or beside it (the GitLab
    # component's `--source site --output public` at the top of the repository: `../public`)
    relative = os.path.relpath(output, source)
    for other in store.outputs():
        manifest = _read_manifest(store.manifest(other))
        if manifest is None or not manifest.source or Path(manifest.source) == source:
            continue
        if os.path.relpath(other, manifest.source) == relative:
            return manifest
    return None


def _read_manifest(recorded: str | bytes | None) -> Manifest | None:
    return Manifest.from_bytes(recorded)


def folder_outside_source(source: Path, output: Path) -> Path | None:
    """The folder beside the output that rebuilds keep the replaced site in (the spare, see
    write.write_site) when it is not inside the site's folder (`--output /tmp/site` puts it in
    /tmp/.servicebook-cache/), so the build can say where it is; None when it is.

    It stays beside the output: rebuilds hard-link pages from it into the new site, which needs the
    two on one file system. Whether it is inside is asked of the folder it sits in, not of the
    folder itself, which may be a link to another disk and is still the site's own."""
    folder = output_folder(output)
    if folder.parent.resolve().is_relative_to(source.resolve()):
        return None
    return folder


# a key at the start of a line (block style), or after a flow mapping's `{` or `,` (`- {id: x, review_by: …}`)
_REVIEW_BY_RE = re.compile(r"(?:^[ ]*(?:-[ ]+)?|[{,][ ]*)(review_by)[ ]*:", re.MULTILINE)


def undated_review_note(source: Path, env: Mapping[str, str], repo: Repo | None) -> Problem | None:
    """A warning that the catalog's review_by dates are not checked, when the build has no date
    to judge them by: "today" is SOURCE_DATE_EPOCH or the commit's date, never the wall clock (so
    a build of a commit always judges the same), and a site outside git, or before its first
    commit, has neither. Said so nobody takes a clean build for reviewed decisions; a fact about
    where the build runs rather than about the catalog, so --strict does not fail on it."""

    if source_date_epoch(env) is not None or (repo is not None and repo.head is not None):
        return None  # judged by that date, or by the commit's (see repo.build_info)

    try:
        catalog = read_text(source, CATALOG_FILE, max_bytes=MAX_CATALOG_BYTES, too_big=CATALOG_TOO_BIG)
    except SourceError:  # the build reports that
        return None
    first = _REVIEW_BY_RE.search(catalog.text)
    if first is None:  # no dates to check
        return None
    line = catalog.text.count("\n", 0, first.start()) + 1
    column = first.start(1) - (catalog.text.rfind("\n", 0, first.start()) + 1) + 1
    return Problem(
        SourceLocation(CATALOG_FILE, line, column),
        "review_by dates were not checked: the build has no date (no commit, and SOURCE_DATE_EPOCH is unset)",
        "commit the site, or set SOURCE_DATE_EPOCH to the date to judge them by, e.g. SOURCE_DATE_EPOCH=$(date +%s)",
        Severity.WARNING,
        catalog.line(line),
        kind="review-undated",
    )
