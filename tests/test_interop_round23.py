"""interop23: what round 22 left (OpenSLO v2alpha's keys unchecked, Sloth's common SLI plugins imported as if
nothing were missing), and shapes the formats allow that real files take."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.test_interop_round15 import _pasted
from tests.test_interop_round16 import _monitoring
from tests.test_interop_round22 import _file, _key

V2ALPHA = """apiVersion: openslo.com/v2alpha
kind: Service
metadata:
  name: web
  displayName: The Web
  namespace: prod
spec:
  description: Web requests
  owner: team-a
---
apiVersion: openslo.com/v2alpha
kind: SLO
metadata:
  name: web-availability
  labels:
    team: team-a
spec:
  serviceRef: web
  sli:
    metadata:
      name: web-ok
    spec:
      ratioMetric:
        counter: true
        good:
          dataSourceSpec:
            type: Prometheus
            connectionDetails: {url: http://prometheus:9090}
          spec:
            query: sum(rate(http_requests_total{code!~"5.."}[{{.window}}]))
        total:
          dataSourceSpec:
            type: Prometheus
            connectionDetails: {url: http://prometheus:9090}
          spec:
            query: sum(rate(http_requests_total[{{.window}}]))
  budgetingMethod: Occurrences
  timeWindow:
    - duration: 28d
      isRolling: true
  objectives:
    - target: 0.995
      timeSliceTarge: 0.9
"""


def test_an_openslo_v2alpha_key_go_sdk_has_not_is_said_where_it_is_with_the_field_meant(run, tmp_path) -> None:
    # v2alpha's keys were not checked: a slip (`timeSliceTarge`) and fields v2alpha has not (its metadata has no
    # displayName, its Service spec no owner) were passed over, or said as the catalog's drops
    file = _file(tmp_path, V2ALPHA)
    result = run("import", "openslo", file)
    assert result.exit_code == 0, result.output
    for key, path in (
        ("displayName", "metadata.displayName"),
        ("namespace", "metadata.namespace"),
        ("owner", "spec.owner"),
    ):
        assert (
            f"{file}:{_key(V2ALPHA, key)}: warning: dropped '{key}': no field of OpenSLO v2alpha's Service (OpenSLO's "
            f'go-sdk refuses it: unknown field "{path}")\n'
        ) in result.stderr
    assert (
        f"{file}:{_key(V2ALPHA, 'timeSliceTarge')}: warning: dropped 'timeSliceTarge': no field of OpenSLO v2alpha's "
        'SLO (OpenSLO\'s go-sdk refuses it: unknown field "spec.objectives[0].timeSliceTarge")\n'
    ) in result.stderr
    assert "hint: did you mean 'timeSliceTarget'?" in result.stderr
    assert "hint: v2alpha removed displayName from metadata" in result.stderr
    assert "hint: namespace is Kubernetes' (OpenSLO v2alpha's metadata has name, labels, annotations)" in result.stderr
    assert result.stderr.count("no field of") == 4
    # v2alpha has no displayName: the offering is not named by one it said dropped
    offering = yaml.safe_load(result.stdout)["offerings"][0]
    assert offering["name"] == "web"
    assert offering["slos"][0]["measurement"] == {
        "good": 'sum(rate(http_requests_total{code!~"5.."}[{{.window}}]))',
        "total": "sum(rate(http_requests_total[{{.window}}]))",
    }


def test_openslo_v2alpha_files_from_go_sdk_and_oslo_have_no_key_said_unknown(run) -> None:
    fixtures = Path(__file__).parent / "interop" / "fixtures"
    for name in ("openslo-sdk-v2alpha-slos.yaml", "openslo-oslo-validate-v2alpha.yaml"):
        result = run("import", "openslo", fixtures / name)
        assert "no field of" not in result.stderr, result.stderr


def test_an_openslo_v2alpha_slo_naming_its_indicator_as_v1_does_is_refused_there_with_v2alpha_s_name(
    run, tmp_path
) -> None:
    # a file half moved to v2alpha: `indicator` was refused as "an SLO needs sli or sliRef", at the spec
    text = V2ALPHA.replace("  sli:\n    metadata:", "  indicator:\n    metadata:")
    file = _file(tmp_path, text)
    result = run("import", "openslo", file)
    assert result.exit_code == 1
    assert (
        f"{file}:{_key(text, 'indicator')}: error: an SLO of OpenSLO v2alpha names its indicator sli: 'indicator' is "
        "OpenSLO v1's name\n"
    ) in result.stderr
    assert "hint: write sli (v2alpha renamed v1's indicator), or the file as openslo/v1" in result.stderr


def test_the_draft_of_v2alpha_is_not_checked_for_keys(run, tmp_path) -> None:
    # openslo/v2alpha1 is a draft no SDK decodes: its keys are not said unknown (docs/slo-formats.md says so)
    text = V2ALPHA.replace("openslo.com/v2alpha", "openslo/v2alpha1").replace("serviceRef: web", "service: web")
    result = run("import", "openslo", _file(tmp_path, text))
    assert result.exit_code == 0, result.output
    assert "no field of" not in result.stderr


# --- Sloth's common SLI plugins ---------------------------------------------------------------------------

PLUGINS = """version: "prometheus/v1"
service: "k8s-apiserver"
slos:
  - name: "requests-availability"
    objective: 99.9
    sli:
      plugin:
        id: "sloth-common/kubernetes/apiserver/availability"
        options:
          filter: '{job="apiserver",cluster="prod"}'
  - name: "requests-latency"
    objective: 99
    sli:
      plugin:
        id: "sloth-common/kubernetes/apiserver/latency"
        options:
          bucket: "0.4"
  - name: "dns"
    objective: 99
    sli:
      plugin:
        id: "sloth-common/coredns/availability"
"""


def test_a_sloth_common_plugin_whose_query_is_known_is_measured_as_the_plugin_makes_it(run, tmp_path) -> None:
    # sloth-common/kubernetes/apiserver/* were imported with no measurement, "dropped": the SLO pasted in the
    # catalog was never measured, though the plugin's query is known to the letter
    file = _file(tmp_path, PLUGINS)
    result = run("import", "sloth", file)
    assert result.exit_code == 0, result.output
    slos = {slo["id"]: slo for slo in yaml.safe_load(result.stdout)["offerings"][0]["slos"]}
    assert slos["requests-availability"]["measurement"] == {
        "error_ratio": 'sum(rate(apiserver_request_total{ job="apiserver",cluster="prod",code=~"(5..|429)" }'
        "[{{.window}}]))\n/\n"
        'sum(rate(apiserver_request_total{ job="apiserver",cluster="prod" }[{{.window}}]))'
    }
    assert slos["requests-latency"]["measurement"] == {
        "error_ratio": "(\n"
        '  sum(rate(apiserver_request_duration_seconds_count{ verb!="WATCH" }[{{.window}}]))\n'
        "  -\n"
        '  sum(rate(apiserver_request_duration_seconds_bucket{ le="0.4",verb!="WATCH" }[{{.window}}]))\n'
        ")\n/\n"
        'sum(rate(apiserver_request_duration_seconds_count{ verb!="WATCH" }[{{.window}}]))'
    }
    at = _key(PLUGINS, "id")
    assert (
        f"{file}:{at[: at.index(':')]}:13: warning: read the SLI plugin sloth-common/kubernetes/apiserver/availability "
        "as the error ratio query it makes of its options"
    ) in result.stderr
    # any other plugin is Sloth's to run: its SLO is not measured, and said so where the plugin is named
    assert "measurement" not in slos["dns"]
    assert (
        f"{file}:{_key(PLUGINS, 'id', 2).split(':')[0]}:13: warning: imported without a measurement: the plugin "
        "sloth-common/coredns/availability is run by Sloth, not by `servicebook measure`"
    ) in result.stderr
    # pasted in a catalog, the measured SLOs pass `check`, and `check --against` the file finds them the same
    site = _pasted(yaml.safe_load(result.stdout)["offerings"], tmp_path)
    checked = run("check", "--source", site)
    assert checked.exit_code == 0, checked.output
    against = run("check", "--source", site, "--against", _monitoring(tmp_path, {"slos.yaml": PLUGINS}))
    assert against.exit_code == 0, against.output
    assert "k8s-apiserver" not in against.stderr, against.stderr


def test_a_sloth_common_plugin_option_the_plugin_refuses_is_said_where_it_is(run, tmp_path) -> None:
    # the plugin's own checks: a filter of label="value" matchers only, a bucket that is a number
    text = PLUGINS.replace('filter: \'{job="apiserver",cluster="prod"}\'', "filter: 'job=~\"api.*\"'").replace(
        'bucket: "0.4"', 'bucket: "400ms"'
    )
    file = _file(tmp_path, text)
    result = run("import", "sloth", file)
    assert result.exit_code == 0, result.output
    assert (
        f"{file}:{_key(text, 'filter')}: warning: imported without a measurement: the plugin "
        "sloth-common/kubernetes/apiserver/availability refuses its options (invalid prometheus filter: "
        'job=~"api.*"), and so sloth generate fails on the file'
    ) in result.stderr
    assert (
        f"{file}:{_key(text, 'bucket')}: warning: imported without a measurement: the plugin "
        "sloth-common/kubernetes/apiserver/latency refuses its options (not a valid bucket, can't parse to float64: "
        "400ms)"
    ) in result.stderr
    assert "measurement" not in result.stdout


# --- Backstage: one name in two namespaces ----------------------------------------------------------------

TWO_NAMESPACES = """apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
  namespace: shop
spec:
  type: service
  lifecycle: production
  owner: group:shop/team-a
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
  namespace: outlet
spec:
  type: service
  lifecycle: experimental
  owner: group:outlet/team-b
"""


def test_a_second_entity_of_one_name_in_another_namespace_is_skipped_with_nothing_of_it_kept(run, tmp_path) -> None:
    # Backstage tells shop/checkout and outlet/checkout apart; the import skipped the second, but kept its owner's
    # reference in portals.backstage.owners and said its guesses (lifecycle, request) as if it were read
    file = _file(tmp_path, TWO_NAMESPACES)
    result = run("import", "backstage", file)
    assert result.exit_code == 0, result.output
    assert (
        f"{file}:11:1: warning: skipped Component 'checkout': a second entity with the id 'checkout' (first at "
        f"{file}:1:1): Backstage tells component:shop/checkout and component:outlet/checkout apart by namespace, a "
        "catalog's offering ids are one namespace\n"
    ) in result.stderr
    assert "hint: import each namespace's entities on their own" in result.stderr
    assert "team-b" not in result.stdout + result.stderr
    assert "experimental" not in result.stderr
    fragment = yaml.safe_load(result.stdout)
    assert fragment["portals"]["backstage"]["owners"] == [{"owner": "team-a", "ref": "group:shop/team-a"}]


# --- Backstage: a reference written in capitals ------------------------------------------------------------

CAPITALS = """apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ledger
spec:
  type: service
  lifecycle: production
  owner: Group:Default/Team-A
  system: System:Default/payments
  dependsOn:
    - Component:Default/audit
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: audit
spec:
  type: service
  lifecycle: production
  owner: group:team-a
  system: payments
"""


def test_a_reference_with_its_namespace_in_capitals_names_the_entity_backstage_finds(run, tmp_path) -> None:
    # Backstage compares references in lower case (stringifyEntityRef), so Group:Default/Team-A is group:team-a;
    # the import made two owners of one group, kept a ref `check` then refused ('Default' is not a Backstage
    # namespace), dropped the dependency as "not a Component or Resource" and took the whole ref for the System
    file = _file(tmp_path, CAPITALS)
    result = run("import", "backstage", file)
    assert result.exit_code == 0, result.output
    fragment = yaml.safe_load(result.stdout)
    assert {o["owner"] for o in fragment["offerings"]} == {"Team-A"}
    assert fragment["portals"]["backstage"]["owners"] == [{"owner": "Team-A", "ref": "Group:default/Team-A"}]
    assert fragment["portals"]["backstage"]["system"] == "payments"
    assert "dependsOn Component:Default/audit" not in result.stderr
    ledger = next(o for o in fragment["offerings"] if o["id"] == "ledger")
    assert ledger["depends_on"] == ["audit"]
    assert (
        f"{file}:8:10: warning: guessed Component 'ledger': the owner's reference Group:default/Team-A for "
        "Group:Default/Team-A: Backstage compares references in lower case"
    ) in result.stderr
    for offering in fragment["offerings"]:
        offering.setdefault("slos", [])
    site = _pasted(fragment["offerings"], tmp_path)
    catalog = yaml.safe_load((site / "catalog.yaml").read_text())
    catalog["portals"] = fragment["portals"]
    catalog["portals"]["backstage"]["owners"].append({"owner": "Platform Team", "ref": "group:platform-team"})
    catalog["site"]["base_url"] = "https://example.com/"
    (site / "catalog.yaml").write_text(yaml.safe_dump(catalog, sort_keys=False))
    checked = run("check", "--source", site)
    assert checked.exit_code == 0, checked.output


# --- tech radars: a date that is no day --------------------------------------------------------------------

BACKSTAGE_RADAR = """{"quadrants": [{"id": "infra", "name": "Infrastructure"}, {"id": "lang", "name": "Languages"},
  {"id": "tools", "name": "Tools"}, {"id": "data", "name": "Data"}],
 "rings": [{"id": "adopt", "name": "ADOPT", "color": "#93c47d"}, {"id": "hold", "name": "HOLD", "color": "#efafa9"}],
 "entries": [
  {"id": "k8s", "title": "Kubernetes", "quadrant": "infra",
   "timeline": [{"moved": 0, "ringId": "adopt", "date": "2024-02-30", "description": "Our platform"}]},
  {"id": "go", "title": "Go", "quadrant": "lang",
   "timeline": [{"moved": 0, "ringId": "adopt", "date": "2023-05-02T00:00:00.000Z", "description": "Services"}]}
 ]}
"""


def test_a_radar_date_that_is_no_day_of_the_calendar_is_said_where_it_is(run, tmp_path) -> None:
    # Backstage's tech radar JSON dates each timeline entry; one that is no day (a 30th of February, a
    # 06/02/2022) was read as if the radar gave no date, with nothing said where it is written
    file = _file(tmp_path, BACKSTAGE_RADAR, "radar.json")
    result = run("import", "techradar", file)
    assert result.exit_code == 0, result.output
    at = BACKSTAGE_RADAR.index('"2024-02-30"')
    line = BACKSTAGE_RADAR.count("\n", 0, at) + 1
    column = at - BACKSTAGE_RADAR.rfind("\n", 0, at)
    assert (
        f"{file}:{line}:{column}: warning: dropped entry 'Kubernetes': the date '2024-02-30', not a day of the "
        "calendar as YYYY-MM-DD: the tool's since is guessed as for an entry without a date\n"
    ) in result.stderr
    tools = {tool["id"]: tool for tool in yaml.safe_load(result.stdout)["tools"]}
    assert tools["go"]["since"] == "2023-05-02"
    assert "2023-05-02" not in result.stderr


# --- Sloth: the plain spec's fields in the resource's shape, and the other way round ---------------------

RESOURCE_UNNESTED = """apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata:
  name: checkout
service: checkout
slos:
  - name: requests-availability
    objective: 99.9
    sli:
      raw:
        errorRatioQuery: sum(rate(errors_total[{{.window}}])) / sum(rate(requests_total[{{.window}}]))
"""


def test_a_sloth_file_half_plain_half_resource_is_refused_where_the_shapes_part(run, tmp_path) -> None:
    # "the document has no 'spec'" (or no 'service'), at 1:1, said nothing of the fields written in the other shape
    file = _file(tmp_path, RESOURCE_UNNESTED)
    result = run("import", "sloth", file)
    assert result.exit_code == 1
    assert (
        f"{file}:5:1: error: Sloth's Kubernetes resource writes service under spec, not beside apiVersion and kind\n"
    ) in result.stderr
    assert "hint: indent service and slos under spec:" in result.stderr
    plain_nested = "version: prometheus/v1\nspec:\n" + "".join(
        f"  {line}\n" for line in RESOURCE_UNNESTED.splitlines()[4:]
    )
    file = _file(tmp_path, plain_nested, "plain.yaml")
    result = run("import", "sloth", file)
    assert result.exit_code == 1
    assert (
        f"{file}:2:1: error: a plain Sloth spec (version: prometheus/v1) writes service and slos at the top, not "
        "under spec\n"
    ) in result.stderr


def test_a_sloth_common_plugin_without_the_options_it_needs_is_said_not_a_traceback(run, tmp_path) -> None:
    # `options: null` was a traceback (an assertion that the options were a mapping)
    for options, key, said in (
        ("options: null", ("options", 1), '("bucket" option is required)'),
        ("options: {}", ("options", 1), '("bucket" option is required)'),
        (
            "options: {bucket: 1e400}",
            ("bucket", 0),
            "(not a valid bucket, can't parse to float64: 1e400: value out of range)",
        ),
    ):
        text = PLUGINS.replace('        options:\n          bucket: "0.4"', f"        {options}")
        file = _file(tmp_path, text)
        result = run("import", "sloth", file)
        assert result.exit_code == 0, result.output
        assert (
            f"{file}:{_key(text, *key)}: warning: imported without a measurement: the plugin "
            f"sloth-common/kubernetes/apiserver/latency refuses its options {said}"
        ) in result.stderr


def test_a_system_named_in_capitals_or_as_no_id_is_kept_as_backstage_finds_it_or_not_claimed(run, tmp_path) -> None:
    # `system: Payments`: portals.backstage.system (an id) was left out while `existing: [system]` was guessed, so
    # `export backstage` referred to a System named after the team, which Backstage has not, and wrote none
    component = CAPITALS.split("---\n")[1]
    file = _file(tmp_path, component.replace("system: payments", "system: Payments"))
    result = run("import", "backstage", file)
    assert result.exit_code == 0, result.output
    backstage = yaml.safe_load(result.stdout)["portals"]["backstage"]
    assert (backstage["system"], backstage["existing"]) == ("payments", ["system"])
    assert "(Payments, as Backstage compares names, in lower case)" in result.stderr
    # a name no id can stand for is not claimed as the System Backstage has: said where it is
    file = _file(tmp_path, component.replace("system: payments", "system: payments_v2"), "v2.yaml")
    result = run("import", "backstage", file)
    assert result.exit_code == 0, result.output
    backstage = yaml.safe_load(result.stdout)["portals"]["backstage"]
    assert "system" not in backstage and "existing" not in backstage
    assert (
        f"{file}:9:11: warning: dropped Component 'audit': spec.system 'payments_v2': portals.backstage.system takes "
        "a catalog id"
    ) in result.stderr
