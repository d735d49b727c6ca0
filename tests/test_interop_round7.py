"""Round 7 of the other projects' own files (interop7): what the imports and `check --against` say
of files they cannot read as they are, each at its line and with what to do. Fixtures are copied
unchanged, with their source in tests/interop/fixtures/SOURCES.md; inline ones are written after
the file they cite."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from .conftest import run_import

INTEROP = Path(__file__).parent / "interop" / "fixtures"
SITES = Path(__file__).parent / "sites"


# --- OpenSLO ----------------------------------------------------------------------------------------

# An SLO in the shape of OpenSLO/slogen's samples/sumologic/v1/th-based/logs-window-threshold-based.yaml
# (its licence not checked: written anew): Timeslices budgeting whose objective has neither
# timeSliceTarget nor timeSliceWindow, the slice's length given as the metric source's `size`, as
# slogen writes it for Sumo Logic (its calendar week made a rolling 28d here, which the catalog has)
SLOGEN_THRESHOLD = """apiVersion: openslo/v1
kind: SLO
metadata:
  name: drift_gen_window_based
  displayName: DriftGen SLO window based
spec:
  description: test slo created from slogen
  service: tsat
  budgetingMethod: Timeslices
  indicator:
    metadata:
      name: driftgen-latency
    spec:
      thresholdMetric:
        metricSource:
          type: sumologic-logs
          metricSourceRef: sumologic-datasource
          spec:
            size: 1m
            threshold: 1
            field: latency_sec
            op: LessThanOrEqual
            aggregation: Avg
            query: |
              cluster=staging | latency / 1000 as latency_sec
  timeWindow:
    - duration: 28d
      isRolling: true
  objectives:
    - displayName: Foo Total Errors
      target: 0.98
"""


def test_openslo_timeslices_without_its_slices_is_refused_with_what_to_write(run, tmp_path: Path) -> None:
    # it was refused at the objective with no hint: "needs timeSliceTarget and timeSliceWindow"
    file = tmp_path / "slo.yaml"
    file.write_text(SLOGEN_THRESHOLD)
    result = run_import(run, "openslo", file)
    assert result.exit_code == 1
    assert (
        f"{file}:30:7: error: budgetingMethod Timeslices needs timeSliceTarget and timeSliceWindow on the objective"
    ) in result.stderr
    assert (
        "hint: OpenSLO v1 writes both on the objective: timeSliceTarget, the share of good events that makes a "
        "slice good (0.95), and timeSliceWindow, the length of a slice (1m); the metric source's size (1m, as "
        "slogen writes it) is that length: timeSliceWindow: 1m; or write budgetingMethod: Occurrences to count events"
    ) in result.stderr
    # with what the hint says written, it imports as time slices
    file.write_text(
        SLOGEN_THRESHOLD.replace("      target: 0.98\n", "      target: 0.98\n      timeSliceTarget: 0.9\n")
    )
    result = run_import(run, "openslo", file)
    assert result.exit_code == 1
    assert "needs timeSliceWindow on the objective" in result.stderr
    file.write_text(
        SLOGEN_THRESHOLD.replace(
            "      target: 0.98\n", "      target: 0.98\n      timeSliceTarget: 0.9\n      timeSliceWindow: 1m\n"
        )
    )
    result = run_import(run, "openslo", file)
    assert result.exit_code == 0, result.output
    (slo,) = yaml.safe_load(result.stdout)["offerings"][0]["slos"]
    assert (slo["budgeting"], slo["timeslice_target"], slo["timeslice_window"]) == ("timeslices", 90, "1m")


# An SLO written as other tools' OpenSLO exports write one (an inline indicator without metadata, a raw
# error ratio) and without budgetingMethod, which OpenSLO v1 requires (written anew)
OPENSLO_UNBUDGETED = """apiVersion: openslo/v1
kind: SLO
metadata:
  name: rawslo
spec:
  service: svc
  timeWindow:
    - duration: 30d
      isRolling: true
  indicator:
    spec:
      ratioMetric:
        rawType: failure
        raw:
          metricSource:
            type: Prometheus
            spec:
              query: sum(rate(errs[{{.window}}])) / sum(rate(reqs[{{.window}}]))
  objectives:
    - target: 0.99
"""


def test_openslo_without_budgeting_method_is_refused_with_what_to_write(run, tmp_path: Path) -> None:
    # it was "'spec' has no 'budgetingMethod'", with nothing said of what to choose
    file = tmp_path / "slo.yaml"
    file.write_text(OPENSLO_UNBUDGETED)
    result = run_import(run, "openslo", file)
    assert result.exit_code == 1
    assert f"{file}:6:3: error: the SLO has no budgetingMethod (OpenSLO v1 requires one)\n" in result.stderr
    assert (
        "hint: write budgetingMethod: Occurrences to count good events (as Sloth and Pyrra do), or Timeslices with "
        "timeSliceTarget and timeSliceWindow on the objective to count good time slices"
    ) in result.stderr
    file.write_text(OPENSLO_UNBUDGETED.replace("  service: svc\n", "  service: svc\n  budgetingMethod: Occurrences\n"))
    result = run_import(run, "openslo", file)
    assert result.exit_code == 0, result.output
    (slo,) = yaml.safe_load(result.stdout)["offerings"][0]["slos"]
    assert slo["measurement"] == {"error_ratio": "sum(rate(errs[{{.window}}])) / sum(rate(reqs[{{.window}}]))"}


# In the shape of OpenSLO/slogen's samples/openslo/ingest-lag-timeslice-budgeting.yaml (its licence not
# checked: written anew): OpenSLO v1alpha, Timeslices, ratioMetrics on the objective
SLOGEN_V1ALPHA = """apiVersion: openslo/v1alpha
kind: SLO
metadata:
  displayName: CloudCollector Ingest Lag
  name: cc-ingest-lag
spec:
  service: cloudcollector
  budgetingMethod: Timeslices
  objectives:
    - displayName: ingest completes within 5 seconds
      target: 0.95
      timeSliceTarget: 0.9
      ratioMetrics:
        total:
          source: sumologic
          queryType: Logs
          query: _sourcecategory=cloudcollector
        good:
          source: sumologic
          queryType: Logs
          query: lag_seconds <= 20
        incremental: true
  timeWindows:
    - unit: Day
      count: 28
      isRolling: true
"""


def test_openslo_v1alpha_is_refused_with_what_v1_calls_what_it_writes(run, tmp_path: Path) -> None:
    # the hint was the list of versions servicebook reads, which says nothing of how to get there
    file = tmp_path / "slo.yaml"
    file.write_text(SLOGEN_V1ALPHA)
    # (interop17: read as sloth generate reads v1alpha, which refuses its Sumo Logic queries)
    result = run_import(run, "openslo", file)
    assert result.exit_code == 1
    assert (
        f"{file}:19:11: error: OpenSLO openslo/v1alpha SLO, read as sloth generate reads it: the good query is a "
        "sumologic Logs query"
    ) in result.stderr
    assert (
        "or rewrite it as openslo/v1: OpenSLO v1 renamed what v1alpha writes: timeWindows (unit: Day, count: 28) is "
        "timeWindow (duration: 28d, isRolling: true), and an objective's ratioMetrics is the SLO's indicator"
    ) in result.stderr


# An SLO whose indicator is OpenSLO's README's own example of a ratioMetric (OpenSLO/OpenSLO README.md,
# "An example of ratioMetric", Apache-2.0): a counter's good events as `sum(SELECTOR)`, its total a selector
OPENSLO_README_RATIO = """apiVersion: openslo/v1
kind: SLO
metadata:
  name: web-availability
spec:
  service: web
  indicator:
    metadata:
      name: web-successful-requests
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            metricSourceRef: prometheus-datasource
            spec:
              query: sum(localhost_server_requests{code=~"2xx|3xx",host="*",instance="127.0.0.1:9090"})
        total:
          metricSource:
            type: Prometheus
            metricSourceRef: prometheus-datasource
            spec:
              query: localhost_server_requests{code="total",host="*",instance="127.0.0.1:9090"}
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.98
"""


def test_openslos_own_ratio_of_a_summed_counter_is_read_as_its_selector(run, tmp_path: Path) -> None:
    # `sum(SELECTOR)` was kept and said refused by the catalog ("write its range as [{{.window}}]"):
    # of a counter, the catalog's selector is that sum over the window, the same ratio
    file = tmp_path / "slo.yaml"
    file.write_text(OPENSLO_README_RATIO)
    result = run_import(run, "openslo", file)
    assert result.exit_code == 0, result.output
    (slo,) = yaml.safe_load(result.stdout)["offerings"][0]["slos"]
    assert slo["measurement"] == {
        "good": 'localhost_server_requests{code=~"2xx|3xx",host="*",instance="127.0.0.1:9090"}',
        "total": 'localhost_server_requests{code="total",host="*",instance="127.0.0.1:9090"}',
    }
    assert (
        f"{file}:18:22: warning: guessed the good query as its selector "
        'localhost_server_requests{code=~"2xx|3xx",host="*",instance="127.0.0.1:9090"}: the catalog counts a '
        "selector as sum(increase(SELECTOR[{{.window}}])), the sum of the counter over the SLO's window"
    ) in result.stderr
    assert "the catalog refuses it" not in result.stderr
    # of gauges (counter: false), the sum at an instant is not a count: said as before
    file.write_text(OPENSLO_README_RATIO.replace("counter: true", "counter: false"))
    result = run_import(run, "openslo", file)
    assert "the good query is neither a metric selector nor PromQL with {{.window}}" in result.stderr


# --- Other vendors' own formats -------------------------------------------------------------------------

# Nobl9's own format, in the shape of the objects nobl9/nobl9-go's examples print and sloctl applies
# (a YAML list; its licence not checked: written anew): an SLO, and a Project, which is no SLO
NOBL9_OWN = """- apiVersion: n9/v1alpha
  kind: Project
  metadata:
    name: default
- apiVersion: n9/v1alpha
  kind: SLO
  metadata:
    name: api-latency
    project: default
  spec:
    service: api
    budgetingMethod: Occurrences
    objectives:
      - displayName: ok
        value: 200
        target: 0.99
        op: lte
        rawMetric:
          query:
            prometheus:
              promql: latency
    timeWindows:
      - unit: Day
        count: 28
        isRolling: true
"""
NOBL9_HINT = (
    "hint: write the SLO in the catalog from its objectives (target is a fraction) and timeWindows, or import "
    "the OpenSLO files it was converted from (sloctl convert openslo)"
)
VENDOR_FILES = (
    (
        "datadog-operator-metric-slo.yaml",
        "DatadogSLO (datadoghq.com/v1alpha1): the Datadog Operator's resource, no SLO format servicebook reads",
        "hint: write the SLO in the catalog from its targetThreshold (a percent) and timeframe (7d, 30d, 90d)",
    ),
    (
        "slo-generator-prom-availability-ratio.yaml",
        "ServiceLevelObjective (sre.google.com/v2): Google's slo-generator config, no SLO format servicebook reads",
        "hint: write the SLO in the catalog from its goal (a fraction, 0.999 for 99.9) and the window of the error "
        "budget policy it is computed with",
    ),
)


@pytest.mark.parametrize("fmt", ["openslo", "sloth", "pyrra"])
def test_another_vendors_own_slo_is_named_for_what_it_is_with_what_to_do(run, tmp_path: Path, fmt: str) -> None:
    # Nobl9's n9/v1alpha was "skipped SLO (n9/v1alpha): not OpenSLO v1", a Datadog Operator's
    # DatadogSLO "not OpenSLO v1": true, and no word of whose it is or what to do with it
    nobl9 = tmp_path / "nobl9.yaml"
    nobl9.write_text(NOBL9_OWN)
    result = run_import(run, fmt, nobl9, *(INTEROP / name for name, _, _ in VENDOR_FILES))
    assert result.exit_code == 1
    assert (
        f"{nobl9}:1:3: warning: skipped Project (n9/v1alpha): Nobl9's own format (what sloctl applies and prints), "
        "not OpenSLO\n"
    ) in result.stderr
    assert (
        f"{nobl9}:5:3: warning: skipped SLO (n9/v1alpha): Nobl9's own format (what sloctl applies and prints), "
        "not OpenSLO\n"
    ) in result.stderr
    assert result.stderr.count(NOBL9_HINT) == 1  # for the SLO, not for the Project
    for name, what, hint in VENDOR_FILES:
        assert f"{INTEROP / name}:1:1: warning: skipped {what}\n" in result.stderr
        assert hint in result.stderr


def test_the_drift_check_warns_that_another_vendors_slos_are_not_compared(run, tmp_path: Path) -> None:
    # they were counted as documents of no SLO format and passed over without a word
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    monitoring = tmp_path / "monitoring"
    monitoring.mkdir()
    (monitoring / "nobl9.yaml").write_text(NOBL9_OWN)
    for name, _, _ in VENDOR_FILES:
        shutil.copy(INTEROP / name, monitoring / name)
    result = run("check", "--source", site, "--against", monitoring)
    assert "Traceback" not in result.output
    assert result.exit_code == 0, result.output  # warnings: someone else's SLOs, which cannot be compared
    assert (
        f"{monitoring / 'nobl9.yaml'}:5:3: warning: SLO (n9/v1alpha): Nobl9's own format (what sloctl applies and "
        "prints), not OpenSLO (not compared: it names no offering or SLO of the catalog)"
    ) in result.stderr
    assert "Project (n9/v1alpha)" not in result.stderr
    for name, what, hint in VENDOR_FILES:
        assert f"{monitoring / name}:1:1: warning: {what} (not compared: it names no offering" in result.stderr
        assert hint in result.stderr


# --- Backstage Locations ----------------------------------------------------------------------------


def test_a_backstage_location_gives_the_command_that_imports_the_files_it_lists(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # OS2mo's catalog-info.yaml: a Location of type url whose targets, between comments, are files
    # beside it; the advice named them as written, relative to the Location, not to where one is
    repo = tmp_path / "os2mo"
    (repo / "docs").mkdir(parents=True)
    shutil.copy(INTEROP / "backstage-os2mo-catalog-info.yaml", repo / "catalog-info.yaml")
    monkeypatch.chdir(repo / "docs")
    result = run_import(run, "backstage", "../catalog-info.yaml")
    assert result.exit_code == 1
    assert (
        "../catalog-info.yaml:4:1: warning: skipped Location 'OS2mo-repository': a Location is not followed; "
        "import the 7 files it lists\n"
    ) in result.stderr
    listed = ("rammearkitektur", "os2mo-system", "os2mo", "amqp", "legacy_amqp", "graphql_api", "service_api")
    command = "servicebook import backstage " + " ".join(f"../.backstage/{name}.yaml" for name in listed)
    assert f"  hint: {command}\n" in result.stderr
    # the files the command names are the Component and API it lists, which import as they are
    (repo / ".backstage").mkdir()
    shutil.copy(INTEROP / "backstage-os2mo-component.yaml", repo / ".backstage/os2mo.yaml")
    shutil.copy(INTEROP / "backstage-os2mo-graphql-api.yaml", repo / ".backstage/graphql_api.yaml")
    result = run_import(run, "backstage", repo / ".backstage/os2mo.yaml", repo / ".backstage/graphql_api.yaml")
    assert result.exit_code == 0, result.output
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    assert (offering["id"], offering["owner"], offering["lifecycle"]) == ("os2mo", "emil", "ga")
    assert "skipped API 'OS2mo GraphQL v20': not a valid Backstage name" in result.stderr


# Locations as Backstage's descriptor format allows them (docs/features/software-catalog/descriptor-format.md,
# kind Location: target and targets optional, type optional, a discovery type's target a pattern of URLs)
LOCATIONS = """apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: everything
spec:
  type: github-discovery
  target: https://github.com/acme/*/blob/main/catalog-info.yaml
---
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: nothing
spec:
  type: url
---
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: elsewhere
spec:
  type: url
  targets:
    - https://github.com/acme/payments/blob/main/catalog-info.yaml
    - ./teams/*.yaml
    - ./my team/catalog-info.yaml
"""


def test_a_backstage_location_without_files_to_import_says_what_there_is_to_do(run, tmp_path: Path) -> None:
    # a Location without targets, or with URLs, gave "import the files it lists" and nothing to import
    file = tmp_path / "locations.yaml"
    file.write_text(LOCATIONS)
    result = run_import(run, "backstage", file)
    assert result.exit_code == 1
    assert (
        f"{file}:1:1: warning: skipped Location 'everything': a github-discovery Location finds catalog files in "
        "repositories (https://github.com/acme/*/blob/main/catalog-info.yaml), which servicebook does not search\n"
        "  hint: import the catalog files it would find, from a clone of each repository\n"
    ) in result.stderr
    assert (
        f"{file}:9:1: warning: skipped Location 'nothing': a Location is not followed, and this one lists no files "
        "(no spec.target or spec.targets)\n"
        "  hint: there is nothing of it to import: give the import the entity files themselves\n"
    ) in result.stderr
    assert (
        f"{file}:16:1: warning: skipped Location 'elsewhere': a Location is not followed; import the file it lists; "
        "its pattern (./teams/*.yaml) not expanded; its URL "
        "(https://github.com/acme/payments/blob/main/catalog-info.yaml) not fetched\n"
        f"  hint: servicebook import backstage '{tmp_path}/my team/catalog-info.yaml'; give the import the files "
        "each pattern matches; servicebook reads files, not URLs: download each (its raw file) and import it\n"
    ) in result.stderr


# --- Tech radars ----------------------------------------------------------------------------------------

# Build-Your-Own-Radar sheets as teams write them in their own language (written anew): Thoughtworks'
# rings as its Chinese and Portuguese radars name them, quadrants in Chinese, accents, a byte order
# mark, a description over two lines, an extra column
RADAR_ZH = (
    "name,ring,quadrant,isNew,description\n"
    "Kubernetes,采纳,平台,TRUE,运行中\n"
    'Jenkins,暂缓,工具,FALSE,"请使用 GitLab CI\n不再支持"\n'
    "Argo CD,试验,工具,FALSE,看看\n"
    "数据网格,评估,技术,FALSE,看看\n"
)
RADAR_PT = (
    "\ufeffname,ring,quadrant,isNew,description,owner\n"
    "Kubernetes,Adote,Plataformas,TRUE,ok,time-a\n"
    "Jenkins,Evite,Técnicas,FALSE,não,time-b\n"
    "Gestão de segredos,Experimente,Técnicas,FALSE,sim,time-b\n"
)


def test_a_radars_quadrants_of_no_latin_letters_stay_apart(run, tmp_path: Path) -> None:
    # every quadrant whose name has no letter a-z became the category 'team': 平台, 工具 and 技术 one
    # category named 平台, each tool filed under the first quadrant read
    file = tmp_path / "radar.csv"
    file.write_text(RADAR_ZH)
    result = run_import(run, "techradar", file)
    assert result.exit_code == 0, result.output
    fragment = yaml.safe_load(result.stdout)
    assert fragment["categories"] == [
        {"id": "quadrant-1", "name": "平台"},
        {"id": "quadrant-2", "name": "工具"},
        {"id": "quadrant-3", "name": "技术"},
    ]
    assert [(t["name"], t["category"]) for t in fragment["tools"]] == [
        ("Kubernetes", "quadrant-1"),
        ("Jenkins", "quadrant-2"),
        ("Argo CD", "quadrant-2"),
        ("数据网格", "quadrant-3"),
    ]
    assert (
        f"{file}:3:1: warning: guessed category id 'quadrant-2' for the quadrant '工具' (its name has no letters "
        "a-z or digits)\n"
    ) in result.stderr
    assert result.stderr.count("for the quadrant '工具'") == 1


@pytest.mark.parametrize(
    ("sheet", "statuses"),
    [
        (RADAR_ZH, [("采纳", "Adopt", "supported"), ("暂缓", "Hold", "unsupported"), ("试验", "Trial", "best-effort")]),
        (RADAR_PT, [("Adote", "Adopt", "supported"), ("Evite", "Hold", "unsupported")]),
    ],
)
def test_thoughtworks_rings_in_the_languages_its_radar_is_published_in_are_read_by_their_meaning(
    run, tmp_path: Path, sheet: str, statuses: list[tuple[str, str, str]]
) -> None:
    # they were custom rings, best-effort each, "map custom rings by hand": the tool on hold promised
    # as much as the one adopted
    file = tmp_path / "radar.csv"
    file.write_text(sheet, encoding="utf-8")
    result = run_import(run, "techradar", file)
    assert result.exit_code == 0, result.output
    tools = yaml.safe_load(result.stdout)["tools"]
    for (ring, meaning, status), tool in zip(statuses, tools, strict=False):
        assert tool["status"] == status
        assert f"status {status} from the ring '{ring}' (read as {meaning}: check it)" in result.stderr
    assert "map custom rings by hand" not in result.stderr


def test_a_radars_accented_names_keep_their_letters_in_ids(run, tmp_path: Path) -> None:
    # `Técnicas` was the category 't-cnicas', `Gestão de segredos` the tool 'gest-o-de-segredos'
    file = tmp_path / "radar.csv"
    file.write_text(RADAR_PT, encoding="utf-8")
    result = run_import(run, "techradar", file)
    assert result.exit_code == 0, result.output
    fragment = yaml.safe_load(result.stdout)
    assert [c["id"] for c in fragment["categories"]] == ["plataformas", "tecnicas"]
    assert [t["id"] for t in fragment["tools"]] == ["kubernetes", "jenkins", "gestao-de-segredos"]
    assert fragment["tools"][1]["reason"] == "não"
    assert f"{file}:2:1: warning: dropped entry 'Kubernetes': 'owner'" in result.stderr


def test_a_radar_of_quadrants_named_without_latin_letters_exports_each_under_an_id_of_its_own(
    run, tmp_path: Path
) -> None:
    # the Backstage and AOE radars named every such quadrant 'team': three quadrants of one id, every
    # entry drawn in the first
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    file = tmp_path / "radar.csv"
    file.write_text(RADAR_ZH)
    fragment = yaml.safe_load(run_import(run, "techradar", file).stdout)
    catalog = yaml.safe_load((site / "catalog.yaml").read_text())
    catalog["categories"] += fragment["categories"]
    catalog["tools"] += fragment["tools"]
    for tool in catalog["tools"]:
        if tool["status"] == "unsupported":
            tool["alternative"] = "ci"
    (site / "catalog.yaml").write_text(yaml.safe_dump(catalog, sort_keys=False, allow_unicode=True))
    result = run("export", "techradar", "--format", "backstage", "--source", site, "--no-history")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["quadrants"] == [
        {"id": "continuous-integration", "name": "Continuous integration"},
        {"id": "quadrant-2", "name": "平台"},
        {"id": "quadrant-3", "name": "工具"},
        {"id": "quadrant-4", "name": "技术"},
    ]
    assert [(e["title"], e["quadrant"]) for e in data["entries"]][2:] == [
        ("Kubernetes", "quadrant-2"),
        ("Jenkins", "quadrant-3"),
        ("Argo CD", "quadrant-3"),
        ("数据网格", "quadrant-4"),
    ]
    aoe = tmp_path / "aoe"
    result = run("export", "techradar", "--format", "aoe", "--source", site, "--no-history", "--output", aoe)
    assert result.exit_code == 0, result.output
    config = json.loads((aoe / "config.json").read_text())
    assert [q["id"] for q in config["quadrants"]] == [q["id"] for q in data["quadrants"]]
    # read back, the radar gives a category for each quadrant, with its tools
    again = tmp_path / "again.json"
    again.write_text(json.dumps(data))
    back = yaml.safe_load(run_import(run, "techradar", again).stdout)
    assert [c["name"] for c in back["categories"]] == ["Continuous integration", "平台", "工具", "技术"]
    assert len({t["category"] for t in back["tools"]}) == 4


# --- Sloth ------------------------------------------------------------------------------------------------


def test_a_sloth_plugin_sli_is_named_with_what_to_write_for_its_measurement(run) -> None:
    # Sloth's examples/plugin-getting-started.yml: "dropped the SLI plugin", without which plugin or
    # what the catalog needs instead
    file = INTEROP / "sloth-plugin-getting-started.yml"
    result = run_import(run, "sloth", file)
    assert result.exit_code == 0, result.output
    assert (
        f"{file}:14:13: warning: imported without a measurement: the plugin getting_started_availability is run by "
        "Sloth, not by `servicebook measure` (its query is made by the plugin, not written here)\n"
    ) in result.stderr
    assert (
        "hint: write the measurement as the error ratio the plugin makes (the expr of the slo:sli_error:ratio_rate5m "
        "rule `sloth generate` writes of it, its range as [{{.window}}]), or leave it out"
    ) in result.stderr
    (slo,) = yaml.safe_load(result.stdout)["offerings"][0]["slos"]
    assert "measurement" not in slo


# --- OpenSLO as osko serves it ------------------------------------------------------------------------

# In the shape of oskoperator/osko's config/samples/openslo_v1_slo.yaml (its licence not checked: written
# anew): OpenSLO v1 as the Kubernetes API group openslo.com, each metric source's spec the query itself
OSKO_SLO = """apiVersion: openslo.com/v1
kind: SLO
metadata:
  name: logging-query-frontend-error-rate
  annotations:
    osko.dev/datasourceRef: "logging-ds"
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
            spec: |
              loki_request_duration_seconds_count{route=~"loki.*",status_code!~"5.*"}
            type: Prometheus
        total:
          metricSource:
            spec: |
              loki_request_duration_seconds_count{route=~"loki.*"}
            type: Prometheus
  objectives:
    - displayName: read-requests-valid-response-rate
      target: '0.99'
  service: logging
  timeWindow:
    - duration: 28d
      isRolling: true
"""


def test_openslo_as_osko_serves_it_is_read_as_openslo_v1(run, tmp_path: Path) -> None:
    # openslo.com/v1 was "not read", as v2alpha's openslo.com/v2alpha was: osko's CRDs are OpenSLO v1
    file = tmp_path / "slo.yaml"
    file.write_text(OSKO_SLO)
    result = run_import(run, "openslo", file)
    assert result.exit_code == 0, result.output
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    (slo,) = offering["slos"]
    assert (offering["id"], slo["id"], slo["objective"], slo["window"]) == (
        "logging",
        "logging-query-frontend-error-rate",
        99,
        "28d",
    )
    assert slo["measurement"] == {
        "good": 'loki_request_duration_seconds_count{route=~"loki.*",status_code!~"5.*"}\n',
        "total": 'loki_request_duration_seconds_count{route=~"loki.*"}\n',
    }
    assert "not read" not in result.stderr
    assert "dropped the annotation 'osko.dev/datasourceRef'" in result.stderr
    # and check --against compares it with the catalog's SLO it names
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    monitoring = tmp_path / "monitoring"
    monitoring.mkdir()
    (monitoring / "slo.yaml").write_text(
        OSKO_SLO.replace("service: logging", "service: ci").replace(
            "name: logging-query-frontend-error-rate", "name: availability"
        )
    )
    result = run("check", "--source", site, "--against", monitoring)
    assert result.exit_code == 1, result.output
    assert "ci/availability: the catalog's objective is 99.5 %, but OpenSLO SLO 'availability'" in result.stderr


def test_the_rules_sloth_generates_for_managed_prometheus_are_named_as_generated_rules(run, tmp_path: Path) -> None:
    # a ManagedPrometheusServiceLevel's rules, as `sloth generate` writes them (Google Cloud's Rules), were
    # "skipped Rules (monitoring.googleapis.com/v1): not a Sloth spec", where a PrometheusRule is named as
    # the generated rules it is
    file = tmp_path / "rules.yaml"
    file.write_text(
        "apiVersion: monitoring.googleapis.com/v1\nkind: Rules\nmetadata:\n  name: sloth-slo-myservice\nspec:\n"
        "  groups:\n  - name: sloth-slo-sli-recordings-myservice-requests-availability\n    rules:\n"
        "    - record: slo:sli_error:ratio_rate5m\n      expr: vector(0)\n"
    )
    result = run_import(run, "sloth", file)
    assert result.exit_code == 1
    assert (
        f"{file}:1:1: warning: skipped Rules: Prometheus rules (`sloth generate` and Pyrra write them from SLOs), "
        "not SLOs: read the specs"
    ) in result.stderr
