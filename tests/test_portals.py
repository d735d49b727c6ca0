"""Backstage entities and tech-radar data: what `export` writes is accepted by the real validators
(the JSON Schemas of @backstage/catalog-model, the tech-radar plugin's own parser, installed from
npm by `make npm`) and by the rules the Backstage docs state beside them; `import` turns them
back into a catalog fragment, strictly; the site publishes them when the catalog asks."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import lxml.html
import pytest
import referencing
import referencing.jsonschema
import yaml
from markdown_it import MarkdownIt

from servicebook import routes
from servicebook.catalog import model
from servicebook.catalog.validate import read_record
from servicebook.git.diff import diff_catalogs
from servicebook.interop import fragment
from servicebook.source.yaml import SourceText, parse_yaml
from tests.conftest import REPO, SITES, GitSite, require_component

NPM = REPO / "tests" / "npm"
INSTALL = "run `make npm` (needs node and npm: apt-get install nodejs npm)"


def _node(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    require_component(node and (NPM / "node_modules" / ".installed").exists(), "node with tests/npm installed", INSTALL)
    return subprocess.run([node, *args], cwd=NPM, capture_output=True, text=True, check=False, input=stdin)  # type: ignore[list-item]


@cache
def _schemas() -> dict[str, Any]:
    done = _node("schemas.js")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _validator(kind: str) -> jsonschema.Draft7Validator:
    schemas = _schemas()
    registry: referencing.Registry[Any] = referencing.Registry().with_resources(
        (sid, referencing.Resource.from_contents(s, default_specification=referencing.jsonschema.DRAFT7))
        for sid, s in schemas.items()
    )
    return jsonschema.Draft7Validator(schemas[f"{kind}V1alpha1"], registry=registry)


# The rules of "Descriptor Format of Catalog Entities" (backstage.io/docs/features/software-catalog/
# descriptor-format) that the schemas leave out, as the docs state them.
NAME = re.compile(r"[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*")  # 1-63 characters
NAMESPACE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # a DNS label, at most 63
DNS_SUBDOMAIN = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)*")  # an annotation key's prefix, at most 253
TAG = re.compile(r"[a-z0-9:+#]+(?:-[a-z0-9:+#]+)*")  # at most 63
REF = re.compile(r"(?:(?P<kind>[A-Za-z][A-Za-z0-9]*):)?(?:(?P<ns>[a-z0-9-]+)/)?(?P<name>[^:/]+)")


def _descriptor_rule_breaches(entity: dict[str, Any]) -> list[str]:
    out = []
    meta = entity["metadata"]
    if not (len(meta["name"]) <= 63 and NAME.fullmatch(meta["name"])):
        out.append(f"name {meta['name']!r}")
    ns = meta.get("namespace", "default")
    if not (len(ns) <= 63 and NAMESPACE.fullmatch(ns)):
        out.append(f"namespace {ns!r}")
    for key, value in meta.get("annotations", {}).items():
        prefix, _, name = key.rpartition("/")
        if prefix and not (len(prefix) <= 253 and DNS_SUBDOMAIN.fullmatch(prefix)):
            out.append(f"annotation prefix {key!r}")
        if not (len(name) <= 63 and NAME.fullmatch(name)):
            out.append(f"annotation name {key!r}")
        if not isinstance(value, str):
            out.append(f"annotation value of {key!r} is not a string")
    for tag in meta.get("tags", []):
        if not (len(tag) <= 63 and TAG.fullmatch(tag)):
            out.append(f"tag {tag!r}")
    for link in meta.get("links", []):  # "a url in a standard uri format": Backstage's own file has http://
        if not re.match(r"https?://[^\s/]", link["url"]):
            out.append(f"link {link['url']!r}")
    return out


def _export(run: Callable[..., Any], source: Path) -> list[dict[str, Any]]:
    result = run("export", "backstage", "--source", source)
    assert result.exit_code == 0, result.output
    return [d for d in yaml.safe_load_all(result.stdout) if d is not None]


PORTALS = """
portals:
  backstage:
    owners:
      - owner: Platform Team
        ref: group:default/platform-team
  techradar:
    formats: [backstage, zalando, aoe]
"""


def _with_portals(root: Path, extra: str = PORTALS, base_url: bool = True) -> None:
    catalog = root / "catalog.yaml"
    text = catalog.read_text()
    if base_url:
        text = text.replace(
            "  title: Platform services\n", "  title: Platform services\n  base_url: https://platform.example/\n"
        )
    catalog.write_text(text + extra)


# --- Backstage: the export ----------------------------------------------------------------------


def test_every_exported_entity_is_valid_by_the_catalog_model_schemas_and_the_descriptor_rules(run, site_copy) -> None:
    entities = _export(run, site_copy("example"))
    kinds = [e["kind"] for e in entities]
    assert kinds[:2] == ["Group", "System"] and set(kinds[2:]) == {"Component", "Resource"}
    for entity in entities:
        errors = [e.message for e in _validator(entity["kind"]).iter_errors(entity)]
        assert errors == [], (entity["metadata"]["name"], errors)
        assert _descriptor_rule_breaches(entity) == [], entity["metadata"]["name"]
    # every reference between them names an entity of the stream (owners are the teams' own groups)
    names = {f"{e['kind'].lower()}:{e['metadata']['namespace']}/{e['metadata']['name']}" for e in entities}
    for entity in entities:
        for ref in [entity["spec"].get("system"), *entity["spec"].get("dependsOn", [])]:
            if ref is not None:
                assert ref in names, ref


def test_an_offering_carries_what_backstage_has_no_field_for_under_servicebook_annotations(run, site_copy) -> None:
    entities = {e["metadata"]["name"]: e for e in _export(run, site_copy("example"))}
    ci = entities["ci-pipelines"]
    assert ci["kind"] == "Component" and ci["spec"]["type"] == "service"
    assert ci["spec"]["lifecycle"] == "production"  # ga
    assert ci["spec"]["owner"] == "group:default/delivery-tooling"  # mapped from the owner's free text
    notes = ci["metadata"]["annotations"]
    assert notes["servicebook.dev/tier"] == "1" and "tier-1" in ci["metadata"]["tags"]
    assert notes["servicebook.dev/support-hours"] == "mon-fri 08:00-18:00 Europe/Zurich"
    slos = json.loads(notes["servicebook.dev/slos"])
    assert slos[0]["objective"] == "99.9" and slos[0]["window"] == "30d"
    assert slos[0]["error_budget"] == "43 min 12 s" and slos[0]["error_budget_seconds"] == 2592
    unsupported = json.loads(notes["servicebook.dev/unsupported-tools"])
    assert {"id": "jenkins", "name": "Jenkins", "status": "unsupported", "alternative": "ci-pipelines"} in unsupported
    assert ci["metadata"]["links"][0] == {
        "url": "https://platform.acme-bank.example/offerings/ci-pipelines/",
        "title": "Service catalog",
        "type": "servicebook-page",
    }
    assert entities["artifact-registry"]["kind"] == "Resource"  # listed under portals.backstage.resources
    assert "component:default/artifact-registry" not in json.dumps(entities)  # referred to as a resource
    legacy = entities["legacy-jenkins"]
    assert legacy["spec"]["lifecycle"] == "deprecated"


@pytest.mark.parametrize(
    ("lifecycle", "backstage", "annotation"),
    [("beta", "experimental", "beta"), ("ga", "production", "ga"), ("deprecated", "deprecated", "deprecated"),
     ("retired", "deprecated", "retired")],
)  # fmt: skip
def test_lifecycles_map_to_backstage_and_retired_stays_deprecated_with_its_own_annotation(
    run, site_copy, lifecycle: str, backstage: str, annotation: str
) -> None:
    root = site_copy("minimal")
    _with_portals(root)
    catalog = root / "catalog.yaml"
    catalog.write_text(
        catalog.read_text().replace(
            "    lifecycle: ga\n",
            f"    lifecycle: {lifecycle}\n    sunset: 2027-01-01\n"
            if lifecycle == "deprecated"
            else f"    lifecycle: {lifecycle}\n",
        )
    )
    (ci,) = [e for e in _export(run, root) if e["kind"] == "Component"]
    assert ci["spec"]["lifecycle"] == backstage
    assert ci["metadata"]["annotations"]["servicebook.dev/lifecycle"] == annotation


def _owned_by(root: Path, owner: str) -> None:
    """The minimal site's offering owned by `owner`, not by the team (whose name needs no mapping)."""
    catalog = root / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("    owner: Platform Team\n", f"    owner: {owner}\n"))


def test_an_owner_left_unmapped_is_a_located_error_naming_it(run, site_copy) -> None:
    root = site_copy("minimal")
    _with_portals(
        root,
        PORTALS.replace(
            "      - owner: Platform Team\n        ref: group:default/platform-team\n",
            "      - owner: Someone Else\n        ref: group:default/else\n",
        ),
    )
    _owned_by(root, "Pipelines Crew")
    result = run("check", "--source", root)
    assert result.exit_code == 1
    assert (
        "catalog.yaml:50:12: error: owner 'Pipelines Crew' has no Backstage entity reference (owns ci)" in result.output
    )
    assert "group:default/pipelines-crew" in result.output  # the hint says what to add


def test_the_teams_own_name_as_an_owner_is_its_group_without_a_mapping(run, tmp_path: Path) -> None:
    """An offering the team itself owns (init's starter: `owner:` the team's name) is owned by the
    team's Group, which the export writes: export backstage of a new catalog asked for
    portals.backstage.owners to map the team's name to that very Group (newuser21)."""
    settings = {
        "none": "",  # no portals section: `export backstage` alone
        "named": "portals:\n  backstage:\n    namespace: payments\n    group: platform-people\n",
        "mapped": PORTALS.replace("group:default/platform-team", "group:default/someone-else"),
    }
    owners = {}
    for name, extra in settings.items():
        root = shutil.copytree(SITES / "minimal", tmp_path / name)
        _with_portals(root, extra)
        assert run("check", "--source", root).exit_code == 0
        entities = _export(run, root)
        (system,) = [e for e in entities if e["kind"] == "System"]
        (ci,) = [e for e in entities if e["kind"] == "Component"]
        owners[name] = (ci["spec"]["owner"], system["spec"]["owner"])
    assert owners == {
        "none": ("group:default/platform-team", "group:default/platform-team"),
        "named": ("group:payments/platform-people", "group:payments/platform-people"),
        "mapped": ("group:default/someone-else", "group:default/platform-team"),  # a mapping is the team's to make
    }


@pytest.mark.parametrize("owner", ["Ops: nights # eu", "yes", "- team", "Pipelines Crew"])
def test_the_owner_in_the_hint_to_map_it_reads_back_as_itself_when_pasted(run, site_copy, owner: str) -> None:
    """The hint's `owner:` is pasted into catalog.yaml: an owner written there as it is would
    read back as another value (`Ops: nights # eu` a mapping with a comment, `yes` true)."""
    root = site_copy("minimal")
    _with_portals(root, "")
    catalog = root / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("owner: Platform Team", f"owner: {json.dumps(owner)}"))
    result = run("export", "backstage", "--source", root)
    assert result.exit_code == 1, result.output
    (hint,) = [line for line in result.output.splitlines() if "hint: add it under portals.backstage.owners" in line]
    written = hint.partition("- owner: ")[2].rpartition(" / ref: ")[0]
    assert yaml.safe_load(f"owner: {written}\n") == {"owner": owner}


def test_export_without_owner_mapping_names_every_owner_to_map_where_it_is(run, site_copy) -> None:
    """A catalog that publishes no Backstage entities: the export names each owner to map at its
    line, as check does for one that does (it said which, but not where)."""
    root = site_copy("minimal")
    _with_portals(root, "")
    _owned_by(root, "Pipelines Crew")
    result = run("export", "backstage", "--source", root)
    assert result.exit_code == 1
    assert result.output == (
        f"{root}/catalog.yaml:50:12: error: owner 'Pipelines Crew' has no Backstage entity reference (owns ci)\n"
        " 50 |     owner: Pipelines Crew\n"
        "    |            ^\n"
        "  hint: add it under portals.backstage.owners: - owner: Pipelines Crew / ref: group:default/pipelines-crew\n"
        "export failed: 1 error; nothing was written.\n"
    )


def test_export_without_base_url_says_where_to_set_it(run, site_copy) -> None:
    root = site_copy("minimal")
    _with_portals(root, "", base_url=False)
    result = run("export", "backstage", "--source", root)
    assert result.exit_code == 1
    assert (
        f"{root}/catalog.yaml:5:3: error: the Backstage entities link each offering to its page on the published "
        "site, but site.base_url is not set\n"
    ) in result.output
    assert (
        "  hint: add 'base_url:' (where the site is published) under 'site:'; to try the export before the site is "
        "published, give its address with `export backstage --base-url URL`\n"
    ) in result.output


def test_export_before_the_site_is_published_takes_its_address_from_base_url(run, site_copy) -> None:
    root = site_copy("minimal")
    _with_portals(root, "", base_url=False)
    result = run("export", "backstage", "--source", root, "--base-url", "http://127.0.0.1:8000/")
    assert result.exit_code == 0, result.output
    assert "  - url: http://127.0.0.1:8000/offerings/ci/\n" in result.stdout
    refused = run("export", "backstage", "--source", root, "--base-url", "ftp://catalog.example.com/")
    assert refused.exit_code == 2
    assert refused.output == (
        "error: --base-url 'ftp://catalog.example.com/': the site's address must be an https:// or http:// address\n"
    )


def test_an_owner_reference_that_backstage_would_refuse_is_an_error(run, site_copy) -> None:
    root = site_copy("minimal")
    _with_portals(root, PORTALS.replace("group:default/platform-team", "group:Default/platform team"))
    result = run("check", "--source", root)
    assert result.exit_code == 1
    assert "is not a Backstage entity reference: 'Default' is not a Backstage namespace" in result.output


def test_the_export_is_the_same_bytes_every_time_and_split_lists_every_entity_in_a_location(
    run, site_copy, tmp_path: Path
) -> None:
    root = site_copy("example")
    first = run("export", "backstage", "--source", root).stdout
    assert run("export", "backstage", "--source", root).stdout == first
    out = tmp_path / "split"
    assert run("export", "backstage", "--source", root, "--split", out).exit_code == 0
    location = yaml.safe_load((out / "catalog-info.yaml").read_text())
    assert location["kind"] == "Location" and _validator("Location").is_valid(location)
    targets = location["spec"]["targets"]
    assert sorted(Path(t).name for t in targets) == sorted(
        p.name for p in out.iterdir() if p.name != "catalog-info.yaml"
    )
    joined = [yaml.safe_load((out / t).read_text()) for t in targets]
    assert joined == list(yaml.safe_load_all(first))
    again = run("export", "backstage", "--source", root, "--split", out)
    assert again.exit_code == 2 and "already exist" in again.output  # never written over


# --- Backstage: the import ----------------------------------------------------------------------


def _offerings_of(fragment: str) -> list[model.Offering]:
    source = SourceText("fragment.yaml", fragment)
    node = parse_yaml(source)
    offerings = next(value for key, value in node.items if key.value == "offerings")  # type: ignore[union-attr]
    out = []
    for item in offerings.items:  # type: ignore[union-attr]
        checked, problems = read_record(source, item, model.Offering, "offering")
        assert problems == [] and checked is not None
        out.append(checked.value)
    return out


def test_export_then_import_gives_back_every_offering_field_backstage_holds(run, site_copy, tmp_path: Path) -> None:
    root = site_copy("example")
    exported = tmp_path / "catalog-info.yaml"
    exported.write_text(run("export", "backstage", "--source", root).stdout)
    result = run("import", "backstage", exported)
    assert result.exit_code == 0, result.output
    back = _offerings_of(result.stdout)
    source = SourceText("catalog.yaml", (root / "catalog.yaml").read_text())
    checked, _ = read_record(source, parse_yaml(source), model.Catalog, "catalog")
    assert checked is not None
    # support overrides travel only as the hours' text: the report lists them as dropped
    expected = [o.__class__(**{**_fields(o), "support": None}) for o in checked.value.offerings]
    assert back == expected
    assert "warning: dropped Component 'ci-pipelines'" in result.stderr
    assert run("import", "backstage", exported).stdout == result.stdout  # deterministic
    assert "resources: [artifact-registry" not in result.stdout and "- artifact-registry" in result.stdout


def _fields(o: model.Offering) -> dict[str, Any]:
    return {f: getattr(o, f) for f in o.__slots__}  # type: ignore[attr-defined]


PLAIN = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: Payments_API
  description: Takes payments.
  annotations:
    github.com/project-slug: acme/payments
spec:
  type: service
  lifecycle: experimental
  owner: group:default/payments
  dependsOn: [resource:default/payments-db, api:default/other]
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: payments-db
spec:
  type: database
  owner: group:default/payments
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: payments
spec: {type: openapi, lifecycle: production, owner: payments, definition: "x"}
---
apiVersion: backstage.io/v1alpha1
kind: Widget
metadata:
  name: gadget
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: "not a name!"
spec: {type: service, lifecycle: production, owner: x}
"""


def test_a_plain_backstage_catalog_imports_with_every_guess_and_skip_named(run, tmp_path: Path) -> None:
    file = tmp_path / "catalog-info.yaml"
    file.write_text(PLAIN)
    result = run("import", "backstage", file)
    assert result.exit_code == 0, result.output
    (payments, db) = _offerings_of(result.stdout)
    assert payments.id == "payments-api" and payments.lifecycle is model.Lifecycle.BETA
    assert payments.depends_on == ("payments-db",) and db.id == "payments-db"
    report = result.stderr
    # one form for every note, as the SLO imports write theirs: file:line:col: warning: …
    assert f"{file}:1:1: warning: guessed id 'payments-api' from the Backstage name 'Payments_API'" in report
    assert f"{file}:22:1: warning: skipped API 'payments':" in report
    assert f"{file}:28:1: warning: skipped Widget 'gadget': an unknown kind" in report
    assert f"{file}:33:1: warning: skipped Component 'not a name!': not a valid Backstage name" in report
    assert "warning: dropped Component 'Payments_API': annotation github.com/project-slug" in report
    assert all(line.startswith(f"{file}:") for line in report.splitlines())
    assert "ref: group:default/payments" in result.stdout


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("apiVersion: backstage.io/v1alpha1\nkind: Component\nkind: Resource\n", "3:1: error: duplicate key 'kind'"),
        ("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  <<: {name: a}\n",
         "4:3: error: merge keys (<<) are not allowed"),
        ("apiVersion: !!str backstage.io/v1alpha1\n", "1:13: error: YAML tags (!!str) are not allowed"),
        ("apiVersion: backstage.io/v2\nkind: Component\nmetadata: {name: a}\n",
         "1:13: error: apiVersion 'backstage.io/v2' is not one servicebook reads"),
        ("- not\n- an entity\n", "1:1: error: a Backstage entity must be a mapping"),
        ("apiVersion: [\n", "error:"),
    ],
)  # fmt: skip
def test_bad_backstage_input_is_a_located_error_never_a_traceback(
    run, tmp_path: Path, text: str, expected: str
) -> None:
    file = tmp_path / "in.yaml"
    file.write_text(text)
    result = run("import", "backstage", file)
    assert result.exit_code == 1
    assert expected in result.output and "Traceback" not in result.output
    assert result.stdout == ""  # no fragment when the input is refused


def test_an_oversized_import_is_refused_before_it_is_read(run, tmp_path: Path) -> None:
    file = tmp_path / "huge.yaml"
    with file.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    result = run("import", "backstage", file)
    assert result.exit_code == 1
    assert "file is 52,428,800 bytes; the limit for an import is 8,388,608" in result.output


def test_import_never_writes_over_a_file(run, tmp_path: Path) -> None:
    file = tmp_path / "in.yaml"
    file.write_text(PLAIN)
    target = tmp_path / "fragment.yaml"
    target.write_text("mine\n")
    result = run("import", "backstage", file, "--output", target)
    assert result.exit_code == 2 and "already exists" in result.output
    assert target.read_text() == "mine\n"


@pytest.mark.parametrize("command", ["backstage", "techradar"])
def test_import_output_dash_is_standard_output_and_empty_is_refused(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    file = tmp_path / "in.json"
    file.write_text(
        PLAIN if command == "backstage" else json.dumps([{"name": "Go", "ring": "adopt", "quadrant": "Languages"}])
    )
    monkeypatch.chdir(tmp_path)
    dash = run("import", command, file, "--output", "-")
    assert dash.exit_code == 0, dash.output
    assert dash.stdout == run("import", command, file).stdout != ""  # - is stdout, as export's -o - is
    assert not (tmp_path / "-").exists()
    empty = run("import", command, file, "--output", "")
    assert empty.exit_code == 2 and "--output '' names no file" in empty.output, empty.output
    assert empty.stdout == "" and "Traceback" not in empty.output


# --- Tech radars --------------------------------------------------------------------------------


def _radar(run: Callable[..., Any], root: Path, fmt: str, *extra: str) -> Any:
    result = run("export", "techradar", "--format", fmt, "--source", root, *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_backstage_radar_is_accepted_by_the_plugins_own_parser(run, site_copy, tmp_path: Path) -> None:
    data = _radar(run, site_copy("example"), "backstage", "--no-history")
    file = tmp_path / "radar.json"
    file.write_text(json.dumps(data))
    done = _node("radar.js", str(file))
    assert done.returncode == 0, done.stdout + done.stderr
    assert [q["name"] for q in data["quadrants"]] == ["Delivery", "Testing", "Platform", "Languages and runtimes"]
    jenkins = next(e for e in data["entries"] if e["id"] == "jenkins")
    assert jenkins["timeline"][0]["ringId"] == "hold"
    assert "Use instead: CI/CD pipelines." in jenkins["description"]  # the alternative is not lost
    assert "To be reviewed by 2027-04-30." in jenkins["description"]


def test_the_radar_without_a_quadrant_mapping_refuses_more_than_four_categories(run, site_copy) -> None:
    root = site_copy("example")
    catalog = root / "catalog.yaml"
    text = catalog.read_text()
    catalog.write_text(text[: text.index("  techradar:\n")] + "  techradar:\n    formats: [zalando]\n")
    check = run("check", "--source", root)
    assert check.exit_code == 1
    assert re.search(r"catalog\.yaml:\d+:3: error: a radar has 4 quadrants, but the tools are in 9:", check.output)
    catalog.write_text(text[: text.index("\nportals:\n")] + "\n")
    result = run("export", "techradar", "--format", "backstage", "--source", root, "--no-history")
    assert result.exit_code == 2 and "a radar has 4 quadrants, but the tools are in 9 categories" in result.output


ZALANDO_KEYS = {"quadrant", "ring", "label", "link", "active", "moved"}  # Zalando's config.json entries


def test_the_zalando_radar_has_only_the_documented_entry_fields_and_custom_rings(run, site_copy) -> None:
    root = site_copy("minimal")
    _with_portals(root, PORTALS + "    rings:\n      - status: unsupported\n        ring: Avoid\n")
    data = _radar(run, root, "zalando", "--no-history")
    assert [r["name"] for r in data["rings"]] == ["ADOPT", "TRIAL", "HOLD", "AVOID"]
    for entry in data["entries"]:
        assert set(entry) <= ZALANDO_KEYS and {"quadrant", "ring", "label"} <= set(entry)
        assert entry["quadrant"] in range(4) and entry["ring"] in range(4) and entry["moved"] in (-1, 0, 1, 2)
    assert [(e["label"], e["ring"]) for e in data["entries"]] == [
        ("Shared pipeline templates", 0),
        ("Hand-rolled CI scripts", 3),
    ]


def _zalandos_radar_draws(config: dict[str, Any]) -> list[str]:
    """Why Zalando's `radar_visualization` (docs/radar.js, releases 0.5 to 0.15; MIT, not on npm, so
    its contract is restated here from its source) would fail on `config`, or nothing. It draws four
    quadrants and four rings whatever it is given: fixed radii for rings 0-3, a legend that reads
    `config.quadrants[q].name` for q in 0-3 and `config.rings[r].name` for r in 0-3 (a TypeError
    on `undefined.name` when either list is shorter), an entry's colour from
    `config.rings[entry.ring].color` and its place in `segmented[entry.quadrant][entry.ring]` (4 x 4)."""
    out = []
    for key, needs in (("quadrants", ("name",)), ("rings", ("name", "color"))):
        given = config.get(key, [])
        for n in range(4):
            if n >= len(given) or any(not isinstance(given[n].get(field), str) for field in needs):
                out.append(f"config.{key}[{n}] has no {' and '.join(needs)}")
    for entry in config["entries"]:
        if entry["quadrant"] not in range(4) or entry["ring"] not in range(4):
            out.append(f"{entry['label']}: quadrant {entry['quadrant']}, ring {entry['ring']} is off the 4 x 4 grid")
        if entry.get("moved", 0) not in (-1, 0, 1, 2):
            out.append(f"{entry['label']}: moved {entry['moved']}")
    return out


RING_MAPPINGS = {  # portals.techradar.rings giving 1 to 4 rings in use
    1: [("best-effort", "Adopt"), ("deprecated", "Adopt"), ("unsupported", "Adopt")],
    2: [("best-effort", "Adopt"), ("deprecated", "Hold")],
    3: [],  # the default rings: Adopt, Trial, Hold
    4: [("unsupported", "Avoid")],
}


@pytest.mark.parametrize("categories", [1, 2, 3, 4])
@pytest.mark.parametrize("rings", [1, 2, 3, 4])
def test_the_zalando_radar_draws_in_zalandos_radar_with_any_number_of_categories_and_rings(
    run, site_copy, categories: int, rings: int
) -> None:
    root = site_copy("minimal")
    catalog = root / "catalog.yaml"
    extra = range(2, categories + 1)
    text = catalog.read_text().replace(
        "    name: Continuous integration\n",
        "    name: Continuous integration\n" + "".join(f"  - id: c{n}\n    name: Category {n}\n" for n in extra),
    )
    text += "".join(
        f"  - id: tool-{n}\n    name: Tool {n}\n    category: c{n}\n    status: best-effort\n"
        f"    reason: Tried by one team.\n    since: 2026-01-01\n"
        for n in extra
    )
    catalog.write_text(text)
    mapping = "".join(f"      - status: {status}\n        ring: {ring}\n" for status, ring in RING_MAPPINGS[rings])
    _with_portals(root, PORTALS + ("    rings:\n" + mapping if mapping else ""))
    data = _radar(run, root, "zalando", "--no-history")
    assert _zalandos_radar_draws(data) == []
    # the catalog's own quadrants and rings first, in order; the rest unnamed, and no entry is in them
    named = [q["name"] for q in data["quadrants"] if q["name"]]
    assert named == ["Continuous integration", *(f"Category {n}" for n in extra)]
    assert len([r for r in data["rings"] if r["name"]]) == rings
    assert {e["quadrant"] for e in data["entries"]} == set(range(categories))
    assert max(e["ring"] for e in data["entries"]) < rings


@pytest.mark.git
def test_the_timeline_has_each_status_change_with_its_date_and_reason(run, git_site: GitSite) -> None:
    _with_portals(git_site.root)
    git_site.commit("Publish the portal exports")
    git_site.edit(
        "    status: supported\n    reason: One template we maintain is safer than many we cannot see.\n",
        "    status: deprecated\n    reason: Replaced by hand-rolled scripts.\n    alternative: hand-rolled-scripts\n",
    )
    git_site.edit(
        "    status: unsupported\n    reason: We cannot support", "    status: supported\n    reason: We can support"
    )
    git_site.edit("    alternative: shared-pipelines\n", "")
    git_site.commit("Swap the pipeline decision")
    data = _radar(run, git_site.root, "backstage")
    shared = next(e for e in data["entries"] if e["id"] == "shared-pipelines")
    assert shared["timeline"] == [
        {"date": "2026-05-28", "ringId": "hold", "moved": -1, "description": "Replaced by hand-rolled scripts."},
        {"date": "2026-05-28", "ringId": "adopt", "moved": 0, "description": "Initial catalog"},
    ]
    aoe = git_site.root.parent / "aoe"
    assert run("export", "techradar", "--format", "aoe", "--source", git_site.root, "--output", aoe).exit_code == 0
    front = (aoe / "radar" / "2026-05-28" / "shared-pipelines.md").read_text()
    assert front.startswith("---\ntitle: Shared pipeline templates\nring: hold\nquadrant: continuous-integration\n")


def test_radar_round_trip_keeps_names_categories_and_rings(run, site_copy, tmp_path: Path) -> None:
    root = site_copy("minimal")
    _with_portals(root)
    file = tmp_path / "radar.json"
    file.write_text(run("export", "techradar", "--format", "backstage", "--source", root, "--no-history").stdout)
    result = run("import", "techradar", file)
    assert result.exit_code == 0, result.output
    fragment = yaml.safe_load(result.stdout)
    assert [(t["id"], t["name"], t["status"], t["since"]) for t in fragment["tools"]] == [
        ("shared-pipelines", "Shared pipeline templates", "supported", "2026-01-01"),
        ("hand-rolled-scripts", "Hand-rolled CI scripts", "unsupported", "2026-01-01"),
    ]
    assert fragment["categories"] == [{"id": "continuous-integration", "name": "Continuous integration"}]
    assert "tool 'hand-rolled-scripts': no alternative" in result.stderr


def test_a_radar_with_five_quadrants_is_a_located_error(run, tmp_path: Path) -> None:
    file = tmp_path / "radar.json"
    quadrants = ",\n".join(f'    {{"id": "q{i}", "name": "Q{i}"}}' for i in range(5))
    file.write_text(f'{{\n  "quadrants": [\n{quadrants}\n  ],\n  "rings": [],\n  "entries": []\n}}\n')
    result = run("import", "techradar", file)
    assert result.exit_code == 1
    assert f"{file}:2:16: error: the radar has 5 quadrants; a radar has 4" in result.output


def test_a_zalando_radar_imports_with_its_indexes(run, tmp_path: Path) -> None:
    file = tmp_path / "config.json"
    file.write_text(
        '{"date": "2023.10", "entries": [{"quadrant": 3, "ring": 2, "label": "AWS Athena", "active": true, "moved": 0},'
        ' {"quadrant": 7, "ring": 0, "label": "Nowhere"}]}'
    )
    result = run("import", "techradar", file)
    assert result.exit_code == 0, result.output
    (tool,) = yaml.safe_load(result.stdout)["tools"]
    assert (tool["id"], tool["category"], tool["status"]) == ("aws-athena", "quadrant-4", "best-effort")
    assert f"{file}:1:112: warning: skipped entry 'Nowhere': its quadrant is not one of the radar's" in result.stderr


INTEROP = Path(__file__).parent / "interop" / "fixtures"


def test_a_zalando_radar_dates_its_tools_by_its_own_date_not_the_day_of_the_import(run, env) -> None:
    # Zalando's docs/config.json says "date": "2023.10" (an excerpt: tests/interop/fixtures/SOURCES.md)
    file = INTEROP / "zalando-config-2023-10.json"
    first = run("import", "techradar", file)
    env["SOURCE_DATE_EPOCH"] = "2000000000"  # another day: the fragment does not change
    assert run("import", "techradar", file).stdout == first.stdout
    tools = yaml.safe_load(first.stdout)["tools"]
    assert len(tools) == 7 and {t["since"] for t in tools} == {"2023-10-01"}
    assert f"{file}:2:11: warning: guessed since 2023-10-01 for 7 entries, from the radar's date" in first.stderr


def test_a_radar_without_a_date_says_its_tools_are_dated_by_the_import(run, tmp_path: Path) -> None:
    file = tmp_path / "config.json"
    file.write_text('{"entries": [{"quadrant": 0, "ring": 0, "label": "Go"}], "date": "October"}')
    result = run("import", "techradar", file)
    assert yaml.safe_load(result.stdout)["tools"][0]["since"] == "2026-09-21"  # SOURCE_DATE_EPOCH's day
    assert "warning: guessed since 2026-09-21 (the day of the import) for 1 entry: the radar gives no date" in (
        result.stderr
    )
    assert f"{file}:1:66: warning: dropped the radar's date 'October'" in result.stderr


def test_what_another_tools_entity_says_beside_what_is_read_is_named_where_it_is(run) -> None:
    # Backstage's own packages/catalog-model/examples/components/artist-lookup-component.yaml
    file = INTEROP / "backstage-artist-lookup-component.yaml"
    result = run("import", "backstage", file)
    assert result.exit_code == 0, result.output
    for at, what in (
        ("10:5", "metadata.tags"),
        ("35:9", "spec.type 'service'"),
        ("5:35", "annotation buildkite.com/project-slug"),
    ):
        assert f"{file}:{at}: warning: dropped Component 'artist-lookup': {what}" in result.stderr
    # its System is kept, for the export to put the offering there again (round 20)
    assert f"{file}:38:11: warning: guessed portals.backstage.system artist-engagement-portal" in result.stderr


def test_a_timeline_written_oldest_first_is_drawn_as_the_plugin_draws_it_and_said(run) -> None:
    # the sample JSON of Backstage's plugins/tech-radar/README.md: its timeline is oldest first, and
    # the plugin draws an entry by timeline[0] (RadarComponent.tsx), so it shows Typescript in Trial
    file = INTEROP / "backstage-tech-radar-readme-sample.json"
    result = run("import", "techradar", file)
    (tool,) = yaml.safe_load(result.stdout)["tools"]
    assert (tool["status"], tool["since"]) == ("best-effort", "2022-02-06")
    assert (
        f"{file}:58:17: warning: guessed entry 'Typescript': ring 'trial' and since 2022-02-06 from the timeline's "
        "first item, as the plugin draws it, though this one is newer (2022-02-08)"
    ) in result.stderr


def test_a_thoughtworks_sheet_is_read_as_its_json_list_is(run, tmp_path: Path) -> None:
    # the columns of Thoughtworks' build-your-own-radar sheet (its README: name, ring, quadrant, isNew, description);
    # it was refused, "download it as JSON": tests/test_interop_inputs.py reads it as users write it
    file = tmp_path / "radar.csv"
    file.write_text('name,ring,quadrant,isNew,description\nComposer,adopt,tools,TRUE,"Although ..."\n')
    result = run("import", "techradar", file)
    as_json = tmp_path / "radar.json"
    as_json.write_text(
        '[{"name": "Composer", "ring": "adopt", "quadrant": "tools", "isNew": "TRUE", "description": "Although ..."}]'
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == run("import", "techradar", as_json).stdout


def test_a_substitution_is_read_beside_the_file_and_a_location_says_what_to_import(run, tmp_path: Path) -> None:
    # Backstage's descriptor format ("Substitutions in the descriptor format"): $text, $json, $yaml
    # stand for a file's content; a Location lists files (as its examples/all-components.yaml)
    file = tmp_path / "catalog-info.yaml"
    file.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: example-components\n"
        "spec:\n  targets:\n    - ./components/artist-lookup-component.yaml\n---\n"
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: artist-web\n"
        "spec:\n  lifecycle: production\n  owner: team-a\n  dependsOn:\n    $json: ./deps.json\n"
    )
    (tmp_path / "deps.json").write_text('["resource:artists-db"]\n')
    result = run("import", "backstage", file)
    assert result.exit_code == 0, result.output
    assert (
        f"{file}:1:1: warning: skipped Location 'example-components': a Location is not followed; import the file "
        f"it lists\n  hint: servicebook import backstage {tmp_path}/components/artist-lookup-component.yaml\n"
    ) in result.stderr
    # the substitution is read, as Backstage reads it, beside the file (interop22; it was said not followed)
    assert "depends_on artists-db (not in the import)" in result.stderr
    assert "substitution" not in result.stderr.replace(str(tmp_path), "")


def test_a_new_backstage_apps_examples_import_with_the_scaffolders_template_skipped(run) -> None:
    # every new Backstage app (create-app) has examples/entities.yaml and examples/template/template.yaml;
    # the Template's apiVersion is the scaffolder's, and it failed the whole import
    entities, template = INTEROP / "backstage-create-app-entities.yaml", INTEROP / "backstage-create-app-template.yaml"
    result = run("import", "backstage", entities, template)
    assert result.exit_code == 0, result.output
    assert [o.id for o in _offerings_of(result.stdout)] == ["example-website"]
    assert f"{template}:1:1: warning: skipped Template 'example-nodejs-template' (scaffolder.backstage.io/v1beta3)" in (
        result.stderr
    )
    assert f"{entities}:20:17: warning: dropped Component 'example-website': spec.providesApis" in result.stderr


def test_an_imported_portals_section_says_it_needs_the_base_url(run, tmp_path: Path) -> None:
    # Backstage's own plain Component (as in its catalog-model examples): owner → portals.backstage.owners,
    # which `check` refuses in a catalog without site.base_url
    file = tmp_path / "catalog-info.yaml"
    file.write_text(PLAIN)
    result = run("import", "backstage", file)
    assert "portals:\n  backstage:" in result.stdout
    assert "warning: guessed portals.backstage" in result.stderr and "without site.base_url" in result.stderr


# --- Published with the site --------------------------------------------------------------------


@pytest.mark.git
def test_the_site_publishes_the_exports_the_catalog_asks_for_as_export_makes_them(
    run, git_site: GitSite, tmp_path: Path
) -> None:
    _with_portals(git_site.root)
    git_site.commit("Publish the portal exports")
    public = tmp_path / "public"
    assert run("build", "--source", git_site.root, "--output", public).exit_code == 0
    listed = (public / routes.MANIFEST).read_text()
    for path in (routes.BACKSTAGE_ENTITIES, routes.TECHRADAR_BACKSTAGE, routes.TECHRADAR_ZALANDO,
                 routes.TECHRADAR_AOE + "config.json"):  # fmt: skip
        assert f"  {path}\n" in listed, path
    assert (public / routes.BACKSTAGE_ENTITIES).read_text() == run(
        "export", "backstage", "--source", git_site.root
    ).stdout
    radar = run("export", "techradar", "--format", "backstage", "--source", git_site.root).stdout
    assert (public / routes.TECHRADAR_BACKSTAGE).read_text() == radar
    verified = run("verify", "--source", git_site.root, "--site", public)
    assert verified.exit_code == 0, verified.output
    published = public / routes.TECHRADAR_ZALANDO
    published.write_text(published.read_text().replace("Hand-rolled", "Hand-made"))  # edited after the fact
    assert run("verify", "--source", git_site.root, "--site", public).exit_code == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{\n  "entries": [],\n  "entries": []\n}\n', "3:3: error: duplicate key 'entries' (first defined at line 2)"),
        ('{\n  "entries": [\n    {"title": "a",}\n  ]\n}\n', "3:19: error: expected a key in double quotes"),
        ('{"entries": []} trailing', "1:17: error: text after the end of the JSON document"),
        ("[" * 5000, "1:"),
        ('{"entries": 3}', "1:13: error: the radar has no list of 'entries'"),
        ('"just a string"', "1:1: error: a radar must be a JSON object with 'entries'"),
    ],
)
def test_bad_radar_json_is_a_located_error_never_a_traceback(run, tmp_path: Path, text: str, expected: str) -> None:
    file = tmp_path / "radar.json"
    file.write_text(text)
    result = run("import", "techradar", file)
    assert result.exit_code == 1
    assert f"{file}:{expected}" in result.output and "Traceback" not in result.output
    assert result.stdout == ""


def test_a_radar_indented_with_tabs_reads_as_json(run, tmp_path: Path) -> None:
    file = tmp_path / "radar.json"
    entry = {"quadrant": 0, "ring": 0, "label": "Go", "link": "https:\\/\\/go.dev\\/", "active": True, "moved": 0}
    file.write_text(json.dumps({"date": "2024.01", "entries": [entry]}, indent="\t").replace("\\\\/", "\\/"))
    result = run("import", "techradar", file)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["tools"][0]["url"] == "https://go.dev/"


def test_import_then_export_passes_backstages_own_validation(run, site_copy, tmp_path: Path) -> None:
    file = tmp_path / "catalog-info.yaml"
    file.write_text(PLAIN)
    fragment = yaml.safe_load(run("import", "backstage", file).stdout)
    root = site_copy("minimal")
    catalog = yaml.safe_load((root / "catalog.yaml").read_text())
    shutil.rmtree(root / "content")
    catalog["site"]["base_url"] = "https://platform.example/"
    catalog["offerings"] = fragment["offerings"]
    catalog["portals"] = fragment["portals"]
    (root / "catalog.yaml").write_text(yaml.safe_dump(catalog, sort_keys=False))
    entities = _export(run, root)
    # the entity keeps its name (portals.backstage.names, round 20)
    assert [e["metadata"]["name"] for e in entities[2:]] == ["Payments_API", "payments-db"]
    for entity in entities:
        assert [e.message for e in _validator(entity["kind"]).iter_errors(entity)] == []
        assert _descriptor_rule_breaches(entity) == []
    assert entities[3]["kind"] == "Resource" and entities[2]["spec"]["dependsOn"] == ["resource:default/payments-db"]


def test_backstages_own_example_entities_imported_then_exported_pass_its_validation(run, site_copy) -> None:
    # Every Backstage file of tests/interop/fixtures (catalog-model's and create-app's examples: Components,
    # Resources, a Group, Locations, APIs, Systems, an AI resource, a Template) read at once, then written
    # back: each entity valid by @backstage/catalog-model's schemas and the descriptor rules
    files = sorted((REPO / "tests" / "interop" / "fixtures").glob("backstage-*.yaml"))
    result = run("import", "backstage", *files)
    assert result.exit_code == 0, result.output
    fragment = yaml.safe_load(result.stdout)
    root = site_copy("minimal")
    catalog = yaml.safe_load((root / "catalog.yaml").read_text())
    shutil.rmtree(root / "content")
    catalog["site"]["base_url"] = "https://platform.example/"
    catalog["offerings"], catalog["portals"] = fragment["offerings"], fragment["portals"]
    (root / "catalog.yaml").write_text(yaml.safe_dump(catalog, sort_keys=False))
    entities = _export(run, root)
    names = {e["metadata"]["name"] for e in entities}
    assert {"artist-lookup", "different-namespace", "dream11-svc"} <= names
    for entity in entities:
        assert [e.message for e in _validator(entity["kind"]).iter_errors(entity)] == [], entity["metadata"]["name"]
        assert _descriptor_rule_breaches(entity) == [], entity["metadata"]["name"]


def test_libyamls_emitter_and_pyyamls_write_the_same_bytes(run, site_copy) -> None:
    """The export is written by libyaml's emitter where PyYAML has it: a machine without it (and
    `verify` there) must get the same bytes."""

    class Pure(yaml.SafeDumper):
        pass

    Pure.add_representer(str, fragment._str)
    root = site_copy("example")
    documents = _export(run, root)
    assert fragment.dump_stream(documents, Pure) == fragment.dump_stream(documents)
    assert fragment.dump_stream(documents, Pure) == run("export", "backstage", "--source", root).stdout


AOE_FRONT_MATTER = {"title", "ring", "quadrant", "tags", "featured", "info"}  # AOE's README and item files


def test_the_aoe_radar_is_items_with_aoes_front_matter_and_a_config_of_its_rings_and_quadrants(
    run, site_copy, tmp_path: Path
) -> None:
    out = tmp_path / "aoe"
    result = run(
        "export", "techradar", "--format", "aoe", "--no-history", "--source", site_copy("example"), "--output", out
    )
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    assert len(config["quadrants"]) == 4
    assert all(set(q) == {"id", "title", "description", "color"} for q in config["quadrants"])
    assert all(set(r) == {"id", "title", "description", "color", "radius", "strokeWidth"} for r in config["rings"])
    quadrants, rings = {q["id"] for q in config["quadrants"]}, {r["id"] for r in config["rings"]}
    items = sorted((out / "radar").glob("*/*.md"))
    assert len(items) == 45  # one per tool decision: without history, each at its own date
    for item in items:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", item.parent.name)
        head, body = item.read_text().split("---\n", 2)[1:]
        front = yaml.safe_load(head)
        assert set(front) <= AOE_FRONT_MATTER and front["ring"] in rings and front["quadrant"] in quadrants
        assert body.strip()
    jenkins = (out / "radar" / "2025-01-15" / "jenkins.md").read_text()
    assert "Use instead: CI/CD pipelines." in jenkins and "To be reviewed by 2027-04-30." in jenkins


def test_an_aoe_radar_item_shows_a_reason_as_written_and_carries_no_markup_of_its_own(
    run, site_copy, tmp_path: Path
) -> None:
    # AOE's radar renders an item's Markdown with its HTML: a reason or a name (plain text in the
    # catalog, escaped on the site) must not become a script, a link or an image there
    root = site_copy("example")
    hostile = "Use <script>alert(1)</script> & [this](javascript:alert(2)) ![x](data:text/html,3) \\[y]"
    text = (root / "catalog.yaml").read_text()
    text = text.replace(
        "      Team-run Jenkins servers had plugins", f"      {hostile} Team-run Jenkins servers had plugins", 1
    )
    (root / "catalog.yaml").write_text(text.replace("name: CI/CD pipelines", "name: CI/CD <b>pipelines</b>", 1))
    out = tmp_path / "aoe"
    result = run("export", "techradar", "--format", "aoe", "--no-history", "--source", root, "--output", out)
    assert result.exit_code == 0, result.output
    body = (out / "radar" / "2025-01-15" / "jenkins.md").read_text().split("---\n", 2)[2]
    html = MarkdownIt("commonmark", {"html": True}).render(body)  # as AOE renders it: raw HTML on
    assert "<script" not in html and "<b>" not in html and "<a " not in html and "<img" not in html
    shown = lxml.html.fromstring(html).text_content()
    assert hostile in shown  # every character as written
    assert "Use instead: CI/CD <b>pipelines</b>." in shown


def test_every_backstage_radar_entry_names_a_ring_and_quadrant_of_the_radar(run, site_copy) -> None:
    data = _radar(run, site_copy("example"), "backstage", "--no-history")
    rings, quadrants = {r["id"] for r in data["rings"]}, {q["id"] for q in data["quadrants"]}
    for entry in data["entries"]:
        assert entry["quadrant"] in quadrants
        assert {snapshot["ringId"] for snapshot in entry["timeline"]} <= rings


def test_a_zalando_radar_imported_then_exported_passes_the_backstage_plugins_parser(
    run, site_copy, tmp_path: Path
) -> None:
    file = tmp_path / "config.json"
    entries = [
        {"quadrant": q, "ring": r, "label": f"Tool {q}{r}", "active": True, "moved": 0}
        for q in range(4)
        for r in range(3)
    ]
    file.write_text(json.dumps({"date": "2024.01", "entries": entries}))
    fragment = yaml.safe_load(run("import", "techradar", file).stdout)
    root = site_copy("minimal")
    catalog = yaml.safe_load((root / "catalog.yaml").read_text())
    shutil.rmtree(root / "content")
    del catalog["offerings"][0]["tools"], catalog["offerings"][0]["policies"]
    catalog["categories"], catalog["tools"] = fragment["categories"], fragment["tools"]
    (root / "catalog.yaml").write_text(yaml.safe_dump(catalog, sort_keys=False))
    data = _radar(run, root, "backstage", "--no-history")
    assert len(data["entries"]) == 12 and len(data["quadrants"]) == 4
    radar = tmp_path / "radar.json"
    radar.write_text(json.dumps(data))
    done = _node("radar.js", str(radar))
    assert done.returncode == 0, done.stdout + done.stderr


def test_an_annotation_of_absurdly_nested_json_is_dropped_not_a_crash(run, tmp_path: Path) -> None:
    file = tmp_path / "catalog-info.yaml"
    nested = "[" * 200_000 + "]" * 200_000
    file.write_text(
        PLAIN.replace("    github.com/project-slug: acme/payments\n", f"    servicebook.dev/slos: '{nested}'\n")
    )
    result = run("import", "backstage", file)
    assert result.exit_code == 0, result.output
    assert "dropped Component 'Payments_API': servicebook.dev/slos is not JSON" in result.stderr


def test_diff_names_a_change_to_the_portal_settings(run, site_copy) -> None:
    root = site_copy("example")
    source = SourceText("catalog.yaml", (root / "catalog.yaml").read_text())
    old, _ = read_record(source, parse_yaml(source), model.Catalog, "catalog")
    assert old is not None
    changed = source.text.replace("    formats: [backstage, zalando, aoe]\n", "    formats: [backstage]\n")
    new, _ = read_record(
        SourceText("catalog.yaml", changed), parse_yaml(SourceText("catalog.yaml", changed)), model.Catalog, "catalog"
    )
    assert new is not None
    assert [(c.kind, c.text) for c in diff_catalogs(old.value, new.value)] == [
        ("portals.techradar", "Portal exports: techradar changed")
    ]


def test_a_zalando_export_is_dated_by_the_build_and_imports_back_without_dropping_its_date(
    run, site_copy, env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # it wrote the catalog's version ("0.1") as the radar's date, which the import then dropped
    root = site_copy("minimal")
    _with_portals(root)
    exported = run("export", "techradar", "--format", "zalando", "--source", root, "--no-history")
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.stdout)["date"] == "2026-09-21"  # SOURCE_DATE_EPOCH's day
    again = run("export", "techradar", "--format", "zalando", "--source", root, "--no-history")
    assert again.stdout == exported.stdout  # same input, same bytes
    file = tmp_path / "config.json"
    file.write_text(exported.stdout)
    result = run("import", "techradar", file)
    assert result.exit_code == 0, result.output
    assert "dropped the radar's date" not in result.stderr and "from the radar's date" in result.stderr
    assert {t["since"] for t in yaml.safe_load(result.stdout)["tools"]} == {"2026-09-21"}
    del env["SOURCE_DATE_EPOCH"]
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    undated = run("export", "techradar", "--format", "zalando", "--source", root, "--no-history")
    # outside git and without SOURCE_DATE_EPOCH: the newest decision's day, never the clock
    assert json.loads(undated.stdout)["date"] == "2026-01-01"
