"""A policy page's body is not read again for its links and ids where its page is rendered: what
the Markdown pipeline says its HTML links to and which ids it has (content/markdown.py
`body_refs`) is what the link check's parser reads from that HTML, and a page's link scan reads
only what the template made around the body, with the same result as reading the whole page."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import servicebook
from servicebook.content import htmlrefs, markdown
from servicebook.site import links
from servicebook.source.yaml import SourceText, split_front_matter

from .conftest import examples
from .sitefiles import generated_site, tree
from .test_search_sections import _MARKDOWN, _TARGETS

_EDGES = st.sampled_from(
    [
        "[a]()", "[b](<>)", "[sp](other.md#a%20b)", "[amp](https://example.org/?a=1&b=2)", '[q](https://e.org/"x")',
        "[t](https://e.org/ \"title\")", "![i](img.png \"t\")", "[m](mailto:a@b.c)", "[s](site:support#hours)",
        "[p](page:other#part)", "[o](offering:ci#slo-x)", "<mailto:a@b.c>", "[rel](./other.md)", "[up](../x.md)",
        "[nbsp](https://e.org/\u00a0)", "[uni](https://e.org/café)", "[pct](https://e.org/%zz)", "## ", "## !!!",
    ]
)  # fmt: skip


def _read(html: str) -> htmlrefs.HtmlRefs:
    return htmlrefs.read_refs(html.encode())


@given(st.lists(st.one_of(_MARKDOWN, _EDGES), max_size=4).map("\n\n".join))
@settings(max_examples=examples(400), deadline=None)
def test_what_the_markdown_says_its_html_links_to_is_what_the_parser_reads(body: str) -> None:
    rendered = markdown.render(SourceText("content/here.md", body), body, 0, "here", _TARGETS)
    assert rendered.refs
    assert htmlrefs.unpack_refs(rendered.refs) == _read(rendered.html)


def test_on_every_page_of_the_example_and_a_generated_site(site_copy, tmp_path) -> None:
    for site in (site_copy("example"), generated_site(tmp_path / "generated", pages=40)):
        for path in sorted((site / "content").rglob("*.md")):
            source = SourceText(path.name, path.read_text(encoding="utf-8"))
            _, body, offset = split_front_matter(source)
            rendered = markdown.render(source, body, offset, path.stem, _TARGETS)
            assert htmlrefs.unpack_refs(rendered.refs) == _read(rendered.html), path


_PAGE = (
    '<!doctype html><html><head><title>t</title><link href="../../assets/site.css" rel="stylesheet"></head>'
    '<body><nav><a href="../../tools/">Tools</a> <a href="#main">skip</a></nav><main id="main">{}</main>'
    '<a href="../gone/">broken</a></body></html>'
)
_BODY = '<h2 id="one">One<a class="anchor" href="#one">#</a></h2>\n<p><a href="../other/#part">x</a></p>\n'


@pytest.mark.parametrize(
    "page",
    [
        _PAGE,  # the body where the theme's policy.html has it
        _PAGE.replace("{}", "<!-- {} -->"),  # in a comment: read as the whole page reads it
        _PAGE.replace("{}", '<a title="{}">t</a>'),  # in an attribute
        _PAGE.replace("{}", "<script>{}</script>"),  # in a script
        _PAGE.replace("{}", "{}<p>{}</p>"),  # twice
        _PAGE.replace("{}", ""),  # not there
        _PAGE.replace("{}", '{}<i id="servicebook-body-here"></i>'),  # the marker's id is the template's too
    ],
)
def test_a_scan_around_the_body_finds_what_a_scan_of_the_whole_page_finds(page: str) -> None:
    data = page.replace("{}", _BODY).encode()
    known = {"tools/index.html", "assets/site.css"}
    body = (_BODY.encode(), _read(_BODY))
    assert links.scan_page("policies/p/index.html", data, known, {}, body) == links.scan_page(
        "policies/p/index.html", data, known, {}
    )


def test_a_scan_around_the_body_reads_only_the_rest(monkeypatch) -> None:
    data = _PAGE.replace("{}", _BODY).encode()
    read: list[bytes] = []
    real = links.read_refs
    monkeypatch.setattr(links, "read_refs", lambda html: read.append(html) or real(html))
    found = links.scan_page("policies/p/index.html", data, (), {}, (_BODY.encode(), _read(_BODY)))
    assert len(read) == 1 and _BODY.encode() not in read[0]
    # the template's broken link is still found, the body's link to another page's heading kept for the check
    assert {link[0] for link in found.links} >= {"../gone/", "../other/#part"}
    assert b"\0one\0" in found.ids and b"\0main\0" in found.ids


def _no_whole_policy_page(real):
    def read(html: bytes) -> htmlrefs.HtmlRefs:
        if b'<div class="prose">' in html and b"servicebook-body-here" not in html:
            raise AssertionError("a policy page's body was read for its links")
        return real(html)

    return read


def test_a_cold_build_reads_no_policy_page_s_body_for_its_links(run, tmp_path, monkeypatch) -> None:
    site = generated_site(tmp_path / "site", pages=40)
    expected = run("build", "--source", site, "--output", tmp_path / "before")
    assert expected.exit_code == 0, expected.output
    monkeypatch.setattr(links, "read_refs", _no_whole_policy_page(links.read_refs))  # the render workers' too
    fresh = tmp_path / "again"
    shutil.copytree(site, fresh, ignore=shutil.ignore_patterns("public", ".servicebook-cache"))
    result = run("build", "--source", fresh, "--output", tmp_path / "after")
    assert result.exit_code == 0, result.output
    assert tree(tmp_path / "after") == tree(tmp_path / "before")


def test_a_broken_link_of_a_site_s_policy_template_is_still_reported(run, site_copy, monkeypatch) -> None:
    site = site_copy("example")
    (site / "layouts").mkdir(exist_ok=True)
    theme = (Path(servicebook.__file__).parent / "layouts" / "policy.html").read_text(encoding="utf-8")
    broken = theme.replace('<div class="prose">', '<a href="{{ url(\'nowhere/\') }}">x</a><div class="prose">')
    assert broken != theme
    (site / "layouts" / "policy.html").write_text(broken, encoding="utf-8")
    monkeypatch.setattr(links, "read_refs", _no_whole_policy_page(links.read_refs))
    result = run("build", "--source", site)
    assert result.exit_code == 1
    slug = sorted((site / "content").glob("*.md"))[0].stem
    assert f"policies/{slug}/index.html: error: broken link to '../../nowhere/'" in result.output
