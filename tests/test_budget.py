"""Every page of the example site, with the CSS and JavaScript it loads, stays under 60 KB; the
whole catalog on one page (`catalog/`, everything the catalog says, for Ctrl-F and print) is cut
into parts by its own size instead."""

from __future__ import annotations

import posixpath
import re

import pytest

from servicebook.site.paging import PART_BYTES

from .conftest import GitSite
from .htmlcheck import tags

BUDGET = 60 * 1024


def page_weight(public, page: str) -> int:
    html = (public / page).read_text()
    here = posixpath.dirname(page)
    weight = len(html.encode())
    for tag, attrs in tags(html):
        ref = None
        if tag == "link" and attrs.get("rel") == "stylesheet":
            ref = attrs.get("href")
        elif tag == "script":
            ref = attrs.get("src")
        if ref:
            target = posixpath.normpath(ref.lstrip("/") if ref.startswith("/") else posixpath.join(here, ref))
            weight += (public / target).stat().st_size
    return weight


@pytest.mark.git
@pytest.mark.slow
def test_every_example_page_with_its_css_and_js_is_under_budget(run, site_copy) -> None:
    site = site_copy("example")
    GitSite(site).commit("Example catalog")  # in git, so history and versions are on every page too
    assert run("build", "--source", site).exit_code == 0
    public = site / "public"
    pages = sorted(str(p.relative_to(public)) for p in public.rglob("*.html"))
    assert len(pages) > 50
    weights = {page: page_weight(public, page) for page in pages}
    assert weights["offerings/ci-pipelines/index.html"] > (public / "assets/site.js").stat().st_size  # counts assets
    whole = {page for page in pages if re.fullmatch(r"(v/[^/]+/)?catalog/(index/[0-9]+/)?index\.html", page)}
    assert "catalog/index.html" in whole and len(whole) < len(pages) / 10
    over = {page: w for page, w in weights.items() if w >= BUDGET and page not in whole}
    assert over == {}
    # the whole catalog's parts: each its rows up to PART_BYTES, with the page around them
    assert all(weights[page] < PART_BYTES + BUDGET for page in whole), whole


def test_css_minifier_keeps_what_css_needs() -> None:
    from servicebook.site.render import minify_css

    css = '/* c */\n.a ,\n.b > .c {\n  width: calc(100% - 2rem);\n  content: " (" attr(href) ")";\n}\na :hover { x: y; }\n'
    assert minify_css(css) == '.a,.b>.c{width: calc(100% - 2rem);content: " (" attr(href) ")"}a :hover{x: y}\n'
