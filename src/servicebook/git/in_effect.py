"""The `promised` back end: which catalog was in effect at the end of a day, or at a time, from
the same first-parent history the changes page shows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from servicebook.catalog import model
from servicebook.catalog.basics import MAX_CATALOG_BYTES
from servicebook.errors import UsageProblem
from servicebook.git.blobs import read_blobs
from servicebook.git.log import Commit, apply_raw, read_log
from servicebook.git.releases import discover
from servicebook.git.repo import CATALOG_FILE, UNSHALLOW, Repo, not_in_git, open_repo
from servicebook.git.snapshots import is_page, page_slug, read_catalog
from servicebook.git.versions import Release


@dataclass(frozen=True, slots=True)
class Standing:
    """The release in force at a moment, as a build then would have published it under
    v/<version>/ (release tags matching the catalog's pattern, else a version's last commit), and
    whether the catalog in force is that release's or a later change."""

    in_force: Release | None  # None: no release had been made by then
    released: bool  # the catalog in force is the one of `in_force` (no later change to it)
    # what v/<version>/ of `in_force` publishes now, where that is another commit's catalog (a
    # version's release is its last commit until a tag fixes it, so later changes moved it)
    published_now: Release | None = None


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
    repo: Repo  # the repository it was read from: the command's next questions ask it, not git again
    invalid: tuple[tuple[str, dt.datetime | None, int], ...] = ()
    standing: Standing | None = None  # None: the releases could not be read
    later: Stamp | None = None  # the newest commit by then that changed a file `also` named, if after `commit`
    catalog_commit: str = ""  # set when `commit` names a later commit than the one catalog.yaml is of
    # (member id, its locked commit, named: who wrote it, when, why) on an organisation site
    members: tuple[tuple[str, Stamp], ...] = ()
    # a commit before `commit` on the history that changed the catalog but is dated after the moment
    # (the dates go backwards there: a committer's clock set wrong, a rebase that kept old dates)
    dated_later: Stamp | None = None
    coauthors: tuple[str, ...] = ()  # whom `commit`'s Co-authored-by trailers name, the author aside
    committer: str = ""  # who committed `commit`, where not its author (log.Commit)
    approvals: tuple[str, ...] = ()  # its Reviewed-by and Approved-by trailers (log.Commit)


@dataclass(frozen=True, slots=True)
class Stamp:
    """A commit as `promised` names it."""

    commit: str
    author: str
    date: dt.datetime | None
    message: str
    coauthors: tuple[str, ...] = ()


def catalog_at(root: Path, at: Moment, also: tuple[str, ...] = ()) -> CatalogAt:
    """What catalog.yaml said at `at` (the end of a day, UTC, or a time), from the history `load_timeline` reads
    (one git log, the same first-parent history as the changes page); with `also` (files relative
    to the site, such as servicebook.lock) the newest commit by then that changed one of them, when
    it is later than the catalog's, is `later`."""
    cutoff = at.cutoff
    repo = open_repo(root)
    if repo is None:
        raise UsageProblem(
            f"{not_in_git(root)}: `promised` reads the catalog's history; run it in a clone of the catalog's "
            "repository, or give the clone's folder with --source"
        )
    files: dict[str, str] = {}
    changed: list[tuple[Commit, str | None, tuple[str, ...]]] = []  # each commit touching the catalog
    catalog_path = repo.path(CATALOG_FILE)
    watched = {repo.path(path) for path in also}
    moved: Commit | None = None  # the newest commit before the cutoff that changed a file `also` names
    position: dict[str, int] = {}  # commit → its place on the history, oldest first
    for c in read_log(repo, also):
        position[c.commit] = len(position)
        apply_raw(files, c.raw, repo.prefix)
        in_time = c.date is not None and (cutoff is None or c.date < cutoff)
        if watched and in_time and any(watched & {path, new} for _, _, path, new in c.raw):
            moved = c
        if any(catalog_path in (path, new) for _, _, path, new in c.raw):
            slugs = tuple(sorted(page_slug(p) for p in files if is_page(p)))
            changed.append((c, files.get(CATALOG_FILE), slugs))
    if not changed:
        raise UsageProblem(f"no commit on the history of HEAD changed {catalog_path}")
    before = [entry for entry in changed if entry[0].date is not None and (cutoff is None or entry[0].date < cutoff)]
    first = changed[0][0]
    boundary = repo.shallow and not first.parents  # the clone's history starts there, not the catalog's
    if boundary and (not before or before[-1][0] is first):
        unknown = (  # the clone's first commit holds a catalog it may not have written: who did is unknown
            f"which commit made {CATALOG_FILE} what it was {at.on}" if before else f"what {CATALOG_FILE} said {at.on}"
        )
        raise UsageProblem(
            f"this shallow clone's history starts at commit {first.commit[:12]} of {utc_minute(first.date)}, so it "
            f"cannot tell {unknown}; fetch the whole history first: {UNSHALLOW}"
        )
    if not before:
        raise UsageProblem(
            f"no commit changed {CATALOG_FILE} {at.by}: the first that did is "
            f"{first.commit[:12]} of {utc_minute(first.date)} ({first.message})"
        )
    invalid: list[tuple[str, dt.datetime | None, int]] = []
    removed = None  # the commit that deleted the catalog before the invalid ones re-created it
    for c, blob, slugs in reversed(before):
        if blob is None:
            if not invalid:  # the catalog was deleted by then: nothing was promised
                raise UsageProblem(
                    f"there was no {CATALOG_FILE} {at.on}: commit {c.commit[:12]} of {utc_minute(c.date)} "
                    f"({c.message}) removed it"
                )
            removed = c
            break
        # a catalog larger than any may be is not read: it does not validate
        data = read_blobs(repo.root, [blob], largest=MAX_CATALOG_BYTES).get(blob, b"")
        catalog, errors = read_catalog(data, slugs, f"{c.commit[:12]}:{CATALOG_FILE}")
        if catalog is not None:
            standing = release_standing(repo, c.commit, cutoff, catalog.site.release_tags)
            later = None
            if moved is not None and position[moved.commit] > position[c.commit]:
                later = Stamp(moved.commit, moved.author, moved.date, moved.message, moved.coauthors)
            dated_later = next(
                (
                    Stamp(e.commit, e.author, e.date, e.message)
                    for e, _, _ in changed
                    if cutoff is not None
                    and position[e.commit] < position[c.commit]
                    and (e.date is None or e.date >= cutoff)
                ),
                None,
            )
            return CatalogAt(
                c.commit,
                c.author,
                c.date,
                c.message,
                catalog,
                repo,
                tuple(invalid),
                standing,
                later,
                dated_later=dated_later,
                coauthors=c.coauthors,
                committer=c.committer,
                approvals=c.approvals,
            )
        invalid.append((c.commit, c.date, len(errors)))
    newest = invalid[0]
    said = f"the catalog of commit {newest[0][:12]} of {utc_minute(newest[1])}, in effect {at.on}, does not validate"
    if removed is None:
        raise UsageProblem(f"{said}, nor does any before it: nothing valid was published by then")
    oldest = invalid[-1]
    raise UsageProblem(
        f"{said}, nor does any since commit {oldest[0][:12]} of {utc_minute(oldest[1])} added it again after commit "
        f"{removed.commit[:12]} ({removed.message}) removed it: nothing valid was in effect {at.on}"
    )


def catalogs_since(root: Path, commit: str) -> Iterator[model.Catalog]:
    """The valid catalogs of the commits after `commit` on the first-parent history of HEAD that changed
    catalog.yaml, newest first, each read only when asked for (`promised` follows an offering's renames
    back through them, and stops where it finds its id then)."""
    repo = open_repo(root)
    if repo is None:
        return
    files: dict[str, str] = {}
    changed: list[tuple[str, str | None, tuple[str, ...]]] = []
    catalog_path = repo.path(CATALOG_FILE)
    after = False
    for c in read_log(repo):
        apply_raw(files, c.raw, repo.prefix)
        if after and any(catalog_path in (path, new) for _, _, path, new in c.raw):
            slugs = tuple(sorted(page_slug(p) for p in files if is_page(p)))
            changed.append((c.commit, files.get(CATALOG_FILE), slugs))
        after = after or c.commit == commit
    for sha, blob, slugs in reversed(changed):
        if blob is None:
            continue
        data = read_blobs(repo.root, [blob], largest=MAX_CATALOG_BYTES).get(blob, b"")
        catalog, _ = read_catalog(data, slugs, f"{sha[:12]}:{CATALOG_FILE}")
        if catalog is not None:
            yield catalog


def offering_trail(root: Path, offering: str, commit: str) -> tuple[Stamp | None, Stamp | None, str | None]:
    """For an offering the catalog of `commit` does not have: the commit on the first-parent history
    of HEAD that removed it, at or before `commit` (the first after the last valid catalog that had
    it), and the one that added it after `commit` (the first whose valid catalog has it); None for
    either where there is none. Asked only when an auditor names such an offering, so it reads the
    catalogs one by one outward from `commit` and stops at the first that has it. Third: the
    offering the last catalog that had it before its removal named to use instead (its
    `replaced_by`), or None."""
    repo = open_repo(root)
    if repo is None:
        return None, None, None
    files: dict[str, str] = {}
    changed: list[tuple[Commit, str | None, tuple[str, ...]]] = []
    catalog_path = repo.path(CATALOG_FILE)
    for c in read_log(repo):
        apply_raw(files, c.raw, repo.prefix)
        if any(catalog_path in (path, new) for _, _, path, new in c.raw):
            changed.append((c, files.get(CATALOG_FILE), tuple(sorted(page_slug(p) for p in files if is_page(p)))))
    at = next((n for n, (c, _, _) in enumerate(changed) if c.commit == commit), None)
    if at is None:
        return None, None, None
    instead: list[str | None] = [None]  # the replaced_by of the last catalog read that had it

    def has_it(entry: tuple[Commit, str | None, tuple[str, ...]]) -> bool | None:  # None: no valid catalog
        c, blob, slugs = entry
        if blob is None:
            return False  # the catalog deleted: nothing promised
        data = read_blobs(repo.root, [blob], largest=MAX_CATALOG_BYTES).get(blob, b"")
        catalog, _ = read_catalog(data, slugs, f"{c.commit[:12]}:{CATALOG_FILE}")
        if catalog is None:
            return None
        had = next((o for o in catalog.offerings if o.id == offering), None)
        if had is not None:
            instead[0] = had.replaced_by
        return had is not None

    def stamp(c: Commit) -> Stamp:
        return Stamp(c.commit, c.author, c.date, c.message, c.coauthors)

    removed = None
    without = changed[at][0]  # the oldest valid catalog seen so far, going back, that lacks it
    for entry in reversed(changed[:at]):
        held = has_it(entry)
        if held:
            removed = stamp(without)
            break
        if held is not None:
            without = entry[0]
    replaced_by = instead[0] if removed is not None else None
    added = next((stamp(entry[0]) for entry in changed[at + 1 :] if has_it(entry)), None)
    return removed, added, replaced_by


def release_standing(repo: Repo | None, commit: str, cutoff: dt.datetime | None, pattern: str) -> Standing | None:
    """The release in force before `cutoff` (None: every release), and whether the catalog of
    `commit`, the one in force, is that release's."""
    found = discover(repo, pattern, until=cutoff)
    if found is None:
        return None
    place = found.positions
    in_force = max((c.release for c in found.choices), key=lambda r: place.get(r.commit, -1), default=None)
    released = in_force is not None and place.get(in_force.commit, -1) >= place.get(commit, 0)
    now = None
    if in_force is not None and cutoff is not None:
        every = discover(repo, pattern)
        same = (c.release for c in every.choices if c.release.version == in_force.version) if every else ()
        now = next((r for r in same if r.commit != in_force.commit), None)
    return Standing(in_force, released, now)


_LAST_SECOND = dt.datetime.max.replace(microsecond=0, tzinfo=dt.UTC)  # 9999-12-31 23:59:59 UTC


@dataclass(frozen=True, slots=True)
class Moment:
    """When `promised` is asked about: up to the end of a day (UTC), or a time (an auditor's
    "2026-11-03 14:00 UTC"), up to and including its second (git dates commits to the second)."""

    day: dt.date  # the day, or the UTC day the time falls on
    time: dt.datetime | None = None  # UTC; None: the whole day

    @property
    def cutoff(self) -> dt.datetime | None:
        """The first moment after it: commits before it were in effect then; None after the last
        day a date can name (every commit is)."""
        if self.time is None:
            return end_of_day(self.day)
        return None if self.time >= _LAST_SECOND else self.time + dt.timedelta(seconds=1)

    @property
    def shown(self) -> str:
        """`2026-11-03`, or `2026-11-03 14:00 UTC` (with its seconds when it has any)."""
        if self.time is None:
            return self.day.isoformat()
        form = "%Y-%m-%d %H:%M:%S" if self.time.second else "%Y-%m-%d %H:%M"
        return f"{self.time:{form}} UTC"

    @property
    def on(self) -> str:
        """`on 2026-11-03`, `at 2026-11-03 14:00 UTC`."""
        return f"{'on' if self.time is None else 'at'} {self.shown}"

    @property
    def by(self) -> str:
        """`on or before 2026-11-03`, `at or before 2026-11-03 14:00 UTC`."""
        return f"{'on' if self.time is None else 'at'} or before {self.shown}"

    @property
    def iso(self) -> str:
        """For tools: `2026-11-03`, or `2026-11-03T14:00:00Z`."""
        return self.day.isoformat() if self.time is None else f"{self.time:%Y-%m-%dT%H:%M:%SZ}"


# the last moment a date can name: every commit is in effect then (the catalog as it is now)
NEWEST = Moment(_LAST_SECOND.date(), _LAST_SECOND)


def end_of_day(day: dt.date) -> dt.datetime | None:
    """The first moment after `day` (UTC): commits before it were in effect at the end of the day.
    None for the last day a date can name (9999-12-31), which has no next midnight: every commit is."""
    if day == dt.date.max:
        return None
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def utc_minute(moment: dt.datetime | None) -> str:
    """A commit's date as `promised` shows it: UTC, to the minute."""
    return "an unknown date" if moment is None else moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
