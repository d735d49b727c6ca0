"""interop19: what round 18 left: a composite OpenSLO SLO beside ordinary ones, owners in OpenSLO
labels, OpenSLO v2alpha, BYOR links, AOE's Markdown radar, Backstage names that are no ids; each
pushed through import → build → check --against → export → re-import."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.test_interop_round15 import _pasted, _place
from tests.test_interop_round16 import _monitoring
from tests.test_portals import _validator

INTEROP = Path(__file__).parent / "interop" / "fixtures"


def _file(tmp_path: Path, text: str, name: str = "slos.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# --- OpenSLO: a composite SLO beside ordinary ones ---------------------------------------------------

ORDINARY = """apiVersion: openslo/v1
kind: SLO
metadata:
  name: availability
spec:
  service: web
  budgetingMethod: Occurrences
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
    - target: 0.995
"""


def test_a_composite_slo_is_left_out_where_it_is_and_the_others_of_its_file_are_read(run, tmp_path: Path) -> None:
    # oslo's composite example beside an ordinary SLO: the whole file was refused (exit 1, no fragment)
    composite = (INTEROP / "openslo-oslo-composite-slo.yaml").read_text()
    text = ORDINARY + "---\n" + composite
    file = tmp_path / "slos.yaml"
    file.write_text(text)
    result = run("import", "openslo", file)
    assert result.exit_code == 0, result.output
    offerings = yaml.safe_load(result.stdout)["offerings"]
    assert [(o["id"], [s["id"] for s in o["slos"]]) for o in offerings] == [("web", ["availability"])]
    place = _place(text, "      compositeWeight")
    line, col = place.split(":")
    assert (
        f"{file}:{line}:{int(col) - len('compositeWeight')}: warning: left out the composite SLO 'test-slo': "
        "a composite SLO (an indicator per objective, weighted: 'compositeWeight' on an objective) is not read\n"
    ) in result.stderr
    assert "Traceback" not in result.output


def test_a_file_of_composite_slos_alone_imports_nothing_and_says_why(run) -> None:
    result = run("import", "openslo", INTEROP / "openslo-oslo-composite-slo.yaml")
    assert result.exit_code == 1 and result.stdout == ""
    assert "openslo-oslo-composite-slo.yaml:16:7: warning: left out the composite SLO 'test-slo'" in result.stderr
    assert "nothing to import" in result.stderr


def test_the_drift_check_still_fails_on_a_composite_slo_that_names_a_promise(run, tmp_path: Path) -> None:
    imported = run("import", "openslo", _file(tmp_path, ORDINARY, "o.yaml"))
    site = _pasted(yaml.safe_load(imported.stdout)["offerings"], tmp_path)
    composite = (INTEROP / "openslo-oslo-composite-slo.yaml").read_text().replace("TheServiceName", "web")
    monitoring = _monitoring(tmp_path, {"slos.yaml": ORDINARY + "---\n" + composite.replace("test-slo", "latency")})
    result = run("check", "--source", site, "--against", monitoring)
    assert result.exit_code == 1, result.output
    assert "a composite SLO (an indicator per objective, weighted" in result.stderr


# --- OpenSLO: the owner in labels or osko's annotation ---------------------------------------------


def test_an_openslo_team_label_is_the_offerings_owner_as_sloth_and_pyrra_imports_guess_it(run, tmp_path: Path) -> None:
    # go-sdk's v1 examples label an SLO `team: [team-a, team-b]` (a list); the label was dropped and
    # the report asked for an owner the file gives
    text = ORDINARY.replace(
        "  name: availability\n",
        "  name: availability\n  labels:\n    env: [prod]\n    team:\n      - team-a\n      - team-b\n",
        1,
    )
    file = tmp_path / "slo.yaml"
    file.write_text(text)
    result = run("import", "openslo", file)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["offerings"][0]["owner"] == "team-a"
    assert (
        f"{file}:{_place(text, '      - ')}: warning: guessed the offering's owner team-a from the label team "
        "(the catalog has one owner: dropped team-b)"
    ) in result.stderr
    labels = _place(text, "availability\n  ")
    assert f"{file}:{labels}: warning: dropped 'labels' env (the catalog has no labels)" in result.stderr
    assert "needs summary, tier, lifecycle, audience, request" in result.stderr


def test_an_owner_label_and_osko_s_owner_annotation_name_the_owner_before_a_team(run, tmp_path: Path) -> None:
    service = "---\napiVersion: openslo/v1\nkind: Service\nmetadata:\n  name: web\n  labels:\n    team: payments\n"
    osko = ORDINARY.replace(
        "  name: availability\n", "  name: availability\n  annotations:\n    osko/owner: checkout-team\n", 1
    )
    result = run("import", "openslo", _file(tmp_path, osko + service))
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["offerings"][0]["owner"] == "checkout-team"
    assert "from the annotation osko/owner" in result.stderr
    assert "dropped the annotation 'osko/owner'" not in result.stderr
    labelled = ORDINARY.replace(
        "  name: availability\n", "  name: availability\n  labels:\n    team: t\n    owner: o\n", 1
    )
    owner = run("import", "openslo", _file(tmp_path, labelled, "l.yaml"))
    assert yaml.safe_load(owner.stdout)["offerings"][0]["owner"] == "o"
    assert "dropped 'labels' team (the catalog has no labels)" in owner.stderr


def test_servicebook_s_own_owner_annotation_wins_over_a_label(run, tmp_path: Path) -> None:
    service = (
        "---\napiVersion: openslo/v1\nkind: Service\nmetadata:\n  name: web\n  annotations:\n"
        "    servicebook.dev/owner: Platform Team\n  labels:\n    team: payments\n"
    )
    result = run("import", "openslo", _file(tmp_path, ORDINARY + service))
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["offerings"][0]["owner"] == "Platform Team"
    assert "guessed the offering's owner" not in result.stderr


# --- OpenSLO v2alpha (openslo.com/v2alpha), read with v2alpha's names ---------------------------------

V2_DATA_SOURCE = """---
apiVersion: openslo.com/v2alpha
kind: DataSource
metadata:
  name: my-prometheus
spec:
  type: Prometheus
  connectionDetails:
    url: http://prometheus.example:9090
"""

# sliRef to an SLI of its own, serviceRef, a rolling window: what `check --against` compares
V2_REF = """apiVersion: openslo.com/v2alpha
kind: SLO
metadata:
  name: availability
  labels:
    team: payments
spec:
  serviceRef: checkout
  sliRef: good-requests
  budgetingMethod: Occurrences
  timeWindow:
    - duration: 28d
      isRolling: true
  objectives:
    - target: 0.999
---
apiVersion: openslo.com/v2alpha
kind: SLI
metadata:
  name: good-requests
spec:
  ratioMetric:
    counter: true
    bad:
      dataSourceSpec:
        type: Prometheus
        connectionDetails:
          url: http://prometheus.example:9090
      spec:
        query: http_requests_total{job="checkout",code=~"5.."}
    total:
      dataSourceSpec:
        type: Prometheus
        connectionDetails:
          url: http://prometheus.example:9090
      spec:
        query: http_requests_total{job="checkout"}
"""


def test_openslo_v2alpha_is_read_with_its_own_names(run, tmp_path: Path) -> None:
    # go-sdk's v2alpha example (serviceRef, sli, a metric's dataSourceRef and spec): "OpenSLO
    # openslo.com/v2alpha SLO is not read"
    # its data source, my-prometheus, beside it
    adjustment = (
        "---\napiVersion: openslo.com/v2alpha\nkind: BudgetAdjustment\nmetadata:\n  name: maintenance\nspec:\n"
        "  description: Planned maintenance\n  service: web\n  indicatorRef: web-successful-requests-ratio\n"
        "  startTime: 2024-01-06T22:00:00Z\n  duration: 4h\n"
    )
    file = _file(tmp_path, V2_DATA_SOURCE + adjustment, "data-sources.yaml")
    result = run("import", "openslo", INTEROP / "openslo-sdk-v2alpha-slos.yaml", file)
    assert result.exit_code == 0, result.output
    offering = yaml.safe_load(result.stdout)["offerings"][0]
    assert (offering["id"], offering["owner"]) == ("web", "team-a")
    slo = offering["slos"][0]
    assert (slo["id"], slo["objective"], slo["window"], slo["budgeting"]) == (
        "web-availability",
        99.5,
        "calendar-week",
        "timeslices",
    )
    assert "not read" not in result.stderr
    # oslo's v2alpha file: its Service example-service (team: team-b) is named by no SLO: passed over,
    # its owner not guessed for an offering the fragment does not have
    oslo = run("import", "openslo", INTEROP / "openslo-oslo-validate-v2alpha.yaml")
    assert "skipped Service 'example-service'" in oslo.stderr and "team-b" not in oslo.stderr
    assert f"{file}:12:7: warning: dropped the BudgetAdjustment (a time its SLO's error budget does not count" in (
        result.stderr
    )


def test_openslo_v2alpha_goes_round_import_check_against_export_and_back(run, tmp_path: Path) -> None:
    monitoring = _monitoring(tmp_path, {"slos.yaml": V2_REF})
    imported = run("import", "openslo", monitoring / "slos.yaml")
    assert imported.exit_code == 0, imported.output
    offerings = yaml.safe_load(imported.stdout)["offerings"]
    assert offerings[0]["owner"] == "payments"
    assert offerings[0]["slos"][0]["measurement"] == {
        "errors": 'http_requests_total{job="checkout",code=~"5.."}',
        "total": 'http_requests_total{job="checkout"}',
    }
    site = _pasted(offerings, tmp_path)
    built = run("build", "--source", site)
    assert built.exit_code == 0, built.output
    checked = run("check", "--source", site, "--against", monitoring)
    assert checked.exit_code == 0, checked.output
    assert "1 of 2 SLOs measured there as the catalog promises" in checked.stdout  # the minimal site's own SLO is not
    (tmp_path / "lowered").mkdir()
    lowered = _monitoring(tmp_path / "lowered", {"slos.yaml": V2_REF.replace("0.999", "0.99")})
    differs = run("check", "--source", site, "--against", lowered)
    assert differs.exit_code == 1
    assert (
        f"OpenSLO SLO 'availability' ({lowered / 'slos.yaml'}:{_place(V2_REF, 'target: ')}) has 99 %" in differs.stderr
    )
    exported = run("export", "openslo", "--source", site, "--offering", "checkout")
    again = run("import", "openslo", _file(tmp_path, exported.stdout, "exported.yaml"))
    assert yaml.safe_load(again.stdout)["offerings"][0]["slos"] == offerings[0]["slos"]


def test_a_v2alpha_composite_slo_is_left_out_and_a_v1_metric_in_v2alpha_is_refused(run, tmp_path: Path) -> None:
    composite = V2_REF.replace("  sliRef: good-requests\n", "").replace(
        "    - target: 0.999\n", "    - target: 0.999\n      sliRef: good-requests\n      compositeWeight: 1\n"
    )
    both = V2_REF.replace("name: availability", "name: latency").replace("target: 0.999", "target: 0.99", 1)
    text = composite + "---\n" + both
    result = run("import", "openslo", _file(tmp_path, text))
    assert result.exit_code == 0, result.output
    assert [s["id"] for s in yaml.safe_load(result.stdout)["offerings"][0]["slos"]] == ["latency"]
    place = _place(text, "0.999\n      ")  # the objective's sliRef
    assert f"slos.yaml:{place}: warning: left out the composite SLO 'availability'" in result.stderr
    assert "with sli or sliRef under spec" in result.stderr
    v1_metric = V2_REF.replace(
        "    bad:\n      dataSourceSpec:",
        "    bad:\n      metricSource:\n        type: Prometheus\n      dataSourceSpec:",
    )
    refused = run("import", "openslo", _file(tmp_path, v1_metric, "v1.yaml"))
    assert refused.exit_code == 1
    place = _place(v1_metric, "bad:\n      ")
    assert f"v1.yaml:{place}: error: 'bad' has a metricSource, as OpenSLO v1 writes a metric" in refused.stderr


# --- Build Your Own Radar: a description's links keep their address -----------------------------------


def test_a_byor_description_s_links_keep_their_address_after_their_text(run, tmp_path: Path) -> None:
    # the vendored sheet links value-stream mapping to Wikipedia and Dragonfly to its repository; the
    # reason kept "value-stream mapping" and "Dragonfly", and the addresses were gone
    sheet = INTEROP / "byor-sheet.csv"
    result = run("import", "techradar", sheet)
    assert result.exit_code == 0, result.output
    reasons = {tool["id"]: tool["reason"] for tool in yaml.safe_load(result.stdout)["tools"]}
    assert (
        "(see value-stream mapping (https://en.wikipedia.org/wiki/Value-stream_mapping))"
        in (reasons["path-to-production-mapping"])
    )
    assert reasons["dragonfly"].startswith(
        "Dragonfly (https://github.com/dragonflydb/dragonfly) is an in-memory store with Redis and Memcached"
    )
    # a link relative to the radar's own site (Thoughtworks' /radar/…) has nothing here to be relative to
    assert (
        f"{sheet}:3:33: warning: guessed entry 'Dragonfly': reason as the text of its HTML description (tags left "
        "out; a link's address in brackets after its text; links to /radar/platforms/redis as their text: "
        "addresses relative to the radar's own site)"
    ) in result.stderr
    # an address that is its own text is written once
    text = "name,ring,quadrant,isNew,description\nGo,Adopt,Languages,TRUE,\"<a href='https://go.dev/'>https://go.dev/</a>\"\n"
    once = run("import", "techradar", _file(tmp_path, text, "radar.csv"))
    assert yaml.safe_load(once.stdout)["tools"][0]["reason"] == "https://go.dev/"
    # a name is the text the radar shows, address or not; a mail link is its text
    named = (
        "name,ring,quadrant,isNew,description\n"
        "\"<a href='https://go.dev/'>Go</a>\",Adopt,Languages,TRUE,\"Ask <a href='mailto:go@example.com'>us</a>.\"\n"
    )
    tool = yaml.safe_load(run("import", "techradar", _file(tmp_path, named, "named.csv")).stdout)["tools"][0]
    assert (tool["name"], tool["reason"]) == ("Go", "Ask us.")


# --- Backstage: a name that is no catalog id -----------------------------------------------------------

ENTITIES = """apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: My_Service.v2
  description: Takes payments.
spec:
  type: service
  lifecycle: production
  owner: team-a
  dependsOn: [component:Other_Thing]
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: Other_Thing
  title: Other thing
spec:
  type: service
  lifecycle: production
  owner: team-a
"""


def test_a_backstage_name_that_is_no_id_keeps_its_words_and_says_the_entity_it_becomes(
    run, site_copy, tmp_path: Path
) -> None:
    # `My_Service.v2` came back from export → re-import as my-service-v2, an entity Backstage takes for
    # another, and the import said only that it guessed the id
    file = _file(tmp_path, ENTITIES, "catalog-info.yaml")
    imported = run("import", "backstage", file)
    assert imported.exit_code == 0, imported.output
    assert (  # round 20: portals.backstage.names keeps the name (test_interop_round20)
        f"{file}:1:1: warning: guessed id 'my-service-v2' from the Backstage name 'My_Service.v2' (ids are "
        "lower-case slugs); portals.backstage.names keeps the name, so `export backstage` names the entity "
        "My_Service.v2, as Backstage knows it"
    ) in imported.stderr
    fragment = yaml.safe_load(imported.stdout)
    root = site_copy("minimal")
    catalog = yaml.safe_load((root / "catalog.yaml").read_text())
    catalog["site"]["base_url"] = "https://platform.example/"
    catalog["offerings"] += fragment["offerings"]
    catalog["portals"] = fragment["portals"]
    catalog["portals"]["backstage"]["owners"].append({"owner": "Platform Team", "ref": "group:default/platform"})
    (root / "catalog.yaml").write_text(yaml.safe_dump(catalog, sort_keys=False))
    assert run("build", "--source", root).exit_code == 0
    exported = run("export", "backstage", "--source", root)
    assert exported.exit_code == 0, exported.output
    entities = [e for e in yaml.safe_load_all(exported.stdout) if e is not None]
    for entity in entities:  # valid by @backstage/catalog-model's own JSON Schemas
        assert [e.message for e in _validator(entity["kind"]).iter_errors(entity)] == []
    mine = next(e for e in entities if e["metadata"]["name"] == "My_Service.v2")
    assert mine["metadata"]["title"] == "My_Service.v2"  # the words a reader sees are kept
    assert mine["spec"]["dependsOn"] == ["component:default/Other_Thing"]
    again = run("import", "backstage", _file(tmp_path, exported.stdout, "exported.yaml"))
    assert again.exit_code == 0, again.output
    back = {o["id"]: o for o in yaml.safe_load(again.stdout)["offerings"]}
    assert back["my-service-v2"]["name"] == "My_Service.v2"
    assert back["my-service-v2"]["depends_on"] == ["other-thing"]
    assert "guessed id" not in again.stderr  # it is an id now: nothing more is lost


# --- AOE's radar as its authors write it: a folder of releases ----------------------------------------

# After the layout of AOE radars in the code corpus (porscheofficial/porschedigital-technology-radar's
# data/radar/<release>/<item>.md: title, ring, quadrant, tags, teams); written here, not copied
AOE_ITEMS = {
    "2024-01-15/kubernetes.md": '---\ntitle: "Kubernetes"\nring: trial\nquadrant: platforms-and-operations\n'
    'tags: [devops, backend]\nteams: ["911", macan]\n---\n\nBeing trialed as our container platform.\n',
    "2024-07-01/kubernetes.md": '---\ntitle: "Kubernetes"\nring: adopt\nquadrant: platforms-and-operations\n'
    'tags: [devops, backend]\nteams: ["911", macan, cayenne]\n---\n\nMoved to **adopt**: every service runs on '
    "[EKS](https://aws.amazon.com/eks/), observed with [[dash0]].\n\n## Platform overview\n\n- three clusters\n",
    "2025-01-15/kubernetes.md": "---\ntitle: Kubernetes\nquadrant: platforms-and-operations\nfeatured: false\n---\n",
    "2024-01-15/elm.md": "---\ntitle: Elm\nring: hold\nquadrant: languages-and-frameworks\n---\n\nNo new code in Elm.\n",
}


def _aoe(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    for name, text in AOE_ITEMS.items():
        (root / "radar" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "radar" / name).write_text(text)
    return root


def test_an_aoe_radar_folder_is_read_as_its_build_joins_its_releases(run, tmp_path: Path) -> None:
    # a folder was refused as a file that cannot be read, and one item file as "an AOE radar item is not read"
    root = _aoe(tmp_path)
    result = run("import", "techradar", root)
    assert result.exit_code == 0, result.output
    fragment = yaml.safe_load(result.stdout)
    assert fragment["categories"] == [
        {"id": "languages-and-frameworks", "name": "Languages and frameworks"},
        {"id": "platforms-and-operations", "name": "Platforms and operations"},
    ]
    tools = {t["id"]: t for t in fragment["tools"]}
    # the ring the newest release that writes one gives, since the release that set it; the reason the
    # newest text's first paragraph, as text
    assert tools["kubernetes"] == {
        "id": "kubernetes",
        "name": "Kubernetes",
        "category": "platforms-and-operations",
        "status": "supported",
        "reason": "Moved to adopt: every service runs on EKS (https://aws.amazon.com/eks/), observed with dash0.",
        "since": "2024-07-01",
    }
    assert (tools["elm"]["status"], tools["elm"]["since"]) == ("unsupported", "2024-01-15")
    first = root / "radar" / "2024-01-15" / "kubernetes.md"
    assert f"{first}:6:8: warning: dropped item 'kubernetes': 'teams' (not part of a tool decision)" in result.stderr
    assert f"{first}:5:7: warning: dropped item 'kubernetes': tags (a tool decision has none)" in result.stderr
    # a folder that holds no release is refused as before, as a folder where a file was meant
    empty = tmp_path / "empty"
    empty.mkdir()
    refused = run("import", "techradar", empty)
    assert refused.exit_code == 1 and refused.stdout == ""
    assert f"{empty}: error: is a folder, not a file" in refused.stderr


def test_the_aoe_radar_servicebook_exports_comes_back_as_the_catalog_s_decisions(run, site_copy, tmp_path) -> None:
    site = site_copy("example")
    out = tmp_path / "aoe"
    assert (
        run("export", "techradar", "--source", site, "--format", "aoe", "--no-history", "--output", out).exit_code == 0
    )
    result = run("import", "techradar", out)
    assert result.exit_code == 0, result.output
    fragment = yaml.safe_load(result.stdout)
    back = {t["id"]: t for t in fragment["tools"]}
    catalog = yaml.safe_load((site / "catalog.yaml").read_text())
    # the quadrants' titles (portals.techradar.quadrants) from the config.json the export writes beside its releases
    titles = {q["id"]: q["title"] for q in json.loads((out / "config.json").read_text())["quadrants"]}
    assert {c["id"]: c["name"] for c in fragment["categories"]} == titles
    assert "named from the quadrant id" not in result.stderr
    assert set(back) == {t["id"] for t in catalog["tools"]}
    for tool in catalog["tools"]:
        if tool["status"] in ("supported", "best-effort", "unsupported"):
            assert (back[tool["id"]]["status"], back[tool["id"]]["name"]) == (tool["status"], tool["name"])
            assert back[tool["id"]]["since"] == str(tool["since"]), tool["id"]
