"""Turn a checked site into its output files (path → bytes): which pages there are, what every page
is given, and the files made by code (catalog.json, the search index, the sitemap). Pages are
rendered by templates.py, in worker processes; large sites spool them to a folder."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from servicebook.catalog import model
from servicebook.catalog.schema import json_schema
from servicebook.git.history import Timeline
from servicebook.git.repo import open_repo
from servicebook.site.catalog_json import catalog_sections, document_head, document_pages
from servicebook.site.changes import atom_feed, changes_pages, history_view
from servicebook.site.forge import commit_url
from servicebook.site.parallel import map_shared
from servicebook.site.search import INDEX_PATH, KIND_LABELS, a_to_z, search_index
from servicebook.site.stamps import RenderedStore, render_stamped
from servicebook.site.templates import (
    DataSpec,
    PageSpec,
    Renderer,
    RenderError,
    VersionContext,
    environment,
    render_one,
    spooled,
)
from servicebook.site.views import SiteView, site_view
from servicebook.site.write import SiteFiles

STATIC_DIR = Path(str(resources.files("servicebook") / "static"))
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; object-src 'none'"
)


MOVED_TEMPLATE = "moved.html"  # the page an offering or tool had under an earlier id


def page_specs(view: SiteView) -> Iterator[PageSpec]:
    """Every HTML page of the site, in a fixed order."""
    yield PageSpec("index.html", "home.html", view.site.catalog.team.name, "home", {})
    yield PageSpec("offerings/index.html", "offerings.html", "Offerings", "offerings", {})
    for o in view.offerings:
        yield PageSpec(f"{o.path}index.html", "offering.html", o.offering.name, "offerings", {"o": o})
    for o in view.offerings:
        for old in o.offering.renamed_from:  # the page it had: old links and bookmarks lead on
            context = {"target": o.path, "kind": "offering", "old": old}
            yield PageSpec(f"offerings/{old}/index.html", MOVED_TEMPLATE, o.offering.name, "offerings", context)
    yield PageSpec("slos/index.html", "slos.html", "Service level objectives", "slos", {})
    yield PageSpec("support/index.html", "support.html", "Support", "support", {})
    yield PageSpec("tools/index.html", "tools.html", "Tools", "tools", {})
    for t in view.tools:
        yield PageSpec(f"{t.path}index.html", "tool.html", t.tool.name, "tools", {"t": t})
    for t in view.tools:
        for old in t.tool.renamed_from:
            context = {"target": t.path, "kind": "tool decision", "old": old}
            yield PageSpec(f"tools/{old}/index.html", MOVED_TEMPLATE, t.tool.name, "tools", context)
    yield PageSpec("unsupported/index.html", "unsupported.html", "What we do not support", "unsupported", {})
    yield PageSpec("policies/index.html", "policies.html", "Policies", "policies", {})
    for p in view.pages:
        yield PageSpec(f"policies/{p.slug}/index.html", "policy.html", p.meta.title, "policies", {"page": p})
    yield PageSpec("search/index.html", "search.html", "Search", "search", {"a_to_z": a_to_z(view)})
    yield PageSpec("catalog/index.html", "catalog.html", "The whole catalog", "catalog", {})
    yield PageSpec("404.html", "404.html", "Page not found", "", {})


NAV = (
    ("home", "Home", ""),
    ("offerings", "Offerings", "offerings/"),
    ("slos", "SLOs", "slos/"),
    ("support", "Support", "support/"),
    ("tools", "Tools", "tools/"),
    ("unsupported", "Not supported", "unsupported/"),
    ("policies", "Policies", "policies/"),
)


def render_site(
    site: model.SiteContent,
    site_root: Path,
    *,
    versioning: VersionContext | None = None,
    history: Timeline | None = None,
    reuse: Callable[[PageSpec | DataSpec], Path | None] | None = None,
    workers: int = 1,
    spool: Path | None = None,
    stamped: RenderedStore | None = None,
    source_prefix: str | None = None,
) -> SiteFiles:
    """All output files of `site`; raises RenderError for a broken template.

    `reuse` may name the file of a page that an earlier build rendered from the same inputs (see
    build.py); the other pages are rendered over `workers` processes. With a `spool` folder,
    pages are written there as they are rendered and read back only when needed (write.SiteFiles).
    With a `stamped` store (a past release's build), pages that other releases rendered from the
    same inputs are taken from it with this release's stamp filled in (see stamps.py).
    `source_prefix` is where the site lives in its repository, when `site_root` is not a checkout.
    """
    layouts = site_root / "layouts"
    env = environment(layouts)
    view = site_view(site)
    files = SiteFiles()
    versioning = versioning or VersionContext()
    prefix = _source_prefix(site_root) if source_prefix is None else source_prefix
    common = {**_common_context(view), "versioning": versioning, "source_prefix": prefix}
    specs = list(page_specs(view))
    history_files = _history(site, history, common, specs)
    if versioning.current is None and versioning.releases:
        specs.append(PageSpec("versions/index.html", "versions.html", "Versions", "versions", {}))
    # The site's JSON documents are made by the workers too, so that the parent, which holds
    # every page, never also holds the many small objects they are built from.
    texts = hashlib.blake2b("\0".join(p.text for p in site.pages).encode(), digest_size=20).hexdigest()
    bodies = hashlib.blake2b("\0".join(p.html_sha256 for p in site.pages).encode(), digest_size=20)
    data = (
        DataSpec("catalog.json", partial(_catalog_json, site), inputs=bodies.hexdigest()),  # content_sha256
        DataSpec("schema.json", _schema_json),
        DataSpec(INDEX_PATH, partial(_search_json, view), inputs=texts),  # excerpts of page text
    )
    known = frozenset(s.path for s in specs)
    if stamped is not None and spool is None:
        specs = render_stamped(files, stamped, env, specs, common, layouts, known, workers)
    renderer = Renderer(env, specs, common, layouts, spool, known, data)
    _render_pages(files, renderer, reuse, workers)
    for name in sorted(p.name for p in STATIC_DIR.iterdir() if p.is_file()):
        content = (STATIC_DIR / name).read_bytes()
        files[f"assets/{name}"] = (
            minify_css(content.decode("utf-8")).encode("utf-8") if name.endswith(".css") else content
        )
    files.update(history_files)
    if site.catalog.site.base_url:
        moved = {spec.path for spec in specs if spec.template == MOVED_TEMPLATE}
        files["sitemap.xml"] = _sitemap(site.catalog.site.base_url, [p for p in files if p not in moved])
    return files


def _history(
    site: model.SiteContent, timeline: Timeline | None, common: dict[str, Any], specs: list[PageSpec]
) -> dict[str, bytes]:
    """The changes page and feed, and what every page needs for "last changed" (see changes.py).
    Without a timeline (a past release being rebuilt) there is no history and no link to it."""

    common["history"] = None
    common["last_changed_for"] = lambda _path: None
    if timeline is None:
        return {}
    view = history_view(timeline, common["commit_url_for"])
    common["history"] = view
    common["last_changed_for"] = view.last_changed
    common["nav"] = (*common["nav"], ("changes", "Changes", "changes/"))
    for page in changes_pages(view):
        title = "Changes" if page.number == 1 else f"Changes, page {page.number} of {page.count}"
        specs.insert(
            len(specs) - 1, PageSpec(f"{page.path}index.html", "changes.html", title, "changes", {"listing": page})
        )
    if not view.available:
        return {}
    feed = atom_feed(view, site.catalog.site.title, site.catalog.site.base_url, site.build.date)
    return {"changes/feed.xml": feed}


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
        "commit_url_for": lambda sha: commit_url(repo, site.catalog.site.forge, sha) if repo else None,
        "built_on": build.date.strftime("%Y-%m-%d %H:%M UTC") if build.date else None,
        "published_on": build.date.strftime("%Y-%m-%d") if build.date else None,
        "nav": NAV,
        "csp": CSP,
        "kind_labels": KIND_LABELS,
    }


def _render_pages(
    files: SiteFiles,
    renderer: Renderer,
    reuse: Callable[[PageSpec | DataSpec], Path | None] | None,
    workers: int,
) -> None:
    """Every page of the renderer's specs, then every data file, into `files`, in order: the file
    `reuse` names when it has one, else made (into the spool folder, when there is one). A
    rendered page's links are read by the process that rendered it (write.scan_page), for the
    link check."""

    jobs: list[PageSpec | DataSpec] = [*renderer.specs, *renderer.data]
    kept = [reuse(job) if reuse else None for job in jobs]
    # the data files first: each is one large job, which would leave the other workers idle at the end
    todo = sorted((i for i, old in enumerate(kept) if old is None), key=lambda i: i < len(renderer.specs))
    if workers > 1:  # compiled once here rather than once in every worker
        for name in sorted({renderer.specs[i].template for i in todo if i < len(renderer.specs)}):
            with contextlib.suppress(jinja2.TemplateError):  # reported, located, by the page's render
                renderer.env.get_template(name)
    results = dict(zip(todo, map_shared(render_one, renderer, todo, workers), strict=True))
    problems = [p for result in results.values() if isinstance(result, list) for p in result]
    if problems:
        raise RenderError(problems[:1])  # the first, in page order, as a sequential render reports it
    for i, job in enumerate(jobs):
        result = results.get(i)
        old = kept[i]
        if old is not None or renderer.spool is not None:
            files.put_file(job.path, old or spooled(renderer, i), movable=old is None)
        elif isinstance(result, tuple) and result[0] is not None:
            files[job.path] = result[0]
        if isinstance(result, tuple) and result[1] is not None:
            files.scans[job.path] = result[1]


def _catalog_json(site: model.SiteContent) -> bytes:
    """catalog.json; the lines of its catalog sections are kept for the next build of this process
    while the catalog is the very same object (`serve` keeps it between rebuilds: for a catalog of
    2,000 offerings and 5,000 tools, 0.15 s of every rebuild after a page edit)."""
    kept = _catalog_lines[0] if _catalog_lines else None
    if kept is None or kept[0] is not site.catalog:
        kept = (site.catalog, _record_lines(catalog_sections(site.catalog)))
        _catalog_lines[:] = [kept]
    lines = [*_record_lines(document_head(site)), *kept[1], *_record_lines({"pages": document_pages(site)})]
    return ("{\n" + ",\n".join(lines) + "\n}\n").encode("utf-8")


_catalog_lines: list[tuple[model.Catalog, list[str]]] = []  # the last catalog and its lines (see above)


def _schema_json() -> bytes:
    return _json(json_schema())


def _search_json(view: SiteView) -> bytes:
    return _compact_json(search_index(view))


def _source_prefix(site_root: Path) -> str:
    """Where the site lives inside its git repository ("" at the top, "docs/catalog/" below it)."""

    repo = open_repo(site_root)
    return repo.prefix if repo is not None else ""


def _json(data: object) -> bytes:
    # json.dump streams into the buffer; json.dumps with an indent first collects every one of
    # the many small pieces in a list (tens of MB for a large catalog). Same text either way.
    buffer = io.StringIO()
    json.dump(data, buffer, indent=2, ensure_ascii=False, sort_keys=False)
    buffer.write("\n")
    return buffer.getvalue().encode("utf-8")


_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_CSS_SPACE = re.compile(r"\s+")
_CSS_PUNCTUATION = re.compile(r" ?([{};,>]) ?")


def minify_css(css: str) -> str:
    """The theme's style sheets without comments and spare white space, to keep pages light.

    Deliberately simple: runs of white space become one space (the theme has no strings that
    need two) and spaces next to `{ } ; , >` go; `+`, `-` and `:` keep theirs, as calc() and
    selectors like `a :hover` need them.
    """
    out = _CSS_SPACE.sub(" ", _CSS_COMMENT.sub("", css))
    return _CSS_PUNCTUATION.sub(r"\1", out).replace(";}", "}").strip() + "\n"


def _record_lines(data: dict[str, Any]) -> list[str]:
    """`data`'s keys as lines of a JSON object: one per top-level key, and one per item of a
    top-level list (each offering, tool and page on a line of its own, so that two versions
    compare line by line). Written by the json module's C encoder: an indented document goes
    through its Python one (0.2 s for a catalog of 2,000 offerings and 5,000 tools)."""

    def value(item: object) -> str:
        return json.dumps(item, ensure_ascii=False)

    lines = []
    for key, item in data.items():
        if isinstance(item, list) and item:
            body = ",\n    ".join(value(i) for i in item)
            lines.append(f"  {value(key)}: [\n    {body}\n  ]")
        else:
            lines.append(f"  {value(key)}: {value(item)}")
    return lines


def _compact_json(data: object) -> bytes:
    """JSON without spaces, for files the browser downloads rather than people read."""
    return (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def _sitemap(base_url: str, files: Iterable[str]) -> bytes:
    base = base_url.rstrip("/") + "/"
    urls = [
        base + (p[: -len("index.html")] if p.endswith("index.html") else p)
        for p in sorted(files)
        if p.endswith(".html") and p != "404.html"
    ]
    body = "".join(f"  <url><loc>{Markup.escape(u)}</loc></url>\n" for u in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + body + "</urlset>\n"
    ).encode()
