"""The catalog and policy pages as they are in a commit or in the working tree, read through the
build's own decoder, YAML reader and validator: each distinct blob is parsed once per build (in
memory) and its outcome kept once per servicebook version (on disk, in `.servicebook-cache/`)."""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from servicebook.cache.codec import decode, encode
from servicebook.cache.digest import cache_key, digest
from servicebook.cache.disk import DiskCache
from servicebook.catalog import model
from servicebook.catalog.basics import MAX_CATALOG_BYTES
from servicebook.catalog.crossrefs import alternative
from servicebook.catalog.read import read_catalog as whole_catalog
from servicebook.catalog.records import RecordCache, read_by_records
from servicebook.catalog.validate import check_catalog
from servicebook.collector import no_collections
from servicebook.content.markdown import MAX_PAGE_BYTES, Outline
from servicebook.errors import Problem, Severity, SourceLocation, UsageProblem
from servicebook.git.blobs import Blobs
from servicebook.git.diff import Change, PageInfo, Section, added_catalog, diff_catalogs, page_info
from servicebook.git.repo import CATALOG_FILE, CONTENT_DIR, LAYOUTS_DIR, LAYOUTS_README, MEASUREMENTS_DIR
from servicebook.git.runner import run
from servicebook.source.yaml import SourceError
from servicebook.source.yaml import decode as decode_text


@dataclass(frozen=True, slots=True)
class PageOutline:
    """A loaded page as the history sees it (diff.PageInfo), so that it need not parse it again."""

    path: str
    title: str
    sections: Outline  # see markdown.outline
    sha256: str  # of the file's bytes
    blob: str  # git's id for those bytes
    meta: model.PageMeta | None = None  # its front matter


def is_page(path: str) -> bool:
    return path.startswith(CONTENT_DIR + "/") and path.endswith(".md")


def page_slug(path: str) -> str:
    return path[len(CONTENT_DIR) + 1 : -3]


BY_RECORDS = 256 * 1024  # from this size on, catalogs are read record by record (see records.py)


def read_catalog(
    data: bytes, slugs: Iterable[str], shown: str = CATALOG_FILE
) -> tuple[model.Catalog | None, list[Problem]]:
    """Read and check catalog bytes through the build's own decoder, YAML reader and validator."""

    if len(data) > MAX_CATALOG_BYTES:
        return None, [
            Problem(SourceLocation(shown), f"file is {len(data):,} bytes; the limit is {MAX_CATALOG_BYTES:,}")
        ]
    # a large catalog is millions of objects, none cyclic: collections only cost time
    with no_collections():
        try:
            read = whole_catalog(decode_text(shown, data))
            checked, problems = read.checked, [*read.found, *read.notes]
            if checked is not None:
                named = member_records(checked.value)  # an organisation's: its members' (the build checks them)
                slugs = sorted({*slugs, *named.get("pages", ())})
                problems += check_catalog(read.source, checked, slugs, None, release=True, exist=named)  # a past one
        except SourceError as exc:
            return None, list(exc.problems)
    errors = [p for p in problems if p.severity is Severity.ERROR]
    return (None if errors or checked is None else checked.value), errors


def member_records(catalog: model.Catalog) -> dict[str, list[str]]:
    """What an organisation's `catalog` names of its members' records (`depends_on:
    [db-team/postgres]`, `alternative: tool:db-team/pgbouncer`, `policies: [db-team/backups]`), as
    check_catalog's `exist` takes them: the catalog alone, without the members' catalogs at the
    commits its lock names, cannot judge them (the build does, against what each member has at its
    locked commit), so they are taken as there, as a member's own site takes another team's."""
    members = {m.id for m in catalog.members}
    if not members:
        return {}
    records: list[str] = []
    pages: list[str] = []
    for o in catalog.offerings:
        records += [*o.depends_on, *([o.replaced_by] if o.replaced_by else [])]
        pages += o.policies
    for t in catalog.tools:
        if t.alternative:
            records += [t.alternative, alternative(t.alternative)[1]]
        if t.migration:
            pages.append(t.migration)
    ours = [r for r in dict.fromkeys(records) if r.partition("/")[0] in members]
    return {
        "offerings": ours,
        "tools": ours,
        "pages": [p for p in dict.fromkeys(pages) if p.partition("/")[0] in members],
    }


CatalogKey = tuple[str, tuple[str, ...]]  # (blob id, page slugs the references were checked against)
# a page by its bytes' id and its path: (git's blob id, path), or, for bytes of the working tree,
# (WORKTREE, their SHA-256, path), which holds the SHA-256 its outline holds rather than a string
# "wt-" + SHA-256 of its own (`worktree_blob_id`): 0.6 MiB at 5,000 pages that `serve` kept
PageKey = tuple[str, ...]
WORKTREE = "wt"


def page_key(blob: str, path: str) -> PageKey:
    """The key of the page at `path` whose bytes have the id `blob` (`PageKey`)."""
    return (WORKTREE, blob[3:], path) if blob.startswith("wt-") else (blob, path)


@functools.lru_cache(maxsize=16)
def _slugs(slugs: tuple[str, ...]) -> str:
    """The page slugs of a catalog key, digested once: consecutive commits mostly share them, and
    every commit's keys name them (three times; hundreds of slugs on a large site)."""
    return digest(*slugs)


@dataclass
class Reader:
    """Reads catalogs and pages by blob id, each distinct one once.

    What a rebuild needs is cached on disk (under .servicebook-cache/history/, keyed by blob ids and
    servicebook's version): whether a catalog blob validates, each page's outline, and the semantic
    diff between two catalog blobs. So a rebuild parses no catalog at all; a new commit costs the
    parse of its own catalog and of the one before it. Parsed catalogs are kept in memory only for
    the last few blobs, as a large catalog is tens of megabytes once parsed.
    """

    store: Blobs
    disk: DiskCache
    known: dict[str, bytes] = field(default_factory=dict)  # blobs not in git (the working tree)
    models: dict[CatalogKey, model.Catalog | None] = field(default_factory=dict)
    errors: dict[CatalogKey, int] = field(default_factory=dict)
    pages: dict[PageKey, PageInfo] = field(default_factory=dict)  # by (blob id, path): `page_key`
    # the pages the build has just loaded (`outlined`), by the same keys: each made a PageInfo
    # when the history asks for it, which is for the few a commit changed (history._step), and
    # not kept in `pages` (a process that builds again, `serve`, holds every page's outline: at
    # 5,000 pages their PageInfos beside them were 6 MiB)
    outlines: dict[PageKey, PageOutline] = field(default_factory=dict)
    records: RecordCache = field(default_factory=RecordCache)
    # the last few changes from or to a working-tree catalog, which the disk cache does not keep
    # (`_disk`): a process that builds again (`serve`) keeps its reader
    moved: dict[str, tuple[Change, ...]] = field(default_factory=dict)
    parsed: int = 0  # how many catalogs were parsed in this build (the benchmark reports it)

    def _data(self, blob: str) -> bytes | None:
        """The blob's bytes; None for one larger than any source may be (not read: Blobs)."""
        if blob in self.known:
            return self.known[blob]
        data = self.store.get(blob)
        if data is None and blob not in self.store.skipped:
            raise KeyError(blob)
        return data

    def _disk(self, blob: str) -> DiskCache:
        return DiskCache(None, "") if blob.startswith("wt-") else self.disk

    def model(self, key: CatalogKey) -> model.Catalog | None:
        if key in self.models:
            return self.models[key]
        data = self._data(key[0])
        catalog: model.Catalog | None
        fast = (
            read_by_records(data, list(key[1]), self.records, CATALOG_FILE)
            if data is not None and len(data) >= BY_RECORDS
            else None
        )
        if data is None:  # larger than a catalog may be: it does not validate
            catalog, errors = None, 1
        elif fast is not None and fast[1] == 0:
            catalog, errors = fast
        else:
            catalog, problems = read_catalog(data, key[1])
            errors = len(problems)
        self.parsed += 1
        if len(self.models) >= 4:
            del self.models[next(iter(self.models))]
        self.models[key] = catalog
        self.errors[key] = errors
        self._disk(key[0]).put(cache_key("validity", key[0], _slugs(key[1])), {"errors": errors})
        return catalog

    def validity(self, key: CatalogKey) -> int:
        """How many errors the catalog blob has (0: it validates)."""
        if key not in self.errors:
            stored = self._disk(key[0]).get(cache_key("validity", key[0], _slugs(key[1])))
            if isinstance(stored, dict) and isinstance(stored.get("errors"), int):
                self.errors[key] = stored["errors"]
            else:
                self.model(key)
        return self.errors[key]

    def transition(self, old: CatalogKey | None, new: CatalogKey) -> tuple[Change, ...]:
        """The semantic changes from catalog `old` (None: nothing published yet) to `new`."""
        old_blob, old_slugs = old if old is not None else ("", ())
        disk = self._disk(new[0] if not old_blob.startswith("wt-") else old_blob)
        key = cache_key("transition", old_blob, _slugs(old_slugs), new[0], _slugs(new[1]))
        if key in self.moved:
            return self.moved[key]
        stored = disk.get(key)
        if stored is not None:
            try:
                changes: tuple[Change, ...] = decode(tuple[Change, ...], stored)
                return changes
            except (KeyError, TypeError, ValueError):
                pass
        after = self.model(new)
        assert after is not None
        if old is None:
            # Everything the first catalog promises is "added" then, so each entity's history starts there.
            changes = (Change("catalog.added", "catalog", "neutral", "Catalog published"), *added_catalog(after))
        else:
            before = self.model(old)
            assert before is not None
            changes = tuple(diff_catalogs(before, after, validated=True))  # both have no error (_step)
        disk.put(key, encode(changes))
        if disk.folder is None:
            if len(self.moved) >= 4:
                del self.moved[next(iter(self.moved))]
            self.moved[key] = changes
        return changes

    def forget(self, outline: PageOutline) -> None:
        """`outline` no longer held for its page, whose bytes changed: its PageInfo kept by git's
        id for those bytes (the history asks a page as committed when its working copy changed)."""
        for key in ((outline.blob, outline.path), (WORKTREE, outline.sha256, outline.path)):
            if self.outlines.get(key) is outline:
                del self.outlines[key]
        if (outline.blob, outline.path) not in self.outlines:
            self.pages.setdefault((outline.blob, outline.path), _outline_info(outline))

    def outlined(self, outline: PageOutline) -> None:
        """A page the build has just read, at its two names (as git names its bytes, and as the
        working tree's entry does), which `page` then makes its PageInfo of, not parsed again."""
        for key in ((outline.blob, outline.path), (WORKTREE, outline.sha256, outline.path)):
            self.pages.pop(key, None)
            self.outlines[key] = outline

    def knows(self, path: str, blob: str) -> bool:
        """Whether `page` has the page without reading it."""
        key = page_key(blob, path)
        return key in self.pages or key in self.outlines

    def page(self, path: str, blob: str, data: bytes | None = None) -> PageInfo:
        at = page_key(blob, path)
        kept = self.pages.get(at)
        if kept is not None:  # every commit lists every page: most were read at an earlier one
            return kept
        outline = self.outlines.get(at)
        if outline is not None:  # made again each time asked, not held beside the outline (`outlines`)
            return _outline_info(outline)
        key = cache_key("page", blob, path)
        stored = self._disk(blob).get(key)
        if stored is not None:
            try:
                info: PageInfo = decode(PageInfo, stored)
                self.pages[at] = info
                return info
            except (KeyError, TypeError, ValueError):
                pass
        data = data if data is not None else self._data(blob)
        # a page too large is refused by the build; the history only notes that it changed
        if data is None or len(data) > MAX_PAGE_BYTES:
            info = unread_page(path, data or b"")
        else:
            info = page_info(path, page_slug(path), data)
        self.pages[at] = info
        self._disk(blob).put(key, encode(info))
        return info


def unread_page(path: str, data: bytes) -> PageInfo:
    """A page known only by its path and bytes, not parsed: enough to tell that it changed (its
    digest is the one `page_info` gives the same bytes), for a page a diff finds the same on both
    sides, or one too large to read."""
    return PageInfo(page_slug(path), path, page_slug(path), (), hashlib.sha256(data).hexdigest())


def _outline_info(outline: PageOutline) -> PageInfo:
    sections = tuple(Section(anchor, title, digest.hex()) for anchor, title, digest in outline.sections)
    return PageInfo(page_slug(outline.path), outline.path, outline.title, sections, outline.sha256, outline.meta)


def worktree_files(root: Path) -> dict[str, bytes]:
    """catalog.yaml and content/**.md as they are on disk (symbolic links skipped: the build refuses them)."""
    out: dict[str, bytes] = {}
    catalog = root / CATALOG_FILE
    if catalog.is_file() and not catalog.is_symlink():
        out[CATALOG_FILE] = catalog.read_bytes()
    content = root / CONTENT_DIR
    if content.is_dir() and not content.is_symlink():
        for dirpath, dirnames, filenames in os.walk(content):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not (Path(dirpath) / d).is_symlink())
            for name in sorted(filenames):
                full = Path(dirpath) / name
                if name.endswith(".md") and not name.startswith(".") and full.is_file() and not full.is_symlink():
                    out[full.relative_to(root).as_posix()] = full.read_bytes()
    return out


def worktree_links(root: Path) -> set[str]:
    """The pages under content/ (and catalog.yaml) on disk that are symbolic links, which
    worktree_files leaves out and the build refuses."""
    found = {CATALOG_FILE} if (root / CATALOG_FILE).is_symlink() else set()
    content = root / CONTENT_DIR
    if content.is_dir() and not content.is_symlink():
        for dirpath, dirnames, filenames in os.walk(content):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in [*dirnames, *filenames]:
                full = Path(dirpath) / name
                if (name in dirnames or name.endswith(".md")) and full.is_symlink():
                    found.add(full.relative_to(root).as_posix())
    return found


def is_other_file(path: str) -> bool:
    """Whether `path` is a template, a file under content/ other than a policy page, or a snapshot
    of `servicebook measure`, which the diff reports by name (hidden files, which the build skips,
    and layouts/README.md are not)."""
    if any(part.startswith(".") for part in path.split("/")) or path == LAYOUTS_README:
        return False
    if path.startswith(LAYOUTS_DIR + "/") or is_snapshot_file(path):
        return True
    return path.startswith(CONTENT_DIR + "/") and not is_page(path)


def is_snapshot_file(path: str) -> bool:
    """Whether `path` is one the site and `promised` read as a snapshot (measure/snapshot.py)."""
    folder, _, name = path.partition("/")
    return folder == MEASUREMENTS_DIR and "/" not in name and name.endswith(".json") and not name.startswith(".")


def worktree_other_files(root: Path) -> dict[str, str]:
    """Site-relative path → git's blob id of the templates and other files in the working tree,
    so that they compare with a revision's (symbolic links skipped: the build refuses them)."""
    paths: list[str] = []
    for top in (LAYOUTS_DIR, CONTENT_DIR, MEASUREMENTS_DIR):
        if not (root / top).is_dir() or (root / top).is_symlink():
            continue
        for dirpath, dirnames, filenames in os.walk(root / top):
            dirnames[:] = sorted(d for d in dirnames if not (Path(dirpath) / d).is_symlink())
            for name in sorted(filenames):
                full = Path(dirpath) / name
                rel = full.relative_to(root).as_posix()
                if is_other_file(rel) and full.is_file() and not full.is_symlink():
                    paths.append(rel)
    if not paths:
        return {}
    # absolute: git reads --stdin-paths from the top of the repository, not from `root` (a site in a folder of it)
    top = root.absolute().as_posix()
    done = run(root, ["hash-object", "--stdin-paths"], "".join(f"{top}/{p}\n" for p in paths).encode())
    if done is None or done.returncode != 0:
        raise UsageProblem("git hash-object failed on the templates or files under content/")
    ids = done.stdout.decode("ascii").split()
    return dict(zip(paths, ids, strict=True))


def worktree_blob_id(data: bytes) -> str:
    """The id the history gives bytes of the working tree ("wt-" and their SHA-256), apart from git's."""
    return "wt-" + hashlib.sha256(data).hexdigest()


def git_blob_id(data: bytes) -> str:
    """The id git gives a file of these bytes (SHA-1, git's default object format; in a SHA-256
    repository it is no blob's id, so nothing is taken for what git holds)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()
