"""The sanitizer: a page's HTML is what nh3 makes of it, and nh3 is asked only where a plain
allow-list of tags, attributes, addresses and characters (`markdown.sanitized_as_is`) cannot vouch
that nh3 would give it back unchanged.

markdown-it-py writes the page's text in the form nh3's serializer writes it (quotes as they are,
no-break spaces as `&nbsp;`), so that a page made only of what the allow-list names is already
what nh3 would make of it, byte for byte; the rest (a link inside a link, a port the URL parser
refuses, a no-break space in an attribute, anything unexpected) goes through nh3 as before."""

from __future__ import annotations

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from servicebook.content import markdown
from servicebook.site.build import Options, gather
from servicebook.source.yaml import SourceText

from .conftest import FIXED_EPOCH, examples
from .sitefiles import generated_site
from .test_search_sections import _BLOCK, _TARGETS

# What nh3 changes or removes, and what the allow-list must therefore refuse: each of these is
# rewritten by nh3, so taking it as it is would publish something nh3 would not.
CHANGED_BY_NH3 = [
    "<script>alert(1)</script>",
    "<p><script>alert(1)</script></p>",
    '<p onclick="alert(1)">x</p>',
    '<p style="color:red">x</p>',
    '<td style="text-align:left">x</td>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JavaScript:alert(1)">x</a>',
    '<a href="vbscript:x">x</a>',
    '<a href="data:text/html,x">x</a>',
    '<a href="file:///etc/passwd">x</a>',
    '<a href="a:b/">x</a>',
    '<a href="java&#9;script:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="http://example.org:99999/">x</a>',
    '<a href="https://[::1/">x</a>',
    '<a href="http://1.2.3.999/">x</a>',
    '<a href="#x" onmouseover="alert(1)">x</a>',
    '<img src="x.png" alt="a" onerror="alert(1)">',
    '<img src="javascript:alert(1)" alt="a">',
    '<p><a href="a">a <a href="b">b</a> c</a></p>',  # a link inside a link: the HTML parser splits it
    '<p><a href="a">a</p>',  # a link not closed
    "<div>x</div>",
    "<p><!-- a comment --></p>",
    "<p>&quot;quoted&quot;</p>",  # an entity nh3 writes as the character
    "<p>&#106;</p>",
    "<p>&copy;</p>",
    "<p>1 > 0</p>",  # a character nh3 escapes
    "<p>a\u00a0b</p>",
    '<a href="#" title="a\u00a0b">x</a>',
    "<p>a\rb</p>",
    "<p>a\0b</p>",
    '<a href="x" title=x>y</a>',  # an attribute not quoted as nh3 quotes it
    '<a href="x"  title="t">y</a>',
    "<BR>",
    "<br />",
    "<p>&amp</p>",
]


@pytest.mark.parametrize("html", CHANGED_BY_NH3)
def test_html_nh3_would_change_is_not_taken_as_it_is(html: str) -> None:
    assert markdown.sanitize(html) != html
    assert not markdown.sanitized_as_is(html)


# Block after block as the Markdown pipeline writes them (tags nested as markdown-it-py nests its
# tokens, which the allow-list does not check: a stray end tag is no danger, and the Markdown
# pipeline's own output is held to nh3's below), with text, attribute values and link addresses of
# every kind, and tags the pipeline never writes: the allow-list takes a page only where nh3
# gives it back unchanged.
_CHARS = st.sampled_from(
    [*"ab \n\t\"'=/#:;?%@.>", "&amp;", "&lt;", "&gt;", "&quot;", "&nbsp;", "&#106;", "\u00a0", "é", "&", "<"]
)
_VALUE = st.lists(_CHARS, max_size=6).map("".join) | st.text("ab \n\"'=/#:;?%@.é", max_size=6)
_ADDRESSES = [
    "", "#", "#part", "../other/", "../../offerings/ci/#slo-x", "other.md", "a:b/", "./a:b", "//evil.example/",
    "https://example.org", "HTTPS://Example.ORG/a?b=1&amp;c=2#d", "http://a.b.c/x:y@z", "mailto:a@example.org",
    "http://example.org:8080/", "http://1.2.3.4/", "http://a..b/", "https://xn--nxasmq6b.example/",
    "https://-a.example/", "https://a-.example/", "javascript:x", "java&amp;#9;script:x", "%6Aavascript:x",
    "https://a.example/\u00e9", "https://\u00e9.example/", "mailto:", "http://", "https://a.b?c", "https://a.b#c",
]  # fmt: skip
_ADDRESS = st.one_of(_VALUE, st.sampled_from(_ADDRESSES))
_INLINE_HTML = st.one_of(
    _VALUE,
    _VALUE.map(lambda v: f"<em>{v}</em>"),
    _VALUE.map(lambda v: f"<strong><s>{v}</s></strong>"),
    _VALUE.map(lambda v: f"<code>{v}</code><br>\n"),
    st.tuples(_ADDRESS, _VALUE).map(lambda t: f'<img src="{t[0]}" alt="{t[1]}">'),
    st.tuples(_ADDRESS, _VALUE, _VALUE).map(lambda t: f'<img src="{t[0]}" alt="{t[1]}" title="{t[2]}">'),
    st.sampled_from(["<span>x</span>", "<!-- c -->", "<br />", "<BR>", "<del>x</del>", "<a>x</a>", "<b>x</b>"]),
)
_LINK_HTML = st.one_of(
    st.tuples(_ADDRESS, _INLINE_HTML).map(lambda t: f'<a href="{t[0]}">{t[1]}</a>'),
    st.tuples(_ADDRESS, _VALUE, _INLINE_HTML).map(lambda t: f'<a href="{t[0]}" title="{t[1]}">{t[2]}</a>'),
)
_LINE_HTML = st.lists(st.one_of(_INLINE_HTML, _LINK_HTML), max_size=4).map("".join)
_BLOCK_HTML = st.one_of(
    _LINE_HTML.map(lambda line: f"<p>{line}</p>\n"),
    st.tuples(st.integers(1, 6), _VALUE, _LINE_HTML).map(
        lambda t: (
            f'<h{t[0]} id="{t[1]}">{t[2]}<a class="anchor" href="#{t[1]}" aria-label="Link to this section">#</a>'
            f"</h{t[0]}>\n"
        )
    ),
    st.lists(_LINE_HTML, min_size=1, max_size=3).map(
        lambda items: "<ul>\n" + "".join(f"<li>{i}</li>\n" for i in items) + "</ul>\n"
    ),
    st.tuples(st.integers(0, 99), _LINE_HTML).map(
        lambda t: f'<ol start="{t[0]}">\n<li>\n<p>{t[1]}</p>\n</li>\n</ol>\n'
    ),
    _LINE_HTML.map(lambda line: f"<blockquote>\n<p>{line}</p>\n</blockquote>\n<hr>\n"),
    st.tuples(_VALUE, _VALUE).map(
        lambda t: f'<pre><code class="{t[0]}">{t[1]}\n</code></pre>\n<pre><code>{t[1]}</code></pre>\n'
    ),
    st.tuples(_LINE_HTML, _VALUE, _LINE_HTML).map(
        lambda t: (
            f'<table>\n<thead>\n<tr>\n<th class="align-left">{t[0]}</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n'
            f'<td data-label="{t[1]}" class="align-left">{t[2]}</td>\n</tr>\n</tbody>\n</table>\n'
        )
    ),
    st.sampled_from(["<div>x</div>\n", '<p style="x">y</p>\n', "<script>x</script>\n", "<h2>x</h2>\n"]),
)


@given(st.lists(_BLOCK_HTML, max_size=6).map("".join))
@settings(max_examples=examples(600), deadline=None)
def test_html_taken_as_it_is_is_what_nh3_gives_back(html: str) -> None:
    taken = markdown.sanitized_as_is(html)
    event("taken as it is" if taken else "given to nh3")
    if taken:
        assert markdown.sanitize(html) == html


# Constructs nh3 restructures or rewrites, beside those of the search sections' Markdown.
_ODD = st.sampled_from(
    [
        "[a <https://x.example> b](other.md)", "[a [b](c.md) d](other.md)", "[t](other.md \"a\u00a0b\")",
        "![a\u00a0b](img.png)", "[p](http://example.org:99999/)", "[p](https://example.org/a?b=1&c=2)",
        "a\u00a0b", "&nbsp;&quot;&#34;&gt;&lt;&amp;", "| a\u00a0b |\n|--|\n| c\u00a0d |", "```\n\"q\" &nbsp;\n```",
        "`\"q\"\u00a0`", "    \"q\" > <", "[x](<a b>)",
    ]
)  # fmt: skip
_PAGE = st.lists(st.one_of(_BLOCK, _ODD), max_size=8).map("\n\n".join)


@given(_PAGE)
@settings(max_examples=examples(600), deadline=None)
def test_a_pages_html_is_what_nh3_makes_of_it(body: str) -> None:
    rendered = markdown.render(SourceText("content/here.md", body), body, 0, "here", _TARGETS)
    event("taken as it is" if markdown.sanitized_as_is(rendered.html) else "given to nh3")
    assert markdown.sanitize(rendered.html) == rendered.html


def _stock_parser() -> MarkdownIt:
    """The pipeline's parser with markdown-it-py's own text rules (which escape quotes)."""
    md = MarkdownIt("js-default", {"html": False, "maxNesting": markdown.MAX_NESTING})
    md.validateLink = markdown.markdown_parser().validateLink  # type: ignore[method-assign]
    md.normalizeLink = markdown.normalize_link  # type: ignore[method-assign]
    return md


@given(_PAGE)
@settings(max_examples=examples(600), deadline=None)
def test_text_written_as_nh3_writes_it_reads_as_markdown_it_wrote_it(body: str) -> None:
    ours, stock = markdown.markdown_parser().render(body), _stock_parser().render(body)
    assert markdown.sanitize(ours) == markdown.sanitize(stock)


def test_a_link_inside_a_link_is_split_as_nh3_splits_it() -> None:
    body = "[a <https://x.example> b](other.md)"
    rendered = markdown.render(SourceText("content/here.md", body), body, 0, "here", _TARGETS)
    assert (
        rendered.html
        == '<p><a href="../policies/other/">a </a><a href="https://x.example">https://x.example</a> b</p>\n'
    )


def test_quotes_and_no_break_spaces_are_written_as_nh3_writes_them() -> None:
    body = '"q" a\u00a0b &quot;&nbsp;\n\n```\n"x"\n```\n\n`"y"`'
    rendered = markdown.render(SourceText("content/here.md", body), body, 0, "here", _TARGETS)
    assert rendered.html == '<p>"q" a&nbsp;b "&nbsp;</p>\n<pre><code>"x"\n</code></pre>\n<p><code>"y"</code></p>\n'


def test_the_pages_of_the_example_and_a_generated_site_are_not_given_to_nh3(
    site_copy, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(html: str) -> str:
        raise AssertionError(f"given to nh3: {html[:200]!r}")

    monkeypatch.setattr(markdown, "sanitize", refused)
    for site in (site_copy("example"), generated_site(tmp_path / "generated", pages=40)):
        loaded, _ = gather(
            Options(
                source=site, output=site / "public", env={"SOURCE_DATE_EPOCH": FIXED_EPOCH, "SERVICEBOOK_WORKERS": "1"}
            )
        )
        assert loaded.site is not None and loaded.site.pages
        for page in loaded.site.pages:
            assert markdown.sanitized_as_is(page.html), page.slug
