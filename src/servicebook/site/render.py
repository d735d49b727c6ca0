"""Turn a checked site into its output files (path → bytes): which pages there are (the fixed pages
of routes.py and one per offering, tool and policy page), what every page is given, and the files
made by code (declared in outputs.py). Pages are rendered by templates.py, in worker processes;
large sites spool them to a folder."""

from __future__ import annotations

import contextlib
import functools
import itertools
import operator
import re
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import jinja2

import servicebook
from servicebook import routes
from servicebook.cache.folder import flat_name
from servicebook.cache.store import Store
from servicebook.catalog import model
from servicebook.content.htmlrefs import HtmlRefs
from servicebook.errors import Problem
from servicebook.git.diff import removed_name
from servicebook.git.history import Timeline
from servicebook.git.versions import Release
from servicebook.progress import Phases
from servicebook.site.changes import HistoryMemo, HistoryView, changes_pages, history_view
from servicebook.site.forge import commit_url
from servicebook.site.heap import give_back
from servicebook.site.links import LinkTarget, SharedLinks, safe_path, settle
from servicebook.site.outputs import CatalogLines, add_site_outputs, data_specs
from servicebook.site.paging import (
    Part,
    PartsMemo,
    PolicySpecs,
    a_to_z_part,
    at_a_glance,
    catalog_part,
    catalog_parts,
    catalog_starts,
    letters,
    page_parts,
    tools_part,
)
from servicebook.site.parallel import beside, map_shared
from servicebook.site.scans import Checking, encode
from servicebook.site.search import KIND_LABELS, SearchMemory, text_files
from servicebook.site.stamps import Carried, RenderedStore, render_stamped
from servicebook.site.teams import team_specs, teams_view
from servicebook.site.templates import (
    DataSpec,
    PageSpec,
    Renderer,
    RenderError,
    ReuseAll,
    VersionContext,
    check_one,
    environment,
    render_one,
    spooled,
)
from servicebook.site.views import SiteView, ViewMemo, site_view
from servicebook.site.write import HeldLinks, PageLinks, SiteFiles, Spooled

STATIC_DIR = Path(servicebook.__file__).parent / "static"  # as templates.THEME_DIR
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; object-src 'none'"
)


_PATH, _TEMPLATE = operator.attrgetter("path"), operator.attrgetter("template")
_RENAMED_FROM = operator.attrgetter("meta.renamed_from")
MOVED_TEMPLATE = "moved.html"  # the page an offering or tool had under an earlier id
GONE_TEMPLATE = "gone.html"  # the page an offering or tool a commit removed had
POINTER_TEMPLATE = "root_page.html"  # a release's page that sends readers on to the site root's


def page_specs(
    view: SiteView,
    history: HistoryView | None = None,
    *,
    versions: bool = False,
    release: str | None = None,
    paging: PartsMemo | None = None,
) -> list[PageSpec]:
    """Every HTML page of the site, in a fixed order: the fixed pages of routes.py that this
    build has (the changes list with a `history`, the versions page with `versions`), each
    listing followed by the pages it lists; in a `release`, last, a page at the address of each
    page only the root has that its pages may link to, sending readers on to the root's.
    `paging`: how the last build of a long-running process cut its paged lists (paging.PartsMemo).
    A list, each part put in whole (`list.extend`), not a generator: the policy pages' specs
    taken through three generators were a resumption of each for every page, every build."""
    specs = _fixed_specs(view, history, versions=versions, paging=paging)
    if release is not None:
        for page in routes.release_pointers():
            context = {"target": routes.from_release(release, page.url)}
            specs.append(PageSpec(routes.output_path(page.url), POINTER_TEMPLATE, page.title, page.section, context))
    return specs


def _fixed_specs(
    view: SiteView, history: HistoryView | None, *, versions: bool, paging: PartsMemo | None
) -> list[PageSpec]:
    members = view.site.federation is not None
    specs: list[PageSpec] = []
    for page in routes.fixed_pages(history=history is not None, releases=versions, members=members):
        if page.name == "changes" and history is not None:
            for listing in changes_pages(history):
                title = page.title if listing.number == 1 else f"{page.title}, page {listing.number} of {listing.count}"
                specs.append(
                    PageSpec(routes.output_path(listing.path), page.template, title, page.section, {"listing": listing})
                )
        elif page.paged:
            specs.extend(_parts(view, page, paging))
        else:
            title = page.title or view.site.catalog.team.name
            context: dict[str, Any] = at_a_glance(view) if page.name == "" else {}
            specs.append(PageSpec(routes.output_path(page.url), page.template, title, page.section, context))
        if page.lists is not None:
            specs.extend(_listed(view, page.lists, page.section, paging))
            if history is not None and history.removals and page.lists != "policy":
                specs.extend(_gone_specs(view, history, page.lists, page.section))
        if page.name == "teams":
            specs.extend(team_specs(view.site, page.section))
    return specs


def _parts(view: SiteView, page: routes.FixedPage, paging: PartsMemo | None) -> list[PageSpec]:
    """A paged list's pages (site/paging.py): one, at the page's own address, unless its list is long.
    With a `paging` memo, the A to Z list's and the whole catalog's specs are the last build's
    where their parts are the very same (their contexts are pure functions of the parts: the
    letters and entries of every part of 20,000 pages' A to Z list, grouped again, were ~10 ms
    a rebuild)."""
    found: tuple[Part[Any], ...] = (
        catalog_parts(view, paging) if page.name == "catalog" else page_parts(view, page.name, paging)
    )
    last = paging.specs.get(page.name) if paging is not None and page.name in ("search", "catalog") else None
    if last is not None and last[0] is found:
        return last[1]
    where = letters(found) if page.name == "search" else ()
    starts = catalog_starts(found) if page.name == "catalog" else {}
    # the whole catalog's rows are the last build's where they equal them (paging.catalog_parts),
    # and so are the A to Z list's entries (paging._a_to_z): a part that equals the last one at
    # its place (its rows the very objects) has its spec
    around = {"catalog": ("starts", starts), "search": ("letters", where)}.get(page.name)
    before = last if last is not None and around and last[1][0].context[around[0]] == around[1] else None
    made: list[PageSpec] = []
    for part in found:
        if before is not None and part.number <= len(before[0]) and before[0][part.number - 1] == part:
            made.append(before[1][part.number - 1])
            continue
        title = page.title if part.number == 1 else f"{page.title}, page {part.number} of {part.count}"
        context: dict[str, Any] = {"part": part}
        if page.name == "search":
            context |= {"letters": where, **a_to_z_part(part)}
        elif page.name == "catalog":
            context |= catalog_part(part, found, starts)
        elif page.name == "tools":
            context |= tools_part(part, found, view)
        made.append(PageSpec(routes.output_path(part.path), page.template, title, page.section, context))
    if paging is not None and page.name in ("search", "catalog"):
        paging.specs[page.name] = (found, made)
    return made


def _listed(view: SiteView, kind: routes.Entity, section: str, memo: PartsMemo | None = None) -> list[PageSpec]:
    """The page of each offering, tool or policy page; an offering's, a tool's or a policy page's
    earlier ids (names) keep a page that sends readers on (old links and bookmarks lead on). With a `memo` (`serve`),
    the policy pages' specs of its last build where the page is the very one (`_policy_specs`)."""
    if kind == "policy":
        pages = view.pages
        last = memo.policy_specs if memo is not None else None
        # the places whose page is not the very object the last build's was, found once for both lists
        changed = (
            list(itertools.compress(range(len(pages)), map(operator.is_not, pages, last[0])))
            if last is not None and last[1] == section and len(last[0]) == len(pages)
            else None
        )
        policies = _policy_specs(pages, section, last, changed)  # (the memo's own list when it has one)
        moved = _moved_specs(pages, section, last, changed)
        if memo is not None:
            memo.policy_specs = (pages, section, policies, moved)
        return [*policies, *moved] if moved else policies
    specs: list[PageSpec]
    if kind == "offering":
        specs = _viewed_specs(kind, list(view.offerings), section, memo)
        for o in view.offerings:
            for old in o.offering.renamed_from:
                context = {"target": o.path, "kind": "offering", "old": old}
                path = routes.output_path(routes.offering(old))
                specs.append(PageSpec(path, MOVED_TEMPLATE, o.offering.name, section, context))
    else:
        specs = _viewed_specs(kind, list(view.tools), section, memo)
        for t in view.tools:
            for old in t.tool.renamed_from:
                context = {"target": t.path, "kind": "tool decision", "old": old}
                path = routes.output_path(routes.tool(old))
                specs.append(PageSpec(path, MOVED_TEMPLATE, t.tool.name, section, context))
    return specs


def _gone_specs(view: SiteView, history: HistoryView, kind: routes.Entity, section: str) -> list[PageSpec]:
    """A page at the address of each offering or tool (`kind`) that a commit removed from the
    catalog and none has again (nor names among its earlier ids): what it was, when and by which
    commit it went, what the catalog said to use instead, and its history, so that an old link or
    a bookmark does not end on "not found". Not on an organisation site, whose members' entities
    come and go with the lock (their addresses are the members')."""
    if view.site.federation is not None:
        return []
    offerings = {o.offering.id: o.path for o in view.offerings}
    tools = {t.tool.id: t.path for t in view.tools}
    if kind == "offering":
        prefix, path_of, what, listing = "offering:", routes.offering, "The offering", routes.page("offerings")
        taken = {*offerings, *(old for o in view.offerings for old in o.offering.renamed_from)}
    else:
        prefix, path_of, what, listing = "tool:", routes.tool, "The tool", routes.page("tools")
        taken = {*tools, *(old for t in view.tools for old in t.tool.renamed_from)}
    names = {**{o.offering.id: o.offering.name for o in view.offerings}, **{t.tool.id: t.tool.name for t in view.tools}}
    specs = []
    for subject, removed in history.removals.items():
        ident = subject.removeprefix(prefix)
        if ident == subject or ident in taken or history.history_of(subject)[:1] != (removed,):
            continue
        change = next((c for c in removed.changes if c.kind == f"{kind}.removed"), None)
        if change is None:  # (a removal of another kind under this subject: none is made)
            continue
        instead = change.after
        target = None
        if instead is not None:  # a tool's alternative is a tool or else an offering (views._alternative)
            target = offerings.get(instead) if kind == "offering" else tools.get(instead, offerings.get(instead))
        title = f"{removed_name(change) or ident} (removed)"
        # the commits just before it whose catalog did not validate: the removal may be one of theirs
        at = next((n for n, e in enumerate(history.entries) if e is removed.entry), len(history.entries))
        carried = tuple(itertools.takewhile(lambda e: e.state == "invalid", history.entries[at + 1 :]))
        context = {
            "subject": subject,
            "kind": kind,
            "what": what,
            "ident": ident,
            "removed": removed,
            "instead": instead,
            "instead_name": names.get(instead or "", instead),
            "target": target,
            "listing": listing,
            "listing_title": "All offerings" if kind == "offering" else "All tools",
            "carried": carried,
        }
        specs.append(PageSpec(routes.output_path(path_of(ident)), GONE_TEMPLATE, title, section, context))
    return specs


def _viewed_spec(kind: str, view: Any, section: str) -> PageSpec:
    """An offering's or a tool's page spec: a pure function of its view and the section."""
    if kind == "offering":
        return PageSpec(routes.output_path(view.path), "offering.html", view.offering.name, section, {"o": view})
    return PageSpec(routes.output_path(view.path), "tool.html", view.tool.name, section, {"t": view})


def _viewed_specs(kind: str, views: list[Any], section: str, memo: PartsMemo | None) -> list[PageSpec]:
    """The page spec of each offering's or tool's view, in order; with a `memo` (`serve`), the
    last build's spec where the view at its place is the very object it was made of (views.ViewMemo
    keeps a view whose inputs are the same), so that the build cache's answers are taken for the
    very spec as the policy pages' are (pagekeys._Carried), not each looked at again."""
    last = memo.viewed_specs.get(kind) if memo is not None else None
    if last is None or last[0] != section or len(last[1]) != len(views):
        specs = [_viewed_spec(kind, v, section) for v in views]
    else:
        specs = [
            s if v is then else _viewed_spec(kind, v, section)
            for v, then, s in zip(views, last[1], last[2], strict=True)
        ]
    if memo is not None:
        memo.viewed_specs[kind] = (section, views, specs)
    return specs


def _policy_specs(
    pages: tuple[Any, ...], section: str, last: PolicySpecs | None, changed: list[int] | None
) -> list[PageSpec]:
    """Each policy page's spec, in the order of `pages`; with the `last` build's (serve), its list
    with the spec of each page that is not the very object at its place (`changed`, found at
    once, not page by page: at 20,000 pages a spec and an output path for each cost ~40 ms a
    rebuild) made again. A spec is a pure function of its page and the section."""

    def spec(p: Any) -> PageSpec:
        return PageSpec(routes.output_path(routes.policy(p.slug)), "policy.html", p.meta.title, section, {"page": p})

    if last is None or changed is None:
        return [spec(p) for p in pages]
    specs = list(last[2])
    for i in changed:
        specs[i] = spec(pages[i])
    return specs


def _moved_specs(
    pages: tuple[Any, ...], section: str, last: PolicySpecs | None, changed: list[int] | None
) -> list[PageSpec]:
    """The page at each earlier address of a policy page (its front matter's `renamed_from`),
    sending readers on; with the `last` build's (serve), its list while no page that is not the
    very object at its place (`changed`) had or has an earlier address: the pages are then those
    it was made of, not 20,000 looked at again. Pure functions of the pages and the section."""
    if last is not None and changed is not None:
        before = last[0]
        if not any(pages[i].meta.renamed_from or before[i].meta.renamed_from for i in changed):
            return last[3]
    return [
        PageSpec(
            routes.output_path(routes.policy(old)),
            MOVED_TEMPLATE,
            p.meta.title,
            section,
            {"target": routes.policy(p.slug), "kind": "policy page", "old": old},
        )
        for p in itertools.compress(pages, map(_RENAMED_FROM, pages))  # (at C speed: 20,000 pages)
        for old in p.meta.renamed_from
    ]


def render_site(
    site: model.SiteContent,
    site_root: Path,
    *,
    source_prefix: str,
    versioning: VersionContext | None = None,
    history: Timeline | None = None,
    shown_history: HistoryView | None = None,
    reuse: Callable[[PageSpec | DataSpec], str | bytes | None] | None = None,
    workers: int = 1,
    spool: Path | None = None,
    stamped: RenderedStore | None = None,
    carried: Carried | None = None,
    progress: Phases | None = None,
    store: Store | None = None,
    compiled: Path | None = None,
    search_texts: SearchMemory | None = None,
    catalog_lines: CatalogLines | None = None,
    views: ViewMemo | None = None,
    paging: PartsMemo | None = None,
    history_memo: HistoryMemo | None = None,
    search_made_of: Mapping[str, str] | None = None,
    catalog_key: str | None = None,
    first: bool = False,
    checking: Checking | None = None,
    into: Path | None = None,
    kept_files: dict[str, str | bytes | None] | None = None,
) -> SiteFiles:
    """All output files of `site`; raises RenderError for a broken template.

    `reuse` may name the file of a page that an earlier build rendered from the same inputs, or
    give its bytes with the catalog's new version filled in (see build.py); the other pages are
    rendered over `workers` processes. With a `spool` folder, pages are written there as they are
    rendered and read back only when needed (write.SiteFiles).
    With a `stamped` store (a past release's build), pages that other releases rendered from the
    same inputs are taken from it with this release's stamp filled in (see stamps.py); `carried`
    holds what the release built before it was keyed from (stamps.Carried).
    `source_prefix` is where the site lives in its repository ("" at its top or outside git;
    Repo.prefix): required, since a page's "Edit this page" link is wrong without it.
    `progress` is told how many pages and files are rendered, and each as it is.
    `store` keeps what the next search index is made from (site/search/); a past release's
    build uses its `stamped` build cache's. `compiled`: where compiled templates are kept
    between processes (templates.environment). `search_texts`: what the last search index of a
    long-running process (`serve`) was made of (search.search_index); `catalog_lines`, the lines of
    catalog.json it keeps (outputs.CatalogLines); `views`, the views of its last build (views.ViewMemo:
    the very objects where their inputs are); `paging`, how its last build cut the paged lists
    (paging.PartsMemo); `history_memo`, the view of its committed history (changes.HistoryMemo),
    which keeps its last feed. `shown_history`: the view of `history` (site_history) when the build has
    made it already, for the page keys. `search_made_of`: what each policy page's search record
    is made of (load.Loaded `page_digests`; search.index_files `made_of`). `catalog_key`: the
    key of the catalog's bytes, by which the `store` keeps catalog.json's catalog sections
    (outputs.stored_sections; the command line). `first`: `reuse` keeps nothing (no last build).
    `checking` (`check`): the files for the path and link checks only, not to be written: each
    page's links and ids (`SiteFiles.scans`) and no bytes of it, kept in the store by the page's
    key and taken from it (site/scans.py); the data files by their paths alone (code makes them
    from the checked catalog, and none is HTML with links).
    `into` (a past release's build, with `stamped`): the folder its stamped pages and the data
    files it makes are written to as each is made (stamps.render_stamped, `_render_pages`), flat,
    as the release's tree holds them. `kept_files` (`serve`): what its last build put in of the
    files kept (SiteFiles.put_kept `last`), put right for this one.
    """
    layouts = site_root / "layouts"
    env = environment(layouts, compiled)
    view = site_view(site, carried.views if carried is not None else views)
    files = SiteFiles(spool)  # a large file made here goes to the spool folder at once
    versioning = versioning or VersionContext()
    common = {**_common_context(view), "versioning": versioning, "source_prefix": source_prefix}
    changes = _history(history, common, versioning.releases, shown_history)
    versions = versioning.current is None and bool(versioning.releases)
    specs = page_specs(view, changes, versions=versions, release=versioning.current, paging=paging)
    # The site's JSON documents are made by the workers too, so that the parent, which holds
    # every page, never also holds the many small objects they are built from.
    if store is None and isinstance(shared := getattr(stamped, "store", None), Store):
        store = shared
    # A first build (`first`: nothing of a last build can be kept) writes the search index's text
    # fragments, a file each policy page made of that page alone, from another process while this
    # one makes the index, a core's work the other core was idle for (inodes, most of it: the
    # data files' pool spent most of its time on them); the index's own are those that match
    early = first and search_texts is None and site.federation is None and bool(view.pages)
    writer = functools.partial(_write_early, view, spool) if early and spool is not None else None
    with beside(writer, workers) as other:
        data = data_specs(site, view, store, workers, search_texts, catalog_lines, search_made_of, catalog_key)
        written = other.wait()
    made = _made_early(view, data, spool, written) if writer is not None else range(0)
    # what the search index freed, before the render workers are forked from this process; in a
    # serve rebuild too, where the render peaks as the write stage does (heap.py)
    give_back(before_rendering=True)
    # every page, data file and asset of the site: a link to one of them needs no later check; a
    # spooled render puts every page and data file in first (`_render_pages`: their paths are the
    # files' then, not a set of 45,000 made again at 20,000 pages)
    statics = frozenset(routes.asset(p.name) for p in STATIC_DIR.iterdir() if p.is_file())
    known: Container[str] = (
        _Known(files.paths(), statics)
        if spool is not None and checking is None
        else frozenset((*map(_PATH, specs), *map(_PATH, data), *statics))  # (at once)
    )
    if stamped is not None and spool is None:
        assert isinstance(known, frozenset)  # (made of every path: no spool)
        specs = render_stamped(files, stamped, env, specs, common, layouts, known, workers, carried, into)
    renderer = Renderer(env, specs, common, layouts, spool, known, list(data))
    del data  # the renderer's list is the only hold on the data files' makers: emptied once they are made
    if checking is not None:
        _check_pages(files, renderer, checking, workers, progress)
    else:
        _render_pages(files, renderer, reuse, workers, progress, made, into if spool is None else None, kept_files)
    for name in sorted(p.name for p in STATIC_DIR.iterdir() if p.is_file()):
        files[routes.asset(name)] = published_asset(name, (STATIC_DIR / name).read_bytes())
    moving = map((MOVED_TEMPLATE, POINTER_TEMPLATE, GONE_TEMPLATE).__contains__, map(_TEMPLATE, specs))
    moved = frozenset(map(_PATH, itertools.compress(specs, moving)))
    add_site_outputs(files, site, changes, moved, history_memo)
    return files


EarlyText = tuple[str, str, Callable[[], bytes]]  # a text fragment's path, inputs and maker (search.text_files)


def _early(path: str, inputs: str, make: Callable[[], bytes]) -> EarlyText:
    return path, inputs, make


def _write_early(view: SiteView, spool: Path) -> None:
    """The search index's text fragments (search.text_files) into the `spool` folder, as
    `templates.render_one` writes a data file there; in the process `render_site` forks for it."""
    folders: set[Path] = set()
    for path, _, make in text_files(view, _early):
        if not safe_path(path):
            raise ValueError(f"{path} is outside the site")  # not written early: made with the others
        target = spool / path
        if target.parent not in folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            folders.add(target.parent)
        target.write_bytes(make())


def _made_early(view: SiteView, data: tuple[DataSpec, ...], spool: Path | None, written: bool) -> range:
    """The places in `data` of the data files `_write_early` wrote: the index's text fragments,
    its last files, when it wrote every one and each is the index's own (the same path, the
    same inputs); else none, and whatever it wrote is removed (made again with the others)."""
    start = len(data) - len(view.pages)
    texts = text_files(view, _early)
    if written and start >= 0:
        same = map(_same_file, data[start:], texts)
        if all(same) and next(texts, None) is None:
            return range(start, len(data))
        texts = text_files(view, _early)
    if spool is not None:
        for path, _, _ in texts:
            if safe_path(path):
                (spool / path).unlink(missing_ok=True)
    return range(0)


def _same_file(job: DataSpec, text: EarlyText) -> bool:
    return job.path == text[0] and job.inputs == text[1]


def site_history(
    site: model.SiteContent, timeline: Timeline | None, releases: Iterable[Release], memo: HistoryMemo | None = None
) -> HistoryView | None:
    """The view of the history that the site's pages show (changes.history_view), its commits
    linked on the site's forge; None without a timeline. `memo`: the committed history's view
    of the last build of a long-running process (`serve`)."""
    if timeline is None:
        return None
    links = (site.catalog.site.repository, site.catalog.site.forge)  # what `_commit_url_for` is made of
    return history_view(timeline, _commit_url_for(site), releases, memo=memo, links=links)


def _commit_url_for(site: model.SiteContent) -> Callable[[str], str | None]:
    repo, forge = site.catalog.site.repository, site.catalog.site.forge
    return lambda sha: commit_url(repo, forge, sha) if repo else None


def _history(
    timeline: Timeline | None,
    common: dict[str, Any],
    releases: Iterable[Release] = (),
    made: HistoryView | None = None,
) -> HistoryView | None:
    """The history's view (see changes.py; `made` when the build made it already), and what every
    page needs of it: the navigation's entry for the changes list, "last changed". Without a
    timeline (a past release being rebuilt) there is no history and no link to it."""

    common["nav"] = routes.nav(history=timeline is not None, members=common["teams"] is not None)
    common["history"] = None
    common["last_changed_for"] = lambda _path: None
    if timeline is None:
        return None
    view = made if made is not None else history_view(timeline, common["commit_url_for"], releases)
    common["history"] = view
    common["last_changed_for"] = view.last_changed
    return view


def _common_context(view: SiteView) -> dict[str, Any]:
    site = view.site
    build = site.build
    repo = site.catalog.site.repository
    commit_link = None
    if repo and build.commit:
        commit_link = commit_url(repo, site.catalog.site.forge, build.commit)
    return {
        "view": view,
        "catalog": site.catalog,
        "build": build,
        "short_commit": build.commit[:12] if build.commit else None,
        "commit_url": commit_link,
        "commit_url_for": _commit_url_for(site),
        "built_on": build.date.strftime("%Y-%m-%d %H:%M UTC") if build.date else None,
        "published_on": build.date.strftime("%Y-%m-%d") if build.date else None,
        "csp": CSP,
        "kind_labels": KIND_LABELS,
        "teams": teams_view(site),  # an organisation site's members (site/teams.py), else None
        "has_oncall": site.catalog.support.oncall is not None,  # every page's footer links it
    }


Rendered = tuple[bytes | None, PageLinks | HeldLinks | None] | list[Problem]  # render_one; links held: SharedLinks


def _render_pages(
    files: SiteFiles,
    renderer: Renderer,
    reuse: Callable[[PageSpec | DataSpec], str | bytes | None] | None,
    workers: int,
    progress: Phases | None = None,
    made: range = range(0),
    into: Path | None = None,
    kept_files: dict[str, str | bytes | None] | None = None,
) -> None:
    """Every page of the renderer's specs, then every data file, into `files`, in order: the file
    `reuse` names when it has one, else made (into the spool folder, when there is one; a data
    file into the folder `into`, flat, as it comes in, when given: a past release's tree's). A
    rendered page's links are read by the process that rendered it (links.scan_page), for the
    link check, and held until then as `SharedLinks` keeps them, as each page comes in."""

    specs, data = renderer.specs, renderer.data
    paths = [*map(_PATH, specs), *map(_PATH, data)]  # (at once: 45,000 at 20,000 pages)
    kept, remade = _kept(renderer, reuse)
    # with a spool, every output is a file on disk: those kept as they were (paths into the last
    # output, not `remade`) are put in at once, in order, and the others put right one by one
    # below at their places (a call for each of 45,000 kept files at 20,000 pages was ~30 ms);
    # put in before any is rendered, they are the paths a link needs no later check to (`_Known`)
    whole = renderer.spool is not None and not files
    if whole:
        files.put_kept(paths, kept, kept_files)
    # the data files in the spool folder already (`made`: `_made_early`), unless kept after all
    ready = set(_ready(renderer, kept, made))
    todo = list(itertools.compress(range(len(kept)), map(operator.is_, kept, itertools.repeat(None))))
    if ready:
        todo = [i for i in todo if i not in ready]
    data_todo, pages_todo = [i for i in todo if i >= len(specs)], [i for i in todo if i < len(specs)]
    if workers > 1:  # compiled once here rather than once in every worker
        for name in sorted({specs[i].template for i in pages_todo}):
            with contextlib.suppress(jinja2.TemplateError, RenderError):  # reported, located, by the page's render
                renderer.env.get_template(name)
    if progress is not None:
        progress.expect(len(todo) + len(ready))
        if ready:
            progress.advance(len(ready))
    done = progress.advance if progress is not None else None
    shared = SharedLinks()

    def keep(_i: int, result: Rendered) -> Rendered:
        return (result[0], shared(result[1])) if isinstance(result, tuple) and result[1] is not None else result

    # a past release's data files (its search index: 34 MB at 5,000 pages) written into its tree's
    # folder as each comes in from the workers, not all held until the release is stored
    into_tree = _IntoTree(into, renderer, data_todo, keep) if into is not None else keep
    # the data files first, then what they were made from (the search index's words and texts:
    # tens of MB at 20,000 pages) is let go, before the pages' workers are forked from this process
    results = dict(
        zip(data_todo, map_shared(render_one, renderer, data_todo, workers, done=done, keep=into_tree), strict=True)
    )
    # where the data files made here went (their specs are let go below), as strings (a `Path` each
    # held about 7 MiB more at 20,000 pages); a kept one is where `reuse` says
    places = {i: str(spooled(renderer, i)) for i in (*data_todo, *ready)} if renderer.spool is not None else {}
    if isinstance(into_tree, _IntoTree):
        places = into_tree.written
    data.clear()
    give_back()
    pages = map_shared(render_one, renderer, pages_todo, workers, done=done, keep=keep)
    results.update(zip(pages_todo, pages, strict=True))
    problems = [p for result in results.values() if isinstance(result, list) for p in result]
    if problems:
        raise RenderError(problems[:1])  # the first, in page order, as a sequential render reports it
    others: Iterable[int] = sorted({*todo, *remade, *ready}) if whole else range(len(paths))
    for i in others:
        path = paths[i]
        result = results.get(i)
        old = kept[i]
        if isinstance(old, bytes):
            files[path] = old
        elif old is not None or renderer.spool is not None or i in places:
            files.put_file(path, old or places.get(i) or spooled(renderer, i), movable=old is None or i in remade)
        elif isinstance(result, tuple) and result[0] is not None:
            files[path] = result[0]
        if isinstance(result, tuple) and result[1] is not None:
            files.scans[path] = result[1]


class _Known(Container[str]):
    """The paths a link needs no later check to (Renderer `known`): the outputs' (`files`, the
    paths of the SiteFiles a spooled render puts every page and data file into before it renders
    one, `_render_pages`) and the theme's assets."""

    __slots__ = ("assets", "files")

    def __init__(self, files: Container[str], assets: Container[str]) -> None:
        self.files, self.assets = files, assets

    def __contains__(self, path: object) -> bool:
        return path in self.files or path in self.assets


class _IntoTree:
    """`_render_pages`' `keep` of the data files' results that writes each data file into a past
    release's tree's folder as it comes in (flat, as `stamps._put` writes its pages), keeping
    where it went (`written`: its place in the renderer's jobs → the file), not its bytes."""

    __slots__ = ("folder", "jobs", "then", "todo", "written")

    def __init__(
        self, folder: Path, renderer: Renderer, todo: list[int], then: Callable[[int, Rendered], Rendered]
    ) -> None:
        self.folder, self.todo, self.then = folder, todo, then
        self.jobs = (len(renderer.specs), renderer.data)
        self.written: dict[int, str] = {}

    def __call__(self, n: int, result: Rendered) -> Rendered:
        if isinstance(result, tuple) and result[0] is not None:
            i = self.todo[n]
            first, data = self.jobs
            self.written[i] = name = f"{self.folder}/{flat_name(data[i - first].path)}"
            with open(name, "wb") as file:
                file.write(result[0])
            result = (None, result[1])
        return self.then(n, result)


_CHECKED_AT_ONCE = 1000  # pages whose links and ids are read from the store at a time (`_check_pages`)
CheckedPage = tuple[HtmlRefs, PageLinks] | list[Problem]  # templates.check_one


def _check_pages(
    files: SiteFiles, renderer: Renderer, checking: Checking, workers: int, progress: Phases | None = None
) -> None:
    """`_render_pages` for `check`: each page at its place in `files` with no bytes (b""), and its
    links and ids as the store keeps them by the page's key, settled against this site's files
    (links.settle), or, where it keeps none, as the page rendered now has them (stored for the
    next check); each data file by its path alone. A page's problems are its render's: a page
    whose key is unchanged rendered without one (its key covers its templates)."""
    specs = renderer.specs
    keys = checking.keys(specs)
    shared = SharedLinks()
    memo: dict[str, LinkTarget] = {}
    scans: list[HeldLinks | None] = [None] * len(specs)
    todo: list[int] = []
    for start in range(0, len(specs), _CHECKED_AT_ONCE):  # (not every page's at once: memory flat in pages)
        part = range(start, min(start + _CHECKED_AT_ONCE, len(specs)))
        found = checking.stored([k for k in map(keys.__getitem__, part) if k is not None])
        for i in part:
            refs = found.get(keys[i] or "")
            if refs is None:
                todo.append(i)
            else:
                scans[i] = shared(settle(specs[i].path, refs, renderer.known, memo))
    if progress is not None:
        progress.expect(len(todo))

    def keep(n: int, result: CheckedPage) -> HeldLinks | list[Problem]:
        if isinstance(result, list):
            return result
        key = keys[todo[n]]
        if key is not None:
            checking.put(key, encode(result[0]))
        return shared(result[1])

    done = progress.advance if progress is not None else None
    results: list[Any] = map_shared(check_one, renderer, todo, workers, done=done, keep=keep)
    problems = [p for result in results if isinstance(result, list) for p in result]
    if problems:
        raise RenderError(problems[:1])  # the first, in page order, as a sequential render reports it
    for i, result in zip(todo, results, strict=True):
        scans[i] = result
    for spec, scan in zip(specs, scans, strict=True):
        files[spec.path] = b""
        assert scan is not None
        files.scans[spec.path] = scan
    for job in renderer.data:
        files[job.path] = b""
    renderer.data.clear()


def _ready(renderer: Renderer, kept: list[str | bytes | None], made: range) -> Iterator[int]:
    """The places of the data files at `made` in the renderer's data (in the spool folder
    already: `_made_early`) that are not kept. One kept after all is taken from where `reuse`
    says, and removed from the spool folder."""
    first = len(renderer.specs)
    for n in made:
        if kept[first + n] is None:
            yield first + n
        else:
            spooled(renderer, first + n).unlink(missing_ok=True)


def _kept(
    renderer: Renderer, reuse: Callable[[PageSpec | DataSpec], str | bytes | None] | None
) -> tuple[list[str | bytes | None], set[int]]:
    """What `reuse` keeps of each page and data file (None: made again), and which of those kept
    are new bytes (the catalog's new version or another footer filled in), spooled where rendered
    ones go (where `reuse` has not put them already: write.Spooled)."""
    jobs: list[PageSpec | DataSpec] = [*renderer.specs, *renderer.data]
    if reuse is None:
        return [None] * len(jobs), set()
    kept = reuse.many(jobs) if isinstance(reuse, ReuseAll) else [reuse(job) for job in jobs]
    # (a page with a new footer filled in may be in the spool folder already: write.Spooled)
    remade = set(itertools.compress(range(len(kept)), map(isinstance, kept, itertools.repeat((bytes, Spooled)))))
    for i in sorted(remade):
        kept[i] = _spooled(renderer, i, kept[i])
    return kept, remade


def _spooled(renderer: Renderer, index: int, old: str | bytes | None) -> str | bytes | None:
    """A page's bytes, into the spool folder when there is one, as a rendered page's are."""
    if not isinstance(old, bytes) or renderer.spool is None:
        return old
    target = spooled(renderer, index)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(old)
    return str(target)


@functools.lru_cache(maxsize=32)
def published_asset(name: str, content: bytes) -> bytes:
    """A theme asset as the site publishes it: a style sheet or a script minified, anything else
    as it is. A pure function of its name and bytes, kept for the few assets of the theme: every
    rebuild of `serve` published them again, minified anew (~2 ms at 20,000 pages, idle; the
    bytes compared for the look-up cost microseconds)."""
    if name.endswith(".css"):
        return minify_css(content.decode("utf-8")).encode("utf-8")
    if name.endswith(".js"):
        return minify_js(content.decode("utf-8")).encode("utf-8")
    return content


_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_CSS_SPACE = re.compile(r"\s+")
_CSS_PUNCTUATION = re.compile(r" ?([{};,>]) ?")


_JS_BLOCK_COMMENT = re.compile(r"^/\*.*?\*/$", re.S | re.M)


def minify_js(js: str) -> str:
    """The theme's scripts without indentation, blank lines and comments that take whole lines.

    Deliberately simple: it relies on the theme's own habits (no template strings or strings
    that span lines, comments either on lines of their own or after the code), so it never
    touches a string or a regular expression.
    """
    lines = (line.strip() for line in js.split("\n"))
    kept = "\n".join(line for line in lines if line and not line.startswith("//"))
    return _JS_BLOCK_COMMENT.sub("", kept).replace("\n\n", "\n").strip() + "\n"


def minify_css(css: str) -> str:
    """The theme's style sheets without comments and spare white space, to keep pages light.

    Deliberately simple: runs of white space become one space (the theme has no strings that
    need two) and spaces next to `{ } ; , >` go; `+`, `-` and `:` keep theirs, as calc() and
    selectors like `a :hover` need them.
    """
    out = _CSS_SPACE.sub(" ", _CSS_COMMENT.sub("", css))
    return _CSS_PUNCTUATION.sub(r"\1", out).replace(";}", "}").strip() + "\n"
