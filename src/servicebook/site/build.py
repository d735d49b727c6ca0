"""The build, stage by stage. `check` is the same pipeline without the write stage, so the two
can never disagree about what is valid."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import itertools
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Collection, Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from servicebook import routes
from servicebook.cache.codec import read_json
from servicebook.cache.disk import prune_area
from servicebook.cache.folder import prepare, site_folder, user_cache
from servicebook.cache.releases import ReleaseTrees
from servicebook.cache.store import Entry as StoreEntry
from servicebook.cache.store import Store, prune_stores
from servicebook.catalog.basics import BuildInfo
from servicebook.catalog.model import SiteContent
from servicebook.catalog.records import RecordCache
from servicebook.collector import batch_collections, collect_after_first_build, collect_after_releases, held_to_the_end
from servicebook.content.htmlrefs import read_refs
from servicebook.content.sitelinks import locate_site_links
from servicebook.errors import BuildFailed, Problem, WriteFailed
from servicebook.git.history import HISTORY, Timeline, TimelineMemo, load_timeline, release_changes
from servicebook.git.releases import discover
from servicebook.git.repo import (
    BUILD_INPUTS,
    CATALOG_FILE,
    CONTENT_DIR,
    Repo,
    build_info,
    changed_since,
    open_repo,
    shallow_warning,
)
from servicebook.git.versions import release_summary
from servicebook.site import detached
from servicebook.site.buildcache import BuildCache
from servicebook.site.changes import HistoryMemo, HistoryView
from servicebook.site.fresh import KeptMemo, Options, PageMemory, Report, Survey, code_digest, list_sources, survey
from servicebook.site.heap import at_end_only, give_back
from servicebook.site.links import CheckedPaths, Trusted, check_files
from servicebook.site.load import BodySpool, ContentListed, Loaded, LoadMemo, PageStore, SpoolFailed, load
from servicebook.site.outputs import CatalogLines, ManifestLines, VersionPages, add_published_outputs
from servicebook.site.pagekeys import reuse_keys
from servicebook.site.paging import PartsMemo
from servicebook.site.parallel import worker_count
from servicebook.site.previews import sweep as sweep_previews
from servicebook.site.render import render_site, site_history
from servicebook.site.scans import Checking
from servicebook.site.search import SearchMemory
from servicebook.site.store import Remembering
from servicebook.site.tally import Tally
from servicebook.site.templates import DataSpec, PageSpec, RenderError, VersionContext, compile_theme
from servicebook.site.views import ViewMemo
from servicebook.site.write import MARKER, SiteFiles, write_failed, write_site

if TYPE_CHECKING:
    from servicebook.federation.review import LockHistory
    from servicebook.git.diff import Change
    from servicebook.site.releases import BuiltRelease

# Another servicebook's compiled templates (an upgrade, a second installation) are kept this long
# after their last use.
COMPILED_KEPT_DAYS = 30

# Options and Report are defined with stage 0 (fresh.py), which a no-change rebuild imports alone.
__all__ = ["Interrupted", "Options", "Report", "build", "check", "gather"]


def check(options: Options, repo: Repo | None) -> tuple[Loaded, Report]:
    """`build` without its write stage: every source loaded and validated, every file rendered in
    memory, the same path and link checks; nothing is written but the store. It reads only the
    working tree: no past releases (nothing links into v/ without them) and no history (the
    history's pages are rendered as a build outside git renders them: the changes page without
    entries). `repo`: what git says about the source (open_repo; None outside git).

    The pages are gathered through the store every build of the site shares (`_check_cache`), as
    a build gathers them: a page whose sources and servicebook are unchanged is taken from it,
    its located problems, anchors and links with it, and the pages read again are stored for
    the next check or build; the search index and catalog.json are made from what the last
    build or check stored of them, as a build's are. The store is a cache, not an output (mypy
    and ruff keep theirs): a hook that only ever checks gets faster on its second run. The
    verdict is the one a check without a store gives (the same keys and entries a build
    trusts); a store that cannot be read or written is done without."""
    # the collector's thresholds of a build: the default ones scan a large catalog's model again and
    # again while it is read (10,000 offerings: 14.9 → 14.2 CPU s, bench/README.md)
    batch_collections()
    # the pages' HTML in a spool, as a build's (load.BodySpool): a check holds their outlines only
    with _check_cache(options) as (cache, content), BodySpool() as bodies:
        store = cache.store if cache is not None else None
        loaded, report = gather(
            options,
            action="check",
            build=build_info(repo, options.env),
            cache=cache,
            store=store,
            content=content,
            spool=bodies,
        )
        assert loaded.site is not None
        timeline, versioning = Timeline(available=False), VersionContext()
        history = site_history(loaded.site, timeline, ())
        keys = _check_keys(cache, loaded, versioning, timeline, history) if cache is not None else None
        try:
            files = render_site(
                loaded.site,
                options.source,
                history=timeline,
                shown_history=history,
                versioning=versioning,
                checking=Checking(store, keys),  # each page's links and ids by its key, not its bytes
                workers=worker_count(options.env),
                source_prefix=repo.prefix if repo is not None else "",
                compiled=_compiled_templates(options),  # as a build's: `check` in CI or a hook is a process of its own
                # the search index made from the last index's words, catalog.json from its stored
                # sections, as a build's are (search.index_files, outputs.stored_sections)
                store=store,
                search_made_of=loaded.page_digests if store is not None else None,
                catalog_key=cache.hashes.get(CATALOG_FILE) if cache is not None and cache.hashes is not None else None,
            )
        except RenderError as exc:  # the warnings found so far are reported with it, not dropped for it
            raise BuildFailed((*report.warnings, *exc.problems), action="check") from None
        _complete(options, loaded, files, [], {})
        _verify(options, loaded, files, set(), (), report.warnings, action="check")
    return loaded, report


def _check_keys(
    cache: BuildCache, loaded: Loaded, versioning: VersionContext, timeline: Timeline, history: HistoryView | None
) -> Callable[[PageSpec], str] | None:
    """Each page's key as a build of the same sources has it (pagekeys.reuse_keys), by which a
    check keeps the page's links and ids (site/scans.py); None without the sources' hashes."""
    if cache.hashes is None:
        return None
    asked: dict[str, str] = {}

    def told(path: str, key: str) -> None:
        asked[path] = key

    answer = reuse_keys(told, cache.hashes, loaded, versioning, timeline, history)

    def key(spec: PageSpec) -> str:
        answer(spec)
        return asked.pop(spec.path)

    return key


@contextlib.contextmanager
def _check_cache(options: Options) -> Iterator[tuple[BuildCache | None, ContentListed | None]]:
    """A check's view of the site's store, with the hashes of the source files its page keys are
    made of, and content/ as listed to hash them (load.load takes it); (None, None) without a
    cache, or where the store cannot be opened. Opened without counting as a build
    (cache/store.py, *prune*), committed and closed at the end, whatever happens. Its damaged
    entries are not reported: a check's verdict is about the sources (such an entry is dropped,
    and its page made again, all the same)."""
    if not options.cache:
        yield None, None
        return
    with Store.for_site(options.source, counted=False) as store:
        if not store.usable:
            yield None, None
            return
        listed = list_sources(options.source, BUILD_INPUTS)
        hashes, _ = listed.hashed(None)
        yield BuildCache(store, hashes), listed.inside(CONTENT_DIR)
        store.prune_checked()  # a store no build opens is pruned by its checks (cache/store.py)


def gather(
    options: Options,
    *,
    action: str = "check",
    build: BuildInfo | None = None,
    cache: PageStore | None = None,
    meanwhile: Callable[[], object] | None = None,
    store: Store | None = None,
    spool: BodySpool | None = None,
    records: RecordCache | None = None,
    memo: LoadMemo | None = None,
    content: ContentListed | None = None,
) -> tuple[Loaded, Report]:
    """Stage 1: load and validate every source; raise BuildFailed with every problem, or report
    warnings. `meanwhile` is called while worker processes render pages, if they do (see map_shared).
    `records`: where the catalog's records are kept as it is read (load.load), for the releases'.
    `content`: content/ as the build's survey listed it (load.load)."""
    hashes = getattr(cache, "hashes", None)
    outlines = action == "build" and options.history and build is not None and build.commit is not None
    loaded = load(
        options.source,
        options.env,
        build=build,
        cache=cache,
        hashes=hashes,
        outlines=outlines,
        meanwhile=meanwhile,
        store=store,
        progress=options.progress,
        spool=spool,
        records=records,
        memo=memo,
        content=content,
    )
    failing = (options.strict and loaded.problems) or loaded.errors
    if loaded.site is None and not loaded.errors:
        # A refusal with nothing to show the user would read "build failed: ;" - that is our bug.
        raise RuntimeError("the sources were refused without an error to report")
    if failing or loaded.site is None:
        raise BuildFailed(loaded.problems, action=action)
    return loaded, Report(warnings=loaded.problems)


def build(options: Options, surveyed: Survey | None = None) -> Report:
    """Build the site into `options.output`: nothing at all when it is still what the last build
    made from the same inputs (stage 0, fresh.py; the build command asks that before importing
    this module, and passes its `Survey` on)."""
    batch_collections()
    # the releases' trees, held while the build reads and links them (cache/releases.py)
    with (
        surveyed or survey(options, open_repo(options.source)) as found,
        ReleaseTrees(site_folder(options.source)) as trees,
    ):
        unchanged = found.unchanged()
        if unchanged is not None:  # 0. nothing changed since the last build: keep it
            return unchanged
        cache = BuildCache.for_output(found)
        tally = Tally(cache)  # what was rendered again, what kept, and why: the report's (tally.py)
        had_site = (found.output / MARKER).is_file()
        # a serve rebuild gives back at its end alone (heap.py), a first build between stages too
        rebuilt = options.memory is not None and options.memory.manifest is not None
        try:
            with _bodies(options) as bodies, at_end_only(rebuilt):  # the pages' HTML from loading to rendering
                report = _build(options, found, cache, tally, bodies, trees)
        except KeyboardInterrupt:
            raise Interrupted(replaced=False, previous=had_site) from None
        except SpoolFailed as exc:  # the temporary folder's file system refused the pages' HTML
            cache.store.give_back_space()
            if options.memory is not None:  # serve: its memory of pages points into that spool
                options.memory.close()  # (the next build starts afresh, as serve's first)
            raise write_failed(exc, found.output, "cannot keep the pages' HTML in a temporary file") from None
        except (OSError, WriteFailed):
            cache.store.give_back_space()  # a build that failed writing (a full disk) holds no space
            raise
        give_back()  # what the build's stages held, freed when they returned (heap.py)
        try:
            cache.record(report)
            if cache.written is not None:  # so that the next build sees at a glance if nothing changed
                # with the output's folders only where this build found the output as the last
                # build left it, or none: a restored one (CI) is a copy the next job restores
                # again, at other inodes, and its folders' identities would be of no use there
                folders = cache.previous is None or cache.output_as_left()
                found.record_stamp(cache.written, report, folders=folders, settled=cache.settled_folders)
        except KeyboardInterrupt:
            raise Interrupted(replaced=True, previous=had_site) from None
        removed: list[str] = []
        if trees.held:  # a build that succeeded drops the releases no servicebook uses any more
            now = time.time()
            listing = trees.stale(now)
            if listing.stale:  # (a set of 5,000 pages is 11,000 files: seconds of a busy disk, said apart)
                options.progress.enter("removing old releases")
            removed = trees.prune(now, listing, detached.remove_tree)
        _prune_other_servicebooks(options.source, found.repo)
        if options.memory is None:  # (serve sweeps as it starts: previews.py)
            sweep_previews()  # what killed serves left in the temporary folder
        elif not rebuilt:  # serve's first build: its cycles freed, and the memory they held given back
            collect_after_first_build()
            give_back()
        options.progress.end()
        warnings = (*report.warnings, *cache.warnings())
        return dataclasses.replace(
            report,
            warnings=warnings,
            work=tally.work(),
            phases=options.progress.timings(),
            removed_releases=tuple(removed),
            unrecorded_output=had_site and cache.previous is None,
        )


def _prune_other_servicebooks(source: Path, repo: Repo | None) -> None:
    """After a successful build: the stores and the parsed history other servicebooks left that
    the cache's policy no longer keeps (cache/sets.py: a few files and folders listed)."""
    now = time.time()
    prune_stores(site_folder(source), now)
    if repo is not None:
        prune_area(repo.root, HISTORY, now)


@contextlib.contextmanager
def _bodies(options: Options) -> Iterator[BodySpool]:
    """Where the build keeps its pages' HTML (load.BodySpool): its own, or, in `serve`, the one
    its memory of pages shares with the process's other builds (closed with the memory)."""
    memory = options.memory
    if memory is None:
        with BodySpool() as bodies:
            yield bodies
        return
    if memory.bodies is None:
        memory.bodies = BodySpool()
    yield memory.bodies


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a build, saying which whole site the output holds: the previous one, or
    (interrupted while tidying up after the swap) the new one."""

    def __init__(self, *, replaced: bool, previous: bool = True) -> None:
        super().__init__()
        self.replaced = replaced
        self.previous = previous  # whether there was a previous site in the output


def _build(
    options: Options, found: Survey, cache: BuildCache, tally: Tally, bodies: BodySpool, trees: ReleaseTrees
) -> Report:
    output, info, repo = found.output, found.info, found.repo  # repo: what git said where the survey began
    progress = options.progress  # each stage below is a phase of the report (progress.py)

    # 1. gather and validate every source (all errors at once); unchanged pages come from the
    # store every build of the site shares (or, in `serve`, from memory)
    progress.enter("reading and checking")
    pages: PageStore = cache if options.memory is None else Remembering(options.memory, cache)
    # the command line's: what is loaded is kept to the end, never walked again (collector.py)
    with held_to_the_end(collect=cache.previous is None):
        try:
            # while workers render the pages' Markdown, this process compiles the theme's templates
            compiled = _compiled_templates(options)
            loaded, report = gather(
                options,
                action="build",
                build=info,
                cache=pages,
                meanwhile=functools.partial(compile_theme, compiled),
                store=cache.store,
                spool=bodies,
                # the releases' catalogs share most records with this one (releases.py, _summaries)
                records=cache.records if options.versions else None,
                memo=_load_memo(options.memory),
                content=found.listed.inside(CONTENT_DIR) if found.listed is not None else None,
            )
        finally:
            if isinstance(pages, Remembering):
                pages.commit()  # each page it holds is right for its key, whether or not the build goes on
    assert loaded.site is not None
    give_back()  # the pages' HTML and results on their way from the load workers (heap.py)
    # 2. past releases, each from its own revision (cached): the root build links to them
    releases: list[BuiltRelease] = []
    release_problems: list[Problem] = []
    # a shallow clone holds part of the history: releases before it are not published and the
    # changes page is truncated; never silently, and not at all under --strict
    shallow = shallow_warning(repo, building=True, releases=options.versions)
    if shallow is not None and (options.versions or options.history):
        release_problems.append(shallow)
    if options.versions:
        releases, skipped = _releases(
            options,
            repo,
            loaded.site.catalog.site.release_tags,
            cache,
            trees,
            found.tags,
            spool=bodies,
            compiled=compiled,
        )
        release_problems += skipped
        tally.releases = len(releases)
        if cache.built:  # what building them freed (their renders' pages and links), before the history and render
            collect_after_releases()  # (their cycles too)
            give_back()
    cache.releases_built()  # the loaded pages kept for HEAD's release let go, whether or not one was built
    if options.strict and release_problems:
        raise BuildFailed(release_problems)
    versioning = VersionContext(
        releases=tuple(r.release for r in releases),
        summaries=_summaries(repo, releases, cache.records, cache.store),
        unreleased=_unreleased(options.source, loaded.site.catalog.version, releases, loaded.site.build),
    )
    # the semantic history of the catalog and pages (one git log; parsed catalogs cached by blob id)
    progress.enter("history")
    timeline = (
        load_timeline(
            repo,
            loaded.site.build,
            outlines=loaded.outlines,
            more=_lock_history(options.source, loaded.site, cache),
            progress=progress,
            memo=_timeline_memo(options.memory),
            hashes=cache.hashes,
        )
        if options.history
        else None
    )
    # 3. render every file; nothing touches the output until all of it succeeded (a large site's
    # pages are rendered straight into a staging folder beside it, which becomes the new site or
    # is removed whatever happens; see write.SiteFiles and write.write_site)
    progress.enter("rendering")
    # made once: the keys and the pages show it (serve: the committed history's view as its last build made it)
    history_memo = _history_memo(options.memory)
    shown = site_history(loaded.site, timeline, versioning.releases, history_memo)
    with _spool(output, len(loaded.site.pages)) as spool:
        try:
            files = render_site(
                loaded.site,
                options.source,
                versioning=versioning,
                history=timeline,
                shown_history=shown,
                reuse=tally.watch(_reuse(cache, loaded, versioning, timeline, shown, spool)),
                workers=worker_count(options.env),
                source_prefix=repo.prefix if repo is not None else "",
                spool=spool,
                progress=progress,
                store=cache.store,
                compiled=compiled,
                search_texts=_search_memory(options.memory),
                search_made_of=loaded.page_digests,
                catalog_key=cache.hashes.get(CATALOG_FILE) if cache.hashes is not None else None,
                catalog_lines=_catalog_lines(options.memory),
                views=_views(options.memory),
                paging=_paging(options.memory),
                history_memo=history_memo,
                first=cache.previous is None,  # then nothing is kept (BuildCache.reuse)
                kept_files=options.memory.kept_files if options.memory is not None else None,
            )
        except RenderError as exc:
            raise BuildFailed((*report.warnings, *release_problems, *exc.problems)) from None
        except OSError as exc:  # the spool folder's file system refused a page (full, read-only)
            raise write_failed(exc, output) from None
        return _finish(options, output, cache, loaded, report, releases, release_problems, files, spool)


def _search_memory(memory: PageMemory | None) -> SearchMemory | None:
    """What the last search index of a long-running process was made of (`serve`), made empty by
    its first build."""
    if memory is None:
        return None
    if memory.search is None:
        memory.search = SearchMemory()
    return memory.search


def _load_memo(memory: PageMemory | None) -> LoadMemo | None:
    """What the last load of a long-running process found (`serve`), made empty by its first build."""
    if memory is None:
        return None
    if memory.load is None:
        memory.load = LoadMemo()
    return memory.load


def _timeline_memo(memory: PageMemory | None) -> TimelineMemo | None:
    """What the last timeline of a long-running process read of the committed history (`serve`),
    made empty by its first build."""
    if memory is None:
        return None
    if memory.timeline is None:
        memory.timeline = TimelineMemo()
    return memory.timeline


def _history_memo(memory: PageMemory | None) -> HistoryMemo | None:
    """The view of the committed history a long-running process's last build made (`serve`),
    made empty by its first build."""
    if memory is None:
        return None
    if memory.history is None:
        memory.history = HistoryMemo()
    return memory.history


def _catalog_lines(memory: PageMemory | None) -> CatalogLines | None:
    """The lines of catalog.json a long-running process keeps (`serve`), made empty by its first
    build."""
    if memory is None:
        return None
    if memory.catalog_lines is None:
        memory.catalog_lines = CatalogLines(hashes=True)  # (the manifest takes catalog.json's SHA-256 from it)
    memory.catalog_lines.digest = None  # (until this build makes catalog.json)
    return memory.catalog_lines


def _views(memory: PageMemory | None) -> ViewMemo | None:
    """The views of a long-running process's last build (`serve`), made empty by its first build."""
    if memory is None:
        return None
    if memory.views is None:
        memory.views = ViewMemo()
    return memory.views


def _paging(memory: PageMemory | None) -> PartsMemo | None:
    """How a long-running process's last build cut its paged lists (`serve`), made empty by its
    first build."""
    if memory is None:
        return None
    if memory.paging is None:
        memory.paging = PartsMemo()
    return memory.paging


def _compiled_templates(options: Options) -> Path | None:
    """Where the templates' compiled code is kept between builds (templates.environment): in the
    user's cache folder, shared by every site this user builds (the code of a template is the
    same for any site, and Jinja checks it against the template's text), apart for each
    servicebook (its code decides how a template compiles); None without a cache or where the
    folder cannot be made (each build then compiles them). Another servicebook's folder unused
    for COMPILED_KEPT_DAYS is removed."""
    top = user_cache(options.env)
    if not options.cache or top is None:
        return None
    folder = top / "templates" / code_digest()[:16]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        os.utime(folder)  # in use: see below
        too_old = time.time() - COMPILED_KEPT_DAYS * 86400
        for other in folder.parent.iterdir():
            if other != folder and other.stat().st_mtime < too_old:
                shutil.rmtree(other, ignore_errors=True)
    except OSError:
        return None
    return folder


def _lock_history(source: Path, site: SiteContent, cache: BuildCache) -> LockHistory | None:
    """An organisation site's history also shows what its members changed: each move of its lock."""
    if site.federation is None:
        return None
    from servicebook.federation.review import LockHistory  # organisation sites only: ~2.8 ms of start-up

    return LockHistory(source, cache.store, {t.id: t.name for t in site.federation.teams})


def _finish(
    options: Options,
    output: Path,
    cache: BuildCache,
    loaded: Loaded,
    report: Report,
    releases: list[BuiltRelease],
    release_problems: list[Problem],
    files: MutableMapping[str, bytes],
    spool: Path | None,
) -> Report:

    give_back()  # the rendered pages' results on their way from the render workers (heap.py)
    # 4. page images and attachments, as they are; the files made from the others
    known = cache.kept_hashes(routes.MANIFEST)
    hashed: dict[str, str] | None = {} if options.memory is not None else None  # serve: kept for the next build
    _complete(options, loaded, files, releases, known, hashed, _made_hashes(options.memory, files))
    if hashed is not None:
        cache.published_hashes(known, hashed)
    trees = {r.release.path: r.tree for r in releases}
    mounted, release_pages = _mounted(releases, options.memory)
    # 5. no escaping or colliding paths, no broken links (kept pages' own links were checked before)
    options.progress.enter("checking links")
    # a restamped page's links are its kept page's (the kept set itself when there is none: 40,000 at 20,000 pages)
    trusted = Trusted((cache.reused, cache.restamped)) if cache.restamped else cache.reused
    problems = (*report.warnings, *release_problems)
    _verify(options, loaded, files, mounted, trusted, problems, action="build", kept=cache.reused)
    # 6. swap the new site in whole (see write.py)
    options.progress.enter("writing")
    give_back(before_writing=True)  # where a serve rebuild's resident set peaks: what the stages freed (heap.py)
    # the command line's record of the spare the last build left (serve's is in its memory)
    journal = options.memory.spare if options.memory is not None else cache.spare_journal()
    cache.forget_manifest()  # until the new one is recorded, the cache describes no public/
    spare = cache.spare  # beside the output: where the site it replaces is kept for the next build
    if spare is not None:
        with contextlib.suppress(OSError):
            prepare(spare.parent)
    cache.written = write_site(
        files,
        output,
        trees,
        cache.reused,
        staging=spool,
        spare=spare,
        known=cache.kept_identities(),
        journal=journal,
        tree_files={r.release.path: r.files for r in releases if r.files is not None},  # as releases.py found them
        flat_trees=True,  # releases.py stores each release's tree flat (releases.stored_file)
    )
    if options.memory is None:
        cache.record_spare(journal)
    html = itertools.repeat(".html")  # the pages counted at once (45,000 files at 20,000 pages)
    return Report(
        warnings=(*report.warnings, *release_problems),
        files=len(files) + len(mounted),
        pages=sum(map(str.endswith, files, html)) + release_pages,
        release_pages=release_pages,
        releases=tuple(r.release.version for r in releases),
    )


class Mounted(Collection[str]):
    """The paths of the release trees in the site, each under its release's folder (`v/1.0/`):
    the releases' own sets of paths looked into, not a set of every path joined to its folder
    (11,000 strings at 5,000 pages, 1.5 MiB that `serve` held for as long as it ran)."""

    __slots__ = ("_apart", "_size", "_trees")

    def __init__(self, trees: tuple[tuple[str, frozenset[str]], ...]) -> None:
        self._trees = trees
        folders = [folder for folder, _ in trees]
        # a folder inside another (or twice) may hold a path twice: counted once, as in a set
        self._apart = len(set(folders)) == len(folders) and not any(
            a != b and a.startswith(b) for a in folders for b in folders
        )
        self._size = sum(len(paths) for _, paths in trees) if self._apart else len(set(self))

    def pages(self) -> int:
        """How many of the paths are pages."""
        if not self._apart:
            return sum(map(str.endswith, set(self), itertools.repeat(".html")))
        return sum(sum(map(str.endswith, paths, itertools.repeat(".html"))) for _, paths in self._trees)

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, str):
            return False
        return any(path.startswith(folder) and path[len(folder) :] in paths for folder, paths in self._trees)

    def __iter__(self) -> Iterator[str]:
        return (folder + path for folder, paths in self._trees for path in paths)

    def __len__(self) -> int:
        return self._size


def _mounted(releases: list[BuiltRelease], memory: PageMemory | None) -> tuple[Collection[str], int]:
    """The paths of the release trees in the site (each under its release's path), and how many
    of them are pages; a long-running process (`serve`) takes them as its last build made them
    while the releases are at the same paths with the very sets of paths they were made of
    (releases.CheckedReleases gives a release it took as it was as the same object): 40,000
    paths at 20,000 pages."""
    made_of = tuple((r.release.path, r.paths) for r in releases)
    last = memory.mounted if memory is not None else None
    if (
        last is not None
        and len(last[0]) == len(made_of)
        and all(a[0] == b[0] and a[1] is b[1] for a, b in zip(last[0], made_of, strict=True))
    ):
        return last[1], last[2]
    mounted = Mounted(made_of)
    pages = mounted.pages()
    if memory is not None:  # (holding the sets: no id of theirs is given to another while it does)
        memory.mounted = (made_of, mounted, pages)
    return mounted, pages


def _complete(
    options: Options,
    loaded: Loaded,
    files: MutableMapping[str, bytes],
    releases: list[BuiltRelease],
    kept_hashes: Mapping[str, str],
    hashed: dict[str, str] | None = None,
    made_hashes: Mapping[str, str] | None = None,
) -> None:
    """Stage 4, for build and check alike: the page assets, then the files made from all others
    (outputs.py: the version list with releases, and the manifest, last; the SHA-256 of the files
    it hashed into `hashed`, when given, those of `made_hashes` taken as they are)."""
    for asset in loaded.assets:
        files[routes.content_file(asset)] = (options.source / "content" / asset).read_bytes()
    files.update(loaded.member_files)  # an organisation site's members' page images and attachments
    made = [(r.release, r.paths) for r in releases]
    lines, versions = _manifest_lines(options), _version_pages(options)
    add_published_outputs(files, made, kept_hashes, hashed, lines, versions, made_hashes)


def _made_hashes(memory: PageMemory | None, files: Mapping[str, bytes]) -> dict[str, str]:
    """(`serve`) The SHA-256 of catalog.json as this build made it (outputs.CatalogLines
    `digest`, resumed from the last one's at the edited page's line), while the file this build
    has is of its size: the manifest does not read it back and hash its 8 MB (20,000 pages) again."""
    lines = memory.catalog_lines if memory is not None else None
    if lines is None or lines.digest is None:
        return {}
    (size, sha256), lines.digest = lines.digest, None
    if not isinstance(files, SiteFiles) or files.size(routes.CATALOG_JSON) != size:
        return {}
    return {routes.CATALOG_JSON: sha256}


def _version_pages(options: Options) -> VersionPages | None:
    """Each release's part of the last pages-by-version.json of a long-running process (`serve`),
    made empty by its first build."""
    memory = options.memory
    if memory is None:
        return None
    if memory.version_pages is None:
        memory.version_pages = VersionPages()
    return memory.version_pages


def _manifest_lines(options: Options) -> ManifestLines | None:
    """The lines of the last manifest.sha256 of a long-running process (`serve`), made empty by
    its first build."""
    memory = options.memory
    if memory is None:
        return None
    if memory.manifest_lines is None:
        memory.manifest_lines = ManifestLines()
    return memory.manifest_lines


def _verify(
    options: Options,
    loaded: Loaded,
    files: Mapping[str, bytes],
    mounted: Collection[str],
    trusted: Collection[str],
    warnings: tuple[Problem, ...],
    *,
    action: str,
    kept: Collection[str] = (),
) -> None:
    """Stage 5, for build and check alike: no escaping or colliding paths, no broken links (those
    made by a page's `site:` links reported at their place in its Markdown); BuildFailed with the
    `warnings` found so far and every problem. `kept`: the pages kept byte for byte from the
    last build (serve: the ids its link check read of them are taken again, links.check_links)."""
    memory = options.memory
    if memory is not None and memory.checked is None:
        memory.checked = CheckedPaths()
    checked = memory.checked if memory is not None else None  # serve: the paths its last build checked
    trusted = _still_trusted(trusted, loaded)
    problems = check_files(files, mounted, trusted, worker_count(options.env), checked, kept)
    problems = _located(problems, loaded, options.source, files)
    if problems:
        raise BuildFailed((*warnings, *problems), action=action)


def _still_trusted(trusted: Collection[str], loaded: Loaded) -> Collection[str]:
    """`trusted` (the pages kept from the last build, whose links are not read again) less the
    kept policy pages that link to an anchor of a page made again (`offering:ci#slo-x` when the
    offering's page changed): a page's key covers its own Markdown, not the ids of the pages it
    links into, which only the built site has."""
    if not trusted or loaded.site is None:
        return trusted
    again = [
        path
        for page in loaded.site.pages
        if page.fragment_targets
        and (path := routes.output_path(routes.policy(page.slug))) in trusted
        and not all(target in trusted for target in page.fragment_targets)
    ]
    if not again:
        return trusted
    return trusted.less_also(again) if isinstance(trusted, Trusted) else Trusted((trusted,), frozenset(again))


def _located(problems: list[Problem], loaded: Loaded, source: Path, files: Mapping[str, bytes]) -> list[Problem]:
    """Broken links that policy pages' `site:` links made, at their place in the Markdown."""
    if not problems or loaded.site is None:
        return problems

    return locate_site_links(
        problems, loaded.site.pages, lambda path: (source / path).read_text("utf-8-sig"), functools.partial(_ids, files)
    )


def _ids(files: Mapping[str, bytes], path: str) -> frozenset[str] | None:
    """The ids of the page at `path`: as its links' scan holds them (a check holds no page's
    bytes: render._check_pages), else read from it; None when the site has no such file."""
    scan = files.scans.get(path) if isinstance(files, SiteFiles) else None
    if scan is not None:
        return frozenset(name.decode() for name in scan.ids.split(b"\0") if name)
    return read_refs(files[path]).ids if path in files else None


SPOOL_FROM = 1000  # pages; below this, holding every page in memory costs little


@contextlib.contextmanager
def _spool(output: Path, pages: int) -> Iterator[Path | None]:
    """A staging folder for a large site's pages, named like write_site's own (recover() cleans up
    after a killed build); gone afterwards, swapped in as the new site or removed."""
    if pages < SPOOL_FROM:
        yield None
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    spool = Path(tempfile.mkdtemp(prefix=f".{output.name}.new-", dir=output.parent))  # recover() cleans it up
    try:
        yield spool
    finally:
        shutil.rmtree(spool, ignore_errors=True)


def _reuse(
    cache: BuildCache,
    loaded: Loaded,
    versioning: VersionContext,
    timeline: Timeline | None,
    history: HistoryView | None,
    spool: Path | None = None,
) -> Callable[[PageSpec | DataSpec], str | bytes | None] | None:
    """Pages of the last build that can be kept: those whose inputs are unchanged (each page's
    key covers what it shows, see pagekeys.py; not where the source folder is, which no page
    shows: a checkout cloned elsewhere, with the cache restored, keeps them too). A page kept
    with another footer filled in goes into the `spool` folder as it is made (write.Spooled)."""
    if cache.hashes is None or loaded.site is None:
        return None
    memory = cache.memory
    if memory is None:  # the command line: the last build's answers as the store kept them
        memo, kept, tokens = None, cache.kept_memo(), loaded.store_keys
    else:  # serve: the last build's keys, and its answers (fresh.KeptMemo)
        if memory.kept is None:
            memory.kept = KeptMemo()
        memo, kept, tokens = memory.keys, memory.kept, None
    again = cache.reuse_again if memory is not None else None
    return reuse_keys(
        cache.reuse,
        cache.hashes,
        loaded,
        versioning,
        timeline,
        history,
        restamp=cache.reuse_restamped if spool is None else functools.partial(cache.reuse_restamped, spool=spool),
        memo=memo,
        kept=kept,
        reuse_many=cache.reuse_many,
        recorded=cache.keys,
        tokens=tokens,
        reuse_again=again,
    )


def _releases(
    options: Options,
    repo: Repo | None,
    pattern: str,
    cache: BuildCache,
    trees: ReleaseTrees,
    tags: str | None = None,
    *,
    spool: BodySpool | None = None,
    compiled: Path | None = None,
) -> tuple[list[BuiltRelease], list[Problem]]:
    """Every release reachable from HEAD, built (or taken from the cache); unbuildable ones are
    reported, not silently dropped. `tags`: the tags as the survey listed them (serve), with
    which a long-running process takes the releases its last build found while HEAD's commit and
    the tags are the same (what git says of them is then the same: the commits are immutable).
    `compiled`: where the templates' compiled code is kept (`_compiled_templates`)."""
    memory = options.memory
    key = (repo, pattern, tags) if memory is not None and tags is not None else None
    if memory is not None and key is not None and memory.discovered is not None and memory.discovered[0] == key:
        found = memory.discovered[1]
    else:
        found = discover(repo, pattern)
        if memory is not None and key is not None:
            memory.discovered = (key, found)
    if found is None or repo is None:
        return [], []
    # sites with releases only: ~0.9 ms of start-up
    from servicebook.site.releases import CheckedReleases, build_releases

    checked = None  # serve: the releases its builds took as they were
    if memory is not None:
        if not isinstance(memory.releases, CheckedReleases):
            memory.releases = CheckedReleases()
        checked = memory.releases

    options.progress.enter("releases", total=len(found.choices))
    try:
        return build_releases(
            repo,
            found,
            trees,
            options.strict,
            store=cache,
            env=options.env,
            done=options.progress.advance,
            checked=checked,
            spool=spool,  # the build's (load.BodySpool): the releases' pages' HTML kept as the build's
            compiled=compiled,
        )
    except OSError as exc:  # the cache's or the temporary folder's file system refused a file (full, read-only)
        into = trees.folder.parent
        doing = f"cannot build the releases into {into} (from sources in {tempfile.gettempdir()})"
        raise write_failed(exc, options.output, doing) from None


def _unreleased(source: Path, version: str, releases: list[BuiltRelease], info: BuildInfo) -> str | None:
    """`version` when the current catalog says it but differs from its published release: a tag
    made it, and the sources changed after it without a new version."""

    release = next((r.release for r in releases if r.release.version == version), None)
    return version if release is not None and changed_since(source, release.commit, info) else None


SUMMARY_KIND = "release-summary"  # the store's entries: a release's summary, by its commit and the one before's


def _summaries(repo: Repo | None, releases: list[BuiltRelease], records: RecordCache, store: Store) -> dict[str, str]:
    """What changed between consecutive releases: the semantic diff of their catalogs (cached with
    the history's; read through the `records` this build read), and their published catalog.json
    for the policy pages. A summary depends on the two commits alone (and this servicebook, whose
    store it is): once made, it is taken from the `store`, and the releases' catalog.json (a MB
    each on a large catalog) are not read again when one more release is added."""
    commits = [built.release.commit for built in releases]
    keys = [f"{before}:{commit}" for before, commit in zip(["", *commits], commits, strict=False)]
    kept = store.get(SUMMARY_KIND, keys) if releases else {}
    out: dict[str, str] = {}
    changes: list[tuple[Change, ...] | None] | None = None
    documents: dict[int, dict[str, Any]] = {}

    def document(n: int) -> dict[str, Any]:
        if n not in documents:
            documents[n] = json.loads(releases[n].file("catalog.json").read_bytes())
        return documents[n]

    for n, (built, key) in enumerate(zip(releases, keys, strict=True)):
        said = _kept_summary(kept.get(key), key)
        if said is None:
            if changes is None:
                changes = release_changes(repo, commits, records)
            said = release_summary(changes[n], document(n - 1) if n else None, document(n))
            store.put(SUMMARY_KIND, key, StoreEntry(json.dumps({"releases": key, "summary": said})))
        out[built.release.version] = said
    return out


def _kept_summary(entry: StoreEntry | None, key: str) -> str | None:
    """A summary the store holds for `key`; None for one of another shape (a miss, as for every entry)."""
    if entry is None:
        return None
    try:
        kept = read_json(entry.data)
    except ValueError:
        return None
    if not isinstance(kept, dict) or kept.get("releases") != key or not isinstance(kept.get("summary"), str):
        return None
    return str(kept["summary"])
