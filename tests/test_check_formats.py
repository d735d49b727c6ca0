"""`check --format json|github|gitlab`: problems for machines, in a documented, stable shape."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from servicebook.errors import Problem, Severity, SourceLocation
from servicebook.report import check_gitlab, escape_data, escape_property, github_command, shown_from

from .conftest import BROKEN_LAYOUT_LINK, SITES, GitSite, add_broken_layout_link

# check never writes; a refused build says it left the output alone
SAID_AFTER = {"check": ".", "build": "; nothing was written."}


def break_objective(site) -> None:
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("objective: 99.5", "objective: 101"))


def test_json_lists_every_problem_with_position_and_a_summary(run, site_copy) -> None:
    site = site_copy("minimal")
    break_objective(site)
    result = run("check", "--source", site, "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc == {
        "servicebook_check": 1,
        "problems": [
            {
                "file": "catalog.yaml",
                "line": 59,
                "column": 20,
                "severity": "error",
                "message": "'objective' must be a percentage between 0 and 100 (exclusive), not '101'",
                "hint": "e.g. 99.9",
            }
        ],
        "summary": {"ok": False, "errors": 1, "warnings": 0},
    }


def test_json_of_a_clean_site_is_ok(run, site_copy) -> None:
    result = run("check", "--source", site_copy("minimal"), "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "servicebook_check": 1,
        "problems": [],
        "summary": {"ok": True, "errors": 0, "warnings": 0},
    }


def test_github_format_prints_workflow_commands(run, site_copy, tmp_path, monkeypatch) -> None:
    site = site_copy("minimal")
    break_objective(site)
    monkeypatch.chdir(tmp_path)
    result = run("check", "--source", "minimal", "--format", "github")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "::error file=minimal/catalog.yaml,line=59,col=20,title=servicebook error::'objective' must be a percentage "
        "between 0 and 100 (exclusive), not '101'%0Ahint: e.g. 99.9",
        "servicebook check failed: 1 error, 0 warnings",
    ]


def test_a_build_in_the_github_format_annotates_what_check_does_and_writes_nothing(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """A CI job that builds need not check first (the action's build step): the build's problems are
    the same workflow commands, the check's own lines."""
    site = site_copy("minimal")
    break_objective(site)
    monkeypatch.chdir(tmp_path)
    checked = run("check", "--source", "minimal", "--format", "github")
    built = run("build", "--source", "minimal", "--format", "github")
    assert built.exit_code == 1
    assert built.stdout.splitlines() == checked.stdout.splitlines()[:-1]
    assert built.stderr.strip().endswith("build failed: 1 error; nothing was written.")
    assert not (site / "public").exists()


def test_a_build_in_the_github_format_annotates_its_warnings_and_under_strict_as_errors(run, site_copy) -> None:
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("name: Platform Team", "name: Platform Team #platform", 1))
    lenient = run("build", "--source", site, "--format", "github", "--quiet")
    assert lenient.exit_code == 0, lenient.output
    assert lenient.stdout.startswith("::warning file=catalog.yaml,")
    assert (site / "public" / "index.html").is_file()
    strict = run("build", "--source", site, "--output", site / "strict", "--format", "github", "--strict")
    assert strict.exit_code == 1
    assert strict.stdout.startswith("::error file=catalog.yaml,")
    assert not (site / "strict").exists()


@pytest.mark.git
def test_an_annotation_names_its_file_from_the_repositorys_top_wherever_the_command_runs(
    run, tmp_path, monkeypatch
) -> None:
    """The runner looks for an annotation's file from the repository's top: a step with
    `working-directory: docs` and `--source catalog`, or an absolute --source, annotated
    `file=catalog/catalog.yaml` or `file=catalog.yaml`, which is no file there."""
    site = tmp_path / "repo" / "docs" / "catalog"
    shutil.copytree(SITES / "minimal", site)
    GitSite(tmp_path / "repo").commit("A catalog in docs/catalog")
    break_objective(site)
    monkeypatch.chdir(tmp_path / "repo" / "docs")
    for command in ("check", "build"):
        for source in ("catalog", str(site)):
            result = run(command, "--source", source, "--format", "github")
            assert result.exit_code == 1
            assert result.stdout.startswith("::error file=docs/catalog/catalog.yaml,line=59,col=20,"), result.stdout
    as_json = run("check", "--source", "catalog", "--format", "json")  # documented: from the current folder
    assert json.loads(as_json.stdout)["problems"][0]["file"] == "catalog/catalog.yaml"


def test_github_escaping_follows_the_runner_rules() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%d\n") == "a%3Ab%2Cc%25d%0A"
    problem = Problem(SourceLocation("content/a,b:c.md", 3, 1), "bad: 100%", "fix, then\nretry", Severity.WARNING)
    assert github_command(problem) == (
        "::warning file=content/a%2Cb%3Ac.md,line=3,col=1,title=servicebook warning::bad: 100%25%0Ahint: fix, then%0Aretry"
    )


def test_whole_file_problems_have_no_line(run, tmp_path) -> None:
    result = run("check", "--source", tmp_path, "--format", "github")
    assert result.stdout.splitlines()[0] == (
        "::error file=catalog.yaml,title=servicebook error::file not found%0Ahint: point --source at the folder "
        "that holds catalog.yaml, or start a site with `servicebook init DIR`"
    )
    doc = json.loads(run("check", "--source", tmp_path, "--format", "json").stdout)
    assert doc["problems"][0]["line"] is None and doc["problems"][0]["column"] is None


@pytest.mark.git
def test_check_warns_about_a_shallow_clone(git_site, run, tmp_path) -> None:
    git_site.edit('version: "0.1"', 'version: "0.2"')
    git_site.commit("second")
    clone = tmp_path / "shallow"
    git_site.git("clone", "-q", "--depth", "1", f"file://{git_site.root}", str(clone))
    result = run("check", "--source", clone)
    assert result.exit_code == 0
    assert result.stderr == (
        f"{clone / 'catalog.yaml'}: warning: this is a shallow clone: `check` is complete here, but a build from it "
        "would publish a truncated change history and none of the releases before the fetched part of the history\n"
        "  hint: fetch the whole history and the release tags before building: `git fetch --unshallow --tags`; in "
        'CI, check out with `fetch-depth: 0` (GitHub Actions) or `GIT_DEPTH: "0"` (GitLab CI)\n'
    )
    # check reads only the working tree, which a shallow clone (CI's default checkout) holds whole:
    # a pull-request job is not failed for it (build --strict is: tests/test_versions.py)
    strict = run("check", "--source", clone, "--strict")
    assert strict.exit_code == 0
    doc = json.loads(run("check", "--source", clone, "--format", "json").stdout)
    assert doc["problems"][0]["severity"] == "warning"


def test_strict_annotates_the_warnings_that_fail_it_as_errors(run, site_copy) -> None:
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("name: Platform Team", "name: Platform Team #platform", 1))
    lenient = run("check", "--source", site, "--format", "github")
    assert lenient.exit_code == 0
    assert lenient.stdout.startswith("::warning file=catalog.yaml,")
    strict = run("check", "--source", site, "--format", "github", "--strict")
    assert strict.exit_code == 1
    assert strict.stdout.startswith("::error file=catalog.yaml,")
    assert strict.stdout.splitlines()[-1] == "servicebook check failed: 1 error, 0 warnings"


def test_text_names_files_as_paths_to_open_from_the_current_folder(run, site_copy, tmp_path, monkeypatch) -> None:
    site = site_copy("minimal")  # tmp_path/minimal
    break_objective(site)
    where = "catalog.yaml:59:20: error: 'objective' must be a percentage"
    monkeypatch.chdir(tmp_path)  # the repository root, the site in a sub-folder
    assert run("check", "--source", "minimal").stderr.startswith(f"minimal/{where}")
    assert run("check", "--source", site).stderr.startswith(f"minimal/{where}")  # absolute, but under here
    assert run("build", "--source", "minimal").stderr.startswith(f"minimal/{where}")
    monkeypatch.chdir(site)
    assert run("check").stderr.startswith(where)
    monkeypatch.chdir(site / "content")
    assert run("check", "--source", "..").stderr.startswith(f"../{where}")  # not under here: as given
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert run("build", "--source", site).stderr.startswith(f"{site}/{where}")
    # the machine formats stay relative to the repository root (the current folder)
    monkeypatch.chdir(tmp_path)
    assert json.loads(run("check", "--source", "minimal", "--format", "json").stdout)["problems"][0]["file"] == (
        "minimal/catalog.yaml"
    )


def test_text_shows_warnings_and_page_problems_the_same_way(run, site_copy, tmp_path, monkeypatch) -> None:
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("name: Platform Team", "name: Platform Team #platform", 1))
    page = site / "content" / "welcome.md"
    page.write_text(page.read_text().replace("(offering:ci)", "(offering:cii)"))
    monkeypatch.chdir(tmp_path)
    lines = run("check", "--source", "minimal").stderr.splitlines()
    located = [line.split(": ")[0] for line in lines if ": error: " in line or ": warning: " in line]
    assert [p.rsplit(":", 2)[0] for p in located] == ["minimal/catalog.yaml", "minimal/content/welcome.md"]


def test_paths_that_are_not_source_files_are_shown_as_they_are(tmp_path) -> None:
    show = shown_from(Path("site"), tmp_path)
    assert show("catalog.yaml") == "site/catalog.yaml"
    assert show("content/a/b.md") == "site/content/a/b.md"
    assert show("layouts/base.html") == "site/layouts/base.html"
    for other in ("git", "(built-in theme) base.html", "offerings/ci/index.html", "release 1.0 (0123456789ab)"):
        assert show(other) == other
    assert shown_from(Path("/srv/site"), tmp_path)("catalog.yaml") == "/srv/site/catalog.yaml"
    assert shown_from(tmp_path / "site", tmp_path)("catalog.yaml") == "site/catalog.yaml"


def test_ci_formats_prefix_only_source_files_with_the_sites_folder() -> None:
    from servicebook.errors import Problem, Severity, SourceLocation
    from servicebook.report import github_command, problem_dict

    in_catalog = Problem(SourceLocation("catalog.yaml", 3, 1), "broken")
    from_git = Problem(SourceLocation("git"), "shallow", severity=Severity.WARNING)
    assert problem_dict(in_catalog, "docs/catalog")["file"] == "docs/catalog/catalog.yaml"
    assert problem_dict(from_git, "docs/catalog")["file"] == "git"
    assert github_command(from_git, "docs/catalog").startswith("::warning file=git")


def add_comment_trap(site) -> None:
    """A warning found while loading: a value cut short by ' #word'."""
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("name: Platform Team", "name: Platform Team #platform", 1))


def test_warnings_are_reported_with_the_link_errors_rendering_finds(run, site_copy) -> None:
    site = site_copy("minimal")
    add_comment_trap(site)
    add_broken_layout_link(site)
    doc = json.loads(run("check", "--source", site, "--format", "json").stdout)
    assert doc["summary"] == {"ok": False, "errors": 1, "warnings": 1}
    assert [p["severity"] for p in doc["problems"]] == ["warning", "error"]
    for command in ("check", "build"):
        result = run(command, "--source", site)
        assert result.exit_code == 1
        assert "catalog.yaml:7:" in result.stderr and ": warning: " in result.stderr
        assert BROKEN_LAYOUT_LINK in result.stderr
        assert result.stderr.splitlines()[-1] == f"{command} failed: 1 error, 1 warning{SAID_AFTER[command]}"


def test_warnings_are_reported_with_a_template_error(run, site_copy) -> None:
    site = site_copy("minimal")
    add_comment_trap(site)
    (site / "layouts").mkdir(exist_ok=True)
    (site / "layouts/policies.html").write_text(
        '{% extends "theme/policies.html" %}{% block content %}{{ nope }}{% endblock %}'
    )
    for command in ("check", "build"):
        result = run(command, "--source", site)
        assert result.exit_code == 1
        assert ": warning: " in result.stderr
        assert "'nope' is undefined" in result.stderr
        assert result.stderr.splitlines()[-1] == f"{command} failed: 1 error, 1 warning{SAID_AFTER[command]}"


@pytest.mark.git
def test_gitlab_format_writes_a_code_quality_report_and_the_problems_for_the_log(run, tmp_path, monkeypatch) -> None:
    """GitLab shows a Code Quality report in the merge request: one issue per problem, its path
    from the repository's top (GitLab looks for it there, as GitHub's runner does), a fingerprint
    it tells new problems from fixed ones by; the job's log gets the problems as people read them."""
    site = tmp_path / "repo" / "docs" / "catalog"
    shutil.copytree(SITES / "minimal", site)
    GitSite(tmp_path / "repo").commit("A catalog in docs/catalog")
    break_objective(site)
    monkeypatch.chdir(tmp_path / "repo" / "docs")
    result = run("check", "--source", "catalog", "--format", "gitlab")
    assert result.exit_code == 1
    (issue,) = json.loads(result.stdout)
    fingerprint = issue.pop("fingerprint")
    assert issue == {
        "description": "'objective' must be a percentage between 0 and 100 (exclusive), not '101' (hint: e.g. 99.9)",
        "check_name": "servicebook error",
        "severity": "major",
        "location": {"path": "docs/catalog/catalog.yaml", "lines": {"begin": 59}},
    }
    assert json.loads(run("check", "--source", "catalog", "--format", "gitlab").stdout)[0]["fingerprint"] == fingerprint
    assert result.stderr.splitlines()[0] == (
        "docs/catalog/catalog.yaml:59:20: error: 'objective' must be a percentage between 0 and 100 (exclusive), "
        "not '101'"
    )
    assert result.stderr.splitlines()[-1] == "servicebook check failed: 1 error, 0 warnings"


def test_gitlab_format_rates_warnings_minor_errors_major_and_a_whole_file_at_its_first_line(
    run, site_copy, tmp_path
) -> None:
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("name: Platform Team", "name: Platform Team #platform", 1))
    lenient = run("check", "--source", site, "--format", "gitlab")
    assert lenient.exit_code == 0
    assert [(i["severity"], i["check_name"]) for i in json.loads(lenient.stdout)] == [("minor", "servicebook warning")]
    assert lenient.stderr.splitlines()[-1] == "servicebook check passed: 0 errors, 1 warning"
    strict = run("check", "--source", site, "--format", "gitlab", "--strict")
    assert strict.exit_code == 1
    assert [i["severity"] for i in json.loads(strict.stdout)] == ["major"]
    missing = json.loads(run("check", "--source", tmp_path, "--format", "gitlab").stdout)
    assert missing[0]["location"] == {"path": "catalog.yaml", "lines": {"begin": 1}}


def test_gitlab_fingerprints_differ_for_every_issue_of_a_report_even_the_same_problem_twice() -> None:
    """GitLab shows one issue per fingerprint: two alike problems at one place would show as one."""
    twice = Problem(SourceLocation("catalog.yaml", 3, 1), "bad", None, Severity.WARNING)
    other = Problem(SourceLocation("catalog.yaml", 4, 1), "bad", None, Severity.WARNING)
    issues = json.loads(check_gitlab([twice, twice, other])[0])
    assert len({i["fingerprint"] for i in issues}) == 3
    assert json.loads(check_gitlab([twice])[0])[0]["fingerprint"] == issues[0]["fingerprint"]
