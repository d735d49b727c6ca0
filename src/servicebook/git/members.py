"""The member repositories of an organisation site: each fetched with the git CLI into a bare
repository of its own under `.servicebook-cache/`, and its catalog's folder read out at one commit.

Git runs here as everywhere (runner.py: no prompts, a time limit), and never with a transport
that runs a command of the repository address's choosing (`ext::`), whatever the user's
configuration says.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from servicebook.catalog.basics import MAX_CATALOG_BYTES
from servicebook.git import untar
from servicebook.git.blobs import read_blobs
from servicebook.git.log import clean_text
from servicebook.git.repo import utc
from servicebook.git.runner import BARE, MISSING, Done, TookTooLong, run

FETCH_TIME_LIMIT = 300.0  # seconds for one member's fetch: a slow forge fails that member, never hangs the update
FOLLOWED = "refs/servicebook/followed"  # where the store keeps the head of the followed ref
SAFE_TRANSPORTS = ("-c", "protocol.ext.allow=never", "-c", "protocol.fd.allow=never")
MAX_TREE_BYTES = 256 * 1024 * 1024  # a member's catalog folder as an archive
# and its files: git keeps 300,000 empty files in a few kilobytes, whose archive (within the bytes
# above: a 512-byte header each) took 47 CPU s, 3 minutes and 300,000 files of the cache to unpack
MAX_TREE_FILES = 100_000
# of what git writes while it talks to a member's server: its messages (a normal one is a few
# lines), and the branches `ls-remote` lists (~60,000 in 4 MiB; a few are shown)
KEPT_MESSAGES = 16 * 1024
KEPT_BRANCHES = 4 * 1024 * 1024


class MemberGitError(Exception):
    """git could not do what a member needs; `reason` is one of "unreachable", "ref", "commit",
    "path" (no such folder), "tree" (its files cannot be unpacked safely), and the message says why."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True, slots=True)
class Fetched:
    """The head of the followed ref after a fetch."""

    commit: str


def _store_ready(store: Path) -> None:
    if (store / "HEAD").is_file():
        return
    store.mkdir(parents=True, exist_ok=True)
    # Without a template (init.templateDir, GIT_TEMPLATE_DIR): a template's config and hooks would
    # be copied in, and the store would hold more than runner.altered_store allows.
    _must(
        run(store, ["init", "-q", "--bare", "--template="]), "unreachable", "cannot make the member's cache repository"
    )


def _must(done: Done | None, reason: str, what: str) -> Done:
    if done is None:
        raise MemberGitError(reason, MISSING)
    if not done.ok:
        raise MemberGitError(reason, f"{what}: {done.error() or f'git exited with {done.returncode}'}")
    return done


def fetch(store: Path, repository: str, ref: str, *, time_limit: float | None = None) -> Fetched:
    """Fetch `ref` (a branch or a tag) of `repository` into the bare repository `store` (made when
    missing), within `time_limit` seconds (FETCH_TIME_LIMIT); the commit it points at. Objects
    fetched before stay, so commits locked earlier can still be read after the branch moved on (or
    was rewritten). A repository that does not answer in time is "unreachable", as one that cannot
    be reached: that member is refused, and `federate update` goes on to the others."""
    _store_ready(store)
    limit = FETCH_TIME_LIMIT if time_limit is None else time_limit
    try:
        done = run(
            store,
            [
                *BARE,
                *SAFE_TRANSPORTS,
                "fetch",
                "--quiet",
                "--no-tags",
                "--end-of-options",
                repository,
                f"+{ref}:{FOLLOWED}",
            ],
            time_limit=limit,
            kept=KEPT_MESSAGES,
        )
    except TookTooLong:
        raise MemberGitError("unreachable", f"no answer within {limit:g} seconds") from None
    if done is None:
        raise MemberGitError("unreachable", MISSING)
    if not done.ok:
        message = done.error()
        reason = "ref" if "couldn't find remote ref" in message or "invalid refspec" in message else "unreachable"
        raise MemberGitError(reason, message or f"git fetch exited with {done.returncode}")
    head = _must(
        run(store, [*BARE, "rev-parse", "--verify", "--end-of-options", f"{FOLLOWED}^{{commit}}"]), "ref", "rev-parse"
    )
    return Fetched(head.stdout.decode("ascii", "replace").strip())


@dataclass(frozen=True, slots=True)
class Branches:
    """What a repository offers to follow: its branches, and which one its HEAD names (the branch a
    clone checks out: `master` where git's default was never changed), when it says."""

    names: tuple[str, ...]
    default: str | None


def branches(store: Path, repository: str, *, time_limit: float | None = None) -> Branches | None:
    """The branches of `repository` (`git ls-remote`, as safely as a fetch); None when it cannot
    be asked (unreachable, not in time, no git): a message about a missing ref then says no more."""
    _store_ready(store)
    try:
        done = run(
            store,
            [*BARE, *SAFE_TRANSPORTS, "ls-remote", "--symref", "--end-of-options", repository],
            time_limit=FETCH_TIME_LIMIT if time_limit is None else time_limit,
            kept=KEPT_BRANCHES,
        )
    except TookTooLong:
        return None
    if done is None or not done.ok:
        return None
    names: list[str] = []
    default = None
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        left, _, right = line.partition("\t")
        if left.startswith("ref: refs/heads/") and right == "HEAD":
            default = left.removeprefix("ref: refs/heads/")
        elif right.startswith("refs/heads/"):
            names.append(right.removeprefix("refs/heads/"))
    return Branches(tuple(sorted(names)), default)


def fetch_commit(store: Path, repository: str, commit: str, *, time_limit: float | None = None) -> bool:
    """Fetch `commit` of `repository` by its id into the existing store `store`: a commit an
    earlier lock held that the followed ref no longer leads to (a rewrite was accepted, the ref
    changed), which the repository may still hold on another branch. Whether the store has it now
    (not when the repository did not answer in time)."""
    try:
        done = run(
            store,
            [*BARE, *SAFE_TRANSPORTS, "fetch", "--quiet", "--no-tags", "--end-of-options", repository, commit],
            time_limit=FETCH_TIME_LIMIT if time_limit is None else time_limit,
            kept=KEPT_MESSAGES,
        )
    except TookTooLong:
        return False
    return done is not None and done.ok and has_commit(store, commit)


def has_commit(store: Path, commit: str) -> bool:
    """Whether the member's cache repository holds commit `commit`."""
    if not (store / "HEAD").is_file():
        return False
    done = run(store, [*BARE, "cat-file", "-e", "--end-of-options", f"{commit}^{{commit}}"])
    return done is not None and done.ok


def is_ancestor(store: Path, older: str, newer: str) -> bool:
    """Whether `newer` descends from `older` (a fast-forward): false after a rewritten history."""
    done = run(store, [*BARE, "merge-base", "--is-ancestor", "--end-of-options", older, newer])
    return done is not None and done.returncode == 0


@dataclass(frozen=True, slots=True)
class MemberCommit:
    """A commit of a member's own repository, as an auditor of the organisation site needs it
    named: who wrote it, when, and why (the organisation's lock move names only who moved the lock)."""

    commit: str
    author: str
    date: dt.datetime | None
    message: str


_FORMAT = "--format=%x1e%H%x1f%an%x1f%ct%x1f%s"


def _commits(done: Done | None) -> list[MemberCommit]:
    if done is None or not done.ok:
        return []
    found = []
    for record in done.stdout.decode("utf-8", "replace").split("\x1e")[1:]:
        sha, author, stamp, message = (record.rstrip("\n").split("\x1f") + [""] * 4)[:4]
        when = utc(int(stamp)) if stamp.isdigit() and len(stamp) <= 12 else None
        found.append(MemberCommit(sha, clean_text(author), when, clean_text(message)))
    return found


def member_commit(store: Path, commit: str) -> MemberCommit | None:
    """`commit` of the member's cache, named (None when the cache does not have it)."""
    found = _commits(
        run(store, [*BARE, "log", "-1", "--no-color", "--encoding=UTF-8", _FORMAT, "--end-of-options", commit])
    )
    return found[0] if found else None


def commits_between(store: Path, old: str, new: str, paths: list[str]) -> list[MemberCommit]:
    """The member's first-parent commits after `old` up to `new` that changed `paths` (its catalog
    and pages), newest first; empty when the cache cannot say."""
    args = [*BARE, "log", "--first-parent", "--no-color", "--encoding=UTF-8", _FORMAT, f"{old}..{new}", "--", *paths]
    return _commits(run(store, args))


def commit_date(store: Path, commit: str) -> int | None:
    """The commit's date, seconds since the epoch (what the member's own build judges dates by)."""
    done = run(store, [*BARE, "log", "-1", "--format=%ct", "--end-of-options", commit])
    text = done.stdout.decode("ascii", "replace").strip() if done is not None and done.ok else ""
    return int(text) if text.isdigit() and len(text) <= 12 else None


def export(store: Path, commit: str, path: str, dest: Path) -> Path:
    """The folder `path` of `commit` as plain files in `dest` (made once per commit, atomically:
    a folder that exists is whole). Raises MemberGitError("path") when there is no such folder."""
    if dest.is_dir():
        return dest
    spec = commit if path in ("", ".") else f"{commit}:{path}"
    size, files = _files_size(store, spec) or (None, 0)
    if size is not None and size > MAX_TREE_BYTES:
        # git keeps a file of gigabytes of one character in a few megabytes: the archive, read whole
        # before it was measured, took twice the folder's size in memory
        raise MemberGitError("tree", f"its files are {size:,} bytes together, more than {MAX_TREE_BYTES:,}: not read")
    if files > MAX_TREE_FILES:
        raise MemberGitError("tree", f"it holds {files:,} files, more than {MAX_TREE_FILES:,}: not read")
    done = run(store, [*BARE, "archive", "--format=tar", "--end-of-options", spec])
    if done is None:
        raise MemberGitError("commit", MISSING)
    if not done.ok:
        reason = "path" if has_commit(store, commit) else "commit"
        raise MemberGitError(reason, done.error())
    if len(done.stdout) > MAX_TREE_BYTES:
        raise MemberGitError("tree", f"the folder is larger than {MAX_TREE_BYTES:,} bytes")
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".export-", dir=dest.parent))
    try:
        untar.unpack(done.stdout, staging)  # refuses links out of the folder, devices and absolute names
        staging.replace(dest)
    except (OSError, untar.TarError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if dest.is_dir():  # another build made it meanwhile
            return dest
        raise MemberGitError("tree", f"cannot unpack the member's files: {exc}") from None
    return dest


def _files_size(store: Path, spec: str) -> tuple[int, int] | None:
    """The bytes of every file under the tree `spec` together, as `git ls-tree` gives their sizes
    (nothing read), and how many entries it lists; None when git cannot list it (the archive then
    says why)."""
    listed = run(store, [*BARE, "ls-tree", "-r", "-l", "-z", "--end-of-options", spec])
    if listed is None or not listed.ok:
        return None
    entries = [entry for entry in listed.stdout.split(b"\0") if entry]
    sizes = (entry.partition(b"\t")[0].split()[-1:] for entry in entries)
    return sum(int(size[0]) for size in sizes if size and size[0].isdigit()), len(entries)  # "-": a submodule


def read_file(repository: Path, commit: str, path: str, *, bare: bool = False) -> bytes | None:
    """The bytes of file `path` at `commit` (a path starting with ./ is relative to `repository`,
    a folder of a work tree; `bare`: `repository` is a member's store); None when there is no such
    file, or one larger than any source may be (MAX_CATALOG_BYTES: not read, as a build reads none)."""
    where, name = [*(BARE if bare else ())], f"{commit}:{path}"
    size = run(repository, [*where, "cat-file", "-s", "--end-of-options", name])
    if size is None or not size.ok or not size.stdout.strip().isdigit() or int(size.stdout) > MAX_CATALOG_BYTES:
        return None
    done = run(repository, [*where, "cat-file", "blob", "--end-of-options", name])
    return done.stdout if done is not None and done.ok else None


def read_files(store: Path, commit: str, paths: list[str]) -> dict[str, bytes]:
    """path → bytes of each of `paths` (relative to the top of the repository) at `commit` that
    is a file there, in one `git cat-file --batch`; one larger than any source may be is left out,
    unread."""
    found = read_blobs(store, [f"{commit}:{p}" for p in paths], bare=True, largest=MAX_CATALOG_BYTES)
    return {p: found[f"{commit}:{p}"] for p in paths if f"{commit}:{p}" in found}


def files_under(store: Path, commit: str, folder: str) -> list[str]:
    """The paths of every file under `folder` (relative to the top of the repository; "" or "."
    for the top) at `commit`, relative to that folder; [] when there is no such folder."""
    spec = commit if folder in ("", ".") else f"{commit}:{folder.rstrip('/')}"
    done = run(store, [*BARE, "ls-tree", "-r", "-z", "--name-only", "--end-of-options", spec])
    if done is None or not done.ok:
        return []
    return [p for p in done.stdout.decode("utf-8", "surrogateescape").split("\0") if p]
