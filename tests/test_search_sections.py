"""A page's sections for the search index are read with regular expressions where the HTML is what
the Markdown pipeline's sanitizer writes, and with html.parser otherwise: both read the same."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from servicebook.site import search
from servicebook.site.build import Options, gather

from .conftest import FIXED_EPOCH
from .test_build_cache import generated_site


def _by_the_parser(html: str) -> list[tuple[str, str, str]]:
    parser = search._Sections()
    parser.feed(html)
    parser.close()
    return [(" ".join(h.split()), a, " ".join(t.split())) for h, a, t in parser.sections]


def test_every_page_of_the_example_and_a_generated_site_reads_the_same_both_ways(site_copy, tmp_path) -> None:
    for site in (site_copy("example"), generated_site(tmp_path / "generated", pages=40)):
        loaded, _ = gather(Options(source=site, output=site / "public", env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}))
        assert loaded.site is not None
        for page in loaded.site.pages:
            assert search._quick_sections(page.html) is not None, page.slug  # the quick way, not the fallback
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
