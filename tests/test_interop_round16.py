"""interop16: real files of OpenSLO, Sloth and Pyrra read as their own tools read them, by the
imports and by `check --against` alike, and the exports annotated for the people who read them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.test_interop_round7 import SLOGEN_V1ALPHA
from tests.test_interop_round15 import _pasted, _place

INTEROP = Path(__file__).parent / "interop" / "fixtures"
SLOTH_V1ALPHA = INTEROP / "sloth-openslo-getting-started.yml"


def _monitoring(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "monitoring"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


# --- OpenSLO v1alpha: one reader, for the import and the drift check -----------------------------


def test_check_against_reads_openslo_v1alpha_as_import_sloth_does(run, tmp_path: Path) -> None:
    # Sloth's examples/openslo-getting-started.yml: `import sloth` read it, `check --against` named
    # it "not read" and said nothing measured the SLO the import had made of it
    imported = run("import", "sloth", SLOTH_V1ALPHA)
    assert imported.exit_code == 0, imported.output
    assert "`check --against` does not compare it" not in imported.stderr
    site = _pasted(yaml.safe_load(imported.stdout)["offerings"], tmp_path)
    text = SLOTH_V1ALPHA.read_text()
    monitoring = _monitoring(tmp_path, {"slo.yml": text})
    result = run("check", "--source", site, "--against", monitoring)
    assert result.exit_code == 0, result.output
    assert "not read" not in result.stderr
    assert "measures my-service/sloth-slo-my-service-0" not in result.stderr

    (monitoring / "slo.yml").write_text(text.replace("target: 0.999", "target: 0.995"))
    result = run("check", "--source", site, "--against", monitoring)
    assert result.exit_code == 1
    assert (
        "my-service/sloth-slo-my-service-0: the catalog's objective is 99.9 %, but OpenSLO v1alpha SLO "
        f"'sloth-slo-my-service-0' ({monitoring / 'slo.yml'}:{_place(text, 'target: ')}; read as Sloth reads it) "
        "has 99.5 %"
    ) in result.stderr


def test_a_v1alpha_slo_sloth_cannot_read_is_not_compared_and_said_where(run, tmp_path: Path) -> None:
    # slogen's v1alpha (Sumo Logic logs queries): Sloth refuses it, slogen reads it; the drift check
    # names why it does not compare it, a warning where it names an offering of the catalog
    site = _pasted(
        [
            {
                "id": "cloudcollector",
                "name": "Cloud collector",
                "slos": [{"id": "availability", "name": "Availability", "objective": 99.5, "window": "28d"}],
            }
        ],
        tmp_path,
    )
    monitoring = _monitoring(tmp_path, {"slogen.yaml": SLOGEN_V1ALPHA})
    result = run("check", "--source", site, "--against", monitoring)
    assert result.exit_code == 0, result.output
    assert (
        f"{monitoring / 'slogen.yaml'}:{_place(SLOGEN_V1ALPHA, '        good:' + chr(10) + '          ')}: warning: "
        "OpenSLO openslo/v1alpha SLO: the good query is a sumologic Logs query: Sloth reads source prometheus (or "
        "sloth) with queryType promql (not compared)\n"
    ) in result.stderr
    assert run("check", "--source", site, "--against", monitoring, "--strict").exit_code == 1


def test_an_import_of_v1alpha_the_check_would_not_find_says_what_to_write_instead_of_an_annotation(
    run, tmp_path: Path
) -> None:
    # v1alpha has no labels or annotations Sloth reads: the hint named `the label servicebook_slo`
    result = run("import", "sloth", "--offering", "web", SLOTH_V1ALPHA)
    assert result.exit_code == 0, result.output
    assert (
        "`check --against` will not find web/sloth-slo-my-service-0 in this file: the file names it "
        "my-service/sloth-slo-my-service-0 (its service and name)\n"
        " 9 |   name: sloth-slo-my-service\n"  # the line, shown since interop25
        "   |         ^\n"
        "  hint: OpenSLO v1alpha has no place for it: write the file's service and name (NAME-INDEX) in the "
        "catalog, or write the SLO as a Sloth spec with the label servicebook_slo: web/sloth-slo-my-service-0\n"
    ) in result.stderr


# --- what each key allows, said at the key -----------------------------------------------------------

SLICED = """apiVersion: openslo/v1
kind: SLO
metadata:
  name: api-availability
spec:
  service: api
  indicatorRef: api-requests
  budgetingMethod: Timeslices
  timeWindow:
    - duration: 28d
      isRolling: true
  objectives:
    - target: 0.99
      timeSliceTarget: 0.95
      timeSliceWindow: WINDOW
"""


@pytest.mark.parametrize(
    ("window", "message", "hint"),
    [
        (
            "1M",
            "timeSliceWindow '1M' is months, which have no fixed length: a time slice is a number of minutes (5) or "
            "a duration of minutes, hours, days or weeks (1m, 5m, 1h, 1d, 1w)",
            "units are case-sensitive: m is minutes, M months: write 1m",
        ),
        ("1Q", "timeSliceWindow '1Q' is quarters, which have no fixed length: a time slice is a number", None),
        (
            "30s",
            "timeSliceWindow '30s' is not a duration OpenSLO writes there: a time slice is a number of minutes (5) "
            "or a duration of minutes, hours, days or weeks",
            "OpenSLO's durations have no seconds: the shortest slice is 1m",
        ),
        ("5 minutes", "timeSliceWindow '5 minutes' is not a duration OpenSLO writes there", None),
    ],
)
def test_a_time_slice_openslo_does_not_allow_says_what_it_allows_there(
    run, tmp_path: Path, window: str, message: str, hint: str | None
) -> None:
    # `timeSliceWindow: 1M` (a month where a minute was meant) said only "is not a duration"
    file = tmp_path / "slo.yaml"
    file.write_text(SLICED.replace("WINDOW", window))
    result = run("import", "openslo", file)
    assert result.exit_code == 1, result.output
    assert f"{file}:15:24: error: {message}" in result.stderr
    if hint is not None:
        assert f"  hint: {hint}\n" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("window", "minutes"), [("5", 5), ("1m", 1), ("2h", 120), ("1d", 1440)])
def test_a_time_slice_openslo_allows_is_read(run, tmp_path: Path, window: str, minutes: int) -> None:
    file = tmp_path / "slo.yaml"
    file.write_text(SLICED.replace("WINDOW", window))
    result = run("import", "openslo", file)
    assert result.exit_code == 0, result.output
    (slo,) = yaml.safe_load(result.stdout)["offerings"][0]["slos"]
    assert slo["timeslice_window"] in (f"{minutes}m", f"{minutes // 60}h", f"{minutes // 1440}d")


# --- Sloth's objective: what Sloth takes, taken ------------------------------------------------------

SLOTH_100 = """version: prometheus/v1
service: api
slos:
  - name: availability
    objective: OBJECTIVE
    sli:
      events:
        error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total[{{.window}}]))
    alerting:
      name: ApiAvailability
"""


def test_a_sloth_objective_of_100_is_taken_as_sloth_takes_it_and_said(run, tmp_path: Path) -> None:
    # Sloth validates 0 < objective <= 100 (slok/sloth's SLO model: `gt=0,lte=100`); the import refused 100
    file = tmp_path / "slos.yml"
    file.write_text(SLOTH_100.replace("OBJECTIVE", "100"))
    result = run("import", "sloth", file)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["offerings"][0]["slos"][0]["objective"] == 100
    assert (
        f"{file}:5:16: warning: an objective of 100 %, which Sloth takes (an error budget of nothing: every error "
        "burns it), kept as written; the catalog's objectives are below 100 %\n"
    ) in result.stderr


def test_the_drift_check_compares_a_sloth_objective_of_100(run, tmp_path: Path) -> None:
    # it was refused: an error about the file, not the difference with the catalog
    offering = {"id": "api", "name": "API", "slos": [{"id": "availability", "name": "Availability", "window": "30d"}]}
    offering["slos"][0]["objective"] = 99.9
    site = _pasted([offering], tmp_path)
    monitoring = _monitoring(tmp_path, {"slos.yml": SLOTH_100.replace("OBJECTIVE", "100")})
    result = run("check", "--source", site, "--against", monitoring)
    assert result.exit_code == 1
    assert (
        "api/availability: the catalog's objective is 99.9 %, but Sloth SLO 'availability' "
        f"({monitoring / 'slos.yml'}:5:16) has 100 %\n"
    ) in result.stderr


@pytest.mark.parametrize("objective", ["0", "-1", "100.5", "1e3"])
def test_a_sloth_objective_sloth_refuses_is_refused_with_sloths_reason(run, tmp_path: Path, objective: str) -> None:
    file = tmp_path / "slos.yml"
    file.write_text(SLOTH_100.replace("OBJECTIVE", objective))
    result = run("import", "sloth", file)
    assert result.exit_code == 1
    assert (
        f"{file}:5:16: error: objective {objective} is not a percentage above 0 and at most 100 %, as Sloth's "
        "validation requires\n"
    ) in result.stderr


def test_an_openslo_v1alpha_target_of_1_is_taken_as_sloth_takes_it(run, tmp_path: Path) -> None:
    # Sloth makes the objective of target * 100, validated as any other: 1 is 100 %
    file = tmp_path / "slo.yml"
    file.write_text(SLOTH_V1ALPHA.read_text().replace("target: 0.999", "target: 1"))
    result = run("import", "sloth", file)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["offerings"][0]["slos"][0]["objective"] == 100
    assert "an objective of 100 %, which Sloth takes" in result.stderr


def test_a_pyrra_target_of_100_is_taken_as_pyrras_webhook_takes_it(run, tmp_path: Path) -> None:
    # Pyrra's webhook refuses a target below 0 or above 100 only
    file = tmp_path / "slo.yaml"
    text = (INTEROP / "pyrra-apiserver-request-errors.yaml").read_text()
    target = text[text.index("target: ") : text.index("\n", text.index("target: "))]
    file.write_text(text.replace(target, 'target: "100"'))
    result = run("import", "pyrra", file)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["offerings"][0]["slos"][0]["objective"] == 100
    assert "warning: an objective of 100 %, which Pyrra takes" in result.stderr
    file.write_text(text.replace(target, 'target: "100.1"'))
    result = run("import", "pyrra", file)
    assert result.exit_code == 1
    assert "error: target 100.1 is not a percentage above 0 and at most 100 %, as Pyrra's webhook requires" in (
        result.stderr
    )


# --- Sloth's own examples, as a Sloth user reads them ------------------------------------------------


def test_a_spec_held_to_metricsql_by_its_plugin_says_measure_asks_prometheus(run) -> None:
    # slok/sloth examples/victoria-metrics.yml: its plugin chain validates the queries as MetricsQL
    # (histogram_share), which the fragment passed on as if Prometheus read them
    file = INTEROP / "sloth-victoria-metrics.yml"
    result = run("import", "sloth", file)
    assert result.exit_code == 0, result.output
    assert (
        f"{file}:12:11: warning: the plugin sloth.dev/contrib/validate_victoria_metrics/v1 validates the queries as "
        "VictoriaMetrics' MetricsQL, which Prometheus may not read"
    ) in result.stderr
    assert "  hint: point measure at VictoriaMetrics' Prometheus API, or write the measurement in PromQL\n" in (
        result.stderr
    )


def test_a_rule_group_interval_is_dropped_as_what_it_is(run) -> None:
    # slok/sloth examples/custom_rule_group_interval.yml: "dropped 'interval' (not part of the catalog)"
    file = INTEROP / "sloth-custom-rule-group-interval.yml"
    result = run("import", "sloth", file)
    assert result.exit_code == 0, result.output
    assert (
        f"{file}:18:5: warning: dropped 'interval' (how often the rule groups sloth generate writes are evaluated, "
        "not the objective)\n"
    ) in result.stderr


def test_oslos_v1alpha_file_is_read_by_the_check_as_sloth_reads_it_services_passed_over(run, tmp_path: Path) -> None:
    # OpenSLO/oslo test/inputs/validate/v1alpha.yaml: a list of two v1alpha Services, a ratio SLO and a
    # threshold SLO over a calendar month; the Services were read as SLOs ("'spec' has no 'service'")
    file = INTEROP / "openslo-oslo-validate-v1alpha.yaml"
    site = _pasted(
        [
            {
                "id": "my-test-service",
                "name": "My test service",
                "slos": [{"id": "ratio-0", "name": "Ratio", "objective": 98, "window": "28d"}],
            }
        ],
        tmp_path,
    )
    monitoring = _monitoring(tmp_path, {"v1alpha.yaml": file.read_text()})
    result = run("check", "--source", site, "--against", monitoring)
    assert result.exit_code == 0, result.output
    assert "has no 'service'" not in result.stderr and "has no 'spec'" not in result.stderr
    assert "measures my-test-service/ratio-0" not in result.stderr  # the ratio SLO measures the promise
    # the threshold SLO over a calendar month, which Sloth cannot read, is someone else's: said, not compared
    assert (
        f"{monitoring / 'v1alpha.yaml'}:60:7: warning: OpenSLO openslo/v1alpha SLO: a window of 1 Month: Sloth reads "
        "a count of days (unit: Day) (not compared: it names no offering or SLO of the catalog)\n"
    ) in result.stderr
    imported = run("import", "sloth", file)
    assert "has no 'service'" not in imported.stderr
    assert f"{file}:60:7: error: a window of 1 Month: Sloth reads a count of days (unit: Day)\n" in imported.stderr


def test_a_pyrra_target_of_0_is_refused_without_blaming_pyrra(run, tmp_path: Path) -> None:
    # Pyrra's webhook takes 0 (target < 0 || target > 100 is its refusal): the catalog's reason only
    file = tmp_path / "slo.yaml"
    text = (INTEROP / "pyrra-apiserver-request-errors.yaml").read_text()
    target = text[text.index("target: ") : text.index("\n", text.index("target: "))]
    file.write_text(text.replace(target, 'target: "0"'))
    result = run("import", "pyrra", file)
    assert result.exit_code == 1
    assert "error: target 0 is not a percentage above 0 and at most 100 %; the catalog's objectives are above 0\n" in (
        result.stderr
    )
