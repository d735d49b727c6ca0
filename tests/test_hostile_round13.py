"""Hostile inputs of 6 Dec 2026 (thirteenth round): what CI hands servicebook. The environment of
a git hook or a shell that names another repository (GIT_DIR and its kin), the inputs of the
GitHub Action and the GitLab component written with line breaks, spaces and `$(…)`, and dates at
the ends of the calendar."""

from __future__ import annotations

import json
import re
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


RECURSION_HINT = (
    "hint: a template that includes, imports or extends itself (directly or through another), or a macro "
    "that calls itself with nothing to stop it, runs until Python gives up; break the cycle"
)


@pytest.mark.parametrize(
    ("layouts", "expected"),
    [
        (
            {"policy.html": "{% include 'policy.html' %}\n"},
            "layouts/policy.html:1:1: error: while rendering policies/welcome/index.html: the templates never stop "
            "calling one another: layouts/policy.html:1 → layouts/policy.html:1 → …",
        ),
        (
            {
                "policy.html": "{% extends 'theme/policy.html' %}\n{% block content %}\n<p>Intro</p>\n"
                "{% include 'parts.html' %}\n{% endblock %}\n",
                "parts.html": "<p>One</p>\n<p>Two</p>\n{% include 'policy.html' %}\n",
            },
            "layouts/policy.html:1:1: error: while rendering policies/welcome/index.html: the templates never stop "
            "calling one another: layouts/policy.html:1 → (built-in theme) policy.html:{n} → (built-in theme) "
            "base.html:{n} → layouts/policy.html:4 → layouts/parts.html:3 → layouts/policy.html:1 → …",
        ),
        (
            {
                "policy.html": "{% extends 'theme/policy.html' %}\n{% block content %}\n{% macro item(n) %}\n"
                "<li>{{ item(n + 1) }}</li>\n{% endmacro %}\n{{ item(1) }}{% endblock %}\n"
            },
            "layouts/policy.html:4:1: error: while rendering policies/welcome/index.html: the templates never stop "
            "calling one another: layouts/policy.html:4 → layouts/policy.html:4 → …",
        ),
    ],
    ids=["a template including itself", "a template including itself through another", "a macro calling itself"],
)
def test_templates_that_call_one_another_without_end_are_named_as_the_cycle_they_make(
    run, site_copy, layouts: dict[str, str], expected: str
) -> None:
    """A team's template that includes (or extends, or imports) itself, through another template
    or not, or a macro with no case that stops it: the error was Python's "RecursionError:
    maximum recursion depth exceeded while calling a Python object", at whichever line the
    recursion happened to stop, with the hint "check the template". It names the lines that
    repeat, and what makes a cycle."""
    site = site_copy("minimal")
    (site / "layouts").mkdir()
    for name, text in layouts.items():
        (site / "layouts" / name).write_text(text)
    result = run("check", "--source", site)
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    # ({n}: a line of the built-in theme's, which the theme's own changes move)
    assert re.fullmatch(re.escape(expected).replace(re.escape("{n}"), r"\d+"), lines[0].removeprefix(f"{site}/"))
    assert lines[1].strip() == RECURSION_HINT
    assert "RecursionError" not in result.output


@pytest.mark.git
@pytest.mark.parametrize(
    "command",
    [("check",), ("build",), ("diff", "HEAD"), ("promised", "--at", "2026-06-01"), ("verify",)],
    ids=lambda c: c[0],
)
def test_a_repository_git_refuses_for_its_owner_is_an_error_saying_how_to_trust_it(
    run, git_site: GitSite, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    """A container job running as root on the runner user's checkout, or a clone on a shared disk:
    git refuses a repository another user owns ("detected dubious ownership"). servicebook took
    that for a folder outside git: the build published no release and no history, check said all
    was well, and diff, promised and verify said the source was "not in a git repository". Each
    says what git refused and how to trust the repository, and the build leaves public/ as it was.
    (GIT_TEST_ASSUME_DIFFERENT_OWNER is git's own switch for testing this without a second user.)"""
    git_site.tag("v0.1")
    assert run("build", "--source", git_site.root).exit_code == 0
    before = {p: p.read_bytes() for p in (git_site.root / "public").rglob("*") if p.is_file()}
    monkeypatch.setenv("GIT_TEST_ASSUME_DIFFERENT_OWNER", "1")
    result = run(command[0], "--source", git_site.root, *command[1:])
    assert result.exit_code == 2, result.output
    assert (
        f"error: git refuses to read the repository at {git_site.root}: it is owned by a user other than the one "
        "running servicebook, so its history and releases cannot be read (a build would publish neither); if you "
        f"trust it, as a CI job trusts its own checkout: `git config --global --add safe.directory {git_site.root}`"
    ) in result.output
    assert "not in a git repository" not in result.output and "Traceback" not in result.output
    assert {p: p.read_bytes() for p in (git_site.root / "public").rglob("*") if p.is_file()} == before


@pytest.mark.git
@pytest.mark.parametrize("command", [("build",), ("check",), ("promised", "--at", "2026-06-01")], ids=lambda c: c[0])
def test_a_bare_clone_given_as_the_source_is_told_to_be_cloned_not_emptied(
    run, git_site: GitSite, tmp_path: Path, command: tuple[str, ...]
) -> None:
    """A CI mirror or a server's repository (`git clone --bare`) given as --source: it was refused
    as the folder a commit can make to have git obey its config, with that case's advice: "remove
    HEAD, config, objects/ and refs/ from that folder", which would destroy the repository. A bare
    repository given as the source (no catalog.yaml in it) is said to be one, and how to build it."""
    bare = tmp_path / "catalog.git"
    git_site.git("clone", "-q", "--bare", str(git_site.root), str(bare))
    result = run(command[0], "--source", bare, *command[1:])
    assert result.exit_code == 2, result.output
    assert result.output == (
        f"error: {bare} is a bare repository (git's own folder, with no checked-out files): servicebook builds "
        f"from a checkout of the catalog; clone it and give the clone's folder: `git clone {bare} site`, then "
        "--source site\n"
    )


@pytest.mark.git
def test_promised_says_when_a_commit_before_its_answer_is_dated_after_the_day_asked(run, git_site: GitSite) -> None:
    """A committer whose clock said 2100 (or a rebase that kept a commit's old date) makes the
    history's dates go backwards: `promised` picks the last commit dated by the moment asked, and
    answered "the catalog of commit B" without a word that commit A, before B on the history and
    the catalog B changed, is dated after that moment. It says so: the answer follows the dates."""
    git_site.clock = 4_102_444_800 - 3600  # the next commit: 2100-01-01 00:00 UTC
    git_site.edit("objective: 99.5", "objective: 99")
    future = git_site.commit("Lower the objective (a clock set to 2100)")
    git_site.clock = 1_781_000_000  # 2026-06-09
    git_site.edit("objective: 99", "objective: 98")
    git_site.commit("Lower it again")
    result = run("promised", "--source", git_site.root, "--at", "2050-01-01")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1].endswith("by Test Author: Lower it again")
    assert lines[2] == (
        f"(note: commit {future[:12]} (Lower the objective (a clock set to 2100)), which changed the catalog before "
        "this one on the history, is dated 2100-01-01 00:00 UTC, after 2050-01-01: the commits' dates go backwards "
        "there (a clock set wrong, or a rebase that kept old dates), so this answer follows the dates, not the order "
        "of the history)"
    )
    assert "98 %" in result.output
    ordered = run("promised", "--source", git_site.root, "--at", "2026-05-28")  # before both: dates in order
    assert ordered.exit_code == 0, ordered.output
    assert "dates go backwards" not in ordered.output
    # the JSON document says it too, for an auditor's script
    as_json = json.loads(run("promised", "--source", git_site.root, "--at", "2050-01-01", "--format", "json").stdout)
    assert as_json["dated_later"] == {
        "commit": future,
        "date": "2100-01-01T00:00:00+00:00",
        "author": "Test Author",
        "message": "Lower the objective (a clock set to 2100)",
    }
    in_order = run("promised", "--source", git_site.root, "--at", "2026-05-28", "--format", "json")
    assert json.loads(in_order.stdout)["dated_later"] is None
