"""interop22: what round 21 left (a key no field of a closed specification, Backstage's `$text`, `$json` and
`$yaml` substitutions, `portals.backstage.existing` and `group` through an export and back), and files users
really keep; each pushed through import → build → check --against → export → re-import."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from servicebook.cli import main
from servicebook.interop import closed
from tests.test_interop_round15 import _pasted
from tests.test_interop_round16 import _monitoring
from tests.test_interop_round21 import PROBE
from tests.test_portals import _descriptor_rule_breaches, _validator

INTEROP = Path(__file__).parent / "interop" / "fixtures"


def _file(tmp_path: Path, text: str, name: str = "slos.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _key(text: str, key: str, nth: int = 0) -> str:
    """`line:col` of the `nth` key `key` written in `text` (1-based, as messages give them)."""
    at = -1
    for _ in range(nth + 1):
        at = text.index(f"{key}:", at + 1)
    return f"{text.count(chr(10), 0, at) + 1}:{at - (text.rfind(chr(10), 0, at) + 1) + 1}"


# --- a key that is no field of a closed specification ------------------------------------------------------


def test_a_sloth_key_sloth_has_not_is_said_where_it_is_with_the_field_meant(run, tmp_path) -> None:
    # round 21's user spec writes `ticker_alert` (Sloth's is ticket_alert) and `disabled` (Sloth's Alert has
    # `disable`): Sloth's YAML ignores both, so the ticket alert the user turned off is written all the same;
    # the import passed over both without a word (the whole of `alerting` said dropped)
    file = _file(tmp_path, PROBE, "slo.yaml")
    result = run("import", "sloth", file)
    assert result.exit_code == 0, result.output
    assert (
        f"{file}:{_key(PROBE, 'ticker_alert')}: warning: dropped 'ticker_alert': no field of Sloth's prometheus/v1 "
        'spec (Sloth ignores it: unknown field "slos[0].alerting.ticker_alert")\n'
    ) in result.stderr
    assert "hint: did you mean 'ticket_alert'?" in result.stderr
    assert (
        f"{file}:{_key(PROBE, 'disabled')}: warning: dropped 'disabled': no field of Sloth's prometheus/v1 spec "
        '(Sloth ignores it: unknown field "slos[0].alerting.page_alert.disabled")\n'
    ) in result.stderr
    assert "hint: did you mean 'disable'?" in result.stderr
    # the fields Sloth has are the catalog's drops, as before, and said once
    assert result.stderr.count("dropped 'alerting' (alerts are not part of the catalog)") == 1
    # a slip in a field the catalog reads is no longer "not part of the catalog"
    slip = PROBE.replace('    description: "Probes that succeed"\n', '    descripton: "Probes that succeed"\n')
    said = run("import", "sloth", _file(tmp_path, slip, "slip.yaml"))
    assert "dropped 'descripton': no field of Sloth's prometheus/v1 spec" in said.stderr
    assert "hint: did you mean 'description'?" in said.stderr
    assert "'descripton' (not part of the catalog)" not in said.stderr


SLOTH_RESOURCE = """apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata:
  name: checkout
  namespace: shop
spec:
  service: checkout
  slos:
    - name: requests-availability
      objective: 99.9
      description: Checkout requests that do not fail.
      sli:
        events:
          errorQuery: sum(rate(http_requests_total{job="checkout",code=~"5.."}[{{.window}}]))
          totalQuery: sum(rate(http_requests_total{job="checkout"}[{{.window}}]))
      alerting:
        name: CheckoutHighErrorRate
        pageAlert:
          labels: {severity: page}
        tickedAlert:
          disable: true
"""


def test_a_sloth_resource_s_unknown_field_is_one_kubectl_refuses(run, tmp_path) -> None:
    file = _file(tmp_path, SLOTH_RESOURCE)
    result = run("import", "sloth", file)
    assert result.exit_code == 0, result.output
    assert (
        f"{file}:{_key(SLOTH_RESOURCE, 'tickedAlert')}: warning: dropped 'tickedAlert': no field of Sloth's "
        'PrometheusServiceLevel (kubectl apply refuses it: unknown field "spec.slos[0].alerting.tickedAlert"; Sloth '
        "reads nothing of it)"
    ) in result.stderr
    assert "hint: did you mean 'ticketAlert'?" in result.stderr
    assert result.stderr.count("no field of") == 1


PYRRA = """apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: checkout-errors
  namespace: checkout
spec:
  target: "99.5"
  window: 28d
  descripton: Checkout requests that do not fail.
  indicator:
    ratio:
      errors:
        metric: http_requests_total{job="checkout",code=~"5.."}
      total:
        metric: http_requests_total{job="checkout"}
      groupBy: [route]
  alerting:
    disable: true
"""


def test_a_pyrra_key_its_resource_has_not_is_said_with_the_field_meant(run, tmp_path) -> None:
    # `groupBy` beside the ratio (Pyrra's is `grouping`): read as a ratio summed over every route, a weaker
    # promise than the one the user wrote, with the key said as "not part of the indicator"
    file = _file(tmp_path, PYRRA)
    result = run("import", "pyrra", file)
    assert result.exit_code == 0, result.output
    for key, path, meant in (
        ("descripton", "spec.descripton", "description"),
        ("groupBy", "spec.indicator.ratio.groupBy", "grouping"),
        ("disable", "spec.alerting.disable", "disabled"),
    ):
        assert (
            f"{file}:{_key(PYRRA, key)}: warning: dropped '{key}': no field of Pyrra's ServiceLevelObjective (kubectl "
            f'apply refuses it: unknown field "{path}"; Pyrra reads nothing of it)\n'
        ) in result.stderr
        assert f"hint: did you mean '{meant}'?" in result.stderr
    assert "not part of the indicator" not in result.stderr


OPENSLO = """apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-availability
  namespace: shop
  displayName: Checkout availability
spec:
  service: checkout
  description: Checkout requests that do not fail.
  budgetingMethod: Occurrences
  timeWindow:
    - duration: 28d
      isRolling: true
  indicator:
    metadata:
      name: checkout-availability-sli
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec:
              query: http_requests_total{job="checkout",code!~"5.."}
        total:
          metricSource:
            type: Prometheus
            spec:
              query: http_requests_total{job="checkout"}
  objectives:
    - target: 0.995
      timeSliceWindw: 5m
  alertPolicy: [checkout-burn]
"""


def test_an_openslo_key_the_go_sdk_refuses_is_said_with_the_field_meant(run, tmp_path) -> None:
    file = _file(tmp_path, OPENSLO)
    result = run("import", "openslo", file)
    assert result.exit_code == 0, result.output
    for key, path, meant in (
        ("timeSliceWindw", "spec.objectives[0].timeSliceWindw", "timeSliceWindow"),
        ("alertPolicy", "spec.alertPolicy", "alertPolicies"),
    ):
        assert (
            f"{file}:{_key(OPENSLO, key)}: warning: dropped '{key}': no field of OpenSLO v1's SLO (OpenSLO's go-sdk "
            f'refuses it, and so does oslo validate: unknown field "{path}")\n'
        ) in result.stderr
        assert f"hint: did you mean '{meant}'?" in result.stderr
    # a Kubernetes field in OpenSLO's metadata (go-sdk's Metadata has none): said, and whose it is
    assert f"{file}:{_key(OPENSLO, 'namespace')}: warning: dropped 'namespace': no field of OpenSLO v1's SLO" in (
        result.stderr
    )
    assert (
        "hint: namespace is Kubernetes' (OpenSLO v1's metadata has name, displayName, labels, annotations); osko's "
        "resources, which are Kubernetes objects, are apiVersion openslo.com/v1"
    ) in result.stderr


@pytest.mark.parametrize(
    ("fmt", "pattern"), [("sloth", "sloth-*.y*ml"), ("pyrra", "pyrra-*.yaml"), ("openslo", "openslo-*.yaml")]
)
def test_every_vendored_real_file_has_only_fields_its_specification_has(run, fmt, pattern) -> None:
    # the tools' own examples and users' files: no key of them is said to be no field (a field a tool reads
    # that the closed lists lacked would be said of its every user)
    for path in sorted(INTEROP.glob(pattern)):
        result = run("import", fmt, "--all-warnings", path)
        assert "no field of" not in result.stderr, (path, result.stderr)


# --- Backstage: what the catalog says Backstage has, through an export and back ----------------------------


def _backstage_site(site: Path, backstage: dict) -> Path:
    catalog = yaml.safe_load((site / "catalog.yaml").read_text())
    catalog["site"]["base_url"] = "https://platform.example/"
    owner = catalog["offerings"][0]["owner"]
    catalog["portals"] = {"backstage": {"owners": [{"owner": owner, "ref": "group:platform"}], **backstage}}
    (site / "catalog.yaml").write_text(yaml.safe_dump(catalog, sort_keys=False))
    return site


@pytest.mark.parametrize("existing", [["group"], ["system"], ["group", "system"]])
def test_what_backstage_has_and_a_hand_written_group_survive_an_export_read_back(
    run, site_copy, tmp_path, existing
) -> None:
    # the export of a catalog with `existing: [group]` read back gave no `existing` (its System carries
    # servicebook's catalog-version: "the catalog's own") and no `group`: pasted, the next export wrote the
    # Group again, a second one of the name Backstage has; with `existing: [system]` the Group the export
    # wrote was read as Backstage's (`existing: [group, system]`), and the next export left it out
    written = {"group": "platform-engineering", "existing": existing}  # the team is Platform Team
    site = _backstage_site(site_copy("minimal"), written)
    exported = run("export", "backstage", "--source", site)
    assert exported.exit_code == 0, exported.output
    entities = [e for e in yaml.safe_load_all(exported.stdout) if e]
    kinds = {e["kind"] for e in entities}
    assert kinds & {"Group", "System"} == {k.title() for k in ("group", "system") if k not in existing}
    named = {"group": "platform-engineering", "system": "platform-team"}  # the System as the team, by default
    refs = ",".join(f"{kind}:default/{named[kind]}" for kind in existing)
    offering = next(e for e in entities if e["kind"] == "Component")
    assert offering["metadata"]["annotations"]["servicebook.dev/existing"] == refs
    assert _descriptor_rule_breaches(offering) == []
    assert list(_validator("Component").iter_errors(offering)) == []
    again = run("import", "backstage", _file(tmp_path, exported.stdout, "exported.yaml"))
    assert again.exit_code == 0, again.output
    backstage = yaml.safe_load(again.stdout)["portals"]["backstage"]
    assert backstage["existing"] == existing
    assert backstage["group"] == "platform-engineering"
    assert "portals.backstage.existing" not in again.stderr  # read as written, not guessed
    # pasted back, the next export writes what the first wrote, byte for byte
    site = _backstage_site(site, {k: v for k, v in backstage.items() if k not in ("owners", "resources")})
    assert run("check", "--source", site).exit_code == 0
    assert run("export", "backstage", "--source", site).stdout == exported.stdout


def test_an_export_without_existing_says_nothing_of_it(run, site_copy) -> None:
    site = _backstage_site(site_copy("minimal"), {"group": "platform-engineering"})
    exported = run("export", "backstage", "--source", site)
    assert "servicebook.dev/existing" not in exported.stdout
    assert {e["kind"] for e in yaml.safe_load_all(exported.stdout) if e} >= {"Group", "System"}


# --- Backstage: `$text`, `$json` and `$yaml` substitutions ----------------------------------------------------

# After Backstage's placeholder processor (plugins/catalog-backend's PlaceholderProcessor: a mapping of one key
# `$text`, `$json` or `$yaml` whose value is a text is the file it names, relative to the entity's own file;
# any other mapping with a `$` key is left alone) and its docs' `definition: {$text: ./schema.graphql}`;
# written here, not copied
SUBSTITUTED = """apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
  description:
    $text: ./DESCRIPTION.txt
  annotations:
    $json: ./backstage/annotations.json
  links:
    $yaml: backstage/links.yaml
spec:
  type: service
  lifecycle: production
  owner: group:payments-team
  schema:
    $ref: "#/definitions/order"
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: payments-team
  description:
    $text: TEAM.md
spec:
  type: team
  profile:
    displayName: Payments
"""


def _substituted(tmp_path: Path) -> Path:
    (tmp_path / "backstage").mkdir()
    (tmp_path / "DESCRIPTION.txt").write_text("Takes the money for orders.\n")
    (tmp_path / "TEAM.md").write_text("Runs checkout and the ledger.\n")
    (tmp_path / "backstage" / "annotations.json").write_text('{"servicebook.dev/tier": "1"}\n')
    (tmp_path / "backstage" / "links.yaml").write_text("- url: https://runbooks.example/checkout\n  title: Runbook\n")
    return _file(tmp_path, SUBSTITUTED, "catalog-info.yaml")


def test_a_substitution_beside_the_file_is_read_as_backstage_reads_it(run, site_copy, tmp_path) -> None:
    # each was "dropped … (a substitution is not followed: write the value)": the summary guessed from the
    # name, the team's mission made up, the links and annotations lost
    file = _substituted(tmp_path)
    result = run("import", "backstage", file)
    assert result.exit_code == 0, result.output
    fragment = yaml.safe_load(result.stdout)
    offering = fragment["offerings"][0]
    assert offering["summary"] == "Takes the money for orders."  # the text, less its file's last line end
    assert offering["tier"] == "1"  # servicebook's own annotation, from the JSON file
    assert offering["links"] == [{"title": "Runbook", "url": "https://runbooks.example/checkout"}]
    assert fragment["team"]["mission"] == "Runs checkout and the ledger."
    assert "a substitution not followed" not in result.stderr
    assert "$ref" not in result.stderr  # a JSON Schema's reference is no substitution: left as it is
    assert "summary from its title" not in result.stderr
    # the whole of an entity's metadata in a file of its own, its name included, as Backstage takes it
    (tmp_path / "meta.yaml").write_text("name: ledger\ndescription: Keeps the books.\n")
    whole = _file(
        tmp_path,
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  $yaml: ./meta.yaml\nspec:\n"
        "  type: service\n  lifecycle: production\n  owner: group:payments-team\n",
        "ledger.yaml",
    )
    ledger = run("import", "backstage", whole)
    assert ledger.exit_code == 0, ledger.output
    assert [(o["id"], o["summary"]) for o in yaml.safe_load(ledger.stdout)["offerings"]] == [
        ("ledger", "Keeps the books.")
    ]
    # import → build → export → re-import: the values the files held travel as values
    site = site_copy("minimal")
    catalog = yaml.safe_load((site / "catalog.yaml").read_text())
    catalog["site"]["base_url"] = "https://platform.example/"
    for key in ("team", "offerings", "portals"):
        catalog[key] = fragment[key]
    (site / "catalog.yaml").write_text(yaml.safe_dump(catalog, sort_keys=False))
    shutil.rmtree(site / "content")  # its page names the minimal site's offering
    built = run("build", "--source", site)
    assert built.exit_code == 0, built.output
    exported = run("export", "backstage", "--source", site)
    assert exported.exit_code == 0, exported.output
    again = run("import", "backstage", _file(tmp_path, exported.stdout, "exported.yaml"))
    assert again.exit_code == 0, again.output
    back = yaml.safe_load(again.stdout)["offerings"][0]
    assert (back["summary"], back["tier"], back["links"]) == (offering["summary"], "1", offering["links"])


def test_a_substitution_that_would_leave_the_folder_is_not_followed_and_said(run, env, tmp_path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (tmp_path / "secret.txt").write_text("not the team's\n")
    (repo / "link.txt").symlink_to(tmp_path / "secret.txt")
    text = (
        SUBSTITUTED.replace("./DESCRIPTION.txt", "../secret.txt")
        .replace("./backstage/annotations.json", "https://example.com/annotations.json")
        .replace("backstage/links.yaml", "/etc/hostname")
        .replace("TEAM.md", "link.txt")
    )
    file = _file(repo, text, "catalog-info.yaml")
    result = run("import", "backstage", file)
    assert result.exit_code == 0, result.output
    assert "not the team's" not in result.stdout
    for key, why in (
        ("$text: ../secret.txt", "../secret.txt is outside the folder of " + str(file)),
        ("$json: https://example.com/annotations.json", "a URL is not fetched"),
        ("$yaml: /etc/hostname", "an absolute path"),
        ("$text: link.txt", "link.txt is outside the folder of " + str(file)),  # a link out of it
    ):
        name, _, target = key.partition(": ")
        label = "Group 'payments-team'" if target == "link.txt" else "Component 'checkout'"
        assert (
            f"{file}:{_key(text, name, 1 if target == 'link.txt' else 0)}: warning: dropped {label}: {name} {target} "
            f"(a substitution not followed: {why})"
        ) in result.stderr
    piped = CliRunner().invoke(main, ["import", "backstage", "-"], input=SUBSTITUTED, env=env)
    assert piped.exit_code == 0, piped.output
    assert (
        "<stdin>:6:5: warning: dropped Component 'checkout': $text ./DESCRIPTION.txt (a substitution not followed: "
        "read from standard input or a pipe, there is no folder to read it from)"
    ) in piped.stderr


def test_a_substitution_backstage_could_not_read_is_an_error_where_it_is(run, tmp_path) -> None:
    # Backstage fails the entity ("Placeholder $text could not read location …", "expected to find exactly one
    # document"): so does the import, at the substitution, naming the file and what is wrong with it
    file = _substituted(tmp_path)
    (tmp_path / "DESCRIPTION.txt").unlink()
    (tmp_path / "backstage" / "annotations.json").write_text('{"servicebook.dev/tier": "1",}\n')
    (tmp_path / "backstage" / "links.yaml").write_text("- url: https://a.example\n---\n- url: https://b.example\n")
    (tmp_path / "TEAM.md").unlink()
    os.mkfifo(tmp_path / "TEAM.md")  # a pipe, which no one writes: read, the import would wait for ever
    result = run("import", "backstage", file)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert (
        f"{file}:6:5: error: Component 'checkout': $text ./DESCRIPTION.txt: {tmp_path}/DESCRIPTION.txt: file not found"
    ) in result.stderr
    assert f"{file}:8:5: error: Component 'checkout': $json ./backstage/annotations.json: {tmp_path}/backstage/" in (
        result.stderr
    )
    assert (
        f"{file}:10:5: error: Component 'checkout': $yaml backstage/links.yaml: {tmp_path}/backstage/links.yaml holds "
        "2 YAML documents, and a $yaml substitution reads exactly one"
    ) in result.stderr
    assert f"error: Group 'payments-team': $text TEAM.md: {tmp_path}/TEAM.md: is not a regular file" in result.stderr
    assert "Traceback" not in result.output


# --- Backstage: a team's APIs, and who consumes them -------------------------------------------------------

# After Backstage's "Descriptor Format of Catalog Entities" (a Domain, an API a Component provides, a Resource
# that is a dependencyOf it, another team's Component that consumes the API); written here, not copied
APIS = """---
# the commerce domain
apiVersion: backstage.io/v1alpha1
kind: Domain
metadata:
  name: commerce
spec:
  owner: group:payments
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: checkout-api
spec:
  type: openapi
  lifecycle: production
  owner: group:payments
  definition: |
    openapi: 3.0.0
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
  description: Takes orders.
spec:
  type: service
  lifecycle: production
  owner: group:payments
  providesApis: [checkout-api]
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: storefront
  description: Sells.
spec:
  type: website
  lifecycle: production
  owner: group:web
  consumesApis: [API:default/Checkout-API, search-api]
---
# retired: the old cart
"""


def test_an_offering_consuming_an_api_another_provides_depends_on_it(run, site_copy, tmp_path) -> None:
    # `consumesApis` was dropped with the API: the storefront's reliance on checkout, which Backstage shows on
    # both entities, was lost through import → export
    file = _file(tmp_path, APIS, "catalog-info.yaml")
    result = run("import", "backstage", file)
    assert result.exit_code == 0, result.output
    fragment = yaml.safe_load(result.stdout)
    offerings = {o["id"]: o for o in fragment["offerings"]}
    assert offerings["storefront"]["depends_on"] == ["checkout"]
    consumes = _key(APIS, "consumesApis")
    consumes = f"{consumes.split(':')[0]}:{int(consumes.split(':')[1]) + len('consumesApis: ')}"
    assert (
        f"{file}:{consumes}: warning: guessed offering 'storefront' depends on checkout: it consumes API "
        "API:default/Checkout-API, which Component 'checkout' provides"
    ) in result.stderr
    assert (
        f"{file}:{consumes}: warning: dropped Component 'storefront': consumesApis search-api (no offering read "
        "provides it)"
    ) in result.stderr
    # import → build → export → re-import: Backstage's dependsOn, read back as the same dependency
    site = site_copy("minimal")
    catalog = yaml.safe_load((site / "catalog.yaml").read_text())
    catalog["site"]["base_url"] = "https://platform.example/"
    catalog["offerings"], catalog["portals"] = fragment["offerings"], fragment["portals"]
    for offering in catalog["offerings"]:
        offering["owner"] = catalog["team"]["name"]
    catalog["portals"]["backstage"]["owners"] = [{"owner": catalog["team"]["name"], "ref": "group:payments"}]
    (site / "catalog.yaml").write_text(yaml.safe_dump(catalog, sort_keys=False))
    shutil.rmtree(site / "content")  # its page names the minimal site's offering
    assert run("build", "--source", site).exit_code == 0
    exported = run("export", "backstage", "--source", site)
    assert exported.exit_code == 0, exported.output
    entities = {e["metadata"]["name"]: e for e in yaml.safe_load_all(exported.stdout) if e}
    assert entities["storefront"]["spec"]["dependsOn"] == ["component:default/checkout"]
    again = run("import", "backstage", _file(tmp_path, exported.stdout, "exported.yaml"))
    assert {o["id"]: o.get("depends_on") for o in yaml.safe_load(again.stdout)["offerings"]}["storefront"] == [
        "checkout"
    ]


# --- Sloth resources as a kustomize tree keeps them -----------------------------------------------------------

# In the shape of a user's GitOps repository (a Sloth resource in a kustomize base whose queries hold
# `$namespace`, which each overlay's patch replaces; seen in a user's docs in the code corpus, licence not
# stated: written anew)
BASE = """apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata:
  name: users-api-availability
  labels:
    release: kube-prom-stack
spec:
  service: "users-api"
  slos:
    - name: "availability"
      objective: 99.9   # the same in every environment
      description: "Requests that do not return 5xx"
      sli:
        events:
          errorQuery: sum(rate(http_request_duration_seconds_count{status=~"5..",namespace="$namespace"}[{{.window}}]))
          totalQuery: sum(rate(http_request_duration_seconds_count{namespace="${namespace}"}[{{.window}}]))
"""
PATCH = """apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata:
  name: users-api-availability
spec:
  slos:
    - name: "availability"
      sli:
        events:
          errorQuery: sum(rate(http_request_duration_seconds_count{status=~"5..",namespace="users-prod"}[{{.window}}]))
          totalQuery: sum(rate(http_request_duration_seconds_count{namespace="users-prod"}[{{.window}}]))
"""


def test_a_query_holding_another_tool_s_variable_is_said(run, tmp_path) -> None:
    # read without a word: the catalog's SLO measured series labelled namespace="$namespace", which none is
    file = _file(tmp_path, BASE)
    result = run("import", "sloth", file)
    assert result.exit_code == 0, result.output
    assert (
        f"{file}:10:13: warning: the queries of Sloth SLO 'availability' hold $namespace, ${{namespace}}, a variable "
        "another tool fills in (Grafana, kustomize, envsubst, a Helm template): Prometheus reads it as the text "
        "written, and measures nothing"
    ) in result.stderr
    # pasted as imported: `check` warns at each query (`--strict` fails), as `measure` would find no series
    site = _pasted(yaml.safe_load(result.stdout)["offerings"], tmp_path)
    checked = run("check", "--source", site)
    assert checked.exit_code == 0, checked.output
    assert (
        "warning: 'errors' holds $namespace, a variable another tool fills in (Grafana, kustomize, envsubst, a Helm "
        "template): Prometheus reads it as the text written, and `measure` finds no series"
    ) in checked.stderr
    assert "warning: 'total' holds ${namespace}, a variable" in checked.stderr
    assert run("check", "--strict", "--source", site).exit_code == 1
    # Grafana's own, in an OpenSLO query copied from a dashboard; label_replace's $1 is PromQL's own
    grafana = OPENSLO.replace(
        'query: http_requests_total{job="checkout"}',
        'query: sum(label_replace(rate(http_requests_total{job="checkout"}[$__rate_interval]), "x", "$1", "job", "(.*)"))',
    )
    said = run("import", "openslo", _file(tmp_path, grafana, "grafana.yaml"))
    assert "hold $__rate_interval, a variable" in said.stderr
    assert "$1" not in said.stderr.split("hold ")[1].split(", a variable")[0]
    assert "a variable another tool fills in" not in run("import", "sloth", _file(tmp_path, PATCH.replace(
        "spec:\n", 'spec:\n  service: "users-api"\n').replace('      sli:', '      objective: 99.9\n      sli:'),
        "rendered.yaml")).stderr  # fmt: skip


def test_check_against_a_file_whose_query_holds_another_tool_s_variable_says_so(run, tmp_path) -> None:
    """`import` and `check` say a query holding `$namespace`; `check --against` the same file said
    nothing, and counted the SLO as measured there as promised: Prometheus measures nothing there.
    It says so at the file's SLO when that SLO is one of the catalog's, not counting it, and leaves
    another team's SLO alone."""
    monitoring = tmp_path / "monitoring"
    monitoring.mkdir()
    file = _file(monitoring, BASE)
    imported = run("import", "sloth", file)
    site = _pasted(yaml.safe_load(imported.stdout)["offerings"], tmp_path)
    catalog = site / "catalog.yaml"  # the catalog measures the rendered series: plain `check` has nothing to say
    catalog.write_text(catalog.read_text().replace("${namespace}", "users-prod").replace("$namespace", "users-prod"))
    assert "a variable" not in run("check", "--source", site).stderr
    said = (
        f"{file}:10:13: warning: the queries of Sloth SLO 'availability' hold $namespace, ${{namespace}}, a variable "
        "another tool fills in (Grafana, kustomize, envsubst, a Helm template): Prometheus reads it as the text "
        "written, and measures nothing"
    )
    checked = run("check", "--source", site, "--against", monitoring)
    assert checked.exit_code == 0, checked.output
    assert said in checked.stderr
    assert "(1 YAML file): 0 of 2 SLOs measured there as the catalog promises." in checked.stdout  # not 1 of 2
    # another team's SLO in the same folder: not the catalog's, not said
    file.write_text(BASE.replace('service: "users-api"', 'service: "billing"'))
    others = run("check", "--source", site, "--against", monitoring)
    assert "a variable" not in others.stderr, others.stderr


def test_a_kustomize_patch_of_a_sloth_resource_is_named_with_what_to_read(run, tmp_path) -> None:
    # an overlay's patch (no spec.service, no objective) failed as "'spec' has no 'service'"
    file = _file(tmp_path, PATCH, "patch.yaml")
    result = run("import", "sloth", file)
    assert result.exit_code == 1
    assert (
        f"{file}:6:3: error: the resource has no spec.service: a patch of it (as a kustomize overlay's patch writes "
        "one) is not a whole Sloth resource"
    ) in result.stderr
    assert "hint: read the resources as they are applied: kustomize build OVERLAY > slos.yaml" in result.stderr


# --- Sloth's own Kubernetes resources, vendored ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["sloth-k8s-getting-started.yml", "sloth-slo-plugin-k8s-getting-started.yml"])
def test_a_sloth_resource_goes_through_import_build_check_export_and_back(run, tmp_path, name) -> None:
    # slok/sloth's examples as Kubernetes resources (`errorQuery`, `pageAlert`, the resource's `sloPlugins` and
    # an SLO's `plugins` chains): every field is Sloth's, the plugins said to leave the promise as it is
    file = INTEROP / name
    text = file.read_text()
    imported = run("import", "sloth", file)
    assert imported.exit_code == 0, imported.output
    assert "no field of" not in imported.stderr
    offerings = yaml.safe_load(imported.stdout)["offerings"]
    (offering,) = offerings
    assert (offering["id"], offering["owner"], offering["tier"]) == ("myservice", "myteam", "2")
    (slo,) = offering["slos"]
    assert (slo["id"], slo["objective"], slo["window"]) == ("requests-availability", 99.9, "30d")
    if "sloPlugins" in text:
        assert imported.stderr.count("the catalog's promise is the same without them") == 2
    site = _pasted(offerings, tmp_path)
    assert run("build", "--source", site).exit_code == 0
    checked = run("check", "--source", site, "--against", _monitoring(tmp_path, {name: text}))
    assert checked.exit_code == 0, checked.output
    assert "1 of 2 SLOs measured there as the catalog promises" in checked.stdout
    exported = run("export", "sloth", "--source", site, "--offering", "myservice")
    assert exported.exit_code == 0, exported.output
    back = run("import", "sloth", _file(tmp_path, exported.stdout, "exported.yaml"))
    assert back.exit_code == 0, back.output
    (again,) = yaml.safe_load(back.stdout)["offerings"]
    assert again["slos"][0]["measurement"] == slo["measurement"]
    assert again["slos"][0]["objective"] == slo["objective"]


def _crd_fields(schema: dict, path: str = "") -> set[str]:
    """Every field path an OpenAPI schema of a CustomResourceDefinition has (`spec.indicator.ratio.errors`)."""
    out = set()
    for name, inner in schema.get("properties", {}).items():
        here = f"{path}.{name}" if path else name
        out.add(here)
        out |= _crd_fields(inner.get("items", inner), here)
    return out


def _closed_fields(schema, path: str = "") -> set[str]:
    out = set()
    for name, inner in schema.items():
        here = f"{path}.{name}" if path else name
        out.add(here)
        if inner is not None:
            out |= _closed_fields(inner, here)
    return out


def test_the_fields_said_to_be_pyrra_s_are_its_custom_resource_definition_s(run) -> None:
    # Pyrra's own CRD (vendored): a key it has is never said to be no field of Pyrra's; the two said beside it
    # are later Pyrra's (partial_response_strategy) and its dynamic burn rates' (burnRateType)
    crd = yaml.safe_load((INTEROP / "crd-pyrra-servicelevelobjectives.yaml").read_text())
    (version,) = crd["spec"]["versions"]
    theirs = _crd_fields(version["schema"]["openAPIV3Schema"])
    ours = _closed_fields(closed.PYRRA)
    open_at = {p for p in ours if p in ("metadata", "status")}  # Kubernetes' own, not checked
    assert {p for p in theirs if p.split(".")[0] not in open_at} <= ours
    assert ours - theirs == {"spec.partial_response_strategy", "spec.alerting.burnRateType"}


def test_the_fields_said_to_be_sloth_s_are_its_custom_resource_definition_s() -> None:
    # Sloth's CRD (vendored, of a release before its plugins chains): every field of it is one of Sloth's to
    # servicebook, which knows the later ones too (sloPlugins, an SLO's plugins, interval, infoLabels)
    crd = next(d for d in yaml.safe_load_all((INTEROP / "crd-sloth-prometheusservicelevels.yaml").read_text()) if d)
    (version,) = crd["spec"]["versions"]
    theirs = _crd_fields(version["schema"]["openAPIV3Schema"])
    ours = _closed_fields(closed.SLOTH_RESOURCE)
    assert {p for p in theirs if p.split(".")[0] not in ("metadata", "status")} <= ours
    assert {"spec.sloPlugins", "spec.slos.plugins", "spec.slos.interval"} <= ours - theirs
