"""Round 8 of the other projects' own files and of users' rough edges (interop8): what the imports
and `check --against` say of what they cannot carry over as it was, each at its line. Fixtures are
copied unchanged, with their source in tests/interop/fixtures/SOURCES.md; inline ones are written
after the file they cite."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import GitSite, require_component
from tests.promhelp import INSTALL, Counter, installed, prometheus
from tests.test_interop_round7 import SLOGEN_V1ALPHA

from .conftest import run_import

INTEROP = Path(__file__).parent / "interop" / "fixtures"
SITES = Path(__file__).parent / "sites"


# --- radars -----------------------------------------------------------------------------------------


def test_an_empty_row_between_a_sheets_entries_is_named_at_its_line(run, tmp_path: Path) -> None:
    # a blank line or a row of separators between entries was passed over without a word: where an
    # entry was perhaps meant to be, or a row a spreadsheet emptied, the user could not tell
    file = tmp_path / "radar.csv"
    file.write_text(
        "\nname,ring,quadrant,isNew,description\nGo,Adopt,Languages,TRUE,x\n\n  \n,,,,\n"
        "Perl,Hold,Languages,FALSE,\n\n,,,,\n"
    )
    result = run_import(run, "techradar", file)
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
    result = run_import(run, "openslo", file)
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
    # slogen's OpenSLO v1alpha (logs queries), which Sloth's reading of v1alpha cannot read
    (monitoring / "old.yml").write_text(SLOGEN_V1ALPHA)
    for strict in ((), ("--strict",)):
        result = run("check", "--source", site, "--against", monitoring, *strict)
        assert "Traceback" not in result.output
        assert result.exit_code == 0, result.output
        assert (
            f"{monitoring / 'datadog.yaml'}:1:1: warning: DatadogSLO (datadoghq.com/v1alpha1): the Datadog Operator's "
            "resource, no SLO format servicebook reads (not compared: it names no offering or SLO of the catalog)"
        ) in result.stderr
        assert (
            f"{monitoring / 'old.yml'}:19:11: warning: OpenSLO openslo/v1alpha SLO: the good query is a sumologic Logs "
            "query: Sloth reads source prometheus (or sloth) with queryType promql (not compared: it names no "
            "offering or SLO of the catalog)"
        ) in result.stderr
        assert result.stdout.splitlines()[0].endswith("no errors, 2 warnings (above).")
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


# --- Pyrra's grouping: one objective a group ----------------------------------------------------------

# After Pyrra's examples/pyrra-connect-latency.yaml (vendored) and its ratio examples: an error ratio
# grouped by method, as Pyrra writes one SLO a method
PYRRA_GROUPED = """apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: availability
  namespace: ci
spec:
  target: '99'
  window: 1d
  indicator:
    ratio:
      errors:
        metric: http_requests_total{job="api",code=~"5.."}
      total:
        metric: http_requests_total{job="api"}
      grouping:
        - method
"""
DAY = 86_400
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
# GET: 100 requests a minute and never an error (no series of errors at all); POST: 10, one an error
GROUPED_SERIES = (
    Counter("http_requests_total", {"job": "api", "method": "GET", "code": "200"}, T0, T0 + 2 * DAY, lambda t: 100),
    Counter("http_requests_total", {"job": "api", "method": "POST", "code": "200"}, T0, T0 + 2 * DAY, lambda t: 9),
    Counter("http_requests_total", {"job": "api", "method": "POST", "code": "500"}, T0, T0 + 2 * DAY, lambda t: 1),
)


def test_a_pyrra_grouping_is_imported_as_its_promise_for_each_group(run, tmp_path: Path) -> None:
    # 'grouping' was dropped, and the catalog measured the sum over every group: a weaker promise than
    # Pyrra's, met while one group fails; Pyrra's own example, a native histogram by service and method
    result = run_import(run, "pyrra", INTEROP / "pyrra-connect-latency.yaml")
    assert result.exit_code == 0, result.output
    (slo,) = yaml.safe_load(result.stdout)["offerings"][0]["slos"]
    assert slo["measurement"] == {
        "error_ratio": "max(1 - histogram_fraction(0, 0.2, sum by (service, method) "
        '(rate(connect_server_requests_duration_seconds{job="pyrra",code="ok"}[{{.window}}]))))'
    }
    at = f"{INTEROP / 'pyrra-connect-latency.yaml'}:18:7"
    assert f"{at}: warning: measured the worst of each service, method: Pyrra's objective holds for each group" in (
        result.stderr
    )
    assert "dropped 'grouping'" not in result.stderr
    # the latency of a classic histogram, and a gauge, grouped alike
    latency = tmp_path / "latency.yaml"
    latency.write_text(
        PYRRA_GROUPED.replace(
            'errors:\n        metric: http_requests_total{job="api",code=~"5.."}',
            'success:\n        metric: request_seconds_bucket{le="0.3"}',
        )
        .replace(
            'total:\n        metric: http_requests_total{job="api"}', "total:\n        metric: request_seconds_count"
        )
        .replace("ratio:", "latency:")
    )
    gauge = tmp_path / "gauge.yaml"
    gauge.write_text(
        PYRRA_GROUPED.replace(
            PYRRA_GROUPED[PYRRA_GROUPED.index("    ratio:") :],
            '    bool_gauge:\n      metric: up{job="api"}\n      grouping: [instance]\n',
        )
    )
    result = run_import(run, "pyrra", latency, gauge)
    assert result.exit_code == 0, result.output
    first, second = yaml.safe_load(result.stdout)["offerings"][0]["slos"]
    assert first["measurement"]["error_ratio"] == (
        'max(1 - sum by (method) (increase(request_seconds_bucket{le="0.3"}[{{.window}}])) '
        "/ sum by (method) (increase(request_seconds_count[{{.window}}])))"
    )
    assert second["measurement"]["error_ratio"] == (
        'max(1 - sum by (instance) (sum_over_time(up{job="api"}[{{.window}}])) '
        '/ sum by (instance) (count_over_time(up{job="api"}[{{.window}}])))'
    )


def test_a_grouping_that_is_not_label_names_is_refused_at_its_place(run, tmp_path: Path) -> None:
    file = tmp_path / "slo.yaml"
    # (a UTF-8 name, `http.method`, is one on Prometheus 3: read since interop27; a mapping is none)
    file.write_text(PYRRA_GROUPED.replace("        - method\n", "        - {name: method}\n"))
    result = run_import(run, "pyrra", file)
    assert result.exit_code == 1
    assert f"{file}:16:11: error: 'grouping' is a list of label names" in result.stderr


@pytest.mark.git
def test_a_grouped_pyrra_slo_is_measured_as_its_worst_group(run, tmp_path: Path) -> None:
    # the sum over both methods is 1 error in 110 requests (99.1 %, within 99 %); POST alone is 90 %:
    # Pyrra's promise for POST is broken, and so is the catalog's now
    require_component(installed(), "Prometheus (prometheus and promtool)", INSTALL)
    file = tmp_path / "slo.yaml"
    file.write_text(PYRRA_GROUPED)
    result = run_import(run, "pyrra", file)
    assert result.exit_code == 0, result.output
    (slo,) = yaml.safe_load(result.stdout)["offerings"][0]["slos"]
    root = tmp_path / "repo"
    shutil.copytree(SITES / "minimal", root)
    text = (root / "catalog.yaml").read_text()
    old = text[text.index("    slos:\n") : text.index("    tools: [shared")]
    measured = (
        "    slos:\n      - id: availability\n        name: API availability\n        sli: Requests without a "
        "server error.\n        objective: 99\n        window: 1d\n        measurement:\n          error_ratio: "
        f"{json.dumps(slo['measurement']['error_ratio'])}\n"
    )
    (root / "catalog.yaml").write_text(text.replace(old, measured, 1))
    GitSite(root).commit("Catalog with a grouped measurement")
    (tmp_path / "prometheus").mkdir()
    with prometheus(tmp_path / "prometheus", GROUPED_SERIES) as url:
        result = run("measure", "--source", root, "--prometheus", url, "--at", "2026-01-02T12:00:00Z")
    assert result.exit_code == 0, result.output
    (entry,) = json.loads((root / "measurements" / "2026-01-02T12-00-00Z.json").read_text())["slos"]
    assert entry["attainment"] == pytest.approx(0.9, rel=1e-9)  # POST's, not the sum's 109/110
    assert entry["budget_remaining"] < 0


# --- the site's "not measured" ----------------------------------------------------------------------

REPO = Path(__file__).parent.parent


def test_the_site_says_why_an_slo_has_no_figures(run, tmp_path: Path) -> None:
    # every SLO without figures read "not measured": no query declared, declared but never measured, or a
    # run that could not measure it were one word for the reader; the last gives its reason already
    site = tmp_path / "site"
    site.mkdir()
    for name in ("content", "measurements"):
        shutil.copytree(REPO / name, site / name)
    catalog = (REPO / "catalog.yaml").read_text()
    assert catalog.count("      - id: latency\n") == 1
    (site / "catalog.yaml").write_text(catalog.replace("      - id: latency\n", "      - id: read-latency\n"))
    result = run("build", "--source", site, "--output", tmp_path / "public")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "public" / "slos" / "index.html").read_text()

    def cell(row: str) -> str:
        found = page[page.index(f'<tr id="{row}">') :]
        found = found[: found.index("</tr>")]
        return found[found.index('class="measured"') :]

    assert "not measured yet: declared, but no measurement run has included it" in cell(
        "slo-secrets-management-read-latency"
    )
    assert "not measured: the catalog declares no query for it" in cell("slo-artifact-registry-manifest-latency")
    assert '<strong class="num">' in cell("slo-ci-pipelines-availability")  # measured: its figures


# --- OpenSLO: a latency quantile under a bound --------------------------------------------------------

# "p99 under 300 ms", the commonest SLO there is, as OpenSLO writes it of a Prometheus histogram (after
# OpenSLO's README's thresholdMetric and the Prometheus documentation's histogram_quantile example)
OPENSLO_P99 = """apiVersion: openslo/v1
kind: SLO
metadata:
  name: latency
spec:
  service: api
  budgetingMethod: Occurrences
  indicator:
    metadata:
      name: api-p99
    spec:
      thresholdMetric:
        metricSource:
          type: Prometheus
          spec:
            query: histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{job="api"}[5m])) by (le))
  objectives:
    - op: lt
      value: 0.3
      target: 0.999
  timeWindow:
    - duration: 28d
      isRolling: true
"""


def test_a_latency_quantile_under_a_bound_says_what_to_write_and_what_it_then_promises(run, tmp_path: Path) -> None:
    # the measurement was dropped with "a threshold (lt 0.3) has no catalog shape" and a list of shapes:
    # the share of requests within a bucket bound is what measures it, a promise over the window's
    # requests, sound only when the bound is one of the histogram's buckets, which the file cannot say
    file = tmp_path / "slo.yaml"
    file.write_text(OPENSLO_P99)
    result = run_import(run, "openslo", file)
    assert result.exit_code == 0, result.output
    (slo,) = yaml.safe_load(result.stdout)["offerings"][0]["slos"]
    assert "measurement" not in slo
    assert "dropped the measurement: a threshold (lt 0.3) has no catalog shape" in result.stderr
    assert (
        "hint: the share of requests within the bound measures it: good: "
        'http_request_duration_seconds_bucket{job="api",le="0.3"}, total: http_request_duration_seconds_count'
        '{job="api"}, objective: 99 (99 % of the window\'s requests within 0.3, not the quantile at each data point), '
        "if 0.3 is one of the histogram's le bounds (any other matches no series)\n"
    ) in result.stderr
    # a quantile for each group (by le and another label), or kept above a bound: no one share to write
    for old, new in (("by (le)", "by (le, method)"), ("op: lt", "op: gt")):
        file.write_text(OPENSLO_P99.replace(old, new))
        result = run_import(run, "openslo", file)
        assert result.exit_code == 0, result.output
        assert "the share of requests within the bound" not in result.stderr
        assert "the catalog measures events (errors or good, over total)" in result.stderr
