"""git has one door: only git/runner.py starts a process, with an environment and configuration
that the user's own cannot turn into prompts, pagers, translated messages or other output."""

from __future__ import annotations

import ast
import json
import os
import shlex
import shutil
import tomllib
from pathlib import Path

import pytest

from servicebook.catalog.basics import MAX_CATALOG_BYTES
from servicebook.errors import UsageProblem
from servicebook.git import runner
from servicebook.git.blobs import Blobs, read_blobs
from servicebook.git.history import load_timeline
from servicebook.git.releases import discover
from servicebook.git.repo import build_info, committed_at, open_repo, utc
from servicebook.git.revisions import BLOB_OR_COMMIT, diff_revisions
from servicebook.site.build import Options, build
from servicebook.site.fresh import PageMemory

from . import test_hostile_round17
from .conftest import FIXED_EPOCH, SITES, GitSite

TESTS = Path(__file__).parent
SRC = TESTS.parent / "src" / "servicebook"
DOOR = SRC / "git" / "runner.py"
# The other door, which starts no git: the detached removers (of a replaced site, a stopped
# preview), spawned rather than forked from a process that may run threads (serve).
DETACHED = SRC / "site" / "detached.py"
# What starts a program besides subprocess (a fork, as multiprocessing does, runs servicebook itself).
STARTERS = {("os", n) for n in ("system", "popen", "posix_spawn", "posix_spawnp")} | {
    ("os", n) for n in ("execv", "execve", "execvp", "execvpe", "execl", "execle", "execlp", "execlpe")
}
GIT_INDICATORS = ("git_site", "GitSite(", '["git",', "build_info(", "load_timeline(", "discover(")


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if p not in (DOOR, DETACHED))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_module_but_the_runner_starts_a_process(path: Path) -> None:
    tree = ast.parse(path.read_text("utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in ("subprocess", "pty")]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("subprocess", "pty"):
            found.append(node.module or "")
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in ("os", "asyncio")
            and ((node.value.id, node.attr) in STARTERS or node.attr.startswith(("spawn", "create_subprocess")))
        ):
            found.append(f"{node.value.id}.{node.attr}")
    assert not found, (
        f"{path.relative_to(SRC)} starts a process itself ({', '.join(found)}): go through git/runner.py "
        "(or site/detached.py, for work that outlives the command)"
    )


def test_the_import_contract_lists_every_git_module_but_the_runner() -> None:
    config = tomllib.loads((TESTS.parent / "pyproject.toml").read_text("utf-8"))
    contracts = {c["name"]: c for c in config["tool"]["importlinter"]["contracts"]}
    outside = contracts["Only git/ starts processes (git itself)"]
    inside = contracts["Inside git/, only runner.py starts git"]
    assert outside["forbidden_modules"] == inside["forbidden_modules"] == ["subprocess"]
    rooms = {f"servicebook.{p.stem if p.is_file() else p.name}" for p in SRC.iterdir() if not p.name.startswith("_")}
    rooms -= {"servicebook.git", "servicebook.py", "servicebook.layouts", "servicebook.static", "servicebook.scaffold"}
    assert rooms <= set(outside["source_modules"])
    modules = {f"servicebook.git.{p.stem}" for p in (SRC / "git").glob("*.py") if p.stem not in ("__init__", "runner")}
    assert set(inside["source_modules"]) == modules


def test_every_test_that_runs_git_carries_the_git_marker() -> None:
    # A test runs git when it (or a fixture it takes) builds a repository or reads one.
    def source(node: ast.stmt, lines: list[str]) -> str:
        # the statement's lines (ast.get_source_segment splits the whole file again at every call)
        return "\n".join(lines[node.lineno - 1 : node.end_lineno])

    def uses_git(node: ast.stmt, lines: list[str]) -> bool:
        return any(i in source(node, lines) for i in GIT_INDICATORS)

    def marked(node: ast.FunctionDef) -> bool:
        return any("mark.git" in ast.unparse(d) for d in node.decorator_list)

    def marks_the_module(node: ast.stmt, lines: list[str]) -> bool:
        text = source(node, lines)  # what is not in the text is not in its unparsed form either
        return "pytestmark" in text and "pytestmark" in ast.unparse(node) and "mark.git" in ast.unparse(node)

    unmarked = []
    for path in sorted(TESTS.rglob("test_*.py")):
        text = path.read_text("utf-8")
        lines = text.splitlines()
        tree = ast.parse(text)
        if any(marks_the_module(n, lines) for n in tree.body):
            continue
        functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
        git_fixtures = {"git_site"} | {
            f.name for f in functions if not f.name.startswith("test_") and uses_git(f, lines)
        }
        for f in functions:
            takes = {a.arg for a in f.args.args} & git_fixtures
            if f.name.startswith("test_") and (takes or uses_git(f, lines)) and not marked(f):
                unmarked.append(f"{path.relative_to(TESTS)}::{f.name}")
    assert not unmarked, "these tests run git but lack @pytest.mark.git:\n" + "\n".join(unmarked)


# --------------------------------------------------------------------------- the runner


@pytest.mark.git
def test_git_sees_the_safe_environment_whatever_the_callers_is(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LC_ALL", "de_DE.UTF-8")
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "1")
    monkeypatch.setenv("GIT_OPTIONAL_LOCKS", "1")
    monkeypatch.setenv("GIT_PAGER", "less")
    out = runner.git(tmp_path, "-c", "alias.show-env=!env", "show-env")
    assert out is not None
    seen = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    assert {k: seen.get(k) for k in runner.ENV_EXTRA} == dict(runner.ENV_EXTRA)


@pytest.mark.git
def test_a_failing_command_is_a_result_and_a_missing_git_is_none(tmp_path, monkeypatch) -> None:
    done = runner.run(tmp_path, ["rev-parse", "--show-toplevel"])  # not a repository
    assert done is not None and not done.ok and "not a git repository" in done.error()
    assert runner.git(tmp_path, "rev-parse", "--show-toplevel") is None
    monkeypatch.setenv("PATH", str(tmp_path))  # no git on it
    assert not runner.installed()
    assert runner.run(tmp_path, ["version"]) is None
    assert open_repo(tmp_path) is None
    with pytest.raises(UsageProblem, match="git is not installed"):
        diff_revisions(tmp_path, "HEAD", None)


@pytest.mark.git
def test_a_git_command_that_does_not_finish_in_time_is_a_clear_error(tmp_path) -> None:
    # exec: the shell becomes the sleep, so killing git leaves nothing holding the output pipe open
    with pytest.raises(
        UsageProblem, match=r"`git -c alias.wait=!exec sleep 3 wait` in .* did not finish within 0.01 seconds"
    ):
        runner.run(tmp_path, ["-c", "alias.wait=!exec sleep 3", "wait"], time_limit=0.01)


@pytest.mark.git
def test_the_blob_reader_reads_ids_and_paths_and_skips_what_names_no_blob(git_site) -> None:
    head = git_site.git("rev-parse", "HEAD").strip()
    catalog = git_site.catalog.read_bytes()
    blob = git_site.git("rev-parse", f"{head}:catalog.yaml").strip()
    names = [blob, f"{head}:catalog.yaml", f"{head}:content", f"{head}:no such file", "0" * 40, blob]
    assert read_blobs(git_site.root, names) == {blob: catalog, f"{head}:catalog.yaml": catalog}
    with Blobs(git_site.root) as blobs:
        assert [blobs.get(n) for n in names] == [catalog, catalog, None, None, None, catalog]
    assert Blobs(None).get(blob) is None


HOSTILE_CONFIG = {
    "core.quotepath": "true",
    "core.pager": "sed s/a/X/",
    "color.ui": "always",
    "log.showSignature": "true",
    "log.decorate": "full",
    "log.abbrevCommit": "true",
    "format.pretty": "oneline",
    "core.abbrev": "7",
    "diff.renames": "false",
    "i18n.logOutputEncoding": "ISO-8859-1",
    "status.showUntrackedFiles": "no",
    "tag.sort": "-refname",
    "log.showRoot": "false",  # git log would show the first commit as changing nothing
}


@pytest.mark.git
def test_the_users_configuration_and_locale_do_not_change_what_is_read(git_site, monkeypatch) -> None:
    git_site.write("content/über-uns.md", "---\ntitle: Über uns\n---\n\nWer wir sind.\n")
    git_site.commit("Seite über uns", author="Zoë Ångström <zoe@example.com>")
    git_site.git("checkout", "-q", "-b", "feature")
    git_site.edit("objective: 99.5", "objective: 99")
    git_site.commit("Lower the SLO", author="Jürgen Groß <j@example.com>")
    git_site.git("checkout", "-q", "main")
    git_site.git("merge", "-q", "--no-ff", "-m", "Merge feature", "feature")
    git_site.tag("v1")
    git_site.edit("Wer wir sind.", "Wer wir sind und was wir tun.", "content/über-uns.md")  # uncommitted

    def everything() -> tuple[object, ...]:
        repo = open_repo(git_site.root)
        info = build_info(repo, {})
        return info, load_timeline(repo, info, use_disk_cache=False), discover(repo)

    plain = everything()
    for key, value in HOSTILE_CONFIG.items():
        git_site.git("config", key, value)
    for name, value in {"LANG": "de_DE.UTF-8", "LC_ALL": "de_DE.UTF-8", "LANGUAGE": "de", "PAGER": "false"}.items():
        monkeypatch.setenv(name, value)
    assert everything() == plain
    timeline = plain[1]
    assert any(e.contributors == ("Jürgen Groß",) for e in timeline.entries)  # type: ignore[attr-defined]
    assert any(e.author == "Zoë Ångström" for e in timeline.entries)  # type: ignore[attr-defined]


def test_the_safe_environment_keeps_the_callers_variables(monkeypatch) -> None:
    monkeypatch.setenv("SERVICEBOOK_PROBE", "kept")
    monkeypatch.setenv("LC_ALL", "de_DE.UTF-8")
    env = runner.environment()
    assert env["SERVICEBOOK_PROBE"] == "kept" and env["LC_ALL"] == "C"
    assert runner.command(Path("/x"), ["log"])[:3] == ["git", "-C", "/x"]


# --------------------------------------------------------------------------- each question once

# What git/repo.open_repo asks about the work tree, as each appears among `git rev-parse`'s arguments.
WORK_TREE_QUESTIONS = ("--show-toplevel", "--show-prefix", "--is-shallow-repository", "HEAD")


def _git_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `git` first on PATH that writes each command's arguments to a log, one line each, and
    runs the real git; the log."""
    real = shutil.which("git")
    assert real is not None
    log, folder = tmp_path / "git.log", tmp_path / "counting-bin"
    folder.mkdir()
    wrapper = folder / "git"
    wrapper.write_text(f'#!/bin/sh\nprintf \'%s\\n\' "$*" >> {shlex.quote(str(log))}\nexec {shlex.quote(real)} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return log


def _questions_asked(log: Path) -> dict[str, int]:
    """How many times the git commands in `log` asked each of WORK_TREE_QUESTIONS; the log emptied."""
    asked = [line.split() for line in log.read_text("utf-8").splitlines() if " rev-parse " in f" {line} "]
    log.write_text("")
    return {q: sum(args.count(q) for args in asked) for q in WORK_TREE_QUESTIONS}


@pytest.mark.git
def test_a_build_asks_git_about_its_work_tree_once(tmp_path, monkeypatch, run) -> None:
    # a site in a folder of its repository, with a release to publish and a commit after it: every
    # stage that needs the work tree (releases, history, the edit links, the build's commit) runs
    top = tmp_path / "repo"
    top.mkdir()
    repo = GitSite(top)
    shutil.copytree(SITES / "minimal", top / "site")
    repo.commit("Initial catalog")
    repo.tag("v0.1")
    repo.edit('version: "0.1"', 'version: "0.2"', "site/catalog.yaml")
    repo.commit("Version 0.2")
    log = _git_counted(tmp_path, monkeypatch)
    once = dict.fromkeys(WORK_TREE_QUESTIONS, 1)

    output = tmp_path / "public"
    result = run("build", "--source", top / "site", "--output", output)
    assert result.exit_code == 0, result.output
    assert (output / "v" / "0.1" / "index.html").is_file()  # the release was built
    assert _questions_asked(log) == once
    result = run("build", "--source", top / "site", "--output", output)  # nothing changed
    assert result.exit_code == 0 and "Built" in result.output, result.output
    assert _questions_asked(log) == once
    result = run("check", "--source", top / "site")
    assert result.exit_code == 0, result.output
    assert _questions_asked(log) == once
    result = run("promised", "--source", top / "site", "--at", "2099-01-01")  # with the snapshots' state
    assert result.exit_code == 0 and "Version 0.2" in result.output, result.output
    assert _questions_asked(log) == once


@pytest.mark.git
def test_each_build_of_a_long_running_process_sees_the_commit_head_is_at_then(git_site, tmp_path) -> None:
    # as `serve` rebuilds: the same options and memory, a commit between the builds
    options = Options(
        source=git_site.root, output=tmp_path / "public", env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}, memory=PageMemory()
    )

    def built_from() -> str:
        build(options)
        return str(json.loads((tmp_path / "public" / "catalog.json").read_bytes())["build"]["commit"])

    try:
        first = built_from()
        git_site.edit("objective: 99.5", "objective: 99.6")
        second = git_site.commit("Raise the SLO")
        assert first != second
        assert built_from() == second
    finally:
        assert options.memory is not None
        options.memory.close()


@pytest.mark.git
@pytest.mark.parametrize("folder", ["site", "a\nsite"], ids=["plain", "line break"])
def test_one_question_says_where_the_source_sits_and_which_commit_head_is_at(tmp_path, folder) -> None:
    top = tmp_path / "the\nrepo"
    (top / folder).mkdir(parents=True)
    repo = GitSite(top)
    before = open_repo(top / folder)  # before the first commit: no HEAD, the rest as after it
    assert before is not None
    assert (before.top, before.prefix, before.shallow, before.head) == (top.resolve(), f"{folder}/", False, None)
    (top / folder / "catalog.yaml").write_text("format: 1\n")
    commit = repo.commit("Initial catalog")
    at_top = open_repo(top)
    assert at_top is not None
    assert (at_top.top, at_top.prefix, at_top.head) == (top.resolve(), "", commit)
    assert open_repo(tmp_path) is None  # not in a repository


@pytest.mark.git
def test_git_started_answers_as_git_does_and_runs_at_once_with_what_else_was_started(tmp_path, monkeypatch) -> None:
    # build_info asks for the status and the commit's date, and stage 0 for the tags, at once
    flag = tmp_path / "flag"
    wait = f"alias.wait=!sh -c 'for i in $(seq 300); do test -e {flag} && echo seen && exit 0; sleep 0.1; done; exit 1'"
    waiting = runner.started(tmp_path, "-c", wait, "wait")  # answered only once the next one has run
    making = runner.started(tmp_path, "-c", f"alias.make=!touch {flag}", "make")
    assert waiting() == "seen\n"
    assert making() == ""
    assert runner.started(tmp_path, "rev-parse", "--show-toplevel")() is None  # not a repository
    monkeypatch.setenv("PATH", str(tmp_path))  # no git on it
    assert runner.started(tmp_path, "version")() is None


def _subcommands(log: Path) -> list[str]:
    """The git subcommand of each command in `log`, in order (its options before it left out); the log emptied."""
    found = []
    for line in log.read_text("utf-8").splitlines():
        args = line.split()
        i = 0
        while i < len(args) and args[i].startswith("-"):
            i += 2 if args[i] in ("-C", "-c") else 1
        found.append(args[i] if i < len(args) else args[-1])  # `git --version`: --version
    log.write_text("")
    return found


@pytest.mark.git
def test_a_diff_reads_the_date_of_the_head_commit_with_its_files(git_site, tmp_path, monkeypatch, run) -> None:
    """`diff` judges a measurement snapshot the head commit adds by that commit's date (one added
    long after what it measures is flagged). The date is read with the head's catalog and pages,
    by their `git cat-file`: a diff that flags a snapshot starts no process to ask git the date."""
    git_site.write("measurements/2026-03-31T00-00-00Z.json", test_hostile_round17.snapshot_of("2026-03-31T00:00:00Z"))
    git_site.commit("Measure March")
    log = _git_counted(tmp_path, monkeypatch)
    result = run("diff", "--source", git_site.root, "HEAD~1", "HEAD", "--format", "json")
    assert result.exit_code == 0, result.output
    (change,) = json.loads(result.stdout)["changes"]
    assert (change["kind"], change["effect"]) == ("measurement.added", "weakened")
    assert "added 58 days after the end of what it measures" in change["text"]
    asked = [c for c in _subcommands(log) if c != "--version"]  # (asked once a process)
    assert "log" not in asked
    # each side: its commit and its files, its lock among them (ls-tree, cat-file's sizes and
    # contents); the renames between them; the added snapshot's bytes (sizes and contents)
    assert (asked.count("rev-parse"), asked.count("ls-tree"), asked.count("cat-file"), len(asked)) == (5, 2, 6, 16)


@pytest.mark.git
def test_the_date_read_from_a_commits_text_is_the_committer_date_git_gives(git_site) -> None:
    # an author date of its own, a committer named in words, a body with a line like a header's
    git_site.git(
        "-c",
        "user.name=Zoë van der Berg",
        "commit",
        "-q",
        "--allow-empty",
        "--date",
        "@1000000000 +0530",
        "-m",
        "Tidy\n\ncommitter Someone <s@example.org> 1 +0000",
    )
    head = git_site.git("rev-parse", "HEAD").strip()
    text = read_blobs(git_site.root, [head], kinds=BLOB_OR_COMMIT)[head]
    assert committed_at(text) == utc(int(git_site.git("log", "-1", "--format=%ct", head))) == utc(git_site.clock)
    assert read_blobs(git_site.root, [head]) == {}  # blobs only, unless asked
    assert committed_at(None) is None
    assert committed_at(b"tree 0\n\ncommitter Someone <s@example.org> 1 +0000\n") is None


@pytest.mark.git
def test_a_diff_dates_a_head_commit_too_large_to_read_as_git_does(git_site, run) -> None:
    """A commit whose message is larger than any source is not read whole (as a file that large is
    not): its date is asked of git, and a snapshot it adds late is flagged all the same."""
    git_site.write("measurements/2026-03-31T00-00-00Z.json", test_hostile_round17.snapshot_of("2026-03-31T00:00:00Z"))
    git_site.git("add", "-A")
    git_site.git("commit", "-q", "-F", "-", stdin="Measure March\n\n" + "x" * MAX_CATALOG_BYTES + "\n")
    result = run("diff", "--source", git_site.root, "HEAD~1", "HEAD", "--format", "json")
    assert result.exit_code == 0, result.output
    (change,) = json.loads(result.stdout)["changes"]
    assert (change["kind"], change["effect"]) == ("measurement.added", "weakened")
