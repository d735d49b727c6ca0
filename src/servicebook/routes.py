"""The one owner of the site's URLs: where every page and file of a built site goes, and how one
page links to another. Every other module asks here rather than spelling a path.

Site paths are what links name: "" (the home page), "offerings/ci/", "search/index.json". Output
paths are files: a site path ending in "/" is the folder's `index.html`. Links between pages are
relative (`relative_url`), so a site works under any prefix. Pure functions and immutable data;
imports nothing of ours, so every room may ask.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Literal

# What a build makes besides pages (see site/outputs.py for who makes each).
CATALOG_JSON = "catalog.json"
SCHEMA_JSON = "schema.json"
SEARCH_INDEX = "search/index.json"  # the search index's manifest; its fragments are search_fragment()
SITEMAP = "sitemap.xml"
FEED = "changes/feed.xml"
VERSIONS_JSON = "versions.json"
PAGES_BY_VERSION = "versions/pages.json"  # for the version switcher: each version's pages
MANIFEST = "manifest.sha256"
NOT_FOUND = "404.html"  # served by hosts for every missing path, at any depth
# Exports for developer portals and tech radars, published when the catalog's `portals:` asks.
PORTALS = "portals/"
BACKSTAGE_ENTITIES = "portals/backstage/catalog-info.yaml"
TECHRADAR_BACKSTAGE = "portals/techradar/backstage.json"
TECHRADAR_ZALANDO = "portals/techradar/zalando.json"
TECHRADAR_AOE = "portals/techradar/aoe/"  # a folder: config.json and radar/<date>/<tool>.md

Fragment = Literal["r", "w", "t"]  # records, words (the inverted index), a page's text


def search_fragment(kind: Fragment, number: int) -> str:
    """One fragment of the search index, beside its manifest (site/search/ says what is in each)."""
    return f"search/{kind}/{number}.json"


Entity = Literal["offering", "tool", "policy"]
Made = Literal["always", "with history", "with releases", "with members"]


@dataclass(frozen=True, slots=True)
class Searchable:
    """A fixed page's record in the search index (its text may be filled in from the catalog:
    see site/search/)."""

    title: str
    text: str
    words: str  # what else finds it


@dataclass(frozen=True, slots=True)
class FixedPage:
    """A page every build of a catalog has (or every build with history, or with releases), one
    line of `FIXED_PAGES`."""

    name: str  # as a `site:` link in Markdown names it; "" is the home page
    url: str  # its site path
    template: str
    title: str  # "" for the home page, which is titled with the team's name
    section: str  # the navigation entry that is current on it
    nav: str | None = None  # its label in the site's navigation, if it has one
    linkable: bool = True  # whether Markdown may link to it with `site:NAME`
    made: Made = "always"  # releases under v/<version>/ have only the "always" pages
    lists: Entity | None = None  # the pages that follow it in the site's order: one per entity
    shows: str | None = None  # the history subject whose last change it shows ("offering:" is any offering)
    search: Searchable | None = None  # its record in the search index
    paged: bool = False  # a list that a large catalog cuts into parts (`part`); the first keeps `url`


# Every fixed page, in the site's order (which is the order of rendering and of the navigation).
FIXED_PAGES: tuple[FixedPage, ...] = (
    FixedPage("", "", "home.html", "", "home", nav="Home", shows=""),
    FixedPage("offerings", "offerings/", "offerings.html", "Offerings", "offerings", nav="Offerings",
              lists="offering", shows="offering:", paged=True),
    FixedPage("slos", "slos/", "slos.html", "Service level objectives", "slos", nav="SLOs", shows="offering:",
              paged=True),
    FixedPage(
        "support", "support/", "support.html", "Support", "support", nav="Support", shows="support",
        search=Searchable(  # its text, the hours and channels, is the catalog's (site/search/records.py)
            "Support: how to get help", "", "help contact severity response on-call oncall incident escalation"
        ),
    ),
    FixedPage("tools", "tools/", "tools.html", "Tools", "tools", nav="Tools", lists="tool", shows="tool:",
              paged=True),
    FixedPage(
        "unsupported", "unsupported/", "unsupported.html", "What we do not support", "unsupported",
        nav="Not supported", shows="tool:", paged=True,
        search=Searchable(
            "What we do not support",
            "Tools we do not support or are moving away from, why, and what to use instead.",
            "unsupported deprecated alternative",
        ),
    ),
    FixedPage("policies", "policies/", "policies.html", "Policies", "policies", nav="Policies", lists="policy",
              shows="page:", paged=True),
    # an organisation site's members, where they disagree, the tools matrix across teams
    FixedPage("teams", "teams/", "teams.html", "Teams", "teams", nav="Teams", made="with members"),
    FixedPage("search", "search/", "search.html", "Search", "search", paged=True),  # its A to Z list
    FixedPage(
        "catalog", "catalog/", "catalog.html", "The whole catalog", "catalog", paged=True,
        search=Searchable(
            "The whole catalog on one page",
            "Everything in this catalog on one printable page, for audits and reviews.",
            "print audit pdf",
        ),
    ),
    # `site:changes` may be linked from any page: a release publishes a page here that sends readers
    # on to the root's (`release_pointers`)
    FixedPage("changes", "changes/", "changes.html", "Changes", "changes", nav="Changes", made="with history",
              shows=""),
    FixedPage("404", NOT_FOUND, "404.html", "Page not found", "", linkable=False),
    FixedPage("versions", "versions/", "versions.html", "Versions", "versions", linkable=False,
              made="with releases"),
)  # fmt: skip


def fixed_pages(*, history: bool = True, releases: bool = True, members: bool = False) -> tuple[FixedPage, ...]:
    """The fixed pages a build makes: with the history's, with the versions page, with the
    Teams page of an organisation site."""
    made = {"always", *(["with history"] if history else []), *(["with releases"] if releases else [])}
    made |= {"with members"} if members else set()
    return tuple(p for p in FIXED_PAGES if p.made in made)


def fixed_page(name: str) -> FixedPage:
    """The fixed page `site:NAME` names; KeyError for none."""
    for page in FIXED_PAGES:
        if page.name == name:
            return page
    raise KeyError(name)


def page(name: str) -> str:
    """Site path of the fixed page called `name` ("support" → "support/")."""
    return fixed_page(name).url


def site_names() -> frozenset[str]:
    """What `site:` links in Markdown may name."""
    return frozenset(p.name for p in FIXED_PAGES if p.linkable)


def root_only() -> tuple[FixedPage, ...]:
    """The pages a release under v/<version>/ has none of: the site root's serve it."""
    return tuple(p for p in FIXED_PAGES if p.made in ("with history", "with releases"))


def release_pointers() -> tuple[FixedPage, ...]:
    """The pages only the site root has that a release's own pages may link to (`site:` links
    in Markdown, which is rendered the same for the root and every release): each release
    publishes a page of its own at their address that sends readers on to the root's, so every
    link of a release leads somewhere inside it."""
    return tuple(p for p in root_only() if p.linkable)


def site_root(from_dir: str, version: str | None = None) -> str:
    """The URL of the site root, the home page of the current catalog, from a page in `from_dir`
    of the build of release `version` (published under v/<version>/), or of the root's own build
    when `version` is None."""
    return relative_url(release(version) + from_dir if version else from_dir, "")


def from_release(version: str, url: str) -> str:
    """The URL of the site root's page at site path `url`, from the same address in release
    `version` (v/<version>/<url>)."""
    return relative_url(release(version) + url, url)


def nav(*, history: bool = True, releases: bool = True, members: bool = False) -> tuple[tuple[str, str, str], ...]:
    """The site's navigation: (section, label, site path) of each entry, in order."""
    pages = fixed_pages(history=history, releases=releases, members=members)
    return tuple((p.section, p.nav, p.url) for p in pages if p.nav)


PARTS = "index/"  # under a paged list's own folder; "index" can be no offering's, tool's or page's id


def part(name: str, number: int) -> str:
    """Site path of part `number` (from 1) of the paged fixed page `name`: the first is the page
    itself ("offerings/"), the others "offerings/index/2/" (a folder no entity can have)."""
    url = page(name)
    return url if number == 1 else f"{url}{PARTS}{number}/"


def offering(ident: str) -> str:
    return f"offerings/{ident}/"


def tool(ident: str) -> str:
    return f"tools/{ident}/"


def policy(slug: str) -> str:
    """A policy page (content/<slug>.md); `slug` may name a sub-folder."""
    return f"policies/{slug}/"


def team(ident: str) -> str:
    """A member team's page on an organisation site."""
    return f"teams/{ident}/"


# -- an organisation site's members (federation/): where what a member's own site publishes goes

_GATHERED = ("offerings/", "tools/", "policies/")  # what the organisation site publishes of a member


def member_scoped(member: str, ident: str) -> str:
    """A member's offering or tool id, or policy page slug, as the organisation site names it:
    "db-team/postgres" (so its page is offerings/db-team/postgres/)."""
    return f"{member}/{ident}"


# How a member team names the organisation's own records (organisation/ci-pipelines), where it
# names another member team's as <member>/<id> (catalog/crossrefs.py); no member has this id.
ORGANISATION = "organisation"


def cross_team(kind: Entity, name: str) -> str:
    """The site path, on the organisation site, of a record a member names as another team's:
    `db-team/postgres` → offerings/db-team/postgres/; the organisation's own, `organisation/ci`,
    → offerings/ci/."""
    team, _, ident = name.partition("/")
    return entity(kind, ident if team == ORGANISATION else name)


def member_link(member: str, member_site: str | None, from_dir: str, target: str) -> str:
    """The URL, from a gathered member page in `from_dir` of the organisation site, of what site
    path `target` names on the member's own site: its offerings', tools' and policy pages (and
    their files) under the member's prefix on the organisation site; any other page (its home, its
    support page) on the member's own site when it has one, else the team's page."""
    for top in _GATHERED:
        if target.startswith(top) and target != top:
            return relative_url(from_dir, top + member_scoped(member, target[len(top) :]))
    if member_site:
        return absolute_url(member_site, target)
    return relative_url(from_dir, team(member))


def entity(kind: Entity, ident: str) -> str:
    return {"offering": offering, "tool": tool, "policy": policy}[kind](ident)


def content_file(path: str) -> str:
    """An image or attachment of the policy pages (content/<path>): published beside them."""
    return f"policies/{path}"


def asset(name: str) -> str:
    """A file of the theme (a style sheet, a script, the icon)."""
    return f"assets/{name}"


def changes(number: int = 1) -> str:
    """Page `number` of the changes list."""
    return page("changes") if number == 1 else f"{page('changes')}{number}/"


RELEASES = "v/"  # the folder every release is published under


def release(version: str) -> str:
    """Where release `version` is published: a whole site of its own."""
    return f"{RELEASES}{version}/"


def absolute_url(base_url: str, site_path: str) -> str:
    """Site path `site_path` on the site published at `base_url` (for files read elsewhere)."""
    return base_url.rstrip("/") + "/" + site_path


def output_path(url: str) -> str:
    """The file a site path is served from ("offerings/" → "offerings/index.html")."""
    return url + "index.html" if url == "" or url.endswith("/") else url


# The folders of the paged lists ("offerings"), whose parts are under PARTS: asked of every page
# of a build (site/changes.py), so a set rather than a walk over FIXED_PAGES.
_PAGED = frozenset(p.url.rstrip("/") for p in FIXED_PAGES if p.paged and p.url)
_ENTITY_FOLDERS: dict[str, Entity] = {"offerings": "offering", "tools": "tool"}


def entity_at(path: str) -> tuple[Entity, str] | None:
    """("offering", id), ("tool", id) or ("policy", slug) for the output path of such a page
    (an offering's or a tool's page under an earlier id included), None for any other."""
    parts = path.split("/")
    if len(parts) > 2 and parts[1] + "/" == PARTS and parts[0] in _PAGED:
        return None  # a part of a paged list
    # (a member's on an organisation site is one level deeper: offerings/db-team/postgres/)
    if len(parts) in (3, 4) and parts[-1] == "index.html" and parts[0] in _ENTITY_FOLDERS:
        return _ENTITY_FOLDERS[parts[0]], "/".join(parts[1:-1])
    top = page("policies")
    if path.startswith(top) and path.endswith("/index.html") and path != output_path(top):
        return "policy", path[len(top) : -len("/index.html")]
    return None


def fixed_at(path: str) -> FixedPage | None:
    """The fixed page at output `path` (any page of the changes list is the changes page, any
    part of a paged list the list's page)."""
    for fixed in FIXED_PAGES:
        if output_path(fixed.url) == path or (fixed.paged and fixed.url and path.startswith(fixed.url + PARTS)):
            return fixed
    return fixed_page("changes") if path.startswith(page("changes")) else None


def not_found_root(base_url: str | None) -> str:
    """What the 404 page (NOT_FOUND), served for any missing path at any depth, puts before every
    site path it links to: the path of the site's root on its host, "/" without a `base_url`."""
    prefix = "/" if not base_url else "/" + base_url.split("://", 1)[1].partition("/")[2].strip("/")
    return prefix.rstrip("/") + "/"


def relative_url(from_dir: str, target: str) -> str:
    """URL of site path `target` ("offerings/ci/", "assets/site.css") from a page in `from_dir`;
    an absolute URL (another team's record on the organisation site) as it is."""
    if "://" in target:
        return target
    rel = _relpath(target, from_dir)
    if rel == ".":
        return "./"
    if (target == "" or target.endswith("/")) and not rel.endswith("/"):
        rel += "/"
    return rel


def relative_urls(from_dir: str, memo: dict[tuple[int, str], str]) -> Callable[[str], str]:
    """`relative_url(from_dir, ·)`, keeping in `memo` (one for many pages) the URLs that are the
    same from every folder at `from_dir`'s depth: those of targets outside its top folder (from
    `policies/x`, `assets/site.css` is `../../assets/site.css` whatever x is), which are most of
    a page's (the navigation, style sheets, scripts)."""
    parts = from_dir.split("/")
    if not from_dir or not all(p and p not in (".", "..") for p in parts):
        return partial(relative_url, from_dir)
    depth, top = len(parts), parts[0]

    def url(target: str) -> str:
        if "://" in target or target.partition("/")[0] == top or target.startswith((".", "/")) or ".." in target:
            return relative_url(from_dir, target)
        made = memo.get((depth, target))
        if made is None:
            made = memo[(depth, target)] = relative_url(from_dir, target)
        return made

    return url


def _relpath(target: str, start: str) -> str:
    """posixpath.relpath(target or ".", start or "."), without its trip through the current folder
    (it runs for every link of every page)."""
    dest = [p for p in target.split("/") if p and p != "."]
    here = [p for p in start.split("/") if p and p != "."]
    if target.startswith("/") or start.startswith("/") or ".." in dest or ".." in here:
        return posixpath.relpath(target or ".", start or ".")
    common = 0
    for a, b in zip(here, dest, strict=False):
        if a != b:
            break
        common += 1
    return "/".join([".."] * (len(here) - common) + dest[common:]) or "."
