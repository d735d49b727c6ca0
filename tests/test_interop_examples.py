"""The imports and `check --against` read the examples the other projects ship (their example
folders, their SDK's examples, their validators' test inputs) as those projects read them: each
file is imported, or refused at its line with what to do. Fixtures are copied unchanged, with
their source in tests/interop/fixtures/SOURCES.md; inline ones are written after the file they cite."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from servicebook.catalog.queries import QueryForm, query_form

from .conftest import run_import
from .openslo_v1 import problems

INTEROP = Path(__file__).parent / "interop" / "fixtures"
SITES = Path(__file__).parent / "sites"


# --- Sloth ------------------------------------------------------------------------------------------


def test_a_sloth_managed_prometheus_service_level_is_read_as_the_sloth_spec_it_is(run) -> None:
    # Sloth's examples/managed-prometheus-grpc-server.yml: kind ManagedPrometheusServiceLevel, the
    # PrometheusServiceLevel spec for Google Cloud's Managed Prometheus (it was "not read")
    file = INTEROP / "sloth-managed-prometheus-grpc-server.yml"
    result = run_import(run, "sloth", file)
    assert result.exit_code == 0, result.output
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    assert (offering["id"], offering["owner"], offering["tier"]) == ("myservice", "myteam", "2")
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
        result = run_import(run, "openslo", file)
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
    result = run_import(run, "openslo", file)
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
    result = run_import(run, "openslo", slos, services)
    assert result.exit_code == 0, result.output
    assert [o["id"] for o in yaml.safe_load(result.stdout)["offerings"]] == ["foo-slos"]
    assert (
        f"{services}:10:11: warning: skipped Service 'example-service': no SLO in the files read names it"
    ) in result.stderr
    assert "skipped Service 'foo-slos'" not in result.stderr


# An OpenSLO ratio of gauges: `counter: false`, which OpenSLO's README says of "a single number that
# can arbitrarily go up or down" (the SDK's examples/slis.yaml writes one, of AppDynamics metrics)
OPENSLO_GAUGES = """apiVersion: openslo/v1
kind: SLO
metadata:
  name: runners-available
spec:
  service: ci
  indicator:
    metadata:
      name: runners-up
    spec:
      ratioMetric:
        counter: false
        good:
          metricSource:
            type: Prometheus
            spec:
              query: ci_runners{state="idle"}
        total:
          metricSource:
            type: Prometheus
            spec:
              query: ci_runners
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.99
"""


def test_an_openslo_ratio_of_gauges_is_not_counted_as_counters(run, tmp_path: Path) -> None:
    # the selectors were kept as written, which the catalog counts as counters' increase over the
    # window: a gauge's increase is how much it rose, not how much it was
    file = tmp_path / "slo.yaml"
    file.write_text(OPENSLO_GAUGES)
    result = run_import(run, "openslo", file)
    assert result.exit_code == 0, result.output
    (slo,) = yaml.safe_load(result.stdout)["offerings"][0]["slos"]
    assert slo["measurement"] == {
        "good": 'sum(sum_over_time(ci_runners{state="idle"}[{{.window}}]))',
        "total": "sum(sum_over_time(ci_runners[{{.window}}]))",
    }
    assert all(query_form(q) is QueryForm.TEMPLATE for q in slo["measurement"].values())
    assert (
        f"{file}:12:18: warning: guessed the good and total queries as sums over {{{{.window}}}}: counter: false "
        "says the metrics are not counters"
    ) in result.stderr
    counted = tmp_path / "counted.yaml"
    counted.write_text(OPENSLO_GAUGES.replace("counter: false", "counter: true"))
    assert yaml.safe_load(run_import(run, "openslo", counted).stdout)["offerings"][0]["slos"][0]["measurement"] == {
        "good": 'ci_runners{state="idle"}',
        "total": "ci_runners",
    }


# --- Tech radars --------------------------------------------------------------------------------------

# Build-Your-Own-Radar's JSON of several sheets, an object of lists by sheet name, as its end-to-end
# tests' spec/end_to_end_tests/resources/multi_data.json (AGPL-3.0, so not copied: written anew in its shape)
BYOR_SHEETS = """{
  "First": [
    {
      "name": "Path-to-production mapping",
      "ring": "Adopt",
      "quadrant": "Techniques",
      "isNew": "TRUE",
      "description": "<p>Mapping the steps to production.</p>"
    }
  ],
  "Second": [
    {
      "name": "io-ts",
      "ring": "Trial",
      "quadrant": "Languages & Frameworks",
      "isNew": "FALSE",
      "description": "<p>Runtime types.</p>"
    }
  ]
}
"""


def test_a_build_your_own_radar_file_of_several_sheets_is_refused_naming_them(run, tmp_path: Path) -> None:
    # it was "the radar has no list of 'entries'", at the file's first line, and no way out
    file = tmp_path / "multi_data.json"
    file.write_text(BYOR_SHEETS)
    result = run_import(run, "techradar", file)
    assert result.exit_code == 1
    assert (
        f"{file}:2:3: error: a Build-Your-Own-Radar file of 2 sheets ('First', 'Second'): a radar is one sheet"
    ) in result.stderr
    assert "hint: save the list of the sheet to import as a file of its own, and import that" in result.stderr


def test_a_build_your_own_radar_file_of_one_sheet_is_read_as_that_sheet(run, tmp_path: Path) -> None:
    file = tmp_path / "one_sheet.json"
    file.write_text(json.dumps({"Second": json.loads(BYOR_SHEETS)["Second"]}, indent=2))
    result = run_import(run, "techradar", file)
    assert result.exit_code == 0, result.output
    (tool,) = yaml.safe_load(result.stdout)["tools"]
    assert (tool["id"], tool["status"], tool["reason"]) == ("io-ts", "best-effort", "Runtime types.")


# AOE's radar as its build wrote it (src/rd.json): an item whose newest revision has no title of its
# own is titled by its file, `akeneo.md`, where its revisions say `Akeneo` (written anew in that shape)
AOE_FILE_TITLED = (
    '{"items":[{"flag":"default","featured":false,"revisions":[{"name":"akeneo","release":"2017-03-01",'
    '"title":"Akeneo","ring":"assess","quadrant":"tools","fileName":"radar/2017-03-01/akeneo.md",'
    '"body":"<p>A product information system.</p>\\n"}],"name":"akeneo","title":"akeneo.md","ring":"assess",'
    '"quadrant":"tools","body":"<p>A product information system.</p>\\n","info":"","release":"2019-11-01",'
    '"fileName":"radar/2019-11-01/akeneo.md"},\n'
    '{"flag":"default","featured":false,"revisions":[{"name":"ant","release":"2017-03-01","ring":"hold",'
    '"quadrant":"tools","fileName":"radar/2017-03-01/ant.md","body":"<p>Use Gradle.</p>\\n"}],"name":"ant",'
    '"title":"ant.md","ring":"hold","quadrant":"tools","body":"<p>Use Gradle.</p>\\n","info":"",'
    '"release":"2017-03-01","fileName":"radar/2017-03-01/ant.md"}]}\n'
)


def test_an_aoe_item_titled_by_its_file_takes_the_title_its_revisions_give(run, tmp_path: Path) -> None:
    # the tool was named "akeneo.md", its id akeneo-md
    file = tmp_path / "rd.json"
    file.write_text(AOE_FILE_TITLED)
    result = run_import(run, "techradar", file)
    assert result.exit_code == 0, result.output
    tools = yaml.safe_load(result.stdout)["tools"]
    assert [(t["id"], t["name"]) for t in tools] == [("akeneo", "Akeneo"), ("ant", "ant")]
    assert (
        f"{file}:1:265: warning: guessed entry 'akeneo.md': title 'Akeneo' from its revisions (AOE's build titles "
        "an item without one by its file)"
    ) in result.stderr
    assert "guessed entry 'ant.md': title 'ant' from its name" in result.stderr


# AOE's build gives an item the body of its newest revision, which for a tool that moved ring is
# often only a note of the move (akka-streams in AOE's src/rd.json; written anew in that shape)
AOE_MOVED = (
    '{"items":[{"flag":"changed","featured":false,"revisions":[{"name":"streams","release":"2019-11-01",'
    '"title":"Streams","ring":"adopt","quadrant":"tools","fileName":"radar/2019-11-01/streams.md",'
    '"body":"<p>Updated to &quot;adopt&quot;</p>\\n"},{"name":"streams","release":"2018-03-01",'
    '"title":"Streams","ring":"assess","quadrant":"tools","fileName":"radar/2018-03-01/streams.md",'
    '"body":"<p>Data as a stream of elements, bounded in memory.</p>\\n"}],"name":"streams","title":"Streams",'
    '"ring":"adopt","quadrant":"tools","body":"<p>Updated to &quot;adopt&quot;</p>\\n","info":"",'
    '"release":"2019-11-01","fileName":"radar/2019-11-01/streams.md"}]}\n'
)


def test_an_aoe_item_whose_newest_revision_only_notes_its_move_keeps_its_description(run, tmp_path: Path) -> None:
    # its reason was "Updated to "adopt"", and the description it moved with was said dropped
    file = tmp_path / "rd.json"
    file.write_text(AOE_MOVED)
    result = run_import(run, "techradar", file)
    assert result.exit_code == 0, result.output
    (tool,) = yaml.safe_load(result.stdout)["tools"]
    assert (tool["status"], tool["reason"]) == ("supported", "Data as a stream of elements, bounded in memory.")
    assert (
        "warning: guessed entry 'Streams': reason from its revision of 2018-03-01: its newest only says "
        "'Updated to \"adopt\"'"
    ) in result.stderr


# --- Backstage ----------------------------------------------------------------------------------------

# Backstage's docs/features/software-catalog/descriptor-format.md (its "Kind: Template" as it was,
# "Exactly equal to backstage.io/v1beta2 and Template"), beside a Component
BACKSTAGE_V1BETA2_TEMPLATE = """apiVersion: backstage.io/v1beta2
kind: Template
# some metadata about the template itself
metadata:
  name: v1beta2-demo
  title: Test Action template
  description: scaffolder v1beta2 template demo
spec:
  owner: backstage/techdocs-core
  type: service

  # these are the steps which are rendered in the frontend with the form input
  parameters:
    - title: Fill in some steps
      required:
        - name
      properties:
        name:
          title: Name
          type: string
          description: Unique name of the component
          ui:autofocus: true
          ui:options:
            rows: 5

  # here's the steps that are executed in series in the scaffolder backend
  steps:
    - id: fetch-base
      name: Fetch Base
      action: fetch:template
      input:
        url: ./template
        values:
          name: '{{ parameters.name }}'
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: artist-web
  description: The place to be, for great artists
spec:
  type: website
  lifecycle: production
  owner: artist-relations-team
"""


def test_a_backstage_template_of_the_scaffolders_v1beta2_is_skipped_as_its_newer_ones_are(run, tmp_path: Path) -> None:
    # "apiVersion 'backstage.io/v1beta2' is not one servicebook reads" failed the whole import
    file = tmp_path / "catalog-info.yaml"
    file.write_text(BACKSTAGE_V1BETA2_TEMPLATE)
    result = run_import(run, "backstage", file)
    assert result.exit_code == 0, result.output
    assert [o["id"] for o in yaml.safe_load(result.stdout)["offerings"]] == ["artist-web"]
    assert (
        f"{file}:1:1: warning: skipped Template 'v1beta2-demo' (backstage.io/v1beta2): servicebook has no place for it"
    ) in result.stderr


def test_a_backstage_ai_resource_is_skipped_as_a_kind_of_backstages_own(run) -> None:
    # catalog-model's examples/ai-resources/frontend-design-skill.yaml: a kind its schemas define, which
    # the import called "an unknown kind"
    file = INTEROP / "backstage-ai-resource-frontend-design-skill.yaml"
    result = run_import(run, "backstage", file)
    assert result.exit_code == 1
    assert f"{file}:1:1: warning: skipped AiResource 'frontend-design': servicebook has no place for it" in (
        result.stderr
    )
    assert "unknown kind" not in result.stderr


def test_a_backstage_component_without_an_owner_is_said_to_have_none(run, tmp_path: Path) -> None:
    # the report said "owner from spec.owner" of a Component that has no spec.owner, and wrote 'unknown'
    file = tmp_path / "catalog-info.yaml"
    file.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: lonely\n"
        "spec:\n  type: service\n  lifecycle: experimental\n"
    )
    result = run_import(run, "backstage", file)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["offerings"][0]["owner"] == "unknown"
    assert (
        f"{file}:1:1: warning: guessed Component 'lonely': owner 'unknown' (it has no spec.owner, which Backstage "
        "requires)"
    ) in result.stderr
    assert "owner from spec.owner" not in result.stderr


def test_an_openslo_object_of_a_kind_openslo_does_not_define_is_not_called_an_alert(run, tmp_path: Path) -> None:
    # `kind: Slo` was "dropped the Slo (alerting is not part of the catalog)"
    file = tmp_path / "slo.yaml"
    file.write_text(OPENSLO_GAUGES.replace("kind: SLO", "kind: Slo"))
    result = run_import(run, "openslo", file)
    assert result.exit_code == 1
    assert (
        f"{file}:2:7: warning: skipped the Slo: not a kind of OpenSLO v1 (SLO, SLI, DataSource, Service, "
        "AlertPolicy, AlertCondition, AlertNotificationTarget)"
    ) in result.stderr
    assert "hint: kinds are written as the specification spells them: SLO" in result.stderr
    assert "alerting" not in result.stderr


def test_an_openslo_window_without_is_rolling_is_refused_with_what_to_write(run, tmp_path: Path) -> None:
    # OpenSLO's isRolling is false unless written: a `duration: 28d` alone is a calendar window without
    # its calendar, refused without a way out
    file = tmp_path / "slo.yaml"
    file.write_text(OPENSLO_GAUGES.replace("      isRolling: true\n", ""))
    result = run_import(run, "openslo", file)
    assert result.exit_code == 1
    assert f"{file}:24:7: error: a window that is not rolling needs a calendar" in result.stderr
    assert "hint: write isRolling: true for a rolling window (it is false unless written)" in result.stderr


# --- Pyrra ------------------------------------------------------------------------------------------


def test_a_pyrra_native_histogram_latency_gives_the_error_ratio_pyrra_records(run, tmp_path: Path) -> None:
    # Pyrra's examples/dynamic-burn-rate-latency-native.yaml: latencyNative was dropped, the SLO left
    # without a measurement; Pyrra records it as 1 - histogram_fraction(0, LATENCY, rate(TOTAL[window])),
    # here for each service and method (its grouping), of which the catalog measures the worst
    file = INTEROP / "pyrra-dynamic-burn-rate-latency-native.yaml"
    result = run_import(run, "pyrra", file)
    assert result.exit_code == 0, result.output
    (slo,) = yaml.safe_load(result.stdout)["offerings"][0]["slos"]
    ratio = (
        "max(1 - histogram_fraction(0, 0.2, sum by (service, method) "
        '(rate(connect_server_requests_duration_seconds{job="pyrra",code="ok"}[{{.window}}]))))'
    )
    assert slo["measurement"] == {"error_ratio": ratio}
    assert query_form(ratio) is QueryForm.TEMPLATE
    assert f"{file}:25:7: warning: measured the worst of each service, method" in result.stderr
    # without its grouping, one ratio over every request
    ungrouped = tmp_path / "slo.yaml"
    ungrouped.write_text(file.read_text().replace("      grouping:\n        - service\n        - method\n", ""))
    result = run_import(run, "pyrra", ungrouped)
    assert result.exit_code == 0, result.output
    (slo,) = yaml.safe_load(result.stdout)["offerings"][0]["slos"]
    ratio = (
        '1 - histogram_fraction(0, 0.2, sum(rate(connect_server_requests_duration_seconds{job="pyrra",code="ok"}'
        "[{{.window}}])))"
    )
    assert slo["measurement"] == {"error_ratio": ratio}
    assert f"{ungrouped}:22:7: warning: guessed the error ratio of the native histogram as Pyrra records it" in (
        result.stderr
    )


def test_a_pyrra_native_histogram_latency_is_read_in_seconds_and_refused_when_not_a_duration(
    run, tmp_path: Path
) -> None:
    text = (INTEROP / "pyrra-dynamic-burn-rate-latency-native.yaml").read_text()
    file = tmp_path / "slo.yaml"
    file.write_text(text.replace("latency: 200ms", "latency: 1m30s"))
    (slo,) = yaml.safe_load(run_import(run, "pyrra", file).stdout)["offerings"][0]["slos"]
    assert slo["measurement"]["error_ratio"].startswith("max(1 - histogram_fraction(0, 90, sum by (service, method) (")
    file.write_text(text.replace("latency: 200ms", "latency: fast"))
    result = run_import(run, "pyrra", file)
    assert result.exit_code == 1
    assert f"{file}:24:16: error: latency 'fast' is not a Prometheus duration" in result.stderr


# --- Round 6: more of the projects' own files (specsweep6) -----------------------------------------


def test_an_openslo_v2alpha_file_is_read_by_the_import_and_the_drift_check(run, tmp_path: Path) -> None:
    # oslo's test/inputs/validate/v2alpha.yaml: v2alpha's apiVersion is openslo.com/v2alpha (the go-sdk's
    # VersionV2alpha), not openslo/…: the import said only "not OpenSLO v1" and the drift check passed
    # the file over without a word, as if it were a Deployment beside the SLOs; then both named it "not
    # read"; now both read it, with v2alpha's names (test_interop_round19)
    file = INTEROP / "openslo-oslo-validate-v2alpha.yaml"
    result = run_import(run, "openslo", file)
    assert result.exit_code == 0, result.output
    assert [o["id"] for o in yaml.safe_load(result.stdout)["offerings"]] == ["web"]
    assert "is not read" not in result.stderr
    site, monitoring = tmp_path / "site", tmp_path / "monitoring"
    shutil.copytree(SITES / "minimal", site)
    monitoring.mkdir()
    shutil.copy(file, monitoring / "web.yaml")
    result = run("check", "--source", site, "--against", monitoring)
    assert result.exit_code == 0, result.output
    assert "is not read" not in result.stderr


def test_an_openslo_v1alpha_file_of_two_slos_names_each_where_it_begins(run) -> None:
    # Sloth's examples/openslo-kubernetes-apiserver.yml: two v1alpha SLOs (ratioMetrics, timeWindows),
    # each read as sloth generate reads it, said where each begins
    file = INTEROP / "sloth-openslo-kubernetes-apiserver.yml"
    result = run_import(run, "openslo", file)
    assert result.exit_code == 0, result.output
    for line in (8, 33):
        assert f"{file}:{line}:1: warning: read OpenSLO openslo/v1alpha as sloth generate does" in result.stderr


def test_an_openslo_slo_whose_indicator_is_elsewhere_imports_without_a_measurement(run) -> None:
    # oslo's test/v1/slo/slo-indicatorRef-rolling-cloudwatch.yaml alone, then with its SLI (a CloudWatch
    # threshold, which the catalog's Prometheus measurement cannot say)
    slo = INTEROP / "openslo-oslo-indicatorref-rolling-cloudwatch.yaml"
    result = run_import(run, "openslo", slo)
    assert result.exit_code == 0, result.output
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    (entry,) = offering["slos"]
    assert (offering["id"], entry["id"], entry["name"]) == ("foo-slos", "foo-openslo-slo", "FOO OPENSLO SLO")
    assert (entry["objective"], entry["window"], "measurement" in entry) == (98, "28d", False)
    assert f"{slo}:8:17: warning: the SLI 'foo-sli' is not in the files read: no measurement" in result.stderr
    assert f"{slo}:18:3: warning: dropped 'alertPolicies' (alerting is not part of the catalog)" in result.stderr
    sli = INTEROP / "openslo-oslo-sli-threshold-cloudwatch.yaml"
    result = run_import(run, "openslo", sli, slo)
    assert result.exit_code == 0, result.output
    assert "the SLI 'foo-sli' is not in the files read" not in result.stderr
    assert (
        f"{sli}:9:7: warning: dropped the measurement, a threshold (gte 10): its metric is from 'CloudWatch'"
    ) in result.stderr


def test_sloths_spec_without_alerts_keeps_its_multi_line_queries(run) -> None:
    # Sloth's examples/no-alerts.yml: block-scalar queries, both alerts disabled
    file = INTEROP / "sloth-no-alerts.yml"
    result = run_import(run, "sloth", file)
    assert result.exit_code == 0, result.output
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    (slo,) = offering["slos"]
    assert (offering["id"], offering["owner"], slo["objective"], slo["window"]) == ("myapp", "myteam", 99.99, "30d")
    assert slo["measurement"]["errors"] == (
        'sum(\n  rate(http_request_duration_seconds_count{job="myapp", code=~"(5..|429)"}[{{.window}}])\n)\n'
    )
    assert f"{file}:24:5: warning: dropped 'alerting' (alerts are not part of the catalog)" in result.stderr


def test_sloths_specs_of_one_file_each_give_their_offering_its_owner_and_tier(run) -> None:
    # Sloth's examples/multifile.yml: two prometheus/v1 specs, each with its own owner and tier labels
    file = INTEROP / "sloth-multifile.yml"
    result = run_import(run, "sloth", file)
    assert result.exit_code == 0, result.output
    offerings = yaml.safe_load(result.stdout)["offerings"]
    assert [(o["id"], o["owner"], o["tier"], o["slos"][0]["objective"]) for o in offerings] == [
        ("myservice", "myteam", "2", 99.9),
        ("myservice2", "myteam2", "1", 99.99),
    ]
    assert f"{file}:36:1: warning: guessed the offering's owner myteam2 and tier 1 from the spec's labels" in (
        result.stderr
    )


def test_a_managed_prometheus_service_levels_camel_case_queries_are_read(run) -> None:
    # Sloth's examples/managed-prometheus-getting-started.yml: errorQuery/totalQuery, as the CRD writes them
    result = run_import(run, "sloth", INTEROP / "sloth-managed-prometheus-getting-started.yml")
    assert result.exit_code == 0, result.output
    (slo,) = yaml.safe_load(result.stdout)["offerings"][0]["slos"]
    assert slo["measurement"] == {
        "errors": 'sum(rate(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}[{{.window}}]))',
        "total": 'sum(rate(http_request_duration_seconds_count{job="myservice"}[{{.window}}]))',
    }


def test_pyrras_dynamic_and_static_burn_rate_latency_objectives_are_two_slos(run, tmp_path: Path) -> None:
    # Pyrra's examples/latency-dynamic-burnrate.yaml: a team label, `grouping`, alerting's burnRateType
    file = INTEROP / "pyrra-latency-dynamic-burnrate.yaml"
    result = run_import(run, "pyrra", file)
    assert result.exit_code == 0, result.output
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    assert offering["owner"] == "platform"
    assert [(s["id"], s["objective"], s["window"]) for s in offering["slos"]] == [
        ("http-latency-dynamic", 99.5, "28d"),
        ("http-latency-static", 99.5, "28d"),
    ]
    assert offering["slos"][0]["measurement"]["error_ratio"] == (
        'max(1 - sum by (handler, method) (increase(http_request_duration_seconds_bucket{job="api-server",le="0.1"}'
        '[{{.window}}])) / sum by (handler, method) (increase(http_request_duration_seconds_count{job="api-server"}'
        "[{{.window}}])))"
    )
    for line in (25, 55):
        assert f"{file}:{line}:7: warning: measured the worst of each handler, method" in result.stderr
    # and the drift check compares it with the catalog's promise
    site, monitoring = tmp_path / "site", tmp_path / "monitoring"
    shutil.copytree(SITES / "minimal", site)
    monitoring.mkdir()
    text = file.read_text().replace("namespace: monitoring", "namespace: ci", 1)
    (monitoring / "slo.yaml").write_text(text.replace("name: http-latency-dynamic", "name: availability"))
    result = run("check", "--source", site, "--against", monitoring)
    assert result.exit_code == 1
    assert "ci/availability: the catalog's window is 30d, but Pyrra SLO 'availability'" in result.stderr


@pytest.mark.parametrize(
    ("name", "offering", "objective", "measurement"),
    [
        ("pyrra-coredns-response-errors.yaml", "test-mika", 99.99, "errors"),
        ("pyrra-coredns-request-latency.yaml", "monitoring", 99, "good"),
    ],
)
def test_pyrras_kubernetes_examples_import_with_their_two_week_window(
    run, name: str, offering: str, objective: float, measurement: str
) -> None:
    # Pyrra's examples/kubernetes/…/slo-coredns-response-errors.yaml and slos/coredns-request-latency.yaml
    result = run_import(run, "pyrra", INTEROP / name)
    assert result.exit_code == 0, result.output
    (read,) = yaml.safe_load(result.stdout)["offerings"]
    (slo,) = read["slos"]
    assert (read["id"], slo["objective"], slo["window"], measurement in slo["measurement"]) == (
        offering,
        objective,
        "14d",
        True,
    )


def test_a_backstage_location_of_targets_names_the_files_to_import(run) -> None:
    # Backstage's catalog-model examples/all.yaml: a Location whose targets are the entities
    file = INTEROP / "backstage-all.yaml"
    result = run_import(run, "backstage", file)
    assert result.exit_code == 1
    assert (
        f"{file}:1:1: warning: skipped Location 'example-all': a Location is not followed; import the 6 files it "
        "lists\n"
    ) in result.stderr
    # the files beside it, in order, as many as a hint's length allows (it depends on where the
    # checkout is), then how many more
    beside = [
        f"{INTEROP}/all-{kind}.yaml"
        for kind in ("ai-resources", "apis", "components", "domains", "resources", "systems")
    ]
    hint = re.search(r"^  hint: servicebook import backstage (.*?)(?: \(and (\d+) more\))?$", result.stderr, re.M)
    assert hint is not None, result.stderr
    listed = hint[1].split(" ")
    assert listed == beside[: len(listed)]
    assert len(listed) + int(hint[2] or 0) == len(beside)


def test_a_backstage_mcp_server_api_without_a_definition_is_skipped_by_name(run) -> None:
    # Backstage's catalog-model examples/apis/backstage-mcp-server-api.yaml: type mcp-server, `remotes`
    file = INTEROP / "backstage-mcp-server-api.yaml"
    result = run_import(run, "backstage", file)
    assert result.exit_code == 1
    assert f"{file}:1:1: warning: skipped API 'backstage-mcp-server': servicebook has no place for it" in (
        result.stderr
    )


def test_a_backstage_component_consuming_a_component_ref_imports_dropping_what_it_consumes(run) -> None:
    # Backstage's catalog-model examples/components/dream11-component.yaml
    file = INTEROP / "backstage-dream11-component.yaml"
    result = run_import(run, "backstage", file)
    assert result.exit_code == 0, result.output
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    assert (offering["id"], offering["summary"], offering["owner"], offering["lifecycle"]) == (
        "dream11-svc",
        "Dream11 Service",
        "sre",
        "ga",
    )
    assert (
        f"{file}:13:17: warning: dropped Component 'dream11-svc': consumesApis component:artist-lookup (not a "
        "reference to an API)"
    ) in result.stderr


# Backstage takes any spec.lifecycle; catalogs write `development` (the docs of Tyk's entity provider,
# scaffolder skeletons) and `Production` or `Deprecated` as titles, as much as its well-known three
@pytest.mark.parametrize(
    ("written", "read", "said"),
    [
        ("development", "beta", " (not one of Backstage's experimental, production, deprecated: check it)"),
        ("Production", "ga", ""),
        ("Deprecated", "deprecated", ""),
        ("retired", "retired", " (not one of Backstage's experimental, production, deprecated: check it)"),
        (
            "incubation",
            "ga",
            " (a lifecycle of the organisation's own: choose beta, ga, deprecated or retired by hand)",
        ),
    ],
)
def test_a_backstage_lifecycle_is_read_without_case_and_a_common_word_for_a_stage_is_mapped(
    run, tmp_path: Path, written: str, read: str, said: str
) -> None:
    # `development` was guessed ga, a component not yet in production promised as generally available,
    # and `Deprecated` ga too
    file = tmp_path / "catalog-info.yaml"
    file.write_text(
        (INTEROP / "backstage-dream11-component.yaml")
        .read_text()
        .replace("lifecycle: production", f"lifecycle: {written}")
    )
    result = run_import(run, "backstage", file)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["offerings"][0]["lifecycle"] == read
    assert (
        f"{file}:12:14: warning: guessed Component 'dream11-svc': lifecycle {read} from spec.lifecycle '{written}'{said}\n"
    ) in result.stderr


def test_a_backstage_lifecycle_that_is_not_one_word_is_said_to_be_so(run, tmp_path: Path) -> None:
    # a list or a mapping was "it has no spec.lifecycle", pointing at the spec.lifecycle it has
    file = tmp_path / "catalog-info.yaml"
    text = (INTEROP / "backstage-dream11-component.yaml").read_text()
    file.write_text(text.replace("lifecycle: production", "lifecycle: {stage: production}"))
    result = run_import(run, "backstage", file)
    assert result.exit_code == 0, result.output
    assert (
        f"{file}:12:14: warning: guessed Component 'dream11-svc': lifecycle ga (its spec.lifecycle is a list or a "
        "mapping, not one word)"
    ) in result.stderr


def test_sloths_generated_rules_beside_its_spec_are_named_as_rules_not_as_a_document_without_kind(
    run, tmp_path: Path
) -> None:
    # Sloth's examples/_gen/no-alerts.yml, what `sloth generate` wrote from examples/no-alerts.yml: a
    # `groups:` file was "a document without kind (no apiVersion)", and the operator's PrometheusRule
    # "not a Sloth spec", neither saying what they are or what to read instead
    rules, spec = INTEROP / "sloth-gen-no-alerts.yml", INTEROP / "sloth-no-alerts.yml"
    said = "Prometheus rules (`sloth generate` and Pyrra write them from SLOs), not SLOs: read the specs"
    result = run_import(run, "sloth", rules, spec)
    assert result.exit_code == 0, result.output
    assert [o["id"] for o in yaml.safe_load(result.stdout)["offerings"]] == ["myapp"]
    assert f"{rules}:6:1: warning: skipped a rule file (groups:): {said}" in result.stderr
    operator = tmp_path / "rules.yaml"
    operator.write_text(
        "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: sloth-slo-myapp\nspec:\n"
        "  groups:\n  - name: sloth-slo-sli-recordings-myapp-http-availability\n    rules: []\n"
    )
    result = run_import(run, "pyrra", operator)
    assert result.exit_code == 1
    assert f"{operator}:1:1: warning: skipped PrometheusRule: {said}" in result.stderr


# The SLO files of every round that servicebook refuses, each for its reason (tested where it is said)
REFUSED = {
    "openslo-oslo-calendar-alerts.yaml",  # a calendar day
    "openslo-terraform-provider-example.yaml",  # a window without isRolling or a calendar
    "openslo-oslo-composite-slo.yaml",  # a composite SLO
    "openslo-oslo-no-indicatorref-rolling-alerts.yaml",  # a rolling 1M
    "openslo-oslo-sli-threshold-cloudwatch.yaml",  # an SLI alone, no SLO
    "openslo-oslo-validate-v1alpha.yaml",  # v1alpha, read as Sloth reads it: a 1 Month window
    "openslo-sdk-services.yaml",  # Services alone
    "openslo-sdk-alert-policies.yaml",  # alerting kinds alone
    "openslo-timeslices-slo.yaml",  # `duration: 1m` for a month
    "pyrra-nginx.yaml",  # a latency bucket without le
    "sloth-windows-custom-30d.yaml",  # Sloth's AlertWindows, no SLO
    "sloth-gen-no-alerts.yml",  # the rules Sloth generated, no spec
}


def test_every_real_slo_file_imports_and_exports_as_valid_openslo_the_drift_check_finds_equal(
    run, tmp_path: Path
) -> None:
    # What the imports read of the projects' own files, pasted into a catalog (with what the files do
    # not say), exports as OpenSLO v1 that the specification's rules accept, and `check --against`
    # that export finds every objective and window as the catalog promises them
    offerings = []
    for fmt in ("openslo", "pyrra", "sloth"):
        for file in sorted(INTEROP.glob(f"{fmt}-*.y*ml")):
            result = run_import(run, fmt, file)
            assert result.exit_code == (1 if file.name in REFUSED else 0), (file.name, result.output)
            for offering in yaml.safe_load(result.stdout or "{}").get("offerings", []):
                offering["id"] = f"{offering['id']}-{len(offerings)}"[-63:].strip("-")
                for key, value in (("summary", "Read from a real file."), ("owner", "Platform Team"), ("tier", "2")):
                    offering.setdefault(key, value)
                offering.setdefault("lifecycle", "ga")
                offering.setdefault("audience", ["developers"])
                offering.setdefault("request", {"how": "Ask."})
                for slo in offering["slos"]:
                    slo.setdefault("sli", "What the file measures.")
                offerings.append(offering)
    assert len(offerings) >= 25
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    catalog = yaml.safe_load((site / "catalog.yaml").read_text())
    catalog["offerings"] += offerings
    (site / "catalog.yaml").write_text(yaml.safe_dump(catalog, sort_keys=False))
    result = run("export", "openslo", "--source", site)
    assert result.exit_code == 0, result.output
    documents = [d for d in yaml.safe_load_all(result.stdout) if d is not None]
    assert sum(d["kind"] == "SLO" for d in documents) == 1 + sum(len(o["slos"]) for o in offerings)
    assert [(d["metadata"]["name"], p) for d in documents for p in problems(d)] == []
    monitoring = tmp_path / "monitoring"
    monitoring.mkdir()
    (monitoring / "slos.yaml").write_text(result.stdout)
    result = run("check", "--source", site, "--against", monitoring)
    assert result.exit_code == 0, result.output


# A Build-Your-Own-Radar sheet with a government team's own rings, in the shape of bcgov/nr-arch's
# docs/TechRadar/IIT-TechnologyRadar.csv (its licence not checked: written anew): adopt, explore, endure
# and retire, quadrants in lower case, `TRUE`/`FALSE`, a name ending in a space, HTML in upper case
BCGOV_RINGS = (
    "name,ring,quadrant,isNew,description\n"
    'API first,adopt,techniques,FALSE,"<p>An API is the first interface of a service.</P>"\n'
    "Graph database,explore,tools,TRUE,<p>Being assessed for a network model.</p>\n"
    "Relational database ,endure,tools,FALSE,<p>Supported where it runs; not for new builds.</p>\n"
    'Old build tool,retire,tools,FALSE,"<p>Replaced by the new one, which all builds use.</p>"\n'
)


def test_a_radars_own_rings_of_explore_endure_and_retire_are_read_by_their_meaning(run, tmp_path: Path) -> None:
    # every ring but adopt was guessed best-effort, "map custom rings by hand": the tool to retire
    # promised the same support as the one being explored
    file = tmp_path / "radar.csv"
    file.write_text(BCGOV_RINGS)
    result = run_import(run, "techradar", file)
    assert result.exit_code == 0, result.output
    tools = yaml.safe_load(result.stdout)["tools"]
    assert [(t["id"], t["category"], t["status"]) for t in tools] == [
        ("api-first", "techniques", "supported"),
        ("graph-database", "tools", "best-effort"),
        ("relational-database", "tools", "deprecated"),
        ("old-build-tool", "tools", "unsupported"),
    ]
    for line, title, status, ring in (
        (3, "Graph database", "best-effort", "explore"),
        (4, "Relational database", "deprecated", "endure"),
        (5, "Old build tool", "unsupported", "retire"),
    ):
        assert (
            f"{file}:{line}:1: warning: guessed entry '{title}': status {status} from the ring '{ring}' "
            "(a custom ring: check it)"
        ) in result.stderr
    assert "map custom rings by hand" not in result.stderr
    assert "tool 'old-build-tool': no alternative (the radar has none)" in result.stderr


def test_every_fixture_file_says_where_it_comes_from() -> None:
    sources = (INTEROP / "SOURCES.md").read_text()
    assert [
        p.name for p in sorted(INTEROP.iterdir()) if p.name != "SOURCES.md" and f"| {p.name} |" not in sources
    ] == []


# An SLO in the shape of OpenSLO/slogen's samples/sumologic/v1/logs-req-calendar.yaml (its licence not
# checked: written anew): its window's duration in words, a calendar that starts on a weekday
OPENSLO_WORDS = """apiVersion: openslo/v1
kind: SLO
metadata:
  name: batch_latency
spec:
  service: batcher
  indicator:
    metadata:
      name: batch-latency
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec:
              query: batches_total{fast="true"}
        total:
          metricSource:
            type: Prometheus
            spec:
              query: batches_total
  timeWindow:
    - duration: Week
      calendar:
        startTime: Monday
        timeZone: America/New_York
      isRolling: false
  budgetingMethod: Occurrences
  objectives:
    - target: 0.98
"""


@pytest.mark.parametrize(
    ("duration", "rolling", "hint"),
    [
        ("Week", "false", "OpenSLO v1 writes one week as 1w (a number and a unit, case-sensitive)\n"),
        ("Day", "false", "OpenSLO v1 writes one day as 1d (a number and a unit, case-sensitive), but a calendar "
         "day is no window of the catalog (1w, 1M, 1Q and 1Y): write this SLO's window by hand, or leave it out"),
        ("Month", "false", "OpenSLO v1 writes one month as 1M (a number and a unit, case-sensitive)\n"),
        ("Days", "true", "OpenSLO v1 writes one day as 1d (a number and a unit, case-sensitive)\n"),
        ("Month", "true", "OpenSLO v1 writes one month as 1M (a number and a unit, case-sensitive), but a rolling "
         "month has no length in days: write it in days (30d, 90d, 365d)"),
    ],
)  # fmt: skip
def test_an_openslo_duration_written_in_words_is_refused_with_its_shorthand(
    run, tmp_path: Path, duration: str, rolling: str, hint: str
) -> None:
    # the hint was "e.g. 28d, 4w, 1M", which for a calendar week led to a second refusal
    file = tmp_path / "slo.yaml"
    file.write_text(
        OPENSLO_WORDS.replace("duration: Week", f"duration: {duration}").replace(
            "isRolling: false", f"isRolling: {rolling}"
        )
    )
    result = run_import(run, "openslo", file)
    assert result.exit_code == 1
    assert f"{file}:24:17: error: '{duration}' is not a duration shorthand" in result.stderr
    assert f"hint: {hint}" in result.stderr
