"""interop25: what round 24 left (label matchers compared in order, a Backstage Group in another namespace
written again, names made of accented team names), and real files of the projects read."""

from __future__ import annotations

import yaml

from servicebook.catalog import model, portals
from servicebook.interop.same_query import difference, normalised


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
