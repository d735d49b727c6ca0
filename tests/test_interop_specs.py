"""The imports read files as the other tools' specifications allow them to be written, and as
those tools and their clients write them: several objects in one document (OpenSLO's SDK, a
`kubectl get -o yaml`, Backstage's catalog API), annotations of other tools, a target written
in the other unit, entity references in another case, a radar entry's move. Each input is
written by hand after the specification it cites (tests/interop/fixtures/SOURCES.md)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

# An OpenSLO v1 SLO as OpenSLO's go-sdk encodes objects (pkg/openslosdk/encoding.go: Encode
# marshals the slice of objects, so its YAML is a list; Decode reads such a list too)
OPENSLO_LIST = """- apiVersion: openslo/v1
  kind: Service
  metadata:
    name: web
    displayName: Web shop
  spec:
    description: The shop's pages
- apiVersion: openslo/v1
  kind: SLO
  metadata:
    name: web-availability
  spec:
    service: web
    indicator:
      metadata:
        name: web-errors
      spec:
        ratioMetric:
          counter: true
          good:
            metricSource:
              type: Prometheus
              spec:
                query: http_requests_total{code!~"5.."}
          total:
            metricSource:
              type: Prometheus
              spec:
                query: http_requests_total
    timeWindow:
      - duration: 28d
        isRolling: true
    budgetingMethod: Occurrences
    objectives:
      - targetPercent: 99.9
"""


def _import(run, fmt: str, file: Path):
    result = run("import", fmt, file)
    assert "Traceback" not in result.output
    return result


# --- Several objects in one document -------------------------------------------------------------


def test_openslo_objects_listed_in_one_document_as_its_sdk_writes_them_are_each_read(run, tmp_path: Path) -> None:
    file = tmp_path / "slos.yaml"
    file.write_text(OPENSLO_LIST)
    result = _import(run, "openslo", file)
    assert result.exit_code == 0, result.output
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    assert (offering["id"], offering["name"], offering["summary"]) == ("web", "Web shop", "The shop's pages")
    (slo,) = offering["slos"]
    assert (slo["id"], slo["objective"], slo["window"]) == ("web-availability", 99.9, "28d")
    assert slo["measurement"] == {"good": 'http_requests_total{code!~"5.."}', "total": "http_requests_total"}


def test_openslo_objects_as_a_json_array_are_each_read(run, tmp_path: Path) -> None:
    # the SDK's JSON encoding: the same list, as a JSON array
    file = tmp_path / "slos.json"
    file.write_text(json.dumps(yaml.safe_load(OPENSLO_LIST), indent=2))
    result = _import(run, "openslo", file)
    assert result.exit_code == 0, result.output
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    assert [s["id"] for s in offering["slos"]] == ["web-availability"]


def test_an_item_of_a_list_that_is_no_object_is_refused_where_it_is(run, tmp_path: Path) -> None:
    file = tmp_path / "slos.yaml"
    file.write_text(OPENSLO_LIST + "- just text\n")
    result = _import(run, "openslo", file)
    assert result.exit_code == 1
    assert f"{file}:36:3: error: an item of the list must be a mapping" in result.stderr


# `kubectl get servicelevelobjectives -A -o yaml`: a Kubernetes List whose items carry what the
# API server adds (uid, resourceVersion, managedFields, status)
KUBECTL_LIST = """apiVersion: v1
items:
- apiVersion: pyrra.dev/v1alpha1
  kind: ServiceLevelObjective
  metadata:
    annotations:
      kubectl.kubernetes.io/last-applied-configuration: |
        {"apiVersion":"pyrra.dev/v1alpha1","kind":"ServiceLevelObjective"}
    creationTimestamp: "2024-01-10T09:00:00Z"
    generation: 1
    labels:
      prometheus: k8s
    name: prometheus-http-errors
    namespace: monitoring
    resourceVersion: "123456"
    uid: 5a0c6e54-3f5e-4c1e-9d9e-1c2b3a4d5e6f
  spec:
    description: ""
    indicator:
      ratio:
        errors:
          metric: prometheus_http_requests_total{job="prometheus-k8s",code=~"5.."}
        total:
          metric: prometheus_http_requests_total{job="prometheus-k8s"}
    target: "99"
    window: 2w
  status: {}
kind: List
metadata:
  resourceVersion: ""
"""


def test_a_kubectl_list_of_pyrra_objectives_is_read_item_by_item(run, tmp_path: Path) -> None:
    file = tmp_path / "slos.yaml"
    file.write_text(KUBECTL_LIST)
    result = _import(run, "pyrra", file)
    assert result.exit_code == 0, result.output
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    (slo,) = offering["slos"]
    assert (offering["id"], slo["id"], slo["objective"], slo["window"]) == (
        "monitoring",
        "prometheus-http-errors",
        99,
        "14d",
    )
    # what the API server adds to every object is not the objective's: not a warning each
    assert "status" not in result.stderr and "resourceVersion" not in result.stderr


def test_a_kubectl_list_of_sloth_specs_is_read_item_by_item(run, tmp_path: Path) -> None:
    file = tmp_path / "slos.yaml"
    file.write_text(
        "apiVersion: sloth.slok.dev/v1\nkind: PrometheusServiceLevelList\nitems:\n"
        "- apiVersion: sloth.slok.dev/v1\n  kind: PrometheusServiceLevel\n  metadata:\n    name: web\n"
        "  spec:\n    service: web\n    slos:\n    - name: requests-availability\n      objective: 99.9\n"
        '      sli:\n        events:\n          errorQuery: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))\n'
        "          totalQuery: sum(rate(http_requests_total[{{.window}}]))\n"
        "      alerting:\n        pageAlert:\n          disable: true\n        ticketAlert:\n          disable: true\n"
    )
    result = _import(run, "sloth", file)
    assert result.exit_code == 0, result.output
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    assert [s["id"] for s in offering["slos"]] == ["requests-availability"]


# --- OpenSLO: annotations and targets ---------------------------------------------------------------


def _one_slo(objective: str, annotations: str = "") -> str:
    return (
        "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: web-availability\n"
        + annotations
        + "spec:\n  service: web\n  indicatorRef: web-errors\n  budgetingMethod: Occurrences\n"
        "  timeWindow:\n    - duration: 28d\n      isRolling: true\n  objectives:\n"
        f"    - {objective}\n"
    )


def test_an_openslo_annotation_of_another_tool_is_said_dropped_where_it_is(run, tmp_path: Path) -> None:
    # the specification's own example: `openslo.com/key1: value1`, `fooimplementation.com/key2: value2`
    file = tmp_path / "slo.yaml"
    file.write_text(
        _one_slo(
            "targetPercent: 99.9",
            "  annotations:\n    openslo.com/key1: value1\n    fooimplementation.com/key2: value2\n"
            "    servicebook.dev/name: Web availability\n",
        )
    )
    result = _import(run, "openslo", file)
    assert result.exit_code == 0, result.output
    assert (
        f"{file}:6:5: warning: dropped the annotation 'openslo.com/key1' (the catalog keeps servicebook.dev/ ones)"
    ) in result.stderr
    assert f"{file}:7:5: warning: dropped the annotation 'fooimplementation.com/key2'" in result.stderr
    assert "servicebook.dev/name" not in result.stderr
    assert yaml.safe_load(result.stdout)["offerings"][0]["slos"][0]["name"] == "Web availability"


def test_an_annotation_of_an_inline_indicator_is_said_dropped_too(run, tmp_path: Path) -> None:
    file = tmp_path / "slos.yaml"
    file.write_text(
        OPENSLO_LIST.replace(
            "        name: web-errors\n",
            "        name: web-errors\n        annotations:\n          grafana.com/dashboard: abc\n",
        )
    )
    result = _import(run, "openslo", file)
    assert result.exit_code == 0, result.output
    assert f"{file}:18:11: warning: dropped the annotation 'grafana.com/dashboard'" in result.stderr


def test_an_openslo_target_percent_under_one_is_said_and_kept(run, tmp_path: Path) -> None:
    # targetPercent is a percent, [0, 100): 0.999 is 0.999 %, which reads as 99.9 % written as a fraction
    file = tmp_path / "slo.yaml"
    file.write_text(_one_slo("targetPercent: 0.999"))
    result = _import(run, "openslo", file)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["offerings"][0]["slos"][0]["objective"] == 0.999
    assert (
        f"{file}:13:22: warning: an objective of 0.999 % (targetPercent is a percent), kept as written"
    ) in result.stderr
    assert "if 99.9 % was meant, write targetPercent: 99.9 or target: 0.999" in result.stderr


def test_an_openslo_target_written_as_a_percent_is_refused_saying_target_is_a_fraction(run, tmp_path: Path) -> None:
    # target is a fraction, [0, 1): "target 99.9 is not a percentage" sent the user to the wrong number
    file = tmp_path / "slo.yaml"
    file.write_text(_one_slo("target: 99.9"))
    result = _import(run, "openslo", file)
    assert result.exit_code == 1
    assert f"{file}:13:15: error: target 99.9 is not a fraction below 1 (OpenSLO's target is 0.999 for 99.9 %)" in (
        result.stderr
    )
    assert "write targetPercent: 99.9, or target: 0.999" in result.stderr


def test_an_openslo_target_percent_of_100_is_refused_by_its_own_name(run, tmp_path: Path) -> None:
    file = tmp_path / "slo.yaml"
    file.write_text(_one_slo("targetPercent: 100"))
    result = _import(run, "openslo", file)
    assert result.exit_code == 1
    assert f"{file}:13:22: error: targetPercent 100 is not a percentage above 0 and below 100 %" in result.stderr


# --- Backstage: references in any case, the catalog API's answers ----------------------------------

# Backstage compares entity references without case (stringifyEntityRef lower-cases every part):
# `Group:Team-A` and `team-a` are one group, `Component:Payments` is the Component payments
BACKSTAGE_CASES = """apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: web
spec:
  type: service
  lifecycle: production
  owner: Group:Team-A
  dependsOn:
    - Component:Payments
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
spec:
  type: service
  lifecycle: production
  owner: team-a
"""


def test_backstage_owner_references_in_another_case_are_one_owner(run, tmp_path: Path) -> None:
    file = tmp_path / "catalog-info.yaml"
    file.write_text(BACKSTAGE_CASES)
    result = _import(run, "backstage", file)
    assert result.exit_code == 0, result.output
    fragment = yaml.safe_load(result.stdout)
    assert [o["owner"] for o in fragment["offerings"]] == ["Team-A", "Team-A"]
    assert fragment["portals"]["backstage"]["owners"] == [{"owner": "Team-A", "ref": "Group:Team-A"}]
    assert (
        f"{file}:19:10: warning: guessed Component 'payments': owner 'Team-A' for team-a, the same group as "
        f"Group:Team-A at {file}:8:10 (Backstage compares references without case)"
    ) in result.stderr


def test_a_backstage_dependency_named_in_another_case_is_kept(run, tmp_path: Path) -> None:
    file = tmp_path / "catalog-info.yaml"
    file.write_text(BACKSTAGE_CASES)
    result = _import(run, "backstage", file)
    assert result.exit_code == 0, result.output
    web = yaml.safe_load(result.stdout)["offerings"][0]
    assert web["depends_on"] == ["payments"]
    assert "depends_on" not in result.stderr


def _api_entity(name: str, owner: str) -> dict[str, object]:
    # an entity as the catalog's REST API answers it: Backstage's own uid, etag, the annotations
    # its processors add, its relations
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {
            "namespace": "default",
            "annotations": {
                "backstage.io/managed-by-location": f"url:https://github.com/acme/{name}/blob/main/catalog-info.yaml",
                "backstage.io/managed-by-origin-location": "url:https://github.com/acme/catalog/blob/main/all.yaml",
                "backstage.io/view-url": f"https://github.com/acme/{name}/blob/main/catalog-info.yaml",
                "backstage.io/edit-url": f"https://github.com/acme/{name}/edit/main/catalog-info.yaml",
                "backstage.io/source-location": f"url:https://github.com/acme/{name}/tree/main/",
            },
            "name": name,
            "description": f"The {name} service",
            "uid": "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
            "etag": "6b3c4a0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b",
        },
        "spec": {"type": "service", "lifecycle": "production", "owner": owner},
        "relations": [{"type": "ownedBy", "targetRef": f"group:default/{owner}"}],
    }


def test_the_backstage_catalog_apis_list_of_entities_is_read_entity_by_entity(run, tmp_path: Path) -> None:
    # `curl …/api/catalog/entities` answers a JSON array of entities
    file = tmp_path / "entities.json"
    file.write_text(json.dumps([_api_entity("web", "team-a"), _api_entity("payments", "team-a")], indent=2))
    result = _import(run, "backstage", file)
    assert result.exit_code == 0, result.output
    fragment = yaml.safe_load(result.stdout)
    assert [(o["id"], o["summary"]) for o in fragment["offerings"]] == [
        ("web", "The web service"),
        ("payments", "The payments service"),
    ]
    # what Backstage keeps of every entity (its uid, etag, where it read it) is not the entity's
    for own in ("uid", "etag", "managed-by-location", "managed-by-origin-location", "view-url", "edit-url"):
        assert own not in result.stderr
    assert "annotation backstage.io/source-location" in result.stderr


def test_a_page_of_the_backstage_catalog_apis_query_is_read_entity_by_entity(run, tmp_path: Path) -> None:
    # `…/api/catalog/entities/by-query` answers {items, totalItems, pageInfo}
    file = tmp_path / "entities.json"
    page = {"items": [_api_entity("web", "team-a")], "totalItems": 1, "pageInfo": {}}
    file.write_text(json.dumps(page, indent=2))
    result = _import(run, "backstage", file)
    assert result.exit_code == 0, result.output
    assert [o["id"] for o in yaml.safe_load(result.stdout)["offerings"]] == ["web"]


def test_the_refs_the_backstage_catalog_api_does_not_know_are_said_to_be_skipped(run, tmp_path: Path) -> None:
    # `POST …/api/catalog/entities/by-refs` answers {items} in the order asked, null for a ref it does not know
    file = tmp_path / "entities.json"
    page = {"items": [None, _api_entity("web", "team-a"), None]}
    file.write_text(json.dumps(page, indent=2))
    result = _import(run, "backstage", file)
    assert result.exit_code == 0, result.output
    assert [o["id"] for o in yaml.safe_load(result.stdout)["offerings"]] == ["web"]
    assert "entities.json:3:5: warning: skipped 2 null item(s) of the list of entities" in result.stderr
    assert "a ref it does not know" in result.stderr


# --- Pyrra: a query is its metric alone --------------------------------------------------------

PYRRA_MATCHERS = """\
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: api-latency
  namespace: api
spec:
  target: "99.5"
  window: 30d
  indicator:
    latency:
      success:
        metric: http_request_duration_seconds_bucket
        matchers:
        - {name: le, value: "0.5"}
      total:
        metric: http_request_duration_seconds_count
"""


def test_a_pyrra_matchers_list_is_said_not_read_where_the_missing_bound_is_refused(run, tmp_path: Path) -> None:
    # Pyrra's examples/demo-dynamic-burnrate.yaml writes le in a `matchers:` list, which its CRD
    # has not (a query is `metric` alone): the refusal says the list was not read, and where it is
    file = tmp_path / "slo.yaml"
    file.write_text(PYRRA_MATCHERS)
    result = _import(run, "pyrra", file)
    assert result.exit_code == 1
    assert "slo.yaml:12:17: error: the latency indicator's success metric has no le=" in result.stderr
    assert "'matchers' at 13:9 is not read (Pyrra's query is its metric alone" in result.stderr


def test_a_field_beside_a_pyrra_querys_metric_is_said_dropped(run, tmp_path: Path) -> None:
    file = tmp_path / "slo.yaml"
    file.write_text(
        PYRRA_MATCHERS.replace("_bucket\n", '_bucket{le="0.5"}\n', 1)
        + "        matchers:\n        - {name: job, value: api}\n"
    )
    result = _import(run, "pyrra", file)
    assert result.exit_code == 0, result.output
    assert (
        "slo.yaml:13:9: warning: dropped 'matchers': no field of Pyrra's ServiceLevelObjective (kubectl apply refuses "
        'it: unknown field "spec.indicator.latency.success.matchers"; Pyrra reads nothing of it)'
    ) in result.stderr
    assert "hint: Pyrra's query is its metric alone: write matchers in the selector" in result.stderr
    assert "slo.yaml:17:9: warning: dropped 'matchers'" in result.stderr


# --- Zalando's radar: an entry's move -----------------------------------------------------------


def test_a_zalando_entry_that_did_not_move_is_said_to_predate_the_radars_date(run, tmp_path: Path) -> None:
    # Zalando's config.json: "moved" -1 (out), 0 (not moved), 1 (in), 2 (new), as its radar.js draws them;
    # an entry that did not move was in its ring before this edition, so its date is not the decision's
    file = tmp_path / "config.json"
    file.write_text(
        '{"date": "2023.10", "entries": [\n'
        '{"quadrant": 0, "ring": 0, "label": "Go", "active": true, "moved": 0},\n'
        '{"quadrant": 0, "ring": 1, "label": "Rust", "active": true, "moved": 1},\n'
        '{"quadrant": 0, "ring": 3, "label": "Perl", "active": true, "moved": -1},\n'
        '{"quadrant": 0, "ring": 2, "label": "Zig", "active": true, "moved": 2},\n'
        '{"quadrant": 0, "ring": 0, "label": "Java", "active": true, "moved": 0},\n'
        '{"quadrant": 0, "ring": 0, "label": "Kotlin", "active": true, "moved": 5}\n'
        "]}\n"
    )
    result = _import(run, "techradar", file)
    assert result.exit_code == 0, result.output
    tools = yaml.safe_load(result.stdout)["tools"]
    assert {t["since"] for t in tools} == {"2023-10-01"}
    assert (
        f"{file}:1:10: warning: guessed since 2023-10-01 for 3 entries, from the radar's date "
        "(moved or new in that edition)"
    ) in result.stderr
    assert (
        f"{file}:1:10: warning: guessed since 2023-10-01 for 2 entries, from the radar's date, though they did not "
        'move in that edition ("moved": 0: Go, Java): each was in its ring before; set since to the day it was decided'
    ) in result.stderr
    assert f"{file}:1:10: warning: guessed since 2023-10-01 for 1 entry, from the radar's date\n" in result.stderr
    assert f"{file}:7:1: warning: dropped entry 'Kotlin': 'moved' 5 (Zalando's radar draws -1, 0, 1 and 2)" in (
        result.stderr
    )


def test_the_drift_check_reads_a_kubectl_list_in_the_folder_object_by_object(run, tmp_path: Path) -> None:
    # `kubectl get slo -A -o yaml > monitoring/slos.yaml`, then `check --against monitoring`
    site = tmp_path / "site"
    shutil.copytree(Path(__file__).parent / "sites" / "minimal", site)
    monitoring = tmp_path / "monitoring"
    monitoring.mkdir()
    listed = KUBECTL_LIST.replace(
        "    annotations:\n", "    annotations:\n      servicebook.dev/slo: ci/availability\n"
    )
    (monitoring / "slos.yaml").write_text(
        listed.replace('target: "99"\n    window: 2w', 'target: "99.9"\n    window: 30d')
    )
    result = run("check", "--source", site, "--against", monitoring)
    assert "Traceback" not in result.output
    assert "the catalog's objective is 99.5 %, but Pyrra SLO 'prometheus-http-errors'" in result.stderr
    assert f"({monitoring}/slos.yaml:26:13) has 99.9 %" in result.stderr


# after nobl9/nobl9-openslo's conversion inputs (pkg/openslotonobl9/test_data): OpenSLO objects as a
# list, Prometheus metric sources whose spec names the query `promql`, Nobl9's own annotations
NOBL9_SHAPED = """- apiVersion: openslo/v1
  kind: SLO
  metadata:
    name: web-availability
    displayName: SLO for web availability
    labels:
      env:
        - prod
    annotations:
      nobl9.com/metadata.project: my-project
  spec:
    description: Share of requests served within 2.5 s
    service: web
    budgetingMethod: Occurrences
    indicator:
      metadata:
        name: web-successful-requests-ratio
      spec:
        ratioMetric:
          counter: true
          good:
            metricSource:
              metricSourceRef: my-agent
              type: prometheus
              spec:
                promql: http_request_duration_seconds_bucket{handler="/api",le="2.5"}
          total:
            metricSource:
              metricSourceRef: my-agent
              type: prometheus
              spec:
                promql: http_request_duration_seconds_count{handler="/api"}
    objectives:
      - displayName: Good
        target: 0.95
    timeWindow:
      - duration: 28d
        isRolling: true
"""


def test_a_prometheus_metric_source_whose_spec_names_its_query_promql_is_measured(run, tmp_path: Path) -> None:
    file = tmp_path / "slos.yaml"
    file.write_text(NOBL9_SHAPED)
    result = _import(run, "openslo", file)
    assert result.exit_code == 0, result.output
    (slo,) = yaml.safe_load(result.stdout)["offerings"][0]["slos"]
    assert slo["measurement"] == {
        "good": 'http_request_duration_seconds_bucket{handler="/api",le="2.5"}',
        "total": 'http_request_duration_seconds_count{handler="/api"}',
    }
    assert (slo["objective"], slo["sli"]) == (95, "Share of requests served within 2.5 s")
    assert f"{file}:10:7: warning: dropped the annotation 'nobl9.com/metadata.project'" in result.stderr


def test_an_openslo_window_rolling_as_yaml_1_1_writes_true_is_rolling(run, tmp_path: Path) -> None:
    # OpenSLO's Go tools read YAML 1.1 (sigs.k8s.io/yaml): `isRolling: True` or `yes` is true; it was
    # read as false, and the window refused as "not rolling needs a calendar"
    file = tmp_path / "slo.yaml"
    file.write_text(_one_slo("targetPercent: 99.9").replace("isRolling: true", "isRolling: True"))
    result = _import(run, "openslo", file)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["offerings"][0]["slos"][0]["window"] == "28d"


def test_an_openslo_window_rolling_neither_true_nor_false_is_refused_where_it_is(run, tmp_path: Path) -> None:
    file = tmp_path / "slo.yaml"
    file.write_text(_one_slo("targetPercent: 99.9").replace("isRolling: true", "isRolling: maybe"))
    result = _import(run, "openslo", file)
    assert result.exit_code == 1
    assert f"{file}:11:18: error: isRolling 'maybe' is not true or false" in result.stderr


# --- AOE's radar as its build writes it ------------------------------------------------------------

# after AOEpeople/aoe_technology_radar's built `rd.json` (public/rd.json): `items`, each with its
# title, ring and quadrant by name, its text as HTML (`body`), its newest `release` and `revisions`
AOE_BUILT = """{
  "items": [
    {
      "flag": "changed",
      "featured": true,
      "revisions": [
        {"name": "akka-streams", "release": "2019-11-01", "title": "Akka Streams", "ring": "adopt",
         "quadrant": "languages-and-frameworks", "body": "<p>Updated to &quot;adopt&quot;</p>\\n"},
        {"name": "akka-streams", "release": "2018-03-01", "title": "Akka Streams", "ring": "assess",
         "quadrant": "languages-and-frameworks", "body": "<p>Streams of elements.</p>\\n"}
      ],
      "name": "akka-streams",
      "title": "Akka Streams",
      "ring": "adopt",
      "quadrant": "languages-and-frameworks",
      "body": "<p>Updated to &quot;adopt&quot;</p>\\n",
      "info": "",
      "release": "2019-11-01"
    },
    {
      "flag": "default",
      "featured": false,
      "revisions": [],
      "name": "adr",
      "title": "ADR",
      "ring": "hold",
      "quadrant": "methods-and-patterns",
      "body": "<p>Architecture Decision Records</p>",
      "release": "2018-03-01"
    }
  ]
}
"""


def test_the_json_aoes_radar_builds_is_read_item_by_item(run, tmp_path: Path) -> None:
    # it was refused: "the radar has no list of 'entries'"
    file = tmp_path / "rd.json"
    file.write_text(AOE_BUILT)
    result = _import(run, "techradar", file)
    assert result.exit_code == 0, result.output
    fragment = yaml.safe_load(result.stdout)
    assert [c["id"] for c in fragment["categories"]] == ["languages-and-frameworks", "methods-and-patterns"]
    tools = {t["id"]: t for t in fragment["tools"]}
    assert (tools["akka-streams"]["status"], tools["akka-streams"]["since"]) == ("supported", "2019-11-01")
    # its newest revision only notes the move ('Updated to "adopt"'): the reason is the description before it
    assert tools["akka-streams"]["reason"] == "Streams of elements."
    assert (tools["adr"]["status"], tools["adr"]["since"]) == ("unsupported", "2018-03-01")
    assert f"{file}:6:20: warning: dropped entry 'Akka Streams': 1 earlier revisions (git keeps history)" in (
        result.stderr
    )
    assert f"{file}:3:5: warning: dropped entry 'Akka Streams': 'flag'" in result.stderr
    assert "the radar gives no date" not in result.stderr and "from the radar's date" not in result.stderr


@pytest.mark.parametrize(
    ("fmt", "said"),
    [
        ("openslo", "error: no SLO in {file}: nothing to import"),
        ("backstage", "error: no Component, Resource or Group in {file}: nothing to"),
    ],
)
def test_an_empty_list_of_objects_is_nothing_to_import_not_a_malformed_document(
    run, tmp_path: Path, fmt: str, said: str
) -> None:
    # the catalog API's answer when no entity matches, an SDK's encoding of no object: `[]`
    file = tmp_path / "objects.json"
    file.write_text("[]\n")
    result = _import(run, fmt, file)
    assert result.exit_code == 1
    assert said.format(file=file) in result.stderr
    assert "must be a mapping" not in result.stderr


def test_a_backstage_environment_is_skipped_as_a_kind_of_backstages_own(run, tmp_path: Path) -> None:
    # Backstage's catalog-model examples/environments/prod.yaml: kind Environment
    file = tmp_path / "catalog-info.yaml"
    file.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Environment\nmetadata:\n  name: prod\n"
        "  description: SDLC production environment.\nspec:\n  lifecycle: production\n---\n"
        + BACKSTAGE_CASES.split("---\n")[1]
    )
    result = _import(run, "backstage", file)
    assert result.exit_code == 0, result.output
    assert f"{file}:1:1: warning: skipped Environment 'prod': servicebook has no place for it" in result.stderr
