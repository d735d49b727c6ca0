"""Round 9 of the other projects' own files and of users' rough edges (interop9): a platform team
moving its SLOs, services and radar into the catalog. Fixtures are copied unchanged, with their
source in tests/interop/fixtures/SOURCES.md; inline ones are written after the file they cite."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import GitSite, require_component, run_import
from tests.promhelp import INSTALL, Counter, installed, prometheus

INTEROP = Path(__file__).parent / "interop" / "fixtures"
SITES = Path(__file__).parent / "sites"


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


# --- budgeting: timeslices, measured on slices -------------------------------------------------------

DAY = 86_400
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
AT = "2026-01-02T12:00:00Z"
END = T0 + DAY + DAY // 2


def _errors(t: int) -> int:
    """Errors in the minute ending at t, of 100 requests: 10 in every tenth minute (a slice below
    a 95 % slice target), 1 in the others (above it)."""
    return 10 if (t // 60) % 10 == 0 else 1


def _good_minutes(start: int, end: int) -> int:
    """Minute slices (t - 60, t] in (start, end] at least 95 % good, computed here, not by Prometheus."""
    return sum(1 for t in range(start + 60, end + 1, 60) if (100 - _errors(t)) / 100 >= 0.95)


SLICE_SERIES = (
    Counter("http_requests_total", {"job": "api", "code": "200"}, T0, T0 + 2 * DAY, lambda t: 100 - _errors(t)),
    Counter("http_requests_total", {"job": "api", "code": "500"}, T0, T0 + 2 * DAY, _errors),
    # the same service, its scrapes stopped for an hour (no sample strictly inside)
    Counter(
        "gappy_requests_total",
        {"code": "200"},
        T0,
        T0 + 2 * DAY,
        lambda t: 100 - _errors(t),
        gaps=((END - 3 * 3600, END - 2 * 3600),),
    ),
    Counter(
        "gappy_requests_total", {"code": "500"}, T0, T0 + 2 * DAY, _errors, gaps=((END - 3 * 3600, END - 2 * 3600),)
    ),
)

# OpenSLO's Timeslices as `import openslo` writes it: 99 % of 1-minute slices at least 95 % good
SLICED = """\
      - id: availability
        name: API availability
        sli: Share of 1-minute slices in which at least 95 % of requests succeed.
        objective: 90
        window: 1d
        budgeting: timeslices
        timeslice_target: 95
        timeslice_window: 1m
        measurement:
MEASUREMENT"""


def _sliced_site(tmp_path: Path, measurement: str) -> GitSite:
    root = tmp_path / "repo"
    shutil.copytree(SITES / "minimal", root)
    text = (root / "catalog.yaml").read_text()
    old = text[text.index("    slos:\n") : text.index("    tools: [shared")]
    slos = SLICED.replace("MEASUREMENT", "".join(f"          {line}\n" for line in measurement.splitlines()))
    (root / "catalog.yaml").write_text(text.replace(old, "    slos:\n" + slos, 1))
    site = GitSite(root)
    site.commit("Catalog with a time-slice SLO")
    return site


@pytest.fixture(scope="module")
def slice_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_component(installed(), "Prometheus (prometheus and promtool)", INSTALL)
    with prometheus(tmp_path_factory.mktemp("prometheus"), SLICE_SERIES) as url:
        yield url


def _measured(run, site: GitSite, server: str) -> tuple[str, dict]:
    result = run("measure", "--source", site.root, "--prometheus", server, "--at", AT)
    assert "Traceback" not in result.output
    (entry,) = json.loads((site.root / "measurements" / "2026-01-02T12-00-00Z.json").read_text())["slos"]
    return result.output, entry


@pytest.mark.git
@pytest.mark.parametrize(
    "measurement",
    [
        'errors: http_requests_total{job="api",code="500"}\ntotal: http_requests_total{job="api"}',
        'good: http_requests_total{job="api",code="200"}\ntotal: http_requests_total{job="api"}',
        # as Sloth writes its queries, a rate over {{.window}}, here the slice
        'errors: sum(rate(http_requests_total{job="api",code="500"}[{{.window}}]))\n'
        'total: sum(rate(http_requests_total{job="api"}[{{.window}}]))',
        'error_ratio: sum(rate(http_requests_total{job="api",code="500"}[{{.window}}]))\n'
        '  / sum(rate(http_requests_total{job="api"}[{{.window}}]))',
    ],
    ids=["errors", "good", "template", "error_ratio"],
)
def test_a_time_slice_slo_is_measured_as_the_share_of_good_slices(
    slice_server: str, run, tmp_path: Path, measurement: str
) -> None:
    # measure divided the window's good events by its events (99.1 % here, the objective met) and
    # compared that with an objective on slices: one minute in ten is below 95 %, so 90 % of slices
    site = _sliced_site(tmp_path, measurement)
    assert "budgeting: timeslices, but" not in run("check", "--source", site.root).output
    output, entry = _measured(run, site, slice_server)
    good = _good_minutes(END - DAY, END)
    assert (good, DAY // 60) == (1296, 1440)
    assert (entry["good"], entry["total"], entry["counted_as"]) == (good, 1440, "slices")
    assert entry["attainment"] == pytest.approx(good / 1440, rel=1e-12)
    assert "ci/availability: 90.000 % over the rolling day (objective 90 %)" in output
    assert not [n for n in entry.get("notes", ()) if "slices" in n]


@pytest.mark.git
def test_slices_without_samples_are_not_counted_and_said(slice_server: str, run, tmp_path: Path) -> None:
    site = _sliced_site(tmp_path, 'errors: gappy_requests_total{code="500"}\ntotal: gappy_requests_total')
    output, entry = _measured(run, site, slice_server)
    # no sample strictly inside the hour: its 60 slices (t - 60, t] hold fewer than two samples
    expected = 1440 - 60
    assert entry["total"] == expected
    gap_minutes = range(END - 3 * 3600 + 60, END - 2 * 3600 + 1, 60)
    assert entry["good"] == _good_minutes(END - DAY, END) - sum(1 for t in gap_minutes if _errors(t) == 1)
    assert (
        f"{expected:,} of the window's 1,440 1 min slices had events, and only they are counted (a counter "
        "needs two samples in a slice to count its events)"
    ) in entry["notes"]
    assert "1,380 of the window's 1,440 1 min slices had events" in output


@pytest.mark.git
def test_a_time_slice_slo_whose_error_ratio_is_a_recording_rule_is_warned_of(run, tmp_path: Path) -> None:
    # a recording rule holds the ratio over the SLO's window: no slice can be read from it
    site = _sliced_site(tmp_path, 'error_ratio: slo:sli_error:ratio_rate1d{sloth_service="api"}')
    result = run("check", "--source", site.root)
    assert result.exit_code == 0, result.output
    assert (
        "warning: budgeting: timeslices, but the measurement's error_ratio is a series (a recording rule's ratio "
        "over the window): `measure` compares that share of events with an objective on slices"
    ) in result.output


# --- OpenSLO RatioTimeslices: the catalog's ratio-timeslices (openslo15) ----------------------------


def test_ratio_timeslices_is_written_as_the_catalogs_ratio_timeslices(run) -> None:
    # OpenSLO's own example: the mean of each 1-minute slice's share; written as occurrences with a
    # comment until the catalog could promise it (tests/test_interop_round15.py)
    result = run_import(run, "openslo", INTEROP / "openslo-ratio-timeslices.yaml")
    assert result.exit_code == 0, result.output
    assert "        budgeting: ratio-timeslices\n        timeslice_window: 1m\n" in result.stdout
    assert "no catalog equivalent" not in result.stderr


# --- Backstage: a large project's descriptors -----------------------------------------------------


def test_a_dependency_not_imported_is_said_at_the_entitys_depends_on(run) -> None:
    # 1-Platform/one-platform's feedback service: a namespaced Component (devex) owned by a Group of
    # another namespace, deprecated, depending on a Resource listed by another file of its Location;
    # the dependency left out was said at the document's first line, not where it is written
    result = run_import(run, "backstage", INTEROP / "backstage-one-platform-feedback-service.yaml")
    assert result.exit_code == 0, result.output
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    assert (offering["id"], offering["owner"], offering["lifecycle"]) == (
        "one-platform-feedback-service",
        "one-platform-devs",
        "deprecated",
    )
    assert "depends_on" not in offering
    assert (
        "backstage-one-platform-feedback-service.yaml:28:5: warning: dropped offering "
        "'one-platform-feedback-service': depends_on native-apps-mongodb (not in the import)"
    ) in result.stderr


# --- OpenSLO: go-sdk's own inputs ----------------------------------------------------------------

# after OpenSLO/go-sdk's pkg/openslosdk/test_data/inline/inputs/v1_slo.yaml (licence not checked:
# written anew): a YAML list of objects, a Timeslices SLO over a calendar week, and its SLI a
# threshold whose objective gives `op: gt` and a target, but no `value`
GOSDK_INLINE = """\
- apiVersion: openslo/v1
  kind: SLO
  metadata:
    name: my-slo
  spec:
    service: web
    indicatorRef: my-sli
    timeWindow:
      - duration: 1w
        isRolling: false
        calendar:
          startTime: 2022-01-01 12:00:00
          timeZone: America/New_York
    budgetingMethod: Timeslices
    objectives:
      - displayName: Good
        op: gt
        target: 0.995
        timeSliceTarget: 0.95
        timeSliceWindow: 1m
- apiVersion: openslo/v1
  kind: SLI
  metadata:
    name: my-sli
  spec:
    thresholdMetric:
      metricSource:
        metricSourceRef: my-prometheus
        type: Prometheus
        spec:
          query: |
            sum(min_over_time(kafka_consumergroup_lag{k8s_cluster="prod", consumergroup="annotator"}[2m]))
"""


def test_a_threshold_without_a_value_is_said_as_such_not_as_none(run, tmp_path: Path) -> None:
    file = tmp_path / "v1_slo.yaml"
    file.write_text(GOSDK_INLINE)
    week = run_import(run, "openslo", file)
    assert week.exit_code == 0, week.output  # a calendar week, refused until the catalog had calendar-week
    assert yaml.safe_load(week.stdout)["offerings"][0]["slos"][0]["window"] == "calendar-week"
    file.write_text(GOSDK_INLINE.replace("duration: 1w", "duration: 1M"))
    result = run_import(run, "openslo", file)
    assert result.exit_code == 0, result.output
    slo = yaml.safe_load(result.stdout)["offerings"][0]["slos"][0]
    assert (slo["budgeting"], slo["timeslice_target"], slo["timeslice_window"]) == ("timeslices", 95, "1m")
    assert f"{file}:26:5: warning: dropped the measurement: a threshold (gt, no value) has no catalog shape" in (
        result.stderr
    )
    assert "None" not in result.stderr
