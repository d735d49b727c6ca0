"""Shared fixtures: run the CLI in-process and build fixture sites into temporary folders."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from servicebook.cli import main

TESTS = Path(__file__).parent
SITES = TESTS / "sites"
REPO = TESTS.parent
FIXED_EPOCH = "1790000000"  # 2026-09-21, so review dates are judged the same on every run


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", FIXED_EPOCH)
    return {"SOURCE_DATE_EPOCH": FIXED_EPOCH}


@pytest.fixture
def run(env: dict[str, str]) -> Callable[..., Result]:
    def invoke(*args: str | Path) -> Result:
        return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)

    return invoke


@pytest.fixture
def site_copy(tmp_path: Path) -> Callable[[str], Path]:
    """Copy a fixture site (tests/sites/NAME, or "example" for the bundled one) to tmp_path."""

    def copy(name: str) -> Path:
        dest = tmp_path / name
        if name == "example":
            dest.mkdir()
            shutil.copy(REPO / "catalog.yaml", dest)
            shutil.copytree(REPO / "content", dest / "content")
            if (REPO / "layouts").is_dir():
                shutil.copytree(REPO / "layouts", dest / "layouts")
        else:
            shutil.copytree(SITES / name, dest)
        return dest

    return copy
