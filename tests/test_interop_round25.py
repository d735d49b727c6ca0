"""interop25: what round 24 left (label matchers compared in order, a Backstage Group in another namespace
written again, names made of accented team names), and real files of the projects read."""

from __future__ import annotations

import json
import shutil

import yaml

from servicebook.catalog import model, portals
from servicebook.interop.same_query import difference, normalised
from tests.test_portals import _validator


def test_a_selector_s_label_matchers_are_the_same_query_in_any_order() -> None:
    # `check --against` said a Pyrra or OpenSLO file writing {code=~"5..",job="api"} measured another query than
    # the catalog's {job="api",code=~"5.."}: PromQL ands a selector's matchers, their order is no difference
    promised = model.Measurement(
        errors='http_requests_total{job="api", code=~"5.."}', total='http_requests_total{job="api"}'
    )
    measured = model.Measurement(
        errors='sum(rate(http_requests_total{code=~"5..",job="api",}[{{ .window }}]))',
        total='http_requests_total{job="api"}',
    )
    assert difference(promised, measured, sloth=False) is None
    assert normalised('x{b="2",a="1"}') == normalised('x{ a = "1", b = "2" }') == 'x{a="1",b="2"}'
    # another value, or another operator, is still another query; a string's braces are its own
    assert difference(promised, model.Measurement(errors='x{code=~"4..",job="api"}', total='x{job="api"}'), sloth=False)
    assert normalised('x{a!="1",b="2"}') != normalised('x{a="1",b="2"}')
    assert normalised('x{a="{c=\\"2\\",b=\\"1\\"}"}') == 'x{a="{c=\\"2\\",b=\\"1\\"}"}'


def test_a_team_name_with_accents_keeps_its_letters_in_the_backstage_names(run, site_copy) -> None:
    # `Équipe Plateforme` became the Group and System `quipe-plateforme`: the accented letter was dropped, where
    # `servicebook init` names the same team's catalog equipe-plateforme (Backstage's names are ASCII only:
    # @backstage/catalog-model's validator refuses `Équipe`)
    site = site_copy("example")
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("  name: Platform Engineering\n", "  name: Équipe Plateforme\n"))
    exported = run("export", "backstage", "--source", site)
    assert exported.exit_code == 0, exported.output
    entities = {(e["kind"], e["metadata"]["name"]): e for e in yaml.safe_load_all(exported.stdout)}
    assert ("Group", "equipe-plateforme") in entities and ("System", "equipe-plateforme") in entities
    assert entities[("Group", "equipe-plateforme")]["spec"]["profile"]["displayName"] == "Équipe Plateforme"
    assert entities[("System", "equipe-plateforme")]["spec"]["owner"] == "group:default/equipe-plateforme"
    assert portals.slug("Ålesund Øst, Straße") == "alesund-ost-strasse"
    assert portals.slug("平台") == "team"  # no Latin letter: the default, as before

    # Backstage's own Group of that name, read back, is the team's: claimed as existing, no `group` to map it
    group = yaml.safe_dump(entities[("Group", "equipe-plateforme")], allow_unicode=True)
    component = next(e for (kind, _), e in entities.items() if kind == "Component")
    component = {**component, "metadata": {"name": "web", "namespace": "default"}}
    (site / "backstage.yaml").write_text(group + "---\n" + yaml.safe_dump(component, allow_unicode=True))
    imported = run("import", "backstage", site / "backstage.yaml")
    assert imported.exit_code == 0, imported.output
    fragment = yaml.safe_load(imported.stdout)
    assert fragment["team"]["name"] == "Équipe Plateforme"
    assert "group" in fragment["portals"]["backstage"]["existing"]
    assert "group" not in fragment["portals"]["backstage"]


PEOPLE_GROUP = """apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: payments-team
  namespace: people
spec:
  type: team
  profile:
    displayName: Payments Team
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
  namespace: shop
spec:
  type: service
  lifecycle: production
  owner: group:people/payments-team
"""


def test_the_team_s_group_in_another_namespace_is_referred_to_by_its_full_ref(run, site_copy, tmp_path) -> None:
    # Backstage's Group lives in namespace people, the offerings in shop: the import did not claim it, and the
    # export wrote a second Group payments-team in shop and owned the System by it, a Group nobody else knows
    file = tmp_path / "catalog-info.yaml"
    file.write_text(PEOPLE_GROUP)
    imported = run("import", "backstage", file)
    assert imported.exit_code == 0, imported.output
    fragment = yaml.safe_load(imported.stdout)
    backstage = fragment["portals"]["backstage"]
    assert (backstage["namespace"], backstage["group_namespace"], backstage["existing"]) == (
        "shop",
        "people",
        ["group"],
    )
    assert (
        f"{file}:5:14: warning: guessed portals.backstage.group_namespace people: the team's Group 'payments-team' is "
        "in namespace people, not the offerings' shop, so `export backstage` refers to it as "
        "group:people/payments-team"
    ) in imported.stderr
    assert "is not the team's Group" not in imported.stderr

    site = site_copy("minimal")
    catalog = yaml.safe_load((site / "catalog.yaml").read_text())
    catalog["site"]["base_url"] = "https://platform.example/"
    catalog["team"] = fragment["team"]
    catalog["offerings"] = fragment["offerings"]
    catalog["portals"] = fragment["portals"]
    (site / "catalog.yaml").write_text(yaml.safe_dump(catalog, sort_keys=False))
    shutil.rmtree(site / "content")  # its page names the minimal site's offering
    checked = run("check", "--source", site)
    assert checked.exit_code == 0, checked.output
    assert "warning" not in checked.stderr
    exported = run("export", "backstage", "--source", site)
    assert exported.exit_code == 0, exported.output
    entities = {(e["kind"], e["metadata"]["name"]): e for e in yaml.safe_load_all(exported.stdout) if e}
    assert set(entities) == {("System", "payments-team"), ("Component", "checkout")}  # no second Group
    assert entities[("System", "payments-team")]["spec"]["owner"] == "group:people/payments-team"
    assert entities[("Component", "checkout")]["spec"]["owner"] == "group:people/payments-team"
    assert entities[("Component", "checkout")]["metadata"]["namespace"] == "shop"
    annotations = entities[("Component", "checkout")]["metadata"]["annotations"]
    assert annotations["servicebook.dev/existing"] == "group:people/payments-team"
    for entity in entities.values():  # valid by @backstage/catalog-model's own JSON Schemas
        assert [e.message for e in _validator(entity["kind"]).iter_errors(entity)] == []

    # read back, the export's own entities give the same settings
    (tmp_path / "exported.yaml").write_text(exported.stdout)
    again = run("import", "backstage", tmp_path / "exported.yaml")
    assert again.exit_code == 0, again.output
    kept = yaml.safe_load(again.stdout)["portals"]["backstage"]
    assert (kept["namespace"], kept.get("group_namespace"), kept["existing"]) == ("shop", "people", ["group"])

    # without existing, the export writes the Group where its reference leads: in namespace people
    catalog["portals"]["backstage"].pop("existing")
    (site / "catalog.yaml").write_text(yaml.safe_dump(catalog, sort_keys=False))
    exported = run("export", "backstage", "--source", site)
    assert exported.exit_code == 0, exported.output
    group = next(e for e in yaml.safe_load_all(exported.stdout) if e and e["kind"] == "Group")
    assert (group["metadata"]["namespace"], group["metadata"]["name"]) == ("people", "payments-team")


SLOTH_WITH_PERIOD = """apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata:
  name: checkout
spec:
  service: checkout
  sloPeriod: 28d
  slos:
    - name: requests-availability
      objective: 99.9
      sli:
        events:
          errorQuery: sum(rate(http_requests_total{job="checkout",code=~"5.."}[{{.window}}]))
          totalQuery: sum(rate(http_requests_total{job="checkout"}[{{.window}}]))
      alerting:
        name: CheckoutErrors
"""


def test_a_sloth_period_written_in_the_spec_is_said_with_the_flags_that_set_it(run, tmp_path) -> None:
    # `sloPeriod: 28d` is no field of Sloth's (sloth.dev, "SLO period windows": Kubernetes and raw specs cannot
    # select a period; `sloth generate --default-slo-period` does, for every spec): it was said dropped with the
    # list of the spec's fields only, the user left to guess why the window read is 30d, not the 28d written
    file = tmp_path / "sloth.yaml"
    file.write_text(SLOTH_WITH_PERIOD)
    result = run("import", "sloth", file)
    assert result.exit_code == 0, result.output
    assert "window: 30d" in result.stdout  # as Sloth measures it without the flag
    assert (
        f"{file}:7:3: warning: dropped 'sloPeriod': no field of Sloth's PrometheusServiceLevel (kubectl apply refuses "
        'it: unknown field "spec.sloPeriod"; Sloth reads nothing of it)\n'
        " 7 |   sloPeriod: 28d\n"
        "   |   ^\n"
        "  hint: a Sloth spec cannot choose its period: `sloth generate --default-slo-period` sets it for every spec "
        "(30d unless given); where Sloth runs with --default-slo-period 28d, give servicebook --sloth-period 28d\n"
    ) in result.stderr
    result = run("import", "sloth", "--sloth-period", "28d", file)
    assert result.exit_code == 0, result.output
    assert "window: 28d" in result.stdout


# after ministryofjustice/panda-tech-radar's docs/radar_visualization.js (licence not checked: written anew,
# three entries): Zalando's page's call, kept in a .js file, with comments and unquoted keys
RADAR_SCRIPT = """radar_visualization({
  svg_id: "radar",
  title: "Platforms Tech Radar",
  quadrants: [
    { name: "Techniques" },
    { name: "Tooling" },
    { name: "Platforms" },
    { name: "Languages & Frameworks" }
  ],
  rings: [
    { name: "ADOPT", color: "#93c47d" },
    { name: "TRIAL", color: "#93d2c2" },
    { name: "HOLD", color: "#fbdb84" },
    { name: "REDUCE", color: "#efafa9" }
  ],
  // zoomed_quadrant: 0,
  entries: [
     { quadrant: 1, ring: 0, label: "Code - Github", active: true, link: "", moved: 0 },
  ]
});
"""


def test_a_radar_kept_as_the_script_that_draws_it_is_refused_with_what_to_do(run, tmp_path) -> None:
    # it was said to be invalid YAML, "a value containing ': ' must be quoted", at svg_id: a hint that leads nowhere
    for name, text, at in (
        ("radar_visualization.js", RADAR_SCRIPT, "1:1"),
        ("radar.ts", "// the radar\nexport const radarData = {\n  title: 'Radar',\n  entries: [],\n};\n", "2:1"),
        ("radar.txt", "\n  var radar = [\n];\n", "2:3"),
    ):
        file = tmp_path / name
        file.write_text(text)
        result = run("import", "techradar", file)
        assert result.exit_code == 1, result.output
        assert "invalid YAML" not in result.stderr
        assert (
            f"{file}:{at}: error: a radar written as JavaScript (the call radar_visualization({{...}}) of "
            "zalando/tech-radar's page, or a variable holding the radar) is not read"
        ) in result.stderr
        assert "hint: copy the object given to radar_visualization into a .json file (its keys in double quotes" in (
            result.stderr
        )
    # the same radar as JSON is read, its rings by name
    data = {
        "quadrants": [{"name": q} for q in ("Techniques", "Tooling", "Platforms", "Languages & Frameworks")],
        "rings": [{"name": r} for r in ("ADOPT", "TRIAL", "HOLD", "REDUCE")],
        "entries": [{"quadrant": 1, "ring": 3, "label": "Code - Sonarqube", "active": True, "link": "", "moved": 0}],
    }
    file = tmp_path / "radar.json"
    file.write_text(json.dumps(data))
    result = run("import", "techradar", file)
    assert result.exit_code == 0, result.output
    tool = yaml.safe_load(result.stdout)["tools"][0]
    assert (tool["name"], tool["category"], tool["status"]) == ("Code - Sonarqube", "tooling", "deprecated")


# OpenSLO/OpenSLO pkg/openslo/v2alpha/slo_example_test.go's SLO (Apache-2.0), its objects' `service` and inline `sli`
# whose metrics name the DataSource my-prometheus, which the example does not define
OPENSLO_V2ALPHA_EXAMPLE = """- apiVersion: openslo.com/v2alpha
  kind: SLO
  metadata:
    name: web-availability
    labels:
      env: prod
      team: team-a
  spec:
    description: X% of search requests are successful
    service: web
    sli:
      metadata:
        name: web-successful-requests-ratio
      spec:
        ratioMetric:
          counter: true
          good:
            dataSourceRef: my-prometheus
            spec:
              query: sum(http_requests{k8s_cluster="prod",component="web",code=~"2xx|4xx"})
          total:
            dataSourceRef: my-prometheus
            spec:
              query: sum(http_requests{k8s_cluster="prod",component="web"})
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
"""

DATA_SOURCE = """apiVersion: openslo.com/v2alpha
kind: DataSource
metadata:
  name: my-prometheus
spec:
  type: Prometheus
  connectionDetails:
    url: http://prometheus.example.com
"""


def test_a_metric_naming_a_data_source_not_read_says_which_and_what_to_give(run, tmp_path) -> None:
    # "its metric is from an unknown source": the DataSource the metric names is in another file, which the
    # warning did not say; given beside it, the measurement is read
    slo = tmp_path / "slo.yaml"
    slo.write_text(OPENSLO_V2ALPHA_EXAMPLE)
    result = run("import", "openslo", slo)
    assert result.exit_code == 0, result.output
    assert "measurement" not in yaml.safe_load(result.stdout)["offerings"][0]["slos"][0]
    assert (
        f"{slo}:18:13: warning: dropped the measurement: its metric is from the DataSource 'my-prometheus', which is "
        "not in the files read, and the catalog's measurement speaks Prometheus\n"
        " 18 |             dataSourceRef: my-prometheus\n"
        "    |             ^\n"
        "  hint: give the file of DataSource 'my-prometheus' beside this one (a DataSource of type Prometheus is "
        "read), or write the metric source's type: Prometheus\n"
    ) in result.stderr
    source = tmp_path / "data-source.yaml"
    source.write_text(DATA_SOURCE)
    result = run("import", "openslo", slo, source)
    assert result.exit_code == 0, result.output
    assert "DataSource 'my-prometheus'" not in result.stderr
    measurement = yaml.safe_load(result.stdout)["offerings"][0]["slos"][0]["measurement"]
    assert set(measurement) == {"good", "total"}


# webgrip/telemetry-service's catalog-info.yaml (licence not checked: written anew in its shape): a Component in
# the team's namespace, labelled with its tier
LABELLED_TIER = """apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: telemetry-service
  namespace: webgrip
  title: Telemetry Service
  description: A library that sends telemetry data to OpenTelemetry.
  labels:
    tier: "2"
    costcenter: ops
spec:
  type: library
  lifecycle: production
  owner: group:webgrip/infrastructure
"""


def test_a_component_s_tier_label_is_its_tier(run, tmp_path) -> None:
    # the label `tier: "2"` was dropped with the others, and the tier guessed 3, "(Backstage has no tier)"
    file = tmp_path / "catalog-info.yaml"
    file.write_text(LABELLED_TIER)
    result = run("import", "backstage", file)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["offerings"][0]["tier"] == "2"
    assert f"{file}:9:11: warning: guessed Component 'telemetry-service': tier 2 from the label tier '2'" in (
        result.stderr
    )
    assert f"{file}:10:17: warning: dropped Component 'telemetry-service': metadata.labels.costcenter 'ops'" in (
        result.stderr
    )
    assert "Backstage has no tier" not in result.stderr
    for written, tier, said in (
        ("tier-1", "1", "tier 1 from the label tier 'tier-1'"),
        ("gold", "3", "tier 3 (the label tier 'gold' is none of 1, 2 or 3)"),
    ):
        file.write_text(LABELLED_TIER.replace('tier: "2"', f"tier: {written}"))
        result = run("import", "backstage", file)
        assert result.exit_code == 0, result.output
        assert yaml.safe_load(result.stdout)["offerings"][0]["tier"] == tier
        assert said in result.stderr
    assert "metadata.labels.tier 'gold'" in result.stderr  # not read: said dropped


def test_a_file_of_openslo_services_alone_says_what_a_service_is_read_with(run, tmp_path) -> None:
    # oslo's test/inputs/validate/mix/2.yaml and recursive/…/3.yaml: a Service alone (v1, v2alpha) gave "no SLO:
    # nothing to import" with nothing said of the Service read
    for api in ("openslo/v1", "openslo.com/v2alpha"):
        file = tmp_path / "service.yaml"
        file.write_text(
            f"- apiVersion: {api}\n  kind: Service\n  metadata:\n    name: example service\n"
            "  spec:\n    description: Example service description\n"
        )
        result = run("import", "openslo", file)
        assert result.exit_code == 1, result.output
        assert (
            f"{file}:4:11: warning: skipped Service 'example service': a Service is read with the SLOs that name it "
            "(its description is their offering's summary), and the files read have no SLO\n"
        ) in result.stderr
        assert f"error: no SLO in {file}: nothing to import (the notes above say what each document is)" in (
            result.stderr
        )


SLOTH_PLAIN = """version: prometheus/v1
service: checkout
slos:
  - name: requests-availability
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="checkout",code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="checkout"}[{{.window}}]))
    alerting:
      name: CheckoutErrors
"""


def test_what_an_slo_import_guesses_is_shown_under_the_line_it_is_said_at(run, tmp_path) -> None:
    # the keys an import drops were shown under their line; what it guesses of an SLO (its window, its offering's
    # missing fields) was said at the SLO's name with no line to see, as the radar's and Backstage's are
    file = tmp_path / "sloth.yaml"
    file.write_text(SLOTH_PLAIN)
    result = run("import", "sloth", file)
    assert result.exit_code == 0, result.output
    for said in (
        "warning: guessed the window 30d: a Sloth spec has none",
        "warning: no description to say what is measured",
        "warning: offering 'checkout' needs summary, owner, tier, lifecycle, audience, request",
    ):
        at = result.stderr.index(f"{file}:4:11: {said}")
        assert result.stderr[at:].split("\n")[1:3] == [" 4 |   - name: requests-availability", "   |           ^"]
