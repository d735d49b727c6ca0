"""What git knows of the catalog's releases: the commits that changed the sources with the version
each one's catalog names, the tags that may publish them, and a commit's sources exported to a
folder for the release build (`export`; `Sources` moves one folder from release to release)."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO

from servicebook.catalog.basics import MAX_CATALOG_BYTES
from servicebook.catalog.read import written_version
from servicebook.catalog.validate import folder_name
from servicebook.errors import UsageProblem
from servicebook.git.blobs import read_blobs
from servicebook.git.repo import CATALOG_FILE, SOURCE_PATHS, Repo
from servicebook.git.runner import ARCHIVE_ATTRIBUTES, BARE, MISSING, Done, git, run, stream
from servicebook.git.versions import Candidate, Choice, Note, Tag, select_releases

DEFAULT_PATTERN = "v*"


@dataclass(frozen=True, slots=True)
class Discovery:
    choices: tuple[Choice, ...]  # what may publish each version, best first (versions.select_releases)
    notes: tuple[Note, ...]
    shallow: bool
    positions: Mapping[str, int] = field(default_factory=dict)  # commit → place on the history, oldest 0


def discover(repo: Repo | None, pattern: str = DEFAULT_PATTERN, until: dt.datetime | None = None) -> Discovery | None:
    """The releases reachable from HEAD, or None outside git (`repo` None) or before the first
    commit; with `until`, as a build would have found them from the history before that moment."""
    if repo is None or repo.head is None:
        return None
    root, prefix = repo.root, repo.prefix
    log = git(root, "log", "--first-parent", "--reverse", "--format=%H %ct", "--", *SOURCE_PATHS) or ""
    commits = [(h, int(t)) for h, t in (line.split() for line in log.splitlines() if line.strip())]
    # a catalog larger than any build reads is left unread: its commit carries no version
    catalogs = read_blobs(root, (f"{h}:{prefix}{CATALOG_FILE}" for h, _ in commits), largest=MAX_CATALOG_BYTES)
    candidates = [
        _candidate(h, dt.datetime.fromtimestamp(t, tz=dt.UTC), _version_of(catalogs.get(f"{h}:{prefix}{CATALOG_FILE}")))
        for h, t in commits
    ]
    if until is not None:
        candidates = [c for c in candidates if c.date < until]
    choices, notes = select_releases(
        candidates, _onto_source_commits(root, candidates, release_tags(root), until), pattern
    )
    return Discovery(tuple(choices), tuple(notes), repo.shallow, {c.commit: i for i, c in enumerate(candidates)})


def release_tags(root: Path) -> list[Tag]:
    """Every tag with the object it names once peeled (an annotated tag to what it tags, a tag of
    a tag to the end of the chain): a commit, or a tree or a blob, which no release can be. The
    name is the whole name under refs/tags/ (`refname:short` says `tags/v1` when a branch is also
    called v1, which no release pattern matches)."""
    refs = (
        git(
            root,
            "for-each-ref",
            "--format=%(refname:lstrip=2) %(objecttype) %(objectname) %(*objecttype) %(*objectname) %(taggerdate:unix)",
            "refs/tags",
        )
        or ""
    )
    named: list[tuple[str, str, str]] = []
    dates: dict[str, dt.datetime] = {}
    for line in refs.splitlines():
        parts = line.split()
        if len(parts) == 3:  # a tag naming a commit, a tree or a blob itself
            named.append((parts[0], parts[1], parts[2]))
        elif len(parts) in (5, 6):  # an annotated tag: what it tags (and when it was made, when it says)
            named.append((parts[0], parts[3], parts[4]))
            if len(parts) == 6 and parts[5].isdigit() and len(parts[5]) <= 12:
                dates[parts[0]] = dt.datetime.fromtimestamp(int(parts[5]), tz=dt.UTC)
    nested = sorted({ident for _, kind, ident in named if kind == "tag"})
    peeled: dict[str, tuple[str, str]] = {}
    if nested:  # a tag of a tag: cat-file peels the chain to its end
        said = run(
            root,
            ["cat-file", "--batch-check=%(objectname) %(objecttype)"],
            "".join(f"{i}^{{}}\n" for i in nested).encode(),
        )
        answers = said.stdout.decode("ascii", "replace").splitlines() if said is not None and said.ok else []
        for ident, answer in zip(nested, answers, strict=False):
            found = answer.split()
            if len(found) == 2:
                peeled[ident] = (found[1], found[0])
    tags = []
    for name, kind, ident in named:
        end_kind, end = peeled.get(ident, (kind, ident)) if kind == "tag" else (kind, ident)
        tags.append(Tag(name, end, end_kind, tagged=dates.get(name)))
    return tags


def _onto_source_commits(
    root: Path, candidates: list[Candidate], tags: list[Tag], until: dt.datetime | None
) -> list[Tag]:
    """Tags moved from a first-parent commit that changed no source (a README or CHANGELOG edit,
    the usual place for a release tag) to the last commit before it that did: its sources are
    that commit's, so it releases that catalog. Tags off the first-parent history stay as they
    are (select_releases says they are skipped), and so do tags on commits from `until` on."""
    known = {c.commit for c in candidates}
    wanted = {t.commit for t in tags if t.commit not in known}
    if not wanted:
        return tags
    moved: dict[str, str] = {}
    last: str | None = None
    log = git(root, "log", "--first-parent", "--reverse", "--format=%H %ct", "HEAD") or ""
    for commit, seconds in (line.split() for line in log.splitlines() if line.strip()):
        if until is not None and int(seconds) >= until.timestamp():
            break
        if commit in known:
            last = commit
        elif commit in wanted and last is not None:
            moved[commit] = last
    return [Tag(t.name, moved[t.commit], t.kind, t.commit, t.tagged) if t.commit in moved else t for t in tags]


def _candidate(commit: str, date: dt.datetime, version: str | None) -> Candidate:
    """A commit with the version its catalog names as written: one that cannot name a release's
    folder is kept apart (`unnamed`), for the build to say that commit is not released."""
    if version is None or folder_name(version):
        return Candidate(commit, date, version)
    return Candidate(commit, date, None, unnamed=version)


@cache
def _version_from_bytes(digest: str, blob: bytes) -> str | None:  # noqa: ARG001 - digest keys the cache
    return written_version(blob)


def _version_of(blob: bytes | None) -> str | None:
    if blob is None:
        return None
    return _version_from_bytes(hashlib.sha256(blob).hexdigest(), blob)


class CannotExport(Exception):
    """A commit's sources cannot be exported, so its release cannot be built (the other releases
    can): what it says is why."""


class LinkOutside(CannotExport):
    """A commit's sources hold a symbolic link that leads out of the site's folder (absolute, or up
    past its top): tar's data filter refuses to write it, and its release cannot be built."""


def export(repo: Repo, commit: str, dest: Path) -> None:
    """Write the site sources at `commit` into `dest` (git archive, extracted with tar's data filter).
    Raises LinkOutside for a link the filter refuses (a link inside the site is written, and the
    loader refuses it as it refuses the working tree's), CannotExport where git cannot archive the
    commit's tree (a path no checkout can hold, `content/..`, written with `git mktree`)."""
    # The site may live in a sub-folder of the repository: archive that folder's tree, whose
    # paths are then relative to the site root.
    tree = f"{commit}:{repo.prefix.rstrip('/')}"
    listed = git(repo.root, "ls-tree", "--full-tree", "--name-only", tree) or ""
    paths = [p for p in listed.splitlines() if p in SOURCE_PATHS]
    dest.mkdir(parents=True, exist_ok=True)
    if not paths:
        return
    _refuse_large(repo, tree, paths)
    # start-up cost, measured: xml.etree, tarfile, zoneinfo, difflib 7 ms a build together
    from servicebook.git import untar  # a release's sources alone: a build without releases does not import it

    args = ["archive", "--format=tar", tree, "--", *paths]
    try:  # unpacked as git writes it, never held whole: the archive is as large as the sources
        done = _archive(repo, args, lambda out: untar.unpack_stream(out, dest))
    except untar.FilterError as exc:  # git archive holds files, folders and links only
        member = exc.tarinfo
        raise LinkOutside(
            f"{member.name} is a symbolic link to {member.linkname!r}, outside the site's folder"
        ) from None
    if done is None:
        raise UsageProblem(f"cannot read the sources of commit {commit[:12]}: {MISSING}")
    if not done.ok:
        said = "; ".join(line.removeprefix("error: ").removeprefix("fatal: ") for line in done.error().splitlines())
        raise CannotExport(f"git cannot archive its sources ({said or f'exit status {done.returncode}'})")


# The most a release's sources may hold, read (as a tar, in memory) before any is checked: a file
# larger than a catalog may be cannot be a source, and git keeps a file of gigabytes of one
# character in a few megabytes, so a commit can hold more than the machine's memory.
LARGEST_SOURCE_FILE = MAX_CATALOG_BYTES
LARGEST_SOURCES = 1024**3


def _refuse_large(repo: Repo, tree: str, paths: list[str]) -> None:
    """CannotExport when a file of the sources at `tree` (its `paths`) is larger than a source may
    be, or all of them than a release's sources may (git ls-tree's sizes: nothing is read), or when
    one of them is a submodule (git archive leaves it an empty folder)."""
    listed = run(repo.root, ["ls-tree", "-r", "-l", "-z", "--full-tree", tree, "--", *paths])
    if listed is None or not listed.ok:
        return  # the archive says what is wrong
    total = 0
    for entry in listed.stdout.split(b"\0"):
        meta, _, name = entry.partition(b"\t")
        fields = meta.split()
        if len(fields) == 4 and fields[1] == b"commit":  # a gitlink: git archive writes an empty folder
            raise CannotExport(_submodule(name.decode("utf-8", "replace"), fields[2].decode()))
        size = fields[-1] if fields else b"-"
        if not size.isdigit():  # a folder
            continue
        total += int(size)
        if int(size) > LARGEST_SOURCE_FILE:
            shown = name.decode("utf-8", "replace")
            raise CannotExport(
                f"{shown} is {int(size):,} bytes, more than any source may be ({LARGEST_SOURCE_FILE:,}), "
                "so it is not read"
            )
    if total > LARGEST_SOURCES:
        raise CannotExport(
            f"its sources are {total:,} bytes together, more than a release's may be ({LARGEST_SOURCES:,})"
        )


def _submodule(path: str, commit: str) -> str:
    """Why a release whose sources hold a submodule at `path` (at `commit`) is not built."""
    return (
        f"{path} is a git submodule (commit {commit[:12]}), whose files are not in this repository's "
        f"commits, so not in a release: keep them in this repository (`git rm --cached {path}`, delete "
        f"{path}/.git, `git add {path}`)"
    )


def _archive(repo: Repo, args: list[str], read: Callable[[IO[bytes]], object]) -> Done | None:
    """`git archive` of a commit as a checkout of the commit has it, its output handed to `read`
    (runner.stream): with the commit's own .gitattributes, not the clone's `info/attributes` (an
    `export-ignore` there dropped pages from a release, and two clones of one commit published two
    releases; the user's and the system's are off: runner.CONFIG), and without the two attributes
    only `git archive` follows, `export-ignore` and `export-subst` (a `.gitattributes` of the
    commit saying `catalog.yaml export-ignore` or `content/ export-ignore` left its release without
    its catalog or its pages, which the commit holds and the site built from its checkout shows:
    a release is what its commit holds). So git archives from an empty repository of its own that
    borrows this one's objects (objects/info/alternates), whose `info/attributes`, which git takes
    before any `.gitattributes`, unsets those two for every path."""
    where = git(repo.root, "rev-parse", "--path-format=absolute", "--git-path", "objects", "--show-object-format")
    objects, _, object_format = (where or "").strip().partition("\n")
    if not objects:
        return stream(repo.top, args, read)  # (git will say what is wrong)
    with tempfile.TemporaryDirectory(prefix="servicebook-archive-") as bare:
        empty = Path(bare)
        for folder in ("refs", "objects/info", "info"):
            (empty / folder).mkdir(parents=True)
        (empty / "HEAD").write_text("ref: refs/heads/none\n")
        if object_format.strip() not in ("", "sha1"):  # (a repository of SHA-256 objects)
            config = f"[core]\n\trepositoryformatversion = 1\n[extensions]\n\tobjectformat = {object_format.strip()}\n"
            (empty / "config").write_text(config)
        (empty / "objects" / "info" / "alternates").write_text(objects.strip() + "\n")
        (empty / "info" / "attributes").write_text(ARCHIVE_ATTRIBUTES)
        return stream(empty, [*BARE, *args], read)


_FILE_MODES = {"100644": 0o644, "100755": 0o755}  # as `export` leaves them (tar's data filter)
# At the top of a kept folder of sources, beside them (no source's name): each file's identity
# and git object id as the build that left the folder found them (Sources.remember, `_sync`).
IDENTITIES = ".servicebook-identities"
LARGEST_RECORD = 64 * 1024**2  # bytes of IDENTITIES read at most (~150 a file: 400,000 files)


class Sources:
    """One folder holding the sources of one commit at a time, as `export` writes them: moved
    to the next commit by what changed between the two (`git diff-tree`, the changed files read
    with one `git cat-file`), not exported whole again. Consecutive releases differ in a file or
    two, and an export is a `git archive` of every source and its extraction. Anything a move
    cannot write as `export` would (a symbolic link, a submodule, a path of another shape, git
    failing) and the first commit are exported whole, and so is every commit of a repository
    where git attributes could apply (line ends, `ident`, a filter: `git archive` writes a file as a
    checkout would).
    `kept`: the folder holds what an earlier build left in it (cache.releases `ReleaseTrees.sources`),
    trusted in nothing: the first commit is reached by comparing each of its files with the
    commit's (`_sync`: each file's git object id, of its bytes as they are now), and writing
    or removing those that differ, rather than by an export (a commit to one page: one file)."""

    __slots__ = ("blobs", "commit", "folder", "kept", "moved")

    def __init__(self, folder: Path, *, kept: bool = False) -> None:
        self.folder = folder
        self.commit: str | None = None  # what `folder` holds, when it is exactly that and may be moved
        self.moved = 0  # how many commits were reached by a move rather than an export
        self.kept = kept
        # path → git object id of each file `folder` holds, when a move or `_sync` wrote it so
        # (the commit's own ids, from `ls-tree` or `diff-tree`); None when it was exported
        self.blobs: dict[str, str] | None = None

    def at(self, repo: Repo, commit: str) -> Path:
        """The folder, holding the sources of `commit`."""
        last, self.commit = self.commit, None  # until it is so
        kept, self.kept = self.kept, False
        blobs, self.blobs = self.blobs, None
        recorded = _recorded(self.folder) if kept else None
        with contextlib.suppress(OSError):  # in use: see cache.releases `remove_staging`
            os.utime(self.folder)
        if last is not None and _move(repo, last, commit, self.folder, blobs):
            self.moved += 1
            self.commit, self.blobs = commit, blobs
            return self.folder
        if last is None and kept:
            synced = _sync(repo, commit, self.folder, recorded)
            if synced is not None:
                self.moved += 1
                self.commit, self.blobs = commit, synced
                return self.folder
        shutil.rmtree(self.folder, ignore_errors=True)
        export(repo, commit, self.folder)
        if _no_attributes(repo, commit):
            self.commit = commit
        return self.folder

    def remember(self) -> None:
        """Record in the folder (IDENTITIES) the identity of each of its files (size, modification
        and change time, inode, mode) with the git object id a move or a sync wrote it as, as
        git's index does, for the next build's `_sync`: a file found as recorded is not read and
        hashed again. Nothing is recorded after an export (no ids are known)."""
        if self.blobs is None:
            return
        record: dict[str, list[object]] = {}
        temp = f"{self.folder}/{IDENTITIES}.{os.getpid()}"
        try:
            for path, blob in self.blobs.items():
                info = os.lstat(f"{self.folder}/{path}")
                record[path] = [*_identity(info), blob]
            with open(temp, "w", encoding="utf-8") as file:
                json.dump(record, file)
            Path(temp).replace(self.folder / IDENTITIES)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temp)  # noqa: PTH108 - as written


def _identity(info: os.stat_result) -> list[int]:
    """What tells a file from an edit of it (Sources.remember): its size, modification and change
    times (a change time no one can set: a file written and its times put back is told), inode and
    permissions."""
    return [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, stat.S_IMODE(info.st_mode)]


def _recorded(folder: Path) -> tuple[dict[str, list[object]], int] | None:
    """The record a build left in the kept `folder` (Sources.remember), removed from it, with its
    own modification time: a file changed after that time's clock tick may be of the size and
    times recorded (git's "racy" files), and is read; None when there is none that can be read.
    The folder is the cache's, which a job someone else controls may have written: a record that
    is not a regular file (a FIFO, whose open waits for a writer for ever; a link), larger than
    any a build writes, or nested too deeply to parse is none (its files are all read)."""
    name = f"{folder}/{IDENTITIES}"
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > LARGEST_RECORD:
            return None
        with open(fd, encoding="utf-8", closefd=False) as file:
            record = json.loads(file.read(LARGEST_RECORD + 1))
        os.unlink(name)  # noqa: PTH108 - plain strings
    except (OSError, ValueError, RecursionError):
        return None
    finally:
        os.close(fd)
    return (record, info.st_mtime_ns) if isinstance(record, dict) else None


def _no_attributes(repo: Repo, commit: str) -> bool:
    """Whether no git attributes can apply to an export of `commit`: no `.gitattributes` anywhere
    in its tree (the clone's, the user's and the system's attributes files never apply: _archive)."""
    listed = git(repo.root, "ls-tree", "-r", "-z", "--name-only", "--full-tree", commit)
    return listed is not None and not any(p.rpartition("/")[2] == ".gitattributes" for p in listed.split("\0"))


def _move(repo: Repo, old: str, new: str, folder: Path, blobs: dict[str, str] | None = None) -> bool:
    """Turn `folder`, which holds the sources of `old` as `export` wrote them, into those of `new`;
    False (the folder then holds anything) when a change is not a plain file's. `blobs`: the git
    object id of each file of `old`'s, made `new`'s (Sources `blobs`)."""
    done = run(repo.top, ["diff-tree", "-r", "-z", "--no-renames", "--raw", old, new])
    changes = _changes(done.stdout, repo.prefix) if done is not None and done.ok else None
    if changes is None:
        return False
    gone, written = changes
    try:
        wanted = sorted({blob for blob, _ in written.values()})
        read = read_blobs(repo.root, wanted, largest=LARGEST_SOURCE_FILE) if written else {}
    except UsageProblem:  # git failed: an export says why
        return False
    if any(blob not in read for blob, _ in written.values()):
        return False
    try:
        for path in gone:  # first: a file may become a folder of the same name
            (folder / path).unlink()
            _prune(folder, path)
            if blobs is not None:
                blobs.pop(path, None)
        for path, (blob, mode) in sorted(written.items()):
            target = folder / path
            if target.is_dir() and not target.is_symlink():  # a folder that became a file: all of it is in `gone`
                return False
            target.parent.mkdir(parents=True, exist_ok=True)
            target.unlink(missing_ok=True)
            target.write_bytes(read[blob])
            os.chmod(target, mode)  # noqa: PTH101 - as `export` leaves it, whatever the umask
            if blobs is not None:
                blobs[path] = blob
    except OSError:
        return False
    return True


def _sync(
    repo: Repo, commit: str, folder: Path, recorded: tuple[dict[str, list[object]], int] | None = None
) -> dict[str, str] | None:
    """Turn `folder`, which holds anything (the sources of some commit, as an earlier build left
    them), into the sources of `commit` as `export` writes them: each file whose git object id
    (of its bytes now) or mode is not the commit's written again, each file the commit does not
    hold removed, and the folders left empty: the git object id of each file it then holds.
    None (the folder then holds anything) when the commit's sources are not all plain files of
    plain paths within the sizes `export` allows, when git attributes could apply (a
    `.gitattributes` anywhere in the commit: `export` writes files as a checkout would), or when
    the folder holds anything but plain files and folders. `recorded`: what the build that
    left the folder recorded of it (`_recorded`): a file found as recorded is taken to hold the
    blob recorded, not read."""
    wanted = _plain_sources(repo, commit)
    if wanted is None:
        return None
    found = _blobs_in(folder, len(next(iter(wanted.values()))[0]) if wanted else 40, recorded)
    if found is None:
        return None
    written = {path: blob for path, blob in wanted.items() if found.get(path) != blob}
    try:
        blobs = read_blobs(repo.root, sorted({blob for blob, _ in written.values()}), largest=LARGEST_SOURCE_FILE)
    except UsageProblem:
        return None
    if any(blob not in blobs for blob, _ in written.values()):
        return None
    try:
        for path in sorted(set(found) - set(wanted)):
            (folder / path).unlink()
            _prune(folder, path)
        for path, (blob, mode) in sorted(written.items()):
            target = folder / path
            if target.is_dir() and not target.is_symlink():  # a folder that is a file now
                return None
            target.parent.mkdir(parents=True, exist_ok=True)
            target.unlink(missing_ok=True)
            target.write_bytes(blobs[blob])
            os.chmod(target, mode)  # noqa: PTH101 - as `export` leaves it, whatever the umask
        _remove_empty(folder)
    except OSError:
        return None
    return {path: blob for path, (blob, _) in wanted.items()}


def _plain_sources(repo: Repo, commit: str) -> dict[str, tuple[str, int]] | None:
    """path → (blob, mode) of each of the site's sources at `commit`; None when one is not a plain
    file of a plain path within the sizes `export` allows (a link, a submodule: `export` writes
    or refuses it), or when the commit holds a `.gitattributes` anywhere (see `_sync`)."""
    listed = run(repo.root, ["ls-tree", "-r", "-l", "-z", "--full-tree", commit])
    if listed is None or not listed.ok:
        return None
    wanted: dict[str, tuple[str, int]] = {}
    total = 0
    for entry in listed.stdout.split(b"\0"):
        meta, _, name = entry.partition(b"\t")
        whole = name.decode("utf-8", "surrogateescape")
        if whole.rpartition("/")[2] == ".gitattributes":
            return None
        path = whole.removeprefix(repo.prefix)
        if not entry or (path == whole and repo.prefix) or path.split("/", 1)[0] not in SOURCE_PATHS:
            continue  # not a source of the site
        fields = meta.decode("ascii", "replace").split()
        if len(fields) != 4 or fields[1] != "blob" or fields[0] not in _FILE_MODES or not fields[3].isdigit():
            return None
        if not _plain_path(path) or int(fields[3]) > LARGEST_SOURCE_FILE:
            return None
        total += int(fields[3])
        wanted[path] = (fields[2], _FILE_MODES[fields[0]])
    return wanted if total <= LARGEST_SOURCES else None


def _blobs_in(
    folder: Path, id_length: int, recorded: tuple[dict[str, list[object]], int] | None = None
) -> dict[str, tuple[str, int]] | None:
    """path → (git object id, mode) of each file under `folder` (SHA-1 ids, or SHA-256 for ids of
    64 digits); None when it holds anything but plain files and folders, or cannot be read.
    `recorded` (see `_sync`): the id of a file whose identity is the one recorded, and that was
    last changed before the record was written (`_recorded`), is the one recorded."""
    algorithm = "sha256" if id_length == 64 else "sha1"
    record, since = recorded if recorded is not None else ({}, 0)
    found: dict[str, tuple[str, int]] = {}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for top, folders, names in os.walk(folder, onerror=_raise):
            for name in (*folders, *names):
                info = os.lstat(f"{top}/{name}")
                if stat.S_ISDIR(info.st_mode):
                    continue
                if not stat.S_ISREG(info.st_mode):
                    return None
                path = os.path.relpath(f"{top}/{name}", folder).replace(os.sep, "/")
                kept = record.get(path)
                if (
                    type(kept) is list
                    and kept[:-1] == _identity(info)
                    and info.st_mtime_ns < since
                    and info.st_ctime_ns < since
                    and type(kept[-1]) is str
                    and len(kept[-1]) == id_length
                ):
                    found[path] = (kept[-1], stat.S_IMODE(info.st_mode))
                    continue
                with open(f"{top}/{name}", "rb") as file:
                    data = file.read()
                blob = hashlib.new(algorithm, b"blob %d\0" % len(data))
                blob.update(data)
                found[path] = (blob.hexdigest(), stat.S_IMODE(info.st_mode))
    except (OSError, ValueError):
        return None
    return found


def _raise(error: OSError) -> None:
    raise error


def _remove_empty(folder: Path) -> None:
    """Remove the folders under `folder` that hold nothing (an export holds no empty folder)."""
    for top, _, _ in sorted(os.walk(folder), key=lambda walked: -len(walked[0])):
        if top != str(folder):
            with contextlib.suppress(OSError):
                os.rmdir(top)  # noqa: PTH106 - a folder that is not empty stays


def _changes(raw: bytes, prefix: str) -> tuple[list[str], dict[str, tuple[str, int]]] | None:
    """What `git diff-tree -r -z --raw` (of the whole repository) says changed in the site's
    sources (`prefix`: its folder, "" or ending in "/"): the files deleted and the files written,
    path → (blob, mode); None when a change is not a plain file's, or a `.gitattributes` changed."""
    fields = raw.split(b"\0")
    if fields and fields[-1] == b"":
        fields.pop()
    if len(fields) % 2:
        return None
    gone: list[str] = []
    written: dict[str, tuple[str, int]] = {}
    for meta, name in zip(fields[::2], fields[1::2], strict=True):
        parts = meta.decode("ascii", "replace").lstrip(":").split(" ")
        whole = name.decode("utf-8", "surrogateescape")
        if whole.rpartition("/")[2] == ".gitattributes":  # what `git archive` follows may have changed
            return None
        path = whole.removeprefix(prefix)
        if (path == whole and prefix) or path.split("/", 1)[0] not in SOURCE_PATHS:
            continue  # not a source of the site
        if len(parts) != 5 or not _plain_path(path):
            return None
        old_mode, new_mode, _, blob, status = parts
        if old_mode != "000000" and old_mode not in _FILE_MODES:
            return None
        if status == "D":
            gone.append(path)
        elif status in ("A", "M", "T") and new_mode in _FILE_MODES:
            written[path] = (blob, _FILE_MODES[new_mode])
        else:
            return None
    return gone, written


def _plain_path(path: str) -> bool:
    return not path.startswith("/") and all(part not in ("", ".", "..") for part in path.split("/"))


def _prune(folder: Path, path: str) -> None:
    """Remove the folders of `path` left empty (an export holds no empty folder)."""
    parts = path.split("/")[:-1]
    while parts:
        try:
            folder.joinpath(*parts).rmdir()
        except OSError:  # not empty
            return
        parts.pop()
