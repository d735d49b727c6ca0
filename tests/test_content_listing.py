"""content/ as the build's survey listed it (fresh.SourceList `inside`) gives the load what listing
content/ again gives it (load._list_content), or nothing when that listing has anything to report:
a one-page rebuild does not list 20,000 files twice."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from servicebook.errors import Problem
from servicebook.git.repo import BUILD_INPUTS
from servicebook.site import load
from servicebook.site.fresh import list_sources

from .conftest import examples

# names that a page, an asset or a folder may have, and names the load refuses or leaves out
NAME = st.sampled_from(
    ["a", "b-c", "index", "x1", "Bad", "has space", ".hidden", "_under", "search", "v", "assets", "a.b", "-a"]
)
ENDING = st.sampled_from([".md", ".md", ".png", ".txt", ".markdown", ".MD", ""])
ENTRY = st.tuples(st.lists(NAME, max_size=2), NAME, ENDING, st.booleans())


def _make(root: Path, entries: list[tuple[list[str], str, str, bool]]) -> None:
    content = root / "content"
    content.mkdir()
    for folders, name, ending, empty_folder in entries:
        where = content.joinpath(*folders)
        if where.exists() and not where.is_dir():
            continue
        if any(p.exists() and not p.is_dir() for p in [where, *where.parents] if p != root):
            continue
        where.mkdir(parents=True, exist_ok=True)
        target = where / (name + ending)
        if target.exists():
            continue
        if empty_folder:
            target.mkdir()
        else:
            target.write_text("---\ntitle: T\n---\nbody\n")


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(ENTRY, max_size=12))
def test_content_as_the_survey_listed_it_is_what_listing_it_again_finds(entries) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        _make(root, entries)
        inside = list_sources(root, BUILD_INPUTS).inside("content")
        assert inside is not None
        problems: list[Problem] = []
        listed = load._list_content(root, problems, {})
        taken = load._content_listed(*inside)
        if taken is None:
            assert problems  # given up only where the listing has something to say
        else:
            assert not problems
            assert taken == listed[:2]
            assert list(taken[0]) == list(listed[0])  # in the same order


def test_content_holding_a_link_or_no_content_is_listed_by_the_load(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "a.md").write_text("x")
    os.symlink(tmp_path / "content" / "a.md", tmp_path / "content" / "b.md")
    assert list_sources(tmp_path, BUILD_INPUTS).inside("content") is None
    (tmp_path / "content" / "b.md").unlink()
    assert list_sources(tmp_path, BUILD_INPUTS).inside("content") == (["a.md"], [])
    other = tmp_path / "other"
    other.mkdir()
    (other / "content").write_text("a file, not a folder")
    assert list_sources(other, BUILD_INPUTS).inside("content") is None
    assert list_sources(tmp_path / "missing", BUILD_INPUTS).inside("content") is None


def test_a_one_page_rebuild_does_not_list_content_again(run, site_copy, tmp_path, monkeypatch) -> None:
    """Without a stamp too (the last build's sources had not settled): the survey lists the
    sources, the load takes content/ from that listing; the site is a clean build's."""
    from .sitefiles import clean_build, tree

    site = site_copy("example")
    assert run("build", "--source", site).exit_code == 0
    page = site / "content" / "change-approval.md"
    page.write_text(page.read_text() + "\nReviewed by team gamma.\n")
    with monkeypatch.context() as refusing:
        refusing.setattr(load, "_list_content", lambda *args: __import__("pytest").fail("content/ listed again"))
        result = run("build", "--source", site)
    assert result.exit_code == 0, result.output
    assert "team gamma" in (site / "public" / "policies" / "change-approval" / "index.html").read_text()
    assert {p: b for p, b in tree(site / "public").items() if p != ".servicebook-build"} == {
        p: b for p, b in clean_build(run, site, tmp_path).items() if p != ".servicebook-build"
    }
