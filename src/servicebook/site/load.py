"""Gather every source of a site and check all of it: the first half of every build and `check`.

Nothing is written here. The result is either a complete, consistent `SiteContent` or the full
list of problems (errors and warnings), each with its file, line and column.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import itertools
import operator
import os
import posixpath
import re
import stat
import tempfile
import time
from collections.abc import Callable, Collection, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from servicebook import routes
from servicebook.cache.store import Store
from servicebook.catalog import model
from servicebook.catalog.basics import CATALOG_TOO_BIG, MAX_CATALOG_BYTES, BuildInfo
from servicebook.catalog.crossrefs import CrossRef, catalog_refs
from servicebook.catalog.read import CatalogRead, read_catalog
from servicebook.catalog.records import RecordCache
from servicebook.catalog.validate import (
    CONTENT_DEPTH_HINT,
    ID_RE,
    MAX_CONTENT_DEPTH,
    PAGE_REFS,
    RESERVED_IDS,
    Checked,
    check_catalog,
    check_left_out_references,
    check_page_meta,
    check_raw_references,
    check_written_references,
    name_hint,
    name_shown,
    names_unknown_pages,
    read_record,
    renamed_page_hint,
    renamed_pages_hinted,
    renamed_records_hinted,
    salvage_record,
    unportable,
)
from servicebook.content.markdown import (
    MAX_PAGE_BYTES,
    NO_OUTLINE,
    AnchorRef,
    LinkTargets,
    Outline,
    PackedRefs,
    Written,
    check_anchor_refs,
    locate_ref,
    render,
)
from servicebook.errors import Problem, Severity, SourceLocation
from servicebook.git.repo import build_info, open_repo, own_repository, unchecked_submodule
from servicebook.git.revisions import uncommitted_page_moves
from servicebook.git.snapshots import PageOutline, git_blob_id
from servicebook.measure.snapshot import read_all as read_snapshots
from servicebook.progress import Phases
from servicebook.site.links import SettledAnchors
from servicebook.site.parallel import map_shared, worker_count
from servicebook.site.search import page_parts
from servicebook.site.templates import blocks_left_out
from servicebook.source.yaml import (
    Node,
    SourceError,
    SourceText,
    comment_traps,
    no_front_matter_hint,
    parse_yaml,
    read_text,
    split_front_matter,
)

if TYPE_CHECKING:
    from datetime import date

    from servicebook.federation.assemble import Gathered

CATALOG_FILE = "catalog.yaml"
CONTENT_DIR = "content"
LAYOUTS_DIR = "layouts"
MAX_ASSET_BYTES = 10 * 1024 * 1024
# Git LFS keeps a file in git as a pointer of about 130 bytes (git-lfs' spec: at most 1024),
# which a checkout without LFS, `git archive` (a release) and a member's export leave in its place
MAX_LFS_POINTER = 1024
_LFS_POINTER = b"version https://git-lfs.github.com/spec/"


def _lfs_pointer(path: Path) -> bool:
    """Whether the file at `path` is a Git LFS pointer (not a link: its caller lstat-ed it)."""
    try:
        with path.open("rb") as f:
            return f.read(len(_LFS_POINTER)) == _LFS_POINTER
    except OSError:
        return False


MAX_CONTENT_FILES = 50_000


@dataclass(frozen=True, slots=True)
class Loaded:
    """The outcome of loading: the site (None if any error) and every problem found."""

    site: model.SiteContent | None
    problems: tuple[Problem, ...]
    assets: tuple[str, ...] = ()  # files under content/ the pages use, to copy as they are
    # slug → hash of what views of other pages can see of it (source, front matter, headings)
    page_digests: Mapping[str, str] = field(default_factory=dict)
    outlines: tuple[PageOutline, ...] = ()  # every loaded page, as the history sees it
    # an organisation site's: its members' page images and attachments, (site path, bytes)
    member_files: tuple[tuple[str, bytes], ...] = ()
    # a member's references to other member teams' records (db-team/postgres), which the
    # organisation site checks (federation/crossrefs.py)
    cross_refs: tuple[CrossRef, ...] = ()
    # slug → the store key each page was loaded under (read back or rendered and stored): a page
    # of the same key is the same page (its key covers all it is made from), so a command-line
    # build tells an unchanged page by it (pagekeys.reuse_keys `tokens`); empty without a cache
    store_keys: Mapping[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]


def load(
    root: Path,
    env: Mapping[str, str],
    *,
    build: BuildInfo | None = None,
    cache: PageStore | None = None,
    hashes: Mapping[str, str] | None = None,
    outlines: bool = False,
    meanwhile: Callable[[], object] | None = None,
    release: bool = False,
    federate: bool = True,
    members_cache: Path | None = None,
    store: Store | None = None,
    member: model.Member | None = None,
    progress: Phases | None = None,
    records: RecordCache | None = None,
    spool: BodySpool | None = None,
    memo: LoadMemo | None = None,
    content: ContentListed | None = None,
) -> Loaded:
    """Read and check catalog.yaml, content/ and the snapshots under measurements/; see the
    module docstring.

    `build` replaces what git and the environment say about the source (for past releases, and
    so that a build asks git only once). With `cache` and the `hashes` of the source files (see
    buildcache.py), pages whose bytes and link targets are unchanged are not rendered again.
    With `outlines`, the result also gives each page as the history sees it (Loaded.outlines).
    `meanwhile` is called while worker processes render pages, if they do (see map_shared).
    `release`: the source is a past release (see validate.check_catalog).
    An organisation site's members are read at their locked commits and merged into its catalog
    (federation/), from the cache of `members_cache` (default: `root`), what was found of each
    at its commit kept in `store` (default: that site's own); `federate=False` reads a member
    itself, whose own members are not gathered, and `member` says which member it is: its pages'
    links lead where the organisation site publishes what they name (routes.member_link).
    `progress` is told how many pages are read again (not taken from the store), and each as it is.
    `records`: the records of the catalogs read so far (a past release's catalog shares most of
    them with the other releases'): the catalog is read record by record when every record reads
    cleanly, each distinct record once (catalog/read.py).
    `spool`: where the pages' HTML is kept, as each page is loaded, instead of in the pages
    (model.Page `spooled`; valid while the spool is open).
    `memo`: what the last load of this process found (`serve`; see LoadMemo), taken again where
    its inputs are the same, and replaced with what this load finds.
    `content`: content/ as the build's survey listed it (its files and folders, `ContentListed`),
    so that it is not listed again.
    """
    problems: list[Problem] = []
    if build is None:
        build = build_info(open_repo(root), env)
    today = build.date.date() if build.date else None

    read = _read_catalog(root, problems, cache, hashes, records, release=release)
    pages_found, assets = _scan_content(root, problems, memo, content)
    _check_layouts(root, problems)
    problems.extend(_own_repositories(root, build))
    slugs = sorted(pages_found)

    catalog = None
    federation: model.Federation | None = None
    member_pages: tuple[model.Page, ...] = ()  # an organisation site's members' pages, under their prefix
    member_files: tuple[tuple[str, bytes], ...] = ()
    # Without a readable catalog, references to offerings and tools cannot be judged: accept them
    # rather than bury the catalog's own errors under a false error for every link.
    offering_ids: Container[str] = _ANYTHING
    tool_ids: Container[str] = _ANYTHING
    cross_refs: list[CrossRef] = []  # to other member teams' records, when the catalog names its organisation
    gathered: Gathered | None = None  # an organisation site's members (federation/assemble.py)
    organisation: str | None = None
    if read is not None and read.checked is not None:
        catalog_source, catalog_checked = read.source, read.checked
        catalog = catalog_checked.value
        members: dict[str, frozenset[str]] | None = None
        if federate and catalog.members:
            # an organisation site's only (its members, their lock and records): ~5 ms of start-up
            from servicebook.federation.assemble import assemble

            loader = partial(_load_member, env)
            with contextlib.ExitStack() as stack:
                if store is None:
                    store = stack.enter_context(Store.for_site(members_cache or root))
                gathered = assemble(
                    root, catalog_source, catalog_checked, build.generator, loader, members_cache, store
                )
            catalog, federation = gathered.catalog, gathered.federation
            problems += gathered.problems
            problems += _member_folders(pages_found, catalog.members)
            member_pages = gathered.pages
            member_files = gathered.files
            if federation is not None:  # its references may name the members' records: db-team/postgres
                members = {
                    "offerings": frozenset(i for t in federation.teams for i in t.offerings),
                    "tools": frozenset(i for t in federation.teams for i in t.tools),
                }
        problems += _catalog_checked(
            memo, catalog_source, catalog_checked, [*slugs, *(p.slug for p in member_pages)], today, members, release
        )
        cross_refs += catalog_refs(catalog_checked.value, catalog_checked.at, slugs, catalog_source.line)
        organisation = catalog.organisation
        offering_ids = frozenset(o.id for o in catalog.offerings)
        tool_ids = frozenset(t.id for t in catalog.tools)
    elif read is not None and (salvaged := _salvage_catalog(read)) is not None:
        # The catalog has errors in some of its records: the rest still answers for references
        # and the other rules, so that one run reports every problem, not one round at a time.
        catalog_source = read.source
        rest, exist, unread = salvaged
        problems += check_catalog(catalog_source, rest, slugs, today, exist, release=release, unread=unread)
        problems += check_left_out_references(catalog_source, read.node, rest, slugs, exist)
        offering_ids = frozenset(o.id for o in rest.value.offerings) | exist.get("offerings", frozenset())
        tool_ids = frozenset(t.id for t in rest.value.tools) | exist.get("tools", frozenset())
    elif read is not None and read.node is not None:
        # The catalog failed outside its records (a site, team or support value): the references
        # its records and pages make are still judged, against the ids written in it.
        offering_ids, tool_ids = _written_references(read.source, read.node, slugs, problems)
    universe = _Universe(
        root,
        frozenset(slugs) | {p.slug for p in member_pages},
        frozenset(assets),
        offering_ids,
        tool_ids,
        offering_ids is not _ANYTHING,
        outlines,
        None if member is None else (member.id, member.site),
        organisation,
        search=spool is not None,
    )
    store_keys: dict[str, str] = {}
    results = _load_pages(
        universe, pages_found, slugs, env, cache, hashes, meanwhile, progress, spool, memo, store_keys=store_keys
    )
    folded = _fold(slugs, results, outlines, memo)
    problems += folded.problems
    cross_refs += folded.cross_refs
    pages = list(folded.pages)
    anchor_refs, used_assets, digests, found_outlines = (
        folded.anchor_refs,
        folded.assets,
        folded.digests,
        folded.outlines,
    )
    problems += _asset_problems(root, used_assets)
    # the i-th page loaded is of the i-th slug that loaded (`_fold`): when every one did, none is
    # unpublished (not a set of 20,000 slugs and each page's looked up in it, a rebuild)
    unpublished = set() if len(pages) == len(slugs) else set(slugs).difference(map(_SLUG, pages))
    if unpublished:  # their own errors are reported: a hint must not offer them as pages to link to
        problems = _published_pages_only(problems, sorted(universe.slugs - unpublished))
    if gathered is not None:  # an organisation site: what its own pages and the members' refer to
        problems = gathered.judged(problems, pages)
    elif federate and catalog is None and _names_members(root):
        problems = _member_pages_unjudged(problems, slugs)
    problems = _pages_unjudged_unread(problems, slugs, root)
    refused, renamed = _renamed_pages(root, folded.pages, universe.slugs, memo)
    problems = _moved_uncommitted_hinted(root, problems, uncommitted=build.dirty and not release and member is None)
    hints = {was: renamed_page_hint(was, now, "as its renamed_from says") for was, now in renamed.items()}
    problems = [*renamed_records_hinted(renamed_pages_hinted(problems, hints), catalog), *refused]
    pages += member_pages
    # the command line: which pages' links to headings were settled among these pages' anchors (links.py)
    kept = SettledAnchors.read(store, slugs, digests) if memo is None and not member_pages else None
    problems += _check_anchors(root, pages, slugs, anchor_refs, memo, kept)

    snapshots, found = read_snapshots(root)  # measurements/: what `servicebook measure` recorded
    problems += found
    has_errors = any(p.severity is Severity.ERROR for p in problems)
    if catalog is None or has_errors:
        return Loaded(None, tuple(problems))
    site = model.SiteContent(
        catalog=catalog, pages=tuple(pages), build=build, snapshots=snapshots, federation=federation
    )
    return Loaded(
        site,
        tuple(problems),
        tuple(sorted(used_assets)),
        digests,
        tuple(found_outlines),
        member_files,
        tuple(cross_refs),
        store_keys,
    )


def _asset_problems(root: Path, used: Iterable[str]) -> list[Problem]:
    """What is wrong with the files under content/ that the pages link to (so publish as they
    are named): a name no checkout can hold, a size past the bound, an LFS pointer in place of
    the file."""
    found: list[Problem] = []
    for asset in sorted(used):
        why = unportable(asset.rpartition("/")[2])
        if why is not None:  # a page links to it, so it is published as it is named
            found.append(
                Problem(
                    SourceLocation(posixpath.join(CONTENT_DIR, asset)),
                    f"{name_shown(asset.rpartition('/')[2])} cannot be published: {why}, so no checkout of the "
                    "site there can hold it",
                    "rename it, and the links to it",
                )
            )
        size = os.lstat(root / CONTENT_DIR / asset).st_size
        if size > MAX_ASSET_BYTES:
            found.append(
                Problem(
                    SourceLocation(posixpath.join(CONTENT_DIR, asset)),
                    f"file is {size:,} bytes; the limit for a published file is {MAX_ASSET_BYTES:,}",
                    "link to it where it is hosted instead",
                )
            )
        elif size <= MAX_LFS_POINTER and _lfs_pointer(root / CONTENT_DIR / asset):
            found.append(
                Problem(
                    SourceLocation(posixpath.join(CONTENT_DIR, asset)),
                    "this is a Git LFS pointer, not the file it stands for: the site would publish the pointer's "
                    "text in its place (a broken image)",
                    "fetch the file (`git lfs pull`; in GitHub Actions, `lfs: true` on actions/checkout); a "
                    "release's files, and an organisation site's members', are read as git stores them, where "
                    "LFS keeps only the pointer: commit such a file to git itself",
                    Severity.WARNING,
                    kind="lfs-pointer",
                )
            )
    return found


# The hints that list the policy pages a link or a reference could have meant (content/markdown.py
# `_suggest`, catalog/validate.py `_unknown`), made before it was known which pages load.
_KNOWN_PAGES_HINT = re.compile(r"^known (?P<what>pages|policy pages): ")
SHOWN_PAGES = 12  # as many as those hints list


def _published_pages_only(problems: Sequence[Problem], published: Sequence[str]) -> list[Problem]:
    """`problems` with each "known pages: …" hint listing only `published`, the pages that load:
    the hint was made from every page file, before some turned out to have errors of their own
    (no front matter, a wrong one), and such a page is not published. A "did you mean" hint stays:
    it names the page the writer most likely meant, which is worth fixing either way."""
    out: list[Problem] = []
    for problem in problems:
        match = _KNOWN_PAGES_HINT.match(problem.hint or "")
        if match is None:
            out.append(problem)
            continue
        names = ", ".join(published[:SHOWN_PAGES])
        hint = f"known {match['what']}: {names}" if names else f"there are no {match['what']} without errors yet"
        out.append(dataclasses.replace(problem, hint=hint))
    return out


def _moved_uncommitted_hinted(root: Path, problems: list[Problem], *, uncommitted: bool) -> list[Problem]:
    """`problems` with each reference to a page by the name it had at HEAD's commit, moved in the
    working tree and not committed yet, told the page's new name (as `diff` tells a reference by
    a name the commits it compares moved a page from), and how to keep the old address.
    `uncommitted`: the source is in git with changes not committed (not a past release's, nor a
    member's at its commit); git is asked only then, and when a reference names no page there."""
    if not uncommitted or not names_unknown_pages(problems):
        return problems
    repo = open_repo(root)
    moved = {} if repo is None else uncommitted_page_moves(repo)
    hints = {
        was: renamed_page_hint(was, now, "moved in the working tree (not committed yet)")
        + f", and declare renamed_from: [{was}] in its front matter to keep its old address sending readers on"
        for was, now in moved.items()
    }
    return renamed_pages_hinted(problems, hints)


def _renamed_pages(
    root: Path, pages: Sequence[model.Page], slugs: Collection[str], memo: LoadMemo | None = None
) -> tuple[list[Problem], dict[str, str]]:
    """What the pages' `renamed_from` claim that they may not (their own name, a page's that is
    there, another page's old name, a name no page file could have had), and each old name
    rightly claimed → the page that claims it. With a `memo` (`serve`), the pages that have a
    `renamed_from` are the last load's while each page that is not the very object it was has
    none and had none (`_renaming`)."""
    problems: list[Problem] = []
    claimed: dict[str, str] = {}
    for page in _renaming(pages, memo):
        for j, old in enumerate(page.meta.renamed_from):
            why: tuple[str, str] | None = None
            parts = old.split("/")
            if old == page.slug:
                why = f"'{old}' is this page's own name", "list only the names it had before"
            elif old in slugs:
                why = (
                    f"'{old}' is the name of a page that is there (content/{old}.md), so it cannot be an old "
                    f"name of '{page.slug}'",
                    f"remove it from renamed_from, or remove or rename content/{old}.md",
                )
            elif any(not ID_RE.fullmatch(part) or part in RESERVED_IDS for part in parts) or (
                len(parts) > MAX_CONTENT_DEPTH + 1
            ):
                bare = old.removeprefix("content/").removesuffix(".md")
                why = (
                    f"{name_shown(old)} cannot be the name of a page",
                    f"did you mean '{bare}'? an old name is the page's old file under content/ without .md"
                    if bare != old
                    else "an old name is the page's old file under content/ without .md "
                    "(content/ops/backups.md was ops/backups)",
                )
            elif old in claimed and claimed[old] != page.slug:
                why = f"'{old}' is an old name of both '{claimed[old]}' and '{page.slug}'", "keep it on one of them"
            if why is None:
                claimed.setdefault(old, page.slug)
                continue
            problems.append(Problem(_renamed_at(root, page, j), *why))
    return problems, claimed


def _renaming(pages: Sequence[model.Page], memo: LoadMemo | None) -> list[model.Page]:
    """The pages that have a `renamed_from`, in order: with a `memo`, its last ones when `pages`
    are as many as the last load's and each that is not the very object there has none, nor
    had the one it replaces (found by identity, not each page's front matter looked at: 20,000
    pages at 20,000 pages, ~4 ms a rebuild); the memo is left holding these."""
    last = memo.renaming if memo is not None else None
    found: list[model.Page] | None = None
    if last is not None and len(last[0]) == len(pages):
        then = last[0]
        changed = list(itertools.compress(range(len(pages)), map(operator.is_not, pages, then)))
        if not any(pages[i].meta.renamed_from or then[i].meta.renamed_from for i in changed):
            found = last[1]
    if found is None:
        found = list(itertools.compress(pages, map(_RENAMED_FROM, pages)))  # (at C speed)
    if memo is not None:
        memo.renaming = (pages, found)  # (the fold's pages: a list no one changes)
    return found


def _renamed_at(root: Path, page: model.Page, index: int) -> SourceLocation:
    """Where the page's front matter writes its `index`-th old name (read again: only a page
    whose old name is refused is)."""
    try:
        source = read_text(root, page.source, max_bytes=MAX_PAGE_BYTES)
        front, _, _ = split_front_matter(source)
        checked, _ = read_record(source, parse_yaml(source, text=front or "", line_offset=1), model.PageMeta, "")
    except SourceError:
        return SourceLocation(page.source)
    return SourceLocation(page.source) if checked is None else checked.at("renamed_from", index)


def _load_member(env: Mapping[str, str], root: Path, build: BuildInfo, member: model.Member) -> Loaded:
    """A member of an organisation site, read from its folder in the cache with its own rules."""
    return load(root, env, build=build, federate=False, member=member)


def _member_folders(pages: Mapping[str, str], members: Sequence[model.Member]) -> list[Problem]:
    """An organisation's own page in a folder named like a member would be published where that
    member's pages are (policies/<member>/…)."""
    ids = {m.id for m in members}
    return [
        Problem(
            SourceLocation(path),
            f"page {path} would be published among member '{slug.split('/')[0]}''s pages "
            f"({routes.policy(slug.split('/')[0])})",
            f"rename the folder {CONTENT_DIR}/{slug.split('/')[0]}/: its name is a member's id",
        )
        for slug, path in pages.items()
        if "/" in slug and slug.split("/")[0] in ids
    ]


class _Anything:
    def __contains__(self, item: object) -> bool:
        return True


_ANYTHING = _Anything()


@dataclass(frozen=True, slots=True)
class _CatalogRead:
    """catalog.yaml as read: its text, the model (None when it did not validate) and the YAML
    tree in the current format (None when the model came from the cache), which salvaging the
    records of a catalog that did not validate starts from."""

    source: SourceText
    checked: Checked[model.Catalog] | None
    node: Node | None


_MEMBERS_KEY = re.compile(rb"^members[ \t]*:", re.MULTILINE)
# what a page's link and the catalog's `policies:` say of a page that is not there (content/markdown.py, validate.py)
CONTENT_LINKED = "content/ must not be a symbolic link"
_A_PAGE = re.compile(r"(?:broken link: no page|unknown policy page) '")
_NO_PAGE = re.compile(r"(?:broken link: no page|unknown policy page) '([^'/]+)/[^']*'")


def _names_members(root: Path) -> bool:
    """Whether catalog.yaml, not read whole, has a top-level `members:` (an organisation site's)."""
    try:
        if not stat.S_ISREG(os.lstat(root / CATALOG_FILE).st_mode):  # a FIFO would block the open
            return False  # refused as it is (source/text.py)
        with (root / CATALOG_FILE).open("rb") as handle:
            return _MEMBERS_KEY.search(handle.read(MAX_CATALOG_BYTES)) is not None
    except OSError:
        return False


def _own_repositories(root: Path, build: BuildInfo) -> list[Problem]:
    """A warning for content/ or layouts/ of a site in git that is a submodule or a repository of
    its own: the site builds from the files as they are here, but no release can hold them
    (git/releases.py leaves such a release out)."""
    if build.commit is None:
        return []
    return [
        Problem(
            SourceLocation(folder),
            f"{folder}/ is a git submodule or a repository of its own: its files are not in this repository's "
            "commits, so a release of this site cannot hold them and is left out",
            f"keep them in this repository (`git rm --cached {folder}`, delete {folder}/.git, `git add {folder}`)",
            Severity.WARNING,
        )
        for folder in (CONTENT_DIR, LAYOUTS_DIR)
        if own_repository(root / folder)
    ]


def _unchecked_submodule() -> Problem:
    return Problem(
        SourceLocation(CONTENT_DIR),
        "content/ is empty: it is a git submodule that this clone has not checked out",
        "check it out (`git submodule update --init content`; in GitHub Actions, actions/checkout with "
        "`submodules: true`); a release holds only this repository's own files, so keep the policy pages "
        "in it rather than in a submodule",
    )


def _pages_unjudged_unread(problems: list[Problem], slugs: Sequence[str], root: Path) -> list[Problem]:
    """`problems` without those about a page not found, when content/ was refused unread (a
    symbolic link) or is a submodule this clone did not check out (that error put first): which
    pages there are is not known, and one "unknown policy page" per reference would follow the one
    error that says why."""
    if slugs:
        return problems
    if any(p.message == CONTENT_LINKED for p in problems):
        return [p for p in problems if not _A_PAGE.match(p.message)]
    if unchecked_submodule(root / CONTENT_DIR):
        return [_unchecked_submodule(), *(p for p in problems if not _A_PAGE.match(p.message))]
    return problems


def _member_pages_unjudged(problems: list[Problem], slugs: Sequence[str]) -> list[Problem]:
    """`problems` without those about a page in a folder the site's own content/ does not have
    (`page:db-team/backups`): with its catalog unread, an organisation site does not know its
    members nor the pages they publish, and one false 'broken link' per such link would bury
    the catalog's own error (as offerings and tools are not judged then either)."""
    folders = {slug.partition("/")[0] for slug in slugs if "/" in slug}
    return [p for p in problems if not ((m := _NO_PAGE.match(p.message)) and m[1] not in folders)]


def _written_references(
    source: SourceText, node: Node, slugs: Collection[str], problems: list[Problem]
) -> tuple[Container[str], Container[str]]:
    """Adds to `problems` the unknown ids the records of a catalog that failed outside them name
    (validate.check_written_references); the offering and tool ids the pages may name (any, for a
    list that is not one)."""
    found, written = check_written_references(source, node, slugs)
    problems += found
    offerings = written.offerings if written is not None and written.offerings is not None else _ANYTHING
    tools = written.tools if written is not None and written.tools is not None else _ANYTHING
    return offerings, tools


def _salvage_catalog(
    read: _CatalogRead,
) -> tuple[Checked[model.Catalog], dict[str, frozenset[str]], frozenset[str]] | None:
    """The catalog without its invalid offerings, tools … (see validate.salvage_record), when
    reading it failed only in such records; from the tree the failed read composed (a catalog of
    megabytes is not parsed a second time)."""
    return salvage_record(read.source, read.node, model.Catalog, "the catalog")


SITE_ABOVE_LEVELS = 3  # content/security/ is two levels below the site


def _site_above(root: Path) -> str | None:
    """The nearest folder above `root` (a few levels up) that holds catalog.yaml, spelled as
    `root` was (`..` for `.`, `.` for `content`): run from inside a site's content/, servicebook
    says where the site is."""
    here = root.resolve()
    for up in range(1, SITE_ABOVE_LEVELS + 1):
        if len(here.parents) < up:
            return None
        if (here.parents[up - 1] / CATALOG_FILE).is_file():
            return os.path.normpath(root.joinpath(*[os.pardir] * up))
    return None


def missing_catalog(root: Path) -> Problem | None:
    """The problem of a folder without catalog.yaml (not a site: run in the wrong folder), with
    where the site is when it is a few folders up; None when there is one."""
    if (root / CATALOG_FILE).exists() or (root / CATALOG_FILE).is_symlink():
        return None
    above = _site_above(root)
    hint = "point --source at the folder that holds catalog.yaml, or start a site with `servicebook init DIR`"
    if above is not None:
        hint = f"the site is the folder above, {above}: run servicebook there, or give --source {above}"
    return Problem(SourceLocation(CATALOG_FILE), "file not found", hint)


def _read_catalog(
    root: Path,
    problems: list[Problem],
    cache: PageStore | None = None,
    hashes: Mapping[str, str] | None = None,
    records: RecordCache | None = None,
    *,
    release: bool = False,
) -> _CatalogRead | None:
    missing = missing_catalog(root)
    if missing is not None:
        problems.append(missing)
        return None
    key = f"catalog:{hashes[CATALOG_FILE]}" if cache is not None and hashes and CATALOG_FILE in hashes else None
    cached = cache.get_catalog(key) if cache is not None and key is not None else None
    if cached is not None:  # the same bytes, read before by this servicebook: skip the YAML
        try:
            source = read_text(root, CATALOG_FILE, max_bytes=MAX_CATALOG_BYTES, too_big=CATALOG_TOO_BIG)
        except SourceError:
            cached = None
        else:
            catalog, found_before = cached
            problems += found_before
            return _CatalogRead(source, Checked(catalog, _Locations(root)), None)
    read = _parse_catalog(root, records)
    if isinstance(read, list):
        problems += read
        return None
    found = read.problems
    problems += found
    checked = read.checked
    if checked is not None and cache is not None and key is not None and (read.node is not None or not release):
        # Not a past release's catalog read record by record (a release is cached as its built
        # tree): its records are read again faster than a whole catalog is encoded into the store.
        cache.put_catalog(key, checked.value, tuple(found))
    if checked is not None and read.node is None:  # read record by record: locate problems later
        checked = Checked(checked.value, _Locations(root))
    return _CatalogRead(read.source, checked, read.node)


def _parse_catalog(root: Path, records: RecordCache | None = None) -> list[Problem] | CatalogRead:
    """catalog.yaml as read (catalog/read.py), or the problems that stopped the reading."""
    try:
        return read_catalog(
            read_text(root, CATALOG_FILE, max_bytes=MAX_CATALOG_BYTES, too_big=CATALOG_TOO_BIG), records
        )
    except SourceError as exc:
        return list(exc.problems)


class _Locations(Mapping[tuple[str | int, ...], SourceLocation]):
    """Where each value of a cached catalog was written: found by reading the YAML again, only
    when a problem has to be located (a valid catalog from the cache is never parsed)."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._found: Mapping[tuple[str | int, ...], SourceLocation] | None = None

    def _locations(self) -> Mapping[tuple[str | int, ...], SourceLocation]:
        if self._found is None:
            read = _parse_catalog(self._root)
            checked = None if isinstance(read, list) else read.checked
            self._found = checked.locations if checked is not None else {(): SourceLocation(CATALOG_FILE)}
        return self._found

    def __getitem__(self, path: tuple[str | int, ...]) -> SourceLocation:
        return self._locations()[path]

    def __iter__(self) -> Iterator[tuple[str | int, ...]]:
        return iter(self._locations())

    def __len__(self) -> int:
        return len(self._locations())


def _scan_content(
    root: Path, problems: list[Problem], memo: LoadMemo | None = None, listed: ContentListed | None = None
) -> tuple[dict[str, str], list[str]]:
    """Pages (slug → path relative to the root) and other files under content/, sorted.

    Symbolic links are refused, as are names that cannot become clean, unique URLs. With a `memo`,
    the listing its last load made, while no folder under content/ changed since (_Listing).
    With `listed`, content/ as the build's survey listed it (`_content_listed`), unless it holds
    anything to report.
    """
    if memo is not None and memo.listing is not None and memo.listing.current(root):
        problems += memo.listing.problems
        return memo.listing.pages, memo.listing.assets
    if memo is None and listed is not None and (taken := _content_listed(*listed)) is not None:
        return taken
    found: list[Problem] = []
    folders: dict[str, tuple[int, int, int]] = {}
    settled_before = time.time_ns() - RACY_NS
    pages, assets, whole = _list_content(root, found, folders)
    problems += found
    if memo is not None:
        settled = whole and all(0 <= identity[1] < settled_before for identity in folders.values())
        memo.listing = _Listing(folders, pages, assets, tuple(found)) if settled else None
    return pages, assets


# A folder changed less than this before it was listed may change again within the same timestamp
# tick unseen (as fresh.RACY_NS for files): its listing is not taken again by the next load.
RACY_NS = 2_000_000_000


@dataclass(frozen=True, slots=True)
class _Listing:
    """content/ as `_scan_content` found it, and each folder under it as it was when listed:
    (inode, change time, modification time). An entry added, removed or renamed changes its
    folder's times (and so does a change of its permissions), an edit of a file does not."""

    folders: Mapping[str, tuple[int, int, int]]  # "" is content/ itself
    pages: dict[str, str]
    assets: list[str]
    problems: tuple[Problem, ...]

    def current(self, root: Path) -> bool:
        """Whether every folder it listed is still as it was."""
        top = root / CONTENT_DIR
        return all(_folder_identity(top / rel) == was for rel, was in self.folders.items())


def _folder_identity(path: Path) -> tuple[int, int, int]:
    """(inode, change time, modification time); one that is never current when it cannot be read."""
    try:
        info = os.lstat(path)
    except OSError:
        return (-1, -1, -1)
    return (info.st_ino, info.st_ctime_ns, info.st_mtime_ns)


# content/ as the build's survey listed it (fresh.SourceList `inside`): its regular files and its
# folders, relative to it; nothing else is in it
ContentListed = tuple[Sequence[str], Sequence[str]]


def _content_listed(files: Sequence[str], folders: Sequence[str]) -> tuple[dict[str, str], list[str]] | None:
    """What `_list_content` finds in a content/ holding these regular files and folders and
    nothing else (relative to it), without listing it again (20,000 pages: ~50 ms a rebuild);
    None when that would report anything (a name no URL can hold, a Markdown file that is no
    page, too many files): `_list_content` then says what."""
    if len(files) + len(folders) >= MAX_CONTENT_FILES:
        return None
    if any(folder.count("/") >= MAX_CONTENT_DEPTH for folder in folders):
        return None
    hidden = [f"{folder}/" for folder in folders if folder.startswith(".") or "/." in folder]
    for folder in folders:
        name = folder.rpartition("/")[2]
        if not (ID_RE.fullmatch(name) and name not in RESERVED_IDS) and not f"{folder}/".startswith(tuple(hidden)):
            return None
    if hidden or any(file.startswith(".") or "/." in file for file in files):  # (not listed: `_list_content`)
        skipped = tuple(hidden)
        files = [f for f in files if not (f.startswith(".") or "/." in f or f.startswith(skipped))]
    pages: dict[str, str] = {}
    assets: list[str] = []
    fullmatch = ID_RE.fullmatch
    for file in files:
        if file.endswith(".md"):
            slug = file[:-3]
            stem = slug.rpartition("/")[2]
            if not fullmatch(stem) or stem in RESERVED_IDS:
                return None
            pages[slug] = f"{CONTENT_DIR}/{file}"
        elif _looks_like_markdown(file):
            return None
        else:
            assets.append(file)
    return dict(sorted(pages.items())), sorted(assets)


def _list_content(
    root: Path, problems: list[Problem], folders: dict[str, tuple[int, int, int]]
) -> tuple[dict[str, str], list[str], bool]:
    """What _scan_content says, listing every folder; whether it listed content/ whole (it stops
    at MAX_CONTENT_FILES), and in `folders` each folder listed, as it was before it was listed."""
    pages: dict[str, str] = {}
    assets: list[str] = []
    top = root / CONTENT_DIR
    try:
        info = os.lstat(top)
    except FileNotFoundError:
        return pages, assets, False
    if stat.S_ISLNK(info.st_mode):
        problems.append(Problem(SourceLocation(CONTENT_DIR), CONTENT_LINKED))
        return pages, assets, False
    stack = [""]
    count = 0
    while stack:
        rel_dir = stack.pop()
        folders[rel_dir] = _folder_identity(top / rel_dir)
        try:
            entries = sorted(os.scandir(top / rel_dir), key=lambda e: e.name)
        except OSError as exc:
            problems.append(
                Problem(SourceLocation(posixpath.join(CONTENT_DIR, rel_dir)), f"cannot read folder: {exc.strerror}")
            )
            continue
        for entry in entries:
            count += 1
            if count > MAX_CONTENT_FILES:
                problems.append(
                    Problem(SourceLocation(CONTENT_DIR), f"more than {MAX_CONTENT_FILES:,} files under content/")
                )
                return pages, assets, False
            rel = posixpath.join(rel_dir, entry.name)
            shown = posixpath.join(CONTENT_DIR, rel)
            if entry.name.startswith("."):
                continue
            if entry.is_symlink():
                problems.append(
                    Problem(
                        SourceLocation(shown), "symbolic links are not allowed in content/", "commit the file itself"
                    )
                )
                continue
            if entry.is_dir():
                refused = _folder_refused(rel, entry.name, shown, [e.name for e in entries])
                if refused is not None:
                    problems.append(refused)
                    continue
                stack.append(rel)
                continue
            if not entry.is_file():
                problems.append(Problem(SourceLocation(shown), "not a regular file"))
                continue
            if entry.name.endswith(".md"):
                slug = rel[:-3]
                stem = entry.name[:-3]
                if not ID_RE.fullmatch(stem) or stem in RESERVED_IDS:
                    problems.append(
                        Problem(
                            SourceLocation(shown),
                            f"page file name {name_shown(entry.name)} cannot become a URL",
                            name_hint(entry.name, ".md", (e.name for e in entries)),
                        )
                    )
                    continue
                pages[slug] = shown
            else:
                if _looks_like_markdown(entry.name):
                    problems.append(_not_a_page(rel_dir, entry.name, entries))
                assets.append(rel)
    return dict(sorted(pages.items())), sorted(assets), True


def _folder_refused(rel: str, name: str, shown: str, siblings: list[str]) -> Problem | None:
    """Why the folder `rel` of content/ (`name` its own name, `siblings` the names beside it) holds
    no pages, or None."""
    if not ID_RE.fullmatch(name) or name in RESERVED_IDS:
        message = f"folder name {name_shown(name)} cannot be part of a URL"
        return Problem(SourceLocation(shown), message, name_hint(name, "", siblings))
    if rel.count("/") >= MAX_CONTENT_DEPTH:
        return Problem(
            SourceLocation(shown),
            f"folders nested more than {MAX_CONTENT_DEPTH} deep under content/",
            CONTENT_DEPTH_HINT,
        )
    return None


# Endings other tools read as Markdown: a page saved with one of them is not a page here, and
# without a word it would simply be missing from the site.
MARKDOWN_ENDINGS = (".md", ".markdown", ".mdown", ".mkd", ".mkdn", ".mdwn", ".mdtxt", ".mdtext")


def _looks_like_markdown(name: str) -> bool:
    return name.lower().endswith(MARKDOWN_ENDINGS) and not name.endswith(".md")


def _not_a_page(rel_dir: str, name: str, entries: list[os.DirEntry[str]]) -> Problem:
    """A warning (an error under --strict) for `name`, a Markdown file that is not a page, naming
    the rename that would make it one."""
    stem = name[: name.rfind(".")]
    wanted = "-".join(part for part in re.split(r"[^a-z0-9]+", stem.lower()) if part)[:63].strip("-") or "page"
    shown = posixpath.join(CONTENT_DIR, rel_dir, name)
    taken = any(e.name == wanted + ".md" for e in entries)
    hint = f"{wanted}.md exists beside it: merge the two, or remove this one" if taken else f"rename it to {wanted}.md"
    message = f"'{name}' is not a page: only names ending in .md (lower case) become pages"
    return Problem(SourceLocation(shown), message, hint, Severity.WARNING, kind="markdown-not-a-page")


def _check_layouts(root: Path, problems: list[Problem]) -> None:
    """Templates are read by Jinja2, which follows symbolic links: refuse them here, so a pull
    request cannot render /etc/passwd or a CI secret into the site through layouts/."""
    stack = [LAYOUTS_DIR]
    while stack:
        rel = stack.pop()
        try:
            info = os.lstat(root / rel)
        except FileNotFoundError:
            continue
        except OSError as exc:
            problems.append(Problem(SourceLocation(rel), f"cannot read: {exc.strerror}"))
            continue
        if stat.S_ISLNK(info.st_mode):
            problems.append(
                Problem(SourceLocation(rel), "symbolic links are not allowed in layouts/", "commit the file itself")
            )
        elif stat.S_ISDIR(info.st_mode):
            try:
                names = sorted(p.name for p in (root / rel).iterdir())
            except OSError as exc:
                problems.append(Problem(SourceLocation(rel), f"cannot read folder: {exc.strerror}"))
                continue
            stack.extend(posixpath.join(rel, name) for name in reversed(names))
        elif not stat.S_ISREG(info.st_mode):
            problems.append(Problem(SourceLocation(rel), "not a regular file"))
    if (root / LAYOUTS_DIR / "base.html").is_file():  # a site that replaces the theme's base
        problems.extend(blocks_left_out(root / LAYOUTS_DIR))


class PageStore(Protocol):
    """Where loaded pages are kept between builds (buildcache.BuildCache)."""

    def get_many(self, keys: list[str], spool: BodySpool | None = None) -> dict[str, Any]:
        """The pages stored under `keys`, with their HTML kept in `spool` when there is one."""
        ...

    def put(self, key: str, value: object) -> None: ...

    def get_catalog(self, key: str) -> tuple[model.Catalog, tuple[Problem, ...]] | None: ...

    def put_catalog(self, key: str, catalog: model.Catalog, problems: tuple[Problem, ...]) -> None: ...


@dataclass(frozen=True, slots=True)
class _Universe:
    """What a page's links and front matter may refer to: the same for every page of a build."""

    root: Path
    slugs: frozenset[str]
    assets: frozenset[str]
    offerings: Container[str]
    tools: Container[str]
    check_refs: bool
    outlines: bool = False  # give each page's outline for the history (see PageResult)
    member: tuple[str, str | None] | None = None  # a member's (id, site): see load's `member`
    organisation: str | None = None  # where the organisation site is, when the catalog names it
    # make what the search index reads of each page's HTML (PageResult `search`): for a build
    # that spools its pages (a page's HTML is read for it once, here, not again by the index)
    search: bool = False

    def digest(self) -> str:
        """Of everything but the pages and files there are, which a page's key leaves out: a
        page's result says which of them it asked about (PageResult `asked`, `_still`)."""
        h = hashlib.blake2b(b"asked", digest_size=20)
        parts = (_ids(self.offerings), _ids(self.tools), str(self.check_refs))
        for part in (*parts, repr(self.member), repr(self.organisation)):
            h.update(part.encode() + b"\0\0")
        return h.hexdigest()

    def names(self) -> str:
        """Of every page and file there is: what a page that listed them (a hint for a broken
        link, the files of a folder) depends on."""
        return _names_digest(self.slugs, self.assets)


def _ids(c: Container[str]) -> str:
    return "\n".join(sorted(c)) if isinstance(c, frozenset) else "*"


@functools.lru_cache(maxsize=4)
def _names_digest(slugs: frozenset[str], assets: frozenset[str]) -> str:
    h = hashlib.blake2b(digest_size=20)
    h.update(_ids(slugs).encode() + b"\0\0" + _ids(assets).encode())
    return h.hexdigest()


class _Asking(Collection[str]):
    """A set of names that notes what a page asks of it: each name looked up and whether it is
    there, or that the page went through all of them (`whole`)."""

    __slots__ = ("_mark", "_names", "asked", "whole")

    def __init__(self, names: frozenset[str], mark: str) -> None:
        self._names, self._mark = names, mark
        self.asked: set[str] = set()
        self.whole = False

    def __contains__(self, name: object) -> bool:
        found = name in self._names
        if isinstance(name, str):
            self.asked.add(("+" if found else "-") + self._mark + name)
        return found

    def __iter__(self) -> Iterator[str]:
        self.whole = True
        return iter(self._names)

    def __len__(self) -> int:
        self.whole = True
        return len(self._names)


def _still(result: PageResult, universe: _Universe) -> bool:
    """Whether each page and file `result`'s page asked about is there now as it was then (and
    when it listed them all, whether they are the same)."""
    return all(_holds(entry, universe) for entry in result.asked)


def _holds(entry: str, universe: _Universe) -> bool:
    """Whether one entry of a page's `asked` is answered now as it was then (`_still`)."""
    kind, mark, name = entry[0], entry[1], entry[2:]
    if kind == "*":
        return name == universe.names()
    names = universe.slugs if mark == "p" else universe.assets
    return (name in names) == (kind == "+")


class _Answers:
    """`_still` of many results under one universe: each distinct entry of their `asked` looked
    at once, and a result still when none of its entries is among those that no longer hold,
    told by a set at once (most pages ask about pages others ask about too: 20,000 pages at 20k
    ask ~6 each)."""

    def __init__(self, universe: _Universe) -> None:
        self._universe = universe
        self._seen: set[str] = set()
        self._wrong: set[str] = set()

    def still(self, asked: list[tuple[str, ...]]) -> list[bool]:
        """For each result's `asked`, in order, whether `_still` holds of it."""
        new = set().union(*asked) - self._seen
        self._seen |= new
        universe = self._universe
        self._wrong.update(entry for entry in new if not _holds(entry, universe))
        return list(map(self._wrong.isdisjoint, asked))


def _answers(result: PageResult, universe: _Universe) -> str:
    """What the pages and files `result`'s page asked about are now: with its key, the key of
    the page rendered again when some of them changed (`_load_pages`)."""
    now = []
    for entry in result.asked:
        if entry[0] == "*":
            now.append("*" + universe.names())
        else:
            names = universe.slugs if entry[1] == "p" else universe.assets
            now.append(("+" if entry[2:] in names else "-") + entry[1:])
    return "\n".join(sorted(now))


@dataclass(frozen=True, slots=True)
class PageResult:
    """One page as loaded: the page (None when it has errors) and what checking it found."""

    page: model.Page | None
    problems: tuple[Problem, ...]
    anchor_refs: PackedRefs  # its links to other pages' headings, checked once every page is loaded
    assets: tuple[str, ...]
    digest: str  # of what other pages' views see: source, front matter, headings
    # the page's outline for the history (see markdown.outline) and the ids of its bytes, so that
    # the history need not parse the page again: SHA-256, and git's blob id
    sections: Outline = NO_OUTLINE
    sha256: str = ""
    blob: str = ""
    cross_refs: tuple[CrossRef, ...] = ()  # its links to other member teams' records
    # what the search index reads of the page's HTML (search.page_parts), made with it; the
    # spool keeps it (model.Page `search_spooled`), the store does not
    search: bytes = b""
    # the pages and files its links asked about, each "+" or "-" (there or not), "p" or "a" (a
    # page's slug or a file) and the name, and "**" and their digest when it listed them all:
    # its key leaves out which pages and files there are (_Universe `digest`, `_still`)
    asked: tuple[str, ...] = ()
    # what its HTML links to and its ids (content/markdown.py `body_refs`): the spool keeps it
    # after the HTML (model.Page `spooled`) for the render worker's link scan; b"" when not made
    body_refs: bytes = b""


class _RefLocator:
    """Where a broken link to another page's heading was written, and that line: found once
    every page was read (and only for broken ones), by reading its page again, once for all its
    broken links (9,000 of them in a page read it, and looked through it, 9,000 times)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.read: dict[str, tuple[SourceText, list[str], int, dict[tuple[int, int], Written]] | None] = {}

    def __call__(self, ref: AnchorRef) -> tuple[SourceLocation, str | None]:
        if ref.path not in self.read:
            try:
                source = read_text(self.root, ref.path, max_bytes=MAX_PAGE_BYTES)
                _, body, line_offset = split_front_matter(source)
                self.read[ref.path] = (source, body.split("\n"), line_offset, {})
            except SourceError:
                self.read[ref.path] = None
        page = self.read[ref.path]
        if page is None:
            return ref.block_location, None
        source, lines, line_offset, index = page
        at = locate_ref(ref, lines, source, line_offset, index)
        return at, source.line(at.line)


def _load_pages(
    universe: _Universe,
    paths: Mapping[str, str],
    slugs: list[str],
    env: Mapping[str, str],
    cache: PageStore | None,
    hashes: Mapping[str, str] | None,
    meanwhile: Callable[[], object] | None = None,
    progress: Phases | None = None,
    spool: BodySpool | None = None,
    memo: LoadMemo | None = None,
    *,
    store_keys: dict[str, str],
) -> list[PageResult]:
    """Every page, in `slugs` order: from the cache when its bytes and link targets are unchanged,
    otherwise rendered, over several processes when there are many; with a `spool`, each page's
    HTML is kept there (and stored in the cache) as the page comes in, and not held by the page.
    With a `memo`, a page's key is the one its last load made while the key's inputs are the same.
    `store_keys` is given each page's key (the one it was read back or stored under)."""
    keys: dict[str, str] = {}
    if cache is not None and hashes is not None:  # the store forgets everything when servicebook changes
        keys = _page_keys(universe, paths, slugs, hashes, memo)
    results, carried = _carried(memo, universe, keys, cache)
    # the pages not carried, found at once (a rebuild carries all but the few edited ones: the
    # passes over every slug below, and a dict of every key, were ~4 ms a rebuild at 20,000 pages)
    missing = list(itertools.filterfalse(results.__contains__, slugs))
    stored = [keys[slug] for slug in missing if slug in keys]
    by_key = {keys[slug]: slug for slug in missing if slug in keys}
    batch = STORED_BATCH if spool is not None else max(1, len(stored))  # unspooled, all at once
    moved: dict[str, str] = {}  # a page whose links' pages or files changed: its key with their answers now
    answers = _Answers(universe)
    for n in range(0, len(stored), batch):
        assert cache is not None
        found = [
            (key, value)
            for key, value in cache.get_many(stored[n : n + batch], spool).items()
            if isinstance(value, PageResult)
        ]
        for (key, value), still in zip(found, answers.still([value.asked for _, value in found]), strict=True):
            if not still:
                moved[by_key[key]] = _moved_key(key, value, universe)
                continue
            results[by_key[key]] = value if spool is None else spool.keep(value)
    if moved:  # rendered before with these answers (a page removed and added again), or to render
        assert cache is not None
        keys = {**keys, **moved}
        by_moved = {key: slug for slug, key in moved.items()}
        for key, value in cache.get_many(list(moved.values()), spool).items():
            if isinstance(value, PageResult) and _still(value, universe):
                results[by_moved[key]] = value if spool is None else spool.keep(value)
    remake = getattr(cache, "remake_html", None)  # (buildcache.BuildCache: pages read back without their HTML)
    if remake is not None:
        remake(partial(_html_again, universe, paths))
    todo = [(slug, paths[slug]) for slug in missing if slug not in results]
    if progress is not None:
        progress.expect(len(todo))
    done = progress.advance if progress is not None else None

    def keep(i: int, result: PageResult) -> PageResult:
        """As each page comes in: stored with its HTML, then held without it (in `spool`)."""
        slug = todo[i][0]
        if cache is not None and slug in keys:
            cache.put(keys[slug], result)
        return result if spool is None else spool.keep(result)

    loaded = map_shared(_load_one, universe, todo, worker_count(env), meanwhile, done, keep)
    for (slug, _), result in zip(todo, loaded, strict=True):
        results[slug] = result
    store_keys.update(keys)
    if spool is not None:
        spool.flush()  # every page's HTML readable from here on, by this process and its workers
    _remember(memo, universe, keys, results, carried, missing)
    took = getattr(cache, "took", None)  # (buildcache.BuildCache: the releases built after this load)
    if took is not None:
        took(keys, results)  # (by key where a release's load asks: BuildCache `took`)
    return list(map(results.__getitem__, slugs))


def _remember(
    memo: LoadMemo | None,
    universe: _Universe,
    keys: dict[str, str],
    results: dict[str, PageResult],
    carried: dict[str, PageResult],
    missing: list[str],
) -> None:
    """This load's results, by slug and by key, for the next load's `_carried` (without keys, it
    takes none of them): by key, those it `carried` (`_carried`) and those of the slugs it did
    not (`missing`), put in beside them."""
    if memo is not None:
        carried.update((keys[slug], results[slug]) for slug in missing if slug in results and slug in keys)
        memo.results = (universe, keys, results, carried)


def _catalog_checked(
    memo: LoadMemo | None,
    source: SourceText,
    checked: Checked[model.Catalog],
    slugs: list[str],
    today: date | None,
    members: Mapping[str, frozenset[str]] | None,
    release: bool,
) -> list[Problem]:
    """check_catalog's problems; in a long-running process (`serve`), those its last load found
    while the catalog is the very object it checked (the memory's: the same bytes) and the pages'
    slugs, the day and the members' ids are the same (a rebuild after a page's edit checks no
    record again: 350 records against 20,000 slugs)."""
    inputs = (checked.value, slugs, today, members, release)
    last = memo.catalog_checks if memo is not None else None
    if (
        last is not None
        and last[0][0] is inputs[0]
        and last[0][1:] == inputs[1:]
        and type(checked.locations) is type(last[1])
    ):
        return list(last[2])
    problems = check_catalog(source, checked, slugs, today, members, release=release)
    if memo is not None:
        memo.catalog_checks = (inputs, checked.locations, tuple(problems))
    return problems


def _carried(
    memo: LoadMemo | None, universe: _Universe, keys: dict[str, str], cache: PageStore | None
) -> tuple[dict[str, PageResult], dict[str, PageResult]]:
    """From the last load of a long-running process (`serve`): the result of each page whose key
    is the one it had then, under the same universe (what `_still` asked of it is answered as
    then), found without a look at each page when the memo knows which keys changed (`_page_keys`):
    the last results less those; and the same results by their key (a page whose key is the one
    it had is under it in the last load's, so those are the last load's less the pages gone, not
    made again of every page). The `cache` counts them as used and remembers them (store.Remembering
    `carry`); a cache that cannot takes none."""
    carry = getattr(cache, "carry", None)
    if memo is None or memo.results is None or carry is None:
        return {}, {}
    universe_then, keys_then, results_then, by_key_then = memo.results
    if universe_then != universe:
        return {}, {}
    results, by_key = dict(results_then), dict(by_key_then)  # (copies at once)
    gone = (
        memo.rekeyed[1]
        if memo.rekeyed is not None and memo.rekeyed[0] is keys_then
        else {slug for slug, key in keys.items() if keys_then.get(slug) != key} | (results.keys() - keys.keys())
    )
    for slug in gone:
        if results.pop(slug, None) is not None and slug in keys_then:
            del by_key[keys_then[slug]]
    carry(dict(by_key))  # (the cache's to keep: `by_key` is the memo's)
    return results, by_key


def _moved_key(key: str, result: PageResult, universe: _Universe) -> str:
    """The key of a page stored under `key` as `result`, once the pages or files its links ask
    about changed: its key and their answers now (the entry under `key` stays as it is: a
    build may already have handed out its HTML, which is checked against it when read)."""
    return hashlib.blake2b("\0".join((key, _answers(result, universe))).encode(), digest_size=20).hexdigest()


def _html_again(universe: _Universe, paths: Mapping[str, str], slug: str) -> str | None:
    """A page's HTML rendered again from its Markdown: for a page read back from the store whose
    HTML there is found gone or altered when something reads it (buildcache.StoredHtml)."""
    path = paths.get(slug)
    result = _load_one(universe, (slug, path)) if path is not None else None
    return result.page.body if result is not None and result.page is not None else None


def _page_keys(
    universe: _Universe, paths: Mapping[str, str], slugs: list[str], hashes: Mapping[str, str], memo: LoadMemo | None
) -> dict[str, str]:
    """Each page's key in the store: of its slug, its path, its bytes' hash and what its links
    may lead to (the universe's digest); the key its last load made (`memo`) when these are those,
    found without a look at each page when only some files' hashes changed (`_rekeyed`)."""
    rekeyed = _rekeyed(universe, paths, hashes, memo)
    if memo is not None:
        memo.rekeyed = None if rekeyed is None else (memo.keys, frozenset(rekeyed))
    if rekeyed is not None:
        assert memo is not None
        return _patched_keys(memo, rekeyed, paths, hashes)
    if memo is not None and memo.universe == universe:
        context = memo.context
        last_keys, last_hashes = memo.keys, memo.hashes
        if memo.paths != paths:
            last_keys = {slug: key for slug, key in last_keys.items() if memo.paths.get(slug) == paths.get(slug)}
    else:
        context = universe.digest()
        last_keys, last_hashes = {}, {}
    keys: dict[str, str] = {}
    for slug in slugs:
        path = paths[slug]
        now = hashes.get(path)
        if now is None:
            continue
        key = last_keys.get(slug)
        if key is None or last_hashes.get(path) != now:
            key = hashlib.blake2b("\0".join((slug, path, now, context)).encode(), digest_size=20).hexdigest()
        keys[slug] = key
    if memo is not None:
        memo.universe, memo.context, memo.paths, memo.hashes, memo.keys = universe, context, paths, hashes, keys
    return keys


def _patched_keys(
    memo: LoadMemo, rekeyed: set[str], paths: Mapping[str, str], hashes: Mapping[str, str]
) -> dict[str, str]:
    """The memo's keys with those of the pages `rekeyed` made again (or left out, without a hash)."""
    keys = dict(memo.keys)
    for slug in rekeyed:
        path = paths[slug]
        now = hashes.get(path)
        if now is None:
            keys.pop(slug, None)
            continue
        keys[slug] = hashlib.blake2b("\0".join((slug, path, now, memo.context)).encode(), digest_size=20).hexdigest()
    memo.hashes, memo.keys = hashes, keys
    return keys


def _rekeyed(
    universe: _Universe, paths: Mapping[str, str], hashes: Mapping[str, str], memo: LoadMemo | None
) -> set[str] | None:
    """The pages whose source's hash is not the one the memo's keys were made of, when that is
    all that differs from its last load (the same universe and listing, and the keys of that
    listing's every page with a hash); None when it is not known without a look at each page."""
    if memo is None or memo.universe != universe or memo.paths != paths:
        return None
    last = memo.hashes
    if not isinstance(hashes, dict) or not isinstance(last, dict):
        return None
    if memo.by_path is None or memo.by_path[0] is not paths:
        memo.by_path = (paths, {path: slug for slug, path in paths.items()})
    where = memo.by_path[1]
    if len(where) != len(paths):  # (two pages of one file: not a listing content/ gives)
        return None
    return {where[path] for path, _ in hashes.items() ^ last.items() if path in where}


_SLUG = operator.attrgetter("slug")
_RENAMED_FROM = operator.attrgetter("meta.renamed_from")
_SHA256 = operator.attrgetter("sha256")
FOLD_PATCHED = 64  # pages at most that a load's fold puts right in the last one's (else: folded again)


@dataclass(frozen=True)
class _Folded:
    """What the load gathers of its pages' results, in `slugs` order: their problems, their links
    to headings (one a page) and to other teams' records, the files they use, and of each page
    that loaded (all but `missing`), the page, its digest and (with outlines) its outline."""

    problems: list[Problem]
    anchor_refs: list[PackedRefs]
    cross_refs: list[CrossRef]
    assets: set[str]
    pages: list[model.Page]
    digests: dict[str, str]
    outlines: list[PageOutline]
    missing: int


def _outline(result: PageResult) -> PageOutline:
    page = result.page
    assert page is not None
    return PageOutline(page.source, page.meta.title, result.sections, result.sha256, result.blob, page.meta)


def _fold(slugs: list[str], results: list[PageResult], outlines: bool, memo: LoadMemo | None) -> _Folded:
    """What the load gathers of `results` (see _Folded). With a `memo` (`serve`), the last load's
    fold with the results that are not the very objects at their place put right (found at once,
    not page by page: 20,000 pages at 20,000 pages), while the pages are the same slugs, all
    loaded, and each result put right is one that adds no problem, record link or file to what
    the one before it added; otherwise folded from the results. The memo is left holding this one."""
    last = memo.folded if memo is not None else None
    folded = None
    if last is not None and last[3] == outlines and last[0] == slugs and not last[2].missing:
        folded = _patched_fold(last[1], last[2], slugs, results)
    if folded is None:
        folded = _fold_anew(slugs, results)
    if memo is not None:
        memo.folded = (slugs, results, folded, outlines)
    return folded


def _fold_anew(slugs: list[str], results: list[PageResult]) -> _Folded:
    """What the load gathers of `results`, result by result."""
    problems: list[Problem] = []
    anchor_refs: list[PackedRefs] = []
    cross_refs: list[CrossRef] = []
    used_assets: set[str] = set()
    pages: list[model.Page] = []
    digests: dict[str, str] = {}
    found_outlines: list[PageOutline] = []
    for slug, result in zip(slugs, results, strict=True):
        problems += result.problems
        anchor_refs.append(result.anchor_refs)
        cross_refs += result.cross_refs
        used_assets.update(result.assets)
        if result.page is not None:
            pages.append(result.page)
            digests[slug] = result.digest
            if result.sha256:
                found_outlines.append(_outline(result))
    missing = len(results) - len(pages)
    return _Folded(problems, anchor_refs, cross_refs, used_assets, pages, digests, found_outlines, missing)


def _patched_fold(
    results_then: list[PageResult], then: _Folded, slugs: list[str], results: list[PageResult]
) -> _Folded | None:
    """`then`, the fold of `results_then` (every page loaded), with the results that differ put
    right; None when one of those cannot be put right in place (see `_fold`)."""
    if len(results) != len(results_then):
        return None
    changed = list(itertools.compress(range(len(results)), map(operator.is_not, results, results_then)))
    if len(changed) > FOLD_PATCHED:
        return None
    for i in changed:
        new, old = results[i], results_then[i]
        if (
            new.page is None
            or new.problems
            or old.problems
            or new.cross_refs
            or old.cross_refs
            or new.assets != old.assets
            or bool(new.sha256) != bool(old.sha256)
        ):
            return None
    if not changed:
        return then
    anchor_refs, pages, digests = list(then.anchor_refs), list(then.pages), dict(then.digests)
    found_outlines = list(then.outlines)
    for i in changed:  # every page loaded: the i-th result's page is the i-th page
        result, page = results[i], results[i].page
        assert page is not None
        anchor_refs[i], pages[i], digests[slugs[i]] = result.anchor_refs, page, result.digest
        if result.sha256:  # (with outlines: every page's, in order)
            found_outlines[sum(map(bool, map(_SHA256, results[:i])))] = _outline(result)
    return _Folded(then.problems, anchor_refs, then.cross_refs, then.assets, pages, digests, found_outlines, 0)


def _check_anchors(
    root: Path,
    pages: Sequence[model.Page],
    slugs: list[str],
    refs: list[PackedRefs],
    memo: LoadMemo | None,
    kept: SettledAnchors | None = None,
) -> list[Problem]:
    """The links of the pages `slugs` (their `refs`, in that order) to a heading that the page
    they lead to (of `pages`) does not have. With a `memo` whose pages had the anchors these have,
    only the links of the pages whose links did not all lead somewhere then are looked at; with
    `kept` (the command line), only those of the pages whose HTML it does not hold as settled,
    and it is left holding the pages settled now."""
    if memo is not None and kept is None and _anchors_again(pages, slugs, refs, memo):
        return []
    by_slug = dict(zip(map(_SLUG, pages), pages, strict=True))  # (at once)
    before = memo.settled if memo is not None and _same_anchors(by_slug, memo.pages) else None
    held = kept.held(by_slug) if kept is not None else {}
    if before is None and kept is not None:
        settled_before = kept.settled
        before = {slug: packed for slug, packed in zip(slugs, refs, strict=True) if held.get(slug) in settled_before}
    # every page's links looked at: each page's anchors at once; a few pages': the anchors of the
    # pages they lead to
    anchors: Mapping[str, frozenset[str]] = (
        {slug: _anchors_of(page) for slug, page in by_slug.items()} if before is None else _Anchors(by_slug)
    )
    settled = _Settled(before or {}, anchors)
    problems = check_anchor_refs(settled.unsettled(slugs, refs), anchors, _RefLocator(root))
    if memo is not None:
        memo.pages, memo.settled = by_slug, settled.now
        memo.anchored = (pages, slugs, refs)
    if kept is not None:
        kept.record(held[slug] for slug in settled.now if slug in held)  # (a page with errors is not loaded)
    return problems


def _anchors_again(pages: Sequence[model.Page], slugs: list[str], refs: list[PackedRefs], memo: LoadMemo) -> bool:
    """`serve`: whether every page's links to headings lead somewhere, found from the last load's
    (`memo`) when it found that of every page, the pages are of the same slugs in the same order,
    each page that is not the very object it was has that one's slug and anchors, and the links of
    each page whose links are not the very objects they were lead somewhere: those alone looked at,
    not a dict of 20,000 pages and one of their links made again (`memo` is then left holding this
    load's). False, and nothing changed, when any of this does not hold (`_check_anchors` then)."""
    if memo.anchored is None:
        return False
    last_pages, last_slugs, last_refs = memo.anchored
    if len(pages) != len(last_pages) or len(memo.settled) != len(slugs) or slugs != last_slugs:
        return False  # (each of `slugs` was settled: the last load's links all led somewhere)
    changed = list(itertools.compress(range(len(pages)), map(operator.is_not, pages, last_pages)))
    for i in changed:
        page, last = pages[i], last_pages[i]
        if page.slug != last.slug or _anchors_of(page) != _anchors_of(last):
            return False
    by_slug = dict(memo.pages)
    for i in changed:
        by_slug[pages[i].slug] = pages[i]
    anchors = _Anchors(by_slug)
    settled = dict(memo.settled)
    for i in itertools.compress(range(len(refs)), map(operator.is_not, refs, last_refs)):
        packed = refs[i]
        if not all(anchor in anchors[target] for target, anchor in packed.targets() if target in anchors):
            return False  # (a link that leads nowhere: reported as any load reports it)
        settled[slugs[i]] = packed
    memo.pages, memo.settled, memo.anchored = by_slug, settled, (pages, slugs, refs)
    return True


def _anchors_of(page: model.Page) -> frozenset[str]:
    return frozenset(h.anchor for h in page.headings)


def _same_anchors(pages: Mapping[str, model.Page], last: Mapping[str, model.Page]) -> bool:
    """Whether `pages` are the pages `last` holds (the same slugs), each the same object or one with
    the same anchors."""
    if pages.keys() != last.keys():
        return False
    # the pages that are not the very objects (found at once: 20,000 pages at 20,000 pages)
    others = itertools.compress(pages.items(), map(operator.is_not, pages.values(), map(last.__getitem__, pages)))
    return all(_anchors_of(page) == _anchors_of(last[slug]) for slug, page in others)


class _Anchors(Mapping[str, frozenset[str]]):
    """Each page's anchors, by slug, made when first asked for."""

    def __init__(self, pages: Mapping[str, model.Page]) -> None:
        self._pages = pages
        self._made: dict[str, frozenset[str]] = {}

    def __getitem__(self, slug: str) -> frozenset[str]:
        made = self._made.get(slug)
        if made is None:
            made = self._made[slug] = _anchors_of(self._pages[slug])
        return made

    def __contains__(self, slug: object) -> bool:
        return slug in self._pages

    def __iter__(self) -> Iterator[str]:
        return iter(self._pages)

    def __len__(self) -> int:
        return len(self._pages)


class _Settled:
    """The links to other pages' headings that check_anchor_refs must look at: those of each page
    with a link to a page of the site (`anchors`) whose heading it does not have. The pages whose
    links all lead somewhere (nearly all) make no AnchorRef at all; they are remembered (`now`),
    and those remembered `before` (with the same anchors) are not looked at again."""

    def __init__(self, before: Mapping[str, PackedRefs], anchors: Mapping[str, frozenset[str]]) -> None:
        self._before = before
        self._anchors = anchors
        self.now: dict[str, PackedRefs] = {}

    def unsettled(self, slugs: Sequence[str], refs: Sequence[PackedRefs]) -> Iterator[AnchorRef]:
        """Those of the refs of the pages `slugs`, in that order; `now` holds the settled ones,
        in that order, once all are given. The refs remembered `before` are found at once (20,000
        pages at 20,000 pages), the others looked at one by one."""
        before, anchors = self._before, self._anchors
        if len(slugs) != len(refs):
            raise ValueError("a ref for each page")
        settled = list(map(operator.is_, map(before.get, slugs), refs))
        for i in itertools.compress(range(len(settled)), map(operator.not_, settled)):
            packed = refs[i]
            if all(anchor in anchors[target] for target, anchor in packed.targets() if target in anchors):
                settled[i] = True
                continue
            yield from (ref for ref in packed if ref.slug in anchors)
        self.now.update(itertools.compress(zip(slugs, refs, strict=True), settled))


class LoadMemo:
    """What the last load of a long-running process (`serve`) found, taken again by its next load
    where the inputs are the same, so that a load after an edit does the work of what changed:
    content/'s listing while no folder under it changed (`_Listing`), each page's store key while
    its source and what its links may lead to are the same, and which pages' links to other pages'
    headings all led somewhere while no page's anchors changed (an unchanged page is the same
    object, the memory's: store.Remembering). Every value is replaced, never
    changed in place; a load that raises leaves what it had replaced so far, each part of which
    is right for its own inputs."""

    def __init__(self) -> None:
        self.listing: _Listing | None = None
        self.universe: _Universe | None = None
        self.context = ""  # the universe's digest
        self.paths: Mapping[str, str] = {}  # slug → source path, as listed
        self.hashes: Mapping[str, str] = {}  # source path → hash, as surveyed
        self.keys: dict[str, str] = {}  # slug → store key
        self.pages: Mapping[str, model.Page] = {}  # slug → page, of every page loaded
        self.settled: dict[str, PackedRefs] = {}  # slug → its refs, every one of which leads somewhere
        # the pages, slugs and refs the last load looked at the links to headings of (`_anchors_again`)
        self.anchored: tuple[Sequence[model.Page], list[str], list[PackedRefs]] | None = None
        # the slugs whose key the last load made again from the memo's (`_rekeyed`; None: it
        # looked at every page), the page listed under each source path, for the listing it was
        # made of, and the last load's results, by slug, with the universe and keys they were for
        self.rekeyed: tuple[dict[str, str], frozenset[str]] | None = None  # (keys made again from, slugs)
        self.by_path: tuple[Mapping[str, str], dict[str, str]] | None = None  # (listing, path → slug)
        self.results: tuple[_Universe, dict[str, str], dict[str, PageResult], dict[str, PageResult]] | None = None
        # what the last load gathered of its results (`_fold`): the slugs, the results, their
        # fold, and whether it made outlines
        self.folded: tuple[list[str], list[PageResult], _Folded, bool] | None = None
        # what the last load's check_catalog was asked (the catalog, the slugs, the day, the members'
        # ids, whether a release), where its problems were located, and its problems (`_catalog_checked`)
        self.catalog_checks: tuple[tuple[object, ...], object, tuple[Problem, ...]] | None = None
        # the pages the last load looked at the old names of, and those of them that have a
        # `renamed_from` (`_renaming`)
        self.renaming: tuple[Sequence[model.Page], list[model.Page]] | None = None


STORED_BATCH = 256  # pages read back from the store at a time when their HTML is spooled
WRITE_BYTES = 1 << 20  # a spool writes when it has taken this much HTML


class SpoolFailed(OSError):
    """The file of a BodySpool could not be written (its file system full, or failing): pages
    it has placed are not all in it (`BodySpool.failed`)."""


class BodySpool:
    """Where a build keeps its policy pages' HTML while it runs, so that its process holds each
    page's outline and not its text (model.Page `spooled`): a file with no name (it goes when it
    is closed, or with the process), read at an offset by this process and the workers it forks.
    One per build, or one for all the builds of `serve`, whose memory of pages points into it."""

    def __init__(self, folder: Path | None = None) -> None:
        self._file = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 - closed by close(), or as a context
        self._fd = self._file.fileno()
        self.folder = str(folder) if folder is not None else tempfile.gettempdir()
        # a write failed (SpoolFailed): what points into the file may point past what it holds
        self.failed = False
        self._end = 0  # where the next page's HTML goes
        self._written = 0  # how much of it is in the file; the rest waits in `_pending`
        self._pending: list[bytes] = []
        # the HTML of this digest is already at (offset, size), and its refs' size when they follow it
        self._at: dict[str, tuple[int, ...]] = {}
        # each distinct heading once: most pages share most of theirs ("Scope", "Exceptions"), and
        # a page's headings were most of what it held without its HTML (bench/README.md, "Memory");
        # so too the owners and the ids of offerings and tools that the front matter names
        self._headings: dict[model.Heading, model.Heading] = {}
        self.names: dict[str, str] = {}  # (see `meta`)
        self._parts_at: dict[str, tuple[int, int]] = {}  # what the search index reads of that HTML
        # the result `keep` took last, and what it gave: a page loaded in `serve` is kept for its
        # build and then for the memory of pages, which must be the same object (what later
        # stages remember by a page's identity holds from the next build on)
        self._last: tuple[PageResult, PageResult] | None = None

    def keep(self, result: PageResult) -> PageResult:
        """`result` with its page's HTML in the spool instead of in the page, and what the search
        index reads of it (PageResult `search`) beside it (readable once `flush` has been called)."""
        page = result.page
        if page is None or page.spooled:
            return result
        if self._last is not None and self._last[0] is result:
            return self._last[1]
        parts = self._parts_at.get(page.html_sha256)
        if parts is None and result.search:
            parts = self._parts_at[page.html_sha256] = self._add(result.search)
        slim = model.Page(
            slug=page.slug,
            source=page.source,
            meta=self.meta(page.meta),
            body="",
            text=page.text,
            headings=tuple(self._headings.setdefault(h, h) for h in page.headings),
            html_sha256=page.html_sha256,
            spooled=self._placed(page, result.body_refs),
            search_spooled=() if parts is None else (self._fd, *parts),
            fragment_targets=page.fragment_targets,
        )
        kept = dataclasses.replace(
            result,
            page=slim,
            search=b"",
            body_refs=b"",
            anchor_refs=self.refs(result.anchor_refs),
            sections=self.sections(result.sections),
            asked=self.asked(result.asked),
        )
        self._last = (result, kept)
        return kept

    def _placed(self, page: model.Page, refs: bytes = b"") -> tuple[int, ...]:
        at = self._at.get(page.html_sha256)
        return (self._fd, *at) if at is not None else self.place(page.body.encode("utf-8"), page.html_sha256, refs)

    # -- what `keep` does, for a page read back from the store (buildcache.decode_page), which makes
    # its page with them at once: a rebuild reads back every page, and making each twice was a
    # third of that

    def place(self, html: bytes, html_sha256: str, refs: bytes = b"") -> tuple[int, ...]:
        """Where the page's HTML (`html`, its UTF-8 bytes, whose SHA-256 is `html_sha256`) is
        kept: model.Page `spooled`, with what it links to and its ids (`refs`, PageResult
        `body_refs`) right after it when given. Each distinct HTML once."""
        at = self._at.get(html_sha256)
        if at is None:
            offset, _ = self._add(html + refs) if refs else self._add(html)
            at = self._at[html_sha256] = (offset, len(html), len(refs)) if refs else (offset, len(html))
        return (self._fd, *at)

    def search_parts(self, html_sha256: str) -> tuple[int, ...]:
        """model.Page `search_spooled` of a page with this HTML read back from the store (which
        keeps no search parts): where `keep` put those of a page of the same HTML this build
        loaded, which are that HTML's (search.spooled_parts checks it); () when none was. A past
        release's pages are mostly the working tree's: its index then reads their words as the
        build's own index does, a batch at a time, not every page's HTML again at once."""
        parts = self._parts_at.get(html_sha256)
        return () if parts is None else (self._fd, *parts)

    def refs(self, refs: PackedRefs) -> PackedRefs:
        """A page's links to other pages' headings, kept here (read when every page is loaded)."""
        if not refs.text:
            return refs
        return PackedRefs(count=refs.count, spooled=(self._fd, *self._add(refs.text.encode("utf-8"))))

    def meta(self, meta: model.PageMeta) -> model.PageMeta:
        """The front matter with each owner and id that another page's names too as one string."""
        names = self.names
        return dataclasses.replace(
            meta,
            owner=None if meta.owner is None else names.setdefault(meta.owner, meta.owner),
            offerings=tuple(names.setdefault(i, i) for i in meta.offerings),
            tools=tuple(names.setdefault(i, i) for i in meta.tools),
        )

    def sections(self, sections: Outline) -> Outline:
        """A page's outline for the history (PageResult `sections`) with each anchor and title
        that another page's outline has too as one string: most pages share most of theirs
        ("Scope", "details-2"), and a site in git holds every page's outline for as long as the
        process runs (`serve`: 55,000 sections at 5,000 pages, bench/README.md)."""
        one = self.names.setdefault
        return Outline(tuple([one(name, name) for name in sections.names]), sections.digests)

    def asked(self, asked: Iterable[str]) -> tuple[str, ...]:
        """What a page's links asked about (PageResult `asked`) with each entry that another
        page's asked too as one string: most pages link to the same few offerings, tools and
        pages, and a site's pages ask ~30,000 of them at 5,000 pages (bench/README.md)."""
        one = self.names.setdefault
        return tuple([one(entry, entry) for entry in asked])

    def heading(self, heading: model.Heading) -> model.Heading:
        """The one object for this heading."""
        return self._headings.setdefault(heading, heading)

    def _add(self, data: bytes) -> tuple[int, int]:
        """Where `data` goes: (offset, size)."""
        at = (self._end, len(data))
        self._end += len(data)
        self._pending.append(data)
        if self._end - self._written >= WRITE_BYTES:
            self.flush()
        return at

    def flush(self) -> None:
        """Write what `keep` took so far."""
        self._last = None  # (a page's HTML is not held past its load)
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            done = 0
            try:
                while done < len(data):
                    done += os.pwrite(self._fd, data[done:], self._written + done)
            except OSError as exc:  # (what was not written waits: offsets stay true)
                self._written += done
                self._pending.append(data[done:])
                self.failed = True
                raise SpoolFailed(exc.errno, exc.strerror, self.folder) from None
            self._written += len(data)

    @property
    def size(self) -> int:
        """Bytes of HTML the spool has taken so far (each distinct page once)."""
        return self._end

    @property
    def closed(self) -> bool:
        return self._file.closed

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> BodySpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _load_one(universe: _Universe, job: tuple[str, str]) -> PageResult:
    slug, path = job
    problems: list[Problem] = []
    anchor_refs: list[AnchorRef] = []
    cross_refs: list[CrossRef] = []
    used: set[str] = set()
    slugs, assets = _Asking(universe.slugs, "p"), _Asking(universe.assets, "a")
    outline: list[tuple[str, str, bytes]] | None = [] if universe.outlines else None
    sections: list[tuple[str, str, str]] | None = [] if universe.search else None  # for the search index
    body_refs: list[bytes] = []
    page = _load_page(
        universe.root,
        slug,
        path,
        slugs,
        assets,
        universe.offerings,
        universe.tools,
        universe.check_refs,
        problems,
        anchor_refs,
        used,
        outline,
        universe.member,
        universe.organisation,
        cross_refs,
        sections,
        body_refs=body_refs,
    )
    parts = page_parts(sections, page.html_sha256) if page is not None and sections is not None else b""
    seen = "" if page is None else repr((page.slug, page.source, page.meta, page.headings))
    outlined = NO_OUTLINE
    sha256 = blob = ""
    if page is not None and outline is not None:  # what a large site would hold for nothing otherwise
        outlined = Outline.of(outline)
        with contextlib.suppress(OSError):
            data = (universe.root / path).read_bytes()
            sha256 = hashlib.sha256(data).hexdigest()
            blob = git_blob_id(data)
    return PageResult(
        page,
        tuple(problems),
        PackedRefs.of(anchor_refs),
        tuple(sorted(used)),
        hashlib.blake2b(seen.encode(), digest_size=20).hexdigest(),
        outlined,
        sha256,
        blob,
        tuple(cross_refs),
        parts,
        tuple(
            sorted(slugs.asked | assets.asked | ({"**" + universe.names()} if slugs.whole or assets.whole else set()))
        ),
        body_refs[0] if page is not None and body_refs else b"",
    )


def _load_page(
    root: Path,
    slug: str,
    path: str,
    slugs: Collection[str],
    assets: Collection[str],
    offerings: Container[str],
    tools: Container[str],
    check_refs: bool,
    problems: list[Problem],
    anchor_refs: list[AnchorRef],
    used_assets: set[str],
    outline: list[tuple[str, str, bytes]] | None,
    member: tuple[str, str | None] | None = None,
    organisation: str | None = None,
    cross_refs: list[CrossRef] | None = None,
    search_sections: list[tuple[str, str, str]] | None = None,
    *,
    body_refs: list[bytes],  # takes what its HTML links to (markdown.body_refs)
) -> model.Page | None:
    url: Callable[[str], str]
    elsewhere: Callable[[str], str] | None = None  # other member teams' records: see LinkTargets
    if member is None:
        page_dir = routes.policy(slug)
        url = partial(routes.relative_url, page_dir)
        if organisation is not None:
            elsewhere = partial(routes.absolute_url, organisation)
    else:  # published on an organisation site, under the member's prefix
        here = routes.policy(routes.member_scoped(member[0], slug))
        url = partial(routes.member_link, *member, here)
        if organisation is not None:
            elsewhere = partial(routes.relative_url, here)
    # a member without a site of its own: its fixed pages (site:support#on-call) lead to its team page
    site_anchors = member is None or member[1] is not None
    targets = LinkTargets(
        offerings=offerings,
        tools=tools,
        pages=slugs,
        assets=assets,
        url=url,
        site_anchors=site_anchors,
        elsewhere=elsewhere,
    )

    def body_only(body: str, body_offset: int) -> None:
        """A page that cannot be published (its front matter is missing or wrong) still has its
        body's links and headings checked, so that one run reports every problem of the page."""
        rendered = render(source, body, body_offset, slug, targets)
        problems.extend(rendered.problems)
        anchor_refs.extend(rendered.anchor_refs)

    try:
        source = read_text(root, path, max_bytes=MAX_PAGE_BYTES)
        front, body, body_offset = split_front_matter(source)  # refuses front matter never closed
    except SourceError as exc:
        problems += exc.problems
        return None
    if front is None:
        problems.append(source.problem(1, 1, "page has no front matter", no_front_matter_hint(source.text)))
        body_only(source.text, 0)
        return None
    try:
        node = parse_yaml(source, text=front, line_offset=1)
        problems += comment_traps(source, front, line_offset=1)
    except SourceError as exc:
        problems += exc.problems
        body_only(body, body_offset)
        return None
    if node is None:
        problems.append(source.problem(2, 1, "front matter is empty", "it needs at least 'title: …'"))
        body_only(body, body_offset)
        return None
    checked, found = read_record(source, node, model.PageMeta, "the front matter")
    problems += found
    if checked is None:
        # the rest of the page's problems in the same run: references in the front matter as
        # written, and the body's links and headings
        if check_refs and isinstance(offerings, Collection) and isinstance(tools, Collection):
            problems += check_raw_references(source, node, PAGE_REFS, {"offering": offerings, "tool": tools})
        body_only(body, body_offset)
        return None
    if check_refs:
        problems += check_page_meta(checked, source, offerings, tools)  # type: ignore[arg-type]
    rendered = render(
        source, body, body_offset, slug, targets, sections=outline is not None, search=search_sections is not None
    )
    problems += rendered.problems
    if cross_refs is not None:
        cross_refs += rendered.cross_refs
    anchor_refs += rendered.anchor_refs
    used_assets.update(rendered.assets)
    if outline is not None:
        outline += rendered.sections
    if search_sections is not None:
        search_sections += rendered.search_sections
    body_refs.append(rendered.refs)
    return model.Page(
        slug=slug,
        source=path,
        meta=checked.value,
        body=rendered.html,
        text=rendered.text,
        headings=tuple(model.Heading(level, text, anchor) for level, text, anchor in rendered.headings),
        html_sha256=hashlib.sha256(rendered.html.encode()).hexdigest(),
        fragment_targets=tuple(sorted(set(rendered.fragment_targets))),
    )
