"""Shared fixtures: run the CLI in-process and build fixture sites into temporary folders."""

from __future__ import annotations

import contextlib
import difflib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import settings

from servicebook.cache.digest import code_digest as servicebook_code_digest
from servicebook.cli import main
from servicebook.site.fresh import code_digest

from .cliserver import cli_server
from .promhelp import INSTALL, Counter, Gauge, installed, prometheus

TESTS = Path(__file__).parent
SITES = TESTS / "sites"
REPO = TESTS.parent
FIXED_EPOCH = "1790000000"  # 2026-09-21, so review dates are judged the same on every run

# Property tests run at full size (`make test`, CI) or, in `make quick`, at a tenth of it
# (`--hypothesis-profile=quick`): every explicit example count goes through examples().
FULL_EXAMPLES = settings.default.max_examples  # hypothesis's own default profile: 100
# No deadline: hypothesis's default fails an example that takes over 200 ms, a timed assertion
# that a loaded machine (two cores shared with a browser test or a build) fails at random.
settings.register_profile("servicebook", deadline=None)
settings.load_profile("servicebook")
settings.register_profile("quick", parent=settings.get_profile("servicebook"), max_examples=FULL_EXAMPLES // 10)
# CI runs the same examples every time (derandomized: the seed comes from each test's own code),
# so a red build is never luck and a green one is never luck either; a failure prints the blob
# that replays it (@reproduce_failure) and the profile to rerun it with (pytest_runtest_makereport).
settings.register_profile(
    "ci", parent=settings.get_profile("servicebook"), derandomize=True, database=None, print_blob=True
)
if os.environ.get("CI"):
    settings.load_profile("ci")  # `--hypothesis-profile=...` on the command line still wins


# The user's cache folder (compiled templates, servicebook's only use of $XDG_CACHE_HOME) is one
# made for the run: a test never reads what another run or the developer's own builds left in
# ~/.cache/servicebook, nor writes there. Made by the process that starts first (pytest, or
# xdist's controller); its workers and every process a test starts inherit it.
_RUN_CACHE = "SERVICEBOOK_TEST_RUN_CACHE"


# The digest of servicebook's code (cache/digest.py) when the run starts: this process's builds
# key their caches by it (it is read here, right after the imports above, so that they key them by
# the code they run, as tests/cliserver.py's commands do), and a failure is told when the files
# changed during the run (pytest_runtest_makereport).
_CODE_AT_START = pytest.StashKey[str]()


def _code_on_disk() -> str:
    return servicebook_code_digest.__wrapped__()  # read again, not the value this process keeps


def pytest_configure(config: pytest.Config) -> None:
    code_digest()  # fresh.code_digest: read and kept once, for this process's builds
    config.stash[_CODE_AT_START] = servicebook_code_digest()
    if os.environ.get(_RUN_CACHE) and os.environ.get("XDG_CACHE_HOME") == os.environ[_RUN_CACHE]:
        return  # a worker of a run that made it
    folder = tempfile.mkdtemp(prefix="servicebook-test-cache-")
    os.environ["XDG_CACHE_HOME"] = os.environ[_RUN_CACHE] = folder
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))


def pytest_report_header(config: pytest.Config) -> str:
    profile = settings._current_profile
    mode = "derandomized" if settings.default.derandomize else "random seed (printed on failure)"
    return f"hypothesis profile: {profile} ({mode}, {settings.default.max_examples} examples)"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """A failed property test says how to replay its run: the profile (and whether it is
    derandomized) beside Hypothesis's own seed or reproduce_failure line. Any failed test says so
    when servicebook's files changed since the run started."""
    report = yield
    if report.failed and _code_on_disk() != item.config.stash.get(_CODE_AT_START, ""):
        report.sections.append(
            (
                "servicebook's code changed during this run",
                "its files on disk are not those the run started with (a checkout edited while the tests ran):"
                "\nprocesses that started or first built at other times (this one, the command server's, a"
                "\nsubprocess) may each run other code, and key their caches by other code; rerun on a tree"
                "\nno one edits (e.g. `git worktree add` or `git archive` of the commit) before believing it",
            )
        )
    if report.failed and call.when == "call" and getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
        profile = settings._current_profile
        how = (
            "derandomized: every run tries the same examples, so rerunning with this profile replays the failure"
            if settings.default.derandomize
            else "random: Hypothesis printed the seed above (`--hypothesis-seed=N` replays it)"
        )
        report.sections.append(
            ("hypothesis", f"profile {profile}, {how}:\n  pytest '{item.nodeid}' --hypothesis-profile={profile}")
        )
    return report


# Golden files (expected output kept in the repository) are rewritten only on request, never in CI,
# and every rewrite is shown as a diff at the end of the run, for review before committing.
REGEN = "SERVICEBOOK_REGEN"
_REWRITTEN: list[tuple[Path, str, str]] = []


def golden(expected_file: Path, actual: str, rewritten: list[tuple[Path, str, str]] = _REWRITTEN) -> None:
    """Assert that `actual` is the content of `expected_file`; with SERVICEBOOK_REGEN set (refused
    when CI is set: a file rewritten by the run that checks it passes by construction), rewrite
    the file instead and record the change for the diff printed at the end of the run."""
    if os.environ.get(REGEN):
        if os.environ.get("CI"):
            pytest.fail(f"{REGEN} is refused when CI is set: CI must compare with the committed files")
        before = expected_file.read_text() if expected_file.exists() else ""
        if before != actual:
            expected_file.write_text(actual)
            rewritten.append((expected_file, before, actual))
            if rewritten is _REWRITTEN:
                with _regen_log().open("a") as log:
                    log.write(rewritten_diff([(expected_file, before, actual)]))
    assert actual == expected_file.read_text()


def rewritten_diff(rewritten: list[tuple[Path, str, str]]) -> str:
    """A unified diff of every golden file a SERVICEBOOK_REGEN run rewrote."""
    parts = []
    for path, before, after in rewritten:
        shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path
        parts.extend(
            difflib.unified_diff(
                before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{shown}", f"b/{shown}"
            )
        )
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in parts)


def _regen_log() -> Path:
    """Where rewrites are recorded for the end-of-run diff: one file per run, named after the
    controlling process (the parent of pytest-xdist's workers, each rewriting files of its own)."""
    controller = os.getppid() if os.environ.get("PYTEST_XDIST_WORKER") else os.getpid()
    return Path(tempfile.gettempdir()) / f"servicebook-regen-{controller}.diff"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):  # workers have no terminal: the controller prints
        return
    log = _regen_log()
    if not os.environ.get(REGEN) or not log.exists():
        return
    text = log.read_text()
    log.unlink()
    if not text:
        return
    files = text.count("\n+++ b/") + text.startswith("+++ b/")
    terminalreporter.section(f"{REGEN}: {files} golden file(s) rewritten; review before committing")
    terminalreporter.write(text)


def require_component(found: object, what: str, install: str) -> None:
    """A real component a test needs (Prometheus, npm packages, a browser): a missing one skips
    the test on a developer's machine and fails it in CI (.ci/run sets SERVICEBOOK_REQUIRE_COMPONENTS,
    as it installs them), so CI never passes by skipping."""
    if found:
        return
    if os.environ.get("SERVICEBOOK_REQUIRE_COMPONENTS"):
        pytest.fail(f"{what} is required (SERVICEBOOK_REQUIRE_COMPONENTS is set) but was not found; {install}")
    pytest.skip(f"{what} not found ({install}); set SERVICEBOOK_REQUIRE_COMPONENTS=1 to make this a failure")


def examples(full: int) -> int:
    """`full` examples under the default profile, proportionally fewer under the quick one."""
    return max(1, full * settings.default.max_examples // FULL_EXAMPLES)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", FIXED_EPOCH)
    return {"SOURCE_DATE_EPOCH": FIXED_EPOCH}


@pytest.fixture
def run(env: dict[str, str]) -> Callable[..., Result]:
    def invoke(*args: str | Path) -> Result:
        return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)

    return invoke


def _copy_site(name: str, dest: Path) -> Path:
    if name == "example":
        dest.mkdir()
        shutil.copy(REPO / "catalog.yaml", dest)
        shutil.copytree(REPO / "content", dest / "content")
        if (REPO / "layouts").is_dir():
            shutil.copytree(REPO / "layouts", dest / "layouts")
    else:
        shutil.copytree(SITES / name, dest)
    return dest


@pytest.fixture
def site_copy(tmp_path: Path) -> Callable[[str], Path]:
    """Copy a fixture site (tests/sites/NAME, or "example" for the bundled one) to tmp_path."""
    return lambda name: _copy_site(name, tmp_path / name)


@pytest.fixture(scope="session")
def built_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example site built once per test process as `run` builds it (SOURCE_DATE_EPOCH, outside
    git), for tests that only read what it built: a test that edits the site, or builds it again,
    takes site_copy("example") instead."""
    site = _copy_site("example", tmp_path_factory.mktemp("built") / "example")
    result = CliRunner().invoke(
        main, ["build", "--source", str(site)], env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return site


@pytest.fixture(scope="session")
def servicebook_bin() -> Iterator[Path]:
    """A folder whose `servicebook` runs this environment's servicebook in a process forked from
    one that has imported it already (tests/cliserver.py), for tests that start many commands:
    each is a process of its own, costing its work but not the interpreter's start and imports."""
    with cli_server({**os.environ, "LANG": "C.UTF-8"}) as bin_dir:
        yield bin_dir


# What every GitSite's repository is configured with, written into .git/config as `git config`
# would (a git process each costs more than the file: the suite makes hundreds of repositories).
GIT_CONFIG = "[user]\n\tname = Test Author\n\temail = author@example.com\n[commit]\n\tgpgsign = false\n"


class GitSite:
    """A throwaway git repository holding a site, with scripted, deterministic commits."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.clock = 1_779_926_400  # 2026-05-28 00:00 UTC, advanced one hour per commit
        self.git("init", "-q", "-b", "main")
        with (root / ".git" / "config").open("a") as config:
            config.write(GIT_CONFIG)

    def copy_to(self, root: Path) -> GitSite:
        """A repository of its own at `root` with this one's files, history, tags and clock (a
        copy of the folder: cheaper than making the same commits again, for a fixture that many
        tests start from)."""
        shutil.copytree(self.root, root, symlinks=True)
        copy = object.__new__(GitSite)
        copy.root, copy.clock = root, self.clock
        return copy

    def git(self, *args: str, stdin: str | None = None) -> str:
        env = {
            **os.environ,
            "GIT_AUTHOR_DATE": f"@{self.clock} +0000",
            "GIT_COMMITTER_DATE": f"@{self.clock} +0000",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
        }
        done = subprocess.run(
            ["git", *args], cwd=self.root, env=env, capture_output=True, text=True, check=True, input=stdin
        )
        return done.stdout

    @property
    def catalog(self) -> Path:
        return self.root / "catalog.yaml"

    def edit(self, old: str, new: str, path: str = "catalog.yaml") -> None:
        file = self.root / path
        text = file.read_text()
        assert old in text, f"{old!r} not in {path}"
        file.write_text(text.replace(old, new, 1))

    def write(self, relative: str, text: str) -> None:
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def tag(self, name: str, annotated: bool = False) -> None:
        self.git("tag", *(["-a", name, "-m", f"release {name}"] if annotated else [name]))

    def commit(self, message: str, author: str | None = None) -> str:
        self.clock += 3600
        self.git("add", "-A")
        args = ["commit", "-q", "-m", message]
        if author:
            args += ["--author", author]
        self.git(*args)
        return self.head()

    def head(self) -> str:
        """The commit HEAD names, read from the files git just wrote (no process), or asked of git
        when they are not plain (a packed or detached ref)."""
        git_dir = self.root / ".git"
        ref = (git_dir / "HEAD").read_text().strip()
        if ref.startswith("ref: ") and (git_dir / ref[5:]).is_file():
            return (git_dir / ref[5:]).read_text().strip()
        return self.git("rev-parse", "HEAD").strip()


@pytest.fixture(autouse=True)
def _a_git_repository_needs_the_git_marker(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test that makes a git repository carries the git marker, so that `-m "not git"` is the
    suite that runs where git is missing: GitSite fails any other test at once."""
    if request.node.get_closest_marker("git") is None:

        def refuse(self: GitSite, root: Path) -> None:
            pytest.fail(f"{request.node.nodeid} makes a git repository: mark it @pytest.mark.git")

        monkeypatch.setattr(GitSite, "__init__", refuse)
        monkeypatch.setattr(GitSite, "copy_to", refuse)


@pytest.fixture(scope="session")
def _committed_minimal(tmp_path_factory: pytest.TempPathFactory) -> GitSite:
    root = tmp_path_factory.mktemp("committed") / "repo"
    shutil.copytree(SITES / "minimal", root)
    site = GitSite(root)  # (session fixtures are made before a test's own: the marker check is not yet on)
    site.commit("Initial catalog")
    return site


@contextlib.contextmanager
def real_prometheus(folder: Path, series: Iterable[Counter | Gauge]) -> Iterator[str]:
    """A real Prometheus holding `series` (tests/promhelp.py) at the URL yielded, for a module's
    `server` fixture; missing, a skip on a developer's machine and a failure in CI."""
    require_component(installed(), "Prometheus (prometheus and promtool)", INSTALL)
    with prometheus(folder, series) as url:
        yield url


def measured_site(root: Path, slos: str) -> GitSite:
    """The minimal site at `root` with its offering's SLOs replaced by `slos` (YAML at the
    offering's indentation), in a repository of its own with nothing committed yet."""
    shutil.copytree(SITES / "minimal", root)
    text = (root / "catalog.yaml").read_text()
    old = text[text.index("    slos:\n") : text.index("    tools: [shared")]
    (root / "catalog.yaml").write_text(text.replace(old, slos, 1))
    return GitSite(root)


@pytest.fixture
def git_site(tmp_path: Path, _committed_minimal: GitSite) -> GitSite:
    """The minimal fixture site, committed once as 'Initial catalog' (a copy of one repository
    made once per test process)."""
    return _committed_minimal.copy_to(tmp_path / "repo")


def catalog_at(version: str, extra_offering: bool = False) -> str:
    """The minimal site's catalog at `version` (with `extra_offering`, an artifact registry more)."""
    text = (SITES / "minimal/catalog.yaml").read_text().replace('version: "0.1"', f'version: "{version}"')
    if extra_offering:
        text = text.replace(
            "tools:\n  - id: shared",
            "  - id: artifacts\n    name: Artifact registry\n    summary: Stores build outputs.\n    owner: Platform Team\n"
            '    tier: "2"\n    lifecycle: ga\n    audience: [developers]\n    request:\n      how: Ask in chat.\n'
            "tools:\n  - id: shared",
        )
    return text


def three_releases(root: Path) -> GitSite:
    """Three releases: 1.0 (tagged), 1.1 (version bump, adds an offering), 2.0 (tagged, annotated)."""
    root.mkdir(parents=True, exist_ok=True)
    r = GitSite(root)
    shutil.copytree(SITES / "minimal/content", r.root / "content")
    r.write("catalog.yaml", catalog_at("1.0"))
    r.write(".gitignore", "/public/\n/.servicebook-cache/\n/.public.*/\n/.servicebook-trash-*/\n")
    r.commit("First catalog")
    r.tag("v1.0")
    r.write("catalog.yaml", catalog_at("1.1", extra_offering=True))
    r.commit("Add the artifact registry")
    r.write("content/welcome.md", (r.root / "content/welcome.md").read_text() + "\nA later edit, still 1.1.\n")
    r.commit("Clarify the welcome page")
    r.write("catalog.yaml", catalog_at("2.0", extra_offering=True).replace("objective: 99.5", "objective: 99.9"))
    r.commit("Raise the CI objective")
    r.tag("v2.0", annotated=True)
    return r


def edit_and_build(run: Callable[..., Result], repo: GitSite, n: int = 1) -> str:
    """A build that has something to do (a policy page changed and committed, as after each
    commit); what it printed."""
    repo.write("content/welcome.md", (repo.root / "content/welcome.md").read_text() + f"\nEdit {n}.\n")
    repo.commit(f"Edit {n}")
    built = run("build", "--source", repo.root)
    assert built.exit_code == 0, built.output
    return built.stdout


@pytest.fixture(scope="module")
def _three_releases(tmp_path_factory: pytest.TempPathFactory) -> GitSite:
    """Three releases (releases.three_releases), made once a module."""
    return three_releases(tmp_path_factory.mktemp("releases") / "site")


@pytest.fixture
def repo(tmp_path: Path, _three_releases: GitSite) -> GitSite:
    """Three releases: 1.0 (tagged), 1.1 (version bump, adds an offering), 2.0 (tagged, annotated),
    in a repository of the test's own (a copy of one made once per test module)."""
    return _three_releases.copy_to(tmp_path / "site")


def run_import(run: Callable[..., Result], fmt: str, *files: Path) -> Result:
    """`servicebook import FMT FILE…`, which ends without a traceback whatever it says."""
    result = run("import", fmt, *files)
    assert "Traceback" not in result.output
    return result


BROKEN_LAYOUT_LINK = "policies/index.html: error: broken link to '../nowhere/'"


def add_broken_layout_link(site: Path) -> None:
    """A site layout whose policies index links to a page that does not exist (BROKEN_LAYOUT_LINK)."""
    (site / "layouts").mkdir(exist_ok=True)
    (site / "layouts/policies.html").write_text(
        '{% extends "theme/policies.html" %}{% block content %}<a href="{{ url(\'nowhere/\') }}">x</a>{% endblock %}'
    )
