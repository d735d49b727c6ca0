"""Round 8 of the other projects' own files and of users' rough edges (interop8): what the imports
and `check --against` say of what they cannot carry over as it was, each at its line. Fixtures are
copied unchanged, with their source in tests/interop/fixtures/SOURCES.md; inline ones are written
after the file they cite."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

INTEROP = Path(__file__).parent / "interop" / "fixtures"
SITES = Path(__file__).parent / "sites"


def _import(run, fmt: str, *files: Path):
    result = run("import", fmt, *files)
    assert "Traceback" not in result.output
    return result


# --- radars -----------------------------------------------------------------------------------------


def test_an_empty_row_between_a_sheets_entries_is_named_at_its_line(run, tmp_path: Path) -> None:
    # a blank line or a row of separators between entries was passed over without a word: where an
    # entry was perhaps meant to be, or a row a spreadsheet emptied, the user could not tell
    file = tmp_path / "radar.csv"
    file.write_text(
        "\nname,ring,quadrant,isNew,description\nGo,Adopt,Languages,TRUE,x\n\n  \n,,,,\n"
        "Perl,Hold,Languages,FALSE,\n\n,,,,\n"
    )
    result = _import(run, "techradar", file)
    assert result.exit_code == 0, result.output
    assert [tool["name"] for tool in yaml.safe_load(result.stdout)["tools"]] == ["Go", "Perl"]
    said = "warning: skipped an empty row: it has no name, ring or quadrant, so no entry is read from it"
    assert f"{file}:4:1: {said}" in result.stderr
    assert f"{file}:5:1: {said}" in result.stderr  # spaces only
    assert f"{file}:6:1: {said}" in result.stderr
    # the file's last lines, after the last entry, hide nothing: not said
    assert f"{file}:8:1: " not in result.stderr and f"{file}:9:1: " not in result.stderr


# --- OpenSLO as osko serves it ----------------------------------------------------------------------

# After oskoperator/osko's config/samples (licence not checked: written anew): its own Datasource (osko's
# spelling; a Mimir tenant's address), served in osko's first releases as the API group openslo.openslo,
# and an SLO that names it by annotation
OSKO_OLD = """apiVersion: openslo.openslo/v1
kind: Datasource
metadata:
  name: logging-ds
spec:
  description: Mimir Datasource for logging tenant
  type: cortex
  connectionDetails:
    address: https://mimir.example.com/
    sourceTenants:
      - logging
    targetTenant: logging
---
apiVersion: openslo.openslo/v1
kind: SLO
metadata:
  name: logging-query-frontend-error-rate
  annotations:
    osko.dev/datasourceRef: logging-ds
spec:
  budgetingMethod: Occurrences
  description: 99.00% of Loki read requests return valid response
  indicator:
    metadata:
      name: read-requests-valid-response-rate
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            spec: loki_request_duration_seconds_count{status_code!~"5.*"}
            type: Prometheus
        total:
          metricSource:
            spec: loki_request_duration_seconds_count
            type: Prometheus
  objectives:
    - target: '0.99'
  service: logging
  timeWindow:
    - duration: 28d
      isRolling: true
"""


def test_osko_s_older_api_group_is_read_and_its_datasource_named_for_what_it_is(run, tmp_path: Path) -> None:
    # openslo.openslo/v1 was "skipped Datasource (openslo.openslo/v1)" and its SLO with it, as a document
    # of no format; its Datasource is no misspelt DataSource but where osko sends the queries
    file = tmp_path / "osko.yaml"
    file.write_text(OSKO_OLD)
    result = _import(run, "openslo", file)
    assert result.exit_code == 0, result.output
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    (slo,) = offering["slos"]
    assert (offering["id"], slo["objective"], slo["window"]) == ("logging", 99, "28d")
    assert slo["measurement"]["total"] == "loki_request_duration_seconds_count"
    assert (
        f"{file}:1:1: warning: skipped osko's Datasource 'logging-ds' (openslo.openslo/v1, type cortex): where osko "
        "sends the queries of the SLOs that name it (osko.dev/datasourceRef), not an OpenSLO v1 DataSource"
    ) in result.stderr
    assert "`servicebook measure --prometheus URL`" in result.stderr
    assert "written as the specification spells them" not in result.stderr


# --- check --strict --against: what it cannot compare -----------------------------------------------


def _matched_monitoring(tmp_path: Path) -> Path:
    """A monitoring folder whose Sloth spec measures the minimal site's one SLO as it promises."""
    spec = (INTEROP / "sloth-getting-started.yml").read_text()
    spec = spec.replace('service: "myservice"', "service: ci").replace('"requests-availability"', "availability")
    monitoring = tmp_path / "monitoring"
    monitoring.mkdir()
    (monitoring / "sloth.yml").write_text(spec.replace("objective: 99.9", "objective: 99.5"))
    return monitoring


def test_someone_elses_slo_that_cannot_be_compared_is_said_but_does_not_fail_a_strict_check(
    run, tmp_path: Path
) -> None:
    # a shared monitoring folder with another team's Datadog SLO and an OpenSLO v1alpha file made
    # `check --strict --against` fail on a catalog whose every promise is measured as it says, with
    # nothing the catalog's team could change to pass
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    monitoring = _matched_monitoring(tmp_path)
    shutil.copy(INTEROP / "datadog-operator-metric-slo.yaml", monitoring / "datadog.yaml")
    shutil.copy(INTEROP / "sloth-openslo-getting-started.yml", monitoring / "old.yml")
    for strict in ((), ("--strict",)):
        result = run("check", "--source", site, "--against", monitoring, *strict)
        assert "Traceback" not in result.output
        assert result.exit_code == 0, result.output
        assert (
            f"{monitoring / 'datadog.yaml'}:1:1: warning: DatadogSLO (datadoghq.com/v1alpha1): the Datadog Operator's "
            "resource, no SLO format servicebook reads (not compared: it names no offering or SLO of the catalog)"
        ) in result.stderr
        assert (
            f"{monitoring / 'old.yml'}:6:1: warning: OpenSLO openslo/v1alpha SLO is not read (not compared: it names "
            "no offering or SLO of the catalog)"
        ) in result.stderr
        assert result.stdout.endswith("no errors, 2 warnings (above).\n")
    # as the GitHub annotations of a strict check: warnings still, not what failed it
    result = run("check", "--source", site, "--against", monitoring, "--strict", "--format", "github")
    assert result.exit_code == 0, result.output
    assert "::error" not in result.stdout and result.stdout.count("::warning") == 2


def test_an_slo_that_cannot_be_compared_and_names_the_catalogs_fails_a_strict_check(run, tmp_path: Path) -> None:
    # the same Datadog SLO named as the catalog's SLO: perhaps what measures the promise, unchecked
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    monitoring = _matched_monitoring(tmp_path)
    datadog = (INTEROP / "datadog-operator-metric-slo.yaml").read_text()
    (monitoring / "datadog.yaml").write_text(datadog.replace("name: example-slo", "name: ci-availability"))
    result = run("check", "--source", site, "--against", monitoring)
    assert result.exit_code == 0, result.output
    said = (
        f"{monitoring / 'datadog.yaml'}:1:1: warning: DatadogSLO (datadoghq.com/v1alpha1): the Datadog Operator's "
        "resource, no SLO format servicebook reads (not compared)\n"
    )
    assert said in result.stderr
    result = run("check", "--source", site, "--against", monitoring, "--strict")
    assert result.exit_code == 1
    assert said in result.stderr
    assert "check failed: 1 warning (--strict)." in result.stderr
