"""What the search index reads of a policy page's HTML is read once, where the page is rendered
(site/search/postings.py `page_parts`, called by the worker that renders its Markdown), kept beside its
HTML in the build's spool, and the index made from it is byte for byte the index made by reading
every page's HTML."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicebook import routes
from servicebook.cache.store import Store
from servicebook.site import search
from servicebook.site.load import BodySpool, load
from servicebook.site.search import text as text_stage
from servicebook.site.views import SiteView, site_view

from .conftest import FIXED_EPOCH
from .searchstages import patch_stage
from .sitefiles import generated_site

_WORD = st.sampled_from(["the", "a", "Rollback", "rollback", "café", "cafe", "x" * 41, "ci", "budget", "of", "7"])
_TEXT = st.lists(st.one_of(_WORD, st.sampled_from([" ", ", ", "-", "—"])), max_size=12).map(" ".join)
_RECORD = st.fixed_dictionaries(
    {"k": st.just("policy"), "t": _TEXT, "s": _TEXT},
    optional={"x": _TEXT, "sl": _TEXT, "d": _TEXT, "a": _TEXT.map(lambda t: {"t": t, "u": "x/"})},
)
_SECTIONS = st.lists(st.tuples(_TEXT, st.sampled_from(["", "one", "two"]), _TEXT), max_size=5)


@given(_RECORD, _SECTIONS)
def test_a_records_postings_made_from_its_sections_postings_are_the_same_list(record, sections) -> None:
    made = search.merged_postings(record, search.section_postings(sections))
    assert made == search.record_postings(record, sections)


def view_of(site: Path, spool: BodySpool | None, workers: str = "1") -> SiteView:
    loaded = load(site, {"SOURCE_DATE_EPOCH": FIXED_EPOCH, "SERVICEBOOK_WORKERS": workers}, spool=spool)
    assert loaded.site is not None, loaded.problems
    return site_view(loaded.site)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_an_index_made_from_what_the_pages_render_found_reads_no_page_again(
    site_copy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    for site in (site_copy("example"), generated_site(tmp_path / "generated", pages=70)):
        expected = search.search_files(view_of(site, None))  # every page's HTML read for its words
        with BodySpool() as spool:
            view = view_of(site, spool, workers)
            assert all(p.search_spooled for p in view.pages)
            read: list[str] = []
            real = search.page_sections

            def spy(html: str, read: list[str] = read, real=real) -> list[tuple[str, str, str]]:
                read.append(html)
                return real(html)

            patch_stage(monkeypatch, "page_sections", spy)
            with Store(tmp_path / f"store-{site.name}-{workers}.sqlite") as store:
                made = search.search_files(view, store, int(workers))
            monkeypatch.undo()
        assert made == expected
        assert read == []
        policy = [rid for rid, r in enumerate(search.search_records(view)) if r["k"] == "policy"]
        fragment = json.loads(made[routes.search_fragment("t", policy[0])])
        assert fragment["sections"] and all(len(s) == 3 for s in fragment["sections"])


def test_parts_that_are_not_the_pages_html_are_not_used(tmp_path: Path) -> None:
    site = generated_site(tmp_path / "site", pages=8)
    with BodySpool() as spool:
        view = view_of(site, spool)
        page = view.pages[0]
        assert search.spooled_parts(page) is not None
        # a page whose HTML changed after its parts were made (their first line names the HTML's digest)
        other = dataclasses.replace(page, body="<p>Now something else entirely.</p>", spooled=())
        other = dataclasses.replace(other, html_sha256=view.pages[1].html_sha256)
        assert search.spooled_parts(other) is None
        assert search.spooled_parts(dataclasses.replace(page, search_spooled=())) is None
        moved = (page.search_spooled[0], page.search_spooled[1] + 1, page.search_spooled[2])
        assert search.spooled_parts(dataclasses.replace(page, search_spooled=moved)) is None


@given(st.text(st.characters(max_codepoint=127)))
def test_ascii_text_has_the_words_the_unicode_rule_finds(text: str) -> None:
    assert search.words(text) == text_stage._WORD.findall(text.lower())
