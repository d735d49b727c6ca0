"""The registry of the files a build makes by code rather than from a page template: each is
declared once, with where it goes (a routes.py path), what makes it and what it is made from.
Adding one is adding a line to the stage it belongs to. (The pages are declared in routes.py, the
fixed ones, and in render.page_specs, one per offering, tool and policy page.)

The stages, in the order of the build:
- `DATA`, made from the catalog by the render workers beside the pages. Only these are ever kept
  from an earlier build (build._reuse), and only while the `inputs` each one declares, a digest of
  what it depends on beyond what every page does, are unchanged: `inputs` has no default, so an
  output cannot leave them out and be served stale. An output whose `inputs` are `complete` (all
  it is made from but the code) is keyed by them alone; any other also by every source.
- `SITE`, made from the rendered site (its files, its history) by every build; `SITE_FILES`
  make several files each (the portal exports, whose files depend on the catalog's settings).
- `PUBLISHED`, made from every file of the site (releases and page attachments included) by every
  build, the root's and each release's; the manifest, of everything before it, last.
"""

from __future__ import annotations

import bisect
import collections
import contextlib
import hashlib
import io
import itertools
import json
import operator
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence, Set
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from markupsafe import Markup

from servicebook import routes
from servicebook.cache.codec import read_json
from servicebook.cache.store import Entry, Store
from servicebook.catalog import model
from servicebook.catalog.schema import json_schema
from servicebook.git.versions import Release, listed_by_version, manifest, version_pages, versions_json
from servicebook.interop import openslo
from servicebook.site import write
from servicebook.site.catalog_json import (
    catalog_sections,
    catalog_settings,
    document_head,
    document_measurements,
    document_offering,
    document_page,
    document_tool,
)
from servicebook.site.changes import HistoryMemo, HistoryView, atom_feed
from servicebook.site.search import SearchMemory, index_files
from servicebook.site.templates import DataSpec, Made, joined
from servicebook.site.views import SiteView


@dataclass(frozen=True, slots=True)
class FromCatalog:
    """What the `DATA` outputs are made from."""

    site: model.SiteContent
    view: SiteView
    store: Store | None = None  # where the search index keeps what the next one is made from
    workers: int = 1
    search: SearchMemory | None = None  # `serve`: what the last index was made of (search.search_index)
    catalog_lines: CatalogLines | None = None  # `serve`: catalog.json's catalog sections, kept
    # the command line: what each policy page's search record is made of (load.Loaded `page_digests`)
    made_of: Mapping[str, str] | None = None
    # the command line: catalog.json's catalog sections' lines, as the store kept them (`stored_sections`)
    section_lines: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class FromSite:
    """What the `SITE` outputs are made from."""

    site: model.SiteContent
    history: HistoryView | None  # None: a build without history (a release, --no-history)
    files: Mapping[str, bytes]  # every page, data file and theme asset, and the outputs before it
    moved: frozenset[str]  # pages that only send readers on: to an offering's or tool's new id, to the root's
    memo: HistoryMemo | None = None  # `serve`'s: the last build's feed (changes.atom_feed)


@dataclass(frozen=True, slots=True)
class FromPublished:
    """What the `PUBLISHED` outputs are made from."""

    files: Mapping[str, bytes]  # every file of the site, and the outputs before it
    releases: tuple[tuple[Release, frozenset[str]], ...] = ()  # root build: each release and its files
    known: Mapping[str, str] = field(default_factory=dict)  # SHA-256 of files kept from the last build
    # where the SHA-256 of each file the manifest hashed (one not `known`) goes, if anywhere (`serve`)
    hashed: dict[str, str] | None = None
    lines: ManifestLines | None = None  # `serve`: the lines of the last manifest.sha256 it made
    versions: VersionPages | None = None  # `serve`: each release's part of the last pages-by-version.json
    # `serve`: the SHA-256 of files this build made and hashed as it made them (CatalogLines `digest`)
    made: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DataOutput:
    path: str
    make: Callable[[FromCatalog], Made]
    inputs: Callable[[FromCatalog], str]  # what it depends on beyond what every page does, as a digest
    # True: `inputs` is all it is made from but the code (the search index's files, made before
    # their keys are asked, declare a digest of their own bytes), so it is keyed by that alone, not
    # by every source of the site: a heading edit does not make every text fragment again
    complete: bool = False


@dataclass(frozen=True, slots=True)
class SiteOutput:
    path: str
    make: Callable[[FromSite], bytes | None]  # None: this build has no such file


@dataclass(frozen=True, slots=True)
class SiteFiles:
    path: str  # the folder (routes.py) that every file it makes is under
    make: Callable[[FromSite], Mapping[str, bytes]]  # output path → bytes; empty: none in this build


@dataclass(frozen=True, slots=True)
class PublishedOutput:
    path: str
    make: Callable[[FromPublished], Made | None]  # None: this build has no such file


def _catalog_json(made: FromCatalog) -> Made:
    return catalog_json_parts(made.site, made.catalog_lines, made.section_lines)


def _schema_json(_made: FromCatalog) -> bytes:
    return _json(json_schema())


def search_outputs(made: FromCatalog) -> tuple[DataSpec, ...]:
    """The search index's files (site/search/): a manifest and fragments, as many as the
    catalog needs. The index is made here, from the last one the store holds, so each file's
    declared input is a digest of its own bytes (a text fragment's: its page's HTML) and a file
    the change did not touch is kept from the last build. Each file is its job as it is (its
    inputs complete, its maker needing nothing of `made`), made as one by the index itself: at
    20,000 pages the index has 22,000 files, and `serve` keeps the very job of each file that
    did not change."""
    return index_files(made.view, _search_file, made.store, made.workers, made.search, made.made_of)


def _search_file(path: str, inputs: str, make: Callable[[], bytes]) -> DataSpec:
    return DataSpec(path, make, inputs, complete=True)


def _only_the_code(_made: FromCatalog) -> str:
    return ""  # what every file depends on (the code, the theme), nothing more


_HTML_SHA256 = operator.attrgetter("html_sha256")


def _page_bodies_and_snapshots(made: FromCatalog) -> str:
    """catalog.json has each page's content_sha256, what the snapshots measured (their files
    are build inputs too, but the data file says here what it is made from) and the build's stamp
    (which most pages do not show, see templates.shows_build)."""
    site = made.site
    if made.catalog_lines is not None:  # serve: resumed from the last one's (CatalogLines.bodies)
        return made.catalog_lines.bodies(site.pages, repr(site.snapshots), repr(site.build))
    parts = [*map(_HTML_SHA256, site.pages), repr(site.snapshots), repr(site.build)]  # (at once)
    return hashlib.blake2b("\0".join(parts).encode(), digest_size=20).hexdigest()


def _portal_files(made: FromSite) -> dict[str, bytes]:
    if made.site.catalog.portals is None:  # nothing asked: the exporters (Backstage, tech radars) not imported
        return {}
    from servicebook.site.portals import published  # the exporters: ~4.0 ms of start-up (-X importtime)

    return published(made.site, made.history)


def _feed(made: FromSite) -> bytes | None:
    if made.history is None or not made.history.available:
        return None
    site = made.site
    return atom_feed(made.history, site.catalog.site.title, site.catalog.site.base_url, site.build.date, made.memo)


def _sitemap(made: FromSite) -> bytes | None:
    base_url = made.site.catalog.site.base_url
    if not base_url:
        return None
    return sitemap(base_url, [p for p in made.files if p not in made.moved])


def _versions_json(made: FromPublished) -> bytes | None:
    return versions_json([release for release, _ in made.releases]) if made.releases else None


def _pages_by_version(made: FromPublished) -> bytes | None:
    if not made.releases:
        return None
    # a release's pages that only send readers on to the root's are not pages of that version
    elsewhere = {routes.output_path(p.url) for p in routes.release_pointers()}
    last = made.versions.made if made.versions is not None else {}
    listed = {"": _root_pages(made.files, made.versions)}
    now: dict[str, tuple[frozenset[str], str]] = {}
    for release, paths in made.releases:
        kept = last.get(release.version)
        if kept is None or kept[0] is not paths:
            kept = (paths, version_pages(p for p in paths if p not in elsewhere))
        listed[release.version] = kept[1]
        now[release.version] = kept
    if made.versions is not None:
        made.versions.made = now
    return listed_by_version(listed)


def _root_pages(files: Mapping[str, bytes], versions: VersionPages | None) -> str:
    """The root site's part of pages-by-version.json (`version_pages` of its files); with
    `versions` (`serve`), the last build's while the site has the very paths it had then (told
    at once, not a sorted list of 20,000 pages made and written again each rebuild)."""
    if versions is None:
        return version_pages(files)
    paths = files.paths() if isinstance(files, write.SiteFiles) else files.keys()
    last = versions.root
    if last is not None and paths == last[0]:
        return last[1]
    text = version_pages(paths)
    versions.root = (frozenset(paths), text)
    return text


class VersionPages:
    """Each release's part of pages-by-version.json as a long-running process's (`serve`) last
    build made it, by the very set of the release's paths it was made of (releases.CheckedReleases
    gives a release it took as it was as the same object): a release's sorted list of thousands
    of pages is not made again each rebuild; and the root site's, with the paths of the files it
    was made of."""

    __slots__ = ("made", "root")

    def __init__(self) -> None:
        self.made: dict[str, tuple[frozenset[str], str]] = {}  # version → (its paths, its part)
        self.root: tuple[frozenset[str], str] | None = None  # the root site's (its files' paths, its part)


def _manifest(made: FromPublished) -> Made:
    files, hashed = made.files, made.hashed
    sha256 = files.sha256 if isinstance(files, write.SiteFiles) else None
    if hashed is None:
        return manifest(files, made.known, sha256)
    plain = sha256 or (lambda path: hashlib.sha256(files[path]).hexdigest())

    given = made.made

    def noted(path: str) -> str:
        found = hashed[path] = given.get(path) or plain(path)
        return found

    if made.lines is not None:
        return made.lines.make(files, made.known, noted)
    return manifest(files, made.known, noted)


class ManifestLines:
    """The lines of the last manifest.sha256 a long-running process (`serve`) made, each file's
    at its place in path order, and the SHA-256 each line says: the next manifest is these lines
    with those of the files not `known` (made again) put right, while the files are the same
    paths and every known file's hash is the one its line says (a dict's items compared at
    once), instead of a line made and sorted for each of tens of thousands of files. Each line
    is always the one its file's hash in `digests` makes, whichever build made it."""

    def __init__(self) -> None:
        self.at: dict[str, int] = {}  # path → index of its line
        self.lines: list[bytes] = []
        self.digests: dict[str, str] = {}  # path → the SHA-256 its line says
        # the SHA-256 of every file these lines list, as the build that made them published them
        # (buildcache.BuildCache.published_hashes: the very dict, which that build's
        # successor takes the kept files' hashes from, `taken`)
        self.published: object = None
        # `known` as the next build took it (BuildCache.kept_hashes): (known, the hashes it was
        # taken from, the paths of those left out)
        self.taken: tuple[object, object, Set[str]] | None = None

    def make(self, files: Mapping[str, bytes], known: Mapping[str, str], digest_of: Callable[[str], str]) -> Made:
        """manifest.sha256 of `files` (git.versions.manifest), `digest_of` called for each file
        not `known`: these lines themselves, where they are put right (to be written, or joined,
        at once: the next build puts them right again), not joined here (1.1 MB at 5,000 pages,
        made each `serve` rebuild). When `known` was taken from the hashes these lines' build published, less
        some paths (`taken`), each known hash is the one its line says, and the lines to put right
        are those paths': neither is found again of every file."""
        have = files.paths() if isinstance(files, write.SiteFiles) else files.keys()
        at, digests = self.at, self.digests
        taken, self.taken = self.taken, None
        again = taken is not None and taken[0] is known and taken[1] is self.published
        self.published = None  # (until this build publishes what these lines say)
        same = (
            len(have) - (routes.MANIFEST in have) == len(at)
            and (at.keys() <= have)
            and (again or known.items() <= digests.items())
        )
        if not same:
            made: dict[str, str] = {}

            def noted(path: str) -> str:
                found = made[path] = digest_of(path)
                return found

            text = manifest(files, known, noted)
            self._made_from(text, sorted(path for path in have if path != routes.MANIFEST), known, made)
            return text
        lines = self.lines
        for path in taken[2] if again and taken is not None else at.keys() - known.keys():
            digest = digest_of(path)
            if digests[path] != digest:
                digests[path] = digest
                lines[at[path]] = f"{digest}  {path}\n".encode()
        return lines

    def _made_from(self, text: bytes, paths: list[str], known: Mapping[str, str], made: Mapping[str, str]) -> None:
        """The lines of `text`, a manifest of the files `paths` (in its order) made of the hashes
        `known` and `made` (the very strings held: the memory's published hashes hold them too);
        none when a line is not its file's (a path with a line break in it)."""
        self.lines = text.splitlines(keepends=True)
        self.at, self.digests = {}, {}
        if len(self.lines) != len(paths):
            return
        at: dict[str, int] = {}
        digests: dict[str, str] = {}
        for n, (path, line) in enumerate(zip(paths, self.lines, strict=True)):
            if line[64:] != f"  {path}\n".encode():
                return
            at[path], digests[path] = n, known.get(path) or made[path]
        self.at, self.digests = at, digests


# The registry, stage by stage, each in the order its files are made.
DATA: tuple[DataOutput, ...] = (
    DataOutput(routes.CATALOG_JSON, _catalog_json, inputs=_page_bodies_and_snapshots),
    DataOutput(routes.SCHEMA_JSON, _schema_json, inputs=_only_the_code, complete=True),
)  # and the search index, search_outputs()
SITE_FILES: tuple[SiteFiles, ...] = (
    # Backstage entities and tech-radar data, when the catalog's `portals:` asks for them
    SiteFiles(routes.PORTALS, _portal_files),
)
SITE: tuple[SiteOutput, ...] = (
    SiteOutput(routes.FEED, _feed),
    SiteOutput(routes.SITEMAP, _sitemap),
)
PUBLISHED: tuple[PublishedOutput, ...] = (
    PublishedOutput(routes.VERSIONS_JSON, _versions_json),
    PublishedOutput(routes.PAGES_BY_VERSION, _pages_by_version),
    PublishedOutput(routes.MANIFEST, _manifest),  # last: it lists every other file
)


def data_specs(
    site: model.SiteContent,
    view: SiteView,
    store: Store | None = None,
    workers: int = 1,
    search: SearchMemory | None = None,
    catalog_lines: CatalogLines | None = None,
    made_of: Mapping[str, str] | None = None,
    catalog_key: str | None = None,
) -> tuple[DataSpec, ...]:
    """The `DATA` outputs as jobs for the render workers, each with its declared inputs (the
    search index is made here, over `workers`, from what `store` kept of the last one; `made_of`:
    see search.index_files; `catalog_key`: see `stored_sections`)."""
    sections = None
    if catalog_lines is None and catalog_key is not None and site.federation is None:
        sections = stored_sections(site.catalog, store, catalog_key)
    made = FromCatalog(site, view, store, workers, search, catalog_lines, made_of, sections)
    declared = tuple(DataSpec(o.path, partial(o.make, made), o.inputs(made), o.complete) for o in DATA)
    return (*declared, *search_outputs(made))


def add_site_outputs(
    files: MutableMapping[str, bytes],
    site: model.SiteContent,
    history: HistoryView | None,
    moved: frozenset[str],
    memo: HistoryMemo | None = None,
) -> None:
    """The `SITE` outputs this build has, into `files` (each sees those before it); `memo`:
    `serve`'s view of the committed history, which keeps its last feed (changes.atom_feed)."""
    for folder in SITE_FILES:
        for path, made in folder.make(FromSite(site, history, files, moved, memo)).items():
            if not path.startswith(folder.path):
                raise ValueError(f"{path} is outside {folder.path}")  # a bug of ours, not of the catalog
            files[path] = made
    for output in SITE:
        data = output.make(FromSite(site, history, files, moved, memo))
        if data is not None:
            files[output.path] = data


def add_published_outputs(
    files: MutableMapping[str, bytes],
    releases: Iterable[tuple[Release, frozenset[str]]] = (),
    known: Mapping[str, str] | None = None,
    hashed: dict[str, str] | None = None,
    lines: ManifestLines | None = None,
    versions: VersionPages | None = None,
    made: Mapping[str, str] | None = None,
) -> None:
    """The `PUBLISHED` outputs this build has, into `files` (each sees those before it); the
    SHA-256 of each file hashed for the manifest (not `known`) into `hashed`, when given (taken
    from `made` for a file this build made and hashed as it did), and the manifest made from the
    `lines` of the last one (`serve`), when given, and pages-by-version.json from each release's
    part of the last one (`versions`, `serve`), when given."""
    given = FromPublished(files, tuple(releases), known or {}, hashed, lines, versions, made or {})
    for output in PUBLISHED:
        data = output.make(given)
        if data is None:
            continue
        if isinstance(files, write.SiteFiles):  # (in parts, where it can write them so: `put`)
            files.put(output.path, data)
        else:
            files[output.path] = joined(data)


CATALOG_SECTIONS = "catalog-sections"  # the store's entries of catalog.json's catalog sections, by the catalog's key


def stored_sections(catalog: model.Catalog, store: Store | None, key: str) -> tuple[str, ...]:
    """The lines of catalog.json's catalog sections (its settings, offerings and tools), which
    are a function of the catalog alone: as the `store` kept them under `key`, the key of the
    catalog's bytes (load.py reads the very catalog from its store entry under that key), else
    made and kept there. A one-page rebuild from the command line made them again each time
    (~0.012 CPU s at 100 offerings and 250 tools; 0.15 s at 2,000 and 5,000, by CatalogLines);
    `serve` keeps them in memory instead. Made in the build's process, not in the render worker
    that makes catalog.json (a worker does not write the store). An entry of another shape is
    made again."""
    usable = store if store is not None and store.usable else None
    entry = usable.get(CATALOG_SECTIONS, [key]).get(key) if usable is not None else None
    if entry is not None:
        with contextlib.suppress(ValueError):
            kept = read_json(entry.data)
            if isinstance(kept, list) and kept and all(isinstance(line, str) for line in kept):
                return tuple(kept)
    lines = tuple(_record_lines(catalog_sections(catalog)))
    if usable is not None:
        usable.put(CATALOG_SECTIONS, key, Entry(json.dumps(lines, ensure_ascii=False)))
    return lines


def catalog_json(
    site: model.SiteContent, kept: CatalogLines | None = None, sections: Sequence[str] | None = None
) -> bytes:
    """catalog.json; with `kept` (`serve`), the lines of its catalog sections and of its pages are
    taken from there while the catalog, or the page, is the one they were made of; with
    `sections` (the command line: `stored_sections`), the lines of its catalog sections."""
    return joined(catalog_json_parts(site, kept, sections))


def catalog_json_parts(
    site: model.SiteContent, kept: CatalogLines | None = None, sections: Sequence[str] | None = None
) -> Made:
    """catalog.json as `catalog_json` makes it; with `kept`, in parts (the pages' lines as kept,
    never joined here: written one after another into the spool folder, templates.render_one)."""
    if kept is not None:
        made: Sequence[str] = kept.of(site.catalog)
    else:
        made = sections if sections is not None else _record_lines(catalog_sections(site.catalog))
    lines = [
        *_record_lines(document_head(site)),
        *made,
        *_record_lines({"measurements": document_measurements(site)}),
    ]
    # the pages' lines, one per page, straight into the file's bytes: at 20,000 pages the file is
    # 8 MB, and their dicts, lines, text and bytes all at once were three times that
    head = ("{\n" + ",\n".join(lines) + ',\n  "pages": ').encode("utf-8")
    if kept is not None:
        if not site.pages:
            kept.page_block(site.pages)
            return head + b"[]\n}\n"
        return kept.page_parts(site.pages, head + b"[\n    ", b"\n  ]\n}\n")
    items = (_item(document_page(p)) for p in site.pages)
    out = io.BytesIO()
    out.write(head)
    separator = b"[\n    "
    for item in items:
        out.write(separator)
        out.write(item.encode("utf-8"))
        separator = b",\n    "
    out.write(b"[]\n}\n" if separator == b"[\n    " else b"\n  ]\n}\n")
    return out.getvalue()


@dataclass(slots=True)
class CatalogLines:
    """The lines of catalog.json's catalog sections and of each page, kept by a long-running
    process (`serve`, fresh.PageMemory) or from one release to the next (releases.LastMade) for
    the next build while the catalog, or the page, is the very same object: for a catalog of
    2,000 offerings and 5,000 tools, 0.15 s of every rebuild after a page edit; for 5,000 pages,
    20 ms. A catalog that is not the same object keeps the line of each offering and tool whose
    record is (records.py shares the records a new version did not change), an offering's while
    what it shows of the rest of the catalog (the team's support, its SLOs' OpenSLO names)
    reads the same."""

    catalog: model.Catalog | None = None
    lines: list[str] = field(default_factory=list)
    # (`serve`) the last build's pages in their order, and each one's line as bytes (`page_block`)
    order: list[model.Page] = field(default_factory=list)
    encoded: list[bytes] = field(default_factory=list)
    # by id() of the offering or tool, as of the last catalog: (the record, what else it shows, its line)
    records: dict[int, tuple[object, object, str]] = field(default_factory=dict)
    # (`serve`'s) the SHA-256 of the last document `page_block` made (its `before` as given), and its states
    # after each HASH_STEP bytes of it: the next document's is resumed from the last state before
    # its first byte that differs (`_digest`)
    hashes: bool = False  # whether `page_block` notes the document's SHA-256 (`digest`): `serve`'s
    hashed_before: bytes = b""
    marks: list[Any] = field(default_factory=list)
    # (its size, its SHA-256) of the document `page_block` made last, until the build that made it
    # takes it (build.py: the manifest hashes it no more, outputs.FromPublished `made`)
    digest: tuple[int, str] | None = None
    # the pages the last `bodies` was made of, and its hash's states after each BODIES_STEP of them
    bodies_of: list[model.Page] = field(default_factory=list)
    bodies_marks: list[Any] = field(default_factory=list)

    def of(self, catalog: model.Catalog) -> list[str]:
        if self.catalog is not catalog:
            self.catalog, self.lines = catalog, self._section_lines(catalog)
        return self.lines

    def _section_lines(self, catalog: model.Catalog) -> list[str]:
        names = openslo.object_names(catalog)
        support = repr(catalog.support)  # a dataclass's repr tells every field, 1 from 1.0
        last = self.records
        now: dict[int, tuple[object, object, str]] = {}

        def line(record: model.Offering | model.Tool, shown: object, make: Callable[[], dict[str, Any]]) -> str:
            kept = last.get(id(record))
            if kept is None or kept[0] is not record or kept[1] != shown:
                kept = (record, shown, _item(make()))
            now[id(record)] = kept
            return kept[2]

        offerings = [
            line(o, (support, _slo_names(names, o)), partial(document_offering, catalog, names, o))
            for o in catalog.offerings
        ]
        tools = [line(t, None, partial(document_tool, t)) for t in catalog.tools]
        self.records = now
        settings = _record_lines(catalog_settings(catalog))
        return [*settings, _list_line("offerings", offerings), _list_line("tools", tools)]

    def page_block(self, pages: Sequence[model.Page], before: bytes = b"", after: bytes = b"") -> bytes:
        """`page_parts`, joined."""
        return b"".join(self.page_parts(pages, before, after))

    def page_parts(self, pages: Sequence[model.Page], before: bytes = b"", after: bytes = b"") -> list[bytes]:
        """The pages' lines as catalog.json has them, joined (b"" for none), between `before` and
        `after`, from the last build's (`order`, `encoded`) while `pages` are as many: each page
        that is not the very object at its place has its line made again (found at once, not page
        by page), or taken from the place it had; when there are not as many pages, `page_lines`,
        from these. The lines are held once, as bytes: `pages` is left empty. In parts, not
        joined: at 20,000 pages the block is 8 MB, and each bytes added to it was a copy of all
        of it (three a rebuild, each in memory the kernel found anew); at 5,000 the joined file
        (3.7 MB) was what a one-page `serve` rebuild's render peaked with."""
        order, encoded = self.order, self.encoded
        if len(order) != len(pages) or not pages:
            self.encoded = self.page_lines(pages)
            self.order = list(pages)
            return self._digest(_parts(before, self.encoded, after), before, 0)
        moved = list(itertools.compress(range(len(pages)), map(operator.is_not, pages, order)))
        freed = {id(order[i]): (order[i], encoded[i]) for i in moved}  # a page may be at another place
        first = len(encoded)  # the first line that differs from the last document's
        for i in moved:
            page = pages[i]
            found = freed.get(id(page))
            line = found[1] if found is not None and found[0] is page else _item(document_page(page)).encode("utf-8")
            if line != encoded[i]:
                first = min(first, i)
            order[i], encoded[i] = page, line
        # the last document's bytes up to that line (`before`, then each line and its separator;
        # with none, up to the end of the last line, `after` not counted)
        same = len(before) + sum(map(len, itertools.islice(encoded, first))) + first * len(_SEPARATOR)
        if first == len(encoded):
            same -= len(_SEPARATOR)
        return self._digest(_parts(before, encoded, after), before, same)

    def _digest(self, made: list[bytes], before: bytes, same: int) -> list[bytes]:
        """`made` (the parts of a document that begins with `before`), its SHA-256 noted
        (`digest`), resumed from the last state the last document's hash had before its bytes end
        being the same as `made`'s (`same` of them, when `before` is the last one's, its parts
        until then the last document's, part for part): at 20,000 pages the document is 8 MB in
        40,000 parts, and a one-page edit changes one line of it. Each state is kept with the part
        it was taken in and where that part begins, so the parts before it are not gone through."""
        marks = self.marks
        if not before or not self.hashes:  # (the lines alone: no document; or not asked for)
            self.digest = None
            return made
        if before != self.hashed_before:
            same = 0
        # marks[n]: after the first n * HASH_STEP bytes; those before the first byte that differs are
        # kept, not one at it: its part is where the last document's next byte was, and an empty part
        # before that one may be the part that changed
        del marks[min(len(marks), (same - 1) // HASH_STEP + 1) :]
        if not marks:
            marks.append((hashlib.sha256(), 0, 0))
        state, index, start = marks[-1]  # the state, the part holding the next byte, where that part begins
        state = state.copy()
        rest = made[index:]
        begins = list(itertools.accumulate(map(len, rest), initial=start))  # rest[k]: bytes begins[k] to begins[k + 1]
        size = begins[-1]
        at = (len(marks) - 1) * HASH_STEP  # the first byte not hashed yet, in rest[k]
        k = 0
        while at < size:  # up to the next state's place, the parts there whole given to the hash at C speed
            stop = min(at + HASH_STEP, size)
            if begins[k] < at:  # (the part the last state was taken in) from `at` on
                state.update(memoryview(rest[k])[at - begins[k] : min(begins[k + 1], stop) - begins[k]])
                if begins[k + 1] > stop:  # (and so `stop` is not the end)
                    at = stop
                    marks.append((state.copy(), index + k, begins[k]))
                    continue
                k += 1
            j = bisect.bisect_right(begins, stop, k) - 1  # rest[j] holds byte `stop` or begins there
            collections.deque(map(state.update, itertools.islice(rest, k, j)), maxlen=0)
            if j < len(rest) and begins[j] < stop:
                state.update(memoryview(rest[j])[: stop - begins[j]])
            at, k = stop, j
            if stop < size:
                marks.append((state.copy(), index + k, begins[k]))
        self.hashed_before, self.digest = before, (size, state.hexdigest())
        return made

    def bodies(self, pages: Sequence[model.Page], *after: str) -> str:
        """What catalog.json is made of besides what every file is (`_page_bodies_and_snapshots`:
        each page's html_sha256, then `after`, "\\0" between, the digest of their UTF-8 bytes),
        resumed from the state its hash had after the last BODIES_STEP pages before the first
        that is not the very page it was: a one-page edit does not join and hash 20,000 pages'
        SHA-256 again."""
        last, marks = self.bodies_of, self.bodies_marks
        first = next(
            itertools.compress(itertools.count(), map(operator.is_not, pages, last)), min(len(pages), len(last))
        )
        del marks[min(len(marks), first // BODIES_STEP + 1) :]  # marks[n]: after the first n * BODIES_STEP pages
        if not marks:
            marks.append(hashlib.blake2b(digest_size=20))
        state = marks[-1].copy()
        for start in range((len(marks) - 1) * BODIES_STEP, len(pages), BODIES_STEP):
            shas = map(_HTML_SHA256, pages[start : start + BODIES_STEP])
            state.update("".join([sha + "\0" for sha in shas]).encode())
            if start + BODIES_STEP < len(pages):
                marks.append(state.copy())
        self.bodies_of = list(pages)
        state.update("\0".join(after).encode())
        return str(state.hexdigest())

    def page_lines(self, pages: Sequence[model.Page]) -> list[bytes]:
        """The line of each of `pages`, as bytes: the last build's (`order`, `encoded`) for a page
        that is the very object it was, at any place. Made as bytes at once, not as text first
        (at 5,000 pages, the lines as text beside them were 2 MiB more at the first edit of
        `serve`, whose first build made catalog.json in a worker)."""
        last = {id(p): (p, line) for p, line in zip(self.order, self.encoded, strict=True)}
        lines = []
        for page in pages:
            kept = last.get(id(page))
            lines.append(
                kept[1] if kept is not None and kept[0] is page else _item(document_page(page)).encode("utf-8")
            )
        return lines


HASH_STEP = 256 * 1024  # bytes of catalog.json between two states of its SHA-256 that CatalogLines keeps
BODIES_STEP = 512  # pages between two states of the hash of what catalog.json is made of (CatalogLines.bodies)
_SEPARATOR = b",\n    "  # between two pages' lines in catalog.json


def _parts(before: bytes, lines: list[bytes], after: bytes) -> list[bytes]:
    """The parts of `before + b",\\n    ".join(lines) + after`, in order, the lines not copied."""
    if not lines:
        return [before, after]
    parts = [_SEPARATOR] * (2 * len(lines) + 1)
    parts[0] = before
    parts[1::2] = lines
    parts[-1] = after
    return parts


def _slo_names(names: openslo.Names, o: model.Offering) -> tuple[str, ...]:
    return tuple(names.slo(o.id, s.id) for s in o.slos)


def _json(data: object) -> bytes:
    # json.dump streams into the buffer; json.dumps with an indent first collects every one of
    # the many small pieces in a list (tens of MB for a large catalog). Same text either way.
    buffer = io.StringIO()
    json.dump(data, buffer, indent=2, ensure_ascii=False, sort_keys=False)
    buffer.write("\n")
    return buffer.getvalue().encode("utf-8")


def _record_lines(data: dict[str, Any]) -> list[str]:
    """`data`'s keys as lines of a JSON object: one per top-level key, and one per item of a
    top-level list (each offering, tool and page on a line of its own, so that two versions
    compare line by line). Written by the json module's C encoder: an indented document goes
    through its Python one (0.2 s for a catalog of 2,000 offerings and 5,000 tools)."""
    lines = []
    for key, item in data.items():
        if isinstance(item, list) and item:
            lines.append(_list_line(key, [_item(i) for i in item]))
        else:
            lines.append(f"  {_item(key)}: {_item(item)}")
    return lines


def _list_line(key: str, items: list[str]) -> str:
    """A top-level key whose value is a list of the JSON `items`, one on each line."""
    if not items:
        return f"  {_item(key)}: []"
    body = ",\n    ".join(items)
    return f"  {_item(key)}: [\n    {body}\n  ]"


def _item(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _compact_json(data: object) -> bytes:
    """JSON without spaces, for files the browser downloads rather than people read."""
    return (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def sitemap(base_url: str, files: Iterable[str]) -> bytes:
    """Every page among `files` but the not-found page, at its address under `base_url`."""
    base = base_url.rstrip("/") + "/"
    urls = [
        base + (p[: -len("index.html")] if p.endswith("index.html") else p)
        for p in sorted(files)
        if p.endswith(".html") and p != routes.NOT_FOUND
    ]
    body = "".join(f"  <url><loc>{Markup.escape(u)}</loc></url>\n" for u in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + body + "</urlset>\n"
    ).encode()
