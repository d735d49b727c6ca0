"""A rebuild from the command line reads back the headings of the pages it keeps as the store
holds them, and makes them into headings only where a stage asks (model.StoredHeadings)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re

import pytest

from servicebook.catalog import model
from servicebook.content.markdown import AnchorRef, PackedRefs
from servicebook.site.buildcache import _stored_headings, decode_page, encode_page
from servicebook.site.load import PageResult
from servicebook.site.search.files import CHUNK

from .sitefiles import clean_build, generated_site, tree

SCOPE = model.Heading(2, "Scope", "scope")
DETAILS = model.Heading(3, 'Details: the "why" and \\ the how', "details")


def _result(headings: tuple[model.Heading, ...]) -> PageResult:
    page = model.Page(
        slug="a",
        source="content/a.md",
        meta=model.PageMeta(title="A"),
        body="<h2>A</h2>",
        text="A",
        headings=headings,
        html_sha256=hashlib.sha256(b"<h2>A</h2>").hexdigest(),
    )
    return PageResult(page=page, problems=(), anchor_refs=PackedRefs.of(()), assets=(), digest="d")


def test_stored_headings_are_made_when_first_asked_and_equal_the_tuple_of_them() -> None:
    data, _, _ = encode_page(_result((SCOPE, DETAILS)))
    stored = json.loads(data)[0][3]
    assert stored == '2|Scope|scope|3|Details: the "why" and \\ the how|details'  # one text, not 6 values
    shared: dict[object, model.Heading] = {(2, "Scope", "scope"): SCOPE}
    headings = _stored_headings(stored, shared, None)  # type: ignore[arg-type]
    assert isinstance(headings, model.StoredHeadings) and len(shared) == 1  # nothing made yet
    assert headings == (SCOPE, DETAILS) and (SCOPE, DETAILS) == headings  # noqa: SIM300 - both sides
    assert hash(headings) == hash((SCOPE, DETAILS)) and repr(headings) == repr((SCOPE, DETAILS))
    assert headings[0] is SCOPE and headings[1:] == (DETAILS,) and list(headings) == [SCOPE, DETAILS]
    assert shared[(3, DETAILS.text, "details")] == DETAILS  # made once, shared with the next page
    assert _stored_headings("", shared, None) == ()  # type: ignore[arg-type]


def test_headings_stored_as_a_text_read_back_whole_and_damaged_ones_are_refused() -> None:
    data, html, text = encode_page(_result((SCOPE, DETAILS)))
    assert decode_page(data, html, text).page.headings == (SCOPE, DETAILS)  # type: ignore[union-attr]
    # a text or anchor with a "|" is stored as the list of its parts
    odd = model.Heading(2, "Build | test", "build-test")
    data, html, text = encode_page(_result((odd,)))
    assert json.loads(data)[0][3] == [2, "Build | test", "build-test"]
    assert decode_page(data, html, text).page.headings == (odd,)  # type: ignore[union-attr]
    for damaged in ("2|Scope", "7|Scope|scope", "2|Scope|scope|", "two|Scope|scope"):
        with pytest.raises(ValueError, match="headings"):
            _stored_headings(damaged, {}, None)  # type: ignore[arg-type]
        entry = json.loads(data)
        entry[0][3] = damaged
        with pytest.raises(ValueError, match="headings"):
            decode_page(json.dumps(entry), html, text)


def test_a_one_page_rebuild_makes_the_headings_of_few_of_the_pages_it_keeps(run, tmp_path, monkeypatch) -> None:
    # The edited page's links to other pages' headings are taken out: of the pages the rebuild
    # keeps, only those whose search records share the edited page's records file (made again,
    # CHUNK records) are asked their headings; the others' are never made. The site is the one
    # a build from nothing makes.
    site = generated_site(tmp_path / "site", pages=40)
    assert run("build", "--source", site).exit_code == 0
    page = sorted((site / "content").glob("*.md"))[20]
    page.write_text(re.sub(r"\]\(([^)#]*)#[^)]*\)", r"](\1)", page.read_text()) + "\nOne more line.\n")
    asked: list[str] = []
    made = model.StoredHeadings.made

    def asking(self: model.StoredHeadings) -> tuple[model.Heading, ...]:
        headings = made.fget(self)  # type: ignore[attr-defined]
        asked.append(repr(headings))
        return headings

    monkeypatch.setattr(model.StoredHeadings, "made", property(asking))
    done = run("build", "--source", site)
    assert done.exit_code == 0, done.output
    monkeypatch.undo()
    assert 0 < len(set(asked)) < CHUNK  # of 39 pages kept
    assert tree(site / "public") == clean_build(run, site, tmp_path)


def test_a_link_to_a_kept_pages_heading_is_checked_against_its_stored_headings(run, tmp_path) -> None:
    # A page edited to link to a heading of a page the rebuild keeps: a heading it has is found
    # (its headings made from the text the store holds), one it has not is reported, located.
    site = generated_site(tmp_path / "site", pages=12)
    assert run("build", "--source", site).exit_code == 0
    first, second = sorted((site / "content").glob("*.md"))[:2]
    anchor = re.sub(r"[^a-z0-9]+", "-", re.findall(r"^## (.*)$", second.read_text(), re.M)[0].lower()).strip("-")
    original = first.read_text()
    first.write_text(original + f"\nSee [its part]({second.name}#{anchor}).\n")
    done = run("build", "--source", site)
    assert done.exit_code == 0, done.output
    assert tree(site / "public") == clean_build(run, site, tmp_path)
    first.write_text(original + f"\nSee [no part]({second.name}#no-such-part).\n")
    failed = run("build", "--source", site)
    assert failed.exit_code != 0
    assert f"content/{first.name}:" in failed.output and "no-such-part" in failed.output


def test_links_to_headings_are_stored_with_a_bar_for_each_nul_and_read_back_as_they_were() -> None:
    # JSON writes a NUL in six bytes ("\u0000"): a page's links to headings (seven parts a link)
    # are stored with a "|" between their parts, and read back as the page held them; a link
    # with a "|" in a part is stored as the page holds it.
    refs = PackedRefs.of(
        (
            AnchorRef("b", "scope", "content/a.md", 3, 2, "b.md#scope", 0),
            AnchorRef("c", "details", "content/a.md", 9, 1, "c.md#details", 1),
        )
    )
    odd = PackedRefs.of((AnchorRef("b", "scope", "content/a.md", 3, 2, "b.md?a|b#scope", 0),))
    for links, stored in ((refs, refs.packed.replace("\0", "|")), (odd, odd.packed)):
        data, html, text = encode_page(dataclasses.replace(_result((SCOPE,)), anchor_refs=links))
        assert json.loads(data)[2] == stored
        assert "\\u0000" not in data or links is odd
        read = decode_page(data, html, text).anchor_refs
        assert read == links and list(read) == list(links)
