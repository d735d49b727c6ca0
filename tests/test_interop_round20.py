"""interop20: what round 19 left (a Service no SLO names, `op` on a ratio's objective, OpenSLO's draft
`openslo/v2alpha1`, AOE's ring ids as its build compares them, Backstage names kept), and files users
really keep; each pushed through import → build → check --against → export → re-import."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import GitSite, require_component
from tests.promhelp import INSTALL, Counter, installed, prometheus
from tests.test_interop_round9 import AT, DAY, T0
from tests.test_interop_round15 import _pasted, _place
from tests.test_interop_round16 import _monitoring
from tests.test_interop_round19 import ORDINARY
from tests.test_portals import _validator

INTEROP = Path(__file__).parent / "interop" / "fixtures"


def _file(tmp_path: Path, text: str, name: str = "slos.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# --- OpenSLO: a Service that no SLO names ------------------------------------------------------------

PAYMENTS = "---\napiVersion: openslo/v1\nkind: Service\nmetadata:\n  name: payments\n  labels:\n    team: team-b\n"


def test_a_service_no_slo_names_gives_its_owner_only_to_the_offering_of_its_name_and_says_so(run, tmp_path) -> None:
    # `--offering payments` put the skipped Service's team-b into the fragment as the owner, while the
    # report said the Service was skipped and nothing of its owner
    text = ORDINARY + PAYMENTS
    file = _file(tmp_path, text)
    service = _place(text, "kind: Service\nmetadata:\n  name: ")
    plain = run("import", "openslo", file)
    assert plain.exit_code == 0, plain.output
    assert "owner" not in yaml.safe_load(plain.stdout)["offerings"][0]
    assert f"{file}:{service}: warning: skipped Service 'payments'" in (plain.stderr)
    assert "team-b" not in plain.stderr
    taken = run("import", "openslo", "--offering", "payments", file)
    assert taken.exit_code == 0, taken.output
    assert yaml.safe_load(taken.stdout)["offerings"][0]["owner"] == "team-b"
    assert (
        f"{file}:{service}: warning: took Service 'payments' for the "
        "offering payments: no SLO in the files read names it as its service, and the fragment's offering has its name"
    ) in taken.stderr
    assert f"{file}:{_place(text, 'team: ')}: warning: guessed the offering's owner team-b from the label team" in (
        taken.stderr
    )
    assert "skipped Service" not in taken.stderr
    # the SLO's own annotation names the offering as well as --offering does
    annotated = ORDINARY.replace(
        "  name: availability\n",
        "  name: availability\n  annotations:\n    servicebook.dev/slo: payments/availability\n",
    )
    named = run("import", "openslo", _file(tmp_path, annotated + PAYMENTS, "annotated.yaml"))
    assert yaml.safe_load(named.stdout)["offerings"][0]["owner"] == "team-b"
    assert "took Service 'payments'" in named.stderr


# --- OpenSLO: `op` on the objective of a ratio ----------------------------------------------------------


def test_lt_or_lte_on_a_ratio_s_objective_is_refused_where_it_is_and_gt_reads_as_the_target(run, tmp_path) -> None:
    # OpenSLO compares by op "only when using a thresholdMetric"; `op: lte` on a ratio was read as the
    # catalog's objective (at least 99.5 % good), the opposite of what it says, without a word
    for op in ("lt", "lte"):
        text = ORDINARY.replace("    - target: 0.995\n", f"    - op: {op}\n      target: 0.995\n")
        file = _file(tmp_path, text, f"{op}.yaml")
        result = run("import", "openslo", file)
        assert result.exit_code == 1 and result.stdout == ""
        assert (
            f"{file}:{_place(text, 'op: ')}: error: op: {op} on the objective of an SLO whose SLI is a ratio: OpenSLO "
            "compares an SLI by op with a value for a thresholdMetric only; the objective of a ratio is met when the "
            f"share of good events reaches its target, and {op} would keep it under the target"
        ) in result.stderr
        assert "Traceback" not in result.output
    # gt and gte say what the target says; a value (Nobl9 writes one on every objective) is compared with
    # nothing: said dropped
    text = ORDINARY.replace("    - target: 0.995\n", "    - op: gt\n      value: 1\n      target: 0.995\n")
    file = _file(tmp_path, text, "gt.yaml")
    result = run("import", "openslo", file)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["offerings"][0]["slos"][0]["objective"] == 99.5
    assert f"{file}:{_place(text, 'value: ')}: warning: dropped the objective's value 1: OpenSLO compares" in (
        result.stderr
    )
    assert "op: gt" not in result.stderr


def test_check_against_fails_on_a_ratio_objective_kept_under_its_target_that_names_a_promise(run, tmp_path) -> None:
    imported = run("import", "openslo", _file(tmp_path, ORDINARY, "o.yaml"))
    site = _pasted(yaml.safe_load(imported.stdout)["offerings"], tmp_path)
    # the SLI by reference, defined after the SLO: the objective is judged once both are read
    text = (
        "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: availability\nspec:\n  service: web\n"
        "  budgetingMethod: Occurrences\n  indicatorRef: good-requests\n  timeWindow:\n    - duration: 28d\n"
        "      isRolling: true\n  objectives:\n    - op: lte\n      target: 0.995\n---\n"
        "apiVersion: openslo/v1\nkind: SLI\nmetadata:\n  name: good-requests\nspec:\n  ratioMetric:\n"
        "    counter: true\n    bad:\n      metricSource:\n        type: Prometheus\n        spec:\n"
        '          query: http_requests_total{code=~"5.."}\n    total:\n      metricSource:\n'
        "        type: Prometheus\n        spec:\n          query: http_requests_total\n"
    )
    monitoring = _monitoring(tmp_path, {"slos.yaml": text})
    result = run("check", "--source", site, "--against", monitoring)
    assert result.exit_code == 1, result.output
    assert f"slos.yaml:{_place(text, 'op: ')}: error: op: lte on the objective of an SLO whose SLI is a ratio" in (
        result.stderr
    )


# --- OpenSLO's draft apiVersion openslo/v2alpha1 --------------------------------------------------------

# After OpenSLO's enhancements/v2alpha1.md (its DataSource, and its SLO example, which writes `indicator`
# and a data source inline by its key); written here, not copied
DRAFT = """apiVersion: openslo/v2alpha1
kind: DataSource
metadata:
  name: prometheus-datasource
spec:
  description: Our Prometheus
  prometheus:
    url: http://prometheus.example:9090
---
apiVersion: openslo/v2alpha1
kind: SLO
metadata:
  name: availability
spec:
  service: checkout
  budgetingMethod: Occurrences
  timeWindow:
    - duration: 28d
      isRolling: true
  indicator:
    metadata:
      name: good-requests
    spec:
      ratioMetric:
        counter: true
        good:
          dataSourceRef: prometheus-datasource
          spec:
            query: http_requests_total{job="checkout",code!~"5.."}
        total:
          prometheus:
            url: http://prometheus.example:9090
          spec:
            query: http_requests_total{job="checkout"}
  objectives:
    - target: 0.999
"""


def test_openslo_s_draft_v2alpha1_is_read_as_v2alpha_and_each_field_it_writes_otherwise_is_said(run, tmp_path) -> None:
    # "OpenSLO openslo/v2alpha1 SLO is not read": a file of the draft imported nothing
    monitoring = _monitoring(tmp_path, {"slos.yaml": DRAFT})
    file = monitoring / "slos.yaml"
    imported = run("import", "openslo", file)
    assert imported.exit_code == 0, imported.output
    offerings = yaml.safe_load(imported.stdout)["offerings"]
    assert offerings[0]["id"] == "checkout"
    assert offerings[0]["slos"][0]["measurement"] == {
        "good": 'http_requests_total{job="checkout",code!~"5.."}',
        "total": 'http_requests_total{job="checkout"}',
    }
    draft = "openslo/v2alpha1 (OpenSLO's draft of v2alpha)"
    assert (
        f"{file}:7:3: warning: read 'prometheus' as the data source's type Prometheus: {draft} names an inline data "
        "source by its key, where v2alpha writes its type (dataSourceSpec: {type: …} in a metric, spec.type in a "
        "DataSource)"
    ) in imported.stderr
    total = _place(DRAFT, "        total:\n          ")
    assert f"{file}:{total}: warning: read 'prometheus' as the data" in (imported.stderr)
    indicator = _place(DRAFT, "      isRolling: true\n  ")
    assert (
        f"{file}:{indicator}: warning: read 'indicator' as 'sli': {draft} names it "
        "sli, as v2alpha does (the draft's own example writes indicator, OpenSLO v1's name)"
    ) in imported.stderr
    assert "not read" not in imported.stderr
    # import → build → check --against → export → re-import
    site = _pasted(offerings, tmp_path)
    assert run("build", "--source", site).exit_code == 0
    checked = run("check", "--source", site, "--against", monitoring)
    assert checked.exit_code == 0, checked.output
    assert "1 of 2 SLOs measured there as the catalog promises" in checked.stdout
    (tmp_path / "lowered").mkdir()
    lowered = _monitoring(tmp_path / "lowered", {"slos.yaml": DRAFT.replace("0.999", "0.99")})
    differs = run("check", "--source", site, "--against", lowered)
    assert differs.exit_code == 1 and "has 99 %" in differs.stderr
    exported = run("export", "openslo", "--source", site, "--offering", "checkout")
    again = run("import", "openslo", _file(tmp_path, exported.stdout, "exported.yaml"))
    assert yaml.safe_load(again.stdout)["offerings"][0]["slos"] == offerings[0]["slos"]


# --- AOE's radar: ring ids as its build compares them ---------------------------------------------------

# After the layout of AOE radars (data/radar/<release>/<item>.md); written here, not copied
AOE_CASES = {
    "2024-01-15/kubernetes.md": "---\ntitle: Kubernetes\nring: Adopt\nquadrant: platforms-and-operations\n---\n\nOurs.\n",
    "2024-07-01/kubernetes.md": "---\nring: adopt\n---\n\nEvery service runs on it.\n",
    "2024-01-15/elm.md": "---\ntitle: Elm\nring: adopt\nquadrant: languages-and-frameworks\n---\n\nFine.\n",
    "2024-07-01/elm.md": "---\nring: Hold\n---\n\nNo new code in Elm.\n",
}


def _aoe(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "data"
    for name, text in files.items():
        (root / "radar" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "radar" / name).write_text(text)
    return root


def test_an_aoe_ring_id_is_compared_as_written_as_aoe_s_build_compares_it(run, tmp_path: Path) -> None:
    # `Adopt` then `adopt`: the since moved silently to the second release; and an item whose ring is
    # `Hold`, which AOE's build leaves off the radar ("invalid ring": its ids are adopt … hold), was read
    # as unsupported
    root = _aoe(tmp_path, AOE_CASES)
    result = run("import", "techradar", root)
    assert result.exit_code == 0, result.output
    tools = {t["id"]: t for t in yaml.safe_load(result.stdout)["tools"]}
    assert list(tools) == ["kubernetes"]
    assert (tools["kubernetes"]["status"], tools["kubernetes"]["since"]) == ("supported", "2024-07-01")
    first = root / "radar" / "2024-01-15" / "kubernetes.md"
    assert (
        f"{first}:3:7: warning: guessed item 'kubernetes': since 2024-07-01, not 2024-01-15: the ring 'Adopt' of "
        "2024-01-15 is another ring than 'adopt' to AOE's build, which compares ring ids as written (its history "
        "shows a move)"
    ) in result.stderr
    elm = root / "radar" / "2024-07-01" / "elm.md"
    assert (
        f"{elm}:2:7: warning: skipped item 'elm': its ring 'Hold' is none of the radar's (adopt, trial, assess, "
        "hold): AOE's build compares ring ids as written and leaves the item off the radar"
    ) in result.stderr
    assert "hint: write ring: hold" in result.stderr
    # a ring no default is near: the radar's own config.json may name it, which is not beside the releases
    (root / "radar" / "2024-07-01" / "elm.md").write_text("---\nring: avoid\n---\n")
    avoid = run("import", "techradar", root)
    assert "skipped item 'elm': its ring 'avoid' is none of the radar's (adopt, trial, assess, hold)" in avoid.stderr
    assert "hint: these are AOE's default rings, as no config.json is beside the releases" in avoid.stderr
    (root / "radar" / "2024-07-01" / "elm.md").write_text(AOE_CASES["2024-07-01/elm.md"])
    # a radar's own config.json names its rings (and quadrants): those ids, as written, are the radar's
    config = {
        "quadrants": [{"id": "platforms-and-operations", "title": "Platforms"}],
        "rings": [{"id": "Adopt", "title": "Adopt"}, {"id": "Hold", "title": "Hold"}],
    }
    (root / "config.json").write_text(json.dumps(config))
    own = run("import", "techradar", root)
    assert own.exit_code == 1 and own.stdout == ""  # neither is drawn: nothing to import
    assert "skipped item 'kubernetes': its ring 'adopt' is none of the radar's (Adopt, Hold)" in own.stderr
    assert "hint: write ring: Adopt" in own.stderr
    assert (
        "skipped item 'elm': its quadrant 'languages-and-frameworks' is none of the radar's (platforms-and-operations)"
    ) in own.stderr


# --- Backstage: an entity's name kept under portals.backstage.names -------------------------------------

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
kind: Resource
metadata:
  name: Other_Thing
  title: Other thing
spec:
  type: database
  owner: team-a
"""


def _with_fragment(site: Path, fragment: dict) -> None:
    catalog = yaml.safe_load((site / "catalog.yaml").read_text())
    catalog["site"]["base_url"] = "https://platform.example/"
    catalog["offerings"] += fragment["offerings"]
    catalog["portals"] = fragment["portals"]
    catalog["portals"]["backstage"]["owners"].append({"owner": "Platform Team", "ref": "group:default/platform"})
    (site / "catalog.yaml").write_text(yaml.safe_dump(catalog, sort_keys=False))


def test_a_backstage_name_that_is_no_id_comes_back_from_export_as_the_same_entity(run, site_copy, tmp_path) -> None:
    # `My_Service.v2` was exported as my-service-v2, an entity Backstage takes for another
    file = _file(tmp_path, ENTITIES, "catalog-info.yaml")
    imported = run("import", "backstage", file)
    assert imported.exit_code == 0, imported.output
    fragment = yaml.safe_load(imported.stdout)
    assert fragment["portals"]["backstage"]["names"] == [
        {"offering": "my-service-v2", "name": "My_Service.v2"},
        {"offering": "other-thing", "name": "Other_Thing"},
    ]
    site = site_copy("minimal")
    _with_fragment(site, fragment)
    assert run("check", "--source", site).exit_code == 0
    built = run("build", "--source", site)
    assert built.exit_code == 0, built.output
    exported = run("export", "backstage", "--source", site)
    assert exported.exit_code == 0, exported.output
    entities = [e for e in yaml.safe_load_all(exported.stdout) if e is not None]
    for entity in entities:  # valid by @backstage/catalog-model's own JSON Schemas
        assert [e.message for e in _validator(entity["kind"]).iter_errors(entity)] == []
    by_name = {e["metadata"]["name"]: e for e in entities}
    assert by_name["My_Service.v2"]["spec"]["dependsOn"] == ["resource:default/Other_Thing"]
    assert by_name["My_Service.v2"]["metadata"]["annotations"]["servicebook.dev/id"] == "my-service-v2"
    assert by_name["Other_Thing"]["kind"] == "Resource"
    assert "ci" in by_name and "servicebook.dev/id" not in by_name["ci"]["metadata"]["annotations"]
    # the site publishes the same entities
    published = (site / "public" / "portals" / "backstage" / "catalog-info.yaml").read_text()
    assert published == exported.stdout
    # and they come back as the same offerings, without a guess, the names kept again
    again = run("import", "backstage", _file(tmp_path, exported.stdout, "exported.yaml"))
    assert again.exit_code == 0, again.output
    back = yaml.safe_load(again.stdout)
    assert {o["id"] for o in back["offerings"]} == {"ci", "my-service-v2", "other-thing"}
    assert back["portals"]["backstage"]["names"] == fragment["portals"]["backstage"]["names"]
    assert "guessed id" not in again.stderr


def test_portals_backstage_names_are_checked_where_they_are_written(run, site_copy) -> None:
    site = site_copy("minimal")
    catalog = yaml.safe_load((site / "catalog.yaml").read_text())
    catalog["site"]["base_url"] = "https://platform.example/"
    second = {**copy.deepcopy(catalog["offerings"][0]), "id": "cd", "slos": []}
    catalog["offerings"].append(second)
    catalog["portals"] = {
        "backstage": {
            "owners": [{"owner": catalog["offerings"][0]["owner"], "ref": "group:default/platform"}],
            "names": [
                {"offering": "cd", "name": "CI"},
                {"offering": "cdd", "name": "Deploys"},
                {"offering": "cd", "name": "My Service"},
            ],
        }
    }
    text = yaml.safe_dump(catalog, sort_keys=False)
    (site / "catalog.yaml").write_text(text)
    result = run("check", "--source", site)
    assert result.exit_code == 1, result.output
    path = site / "catalog.yaml"
    at = text.index("My Service")
    place = f"{text.count(chr(10), 0, at) + 1}:{at - text.rfind(chr(10), 0, at)}"
    assert (
        f"{path}:{place}: error: 'My Service' is not a Backstage name: 1-63 letters and digits, separated by one of "
        "'-', '_' or '.'"
    ) in result.stderr
    assert (
        f"{path}:{_place(text, 'offering: cd' + chr(10) + '      name: ')}: error: 'CI' names the entity of offering "
        "'ci' too: Backstage compares entity names without case, and would take the two for one"
    ) in result.stderr
    assert "'cdd'" in result.stderr and "did you mean 'cd'" in result.stderr.lower()
    assert "'cd' is listed twice" in result.stderr


# --- Sloth specs a user keeps: Kuadrant's, an SLO per host -----------------------------------------------


def test_sloth_queries_summed_by_a_label_are_measured_as_the_worst_group_as_sloth_judges_each(run, tmp_path) -> None:
    # Kuadrant's specs sum both queries `by (request_host)`: Sloth keeps a ratio, an SLO, per host; the
    # import wrote them as errors and total, two queries of a series per host, which `measure` refuses
    file = INTEROP / "sloth-kuadrant-availability.yaml"
    text = file.read_text()
    imported = run("import", "sloth", "--period", "28d", file)
    assert imported.exit_code == 0, imported.output
    offerings = yaml.safe_load(imported.stdout)["offerings"]
    slo = offerings[0]["slos"][0]
    errors = 'sum(rate(istio_requests_total{job="ingress-metrics-proxy",response_code=~"5.*"}[{{.window}}])) by (request_host)'
    total = 'sum(rate(istio_requests_total{job="ingress-metrics-proxy"}[{{.window}}]) )by (request_host)'
    assert slo["measurement"] == {"error_ratio": f"max(({errors} or 0 * {total}) / {total})"}
    assert (
        f"{file}:12:9: warning: measured the worst of each request_host: both "
        "queries are summed by it, so Sloth's ratio, and its SLO, hold for each group on its own"
    ) in imported.stderr
    # import → build → check --against → export → re-import
    site = _pasted(offerings, tmp_path)
    assert run("build", "--source", site).exit_code == 0
    monitoring = _monitoring(tmp_path, {file.name: text})
    checked = run("check", "--source", site, "--against", monitoring, "--sloth-period", "28d")
    assert checked.exit_code == 0, checked.output
    assert "1 of 2 SLOs measured there as the catalog promises" in checked.stdout
    exported = run("export", "sloth", "--source", site, "--offering", "kuadrant")
    assert exported.exit_code == 0, exported.output
    again = run("import", "sloth", "--period", "28d", _file(tmp_path, exported.stdout, "exported.yaml"))
    assert again.exit_code == 0, again.output
    assert yaml.safe_load(again.stdout)["offerings"][0]["slos"][0]["measurement"] == slo["measurement"]


def test_an_error_query_that_counts_a_bucket_under_its_bound_is_said_to_count_the_good_requests(run) -> None:
    # Kuadrant's latency spec's error_query counts istio_request_duration_milliseconds_bucket{le="250"}:
    # the requests within 250 ms, which Sloth then takes for the errors; read without a word
    file = INTEROP / "sloth-kuadrant-latency.yaml"
    result = run("import", "sloth", file)
    assert result.exit_code == 0, result.output
    assert (
        f"{file}:11:9: warning: the error query counts istio_request_duration_milliseconds_bucket under le=250: the "
        "requests within the bound, the good ones, which Sloth takes for errors (its error ratio is then the share of "
        "fast requests)"
    ) in result.stderr
    # a bucket above every bound (+Inf) counts every request: not said
    availability = run("import", "sloth", INTEROP / "sloth-kuadrant-availability.yaml")
    assert "the error query counts" not in availability.stderr


# After Backstage's "Descriptor Format of Catalog Entities": a Domain, a System, a Component that provides
# and consumes APIs, an API, a Resource, the team's Group, a User and a Location in one file, as a team's
# repository keeps them; written here, not copied
SEVERAL_KINDS = """apiVersion: backstage.io/v1alpha1
kind: Domain
metadata:
  name: payments
spec:
  owner: group:payments-team
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: checkout
spec:
  owner: payments-team
  domain: payments
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout-api
  namespace: shop
  description: Takes orders and payments.
spec:
  type: service
  lifecycle: production
  owner: payments-team
  system: checkout
  providesApis: [checkout-rest]
  dependsOn: [resource:checkout-db]
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: checkout-rest
spec:
  type: openapi
  lifecycle: production
  owner: payments-team
  system: checkout
  definition: "openapi: 3.0.0"
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: checkout-db
  namespace: shop
  description: The orders database.
spec:
  type: database
  owner: group:default/payments-team
  system: system:shop/checkout
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: payments-team
  description: Takes the money.
spec:
  type: team
  profile:
    displayName: Payments
    email: payments@example.com
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: jdoe
spec:
  memberOf: [payments-team]
---
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: more
spec:
  targets: [./ledger/catalog-info.yaml]
"""


def test_a_file_of_several_kinds_comes_back_from_export_as_the_entities_backstage_has(run, site_copy, tmp_path) -> None:
    # the fragment said nothing of the Group, System and namespace read: `export backstage` then wrote
    # the offerings into a new System and Group named after the team (payments), in the default namespace,
    # entities Backstage takes for others than checkout, payments-team and shop's
    file = _file(tmp_path, SEVERAL_KINDS, "catalog-info.yaml")
    imported = run("import", "backstage", file)
    assert imported.exit_code == 0, imported.output
    fragment = yaml.safe_load(imported.stdout)
    backstage = fragment["portals"]["backstage"]
    assert (backstage["group"], backstage["system"], backstage["namespace"]) == ("payments-team", "checkout", "shop")
    assert f"{file}:26:11: warning: guessed portals.backstage.system checkout, the System the offerings are part" in (
        imported.stderr
    )
    assert "metadata.namespace" not in imported.stderr
    assert f"{file}:64:1: warning: guessed User 'jdoe': a contact of the team" in imported.stderr
    for kind, line in (("Domain", 1), ("System", 8), ("API", 30), ("Location", 71)):
        assert f"{file}:{line}:1: warning: skipped {kind} " in imported.stderr
    site = site_copy("minimal")
    catalog = yaml.safe_load((site / "catalog.yaml").read_text())
    catalog["site"]["base_url"] = "https://platform.example/"
    catalog["team"] = fragment["team"]
    catalog["offerings"] = fragment["offerings"]
    catalog["portals"] = fragment["portals"]
    (site / "catalog.yaml").write_text(yaml.safe_dump(catalog, sort_keys=False))
    shutil.rmtree(site / "content")  # its page names the minimal site's offering
    built = run("build", "--source", site)
    assert built.exit_code == 0, built.output
    exported = run("export", "backstage", "--source", site)
    assert exported.exit_code == 0, exported.output
    entities = {(e["kind"], e["metadata"]["name"]): e for e in yaml.safe_load_all(exported.stdout) if e}
    for entity in entities.values():  # valid by @backstage/catalog-model's own JSON Schemas
        assert [e.message for e in _validator(entity["kind"]).iter_errors(entity)] == []
        assert entity["metadata"]["namespace"] == "shop"
    # the Group and the System are Backstage's, from their own files: referred to, not written again
    # (portals.backstage.existing, interop21); the Group in namespace default, by its full reference
    # (portals.backstage.group_namespace, interop25: interop24 wrote a second payments-team in namespace shop)
    assert set(entities) == {("Component", "checkout-api"), ("Resource", "checkout-db")}
    assert backstage["group_namespace"] == "default"
    assert entities[("Component", "checkout-api")]["spec"]["owner"] == "payments-team"  # as the file wrote it
    api = entities[("Component", "checkout-api")]["spec"]
    assert (api["system"], api["dependsOn"]) == ("system:shop/checkout", ["resource:shop/checkout-db"])
    again = run("import", "backstage", _file(tmp_path, exported.stdout, "exported.yaml"))
    assert again.exit_code == 0, again.output
    back = yaml.safe_load(again.stdout)
    assert {o["id"] for o in back["offerings"]} == {"checkout-api", "checkout-db"}
    # kept as the catalog had them (interop22: the Group's was lost, the export writing no Group), the Group's
    # namespace too (interop25)
    kept = back["portals"]["backstage"]
    assert (kept["system"], kept["existing"], kept["group_namespace"]) == ("checkout", ["group", "system"], "default")


def test_a_dependency_of_written_on_the_other_side_is_the_dependents_depends_on(run, tmp_path) -> None:
    # a database's `dependencyOf: [component:checkout-api]` was said dropped: the relation Backstage shows
    # on both entities was lost through import → export
    text = SEVERAL_KINDS.replace("  dependsOn: [resource:checkout-db]\n", "").replace(
        "  system: system:shop/checkout\n",
        "  system: system:shop/checkout\n  dependencyOf: [component:shop/checkout-api, component:ledger]\n",
    )
    file = _file(tmp_path, text, "catalog-info.yaml")
    result = run("import", "backstage", file)
    assert result.exit_code == 0, result.output
    offerings = {o["id"]: o for o in yaml.safe_load(result.stdout)["offerings"]}
    assert offerings["checkout-api"]["depends_on"] == ["checkout-db"]
    at = _place(text, "  dependencyOf: ")
    assert (
        f"{file}:{at}: warning: guessed offering 'checkout-api' depends on checkout-db: Resource 'checkout-db' is a "
        "dependencyOf it"
    ) in result.stderr
    assert (
        f"{file}:{at}: warning: dropped Resource 'checkout-db': dependencyOf component:ledger (no offering read)"
        in (result.stderr)
    )


def test_the_users_of_the_team_s_group_are_its_contacts(run, tmp_path) -> None:
    # a User was skipped, "servicebook has no place for it", while the catalog's team has contacts
    text = SEVERAL_KINDS.replace(
        "spec:\n  memberOf: [payments-team]\n",
        "spec:\n  profile:\n    displayName: Jane Doe\n    email: jane@example.com\n  memberOf: [group:payments-team]\n",
    ) + (
        "---\napiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: someone-else\n"
        "spec:\n  memberOf: [other-team]\n"
    )
    file = _file(tmp_path, text, "catalog-info.yaml")
    result = run("import", "backstage", file)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["team"]["contacts"] == [
        {"name": "Payments", "email": "payments@example.com"},
        {"name": "Jane Doe", "email": "jane@example.com"},
    ]
    assert f"{file}:64:1: warning: guessed User 'jdoe': a contact of the team, as a member of Group" in result.stderr
    assert "skipped User 'someone-else': servicebook has no place for it" in result.stderr


def test_an_aoe_radar_whose_config_shows_some_tags_leaves_the_other_items_off_as_its_build_does(run, tmp_path) -> None:
    # AOE's build keeps only the items with one of config.json's `tags`, where it lists some
    root = _aoe(
        tmp_path,
        {
            "2024-01-15/kubernetes.md": "---\ntitle: Kubernetes\nring: adopt\nquadrant: tools\ntags: [backend]\n---\n",
            "2024-01-15/elm.md": "---\ntitle: Elm\nring: hold\nquadrant: tools\ntags: [frontend]\n---\n",
            "2024-01-15/make.md": "---\ntitle: Make\nring: adopt\nquadrant: tools\n---\n",
        },
    )
    config = {"quadrants": [{"id": "tools", "title": "Tools"}], "tags": ["backend", "devops"]}
    (root / "config.json").write_text(json.dumps(config))
    result = run("import", "techradar", root)
    assert result.exit_code == 0, result.output
    assert [t["id"] for t in yaml.safe_load(result.stdout)["tools"]] == ["kubernetes"]
    elm = root / "radar" / "2024-01-15" / "elm.md"
    assert (
        f"{elm}:5:7: warning: skipped item 'elm': it has none of the tags the radar's config.json shows (backend, "
        "devops): AOE's build leaves it off the radar"
    ) in result.stderr
    assert "skipped item 'make': it has none of the tags" in result.stderr


def test_sloth_queries_summed_by_labels_before_their_argument_or_by_other_labels_are_read_as_sloth_reads_them(
    run, tmp_path
) -> None:
    text = (INTEROP / "sloth-kuadrant-availability.yaml").read_text()
    errors = 'sum(rate(istio_requests_total{job="ingress-metrics-proxy",response_code=~"5.*"}[{{.window}}])) by (request_host)'
    total = 'sum(rate(istio_requests_total{job="ingress-metrics-proxy"}[{{.window}}]) )by (request_host)'
    before = text.replace(errors, 'sum by (request_host) (rate(istio_requests_total{code=~"5.."}[{{.window}}]))')
    result = run("import", "sloth", _file(tmp_path, before, "before.yaml"))
    assert result.exit_code == 0, result.output
    ratio = yaml.safe_load(result.stdout)["offerings"][0]["slos"][0]["measurement"]["error_ratio"]
    assert ratio.startswith("max((sum by (request_host) (rate(") and ratio.endswith(f" / {total})")
    # summed by another label: two queries of a series per group that `measure` cannot pair
    other = text.replace("[{{.window}}]) )by (request_host)", "[{{.window}}]) )by (pod)")
    said = run("import", "sloth", _file(tmp_path, other, "other.yaml"))
    assert said.exit_code == 0, said.output
    assert yaml.safe_load(said.stdout)["offerings"][0]["slos"][0]["measurement"]["errors"] == errors
    assert (
        "warning: the error query is summed by (request_host) and the total query is summed by (pod): a query "
        "summed by labels returns a series per group, and `measure` takes one value"
    ) in said.stderr
    # a division of sums is no sum by labels: only the total query is summed by one
    divided = text.replace(errors, "sum(rate(a[{{.window}}])) by (x) / sum(rate(b[{{.window}}]))")
    plain = run("import", "sloth", _file(tmp_path, divided, "divided.yaml"))
    assert "worst of each" not in plain.stderr
    assert "the error query is not summed by labels and the total query is summed by (request_host)" in plain.stderr


def test_an_openslo_bad_query_that_counts_a_bucket_under_its_bound_is_said_to_count_the_good_requests(
    run, tmp_path
) -> None:
    text = ORDINARY.replace("        good:\n", "        bad:\n").replace(
        'query: http_requests_total{code!~"5.."}', 'query: http_request_duration_seconds_bucket{le="0.3"}'
    )
    file = _file(tmp_path, text)
    result = run("import", "openslo", file)
    assert result.exit_code == 0, result.output
    assert (
        f"{file}:{_place(text, 'query: ')}: warning: the bad query counts http_request_duration_seconds_bucket under "
        "le=0.3: the requests within the bound, the good ones"
    ) in result.stderr


# Kuadrant's requests per host over two days: host a fails 1 in 100, host b 5 in 100, host c never (no
# series of errors at all)
HOSTS = tuple(
    Counter(
        "istio_requests_total", {"job": "mesh", "request_host": host, "response_code": code}, T0, T0 + 2 * DAY, rate
    )
    for host, code, rate in (
        ("a", "200", lambda t: 99),
        ("a", "503", lambda t: 1),
        ("b", "200", lambda t: 95),
        ("b", "503", lambda t: 5),
        ("c", "200", lambda t: 100),
    )
)


@pytest.fixture(scope="module")
def hosts_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_component(installed(), "Prometheus (prometheus and promtool)", INSTALL)
    with prometheus(tmp_path_factory.mktemp("prometheus"), HOSTS) as url:
        yield url


def measured(run, tmp_path: Path, fragment: str, server: str, message: str) -> dict:
    """The snapshot entry `measure` writes at AT of the first SLO of an import's `fragment`, put as
    the one SLO of a minimal site in git (committed with `message`) measured against `server`."""
    ratio = yaml.safe_load(fragment)["offerings"][0]["slos"][0]["measurement"]["error_ratio"]
    root = tmp_path / "repo"
    shutil.copytree(Path(__file__).parent / "sites" / "minimal", root)
    catalog = root / "catalog.yaml"
    body = catalog.read_text()
    old = body[body.index("    slos:\n") : body.index("    tools: [shared")]
    slo = (
        "    slos:\n      - id: availability\n        name: Availability\n        sli: Requests answered.\n"
        f"        objective: 99\n        window: 1d\n        measurement:\n          error_ratio: {json.dumps(ratio)}\n"
    )
    catalog.write_text(body.replace(old, slo, 1))
    GitSite(root).commit(message)
    result = run("measure", "--source", root, "--prometheus", server, "--at", AT)
    assert result.exit_code == 0, result.output
    (entry,) = json.loads((root / "measurements" / "2026-01-02T12-00-00Z.json").read_text())["slos"]
    return entry


@pytest.mark.git
def test_a_sloth_slo_per_host_is_measured_as_its_worst_host_on_a_real_prometheus(hosts_server, run, tmp_path) -> None:
    text = (INTEROP / "sloth-kuadrant-availability.yaml").read_text().replace("ingress-metrics-proxy", "mesh")
    imported = run("import", "sloth", "--period", "1d", _file(tmp_path, text, "availability.yaml"))
    entry = measured(run, tmp_path, imported.stdout, hosts_server, "An SLO per host, as Sloth keeps it")
    # the worst host's share of errors, b's 5 %, not the 2 % of every host's requests summed
    assert entry["attainment"] == pytest.approx(0.95, rel=1e-6)
