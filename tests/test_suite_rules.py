"""The rules that make the suite's own verdict trustworthy: golden files are never rewritten by
the run that checks them in CI, and property tests in CI try the same examples every run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO, golden, rewritten_diff


def test_regen_rewrites_a_golden_file_and_shows_the_diff(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("SERVICEBOOK_REGEN", "1")
    expected = tmp_path / "expected.txt"
    expected.write_text("catalog.yaml:1:1: error: old wording\ncheck failed: 1 error\n")
    record: list[tuple[Path, str, str]] = []
    golden(expected, "catalog.yaml:1:1: error: new wording\ncheck failed: 1 error\n", record)
    assert expected.read_text() == "catalog.yaml:1:1: error: new wording\ncheck failed: 1 error\n"
    golden(expected, expected.read_text(), record)  # unchanged: not listed again
    assert rewritten_diff(record) == (
        f"--- a/{expected}\n+++ b/{expected}\n@@ -1,2 +1,2 @@\n"
        "-catalog.yaml:1:1: error: old wording\n+catalog.yaml:1:1: error: new wording\n check failed: 1 error\n"
    )


def test_regen_is_refused_when_ci_is_set(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("SERVICEBOOK_REGEN", "1")
    expected = tmp_path / "expected.txt"
    expected.write_text("old\n")
    with pytest.raises(pytest.fail.Exception, match="SERVICEBOOK_REGEN is refused when CI is set"):
        golden(expected, "new\n", [])
    assert expected.read_text() == "old\n"


def test_without_regen_a_difference_fails(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("SERVICEBOOK_REGEN", raising=False)
    expected = tmp_path / "expected.txt"
    expected.write_text("old\n")
    with pytest.raises(AssertionError):
        golden(expected, "new\n", [])


PROPERTY = """
from hypothesis import given, strategies as st

@given(st.integers())
def test_small(n):
    assert n < 1000
"""


def _pytest(folder: Path, ci: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER")}
    env["PYTHONPATH"] = str(REPO)
    # only the plugin the rules are about (Hypothesis's): loading every installed one (xdist, …)
    # took most of each run
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "hypothesis.extra.pytestplugin", "-p", "no:cacheprovider", str(folder)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_in_ci_property_tests_are_derandomized_and_a_failure_says_how_to_replay_it(tmp_path) -> None:
    (tmp_path / "conftest.py").write_text("from tests.conftest import *  # noqa: F403\n")
    (tmp_path / "test_property.py").write_text(PROPERTY)
    first, second = _pytest(tmp_path, ci=True), _pytest(tmp_path, ci=True)
    assert first.returncode == 1, first.stdout
    assert "hypothesis profile: ci (derandomized" in first.stdout
    assert "--hypothesis-profile=ci" in first.stdout and "replays the failure" in first.stdout
    assert "@reproduce_failure" in first.stdout
    replay = [line for line in first.stdout.splitlines() if "@reproduce_failure(" in line]
    assert replay and replay == [line for line in second.stdout.splitlines() if "@reproduce_failure(" in line]
    local = _pytest(tmp_path, ci=False)
    assert "hypothesis profile: servicebook (random seed" in local.stdout  # conftest.py: no deadline


def test_no_test_reads_this_repositorys_own_git_history() -> None:
    """Git tests make their own repositories (conftest.GitSite): this checkout may be an sdist
    (no .git) or a shallow clone, and its history changes with every commit."""
    import re

    reads_repo = re.compile(r"""["']-C["'],\s*str\(REPO\)|cwd=REPO\b|["']--source["'],\s*REPO\b|source=REPO\b""")
    offenders = [
        f"{path.name}:{n}"
        for path in sorted((REPO / "tests").rglob("*.py"))
        if path != Path(__file__)
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if reads_repo.search(line)
    ]
    assert offenders == []
