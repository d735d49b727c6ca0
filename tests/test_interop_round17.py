"""interop17: every kind each format allows, read as the tools themselves read it, by the imports
and by `check --against` alike."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.test_interop_round15 import _pasted, _place
from tests.test_interop_round16 import _monitoring

INTEROP = Path(__file__).parent / "interop" / "fixtures"


# --- OpenSLO v1alpha: one reader for both imports and the drift check ------------------------------


@pytest.mark.parametrize("name", ["sloth-openslo-getting-started.yml", "sloth-openslo-kubernetes-apiserver.yml"])
def test_import_openslo_reads_v1alpha_as_import_sloth_and_the_drift_check_do(run, tmp_path: Path, name: str) -> None:
    # `import openslo` refused openslo/v1alpha ("is not read") while `check --against` read it with
    # `import sloth`'s reader: the same file was two answers. Now the one reader answers for all three.
    file = INTEROP / name
    by_openslo, by_sloth = run("import", "openslo", file), run("import", "sloth", file)
    assert by_openslo.exit_code == by_sloth.exit_code == 0, by_openslo.output
    assert (by_openslo.stdout, by_openslo.stderr) == (by_sloth.stdout, by_sloth.stderr)
    assert "warning: read OpenSLO openslo/v1alpha as sloth generate does" in by_openslo.stderr
    site = _pasted(yaml.safe_load(by_openslo.stdout)["offerings"], tmp_path)
    result = run("check", "--source", site, "--against", _monitoring(tmp_path, {name: file.read_text()}))
    assert result.exit_code == 0, result.output
    assert "not read" not in result.stderr and "nothing in the files" not in result.stderr


# --- numbers as the tools' own Go types take them ----------------------------------------------------

SLOTH_PLAIN = """version: "prometheus/v1"
service: web
slos:
  - name: availability
    objective: OBJECTIVE
    sli:
      events:
        error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total[{{.window}}]))
    alerting:
      page_alert:
        disable: true
      ticket_alert:
        disable: true
"""

SLOTH_RESOURCE = """apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata:
  name: web
spec:
  service: web
  slos:
    - name: availability
      objective: OBJECTIVE
      sli:
        events:
          errorQuery: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
          totalQuery: sum(rate(http_requests_total[{{.window}}]))
      alerting:
        pageAlert:
          disable: true
        ticketAlert:
          disable: true
"""

SLOTH_V1ALPHA = """apiVersion: openslo/v1alpha
kind: SLO
metadata:
  name: availability
spec:
  service: web
  timeWindows:
    - unit: Day
      count: 30
  objectives:
    - ratioMetrics:
        good:
          source: prometheus
          queryType: promql
          query: sum(rate(http_requests_total{code!~"5.."}[{{.window}}]))
        total:
          source: prometheus
          queryType: promql
          query: sum(rate(http_requests_total[{{.window}}]))
      target: OBJECTIVE
"""


@pytest.mark.parametrize(
    ("text", "quoted", "key"),
    [
        (SLOTH_PLAIN, '"99.5"', "objective"),
        (SLOTH_PLAIN, "'99.5'", "objective"),
        (SLOTH_RESOURCE, '"99.5"', "objective"),
        (SLOTH_V1ALPHA, '"0.995"', "target"),
    ],
    ids=["plain-double", "plain-single", "resource", "openslo-v1alpha"],
)
def test_a_sloth_objective_written_in_quotes_is_refused_as_sloth_refuses_it(
    run, tmp_path: Path, text: str, quoted: str, key: str
) -> None:
    # Sloth's spec has `Objective float64` (OpenSLO v1alpha's `target` too), read by gopkg.in/yaml.v2,
    # which makes no number of text ("cannot unmarshal !!str `99.5` into float64"); the resource's
    # schema says number. servicebook read "99.5" as 99.5: a file Sloth refuses was imported and compared.
    file = tmp_path / "slo.yaml"
    file.write_text(text.replace("OBJECTIVE", quoted))
    result = run("import", "sloth", file)
    assert result.exit_code == 1
    value = quoted.strip("'\"")
    assert (
        f"{file}:{_place(file.read_text(), f'{key}: ')}: error: {key} '{value}' is written in quotes, as text: "
        "Sloth reads a number there and refuses the file\n"
    ) in result.stderr
    assert f"hint: write {key}: {value}, without quotes\n" in result.stderr
    assert "Traceback" not in result.output

    file.write_text(text.replace("OBJECTIVE", value))  # as Sloth's examples write it
    assert run("import", "sloth", file).exit_code == 0


def test_the_drift_check_does_not_compare_a_sloth_objective_sloth_refuses(run, tmp_path: Path) -> None:
    site = _pasted(
        [
            {
                "id": "web",
                "name": "Web",
                "slos": [{"id": "availability", "name": "Availability", "objective": 99.5, "window": "30d"}],
            }
        ],
        tmp_path,
    )
    text = SLOTH_PLAIN.replace("OBJECTIVE", '"99.5"')
    monitoring = _monitoring(tmp_path, {"web.yaml": text})
    result = run("check", "--source", site, "--against", monitoring)
    assert result.exit_code == 1
    assert (
        f"{monitoring / 'web.yaml'}:{_place(text, 'objective: ')}: error: objective '99.5' is written in quotes, "
        "as text: Sloth reads a number there and refuses the file"
    ) in result.stderr


PYRRA = """apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: api-errors
  namespace: web
spec:
  target: TARGET
  window: 28d
  indicator:
    ratio:
      errors:
        metric: http_requests_total{code=~"5.."}
      total:
        metric: http_requests_total
"""


@pytest.mark.parametrize("target", ["99.5", "99"])
def test_a_pyrra_target_written_as_a_number_is_said_as_kubernetes_refuses_it(run, tmp_path: Path, target: str) -> None:
    # Pyrra's `Target string` (its CRD: type string): `kubectl apply` of `target: 99.5` is refused by the
    # API ("spec.target in body must be of type string"); Pyrra's filesystem mode (sigs.k8s.io/yaml,
    # which turns a number into the string field's text) takes it. servicebook said nothing.
    file = tmp_path / "slo.yaml"
    file.write_text(PYRRA.replace("TARGET", target))
    result = run("import", "pyrra", file)
    assert result.exit_code == 0, result.output
    assert (
        f"{file}:7:11: warning: target {target} is written as a number: the Kubernetes API refuses the resource "
        "(Pyrra's schema says target is a string: spec.target in body must be of type string); Pyrra read from "
        "files takes it, as servicebook does\n"
    ) in result.stderr
    assert f'hint: write target: "{target}", quoted, as Pyrra\'s examples do\n' in result.stderr
    assert yaml.safe_load(result.stdout)["offerings"][0]["slos"][0]["objective"] == float(target)

    site = _pasted(yaml.safe_load(result.stdout)["offerings"], tmp_path)
    monitoring = _monitoring(tmp_path, {"slo.yaml": file.read_text()})
    checked = run("check", "--source", site, "--against", monitoring)
    assert checked.exit_code == 0, checked.output
    assert f"target {target} is written as a number" in checked.stderr
    assert run("check", "--source", site, "--against", monitoring, "--strict").exit_code == 1

    for quoted in (f'"{target}"', f"'{target}'"):  # as every example of Pyrra's writes it
        file.write_text(PYRRA.replace("TARGET", quoted))
        assert "written as a number" not in run("import", "pyrra", file).stderr


# --- OpenSLO v1: every kind, and metrics of other vendors ----------------------------------------------

# A threshold SLO of New Relic's, as OpenSLO v1 allows any vendor's metricSource (written for this
# test in the shape of OpenSLO's README: thresholdMetric, an objective's op and value, Timeslices)
NEWRELIC_THRESHOLD = """apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-latency
spec:
  service: checkout
  budgetingMethod: Timeslices
  timeWindow:
    - duration: 7d
      isRolling: true
  indicator:
    metadata:
      name: checkout-p95
    spec:
      thresholdMetric:
        metricSource:
          type: NewRelic
          spec:
            nrql: SELECT percentile(duration, 95) FROM Transaction WHERE appName = 'checkout'
  objectives:
    - displayName: p95 under 300 ms
      op: lte
      value: 0.3
      target: 0.99
      timeSliceTarget: 0.95
      timeSliceWindow: 5m
"""


def test_a_threshold_of_another_vendors_metric_is_said_with_its_bound(run, tmp_path: Path) -> None:
    # "dropped the measurement: its metric is from 'NewRelic'" and nothing of `lte 0.3`: the fragment
    # promised 99 % of slices good with no word of what makes a slice good
    file = tmp_path / "slo.yaml"
    file.write_text(NEWRELIC_THRESHOLD)
    result = run("import", "openslo", file)
    assert result.exit_code == 0, result.output
    assert (
        f"{file}:17:11: warning: dropped the measurement, a threshold (lte 0.3): its metric is from 'NewRelic', "
        "and the catalog's measurement speaks Prometheus\n"
    ) in result.stderr
    assert (
        "hint: write in the SLO's sli: what is measured and its bound (lte 0.3): the objective counts what keeps to it\n"
        in (result.stderr)
    )
    (slo,) = yaml.safe_load(result.stdout)["offerings"][0]["slos"]
    assert (slo["objective"], slo["budgeting"], slo["timeslice_target"]) == (99, "timeslices", 95)
    assert "measurement" not in slo


def test_a_ratio_of_another_vendors_metrics_is_said_as_before(run, tmp_path: Path) -> None:
    # a ratio has no bound: the note is as it was
    file = tmp_path / "slo.yaml"
    file.write_text(
        NEWRELIC_THRESHOLD.replace(
            """      thresholdMetric:
        metricSource:
          type: NewRelic
          spec:
            nrql: SELECT percentile(duration, 95) FROM Transaction WHERE appName = 'checkout'
""",
            """      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Datadog
            spec:
              query: sum:trace.http.request.hits.by_http_status{http.status_class:2xx}.as_count()
        total:
          metricSource:
            type: Datadog
            spec:
              query: sum:trace.http.request.hits{*}.as_count()
""",
        ).replace("      op: lte\n      value: 0.3\n", "")  # a ratio's objective is its target (round 20)
    )
    result = run("import", "openslo", file)
    assert result.exit_code == 0, result.output
    assert (
        "warning: dropped the measurement: its metric is from 'Datadog', and the catalog's measurement speaks "
        "Prometheus\n"
    ) in result.stderr


def test_openslo_alerting_kinds_alone_are_named_each_and_nothing_is_imported(run) -> None:
    # OpenSLO/go-sdk's AlertPolicies with conditions and notification targets referenced and inline
    file = INTEROP / "openslo-sdk-alert-policies.yaml"
    result = run("import", "openslo", file)
    assert result.exit_code == 1
    for line, kind in (
        (2, "AlertPolicy"),
        (48, "AlertPolicy"),
        (72, "AlertCondition"),
        (90, "AlertNotificationTarget"),
    ):
        assert f"{file}:{line}:9: warning: dropped the {kind} (alerting is not part of the catalog)\n" in result.stderr
    assert f"error: no SLO in {file}: nothing to import" in result.stderr
    assert "Traceback" not in result.output


def test_the_sdks_threshold_slo_on_a_saturday_noon_week_imports_as_a_calendar_week_said(run) -> None:
    # OpenSLO/go-sdk's inline v1 SLO: a `1w` calendar from a Saturday at noon in New York, Timeslices,
    # a threshold objective with `op` and no `value`
    file = INTEROP / "openslo-sdk-inline-v1-slo.yaml"
    result = run("import", "openslo", file)
    assert result.exit_code == 0, result.output
    (slo,) = yaml.safe_load(result.stdout)["offerings"][0]["slos"]
    assert (slo["window"], slo["timezone"], slo["budgeting"], slo["timeslice_window"]) == (
        "calendar-week",
        "America/New_York",
        "timeslices",
        "1m",
    )
    assert "(a Saturday)" in result.stderr
    assert "dropped the measurement: a threshold (gt, no value) has no catalog shape" in result.stderr


# --- a ratio the metric source computes (`raw`) -----------------------------------------------------

OPENSLO_RAW = """apiVersion: openslo/v1
kind: SLO
metadata:
  name: rawslo
spec:
  service: svc
  budgetingMethod: Occurrences
  timeWindow:
    - duration: 30d
      isRolling: true
  indicator:
    metadata:
      name: raw-ind
    spec:
      ratioMetric:
        counter: false
        rawType: RAW_TYPE
        raw:
          metricSource:
            type: Prometheus
            spec:
              query: job:http_errors:ratio_rate5m{job="api"}
  objectives:
    - target: 0.99
"""


@pytest.mark.parametrize(
    ("raw_type", "error_ratio"),
    [
        ("failure", 'job:http_errors:ratio_rate5m{job="api"}'),
        ("success", '1 - (last_over_time(job:http_errors:ratio_rate5m{job="api"}[{{.window}}]))'),
    ],
)
def test_a_raw_ratio_written_as_a_selector_imports_as_a_query_the_catalog_takes_with_its_reading_said(
    run, tmp_path: Path, raw_type: str, error_ratio: str
) -> None:
    # a success ratio of a selector became `1 - (SELECTOR)`, which `check` refuses as neither form;
    # and either was read as the ratio over the whole window without a word, where OpenSLO's raw
    # says nothing of the time its ratio is over (a rate5m rule would be misread)
    file = tmp_path / "slo.yaml"
    file.write_text(OPENSLO_RAW.replace("RAW_TYPE", raw_type))
    result = run("import", "openslo", file)
    assert result.exit_code == 0, result.output
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    assert offering["slos"][0]["measurement"] == {"error_ratio": error_ratio}
    assert (
        f"{file}:15:7: warning: read the raw ratio's selector as a series holding the ratio over the SLO's whole window"
        in result.stderr
    )
    averaged = 'avg_over_time(job:http_errors:ratio_rate5m{job="api"}[{{.window}}])'
    assert (
        f"write error_ratio: {averaged if raw_type == 'failure' else '1 - ' + averaged} in the catalog" in result.stderr
    )
    checked = run("check", "--source", _pasted([offering], tmp_path))
    assert checked.exit_code == 0, checked.output


def test_servicebooks_own_raw_ratio_comes_back_without_a_word_on_its_reading(run, tmp_path: Path) -> None:
    # the export says the ratio is the catalog's error_ratio (servicebook.dev/measurement): its reading is known
    file = tmp_path / "slo.yaml"
    file.write_text(
        OPENSLO_RAW.replace("RAW_TYPE", "failure").replace(
            "    metadata:\n      name: raw-ind\n",
            "    metadata:\n      name: raw-ind\n      annotations:\n        servicebook.dev/measurement: error_ratio\n",
        )
    )
    result = run("import", "openslo", file)
    assert result.exit_code == 0, result.output
    assert "raw ratio's selector" not in result.stderr
