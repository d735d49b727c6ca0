"""The GitHub Action (action.yml) does what its inputs say: its shell steps, taken from action.yml
as they are, run with bash as the runner runs them (`bash --noprofile --norc -eo pipefail`), with
the inputs in their env as the runner evaluates them, against scratch git repositories.

The install step is real too: it pip-installs servicebook from a copy of this checkout (as
`github.action_path` is the action's own checkout) into a fresh virtualenv, asking the package
index for what pip has not cached."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import REPO, SITES, GitSite
from .test_federation import Member, _fresh

pytestmark = [pytest.mark.dist, pytest.mark.git]

ACTION = yaml.safe_load((REPO / "action.yml").read_text())
STEPS = {s["name"]: s for s in ACTION["runs"]["steps"] if "run" in s}
EXPRESSION = re.compile(r"^\$\{\{ (inputs\.[\w-]+|github\.action_path) \}\}$")


def step_env(step: dict, inputs: dict[str, str], action_path: Path) -> dict[str, str]:
    """The step's env as the runner evaluates it: each value is one of ${{ inputs.NAME }} (the
    input given, else its default) or ${{ github.action_path }}."""
    env = {}
    for name, value in step.get("env", {}).items():
        match = EXPRESSION.match(value)
        assert match, f"{name}: {value!r} is not an expression this test evaluates"
        what = match[1]
        if what == "github.action_path":
            env[name] = str(action_path)
        else:
            key = what.removeprefix("inputs.")
            env[name] = inputs.get(key, ACTION["inputs"][key]["default"])
    return env


class Runner:
    """Runs the action's steps in `workspace` the way the runner does, recording the outputs."""

    def __init__(self, venv: Path, action_path: Path, workspace: Path, temp: Path) -> None:
        self.venv, self.action_path, self.workspace, self.temp = venv, action_path, workspace, temp
        self.logs: list[str] = []

    def run(self, name: str, **inputs: str) -> subprocess.CompletedProcess[str]:
        step = STEPS[name]
        output = self.temp / f"output-{len(self.logs)}"
        output.write_text("")
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
        env.update(
            PATH=f"{self.venv / 'bin'}{os.pathsep}{env['PATH']}",
            GITHUB_OUTPUT=str(output),
            GITHUB_STEP_SUMMARY=str(self.temp / "summary.md"),
            RUNNER_TEMP=str(self.temp),
            **step_env(step, inputs, self.action_path),
        )
        script = self.temp / "step.sh"
        script.write_text(step["run"])
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.workspace,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        self.logs.append(done.stdout + done.stderr)
        done.outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())  # type: ignore[attr-defined]
        return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A fresh virtualenv in which the action's install step has run, and the action's checkout."""
    root = tmp_path_factory.mktemp("action")
    action_path = root / "servicebook"
    ignore = shutil.ignore_patterns(".venv", "public", ".git", "dist", "build", "*.egg-info", "__pycache__", ".*_cache")
    shutil.copytree(REPO, action_path, ignore=ignore)
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    runner = Runner(venv, action_path, root, root)
    done = runner.run("Install servicebook")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stdout.strip().startswith("servicebook, version ")
    return venv, action_path


@pytest.fixture
def runner(installed, tmp_path) -> Runner:
    venv, action_path = installed
    (tmp_path / "temp").mkdir()
    return Runner(venv, action_path, tmp_path / "repo", tmp_path / "temp")


@pytest.fixture
def pull_request(runner: Runner) -> GitSite:
    """A catalog in a sub-folder `catalog/` on main, and a branch that lowers an objective."""
    shutil.copytree(SITES / "minimal", runner.workspace / "catalog")
    repo = GitSite(runner.workspace)
    repo.commit("Initial catalog")
    repo.git("checkout", "-q", "-b", "lower-slo")
    repo.edit("objective: 99.5", "objective: 99", "catalog/catalog.yaml")
    repo.commit("Lower the pipelines' objective")
    return repo


def test_the_scripts_take_inputs_only_through_env() -> None:
    for step in STEPS.values():
        assert "${{" not in step["run"], step["name"]  # an input spliced into a script could inject shell
        assert step["shell"] == "bash"


def test_check_diff_and_build_write_the_outputs_the_action_declares(runner, pull_request) -> None:
    check = runner.run("Check the catalog and policy pages", source="catalog", build="false")
    assert check.returncode == 0, check.stdout + check.stderr
    diff = runner.run("Describe the change in the catalog's terms", source="catalog", **{"diff-base": "main"})
    assert diff.returncode == 0, diff.stdout + diff.stderr
    assert diff.outputs["summary"] == "1 change: 1 weakens a commitment, 0 strengthen one, 0 neutral"
    markdown = Path(diff.outputs["markdown"]).read_text()
    assert "lowered from 99.5 % to 99 %" in markdown
    assert markdown in (runner.temp / "summary.md").read_text()  # the job's summary page shows it
    build = runner.run("Build the site", source="catalog")
    assert build.returncode == 0, build.stdout + build.stderr
    assert build.outputs == {"site": "catalog/public"}
    assert (runner.workspace / "catalog/public/offerings/ci/index.html").is_file()
    declared = {k: v["value"] for k, v in ACTION["outputs"].items()}
    assert declared == {
        "site": "${{ steps.build.outputs.site }}",
        "diff-summary": "${{ steps.diff.outputs.summary }}",
        "diff-file": "${{ steps.diff.outputs.markdown }}",
        "diff-weakened": "${{ steps.diff.outputs.weakened }}",
    }
    assert (
        STEPS["Build the site"]["id"] == "build" and STEPS["Describe the change in the catalog's terms"]["id"] == "diff"
    )


def test_fail_on_weakened_fails_after_writing_the_diff(runner, pull_request) -> None:
    diff = runner.run(
        "Describe the change in the catalog's terms",
        source="catalog",
        **{"diff-base": "main", "fail-on-weakened": "true"},
    )
    assert diff.returncode == 3
    # the job fails with an annotation that says where the diff is, and every output is written
    # first: a later step that runs on failure (to post the diff) reads them
    assert (
        "::error title=servicebook::1 change weakens a commitment (fail-on-weakened): the diff is on the job's "
        "summary page and in the diff-file output"
    ) in diff.stdout
    assert diff.outputs == {
        "markdown": str(runner.temp / "servicebook-diff.md"),
        "summary": "1 change: 1 weakens a commitment, 0 strengthen one, 0 neutral",
        "weakened": "1",
    }
    assert "⚠️ **Weakens a commitment:**" in (runner.temp / "servicebook-diff.md").read_text()
    pull_request.git("checkout", "-q", "main")
    same = runner.run(
        "Describe the change in the catalog's terms",
        source="catalog",
        **{"diff-base": "main", "fail-on-weakened": "true"},
    )
    assert same.returncode == 0, same.stderr
    assert same.outputs["summary"].startswith("0 changes: 0 weaken a commitment, 0 strengthen one")


def test_strict_and_no_build_inputs(runner, pull_request) -> None:
    pull_request.edit("    since: 2026-01-01\n  - id: hand", "    since: 2026-01-01\n    review_by: 2026-01-02\n  - id: hand",
                      "catalog/catalog.yaml")  # fmt: skip
    pull_request.commit("Review date passed")
    relaxed = runner.run("Check the catalog and policy pages", source="catalog", build="false")
    assert relaxed.returncode == 0
    assert "::warning file=catalog/catalog.yaml," in relaxed.stdout
    strict = runner.run("Check the catalog and policy pages", source="catalog", strict="true", build="false")
    assert strict.returncode == 1
    assert "::error file=catalog/catalog.yaml," in strict.stdout
    built = runner.run(
        "Build the site", source="catalog", output="warned-site"
    )  # the build annotates as the check does
    assert built.returncode == 0, built.stderr
    assert "::warning file=catalog/catalog.yaml," in built.stdout
    refused = runner.run("Build the site", source="catalog", strict="true", output="strict-site")
    assert refused.returncode == 1
    assert "::error file=catalog/catalog.yaml," in refused.stdout
    assert "build failed: 1 warning (--strict); nothing was written." in refused.stderr
    assert not (runner.workspace / "strict-site").exists()
    skipped = runner.run("Build the site", source="catalog", build="false")
    assert (skipped.returncode, skipped.outputs) == (0, {})
    assert not (runner.workspace / "catalog" / "public").exists()
    elsewhere = runner.run("Build the site", source="catalog", output="site")
    assert elsewhere.returncode == 0, elsewhere.stderr
    assert elsewhere.outputs == {"site": "site"} and (runner.workspace / "site" / "index.html").is_file()


def test_a_missing_source_folder_fails_with_a_located_error_not_a_traceback(runner, pull_request) -> None:
    done = runner.run("Check the catalog and policy pages", source="catalogue")
    assert done.returncode == 1
    assert done.stdout.startswith("::error title=servicebook::the source folder 'catalogue' does not exist in ")
    assert "'source' input" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("source", "catalogue\n::warning title=forged::all good"),
        ("output", "public\nsite=/etc"),
        ("against", "slos\r\n::error::forged"),
    ],
)
def test_an_input_holding_a_line_break_is_refused_before_anything_prints_or_writes_it(
    runner, pull_request, name: str, value: str
) -> None:
    """A folder's name is printed in a workflow command and written as a line of $GITHUB_OUTPUT,
    both read a line at a time: a line break in an input (a value pasted from a multi-line
    expression) made what followed it a command of its own (an annotation, or a forged `site`
    output). The first step refuses it, naming the input; no later step runs."""
    done = runner.run("Check the catalog and policy pages", **{name: value})
    assert done.returncode == 1
    assert done.stdout == (
        f"::error title=servicebook::the action's '{name}' input holds a line break: name a folder without one\n"
    )


def test_an_invalid_catalog_is_annotated_on_its_line(runner, pull_request) -> None:
    pull_request.edit("objective: 99", "objective: 101", "catalog/catalog.yaml")
    line = next(i for i, text in enumerate((runner.workspace / "catalog/catalog.yaml").read_text().splitlines(), 1)
                if "objective: 101" in text)  # fmt: skip
    done = runner.run("Check the catalog and policy pages", source="catalog", build="false")
    assert done.returncode == 1
    assert f"::error file=catalog/catalog.yaml,line={line},col=20," in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    built = runner.run("Build the site", source="catalog")
    assert built.returncode == 1 and built.outputs == {}
    assert f"::error file=catalog/catalog.yaml,line={line},col=20," in built.stdout
    assert "build failed: 1 error; nothing was written." in built.stderr
    assert "Traceback" not in built.stdout + built.stderr


def test_a_job_that_builds_checks_once_in_the_build_not_before_it(runner, pull_request) -> None:
    """The build checks everything check does: with `build` the check step leaves it to the build
    (a check first did the whole work again without the build's cache: ~21 CPU s at 5,000 pages)."""
    pull_request.edit("objective: 99", "objective: 101", "catalog/catalog.yaml")
    names = [s.get("name") for s in ACTION["runs"]["steps"]]
    assert names.index("Build the site") < names.index("Describe the change in the catalog's terms")
    skipped = runner.run("Check the catalog and policy pages", source="catalog")
    assert (skipped.returncode, skipped.stdout) == (0, "")
    assert runner.run("Build the site", source="catalog").returncode == 1
    missing = runner.run("Check the catalog and policy pages", source="catalogue")
    assert missing.returncode == 1 and "the source folder 'catalogue' does not exist" in missing.stdout


def test_fail_on_weakened_without_a_base_is_refused(runner, pull_request) -> None:
    done = runner.run("Describe the change in the catalog's terms", source="catalog", **{"fail-on-weakened": "true"})
    assert done.returncode == 1
    assert "::error title=servicebook::fail-on-weakened needs diff-base" in done.stdout


def test_an_unknown_base_fails_with_servicebooks_message(runner, pull_request) -> None:
    done = runner.run("Describe the change in the catalog's terms", source="catalog", **{"diff-base": "origin/main"})
    assert done.returncode == 2
    assert "error:" in done.stderr and "origin/main" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    # the diff-file output is set all the same: a comment posted from it says why there is no diff
    said = Path(done.outputs["markdown"]).read_text()
    assert "**The catalogs could not be compared:** unknown revision 'origin/main'" in said
    assert "weakened" not in done.outputs


PYRRA_CI = """apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: pipelines-up
  namespace: ci
  annotations:
    servicebook.dev/slo: ci/availability
spec:
  target: "99.9"
  window: 30d
  indicator:
    ratio:
      errors:
        metric: pipeline_starts_total{outcome="late"}
      total:
        metric: pipeline_starts_total
"""


def test_against_compares_the_slos_with_the_monitorings_files_even_in_a_job_that_builds(runner, pull_request) -> None:
    """A team whose SLOs are measured with Sloth, Pyrra or OpenSLO files wires the drift check into
    its workflow with `against`: the docs had only `servicebook check --against` in a terminal, and
    a job that builds skipped the check step, so the action could not compare them."""
    (runner.workspace / "monitoring").mkdir()
    (runner.workspace / "monitoring" / "ci.yaml").write_text(PYRRA_CI)
    line = next(i for i, text in enumerate((runner.workspace / "catalog/catalog.yaml").read_text().splitlines(), 1)
                if "objective: 99" in text)  # fmt: skip
    drifted = runner.run("Check the catalog and policy pages", source="catalog", against="monitoring")
    assert drifted.returncode == 1, drifted.stdout + drifted.stderr
    assert f"::error file=catalog/catalog.yaml,line={line},col=20," in drifted.stdout
    assert "but Pyrra SLO 'pipelines-up'" in drifted.stdout
    pull_request.edit("objective: 99", "objective: 99.9", "catalog/catalog.yaml")
    agreed = runner.run("Check the catalog and policy pages", source="catalog", against="monitoring", build="false")
    assert agreed.returncode == 0, agreed.stdout + agreed.stderr
    missing = runner.run("Check the catalog and policy pages", source="catalog", against="slos")
    assert missing.returncode == 1
    assert missing.stdout.startswith("::error title=servicebook::'slos' does not exist in ")
    assert "'against' input" in missing.stdout


def test_against_takes_one_file_as_check_against_does(runner, pull_request) -> None:
    """`check --against slos/ci.yaml` compares with that one file; the action's `against` took a
    folder only and refused the file as 'the folder … does not exist' (newuser21)."""
    (runner.workspace / "monitoring").mkdir()
    (runner.workspace / "monitoring" / "ci.yaml").write_text(PYRRA_CI)
    line = next(i for i, text in enumerate((runner.workspace / "catalog/catalog.yaml").read_text().splitlines(), 1)
                if "objective: 99" in text)  # fmt: skip
    drifted = runner.run("Check the catalog and policy pages", source="catalog", against="monitoring/ci.yaml")
    assert drifted.returncode == 1, drifted.stdout + drifted.stderr
    assert f"::error file=catalog/catalog.yaml,line={line},col=20," in drifted.stdout
    assert "but Pyrra SLO 'pipelines-up'" in drifted.stdout


def test_an_organisation_sites_fresh_checkout_fetches_its_members_before_it_checks_builds_and_diffs(
    runner, tmp_path
) -> None:
    """An organisation site reads its members at their locked commits from .servicebook-cache/,
    which a fresh checkout (a fork's pull request, a job without the cache) has not got: every
    step failed with "not in the cache" (newuser23). The action fetches them first when the
    source has a servicebook.lock, and a pull request that moves the lock is diffed as it is."""
    db = Member(tmp_path, "db", "Database Team")
    origin = GitSite(_fresh(tmp_path / "origin"))
    shutil.copytree(SITES / "minimal", origin.root / "catalog")
    with (origin.root / "catalog" / "catalog.yaml").open("a") as f:
        f.write(f"members:\n  - id: db-team\n    repository: {db.url}\n")
    servicebook = [str(runner.venv / "bin" / "servicebook"), "federate", "update", "--source", "catalog"]
    subprocess.run(servicebook, cwd=origin.root, check=True, capture_output=True)
    origin.commit("The organisation site with its first member")
    db.publish("Lower the availability objective", objective="99.9")
    origin.git("checkout", "-q", "-b", "move-the-lock")
    subprocess.run(servicebook, cwd=origin.root, check=True, capture_output=True)
    origin.commit("Move db-team")
    subprocess.run(
        ["git", "clone", "-q", "--branch", "move-the-lock", str(origin.root), str(runner.workspace)], check=True
    )
    subprocess.run(["git", "-C", str(runner.workspace), "branch", "-q", "main", "origin/main"], check=True)
    assert not (runner.workspace / "catalog" / ".servicebook-cache").exists()
    fetched = runner.run("Fetch the members an organisation site locks", source="catalog")
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    assert "db-team" in fetched.stdout + fetched.stderr
    build = runner.run("Build the site", source="catalog")
    assert build.returncode == 0, build.stdout + build.stderr
    assert (runner.workspace / "catalog/public/offerings/db-team/postgres/index.html").is_file()
    diff = runner.run(
        "Describe the change in the catalog's terms",
        source="catalog",
        **{"diff-base": "main", "fail-on-weakened": "true"},
    )
    assert diff.returncode == 3, diff.stdout + diff.stderr
    assert (
        "db-team: SLO “Availability” of “Postgres” lowered from 99.95 % to 99.9 %"
        in Path(diff.outputs["markdown"]).read_text()
    )
    # a team's own site, without a lock: the step does nothing
    again = runner.run("Fetch the members an organisation site locks", source=".")
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
