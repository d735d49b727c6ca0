"""The CI examples users copy (examples/ci/) and the pre-commit hook manifest are valid for their
platform (checked against the GitHub Actions and GitLab CI schemas that check-jsonschema ships),
and every servicebook command they run exists with the options they pass."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml

from servicebook.cli import main

from .conftest import REPO

EXAMPLES = REPO / "examples" / "ci"
GITHUB = sorted((EXAMPLES / "github").glob("*.yml"))
GITLAB = EXAMPLES / "gitlab" / ".gitlab-ci.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"


def servicebook_commands(script: str) -> list[list[str]]:
    """The `servicebook …` invocations in a shell script, as argument lists (variables and
    redirections replaced or dropped, as the shell would before servicebook sees them)."""
    commands = []
    for line in script.splitlines():
        for part in re.split(r"\|\||&&|;|\|", line):
            words = shlex.split(re.sub(r"\$\{?(\w+)\}?", r"\1", part), comments=True)
            if words and words[0] == "servicebook":
                args = []
                for word in words[1:]:
                    if word.startswith(">") or word in ("2>&1",):
                        break
                    args.append(word)
                commands.append(args)
    return commands


def assert_real_command(args: list[str]) -> None:
    """Parse `args` with servicebook's own click parser: an unknown command or option fails."""
    name, *rest = args
    command = main.get_command(click.Context(main), name)
    if command is None:
        raise click.UsageError(f"no such command: {name}")
    command.make_context(name, rest)


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict), path
    return data


def schema_check(schema: str, *paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_github_workflows_match_the_github_actions_schema() -> None:
    assert len(GITHUB) == 2
    done = schema_check("vendor.github-workflows", *GITHUB)
    assert done.returncode == 0, done.stdout + done.stderr


def test_gitlab_ci_matches_the_gitlab_schema() -> None:
    done = schema_check("vendor.gitlab-ci", GITLAB)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_schema_check_rejects_a_broken_workflow(tmp_path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  check:\n    steps:\n      - run: servicebook check\n")  # no runs-on
    assert schema_check("vendor.github-workflows", broken).returncode != 0


def test_review_workflow_checks_comments_and_fails_on_weakened_commitments() -> None:
    workflow = load(EXAMPLES / "github" / "catalog-review.yml")
    assert "pull_request" in workflow[True]  # YAML 1.1 reads the key `on` as true
    runs = [s["run"] for job in workflow["jobs"].values() for s in job["steps"] if "run" in s]
    commands = [c for run in runs for c in servicebook_commands(run)]
    assert ["check", "--format", "github"] in commands
    # BASE...HEAD: what the pull request changes, from the merge base, not from the base's tip
    assert ["diff", "BASE...HEAD", "--format", "markdown"] in commands
    assert ["diff", "BASE...HEAD", "--format", "json", "--fail-on", "weakened"] in commands
    assert any("gh pr comment" in run for run in runs)
    comment = next(s for s in workflow["jobs"]["diff"]["steps"] if "gh pr comment" in s.get("run", ""))
    assert comment["continue-on-error"] is True  # a fork's read-only token must not skip the verdict
    header = (EXAMPLES / "github" / "catalog-review.yml").read_text().split("\nname:")[0]
    named = set(re.findall(r"the `(\w+)` job", header))
    assert named and named <= workflow["jobs"].keys()  # the header names jobs that exist
    for job in workflow["jobs"].values():
        checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@"))
        assert checkout["with"]["fetch-depth"] == 0  # diff and history need the whole history


def test_pages_workflow_builds_and_deploys() -> None:
    workflow = load(EXAMPLES / "github" / "publish-pages.yml")
    build_steps = workflow["jobs"]["build"]["steps"]
    commands = [c for s in build_steps if "run" in s for c in servicebook_commands(s["run"])]
    assert commands == [["build", "--output", "public"]]
    assert any(s.get("uses", "").startswith("actions/upload-pages-artifact@") for s in build_steps)
    assert workflow["jobs"]["deploy"]["needs"] == "build"


def test_gitlab_jobs_check_diff_and_publish_pages() -> None:
    pipeline = load(GITLAB)
    check_script = "\n".join(pipeline["check"]["script"])
    commands = servicebook_commands(check_script)
    assert commands[0] == ["check"]
    assert [
        "diff",
        "origin/CI_MERGE_REQUEST_TARGET_BRANCH_NAME...HEAD",
        "--format",
        "json",
        "--fail-on",
        "weakened",
    ] in commands
    assert servicebook_commands("\n".join(pipeline["pages"]["script"])) == [["build", "--output", "public"]]
    assert pipeline["pages"]["artifacts"]["paths"] == ["public"]


def test_pre_commit_hooks_manifest_runs_real_commands() -> None:
    hooks = yaml.safe_load(HOOKS.read_text())
    assert [h["id"] for h in hooks] == ["servicebook-check", "servicebook-check-strict"]
    for hook in hooks:
        assert {"id", "name", "entry", "language"} <= hook.keys()
        assert hook["language"] == "python"  # pre-commit installs this repository as a package
        assert hook["pass_filenames"] is False  # check reads the whole site, not single files
        files = re.compile(hook["files"])
        assert files.search("catalog.yaml") and files.search("content/change-approval.md")
        assert not files.search("src/app.py")
        (command,) = servicebook_commands(hook["entry"])
        assert_real_command(command)


@pytest.mark.parametrize("path", [*GITHUB, GITLAB], ids=lambda p: p.name)
def test_every_servicebook_command_in_the_examples_parses(path) -> None:
    text = path.read_text()
    scripts = re.findall(r"(?:run|-)\s*:?\s*(servicebook [^\n]*)", text)
    assert scripts, path
    for script in scripts:
        for command in servicebook_commands(script):
            assert_real_command(command)


def test_a_misspelt_option_would_be_caught() -> None:
    with pytest.raises(click.UsageError):
        assert_real_command(["diff", "main", "--fail-on", "weakend"])
    with pytest.raises(click.UsageError):
        assert_real_command(["check", "--formats", "github"])
