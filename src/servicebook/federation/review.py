"""`diff` on a change to servicebook.lock: the semantic diff of every member that moved, each
change named by its team and its id on the organisation site, so a pull request that bumps the
lock says what the teams changed ("db-team lowered the Postgres availability SLO ...") and flags
weakened commitments as a change to the site's own catalog does; and what an organisation site
promised on a day (`promised`), its members at the commits the lock named then."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from servicebook import routes
from servicebook.cache.codec import decode, encode, read_json
from servicebook.cache.digest import digest
from servicebook.cache.store import Entry as StoreEntry
from servicebook.cache.store import Store
from servicebook.catalog import model
from servicebook.errors import UsageProblem
from servicebook.federation.lock import LOCK_FILE, Entry, lock_from_bytes
from servicebook.federation.members import CATALOG_FILE, store_of
from servicebook.federation.merge import conflicts, merge
from servicebook.git.diff import Change, PageInfo, diff_catalogs, diff_pages, page_info, pages_follow_moves
from servicebook.git.in_effect import CatalogAt, Moment, Stamp, release_standing
from servicebook.git.members import (
    MemberCommit,
    commits_between,
    files_under,
    is_ancestor,
    member_commit,
    read_file,
    read_files,
)
from servicebook.git.repo import CONTENT_DIR
from servicebook.git.snapshots import is_page, page_slug, read_catalog


def lock_changes(
    root: Path, old: bytes | None, new: bytes | None, base: str, head: str, *, unread: list[str] | None = None
) -> list[Change]:
    """The changes of every member between the lock `old` (at `base`) and `new` (at `head`).
    A member commit missing from the cache is a UsageProblem; with `unread`, it is a change
    saying so instead, and the member's id is added to `unread`."""
    if old == new:
        return []
    before = _entries(old, f"{base}:{LOCK_FILE}")
    after = _entries(new, f"{head}:{LOCK_FILE}")
    changes: list[Change] = []
    for ident in sorted(set(before) | set(after)):
        a, b = before.get(ident), after.get(ident)
        subject = f"member:{ident}"
        if a is None and b is not None:
            text = f"Member {ident} added, at {b.commit[:12]} of {b.ref}"
            changes.append(Change("member.added", subject, "neutral", text, None, b.commit))
        elif b is None and a is not None:
            text = f"Member {ident} removed (was at {a.commit[:12]})"
            changes.append(Change("member.removed", subject, "weakened", text, a.commit, None))
        elif a is not None and b is not None and a.commit != b.commit:
            try:
                changes += _moved(root, ident, a, b)
            except UsageProblem:
                if unread is None:
                    raise
                unread.append(ident)
                text = (
                    f"Member {ident} moved from {a.commit[:12]} to {b.commit[:12]}; what it changed is not "
                    "shown: its commits are not in the cache"
                )
                changes.append(Change("member.moved", f"member:{ident}", "neutral", text, a.commit, b.commit))
    return changes


def disagreement_changes(
    root: Path, old: model.Catalog | None, new: model.Catalog | None, locks: tuple[bytes | None, bytes | None]
) -> list[Change]:
    """Where the teams of an organisation site come to disagree, or cease to, from `old` (with
    the lock `locks[0]`) to `new` (with `locks[1]`): the organisation deprecating a tool a member
    still supports is a change of neither's records alone, which the Teams page and every build
    warning will show, so the pull request says it. Nothing when either catalog did not validate,
    neither names members, or a member's locked commit is not in the cache (lock_changes says so)."""
    if old is None or new is None or not (old.members or new.members):
        return []
    try:
        before, after = _disagreements(root, old, locks[0], "base"), _disagreements(root, new, locks[1], "head")
    except UsageProblem:
        return []
    changes: list[Change] = []
    for key in sorted(before.keys() | after.keys()):
        a, b = before.get(key), after.get(key)
        subject = f"{key[0]}:{key[1]}"
        if b is not None and (a is None or a.message != b.message):
            text = f"Teams {'now' if a is None else 'still'} disagree: {b.message}"
            changes.append(Change("teams.disagree", subject, "neutral", text, a.message if a else None, b.message))
        elif a is not None and b is None:
            text = f"Teams no longer disagree: {a.message}"
            changes.append(Change("teams.agree", subject, "neutral", text, a.message, None))
    return changes


def _disagreements(
    root: Path, catalog: model.Catalog, lock: bytes | None, side: str
) -> dict[tuple[str, str], model.Conflict]:
    """The teams' disagreements with `catalog` and the members `lock` names, by kind and subject."""
    entries = _entries(lock, f"{side}:{LOCK_FILE}")
    owners: list[tuple[str, str, model.Catalog]] = [("", catalog.team.name, catalog)]
    for member in catalog.members:
        entry = entries.get(member.id)
        found = _member_catalog(root, member.id, entry) if entry is not None else None
        if found is not None:
            owners.append((member.id, found.team.name, found))
    return {(c.kind, c.subject): c for c in conflicts(owners)}


def _entries(data: bytes | None, shown: str) -> dict[str, Entry]:
    if data is None:
        return {}
    lock, problems = lock_from_bytes(data, shown)
    if problems:
        raise UsageProblem(f"{problems[0].location}: {problems[0].message}")
    return dict(lock.entries)


SHOWN_MEMBER_COMMITS = 3  # of a lock move, named with their authors; the rest counted


def _moved(root: Path, ident: str, a: Entry, b: Entry) -> list[Change]:
    (old, old_pages), (new, new_pages) = _member_at(root, ident, a), _member_at(root, ident, b)
    brought, by = _brought(root, ident, a, b)
    moved = f"Member {ident} moved from {a.commit[:12]} to {b.commit[:12]}" + brought
    head = [Change("member.moved", f"member:{ident}", "neutral", moved, a.commit, b.commit, by)]
    head += _rewritten(root, ident, a, b)
    # its policy pages' text too: a move that only edits a page is a change readers see
    own_pages = diff_pages(old_pages, new_pages, {})
    pages = [_scoped(ident, c, by) for c in own_pages]
    if old is None or new is None:
        invalid = Change("member.invalid", f"member:{ident}", "neutral", f"{moved}: a catalog does not validate")
        return [*head, invalid, *pages]
    return head + [_scoped(ident, c, by) for c in pages_follow_moves([*diff_catalogs(old, new), *own_pages])]


def _brought(root: Path, ident: str, a: Entry, b: Entry) -> tuple[str, str]:
    """The member's own commits a move brings in, named by their authors: the lock's commit is the
    organisation's (who moved the lock), and an auditor asking who lowered a member's SLO, and
    why, would otherwise have to find the member's repository. Also those authors, each once, in
    the order of their commits (newest first), as the history's "By" names them."""
    inside = "" if b.path in ("", ".") else f"{b.path.rstrip('/')}/"
    found = commits_between(store_of(root, ident), a.commit, b.commit, [inside + CATALOG_FILE, inside + CONTENT_DIR])
    if not found:
        return "", ""
    by = ", ".join(dict.fromkeys(c.author for c in found))
    named = [_named(c) for c in found[:SHOWN_MEMBER_COMMITS]]
    more = len(found) - len(named)
    if more:
        named.append(f"and {more} more")
    return (f"; its commit {named[0]}" if len(found) == 1 else f"; its {len(found)} commits: " + "; ".join(named)), by


def _rewritten(root: Path, ident: str, a: Entry, b: Entry) -> list[Change]:
    """A move to a commit that does not descend from the one locked before (the member's history
    rewritten, a force push that `federate update --accept-rewrite` took; or another branch
    followed): the member's commits the lock held that it leaves, which the member's repository
    may no longer have, so no fresh clone can show what was promised then. A commitment weakened,
    as a measurement snapshot edited is: what the site once said it was bound to, rewritten."""
    store = store_of(root, ident)
    if is_ancestor(store, a.commit, b.commit):
        return []
    inside = "" if b.path in ("", ".") else f"{b.path.rstrip('/')}/"
    left = commits_between(store, b.commit, a.commit, [inside + CATALOG_FILE, inside + CONTENT_DIR])
    how = (
        f"it now follows {b.ref} instead of {a.ref}"
        if a.ref != b.ref or a.repository != b.repository
        else f"its history on {b.ref} was rewritten (a force push)"
    )
    named = [_named(c) for c in left[:SHOWN_MEMBER_COMMITS]]
    if len(left) > len(named):
        named.append(f"and {len(left) - len(named)} more")
    dropped = (
        f"; the lock leaves {'its commit' if len(left) == 1 else f'its {len(left)} commits'} of the old history: "
        + "; ".join(named)
        if left
        else ""
    )
    text = (
        f"Member {ident}'s new commit {b.commit[:12]} does not descend from {a.commit[:12]}, the commit locked "
        f"before: {how}{dropped}. What it promised at those commits may be gone from its repository"
    )
    return [Change("member.rewritten", f"member:{ident}", "weakened", text, a.commit, b.commit)]


def _named(c: MemberCommit) -> str:
    when = f" of {c.date:%Y-%m-%d}" if c.date is not None else ""
    return f"{c.commit[:12]}{when} by {c.author}: {c.message}"


def _member_catalog(root: Path, ident: str, entry: Entry) -> model.Catalog | None:
    """Member `ident`'s catalog at its locked commit, from the cache (None when it does not validate)."""
    return _member_at(root, ident, entry)[0]


def _member_at(root: Path, ident: str, entry: Entry) -> tuple[model.Catalog | None, list[PageInfo]]:
    """Member `ident`'s catalog at its locked commit, from the cache (None when it does not
    validate), and its policy pages as the diff sees them."""
    store = store_of(root, ident)
    inside = "" if entry.path in ("", ".") else f"{entry.path.rstrip('/')}/"
    data = read_file(store, entry.commit, inside + CATALOG_FILE, bare=True) if (store / "HEAD").is_file() else None
    if data is None:
        raise UsageProblem(
            f"member {ident}: commit {entry.commit[:12]} is not in the cache; "
            "run `servicebook federate fetch` (or `federate update`) first"
        )
    # its offerings' `policies:` name its pages, which the catalog is checked against
    paths = [f"{CONTENT_DIR}/{f}" for f in files_under(store, entry.commit, inside + CONTENT_DIR)]
    slugs = [page_slug(p) for p in paths if is_page(p)]
    catalog, _ = read_catalog(data, slugs, f"members/{ident}@{entry.commit[:12]}/{CATALOG_FILE}")
    texts = read_files(store, entry.commit, [inside + p for p in paths if is_page(p)])
    pages = [page_info(p, page_slug(p), texts[inside + p]) for p in paths if is_page(p) and inside + p in texts]
    return catalog, pages


def _scoped(ident: str, change: Change, by: str = "") -> Change:
    """A member's change as the organisation site names it: `offering:db-team/postgres`, and the
    addresses a move names as the organisation site has them (`offerings/db-team/postgres/`, not
    the member's own site's `offerings/postgres/`); `by`, the member's authors who wrote it (the
    lock's commit is whoever moved the lock)."""
    kind, colon, rest = change.subject.partition(":")
    subject = f"{kind}:{ident}/{rest}" if colon else f"{change.subject}:{ident}"
    text = _MOVED_PAGE.sub(lambda m: f"{m[1]}{m[2]}{ident}/{m[3]} to {m[4]}{ident}/", change.text, count=1)
    return Change(change.kind, subject, change.effect, f"{ident}: {text}", change.before, change.after, by)


# what git/diff.py says of a record or page that moved: "(its page moves from offerings/a/ to offerings/b/"
_SECTIONS = "|".join(re.escape(page("x").removesuffix("x/")) for page in (routes.offering, routes.tool, routes.policy))
_MOVED_PAGE = re.compile(rf"(\(its page moves from )({_SECTIONS})(\S+) to ({_SECTIONS})")


def organisation_at(root: Path, found: CatalogAt, at: Moment) -> CatalogAt:
    """The catalog in effect at `at` (the end of a day, or a time) with the members the lock named then, each at its
    locked commit (`promised` on an organisation site); `found` itself for a site without members.
    `found` is read with servicebook.lock watched (`catalog_at(..., also=(LOCK_FILE,))`): when the
    lock moved after the catalog last changed, the commit named is that move, the one whose
    catalog and lock were both in effect, and the catalog's own commit is kept as `catalog_commit`."""
    if not found.catalog.members:
        return found
    if found.later is not None:
        later = found.later
        cutoff = at.cutoff
        found = dataclasses.replace(
            found,
            commit=later.commit,
            author=later.author,
            date=later.date,
            message=later.message,
            coauthors=later.coauthors,
            catalog_commit=found.commit,
            later=None,
            # the org's published state at that commit is a release only if the release has the lock too
            standing=release_standing(found.repo, later.commit, cutoff, found.catalog.site.release_tags),
        )
    # the lock at the commit in effect: no later commit before the day's end changed it
    lock = _entries(read_file(root, found.commit, f"./{LOCK_FILE}"), f"{found.commit[:12]}:{LOCK_FILE}")
    members = []
    for member in found.catalog.members:
        entry = lock.get(member.id)
        if entry is None:
            continue  # not locked yet on that day: the site had no records of it
        catalog = _member_catalog(root, member.id, entry)
        if catalog is not None:
            members.append((member, entry.commit, catalog))
    merged, _ = merge(found.catalog, members)
    named = tuple((m.id, _stamp(root, m.id, commit)) for m, commit, _ in members)
    return dataclasses.replace(found, catalog=merged, members=named)


def _stamp(root: Path, ident: str, commit: str) -> Stamp:
    """A member's locked commit as `promised` names it: the member's author, date and message."""
    found = member_commit(store_of(root, ident), commit)
    if found is None:  # read just now from the same cache: only a damaged cache gets here
        return Stamp(commit, "", None, "")
    return Stamp(found.commit, found.author, found.date, found.message)


LOCK_CHANGES = "a move of servicebook.lock"  # the store's kind of entry for what one changed


@dataclass(frozen=True)
class LockHistory:
    """What each move of servicebook.lock changed, as the organisation site's history (its
    changes page, its feed, each member record's history) shows it: every moved member's
    semantic changes, named as the site names its records (`offering:db-team/postgres`) and
    labelled with the team's name. A git.history.MoreChanges; the answers are kept in the site's
    store, keyed by the two locks' bytes (a member's commit never changes)."""

    root: Path
    store: Store | None = None
    names: Mapping[str, str] = field(default_factory=dict)  # member id → its team's name
    path: str = LOCK_FILE

    def changes(self, old: bytes | None, new: bytes | None) -> tuple[Change, ...]:
        if old == new:
            return ()
        key = digest(LOCK_FILE, *(b"-" if data is None else b"+" + data for data in (old, new)))
        found = self._recall(key)
        if found is None:
            unread: list[str] = []
            try:
                found = tuple(lock_changes(self.root, old, new, "before", "after", unread=unread))
            except UsageProblem:  # a lock of the past that does not read (say, with conflict markers)
                return ()
            if not unread and self.store is not None:
                self.store.put(LOCK_CHANGES, key, StoreEntry(json.dumps(encode(found), sort_keys=True)))
        return tuple(self._labelled(c) for c in found)

    def _recall(self, key: str) -> tuple[Change, ...] | None:
        if self.store is None:
            return None
        for entry in self.store.get(LOCK_CHANGES, [key]).values():
            try:
                return tuple(decode(tuple[Change, ...], read_json(entry.data)))
            except (ValueError, TypeError, KeyError):
                return None
        return None

    def _labelled(self, change: Change) -> Change:
        """`db-team: SLO …` as `Database Team: SLO …` (the subject keeps the id)."""
        ident, colon, rest = change.text.partition(": ")
        name = self.names.get(ident)
        if not colon or name is None or change.kind.startswith("member."):
            return change
        return dataclasses.replace(change, text=f"{name}: {rest}")
