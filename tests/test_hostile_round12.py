"""Hostile inputs of 6 Dec 2026 (twelfth round): what other teams, other tools and other machines
hand servicebook: release tags on trees and blobs or on other tags, thousands of tags (or pages,
or files) that each earn the same warning, ..."""

from __future__ import annotations

import json

import pytest

from .conftest import GitSite


def _published_versions(site: GitSite) -> dict[str, str | None]:
    """version → the tag that publishes it, as the built versions.json says."""
    return {v["version"]: v["tag"] for v in json.loads((site.root / "public" / "versions.json").read_text())}


@pytest.mark.git
@pytest.mark.parametrize(
    ("target", "kind"),
    [("HEAD^{tree}", "tree"), ("HEAD:catalog.yaml", "blob"), ("annotated HEAD^{tree}", "tree")],
    ids=["a tag on a tree", "a tag on a blob", "an annotated tag on a tree"],
)
def test_a_release_tag_on_a_tree_or_a_blob_is_said_to_name_one(run, git_site: GitSite, target: str, kind: str) -> None:
    """A tag can name any object: `git tag v0.2 HEAD^{tree}` (a slip for HEAD^{commit}) or a tag
    a tool put on a file's blob. Such a tag was said to be "not on the first-parent history of the
    built branch", which sent its author looking through the history for a commit that is not
    there. It is said to name a tree (or a blob), which releases nothing, and how to move it."""
    annotated = target.startswith("annotated ")
    named = git_site.git("rev-parse", target.removeprefix("annotated ")).strip()
    git_site.git("tag", *(["-a", "-m", "release"] if annotated else []), "v0.2", named)
    result = run("build", "--source", git_site.root)
    assert result.exit_code == 0, result.output
    assert (
        f"git: warning: tag v0.2 names a {kind} ({named[:12]}), not a commit, so it releases nothing; skipped"
    ) in result.output
    assert "hint: a release tag names the commit whose catalog it releases: `git tag -f v0.2 <commit>`" in result.output
    assert "first-parent" not in result.output
    assert run("build", "--source", git_site.root, "--strict").exit_code == 1


@pytest.mark.git
def test_an_annotated_tag_of_an_annotated_tag_releases_the_commit_at_the_end_of_the_chain(
    run, git_site: GitSite
) -> None:
    """`git tag -a v0.1 v0.1-rc` (tagging the release candidate's tag, not its commit) makes a tag
    of a tag: git peels the chain to the commit, but only its first link was read, so the release
    was skipped as "not on the first-parent history"."""
    git_site.tag("v0.1-rc", annotated=True)
    git_site.git("tag", "-a", "-m", "release", "v0.1", "v0.1-rc")
    result = run("build", "--source", git_site.root)
    assert result.exit_code == 0, result.output
    assert "v0.1" not in result.output.replace("v0.1-rc", "")
    assert _published_versions(git_site) == {"0.1": "v0.1"}


@pytest.mark.git
def test_a_release_tag_named_like_a_branch_releases_its_commit(run, git_site: GitSite) -> None:
    """A branch and a tag both called v0.1 (a release branch cut at the tag): git shortens the tag's
    name to `tags/v0.1` where the two would be ambiguous, which the release pattern v* does not
    match, so the release was left out without a word."""
    git_site.tag("v0.1")
    git_site.git("branch", "v0.1")
    result = run("build", "--source", git_site.root)
    assert result.exit_code == 0, result.output
    assert _published_versions(git_site) == {"0.1": "v0.1"}
