"""Round 9 of the other projects' own files and of users' rough edges (interop9): a platform team
moving its SLOs, services and radar into the catalog. Fixtures are copied unchanged, with their
source in tests/interop/fixtures/SOURCES.md; inline ones are written after the file they cite."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

INTEROP = Path(__file__).parent / "interop" / "fixtures"
SITES = Path(__file__).parent / "sites"


def _import(run, fmt: str, *files: Path):
    result = run("import", fmt, *files)
    assert "Traceback" not in result.output
    return result


# --- check --strict --against: a failure keeps what it does not fail on ---------------------------


def _drifted_monitoring(tmp_path: Path) -> Path:
    """A monitoring folder where nothing measures the minimal site's SLO (a warning, which --strict
    fails), beside another team's Datadog SLO (said, never failing)."""
    monitoring = tmp_path / "monitoring"
    monitoring.mkdir()
    shutil.copy(INTEROP / "datadog-operator-metric-slo.yaml", monitoring / "datadog.yaml")
    return monitoring


def test_a_failed_strict_check_still_says_the_files_it_does_not_fail_on(run, tmp_path: Path) -> None:
    # a strict check failing on the team's own drift dropped every other file's warning from its
    # report: the Datadog file was said when the check passed, and vanished when it failed
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    monitoring = _drifted_monitoring(tmp_path)
    datadog = f"{monitoring / 'datadog.yaml'}:1:1: warning: DatadogSLO (datadoghq.com/v1alpha1)"
    lenient = run("check", "--source", site, "--against", monitoring)
    assert lenient.exit_code == 0, lenient.output
    assert datadog in lenient.stderr
    strict = run("check", "--source", site, "--against", monitoring, "--strict")
    assert "Traceback" not in strict.output
    assert strict.exit_code == 1
    assert datadog in strict.stderr
    assert "warning: nothing in " in strict.stderr
    # only the drift failed it, and the summary says so
    assert (
        "check failed: 1 warning (--strict). Not failing it: 1 warning of files that name nothing of the catalog."
    ) in strict.stderr


def test_a_failed_strict_check_in_json_and_github_form_keeps_the_other_files_as_warnings(run, tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    monitoring = _drifted_monitoring(tmp_path)
    result = run("check", "--source", site, "--against", monitoring, "--strict", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    said = {(Path(p["file"]).name, p["severity"]) for p in report["problems"]}
    assert ("datadog.yaml", "warning") in said
    assert ("catalog.yaml", "error") in said
    result = run("check", "--source", site, "--against", monitoring, "--strict", "--format", "github")
    assert result.exit_code == 1
    assert result.stdout.count("::warning") == 1 and "datadog.yaml" in result.stdout
    assert "::error" in result.stdout
