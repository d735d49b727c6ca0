"""`git/head.py`: whether HEAD or the tags moved is told by the files git replaces, with no git
process: what `serve` looks at between edits so that a commit is seen without a saved file."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from servicebook.git.head import HeadFiles

from .conftest import GitSite

pytestmark = pytest.mark.git


def test_nothing_done_in_git_leaves_the_marks_as_they_were(git_site: GitSite) -> None:
    head = HeadFiles.of(git_site.root)
    assert head is not None
    before = head.marks()
    git_site.write("content/new.md", "---\ntitle: New\n---\nSaved, not committed.\n")
    git_site.git("status", "--porcelain")  # git refreshes its index, not HEAD
    assert head.marks() == before


@pytest.mark.parametrize(
    "move",
    [
        pytest.param(
            lambda r: (r.write("content/new.md", "---\ntitle: New\n---\nText.\n"), r.commit("Add")), id="commit"
        ),
        pytest.param(lambda r: r.git("commit", "-q", "--amend", "-m", "Reworded"), id="amend"),
        pytest.param(lambda r: r.git("checkout", "-q", "-b", "other"), id="checkout"),
        pytest.param(lambda r: r.tag("v9.9"), id="tag"),
        pytest.param(lambda r: r.tag("team/v9.9", annotated=True), id="tag in a folder"),
        pytest.param(lambda r: r.git("pack-refs", "--all"), id="refs packed"),
    ],
)
def test_each_way_git_moves_head_or_the_tags_changes_the_marks(git_site: GitSite, move) -> None:
    head = HeadFiles.of(git_site.root)
    assert head is not None
    before = head.marks()
    move(git_site)
    assert head.marks() != before


def test_a_commit_with_the_branch_packed_is_seen(git_site: GitSite) -> None:
    git_site.git("pack-refs", "--all")  # refs/heads/main now only in packed-refs: no file to mark
    head = HeadFiles.of(git_site.root)
    assert head is not None
    before = head.marks()
    git_site.git("commit", "-q", "--allow-empty", "-m", "Empty")
    assert head.marks() != before


def test_a_linked_work_tree_marks_its_own_head_and_the_shared_refs(git_site: GitSite, tmp_path: Path) -> None:
    linked = tmp_path / "linked"
    git_site.git("worktree", "add", "-q", "-b", "side", str(linked))
    head = HeadFiles.of(linked)
    assert head is not None and head.git_dir != head.common_dir
    before = head.marks()
    git_site.git("-C", str(linked), "commit", "-q", "--allow-empty", "-m", "On the side")
    assert head.marks() != before
    main_only = head.marks()
    git_site.git("commit", "-q", "--allow-empty", "-m", "On main")  # another branch: this tree's HEAD stays
    assert head.marks() == main_only


def test_outside_a_repository_there_is_nothing_to_follow(tmp_path: Path) -> None:
    assert subprocess.run(["git", "-C", str(tmp_path), "rev-parse"], capture_output=True, check=False).returncode != 0
    assert HeadFiles.of(tmp_path) is None
