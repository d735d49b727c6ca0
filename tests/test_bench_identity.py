"""bench/identity.py, the check that a change of code changed no output: its record of the bench
sites depends on the code alone, never on the checkout the bench sites sit in."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import pytest

from .conftest import REPO, GitSite


def _identity(monkeypatch: pytest.MonkeyPatch, out: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_identity", REPO / "bench" / "identity.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "OUT", out)
    return module


def _toplevel(folder: Path, env: dict[str, str]) -> str | None:
    done = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], cwd=folder, env=env, capture_output=True, text=True, check=False
    )
    return done.stdout.strip() if done.returncode == 0 else None


@pytest.mark.git
def test_bench_sites_are_built_outside_the_checkout_that_holds_them(tmp_path, monkeypatch) -> None:
    # The bench sites are generated under bench/out/ of this checkout: built there, they took its
    # commit and uncommitted changes into the record, so a commit during a run made the record of
    # the same code differ from itself.
    site = tmp_path / "checkout" / "bench" / "out" / "identity-1k"
    example = tmp_path / "work" / "example"  # the example site: a repository of its own
    for folder in (site, example, tmp_path / "work" / "new"):
        folder.mkdir(parents=True)
    checkout = GitSite(tmp_path / "checkout")
    GitSite(example)
    identity = _identity(monkeypatch, checkout.root / "bench" / "out")
    env = identity.collect_env(REPO / "src", tmp_path / "work" / "new")
    assert _toplevel(site, {**env, "GIT_CEILING_DIRECTORIES": ""}) == str(checkout.root)  # what git found before
    assert _toplevel(site, env) is None
    assert _toplevel(example, env) == str(example)
    assert _toplevel(tmp_path / "work" / "new", env) is None
