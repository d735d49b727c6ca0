"""interop24: what round 23 left (the drift check blind to queries, a Backstage Group named otherwise than the
team claimed as existing, a rename chain `promised` did not follow), and real files of the projects read."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st

from servicebook.catalog import model, portals
from servicebook.interop.same_query import difference, normalised
from tests.test_interop_round15 import INTEROP, _pasted
from tests.test_interop_round16 import _monitoring
from tests.test_interop_round22 import _file, _key


def _exported(run, site: Path, tmp_path: Path) -> Path:
    monitoring = _monitoring(tmp_path, {})
    for fmt in ("sloth", "pyrra", "openslo"):
        extra = ("--period", "28d") if fmt == "sloth" else ()
        result = run("export", fmt, "--source", site, *extra, "--output", monitoring / f"{fmt}.yaml")
        assert result.exit_code == 0, result.output
    return monitoring


def test_check_against_says_a_query_that_differs_from_the_catalog_s_measurement(run, site_copy, tmp_path) -> None:
    # objectives and windows were compared, queries not: a monitoring counting other errors than the catalog's
    # measurement passed as "measured there as the catalog promises"
    site = site_copy("example")
    monitoring = _exported(run, site, tmp_path)
    result = run("check", "--source", site, "--against", monitoring, "--sloth-period", "28d")
    assert result.exit_code == 0, result.output
    assert " query is " not in result.stderr  # its own exports, Sloth's sum(rate(…)) of a selector included
    agreeing = result.stdout.splitlines()[-1]
    # white space moved about (a query folded over lines, spaces inside brackets) is the same query
    for fmt in ("sloth", "pyrra", "openslo"):
        path = monitoring / f"{fmt}.yaml"
        text = path.read_text()
        assert 'failure_reason="runner_system_failure"' in text
        path.write_text(
            text.replace('{failure_reason="runner_system_failure"}', '{ failure_reason = "runner_system_failure" }')
        )
    result = run("check", "--source", site, "--against", monitoring, "--sloth-period", "28d")
    assert result.exit_code == 0, result.output
    assert " query is " not in result.stderr
    assert result.stdout.splitlines()[-1] == agreeing

    for fmt in ("sloth", "pyrra", "openslo"):
        path = monitoring / f"{fmt}.yaml"
        path.write_text(path.read_text().replace('"runner_system_failure"', '"script_failure"'))
    result = run("check", "--source", site, "--against", monitoring, "--sloth-period", "28d")
    assert result.exit_code == 0, result.output  # a warning: two texts may be one query PromQL reads alike
    promised = 'gitlab_runner_failed_jobs_total{failure_reason="runner_system_failure"}'
    for fmt, name, theirs in (
        ("Sloth", "runner-failures", 'sum(rate(gitlab_runner_failed_jobs_total{ failure_reason = "script_failure" }'),
        (
            "Pyrra",
            "build-runners-runner-failures",
            'gitlab_runner_failed_jobs_total{ failure_reason = "script_failure" }',
        ),
        (
            "OpenSLO",
            "build-runners-runner-failures",
            'gitlab_runner_failed_jobs_total{ failure_reason = "script_failure" }',
        ),
    ):
        assert (
            f"warning: build-runners/runner-failures: the catalog's errors query is {promised}, but {fmt} SLO '{name}' ("
        ) in result.stderr
        assert f"has {theirs}" in result.stderr
    assert "change the monitoring's query, or the catalog's measurement" in result.stderr
    # said at the catalog's query that differs
    catalog = (site / "catalog.yaml").read_text()
    at = catalog.index("errors: gitlab_runner_failed_jobs_total") + len("errors: ")
    line, col = catalog.count("\n", 0, at) + 1, at - catalog.rfind("\n", 0, at)
    assert (
        f"{site / 'catalog.yaml'}:{line}:{col}: warning: build-runners/runner-failures: the catalog's errors query"
        in (result.stderr)
    )
    assert result.stdout.splitlines()[-1] != agreeing  # no longer counted as measured as promised
    strict = run("check", "--source", site, "--against", monitoring, "--sloth-period", "28d", "--strict")
    assert strict.exit_code == 1

    # good events over total, as a Sloth file has them (errors: the total minus the good), compared so
    sloth = monitoring / "sloth.yaml"
    # (interop27: `export sloth` writes a bound in every spelling Prometheus 2 and 3 store it in)
    exported = sloth.read_text()
    assert 'le=~"60|60\\\\.0"' in exported
    sloth.write_text(exported.replace('le=~"60|60\\\\.0"', 'le="30"'))
    result = run("check", "--source", site, "--against", monitoring, "--sloth-period", "28d")
    assert (
        "warning: build-runners/pickup: the catalog's errors query (as `export sloth` writes it) is "
        "sum(rate(gitlab_runner_job_queue_duration_seconds_count[{{.window}}])) - "
        'sum(rate(gitlab_runner_job_queue_duration_seconds_bucket{le=~"60|60\\\\.0"}[{{.window}}])), '
        "but Sloth SLO 'pickup'"
    ) in result.stderr


def test_check_against_says_a_file_measuring_another_shape_than_the_catalog(run, site_copy, tmp_path) -> None:
    site = site_copy("example")
    monitoring = _monitoring(
        tmp_path,
        {
            "pyrra.yaml": """apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: pickup
  namespace: build-runners
spec:
  target: "99.5"
  window: 28d
  indicator:
    ratio:
      errors:
        metric: gitlab_runner_jobs_total{state="failed"}
      total:
        metric: gitlab_runner_jobs_total
"""
        },
    )
    result = run("check", "--source", site, "--against", monitoring)
    assert (
        "warning: build-runners/pickup: the catalog's measurement counts good events over total, but Pyrra SLO "
        f"'pickup' ({monitoring / 'pyrra.yaml'}:9:3) measures errors over total\n"
    ) in result.stderr


def test_queries_are_compared_with_white_space_aside_but_inside_strings() -> None:
    assert normalised('sum by (le) (rate(x{a = "b"}[ {{ .window }} ]))') == 'sum by(le)(rate(x{a="b"}[{{.window}}]))'
    assert normalised("a  or\n  b") == "a or b"
    assert normalised('x{a="b c"}') != normalised('x{a="bc"}')
    promised = model.Measurement(errors='x{code="5.."}', total="x")
    assert (
        difference(
            promised, model.Measurement(errors='sum(increase(x{code="5.."}[{{.window}}]))', total="x"), sloth=False
        )
        is None
    )
    assert difference(promised, model.Measurement(errors='x{code="4.."}', total="x"), sloth=False) is not None


TEAM_GROUP = """apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: Team_A
spec:
  type: team
  profile:
    displayName: Team A
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: web
  description: The web
spec:
  type: service
  lifecycle: production
  owner: group:Team_A
"""


def test_a_team_group_the_export_cannot_refer_to_is_not_claimed_as_existing(run, tmp_path) -> None:
    # existing: [group] was guessed of a Group named Team_A, which portals.backstage.group cannot name (no catalog
    # id): the export then wrote neither that Group nor its own team-a, and its System's owner, group:default/team-a,
    # named a Group Backstage has not
    file = _file(tmp_path, TEAM_GROUP)
    result = run("import", "backstage", file)
    assert result.exit_code == 0, result.output
    backstage = yaml.safe_load(result.stdout)["portals"]["backstage"]
    assert "existing" not in backstage and "group" not in backstage
    assert backstage["owners"] == [{"owner": "Team A", "ref": "group:Team_A"}]
    assert (
        f"{file}:1:1: warning: guessed portals.backstage.existing without group: Group 'Team_A' is not the team's "
        "Group `export backstage` refers to, group:default/team-a (its name is no catalog id), so the export writes "
        "that Group for the team and its System; the team's offerings keep group:Team_A as their owner\n"
        "  hint: to refer to this Group instead, name it with a catalog id in Backstage"
    ) in result.stderr

    # in another namespace than the offerings: claimed, referred to where it is (interop25: the export wrote a
    # second Group in the offerings' namespace; test_interop_round25)
    other = _file(
        tmp_path,
        TEAM_GROUP.replace("  name: Team_A\n", "  name: team-a-platform\n  namespace: platform\n").replace(
            "owner: group:Team_A", "owner: group:platform/team-a-platform"
        ),
        "other.yaml",
    )
    result = run("import", "backstage", other)
    assert result.exit_code == 0, result.output
    backstage = yaml.safe_load(result.stdout)["portals"]["backstage"]
    assert (backstage["existing"], backstage["group_namespace"]) == (["group"], "platform")

    # a name Backstage finds by the export's reference (it compares names in lower case) is claimed, as it was
    for name, group in (("Team-A", None), ("Team-A-Platform", "team-a-platform")):
        found = _file(tmp_path, TEAM_GROUP.replace("Team_A", name), f"{name}.yaml")
        result = run("import", "backstage", found)
        assert result.exit_code == 0, result.output
        backstage = yaml.safe_load(result.stdout)["portals"]["backstage"]
        assert backstage["existing"] == ["group"]
        assert backstage.get("group") == group


def test_a_pyrra_objective_without_its_api_group_is_read_as_pyrra_s_filesystem_mode_reads_it(run, tmp_path) -> None:
    # rhobs/configuration's objectives, written from Pyrra's Go types, say `apiVersion: v1alpha1`: Pyrra's
    # filesystem mode reads them (it unmarshals the file without looking at apiVersion), the import skipped
    # them as "not a Pyrra ServiceLevelObjective" and the drift check found nothing measured
    file = INTEROP / "pyrra-rhobs-api-write-latency.yaml"
    result = run("import", "pyrra", "--offering", "observatorium-api", file)
    assert result.exit_code == 0, result.output
    slo = yaml.safe_load(result.stdout)["offerings"][0]["slos"][0]
    assert slo["objective"] == 90 and slo["window"] == "28d"
    assert slo["measurement"] == {
        "good": 'http_request_duration_seconds_bucket{job="observatorium-api", handler="receive", code=~"^2..$", le="5"}',
        "total": 'http_request_duration_seconds_count{job="observatorium-api", handler="receive", code=~"^2..$"}',
    }
    assert (
        f"{file}:1:13: warning: read apiVersion v1alpha1 as Pyrra's filesystem mode reads it (it does not check "
        "apiVersion); Kubernetes refuses it\n"
    ) in result.stderr
    assert "hint: write apiVersion: pyrra.dev/v1alpha1" in result.stderr
    # the drift check reads it the same way: the imported SLO, annotated, is found measured there as promised
    site = _pasted(yaml.safe_load(result.stdout)["offerings"], tmp_path)
    text = file.read_text().replace(
        "  annotations:\n", "  annotations:\n    servicebook.dev/slo: observatorium-api/api-metrics-write-latency-slo\n"
    )
    monitoring = _monitoring(tmp_path, {"slo.yaml": text})
    checked = run("check", "--source", site, "--against", monitoring)
    assert checked.exit_code == 0, checked.output
    assert "measures observatorium-api/" not in checked.stderr and " query is " not in checked.stderr
    assert "1 of 2 SLOs measured there as the catalog promises" in checked.stdout  # the site's own ci/availability


def test_check_warns_of_an_existing_team_group_the_team_s_offerings_are_not_owned_by(run, site_copy) -> None:
    # what the import wrote of a Group named Team_A before it stopped claiming it: existing: [group] beside the
    # team's name mapped to group:Team_A; the export's System was owned by group:default/<the team's id>, which
    # nothing wrote, and `check` said nothing
    site = site_copy("minimal")
    catalog = yaml.safe_load((site / "catalog.yaml").read_text())
    catalog["site"]["base_url"] = "https://platform.example/"
    team = catalog["team"]["name"]
    catalog["portals"] = {
        "backstage": {
            "owners": [{"owner": team, "ref": "group:Team_A"}]
            + [{"owner": o, "ref": "group:others"} for o in {x["owner"] for x in catalog["offerings"]} - {team}],
            "existing": ["group"],
        }
    }
    (site / "catalog.yaml").write_text(yaml.safe_dump(catalog, sort_keys=False))
    result = run("check", "--source", site)
    assert result.exit_code == 0, result.output
    group = f"group:default/{portals.slug(team)}"
    assert (
        f"warning: the team's offerings are owned by group:Team_A, but existing: [group] says Backstage has the "
        f"team's Group {group}, which the export refers to as its System's owner and does not write\n"
    ) in result.stderr
    # the Group the export names, in Backstage's spelling (it compares names in lower case), is no such case
    catalog["portals"]["backstage"]["owners"][0]["ref"] = (
        group.replace("group:default/", "group:").upper().replace("GROUP:", "group:")
    )
    (site / "catalog.yaml").write_text(yaml.safe_dump(catalog, sort_keys=False))
    result = run("check", "--source", site)
    assert result.exit_code == 0, result.output
    assert "existing: [group] says" not in result.stderr


_TOKENS = st.sampled_from(
    [
        "sum",
        "rate",
        "by",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ",",
        "=",
        "=~",
        "x_total",
        "le",
        '"a b"',
        "'5..'",
        "{{.window}}",
        "/",
        "-",
        "or",
    ]
)


def _word(char: str) -> bool:
    return char.isalnum() or char in "_:."


@given(st.lists(st.tuples(_TOKENS, st.sampled_from(["", " ", "\n  ", "\t"])), max_size=20))
def test_white_space_between_tokens_does_not_change_a_query_but_parts_words(tokens) -> None:
    # the same tokens with white space added or removed where PromQL ignores it normalise alike; two words
    # never run together (`a or b` is not `aorb`), and a string's own spaces are kept
    spaced = ""
    for token, space in tokens:  # no space at all only where a side is no word: `sum(`, not `sumsum`
        if spaced[-1:] and _word(spaced[-1]) and _word(token[0]):
            spaced += " "
        spaced += token + space
    plain = " ".join(token for token, _ in tokens)
    assert normalised(spaced) == normalised(plain)
    assert normalised(normalised(plain)) == normalised(plain)
    if '"a b"' in plain:
        assert '"a b"' in normalised(plain)


# OpenSLO/OpenSLO examples/budgeting-method/ratio-timeslices.yaml at 9ce42c6 (Apache-2.0): the example as it was
# before its slips were mended (ratioMethic, objective)
OPENSLO_OLD_EXAMPLE = """apiVersion: openslo/v1
kind: SLO
metadata:
  name: main-page
  displayName: Main page availability
spec:
  description: Our main page should be available always
  service: web-shop
  indicator:
    metadata:
      name: response-code
      displayName: Response codes of requests to main page
    spec:
      ratioMethic:
        good:
          metricSource:
            type: Any
            spec:
        total:
          metricSource:
            type: Any
            spec:
  timeWindow:
   - duration: 2w
     isRolling: true
  budgetingMethod: RatioTimeslices
  objective:
    - displayName: Good
      op: gt
      timeSliceWindow: 1m
      target: 0.99
"""


def test_a_slip_in_a_required_openslo_key_is_said_where_it_is_with_the_key_meant(run, tmp_path) -> None:
    # 'an SLI gives exactly one of ratioMetric and thresholdMetric' at the SLI's first key, and 'an SLO needs
    # objectives' at the spec's, left the reader to find ratioMethic and objective
    file = _file(tmp_path, OPENSLO_OLD_EXAMPLE)
    result = run("import", "openslo", file)
    assert result.exit_code == 1
    assert (
        f"{file}:{_key(OPENSLO_OLD_EXAMPLE, 'ratioMethic')}: error: an SLI gives one of ratioMetric and "
        "thresholdMetric: 'ratioMethic' is not read\n"
    ) in result.stderr
    assert "hint: did you mean 'ratioMetric'?" in result.stderr
    mended = _file(tmp_path, OPENSLO_OLD_EXAMPLE.replace("ratioMethic", "ratioMetric"), "mended.yaml")
    result = run("import", "openslo", mended)
    assert result.exit_code == 1
    assert (
        f"{mended}:{_key(OPENSLO_OLD_EXAMPLE, 'objective')}: error: an SLO needs objectives: 'objective' is not read\n"
    ) in result.stderr
    assert "hint: did you mean 'objectives'?" in result.stderr


def test_a_pyrra_objective_without_a_namespace_names_its_service_by_the_label_pyrra_dev_service(run, tmp_path) -> None:
    # rhobs/configuration's objectives name no namespace (Pyrra's filesystem mode reads them) and label their
    # service pyrra.dev/service: the import put them under `imported`, which check --against then did not find
    file = INTEROP / "pyrra-rhobs-api-query-availability.yaml"
    result = run("import", "pyrra", file)
    assert result.exit_code == 0, result.output
    offerings = yaml.safe_load(result.stdout)["offerings"]
    assert [o["id"] for o in offerings] == ["observatorium-api"]
    assert (
        f"{file}:10:3: warning: read the label pyrra.dev/service observatorium-api as the objective's service: it "
        "names no namespace\n"
    ) in result.stderr
    assert "will not find" not in result.stderr
    site = _pasted(offerings, tmp_path)
    checked = run("check", "--source", site, "--against", _monitoring(tmp_path, {"slo.yaml": file.read_text()}))
    assert checked.exit_code == 0, checked.output
    assert "measures observatorium-api/" not in checked.stderr
    assert "1 of 2 SLOs measured there as the catalog promises" in checked.stdout
