"""A page's sections for the search index are read with regular expressions where the HTML is what
the Markdown pipeline's sanitizer writes, and with html.parser otherwise: both read the same."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from servicebook.content import markdown
from servicebook.site import search
from servicebook.site.build import Options, gather
from servicebook.site.search.text import _quick_sections, _Sections
from servicebook.source.yaml import SourceText, split_front_matter

from .conftest import FIXED_EPOCH, examples
from .sitefiles import generated_site


def _by_the_parser(html: str) -> list[tuple[str, str, str]]:
    parser = _Sections()
    parser.feed(html)
    parser.close()
    return [(" ".join(h.split()), a, " ".join(t.split())) for h, a, t in parser.sections]


def test_every_page_of_the_example_and_a_generated_site_reads_the_same_both_ways(site_copy, tmp_path) -> None:
    for site in (site_copy("example"), generated_site(tmp_path / "generated", pages=40)):
        loaded, _ = gather(Options(source=site, output=site / "public", env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}))
        assert loaded.site is not None
        for page in loaded.site.pages:
            assert _quick_sections(page.html) is not None, page.slug  # the quick way, not the fallback
            assert search.page_sections(page.html) == _by_the_parser(page.html), page.slug


_TEXT = st.lists(st.sampled_from([*"ab é>&;#x0123 \n\t\"'=/", "&amp;", "&lt;", "&#233;", "&nbsp;"])).map("".join)
_VALUE = st.lists(st.sampled_from([*"ab<>&/ '=-", "&amp;", "&quot;"])).map("".join)
_NAME = st.sampled_from(["p", "h2", "h3", "h4", "h5", "a", "li", "td", "br", "code", "pre", "span", "em", "div", "P"])
_ATTRS = st.lists(
    st.tuples(st.sampled_from(["id", "class", "href", "ID", "data-x"]), st.none() | _VALUE), max_size=3
).map(lambda pairs: "".join(f" {k}" if v is None else f' {k}="{v.replace(chr(34), "")}"' for k, v in pairs))
_TAGS = st.one_of(
    st.tuples(_NAME, _ATTRS).map(lambda t: f"<{t[0]}{t[1]}>"),
    st.tuples(_NAME, _ATTRS).map(lambda t: f"<{t[0]}{t[1]} />"),
    _NAME.map(lambda n: f"</{n}>"),
    st.just('<a class="anchor" href="#x">#</a>'),
    # what the quick reader leaves to html.parser: a comment, a script, a doctype, a "<" in text
    st.sampled_from(["<!-- note -->", "<script>a<b</script>", "<!doctype html>", "< p>", "<p", "a<b"]),
)


@given(st.lists(st.one_of(_TEXT, _TAGS), max_size=30).map("".join))
def test_any_html_reads_the_same_both_ways(html: str) -> None:
    assert search.page_sections(html) == _by_the_parser(html)


# What a policy page's Markdown is made of, glued together at random: every block and inline
# construct the pipeline renders (headings of each level, tight and loose lists, tables, fences,
# quotes), text that looks like HTML or entities (which markdown-it-py escapes or decodes), links
# good and refused, images (whose alt text is no text of the page) and white space of every kind.
_INLINE = st.sampled_from(
    [
        "word", "Rollback", "café", "a**b**c", "*em*", "_u_", "~~gone~~", "`code`", "`` a ` b ``", "x\\*y",
        "&amp;", "&lt;b&gt;", "&copy;", "&#13;", "&#12;", "&#0;", "&#128;", "&#x1F600;", "&nbsp;", "&bogus;", "AT&T",
        "<b>bold</b>", "<!-- note -->", "<script>x</script>", "<https://example.org/a>", "a<b", "1 > 0", '"q"',
        "[ok](https://example.org)", "[off](offering:ci)", "[gone](offering:nope)", "[js](javascript:alert)",
        "[page](other.md#part)", "[self](#one)", "[[nested](https://a.b)](https://c.d)", "![alt text](img.png)",
        "![bad](https://x/y.png)", "[![inner](img.png)](other.md)", "[ref]", "\u00a0", "\t", "  ", "\u2003",
    ]
)  # fmt: skip
_LINE = st.lists(_INLINE, min_size=1, max_size=5).map(" ".join) | st.lists(_INLINE, min_size=1, max_size=3).map("".join)
_BLOCK = st.one_of(
    _LINE,
    st.tuples(
        st.integers(1, 6), st.sampled_from(["", "One", "Two & more", "`code` head", "[link](other.md)", "#"])
    ).map(lambda t: "#" * t[0] + " " + t[1]),
    _LINE.map(lambda line: f"{line}\n===") | _LINE.map(lambda line: f"{line}\n---"),
    st.lists(_LINE, min_size=1, max_size=3).map(lambda items: "\n".join(f"- {i}" for i in items)),
    st.lists(_LINE, min_size=1, max_size=3).map(lambda items: "\n\n".join(f"1. {i}" for i in items)),
    st.tuples(_LINE, _LINE).map(lambda t: f"- {t[0]}\n  - {t[1]}\n    ## {t[1]}"),
    st.tuples(_LINE, _LINE).map(lambda t: f"- {t[0]}\n  ```\n  {t[1]}\n  ```"),
    st.tuples(_LINE, _LINE).map(lambda t: f"| {t[0]} | b |\n|:--|--:|\n| {t[1]} | `x|y` |"),
    st.tuples(st.sampled_from(["", "python", "a b", "<x>"]), _LINE).map(lambda t: f"```{t[0]}\n{t[1]}\n\n<p>\n```"),
    _LINE.map(lambda line: f"    {line}"),
    _LINE.map(lambda line: f"> {line}\n> ## {line}"),
    _LINE.map(lambda line: f"{line}  \n{line}\\\n{line}"),
    st.sampled_from(["---", "***", "[ref]: https://example.org", "<div>raw</div>", "\t\tx"]),
)
_MARKDOWN = st.lists(_BLOCK, max_size=8).flatmap(
    lambda blocks: st.lists(st.sampled_from(["\n", "\n\n", "\n\n\n"]), min_size=len(blocks), max_size=len(blocks)).map(
        lambda gaps: "".join(b + g for b, g in zip(blocks, gaps, strict=True))
    )
)
_TARGETS = markdown.LinkTargets(
    offerings={"ci"}, tools={"pytest"}, pages={"here", "other"}, assets={"img.png"}, url=lambda path: f"../{path}"
)


@given(_MARKDOWN)
@settings(max_examples=examples(400), deadline=None)
def test_sections_read_from_the_markdown_tokens_are_those_read_from_the_sanitised_html(body: str) -> None:
    rendered = markdown.render(SourceText("content/here.md", body), body, 0, "here", _TARGETS, search=True)
    assert rendered.search_sections == search.page_sections(rendered.html)


def test_sections_of_a_page_refused_for_its_brackets_are_those_of_its_empty_html() -> None:
    body = "[" * (markdown.MAX_LINK_BRACKETS + 1)
    rendered = markdown.render(SourceText("content/here.md", body), body, 0, "here", _TARGETS, search=True)
    assert rendered.html == "" and rendered.problems
    assert rendered.search_sections == search.page_sections(rendered.html)


def test_sections_from_tokens_on_every_page_of_the_example_site(site_copy) -> None:
    site = site_copy("example")
    for path in sorted((site / "content").rglob("*.md")):
        source = SourceText(path.name, path.read_text(encoding="utf-8"))
        _, body, offset = split_front_matter(source)
        rendered = markdown.render(source, body, offset, path.stem, _TARGETS, search=True)
        assert rendered.search_sections == search.page_sections(rendered.html), path.name
