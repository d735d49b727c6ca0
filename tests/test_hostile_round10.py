"""Hostile inputs of 6 Dec 2026 (tenth round): a site folder committed so that git takes it for a
repository of its own (whose config, written by a commit, names commands git runs), a published
copy holding a file far larger than any a build makes, and site templates whose loops and calls
multiply."""

from __future__ import annotations

import shutil
from pathlib import Path

import jinja2
import pytest

from servicebook.site.sandbox import MAX_STEPS, BoundedSandbox, TooMuchWork
from servicebook.site.verify import LARGEST_FILE, LARGEST_INDEX

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
    host's fault, or a forged copy) ended in a MemoryError traceback. A file larger than any a
    build makes is a difference, named by its size, and not read (a sparse file just past the bound
    here: its pages are in memory)."""
    assert run("build", "--source", git_site.root).exit_code == 0
    published = git_site.root / "public"
    (published / "404.html").unlink()  # not the kept copy's file, which it is a hard link to
    with (published / "404.html").open("wb") as sparse:
        sparse.truncate(LARGEST_FILE + 1)
    result = run("verify", "--source", git_site.root)
    assert result.exit_code == 1, result.output
    assert f"404.html: {LARGEST_FILE + 1:,} bytes, more than any file a build makes" in result.output


@pytest.mark.git
def test_verify_refuses_a_published_catalog_json_far_larger_than_a_build_makes_without_reading_it(
    run, git_site: GitSite
) -> None:
    """The published catalog.json (which names the commit to rebuild) was read whole, then decoded:
    one of 64 GiB was a MemoryError traceback. versions.json and the manifest are bounded alike."""
    assert run("build", "--source", git_site.root).exit_code == 0
    published = git_site.root / "public"
    (published / "catalog.json").unlink()  # not the kept copy's file, which it is a hard link to
    with (published / "catalog.json").open("wb") as sparse:
        sparse.truncate(LARGEST_INDEX + 1)
    result = run("verify", "--source", git_site.root)
    assert result.exit_code == 2, result.output
    assert (
        f"error: {published}/catalog.json cannot be read ({LARGEST_INDEX + 1:,} bytes, more than a build "
        f"makes); is {published} a site servicebook built?"
    ) in result.output


def _rendered(source: str, steps: int) -> str:
    """A page rendered from `source` by the sandbox a site's layouts/ run in, with a budget of
    `steps` loop iterations and calls."""
    env = BoundedSandbox(loader=jinja2.DictLoader({"page.html": source}), steps=steps)
    return env.get_template("page.html").render()


@pytest.mark.parametrize(
    "source",
    [
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
        "{% for a in range(100000) recursive %}{% if loop.depth < 3 %}{{ loop(range(100000)) }}{% endif %}{% endfor %}",
        "{% macro twice(n) %}{% if n %}{{ twice(n - 1) }}{{ twice(n - 1) }}{% endif %}{% endmacro %}{{ twice(60) }}",
    ],
    ids=["a loop in a loop", "a recursive loop", "a macro calling itself twice"],
)
def test_the_loop_iterations_and_calls_of_a_page_are_bounded(source: str) -> None:
    """Each value a site's template makes is bounded in size (range() to 100,000 numbers), but not
    how many times a loop or a call runs: two loops of range(100000), one in the other, held the
    job that checks a pull request for hours. A page's templates have a budget of loop iterations
    and calls, deterministic (no clock), shared by its includes, macros and parents."""
    with pytest.raises(TooMuchWork, match="more than 100,000 loop iterations and calls"):
        _rendered(source, steps=100_000)


def test_each_page_starts_with_a_whole_budget_and_a_page_within_it_is_unchanged() -> None:
    source = "{% for a in range(300) %}{% for b in range(200) %}{{ '' }}{% endfor %}{% endfor %}{{ 'done' }}"
    env = BoundedSandbox(loader=jinja2.DictLoader({"page.html": source}), steps=100_000)
    template = env.get_template("page.html")
    assert [template.render() for _ in range(3)] == ["done"] * 3  # 60,300 steps each, of 100,000
    loop = "{% for x in items %}{{ loop.index }}/{{ loop.length }}{{ ',' if not loop.last }}{% else %}none{% endfor %}"
    assert BoundedSandbox(loader=jinja2.DictLoader({"p": loop})).get_template("p").render(items="abc") == "1/3,2/3,3/3"
    assert BoundedSandbox(loader=jinja2.DictLoader({"p": loop})).get_template("p").render(items=[]) == "none"


def test_check_names_the_loop_that_ran_past_the_budget(run, site_copy) -> None:
    """End to end, at the real budget: `check` of a site whose layout nests two loops of 10,000
    fails, located at the inner loop, in seconds rather than the minutes 10^8 iterations take."""
    site = site_copy("minimal")
    (site / "layouts").mkdir()
    (site / "layouts" / "offering.html").write_text(
        '{% extends "theme/offering.html" %}\n{% block content %}\n{% for a in range(10000) %}\n'
        "{% for b in range(10000) %}{% endfor %}\n{% endfor %}\n{{ super() }}{% endblock %}\n"
    )
    result = run("check", "--source", site)
    assert result.exit_code == 1, result.output
    assert (
        f"layouts/offering.html:4:1: error: while rendering offerings/ci/index.html: this page's templates made more than {MAX_STEPS:,} loop iterations and calls"
        in result.output
    )
