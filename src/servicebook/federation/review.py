"""`diff` on a change to servicebook.lock: the semantic diff of every member that moved, each
change named by its team and its id on the organisation site, so a pull request that bumps the
lock says what the teams changed ("db-team lowered the Postgres availability SLO ...") and flags
weakened commitments as a change to the site's own catalog does; and what an organisation site
promised on a day (`promised`), its members at the commits the lock named then."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from servicebook.catalog import model
from servicebook.errors import UsageProblem
from servicebook.federation.lock import LOCK_FILE, Entry, lock_from_bytes
from servicebook.federation.members import CATALOG_FILE, store_of
from servicebook.federation.merge import merge
from servicebook.git.diff import Change, diff_catalogs
from servicebook.git.in_effect import CatalogAt
from servicebook.git.members import commit_before, read_file
from servicebook.git.snapshots import read_catalog


def lock_at(root: Path, commit: str | None) -> bytes | None:
    """servicebook.lock at `commit` of the site in `root` (None: the working tree's)."""
    if commit is None:
        path = root / LOCK_FILE
        return path.read_bytes() if path.is_file() and not path.is_symlink() else None
    return read_file(root, commit, f"./{LOCK_FILE}")


def lock_changes(root: Path, old: bytes | None, new: bytes | None, base: str, head: str) -> list[Change]:
    """The changes of every member between the lock `old` (at `base`) and `new` (at `head`)."""
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
            changes += _moved(root, ident, a, b)
    return changes


def _entries(data: bytes | None, shown: str) -> dict[str, Entry]:
    if data is None:
        return {}
    lock, problems = lock_from_bytes(data, shown)
    if problems:
        raise UsageProblem(f"{problems[0].location}: {problems[0].message}")
    return dict(lock.entries)


def _moved(root: Path, ident: str, a: Entry, b: Entry) -> list[Change]:
    moved = f"Member {ident} moved from {a.commit[:12]} to {b.commit[:12]}"
    head = [Change("member.moved", f"member:{ident}", "neutral", moved, a.commit, b.commit)]
    old, new = _member_catalog(root, ident, a), _member_catalog(root, ident, b)
    if old is None or new is None:
        return [*head, Change("member.invalid", f"member:{ident}", "neutral", f"{moved}: a catalog does not validate")]
    return head + [_scoped(ident, c) for c in diff_catalogs(old, new)]


def _member_catalog(root: Path, ident: str, entry: Entry) -> model.Catalog | None:
    """Member `ident`'s catalog at its locked commit, from the cache (None when it does not validate)."""
    store = store_of(root, ident)
    where = CATALOG_FILE if entry.path in ("", ".") else f"{entry.path.rstrip('/')}/{CATALOG_FILE}"
    data = read_file(store, entry.commit, where) if (store / "HEAD").is_file() else None
    if data is None:
        raise UsageProblem(
            f"member {ident}: commit {entry.commit[:12]} is not in the cache; "
            "run `servicebook federate fetch` (or `federate update`) first"
        )
    catalog, _ = read_catalog(data, (), f"members/{ident}@{entry.commit[:12]}/{CATALOG_FILE}")
    return catalog


def _scoped(ident: str, change: Change) -> Change:
    """A member's change as the organisation site names it: `offering:db-team/postgres`."""
    kind, colon, rest = change.subject.partition(":")
    subject = f"{kind}:{ident}/{rest}" if colon else f"{change.subject}:{ident}"
    return Change(change.kind, subject, change.effect, f"{ident}: {change.text}", change.before, change.after)


def organisation_at(root: Path, found: CatalogAt, day: dt.date) -> CatalogAt:
    """The catalog in effect at the end of `day` with the members the lock named then, each at its
    locked commit (`promised` on an organisation site); `found` itself for a site without members."""
    if not found.catalog.members:
        return found
    cutoff = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    commit = commit_before(root, int(cutoff.timestamp())) or found.commit
    lock = _entries(read_file(root, commit, f"./{LOCK_FILE}"), f"{commit[:12]}:{LOCK_FILE}")
    members = []
    for member in found.catalog.members:
        entry = lock.get(member.id)
        if entry is None:
            continue  # not locked yet on that day: the site had no records of it
        catalog = _member_catalog(root, member.id, entry)
        if catalog is not None:
            members.append((member, entry.commit, catalog))
    merged, _ = merge(found.catalog, members)
    return dataclasses.replace(found, catalog=merged)
