"""Rendering one page through Jinja2: the theme's environment (the site's `layouts/` first, the
built-in theme last; a site template may extend the original as `theme/<name>`), what a page is
given, and the located problem when a template fails.

Autoescaping is always on and undefined names fail the build, so a typo in a template cannot
silently produce an empty field.
"""

from __future__ import annotations

import contextlib
import functools
import os
import posixpath
import re
import stat
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import jinja2

import servicebook
from servicebook import routes
from servicebook.catalog import model
from servicebook.catalog.slo import format_duration, format_minutes, format_percent
from servicebook.catalog.validate import did_you_mean
from servicebook.content.htmlrefs import HtmlRefs, unpack_refs
from servicebook.errors import Problem, Severity, SourceLocation
from servicebook.git.versions import Release
from servicebook.site.forge import edit_url, file_at_commit_url
from servicebook.site.links import LinkTarget, page_refs, safe_path, scan_page, settle
from servicebook.site.sandbox import BoundedSandbox, TooLarge, TooMuchText, TooMuchWork
from servicebook.site.write import PageLinks, write_new_file
from servicebook.source.text import SourceError, decode

# the installed package's folder, as importlib.resources gives it for a package on disk, without
# importing importlib.resources and zipfile (~4 ms of every rebuild's start-up)
THEME_DIR = Path(servicebook.__file__).parent / "layouts"


@dataclass(frozen=True, slots=True)
class VersionContext:
    """Where this build stands among the releases: `current` is set when rendering a release under
    v/<version>/; `releases` (root build only) lists them for the versions page."""

    current: str | None = None
    releases: tuple[Release, ...] = ()
    notes: tuple[str, ...] = ()
    summaries: Mapping[str, str] = field(default_factory=dict)
    # root build only: the current catalog's version, when its release was published from sources
    # that have changed since (its pages then say so, not to be cited as that release)
    unreleased: str | None = None


class RenderError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems[0].message)
        self.problems = problems


@dataclass(frozen=True, slots=True)
class PageSpec:
    """One HTML page: where it goes, which template renders it, and what it is given."""

    path: str  # output path, e.g. "offerings/ci/index.html"
    template: str
    title: str
    section: str  # which navigation entry is current
    context: dict[str, Any]


# a data file's bytes, or its parts in order: written part by part into the spool folder, not
# joined in memory first (catalog.json, 3.7 MB at 5,000 pages, was a one-page `serve` rebuild's
# largest object in its process: outputs.catalog_json_parts)
Made = bytes | list[bytes]


def joined(made: Made) -> bytes:
    """A data file's bytes, from its parts where it was made of parts."""
    return made if isinstance(made, bytes) else b"".join(made)


@dataclass(frozen=True, slots=True)
class DataSpec:
    """A file made by code rather than a template, as a job for the render workers (outputs.DATA
    declares them): where it goes, what makes it, and a digest of what it depends on beyond what
    every page does (build._reuse)."""

    path: str
    make: Callable[[], Made]
    inputs: str
    complete: bool = False  # `inputs` covers all it is made from but the code: its key needs no more


@runtime_checkable
class ReuseAll(Protocol):
    """What a build may keep of its outputs (render.render_site `reuse`), asked for one output or
    for all of them at once (`many`, in order): a long-running process answers most of them from
    its last build's answers without asking again output by output (fresh.KeptMemo)."""

    def __call__(self, spec: PageSpec | DataSpec, /) -> str | bytes | None: ...

    def many(self, specs: list[PageSpec | DataSpec], /) -> list[str | bytes | None]: ...


def compile_theme(compiled: Path | None = None) -> None:
    """Compile every template of the built-in theme now (a build does it while its workers render
    Markdown, and forked render workers inherit them rather than each compiling them again). A
    template that does not compile is reported, located, by the render of a page that uses it.
    `compiled`: see `environment`."""
    env = environment(None, compiled)
    for name in sorted(p.name for p in THEME_DIR.glob("*.html")):
        with contextlib.suppress(jinja2.TemplateError):
            env.get_template(name)


def environment(site_layouts: Path | None, compiled: Path | None = None) -> jinja2.Environment:
    """The templates of a site (its layouts/ over the built-in theme). With a `compiled` folder
    (in the user's cache folder, build.py), each template's compiled code is kept there and reused by later
    processes while the template's text is the same: compiling the theme costs about 0.25 CPU s,
    most of a small rebuild's."""
    if site_layouts is None or not site_layouts.is_dir():
        env = _theme_environment()  # compiled once a process: a build with releases renders many sites
        if compiled is not None:  # for the templates this process has not compiled yet
            env.bytecode_cache = _CompiledTemplates(str(compiled), COMPILED_THEME)
        return env
    return _environment(site_layouts, compiled)


@functools.cache
def _theme_environment() -> jinja2.Environment:
    return _environment(None)


# The names of the compiled templates' files (Jinja's default: __jinja2_%s.cache), one for each
# kind of environment: a template compiled outside the sandbox must never run in it, nor one compiled
# for Jinja's own sandbox (which did not bound the operators, sandbox.py) in ours, nor one compiled by
# an earlier servicebook's (whose code did not charge what `~`, a comparison or a slice work on:
# sandbox.BoundedCodeGenerator), since Jinja checks only the template's text and Python's version.
COMPILED_THEME = "__jinja2_%s.cache"
COMPILED_SANDBOXED = "__jinja2_bounded_charged_%s.cache"


class _CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Jinja's bytecode cache (one file per template, checked against the template's source and
    the Python version), where a file that cannot be read, or written (a full disk, a read-only
    cache), means only that the template is compiled again."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            # a FIFO there would be opened, and waited on, for ever: only a file is read
            if not stat.S_ISREG(Path(self._get_cache_filename(bucket)).stat().st_mode):
                return
            super().load_bytecode(bucket)
        except Exception:  # a damaged or foreign file: compile the template instead
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


class _SiteTemplates(jinja2.FileSystemLoader):
    """The site's layouts/: a template that is not UTF-8 text is a located problem of the page
    that uses it (the file, line and column of the first byte that is not), as it is in a
    catalog or a policy page, not the UnicodeDecodeError Jinja's loader lets through."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        try:
            return super().get_source(environment, template)
        except UnicodeDecodeError:
            folder = Path(self.searchpath[0])
            path = folder / template
            try:
                decode(posixpath.join("layouts", template), path.read_bytes())
            except SourceError as exc:
                raise RenderError(exc.problems[:1]) from None
            except OSError:
                pass
            raise


def _environment(site_layouts: Path | None, compiled: Path | None = None) -> jinja2.Environment:
    builtin = jinja2.FileSystemLoader(THEME_DIR)
    loaders: list[jinja2.BaseLoader] = []
    # A site's own templates come with its pull requests, and `check` renders them in the job that
    # reviews one: they run in Jinja's sandbox, which keeps them from Python (a function's globals,
    # a class's subclasses), so that a pull request cannot run a command there. The built-in theme
    # alone is ours and runs without it (the sandbox checks every attribute and call: 6-9 % more CPU on a
    # full build, bench/README.md "Site templates in Jinja's sandbox"). The two compile a template
    # differently, so each keeps its compiled code under a name of its own.
    sandboxed = site_layouts is not None and site_layouts.is_dir()
    if sandboxed and site_layouts is not None:
        loaders.append(_SiteTemplates(site_layouts, followlinks=False))
    loaders += [jinja2.PrefixLoader({"theme": builtin}), builtin]
    kind = BoundedSandbox if sandboxed else jinja2.Environment
    env = kind(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        bytecode_cache=None
        if compiled is None
        else _CompiledTemplates(str(compiled), COMPILED_SANDBOXED if sandboxed else COMPILED_THEME),
    )
    env.filters["percent"] = format_percent
    env.filters["duration"] = format_duration
    env.filters["minutes"] = format_minutes
    env.filters["isodate"] = lambda d: d.isoformat() if d else ""
    env.filters["plural"] = plural
    env.filters["title_heading"] = title_heading
    return env


def blocks_left_out(site_layouts: Path) -> list[Problem]:
    """A warning for each site template that replaces one the theme's pages extend (`base.html`)
    without extending it and without a block those pages fill: Jinja drops what a page puts in a
    block its parent does not have, without a word (a `base.html` without `content` empties every
    page). A template that does not parse is left to the render, which locates its error."""
    parser = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)  # parses only
    problems = []
    for name, filled in sorted(_theme_blocks_filled().items()):
        try:
            tree = parser.parse((site_layouts / name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, jinja2.TemplateSyntaxError, RecursionError):  # nested too deep
            continue
        if next(tree.find_all(jinja2.nodes.Extends), None) is not None:
            continue  # its blocks include its parent's
        have = {block.name for block in tree.find_all(jinja2.nodes.Block)}
        missing = sorted(filled.keys() - have)
        if missing:
            pages = sorted({page for block in missing for page in filled[block]})
            shown = ", ".join(pages[:3]) + (f" and {len(pages) - 3} more" if len(pages) > 3 else "")
            problems.append(
                Problem(
                    SourceLocation(posixpath.join("layouts", name), 1, 1),
                    f"{name} replaces the theme's without the block{'s' if len(missing) > 1 else ''} "
                    f"{', '.join(missing)}: what the theme's {shown} put there is not shown",
                    f"add {' '.join(f'{{% block {b} %}}{{% endblock %}}' for b in missing)} where it belongs, "
                    f'or extend the theme\'s: {{% extends "theme/{name}" %}}',
                    Severity.WARNING,
                    kind="layout-without-blocks",
                )
            )
    return problems


@functools.cache
def _theme_blocks_filled() -> dict[str, dict[str, list[str]]]:
    """For each template the theme's templates extend: which blocks they fill, and which fill each."""
    parser = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)  # parses only
    filled: dict[str, dict[str, list[str]]] = {}
    for path in sorted(THEME_DIR.glob("*.html")):
        tree = parser.parse(path.read_text(encoding="utf-8"))
        for extends in tree.find_all(jinja2.nodes.Extends):
            if isinstance(extends.template, jinja2.nodes.Const):
                blocks = filled.setdefault(str(extends.template.value), {})
                for block in tree.find_all(jinja2.nodes.Block):
                    blocks.setdefault(block.name, []).append(path.name)
    return filled


# a level-1 heading at the start of a rendered body, as content/markdown.py renders one (its text
# escaped, its anchor link last)
_OPENING_H1_RE = re.compile(
    r'<h1 id="([^"<>]+)">([^<]*)<a class="anchor" href="#\1" aria-label="Link to this section">#</a></h1>\n?'
)


def title_heading(html: str, title: str) -> tuple[str | None, str]:
    """A policy page's body that opens with a level-1 heading repeating the page's title (a page
    brought in from a wiki or a README, its title written in front matter as `check` asks): that
    heading's anchor and the body without it, for the page's own heading to take its place (one
    h1, its anchor kept for the links to it); else (None, the body)."""
    opening = _OPENING_H1_RE.match(html)
    if opening is None or " ".join(unescape(opening[2]).split()) != " ".join(title.split()):
        return None, html
    return opening[1], html[opening.end() :]


def plural(count: int, singular: str, many: str | None = None) -> str:
    """The noun for `count` things: 1 offering, 2 offerings, 0 policies."""
    return singular if count == 1 else many or singular + "s"


@dataclass(frozen=True, slots=True)
class Renderer:
    """What every page render needs; forked workers inherit it rather than unpickle it."""

    env: jinja2.Environment
    specs: list[PageSpec]
    common: dict[str, Any]
    layouts: Path
    spool: Path | None  # where rendered pages go (at their place in the site), or None to return their bytes
    known: Container[str] = frozenset()  # the paths of every page: links to them need no later check
    # the files made by code; emptied by the render once they are made (render._render_pages),
    # so that what they are made from is not held while the pages are rendered
    data: list[DataSpec] = field(default_factory=list)
    # what the links to the site's files lead to (links.scan_page), for this `known`; and the
    # spool's folders made so far for data files: each process that renders fills its own
    links: dict[str, LinkTarget] = field(default_factory=dict)
    urls: dict[tuple[int, str], str] = field(default_factory=dict)  # routes.relative_urls
    folders: set[Path] = field(default_factory=set)


def spooled(renderer: Renderer, index: int) -> Path:
    """Where a page or data file goes in the spool folder: its own place in the site, so that the
    folder becomes the new site as it is (write.write_site). A path that would leave the folder
    gets a numbered name instead; the path check refuses it before anything is published."""
    assert renderer.spool is not None
    specs = renderer.specs
    path = specs[index].path if index < len(specs) else renderer.data[index - len(specs)].path
    return renderer.spool / (path if safe_path(path) else f".unsafe-{index}")


def render_one(renderer: Renderer, index: int) -> tuple[bytes | None, PageLinks | None] | list[Problem]:
    """One page (None: written to the spool folder) and its links, or its problems (a
    RenderError does not survive the trip back from a worker); or one of the `data` files."""
    data: Made
    if index >= len(renderer.specs):
        data = renderer.data[index - len(renderer.specs)].make()
        if renderer.spool is None:  # (a worker's result, or a file held in memory)
            data = joined(data)
        links = None
    else:
        spec = renderer.specs[index]
        try:
            data = _render_page(renderer.env, spec, renderer.common, renderer.layouts, renderer.urls)
        except RenderError as exc:
            return exc.problems
        links = scan_page(spec.path, data, renderer.known, renderer.links, _body(spec))
    if renderer.spool is None:
        assert isinstance(data, bytes)
        return data, links
    target = spooled(renderer, index)
    if index < len(renderer.specs):  # a page: most have a folder of their own
        target.parent.mkdir(parents=True, exist_ok=True)
    elif target.parent not in renderer.folders:  # most data files share a few folders
        target.parent.mkdir(parents=True, exist_ok=True)
        renderer.folders.add(target.parent)
    write_new_file(target, data)
    return None, links


def check_one(renderer: Renderer, index: int) -> tuple[HtmlRefs, PageLinks] | list[Problem]:
    """One page's links and ids (links.page_refs), for the store, and its scan as `render_one`
    makes it, or its problems: what `check` keeps of a page, not the page (site/scans.py)."""
    spec = renderer.specs[index]
    try:
        data = _render_page(renderer.env, spec, renderer.common, renderer.layouts, renderer.urls)
    except RenderError as exc:
        return exc.problems
    refs = page_refs(data, _body(spec))
    return refs, settle(spec.path, refs, renderer.known, renderer.links)


def _body(spec: PageSpec) -> tuple[bytes, HtmlRefs] | None:
    """A policy page's HTML and what it links to and its ids, where the build's spool keeps them
    (model.Page `spooled`), so that the page's link scan reads only what the template made around
    it (links.scan_page); None for other pages, and where the spool does not have them."""
    page = spec.context.get("page")
    if not isinstance(page, model.Page) or len(page.spooled) != 4:
        return None
    fd, offset, size, refs = page.spooled
    data = os.pread(fd, size + refs, offset)
    if len(data) != size + refs:
        return None
    return data[:size], unpack_refs(data[size:])


def _render_page(
    env: jinja2.Environment,
    spec: PageSpec,
    common: dict[str, Any],
    layouts: Path,
    urls: dict[tuple[int, str], str] | None = None,
) -> bytes:
    """One page's HTML; `urls` remembers, for the pages of one render, the URLs that are the same
    from every folder at the same depth (routes.relative_urls)."""
    here = posixpath.dirname(spec.path)
    if spec.path == "404.html":
        # Served for any missing path, at any depth: links must not depend on where it is.
        prefix = routes.not_found_root(common["catalog"].site.base_url)
        url: Callable[[str], str] = lambda target: prefix + target  # noqa: E731
        site_root = prefix
    else:
        url = routes.relative_urls(here, {} if urls is None else urls)
        site_root = routes.site_root(here, common["versioning"].current)
    try:
        template = env.get_template(spec.template)
        html = template.render(
            **common,
            **spec.context,
            url=url,
            site_root=site_root,
            page_title=spec.title,
            section=spec.section,
            path=spec.path,
            **_source_links(common, spec),
        )
    except jinja2.TemplateSyntaxError as exc:
        source_name = exc.filename or exc.name or spec.template
        raise RenderError(
            [_template_problem(source_name, exc.lineno, layouts, exc.message or "syntax error")]
        ) from None
    except jinja2.TemplateNotFound as exc:  # an include, import or extends of a name there is not
        frame_name, line = _template_frame(exc)
        missing = str(exc.name or exc.message or "?")  # the name as given (an Undefined when it was one)
        problem = _template_problem(
            frame_name or spec.template,
            line,
            layouts,
            f"while rendering {spec.path}: there is no template '{missing}' in layouts/ or the built-in theme",
            _near_template(env, missing)
            or "add it to layouts/, or name a built-in one (docs/customising.md lists them; extend one as theme/NAME)",
        )
        raise RenderError([problem]) from None
    except jinja2.TemplateError as exc:
        frame_name, line = _template_frame(exc)
        unknown = _UNDEFINED_NAME.fullmatch(exc.message or "")
        given = [*common, *spec.context, *env.globals, *_GIVEN_EVERY_PAGE]
        if isinstance(exc, TooMuchText):
            hint = (
                "a template runs in Jinja's sandbox, which bounds the characters one page's templates make, "
                "print, compare and search, so that a template cannot hold the job that builds it for hours; "
                "make a large text once, not in a loop; docs/security.md"
            )
        elif isinstance(exc, TooMuchWork):
            hint = (
                "a template runs in Jinja's sandbox, which bounds the loop iterations and calls one page makes, "
                "so that a template cannot hold the job that builds it for hours; loop over what the page shows, "
                "not over all of it for each item; docs/security.md"
            )
        elif isinstance(exc, TooLarge):
            hint = (
                "a template runs in Jinja's sandbox, which bounds what it makes (a text or list, a number, "
                "a page) so that a template cannot exhaust the memory of the job that builds it; docs/security.md"
            )
        elif isinstance(exc, jinja2.exceptions.SecurityError):
            hint = (
                "a template runs in Jinja's sandbox: it shapes the pages from what it is given, and "
                "cannot reach Python (names starting with '_', a function's globals); docs/security.md"
            )
        elif unknown:
            hint = did_you_mean(unknown[1], given) or "docs/customising.md says what each template is given"
        else:
            hint = "check the template"
        raise RenderError(
            [
                _template_problem(
                    frame_name or spec.template,
                    line,
                    layouts,
                    f"while rendering {spec.path}: {exc.message or exc}",
                    hint,
                )
            ]
        ) from None
    except RenderError:
        raise
    except Exception as exc:  # the template's own code failed in Python (1 / 0, a macro calling itself)
        mine = _site_template_frame(exc, layouts)
        if mine is None:  # no template of the site's own was running: the theme's or servicebook's bug
            raise
        if isinstance(exc, RecursionError):
            raise RenderError([_recursion_problem(exc, mine, layouts, spec.path)]) from None
        raise RenderError(
            [_template_problem(*mine, layouts, f"while rendering {spec.path}: {type(exc).__name__}: {exc}")]
        ) from None
    return html.encode("utf-8")


# Pages made from no source file of their own: an "edit this page" link would mislead.
NO_EDIT_SECTIONS = frozenset({"", "search", "changes", "versions"})


def _edit_url(catalog: model.Catalog, spec: PageSpec, prefix: str = "", commit: str | None = None) -> str | None:
    """The forge's editor for the file a page comes from: its Markdown file, or catalog.yaml;
    with a `commit`, the file as it was at that commit instead."""
    repo = catalog.site.repository
    if not repo or not repo.startswith("https://") or spec.section in NO_EDIT_SECTIONS:
        return None
    source = spec.context["page"].source if "page" in spec.context else "catalog.yaml"
    if commit is not None:
        return file_at_commit_url(repo, catalog.site.forge, commit, prefix + source)
    return edit_url(repo, catalog.site.forge, catalog.site.branch, prefix + source)


def _members_own(common: Mapping[str, Any], spec: PageSpec) -> bool:
    """Whether the page shows a member team's policy page, offering or tool decision on an
    organisation site: its source is in the member's repository, not this site's."""
    teams = common.get("teams")
    if teams is None:
        return False
    page, offering, tool = (spec.context.get(k) for k in ("page", "o", "t"))
    ident = (
        page.slug
        if isinstance(page, model.Page)
        else getattr(getattr(offering, "offering", None), "id", None)
        or getattr(getattr(tool, "tool", None), "id", None)
    )
    return isinstance(ident, str) and teams.of(ident) is not None


# The pages that show the build's commit and date (base.html's footer, `build_stamp`): those that
# change with every build of new sources anyway. Every other page of the current catalog shows its
# own "Last changed" instead, so that a new commit does not make every page's bytes new (pagekeys.py).
BUILD_STAMP_TEMPLATES = frozenset({"home.html", "catalog.html", "versions.html"})


def shows_build(versioning: VersionContext, template: str) -> bool:
    """Whether a page made from `template` shows the build's commit and date: every page of a past
    release (its stamp never changes), and on the current site, BUILD_STAMP_TEMPLATES' pages."""
    return versioning.current is not None or template in BUILD_STAMP_TEMPLATES


def _source_links(common: Mapping[str, Any], spec: PageSpec) -> dict[str, object]:
    """`edit_url` for the current catalog; a page of a past release is not edited, it links to
    its source as it was at the release's commit (`source_url`). And `build_stamp`: whether the
    page shows the build's commit and date (shows_build)."""
    stamp = shows_build(common["versioning"], spec.template)
    if _members_own(common, spec):
        return {"edit_url": None, "source_url": None, "build_stamp": stamp}
    if common["versioning"].current is None:
        edit = _edit_url(common["catalog"], spec, common["source_prefix"])
        return {"edit_url": edit, "source_url": None, "build_stamp": stamp}
    commit = common["build"].commit
    source = _edit_url(common["catalog"], spec, common["source_prefix"], commit) if commit else None
    return {"edit_url": None, "source_url": source, "build_stamp": stamp}


# jinja's message for a name no template was given (`{{ pgae.title }}`), and the names that
# _render_page gives every page beside the common ones and the page's own
_UNDEFINED_NAME = re.compile(r"'([A-Za-z_][A-Za-z0-9_]*)' is undefined")
_GIVEN_EVERY_PAGE = ("url", "site_root", "page_title", "section", "path", "edit_url", "source_url", "build_stamp")


def _near_template(env: jinja2.Environment, name: str) -> str | None:
    """'did you mean' for a template name there is not (`theme/polcy.html`)."""
    try:
        names = env.list_templates()
    except (TypeError, OSError):  # a loader that cannot list: no suggestion
        return None
    return did_you_mean(name, names)


def _template_frame(exc: BaseException) -> tuple[str | None, int]:
    """The innermost template file and line in a rendering error's traceback."""
    tb = exc.__traceback__
    found: tuple[str | None, int] = (None, 0)
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(".html"):
            found = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _site_template_frame(exc: BaseException, layouts: Path) -> tuple[str, int] | None:
    """The innermost frame of a template of the site's own `layouts/` in an error's traceback."""
    tb = exc.__traceback__
    found: tuple[str, int] | None = None
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith(".html") and Path(name).is_relative_to(layouts):
            found = (name, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _recursion_problem(exc: RecursionError, innermost: tuple[str, int], layouts: Path, page: str) -> Problem:
    """A template that includes, imports or extends itself (through others too), or a macro that
    calls itself without end: Python's "maximum recursion depth exceeded", which named only where
    the recursion happened to stop, as the cycle of template lines that repeats, located at its
    first line of the site's own."""
    frames: list[tuple[str, int]] = []
    tb = exc.__traceback__
    while tb is not None:
        here = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        if here[0].endswith(".html") and (not frames or frames[-1] != here):
            frames.append(here)
        tb = tb.tb_next
    seen: dict[tuple[str, int], int] = {}
    cycle: list[tuple[str, int]] = []
    for i, here in enumerate(frames):
        if here in seen:
            cycle = frames[seen[here] : i + 1]
            break
        seen[here] = i
    if not cycle:  # one line calling itself (its repeats were folded into one frame)
        cycle = [innermost, innermost]
    own = next((f for f in cycle if Path(f[0]).is_relative_to(layouts)), innermost)

    def shown(frame: tuple[str, int]) -> str:
        location = _template_problem(frame[0], frame[1], layouts, "").location
        return f"{location.path}:{location.line}"

    steps = " → ".join(shown(f) for f in cycle)
    return _template_problem(
        *own,
        layouts,
        f"while rendering {page}: the templates never stop calling one another: {steps} → …",
        "a template that includes, imports or extends itself (directly or through another), or a macro "
        "that calls itself with nothing to stop it, runs until Python gives up; break the cycle",
    )


def _template_problem(
    name: str, line: int | None, layouts: Path, message: str, hint: str = "check the template"
) -> Problem:
    path = Path(name)
    shown = f"layouts/{path.relative_to(layouts)}" if path.is_relative_to(layouts) else str(name)
    if path.is_relative_to(THEME_DIR):
        shown = f"(built-in theme) {path.relative_to(THEME_DIR)}"
    return Problem(SourceLocation(shown, line or 0, 1 if line else 0), message, hint)
