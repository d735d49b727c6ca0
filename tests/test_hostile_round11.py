"""Hostile inputs of 6 Dec 2026 (eleventh round): page names that differ only in how Unicode
writes a letter, a tagged commit whose tree git cannot archive, a git too old to keep a committed
config from being obeyed, and site templates that make huge texts again and again."""

from __future__ import annotations

import unicodedata

import pytest

from .conftest import GitSite

CAFE_NFC = unicodedata.normalize("NFC", "café")
CAFE_NFD = unicodedata.normalize("NFD", "café")


def test_two_page_names_that_differ_only_in_unicode_normalisation_are_shown_apart(run, site_copy) -> None:
    """'café.md' written with one code point for 'é' (NFC, as macOS and most editors type it) and
    with 'e' and a combining accent (NFD) are two files that a terminal shows alike: both errors
    printed the same name, and the author could not tell which file was which. Each is written
    with its code points too, and told the ASCII name to take and that its twin looks the same."""
    site = site_copy("minimal")
    (site / "content" / f"{CAFE_NFC}.md").write_text("# One\n")
    (site / "content" / f"{CAFE_NFD}.md").write_text("# Two\n")
    result = run("check", "--source", site)
    assert result.exit_code == 1, result.output
    assert f"page file name '{CAFE_NFC}.md' (written caf\\u00e9.md) cannot become a URL" in result.output
    assert f"page file name '{CAFE_NFD}.md' (written cafe\\u0301.md) cannot become a URL" in result.output
    assert "rename it to cafe.md" in result.output
    assert (
        f"'{CAFE_NFD}.md' (written cafe\\u0301.md) beside it looks the same but is written with other code points "
        "(Unicode NFC and NFD): keep one of them"
    ) in result.output


def test_a_folder_named_with_other_than_ascii_is_shown_with_its_code_points(run, site_copy) -> None:
    site = site_copy("minimal")
    (site / "content" / CAFE_NFD).mkdir()
    (site / "content" / CAFE_NFD / "menu.md").write_text("# Menu\n")
    result = run("check", "--source", site)
    assert result.exit_code == 1, result.output
    assert f"folder name '{CAFE_NFD}' (written cafe\\u0301) cannot be part of a URL" in result.output
    assert "rename it to cafe\n" in result.output


@pytest.mark.git
def test_diff_of_a_commit_holding_both_spellings_of_a_page_name_shows_them_apart(run, git_site: GitSite) -> None:
    """`diff` reads a revision's pages from git (a commit can hold both names on any file system)."""
    base = git_site.head()
    git_site.write(f"content/{CAFE_NFC}.md", "# One\n")
    git_site.write(f"content/{CAFE_NFD}.md", "# Two\n")
    git_site.commit("Two pages named alike")
    result = run("diff", "--source", git_site.root, base, "HEAD")
    assert result.exit_code == 1, result.output
    assert "(written caf\\u00e9.md) cannot become a URL" in result.output
    assert "(written cafe\\u0301.md) cannot become a URL" in result.output
    assert "looks the same but is written with other code points" in result.output
