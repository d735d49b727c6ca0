"""Inputs a new user can give that the standard library refuses with an exception: a digit
int() does not read ("²" passes str.isdigit), a run of more than 4,300 digits, JSON nested past
the json module's depth, a folder init cannot make. Each is a located error or a usage error,
never a traceback."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

LONG = "9" * 5000


@pytest.mark.parametrize("value", ['"²"', LONG, "1" + "0" * 5000])
def test_an_odd_catalog_format_is_an_error_not_a_traceback(run, site_copy, value: str) -> None:
    root = site_copy("example")
    catalog = root / "catalog.yaml"
    text = catalog.read_text()
    assert text.count("\nformat: 1\n") == 1
    catalog.write_text(text.replace("\nformat: 1\n", f"\nformat: {value}\n"))
    result = run("check", "--source", root)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and re.search(r"catalog\.yaml:\d+:9: error: ", result.output)


@pytest.mark.parametrize("quadrant", ["²", LONG])
def test_an_odd_radar_quadrant_is_skipped_not_a_traceback(run, tmp_path: Path, quadrant: str) -> None:
    radar = {
        "quadrants": [{"id": "q", "name": "Q"}],
        "rings": [{"id": "adopt", "name": "Adopt"}],
        "entries": [
            {"id": "x", "title": "X", "quadrant": quadrant, "ring": "adopt"},
            {"id": "y", "title": "Y", "quadrant": "q", "ring": "adopt"},
        ],
    }
    file = tmp_path / "radar.json"
    file.write_text(json.dumps(radar))
    result = run("import", "techradar", file)
    assert result.exit_code == 0, result.output
    assert "skipped entry 'X': its quadrant is not one of the radar's" in result.output
    assert "id: y" in result.stdout and "Traceback" not in result.output


@pytest.mark.parametrize("epoch", ["²", LONG])
def test_an_odd_source_date_epoch_is_a_usage_error_for_import_techradar(
    run, env: dict[str, str], tmp_path: Path, epoch: str
) -> None:
    file = tmp_path / "radar.json"
    file.write_text(json.dumps([{"name": "Go", "ring": "adopt", "quadrant": "Languages"}]))
    env["SOURCE_DATE_EPOCH"] = epoch  # the environment `run` invokes the command with
    result = run("import", "techradar", file)
    assert result.exit_code == 2, result.output
    assert "SOURCE_DATE_EPOCH must be a whole number" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("window", ['"²"', LONG, LONG + "m"])
def test_an_odd_openslo_timeslice_window_is_located(run, tmp_path: Path, window: str) -> None:
    file = tmp_path / "slo.yaml"
    file.write_text(
        "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: a}\nspec:\n  service: s\n  indicatorRef: i\n"
        "  budgetingMethod: Timeslices\n  timeWindow: [{duration: 28d, isRolling: true}]\n"
        f"  objectives:\n    - {{target: 0.99, timeSliceTarget: 0.9, timeSliceWindow: {window}}}\n"
    )
    result = run("import", "openslo", file)
    assert result.exit_code == 1, result.output
    assert "slo.yaml:10:61: error: timeSliceWindow '" in result.output  # a long value is cut short
    assert "Traceback" not in result.output


def test_an_odd_pyrra_window_is_located(run, tmp_path: Path) -> None:
    file = tmp_path / "slo.yaml"
    file.write_text(
        "apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata: {name: a, namespace: n}\n"
        f"spec:\n  target: '99'\n  window: {LONG}d\n"
        "  indicator:\n    ratio:\n      errors: {metric: 'e{code=~\"5..\"}'}\n      total: {metric: t}\n"
    )
    result = run("import", "pyrra", file)
    assert result.exit_code == 1, result.output
    assert "slo.yaml:6:11: error: window '" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("value", [LONG, "[" * 100_000 + "]" * 100_000])
def test_an_odd_measurement_snapshot_is_located(run, site_copy, value: str) -> None:
    root = site_copy("example")
    (root / "measurements").mkdir()
    name = "2026-11-11T00-00-00Z.json"
    (root / "measurements" / name).write_text(
        f'{{"servicebook_measurements": 1, "end": "2026-11-11T00:00:00Z", "x": {value}}}\n'
    )
    result = run("check", "--source", root)
    assert result.exit_code == 1, result.output
    assert f"measurements/{name}:1:1: error: not a snapshot" in result.output and "Traceback" not in result.output


def test_init_where_no_folder_can_be_made_is_an_error_not_a_traceback(run, tmp_path: Path) -> None:
    file = tmp_path / "a-file"
    file.write_text("x\n")
    result = run("init", file / "site")  # under a file: mkdir fails with "Not a directory"
    assert result.exit_code == 2, result.output
    assert f"error: cannot write {file / 'site'}" in result.output and "Traceback" not in result.output
