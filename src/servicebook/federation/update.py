"""`servicebook federate update` and `fetch`: move each member's lock entry to the head of the ref it
follows, only when the member's catalog is valid there by its own rules; fetch what the lock names.

A member that cannot be fetched, or whose new head is invalid, or whose history was rewritten
under its locked commit, is reported by name and stays at its last good commit: one team's broken
catalog never takes down the organisation's site.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from servicebook.cache.folder import prepare
from servicebook.cache.store import Store
from servicebook.catalog import model
from servicebook.errors import Problem, Severity, counted
from servicebook.federation.crossrefs import Links, Records, dangling, records
from servicebook.federation.lock import LOCK_FILE, Entry, Lock, lock_from_bytes, write_lock
from servicebook.federation.members import (
    CATALOG_FILE,
    Loader,
    MemberRead,
    fetch_address,
    folder_hint,
    read_member,
    recall_links,
    store_of,
)
from servicebook.git.log import read_log
from servicebook.git.members import (
    MemberGitError,
    branches,
    fetch,
    fetch_commit,
    files_under,
    has_commit,
    is_ancestor,
    read_file,
)
from servicebook.git.repo import open_repo
from servicebook.progress import Phases
from servicebook.routes import ORGANISATION


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one member: "moved", "current", "kept" (current, with something to say: its
    locked commit fetched by id, off the rewritten history of its ref), or "refused" (it stays where
    it was)."""

    member: str
    state: str
    old: str | None  # the locked commit before
    new: str | None  # the head that was fetched
    message: str  # one line for people
    problems: tuple[Problem, ...] = ()  # the member's own, when its head is invalid


def update(
    root: Path,
    members: Sequence[model.Member],
    lock: Lock,
    generator: str,
    loader: Loader,
    *,
    accept_rewrite: bool = False,
    in_catalog: Collection[str] | None = None,
    progress: Phases | None = None,
    others: Sequence[model.Member] = (),
    organisation: Records | None = None,
) -> tuple[Lock, list[Outcome]]:
    """Fetch `members` and move each one's entry in `lock` where its head is valid; the new lock
    (written beside catalog.yaml when anything changed) and each member's outcome. Entries of ids
    not `in_catalog` (all the catalog's member ids) are dropped. `progress` counts the members.
    A move is refused, too, when the members' references to each other's records would dangle in
    the new lock (see `_keep_references`); `others`, the members not updated, are read at their
    locked commits for that, and `organisation` holds the organisation's own records, which
    members name as `organisation/<id>`."""
    entries = {k: v for k, v in lock.entries.items() if in_catalog is None or k in in_catalog}
    outcomes: list[Outcome] = []
    progress = progress or Phases()
    progress.enter("fetching and checking members", total=len(members))
    with Store.for_site(root) as store:  # what checking a head found: a build reads it from there
        heads: dict[str, Links] = {}
        for member in progress.counted(members):
            old = entries.get(member.id)
            outcome, entry, read = _update_one(root, member, old, generator, loader, accept_rewrite, store)
            outcomes.append(outcome)
            if entry is not None and read is not None and read.site is not None:
                entries[member.id] = entry
                heads[member.id] = Links(records(entry.commit, read.site), read.cross_refs)
        if heads:
            everyone = [*members, *(m for m in others if m.id not in {n.id for n in members})]
            at_lock = partial(_read_locked, root, generator, loader, store, lock)
            outcomes = _keep_references(everyone, lock, entries, heads, outcomes, at_lock, organisation)
    new = Lock(entries)
    if any(o.state == "moved" for o in outcomes) or set(entries) != set(lock.entries):
        write_lock(root, new)
    return new, outcomes


def _read_locked(
    root: Path, generator: str, loader: Loader, store: Store, lock: Lock, member: model.Member
) -> Links | None:
    """Member `member`'s records and references at the commit `lock` held for it before this
    update (None: not locked, or not readable), from the store when it was read before."""
    entry = lock.entries.get(member.id)
    if entry is None:
        return None
    links = recall_links(store, member, entry.commit, entry.path)
    if links is not None:
        return links
    read = read_member(root, member, entry.commit, entry.path, generator, loader, store)
    return Links(records(entry.commit, read.site), read.cross_refs) if read.site is not None else None


def _keep_references(
    members: Sequence[model.Member],
    lock: Lock,
    entries: dict[str, Entry],
    heads: Mapping[str, Links],
    outcomes: list[Outcome],
    at_lock: Callable[[model.Member], Links | None],
    organisation: Records | None = None,
) -> list[Outcome]:
    """Refuse the moves (undoing them in `entries`) that leave a reference of one member to
    another's record dangling in the new lock: a member whose new head names what another does not
    have there stays where it was; so does a member whose new head drops what another still names.
    Repeated until the references of every moved member hold (a move undone can break another),
    so two members that move together (one renames, the other follows) both move. A reference that
    dangled before this update, between members that did not move, is the build's to report."""
    reads: dict[str, Links | None] = {}
    by_id = {m.id: m for m in members}

    def read(ident: str) -> Links | None:
        if ident in heads and entries.get(ident) is not lock.entries.get(ident):
            return heads[ident]
        if ident not in reads:
            reads[ident] = at_lock(by_id[ident]) if ident in by_id else None
        return reads[ident]

    refused: dict[str, tuple[str, list[Problem]]] = {}
    own = {ORGANISATION: organisation} if organisation is not None else {}
    while True:
        found = {i: read(i) for i in by_id if i in entries}
        teams = {**own, **{i: r.records for i, r in found.items() if r is not None}}
        unread = set(by_id) - set(teams)
        undo: dict[str, tuple[str, list[Problem]]] = {}
        for ident, r in found.items():
            if r is None:
                continue
            for d in dangling(ident, r.refs, teams, unread):
                moved = [i for i in (ident, d.team) if i in heads and i not in refused]
                if not moved:
                    continue
                culprit = moved[0]  # the referring member first: its new head made the reference
                why = (
                    f"drops what {ident} refers to at its locked commit"
                    if culprit != ident
                    else "refers to records the organisation site does not have"
                    if d.team == ORGANISATION
                    else "refers to records other teams do not have at their locked commits"
                )
                undo.setdefault(culprit, (why, []))[1].append(d.problem)
        if not undo:
            break
        for ident, reason in undo.items():
            refused[ident] = reason
            old = lock.entries.get(ident)
            if old is None:
                entries.pop(ident, None)
            else:
                entries[ident] = old
    if not refused:
        return outcomes
    changed = []
    for o in outcomes:
        if o.member not in refused:
            changed.append(o)
            continue
        why, problems = refused[o.member]
        stay = f"staying at {o.old[:12]}" if o.old else "not locked"
        head = o.new[:12] if o.new else "?"
        message = f"{o.member}: commit {head} {why} ({len(problems)}); {stay}"
        changed.append(_refused(o.member, o.old, o.new, message, tuple(problems)))
    return changed


def _update_one(
    root: Path,
    member: model.Member,
    old: Entry | None,
    generator: str,
    loader: Loader,
    accept_rewrite: bool,
    cache: Store,
) -> tuple[Outcome, Entry | None, MemberRead | None]:
    ident = member.id
    before = old.commit if old is not None else None
    store = store_of(root, ident)
    try:
        prepare(store.parent)
        head = fetch(store, fetch_address(root, member.repository), member.ref).commit
    except MemberGitError as exc:
        if exc.reason == "ref":
            address = fetch_address(root, member.repository)
            message = (
                f"{ident}: no branch or tag '{member.ref}' in {member.repository}{_ref_hint(store, address, ident)}"
            )
        else:
            said = _one_line(exc.message)
            message = f"{ident}: cannot fetch {member.repository}: {said}{folder_hint(root, member.repository)}"
        return _refused(ident, before, None, message), None, None
    except OSError as exc:
        where = exc.filename or store.parent
        return (
            _refused(ident, before, None, f"{ident}: cannot write the cache {where}: {exc.strerror or exc}"),
            None,
            None,
        )
    same_source = old is not None and (old.repository, old.ref, old.path) == (
        member.repository,
        member.ref,
        member.path,
    )
    if same_source and old is not None and old.commit == head:
        return Outcome(ident, "current", before, head, f"{ident}: already at {head[:12]} ({member.ref})"), None, None
    if (
        same_source
        and old is not None
        and not accept_rewrite
        and not _reached(root, store, member.repository, old.commit)
    ):
        message = (
            f"{ident}: {_never_had(old.commit, member.repository, member.ref, head)}; run `servicebook federate "
            f"update --accept-rewrite {ident}` to lock {head[:12]} once you have checked it"
        )
        return _refused(ident, before, head, message), None, None
    if (same_source and old is not None and not accept_rewrite) and not is_ancestor(store, old.commit, head):
        message = (
            f"{ident}: the history of {member.ref} was rewritten: locked commit {old.commit[:12]} is not "
            f"an ancestor of the new head {head[:12]}; staying at {old.commit[:12]}"
        )
        return _refused(ident, before, head, message), None, None
    elsewhere = _catalog_elsewhere(store, head, member, f"staying at {before[:12]}" if before else "not locked")
    if elsewhere is not None:
        return _refused(ident, before, head, elsewhere), None, None
    read = read_member(root, member, head, member.path, generator, loader, cache)
    site, problems, failure = read.site, read.problems, read.failure
    if failure is not None:
        reason, _, detail = failure.partition(": ")
        where = f"no folder '{member.path}'" if reason == "path" else detail
        return _refused(ident, before, head, f"{ident}: cannot read commit {head[:12]}: {where}"), None, None
    if site is None:
        errors = tuple(p for p in problems if p.severity is Severity.ERROR)
        stay = f"staying at {before[:12]}" if before else "not locked"
        invalid = f"is not a valid catalog ({counted(len(errors), 'error')})"
        # the errors' paths (members/ID@COMMIT/…) are of no file here: say where they are, and what then
        fix = (
            f"its errors are at that commit of {member.repository}; once its team has fixed them there, run "
            f"`servicebook federate update {ident}` again"
        )
        message = f"{ident}: commit {head[:12]} of {member.ref} {invalid}; {stay}: {fix}"
        return _refused(ident, before, head, message, errors), None, None
    entry = Entry(member.repository, member.ref, member.path, head)
    moved = f"{before[:12]} → {head[:12]}" if before else f"locked at {head[:12]}"
    return Outcome(ident, "moved", before, head, f"{ident}: {moved} ({member.ref})"), entry, read


SHOWN_BRANCHES = 10


def _one_line(said: str) -> str:
    """git's message of several lines (`fatal: …`, `fatal: Could not read from remote repository.`,
    an empty line, advice) as one, so that the refusal's own advice after it stays on its line."""
    return " ".join(line.strip() for line in said.splitlines() if line.strip())


SHOWN_FOLDERS = 5


def _catalog_elsewhere(store: Path, head: str, member: model.Member, stay: str) -> str | None:
    """What to say of a member whose `head` has no catalog.yaml in the folder its `path:` names
    (its team moved the catalog, or the path was mistyped): the folders that have one, and the
    `path:` to write in the organisation's catalog.yaml, which only the organisation can change
    (the member's own catalog is not wrong); None when the folder has one, or when the head cannot
    be listed (reading it then says why)."""
    folder = posixpath.normpath(member.path or ".")
    inside = "" if folder == "." else f"{folder}/"
    if read_file(store, head, f"{inside}{CATALOG_FILE}", bare=True) is not None:
        return None  # (the usual case, asked without listing a tree that may be a large repository's)
    files = files_under(store, head, ".")
    if not files or f"{inside}{CATALOG_FILE}" in files:
        return None
    if inside and not any(f.startswith(inside) for f in files):
        problem = f"cannot read commit {head[:12]}: no folder '{member.path}'"
    else:
        problem = (
            f"commit {head[:12]} of {member.ref} has no {CATALOG_FILE} in the folder '{member.path}' (its `path:`)"
        )
    folders = sorted(f[: -len(CATALOG_FILE)].rstrip("/") or "." for f in files if f.rsplit("/", 1)[-1] == CATALOG_FILE)
    if not folders:
        return f"{member.id}: {problem}, nor has any other folder one; {stay}: ask its team where its catalog went"
    then = f"under the member '{member.id}' in catalog.yaml, then run `servicebook federate update {member.id}` again"
    if len(folders) == 1:
        return f"{member.id}: {problem}; {stay}: it has one in '{folders[0]}': write `path: {folders[0]}` {then}"
    shown = ", ".join(f"'{f}'" for f in folders[:SHOWN_FOLDERS]) + (", …" if len(folders) > SHOWN_FOLDERS else "")
    return f"{member.id}: {problem}; {stay}: it has one in {shown}: write the right one as `path:` {then}"


def _ref_hint(store: Path, address: str, ident: str) -> str:
    """What the repository has instead, and the `ref:` to write: the member's `ref` defaults to
    main, and a repository made by a plain `git init` has master."""
    found = branches(store, address)
    if found is None:
        return ""
    if not found.names:
        return "; it has no branches yet (nothing pushed?)"

    def say(ref: str) -> str:
        return f"write `ref: {ref}` under the member '{ident}' in catalog.yaml"

    if len(found.names) == 1:
        return f"; it has one branch, {found.names[0]}: " + say(found.names[0])
    shown = ", ".join(found.names[:SHOWN_BRANCHES]) + (", …" if len(found.names) > SHOWN_BRANCHES else "")
    if found.default in found.names:
        return f"; its branches: {shown}; its default is {found.default}: " + say(found.default)
    return f"; its branches: {shown}: name one as its `ref:` in catalog.yaml"


def _reached(root: Path, store: Path, repository: str, commit: str) -> bool:
    """Whether the member's cache has `commit`, fetched by its id when the followed ref did not
    bring it (a commit the ref no longer leads to may still be in the repository)."""
    return has_commit(store, commit) or fetch_commit(store, fetch_address(root, repository), commit)


def _never_had(commit: str, repository: str, ref: str, head: str) -> str:
    """A locked commit the member's repository does not have at all (git gives a commit the ref no
    longer leads to by its id while the repository keeps it): removed with a rewritten history, or
    never there (a lock edited by hand, or merged from elsewhere)."""
    return (
        f"locked commit {commit[:12]} is not in {repository}: {ref} (now {head[:12]}) does not lead to it, and the "
        "repository has no commit of that id: its history was rewritten and the commit removed, or "
        "servicebook.lock names a commit it never had (`git log -p servicebook.lock` shows who wrote it)"
    )


def _refused(ident: str, old: str | None, new: str | None, message: str, problems: tuple[Problem, ...] = ()) -> Outcome:
    return Outcome(ident, "refused", old, new, message, problems)


def fetch_locked(
    root: Path, members: Sequence[model.Member], lock: Lock, progress: Phases | None = None
) -> list[Outcome]:
    """Fetch every locked member whose locked commit is not in the cache (a fresh clone, CI), so
    that a build can read it; the lock does not move. A locked commit that the followed ref no
    longer reaches is reported (its history was rewritten). `progress` counts the members."""
    outcomes: list[Outcome] = []
    progress = progress or Phases()
    progress.enter("fetching members", total=len(members))
    for member in progress.counted(members):
        entry = lock.entries.get(member.id)
        if entry is None:
            outcomes.append(
                _refused(
                    member.id, None, None, f"{member.id}: not locked; run `servicebook federate update {member.id}`"
                )
            )
            continue
        store = store_of(root, member.id)
        if has_commit(store, entry.commit):
            outcomes.append(
                Outcome(member.id, "current", entry.commit, entry.commit, f"{member.id}: {entry.commit[:12]} is here")
            )
            continue
        try:
            prepare(store.parent)
            head = fetch(store, fetch_address(root, entry.repository), entry.ref).commit
        except MemberGitError as exc:
            what = (
                f"no branch or tag '{entry.ref}'"
                if exc.reason == "ref"
                else _one_line(exc.message) + folder_hint(root, entry.repository)
            )
            outcomes.append(
                _refused(member.id, entry.commit, None, f"{member.id}: cannot fetch {entry.repository}: {what}")
            )
            continue
        if not has_commit(store, entry.commit):
            if _reached(root, store, entry.repository, entry.commit):  # what the lock names is here: a build works
                message = (
                    f"{member.id}: locked commit {entry.commit[:12]} is no longer on {entry.ref} in "
                    f"{entry.repository} ({entry.ref} is now {head[:12]}: its history was rewritten); fetched it "
                    f"by its id; run `servicebook federate update --accept-rewrite {member.id}` once you have "
                    "checked the new history"
                )
                outcomes.append(Outcome(member.id, "kept", entry.commit, entry.commit, message))
                continue
            message = (
                f"{member.id}: {_never_had(entry.commit, entry.repository, entry.ref, head)}; run `servicebook "
                f"federate update --accept-rewrite {member.id}` to lock {head[:12]} once you have checked it"
            )
            outcomes.append(_refused(member.id, entry.commit, head, message))
            continue
        outcomes.append(
            Outcome(member.id, "current", entry.commit, entry.commit, f"{member.id}: fetched {entry.commit[:12]}")
        )
    _fetch_earlier(root, members, lock, outcomes)
    return outcomes


def _fetch_earlier(root: Path, members: Sequence[model.Member], lock: Lock, outcomes: list[Outcome]) -> None:
    """Fetch, by id, each commit an earlier servicebook.lock in the site's history held that the
    cache lacks: the changes page shows what each move of the lock changed, which takes both of
    its commits. A fresh clone gets them with the followed ref, but not one its ref no longer
    leads to (an accepted rewrite, a changed ref). One gone from the member's repository too is
    said in the member's line; the changes page then names the move without what it changed."""
    wanted = {o.member for o in outcomes if o.state in ("current", "kept")}
    earlier = _earlier_locked(root)
    for member in members:
        entry = lock.entries.get(member.id)
        if member.id not in wanted or entry is None:
            continue
        store = store_of(root, member.id)
        missing = [c for c in earlier.get(member.id, ()) if c != entry.commit and not has_commit(store, c)]
        gone = [c for c in missing if not fetch_commit(store, fetch_address(root, entry.repository), c)]
        if gone:
            at = next(i for i, o in enumerate(outcomes) if o.member == member.id)
            said = ", ".join(c[:12] for c in gone)
            outcomes[at] = dataclasses.replace(
                outcomes[at],
                message=f"{outcomes[at].message}; commits earlier locks held are gone from "
                f"{entry.repository} ({said}): the changes page names those moves without what they changed",
            )


def _earlier_locked(root: Path) -> dict[str, list[str]]:
    """member id → every commit servicebook.lock held for it in the site's first-parent history."""
    repo = open_repo(root)
    if repo is None or repo.head is None:
        return {}
    held: dict[str, list[str]] = {}
    for commit in read_log(repo, also=(LOCK_FILE,)):
        if not any(repo.path(LOCK_FILE) in (path, renamed) for _, _, path, renamed in commit.raw):
            continue
        data = read_file(root, commit.commit, f"./{LOCK_FILE}")
        if data is None:
            continue
        old, problems = lock_from_bytes(data)
        if problems:
            continue  # a lock of the past that does not read (with conflict markers, say)
        for ident, e in old.entries.items():
            if e.commit not in held.setdefault(ident, []):
                held[ident].append(e.commit)
    return held
