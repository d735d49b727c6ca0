"""Build each of the catalog's releases (git/releases.py finds them) from its own revision, once.

A release's output depends only on its commit and on this servicebook (code and theme), so it is
cached under `.servicebook-cache/releases/<code>/<commit>/` (cache/releases.py owns where, and
when a set is dropped) and reused: a release is built once. The cached tree is flat: one
folder, each file named by its path (cache.folder.flat_name), not a folder per page as the
output has them (`stored_file`). Building it shares with the other
releases and the current catalog what they have in common (buildcache.py: pages and catalogs as
read; stamps.py: pages rendered from the same inputs; all in the one store, cache/store.py), so
the first build of twenty releases costs far less than twenty builds.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import glob
import json
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from servicebook import __version__, routes
from servicebook.cache.folder import flat_name, flat_path, make_folder, read_as_recorded
from servicebook.cache.releases import ReleaseTrees, remove_staging
from servicebook.catalog.basics import BuildInfo
from servicebook.errors import Problem, Severity, SourceLocation, counted
from servicebook.git.releases import CannotExport, Discovery, Sources
from servicebook.git.repo import SOURCE_PATHS, Repo
from servicebook.git.versions import MANIFEST, Release, manifest, outcome_notes
from servicebook.site.fresh import scan_sources
from servicebook.site.links import check_files
from servicebook.site.load import BodySpool, load
from servicebook.site.outputs import CatalogLines, add_published_outputs
from servicebook.site.paging import PartsMemo
from servicebook.site.parallel import worker_count
from servicebook.site.render import render_site
from servicebook.site.stamps import Carried, Restamp, Restamped
from servicebook.site.templates import DataSpec, PageSpec, RenderError, VersionContext
from servicebook.site.write import SiteFiles, umask_taken

if TYPE_CHECKING:
    from servicebook.site.buildcache import BuildCache

COMPLETE = ".complete"
# beside the marker (a name the tree's listings pass over, as they pass over the marker's): the
# declared inputs of each of the tree's complete data files, path → inputs, and the SHA-256s of
# its policy pages' HTML its build found without the stamp's placeholders (stamps.Carried
# `clean`), for the first release a later build makes (`_Donor`)
INPUTS = f"{COMPLETE}-inputs"
# A release lives at v/<version>/: its banner links up to the site root and its versions page, and
# the pages it publishes in place of those only the root has (routes.release_pointers) to the root's.
UP = "../" * routes.release("x").count("/")  # from a release's root up to the site's
OUTSIDE_LINKS = frozenset(UP + routes.output_path(url) for url in ("", *(p.url for p in routes.root_only())))


class LastMade:
    """What the release built before this one made that the next may take as it is, in a build
    with a store (a `verify` build, which has none, makes every file the ordinary way):
    - `data`: its data files that are all made of their declared inputs (outputs.DataOutput
      `complete`: the search index's files, schema.json), path → (inputs, bytes): one of the next
      release's with the same path and inputs is these very bytes (the same pipeline of the same
      code makes the same bytes of the same inputs; consecutive releases show most policy pages
      as they were, so most of the index's text fragments are the same);
    - `catalog`: catalog.json's lines, each offering's and tool's kept while its record is the very
      object (outputs.CatalogLines; records.py shares the records a release did not change);
    - `stored`: where it stored each of its files that is not a page (the search index's files,
      assets, the content's images and attachments), with the bytes and the identity written:
      the next release's file of the same path and bytes is a hard link to it (`_store`).
    - `paging`: how its paged lists were cut, from what (paging.PartsMemo, as `serve` keeps it):
      a list whose items are the very objects, or the whole catalog's rows that equal its, has
      its parts and pages' specs, whose keys (stamps.list_key) are then carried by identity.
    Only the last release's are held, and none of the last release built (`more`: whether a
    release is built after this one), which would keep its data files' bytes for nothing."""

    __slots__ = ("catalog", "data", "more", "paging", "stored")

    def __init__(self) -> None:
        self.more = True
        self.data: dict[str, tuple[str, bytes]] = {}
        self.catalog = CatalogLines()
        self.paging = PartsMemo()
        self.stored: dict[str, tuple[str, bytes, list[int]]] = {}  # path → (file, bytes, identity)


class CheckedReleases:
    """The cached releases a long-running process (`serve`) stored or took as they were, by their
    tree: the next build takes each as this one left it, without `_intact`'s `stat` of each of
    its files (11,000 at 5,000 pages) nor a second copy of its record, while nothing that could
    have changed it did:
    - the release's commit and this servicebook's code: its tree's folder is named by both
      (cache.releases `code_folder`, worked out once a process), so another commit or code is another tree;
    - another servicebook process (a `build`, `check` or `verify` in the same site) or a person
      removing, adding or renaming a file of the tree, or the tree itself (`_store` renames a
      new one in; deleting the cache removes it): the tree's folder changes (its inode, or its
      modification or change time), which `_witness` looks at;
    - a process recording what it checked (`_remember`) or replacing the marker: the marker's
      inode, size, modification or change time.
    What it does not see is a file of the tree written in place, through the tree or one of its
    hard links (the output of a `build` links them): that bytes of a published release were
    edited is then seen by the next `build` (whose check puts the tree right, renaming a new
    one in, which the next `serve` rebuild sees in turn) or by `verify`, not by `serve`, which
    shows its own output's links to the same files as they are. Each witness is read before
    the release is checked, so a change made while it is checked is seen by the next build."""

    __slots__ = ("trees",)

    def __init__(self) -> None:
        self.trees: dict[Path, tuple[tuple[int, ...], BuiltRelease]] = {}

    def get(self, target: Path, release: Release) -> BuiltRelease | None:
        """The release as this process last took it from `target`, if nothing changed it since."""
        kept = self.trees.get(target)
        if kept is None or _witness(target) != kept[0]:
            return None
        return kept[1] if kept[1].release == release else dataclasses.replace(kept[1], release=release)

    def note(self, built: BuiltRelease, witness: tuple[int, ...] | None) -> None:
        """`built` as taken from its tree, which `witness` (read before it was checked, or as it
        was stored: `_renamed_in`) describes."""
        if witness is None:
            self.trees.pop(built.tree, None)
        else:
            self.trees[built.tree] = (witness, built)


def _witness(tree: Path) -> tuple[int, ...] | None:
    """What changes when a file of `tree` is added, removed or renamed, when the tree is replaced
    or removed, and when its marker is rewritten (see CheckedReleases); None when it cannot be read."""
    try:
        folder, marker = tree.stat(), (tree / COMPLETE).lstat()
    except OSError:
        return None
    return (
        folder.st_dev,
        folder.st_ino,
        folder.st_mtime_ns,
        folder.st_ctime_ns,
        marker.st_ino,
        marker.st_size,
        marker.st_mtime_ns,
        marker.st_ctime_ns,
    )


class _Donor:
    """A release tree an earlier build of this servicebook stored (the newest of its set but the
    one being built), whose complete data files a release built first in a build may take: a
    commit to one policy page changes one of the search index's text fragments, and the release
    of HEAD's version (made from the last commit that carries it) is otherwise made again from
    nothing, every fragment made anew of a page whose HTML is as it was. The tree's set is this
    servicebook's code's (cache.releases `code_folder`), so a file of the same path and declared
    inputs is these very bytes, as `LastMade.data` has it from one release to the next in a build;
    it is taken only while it is still the file the tree's record names (the size and
    modification time `_store` recorded: a published copy edited in place is not the file)."""

    __slots__ = ("clean", "identities", "inputs", "restamp", "tree")

    def __init__(
        self,
        tree: Path,
        inputs: Mapping[str, str],
        identities: Mapping[str, object],
        clean: set[str],
        restamp: Restamp | None = None,
    ) -> None:
        self.tree, self.inputs, self.identities, self.clean = tree, inputs, identities, clean
        self.restamp = restamp  # its stamped pages, for the release's own (stamps.Restamp)

    def take(self, path: str, inputs: str) -> tuple[str, bytes, list[int]] | None:
        """The file at `path` as `LastMade.stored` holds one (its name, bytes and identity), when
        the donor's was made of the same `inputs` and is still as stored; None otherwise."""
        if self.inputs.get(path) != inputs:
            return None
        name = f"{self.tree}/{flat_name(path)}"
        read = read_as_recorded(name, self.identities.get(path))
        if read is None:
            return None
        data, info = read
        return name, data, [info.st_size, info.st_mtime_ns, info.st_ino]


def _donor(target: Path) -> _Donor | None:
    """The tree of the set `target` is in that a build stored last (its INPUTS written last),
    other than `target`, with its record and inputs; None when there is none that can be read."""
    newest: tuple[int, str] | None = None
    try:
        with os.scandir(target.parent) as entries:
            for entry in entries:
                if entry.name == target.name or entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
                    continue
                try:
                    when = Path(entry.path, INPUTS).lstat().st_mtime_ns
                except OSError:
                    continue
                if newest is None or (when, entry.name) > newest:
                    newest = (when, entry.name)
    except OSError:
        return None
    if newest is None:
        return None
    tree = target.parent / newest[1]
    try:
        record = json.loads((tree / INPUTS).read_text("utf-8"))
        identities = json.loads((tree / COMPLETE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not (isinstance(record, dict) and isinstance(identities, dict)):
        return None
    inputs, clean = record.get("inputs"), record.get("clean")
    if not (isinstance(inputs, dict) and isinstance(clean, list)):
        return None
    kept = {k: v for k, v in inputs.items() if isinstance(v, str)}
    pages, stamp = record.get("pages"), record.get("stamp")
    restamp = Restamp(tree, pages, stamp, identities) if isinstance(pages, dict) and isinstance(stamp, dict) else None
    return _Donor(tree, kept, identities, {c for c in clean if isinstance(c, str)}, restamp)


class _Reuse:
    """render_site's `reuse` for a release: the data files of `LastMade.data` whose inputs are the
    same, else of the `donor`'s (a release built first in a build: `_Donor`), noting the declared
    inputs of every complete data file it is asked about."""

    __slots__ = ("asked", "donor", "last")

    def __init__(self, last: LastMade, donor: _Donor | None = None) -> None:
        self.last, self.donor = last, donor
        self.asked: dict[str, str] = {}

    def __call__(self, job: PageSpec | DataSpec) -> bytes | None:
        if not isinstance(job, DataSpec) or not job.complete:
            return None
        self.asked[job.path] = job.inputs
        kept = self.last.data.get(job.path)
        if kept is not None and kept[0] == job.inputs:
            return kept[1]
        taken = self.donor.take(job.path, job.inputs) if self.donor is not None else None
        if taken is None:
            return None
        self.last.stored[job.path] = taken  # linked to, not written again (`_store`)
        return taken[1]

    def keep(self, files: Mapping[str, bytes]) -> None:
        """This release's complete data files, for the next."""
        self.last.data = {path: (inputs, files[path]) for path, inputs in self.asked.items() if path in files}


@dataclass(frozen=True, slots=True)
class BuiltRelease:
    release: Release
    tree: Path  # folder holding the release's files (in the cache), flat: see `stored_file`
    paths: frozenset[str] = field(default_factory=frozenset)
    # path → (size, modification time, inode) of each file of `tree`, as found when it was
    # checked or written: the write stage links them without listing the tree again (None: list it)
    files: Mapping[str, list[int]] | None = None
    # `_witness` of `tree` right after this build stored it (CheckedReleases), None otherwise
    witness: tuple[int, ...] | None = field(default=None, compare=False)

    def file(self, path: str) -> Path:
        """Where the file at site path `path` of this release is in its cached tree."""
        return stored_file(self.tree, path)


def build_releases(
    repo: Repo,
    found: Discovery,
    trees: ReleaseTrees,
    strict: bool,
    *,
    store: BuildCache | None = None,
    env: Mapping[str, str] | None = None,
    only: frozenset[str] | None = None,
    done: Callable[[], object] | None = None,
    checked: CheckedReleases | None = None,
    spool: BodySpool | None = None,
    compiled: Path | None = None,
) -> tuple[list[BuiltRelease], list[Problem]]:
    """Every release (or those in `only`), oldest first, each from the first of its options that
    builds; what could not be built, or was passed over, is reported, never silently dropped.
    `done` is called after each release (the build's progress). `checked`: the releases a
    long-running process took as they were (`serve`: CheckedReleases). `trees`: where the
    releases are kept, held (ReleaseTrees.hold) from here until the caller closes it. `spool`:
    where the releases' pages' HTML is kept as they are loaded (`build_release`). `compiled`:
    where the templates' compiled code is kept (templates.environment): a release built before
    the current catalog renders a page would otherwise compile the theme from its text."""
    trees.hold()
    trees.current(option.commit for choice in found.choices for option in choice.options)
    problems = [
        Problem(SourceLocation("git"), n.message, n.hint, Severity.WARNING, subject=n.subject, kind=n.kind)
        for n in found.notes
    ]
    built: list[BuiltRelease] = []
    carried = Carried()  # consecutive releases share most records: each is keyed once (stamps.py)
    last = LastMade() if store is not None else None
    with trees.sources() as (folder, kept):
        sources = Sources(folder, kept=kept)  # moved from release to release by what changed
        wanted = [c for c in found.choices if only is None or c.version in only]
        for n, choice in enumerate(wanted):
            carried.more = n + 1 < len(wanted)  # the last one's pages are carried to no release
            if last is not None:
                last.more = carried.more  # nor its files
            failed: dict[str, list[Problem]] = {}
            published: BuiltRelease | None = None
            for option in choice.options:
                carried.restamped = None  # (its render records its own: never another release's)
                result, issues = build_release(
                    repo,
                    option,
                    trees,
                    strict,
                    store=store,
                    env=env,
                    carried=carried,
                    last=last,
                    sources=sources,
                    checked=checked,
                    spool=spool,
                    compiled=compiled,
                )
                if store is not None:
                    store.commit()
                if result is not None:
                    published = result
                    break
                failed[option.commit] = issues
            why = {c: "; ".join(p.message.removeprefix("release ") for p in issues) for c, issues in failed.items()}
            notes = outcome_notes(choice, published.release if published else None, why)
            problems += [
                Problem(SourceLocation("git"), n.message, n.hint, Severity.WARNING, subject=n.subject, kind=n.kind)
                for n in notes
            ]
            if published is not None:
                built.append(published)
            else:  # no option builds: each one's own report
                problems += [p for issues in failed.values() for p in issues]
            if done is not None:
                done()
        sources.remember()  # (for the next build's first release: git.releases `_sync`)
    if store is not None:
        store.releases_built()
    built.sort(key=lambda b: (found.positions.get(b.release.commit, -1), b.release.version))
    return built, problems


def stored_file(tree: Path, path: str) -> Path:
    """Where the file at site path `path` of a release is in its cached `tree` (flat: one folder,
    each file named by its path, cache.folder.flat_name; the write stage links from it)."""
    return tree / flat_name(path)


def build_release(
    repo: Repo,
    release: Release,
    trees: ReleaseTrees,
    strict: bool,
    *,
    store: BuildCache | None = None,
    env: Mapping[str, str] | None = None,
    carried: Carried | None = None,
    last: LastMade | None = None,
    sources: Sources | None = None,
    checked: CheckedReleases | None = None,
    spool: BodySpool | None = None,
    compiled: Path | None = None,
) -> tuple[BuiltRelease | None, list[Problem]]:
    """The release's files, from the cache or built from its revision; problems become warnings.

    With a `store` (see buildcache.py), pages and catalogs that an earlier build of the same bytes
    loaded are taken from it; the output is the same, byte for byte, with or without it.
    `carried`: what the release built before it keyed its pages from (stamps.Carried); `last`:
    what it made that this one may take as it is (LastMade); `sources`: the folder the release's
    sources are moved into from the last release's (git.releases.Sources), else a folder of its own.
    `checked` (serve): the releases the process took as they were, which it takes again while
    nothing changed them (CheckedReleases); a release taken from the cache is noted in it.
    `spool`: where the release's pages' HTML is kept as they are loaded (load.BodySpool), not in
    its pages: the build's own, which outlives every page result the store's memory may give
    another load of the same build (a spool of the release's own, closed after it, left them
    pointing nowhere); each distinct HTML is kept once, so the pages HEAD's release shares with
    the working tree's cost nothing more.
    """

    target = trees.tree(release.commit)
    cache_root = trees.cache_root
    if checked is not None:
        known = checked.get(target, release)
        if known is not None:
            return known, []
    witness = _witness(target) if checked is not None else None  # before the check (CheckedReleases)
    if (target / COMPLETE).is_file():
        kept = _intact(target)
        if kept is not None:
            built = BuiltRelease(release, target, frozenset(kept), kept)
            if checked is not None:
                checked.note(built, witness)
            return built, []
    # a build with a store writes the stamped pages into the tree's staging folder as each is
    # made (stamps.render_stamped `into`), not holding them all until it is stored (`_store`)
    staging = _staging(target, cache_root) if store is not None else None
    try:
        made, problems = _build_release(
            repo, release, target, cache_root, strict, store, env, carried, last, sources, staging, spool, compiled
        )
        if checked is not None and made is not None:  # taken as it was stored by the next build
            checked.note(made, made.witness)
        return made, problems
    finally:
        if staging is not None:  # (renamed to `target` once stored)
            shutil.rmtree(staging, ignore_errors=True)


def _build_release(
    repo: Repo,
    release: Release,
    target: Path,
    cache_root: Path,
    strict: bool,
    store: BuildCache | None,
    env: Mapping[str, str] | None,
    carried: Carried | None,
    last: LastMade | None,
    sources: Sources | None,
    staging: Path | None,
    spool: BodySpool | None = None,
    compiled: Path | None = None,
) -> tuple[BuiltRelease | None, list[Problem]]:
    """`build_release` of a release not taken from the cache, its stamped pages written into
    `staging` as each is made, when given (the tree `_store` renames in)."""
    where = SourceLocation(f"release {release.version} ({release.commit[:12]})")
    severity = Severity.ERROR if strict else Severity.WARNING
    with contextlib.ExitStack() as stack:
        if sources is None:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="servicebook-release-"))
            sources = Sources(Path(tmp) / "src")
        try:
            source = sources.at(repo, release.commit)
        except CannotExport as exc:
            return None, [
                Problem(
                    where,
                    f"release cannot be built: {exc}",
                    "fix it in a new release; old releases are not rewritten",
                    severity,
                    kind="release-not-built",
                )
            ]
        info = BuildInfo(commit=release.commit, dirty=False, date=release.date, generator=f"servicebook {__version__}")
        hashes, records = None, None
        if store is not None:
            store.built += 1
            hashes = _source_hashes(sources)
            records = store.records
        loaded = load(
            source,
            env or {},
            build=info,
            cache=store,
            hashes=hashes,
            release=True,
            members_cache=repo.root,
            store=store.store if store is not None else None,
            records=records,
            spool=spool,
        )
        if loaded.site is None:
            first = loaded.errors[0] if loaded.errors else None
            detail = f": {first.location}: {first.message}" if first else ""
            return None, [
                Problem(
                    where,
                    f"release cannot be built ({counted(len(loaded.errors), 'error')}){detail}",
                    "a published release is never rewritten: fix it in a later commit, or tag an earlier commit "
                    "of this version that builds (docs/versions-and-releases.md)",
                    severity,
                    kind="release-not-built",
                )
            ]
        reuse = _reuse(last, target, carried, loaded.page_digests)
        hashed: dict[str, str] = {}  # the SHA-256s of the stamped pages restamped (stamps.Carried `hashed`)
        try:
            files = render_site(
                loaded.site,
                source,
                versioning=VersionContext(current=release.version, releases=()),
                reuse=reuse,
                workers=worker_count(env or {}),
                stamped=store,
                carried=carried,
                source_prefix=repo.prefix,
                catalog_lines=last.catalog if last is not None else None,
                paging=last.paging if last is not None else None,
                into=staging,
                compiled=compiled,
            )
        except RenderError as exc:
            return None, [
                Problem(
                    where,
                    f"release cannot be rendered: {exc.problems[0].message}",
                    None,
                    severity,
                    kind="release-not-rendered",
                )
            ]
        if carried is not None:  # (never another release's)
            hashed, carried.hashed = carried.hashed, {}
        if reuse is not None:
            if reuse.last.more:
                reuse.keep(files)
            else:  # the release before's, for no release after this one
                reuse.last.data = {}
        # Hosts serve the root's 404.html for every missing path; a release's own would never be.
        placed = files.file("404.html")
        files.pop("404.html", None)
        if placed is not None:
            placed.unlink()
        for asset in loaded.assets:
            files[routes.content_file(asset)] = (source / "content" / asset).read_bytes()
        files.update(loaded.member_files)  # an organisation site's members' page images and attachments
        problems = check_files(files, OUTSIDE_LINKS, workers=worker_count(env or {}))
        if problems:
            return None, [
                Problem(
                    where,
                    f"release has broken links: {problems[0].message}",
                    None,
                    severity,
                    kind="release-broken-links",
                )
            ]
    add_published_outputs(files, known=hashed)
    stored = last.stored if last is not None else None
    record = None
    if reuse is not None:  # (a build with a store: see INPUTS)
        clean = carried.clean if carried is not None else set()
        restamped = carried.restamped if carried is not None else None
        record = (reuse.asked, sorted({p.html_sha256 for p in loaded.site.pages} & clean), restamped)
        if carried is not None:
            carried.restamped = None
    written, witness = _store(
        files, target, cache_root, stored, staging, keep=last is not None and last.more, record=record
    )
    return BuiltRelease(release, target, frozenset(files), written, witness), []


def _reuse(last: LastMade | None, target: Path, carried: Carried | None, shows: Mapping[str, str]) -> _Reuse | None:
    """What a release's render takes of the last release's (`last`), and for the first release a
    build makes (`last` holds no release's), of the newest tree of this servicebook's set
    (`_Donor`); `carried` is told what each policy page of the release shows of itself to the
    pages that list it (load.Loaded `page_digests`: stamps.Carried `shows`)."""
    if carried is not None:
        carried.shows, carried.hashed = shows, {}
    if last is None:
        return None
    donor = _donor(target) if not last.data and not last.stored else None
    if donor is not None and carried is not None:
        carried.clean |= donor.clean
        carried.restamp = donor.restamp
    return _Reuse(last, donor)


def _source_hashes(sources: Sources) -> dict[str, str]:
    """What `scan_sources` finds in the folder of the release's sources (each file's git blob id,
    in the order it lists them): the ids git gave the files a move or a sync wrote there
    (`Sources.blobs`: they hold those blobs' bytes, no attribute applying), not every file read
    and hashed again; in a repository of SHA-256 objects, or after an export, the scan's."""
    blobs = sources.blobs
    if blobs is None or not all(len(blob) == 40 for blob in blobs.values()):  # scan_sources' are SHA-1's
        return scan_sources(sources.folder, SOURCE_PATHS)[0]
    order = {top: n for n, top in enumerate(SOURCE_PATHS)}
    return {path: blobs[path] for path in sorted(blobs, key=lambda p: (order[p.split("/", 1)[0]], p.split("/")))}


def _staging(target: Path, cache_root: Path) -> Path:
    """A new folder beside `target` to write the release's tree into (`_store` renames it in).
    One a killed build of the same release left (SIGKILL: no `finally` ran; it may hold every
    stamped page of the release) is removed first: a build writes into its own as it renders,
    so one unchanged for cache.releases STAGING_LEFT_SECONDS is no other process's at work (a
    successful build removes those of every release: ReleaseTrees.prune). It is never taken as
    the release's tree: only a folder named `target` with its COMPLETE record is."""
    make_folder(target.parent, cache_root)  # a file where a folder of the cache goes is removed
    remove_staging(target.parent, time.time(), glob.escape(target.name))
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))


def _store(
    files: SiteFiles,
    target: Path,
    cache_root: Path,
    stored: dict[str, tuple[str, bytes, list[int]]] | None = None,
    staging: Path | None = None,
    *,
    keep: bool = True,
    record: tuple[Mapping[str, str], list[str], Restamped | None] | None = None,
) -> tuple[dict[str, list[int]], tuple[int, ...] | None]:
    """Write the release into the cache atomically (a half-written entry is never used), flat
    (`stored_file`: one folder, not a `mkdir` per page); the identity of each file written (see
    `_intact`), and the tree's witness as stored (`_renamed_in`). `stored` (LastMade.stored):
    the files the release before stored that are not pages; one of this release's with the same
    path and bytes is linked to it while it is still the file written (its identity), and
    `stored` becomes this release's (or, not to `keep`, empty: no release is built after it).
    `staging`: the folder to write into (`_staging`), where the files that `files` has there are
    already (one of them that is the stored file's bytes is linked to it all the same).
    `record`: the declared inputs of its complete data files (`_Reuse.asked`), the SHA-256s
    of its pages' HTML found without the stamp's placeholders and where its stamped pages show
    the stamp (stamps.Restamped), kept beside the marker (INPUTS) for the first release a later
    build makes (`_Donor`)."""
    given = staging is not None
    if staging is None:
        staging = _staging(target, cache_root)
    last = stored or {}
    try:
        written: dict[str, list[int]] = {}  # as `_identities` reads them, from each file as it is written
        for path in sorted(files):  # plain strings: a release is thousands of files
            name = f"{staging}/{flat_name(path)}"
            there = files.file(path)
            if there is not None and str(there) == name:  # written as it was made (render_*`into`)
                kept = last.get(path)
                info = os.lstat(name)
                if kept is not None and info.st_size == kept[2][0] and _same_bytes(name, kept[1]):
                    os.unlink(name)  # noqa: PTH108 - plain strings, as below
                    if _link(kept, name):
                        written[path] = kept[2]
                        continue
                    _write(name, kept[1])  # (the same bytes)
                    info = os.lstat(name)
                written[path] = [info.st_size, info.st_mtime_ns, info.st_ino]
                continue
            data, kept = files[path], last.get(path)
            linked = kept is not None and (kept[1] is data or kept[1] == data) and _link(kept, name)
            written[path] = kept[2] if linked and kept is not None else _write(name, data)
        if given:  # a page written as it was made and then dropped from `files` is no file of the tree
            names = {flat_name(path) for path in written}
            with os.scandir(staging) as entries:
                dropped = [entry.path for entry in entries if entry.name not in names]
            for path in dropped:
                os.unlink(path)  # noqa: PTH108 - plain strings, as above
        if record is not None:
            inputs = {path: record[0][path] for path in sorted(record[0]) if path in written}
            pages = record[2].record(written) if record[2] is not None else {}
            (staging / INPUTS).write_text(json.dumps({"inputs": inputs, "clean": record[1], **pages}), "utf-8")
        (staging / COMPLETE).write_text(json.dumps(written), "utf-8")  # renaming keeps them
        witness = _renamed_in(staging, target)
    except BaseException:  # a full disk: the half-written release holds no space
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if stored is not None:
        stored.clear()
    if stored is not None and keep:
        for path, identity in written.items():
            if not path.endswith(".html"):
                name = f"{target}/{flat_name(path)}"
                # one written into the staging folder as it was made is read where it is now
                data = files[path] if files.file(path) is None else Path(name).read_bytes()
                stored[path] = (name, data, identity)
    return written, witness


def _renamed_in(staging: Path, target: Path) -> tuple[int, ...] | None:
    """Rename the complete tree `staging` to `target`, in place of what is there; the tree's
    witness (`_witness`, for CheckedReleases) as read after the rename when it is the very tree
    written (as read in `staging`, its marker written): the same folder, of the same entries,
    and the same marker, only the folder's change time the rename's. None when anything else
    changed it in between."""
    before = _witness(staging)
    if target.is_symlink() or target.is_file():  # (a link restored into the cache: never what it names)
        target.unlink()
    elif target.exists():
        shutil.rmtree(target)
    os.rename(staging, target)
    after = _witness(target)
    if before is None or after is None or before[:3] != after[:3] or before[4:] != after[4:]:
        return None
    return after


def _same_bytes(path: str, data: bytes) -> bool:
    """Whether the file at `path` holds exactly `data`."""
    with open(path, "rb") as file:
        return file.read(len(data) + 1) == data


def _link(kept: tuple[str, bytes, list[int]], path: str) -> bool:
    """Hard-link `path` to the stored file `kept` names, if it is still the file written (the same
    size, modification time and inode, a plain file); False (nothing left at `path`) otherwise."""
    try:
        os.link(kept[0], path)
    except OSError:  # gone, another file system, too many links: written instead
        return False
    try:
        info = os.lstat(path)
        if [info.st_size, info.st_mtime_ns, info.st_ino] == kept[2] and stat.S_ISREG(info.st_mode):
            return True
    except OSError:
        pass
    os.unlink(path)  # noqa: PTH108 - plain strings, by the thousand; never written through: the link is the stored file of the release before
    return False


def _write(path: str, data: bytes) -> list[int]:
    """Write a new file (as `open(path, "wb")` would: the umask applies); its size, modification
    time and inode once written, as `_identities` reads them."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        info = os.fstat(fd)
    finally:
        os.close(fd)
    return [info.st_size, info.st_mtime_ns, info.st_ino]


def _intact(tree: Path) -> dict[str, list[int]] | None:
    """The files of a cached release (path → size, modification time, inode) when it still
    matches its own manifest, else None. Published files are hard links into the cache, so an
    edit to a published copy must not leak into the next build. The files are read and hashed
    again only when one of them is not as it was when the release was stored or last checked
    (the size and modification time that `_store` records in the COMPLETE marker, with the
    inode): an edit in place or a replacement changes the modification time. A copy that kept
    both, as a CI cache restores the folder (a tar archive, `cp -a`: new inodes), is the file
    it copies, as git and rsync take it; its record is left as it is (the inode is not asked,
    and a restore gives new ones every time: rewriting it in every CI job would buy nothing).
    Each recorded file is looked at by its path (one `lstat`, no listing of the tree's
    folders): a file someone added to the tree is not one of the release's, and the write stage
    links the files returned, not what the tree holds. A tree that is a symbolic link (a cache
    restored from a job someone else controlled) is none: what it names is never read, changed
    or published."""
    if tree.is_symlink():
        return None
    try:
        recorded = json.loads((tree / COMPLETE).read_text("utf-8"))
    except (OSError, ValueError):
        recorded = None
    kept = _as_recorded(str(tree), recorded) if isinstance(recorded, dict) and recorded else None
    if kept is not None:
        return kept
    now = _identities(tree, recorded if isinstance(recorded, dict) else {})
    if now is None:
        return None
    files = read_tree(tree, now)
    if manifest(files) != files.get(MANIFEST):
        return None
    _remember(tree, now)  # checked whole: remember how its files are now
    return now


def _remember(tree: Path, identities: Mapping[str, list[int]]) -> None:
    """Record in the tree's COMPLETE marker the identity of each of its files as found now."""
    with contextlib.suppress(OSError):
        temp = tree / f"{COMPLETE}.{os.getpid()}.tmp"
        temp.write_text(json.dumps(identities), "utf-8")
        temp.replace(tree / COMPLETE)


def _as_recorded(tree: str, recorded: Mapping[str, object]) -> dict[str, list[int]] | None:
    """The identity of each file `recorded` (path → identity, as `_identities` reads it) when
    each is a plain file under `tree` of the size and modification time recorded (its inode
    may be another: a copy); None otherwise. The record is read back from the cache folder: a
    path that leaves the tree, or an identity of another shape, is a record to distrust."""
    try:
        fd = os.open(tree, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        return _recorded_in(fd, recorded)
    finally:
        os.close(fd)


def _recorded_in(fd: int, recorded: Mapping[str, object]) -> dict[str, list[int]] | None:
    """`_as_recorded` of the tree open as `fd`: each file looked at by its name in that folder
    (plain strings, one pass: 11,000 files a release at 5k, no path walked from the root)."""
    found: dict[str, list[int]] = {}
    look, regular = functools.partial(os.stat, dir_fd=fd, follow_symlinks=False), stat.S_ISREG
    taken = umask_taken()
    for path, identity in recorded.items():
        if not (
            type(identity) is list
            and len(identity) == 3
            and type(identity[0]) is int
            and type(identity[1]) is int
            and type(identity[2]) is int
        ):
            return None
        within = f"/{path}/"  # a part "", "." or "..", or a leading "/"
        if "//" in within or "/./" in within or "/../" in within:
            return None
        try:
            info = look(flat_name(path))  # one name: flat_name escapes "/"
        except (OSError, ValueError):  # ValueError: a NUL in the path, which no name holds
            return None
        if info.st_size != identity[0] or info.st_mtime_ns != identity[1] or not regular(info.st_mode):
            return None
        if info.st_mode & taken:  # stored by a build before the umask fix: see `_tightened`
            _tightened(flat_name(path), info.st_mode, taken, fd)
        found[path] = identity if info.st_ino == identity[2] else [info.st_size, info.st_mtime_ns, info.st_ino]
    return found


def _identities(tree: Path, recorded: Mapping[str, object]) -> dict[str, list[int]] | None:
    """path → (size, modification time, inode) of every file of a release tree but its marker,
    each named by its path (`stored_file`; a long path's name, which cannot be read back, by the
    paths `recorded`); None when the tree holds anything else (a folder, a link, a name no path
    has): it is not a tree `_store` wrote."""
    long = {flat_name(path): path for path in recorded if isinstance(path, str)}
    found: dict[str, list[int]] = {}
    taken = umask_taken()
    with os.scandir(tree) as entries:
        for entry in entries:
            if entry.name.startswith(COMPLETE):
                continue
            path = flat_path(entry.name) or long.get(entry.name)
            if path is None or not entry.is_file(follow_symlinks=False):
                return None
            info = entry.stat(follow_symlinks=False)
            if info.st_mode & taken:  # stored by a build before the umask fix: see `_tightened`
                _tightened(entry.path, info.st_mode, taken)
            found[path] = [info.st_size, info.st_mtime_ns, info.st_ino]
    return dict(sorted(found.items()))


def _tightened(path: str, mode: int, taken: int, fd: int | None = None) -> None:
    """A stored release's file without the permissions the umask takes away (`taken`): a build
    before the umask fix, under umask 000, stored them 0666, and a build links them into the site
    (anyone on the machine could change a published release). Its change time moves, not its
    modification time: it is the same file to `_intact`. One that cannot be changed is left (the
    site's own check, write.py `_tighten`, is once per site)."""
    with contextlib.suppress(OSError):
        os.chmod(path, stat.S_IMODE(mode) & ~taken, dir_fd=fd)


def read_tree(tree: Path, paths: Iterable[str]) -> dict[str, bytes]:
    """The bytes of each file `paths` names in the release tree `tree`."""
    return {path: stored_file(tree, path).read_bytes() for path in sorted(paths)}
