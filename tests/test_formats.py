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


def test_a_catalog_in_a_future_format_is_not_judged_by_this_releases_rules(run, tmp_path: Path) -> None:
    """A later servicebook's catalog (format 7, with a key this release does not know) read by this
    one: only the format was refused, and only once every other value was valid by format 1's
    rules; before that, each new key and value was reported as a mistake of the user's, and the
    format not at all (newuser16)."""
    site = _site(tmp_path, FORMAT_VERSION)
    catalog = site / "catalog.yaml"
    text = catalog.read_text().replace("format: 1", "format: 7").replace("  title:", "  colour: blue\n  title:", 1)
    catalog.write_text(text)
    result = run("check", "--source", site)
    assert result.exit_code == 1
    errors = [line.removeprefix(f"{site}/") for line in result.stderr.splitlines() if ": error: " in line]
    assert errors == [
        "catalog.yaml:2:9: error: catalog format 7 is not supported by this servicebook: it reads format 1 and "
        "older, and the catalog's other values were not checked"
    ], result.stderr
    assert "install the servicebook the catalog was written for" in result.stderr
