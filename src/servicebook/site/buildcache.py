"""The build cache: what earlier builds of this site computed, so a rebuild redoes only what changed.

One SQLite file per output folder, `.servicebook-cache/build/<output name>.sqlite` beside it
(for the default `public/`, in the site's own `.servicebook-cache/`), holds:

- the **manifest** of the last successful build: a fingerprint of every input (source files,
  settings, commit, servicebook's own code), its warnings and counts, and for every output file
  the key of the inputs it was rendered from and its SHA-256. When the fingerprint is unchanged
  and `public/` is still the folder that build swapped in, the build does nothing at all;
- each **policy page as loaded** (front matter, rendered Markdown, headings, problems), keyed by
  its bytes and by the set of ids its links may point to, so only changed pages are rendered.

The cache is an optimisation only: the output is byte-identical with or without it. Values are
JSON and plain text, never pickle, so a cache someone else wrote cannot run code; anything that
cannot be read, was written by another servicebook, or does not match the `public/` it describes
is ignored (and rebuilt), never trusted.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sqlite3
import stat
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from servicebook.cache.codec import decode, encode
from servicebook.cache.database import Database
from servicebook.cache.digest import code_digest as servicebook_digest
from servicebook.cache.digest import digest
from servicebook.cache.folder import CACHE_DIR
from servicebook.catalog import model
from servicebook.content.markdown import AnchorRef
from servicebook.errors import Problem
from servicebook.git.repo import BUILD_INPUTS, tag_refs
from servicebook.site.load import PageResult
from servicebook.site.write import MARKER

FORMAT = 2  # bump when what is stored changes shape


@cache
def code_digest() -> str:
    """What a cache written by another servicebook (version or code) must not be reused by."""
    return digest(f"build cache {FORMAT}", servicebook_digest())


# A file changed less than this before it was hashed may change again within the same timestamp
# tick unseen (git's "racy" files): its hash is not reused by the next build.
RACY_NS = 2_000_000_000


def scan_sources(
    root: Path, sources: Iterable[str], known: Mapping[str, list[Any]] | None = None
) -> tuple[dict[str, str], dict[str, list[Any]]]:
    """path relative to `root` → hash, for every file under the given top-level source paths, and
    what to give the next build as `known`: each file's (size, mtime, inode, hash).

    A regular file whose size, modification time and inode are those in `known` keeps its hash
    there without being read (as git's index does). Links are not followed; a link, special file or
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
            if before is not None and before[:3] == identity and before[3]:
                files[rel] = before[3]
            else:
                try:
                    with open(path, "rb") as f:
                        files[rel] = digest(f.read())
                except OSError as exc:
                    files[rel] = digest("unreadable file", str(exc.errno))
                    return
            settled = info.st_mtime_ns < self.settled_before
            self.seen[rel] = [*identity, files[rel] if settled else ""]
        elif stat.S_ISLNK(info.st_mode):
            files[rel] = digest("symlink", os.readlink(path))  # noqa: PTH115 - a str path in a hot loop
        else:
            files[rel] = digest("special", str(info.st_mode))


def marker_identity(path: Path) -> list[int] | None:
    """(device, inode, modification time) of the output's marker: which `public/` this is."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return [info.st_dev, info.st_ino, info.st_mtime_ns]


def _file_identity(path: Path | str) -> list[int] | None:
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns, info.st_ino]


def _tree_identity(root: Path) -> dict[str, list[int]]:
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

    def to_json(self) -> str:
        return json.dumps(
            {
                "inputs": self.inputs,
                "marker": self.marker,
                "outputs": self.outputs,
                "warnings": [encode(w) for w in self.warnings],
                "files": self.files,
                "pages": self.pages,
                "keys": self.keys,
                "sources": self.sources,
            },
            separators=(",", ":"),
        )

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
            sources={str(k): [int(v[0]), int(v[1]), int(v[2]), str(v[3])] for k, v in data.get("sources", {}).items()},
        )


def encode_page(result: PageResult) -> tuple[str, str, str]:
    """A loaded page as stored: flat JSON lists rather than objects (a rebuild decodes every page
    of the site, and small objects cost JSON most of its time: 5x slower for 5,000 pages)."""
    page = result.page
    refs: list[Any] = []  # runs of links from one source file: [path, slug, anchor, line, size, href, occurrence, …]
    for ref in result.anchor_refs:
        if not refs or refs[-1][0] != ref.path:
            refs.append([ref.path])
        refs[-1] += [ref.slug, ref.anchor, ref.line, ref.size, ref.href, ref.occurrence]
    data = [
        None
        if page is None
        else [
            page.slug,
            page.source,
            encode(page.meta),
            [part for h in page.headings for part in (h.level, h.text, h.anchor)],
            page.html_sha256,
        ],
        [encode(p) for p in result.problems],
        refs,
        list(result.assets),
        result.digest,
        [part for section in result.sections for part in section],
        result.sha256,
        result.blob,
    ]
    return json.dumps(data, separators=(",", ":")), page.html if page else "", page.text if page else ""


def _page_meta(data: dict[str, Any]) -> model.PageMeta:
    """Front matter as stored: plain values and lists of ids, read directly (the generic
    `decode` resolves every field's type, which a rebuild would pay for on every page)."""
    if data.keys() == _PAGE_META_TYPES.keys() and all(
        isinstance(v, _PAGE_META_TYPES[k]) and (not isinstance(v, list) or all(isinstance(i, str) for i in v))
        for k, v in data.items()
    ):
        fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return model.PageMeta(**fields)
    meta: model.PageMeta = decode(model.PageMeta, data)  # a field of another shape: read it the careful way
    return meta


# What `encode` makes of each PageMeta field (a test keeps this in step with the model).
_PAGE_META_TYPES: dict[str, type | tuple[type, ...]] = {
    "title": str,
    "summary": (str, type(None)),
    "owner": (str, type(None)),
    "order": int,
    "offerings": list,
    "tools": list,
}


def decode_page(data: str, html: str, text: str) -> PageResult:
    stored, problems, refs, assets, digest_, sections, sha256, blob = json.loads(data)
    page = None
    if stored is not None:
        slug, source, meta, headings, html_sha256 = stored
        page = model.Page(
            slug=slug,
            source=source,
            meta=_page_meta(meta),
            html=html,
            text=text,
            headings=tuple(
                model.Heading(int(headings[i]), str(headings[i + 1]), str(headings[i + 2]))
                for i in range(0, len(headings), 3)
            ),
            html_sha256=str(html_sha256),
        )
    return PageResult(
        page=page,
        problems=tuple(decode(Problem, p) for p in problems),
        anchor_refs=tuple(
            AnchorRef(
                str(run[i]),
                str(run[i + 1]),
                str(run[0]),
                int(run[i + 2]),
                int(run[i + 3]),
                str(run[i + 4]),
                int(run[i + 5]),
            )
            for run in refs
            for i in range(1, len(run), 6)
        ),
        assets=tuple(str(a) for a in assets),
        digest=str(digest_),
        sections=tuple(
            (str(sections[i]), str(sections[i + 1]), str(sections[i + 2])) for i in range(0, len(sections), 3)
        ),
        sha256=str(sha256),
        blob=str(blob),
    )


def folder_outside_source(source: Path, output: Path) -> Path | None:
    """The build cache's folder when it is not inside the site's folder (`--output /tmp/site` puts it
    in /tmp/.servicebook-cache/), so the build can say where it is; None when it is.

    It stays beside the output: rebuilds hard-link pages from it into the new site, which needs the
    two on one file system."""
    folder = output.parent / CACHE_DIR
    if folder.resolve().is_relative_to(source.resolve()):
        return None
    return folder


_FEW = 100  # pages: below this, get_many looks each one up rather than reading the whole table


class BuildCache(Database):
    """The cache of one output folder; every failure to read or write it means 'not cached'."""

    def __init__(self, path: Path | None, inputs: str, hashes: Mapping[str, str] | None, marker: Path) -> None:
        self.path = path
        self.inputs = inputs
        self.hashes = hashes  # source file → hash, for the page keys (see load.py)
        self.sources: Mapping[str, list[Any]] = {}  # for the next build's fingerprint
        self.marker = marker
        self._db: sqlite3.Connection | None = None
        self._used: set[str] = set()
        self.previous: Manifest | None = None
        self.keys: dict[str, str] = {}  # page path → key, for this build's manifest
        self.reused: set[str] = set()  # pages kept from the last build
        self._same_output: bool | None = None  # is the output the one the last build swapped in?
        self._root = str(marker.parent)  # the output folder
        if path is None:
            return
        with contextlib.suppress(OSError, sqlite3.Error):
            self._db = self._open(path)
        if self._db is None:  # corrupt or unreadable: start again from nothing
            for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                with contextlib.suppress(OSError):
                    leftover.unlink()
            with contextlib.suppress(OSError, sqlite3.Error):
                self._db = self._open(path)
        self.previous = self.manifest()

    @classmethod
    def for_output(
        cls, source: Path, output: Path, settings: str, build: model.BuildInfo, *, enabled: bool = True
    ) -> BuildCache:
        """The cache of `output`, in .servicebook-cache/build/ beside it, and the fingerprint of this
        build's inputs: source files, `settings`, the commit and tags, servicebook's code."""
        if not enabled:
            return cls(None, "", None, output / MARKER)
        built = cls(output.parent / CACHE_DIR / "build" / f"{output.name}.sqlite", "", None, output / MARKER)
        known = built.previous.sources if built.previous is not None else None
        hashes, built.sources = scan_sources(source, BUILD_INPUTS, known)
        tags = tag_refs(source)
        built.hashes = hashes
        built.inputs = digest(
            code_digest(),
            repr(build),
            settings,
            str(output),
            str(source.resolve()),
            tags,
            *(f"{p}\0{h}" for p, h in sorted(hashes.items())),
        )
        return built

    def _open(self, path: Path) -> sqlite3.Connection:
        db = self._connect(
            path,
            "CREATE TABLE IF NOT EXISTS pages (key TEXT PRIMARY KEY, data TEXT NOT NULL, html TEXT NOT NULL, "
            "text TEXT NOT NULL)",
        )
        try:
            row = db.execute("SELECT value FROM state WHERE name = 'format'").fetchone()
            if row is None or row[0] != code_digest():  # another servicebook wrote it: forget all of it
                db.execute("BEGIN")
                db.execute("DELETE FROM state")
                db.execute("DELETE FROM pages")
                db.execute("INSERT INTO state VALUES ('format', ?)", (code_digest(),))
                db.execute("COMMIT")
        except BaseException:
            db.close()
            raise
        return db

    def unchanged(self) -> bool:
        """Every input is as the last successful build saw it, and `public/` is what it wrote."""
        previous = self.previous
        if previous is None or previous.inputs != self.inputs or previous.marker != marker_identity(self.marker):
            return False
        return _tree_identity(self.marker.parent) == previous.outputs  # no file edited, removed or added

    def reuse(self, path: str, key: str) -> Path | None:
        """The file `path` of the current output, if the last build rendered it from inputs with
        the same `key` and nobody changed it since; remembers `key` for the next build."""
        self.keys[path] = key
        previous = self.previous
        if previous is None or previous.keys.get(path) != key:
            return None
        if self._same_output is None:
            self._same_output = previous.marker == marker_identity(self.marker)
        file = f"{self._root}/{path}"  # plain strings: this runs for every page of the site
        if not self._same_output or previous.outputs.get(path) != _file_identity(file):
            return None
        self.reused.add(path)
        return Path(file)

    @property
    def spare(self) -> Path | None:
        """Where the site this build replaces is kept, for the next build to start from
        (write.write_site); none without a cache."""
        return None if self.path is None else self.path.with_suffix(".spare")

    def kept_hashes(self, manifest_name: str) -> dict[str, str]:
        """The SHA-256 of each page kept from the last build, from that build's manifest in the
        output, provided that file is still the one it wrote."""
        previous = self.previous
        file = f"{self._root}/{manifest_name}"
        if previous is None or not self.reused or previous.outputs.get(manifest_name) != _file_identity(file):
            return {}
        try:
            with open(file, encoding="utf-8") as lines:
                pairs = (line.rstrip("\n").split("  ", 1) for line in lines)
                return {path: sha for sha, path in pairs if path in self.reused and len(sha) == 64}
        except (OSError, UnicodeDecodeError, ValueError):
            return {}

    # -- pages (load.PageStore) ---------------------------------------------------------------

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        """The loaded pages stored under `keys` (missing or unreadable ones are left out)."""
        self._used.update(keys)
        if self._db is None or not keys:
            return {}
        found: dict[str, Any] = {}
        wanted = set(keys)
        try:
            if len(wanted) <= _FEW:  # a few pages (a rebuild in `serve`): look each one up
                query = "SELECT key, data, html, text FROM pages WHERE key = ?"
                rows: Iterable[tuple[str, str, str, str]] = [
                    row for key in sorted(wanted) for row in self._db.execute(query, (key,))
                ]
            else:  # most of the site: one pass over the table is quicker than a look-up per page
                rows = self._db.execute("SELECT key, data, html, text FROM pages")
            for key, data, html, text in rows:
                if key in wanted:
                    with contextlib.suppress(Exception):  # a damaged entry is a miss
                        found[key] = decode_page(data, html, text)
        except sqlite3.Error:
            return {}
        return found

    def keep(self, keys: list[str]) -> None:
        """Count these pages as used by this build without reading them: not forgotten by `record`."""
        self._used.update(keys)

    def put(self, key: str, value: object) -> None:
        """Store a loaded page now (in a transaction committed with the manifest, or on close), so
        that thousands of rendered pages are not held in memory until the end of the build."""
        self._used.add(key)
        if self._db is None or not isinstance(value, PageResult):
            return
        try:
            if not self._db.in_transaction:
                self._db.execute("BEGIN")
            self._db.execute("INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?)", (key, *encode_page(value)))
        except sqlite3.Error:
            self.close()

    def get_catalog(self, key: str) -> tuple[model.Catalog, tuple[Problem, ...]] | None:
        """The catalog read from bytes with this hash, and the problems reading it found."""
        self._used.add(key)
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT data FROM pages WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            raw = json.loads(row[0])
            return decode(model.Catalog, raw["catalog"]), tuple(decode(Problem, p) for p in raw["problems"])
        except Exception:  # a damaged entry is a miss
            return None

    def put_catalog(self, key: str, catalog: model.Catalog, problems: tuple[Problem, ...]) -> None:
        self._used.add(key)
        if self._db is None:
            return
        data = json.dumps({"catalog": encode(catalog), "problems": [encode(p) for p in problems]})
        try:
            if not self._db.in_transaction:
                self._db.execute("BEGIN")
            self._db.execute("INSERT OR REPLACE INTO pages VALUES (?, ?, '', '')", (key, data))
        except sqlite3.Error:
            self.close()

    # -- the manifest -------------------------------------------------------------------------

    def manifest(self) -> Manifest | None:
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT value FROM state WHERE name = 'manifest'").fetchone()
            return None if row is None else Manifest.from_json(row[0])
        except Exception:  # anything unreadable is simply no manifest
            return None

    def forget_manifest(self) -> None:
        """Before `public/` is replaced: until the new manifest is recorded, trust nothing in it."""
        if self._db is None:
            return
        try:
            if self._db.in_transaction:
                self._db.execute("COMMIT")
            self._db.execute("DELETE FROM state WHERE name = 'manifest'")
        except sqlite3.Error:
            self.close()

    def record(self, warnings: tuple[Problem, ...], files: int, pages: int) -> None:
        """After a successful swap: store new pages and the manifest, forget pages not used."""
        marker = marker_identity(self.marker)
        if self._db is None or marker is None:
            return
        outputs = _tree_identity(self.marker.parent)
        manifest = Manifest(self.inputs, marker, outputs, warnings, files, pages, self.keys, self.sources)
        try:
            if not self._db.in_transaction:
                self._db.execute("BEGIN")
            stale = [k for (k,) in self._db.execute("SELECT key FROM pages") if k not in self._used]
            self._db.executemany("DELETE FROM pages WHERE key = ?", ((k,) for k in stale))
            self._db.execute("INSERT OR REPLACE INTO state VALUES ('manifest', ?)", (manifest.to_json(),))
            self._db.execute("COMMIT")
        except sqlite3.Error:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
