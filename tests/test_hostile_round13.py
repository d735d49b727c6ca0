"""Hostile inputs of 6 Dec 2026 (thirteenth round): what CI hands servicebook. The environment of
a git hook or a shell that names another repository (GIT_DIR and its kin), the inputs of the
GitHub Action and the GitLab component written with line breaks, spaces and `$(…)`, and dates at
the ends of the calendar."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .conftest import GitSite


def _published(site: Path) -> tuple[list[dict[str, object]], str]:
    """versions.json and the change log's page of a built site."""
    public = site / "public"
    return json.loads((public / "versions.json").read_text()), (public / "changes" / "index.html").read_text()


@pytest.mark.git
@pytest.mark.parametrize(
    "variables",
    [
        {"GIT_DIR": "{other}/.git"},
        {"GIT_DIR": "{other}/.git", "GIT_WORK_TREE": "{other}"},
        {"GIT_INDEX_FILE": "{other}/.git/index", "GIT_OBJECT_DIRECTORY": "{other}/.git/objects"},
        {"GIT_COMMON_DIR": "{other}/.git"},
    ],
    ids=["GIT_DIR", "GIT_DIR and GIT_WORK_TREE", "GIT_INDEX_FILE and GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR"],
)
def test_a_build_reads_the_history_of_the_sources_repository_whatever_git_variables_the_caller_set(
    run, git_site: GitSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variables: dict[str, str]
) -> None:
    """A git hook (pre-commit, post-checkout) runs with GIT_DIR or GIT_INDEX_FILE set, and a shell
    may export GIT_DIR: git takes those before the folder it is run in, so `servicebook build
    --source site` published another repository's releases and change history as the site's. The
    source's repository is found from the source, as git does when it runs in a submodule."""
    git_site.tag("v0.1")
    other = git_site.copy_to(tmp_path / "other")
    other.edit("title: Platform services", "title: Another team's site")
    other.commit("Another team's catalog")
    other.tag("v0.2")
    assert run("build", "--source", git_site.root).exit_code == 0
    expected = _published(git_site.root)
    shutil.rmtree(git_site.root / "public")
    for name, value in variables.items():
        monkeypatch.setenv(name, value.format(other=other.root))
    result = run("build", "--source", git_site.root)
    assert result.exit_code == 0, result.output
    assert _published(git_site.root) == expected
    assert "Another team" not in expected[1]
