"""Every catalog format servicebook has known keeps building, and means the same thing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from servicebook.catalog.model import FORMAT_VERSION

from .conftest import SITES

FORMATS = Path(__file__).parent / "formats"


def _site(tmp_path: Path, fmt: int, name: str = "") -> Path:
    site = tmp_path / (name or f"format-{fmt}")
    shutil.copytree(SITES / "minimal", site)
    shutil.copy(FORMATS / str(fmt) / "catalog.yaml", site / "catalog.yaml")
    return site


def test_there_is_a_fixture_for_every_format() -> None:
    assert sorted(int(p.name) for p in FORMATS.iterdir()) == list(range(FORMAT_VERSION + 1))


@pytest.mark.parametrize("fmt", range(FORMAT_VERSION + 1))
def test_old_format_builds_the_same_catalog_as_the_current_one(run, tmp_path: Path, fmt: int) -> None:
    current = _site(tmp_path, FORMAT_VERSION, "current")
    old = _site(tmp_path, fmt, "old")
    assert run("build", "--source", current).exit_code == 0
    result = run("build", "--source", old)
    assert result.exit_code == 0, result.output
    upgraded = json.loads((old / "public/catalog.json").read_text())
    expected = json.loads((current / "public/catalog.json").read_text())
    assert upgraded == expected


def test_format_0_is_announced_as_a_warning_pointing_at_the_catalog(run, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(_site(tmp_path, 0))
    result = run("check")
    assert result.exit_code == 0
    assert result.stderr.startswith(
        "catalog.yaml:3:1: warning: the catalog has no 'format' key: read as format 0 (the draft format) and upgraded"
    )


def test_format_from_the_future_is_refused(run, tmp_path: Path) -> None:
    site = _site(tmp_path, FORMAT_VERSION)
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("format: 1", "format: 7"))
    result = run("check", "--source", site)
    assert result.exit_code == 1
    assert "catalog.yaml:2:9: error: catalog format 7 is not supported by this servicebook" in result.stderr
