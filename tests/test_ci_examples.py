"""What other repositories use to run servicebook in CI, the GitHub Action (action.yml), the GitLab
CI/CD component (templates/), the pre-commit hook manifest, and the examples users copy
(examples/ci/), are valid for their platform (checked against the GitHub Actions and GitLab CI
schemas that check-jsonschema ships), the examples use the action and the component with inputs
they declare, and every servicebook command they run exists with the options they pass.
tests/test_action.py runs the action's steps."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml

from servicebook.cache.store import store_file
from servicebook.cli import main
from servicebook.git.repo import BUILD_INPUTS

from .conftest import REPO, SITES, GitSite
from .test_federation import Member, organisation

EXAMPLES = REPO / "examples" / "ci"
GITHUB = sorted((EXAMPLES / "github").glob("*.yml"))
GITLAB = EXAMPLES / "gitlab" / ".gitlab-ci.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"
ACTION = REPO / "action.yml"
COMPONENTS = sorted((REPO / "templates").glob("*.yml"))


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
    assert len(GITHUB) == 3
    done = schema_check("vendor.github-workflows", *GITHUB)
    assert done.returncode == 0, done.stdout + done.stderr


def test_gitlab_example_matches_the_gitlab_schema() -> None:
    done = schema_check("vendor.gitlab-ci", GITLAB)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_schema_check_rejects_a_broken_workflow(tmp_path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  check:\n    steps:\n      - run: servicebook check\n")  # no runs-on
    assert schema_check("vendor.github-workflows", broken).returncode != 0


def test_the_action_matches_the_github_actions_schema() -> None:
    done = schema_check("vendor.github-actions", ACTION)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_action_has_the_inputs_and_outputs_it_documents() -> None:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {"source", "output", "strict", "diff-base", "fail-on-weakened"}
    assert set(action["outputs"]) >= {"site", "diff-summary"}
    for name, spec in action["inputs"].items():
        assert spec["description"] and "default" in spec, name
    install = next(s for s in action["runs"]["steps"] if s.get("name") == "Install servicebook")
    assert install["env"]["SERVICEBOOK_FROM"] == "${{ github.action_path }}"  # itself, at the ref used
    assert 'pip install --quiet --disable-pip-version-check "$SERVICEBOOK_FROM"' in install["run"]


def component_documents(path: Path, tmp_path: Path) -> list[Path]:
    """A component file is two YAML documents, the `spec:` header and the jobs: each as JSON."""
    header, jobs = yaml.safe_load_all(path.read_text())
    assert set(header) == {"spec"}, path
    out = []
    for i, document in enumerate((header, jobs)):
        out.append(tmp_path / f"{path.stem}-{i}.json")
        out[-1].write_text(json.dumps(document))
    return out


def test_the_gitlab_component_is_in_the_documented_layout_and_matches_the_schema(tmp_path) -> None:
    # GitLab's component layout: templates/<name>.yml or templates/<name>/template.yml
    assert [p.name for p in COMPONENTS] == ["servicebook.yml"]
    assert not [p for p in (REPO / "templates").iterdir() if p.is_dir() and not (p / "template.yml").is_file()]
    done = schema_check("vendor.gitlab-ci", *component_documents(COMPONENTS[0], tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_gitlab_component_uses_only_inputs_it_declares_and_publishes_pages() -> None:
    text = COMPONENTS[0].read_text()
    header, jobs = yaml.safe_load_all(text)
    declared = set(header["spec"]["inputs"])
    used = set(re.findall(r"\$\[\[ inputs\.([\w-]+) \]\]", text))
    assert used == declared
    assert "default" not in header["spec"]["inputs"]["package"]  # which servicebook: the user pins it
    review = "\n".join(jobs["servicebook-review"]["script"])
    commands = servicebook_commands(review)
    assert ["check", "--source", "SERVICEBOOK_SOURCE", "strict", "$@", "--format", "gitlab"] in commands
    assert [
        "diff", "--source", "SERVICEBOOK_SOURCE", "base...HEAD", "--format", "json",
    ] in commands  # fmt: skip
    assert servicebook_commands("\n".join(jobs["pages"]["script"])) == [
        ["federate", "fetch", "--source", "SERVICEBOOK_SOURCE"],
        ["build", "--source", "SERVICEBOOK_SOURCE", "--output", "public", "strict"],
    ]
    assert jobs["pages"]["artifacts"]["paths"] == ["public"]
    assert jobs["pages"]["cache"]["paths"] == ["servicebook-cache.tar"]  # see the test below
    assert jobs[".servicebook"]["variables"]["GIT_DEPTH"] == "0"


def review_script() -> str:
    """The component's `servicebook-review` script as GitLab runs it: its lines in one shell (a
    variable one line sets is there for the next), the first line that fails ending the job."""
    _, jobs = yaml.safe_load_all(COMPONENTS[0].read_text())
    return "\n".join(jobs["servicebook-review"]["script"])


def review_job_env(fail_on: str, **variables: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if k != "SERVICEBOOK_BOT_TOKEN" and not k.startswith("CI_")},
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "SERVICEBOOK_SOURCE": ".",
        "SERVICEBOOK_STRICT": "false",
        "SERVICEBOOK_FAIL_ON": fail_on,
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        **variables,
    }


def run_review_job(tmp_path: Path, fail_on: str) -> tuple[int, str, Path]:
    """The component's `servicebook-review` script in the clone of a merge request that lowers an
    objective, on a GitLab that sets none of the merge request's base variables: its exit status,
    its log and the checkout (where the artifacts are)."""
    shutil.copytree(SITES / "minimal", tmp_path / "upstream")
    upstream = GitSite(tmp_path / "upstream")
    upstream.commit("Initial catalog")
    upstream.git("checkout", "-q", "-b", "lower-slo")
    upstream.edit("objective: 99.5", "objective: 99")
    upstream.commit("Lower the pipelines' objective")
    checkout = tmp_path / "checkout"
    upstream.git("clone", "-q", "--branch", "lower-slo", str(upstream.root), str(checkout))
    done = subprocess.run(
        ["sh", "-ec", review_script()],
        cwd=checkout,
        env=review_job_env(fail_on),
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr, checkout


@pytest.mark.git
def test_the_gitlab_review_job_of_a_forks_merge_request_diffs_only_what_the_merge_request_changes(tmp_path) -> None:
    """A merge request from a fork runs its pipeline in the fork, where origin is the fork and its
    main can be far behind the project's (newuser17): the diff from there counted the project's
    own changes since (a response target the project slowed) as the merge request's, and failed
    it on them. The job diffs from the base GitLab names for the merge request, which HEAD holds."""
    shutil.copytree(SITES / "minimal", tmp_path / "project")
    project = GitSite(tmp_path / "project")
    project.commit("Initial catalog")
    fork = tmp_path / "fork"
    project.git("clone", "-q", str(project.root), str(fork))  # the fork's main stays here
    project.edit("response: 30m", "response: 1h")
    base = project.commit("A slower sev1 response, agreed in the project")
    project.git("checkout", "-q", "-b", "lower-slo")
    project.edit("objective: 99.5", "objective: 99")
    head = project.commit("Lower the pipelines' objective")
    # the contributor pushed the branch to the fork; the fork's pipeline clones the fork at it
    project.git("push", "-q", str(fork), "lower-slo")
    checkout = tmp_path / "checkout"
    project.git("clone", "-q", "--branch", "lower-slo", str(fork), str(checkout))
    for variables in ({"CI_MERGE_REQUEST_DIFF_BASE_SHA": base}, {"CI_MERGE_REQUEST_TARGET_BRANCH_SHA": base}):
        done = subprocess.run(
            ["sh", "-ec", review_script()],
            cwd=checkout,
            env=review_job_env("true", **variables),
            capture_output=True,
            text=True,
            check=False,
        )
        log = done.stdout + done.stderr
        assert done.returncode == 3, log
        diff = json.loads((checkout / "catalog-diff.json").read_text())
        assert (diff["base"]["commit"], diff["head"]["commit"]) == (base, head)
        assert [c["kind"] for c in diff["changes"]] == ["slo.objective"], log
        assert "error: 1 change weakens a commitment" in log


@pytest.mark.git
def test_the_gitlab_review_job_fails_a_weakening_merge_request_after_making_its_artifacts(tmp_path) -> None:
    status, log, checkout = run_review_job(tmp_path, "true")
    assert status == 3, log
    assert log.endswith(
        "error: 1 change weakens a commitment (the component's fail-on-weakened input): the diff is above, "
        "and in the catalog-diff.md artifact\nservicebook check passed: 0 errors, 0 warnings\n"
    )  # (the log as stdout, then stderr)
    assert json.loads((checkout / "gl-code-quality-report.json").read_text()) == []
    assert "⚠️ **Weakens a commitment:** SLO “Pipeline availability”" in (checkout / "catalog-diff.md").read_text()
    assert json.loads((checkout / "catalog-diff.json").read_text())["summary"]["weakened"] == 1
    assert "Traceback" not in log


@pytest.mark.git
@pytest.mark.parametrize("folder", ["slos", "SLO files [*]"], ids=["slos", "a name with spaces and wildcards"])
def test_the_gitlab_review_job_compares_the_slos_with_the_folder_its_against_input_names(tmp_path, folder) -> None:
    """The component's `against` input: the review job's check compares the SLOs with the Sloth,
    Pyrra or OpenSLO files there, as the GitHub Action's does (newuser16: neither could). The
    folder is one argument whatever its name holds: the shell split a name with spaces into
    several (hostile13)."""
    _, jobs = yaml.safe_load_all(COMPONENTS[0].read_text())
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    (site / folder).mkdir()
    (site / folder / "ci.yaml").write_text(
        "apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata:\n  name: availability\n"
        "  namespace: ci\nspec:\n  target: '99.9'\n  window: 30d\n  indicator:\n    ratio:\n      errors:\n"
        "        metric: runs_total{late='1'}\n      total:\n        metric: runs_total\n"
    )
    check_lines = [line for line in jobs["servicebook-review"]["script"] if "git fetch" in line]
    script = jobs["servicebook-review"]["script"]
    up_to_check = script[: script.index(check_lines[0])]  # GitLab runs a job's lines in one shell
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "SERVICEBOOK_SOURCE": ".",
        "SERVICEBOOK_STRICT": "false",
    }
    for against, status in (("", 0), (folder, 1)):
        done = subprocess.run(
            ["sh", "-ec", "\n".join(up_to_check)],
            cwd=site,
            env={**env, "SERVICEBOOK_AGAINST": against},
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == status, done.stdout + done.stderr
    assert "the catalog's objective is 99.5 %, but Pyrra SLO 'availability'" in done.stderr


@pytest.mark.git
def test_the_gitlab_review_job_with_fail_on_weakened_off_passes_and_still_shows_the_diff(tmp_path) -> None:
    status, log, _ = run_review_job(tmp_path, "false")
    assert status == 0, log
    assert "⚠️ **Weakens a commitment:**" in log


@pytest.mark.parametrize("source", [".", "docs/catalog"])
def test_the_gitlab_pages_job_caches_the_cache_of_the_source_it_builds(source, run, tmp_path, monkeypatch) -> None:
    """The `pages` job's cache holds the store its build keeps in the source folder and the site
    it writes, for a catalog at the top of the repository or in a folder of it, as one tar
    archive that the next job's unpacks with the hard links between the site and the spare kept
    (GitLab's own cache, a zip, keeps none) and every time to the nanosecond."""
    _, jobs = yaml.safe_load_all(COMPONENTS[0].read_text().replace("$[[ inputs.source ]]", source))
    script = jobs["pages"]["script"]
    (_fetch, build) = servicebook_commands("\n".join(script))  # fetch: an organisation site's (below)
    unpack, pack = script[0], script[-1]
    assert jobs["pages"]["cache"]["paths"] == ["servicebook-cache.tar"]
    env = {**os.environ, "SERVICEBOOK_SOURCE": source}
    for job in ("first", "next"):
        checkout = tmp_path / job
        shutil.copytree(REPO / "tests" / "sites" / "minimal", checkout / source, dirs_exist_ok=True)
        if job == "next":
            shutil.copy2(tmp_path / "first" / "servicebook-cache.tar", checkout)
        monkeypatch.chdir(checkout)
        subprocess.run(["sh", "-ec", unpack], env=env, check=True)
        if job == "next":  # as the first job left them
            for path in ("public/index.html", str(store_file(Path(source) / ".servicebook-cache"))):
                before, after = os.stat(tmp_path / "first" / path), os.stat(path)
                assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
            assert os.stat("public/index.html").st_nlink == 2  # and the spare's
        args = [source if a == "SERVICEBOOK_SOURCE" else a for a in build if a != "strict"]
        for _ in range(2):  # the second build leaves a spare of the first's site, which shares its files
            result = run(*args)
            assert result.exit_code == 0, result.output
        assert store_file(Path(source) / ".servicebook-cache").is_file()
        subprocess.run(["sh", "-ec", pack], env=env, check=True)


def uses_of_the_action(workflow: dict) -> list[dict]:
    return [s for job in workflow["jobs"].values() for s in job["steps"] if "/servicebook@" in s.get("uses", "")]


def test_the_github_examples_use_the_action_with_inputs_it_declares() -> None:
    inputs = set(load(ACTION)["inputs"])
    for path in GITHUB:
        workflow = load(path)
        (step,) = uses_of_the_action(workflow)
        assert set(step.get("with", {})) <= inputs, path
        for job in workflow["jobs"].values():
            checkout = [s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@")]
            assert not checkout or checkout[0]["with"]["fetch-depth"] == 0  # diff and history need it


def test_review_workflow_checks_comments_and_fails_on_weakened_commitments() -> None:
    path = EXAMPLES / "github" / "catalog-review.yml"
    workflow = load(path)
    assert "pull_request" in workflow[True]  # YAML 1.1 reads the key `on` as true
    (step,) = uses_of_the_action(workflow)
    assert step["with"] == {"build": "false", "diff-base": "origin/${{ github.base_ref }}", "fail-on-weakened": "true"}
    steps = workflow["jobs"]["review"]["steps"]
    comment = next(s for s in steps if "gh pr comment" in s.get("run", ""))
    assert comment["continue-on-error"] is True  # a fork's read-only token must not skip the verdict
    assert "!cancelled()" in comment["if"]  # posted also when the action failed on a weakened commitment
    assert comment["env"]["DIFF"] == "${{ runner.temp }}/servicebook-diff.md"
    assert "servicebook-diff.md" in (REPO / "action.yml").read_text()  # where the action writes it
    header = path.read_text().split("\nname:")[0]
    named = set(re.findall(r"the `(\w+)` job", header))
    assert named and named <= workflow["jobs"].keys()  # the header names jobs that exist


def test_no_workflow_asks_hashfiles_about_a_file_outside_the_workspace() -> None:
    # hashFiles() hashes only files under GITHUB_WORKSPACE (GitHub's expression reference; the
    # runner logs "Ignore '…' since it is not under GITHUB_WORKSPACE"), so asked about runner.temp,
    # where the action writes its diff, it is always '' and a step it guards never runs
    texts = [path.read_text() for path in (*GITHUB, *sorted((EXAMPLES / "federation").glob("github-*.yml")))]
    texts.append((REPO / "docs" / "reviewing-changes.md").read_text())
    outside = [call for text in texts for call in re.findall(r"hashFiles\((.*?)\)\s*!=", text) if "runner.temp" in call]
    assert outside == []


def test_the_review_comment_is_posted_when_the_action_made_a_diff_and_skipped_when_it_did_not(tmp_path) -> None:
    steps = load(EXAMPLES / "github" / "catalog-review.yml")["jobs"]["review"]["steps"]
    comment = next(s for s in steps if "gh pr comment" in s.get("run", ""))
    assert comment["if"] == "${{ !cancelled() }}"
    calls = tmp_path / "gh-calls"
    fake = tmp_path / "bin" / "gh"  # GitHub's CLI, which the runner has: record what it was asked
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\necho "$*" >> {shlex.quote(str(calls))}\n')
    fake.chmod(0o755)
    diff = tmp_path / "servicebook-diff.md"
    env = {**os.environ, "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}", "PR": "7", "DIFF": str(diff)}

    def post() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-e", "-c", comment["run"]], env=env, capture_output=True, text=True, check=False
        )

    skipped = post()  # the check failed: the action made no diff
    assert skipped.returncode == 0 and not calls.exists()
    assert "No diff to post" in skipped.stdout
    diff.write_text("### servicebook diff\n")
    assert post().returncode == 0
    assert calls.read_text() == f"pr comment 7 --body-file {diff} --edit-last\n"


def test_pages_workflow_builds_with_the_cache_and_deploys() -> None:
    workflow = load(EXAMPLES / "github" / "publish-pages.yml")
    build_steps = workflow["jobs"]["build"]["steps"]
    (step,) = uses_of_the_action(workflow)
    assert step["with"] == {"output": "public"}
    cache = next(s for s in build_steps if s.get("uses", "").startswith("actions/cache@"))
    # the build cache beside the output, and the output itself, whose pages the next build keeps
    assert cache["with"]["path"].split() == [".servicebook-cache", "public"]
    assert build_steps.index(cache) < build_steps.index(step)
    upload = next(s for s in build_steps if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "${{ steps.servicebook.outputs.site }}"
    assert workflow["jobs"]["deploy"]["needs"] == "build"


def test_the_nightly_measurement_is_published_the_same_night() -> None:
    """The measure workflow pushes its snapshot with the job's own token, which starts no other
    workflow: it starts the Pages workflow itself (workflow_dispatch, which that token may), or
    the measurement waited on the site for the next push by a person."""
    measure = load(EXAMPLES / "github" / "measure.yml")
    pages = load(EXAMPLES / "github" / "publish-pages.yml")
    assert "workflow_dispatch" in pages[True]
    assert measure["permissions"]["actions"] == "write"
    steps = measure["jobs"]["measure"]["steps"]
    push = next(i for i, s in enumerate(steps) if "git push" in s.get("run", ""))
    (start,) = [s for s in steps[push + 1 :] if "gh workflow run" in s.get("run", "")]
    assert start["run"].split()[:4] == ["gh", "workflow", "run", "publish-pages.yml"]
    assert start["env"]["GH_TOKEN"] == "${{ github.token }}"


def test_gitlab_example_includes_the_component_with_inputs_it_declares() -> None:
    pipeline = load(GITLAB)
    (include,) = pipeline["include"]
    assert include["component"].endswith(f"/servicebook@{RELEASED}")
    header = next(yaml.safe_load_all(COMPONENTS[0].read_text()))
    assert set(include["inputs"]) <= set(header["spec"]["inputs"])
    assert "package" in include["inputs"]  # the one input without a default


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


def a_file_under(build_input: str, prefix: str = "") -> str:
    """A path in the repository that the build input (a file or a folder of BUILD_INPUTS) covers."""
    return f"{prefix}{build_input}" if "." in build_input else f"{prefix}{build_input}/2026-12-01T00-00-00Z.json"


@pytest.mark.parametrize("build_input", BUILD_INPUTS)
def test_the_hooks_and_the_review_workflow_run_when_any_file_check_reads_changes(build_input) -> None:
    # a broken measurements/ snapshot or servicebook.lock fails `check`: a commit or pull request
    # that changes only it must still be checked
    for hook in yaml.safe_load(HOOKS.read_text()):
        assert re.search(hook["files"], a_file_under(build_input)), (hook["id"], build_input)
    text = (REPO / "docs/reviewing-changes.md").read_text()
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", text, flags=re.S) if "args:" in b)
    (sub_folder,) = yaml.safe_load(block)
    assert re.search(sub_folder["files"], a_file_under(build_input, "platform/")), build_input
    paths = load(EXAMPLES / "github" / "catalog-review.yml")[True]["pull_request"]["paths"]
    assert build_input in paths or f"{build_input}/**" in paths, build_input


def test_the_docs_say_how_a_site_in_a_sub_folder_runs_the_hook(tmp_path, monkeypatch) -> None:
    # the hooks' own `files:` are the top of the repository's: a monorepo's site gives its own
    text = (REPO / "docs/reviewing-changes.md").read_text()
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", text, flags=re.S) if "args:" in b)
    (hook,) = yaml.safe_load(block)
    (manifest,) = [h for h in yaml.safe_load(HOOKS.read_text()) if h["id"] == hook["id"]]
    files = re.compile(hook["files"])
    assert files.search("platform/catalog.yaml") and files.search("platform/content/a.md")
    assert not files.search("catalog.yaml") and not files.search("src/platform/catalog.yaml")
    (command,) = servicebook_commands(" ".join([manifest["entry"], *hook["args"]]))
    monkeypatch.chdir(tmp_path)  # pre-commit runs the hook at the top of the repository
    (tmp_path / "platform").mkdir()
    assert_real_command(command)


def test_the_docs_hook_that_compares_with_the_monitoring_runs_when_its_files_change(tmp_path, monkeypatch) -> None:
    """A hook given `--against slos` with the manifest's `files:` skipped a commit that changed only
    slos/ ('no files to check'): the drift it brought passed. The docs' example names the folder in
    `files:` too, beside every file check reads."""
    text = (REPO / "docs/reviewing-changes.md").read_text()
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", text, flags=re.S) if "--against" in b)
    (hook,) = yaml.safe_load(block)
    folder = hook["args"][hook["args"].index("--against") + 1]
    files = re.compile(hook["files"])
    assert files.search(f"{folder}/myservice.sloth.yml"), hook["files"]
    for build_input in BUILD_INPUTS:
        assert files.search(a_file_under(build_input)), build_input
    (manifest,) = [h for h in yaml.safe_load(HOOKS.read_text()) if h["id"] == hook["id"]]
    (command,) = servicebook_commands(" ".join([manifest["entry"], *hook["args"]]))
    monkeypatch.chdir(tmp_path)
    (tmp_path / folder).mkdir()
    assert_real_command(command)


def commands_of_scripts(path: Path) -> list[list[str]]:
    """The servicebook commands in the action's or the component's scripts, with the options the
    scripts add (`args=(…)`, `args+=(--strict)`, `$strict`, `$fail_on`) in each of their choices,
    and folder variables replaced by a folder that exists."""
    text = path.read_text()
    found = []
    arrays = [shlex.split(a) for a in re.findall(r"\bargs=\(([^)]*)\)", text)]
    lines = re.findall(r"^\s*(?:- )?(servicebook [^\n]*)", text, flags=re.M)
    for command in servicebook_commands("\n".join(lines)):
        if command == ["--version"]:
            continue
        if command[0].startswith("args["):  # servicebook "${args[@]}"
            found += [*arrays, *[[*a, "--strict"] for a in arrays]]
            continue
        choices = {
            "strict": ([], ["--strict"]),
            "fail_on": (["never"], ["weakened"]),
            "$@": ([], ["--against", "SERVICEBOOK_SOURCE"]),  # set -- --against "$SERVICEBOOK_AGAINST"
        }
        variants: list[list[str]] = [[]]
        for word in command:
            variants = [[*v, *choice] for v in variants for choice in choices.get(word, ([word],))]
        found += variants
    return [[w.replace("$", "") for w in c] for c in found]


@pytest.mark.parametrize("path", [ACTION, *COMPONENTS], ids=lambda p: p.name)
def test_every_servicebook_command_in_the_action_and_component_parses(path, tmp_path, monkeypatch) -> None:
    commands = commands_of_scripts(path)
    assert {c[0] for c in commands} >= {"check", "diff", "build"}, path
    for folder in ("SOURCE", "SERVICEBOOK_SOURCE"):
        (tmp_path / folder).mkdir()
    monkeypatch.chdir(tmp_path)
    for command in commands:
        assert_real_command(command)


def test_a_misspelt_option_would_be_caught() -> None:
    with pytest.raises(click.UsageError):
        assert_real_command(["diff", "main", "--fail-on", "weakend"])
    with pytest.raises(click.UsageError):
        assert_real_command(["check", "--formats", "github"])


PIN = re.compile(
    r"(?:/servicebook(?:\.git)?@|rev: |servicebook-)(v?\d[\w.+-]*?)(?:\"|`|\s|-py3-none-any\.whl|\.tar\.gz|$)", re.M
)
RELEASED = re.findall(r"^## \[(\d[^\]]*)\] — \d{4}-\d\d-\d\d$", (REPO / "CHANGELOG.md").read_text(), re.M)[0]


def test_every_pin_in_the_docs_and_examples_names_the_latest_release_spelled_as_its_tag() -> None:
    """The docs pin the latest release in the CHANGELOG (its tag, its wheel and sdist). The tool's
    release tags are bare versions (`0.2.0`): this repository's example catalog publishes its own
    releases from tags matching its `release_tags` (`v*` by default), so a `v0.2.0` tag of the tool
    would become a release of the example site."""
    from dataclasses import fields
    from fnmatch import fnmatchcase

    from servicebook.catalog.model import Site

    pins: dict[str, set[str]] = {}
    for path in [
        REPO / "README.md",
        *sorted((REPO / "docs").glob("*.md")),
        *sorted((REPO / "examples").rglob("*.yml")),
    ]:
        for found in PIN.findall(path.read_text()):
            pins.setdefault(found, set()).add(str(path.relative_to(REPO)))
    assert set(pins) == {RELEASED}, pins
    default = next(f.default for f in fields(Site) if f.name == "release_tags")
    release_tags = yaml.safe_load((REPO / "catalog.yaml").read_text())["site"].get("release_tags", default)
    assert not fnmatchcase(RELEASED, release_tags)


def _release(version: str) -> tuple[int, int, int, bool]:
    found = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)(\.dev\d+)?", version)
    assert found, f"{version} is not X.Y.Z or X.Y.Z.devN"
    return int(found[1]), int(found[2]), int(found[3]), found[4] is not None


def test_the_version_is_the_latest_release_or_a_development_version_of_a_later_one() -> None:
    """Between releases the code says `X.Y.Z.devN` of the next release, so that a wheel built from
    main is not taken for the release it follows (`verify` and the site name the version)."""
    from servicebook import __version__

    *mine, development = _release(__version__)
    *released, released_development = _release(RELEASED)
    assert not released_development
    assert mine > released if development else mine == released


@pytest.mark.parametrize("source", [".", "docs/catalog"])
def test_the_gitlab_review_job_reads_the_pages_jobs_cache_without_writing_it(
    source, run, tmp_path, monkeypatch
) -> None:
    """The review job restores the cache the `pages` job saved, under the one key both jobs name,
    read only (`policy: pull`: a merge request never changes what the default branch's build starts
    from), and unpacks the source's store alone from it: its check reads the pages the merge
    request did not change from there."""
    _, jobs = yaml.safe_load_all(COMPONENTS[0].read_text().replace("$[[ inputs.source ]]", source))
    review, pages = jobs["servicebook-review"]["cache"], jobs["pages"]["cache"]
    assert review == {**pages, "policy": "pull"}
    assert pages.get("policy", "pull-push") == "pull-push"
    assert "$" not in pages["key"]  # not the branch's: the review job's branch is the merge request's
    env = {**os.environ, "SERVICEBOOK_SOURCE": source}
    built = tmp_path / "pages"
    shutil.copytree(REPO / "tests" / "sites" / "minimal", built / source, dirs_exist_ok=True)
    monkeypatch.chdir(built)
    assert run("build", "--source", source, "--output", "public").exit_code == 0
    subprocess.run(["sh", "-ec", jobs["pages"]["script"][-1]], env=env, check=True)
    checkout = tmp_path / "review"
    shutil.copytree(REPO / "tests" / "sites" / "minimal", checkout / source, dirs_exist_ok=True)
    shutil.copy2(built / "servicebook-cache.tar", checkout)
    monkeypatch.chdir(checkout)
    unpack = jobs["servicebook-review"]["script"][0]
    subprocess.run(["sh", "-ec", unpack], env=env, check=True)
    store = store_file(Path(source) / ".servicebook-cache")
    before, after = os.stat(built / store), os.stat(store)
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert not Path("public").exists()  # the site is the pages job's alone
    assert run("check", "--source", source).exit_code == 0


def test_the_gitlab_review_job_reports_the_checks_problems_as_code_quality() -> None:
    """The merge request's Code Quality widget shows check's problems: the job writes the report
    its artifacts declare (`check --format gitlab`), on every outcome."""
    _, jobs = yaml.safe_load_all(COMPONENTS[0].read_text())
    review = jobs["servicebook-review"]
    assert review["artifacts"]["reports"] == {"codequality": "gl-code-quality-report.json"}
    assert review["artifacts"]["when"] == "always"
    (check,) = [line for line in review["script"] if line.startswith("servicebook check ")]
    assert check.endswith(" --format gitlab > gl-code-quality-report.json")


@pytest.mark.git
def test_the_gitlab_jobs_of_an_organisation_site_fetch_its_members_in_a_fresh_checkout(tmp_path) -> None:
    """An organisation site reads its members at their locked commits from .servicebook-cache/,
    which a fresh checkout without the pages job's cache (a fork's merge request, a first
    pipeline) has not got: its check, diff and build failed with "not in the cache"
    (newuser23). Both jobs fetch them first when the source has a servicebook.lock."""
    db = Member(tmp_path, "db", "Database Team")
    project = organisation(tmp_path, f"  - id: db-team\n    repository: {db.url}\n")
    site = GitSite(project)
    assert main.main(["federate", "update", "--source", str(project)], standalone_mode=False) is None
    site.commit("The organisation site with its first member")
    db.publish("Lower the availability objective", objective="99.9")
    site.git("checkout", "-q", "-b", "move-the-lock")
    main.main(["federate", "update", "--source", str(project)], standalone_mode=False)
    site.commit("Move db-team")
    checkout = tmp_path / "checkout"
    site.git("clone", "-q", "--branch", "move-the-lock", str(project), str(checkout))
    done = subprocess.run(
        ["sh", "-ec", review_script()],
        cwd=checkout,
        env=review_job_env("true"),
        capture_output=True,
        text=True,
        check=False,
    )
    log = done.stdout + done.stderr
    assert done.returncode == 3, log
    assert "not in the cache" not in log
    assert (
        "db-team: SLO “Availability” of “Postgres” lowered from 99.95 % to 99.9 %"
        in (checkout / "catalog-diff.md").read_text()
    )
    _, jobs = yaml.safe_load_all(COMPONENTS[0].read_text())
    pages = tmp_path / "pages"
    site.git("clone", "-q", str(project), str(pages))
    done = subprocess.run(
        ["sh", "-ec", "\n".join(jobs["pages"]["script"])],
        cwd=pages,
        env={**review_job_env("true"), "SERVICEBOOK_STRICT": "false"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (pages / "public/offerings/db-team/postgres/index.html").is_file()
