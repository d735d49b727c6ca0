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
import os
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from . import __version__, model
from .cache import DiskCache, cache_key, decode, encode
from .diff import Change, PageInfo, Snapshot, diff_catalogs, diff_pages, diff_snapshots, page_info
from .errors import Problem, Severity, UsageProblem
from .model import BuildInfo

SOURCE_PATHS = ("catalog.yaml", "content", "layouts")
CATALOG_FILE = "catalog.yaml"
CONTENT_DIR = "content"
EntryState = Literal["ok", "invalid", "missing", "truncated"]
_ENV_EXTRA = {"LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}


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


def shallow_warning(root: Path) -> Problem | None:
    """A warning when `root` is in a shallow clone: the site's history would be truncated."""
    repo = open_repo(root)
    if repo is None or not repo.shallow:
        return None
    from .errors import SourceLocation

    return Problem(
        SourceLocation(CATALOG_FILE),
        "this is a shallow clone, so the site's change history will be truncated",
        "run `git fetch --unshallow` (or check out with fetch-depth: 0) before building",
        Severity.WARNING,
    )


def resolve(repo: Repo, revision: str) -> str:
    """The full commit id `revision` names; a clear UsageProblem (exit 2) when it names none."""
    if not revision or revision.startswith("-") or "\0" in revision:
        raise UsageProblem(f"'{revision}' is not a revision name")
    out = git(repo.root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}")
    if out is None or not out.strip():
        hint = " (this is a shallow clone: run `git fetch --unshallow`)" if repo.shallow else ""
        raise UsageProblem(f"unknown revision '{revision}': no commit, branch or tag has that name{hint}")
    return out.strip()


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


def tree_at(repo: Repo, commit: str) -> dict[str, str]:
    """Site-relative path → blob id of catalog.yaml and content/**.md at `commit`."""
    out = git(
        repo.root, "ls-tree", "-r", "-z", "--full-tree", commit, "--", repo.path(CATALOG_FILE), repo.path(CONTENT_DIR)
    )
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


def read_catalog(
    data: bytes, slugs: Iterable[str], shown: str = CATALOG_FILE
) -> tuple[model.Catalog | None, list[Problem]]:
    """Read and check catalog bytes through the build's own decoder, YAML reader and validator."""
    from .sources import SourceError, decode, parse_yaml
    from .validate import check_catalog, read_record

    try:
        source = decode(shown, data)
        node = parse_yaml(source)
    except SourceError as exc:
        return None, list(exc.problems)
    checked, problems = read_record(source, node, model.Catalog, "the catalog")
    if checked is not None:
        problems += check_catalog(source, checked, sorted(slugs), None)
    errors = [p for p in problems if p.severity is Severity.ERROR]
    return (None if errors or checked is None else checked.value), errors


@dataclass
class Reader:
    """Parses catalogs and pages by blob id, once each: in memory for this build, on disk across builds."""

    repo: Repo | None
    disk: DiskCache
    catalogs: dict[str, tuple[model.Catalog | None, int]] = field(default_factory=dict)
    pages: dict[str, PageInfo] = field(default_factory=dict)
    parsed: int = 0  # how many catalogs were actually parsed (the benchmark reports it)

    def catalog(self, blob: str, data: bytes | None, slugs: Iterable[str]) -> tuple[model.Catalog | None, int]:
        slug_list = sorted(slugs)
        key = cache_key("catalog", blob, *slug_list)
        if key in self.catalogs:
            return self.catalogs[key]
        stored = self.disk.get(key)
        if stored is not None:
            value: tuple[model.Catalog | None, int] | None
            try:
                value = (
                    None if stored["catalog"] is None else decode(model.Catalog, stored["catalog"]),
                    int(stored["errors"]),
                )
            except (KeyError, TypeError, ValueError):
                value = None
            if value is not None:
                self.catalogs[key] = value
                return value
        if data is None:
            assert self.repo is not None
            data = read_blobs(self.repo, [blob])[blob]
        catalog, errors = read_catalog(data, slug_list)
        self.parsed += 1
        result = (catalog, len(errors))
        self.catalogs[key] = result
        self.disk.put(key, {"catalog": None if catalog is None else encode(catalog), "errors": len(errors)})
        return result

    def page(self, path: str, blob: str, data: bytes | None) -> PageInfo:
        key = cache_key("page", blob, path)
        if key in self.pages:
            return self.pages[key]
        stored = self.disk.get(key)
        if stored is not None:
            try:
                info: PageInfo = decode(PageInfo, stored)
                self.pages[key] = info
                return info
            except (KeyError, TypeError, ValueError):
                pass
        if data is None:
            assert self.repo is not None
            data = read_blobs(self.repo, [blob])[blob]
        info = page_info(path, page_slug(path), data)
        self.pages[key] = info
        self.disk.put(key, encode(info))
        return info

    def prefetch(self, trees: Iterable[Mapping[str, str]]) -> dict[str, bytes]:
        """Read, in a few git calls, every blob of `trees` (path → blob id) that the disk cache lacks."""
        assert self.repo is not None
        wanted: set[str] = set()
        seen: set[str] = set()
        for tree in trees:
            slugs = sorted(page_slug(p) for p in tree if is_page(p))
            for path, blob in tree.items():
                key = cache_key("page", blob, path) if is_page(path) else cache_key("catalog", blob, *slugs)
                if path != CATALOG_FILE and not is_page(path):
                    continue
                if key not in seen:
                    seen.add(key)
                    if self.disk.get(key) is None:
                        wanted.add(blob)
        return read_blobs(self.repo, wanted) if wanted else {}


def snapshot_files(
    reader: Reader, files: Mapping[str, str], data: Mapping[str, bytes]
) -> tuple[Snapshot, EntryState, int]:
    """The snapshot for site-relative `files` (path → blob id): (snapshot, state, error count)."""
    pages = tuple(reader.page(p, b, data.get(b)) for p, b in sorted(files.items()) if is_page(p))
    blob = files.get(CATALOG_FILE)
    if blob is None:
        return Snapshot(None, pages), "missing", 0
    catalog, errors = reader.catalog(blob, data.get(blob), [p.slug for p in pages])
    return Snapshot(catalog, pages), ("ok" if catalog is not None else "invalid"), errors


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


def _blob_id(data: bytes) -> str:
    import hashlib

    return "wt-" + hashlib.sha256(data).hexdigest()


def worktree_snapshot(reader: Reader, root: Path) -> tuple[Snapshot, EntryState, int]:
    files = worktree_files(root)
    ids = {path: _blob_id(data) for path, data in files.items()}
    return snapshot_files(reader, ids, {ids[p]: d for p, d in files.items()})


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
    date: dt.datetime
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
            repo.path(CATALOG_FILE),
            repo.path(CONTENT_DIR),
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
                author,
                dt.datetime.fromtimestamp(int(stamp or 0), tz=dt.UTC),
                message,
                tuple(raw),
            )
        )
    commits.reverse()
    return commits


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


def load_timeline(root: Path, build: BuildInfo, *, use_disk_cache: bool = True) -> Timeline:
    """Every change to the catalog and pages on the first-parent history of HEAD, newest first,
    with the working tree's uncommitted changes on top. Never fails the build: a commit whose
    catalog does not validate is an entry saying so."""
    repo = open_repo(root)
    if repo is None:
        return Timeline(available=False)
    reader = Reader(repo, DiskCache(root if use_disk_cache else None, "history"))
    commits = _log(repo)
    # Replay the history once to know which blobs each commit needs, then fetch the uncached ones.
    files: dict[str, str] = {}
    states: list[tuple[dict[str, str], dict[str, str]]] = []
    for c in commits:
        renames = _apply(files, c.raw, repo.prefix)
        states.append((dict(files), renames))
    data = reader.prefetch(s[0] for s in states)
    entries: list[Entry] = []
    last_valid: Snapshot | None = None
    last_pages: tuple[PageInfo, ...] = ()
    for n, (c, (tree, renames)) in enumerate(zip(commits, states, strict=True)):
        snap, state, errors = snapshot_files(reader, tree, data)
        truncated = n == 0 and repo.shallow and not c.parents
        changes: tuple[Change, ...] = ()
        if truncated:
            state = "truncated"
        else:
            changes = _changes(last_valid, last_pages, snap, state, renames)
        entries.append(Entry(c.commit, c.author, c.date, c.message, len(c.parents) > 1, state, errors, changes))
        last_pages = snap.pages
        if snap.catalog is not None:
            last_valid = snap
    if build.dirty:
        snap, state, errors = worktree_snapshot(reader, root)
        changes = _changes(last_valid, last_pages, snap, state, {})
        if changes or state != "ok":  # a dirty layouts/ alone changes nothing the history shows
            entries.append(Entry(None, "", None, "Uncommitted changes", False, state, errors, changes))
    return Timeline(available=True, shallow=repo.shallow, entries=tuple(reversed(entries)), parsed=reader.parsed)


def _changes(
    last_valid: Snapshot | None,
    last_pages: tuple[PageInfo, ...],
    snap: Snapshot,
    state: str,
    renames: Mapping[str, str],
) -> tuple[Change, ...]:
    """What changed since the last valid catalog (catalog part) and the previous pages (page part)."""
    out: list[Change] = []
    if state == "ok" and last_valid is None and snap.catalog is not None:
        # Everything the first catalog promises is "added" then, so each entity's history starts there.
        out.append(Change("catalog.added", "catalog", "neutral", "Catalog published"))
        empty = dataclasses.replace(snap.catalog, categories=(), offerings=(), tools=())
        out += diff_catalogs(empty, snap.catalog)
    elif state == "ok" and last_valid is not None and last_valid.catalog is not None and snap.catalog is not None:
        out += diff_catalogs(last_valid.catalog, snap.catalog)
    elif state == "missing" and last_valid is not None:
        out.append(Change("catalog.removed", "catalog", "weakened", "catalog.yaml removed"))
    out += diff_pages(last_pages, snap.pages, renames)
    return tuple(out)


# --------------------------------------------------------------------------- `servicebook diff`


class RevisionInvalid(UsageProblem):
    """The catalog at a revision is missing or does not validate (exit 1, like `check`)."""

    exit_code = 1

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)

    def format_message(self) -> str:
        return "\n".join([*(p.format() for p in self.problems), f"error: {self.message}"])


@dataclass(frozen=True, slots=True)
class Side:
    """One end of a diff: what the user named and the commit it is (None: the working tree)."""

    name: str
    commit: str | None

    def label(self) -> str:
        return self.name if self.commit is None else f"{self.name} ({self.commit[:12]})"

    def as_dict(self) -> dict[str, object]:
        return {"revision": self.name, "commit": self.commit}


def diff_revisions(root: Path, base: str, head: str | None) -> tuple[tuple[Change, ...], Side, Side]:
    """The semantic changes from revision `base` to `head` (None: the working tree) of the site in `root`."""
    repo = open_repo(root)
    if repo is None:
        raise UsageProblem(f"{root} is not in a git repository; `diff` compares git revisions")
    base_commit = resolve(repo, base)
    head_commit = resolve(repo, head) if head is not None else None
    if head_commit is not None and not related(repo, base_commit, head_commit):
        raise UsageProblem(f"'{base}' and '{head}' have unrelated histories: they share no commit")
    reader = Reader(repo, DiskCache(None, "diff"))
    old = _revision_snapshot(reader, repo, base, base_commit)
    if head is None or head_commit is None:
        files = worktree_files(root)
        new = _snapshot_from_bytes(reader, files, "working tree")
        span = [base_commit]
    else:
        new = _revision_snapshot(reader, repo, head, head_commit)
        span = [base_commit, head_commit]
    renames = _renames(repo, span)
    changes = diff_snapshots(old, new, renames)
    return changes, Side(base, base_commit), Side(head or "working tree", head_commit)


def _revision_snapshot(reader: Reader, repo: Repo, name: str, commit: str) -> Snapshot:
    tree = tree_at(repo, commit)
    data = read_blobs(repo, tree.values())
    return _snapshot_from_bytes(reader, {p: data[b] for p, b in tree.items() if b in data}, name)


def _snapshot_from_bytes(reader: Reader, files: Mapping[str, bytes], name: str) -> Snapshot:
    pages = tuple(reader.page(p, _blob_id(d), d) for p, d in sorted(files.items()) if is_page(p))
    where = "in the working tree" if name == "working tree" else f"at {name}"
    if CATALOG_FILE not in files:
        raise RevisionInvalid(f"there is no {CATALOG_FILE} {where}")
    shown = CATALOG_FILE if name == "working tree" else f"{name}:{CATALOG_FILE}"
    catalog, errors = read_catalog(files[CATALOG_FILE], [p.slug for p in pages], shown)
    if catalog is None:
        count = f"{len(errors)} error{'s' if len(errors) != 1 else ''}"
        raise RevisionInvalid(
            f"the catalog {where} does not validate ({count}); fix it or pick another revision", errors
        )
    return Snapshot(catalog, pages)


def _renames(repo: Repo, span: list[str]) -> dict[str, str]:
    """Site-relative page renames between the revisions (or a revision and the working tree)."""
    out = git(repo.root, "diff", "-M", "--name-status", "-z", "--no-color", *span, "--", repo.path(CONTENT_DIR))
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
