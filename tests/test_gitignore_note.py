"""`check` on a site whose .gitignore an older `init` wrote: it names the lines for the folders a
build makes beside public/ for a few seconds, which a `git add -A` meanwhile would commit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import SITES, GitSite

OLD_INIT = "/public/\n/.servicebook-cache/\n"


@pytest.mark.git
def test_check_names_the_gitignore_lines_an_older_init_did_not_write(tmp_path: Path, run) -> None:
    (tmp_path / "repo").mkdir()
    site = GitSite(tmp_path / "repo")
    shutil.copytree(SITES / "minimal", site.root, dirs_exist_ok=True)
    site.write(".gitignore", OLD_INIT)
    site.commit("Publish")
    result = run("check", "--source", site.root, "--strict")
    assert result.exit_code == 0, result.output  # a fact about the repository, not the catalog
    assert (
        ".gitignore:2:1: warning: .gitignore lacks /.public.*/ and /.servicebook-trash-*/: a build makes those "
        "folders beside public/ for a few seconds, and a `git add -A` meanwhile commits them\n"
        " 2 | /.servicebook-cache/\n"
        "   | ^\n"
        "  hint: add the lines `/.public.*/`, `/.servicebook-trash-*/` to .gitignore (`servicebook init` writes them "
        "now)\n"
    ) in result.stderr
    assert "1 warning (above)" in result.stdout
    site.write(".gitignore", OLD_INIT + "/.public.*\n.servicebook-trash-*/\n")  # either spelling
    again = run("check", "--source", site.root)
    assert again.exit_code == 0 and ".gitignore" not in again.output and "no warnings" in again.stdout


def test_outside_git_a_gitignore_is_not_looked_at(site_copy, run) -> None:
    root = site_copy("minimal")
    (root / ".gitignore").write_text(OLD_INIT)
    result = run("check", "--source", root)
    assert result.exit_code == 0 and ".gitignore" not in result.output
