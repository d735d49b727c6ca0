"""The imports and `check --against` read the examples the other projects ship (their example
folders, their SDK's examples, their validators' test inputs) as those projects read them: each
file is imported, or refused at its line with what to do. Fixtures are copied unchanged, with
their source in tests/interop/fixtures/SOURCES.md; inline ones are written after the file they cite."""

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


# --- Sloth ------------------------------------------------------------------------------------------


def test_a_sloth_managed_prometheus_service_level_is_read_as_the_sloth_spec_it_is(run) -> None:
    # Sloth's examples/managed-prometheus-grpc-server.yml: kind ManagedPrometheusServiceLevel, the
    # PrometheusServiceLevel spec for Google Cloud's Managed Prometheus (it was "not read")
    file = INTEROP / "sloth-managed-prometheus-grpc-server.yml"
    result = _import(run, "sloth", file)
    assert result.exit_code == 0, result.output
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    assert (offering["id"], offering["owner"], offering["tier"]) == ("myservice", "myteam", 2)
    (slo,) = offering["slos"]
    assert (slo["id"], slo["objective"], slo["window"]) == ("requests-availability", 99.9, "30d")
    assert slo["measurement"]["errors"].startswith('sum(rate(grpc_server_handled_total{grpc_code!="OK"')


def test_check_against_compares_a_managed_prometheus_service_level_as_a_sloth_spec(run, tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    monitoring = tmp_path / "monitoring"
    monitoring.mkdir()
    spec = (INTEROP / "sloth-managed-prometheus-grpc-server.yml").read_text()
    spec = spec.replace('service: "myservice"', "service: ci").replace("requests-availability", "availability")
    (monitoring / "gmp.yaml").write_text(spec)
    result = run("check", "--source", site, "--against", monitoring)
    assert result.exit_code == 1, result.output
    assert "not read" not in result.stderr
    assert "ci/availability: the catalog's objective is 99.5 %, but Sloth SLO 'availability'" in result.stderr


# --- OpenSLO ----------------------------------------------------------------------------------------


def test_an_openslo_inline_indicator_of_metadata_alone_gives_an_slo_without_a_measurement(run) -> None:
    # oslo's test inputs slo-with-labels.yaml and slo-with-annotations.yaml name their inline indicator
    # and say nothing more of it (the import failed: "'indicator' has no 'spec'", and no way out)
    for name, line, indicator in (("labels", 16, "no-name"), ("annotations", 9, "no-name")):
        file = INTEROP / f"openslo-oslo-slo-with-{name}.yaml"
        result = _import(run, "openslo", file)
        assert result.exit_code == 0, result.output
        (offering,) = yaml.safe_load(result.stdout)["offerings"]
        (slo,) = offering["slos"]
        assert (slo["objective"], slo["window"]) == (98, "28d")
        assert "measurement" not in slo
        assert (
            f"{file}:{line}:5: warning: the inline indicator '{indicator}' has no spec: no measurement" in result.stderr
        )
        assert "hint: give it a spec with ratioMetric or thresholdMetric" in result.stderr


def test_an_openslo_rolling_month_is_refused_with_the_days_to_write(run) -> None:
    # oslo's test input slo-no-indicatorref-rolling-alerts.yaml rolls `1M`: refused without a way out
    file = INTEROP / "openslo-oslo-no-indicatorref-rolling-alerts.yaml"
    result = _import(run, "openslo", file)
    assert result.exit_code == 1
    assert f"{file}:29:17: error: a rolling window of 1M is not a whole number of days (1 to 999)" in result.stderr
    assert (
        "hint: months have no length in days: write the window in days (30d or 28d for one), or isRolling: false "
        "with a calendar for calendar months"
    ) in result.stderr


def test_an_openslo_service_that_no_slo_names_is_said_to_be_passed_over(run) -> None:
    # oslo's multi.yaml (an SLO, its SLI and DataSource) beside the SDK's examples/services.yaml: the
    # Service example-service, its description with it, was left out without a word
    slos, services = INTEROP / "openslo-oslo-multi.yaml", INTEROP / "openslo-sdk-services.yaml"
    result = _import(run, "openslo", slos, services)
    assert result.exit_code == 0, result.output
    assert [o["id"] for o in yaml.safe_load(result.stdout)["offerings"]] == ["foo-slos"]
    assert (
        f"{services}:10:11: warning: skipped Service 'example-service': no SLO in the files read names it"
    ) in result.stderr
    assert "skipped Service 'foo-slos'" not in result.stderr
