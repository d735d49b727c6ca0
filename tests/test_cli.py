"""The commands a user types."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from servicebook.cli import main
from servicebook.errors import BuildFailed, Problem, Severity, SourceLocation

from .conftest import REPO, SITES
from .sitefiles import tree

# The lines init writes into a new .gitignore, or adds to one that lacks them: the output, the
# build cache, and the folders a build makes beside the output for a while.
STARTER_IGNORES = "/public/\n/.servicebook-cache/\n/.public.*/\n/.servicebook-trash-*/\n"


def test_init_scaffolds_a_site_that_builds(run, tmp_path) -> None:
    target = tmp_path / "new-site"
    assert run("init", target).exit_code == 0
    result = run("build", "--source", target)
    assert result.exit_code == 0, result.output
    assert (target / "public/index.html").exists()


def test_init_with_a_team_names_that_team_where_the_starter_names_the_platform_team(run, tmp_path) -> None:
    """Each team that starts a catalog to federate gets its own name, contacts, channels and
    on-call texts (written as YAML reads them back, whatever the name holds), not "Platform Team"."""
    target = tmp_path / "payments"
    assert run("init", "--team", "Payments: Cards #1", target).exit_code == 0
    catalog = (target / "catalog.yaml").read_text()
    assert "platform" not in catalog.lower().replace("delivery platform", "")
    assert '  name: "Payments: Cards #1"\n' in catalog
    assert '    owner: "Payments: Cards #1"\n' in catalog
    assert "      email: payments-cards-1@example.com\n" in catalog
    assert '      name: "#payments-cards-1-help"\n' in catalog
    assert (
        'summary: "What to expect from Payments: Cards #1, and what not to."'
        in (target / "content" / "welcome.md").read_text()
    )
    built = run("build", "--source", target)
    assert built.exit_code == 0, built.output
    home = (target / "public" / "index.html").read_text()
    assert "<title>Payments: Cards #1 services" in home
    assert "payments-cards-1-oncall" in (target / "public" / "support" / "index.html").read_text()


@pytest.mark.git
def test_init_with_a_team_in_a_repository_on_master_says_the_ref_the_organisation_writes(run, tmp_path) -> None:
    """`git init` makes `master` where git is not told otherwise, and a member's entry follows
    `main` unless it says `ref:`: the organisation's first `federate update` was refused for every
    team (newuser23). A team's init says so where the branch is not main, and nothing where it is."""
    for branch, said in (("master", True), ("main", False)):
        target = tmp_path / branch
        subprocess.run(["git", "init", "-q", "-b", branch, str(target)], check=True)
        result = run("init", "--team", "Payments Team", target)
        assert result.exit_code == 0, result.output
        line = (
            f"This repository's branch is {branch}: the organisation's catalog.yaml names this team under "
            f"`members:` with `ref: {branch}` (it follows main otherwise; docs/federating.md)"
        )
        assert (line in result.output) is said, result.output


def test_init_with_a_team_keeps_every_letter_of_an_accented_name_in_its_addresses(run, tmp_path) -> None:
    """The e-mail address, chat channel and pager made of the team's name: accented letters were
    dropped ("quipe-paiements@example.com" for Équipe Paiements; newuser21)."""
    for team, slug in (
        ("Équipe Paiements", "equipe-paiements"),
        ("Zahlungsplattform Süd-Straße", "zahlungsplattform-sud-strasse"),
    ):
        target = tmp_path / slug
        assert run("init", "--team", team, target).exit_code == 0
        catalog = (target / "catalog.yaml").read_text()
        assert yaml.safe_load(catalog)["team"]["name"] == team  # the name itself as written
        assert f"      email: {slug}@example.com\n" in catalog
        assert f'      name: "#{slug}-help"\n' in catalog
        assert f'page "{slug}-oncall"' in catalog


def test_init_with_a_team_finds_every_line_it_names_the_team_in() -> None:
    from servicebook.site.scaffold import starter_lines_named

    assert starter_lines_named() == {"catalog.yaml": [], "content/welcome.md": []}


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--team", "  "], "--team '  ': give the team's name as readers know it, on one line"),
        (["--team", "\x1b[31mPayments"], "--team '\\u001b[31mPayments': give the team's name"),
        (["--team", "Payments", "--example"], "--team names the starter's team; --example writes the bank's example"),
    ],
)
def test_init_with_a_team_refuses_what_is_no_team_name(run, tmp_path, args, said) -> None:
    result = run("init", *args, tmp_path / "site")
    assert result.exit_code != 0
    assert said in result.output
    assert not (tmp_path / "site").exists()


def test_init_outside_git_says_to_keep_the_site_in_git(run, tmp_path) -> None:
    result = run("init", tmp_path / "site")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-2:] == [
        "Keep it in git: the site's change history, its releases and the review_by checks come from git.",
        f"Next: cd {tmp_path / 'site'}, then git init, git add -A, git commit, and servicebook build",
    ]  # not `git init` where init was run (the home folder, often), with `build --source site`


def test_init_example_writes_the_full_example_catalog_which_builds(run, tmp_path) -> None:
    site = tmp_path / "bank"
    result = run("init", "--example", site)
    assert result.exit_code == 0, result.output
    assert (site / "catalog.yaml").read_bytes() == (REPO / "catalog.yaml").read_bytes()
    pages = sorted(p.relative_to(site / "content") for p in (site / "content").rglob("*") if p.is_file())
    assert pages == sorted(p.relative_to(REPO / "content") for p in (REPO / "content").rglob("*") if p.is_file())
    assert (site / "layouts" / "README.md").is_file()
    snapshots = sorted(p.name for p in (REPO / "measurements").iterdir())
    assert snapshots and sorted(p.name for p in (site / "measurements").iterdir()) == snapshots
    built = run("build", "--source", site)
    assert built.exit_code == 0, built.output
    assert (site / "public" / "tools" / "jenkins" / "index.html").is_file()


def test_init_example_refuses_a_folder_holding_one_of_its_pages(run, tmp_path) -> None:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "change-approval.md").write_text("mine")
    result = run("init", "--example", tmp_path)
    assert result.exit_code == 2
    assert "already has content/change-approval.md;" in result.stderr
    assert not (tmp_path / "catalog.yaml").exists()


def test_check_in_a_folder_without_a_catalog_says_how_to_start(run, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for command in ("check", "build"):
        result = run(command)
        assert result.exit_code == 1
        assert "catalog.yaml: error: file not found" in result.stderr
        assert "servicebook init" in result.stderr
        assert "Traceback" not in result.output


def test_init_never_overwrites(run, tmp_path) -> None:
    (tmp_path / "catalog.yaml").write_text("mine")
    result = run("init", tmp_path)
    assert result.exit_code == 2
    assert (tmp_path / "catalog.yaml").read_text() == "mine"


@pytest.mark.git
def test_init_accepts_a_fresh_repository_with_a_readme_license_and_gitignore(run, tmp_path, monkeypatch) -> None:
    # what people do: git init, a README and a LICENSE from the hosting service, then `init .`
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "README.md").write_text("# Our catalog\n")
    (tmp_path / "LICENSE").write_text("MIT\n")
    (tmp_path / ".gitignore").write_text("*.pyc")  # no final newline
    monkeypatch.chdir(tmp_path)
    result = run("init", ".")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "README.md").read_text() == "# Our catalog\n"
    assert (tmp_path / "LICENSE").read_text() == "MIT\n"
    assert (tmp_path / ".gitignore").read_text() == "*.pyc\n" + STARTER_IGNORES
    assert "added /public/, /.servicebook-cache/, /.public.*/ and /.servicebook-trash-*/ to .gitignore" in result.output
    # as docs/getting-started.md says: commit before the first build
    assert result.output.rstrip().endswith("Next: commit it (git add -A, git commit), then servicebook build")
    assert run("init", ".").exit_code == 2  # a second init finds its own files, and changes nothing
    assert (tmp_path / ".gitignore").read_text() == "*.pyc\n" + STARTER_IGNORES


@pytest.mark.git
def test_init_without_a_folder_writes_into_the_repository_it_is_run_in(run, tmp_path, monkeypatch) -> None:
    """`git init && servicebook init --team …`, as `git init` takes the current folder: it was
    click's "Missing argument 'DIRECTORY'" (newuser21)."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "README.md").write_text("# Our catalog\n")  # as a forge makes a repository
    monkeypatch.chdir(tmp_path)
    result = run("init", "--team", "Payments Platform")
    assert result.exit_code == 0, result.output
    assert "  name: Payments Platform\n" in (tmp_path / "catalog.yaml").read_text()
    # (then, on a branch not named main, the ref: the organisation writes: test_init_with_a_team_in_a_repository_on_master…)
    assert "\nNext: commit it (git add -A, git commit), then servicebook build\n" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)  # a folder just made, outside any repository's top
    assert run("init").exit_code == 0
    assert (empty / "catalog.yaml").is_file()


def test_init_without_a_folder_elsewhere_asks_for_one_and_writes_nothing(run, tmp_path, monkeypatch) -> None:
    """In a folder of other files that is no repository's top (the home folder, often), init
    would scatter a site among them: it names the two ways to say where."""
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "projects").mkdir()
    monkeypatch.chdir(tmp_path)
    result = run("init")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: name the folder for the new site: `servicebook init my-catalog` makes it; `servicebook init .` "
        "writes into this folder (not the top of a git repository; it already holds notes.txt, projects)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "projects"]


def test_init_adds_to_a_gitignore_only_what_it_lacks(run, tmp_path) -> None:
    (tmp_path / ".gitignore").write_text("public/\n.venv/\n")
    result = run("init", tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / ".gitignore").read_text() == "public/\n.venv/\n" + STARTER_IGNORES
    (tmp_path / "again").mkdir()
    (tmp_path / "again" / ".gitignore").write_text(STARTER_IGNORES)
    result = run("init", tmp_path / "again")
    assert result.exit_code == 0, result.output
    assert "to " + str(tmp_path / "again" / ".gitignore") not in result.output
    assert (tmp_path / "again" / ".gitignore").read_text() == STARTER_IGNORES


@pytest.mark.git
def test_a_starter_site_s_git_sees_none_of_the_folders_a_build_makes_beside_its_output(run, tmp_path) -> None:
    """While a build runs, and until a detached process has removed them, the new site being made,
    the replaced one and a spare's replaced files are folders beside public/ (site/write.py): a
    `git add -A` meanwhile must not commit them."""
    site = tmp_path / "site"
    site.mkdir()
    subprocess.run(["git", "init", "-q", str(site)], check=True)
    assert run("init", site).exit_code == 0
    assert run("build", "--source", site).exit_code == 0
    for folder in (".public.new-k2j4", ".public.old-9x1q", ".servicebook-trash-public-a7c3"):
        (site / folder / "policies").mkdir(parents=True)
        (site / folder / "policies" / "index.html").write_text("<!doctype html>")
    status = subprocess.run(
        ["git", "-C", str(site), "status", "--porcelain", "--untracked-files=all"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    listed = sorted(line[3:] for line in status.splitlines())
    assert listed == [".gitignore", "catalog.yaml", "content/welcome.md", "layouts/README.md"]


def test_init_refuses_naming_every_file_it_would_overwrite_and_writes_nothing(run, tmp_path) -> None:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "welcome.md").write_text("mine")
    (tmp_path / "layouts").write_text("a file where init makes a folder")
    result = run("init", tmp_path)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {tmp_path} already has content/welcome.md, layouts; init never overwrites a file: "
        "move them away or choose another folder\n"
    )
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["content", "layouts", "welcome.md"]
    assert (tmp_path / "content" / "welcome.md").read_text() == "mine"


def test_init_into_a_dangling_symbolic_link_says_where_it_points(run, tmp_path) -> None:
    (tmp_path / "site").symlink_to(tmp_path / "gone")
    result = run("init", tmp_path / "site")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {tmp_path / 'site'} is a symbolic link to {tmp_path / 'gone'}, which does not exist: "
        "make that folder, or choose another\n"
    )  # it said "cannot write …/site: File exists"
    (tmp_path / "gone").mkdir()
    assert run("init", tmp_path / "site").exit_code == 0
    assert (tmp_path / "gone" / "catalog.yaml").is_file()


def test_init_explains_layouts_and_its_readme_is_not_published(run, tmp_path) -> None:
    site = tmp_path / "site"
    result = run("init", site)
    assert result.exit_code == 0, result.output
    # init names the docs pages to read, never a path inside the installed package
    assert f"templates in {site / 'layouts'}/ override the built-in theme: docs/customising.md" in result.output
    assert "docs/writing-a-catalog.md" in result.output
    assert "src/servicebook" not in result.output and "site-packages" not in result.output
    readme = (site / "layouts" / "README.md").read_text()
    assert "base.html" in readme and "docs/customising.md" in readme
    assert "src/servicebook" not in readme
    for page in re.findall(r"docs/[\w-]+\.md", result.output + readme + (site / "catalog.yaml").read_text()):
        assert (REPO / page).is_file(), page  # every page init points to exists
    built = run("build", "--strict", "--source", site)
    assert built.exit_code == 0, built.output
    assert built.stderr == ""
    published = [p for p in (site / "public").rglob("*") if p.is_file()]
    assert published and not [p for p in published if "README" in p.name]
    assert not [p for p in published if b"your own templates" in p.read_bytes()]


def test_init_readme_in_layouts_does_not_count_as_a_site_template(run, tmp_path) -> None:
    # A site with templates of its own re-renders every page on any change; the README init
    # writes is not a template, so a one-page edit keeps the other pages (the same files).
    site = tmp_path / "site"
    assert run("init", site).exit_code == 0
    assert run("build", "--source", site).exit_code == 0
    kept = site / "public" / "offerings" / "ci" / "index.html"
    before = kept.stat().st_ino
    welcome = site / "content" / "welcome.md"
    welcome.write_text(welcome.read_text() + "\nOne more paragraph.\n")
    assert run("build", "--source", site).exit_code == 0
    assert kept.stat().st_ino == before
    (site / "layouts" / "note.txt").write_text("a file a template could include")
    welcome.write_text(welcome.read_text() + "\nAnd another.\n")
    assert run("build", "--source", site).exit_code == 0
    assert kept.stat().st_ino != before


def test_check_writes_nothing(run, site_copy) -> None:
    site = site_copy("minimal")
    result = run("check", "--source", site)
    assert result.exit_code == 0
    assert result.output.strip() == (
        "Ready to build: 1 offering, 1 SLO, 2 tool decisions, 1 policy page; no errors, no warnings."
    )
    assert not (site / "public").exists()


@pytest.mark.parametrize(
    ("layout", "verdict"),
    [
        # the changes page's own template is rendered by check as by build, not stood in for
        ('{% extends "theme/changes.html" %}{% block content %}<a href="{{ url(\'gone/\') }}">x</a>{% endblock %}', 1),
        # a file the build makes from the others (the manifest) is a file of the site for check too
        (
            '{% extends "theme/home.html" %}{% block content %}<a href="{{ url(\'manifest.sha256\') }}">x</a>{% endblock %}',
            0,
        ),
    ],
    ids=["changes-page-link-broken", "manifest-link-fine"],
)
def test_check_and_build_agree_on_every_file_the_build_makes(run, site_copy, layout: str, verdict: int) -> None:
    site = site_copy("minimal")
    name = "changes.html" if "changes" in layout else "home.html"
    (site / "layouts").mkdir()
    (site / "layouts" / name).write_text(layout)
    checked = run("check", "--source", site)
    built = run("build", "--source", site)
    assert (checked.exit_code, built.exit_code) == (verdict, verdict), checked.output + built.output
    assert checked.stderr.rsplit("\n", 2)[0] == built.stderr.rsplit("\n", 2)[0]  # the same problems
    if verdict:
        assert "changes/index.html: error: broken link to '../gone/'" in checked.stderr


def test_strict_turns_overdue_review_into_failure(run, site_copy) -> None:
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_text(
        catalog.read_text().replace(
            "    since: 2026-01-01\n  - id: hand", "    since: 2026-01-01\n    review_by: 2026-06-01\n  - id: hand"
        )
    )
    relaxed = run("check", "--source", site)
    assert relaxed.exit_code == 0
    assert "warning: the decision on 'Shared pipeline templates' was due for review on 2026-06-01" in relaxed.stderr
    strict = run("check", "--strict", "--source", site)
    assert strict.exit_code == 1
    assert strict.stderr.endswith("\ncheck failed: 1 warning (--strict).\n")
    assert "nothing was written" not in strict.output  # check never writes: it has nothing to reassure about
    assert relaxed.stdout.endswith("; no errors, 1 warning (above).\n")


def test_failure_summary_blames_strict_only_when_warnings_alone_failed() -> None:
    error = Problem(SourceLocation("catalog.yaml", 3, 1), "broken")
    warning = Problem(SourceLocation("catalog.yaml", 4, 1), "odd", severity=Severity.WARNING)
    assert BuildFailed([error, warning], action="check").message == "check failed: 1 error, 1 warning."
    assert BuildFailed([warning, warning]).message == "build failed: 2 warnings (--strict); nothing was written."


def test_review_date_comes_from_source_date_epoch_not_the_clock(site_copy) -> None:
    from click.testing import CliRunner

    from servicebook.cli import main

    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_text(
        catalog.read_text().replace(
            "    since: 2026-01-01\n  - id: hand", "    since: 2026-01-01\n    review_by: 2030-01-01\n  - id: hand"
        )
    )
    in_2031 = CliRunner().invoke(main, ["check", "--source", str(site)], env={"SOURCE_DATE_EPOCH": "1924992000"})
    in_2026 = CliRunner().invoke(main, ["check", "--source", str(site)], env={"SOURCE_DATE_EPOCH": "1790000000"})
    assert "due for review on 2030-01-01" in in_2031.stderr
    assert in_2026.stderr == ""


def _with_review_date(site: Path, date: str = "2030-01-01") -> None:
    catalog = site / "catalog.yaml"
    catalog.write_text(
        catalog.read_text().replace(
            "    since: 2026-01-01\n  - id: hand", f"    since: 2026-01-01\n    review_by: {date}\n  - id: hand"
        )
    )


def _undated(site: Path) -> str:
    """The note, at the first review_by of the site's catalog."""
    lines = (site / "catalog.yaml").read_text().split("\n")
    n = next(i for i, line in enumerate(lines, 1) if line.strip().startswith("review_by:"))
    return (
        f"catalog.yaml:{n}:5: warning: review_by dates were not checked: the build has no date (no commit, and "
        "SOURCE_DATE_EPOCH is unset)\n"
        f" {n} | {lines[n - 1]}\n"
        f" {' ' * len(str(n))} |     ^\n"
        "  hint: commit the site, or set SOURCE_DATE_EPOCH to the date to judge them by, e.g. "
        "SOURCE_DATE_EPOCH=$(date +%s)\n"
    )


def test_without_a_build_date_review_dates_are_said_to_be_unchecked_without_failing_strict(
    site_copy, monkeypatch
) -> None:
    # "Today" never comes from the wall clock; outside git with SOURCE_DATE_EPOCH unset there is no
    # date at all, and a clean check must not read as "every decision was reviewed in time". It is
    # a fact about where the build runs, not a mistake in the catalog: --strict does not fail on it.
    from click.testing import CliRunner

    from servicebook.cli import main

    site = site_copy("minimal")
    _with_review_date(site)
    monkeypatch.chdir(site)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    undated = {"SOURCE_DATE_EPOCH": None, "GIT_CEILING_DIRECTORIES": str(site.parent)}
    for args in (["check"], ["check", "--strict"], ["build", "--strict"]):
        result = CliRunner().invoke(main, args, env=undated)
        assert result.exit_code == 0, result.output
        assert result.stderr == _undated(site)
        # the closing line counts it as the warning it is shown as (it said "no warnings")
        if args[0] == "check":
            assert result.stdout.endswith("; no errors, 1 warning (above).\n"), result.stdout
        else:
            assert re.search(r"^  warnings +1$", result.stdout, re.M), result.stdout
    doc = json.loads(CliRunner().invoke(main, ["check", "--strict", "--format", "json"], env=undated).stdout)
    assert doc["summary"] == {"ok": True, "errors": 0, "warnings": 1}
    assert doc["problems"][0]["severity"] == "warning"
    assert f"catalog.yaml:{doc['problems'][0]['line']}:5: warning: review_by" in _undated(site)
    dated = CliRunner().invoke(main, ["check", "--strict"], env={"SOURCE_DATE_EPOCH": "1790000000"})
    assert (dated.exit_code, dated.stderr) == (0, "")


@pytest.mark.parametrize(
    ("args", "verdict"),
    [
        (["check"], "check failed: 1 error, 1 warning."),
        (["build"], "build failed: 1 error, 1 warning; nothing was written."),
        (["build", "--format", "github"], "build failed: 1 error, 1 warning; nothing was written."),
        (["check", "--strict"], "check failed: 1 error, 1 warning."),
    ],
)
def test_a_failure_counts_the_undated_review_note_it_shows(site_copy, monkeypatch, args, verdict) -> None:
    """A failing check said "1 error" under the review_by note it had shown as a warning: every
    count a command prints is of what it shows."""
    from click.testing import CliRunner

    from servicebook.cli import main

    site = site_copy("minimal")
    _with_review_date(site)
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("objective: 99.5", "objective: 199.5"))
    monkeypatch.chdir(site)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    undated = {"SOURCE_DATE_EPOCH": None, "GIT_CEILING_DIRECTORIES": str(site.parent)}
    result = CliRunner().invoke(main, args, env=undated)
    assert result.exit_code == 1, result.output
    shown = result.stderr + result.stdout
    assert shown.count("warning: review_by dates were not checked") + shown.count("::warning ") == 1, shown
    assert result.stderr.rstrip("\n").endswith(verdict), result.stderr


def test_a_strict_failure_counts_apart_the_undated_review_note_strict_does_not_fail_on(site_copy, monkeypatch) -> None:
    from click.testing import CliRunner

    from servicebook.cli import main

    site = site_copy("minimal")
    _with_review_date(site)
    catalog = site / "catalog.yaml"  # a warning: deprecated, without saying what replaces it
    catalog.write_text(catalog.read_text().replace("lifecycle: ga", "lifecycle: deprecated", 1))
    monkeypatch.chdir(site)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    undated = {"SOURCE_DATE_EPOCH": None, "GIT_CEILING_DIRECTORIES": str(site.parent)}
    result = CliRunner().invoke(main, ["check", "--strict"], env=undated)
    assert result.exit_code == 1, result.output
    assert result.stderr.count(": warning: ") == 2, result.stderr
    assert result.stderr.endswith("check failed: 1 warning (--strict), 1 more not subject to it.\n"), result.stderr


@pytest.mark.git
def test_the_first_commit_gives_review_dates_their_date(site_copy, monkeypatch) -> None:
    from click.testing import CliRunner

    from servicebook.cli import main

    from .conftest import GitSite

    site = site_copy("minimal")
    _with_review_date(site, "2026-03-01")
    monkeypatch.chdir(site)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    repo = GitSite(site)  # git init: no commit yet, so still no date
    undated = CliRunner().invoke(main, ["check"], env={"SOURCE_DATE_EPOCH": None})
    assert undated.stderr == _undated(site)
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "First catalog")  # dated 2026-05-28
    dated = CliRunner().invoke(main, ["check"], env={"SOURCE_DATE_EPOCH": None})
    assert "review_by dates were not checked" not in dated.stderr
    assert "was due for review on 2026-03-01" in dated.stderr


def test_a_review_date_written_in_flow_style_is_said_to_be_unchecked(site_copy, monkeypatch) -> None:
    """A tool decision on one line, `- {id: …, review_by: …}`, as the README's own example writes
    tools: its date is as unchecked as one on a line of its own, and said so, where it is."""
    from click.testing import CliRunner

    from servicebook.cli import main

    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    flow = (
        "  - {id: hand-rolled-scripts, name: Hand-rolled CI scripts, category: ci, status: unsupported, "
        "reason: We cannot support build logic we did not write., alternative: shared-pipelines, "
        "since: 2026-01-01, review_by: 2030-01-01}\n"
    )
    text = catalog.read_text()
    start = text.index("  - id: hand-rolled-scripts\n")
    end = text.index("    since: 2026-01-01\n", start) + len("    since: 2026-01-01\n")
    catalog.write_text(text[:start] + flow + text[end:])
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    undated = {"SOURCE_DATE_EPOCH": None, "GIT_CEILING_DIRECTORIES": str(site.parent)}
    result = CliRunner().invoke(main, ["check", "--source", str(site)], env=undated)
    assert result.exit_code == 0, result.output
    n = catalog.read_text().split("\n").index(flow.rstrip("\n")) + 1
    column = flow.index("review_by") + 1
    assert result.stderr.startswith(
        f"{site / 'catalog.yaml'}:{n}:{column}: warning: review_by dates were not checked: the build has no date"
    ), result.stderr
    dated = CliRunner().invoke(main, ["check", "--source", str(site)], env={"SOURCE_DATE_EPOCH": "1924992000"})
    assert "due for review on 2030-01-01" in dated.stderr


def test_a_catalog_without_review_dates_gets_no_note(site_copy, monkeypatch) -> None:
    from click.testing import CliRunner

    from servicebook.cli import main

    site = site_copy("minimal")
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    result = CliRunner().invoke(
        main,
        ["check", "--source", str(site)],
        env={"SOURCE_DATE_EPOCH": None, "GIT_CEILING_DIRECTORIES": str(site.parent)},
    )
    assert (result.exit_code, result.stderr) == (0, "")


def test_schema_is_json_schema_with_documented_fields(run) -> None:
    schema = json.loads(run("schema").output)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    slo = schema["$defs"]["SLO"]
    assert slo["required"] == ["id", "name", "sli", "objective", "window"]
    assert "OpenSLO" in slo["properties"]["objective"]["description"]
    assert schema["$defs"]["Tool"]["properties"]["status"]["enum"] == [
        "supported",
        "best-effort",
        "deprecated",
        "unsupported",
    ]


def test_build_py_and_console_script_are_the_same_cli() -> None:
    direct = subprocess.run(
        [sys.executable, str(REPO / "build.py"), "--help"], capture_output=True, text=True, check=True
    )
    assert "servicebook: publish" in direct.stdout
    assert "build" in direct.stdout and "check" in direct.stdout


def test_missing_catalog_is_a_located_error(run, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("check", "--source", tmp_path)
    assert result.exit_code == 1
    assert result.stderr.startswith("catalog.yaml: error: file not found")


def test_check_catches_template_errors_like_build(run, site_copy) -> None:
    site = site_copy("minimal")
    (site / "layouts").mkdir(exist_ok=True)
    (site / "layouts/policy.html").write_text(
        '{% extends "theme/policy.html" %}\n{% block content %}{{ pgae.title }}{% endblock %}\n'
    )
    result = run("check", "--source", site)
    assert result.exit_code == 1
    assert (
        "layouts/policy.html:2:1: error: while rendering policies/welcome/index.html: 'pgae' is undefined\n"
        "  hint: did you mean 'page'?\n" in result.stderr
    )
    assert not (site / "public").exists()


@pytest.mark.parametrize(
    ("template", "said", "hint"),
    [
        (
            '{% extends "theme/policy.html" %}\n{% block content %}{% include "macro.html" %}{% endblock %}\n',
            "layouts/policy.html:2:1: error: while rendering policies/welcome/index.html: there is no template "
            "'macro.html' in layouts/ or the built-in theme",
            "did you mean 'macros.html'?",
        ),
        (
            '{% extends "theme/polcy.html" %}\n',
            "layouts/policy.html:1:1: error: while rendering policies/welcome/index.html: there is no template "
            "'theme/polcy.html' in layouts/ or the built-in theme",
            "did you mean 'theme/policy.html'?",
        ),
        (
            '{% extends "theme/policy.html" %}\n{% block content %}{% include "banner-for-q3.html" %}{% endblock %}\n',
            "there is no template 'banner-for-q3.html' in layouts/ or the built-in theme",
            "add it to layouts/, or name a built-in one",
        ),
    ],
)
def test_a_template_that_names_a_missing_template_says_which_and_the_nearest(
    run, site_copy, template, said, hint
) -> None:
    """It said only `while rendering …: macro.html` (jinja's TemplateNotFound is just the name)."""
    site = site_copy("minimal")
    (site / "layouts").mkdir(exist_ok=True)
    (site / "layouts/policy.html").write_text(template)
    result = run("build", "--source", site)
    assert result.exit_code == 1
    assert said in result.stderr and f"hint: {hint}" in result.stderr
    assert "Traceback" not in result.stderr and not (site / "public").exists()


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ("{{ 1 / 0 }}", "ZeroDivisionError: division by zero"),
        ('{{ "%s %s" % (1,) }}', "TypeError: not enough arguments for format string"),
        (
            "{% macro again() %}{{ again() }}{% endmacro %}{{ again() }}",
            "the templates never stop calling one another: layouts/policy.html:2 → layouts/policy.html:2 → …",
        ),
    ],
)
def test_a_template_whose_own_code_fails_is_a_located_error_not_a_traceback(run, site_copy, body, said) -> None:
    """A site's own template that divides by zero, formats wrongly or calls itself without end
    failed in Python rather than in Jinja: it was 'internal error: this is a bug in servicebook'
    with a traceback (exit 70); it is the template's error, at its line, as an undefined name is."""
    site = site_copy("minimal")
    (site / "layouts").mkdir(exist_ok=True)
    (site / "layouts/policy.html").write_text(
        '{% extends "theme/policy.html" %}\n{% block content %}' + body + "{{ super() }}{% endblock %}\n"
    )
    result = run("build", "--source", site)
    assert result.exit_code == 1, result.output
    assert "layouts/policy.html:2:1: error: while rendering policies/welcome/index.html: " + said in result.stderr
    assert "Traceback" not in result.stderr and not (site / "public").exists()


def test_nonexistent_source_is_a_usage_error_naming_it(run, tmp_path) -> None:
    result = run("check", "--source", tmp_path / "nope")
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_run_inside_a_sites_content_folder_says_where_the_site_is(run, site_copy, monkeypatch) -> None:
    site = site_copy("minimal")
    (site / "content" / "security").mkdir()
    monkeypatch.chdir(site / "content" / "security")
    result = run("check")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == [
        "catalog.yaml: error: file not found",
        "  hint: the site is the folder above, ../..: run servicebook there, or give --source ../..",
    ]
    monkeypatch.chdir(site)
    assert "give --source ." in run("check", "--source", "content").stderr


def test_empty_folder_says_how_to_start(run, tmp_path) -> None:
    result = run("check", "--source", tmp_path)
    assert result.exit_code == 1
    assert (
        "hint: point --source at the folder that holds catalog.yaml, or start a site with `servicebook init DIR`"
        in result.stderr
    )


def test_channel_name_cut_by_a_yaml_comment_is_warned_about(run, site_copy) -> None:
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_text(
        catalog.read_text().replace("how: Add the pipeline template to your repository.", "how: Ask in #platform-help.")
    )
    result = run("check", "--source", site)
    assert result.exit_code == 0
    assert "warning: '#platform-help.' starts a YAML comment, so it is not part of the value" in result.stderr
    assert 'hint: quote the whole value if it belongs to it: how: "Ask in #platform-help."' in result.stderr
    catalog.write_text(catalog.read_text().replace("how: Ask in", "- use_for: Ask in"))
    listed = run("check", "--source", site)
    assert 'hint: quote the whole value if it belongs to it: use_for: "Ask in #platform-help."' in listed.stderr


@pytest.mark.parametrize(
    ("written", "meant"),
    [("0.999", "99.9"), ("0.995", "99.5"), ("0.5", "50"), ("0.99999", "99.999"), ("0.01", "1"), ('"0.9 %"', "90")],
)
def test_objective_below_one_percent_is_an_error_that_says_the_percentage_meant(run, site_copy, written, meant) -> None:
    """No service promises less than 1 %: such an objective is a fraction typed for a percentage."""
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("objective: 99.5", f"objective: {written}"))
    result = run("check", "--source", site)
    assert result.exit_code == 1
    assert "is below 1 %: objectives are percentages" in result.stderr
    assert f"hint: did you mean {meant}? (write 99.9 for 99.9 %, not the fraction 0.999)" in result.stderr


def test_objective_of_one_percent_or_more_but_low_is_only_a_warning(run, site_copy) -> None:
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    for written in ("1", "9.99", "49.9"):
        catalog.write_text(
            (SITES / "minimal/catalog.yaml").read_text().replace("objective: 99.5", f"objective: {written}")
        )
        result = run("check", "--source", site)
        assert result.exit_code == 0, result.output
        assert f"warning: objective {written} % is unusually low" in result.stderr


@pytest.mark.git
def test_footer_of_a_repository_without_commits(run, site_copy) -> None:
    import subprocess

    site = site_copy("minimal")
    subprocess.run(["git", "init", "-q", str(site)], check=True)
    assert run("build", "--source", site).exit_code == 0
    html = (site / "public/index.html").read_text()
    assert "built from a git repository with no commits yet" in html
    assert "not under version control" not in html


def test_python_build_py_without_dependencies_says_what_to_do(tmp_path) -> None:
    """The system interpreter may lack our dependencies: that is set-up, not a bug of ours."""
    done = subprocess.run(
        [
            sys.executable,
            "-S",
            "-c",
            f"import runpy, sys; sys.argv=['build.py', '--help']; runpy.run_path({str(REPO / 'build.py')!r})",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "is not installed. Run `make site`" in done.stderr


def test_ctrl_c_says_which_whole_site_the_output_holds(run, site_copy, monkeypatch) -> None:
    import servicebook.site.build
    import servicebook.site.buildcache

    def interrupt(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    site = site_copy("minimal")
    assert run("build", "--source", site).exit_code == 0
    before = tree(site / "public")
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("name: Platform Team", "name: Delivery Team"))
    with monkeypatch.context() as patch:  # while rendering: nothing was written
        patch.setattr(servicebook.site.build, "render_site", interrupt)
        result = run("build", "--source", site)
    assert (result.exit_code, result.stderr) == (130, "interrupted; the previous site was left as it was\n")
    assert tree(site / "public") == before
    with monkeypatch.context() as patch:  # after the swap, while recording it
        patch.setattr(servicebook.site.buildcache.BuildCache, "record", interrupt)
        result = run("build", "--source", site)
    assert result.exit_code == 130
    assert result.stderr == "interrupted after the new site was in place; the next build finishes recording it\n"
    assert b"Delivery Team" in (site / "public" / "index.html").read_bytes()
    with monkeypatch.context() as patch:  # a command that writes nothing says only that
        patch.setattr(servicebook.site.build, "render_site", interrupt)
        result = run("check", "--source", site)
    assert (result.exit_code, result.stderr) == (130, "interrupted\n")


def test_ctrl_c_during_a_first_build_does_not_speak_of_a_previous_site(run, site_copy, monkeypatch) -> None:
    import servicebook.site.build

    def interrupt(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    site = site_copy("minimal")
    monkeypatch.setattr(servicebook.site.build, "render_site", interrupt)
    result = run("build", "--source", site)
    assert (result.exit_code, result.stderr) == (130, "interrupted; nothing was published\n")
    assert not (site / "public").exists()


def test_schema_prints_exactly_the_published_schema_json(run, site_copy) -> None:
    site = site_copy("minimal")
    assert run("build", "--source", site).exit_code == 0
    printed = run("schema").stdout.encode()
    assert printed == (site / "public" / "schema.json").read_bytes()


def test_a_spare_that_is_a_symbolic_link_is_removed_not_followed(run, site_copy, tmp_path) -> None:
    site = site_copy("minimal")
    assert run("build", "--source", site).exit_code == 0
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    spare = site / ".servicebook-cache" / "build" / "public.spare"
    shutil.rmtree(spare)  # the one the build left (hard links to its files)
    spare.symlink_to(outside)
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("name: Platform Team", "name: Delivery Team"))
    assert run("build", "--source", site).exit_code == 0
    assert (outside / "keep.txt").read_text() == "keep"
    assert spare.is_dir() and not spare.is_symlink()  # the replaced site, kept for the next build
    assert not [p for p in site.iterdir() if p.name.startswith((".servicebook-trash", ".public."))]


def test_a_response_promised_around_the_clock_needs_someone_on_call(run, site_copy) -> None:
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    with_oncall = catalog.read_text()
    oncall = with_oncall[with_oncall.index("  oncall:\n") : with_oncall.index("categories:\n")]
    catalog.write_text(with_oncall.replace(oncall, ""))
    result = run("check", "--source", site)
    assert result.exit_code == 0
    assert (
        "warning: sev1 (Critical) is answered around the clock, but nobody is on call outside business hours"
        in result.stderr
    )
    staffed = with_oncall.replace(oncall, "").replace("days: mon-fri", "days: mon-sun").replace('"09:00"', '"00:00"')
    catalog.write_text(staffed.replace('end: "17:00"', 'end: "24:00"'))
    assert "around the clock" not in run("check", "--source", site).stderr


def test_every_command_module_is_registered_and_its_help_line_is_its_docstring() -> None:
    import pkgutil

    import servicebook.commands
    from servicebook.cli import main
    from servicebook.commands.lazy import LazyGroup

    registered: set[str] = set()

    def walk(group: LazyGroup) -> None:
        ctx = click.Context(group)
        for name, (module, line) in group.table.items():
            registered.add(module)
            command = group.get_command(ctx, name)
            assert command is not None and command.name == name
            assert (command.help or "").split("\n\n")[0].strip() == line
            if isinstance(command, LazyGroup):
                walk(command)

    walk(main)
    shared = {
        "options",
        "lazy",
        "import_formats",
        "export_stream",
        "progress",
    }  # what several commands share: no command of their own
    modules = {m.name for m in pkgutil.iter_modules(servicebook.commands.__path__)} - shared
    assert modules == registered


def test_help_and_version_import_no_command_and_no_pipeline() -> None:
    code = (
        "import sys\nfrom servicebook.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('servicebook.commands.', 'servicebook.site', 'jinja2')) and m != 'servicebook.commands.lazy'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "[]"


def test_markdown_files_not_named_md_are_warned_about_with_the_rename(run, site_copy) -> None:
    """`x.MD`, `x.markdown` and the other endings editors use were silently left out of the site."""
    site = site_copy("minimal")
    (site / "content/guides").mkdir()
    for name in ("Release Notes.MD", "ops.markdown", "guides/On_Call.mdown", "welcome.Md", "notes.mkd"):
        (site / "content" / name).write_text("# Notes\n")
    result = run("check", "--source", site)
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if "is not a page" in line or "hint:" in line]
    prefix = f"{site}/content"
    assert warnings == [
        f"{prefix}/Release Notes.MD: warning: 'Release Notes.MD' is not a page: only names ending in .md (lower "
        "case) become pages",
        "  hint: rename it to release-notes.md",
        f"{prefix}/notes.mkd: warning: 'notes.mkd' is not a page: only names ending in .md (lower case) become pages",
        "  hint: rename it to notes.md",
        f"{prefix}/ops.markdown: warning: 'ops.markdown' is not a page: only names ending in .md (lower case) "
        "become pages",
        "  hint: rename it to ops.md",
        f"{prefix}/welcome.Md: warning: 'welcome.Md' is not a page: only names ending in .md (lower case) become pages",
        "  hint: welcome.md exists beside it: merge the two, or remove this one",
        f"{prefix}/guides/On_Call.mdown: warning: 'On_Call.mdown' is not a page: only names ending in .md (lower "
        "case) become pages",
        "  hint: rename it to on-call.md",
    ]
    strict = run("check", "--source", site, "--strict")
    assert strict.exit_code == 1
    (site / "content/readme.txt").write_text("plain text\n")  # not Markdown: nothing to say
    assert "readme.txt" not in run("check", "--source", site).stderr


def test_a_link_whose_address_has_a_space_is_a_located_warning_not_silent_text(run, site_copy) -> None:
    """CommonMark reads no link in `[guide](my guide.md)`: the page showed the brackets as text."""
    site = site_copy("minimal")
    page = site / "content/welcome.md"
    page.write_text(
        "---\ntitle: How we work\n---\n\n# Hi\n\nSee [the guide](my guide.md) and ![pic](a b.png).\n"
        'A [proper](welcome.md) link, [spaced]( welcome.md ) and [titled](welcome.md "Title") are links.\n'
    )
    result = run("check", "--source", site)
    assert result.exit_code == 0, result.output
    shown = f"{site}/content/welcome.md"
    assert result.stderr.splitlines() == [
        f"{shown}:7:17: warning: '[the guide](my guide.md)' is shown as text, not as a link: an address cannot "
        "contain spaces",
        " 7 | See [the guide](my guide.md) and ![pic](a b.png).",
        "   |                 ^",
        "  hint: name the target without spaces, e.g. (my-guide.md)",
        f"{shown}:7:41: warning: '![pic](a b.png)' is shown as text, not as an image: an address cannot contain spaces",
        " 7 | See [the guide](my guide.md) and ![pic](a b.png).",
        "   |                                         ^",
        "  hint: name the target without spaces, e.g. (a-b.png)",
    ]
    assert run("check", "--source", site, "--strict").exit_code == 1


def test_a_duplicate_id_comes_before_the_references_it_broke_which_are_one_line_each(run, site_copy) -> None:
    """An offering copied and its id left as another's: the references to the id it replaced
    failed first in the report (they come earlier in the file); the cause now leads."""
    site = site_copy("example")
    catalog = site / "catalog.yaml"
    text = catalog.read_text()
    assert text.count("  - id: build-runners\n") == 1
    catalog.write_text(text.replace("  - id: build-runners\n", "  - id: ci-pipelines\n"))
    result = run("check", "--source", site)
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    first = text.splitlines().index("  - id: ci-pipelines") + 1
    assert errors[0].endswith(f"error: duplicate offering id 'ci-pipelines' (first used at line {first})")
    assert re.search(r"error: unknown offering 'build-runners', and \d+ more references? to it$", errors[1])
    assert not any("'build-runners'" in line for line in errors[2:])
    assert "hint: a duplicate offering id above may have replaced it" in result.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["biuld"], "No such command 'biuld'. Did you mean 'build'?"),
        (["serv"], "No such command 'serv'. Did you mean 'serve'?"),
        (["export", "opensol"], "No such command 'opensol'. Did you mean 'openslo'?"),
        (["federate", "updaet"], "No such command 'updaet'. Did you mean 'update'?"),
        (["xyzzy"], "No such command 'xyzzy'.\n"),
        # a command an auditor guesses: what answers the question instead
        (
            ["log"],
            "No such command 'log': `servicebook history [ID]` prints the history (every change, or one offering's, "
            "tool's or page's), as the built site's changes/ page and each offering's and tool's History show it; "
            "`servicebook diff BASE HEAD` prints what changed between two commits, "
            "and `servicebook promised --at YYYY-MM-DD` what was promised on a day (docs/auditing.md)",
        ),
        # a member added as package managers add one (newuser17): where members are written instead
        (
            ["federate", "add", "db-team"],
            "No such command 'add': a team joins with an entry under `members:` in the organisation's catalog.yaml "
            '(its id and repository: docs/federating.md, "Members"); then `servicebook federate update ID` '
            "fetches it and locks its head",
        ),
        (["federate", "remove", "db-team"], "No such command 'remove': a team leaves when its entry is taken out"),
        (["federate", "list"], "No such command 'list': the members are the entries under `members:`"),
    ],
)
def test_a_misspelt_command_names_the_nearest_one(run, args, said) -> None:
    """As click does for a misspelt option (`--strct`: did you mean '--strict'?)."""
    result = run(*args)
    assert result.exit_code == 2
    assert said in result.output and "Traceback" not in result.output


def test_a_stop_asked_with_sigterm_takes_ctrl_cs_way_out(run, site_copy, monkeypatch) -> None:
    # A cancelled CI job or `timeout` sends SIGTERM: the previous site stays, no traceback, and
    # the handler is the caller's again afterwards.
    import servicebook.site.build

    def terminate(*_: object, **__: object) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(30)  # the handler raises during the sleep

    site = site_copy("minimal")
    assert run("build", "--source", site).exit_code == 0
    before = tree(site / "public")
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("name: Platform Team", "name: Delivery Team"))

    def callers(*_: object) -> None:  # the caller's own handler, which servicebook must not leave in charge
        raise RuntimeError("SIGTERM reached the caller's handler")

    monkeypatch.setattr(servicebook.site.build, "render_site", terminate)
    handler = signal.signal(signal.SIGTERM, callers)
    try:
        result = run("build", "--source", site)
        assert signal.getsignal(signal.SIGTERM) is callers
    finally:
        signal.signal(signal.SIGTERM, handler)
    assert (result.exit_code, result.stderr) == (143, "terminated; the previous site was left as it was\n")
    assert tree(site / "public") == before


def _session_processes(session: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[3]) == session and fields[0] != "Z":  # the session id; a zombie is gone already
                found.append(int(entry.name))
    return found


def test_sigterm_during_a_build_with_workers_leaves_no_process_behind(tmp_path: Path) -> None:
    # The real thing: a build whose render workers are running when the build is asked to stop.
    from .sitefiles import generated_site

    site = generated_site(tmp_path / "site", pages=300)
    script = textwrap.dedent(
        """
        import os, signal, sys
        import servicebook.site.parallel as parallel
        from servicebook.cli import main

        run_chunk = parallel._run_chunk

        def stopping(fn, chunk):  # in a worker: ask the build to stop, then go on working
            if os.path.exists(sys.argv[2]):
                os.remove(sys.argv[2])
                os.kill(os.getppid(), signal.SIGTERM)
            return run_chunk(fn, chunk)

        parallel._run_chunk = stopping
        main(["build", "--source", sys.argv[1]])
        """
    )
    trigger = tmp_path / "trigger"
    trigger.touch()
    env = {**os.environ, "SERVICEBOOK_WORKERS": "2"}
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(site), str(trigger)],
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _, stderr = process.communicate(timeout=120)  # workers left alive would hold its pipes open
        assert not trigger.exists()  # a worker did ask
        assert process.returncode == 143, stderr
        assert stderr.strip().splitlines()[-1] == "terminated; nothing was published"
        assert "Traceback" not in stderr
        assert not (site / "public").exists()
        deadline = time.monotonic() + 10
        while _session_processes(process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _session_processes(process.pid) == []
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # what a failure left behind


@pytest.mark.parametrize("name", ["check", "diff", "promised", "verify"])
def test_the_help_of_the_commands_people_guess_at_shows_examples_that_parse(name, tmp_path, monkeypatch) -> None:
    """`servicebook diff --help` did not say what BASE may be, and `promised`, `verify` and `check
    --against` showed no whole command: a new user read 'Missing argument BASE' and guessed. Each
    example is a real command line (its comment after `#`), parsed by servicebook's own parser."""
    shown = CliRunner().invoke(main, [name, "--help"], terminal_width=80)
    assert shown.exit_code == 0, shown.output
    _, examples_title, examples = shown.output.partition("Examples")
    assert examples_title, shown.output
    lines = [line.strip() for line in examples.splitlines() if line.strip().startswith("servicebook ")]
    assert len(lines) >= 3, examples
    for line in lines:
        assert len(line) + 4 <= 80, line  # fits a terminal, as click indents it
        _, command, *args = shlex.split(line, comments=True)
        assert command == name
        monkeypatch.chdir(tmp_path)  # the folders an example names exist here
        for option, value in itertools.pairwise(args):
            if option in ("--source", "--against", "--site"):
                (tmp_path / value.lstrip("/")).mkdir(parents=True, exist_ok=True)
                args[args.index(value)] = str(tmp_path / value.lstrip("/"))
        sub = main.get_command(click.Context(main), command)
        assert sub is not None
        sub.make_context(command, args)  # an unknown option or a missing value fails here
