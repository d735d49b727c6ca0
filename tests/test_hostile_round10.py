"""Hostile inputs of 6 Dec 2026 (tenth round): a site folder committed so that git takes it for a
repository of its own (whose config, written by a commit, names commands git runs), and a published
copy holding a file far larger than any a build makes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .conftest import SITES, GitSite


def _committed_as_a_bare_repository(site: Path, ran: Path) -> None:
    """Files that make git take `site` for a bare repository (HEAD, objects/, refs/) with a config
    whose fsmonitor, run by `git status`, leaves the file `ran`."""
    (site / "HEAD").write_text("ref: refs/heads/main\n")
    for folder in ("objects/info", "refs/heads"):
        (site / folder).mkdir(parents=True)
        (site / folder / ".keep").write_text("")
    (site / "config").write_text(
        f'[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tworktree = .\n\tfsmonitor = "touch {ran}; false"\n'
    )


@pytest.mark.git
@pytest.mark.parametrize("command", ["build", "check"])
def test_a_site_folder_committed_as_a_bare_repository_runs_nothing_its_config_names(
    run, tmp_path: Path, command: str
) -> None:
    """git looks for a repository in the folder it is given before the folders above it, and takes
    one holding HEAD, objects/ and refs/ for a bare repository, obeying its config: a pull request
    committing those files beside its catalog (`--source site`) had the job that checks it run any
    command (core.fsmonitor, run by `git status`). servicebook asks git to use a bare repository only
    where it names one (safe.bareRepository=explicit), and says what it found."""
    site = tmp_path / "repo" / "site"
    shutil.copytree(SITES / "minimal", site)
    top = GitSite(tmp_path / "repo")
    ran = tmp_path / "ran"
    _committed_as_a_bare_repository(site, ran)
    top.commit("A site folder that git takes for a repository of its own")
    result = run(command, "--source", site)
    assert not ran.exists(), "git ran the command the committed config names"
    assert result.exit_code == 2, result.output
    assert f"error: git takes {site} for a bare repository" in result.output
    assert "HEAD, objects/ and refs/" in result.output
    assert not (site / "public").exists()


@pytest.mark.git
def test_verify_names_a_published_file_far_larger_than_a_build_makes_without_reading_it(run, git_site: GitSite) -> None:
    """verify read each published file whole to hash it: a copy holding a sparse file of 64 GiB (a
    host's fault, or a forged copy) ended in a MemoryError traceback; it is a difference, named."""
    assert run("build", "--source", git_site.root).exit_code == 0
    published = git_site.root / "public"
    os.truncate(published / "404.html", 64 * 1024**3)
    result = run("verify", "--source", git_site.root)
    assert result.exit_code == 1, result.output
    assert "404.html: 68,719,476,736 bytes, more than any file a build makes" in result.output


@pytest.mark.git
@pytest.mark.parametrize("index", ["catalog.json", "versions.json"])
def test_verify_refuses_a_published_index_far_larger_than_a_build_makes_without_reading_it(
    run, git_site: GitSite, index: str
) -> None:
    """The published catalog.json (which names the commit to rebuild) and versions.json were read
    whole, then decoded: one of 64 GiB was a MemoryError traceback."""
    assert run("build", "--source", git_site.root).exit_code == 0
    published = git_site.root / "public"
    os.truncate(published / index, 64 * 1024**3)
    result = run("verify", "--source", git_site.root)
    if index == "catalog.json":
        assert result.exit_code == 2, result.output
        assert (
            f"error: {published}/catalog.json cannot be read (68,719,476,736 bytes, more than a build makes); "
            f"is {published} a site servicebook built?"
        ) in result.output
    else:  # as a site with no releases: each release the rebuild has is then said not to be published
        assert result.exit_code == 1, result.output
        assert "versions.json: 68,719,476,736 bytes, more than any file a build makes" in result.output
