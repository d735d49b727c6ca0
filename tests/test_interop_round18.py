"""interop18: the corners each specification allows, read as the tools themselves read them, by the
imports and by `check --against` alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.test_interop_round15 import _pasted, _place
from tests.test_interop_round16 import _monitoring
from tests.test_interop_round17 import PYRRA

INTEROP = Path(__file__).parent / "interop" / "fixtures"


# --- OpenSLO v1: an objective's numbers are numbers to OpenSLO's Go SDK -----------------------------

OPENSLO = """apiVersion: openslo/v1
kind: SLO
metadata:
  name: availability
spec:
  service: web
  budgetingMethod: BUDGETING
  indicator:
    metadata:
      name: good-requests
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
  objectives:
    - OBJECTIVE
"""


def _openslo(objective: str, budgeting: str = "Occurrences") -> str:
    return OPENSLO.replace("OBJECTIVE", objective).replace("BUDGETING", budgeting)


@pytest.mark.parametrize(
    ("objective", "budgeting", "key", "value"),
    [
        ('target: "0.99"', "Occurrences", "target", "0.99"),
        ("target: '0.99'", "Occurrences", "target", "0.99"),
        ('targetPercent: "99"', "Occurrences", "targetPercent", "99"),
        (
            'target: 0.99\n      timeSliceTarget: "0.95"\n      timeSliceWindow: 5m',
            "Timeslices",
            "timeSliceTarget",
            "0.95",
        ),
    ],
    ids=["target-double", "target-single", "target-percent", "time-slice-target"],
)
def test_an_openslo_objective_written_in_quotes_is_refused_as_the_go_sdk_refuses_it(
    run, tmp_path: Path, objective: str, budgeting: str, key: str, value: str
) -> None:
    # OpenSLO/go-sdk's SLOObjective has `Target *float64` (targetPercent, timeSliceTarget alike) and
    # decodes YAML as JSON (sigs.k8s.io/yaml, then encoding/json): "0.99" is a JSON string, and
    # `json: cannot unmarshal string into Go struct field SLOObjective.spec.objectives.target of type
    # float64`; oslo validates with it. servicebook read "0.99" as 99 %: a file OpenSLO refuses was imported.
    file = tmp_path / "slo.yaml"
    file.write_text(_openslo(objective, budgeting))
    result = run("import", "openslo", file)
    assert result.exit_code == 1
    assert (
        f"{file}:{_place(file.read_text(), f'{key}: ')}: error: {key} '{value}' is written in quotes, as text: "
        "OpenSLO's Go SDK (and oslo) reads a number there and refuses the file\n"
    ) in result.stderr
    assert f"hint: write {key}: {value}, without quotes\n" in result.stderr
    assert "Traceback" not in result.output

    file.write_text(_openslo(objective.replace(f'"{value}"', value).replace(f"'{value}'", value), budgeting))
    assert run("import", "openslo", file).exit_code == 0, "as OpenSLO's examples write it"


def test_an_openslo_json_target_written_as_text_is_refused(run, tmp_path: Path) -> None:
    # the Go SDK's JSON decoding is the same json.Unmarshal into float64
    document = yaml.safe_load(_openslo("target: 0.99"))
    document["spec"]["objectives"][0]["target"] = "0.99"
    file = tmp_path / "slo.json"
    file.write_text(json.dumps(document, indent=2))
    result = run("import", "openslo", file)
    assert result.exit_code == 1
    place = _place(file.read_text(), '"target": ')
    assert f"{file}:{place}: error: target '0.99' is written in quotes" in result.stderr


THRESHOLD = """apiVersion: openslo/v1
kind: SLO
metadata:
  name: latency
spec:
  service: web
  budgetingMethod: Occurrences
  indicator:
    metadata:
      name: p99-latency
    spec:
      thresholdMetric:
        metricSource:
          type: Prometheus
          spec:
            query: histogram_quantile(0.99, sum(rate(latency_seconds_bucket[{{.window}}])) by (le))
  timeWindow:
    - duration: 28d
      isRolling: true
  objectives:
    - op: lt
      value: '0.3'
      target: 0.99
"""


def test_a_threshold_value_written_in_quotes_is_refused(run, tmp_path: Path) -> None:
    # SLOObjective's `Value float64`, as its target
    file = tmp_path / "slo.yaml"
    file.write_text(THRESHOLD)
    result = run("import", "openslo", file)
    assert result.exit_code == 1
    assert f"{file}:{_place(THRESHOLD, 'value: ')}: error: value '0.3' is written in quotes" in result.stderr
    file.write_text(THRESHOLD.replace("'0.3'", "0.3"))
    assert run("import", "openslo", file).exit_code == 0


def test_the_drift_check_does_not_compare_an_openslo_objective_the_go_sdk_refuses(run, tmp_path: Path) -> None:
    site = _pasted(
        [
            {
                "id": "web",
                "name": "Web",
                "slos": [{"id": "availability", "name": "Availability", "objective": 99, "window": "28d"}],
            }
        ],
        tmp_path,
    )
    text = _openslo('target: "0.99"')
    monitoring = _monitoring(tmp_path, {"web.yaml": text})
    result = run("check", "--source", site, "--against", monitoring)
    assert result.exit_code == 1
    assert (
        f"{monitoring / 'web.yaml'}:{_place(text, 'target: ')}: error: target '0.99' is written in quotes, as text: "
        "OpenSLO's Go SDK (and oslo) reads a number there"
    ) in result.stderr


OSKO = _openslo("target: TARGET").replace("apiVersion: openslo/v1", "apiVersion: openslo.com/v1")


def test_osko_s_target_is_text_and_a_number_there_is_said_as_kubernetes_refuses_it(run, tmp_path: Path) -> None:
    # osko's resources (api/openslo/v1 ObjectivesSpec: `Target string`) are the other way round: its
    # samples quote the target, and the API refuses a number there
    file = tmp_path / "slo.yaml"
    file.write_text(OSKO.replace("TARGET", "'0.99'"))
    quoted = run("import", "openslo", file)
    assert quoted.exit_code == 0, quoted.output
    assert "written as a number" not in quoted.stderr and "written in quotes" not in quoted.stderr
    file.write_text(OSKO.replace("TARGET", "0.99"))
    plain = run("import", "openslo", file)
    assert plain.exit_code == 0, plain.output
    assert (
        f"{file}:{_place(file.read_text(), 'target: ')}: warning: target 0.99 is written as a number: the Kubernetes "
        "API refuses the resource (osko's schema says target is a string: spec.objectives[0].target in body must be "
        "of type string); servicebook reads it\n"
    ) in plain.stderr
    assert yaml.safe_load(plain.stdout)["offerings"][0]["slos"][0]["objective"] == 99


# --- Pyrra: a latency bound in any of PromQL's quotes ------------------------------------------------

PYRRA_LATENCY = """apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: api-latency
  namespace: web
spec:
  target: "99"
  window: 2w
  indicator:
    latency:
      success:
        metric: http_request_duration_seconds_bucket{job="api",BOUND}
      total:
        metric: http_request_duration_seconds_count{job="api"}
"""


@pytest.mark.parametrize("bound", ["le='0.5'", "le=`0.5`", 'le="+Inf"', 'le = "5e-1"'])
def test_a_pyrra_latency_bound_in_any_promql_quotes_goes_round_the_catalog(run, tmp_path: Path, bound: str) -> None:
    # Pyrra reads the success metric with Prometheus' parser and takes its `le` matcher whatever quotes
    # PromQL writes it in; servicebook looked for `le="` alone and refused `le='0.5'` as having no bound.
    # Imported, pasted, checked against the file, exported and imported again: the same promise.
    text = PYRRA_LATENCY.replace("BOUND", bound)
    file = tmp_path / "slo.yaml"
    file.write_text(text)
    imported = run("import", "pyrra", file)
    assert imported.exit_code == 0, imported.output
    (offering,) = yaml.safe_load(imported.stdout)["offerings"]
    (slo,) = offering["slos"]
    assert slo["measurement"]["good"] == f'http_request_duration_seconds_bucket{{job="api",{bound}}}'
    site = _pasted([offering], tmp_path)
    checked = run("check", "--source", site, "--against", _monitoring(tmp_path, {"slo.yaml": text}))
    assert checked.exit_code == 0, checked.output
    exported = run("export", "pyrra", "--source", site, "--offering", "web")
    assert exported.exit_code == 0, exported.output
    (resource,) = yaml.safe_load_all(exported.stdout)
    # (interop27: a bound goes to Pyrra as Go writes it, which Prometheus 2 and 3 store: 5e-1 as 0.5)
    if "5e-1" in bound:
        slo["measurement"]["good"] = 'http_request_duration_seconds_bucket{job="api",le="0.5"}'
    assert resource["spec"]["indicator"]["latency"]["success"]["metric"] == slo["measurement"]["good"]
    again = tmp_path / "again.yaml"
    again.write_text(exported.stdout)
    reimported = run("import", "pyrra", again)
    assert reimported.exit_code == 0, reimported.output
    (back,) = yaml.safe_load(reimported.stdout)["offerings"][0]["slos"]
    assert (back["objective"], back["window"], back["measurement"]) == (
        slo["objective"],
        slo["window"],
        slo["measurement"],
    )


def test_a_pyrra_latency_bound_that_is_no_number_is_refused_as_pyrra_refuses_it(run, tmp_path: Path) -> None:
    # Pyrra's webhook: "latency success metric must contain a le label matcher with a float value"
    text = PYRRA_LATENCY.replace("BOUND", 'le="fast"')
    file = tmp_path / "slo.yaml"
    file.write_text(text)
    result = run("import", "pyrra", file)
    assert result.exit_code == 1
    assert (
        f"{file}:{_place(text, 'metric: ')}: error: the latency indicator's bound le 'fast' is not a number: Pyrra's "
        "webhook refuses it (latency success metric must contain a le label matcher with a float value)\n"
    ) in result.stderr
    assert "Traceback" not in result.output


# --- anchors, aliases and merge keys, as the tools' YAML readers take them -------------------------

SLOTH_ANCHORED = """version: "prometheus/v1"
service: "myservice"
slos:
  - &availability
    name: "requests-availability"
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
        total_query: &total sum(rate(http_requests_total[{{.window}}]))
    alerting: &quiet
      page_alert:
        disable: true
      ticket_alert:
        disable: true
  - <<: *availability
    name: "requests-availability-strict"
    objective: 99.99
  - name: "client-errors"
    objective: 99
    sli:
      events:
        error_query: sum(rate(http_requests_total{code=~"4.."}[{{.window}}]))
        total_query: *total
    alerting: *quiet
"""


def test_a_sloth_spec_with_anchors_aliases_and_merge_keys_is_read_as_sloth_reads_it(run, tmp_path: Path) -> None:
    # Sloth reads its specs with Go's YAML (gopkg.in/yaml.v2; sigs.k8s.io/yaml for the resource),
    # which takes anchors, aliases and YAML 1.1's merge keys: specs write their alerting once and
    # repeat it. servicebook refused the file ("anchors (&availability) are not allowed").
    file = tmp_path / "sloth.yaml"
    file.write_text(SLOTH_ANCHORED)
    result = run("import", "sloth", file)
    assert result.exit_code == 0, result.output
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    assert [slo["id"] for slo in offering["slos"]] == [
        "requests-availability",
        "requests-availability-strict",
        "client-errors",
    ]
    by_id = {slo["id"]: slo for slo in offering["slos"]}
    assert (by_id["requests-availability-strict"]["objective"], by_id["requests-availability"]["objective"]) == (
        99.99,
        99.9,
    )
    assert by_id["requests-availability-strict"]["measurement"] == by_id["requests-availability"]["measurement"]
    assert by_id["client-errors"]["measurement"]["total"] == "sum(rate(http_requests_total[{{.window}}]))"
    # what the merge repeats is written once, and said once
    assert result.stderr.count(f"{file}:11:5: warning: dropped 'alerting'") == 1
    # and the drift check reads the file the same way: each promise found
    site = _pasted([offering], tmp_path)
    checked = run("check", "--source", site, "--against", _monitoring(tmp_path, {"sloth.yaml": SLOTH_ANCHORED}))
    assert checked.exit_code == 0, checked.output
    assert "not allowed" not in checked.stderr


def test_a_backstage_entity_with_an_alias_is_read_and_a_merge_key_refused_as_backstage_does(
    run, tmp_path: Path
) -> None:
    # Backstage reads YAML 1.2 (the `yaml` package): aliases yes, `<<` a key like any other
    text = """apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: petstore
  description: &about Sells pets.
  title: Pet Store
spec:
  type: service
  lifecycle: production
  owner: &owner team-pets
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-pets
  description: The pet store's team.
spec:
  type: team
  children: []
"""
    file = tmp_path / "catalog-info.yaml"
    file.write_text(text)
    result = run("import", "backstage", file)
    assert result.exit_code == 0, result.output
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    assert (offering["summary"], offering["owner"]) == ("Sells pets.", "team-pets")
    merged = text.replace("  title: Pet Store\n", "  <<: {title: Pet Store}\n")
    file.write_text(merged)
    refused = run("import", "backstage", file)
    assert refused.exit_code == 1
    assert f"{file}:6:3: error: merge keys (<<) are not allowed" in refused.stderr


def test_an_anchor_names_a_value_of_its_own_document_only(run, tmp_path: Path) -> None:
    file = tmp_path / "slo.yaml"
    first, _ = SLOTH_ANCHORED.split("  - <<: *availability")
    file.write_text(first + "---\n" + 'version: "prometheus/v1"\nservice: other\nslos:\n  - <<: *availability\n')
    result = run("import", "sloth", file)
    assert result.exit_code == 1
    assert f"{file}:20:9: error: alias *availability names no anchor before it" in result.stderr


def test_aliases_that_grow_without_bound_are_refused_at_once(run, tmp_path: Path) -> None:
    # "billion laughs": nine anchors, each a list of ten of the one before
    lines = ['version: "prometheus/v1"', "service: a", "x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    file = tmp_path / "laughs.yaml"
    file.write_text("\n".join(lines) + "\n")
    result = run("import", "sloth", file)
    assert result.exit_code == 1
    assert "error: aliases repeat over 100,000 values in this file" in result.stderr
    assert "Traceback" not in result.output


def test_a_field_pyrra_does_not_have_is_said_as_such_not_as_one_the_catalog_drops(run, tmp_path: Path) -> None:
    # SLO write-ups give Pyrra resources a `spec.service` (and `target: 0.999`): no field of Pyrra's
    # CRD, which kubectl refuses (unknown field "spec.service"); it was "dropped 'service' (not part of
    # the catalog)", as if Pyrra had it. Pyrra's own partial_response_strategy is still the catalog's drop.
    text = PYRRA_LATENCY.replace("BOUND", 'le="0.5"').replace(
        '  target: "99"\n', '  target: "99"\n  service: payment-service\n  partial_response_strategy: warn\n'
    )
    file = tmp_path / "slo.yaml"
    file.write_text(text)
    result = run("import", "pyrra", file)
    assert result.exit_code == 0, result.output
    assert (
        f"{file}:8:3: warning: dropped 'service': no field of Pyrra's "
        'ServiceLevelObjective (kubectl apply refuses it: unknown field "spec.service"; Pyrra reads nothing of it)\n'
    ) in result.stderr
    assert (
        "hint: Pyrra's spec has description, target, window, indicator, alerting, partial_response_strategy; the "
        "offering is the objective's namespace" in result.stderr
    )
    assert f"{file}:9:3: warning: dropped 'partial_response_strategy' (not part of the catalog)" in result.stderr


# --- OpenSLO v1: labels and annotations are text ----------------------------------------------------


@pytest.mark.parametrize(
    ("metadata", "needle", "message"),
    [
        ("  annotations:\n    priority: 1\n", "priority: ", "the annotation 'priority' is 1, a number"),
        ("  annotations:\n    paged: yes\n", "paged: ", "the annotation 'paged' is yes, a boolean"),
        ("  labels:\n    tier: 2\n", "tier: ", "the label 'tier' is 2, a number"),
        ("  labels:\n    teams:\n      - web\n      - 42\n", "- web\n      - ", "the label 'teams' is 42, a number"),
    ],
    ids=["annotation-number", "annotation-boolean", "label-number", "label-list-number"],
)
def test_an_openslo_label_or_annotation_that_is_no_text_is_refused_as_the_go_sdk_refuses_it(
    run, tmp_path: Path, metadata: str, needle: str, message: str
) -> None:
    # go-sdk's v1 Metadata: `Annotations map[string]string`, `Labels map[string]Label` (a string or a list
    # of strings); YAML made JSON keeps 1 a number: `json: cannot unmarshal number into Go struct field
    # Metadata.metadata.annotations of type string`. servicebook dropped it with a warning: the file was read.
    text = _openslo("target: 0.99").replace("  name: availability\n", "  name: availability\n" + metadata, 1)
    file = tmp_path / "slo.yaml"
    file.write_text(text)
    result = run("import", "openslo", file)
    assert result.exit_code == 1
    place = _place(text, needle)
    assert (
        f"{file}:{place}: error: {message}: OpenSLO reads {'labels' if 'label ' in message else 'annotations'} as "
        "text; its Go SDK (and oslo), and the Kubernetes API for osko's resources, refuse the file\n"
    ) in result.stderr
    assert "Traceback" not in result.output


def test_openslo_labels_and_annotations_written_as_text_or_left_empty_are_read(run, tmp_path: Path) -> None:
    metadata = '  labels:\n    tier: "2"\n    teams: [web, "42"]\n    empty:\n  annotations:\n    priority: "1"\n'
    text = _openslo("target: 0.99").replace("  name: availability\n", "  name: availability\n" + metadata, 1)
    # and so in an inline indicator's metadata
    text = text.replace("      name: good-requests\n", "      name: good-requests\n      labels:\n        tier: '2'\n")
    file = tmp_path / "slo.yaml"
    file.write_text(text)
    result = run("import", "openslo", file)
    assert result.exit_code == 0, result.output
    inline = text.replace("        tier: '2'\n", "        tier: 2\n")
    file.write_text(inline)
    refused = run("import", "openslo", file)
    assert refused.exit_code == 1
    assert f"{file}:{_place(inline, '        tier: ')}: error: the label 'tier' is 2, a number" in refused.stderr


# --- Zalando's radar: places by index, as JavaScript indexes ---------------------------------------


def test_a_zalando_entry_placed_by_a_whole_number_written_as_a_float_is_read_as_radar_js_reads_it(
    run, tmp_path: Path
) -> None:
    # Zalando's radar.js draws an entry in `config.rings[entry.ring]`: JavaScript indexes by `1.0` and
    # `1e0` as by 1 (a radar written by a script's floats); servicebook skipped the entry ("its ring is
    # not one of the radar's"). The text "1.0" indexes nothing in JavaScript, and is still skipped.
    radar = json.loads((INTEROP / "zalando-config-2023-10.json").read_text())
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps(radar, indent=2))
    floats = tmp_path / "floats.json"
    floats.write_text(
        json.dumps(radar, indent=2).replace('"ring": 2', '"ring": 2.0').replace('"quadrant": 3', '"quadrant": 3e0')
    )
    expected, read = run("import", "techradar", plain), run("import", "techradar", floats)
    assert expected.exit_code == read.exit_code == 0, read.output
    assert read.stdout == expected.stdout
    assert "is not one of the radar's" not in read.stderr
    text = floats.read_text().replace('"ring": 2.0', '"ring": "2.0"', 1)
    floats.write_text(text)
    skipped = run("import", "techradar", floats, "--all-warnings")
    assert "AWS Athena': its ring is not one of the radar's" in skipped.stderr


# --- Build-Your-Own-Radar: a name as its sanitizer reads it ------------------------------------------

BYOR_NAMES = (
    "name,ring,quadrant,isNew,description\n"
    '"Go ",Hold,Languages & Frameworks,false,<p>Old.</p>\n'
    "<b>Kafka</b>,adopt,Platforms,false,<p>Streams.</p>\n"
    "Ansible &amp; Terraform,trial,Tools,TRUE,<p>Both.</p>\n"
)


@pytest.mark.parametrize("form", ["csv", "json"])
def test_a_byor_name_is_the_text_build_your_own_radar_shows(run, tmp_path: Path, form: str) -> None:
    # build-your-own-radar's src/util/inputSanitizer.js trims every cell and keeps a name's text only
    # (sanitize-html with no tag allowed): servicebook named a tool 'Go ' and '<b>Kafka</b>' (its id
    # b-kafka-b) and 'Ansible &amp; Terraform', where the radar shows Go, Kafka, Ansible & Terraform.
    file = tmp_path / f"radar.{form}"
    if form == "csv":
        file.write_text(BYOR_NAMES)
    else:
        rows = [line.split(",") for line in BYOR_NAMES.splitlines()[1:]]
        keys = BYOR_NAMES.splitlines()[0].split(",")
        file.write_text(
            json.dumps(
                [dict(zip(keys, [c.strip('"') if c == '"Go "' else c for c in row], strict=True)) for row in rows]
            )
        )
    result = run("import", "techradar", file)
    assert result.exit_code == 0, result.output
    tools = {tool["id"]: tool["name"] for tool in yaml.safe_load(result.stdout)["tools"]}
    assert tools == {"go": "Go", "kafka": "Kafka", "ansible-terraform": "Ansible & Terraform"}
    assert "guessed entry 'Kafka': name 'Kafka', the text Build-Your-Own-Radar shows of '<b>Kafka</b>'" in (
        result.stderr
    )


PYRRA_CONFIG_MAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: pyrra-recording-rule-api-errors
  namespace: web
  ownerReferences:
    - apiVersion: v1alpha1
      kind: ServiceLevelObjective
      name: api-errors
      uid: 0b4f6b4e-0000-4000-8000-000000000000
      controller: true
data:
  pyrra-recording-rule-api-errors.rules.yaml: |
    groups:
    - interval: 2m30s
      name: api-errors-increase
      rules:
      - expr: sum by (code) (increase(http_requests_total[4w]))
        labels:
          slo: api-errors
        record: http_requests:increase4w
"""


def test_the_rules_pyrra_writes_to_a_config_map_are_named_for_what_they_are(run, tmp_path: Path) -> None:
    # Pyrra's `kubernetes --config-map-mode=true` writes each objective's rules to a ConfigMap of its
    # own (pyrra-recording-rule-NAME, owned by the ServiceLevelObjective), beside the objective in a
    # `kubectl get -o yaml` dump: it was "skipped ConfigMap (v1): not a Pyrra ServiceLevelObjective".
    file = tmp_path / "dump.yaml"
    file.write_text(PYRRA_CONFIG_MAP + "---\n" + PYRRA.replace("TARGET", '"99"'))
    result = run("import", "pyrra", file)
    assert result.exit_code == 0, result.output
    assert (
        f"{file}:1:1: warning: skipped ConfigMap (v1) of Pyrra's --config-map-mode: Prometheus rules (`sloth "
        "generate` and Pyrra write them from SLOs), not SLOs: read the specs\n"
    ) in result.stderr
    # an operator's other ConfigMaps are named as before
    other = PYRRA_CONFIG_MAP.replace("pyrra-recording-rule-api-errors", "settings").replace(
        "kind: ServiceLevelObjective", "kind: Deployment"
    )
    file.write_text(other + "---\n" + PYRRA.replace("TARGET", '"99"'))
    assert f"{file}:1:1: warning: skipped ConfigMap (v1): not a Pyrra ServiceLevelObjective" in (
        run("import", "pyrra", file).stderr
    )


@pytest.mark.parametrize(
    ("old", "new", "key", "value"),
    [
        ("      isRolling: true", '      isRolling: "true"', "isRolling", "true"),
        ("        counter: true", "        counter: 'false'", "counter", "false"),
    ],
    ids=["is-rolling", "counter"],
)
def test_an_openslo_boolean_written_in_quotes_is_refused_as_the_go_sdk_refuses_it(
    run, tmp_path: Path, old: str, new: str, key: str, value: str
) -> None:
    # SLOTimeWindow's `IsRolling bool`, a ratio's `Counter bool`: "true" is a JSON string to go-sdk's
    # decoding (json: cannot unmarshal string into Go struct field … of type bool); servicebook read it
    text = _openslo("target: 0.99").replace(old, new)
    file = tmp_path / "slo.yaml"
    file.write_text(text)
    result = run("import", "openslo", file)
    assert result.exit_code == 1
    assert (
        f"{file}:{_place(text, f'{key}: ')}: error: {key} '{value}' is written in quotes, as text: OpenSLO's Go SDK "
        "(and oslo) reads a boolean there and refuses the file\n"
    ) in result.stderr
    assert f"hint: write {key}: {value}, without quotes\n" in result.stderr
