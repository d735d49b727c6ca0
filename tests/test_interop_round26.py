"""interop26: Prometheus 3. It stores a classic histogram's `le` and a summary's `quantile` as floats
(`le="1"` is stored `le="1.0"`; prometheus.io/docs/prometheus/latest/migration), so a query written for
Prometheus 2 finds no bucket there, and one written for 3 none on a 2 scraping a Go exporter; and it reads
UTF-8 metric and label names, quoted in a selector's braces (`{"http.server.request.duration", le="0.5"}`).
Debian's Prometheus here is 2.42: the measurement runs against it with series backfilled in both spellings,
as an upgrade leaves them."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from servicebook.catalog.queries import (
    QueryForm,
    bucket_bounds,
    every_spelling,
    metric_name,
    open_metrics_float,
    query_form,
    unnormalised_bounds,
)
from servicebook.interop import importing
from servicebook.interop.foreign import PROMETHEUS3_BOUND
from tests.conftest import GitSite, require_component
from tests.promhelp import INSTALL, Counter, installed, prometheus
from tests.test_interop_round16 import _monitoring
from tests.test_interop_round22 import _file

SITES = Path(__file__).parent / "sites"
FIXTURES = Path(__file__).parent / "interop" / "fixtures"
DAY = 86_400
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
AT = "2026-01-02T12:00:00Z"  # a window of a day: half before the upgrade, half after


# --- the spellings of a bound ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        # as Prometheus 3's FormatOpenMetricsFloat writes them (model/labels/float.go)
        ("1", "1.0"),
        ("1.0", "1.0"),
        ("0", "0.0"),
        ("0.005", "0.005"),
        ("2.50", "2.5"),
        ("60", "60.0"),
        ("100000", "100000.0"),
        ("1e6", "1e+06"),
        ("1000000", "1e+06"),
        ("1234567", "1.234567e+06"),
        ("0.0001", "0.0001"),
        ("0.00001", "1e-05"),
        ("+Inf", "+Inf"),
        ("Inf", "+Inf"),
        ("-1", "-1.0"),
        ("fast", None),
        ("1_0", None),  # Python's float() reads it; Go's ParseFloat does not
    ],
)
def test_a_bound_is_spelt_as_prometheus_3_stores_it(written: str, stored: str | None) -> None:
    assert open_metrics_float(written) == stored


@given(st.floats(allow_nan=False))
def test_a_bound_as_stored_reads_back_as_the_same_number(value: float) -> None:
    stored = open_metrics_float(repr(value))
    assert stored is not None
    assert float(stored) == value
    assert "." in stored or "e" in stored or "Inf" in stored  # never a bare whole number, as Prometheus 2's `1`


@pytest.mark.parametrize(
    ("query", "sent"),
    [
        ('x_bucket{le="1"}', 'x_bucket{le=~"1|1\\\\.0"}'),
        ('x_bucket{le="1.0"}', 'x_bucket{le=~"1\\\\.0|1"}'),  # Go's exporter on Prometheus 2 wrote `1`
        ("x_bucket{job='a',le='60'}", "x_bucket{job='a',le=~\"60|60\\\\.0\"}"),
        ('x_bucket{le="0.5"}', 'x_bucket{le="0.5"}'),  # one spelling: as written
        ('x_bucket{le=~"1(\\\\.0)?"}', 'x_bucket{le=~"1(\\\\.0)?"}'),  # a regular expression: the writer's
        ('x_bucket{le!="1"}', 'x_bucket{le!="1"}'),
        ('x{quantile="1"}', 'x{quantile=~"1|1\\\\.0"}'),
        ('x{code=~"5.{2}",le="2"}', 'x{code=~"5.{2}",le=~"2|2\\\\.0"}'),  # braces inside a string passed over
        (
            'sum(rate(x_bucket{le="1"}[{{.window}}])) / sum(rate(x_count[{{.window}}]))',
            'sum(rate(x_bucket{le=~"1|1\\\\.0"}[{{.window}}])) / sum(rate(x_count[{{.window}}]))',
        ),
        ('label_replace(x{job="a"}, "le", "1", "", "")', 'label_replace(x{job="a"}, "le", "1", "", "")'),
        ('{"a.b_bucket", le="1"}', '{"a.b_bucket", le=~"1|1\\\\.0"}'),
    ],
)
def test_measure_asks_for_every_spelling_of_a_bound(query: str, sent: str) -> None:
    assert every_spelling(query) == sent


def test_a_bound_prometheus_3_stores_otherwise_is_found() -> None:
    assert unnormalised_bounds('x_bucket{le="1"} or y{quantile="0.5"} or z{quantile="1"}') == (
        ("le", "1", "1.0"),
        ("quantile", "1", "1.0"),
    )
    assert unnormalised_bounds('x_bucket{le="1.0"} or x_bucket{le="+Inf"} or x_bucket{le=~"1"}') == ()


# --- UTF-8 names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("selector", "metric"),
    [
        ('{"http.server.request.duration_bucket", le="0.5"}', "http.server.request.duration_bucket"),
        ('{"http.server.request.duration_count", "service.name"="api"}', "http.server.request.duration_count"),
        ("{'http.server.active_requests'}", "http.server.active_requests"),
        ('http_requests_total{"service.name"="api"}', "http_requests_total"),
        ('{__name__="http.server.request.duration_count"}', "http.server.request.duration_count"),
    ],
)
def test_a_selector_of_utf8_names_is_a_selector(selector: str, metric: str) -> None:
    # Prometheus 3's quoted names: `check` refused them as neither a selector nor PromQL with {{.window}}
    assert query_form(selector) is QueryForm.SELECTOR
    assert metric_name(selector) == metric


def test_a_bucket_named_in_utf8_is_a_bucket() -> None:
    assert bucket_bounds('{"http.server.request.duration_bucket", le="0.5"}') == (
        ("http.server.request.duration_bucket", "0.5"),
    )
    assert query_form('{"service.name"="api"}') is None  # a label alone selects every metric


def _site(tmp_path: Path, slos: str) -> GitSite:
    root = tmp_path / "repo"
    shutil.copytree(SITES / "minimal", root)
    text = (root / "catalog.yaml").read_text()
    old = text[text.index("    slos:\n") : text.index("    tools: [shared")]
    (root / "catalog.yaml").write_text(text.replace(old, "    slos:\n" + slos, 1))
    site = GitSite(root)
    site.commit("Catalog with measurements")
    return site


LATENCY = """\
      - id: latency
        name: API latency
        sli: Requests answered within a second.
        objective: 99
        window: 1d
        measurement:
"""


@pytest.mark.git
def test_check_reads_a_measurement_of_utf8_names(run, tmp_path: Path) -> None:
    site = _site(
        tmp_path,
        LATENCY
        + '          good: \'{"http.server.request.duration_bucket", "service.name"="api", le="1.0"}\'\n'
        + '          total: \'{"http.server.request.duration_count", "service.name"="api"}\'\n',
    )
    result = run("check", "--source", site.root)
    assert result.exit_code == 0, result.output
    assert "neither a metric selector" not in result.output


PYRRA_UTF8 = """\
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: checkout-latency
  namespace: shop
spec:
  target: "99"
  window: 28d
  indicator:
    latency:
      success:
        metric: '{"http.server.request.duration_bucket", "service.name"="checkout", le="0.5"}'
      total:
        metric: '{"http.server.request.duration_count", "service.name"="checkout"}'
"""


def test_import_pyrra_reads_a_latency_of_utf8_names(run, tmp_path: Path) -> None:
    # as an OpenTelemetry SDK's histogram is named on Prometheus 3 (`metric_name_validation_scheme: utf8`)
    result = run("import", "pyrra", _file(tmp_path, PYRRA_UTF8))
    assert result.exit_code == 0, result.output
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    assert offering["slos"][0]["measurement"] == {
        "good": '{"http.server.request.duration_bucket", "service.name"="checkout", le="0.5"}',
        "total": '{"http.server.request.duration_count", "service.name"="checkout"}',
    }


# --- what an import and the drift check say of a bound Prometheus 3 stores otherwise --------------------


def test_import_says_where_a_bound_is_one_prometheus_3_stores_otherwise(run) -> None:
    # Pyrra's own example, written for Prometheus 2: le="1" finds no bucket on Prometheus 3
    file = FIXTURES / "pyrra-apiserver-request-latency.yaml"
    result = run("import", "pyrra", file)
    assert result.exit_code == 0, result.output
    assert (
        f'{file}:14:111: warning: le="1" names a bucket that Prometheus 3 stores as le="1.0" (it writes every le '
        "and quantile value as a float): the rules a Pyrra before 0.10 (or run with "
        "--enable-prometheus3-migration=false) makes of this query find no series there (`measure` asks "
        "for both spellings)\n"
    ) in result.stderr
    # interop27: Pyrra 0.10 turned its migration on by default (pyrra-dev/pyrra#1827)
    assert (
        "  hint: run Pyrra 0.10 or later, whose Prometheus 3 migration (on by default) matches both, "
        'or write le="1.0" (found on Prometheus 3 only)\n'
    ) in result.stderr
    assert 'le="1"}' in result.stdout  # the catalog keeps the query as written: `measure` asks for both


SLOTH_LATENCY = """\
version: prometheus/v1
service: checkout
slos:
  - name: latency
    objective: 99
    sli:
      events:
        error_query: >-
          sum(rate(http_request_duration_seconds_count[{{.window}}]))
          - sum(rate(http_request_duration_seconds_bucket{le="0.5"}[{{.window}}]))
        total_query: sum(rate(http_request_duration_seconds_count[{{.window}}]))
    alerting:
      page_alert:
        disable: true
      ticket_alert:
        disable: true
  - name: slow
    objective: 99
    sli:
      events:
        error_query: >-
          sum(rate(http_request_duration_seconds_count[{{.window}}]))
          - sum(rate(http_request_duration_seconds_bucket{le="2"}[{{.window}}]))
        total_query: sum(rate(http_request_duration_seconds_count[{{.window}}]))
    alerting:
      page_alert:
        disable: true
      ticket_alert:
        disable: true
"""


def test_import_sloth_says_a_bound_with_the_expression_that_matches_both(run, tmp_path: Path) -> None:
    file = _file(tmp_path, SLOTH_LATENCY)
    result = run("import", "sloth", file)
    assert result.exit_code == 0, result.output
    assert 'le="0.5" names' not in result.stderr  # stored as written on both
    assert f'{file}:23:59: warning: le="2" names a bucket that Prometheus 3 stores as le="2.0"' in result.stderr
    assert '  hint: write le="2.0", or le=~"2|2\\\\.0" to match both\n' in result.stderr


@pytest.mark.git
def test_check_against_says_a_bound_the_monitoring_finds_nothing_of_on_prometheus_3(run, tmp_path: Path) -> None:
    pyrra = (FIXTURES / "pyrra-apiserver-request-latency.yaml").read_text()
    site = _site(
        tmp_path,
        LATENCY.replace("id: latency", "id: apiserver-read-resource-request-latency").replace("1d", "14d")
        + '          good: apiserver_request_duration_seconds_bucket{job="apiserver",scope=~"resource|",'
        'verb=~"LIST|GET",le="1"}\n'
        '          total: apiserver_request_duration_seconds_count{job="apiserver",scope=~"resource|",'
        'verb=~"LIST|GET"}\n',
    )
    monitoring = _monitoring(tmp_path, {"latency.yaml": pyrra.replace("namespace: monitoring", "namespace: ci")})
    result = run("check", "--source", site.root, "--against", monitoring)
    assert result.exit_code == 0, result.output
    # interop27: Pyrra 0.10's Prometheus 3 migration, on by default, finds le="1" in both spellings (what
    # `export pyrra` writes): said by the import, not failing the drift check's --strict
    assert "Prometheus 3" not in result.stderr
    assert run("check", "--source", site.root, "--against", monitoring, "--strict").exit_code == 0
    sloth = tmp_path / "sloth" / "latency.yaml"
    sloth.parent.mkdir()
    sloth.write_text(
        "version: prometheus/v1\nservice: ci\nslos:\n  - name: apiserver-read-resource-request-latency\n"
        "    objective: 99\n    sli:\n      events:\n        error_query: >-\n"
        '          sum(rate(apiserver_request_duration_seconds_count{job="apiserver",scope=~"resource|",'
        'verb=~"LIST|GET"}[{{.window}}])) - sum(rate(apiserver_request_duration_seconds_bucket{job="apiserver",'
        'scope=~"resource|",verb=~"LIST|GET",le="1"}[{{.window}}]))\n        total_query: '
        'sum(rate(apiserver_request_duration_seconds_count{job="apiserver",scope=~"resource|",verb=~"LIST|GET"}'
        "[{{.window}}]))\n    alerting:\n      page_alert:\n        disable: true\n      ticket_alert:\n"
        "        disable: true\n"
    )
    # Sloth takes the query as written: said, and failing --strict
    result = run("check", "--source", site.root, "--against", sloth.parent, "--sloth-period", "14d")
    assert f'{sloth}:9:234: warning: le="1" names a bucket that Prometheus 3 stores as' in result.stderr
    assert (
        run("check", "--source", site.root, "--against", sloth.parent, "--sloth-period", "14d", "--strict").exit_code
        == 1
    )
    (monitoring / "latency.yaml").write_text(pyrra.replace('le="1"', 'le="1.0"').replace("monitoring", "ci"))
    result = run("check", "--source", site.root, "--against", monitoring, "--strict")
    assert "Prometheus 3" not in result.stderr
    # le="1.0" is the catalog's le="1": one bound, which `measure` asks for in both spellings
    assert " query is " not in result.stderr
    assert result.exit_code == 0, result.output


# --- measure against Prometheus, series in both spellings -----------------------------------------------

# the day before the upgrade a Go exporter's bucket scraped by Prometheus 2 as le="1", the day after
# stored by Prometheus 3 as le="1.0" (a new series, from the next scrape on); the count throughout
SERIES = (
    Counter("request_seconds_bucket", {"le": "1"}, T0, T0 + DAY, lambda t: 99),
    Counter("request_seconds_bucket", {"le": "1.0"}, T0 + DAY + 60, T0 + 2 * DAY, lambda t: 99),
    Counter("request_seconds_bucket", {"le": "+Inf"}, T0, T0 + 2 * DAY, lambda t: 100),
    Counter("request_seconds_count", {}, T0, T0 + 2 * DAY, lambda t: 100),
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_component(installed(), "Prometheus (prometheus and promtool)", INSTALL)
    with prometheus(tmp_path_factory.mktemp("prometheus"), SERIES) as url:
        yield url


@pytest.mark.git
@pytest.mark.parametrize(
    "measurement",
    [
        # Prometheus 2's spelling of the bound, Prometheus 3's, and Sloth's PromQL
        '          good: request_seconds_bucket{le="1"}\n          total: request_seconds_count\n',
        '          good: request_seconds_bucket{le="1.0"}\n          total: request_seconds_count\n',
        "          error_ratio: >-\n"
        '            1 - sum(rate(request_seconds_bucket{le="1"}[{{.window}}])) / sum(rate(request_seconds_count'
        "[{{.window}}]))\n",
    ],
)
def test_measure_counts_a_bucket_in_both_spellings_across_an_upgrade(
    server: str, run, tmp_path: Path, measurement: str
) -> None:
    # it counted the half of the window stored in the spelling written: 49.5 %, where 99 % of requests were fast
    site = _site(tmp_path, LATENCY + measurement)
    result = run("measure", "--source", site.root, "--prometheus", server, "--at", AT)
    assert result.exit_code == 0, result.output
    (entry,) = json.loads((site.root / "measurements" / "2026-01-02T12-00-00Z.json").read_text())["slos"]
    assert entry["attainment"] == pytest.approx(0.99, abs=0.002)
    assert all('le="1' not in query for query in entry["queries"].values())
    assert any('le=~"1|1\\\\.0"' in q or 'le=~"1\\\\.0|1"' in q for q in entry["queries"].values())


@pytest.mark.git
def test_measure_still_names_a_bound_no_spelling_of_which_is_a_bucket(server: str, run, tmp_path: Path) -> None:
    site = _site(
        tmp_path, LATENCY + '          good: request_seconds_bucket{le="2"}\n          total: request_seconds_count\n'
    )
    result = run("measure", "--source", site.root, "--prometheus", server, "--at", AT)
    assert result.exit_code == 3, result.output
    assert (
        'ci/latency: not measured: the good selector found no bucket le="2": no series of request_seconds_bucket '
        "has that bound in the window (its bounds: 1, 1.0, +Inf)"
    ) in result.output


def test_an_error_query_of_the_total_minus_the_fast_requests_is_not_said_to_count_the_good_ones(run, tmp_path) -> None:
    # `count - bucket{le="0.5"}`, the requests over the bound, was said to count "the requests within the bound,
    # the good ones", and told to write what it is: the total minus them
    file = _file(tmp_path, SLOTH_LATENCY)
    result = run("import", "sloth", file)
    assert result.exit_code == 0, result.output
    assert "the error query counts" not in result.stderr
    result = run(
        "import",
        "sloth",
        _file(
            tmp_path,
            SLOTH_LATENCY.replace(
                "_count[{{.window}}]))\n          -", '_bucket{le="0.5"}[{{.window}}]))\n          -'
            ),
            "bucket.yaml",
        ),
    )
    assert "warning: the error query counts http_request_duration_seconds_bucket under le=0.5" in result.stderr


@pytest.mark.parametrize(
    ("fmt", "name", "at", "bound"),
    [
        # the projects' own files, written for Prometheus 2 (Kuadrant's with Istio's milliseconds)
        (
            "pyrra",
            "pyrra-apiserver-read-namespace-latency.yaml",
            "14:122",
            'le="5" names a bucket that Prometheus 3 stores as le="5.0"',
        ),
        (
            "sloth",
            "sloth-kuadrant-latency.yaml",
            "11:74",
            'le="250" names a bucket that Prometheus 3 stores as le="250.0"',
        ),
        (
            "sloth",
            "sloth-openslo-kubernetes-apiserver.yml",
            "57:69",
            'le="5" names a bucket that Prometheus 3 stores as le="5.0"',
        ),
    ],
)
def test_real_files_written_for_prometheus_2_are_said_to_find_no_bucket_on_3(
    run, fmt: str, name: str, at: str, bound: str
) -> None:
    file = FIXTURES / name
    result = run("import", fmt, file)
    assert result.exit_code == 0, result.output
    assert f"{file}:{at}: warning: {bound}" in result.stderr


@pytest.mark.parametrize(
    ("name", "objective", "errors"),
    [
        (
            "pyrra-prometheus-http-errors.yaml",
            99.99,
            'prometheus_http_requests_total{job="prometheus-k8s",code=~"5.."}',
        ),
        (
            "pyrra-apiserver-write-response-errors.yaml",
            99,
            'apiserver_request_total{component="apiserver",verb=~"POST|PUT|PATCH|DELETE",code=~"5.."}',
        ),
        (
            "pyrra-prometheus-operator-http-errors.yaml",
            99.5,
            'prometheus_operator_kubernetes_client_http_requests_total{job="prometheus-operator",status_code=~"5.."}',
        ),
    ],
)
def test_pyrra_s_own_ratio_objectives_of_round_26_import_as_written(
    run, name: str, objective: float, errors: str
) -> None:
    result = run("import", "pyrra", FIXTURES / name)
    assert result.exit_code == 0, result.output
    ((slo,),) = [o["slos"] for o in yaml.safe_load(result.stdout)["offerings"]]
    assert (slo["objective"], slo["window"], slo["measurement"]["errors"]) == (objective, "14d", errors)
    assert "Prometheus 3" not in result.stderr


@pytest.mark.git
def test_measure_says_a_prometheus_2_cannot_read_a_quoted_name(server: str, run, tmp_path: Path) -> None:
    # Prometheus 2.42's own words were all: "parse error: unexpected string … in label matching"
    site = _site(
        tmp_path,
        LATENCY
        + '          good: \'{"http.server.request.duration_bucket", le="1.0"}\'\n'
        + "          total: '{\"http.server.request.duration_count\"}'\n",
    )
    result = run("measure", "--source", site.root, "--prometheus", server, "--at", AT)
    assert result.exit_code == 3, result.output
    assert "in label matching, expected identifier" in result.output
    assert (
        'names a metric or label in quotes (a UTF-8 name, `{"http.server.request.duration"}`), which Prometheus '
        "reads from version 3 on; ask a Prometheus 3, or write the name as this server stores it"
    ) in result.output


def test_backstage_s_environment_kind_is_skipped_with_its_reason_beside_a_component(run) -> None:
    # catalog-model's examples of 2026: an Environment (dev, prod), which servicebook has no place for
    files = [FIXTURES / "backstage-environment-dev.yaml", FIXTURES / "backstage-workplace-component.yaml"]
    result = run("import", "backstage", *files)
    assert result.exit_code == 0, result.output
    assert f"{files[0]}:1:1: warning: skipped Environment 'dev': servicebook has no place for it\n" in result.stderr
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    assert (offering["id"], offering["owner"], offering["lifecycle"]) == ("wokplaceanalytics", "inpixon", "ga")


# an OpenSLO SLO and its SLI in one file, as OpenSLO's README writes a ratioMetric's Prometheus sources
OPENSLO_LATENCY = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-latency
spec:
  service: checkout
  indicatorRef: checkout-fast
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.99
---
apiVersion: openslo/v1
kind: SLI
metadata:
  name: checkout-fast
spec:
  ratioMetric:
    good:
      metricSource:
        type: Prometheus
        spec:
          query: sum(rate(http_request_duration_seconds_bucket{job="checkout",le="1"}[5m]))
    total:
      metricSource:
        type: Prometheus
        spec:
          query: sum(rate(http_request_duration_seconds_count{job="checkout"}[5m]))
"""


def test_import_openslo_says_a_bound_of_an_sli_read_beside_its_slo(run, tmp_path: Path) -> None:
    # an OpenSLO SLO's queries are known once its SLI is joined to it, after every file is read: not said
    file = _file(tmp_path, OPENSLO_LATENCY)
    result = run("import", "openslo", file)
    assert result.exit_code == 0, result.output
    assert (
        f'{file}:25:79: warning: le="1" names a bucket that Prometheus 3 stores as le="1.0" (it writes every le and '
        "quantile value as a float): the rules a tool reading OpenSLO makes of this query find no series there"
    ) in result.stderr
    assert '  hint: write le="1.0", or le=~"1|1\\\\.0" to match both\n' in result.stderr


def test_a_query_of_many_bounds_is_said_of_three(run, tmp_path: Path) -> None:
    # each bound said was looked for in the file from the SLI's line on: 40,000 of them in one 900 KB query
    # took minutes; a query has a bound or two
    query = " + ".join(f'x_bucket{{le="{i}"}}' for i in range(1, 200))
    file = _file(
        tmp_path,
        f"version: prometheus/v1\nservice: s\nslos:\n  - name: a\n    objective: 99\n    sli:\n"
        f"      raw:\n        error_ratio_query: '{query}'\n",
    )
    reading = importing.read([(str(file), file)], expect="sloth", named=True)
    assert sum(note.kind == PROMETHEUS3_BOUND for note in reading.notes) == 3
    assert run("import", "sloth", file).exit_code == 0
