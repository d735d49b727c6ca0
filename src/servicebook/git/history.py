"""What git says about the source: the commit a build comes from, the catalog and policy pages at
any revision, and the timeline of semantic changes across the history.

Only the git command line is used (never `.git` parsed by hand). History is read with one
`git log --first-parent --raw` call; blobs are read in batches with `git cat-file --batch`; each
distinct catalog blob is parsed once per build (in memory) and once per servicebook version (on
disk, in `.servicebook-cache/`). Nothing here reads the wall clock: a build's date is
SOURCE_DATE_EPOCH or the commit date, so rebuilding a commit gives the same bytes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import hashlib
import os
import re
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from servicebook import __version__
from servicebook.cache.codec import decode, encode
from servicebook.cache.digest import cache_key
from servicebook.cache.disk import DiskCache
from servicebook.catalog import model
from servicebook.catalog.model import BuildInfo
from servicebook.catalog.records import RecordCache, read_by_records
from servicebook.catalog.upgrade import upgrade
from servicebook.catalog.validate import check_catalog, read_record
from servicebook.errors import Problem, Severity, SourceLocation, UsageProblem
from servicebook.git.diff import (
    Change,
    PageInfo,
    Section,
    Snapshot,
    added_catalog,
    diff_catalogs,
    diff_pages,
    diff_snapshots,
    page_info,
)
from servicebook.source.yaml import BIDI_CONTROLS, SourceError, parse_yaml
from servicebook.source.yaml import decode as decode_text

SOURCE_PATHS = ("catalog.yaml", "content", "layouts")
CATALOG_FILE = "catalog.yaml"
CONTENT_DIR = "content"
LAYOUTS_DIR = "layouts"
LAYOUTS_README = "layouts/README.md"  # as scaffold.LAYOUTS_README: explains layouts/, not a template
EntryState = Literal["ok", "invalid", "missing", "truncated"]
_ENV_EXTRA = {"LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}


@dataclass(frozen=True, slots=True)
class PageOutline:
    """A loaded page as the history sees it (diff.PageInfo), so that it need not parse it again."""

    path: str
    title: str
    sections: tuple[tuple[str, str, str], ...]  # see markdown.outline
    sha256: str  # of the file's bytes
    blob: str  # git's id for those bytes
    meta: model.PageMeta | None = None  # its front matter


def git(root: Path, *args: str) -> str | None:
    """Run git in `root`; its stdout, or None when git fails or `root` is not in a repository."""
    done = _run(root, args)
    if done is None or done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", "replace")


def _run(root: Path, args: Iterable[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes] | None:
    try:
        return subprocess.run(
            ["git", "-C", str(root), "-c", "core.quotepath=off", "-c", "log.showSignature=false", *args],
            capture_output=True,
            check=False,
            input=stdin,
            env={**os.environ, **_ENV_EXTRA},
        )
    except FileNotFoundError:
        return None


def source_date_epoch(env: Mapping[str, str]) -> dt.datetime | None:
    """SOURCE_DATE_EPOCH as a UTC time; a malformed value is an error, as reproducible-builds.org asks."""
    raw = env.get("SOURCE_DATE_EPOCH")
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        raise UsageProblem(f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01, not {raw!r}")
    date = _utc(int(raw))
    if date is None:
        raise UsageProblem(f"SOURCE_DATE_EPOCH {raw} is after the year 9999")
    return date


def _utc(seconds: int) -> dt.datetime | None:
    """`seconds` since the epoch as a UTC time; None when it is past what a date can hold."""
    try:
        return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        return None


def build_info(root: Path, env: Mapping[str, str]) -> BuildInfo:
    """The commit `root` is at, whether its sources have uncommitted changes, and the build date."""
    generator = f"servicebook {__version__}"
    date = source_date_epoch(env)
    top = git(root, "rev-parse", "--show-toplevel")
    if top is None:
        return BuildInfo(commit=None, dirty=False, date=date, generator=generator)
    commit = (git(root, "rev-parse", "--verify", "-q", "HEAD") or "").strip() or None
    status = git(root, "status", "--porcelain", "--untracked-files=all", "--", *SOURCE_PATHS) or ""
    if date is None and commit is not None:
        stamp = (git(root, "log", "-1", "--format=%ct", commit) or "").strip()
        if stamp.isdigit() and len(stamp) <= 12:
            date = _utc(int(stamp))
    return BuildInfo(commit=commit, dirty=bool(status.strip()), date=date, generator=generator)


def changed_since(root: Path, commit: str, build: BuildInfo) -> bool:
    """Whether the sources being built differ from those at `commit` (a release's): committed
    since, or uncommitted in the working tree."""
    if build.dirty:
        return True
    if build.commit is None or build.commit == commit:
        return False
    done = _run(root, ["diff", "--quiet", commit, build.commit, "--", *SOURCE_PATHS])
    return done is not None and done.returncode == 1


# --------------------------------------------------------------------------- repositories


@dataclass(frozen=True, slots=True)
class Repo:
    """A site source inside a git work tree; `prefix` is the source's path from the top ("" or "site/")."""

    root: Path
    prefix: str
    shallow: bool

    def path(self, relative: str) -> str:
        return self.prefix + relative


def open_repo(root: Path) -> Repo | None:
    """The repository holding `root`, or None when it is not in one (or git is missing)."""
    out = git(root, "rev-parse", "--show-prefix", "--is-shallow-repository")
    if out is None:
        return None
    lines = out.split("\n")
    if len(lines) < 2:
        return None
    return Repo(root=root, prefix=lines[0].strip(), shallow=lines[1].strip() == "true")


UNSHALLOW = "`git fetch --unshallow --tags`"
UNSHALLOW_CI = 'in CI, check out with `fetch-depth: 0` (GitHub Actions) or `GIT_DEPTH: "0"` (GitLab CI)'


def shallow_warning(root: Path, *, building: bool, releases: bool = True) -> Problem | None:
    """A warning when `root` is in a shallow clone, which holds only part of the history: a build
    there cannot publish the releases before it, and its changes page is truncated. `check` reads
    only the working tree, which a shallow clone holds whole, so for it this is only a notice."""
    repo = open_repo(root)
    if repo is None or not repo.shallow:
        return None
    lost = "releases older than the history it holds cannot be built from it and are not published" if releases else ""
    history = "the site's change history is truncated"
    if building:
        message = f"this is a shallow clone: {lost + ', and ' if lost else ''}{history}"
    else:
        message = (
            "this is a shallow clone: `check` is complete here, but a build from it would publish a truncated "
            "change history and none of the releases before the fetched part of the history"
        )
    return Problem(
        SourceLocation(CATALOG_FILE),
        message,
        f"fetch the whole history and the release tags before building: {UNSHALLOW}; {UNSHALLOW_CI}",
        Severity.WARNING,
    )


def resolve(repo: Repo, revision: str) -> str:
    """The full commit id `revision` names; a clear UsageProblem (exit 2) when it names none."""
    if not revision or revision.startswith("-") or "\0" in revision:
        raise UsageProblem(f"'{revision}' is not a revision name")
    out = git(repo.root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}")
    if out is None or not out.strip():
        hint = (
            " (this is a shallow clone: run `git fetch --unshallow`)"
            if repo.shallow
            else _near_revision(repo, revision)
        )
        raise UsageProblem(f"unknown revision '{revision}': no commit, branch or tag has that name{hint}")
    return out.strip()


def _near_revision(repo: Repo, revision: str) -> str:
    """What a revision that names nothing was probably meant to be: a remote's branch that was
    not fetched (a CI checkout fetches only what it builds), or a branch or tag spelled alike."""
    import difflib

    name = revision.split("~", 1)[0].split("^", 1)[0]
    back = re.fullmatch(r"[^~^]+(?:~[0-9]*)+", revision)  # `HEAD~5`, `main~2~3`: back along first parents
    if back and git(repo.root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{name}^{{commit}}"):
        count = (git(repo.root, "rev-list", "--count", "--first-parent", "--end-of-options", name) or "").strip()
        if count.isdigit():  # `HEAD~5` in a history of three commits
            before = int(count) - 1
            return f"; {name} has {before} commit{'s' if before != 1 else ''} before it"
    remote, slash, branch = name.partition("/")
    if slash and branch and remote in (git(repo.root, "remote") or "").split():
        return (
            f"; the remote '{remote}' is known but its branch '{branch}' was not fetched: `git fetch {remote} {branch}`"
        )
    refs = git(repo.root, "for-each-ref", "--format=%(refname:short)", "refs/heads", "refs/tags", "refs/remotes")
    known = (refs or "").split()
    if slash and branch in known:  # `origin/main` where there is no remote, only the branch
        return f"; did you mean '{branch}'? (there is no remote '{remote}' here)"
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def related(repo: Repo, a: str, b: str) -> bool:
    """Whether commits `a` and `b` share any history."""
    done = _run(repo.root, ["merge-base", a, b])
    return done is not None and done.returncode == 0


def read_blobs(repo: Repo, ids: Iterable[str]) -> dict[str, bytes]:
    """The contents of blobs `ids`, with `git cat-file --batch` (a few processes, not one per blob)."""
    wanted = sorted(set(ids))
    out: dict[str, bytes] = {}
    for start in range(0, len(wanted), 64):
        chunk = wanted[start : start + 64]
        done = _run(repo.root, ["cat-file", "--batch"], ("\n".join(chunk) + "\n").encode())
        if done is None or done.returncode != 0:
            raise UsageProblem("git cat-file failed; is the repository complete?")
        data, pos = done.stdout, 0
        for blob in chunk:
            end = data.index(b"\n", pos)
            header = data[pos:end].split(b" ")
            pos = end + 1
            if len(header) < 3 or header[1] != b"blob":
                continue
            size = int(header[2])
            out[blob] = data[pos : pos + size]
            pos += size + 1
    return out


def tree_at(repo: Repo, commit: str, *, layouts: bool = False) -> dict[str, str]:
    """Site-relative path → blob id of catalog.yaml and every file under content/ (and under
    layouts/ when asked) at `commit`."""
    tops = (CATALOG_FILE, CONTENT_DIR, *((LAYOUTS_DIR,) if layouts else ()))
    out = git(repo.root, "ls-tree", "-r", "-z", "--full-tree", commit, "--", *(f":(top){repo.path(t)}" for t in tops))
    files: dict[str, str] = {}
    for item in (out or "").split("\0"):
        if "\t" not in item:
            continue
        meta, path = item.split("\t", 1)
        parts = meta.split()
        if len(parts) == 3 and parts[1] == "blob" and path.startswith(repo.prefix):
            files[path[len(repo.prefix) :]] = parts[2]
    return files


# --------------------------------------------------------------------------- reading snapshots


def is_page(path: str) -> bool:
    return path.startswith(CONTENT_DIR + "/") and path.endswith(".md")


def page_slug(path: str) -> str:
    return path[len(CONTENT_DIR) + 1 : -3]


MAX_CATALOG_BYTES = 32 * 1024 * 1024  # as load.py: past it, a catalog is refused, not parsed
MAX_PAGE_BYTES = 256 * 1024
BY_RECORDS = 256 * 1024  # from this size on, catalogs are read record by record (see records.py)


def clean_text(text: str) -> str:
    """Text from git (author, message) without what must not reach a page or a feed: control
    characters (invalid in XML), bidirectional overrides (Trojan Source) and stray surrogates."""

    return "".join(
        ch
        for ch in text
        if ch not in BIDI_CONTROLS
        and (ch >= " " or ch == "\t")
        and not ("\x7f" <= ch <= "\x9f")
        and not ("\ud800" <= ch <= "\udfff")
        and ch not in "\ufffe\uffff"
    )


def read_catalog(
    data: bytes, slugs: Iterable[str], shown: str = CATALOG_FILE
) -> tuple[model.Catalog | None, list[Problem]]:
    """Read and check catalog bytes through the build's own decoder, YAML reader and validator."""

    if len(data) > MAX_CATALOG_BYTES:
        return None, [
            Problem(SourceLocation(shown), f"file is {len(data):,} bytes; the limit is {MAX_CATALOG_BYTES:,}")
        ]
    collecting = gc.isenabled()
    gc.disable()  # a large catalog is millions of objects, none cyclic: collections only cost time
    try:
        source = decode_text(shown, data)
        node = parse_yaml(source)
        node, notes = upgrade(source, node)  # older formats read as the build reads them
        checked, problems = read_record(source, node, model.Catalog, "the catalog")
        problems += notes
        if checked is not None:
            problems += check_catalog(source, checked, sorted(slugs), None)
    except SourceError as exc:
        return None, list(exc.problems)
    finally:
        if collecting:
            gc.enable()
    errors = [p for p in problems if p.severity is Severity.ERROR]
    return (None if errors or checked is None else checked.value), errors


class BlobStore:
    """Blob contents through one long-running `git cat-file --batch` (not a process per blob)."""

    def __init__(self, repo: Repo | None) -> None:
        self.repo = repo
        self._proc: subprocess.Popen[bytes] | None = None

    def get(self, blob: str) -> bytes:
        if self.repo is None:
            raise KeyError(blob)
        if self._proc is None:
            self._proc = subprocess.Popen(
                ["git", "-C", str(self.repo.root), "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env={**os.environ, **_ENV_EXTRA},
            )
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(blob.encode("ascii") + b"\n")
        self._proc.stdin.flush()
        header = self._proc.stdout.readline().split()
        if len(header) != 3 or header[1] != b"blob":
            raise KeyError(blob)
        data = self._proc.stdout.read(int(header[2]))
        self._proc.stdout.read(1)
        return data

    def close(self) -> None:
        if self._proc is not None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            self._proc.wait()
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            self._proc = None


_CatalogKey = tuple[str, tuple[str, ...]]  # (blob id, page slugs the references were checked against)


@dataclass
class Reader:
    """Reads catalogs and pages by blob id, each distinct one once.

    What a rebuild needs is cached on disk (under .servicebook-cache/history/, keyed by blob ids and
    servicebook's version): whether a catalog blob validates, each page's outline, and the semantic
    diff between two catalog blobs. So a rebuild parses no catalog at all; a new commit costs the
    parse of its own catalog and of the one before it. Parsed catalogs are kept in memory only for
    the last few blobs, as a large catalog is tens of megabytes once parsed.
    """

    store: BlobStore
    disk: DiskCache
    known: dict[str, bytes] = field(default_factory=dict)  # blobs not in git (the working tree)
    models: dict[_CatalogKey, model.Catalog | None] = field(default_factory=dict)
    errors: dict[_CatalogKey, int] = field(default_factory=dict)
    pages: dict[str, PageInfo] = field(default_factory=dict)
    records: RecordCache = field(default_factory=RecordCache)
    parsed: int = 0  # how many catalogs were parsed in this build (the benchmark reports it)

    def _data(self, blob: str) -> bytes:
        return self.known[blob] if blob in self.known else self.store.get(blob)

    def _disk(self, blob: str) -> DiskCache:
        return DiskCache(None, "") if blob.startswith("wt-") else self.disk

    def model(self, key: _CatalogKey) -> model.Catalog | None:
        if key in self.models:
            return self.models[key]
        data = self._data(key[0])
        catalog: model.Catalog | None
        fast = read_by_records(data, list(key[1]), self.records, CATALOG_FILE) if len(data) >= BY_RECORDS else None
        if fast is not None and fast[1] == 0:
            catalog, errors = fast
        else:
            catalog, problems = read_catalog(data, key[1])
            errors = len(problems)
        self.parsed += 1
        if len(self.models) >= 4:
            del self.models[next(iter(self.models))]
        self.models[key] = catalog
        self.errors[key] = errors
        self._disk(key[0]).put(cache_key("validity", key[0], *key[1]), {"errors": errors})
        return catalog

    def validity(self, key: _CatalogKey) -> int:
        """How many errors the catalog blob has (0: it validates)."""
        if key not in self.errors:
            stored = self._disk(key[0]).get(cache_key("validity", key[0], *key[1]))
            if isinstance(stored, dict) and isinstance(stored.get("errors"), int):
                self.errors[key] = stored["errors"]
            else:
                self.model(key)
        return self.errors[key]

    def transition(self, old: _CatalogKey | None, new: _CatalogKey) -> tuple[Change, ...]:
        """The semantic changes from catalog `old` (None: nothing published yet) to `new`."""
        old_blob, old_slugs = old if old is not None else ("", ())
        disk = self._disk(new[0] if not old_blob.startswith("wt-") else old_blob)
        key = cache_key("transition", old_blob, *old_slugs, "|", new[0], *new[1])
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
            changes = tuple(diff_catalogs(before, after))
        disk.put(key, encode(changes))
        return changes

    def page(self, path: str, blob: str, data: bytes | None = None) -> PageInfo:
        key = cache_key("page", blob, path)
        if key in self.pages:
            return self.pages[key]
        stored = self._disk(blob).get(key)
        if stored is not None:
            try:
                info: PageInfo = decode(PageInfo, stored)
                self.pages[key] = info
                return info
            except (KeyError, TypeError, ValueError):
                pass
        data = data if data is not None else self._data(blob)
        if len(data) > MAX_PAGE_BYTES:  # the build refuses it; the history only notes that it changed
            info = PageInfo(page_slug(path), path, page_slug(path), (), hashlib.sha256(data).hexdigest())
        else:
            info = page_info(path, page_slug(path), data)
        self.pages[key] = info
        self._disk(blob).put(key, encode(info))
        return info


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


def is_other_file(path: str) -> bool:
    """Whether `path` is a template or a file under content/ other than a policy page, which the
    diff reports by name (hidden files, which the build skips, and layouts/README.md are not)."""
    if any(part.startswith(".") for part in path.split("/")) or path == LAYOUTS_README:
        return False
    return path.startswith(LAYOUTS_DIR + "/") or (path.startswith(CONTENT_DIR + "/") and not is_page(path))


def worktree_other_files(root: Path) -> dict[str, str]:
    """Site-relative path → git's blob id of the templates and other files in the working tree,
    so that they compare with a revision's (symbolic links skipped: the build refuses them)."""
    paths: list[str] = []
    for top in (LAYOUTS_DIR, CONTENT_DIR):
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
    done = _run(root, ["hash-object", "--stdin-paths"], "".join(p + "\n" for p in paths).encode())
    if done is None or done.returncode != 0:
        raise UsageProblem("git hash-object failed on the templates or files under content/")
    ids = done.stdout.decode("ascii").split()
    return dict(zip(paths, ids, strict=True))


def _blob_id(data: bytes) -> str:
    return "wt-" + hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- the timeline


@dataclass(frozen=True, slots=True)
class Entry:
    """One commit that changed the catalog or the policy pages (or the working tree's changes)."""

    commit: str | None  # None: uncommitted changes in the working tree
    author: str
    date: dt.datetime | None
    message: str  # the subject line
    merge: bool
    state: EntryState  # ok; invalid (catalog did not validate); missing; truncated (shallow boundary)
    errors: int
    changes: tuple[Change, ...]
    # a merge's: who wrote the commits it brought in that touch the catalog or the pages (the
    # merge's own author is often only whoever pressed the button)
    contributors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Timeline:
    """The history a site shows. `available` is False outside git; entries are newest first."""

    available: bool
    shallow: bool = False
    entries: tuple[Entry, ...] = ()
    parsed: int = 0  # catalogs parsed in this build (not served from a cache)


@dataclass(frozen=True, slots=True)
class _Commit:
    commit: str
    parents: tuple[str, ...]
    author: str
    date: dt.datetime | None
    message: str
    raw: tuple[tuple[str, str, str, str | None], ...]  # (status, blob, path, new path for renames)


def _log(repo: Repo) -> list[_Commit]:
    """Every first-parent commit touching the catalog or the pages, oldest first, in one git call."""
    done = _run(
        repo.root,
        [
            "log",
            "--first-parent",
            "--diff-merges=first-parent",
            "-M",
            "--raw",
            "-z",
            "--no-abbrev",
            "--no-color",
            "--encoding=UTF-8",
            "--format=%x1e%H%x1f%P%x1f%an%x1f%ct%x1f%s",
            "HEAD",
            "--",
            f":(top){repo.path(CATALOG_FILE)}",  # pathspecs are relative to the folder git runs in
            f":(top){repo.path(CONTENT_DIR)}",
        ],
    )
    if done is None or done.returncode != 0:
        return []
    commits = []
    for record in done.stdout.decode("utf-8", "replace").split("\x1e")[1:]:
        header, _, rest = record.partition("\0")
        sha, parents, author, stamp, message = (header.split("\x1f") + [""] * 5)[:5]
        tokens = rest.lstrip("\n").split("\0")
        raw: list[tuple[str, str, str, str | None]] = []
        i = 0
        while i < len(tokens):
            meta = tokens[i]
            if not meta.startswith(":"):
                i += 1
                continue
            parts = meta.split()
            status, new_blob = parts[4][0], parts[3]
            if status in "RC":
                raw.append((status, new_blob, tokens[i + 1], tokens[i + 2]))
                i += 3
            else:
                raw.append((status, new_blob, tokens[i + 1], None))
                i += 2
        commits.append(
            _Commit(
                sha,
                tuple(parents.split()),
                clean_text(author),
                _utc(int(stamp)) if stamp.isdigit() and len(stamp) <= 12 else None,
                clean_text(message),
                tuple(raw),
            )
        )
    commits.reverse()
    return commits


def _merged_authors(repo: Repo, disk: DiskCache, merge: str) -> tuple[str, ...]:
    """Authors of the commits `merge` brought in (reachable from its other parents, not from its
    first) that touch the catalog or the pages, oldest first. A merge never changes, so the
    answer is kept on disk by commit id."""
    key = f"merge-authors-{merge}"
    kept = disk.get(key)
    if isinstance(kept, list) and all(isinstance(a, str) for a in kept):
        return tuple(kept)
    done = _run(
        repo.root,
        [
            "log",
            "--no-merges",
            "--reverse",
            "--format=%an",
            f"{merge}^1..{merge}",
            "--",
            f":(top){repo.path(CATALOG_FILE)}",
            f":(top){repo.path(CONTENT_DIR)}",
        ],
    )
    if done is None or done.returncode != 0:
        return ()
    authors = tuple(dict.fromkeys(clean_text(a) for a in done.stdout.decode("utf-8", "replace").splitlines() if a))
    if not repo.shallow:  # a shallow clone may hold only some of them
        disk.put(key, list(authors))
    return authors


def _apply(files: dict[str, str], raw: Iterable[tuple[str, str, str, str | None]], prefix: str) -> dict[str, str]:
    """The site's files after a commit's raw diff; returns {old path: new path} for renames."""
    renames: dict[str, str] = {}

    def rel(path: str) -> str | None:
        return path[len(prefix) :] if path.startswith(prefix) else None

    for status, blob, path, new_path in raw:
        old = rel(path)
        if status == "D":
            if old is not None:
                files.pop(old, None)
        elif status in "RC":
            new = rel(new_path or "")
            if status == "R" and old is not None:
                files.pop(old, None)
            if new is not None:
                files[new] = blob
                if status == "R" and old is not None:
                    renames[old] = new
        elif old is not None:
            files[old] = blob
    return renames


def load_timeline(
    root: Path, build: BuildInfo, *, use_disk_cache: bool = True, outlines: Iterable[PageOutline] = ()
) -> Timeline:
    """Every change to the catalog and pages on the first-parent history of HEAD, newest first,
    with the working tree's uncommitted changes on top. Never fails the build: a commit whose
    catalog does not validate is an entry saying so. `outlines` are the pages the build has just
    read, which need not be parsed again here (whether committed or in the working tree)."""
    repo = open_repo(root)
    if repo is None:
        return Timeline(available=False)
    store = BlobStore(repo)
    try:
        reader = Reader(store, DiskCache(root if use_disk_cache else None, "history"))
        for o in outlines:
            sections = tuple(Section(*s) for s in o.sections)
            info = PageInfo(page_slug(o.path), o.path, o.title, sections, o.sha256, o.meta)
            for blob in (o.blob, "wt-" + o.sha256):  # as git names it; as the working tree entry does
                reader.pages[cache_key("page", blob, o.path)] = info
        entries, state = _replay(reader, repo, _log(repo))
        entries = [
            dataclasses.replace(e, contributors=_merged_authors(repo, reader.disk, e.commit))
            if e.merge and e.commit
            else e
            for e in entries
        ]
        if build.dirty:
            entries += _worktree_entry(reader, root, state)
    finally:
        store.close()
    return Timeline(available=True, shallow=repo.shallow, entries=tuple(reversed(entries)), parsed=reader.parsed)


@dataclass
class _State:
    """Where the replay stands: the last catalog that validated and the pages as they are."""

    files: dict[str, str] = field(default_factory=dict)
    last_valid: _CatalogKey | None = None
    pages: tuple[PageInfo, ...] = ()


def _replay(reader: Reader, repo: Repo, commits: list[_Commit]) -> tuple[list[Entry], _State]:
    state = _State()
    entries = []
    for n, c in enumerate(commits):
        renames = _apply(state.files, c.raw, repo.prefix)
        truncated = n == 0 and repo.shallow and not c.parents
        entry = _step(reader, state, state.files, renames, truncated)
        entries.append(Entry(c.commit, c.author, c.date, c.message, len(c.parents) > 1, entry[0], entry[1], entry[2]))
    return entries, state


def _step(
    reader: Reader, state: _State, files: Mapping[str, str], renames: Mapping[str, str], truncated: bool
) -> tuple[EntryState, int, tuple[Change, ...]]:
    """One commit (or the working tree): its state, error count and changes; advances `state`."""
    pages = tuple(reader.page(p, b) for p, b in sorted(files.items()) if is_page(p))
    blob = files.get(CATALOG_FILE)
    key = None if blob is None else (blob, tuple(sorted(p.slug for p in pages)))
    errors = 0 if key is None else reader.validity(key)
    status: EntryState = "missing" if key is None else "ok" if errors == 0 else "invalid"
    changes: list[Change] = []
    if not truncated:
        if status == "ok" and key is not None:
            changes += reader.transition(state.last_valid, key)
        elif status == "missing" and state.last_valid is not None:
            changes.append(Change("catalog.removed", "catalog", "weakened", "catalog.yaml removed"))
        changes += diff_pages(state.pages, pages, renames)
    state.pages = pages
    if errors == 0 and key is not None:
        state.last_valid = key
    return ("truncated" if truncated else status), errors, tuple(changes)


def _worktree_entry(reader: Reader, root: Path, state: _State) -> list[Entry]:
    """Uncommitted changes to the catalog or pages, as one more entry (none if they change nothing)."""
    files = worktree_files(root)
    ids = {path: _blob_id(data) for path, data in files.items()}
    reader.known.update({ids[p]: d for p, d in files.items()})
    status, errors, changes = _step(reader, state, ids, {}, False)
    if not changes and status == "ok":  # a dirty layouts/ alone changes nothing the history shows
        return []
    return [Entry(None, "", None, "Uncommitted changes (working tree)", False, status, errors, changes)]


# --------------------------------------------------------------------------- `servicebook promised`


@dataclass(frozen=True, slots=True)
class CatalogAt:
    """The catalog in effect at a moment: the one of the last commit on the first-parent history of
    HEAD that changed catalog.yaml at or before it, and validated (a catalog that did not validate
    could not be built, so the one before it stayed published: `invalid` lists those passed over,
    newest first, as (commit, date, errors))."""

    commit: str
    author: str
    date: dt.datetime | None
    message: str
    catalog: model.Catalog
    invalid: tuple[tuple[str, dt.datetime | None, int], ...] = ()


def catalog_at(root: Path, day: dt.date) -> CatalogAt:
    """What catalog.yaml said at the end of `day` (UTC), from the history `load_timeline` reads
    (one git log, the same first-parent history as the changes page)."""
    cutoff = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)  # commits before it
    repo = open_repo(root)
    if repo is None:
        raise UsageProblem(f"{root} is not in a git repository: `promised` reads the catalog's history")
    files: dict[str, str] = {}
    changed: list[tuple[_Commit, str | None, tuple[str, ...]]] = []  # each commit touching the catalog
    catalog_path = repo.path(CATALOG_FILE)
    for c in _log(repo):
        _apply(files, c.raw, repo.prefix)
        if any(catalog_path in (path, new) for _, _, path, new in c.raw):
            slugs = tuple(sorted(page_slug(p) for p in files if is_page(p)))
            changed.append((c, files.get(CATALOG_FILE), slugs))
    if not changed:
        raise UsageProblem(f"no commit on the history of HEAD changed {catalog_path}")
    before = [entry for entry in changed if entry[0].date is not None and entry[0].date < cutoff]
    first = changed[0][0]
    boundary = repo.shallow and not first.parents  # the clone's history starts there, not the catalog's
    if boundary and (not before or before[-1][0] is first):
        raise UsageProblem(
            f"this shallow clone's history starts at commit {first.commit[:12]} of {utc_minute(first.date)}, so it "
            f"cannot tell what {CATALOG_FILE} said on {day.isoformat()}; fetch the whole history first: {UNSHALLOW}"
        )
    if not before:
        raise UsageProblem(
            f"no commit changed {CATALOG_FILE} on or before {day.isoformat()}: the first that did is "
            f"{first.commit[:12]} of {utc_minute(first.date)} ({first.message})"
        )
    invalid: list[tuple[str, dt.datetime | None, int]] = []
    for c, blob, slugs in reversed(before):
        if blob is None:
            if not invalid:  # the catalog was deleted by then: nothing was promised
                raise UsageProblem(
                    f"there was no {CATALOG_FILE} on {day.isoformat()}: commit {c.commit[:12]} of {utc_minute(c.date)} "
                    f"({c.message}) removed it"
                )
            break
        data = read_blobs(repo, [blob]).get(blob, b"")
        catalog, errors = read_catalog(data, slugs, f"{c.commit[:12]}:{CATALOG_FILE}")
        if catalog is not None:
            return CatalogAt(c.commit, c.author, c.date, c.message, catalog, tuple(invalid))
        invalid.append((c.commit, c.date, len(errors)))
    newest = invalid[0]
    raise UsageProblem(
        f"the catalog of commit {newest[0][:12]} of {utc_minute(newest[1])}, in effect on {day.isoformat()}, does not "
        "validate, nor does any before it: nothing valid was published by then"
    )


def utc_minute(moment: dt.datetime | None) -> str:
    """A commit's date as `promised` shows it: UTC, to the minute."""
    return "an unknown date" if moment is None else moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


# --------------------------------------------------------------------------- `servicebook diff`


class RevisionInvalid(UsageProblem):
    """The catalog at a revision is missing or does not validate (exit 1, like `check`)."""

    exit_code = 1

    def __init__(self, message: str, problems: Iterable[Problem] = (), revision: str | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems)
        self.revision = revision  # whose catalog; None: the working tree's (problems name REVISION:path)

    def format_message(self) -> str:
        return "\n".join([*(p.format() for p in self.problems), f"error: {self.message}"])


@dataclass(frozen=True, slots=True)
class Side:
    """One end of a diff: what the user named and the commit it is (None: the working tree).
    `merge_base_of` is set on the base of `A...B`: the commit is then the merge base of A and B."""

    name: str
    commit: str | None
    merge_base_of: tuple[str, str] | None = None

    def label(self) -> str:
        if self.commit is None:
            return self.name
        if self.merge_base_of is not None:
            return f"merge base of {self.merge_base_of[0]} and {self.merge_base_of[1]} ({self.commit[:12]})"
        return f"{self.name} ({self.commit[:12]})"

    def as_dict(self) -> dict[str, object]:
        if self.merge_base_of is not None:
            return {"revision": self.name, "commit": self.commit, "merge_base_of": list(self.merge_base_of)}
        return {"revision": self.name, "commit": self.commit}


def merge_base(repo: Repo, a: str, b: str) -> str | None:
    """The best common ancestor of commits `a` and `b` (as `git diff A...B` picks it), or None."""
    out = git(repo.root, "merge-base", a, b)
    return out.split()[0] if out and out.split() else None


def _range(base: str, head: str | None) -> tuple[str, str | None, bool]:
    """(base, head, whether base means the merge base of the two) from `BASE [HEAD]`, where BASE
    may be git's `A...B` (the merge base of A and B, compared with B: what a pull request
    changes) or `A..B` (A compared with B, as `diff A B`); an empty side is HEAD, as in git."""
    for dots, symmetric in (("...", True), ("..", False)):
        if dots in base:
            if head is not None:
                raise UsageProblem(f"give either a range '{base}' or BASE and HEAD, not both")
            left, right = base.split(dots, 1)
            return left or "HEAD", right or "HEAD", symmetric
    return base, head, False


def head_named(base: str, head: str | None) -> str:
    """What HEAD of `diff BASE [HEAD]` names, for a report of a diff that failed: HEAD, the right
    side of a range, or the working tree."""
    try:
        return _range(base, head)[1] or "working tree"
    except UsageProblem:
        return head or "working tree"


def diff_revisions(root: Path, base: str, head: str | None) -> tuple[tuple[Change, ...], Side, Side]:
    """The semantic changes from revision `base` to `head` (None: the working tree) of the site in `root`."""
    repo = open_repo(root)
    if repo is None:
        raise UsageProblem(f"{root} is not in a git repository; `diff` compares git revisions")
    base, head, symmetric = _range(base, head)
    base_commit = resolve(repo, base)
    head_commit = resolve(repo, head) if head is not None else None
    if head_commit is not None and not related(repo, base_commit, head_commit):
        hint = " (or this shallow clone lacks the commits that join them: `git fetch --unshallow`)"
        raise UsageProblem(
            f"'{base}' and '{head}' have unrelated histories: they share no commit{hint if repo.shallow else ''}"
        )
    if symmetric and head is not None and head_commit is not None:
        found = merge_base(repo, base_commit, head_commit)
        assert found is not None  # related() said they share a commit
        base_side = Side(base, found, (base, head))
        base_commit = found
    else:
        base_side = Side(base, base_commit)
    reader = Reader(BlobStore(None), DiskCache(None, "diff"))
    # Problems at a merge base are named by its commit, which `git show` can open.
    base_name = base_commit[:12] if base_side.merge_base_of else base
    old = _revision_snapshot(reader, repo, base_name, base_commit, absent_ok=True)
    # A catalog deleted at HEAD is a change (the pull request that removes it), as one added is;
    # with none on either side there is nothing to compare (a wrong --source, most likely).
    neither = base_name if old.absent else None
    if head is None or head_commit is None:
        files = worktree_files(root)
        if (root / CATALOG_FILE).is_symlink():  # refused by the build: neither a catalog nor a removal
            link = Problem(
                SourceLocation(CATALOG_FILE), "symbolic links are not allowed in the source", "commit the file itself"
            )
            raise RevisionInvalid("the catalog in the working tree cannot be read (1 error)", (link,), None)
        gone = not (root / CATALOG_FILE).exists()
        new = _snapshot_from_bytes(reader, files, "working tree", absent_ok=gone and not old.absent, neither=neither)
        new = dataclasses.replace(new, files=worktree_other_files(root))
        span = [base_commit]
    else:
        new = _revision_snapshot(reader, repo, head, head_commit, absent_ok=not old.absent, neither=neither)
        span = [base_commit, head_commit]
    renames = _renames(repo, span)
    changes = diff_snapshots(old, new, renames)
    return changes, base_side, Side(head or "working tree", head_commit)


def _revision_snapshot(
    reader: Reader, repo: Repo, name: str, commit: str, *, absent_ok: bool = False, neither: str | None = None
) -> Snapshot:
    tree = tree_at(repo, commit, layouts=True)
    read = {p: b for p, b in tree.items() if p == CATALOG_FILE or is_page(p)}
    data = read_blobs(repo, read.values())
    found = {p: data[b] for p, b in read.items() if b in data}
    snapshot = _snapshot_from_bytes(reader, found, name, absent_ok=absent_ok, neither=neither)
    return dataclasses.replace(snapshot, files={p: b for p, b in tree.items() if is_other_file(p)})


def _snapshot_from_bytes(
    reader: Reader, files: Mapping[str, bytes], name: str, *, absent_ok: bool = False, neither: str | None = None
) -> Snapshot:
    """The snapshot of `files`. With `absent_ok` a missing catalog is a state rather than an
    error: at the base, the state before the catalog was added; at the head (whose base has one),
    the state after it was removed. `neither`: the base, when it has no catalog either."""
    pages = tuple(reader.page(p, _blob_id(d), d) for p, d in sorted(files.items()) if is_page(p))
    where = "in the working tree" if name == "working tree" else f"at {name}"
    revision = None if name == "working tree" else name
    if CATALOG_FILE not in files:
        if absent_ok:
            return Snapshot(None, pages, absent=True)
        also = f", nor at {neither}: there is no catalog to compare" if neither is not None else ""
        raise RevisionInvalid(f"there is no {CATALOG_FILE} {where}{also}", (), revision)
    shown = CATALOG_FILE if name == "working tree" else f"{name}:{CATALOG_FILE}"
    catalog, errors = read_catalog(files[CATALOG_FILE], [p.slug for p in pages], shown)
    if catalog is None:
        count = f"{len(errors)} error{'s' if len(errors) != 1 else ''}"
        raise RevisionInvalid(
            f"the catalog {where} does not validate ({count}); fix it or pick another revision", errors, revision
        )
    return Snapshot(catalog, pages)


def _renames(repo: Repo, span: list[str]) -> dict[str, str]:
    """Site-relative page renames between the revisions (or a revision and the working tree)."""
    out = git(
        repo.root, "diff", "-M", "--name-status", "-z", "--no-color", *span, "--", f":(top){repo.path(CONTENT_DIR)}"
    )
    tokens = (out or "").split("\0")
    renames: dict[str, str] = {}
    i = 0
    while i < len(tokens):
        status = tokens[i]
        if status.startswith("R") and i + 2 < len(tokens):
            old, new = tokens[i + 1], tokens[i + 2]
            if old.startswith(repo.prefix) and new.startswith(repo.prefix):
                renames[old[len(repo.prefix) :]] = new[len(repo.prefix) :]
            i += 3
        else:
            i += 2 if status else 1
    return renames
