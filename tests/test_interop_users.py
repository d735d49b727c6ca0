"""What users of the imports, the portals and the federation hit with real files and mistakes:
each import says when it carried nothing over, reads the class of input the real tools allow
(Zalando's inactive entries and bare entry lists, keys written in another case), and never
leaves a user to guess what happened."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from .sitefiles import tree

INTEROP = Path(__file__).parent / "interop" / "fixtures"
API_ONLY = "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: payments\nspec:\n  type: openapi\n"


# --- An import that carries nothing over ---------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "name", "text", "said"),
    [
        ("backstage", "catalog-info.yaml", API_ONLY, "error: no Component, Resource or Group in {file}: nothing to"),
        (
            "techradar",
            "radar.json",
            '{"entries": [{"label": "Go", "quadrant": 9, "ring": 0}]}',
            "error: no entry of {file} could be read as a tool: nothing to import",
        ),
        ("techradar", "radar.json", '{"entries": []}', "error: the radar {file} has no entries: nothing to import"),
    ],
)
def test_an_import_that_skips_everything_fails_saying_so_and_writes_nothing(
    run, tmp_path: Path, fmt: str, name: str, text: str, said: str
) -> None:
    file = tmp_path / name
    file.write_text(text)
    target = tmp_path / "fragment.yaml"
    result = run("import", fmt, file, "--output", target)
    assert result.exit_code == 1 and result.stdout == ""
    assert said.format(file=file) in result.stderr and "Traceback" not in result.output
    assert not target.exists()
    if 'entries": []' not in text:  # what was skipped is said where it is, before the error
        assert f"{file}:1:" in result.stderr and "warning: skipped" in result.stderr
        assert "(the warnings above say why each was skipped)" in result.stderr


# --- Tech radars as the real tools write them ----------------------------------------------------


def test_a_zalando_list_of_inactive_entries_imports_each_saying_it_is_inactive(run) -> None:
    # a radar's data/<radar>/<edition>.json: a bare list of entries, every one "active": false
    # (Zalando's radar.js greys such an entry out unless print_layout is set); SOURCES.md
    file = INTEROP / "zalando-frontend-2019-10.json"
    result = run("import", "techradar", file)
    assert result.exit_code == 0, result.output
    tools = yaml.safe_load(result.stdout)["tools"]
    assert len(tools) == 28
    assert all(t["reason"].endswith("ring (inactive there).") for t in tools)
    assert (tools[0]["name"], tools[0]["status"], tools[-1]["status"]) == ("CSS Flexbox", "supported", "unsupported")
    assert (
        f"{file}:6:15: warning: guessed entry 'CSS Flexbox': imported from the Adopt ring though the radar marks it "
        'inactive ("active": false)'
    ) in result.stderr
    assert f"{file}:37:3: warning: dropped entry 'Webpack': 'boost'" in result.stderr


def test_an_active_entry_is_not_said_to_be_inactive(run, tmp_path: Path) -> None:
    file = tmp_path / "config.json"
    file.write_text('{"date": "2024.01", "entries": [{"quadrant": 0, "ring": 0, "label": "Go", "active": true}]}')
    result = run("import", "techradar", file)
    assert result.exit_code == 0, result.output
    assert "inactive" not in result.output


def test_a_forks_capitalised_keys_are_read_as_zalandos(run, tmp_path: Path) -> None:
    file = tmp_path / "config.json"
    file.write_text(
        '{"Date": "2024.03", "Entries": [{"Quadrant": 0, "Ring": 1, "Label": "Go", "Link": "https://go.dev/"}]}'
    )
    result = run("import", "techradar", file)
    assert result.exit_code == 0, result.output
    (tool,) = yaml.safe_load(result.stdout)["tools"]
    assert (tool["name"], tool["status"], tool["since"], tool["url"]) == (
        "Go",
        "best-effort",
        "2024-03-01",
        "https://go.dev/",
    )
    assert f"{file}:1:10: warning: guessed since 2024-03-01 for 1 entry, from the radar's date" in result.stderr
    assert "dropped" not in result.stderr


def test_a_build_your_own_radar_json_list_imports_by_its_quadrant_and_ring_names(run, tmp_path: Path) -> None:
    # Thoughtworks' build-your-own-radar README: a JSON list of name, ring, quadrant, isNew, description
    file = tmp_path / "radar.json"
    file.write_text(
        '[{"name": "Composer", "ring": "adopt", "quadrant": "tools", "isNew": "TRUE", "description": "Deps."},\n'
        ' {"name": "JSF", "ring": "hold", "quadrant": "languages & frameworks", "isNew": "FALSE", "description": "No."}]'
    )
    result = run("import", "techradar", file)
    assert result.exit_code == 0, result.output
    fragment = yaml.safe_load(result.stdout)
    assert [(t["id"], t["category"], t["status"], t["reason"]) for t in fragment["tools"]] == [
        ("composer", "tools", "supported", "Deps."),
        ("jsf", "languages-frameworks", "unsupported", "No."),
    ]
    assert [c["name"] for c in fragment["categories"]] == ["tools", "languages & frameworks"]
    assert f"{file}:1:2: warning: dropped entry 'Composer': 'isNew'" in result.stderr


# --- Backstage links -------------------------------------------------------------------------------


def test_a_backstage_links_icon_is_named_where_it_is_not_dropped_silently(run) -> None:
    # Backstage's artist-lookup example gives each of its links an icon (user, group, cloud, …)
    file = INTEROP / "backstage-artist-lookup-component.yaml"
    result = run("import", "backstage", file)
    assert result.exit_code == 0, result.output
    assert (
        f"{file}:15:13: warning: dropped Component 'artist-lookup': the icon 'user' of link 'Examples Users' "
        "(a catalog link is a title and a url)"
    ) in result.stderr
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    assert offering["links"][0] == {"title": "Examples Users", "url": "https://example.com/user"}


def test_a_backstage_link_the_catalog_would_refuse_is_dropped_by_name_not_carried(run, tmp_path: Path) -> None:
    file = tmp_path / "catalog-info.yaml"
    file.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: web\n  links:\n"
        "    - url: slack://channel?id=C1\n      title: Chat\n    - title: Nowhere\n"
        "spec:\n  lifecycle: production\n  owner: team-a\n"
    )
    result = run("import", "backstage", file)
    assert result.exit_code == 0, result.output
    assert "links" not in yaml.safe_load(result.stdout)["offerings"][0]
    assert f"{file}:6:7: warning: dropped Component 'web': link 'Chat' (only https://" in result.stderr
    assert f"{file}:8:7: warning: dropped Component 'web': link 'Nowhere' (it has no url)" in result.stderr


# --- An organisation site whose own catalog cannot be read -----------------------------------------


MEMBERS = "members:\n  - id: db-team\n    repository: https://git.example.com/db-team/catalog.git\n"


@pytest.mark.parametrize(
    ("mistake", "error"),
    [
        (("site:\n", "site:\n  title: Twice\n"), "error: duplicate key 'title'"),
        (("    lifecycle: ga\n", "    lifecycle: someday\n"), "lifecycle"),
    ],
)
def test_an_unreadable_organisation_catalog_is_its_one_error_not_a_broken_link_per_member_page(
    run, site_copy, mistake: tuple[str, str], error: str
) -> None:
    root = site_copy("minimal")
    catalog = root / "catalog.yaml"
    text = catalog.read_text()
    assert mistake[0] in text
    catalog.write_text(text.replace(mistake[0], mistake[1], 1) + MEMBERS)
    (root / "content/together.md").write_text(
        "---\ntitle: Together\n---\n\nThe database team's [backups](page:db-team/backups) and [a typo](welcom.md).\n"
    )
    result = run("check", "--source", root)
    assert result.exit_code == 1
    assert error in result.output
    assert "no page 'db-team/backups'" not in result.output, result.output
    assert "broken link: no page content/welcom.md" in result.output  # its own pages are still judged


def test_a_site_without_members_still_reports_a_link_into_a_folder_it_does_not_have(run, site_copy) -> None:
    root = site_copy("minimal")
    catalog = root / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("site:\n", "site:\n  title: Twice\n", 1))
    (root / "content/together.md").write_text("---\ntitle: Together\n---\n\nSee [backups](page:db-team/backups).\n")
    result = run("check", "--source", root)
    assert result.exit_code == 1
    assert "broken link: no page 'db-team/backups'" in result.output


# --- Where a build with --output elsewhere keeps its cache ------------------------------------------


@pytest.mark.git
def test_a_build_elsewhere_names_every_cache_folder_it_wrote_the_releases_among_them(
    run, git_site, tmp_path: Path
) -> None:
    git_site.tag("v0.1")
    git_site.edit('version: "0.1"', 'version: "0.2"')
    git_site.commit("Next version")
    output = tmp_path / "elsewhere" / "site"
    result = run("build", "--source", git_site.root, "--output", output)
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("Build cache: ")]
    named = [Path(word.rstrip("/")) for word in line.split() if word.endswith(".servicebook-cache/")]
    made = [git_site.root / ".servicebook-cache", tmp_path / "elsewhere" / ".servicebook-cache"]
    assert sorted(named) == sorted(made) and all(p.is_dir() for p in made)
    assert (git_site.root / ".servicebook-cache" / "releases").is_dir()  # the release 0.1, as built
    assert (output / "v" / "0.1" / "index.html").is_file()


# --- What a release's tag renders again ---------------------------------------------------------------


@pytest.mark.git
def test_tagging_the_release_renders_no_list_again_and_the_site_is_a_cold_builds(
    run, git_site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lists show of the releases only whether there are any (the version bar): tagging the
    release the catalog's version names (it was built at HEAD, untagged) changes the versions
    page and the pages that show the build, not the policies or offerings lists."""
    from servicebook.site import render

    git_site.tag("v0.1")
    git_site.edit('version: "0.1"', 'version: "0.2"')
    git_site.commit("Next version")
    assert run("build", "--source", git_site.root).exit_code == 0
    git_site.tag("v0.2")
    rendered: list[str] = []
    real = render.render_one

    def watched(renderer, index):  # type: ignore[no-untyped-def]
        if index < len(renderer.specs):
            rendered.append(renderer.specs[index].path)
            assert renderer.specs[index].path not in ("policies/index.html", "offerings/index.html", "tools/index.html")
        return real(renderer, index)

    monkeypatch.setattr(render, "render_one", watched)
    monkeypatch.setenv("SERVICEBOOK_WORKERS", "1")
    result = run("build", "--source", git_site.root)
    assert result.exit_code == 0, result.output
    assert "versions/index.html" in rendered  # it lists the tag
    monkeypatch.setattr(render, "render_one", real)
    fresh = tmp_path / "fresh"
    shutil.copytree(git_site.root, fresh, ignore=shutil.ignore_patterns("public", ".servicebook-cache"))
    assert run("build", "--source", fresh).exit_code == 0
    assert tree(git_site.root / "public") == tree(fresh / "public")


# --- Sloth's own examples, as users copy them ---------------------------------------------------------


def test_a_sloth_specs_owner_and_tier_labels_fill_the_offering(run) -> None:
    # Sloth's examples label every service with owner, repo and tier: the catalog has two of them
    file = INTEROP / "sloth-plugin-getting-started.yml"
    result = run("import", "sloth", file)
    assert result.exit_code == 0, result.output
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    assert (offering["owner"], offering["tier"]) == ("myteam", "2")
    assert (
        f"{file}:3:1: warning: guessed the offering's owner myteam and tier 2 from the spec's labels" in result.stderr
    )
    assert f"{file}:3:1: warning: dropped 'labels' repo (Prometheus labels" in result.stderr
    assert "needs summary, lifecycle, audience, request" in result.stderr


def test_sloths_alert_windows_beside_its_specs_are_passed_over_by_name(run) -> None:
    # `sloth generate -i examples/ --slo-period-windows-path examples/windows`: a folder of specs
    # may hold an AlertWindows file, which has no SLO (it failed the whole import)
    windows, specs = INTEROP / "sloth-windows-custom-30d.yaml", INTEROP / "sloth-k8s-multifile.yml"
    result = run("import", "sloth", specs, windows)
    assert result.exit_code == 0, result.output
    offerings = yaml.safe_load(result.stdout)["offerings"]
    assert [(o["id"], o["owner"], o["tier"]) for o in offerings] == [
        ("myservice", "myteam", "2"),
        ("myservice2", "myteam2", "1"),
    ]
    assert f"{windows}:1:1: warning: skipped AlertWindows (sloth.slok.dev/v1): Sloth's alert windows" in result.stderr
    alone = run("import", "sloth", windows)
    assert alone.exit_code == 1 and alone.stdout == "" and "error: no SLO in" in alone.stderr


# --- Pyrra's examples ----------------------------------------------------------------------------------


def test_a_pyrra_objective_in_the_default_namespace_is_not_an_offering_named_default(run) -> None:
    # Pyrra's examples/mimir/example-slo.yaml sits in Kubernetes' `default` namespace, which names no service
    file = INTEROP / "pyrra-mimir-example-slo.yaml"
    result = run("import", "pyrra", file)
    assert result.exit_code == 0, result.output
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    assert offering["id"] == "imported"
    assert offering["slos"][0]["measurement"]["good"].endswith('le="5"}')
    assert f"{file}:7:9: warning: guessed the offering id 'imported'" in result.stderr
    chosen = run("import", "pyrra", file, INTEROP / "pyrra-caddy-response-latency.yaml", "--offering", "k8s-api")
    assert [s["id"] for s in yaml.safe_load(chosen.stdout)["offerings"][0]["slos"]] == [
        "apiserver-read-cluster-latency",
        "caddy-response-latency",
    ]


# --- OpenSLO files as oslo validates them ------------------------------------------------------------


def test_a_calendar_day_window_is_refused_at_its_line_saying_what_to_do(run) -> None:
    file = INTEROP / "openslo-oslo-calendar-alerts.yaml"
    result = run("import", "openslo", file)
    assert result.exit_code == 1 and result.stdout == ""
    assert (
        f"{file}:29:17: error: a calendar window of 1d: the catalog's calendar windows are 1w, 1M, 1Q and 1Y"
    ) in result.stderr
    assert (
        "hint: write isRolling: true for a rolling 1d, which judges every span of a day, not only the calendar's; "
        "or write this SLO's window by hand"
    ) in result.stderr


def test_an_sli_no_slo_names_is_said_to_be_passed_over(run) -> None:
    file = INTEROP / "openslo-oslo-sli-threshold-cloudwatch.yaml"
    result = run("import", "openslo", file)
    assert result.exit_code == 1 and result.stdout == ""
    assert f"{file}:6:3: warning: skipped SLI 'foo-sli': no SLO in the files read names it" in result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"error: no SLO in {file}: nothing to import (the notes above say what each document is)"
    )
    with_slo = run("import", "openslo", file, INTEROP / "openslo-occurences-slo.yaml")
    assert with_slo.exit_code == 0, with_slo.output
    assert "skipped SLI 'foo-sli'" in with_slo.stderr


def test_no_slo_and_nothing_noted_does_not_point_at_notes_that_are_not_there(run, tmp_path: Path) -> None:
    # a DataSource alone (a Service alone is said skipped since interop25: test_interop_round25)
    file = tmp_path / "data-source.yaml"
    file.write_text("apiVersion: openslo/v1\nkind: DataSource\nmetadata:\n  name: prom\nspec:\n  type: Prometheus\n")
    result = run("import", "openslo", file)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == f"error: no SLO in {file}: nothing to import"


# --- Backstage's catalog-model examples -------------------------------------------------------------------


def test_a_backstage_group_gives_the_team_its_email_and_names_what_else_it_says(run) -> None:
    file = INTEROP / "backstage-team-a-group.yaml"
    result = run("import", "backstage", file)
    assert result.exit_code == 0, result.output
    team = yaml.safe_load(result.stdout)["team"]
    assert (team["name"], team["mission"]) == ("team-a", "Team A")
    # the Group's e-mail, then its Users' (round 20: the members of the team's Group are its contacts)
    assert team["contacts"][:3] == [
        {"name": "team-a", "email": "team-a@example.com"},
        {"name": "breanna.davison", "email": "breanna-davison@example.com"},
        {"name": "Janelle Dawe", "email": "janelle-dawe@example.com"},
    ]
    assert len(team["contacts"]) == 5  # its five Users, the two guests (two namespaces) one contact
    for at, what in (("7:9", "spec.type 'team'"), ("12:11", "spec.parent 'backstage'"), ("13:13", "spec.children")):
        assert f"{file}:{at}: warning: dropped Group 'team-a': {what}" in result.stderr
    assert f"{file}:11:14: warning: dropped Group 'team-a': spec.profile.picture" in result.stderr
    assert f"{file}:15:1: warning: guessed User 'breanna.davison': a contact of the team" in result.stderr


def test_a_backstage_owner_reference_gives_the_owners_name_and_keeps_the_reference(run) -> None:
    # `owner: default/team-a` (namespace/name), as Backstage's different-namespace example writes it
    file = INTEROP / "backstage-different-namespace.yaml"
    result = run("import", "backstage", file)
    assert result.exit_code == 0, result.output
    fragment = yaml.safe_load(result.stdout)
    (offering,) = fragment["offerings"]
    assert (offering["owner"], offering["request"]["how"]) == ("team-a", "Ask team-a.")
    assert fragment["portals"]["backstage"]["owners"] == [{"owner": "team-a", "ref": "default/team-a"}]


def test_an_entry_without_a_quadrant_is_said_to_name_none(run, tmp_path: Path) -> None:
    # a fork of Zalando's radar keeps a file per quadrant (docs/config/quadrant-3-techniques.json),
    # its entries without a quadrant: "not one of the radar's" sent the user looking for a wrong index
    file = tmp_path / "quadrant-3-techniques.json"
    file.write_text(
        '{\n  "entries": [\n    {\n      "label": "GitOps",\n      "ring": 0,\n      "active": true\n    }\n  ]\n}\n'
    )
    result = run("import", "techradar", file)
    assert result.exit_code == 1
    assert (
        f"{file}:3:5: warning: skipped entry 'GitOps': it names no quadrant (give each entry its 'quadrant', as "
        "Zalando's config.json does)"
    ) in result.stderr


def test_an_entry_titled_without_letters_or_digits_gets_an_id_of_its_place(run, tmp_path: Path) -> None:
    # `!!!` was given the id `team` (the fallback of team names), and a second such entry was skipped
    file = tmp_path / "config.json"
    file.write_text(
        '{"entries": [\n{"quadrant": 0, "ring": 0, "label": "!!!"},\n{"quadrant": 0, "ring": 0, "label": "数据库"},\n'
        '{"quadrant": 0, "ring": 0, "label": "Index"}]}\n'
    )
    result = run("import", "techradar", file)
    assert result.exit_code == 0, result.output
    assert [t["id"] for t in yaml.safe_load(result.stdout)["tools"]] == ["entry-1", "entry-2", "index-tool"]
    assert (
        f"{file}:2:1: warning: guessed entry '!!!': id 'entry-1' from its place in the radar (its title has no "
        "letters a-z or digits)"
    ) in result.stderr


def test_a_large_radar_shows_the_first_warnings_of_each_kind_and_counts_the_rest(run, tmp_path: Path) -> None:
    # 100,000 entries printed 200,000 warnings: two of each entry, alike but for the title
    file = tmp_path / "config.json"
    entries = ",\n".join(f'{{"quadrant": 0, "ring": 0, "label": "Tool {n}"}}' for n in range(1000))
    file.write_text(f'{{"date": "2023.10", "entries": [\n{entries}\n]}}\n')
    result = run("import", "techradar", file)
    assert result.exit_code == 0, result.output
    assert len(yaml.safe_load(result.stdout)["tools"]) == 1000
    lines = result.stderr.splitlines()
    ids = [line for line in lines if "from its title" in line]
    assert len(ids) == 3  # the first three (errors.SHOWN_ALIKE), then one line where the fourth is, counting the rest
    assert ids[2] == f"{file}:4:1: warning: guessed entry 'Tool 2': id 'tool-2' from its title"
    assert f"{file}: warning: 997 more warnings like the 3 above, about Tool 3, Tool 4, Tool 5 and 994 more" in lines
    assert "  hint: `servicebook import techradar --all-warnings` shows each" in lines
    assert len(lines) < 30
    every = run("import", "techradar", file, "--all-warnings")
    assert len([line for line in every.stderr.splitlines() if "from its title" in line]) == 1000


# --- Files from other projects: Pyrra's team label, an offering chosen by --offering ------------------

# written for servicebook after Pyrra's README (a `pyrra.dev/team` label, which Pyrra passes to
# its rules as `team`) and parca's generated objectives (`grouping: null`, `alerting: {}`)
PYRRA_TEAM = """apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: grpc-query-errors
  namespace: parca
  labels:
    prometheus: k8s
    role: alert-rules
    pyrra.dev/team: parca-devs
spec:
  alerting: {}
  description: ""
  indicator:
    ratio:
      errors:
        metric: grpc_server_handled_total{grpc_method="Query",grpc_code=~"Unavailable|Internal"}
      grouping: null
      total:
        metric: grpc_server_handled_total{grpc_method="Query"}
  target: "99"
  window: 2w
"""


def test_a_pyrra_team_label_names_the_offerings_owner(run, tmp_path: Path) -> None:
    # the owner was dropped without a word: Pyrra's README labels each objective `pyrra.dev/team`
    file = tmp_path / "slo.yaml"
    file.write_text(PYRRA_TEAM)
    result = run("import", "pyrra", file)
    assert result.exit_code == 0, result.output
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    assert (offering["id"], offering["owner"]) == ("parca", "parca-devs")
    assert offering["slos"][0]["objective"] == 99 and offering["slos"][0]["window"] == "14d"
    assert (
        f"{file}:6:3: warning: guessed the offering's owner parca-devs from the label pyrra.dev/team" in result.stderr
    )
    # in Kubernetes' default namespace there is no offering it names: said, not lost
    default = tmp_path / "default.yaml"
    default.write_text(PYRRA_TEAM.replace("namespace: parca", "namespace: default"))
    alone = run("import", "pyrra", default)
    assert alone.exit_code == 0, alone.output
    assert "owner" not in yaml.safe_load(alone.stdout)["offerings"][0]
    assert "dropped the label pyrra.dev/team parca-devs: no namespace names its offering" in alone.stderr


def test_an_offering_chosen_by_name_keeps_the_owner_its_services_gave(run, tmp_path: Path) -> None:
    # `--offering web` put the SLOs under 'web' and left the owner guessed from their service behind
    file = INTEROP / "sloth-plugin-getting-started.yml"
    result = run("import", "sloth", file, "--offering", "web")
    assert result.exit_code == 0, result.output
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    assert (offering["id"], offering["owner"], offering["tier"]) == ("web", "myteam", "2")
    assert "needs summary, lifecycle, audience, request" in result.stderr
    # two services that disagree: the first is kept and the other said
    other = tmp_path / "other.yaml"
    other.write_text(file.read_text().replace('owner: "myteam"', 'owner: "otherteam"').replace("myservice", "other"))
    both = run("import", "sloth", file, other, "--offering", "web")
    assert both.exit_code == 0, both.output
    assert yaml.safe_load(both.stdout)["offerings"][0]["owner"] == "myteam"
    assert "offering 'web' keeps owner myteam of service 'myservice'; service 'other' says otherteam" in both.stderr


def test_a_helm_template_of_a_spec_is_refused_saying_to_render_it_first(run, tmp_path: Path) -> None:
    # Sloth specs often live in a chart's templates/: Go template actions are not YAML
    chart = tmp_path / "slo.yaml"
    chart.write_text(
        "{{- if .Values.slo.enabled }}\napiVersion: sloth.slok.dev/v1\nkind: PrometheusServiceLevel\n"
        "spec:\n  service: {{ .Values.service | quote }}\n{{- end }}\n"
    )
    result = run("import", "sloth", chart)
    assert result.exit_code == 1 and result.stdout == ""
    assert f"{chart}:1:3: error: invalid YAML" in result.stderr
    assert "hint: a Helm or Go template: render it first (e.g. helm template CHART > slos.yaml)" in result.stderr
    assert "Traceback" not in result.output
    # a query's own {{.window}} is Sloth's, not a template: no such hint on a YAML mistake beside it
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "version: prometheus/v1\nservice: a\nslos:\n  - name: x\n    objective: 99\n    sli:\n      raw:\n"
        "        error_ratio_query: rate(x[{{.window}}])\n  bad: [\n"
    )
    plain = run("import", "sloth", spec)
    assert plain.exit_code == 1 and "helm template" not in plain.stderr


# written for servicebook in the shape of Sloth specs in other projects' docs and charts: the owner
# as a `team` label (half the specs found label it so, not `owner`), a tier the catalog has no
# value for, and a query over a fixed range where Sloth's {{.window}} belongs
SLOTH_TEAM = """apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata:
  name: api-service-slos
  namespace: monitoring
spec:
  service: api-service
  labels:
    team: platform
    tier: critical
  slos:
    - name: requests-availability
      objective: 99.9
      sli:
        events:
          error_query: sum(rate(http_requests_total{job="api-service",code=~"5.."}[5m]))
          total_query: sum(rate(http_requests_total{job="api-service"}[{{.window}}]))
"""


def test_a_sloth_team_label_names_the_owner_and_a_fixed_range_query_is_said(run, tmp_path: Path) -> None:
    file = tmp_path / "slo.yaml"
    file.write_text(SLOTH_TEAM)
    result = run("import", "sloth", file)
    assert result.exit_code == 0, result.output
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    assert offering["owner"] == "platform" and "tier" not in offering
    assert f"{file}:8:3: warning: guessed the offering's owner platform from the spec's labels" in result.stderr
    assert f"{file}:8:3: warning: dropped 'labels' tier (Prometheus labels" in result.stderr
    # the fragment's check would refuse it; the import says so where the query is
    assert (
        f"{file}:16:24: warning: the error query is neither a metric selector nor PromQL with {{{{.window}}}}: "
        "the catalog refuses it" in result.stderr
    )
    assert "total query is neither" not in result.stderr
    # an `owner` label is still the owner when both are given
    both = tmp_path / "both.yaml"
    both.write_text(SLOTH_TEAM.replace("    team: platform\n", "    team: platform\n    owner: sre\n"))
    assert yaml.safe_load(run("import", "sloth", both).stdout)["offerings"][0]["owner"] == "sre"


# as OpenSLO's own examples write a Prometheus ratio: each count a rate over a fixed range
OPENSLO_FIXED_RANGE = """apiVersion: openslo/v1
kind: SLO
metadata:
  name: vault-availability
spec:
  service: secrets-vault
  indicator:
    metadata:
      name: vault-reads
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec:
              query: sum(rate(vault_reads_ok_total[1m]))
        total:
          metricSource:
            type: Prometheus
            spec:
              query: vault_reads_total
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.999
"""


def test_an_openslo_query_over_a_fixed_range_is_said_where_it_is_as_for_sloth(run, tmp_path: Path) -> None:
    file = tmp_path / "openslo.yaml"
    file.write_text(OPENSLO_FIXED_RANGE)
    result = run("import", "openslo", file)
    assert result.exit_code == 0, result.output
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    # kept as written: the report, not the import, tells the user what to change
    assert offering["slos"][0]["measurement"]["good"] == "sum(rate(vault_reads_ok_total[1m]))"
    assert (
        f"{file}:17:22: warning: the good query is neither a metric selector nor PromQL with {{{{.window}}}}: "
        "the catalog refuses it" in result.stderr
    )
    assert "hint: write its range as [{{.window}}]" in result.stderr
    assert "total query is neither" not in result.stderr  # a selector is read over the window


# written for servicebook in the shape of OpenSLO files in other projects: objectives named in
# words (`displayName: 99% of decisions under 50ms`), several in one SLO
OPENSLO_NAMED_OBJECTIVES = """apiVersion: openslo/v1
kind: SLO
metadata:
  name: api-proxy
spec:
  service: cloud-k8s
  indicator:
    metadata:
      name: good-ratio
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
  budgetingMethod: Occurrences
  timeWindow:
    - duration: 30d
      isRolling: true
  objectives:
    - displayName: Most requests succeed
      target: 0.99
    - displayName: Nearly all requests succeed
      target: 0.999
"""


def test_an_openslo_objectives_display_name_names_its_slo_or_is_said_dropped(run, tmp_path: Path) -> None:
    file = tmp_path / "slo.yaml"
    file.write_text(OPENSLO_NAMED_OBJECTIVES)
    result = run("import", "openslo", file)
    assert result.exit_code == 0, result.output
    slos = yaml.safe_load(result.stdout)["offerings"][0]["slos"]
    assert [(s["id"], s["name"], s["objective"]) for s in slos] == [
        ("api-proxy-most-requests-succeed", "api-proxy: Most requests succeed", 99),
        ("api-proxy-nearly-all-requests-succeed", "api-proxy: Nearly all requests succeed", 99.9),
    ]
    one = tmp_path / "one.yaml"
    one.write_text(OPENSLO_NAMED_OBJECTIVES.split("    - displayName: Nearly", maxsplit=1)[0])
    single = run("import", "openslo", one)
    assert single.exit_code == 0, single.output
    assert f"{one}:28:20: warning: dropped the objective's displayName 'Most requests succeed'" in single.stderr


def test_an_aoe_radar_item_is_refused_as_a_format_not_read_not_as_a_yaml_mistake(run, tmp_path: Path) -> None:
    # AOE's radar is Markdown with front matter (radar/<release>/<item>.md): the import said
    # "only one YAML document is allowed: remove the '---' separator", which would break the file
    item = tmp_path / "kotlin.md"
    item.write_text('---\ntitle: "Kotlin"\nring: adopt\nquadrant: languages-and-frameworks\n---\n\nOur default.\n')
    result = run("import", "techradar", item)
    assert result.exit_code == 1 and result.stdout == ""
    assert f"{item}:1:1: error: an AOE radar item (Markdown with front matter) is not read" in result.stderr
    assert "remove the '---'" not in result.stderr
    # known by its front matter under any name; a YAML radar that starts with '---' is still read
    unnamed = tmp_path / "kotlin"
    unnamed.write_text(item.read_text())
    assert (
        "error: an AOE radar item (Markdown with front matter) is not read"
        in run("import", "techradar", unnamed).stderr
    )
    radar = tmp_path / "radar.yaml"
    radar.write_text("---\nentries:\n  - {label: Go, quadrant: 0, ring: 0}\n")
    read = run("import", "techradar", radar)
    assert read.exit_code == 0, read.output
    assert [t["id"] for t in yaml.safe_load(read.stdout)["tools"]] == ["go"]


@pytest.mark.parametrize(
    ("fmt", "text", "at"),
    [
        ("pyrra", PYRRA_TEAM.replace('target: "99"', 'target: "0.99"'), "20:11"),
        ("sloth", SLOTH_TEAM.replace("objective: 99.9", "objective: 0.999"), "13:18"),
    ],
)
def test_a_percent_target_written_as_a_fraction_is_said(run, tmp_path: Path, fmt: str, text: str, at: str) -> None:
    # Pyrra and Sloth read a target as a percent: 0.99 is 0.99 %, kept as written, but a reader who
    # meant 99 % would not see it in the fragment
    file = tmp_path / "slo.yaml"
    file.write_text(text)
    result = run("import", fmt, file)
    assert result.exit_code == 0, result.output
    objective = yaml.safe_load(result.stdout)["offerings"][0]["slos"][0]["objective"]
    assert objective < 1
    assert f"{file}:{at}: warning: an objective of {objective} % (" in result.stderr
    assert "write 99.9\n" in result.stderr or "write 99\n" in result.stderr


# --- What kubectl prints -------------------------------------------------------------------------

# `kubectl get slo -A -o yaml` (as docs/slo-formats.md suggests piping into the import) prints the
# objects as the items of a Kubernetes List, never as documents of their own
KUBECTL_LIST = """apiVersion: v1
items:
- apiVersion: pyrra.dev/v1alpha1
  kind: ServiceLevelObjective
  metadata:
    name: availability
    namespace: ci
  spec:
    target: "99.5"
    window: 30d
    indicator:
      ratio:
        errors:
          metric: pipeline_starts_total{outcome="late"}
        total:
          metric: pipeline_starts_total
- apiVersion: pyrra.dev/v1alpha1
  kind: ServiceLevelObjective
  metadata:
    name: latency
    namespace: ci
  spec:
    target: "99"
    window: 2w
    indicator:
      bool_gauge:
        metric: pipeline_fast
kind: List
metadata:
  resourceVersion: ""
"""


def test_a_kubectl_list_is_read_item_by_item(run, tmp_path: Path) -> None:
    file = tmp_path / "slos.yaml"
    file.write_text(KUBECTL_LIST)
    result = run("import", "pyrra", file)
    assert result.exit_code == 0, result.output
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    assert offering["id"] == "ci"
    assert [(s["id"], s["objective"], s["window"]) for s in offering["slos"]] == [
        ("availability", 99.5, "30d"),
        ("latency", 99, "14d"),
    ]
    assert f"{file}:6:11: warning: guessed the offering id 'ci'" in result.stderr  # at the item's own line
    assert "List" not in result.stderr


def test_a_backstage_resource_without_a_lifecycle_is_guessed_ga_saying_it_has_none(run, tmp_path: Path) -> None:
    # Backstage's Resource has no spec.lifecycle at all: the report says so, not "from '(none)'"
    file = tmp_path / "catalog-info.yaml"
    file.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata:\n  name: artifact-store\n"
        "spec:\n  type: storage\n  owner: platform-team\n"
    )
    result = run("import", "backstage", file)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["offerings"][0]["lifecycle"] == "ga"
    assert f"{file}:1:1: warning: guessed Resource 'artifact-store': lifecycle ga (it has no spec.lifecycle)" in (
        result.stderr
    )
    assert "(none)" not in result.stderr


# --- Pasting a fragment --------------------------------------------------------------------------


def _paste(catalog: str, key: str, fragment: str) -> str:
    """The items of `key` in an import's fragment, pasted as they are under the same key of a catalog."""
    lines = fragment.splitlines(keepends=True)
    start = lines.index(f"{key}:\n") + 1
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith(" ")), len(lines))
    at = catalog.index(f"\n{key}:\n") + len(f"\n{key}:\n")
    return catalog[:at] + "".join(lines[start:end]) + catalog[at:]


def test_an_imports_items_paste_under_the_scaffolded_catalogs_keys_as_they_are(run, tmp_path: Path) -> None:
    # `servicebook init` indents each list under its key, as the docs do: a fragment written with
    # its lists flush with their keys was "indented unlike the lines above it" once pasted
    site = tmp_path / "site"
    assert run("init", site).exit_code == 0
    entities = tmp_path / "catalog-info.yaml"
    entities.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ci-runners\n"
        "  description: Shared runners.\n  links:\n    - url: https://runbooks.example.com/runners\n"
        "      title: Runbook\nspec:\n  type: service\n  lifecycle: production\n  owner: group:default/platform\n"
    )
    radar = tmp_path / "radar.csv"
    radar.write_text("name,ring,quadrant,isNew,description\nGitLab CI,adopt,Tools,FALSE,Our CI.\n")
    imported = run("import", "backstage", entities).stdout
    assert "offerings:\n  - id: ci-runners\n" in imported
    catalog = _paste((site / "catalog.yaml").read_text(), "offerings", imported)
    for key in ("categories", "tools"):
        catalog = _paste(catalog, key, run("import", "techradar", radar).stdout)
    (site / "catalog.yaml").write_text(catalog)
    result = run("check", "--source", site)
    assert result.exit_code == 0, result.output
    assert "2 offerings, 1 SLO, 3 tool decisions" in result.stdout
