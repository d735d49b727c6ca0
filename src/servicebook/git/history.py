"""The timeline a site shows: every semantic change to the catalog and the policy pages on the
first-parent history of HEAD, commit by commit, with the working tree's uncommitted changes on top."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import operator
import stat
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from servicebook.cache.digest import cache_key
from servicebook.cache.disk import DiskCache
from servicebook.catalog.basics import BuildInfo
from servicebook.catalog.records import RecordCache
from servicebook.git.blobs import Blobs
from servicebook.git.diff import EFFECTS, Change, diff_pages, pages_follow_moves, snapshot_change, snapshot_end
from servicebook.git.log import Commit, apply_raw, clean_text, read_log
from servicebook.git.repo import CATALOG_FILE, CONTENT_DIR, MEASUREMENTS_DIR, Repo, tree_at, utc
from servicebook.git.runner import run
from servicebook.git.snapshots import (
    WORKTREE,
    CatalogKey,
    PageOutline,
    Reader,
    git_blob_id,
    is_page,
    is_snapshot_file,
    page_slug,
    worktree_blob_id,
    worktree_files,
)
from servicebook.progress import Phases

HISTORY = "history"  # the disk cache's area of what the history's parsing found (cache/disk.py)

EntryState = Literal["ok", "invalid", "missing", "truncated"]


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
    coauthors: tuple[str, ...] = ()  # whom its message's Co-authored-by trailers name (log.Commit)
    committer: str = ""  # who committed it, where not its author (log.Commit)
    approvals: tuple[str, ...] = ()  # its Reviewed-by and Approved-by trailers (log.Commit)


@dataclass(frozen=True, slots=True)
class Timeline:
    """The history a site shows. `available` is False outside git; entries are newest first."""

    available: bool
    shallow: bool = False
    entries: tuple[Entry, ...] = ()
    # catalogs parsed in this build (not served from a cache): a figure of the work, not of what
    # the site shows, so not part of its repr (page keys, pagekeys.py) nor of its equality
    parsed: int = field(default=0, repr=False, compare=False)


class MoreChanges(Protocol):
    """Changes the history shows that a file beside catalog.yaml says: an organisation site's
    servicebook.lock, whose every move is what its members changed (federation/review.py)."""

    @property
    def path(self) -> str: ...  # relative to the site, e.g. "servicebook.lock"

    def changes(self, old: bytes | None, new: bytes | None) -> tuple[Change, ...]:
        """What the file changing from `old` to `new` means (None: no such file); never raises."""
        ...


def _with_contributors(repo: Repo, disk: DiskCache, entries: list[Entry]) -> list[Entry]:
    """`entries`, each merge's with the authors of the commits it brought in."""
    return [
        dataclasses.replace(e, contributors=_merged_authors(repo, disk, e.commit)) if e.merge and e.commit else e
        for e in entries
    ]


def _merged_authors(repo: Repo, disk: DiskCache, merge: str) -> tuple[str, ...]:
    """Authors of the commits `merge` brought in (reachable from its other parents, not from its
    first) that touch the catalog or the pages, oldest first. A merge never changes, so the
    answer is kept on disk by commit id."""
    key = f"merge-authors-{merge}"
    kept = disk.get(key)
    if isinstance(kept, list) and all(isinstance(a, str) for a in kept):
        return tuple(kept)
    done = run(
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


@dataclass
class TimelineMemo:
    """What the last timeline of a long-running process (`serve`) read of the committed history:
    its entries, oldest first, and where their replay left the catalog and the pages, for the
    commit HEAD was at (`head`: the repository, its prefix and that commit). A rebuild at the same
    commit replays nothing and reads only the working tree's changes; a commit made while it runs
    changes `head`, and the history is read again. It also keeps the catalogs and pages read by
    blob id (snapshots.Reader: the working tree's too), so that a rebuild after an edit parses
    only what the edit changed."""

    head: tuple[str, str, str] | None = None
    entries: tuple[Entry, ...] = ()
    state: _State | None = None
    reader: Reader | None = None
    # the working tree's catalog.yaml and pages at the last build: path → (the survey's hash, id,
    # and the catalog's bytes), and the catalog's id as git has it (see _worktree_entry)
    worktree: dict[str, tuple[str, str, bytes | None]] = field(default_factory=dict)
    committed: tuple[str, str] | None = None
    # the page outlines the last build gave its reader (`reader.outlines` holds them), in order:
    # the load gives an unchanged page's very outline again (None: the reader holds none of them)
    outlined: Sequence[PageOutline] | None = None
    # the working tree's ids as the last build made them (_worktree_ids), of the survey's hashes
    # (a copy), against the committed pages (the very dict, while HEAD is the same): the next
    # build looks at the paths whose hash changed alone, not at 20,000 at 20,000 pages
    worktree_ids: tuple[dict[str, str], Mapping[str, str], dict[str, str]] | None = None
    # the paths of those ids' pages that are not the committed ones (a page edited, added or
    # removed), put right with them: the working tree's entry compares only these with the commit
    worktree_differ: set[str] | None = None


def load_timeline(
    repo: Repo | None,
    build: BuildInfo,
    *,
    use_disk_cache: bool = True,
    outlines: Iterable[PageOutline] = (),
    more: MoreChanges | None = None,
    progress: Phases | None = None,
    memo: TimelineMemo | None = None,
    hashes: Mapping[str, str] | None = None,
) -> Timeline:
    """Every change to the catalog and pages on the first-parent history of HEAD, newest first,
    with the working tree's uncommitted changes on top. Never fails the build: a commit whose
    catalog does not validate is an entry saying so. `outlines` are the pages the build has just
    read, which need not be parsed again here (whether committed or in the working tree). With
    `more`, a commit that changes its file is an entry too, with the changes it says. `progress`
    (the phase under way) is told how many commits there are, and each as it is read. With a
    `memo` (`serve`), the committed history read at the same commit before is not read again, and
    with the `hashes` of the sources the build's survey found, only the working-tree files whose
    hash changed since are read. Outside git (`repo` None) there is no history."""
    if repo is None:
        return Timeline(available=False)
    root = repo.root
    store = Blobs(root)
    disk = DiskCache(root if use_disk_cache else None, HISTORY)
    # a shallow clone's history grows with `git fetch --deepen` at the same commit, and what
    # `more` says depends on more than its file: neither is remembered
    head = (str(root), repo.prefix, repo.head) if repo.head and not repo.shallow and more is None else None
    listed = outlines if isinstance(outlines, Sequence) else tuple(outlines)
    last = None
    if memo is not None:  # (none until this build's reader holds its outlines: see below)
        last, memo.outlined = memo.outlined, None
    try:
        if memo is not None and memo.reader is not None and head is not None:
            # the outlines the last build gave it, kept while the pages are as many
            unchanged = last is not None and len(last) == len(listed)
            reader = dataclasses.replace(
                memo.reader,
                store=store,
                disk=disk,
                known={},
                parsed=0,
                outlines=memo.reader.outlines if unchanged else {},
            )
            outlined = _outlined_anew(reader, listed, last if unchanged else None)
        else:
            reader = Reader(store, disk)
            outlined = listed
        for o in outlined:  # (made PageInfos of only as the replay asks: Reader.page)
            kept = reader.pages.get((o.blob, o.path))
            if kept is not None and reader.pages.get((WORKTREE, o.sha256, o.path)) is kept:
                continue  # made of the same bytes' outline by an earlier build of the process
            reader.outlined(o)
        if memo is not None and head is not None and memo.head == head and memo.state is not None:
            entries, state = list(memo.entries), dataclasses.replace(memo.state)
        elif memo is None and head is not None:
            entries, state = _committed(reader, repo, progress)
        else:
            also = (MEASUREMENTS_DIR, more.path) if more else (MEASUREMENTS_DIR,)
            entries, state = _replay(reader, repo, read_log(repo, also), more, progress)
            entries = _with_contributors(repo, reader.disk, entries)
            if memo is not None:
                memo.head, memo.entries, memo.state = head, tuple(entries), dataclasses.replace(state)
        if build.dirty:
            entries += _worktree_entry(reader, root, state, more, memo if head is not None else None, hashes)
    finally:
        store.close()
    if memo is not None:
        # not the parsed catalogs nor their records: tens of megabytes on a large site, which the
        # changes it keeps (`errors`, `moved`) and the disk cache make needless for the next build;
        # the outlines, which are the load's own (a page's, while it is unchanged), are kept
        memo.reader = (
            dataclasses.replace(reader, known={}, models={}, records=RecordCache()) if head is not None else None
        )
        memo.outlined = listed if head is not None else None
    return Timeline(available=True, shallow=repo.shallow, entries=tuple(reversed(entries)), parsed=reader.parsed)


def _outlined_anew(
    reader: Reader, outlines: Sequence[PageOutline], last: Sequence[PageOutline] | None
) -> Sequence[PageOutline]:
    """The `outlines` the reader must be given: all of them, or, with the outlines the last build
    gave it (`last`, as many, each of which its `outlines` still holds), those that are not the
    very objects at their places (found at once: 20,000 at 20,000 pages, a rebuild), each
    replacing its page's last outline (that of other bytes of the same file, at the same place,
    is no longer held)."""
    if last is None:
        return outlines
    places = list(itertools.compress(range(len(outlines)), map(operator.is_not, outlines, last)))
    for i in places:
        before, now = last[i], outlines[i]
        if before.path == now.path:
            reader.forget(before)
    return [outlines[i] for i in places]


@dataclass
class _State:
    """Where the replay stands: the last catalog that validated and the pages as they are (path
    → blob: a page's PageInfo is read only where a commit changes it, `_step`)."""

    files: dict[str, str] = field(default_factory=dict)
    last_valid: CatalogKey | None = None
    pages: dict[str, str] = field(default_factory=dict)
    more: str | None = None  # the blob of MoreChanges' file
    # the slugs of `pages`, sorted, as a catalog key names them (None: not made yet); the next
    # step's pages are mostly the same paths (every commit that adds or removes none, the working
    # tree with an edit): the same tuple, not sorted again (20,000 at 20,000 pages)
    slugs: tuple[str, ...] | None = None


def _replay(
    reader: Reader,
    repo: Repo,
    commits: list[Commit],
    more: MoreChanges | None = None,
    progress: Phases | None = None,
    state: _State | None = None,
) -> tuple[list[Entry], _State]:
    """The entries of `commits`, oldest first, from `state` (where the commits before them left
    the replay; from nothing by default), which it advances."""
    state = state if state is not None else _State()
    entries = []
    progress = progress or Phases()
    progress.expect(len(commits))
    for n, c in enumerate(progress.counted(commits)):
        renames = apply_raw(state.files, c.raw, repo.prefix)
        truncated = n == 0 and repo.shallow and not c.parents
        entry = _step(reader, state, state.files, renames, truncated, more)
        snapshots = _snapshot_changes(reader, c, repo.prefix) if not truncated else []
        if not snapshots and _snapshots_only(c, repo.prefix):
            continue  # `measure` committing what it measured: a routine that is no change of the site's promises
        changes = entry[2] + tuple(snapshots)
        entries.append(
            Entry(
                c.commit,
                c.author,
                c.date,
                c.message,
                len(c.parents) > 1,
                entry[0],
                entry[1],
                changes,
                coauthors=c.coauthors,
                committer=c.committer,
                approvals=c.approvals,
            )
        )
    return entries, state


def _snapshots_only(commit: Commit, prefix: str) -> bool:
    """Whether `commit` changes files, and every one of them is under measurements/."""
    top = f"{prefix}{MEASUREMENTS_DIR}/"
    return bool(commit.raw) and all(
        path.startswith(top) and (new is None or new.startswith(top)) for _, _, path, new in commit.raw
    )


def _snapshot_changes(reader: Reader, commit: Commit, prefix: str) -> list[Change]:
    """The measurement snapshots `commit` changes or removes, and those it adds long after the end
    of what they measure (diff.snapshot_change): each can make a broken promise read as kept, so
    the history shows them as `diff` does. One added as `measure` commits it is not shown: a
    nightly job's snapshots would fill the history with entries that change no promise."""
    found: list[Change] = []
    top = f"{prefix}{MEASUREMENTS_DIR}/"
    for status, blob, path, new in commit.raw:
        if not (path.startswith(top) or (new is not None and new.startswith(top))):
            continue  # (most commits' every path: the pages of a large site's first commit)
        old = path.removeprefix(prefix) if path.startswith(prefix) else None
        now = new.removeprefix(prefix) if new is not None and new.startswith(prefix) else None
        if old is not None and is_snapshot_file(old):
            if status in "MT":
                found.append(snapshot_change(old, "changed"))
            elif status in "DR":
                found.append(snapshot_change(old, "removed"))
        added = now if status in "RC" else old if status == "A" else None
        if added is not None and is_snapshot_file(added) and commit.date is not None:
            change = snapshot_change(added, "added", commit.date, snapshot_end(reader.store.get(blob)))
            if change.effect == "weakened":
                found.append(change)
    return found


TIMELINE_KEY = "timeline"  # the disk cache's entry of the last replay's end (see _committed)
_ENTRY_STATES: tuple[EntryState, ...] = ("ok", "invalid", "missing", "truncated")


def _committed(reader: Reader, repo: Repo, progress: Phases | None) -> tuple[list[Entry], _State]:
    """The entries and the state of the committed history at HEAD, for a build in a process of
    its own (the command line), which keeps no memo: the last build's replay, as it left it in
    the disk cache (its commit, its entries, the catalog and pages' blobs), carried on with the
    commits made since when that commit is on HEAD's first-parent line, so that a build after a
    new commit replays that commit alone; the whole history replayed from nothing otherwise (no
    entry, one this servicebook's code did not write, a branch switched, history rewritten).
    What it ends with is left there for the next build: one entry per site in the repository,
    replaced each time (about 100 bytes a page and what the entries say)."""
    key = cache_key(TIMELINE_KEY, repo.prefix)
    kept = _kept_replay(reader.disk.get(key))
    since = None
    if kept is not None and (kept[0] == repo.head or _after(repo, kept[0])):
        since, entries, state = kept
    else:
        entries, state = [], _State()
    commits = [] if since == repo.head else read_log(repo, (MEASUREMENTS_DIR,), since)
    new, state = _replay(reader, repo, commits, None, progress, state)
    entries += _with_contributors(repo, reader.disk, new)
    if since != repo.head:
        reader.disk.put(key, _replay_json(str(repo.head), entries, state))
    return entries, state


def _after(repo: Repo, commit: str) -> bool:
    """Whether HEAD's first-parent line passes through `commit` (HEAD itself aside): the oldest
    commit of it after `commit` has `commit` for its first parent."""
    if not (40 <= len(commit) <= 64 and all(c in "0123456789abcdef" for c in commit)):
        return False  # never an option or a range to git, whatever the cache holds
    done = run(repo.root, ["rev-list", "--first-parent", "--parents", f"{commit}..HEAD"])
    if done is None or done.returncode != 0:
        return False
    lines = done.stdout.decode("ascii", "replace").splitlines()
    return bool(lines) and lines[-1].split()[1:2] == [commit]


def _replay_json(head: str, entries: list[Entry], state: _State) -> dict[str, object]:
    """What `_kept_replay` reads back: a replay's end at commit `head`."""
    return {
        "head": head,
        "entries": [
            [
                e.commit,
                e.author,
                None if e.date is None else int(e.date.timestamp()),
                e.message,
                e.merge,
                e.state,
                e.errors,
                [[c.kind, c.subject, c.effect, c.text, c.before, c.after] for c in e.changes],
                list(e.contributors),
                list(e.coauthors),
                e.committer,
                list(e.approvals),
            ]
            for e in entries
        ],
        "files": state.files,
        "last_valid": None if state.last_valid is None else [state.last_valid[0], list(state.last_valid[1])],
    }


def _kept_replay(data: object) -> tuple[str, list[Entry], _State] | None:
    """A replay's end as `_replay_json` wrote it (its pages by their blobs, read only where the
    next commit changes them: `_step`); None for anything else."""
    if not isinstance(data, dict):
        return None
    try:
        head, files, valid = data["head"], data["files"], data["last_valid"]
        if not isinstance(head, str) or not isinstance(files, dict):
            return None
        if not all(isinstance(p, str) and isinstance(b, str) for p, b in files.items()):
            return None
        last_valid: CatalogKey | None = None
        if valid is not None:
            blob, slugs = valid
            if not isinstance(blob, str) or not all(isinstance(s, str) for s in slugs):
                return None
            last_valid = (blob, tuple(slugs))
        entries = []
        for row in data["entries"]:
            commit, author, stamp, message, merge, status, errors, changes, contributors, coauthors = row[:10]
            committer, approvals = row[10:] if len(row) == 12 else (None, None)
            if not (
                isinstance(commit, str)
                and isinstance(author, str)
                and (stamp is None or type(stamp) is int)
                and isinstance(message, str)
                and type(merge) is bool
                and status in _ENTRY_STATES
                and type(errors) is int
                and all(isinstance(c, str) for c in contributors)
                and all(isinstance(c, str) for c in coauthors)
                and isinstance(committer, str)
                and isinstance(approvals, list)
                and all(isinstance(a, str) for a in approvals)
            ):
                return None
            date = None if stamp is None else utc(stamp)
            said = tuple(_change(*row) for row in changes)
            entries.append(
                Entry(
                    commit,
                    author,
                    date,
                    message,
                    merge,
                    status,
                    errors,
                    said,
                    tuple(contributors),
                    tuple(coauthors),
                    committer,
                    tuple(approvals),
                )
            )
    except (KeyError, TypeError, ValueError):  # not what this code writes
        return None
    pages = {p: b for p, b in files.items() if is_page(p)}
    return head, entries, _State(files=dict(files), last_valid=last_valid, pages=pages)


def _change(kind: object, subject: object, effect: object, text: object, before: object, after: object) -> Change:
    """A change as `_replay_json` wrote it (a row, not `codec.encode`'s object: the first commit of
    a large catalog says thousands); TypeError for anything else."""
    if not (
        type(kind) is str
        and type(subject) is str
        and effect in EFFECTS
        and type(text) is str
        and (before is None or type(before) is str)
        and (after is None or type(after) is str)
    ):
        raise TypeError("not a change")
    return Change(kind, subject, effect, text, before, after)


def _step(
    reader: Reader,
    state: _State,
    files: Mapping[str, str],
    renames: Mapping[str, str],
    truncated: bool,
    more: MoreChanges | None = None,
    pages: dict[str, str] | None = None,
    differ: Set[str] | None = None,
) -> tuple[EntryState, int, tuple[Change, ...]]:
    """One commit (or the working tree): its state, error count and changes; advances `state`.
    `pages`: those of `files`, when the caller has them; `differ`: the paths where they are not
    the pages of `state`, when the caller knows them."""
    pages = {p: b for p, b in files.items() if is_page(p)} if pages is None else pages
    blob = files.get(CATALOG_FILE)
    same = state.slugs is not None and pages.keys() == state.pages.keys()
    slugs = state.slugs if same and state.slugs is not None else tuple(sorted(map(page_slug, pages)))
    key = None if blob is None else (blob, slugs)
    errors = 0 if key is None else reader.validity(key)
    status: EntryState = "missing" if key is None else "ok" if errors == 0 else "invalid"
    changes: list[Change] = []
    if not truncated:
        if status == "ok" and key is not None:
            changes += reader.transition(state.last_valid, key)
        elif status == "missing" and state.last_valid is not None:
            changes.append(Change("catalog.removed", "catalog", "weakened", "catalog.yaml removed"))
        changes += _page_changes(reader, state.pages, pages, renames, differ)
        changes = pages_follow_moves(changes)
    if more is not None:
        now = files.get(more.path)
        if now != state.more and not truncated:
            changes += more.changes(_blob(reader, state.more), _blob(reader, now))
        state.more = now
    state.pages, state.slugs = pages, slugs
    if errors == 0 and key is not None:
        state.last_valid = key
    return ("truncated" if truncated else status), errors, tuple(changes)


def _page_changes(
    reader: Reader,
    before: Mapping[str, str],
    after: Mapping[str, str],
    renames: Mapping[str, str],
    differ: Set[str] | None = None,
) -> list[Change]:
    """diff_pages of the pages `before` and `after` (path → blob), read only where a path's blob
    is not the same: a page of the same bytes at the same path has the same digest, which
    diff_pages finds unchanged, and is no page added or removed (nor moved: a move is a removed
    path and an added one); so the changes, and their order, are those of every page. `differ`:
    those paths (`_differing`), when the caller knows them."""
    if differ is None:
        differ = _differing(before, after)
    # (picked out, then sorted: each path once, so in the same order as all of them sorted)
    old = [reader.page(p, before[p]) for p in sorted(differ) if p in before]
    new = [reader.page(p, after[p]) for p in sorted(differ) if p in after]
    return diff_pages(old, new, renames)


def _differing(before: Mapping[str, str], after: Mapping[str, str]) -> set[str]:
    """The paths whose blob in `after` is not the one in `before` (a page added, removed or
    changed)."""
    return {p for p, b in before.items() if after.get(p) != b} | {p for p, b in after.items() if before.get(p) != b}


def _blob(reader: Reader, blob: str | None) -> bytes | None:
    if blob is None:
        return None
    return reader.known[blob] if blob in reader.known else reader.store.get(blob)


def _worktree_entry(
    reader: Reader,
    root: Path,
    state: _State,
    more: MoreChanges | None = None,
    memo: TimelineMemo | None = None,
    hashes: Mapping[str, str] | None = None,
) -> list[Entry]:
    """Uncommitted changes to the catalog or pages, as one more entry (none if they change nothing)."""
    ids = _worktree_ids(reader, root, memo, hashes, state.pages)
    pages = None
    if hashes is not None:  # (catalog.yaml and the pages alone: see _worktree_ids)
        pages = dict(ids)
        pages.pop(CATALOG_FILE, None)
    if more is not None:
        extra = root / more.path
        if extra.is_file() and not extra.is_symlink():
            data = extra.read_bytes()
            ids[more.path] = worktree_blob_id(data)
            reader.known[ids[more.path]] = data
    catalog = ids.get(CATALOG_FILE)
    if catalog is not None and state.files.get(CATALOG_FILE) == _committed_id(reader, catalog, memo):
        # as committed: known by git's id, so its validity and its change from the last catalog
        # that validated are those the disk cache holds, not parsed again
        ids[CATALOG_FILE] = state.files[CATALOG_FILE]
        reader.known[ids[CATALOG_FILE]] = reader.known[catalog]
    differ = memo.worktree_differ if pages is not None and memo is not None else None
    status, errors, changes = _step(reader, state, ids, {}, False, more, pages, differ)
    if not changes and status == "ok":  # a dirty layouts/ alone changes nothing the history shows
        return []
    return [Entry(None, "", None, "Uncommitted changes (working tree)", False, status, errors, changes)]


def _worktree_ids(
    reader: Reader,
    root: Path,
    memo: TimelineMemo | None,
    hashes: Mapping[str, str] | None,
    committed: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The ids of catalog.yaml and the pages in the working tree (snapshots.worktree_files), with
    the bytes of those the reader may need to parse in `reader.known`. Without the hashes the
    build's survey found, every such file is read.

    Given them (`hashes`, by path), a page whose hash is the blob the last commit holds at its
    path (`committed`: path → blob; the survey's hash is the id git gives the file's bytes) is
    that blob, by git's id and unread: the entry then reads, compares, parses and diffs only
    catalog.yaml and the pages that differ from the commit, not every page of a site with one
    uncommitted edit (a build of the command line: 5,000 files read and hashed at 5,000 pages).
    With a memo of the last build's (`serve`), a file whose hash is the one it saw is not read
    again either (the reader holds its page); and with the memo's ids of the last build made
    against the same committed pages, only the paths whose hash is not the one it saw (a file
    edited, added or removed) and those not as committed (a few) are looked at again."""
    if hashes is None:
        files = worktree_files(root)
        ids = {path: worktree_blob_id(data) for path, data in files.items()}
        reader.known.update({ids[p]: d for p, d in files.items()})
        return ids
    committed = committed if committed is not None else {}
    # (a build of the command line has no memo: it reads the files whose hash is not the
    # committed blob's alone, as `serve`'s first build does, not every page of the site)
    kept, now = (memo.worktree, {}) if memo is not None else ({}, {})
    made = memo.worktree_ids if memo is not None else None
    look: Iterable[tuple[str, str]]
    paths: set[str] | None = None  # (the paths looked at again, when the last ids are carried)
    if made is not None and made[1] is committed:
        last, ids = made[0], dict(made[2])
        # (at once: 20,000 at 20,000 pages; most are the very strings of the last listing)
        paths = set(itertools.compress(hashes, map(operator.ne, hashes.values(), map(last.get, hashes))))
        if len(hashes) - sum(p not in last for p in paths) != len(last):  # some removed
            paths.update(last.keys() - hashes.keys())
        paths.update(kept)
        for path in paths:
            ids.pop(path, None)
        look = ((path, hashes[path]) for path in paths if path in hashes)
    else:
        ids, look = {}, hashes.items()
    for path, hashed in look:
        if path != CATALOG_FILE and (not is_page(path) or "/." in path):  # no hidden file or folder
            continue
        if path != CATALOG_FILE and committed.get(path) == hashed:
            ids[path] = hashed
            continue
        before = kept.get(path)
        if before is None or before[0] != hashed or (path != CATALOG_FILE and not reader.knows(path, before[1])):
            full = root / path
            info = full.lstat()
            if not stat.S_ISREG(info.st_mode):  # a link or special file: worktree_files skips it
                continue
            data = full.read_bytes()
            before = (hashed, worktree_blob_id(data), data if path == CATALOG_FILE else None)
            reader.known[before[1]] = data
        now[path] = before
        ids[path] = before[1]
    catalog = now.get(CATALOG_FILE)
    if catalog is not None and catalog[2] is not None:
        reader.known[catalog[1]] = catalog[2]
    if memo is None:
        return ids
    memo.worktree = now
    memo.worktree_ids = (dict(hashes), committed, dict(ids))
    memo.worktree_differ = _differ(ids, committed, paths, memo.worktree_differ)
    return ids


def _differ(
    ids: Mapping[str, str], committed: Mapping[str, str], looked: set[str] | None, last: set[str] | None
) -> set[str]:
    """`_differing` of the `committed` pages and the working tree's (`ids` but catalog.yaml's):
    the `last` set (taken over) put right at the paths `looked` at again, when the other ids are
    the last build's against the same committed pages; else made of every page."""
    if looked is None or last is None:
        differ = _differing(committed, ids)
        differ.discard(CATALOG_FILE)
        if CATALOG_FILE in committed:
            differ.add(CATALOG_FILE)
        return differ
    for path in looked:
        if (ids.get(path) if path != CATALOG_FILE else None) != committed.get(path):
            last.add(path)
        else:
            last.discard(path)
    return last


def _committed_id(reader: Reader, blob: str, memo: TimelineMemo | None) -> str:
    """git's id of the working-tree bytes the reader knows as `blob`."""
    if memo is not None and memo.committed is not None and memo.committed[0] == blob:
        return memo.committed[1]
    found = git_blob_id(reader.known[blob])
    if memo is not None:
        memo.committed = (blob, found)
    return found


def release_changes(
    repo: Repo | None, commits: Iterable[str], records: RecordCache | None = None
) -> list[tuple[Change, ...] | None]:
    """The semantic changes of each release's catalog from the release before it, for commits
    oldest first: () for the first, None where a catalog is missing or does not validate. Cached
    as the history's transitions are (by blob ids), so a rebuild parses nothing. `records`: the
    records of the catalogs the build has read (the current catalog's, the releases' it built),
    which the releases' catalogs share: a release's catalog is then read as what changed."""
    if repo is None:
        return [None for _ in commits]
    store = Blobs(repo.root)
    out: list[tuple[Change, ...] | None] = []
    try:
        reader = Reader(store, DiskCache(repo.root, HISTORY), records=records or RecordCache())
        previous: CatalogKey | None = None
        for n, commit in enumerate(commits):
            tree = tree_at(repo, commit)
            blob = tree.get(CATALOG_FILE)
            key = None if blob is None else (blob, tuple(sorted(page_slug(p) for p in tree if is_page(p))))
            if key is None or reader.validity(key):
                out.append(None)
                previous = None
                continue
            out.append(() if n == 0 else None if previous is None else reader.transition(previous, key))
            previous = key
    finally:
        store.close()
    return out
