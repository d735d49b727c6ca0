"""Where a broken link that the built site's link check found was written, when a policy page's
`site:`, `offering:` or `tool:` link made it: the Markdown can name the pages the site makes
(`site:support`, `offering:ci`), not what is on them (`site:support#hours`, `offering:ci#slo-x`),
so that is settled on the built site and reported back at the link's place in the page's
Markdown, as every other link problem is."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Sequence, Set

from servicebook import routes
from servicebook.catalog.model import Page
from servicebook.catalog.validate import did_you_mean
from servicebook.content.markdown import RESERVED_ANCHORS, made_only, theme_anchors
from servicebook.errors import Problem, SourceLocation

# links.check_links's wording, which names the address as the page has it
_BROKEN_RE = re.compile(r"^broken link to '(?P<href>.*)' \((?:no id '(?P<id>.*)' on |no )")
SHOWN_IDS = 12


def locate_site_links(
    problems: Iterable[Problem],
    pages: Sequence[Page],
    read_source: Callable[[str], str],
    ids_of: Callable[[str], Set[str] | None],
) -> list[Problem]:
    """`problems` with each broken link that a `site:`, `offering:` or `tool:` link of a policy
    page made reported at that link in the page's Markdown (every place it is written), with the
    anchors the target has; any other problem as it is. `read_source` gives a page's source text
    by its path; `ids_of` the ids of the site's page at an output path (None: no such file)."""
    by_output = {routes.output_path(routes.policy(page.slug)): page for page in pages}
    out: list[Problem] = []
    for problem in problems:
        page = by_output.get(problem.location.path) if problem.location.line == 0 else None
        match = _BROKEN_RE.match(problem.message) if page is not None else None
        located = _locate(page, match, read_source, ids_of) if page is not None and match is not None else []
        out += located or [problem]
    return out


def _locate(
    page: Page, match: re.Match[str], read_source: Callable[[str], str], ids_of: Callable[[str], Set[str] | None]
) -> list[Problem]:
    href = match["href"]
    path, _, fragment = href.partition("#")
    here = posixpath.dirname(routes.output_path(routes.policy(page.slug)))
    target = posixpath.normpath(posixpath.join(here, path)) if path else ""
    name = "" if target in (".", "") else target  # the site page, as `site:` names it
    if name.startswith("../") or name == "..":
        return []
    page_url = f"{name}/" if name else ""
    found = routes.entity_at(routes.output_path(page_url))
    entity, ident = found if found is not None and found[0] != "policy" else (None, "")
    if entity is not None:  # offering:ID#anchor, tool:ID#anchor
        spelled, page_name = f"{entity}:{ident}#{fragment}", f"{entity} '{ident}'"
    else:
        spelled, page_name = f"site:{name}" + (f"#{fragment}" if fragment else ""), f"the {name or 'home'} page"
    try:
        text = read_source(page.source)
    except (OSError, UnicodeDecodeError):
        return []
    written = re.compile(re.escape(spelled) + r"(?=[\s)\"'>]|$)")
    if match["id"] is not None:
        message = f"broken link: {page_name} has no '#{fragment}'" + (" on its page" if entity else "")
        hint = _anchors_hint(fragment, ids_of(routes.output_path(page_url)))
    else:
        message = f"broken link: this build has no {name or 'home'} page"
        made = made_only(name)
        hint = None if made is None else f"the {name} page is made {made}"
    return [
        Problem(SourceLocation(page.source, number, column + 1), message, hint, source_line=line)
        for number, line, column in _outside_code(text, written)
    ]


_FENCE_RE = re.compile(r"^ {0,3}(```|~~~)")


def _outside_code(text: str, pattern: re.Pattern[str]) -> list[tuple[int, str, int]]:
    """(line number, line, column) of each match of `pattern` in `text` that is not in code (a
    fenced block or a `span`), where it would be an example rather than a link."""
    found, fence = [], None
    for number, line in enumerate(text.split("\n"), 1):
        opened = _FENCE_RE.match(line)
        if opened is not None and (fence is None or opened[1] == fence):
            fence = opened[1] if fence is None else None
            continue
        if fence is not None:
            continue
        found += [(number, line, m.start()) for m in pattern.finditer(line) if line.count("`", 0, m.start()) % 2 == 0]
    return found


def _anchors_hint(fragment: str, found: Set[str] | None) -> str | None:
    if found is None:
        return None
    chrome = RESERVED_ANCHORS | theme_anchors()
    ids = sorted(found - chrome)
    if not ids:
        return None
    return did_you_mean(fragment, ids) or "its anchors: " + ", ".join(ids[:SHOWN_IDS]) + (
        ", …" if len(ids) > SHOWN_IDS else ""
    )
