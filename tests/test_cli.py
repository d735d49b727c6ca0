"""The commands a user types."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import REPO


def test_init_scaffolds_a_site_that_builds(run, tmp_path) -> None:
    target = tmp_path / "new-site"
    assert run("init", target).exit_code == 0
    result = run("build", "--source", target)
    assert result.exit_code == 0, result.output
    assert (target / "public/index.html").exists()


def test_init_never_overwrites(run, tmp_path) -> None:
    (tmp_path / "catalog.yaml").write_text("mine")
    result = run("init", tmp_path)
    assert result.exit_code == 2
    assert (tmp_path / "catalog.yaml").read_text() == "mine"


def test_check_writes_nothing(run, site_copy) -> None:
    site = site_copy("minimal")
    result = run("check", "--source", site)
    assert result.exit_code == 0
    assert result.output.strip() == "No errors found."
    assert not (site / "public").exists()


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
    assert "check failed: 1 warning (--strict); nothing was written." in strict.stderr


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


def test_missing_catalog_is_a_located_error(run, tmp_path: Path) -> None:
    result = run("check", "--source", tmp_path)
    assert result.exit_code == 1
    assert result.stderr.startswith("catalog.yaml: error: file not found")
