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

import contextlib
import dataclasses
import itertools
import json
import os
import re
import stat
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from servicebook.cache.codec import decode, encode
from servicebook.cache.digest import code_digest as servicebook_digest
from servicebook.cache.digest import digest
from servicebook.cache.folder import CACHE_DIR
from servicebook.cache.store import Store
from servicebook.catalog.model import MAX_CATALOG_BYTES, BuildInfo
from servicebook.errors import Problem, Severity, SourceLocation
from servicebook.git.repo import BUILD_INPUTS, CATALOG_FILE, Repo, build_info, source_date_epoch, tag_refs
from servicebook.progress import Phase, Phases
from servicebook.site.write import MARKER, SpareJournal, check_output_dir, recover
from servicebook.source.text import SourceError, read_text

if TYPE_CHECKING:
    from servicebook.catalog.model import Catalog
    from servicebook.site.load import BodySpool, LoadMemo, PageResult
    from servicebook.site.outputs import CatalogLines
    from servicebook.site.search import SearchMemory

FORMAT = 4  # bump when what a manifest or a page key holds changes shape


@cache
def code_digest() -> str:
    """What a build recorded by another servicebook (version or code) must not be reused by."""
    return digest(f"build {FORMAT}", servicebook_digest())


class PageMemory:
    """Policy pages as loaded by the earlier builds of one long-running process (`serve`), by
    their store key, and the catalog last read: a rebuild after an edit takes what did not change
    from memory instead of decoding it from the build cache again (store.Remembering). It holds
    the pages of the last build only; the caches on disk still record each entry as used, so they
    keep it too. It also holds the manifest its last build recorded, as text and as read, so the
    next build does not read it again from its JSON (thousands of entries, one per output file).
    A build given a memory trusts the files its last build recorded in the output while that
    output's marker is the one it swapped in (buildcache.BuildCache.reuse): the process owns
    its output, as `serve` its temporary folder."""

    def __init__(self) -> None:
        self.pages: dict[str, PageResult] = {}
        self.catalog: tuple[str, tuple[Catalog, tuple[Problem, ...]]] | None = None  # key, as read
        self.manifest: tuple[str, Manifest] | None = None  # as recorded, and as read
        # the last build's page keys and what each was made from (pagekeys.KeyMemo), so that
        # the next build makes again only those whose inputs changed
        self.keys: dict[str, tuple[tuple[object, ...], str]] = {}
        # where its pages' HTML is (load.BodySpool): the builds of the process share it, so the
        # memory holds each page's outline, not its text; made by the first build
        self.bodies: BodySpool | None = None
        # what its last search index was made of (made by the first build that makes one)
        self.search: SearchMemory | None = None
        # what its last build left in the output and the spare (write.SpareJournal): the next
        # build's write stage looks only at what changed, without listing the spare
        self.spare = SpareJournal()
        # the JSON of the manifest its last build recorded, entry by entry (see ManifestText)
        self.text = ManifestText()
        # catalog.json's catalog sections (made by the first build)
        self.catalog_lines: CatalogLines | None = None
        # what its last load found (load.LoadMemo), made by the first build
        self.load: LoadMemo | None = None
        # the source files as its last survey found them (`scan_sources`: hashes, identities),
        # and what changed since then as far as a file watcher knows (paths relative to the
        # source, set before each build; None: not known): the next survey looks at those alone
        # (`rescan`), and a later full survey checks that nothing else changed (`unreported`)
        self.scanned: tuple[dict[str, str], dict[str, list[Any]]] | None = None
        self.changed: frozenset[str] | None = None
        self.unverified = False  # the last survey took the watcher's word for what changed

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
        self.pages = {}
        self.keys = {}
        self.search = None
        self.catalog_lines = None
        self.load = None
        self.scanned = self.changed = None
        self.spare.forget()
        self.text.forget()


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


# -- what the inputs are -----------------------------------------------------------------------

# A file changed less than this before it was hashed may change again within the same timestamp
# tick unseen (git's "racy" files): its hash is not reused by the next build.
RACY_NS = 2_000_000_000


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
    files: dict[str, str] = {}
    seen: dict[str, list[Any]] = {}
    scan = _Scan(files, seen, known or {}, time.time_ns() - RACY_NS)
    for top in sources:
        try:
            info = os.lstat(root / top)
        except OSError:
            continue
        scan.add(top, str(root / top), info)
    return files, seen


@dataclass(frozen=True, slots=True)
class _Scan:
    files: dict[str, str]
    seen: dict[str, list[Any]]
    known: Mapping[str, list[Any]]
    settled_before: int  # files changed after this (ns) are hashed again next time

    def add(self, rel: str, path: str, info: os.stat_result) -> None:
        files = self.files
        if stat.S_ISDIR(info.st_mode):
            try:
                with os.scandir(path) as it:
                    entries = sorted(it, key=lambda e: e.name)
                for entry in entries:
                    self.add(f"{rel}/{entry.name}", entry.path, entry.stat(follow_symlinks=False))
            except OSError as exc:
                files[rel] = digest("unreadable folder", str(exc.errno))
        elif stat.S_ISREG(info.st_mode):
            identity = [info.st_size, info.st_mtime_ns, info.st_ino]
            before = self.known.get(rel)
            if before is not None and before[:3] == identity and before[4]:
                files[rel] = before[3]
            else:
                try:
                    with open(path, "rb") as f:
                        files[rel] = digest(f.read())
                except OSError as exc:
                    files[rel] = digest("unreadable file", str(exc.errno))
                    return
            # the hash is kept either way (it says what changed, site/tally.py), but trusted by
            # the next build without reading the file only when the file had settled
            settled = info.st_mtime_ns < self.settled_before
            self.seen[rel] = [*identity, files[rel], int(settled)]
        elif stat.S_ISLNK(info.st_mode):
            files[rel] = digest("symlink", os.readlink(path))  # noqa: PTH115 - a str path in a hot loop
        else:
            files[rel] = digest("special", str(info.st_mode))


def rescan(
    root: Path, sources: Iterable[str], last: tuple[dict[str, str], dict[str, list[Any]]], changed: Iterable[str]
) -> tuple[dict[str, str], dict[str, list[Any]]] | None:
    """What `scan_sources` would find now, from what it found `last`, when only the files
    `changed` (relative to `root`) may differ since: each looked at as `scan_sources` looks at it.
    None (scan in full) when one of them is a folder, or was one, or is not under `sources`."""
    files, seen = dict(last[0]), dict(last[1])
    scan = _Scan(files, seen, last[1], time.time_ns() - RACY_NS)
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
        scan.add(rel, str(root / rel), info)
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
    found: dict[str, list[int]] = {}
    _scan_tree(str(root), "", found)
    return found


def _scan_tree(folder: str, prefix: str, found: dict[str, list[int]]) -> None:
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                _scan_tree(entry.path, f"{prefix}{entry.name}/", found)
            else:
                info = entry.stat(follow_symlinks=False)
                found[prefix + entry.name] = [info.st_size, info.st_mtime_ns, info.st_ino]


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


class ManifestText:
    """The JSON of each entry of the large maps of the manifest a long-running process (`serve`)
    recorded last (every output file's identity, every page's key, every source's identity), so
    that the next manifest makes again only the entries whose value changed, not thousands. The
    maps hold strings and lists of ints and strings, which are equal only when their JSON is the
    same, and each value is replaced, never changed in place."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[dict[str, Any], dict[str, str]]] = {}

    def dumps(self, name: str, values: Mapping[str, Any]) -> str:
        """`values` as json.dumps writes it (compact), from the entries of map `name` last time."""
        last, texts = self._last.pop(name, ({}, {}))  # until the texts are all made again
        seen = last.get
        for key in [k for k, v in values.items() if seen(k, _ABSENT) != v]:
            texts[key] = f"{json.dumps(key)}:{_dumps(values[key])}"
        if len(texts) > 2 * len(values) + 100:  # entries gone since: forget them
            texts = {key: texts[key] for key in values}
        self._last[name] = (dict(values), texts)
        return "{" + ",".join(map(texts.__getitem__, values)) + "}"

    def forget(self) -> None:
        self._last = {}


_ABSENT = object()


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
    published: str = ""  # SHA-256 of the output's manifest.sha256 as this build wrote it
    source: str = ""  # the source folder it was built from (a checkout moved or cloned elsewhere)

    def to_json(self, parts: ManifestText | None = None) -> str:
        """The manifest as recorded; with `parts` (serve), the same text, made again only where
        it differs from the last manifest made with them."""
        if parts is not None:
            return "".join(
                (
                    '{"inputs":',
                    _dumps(self.inputs),
                    ',"marker":',
                    _dumps(self.marker),
                    ',"outputs":',
                    parts.dumps("outputs", self.outputs),
                    ',"warnings":',
                    _dumps([encode(w) for w in self.warnings]),
                    ',"files":',
                    _dumps(self.files),
                    ',"pages":',
                    _dumps(self.pages),
                    ',"keys":',
                    parts.dumps("keys", self.keys),
                    ',"sources":',
                    parts.dumps("sources", self.sources),
                    ',"published":',
                    _dumps(self.published),
                    ',"source":',
                    _dumps(self.source),
                    "}",
                )
            )
        return "".join(self.parts())

    def parts(self) -> Iterator[str]:
        """The text of `to_json` in parts of at most `_MANY` entries of a map each, made as they
        are asked for: at 20,000 pages the whole text is 9 MB, and the store writes each part
        as it comes (cache/store.py)."""
        yield '{"inputs":' + _dumps(self.inputs) + ',"marker":' + _dumps(self.marker) + ',"outputs":'
        yield from _map_parts(self.outputs)
        yield ',"warnings":' + _dumps([encode(w) for w in self.warnings])
        yield ',"files":' + _dumps(self.files) + ',"pages":' + _dumps(self.pages) + ',"keys":'
        yield from _map_parts(self.keys)
        yield ',"sources":'
        yield from _map_parts(self.sources)
        yield ',"published":' + _dumps(self.published) + ',"source":' + _dumps(self.source) + "}"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        return cls(
            inputs=str(data["inputs"]),
            marker=[int(n) for n in data["marker"]],
            outputs={str(k): [int(n) for n in v] for k, v in data["outputs"].items()},
            warnings=tuple(decode(Problem, w) for w in data["warnings"]),
            files=int(data["files"]),
            pages=int(data["pages"]),
            keys={str(k): str(v) for k, v in data["keys"].items()},
            sources={
                str(k): [int(v[0]), int(v[1]), int(v[2]), str(v[3]), int(v[4])]
                for k, v in data.get("sources", {}).items()
            },
            published=str(data.get("published", "")),
            source=str(data.get("source", "")),
        )


_MANY = 2048  # entries of a map per part of a manifest's text


def _map_parts(values: Mapping[str, Any]) -> Iterator[str]:
    """`values` as json.dumps writes it (compact), `_MANY` entries at a time."""
    items = iter(values.items())
    separator = "{"
    while batch := dict(itertools.islice(items, _MANY)):
        yield separator + _dumps(batch)[1:-1]
        separator = ","
    yield "{}" if separator == "{" else "}"


# -- the survey --------------------------------------------------------------------------------


@dataclass(slots=True)
class Survey:
    """What a build finds before doing anything: its output (checked), the build's identity, the
    store, what the last build into this output recorded, and the fingerprint of the inputs now.
    The build goes on from here (build.build), with what git said about the source (`repo`; None
    outside git); the store stays open until the survey is closed."""

    options: Options
    output: Path
    repo: Repo | None
    info: BuildInfo
    store: Store
    previous: Manifest | None
    inputs: str  # fingerprint of every input and setting
    hashes: dict[str, str] | None  # source file → hash, for the page keys (see load.py)
    sources: dict[str, list[Any]]  # for the next build's fingerprint

    def unchanged(self) -> Report | None:
        """The last build's report when every input is as it saw it and the output is what it
        wrote (no file edited, removed or added); None when there is work to do."""
        previous = self.previous
        marker = self.output / MARKER
        if previous is None or previous.inputs != self.inputs or previous.marker != marker_identity(marker):
            return None
        if tree_identity(self.output) != previous.outputs:
            return None
        return Report(previous.warnings, previous.files, previous.pages, Work(unchanged=True))

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def survey(options: Options, repo: Repo | None) -> Survey:
    """Look before building (see Survey), with what git says about the source now (`repo`, from
    git/repo.open_repo; None outside git); refuses an output folder that is not ours to replace."""
    output = check_output_dir(options.output, options.source)  # refuse before any work
    # a build killed half-way (between the fallback swap's renames): the old site is put back and
    # staging folders removed first, so that this build, even if it fails, leaves a whole output
    recover(output)
    info = build_info(repo, options.env)
    store = Store.for_site(options.source, enabled=options.cache)
    if not options.cache:
        return Survey(options, output, repo, info, store, None, "", None, {})
    previous = _previous(store, output, options.source.resolve(), options.memory)
    hashes, sources = _scan(options, previous)
    # `git fetch --unshallow` changes the history a build shows without changing HEAD
    shallow = options.history and repo is not None and repo.shallow
    settings = repr((options.strict, options.versions, options.history, shallow))
    inputs = digest(
        code_digest(),
        repr(info),
        settings,
        str(output),
        str(options.source.resolve()),
        tag_refs(options.source) if repo is not None else "",
        *(f"{p}\0{h}" for p, h in sorted(hashes.items())),
    )
    return Survey(options, output, repo, info, store, previous, inputs, hashes, sources)


def _scan(options: Options, previous: Manifest | None) -> tuple[dict[str, str], dict[str, list[Any]]]:
    """`scan_sources` of the source; in a long-running process told what changed since its last
    survey (`serve`'s file watcher: PageMemory `changed`), only those files are looked at again."""
    memory = options.memory
    found = None
    if memory is not None and memory.scanned is not None and memory.changed is not None:
        found = rescan(options.source, BUILD_INPUTS, memory.scanned, memory.changed)
    if memory is not None:
        memory.unverified = found is not None  # a full survey finds everything
    if found is None:
        found = scan_sources(options.source, BUILD_INPUTS, previous.sources if previous else None)
    if memory is not None:
        memory.scanned, memory.changed = found, None
    return found


def _previous(store: Store, output: Path, source: Path, memory: PageMemory | None = None) -> Manifest | None:
    """The manifest of the last build into `output`; or, when none is recorded for it, the one of
    the same output in the checkout this store was copied from (a CI job's fresh checkout, with
    `.servicebook-cache/` restored, is a new folder, often at another path). Such an output is
    another folder than the one that build wrote: buildcache.BuildCache keeps its files only once
    their bytes are found to be those that build recorded."""
    recorded = store.manifest(str(output))
    if recorded is not None:
        if memory is not None and memory.manifest is not None and memory.manifest[0] == recorded:
            return memory.manifest[1]  # the one this process recorded last (serve), read already
        return _read_manifest(recorded)
    if not output.is_relative_to(source):
        return None
    relative = output.relative_to(source)
    for other in store.outputs():
        manifest = _read_manifest(store.manifest(other))
        if manifest is None or not manifest.source or Path(manifest.source) == source:
            continue
        with contextlib.suppress(ValueError):
            if Path(other).relative_to(manifest.source) == relative:
                return manifest
    return None


def _read_manifest(recorded: str | None) -> Manifest | None:
    if recorded is None:
        return None
    try:
        return Manifest.from_json(recorded)
    except Exception:  # anything unreadable is simply no manifest
        return None


def folder_outside_source(source: Path, output: Path) -> Path | None:
    """The folder beside the output that rebuilds keep the replaced site in (the spare, see
    write.write_site) when it is not inside the site's folder (`--output /tmp/site` puts it in
    /tmp/.servicebook-cache/), so the build can say where it is; None when it is.

    It stays beside the output: rebuilds hard-link pages from it into the new site, which needs the
    two on one file system."""
    folder = output.parent / CACHE_DIR
    if folder.resolve().is_relative_to(source.resolve()):
        return None
    return folder


_REVIEW_BY_RE = re.compile(r"^([ ]*(?:-[ ]+)?)review_by[ ]*:", re.MULTILINE)


def undated_review_note(source: Path, env: Mapping[str, str], repo: Repo | None) -> Problem | None:
    """A warning that the catalog's review_by dates are not checked, when the build has no date
    to judge them by: "today" is SOURCE_DATE_EPOCH or the commit's date, never the wall clock (so
    a build of a commit always judges the same), and a site outside git, or before its first
    commit, has neither. Said so nobody takes a clean build for reviewed decisions; a fact about
    where the build runs rather than about the catalog, so --strict does not fail on it."""

    if source_date_epoch(env) is not None or (repo is not None and repo.head is not None):
        return None  # judged by that date, or by the commit's (see repo.build_info)

    try:
        catalog = read_text(source, CATALOG_FILE, max_bytes=MAX_CATALOG_BYTES)
    except SourceError:  # the build reports that
        return None
    first = _REVIEW_BY_RE.search(catalog.text)
    if first is None:  # no dates to check
        return None
    line = catalog.text.count("\n", 0, first.start()) + 1
    return Problem(
        SourceLocation(CATALOG_FILE, line, len(first[1]) + 1),
        "review_by dates were not checked: the build has no date (no commit, and SOURCE_DATE_EPOCH is unset)",
        "commit the site, or set SOURCE_DATE_EPOCH to the date to judge them by, e.g. SOURCE_DATE_EPOCH=$(date +%s)",
        Severity.WARNING,
        catalog.line(line),
    )
