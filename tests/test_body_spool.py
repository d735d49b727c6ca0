"""A build keeps its policy pages' HTML in a spool file while it runs, not in the pages it holds
(issue 21: memory flat in the number of pages): each page reads the same HTML back from it, and
a page whose spool is gone or altered is an error, never other bytes."""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from servicebook.catalog import model
from servicebook.content.htmlrefs import read_refs, unpack_refs
from servicebook.content.markdown import AnchorRef, PackedRefs
from servicebook.site.load import BodySpool, PageResult, load
from servicebook.site.search import page_parts, page_sections

from .conftest import FIXED_EPOCH


def test_spooled_pages_hold_their_outline_and_read_their_html_back(site_copy: Callable[[str], Path]) -> None:
    site = site_copy("example")
    env = {"SOURCE_DATE_EPOCH": FIXED_EPOCH}
    held = load(site, env).site

    class Counting(BodySpool):  # and the pages' links to headings (PackedRefs), spooled too
        links = 0
        made: dict[str, int] = {}  # noqa: RUF012 - what each HTML links to (markdown.body_refs), after it

        def keep(self, result: PageResult) -> PageResult:
            self.links += len(result.anchor_refs.text.encode())
            if result.page is not None:
                self.made[result.page.html_sha256] = len(result.body_refs)
            return super().keep(result)

    with Counting() as spool:
        spooled = load(site, env, spool=spool).site
        assert held is not None and spooled is not None and held.pages
        for whole, slim in zip(held.pages, spooled.pages, strict=True):
            assert slim.body == "" and len(slim.spooled) == 4 and not whole.spooled
            assert slim.html == whole.html and whole.html
            # what the search index reads of its HTML is beside it (site/search/postings.py page_parts)
            assert slim.search_spooled and not whole.search_spooled
            # everything else the build holds of the page is the same
            assert dataclasses.replace(slim, body=whole.body, spooled=(), search_spooled=()) == whole
            # what its HTML links to and its ids, right after it
            fd, offset, size, refs = slim.spooled
            assert unpack_refs(os.pread(fd, refs, offset + size)) == read_refs(whole.html.encode())
        # a page kept twice (the same HTML) is written once, and so are its search parts
        distinct = {p.html_sha256: p.html for p in held.pages}
        parts = [page_parts(page_sections(html), sha) for sha, html in distinct.items()]
        assert spool.links > 0
        html = sum(len(html.encode()) for html in distinct.values()) + sum(spool.made.values())
        assert spool.size == html + sum(map(len, parts)) + spool.links
    with pytest.raises(OSError):
        _ = spooled.pages[0].html  # the spool is closed: no HTML, not someone else's bytes


def test_spooled_pages_share_the_headings_and_names_they_have_in_common(site_copy: Callable[[str], Path]) -> None:
    # most pages have most of their headings in common ("Scope", "Exceptions"), and many their
    # owner and the offerings they apply to: held once each
    site = site_copy("example")
    for name in ("one", "two"):
        front = f"title: {name}\nowner: Platform team\nofferings: [ci-pipelines]"
        (site / "content" / f"{name}.md").write_text(f"---\n{front}\n---\n## Scope\n\nx\n\n## Exceptions\n\ny\n")
    with BodySpool() as spool:
        loaded = load(site, {"SOURCE_DATE_EPOCH": FIXED_EPOCH}, spool=spool).site
        assert loaded is not None
        one, two = (next(p for p in loaded.pages if p.slug == name) for name in ("one", "two"))
        assert [h.text for h in one.headings] == ["Scope", "Exceptions"]
        assert all(a is b for a, b in zip(one.headings, two.headings, strict=True))
        assert one.meta.owner == "Platform team" and one.meta.owner is two.meta.owner
        assert one.meta.offerings == ("ci-pipelines",) and one.meta.offerings[0] is two.meta.offerings[0]


def test_a_page_whose_spooled_html_was_altered_is_an_error(site_copy: Callable[[str], Path]) -> None:
    site = site_copy("example")
    with BodySpool() as spool:
        loaded = load(site, {"SOURCE_DATE_EPOCH": FIXED_EPOCH}, spool=spool).site
        assert loaded is not None
        page = loaded.pages[0]
        fd, offset = page.spooled[:2]
        os.pwrite(fd, b"X", offset)
        with pytest.raises(OSError, match=repr(page.slug)):
            _ = page.html


def test_a_pages_links_to_other_pages_headings_wait_in_the_spool_until_they_are_checked() -> None:
    refs = (
        AnchorRef("b", "scope", "content/a.md", 3, 2, "b.md#scope", 0),
        AnchorRef("c", "exceptions", "content/a.md", 9, 1, "c.md#exceptions", 1),
    )
    html = "<p>A</p>"
    sha = hashlib.sha256(html.encode()).hexdigest()
    page = model.Page(
        slug="a",
        source="content/a.md",
        meta=model.PageMeta(title="A"),
        body=html,
        text="A",
        headings=(),
        html_sha256=sha,
    )
    result = PageResult(page=page, problems=(), anchor_refs=PackedRefs.of(refs), assets=(), digest="")
    with BodySpool() as spool:
        kept = spool.keep(result)
        spool.flush()
        assert kept.anchor_refs.text == "" and kept.anchor_refs.spooled  # not held by the process
        assert list(kept.anchor_refs) == list(refs) and len(kept.anchor_refs) == 2
        assert list(kept.anchor_refs.targets()) == [("b", "scope"), ("c", "exceptions")]


def test_html_placed_again_without_its_refs_is_where_it_was_with_them() -> None:
    # a page read back from the store (no refs) whose HTML a loaded page placed first (with them)
    html = '<h2 id="a">A</h2>\n<p>é</p>\n'.encode()
    sha = hashlib.sha256(html).hexdigest()
    refs = b"0\0a"
    with BodySpool() as spool:
        first = spool.place(html, sha, refs)
        again = spool.place(html, sha)
        spool.flush()
        assert again == first and first[2:] == (len(html), len(refs))
        page = model.Page("p", "content/p.md", model.PageMeta(title="P"), "", "", (), sha, spooled=again)
        assert page.html == html.decode()
        assert os.pread(first[0], first[3], first[1] + first[2]) == refs
