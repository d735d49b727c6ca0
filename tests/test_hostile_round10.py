"""Hostile inputs of 6 Dec 2026 (tenth round): a site folder committed so that git takes it for a
repository of its own (whose config, written by a commit, names commands git runs)."""

from __future__ import annotations

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
