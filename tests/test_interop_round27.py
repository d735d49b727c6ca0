"""interop27: the exports for Prometheus 3, which stores a classic histogram's `le` and a summary's
`quantile` as floats (`le="1"` is stored `le="1.0"`). Sloth and the tools reading OpenSLO take the
query as written, so `export sloth` and `export openslo` write a bound as the regular expression of
every spelling (`le=~"1|1\\.0"`), as `measure` asks for it; Pyrra builds its selectors itself and its
webhook takes an equality on a number only, so `export pyrra` writes Go's spelling (`le="1"`), which
Pyrra 0.10's Prometheus 3 migration (pyrra-dev/pyrra#1619, on by default since #1827) matches as
`1(\\.0)?`, and says so of each such SLO. Proved against the real Prometheus 2.42 here: the exported
expressions are loaded as rules by `promtool check rules` and evaluated over series backfilled in both
spellings, as an upgrade leaves them."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from servicebook.catalog.queries import (
    bucket_bounds,
    every_spelling,
    go_spelling,
    in_go_spelling,
    label_in_promql,
    labels_in,
    open_metrics_float,
)
from servicebook.measure.prometheus import Prometheus
from tests.conftest import require_component
from tests.promhelp import INSTALL, PROMTOOL, Counter, installed, prometheus
from tests.test_interop_round26 import _site
from tests.test_interop_users import _paste
from tests.test_rule_generator_exports import pyrra_problems

DAY = 86_400
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
AT = T0 + DAY + DAY // 2  # a window of a day: half before the upgrade, half after
SLOTH_WINDOW = re.compile(r"\{\{ *\.window *\}\}")

# the day before the upgrade a Go exporter's bucket scraped by Prometheus 2 as le="1", the day after
# stored by Prometheus 3 as le="1.0" (a new series, from the next scrape on): 99 of 100 requests fast
SERIES = (
    Counter("request_seconds_bucket", {"le": "1"}, T0, T0 + DAY, lambda t: 99),
    Counter("request_seconds_bucket", {"le": "1.0"}, T0 + DAY + 60, T0 + 2 * DAY, lambda t: 99),
    Counter("request_seconds_bucket", {"le": "+Inf"}, T0, T0 + 2 * DAY, lambda t: 100),
    Counter("request_seconds_count", {}, T0, T0 + 2 * DAY, lambda t: 100),
)


def _latency(ident: str, good: str) -> str:
    return f"""\
      - id: {ident}
        name: Latency {ident}
        sli: Requests answered within a second.
        objective: 99
        window: 1d
        measurement:
          good: '{good}'
          total: request_seconds_count
"""


# the bound in Prometheus 2's spelling, in 3's, and as the imports' hint says to match both
SLOS = (
    _latency("p2", 'request_seconds_bucket{le="1"}')
    + _latency("p3", 'request_seconds_bucket{le="1.0"}')
    + _latency("both", 'request_seconds_bucket{le=~"1|1\\\\.0"}')
    + """\
      - id: errors
        name: Slow requests
        sli: Requests answered within a second.
        objective: 99
        window: 1d
        measurement:
          error_ratio: >-
            1 - sum(rate(request_seconds_bucket{le="1"}[{{.window}}])) / sum(rate(request_seconds_count[{{.window}}]))
"""
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_component(installed(), "Prometheus (prometheus and promtool)", INSTALL)
    with prometheus(tmp_path_factory.mktemp("prometheus"), SERIES) as url:
        yield url


def _export(run, site: Path, fmt: str, *args: str) -> tuple[list[dict[str, Any]], str]:
    result = run("export", fmt, *args, "--source", site)
    assert result.exit_code == 0, result.output
    return [d for d in yaml.safe_load_all(result.stdout) if d is not None], result.stderr


def _rules(queries: dict[str, str], folder: Path) -> None:
    """The queries loaded as recording rules by promtool ({{.window}} as the SLO's day): it fails on
    one Prometheus cannot parse."""
    rules = {
        "groups": [
            {
                "name": "exported",
                "rules": [{"record": f"exported:{k}", "expr": SLOTH_WINDOW.sub("1d", q)} for k, q in queries.items()],
            }
        ]
    }
    path = folder / "rules.yaml"
    path.write_text(yaml.safe_dump(rules))
    done = subprocess.run([PROMTOOL, "check", "rules", str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(queries)} rules found" in done.stdout


def _value(client: Prometheus, query: str) -> float:
    samples = client.query(SLOTH_WINDOW.sub("1d", query), float(AT))
    assert len(samples) == 1, (query, samples)
    return float(samples[0].value)


@pytest.mark.git
def test_export_sloth_asks_for_a_bound_in_both_spellings_and_counts_it_on_prometheus_2_and_3(
    server: str, run, tmp_path: Path
) -> None:
    site = _site(tmp_path, SLOS)
    (spec,), _ = _export(run, site.root, "sloth", "--period", "1d")
    queries: dict[str, str] = {}
    for slo in spec["slos"]:
        sli = slo["sli"]
        if "events" in sli:
            queries[f"{slo['name']}_errors"] = sli["events"]["error_query"]
            queries[f"{slo['name']}_total"] = sli["events"]["total_query"]
        else:
            queries[f"{slo['name']}_ratio"] = sli["raw"]["error_ratio_query"]
    assert all('le="1' not in q for q in queries.values()), queries  # found on one of the two only
    assert 'le=~"1|1\\\\.0"' in queries["p2_errors"] and 'le=~"1\\\\.0|1"' in queries["p3_errors"]
    _rules(queries, tmp_path)
    client = Prometheus(server)
    for slo in ("p2", "p3", "both"):
        ratio = _value(client, queries[f"{slo}_errors"]) / _value(client, queries[f"{slo}_total"])
        # as written, a bound found the half of the day stored in its spelling: 49.5 % for 99 %
        assert 1 - ratio == pytest.approx(0.99, abs=0.002), slo
    assert 1 - _value(client, queries["errors_ratio"]) == pytest.approx(0.99, abs=0.002)


@pytest.mark.git
def test_export_openslo_asks_for_a_bound_in_both_spellings_and_counts_it_on_prometheus_2_and_3(
    server: str, run, tmp_path: Path
) -> None:
    site = _site(tmp_path, SLOS)
    documents, _ = _export(run, site.root, "openslo")
    slis = {d["metadata"]["annotations"]["servicebook.dev/slo"]: d["spec"] for d in documents if d["kind"] == "SLI"}
    queries: dict[str, str] = {}
    for name, spec in slis.items():
        ratio = spec["ratioMetric"]
        for part in ("good", "total", "raw"):
            if part in ratio:
                queries[f"{name.split('/')[1]}_{part}"] = ratio[part]["metricSource"]["spec"]["query"]
    assert queries["p2_good"] == 'request_seconds_bucket{le=~"1|1\\\\.0"}'
    assert queries["p3_good"] == 'request_seconds_bucket{le=~"1\\\\.0|1"}'
    assert 'le=~"1|1\\\\.0"' in queries["errors_raw"]
    # a counter's selector: OpenSLO's tools count its increase over the window
    counted = {k: (f"sum(increase({q}[1d]))" if "{{" not in q else q) for k, q in queries.items()}
    _rules(counted, tmp_path)
    client = Prometheus(server)
    for slo in ("p2", "p3", "both"):
        share = _value(client, counted[f"{slo}_good"]) / _value(client, counted[f"{slo}_total"])
        assert share == pytest.approx(0.99, abs=0.002), slo
    assert 1 - _value(client, counted["errors_raw"]) == pytest.approx(0.99, abs=0.002)
    # and the file exported is the catalog's measurement to the drift check and to the import
    monitoring = tmp_path / "monitoring"
    monitoring.mkdir()
    assert run("export", "openslo", "--source", site.root, "-o", monitoring / "slos.yaml").exit_code == 0
    checked = run("check", "--source", site.root, "--against", monitoring, "--strict")
    assert checked.exit_code == 0, checked.output
    assert "4 of 4 SLOs measured there as the catalog promises" in checked.output


def _pyrras_rule(success: str) -> str:
    """The success selector as Pyrra 0.10 writes it into its rules (its --enable-prometheus3-migration, on by
    default, slo/prometheus3.go: an equality on a whole number `N` becomes `=~"N(\\.0)?"`, any other as
    written)."""
    return re.sub(r'le="([0-9]+)"', lambda m: f'le=~"{m[1]}(\\\\.0)?"', success)


@pytest.mark.git
def test_export_pyrra_writes_a_bound_as_go_does_which_pyrra_0_10_finds_in_both_spellings(
    server: str, run, tmp_path: Path
) -> None:
    site = _site(tmp_path, SLOS + _latency("fast", 'request_seconds_bucket{le="0.5"}'))
    documents, said = _export(run, site.root, "pyrra")
    by_slo = {d["metadata"]["annotations"]["servicebook.dev/slo"]: d for d in documents}
    # the catalog's le="1.0" and le=~"1|1\\.0" (which Pyrra's webhook refuses: it was left out) go as le="1"
    for slo in ("p2", "p3", "both"):
        document = by_slo[f"ci/{slo}"]
        assert pyrra_problems(document) == [], slo
        assert document["spec"]["indicator"]["latency"]["success"]["metric"] == 'request_seconds_bucket{le="1"}'
    assert by_slo["ci/fast"]["spec"]["indicator"]["latency"]["success"]["metric"] == (
        'request_seconds_bucket{le="0.5"}'
    )
    assert (
        '3 SLOs exported with a caution:\n  le="1", which Prometheus 3 stores as le="1.0": Pyrra 0.10 and later find '
        "both (--enable-prometheus3-migration, on by default); an earlier Pyrra, or that flag set to false, finds "
        "no bucket on Prometheus 3: ci/p2, ci/p3, ci/both\n"
    ) in said
    assert "ci/fast" not in said.split("left out:")[0]  # stored as written by both
    client = Prometheus(server)
    total = _value(client, "sum(increase(request_seconds_count[1d]))")
    success = _pyrras_rule('request_seconds_bucket{le="1"}')
    assert _value(client, f"sum(increase({success}[1d]))") / total == pytest.approx(0.99, abs=0.002)
    # what it wrote before of le="1.0", which Pyrra's migration leaves as written: half the day's
    before = _pyrras_rule('request_seconds_bucket{le="1.0"}')
    assert _value(client, f"sum(increase({before}[1d]))") / total == pytest.approx(0.495, abs=0.002)


@pytest.mark.parametrize(
    ("query", "written", "stored"),
    [
        ('x_bucket{le="1"}', 'x_bucket{le="1"}', ("1.0",)),
        ('x_bucket{le="1.0"}', 'x_bucket{le="1"}', ("1.0",)),
        ('x_bucket{le=~"1|1\\\\.0"}', 'x_bucket{le="1"}', ("1.0",)),
        ('x_bucket{job="a",le=~"60(\\\\.0)?"}', 'x_bucket{job="a",le="60"}', ("60.0",)),
        ('x_bucket{le="0.50"}', 'x_bucket{le="0.5"}', ("0.5",)),
        # Go's client writes 1e+06 as Prometheus 3 stores it: one spelling, found on both
        ('x_bucket{le="1000000"}', 'x_bucket{le="1e+06"}', ("1e+06",)),
        # a range of bounds, and a bound that is no number, are no one bound
        ('x_bucket{le=~"0.5|1"}', 'x_bucket{le=~"0.5|1"}', ()),
        ('x_bucket{le!="1"}', 'x_bucket{le!="1"}', ()),
    ],
)
def test_a_bound_in_any_spelling_is_written_as_go_writes_it(query: str, written: str, stored: tuple[str, ...]) -> None:
    assert in_go_spelling(query) == (written, stored)


@given(
    st.one_of(
        st.integers(min_value=0, max_value=10**9).map(float),
        st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False),
    )
)
def test_every_spelling_of_a_bound_goes_to_pyrra_as_one_and_to_sloth_as_all(value: float) -> None:
    # whichever spelling the catalog writes, or the regular expression of them all, Pyrra gets Go's; and what
    # Sloth and OpenSLO get matches the bound as Prometheus 3 stores it and as 2 stored it from a Go exporter
    stored = open_metrics_float(repr(value))
    assert stored is not None
    spellings = {repr(value), stored, go_spelling(stored)}
    written = [f'x_bucket{{le="{s}"}}' for s in spellings]
    for query in written + [every_spelling(q) for q in written]:
        assert in_go_spelling(query) == (f'x_bucket{{le="{go_spelling(stored)}"}}', (stored,)), query
    stores = {stored, go_spelling(stored)}  # as Prometheus 3 stores it, and 2 from a Go exporter
    for query in written:
        regex = every_spelling(query)
        assert {s for s in stores if re.fullmatch(_matcher_value(regex), s)} == stores, (query, regex)


def _matcher_value(query: str) -> str:
    """The regular expression (or the value, escaped) an le matcher of `query` matches, as Prometheus reads it."""
    found = re.search(r'le(=~?)"((?:[^"\\]|\\.)*)"', query)
    assert found is not None
    value = re.sub(r"\\(.)", r"\1", found[2])
    return value if found[1] == "=~" else re.escape(value)


def test_import_pyrra_says_what_to_write_of_a_bound_pyrras_migration_does_not_match(run, tmp_path: Path) -> None:
    # Pyrra 0.10's migration matches whole numbers only: le="1000000" is stored 1e+06 by Prometheus 3
    file = tmp_path / "slo.yaml"
    file.write_text(
        "apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata:\n  name: upload\n"
        "  namespace: ci\nspec:\n  target: '99'\n  window: 7d\n  indicator:\n    latency:\n      success:\n"
        '        metric: upload_bytes_bucket{le="1000000"}\n      total:\n        metric: upload_bytes_count\n'
    )
    result = run("import", "pyrra", file)
    assert result.exit_code == 0, result.output
    assert (
        f'{file}:12:37: warning: le="1000000" names a bucket that Prometheus 3 stores as le="1e+06" (it writes every '
        "le and quantile value as a float): the rules Pyrra makes of this query find no series there"
    ) in result.stderr
    assert '  hint: write le="1e+06", which Prometheus 2 stores too from a Go exporter\n' in result.stderr


# --- interop26's leftovers: Pyrra's grouping by a UTF-8 name ----------------------------------------------

PYRRA_GROUPED_UTF8 = """\
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: availability
  namespace: ci
spec:
  target: '99'
  window: 1d
  indicator:
    ratio:
      errors:
        metric: '{"http.server.request.count", "http.response.status_code"=~"5.."}'
      total:
        metric: '{"http.server.request.count"}'
      grouping:
        - http.route
        - service
"""


@given(
    st.lists(
        st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp")), min_size=1),
        min_size=1,
        max_size=4,
    )
)
def test_grouping_labels_read_back_as_written_into_sum_by(labels: list[str]) -> None:
    # what `import pyrra` writes of a grouping (quoted where PromQL needs it), `export pyrra` reads back
    assert labels_in(", ".join(label_in_promql(label) for label in labels)) == tuple(labels)


@pytest.mark.git
def test_import_pyrra_reads_a_grouping_by_a_utf8_name_and_exports_it_back(run, tmp_path: Path) -> None:
    # Pyrra validates no grouping name: it writes each into its rules' `sum by (…)`, which Prometheus 3 reads
    # quoted (`sum by ("http.route")`); it was refused as no label name
    file = tmp_path / "slo.yaml"
    file.write_text(PYRRA_GROUPED_UTF8)
    result = run("import", "pyrra", file)
    assert result.exit_code == 0, result.output
    (slo,) = yaml.safe_load(result.stdout)["offerings"][0]["slos"]
    errors = 'increase({"http.server.request.count", "http.response.status_code"=~"5.."}[{{.window}}])'
    total = 'increase({"http.server.request.count"}[{{.window}}])'
    assert slo["measurement"]["error_ratio"] == (
        f'max((sum by ("http.route", service) ({errors}) or 0 * sum by ("http.route", service) ({total})) '
        f'/ sum by ("http.route", service) ({total}))'
    )
    assert "measured the worst of each http.route, service" in result.stderr
    fragment = result.stdout.split("    slos:\n", 1)[1]
    site = _site(
        tmp_path, fragment.replace("        objective:", "        sli: Requests answered.\n        objective:")
    )
    checked = run("check", "--source", site.root)
    assert checked.exit_code == 0, checked.output
    (document,), _ = _export(run, site.root, "pyrra")
    assert document["spec"]["indicator"]["ratio"] == {
        "errors": {"metric": '{"http.server.request.count", "http.response.status_code"=~"5.."}'},
        "total": {"metric": '{"http.server.request.count"}'},
        "grouping": ["http.route", "service"],
    }


# --- interop26's leftovers: a PromQL comment holding braces ---------------------------------------------

SLOTH_COMMENTED = """\
version: prometheus/v1
service: checkout
slos:
  - name: latency
    objective: 99
    sli:
      events:
        error_query: |
          sum(rate(http_request_duration_seconds_count[{{.window}}]))
          # the slow ones: not {le="2"} as the old dashboard's, and don't count {code="499"}
          - sum(rate(http_request_duration_seconds_bucket{le="0.5"}[{{.window}}]))
        total_query: sum(rate(http_request_duration_seconds_count[{{.window}}]))
    alerting:
      page_alert:
        disable: true
      ticket_alert:
        disable: true
"""


def test_a_promql_comment_is_text_however_many_braces_it_holds(run, tmp_path: Path) -> None:
    # PromQL reads `#` to the line's end as a comment (promtool takes the query); its braces were read as
    # a selector, and a bound in them said to be one Prometheus 3 stores otherwise
    (spec,) = yaml.safe_load_all(SLOTH_COMMENTED)
    query = spec["slos"][0]["sli"]["events"]["error_query"]
    require_component(installed(), "Prometheus (prometheus and promtool)", INSTALL)
    _rules({"commented": query}, tmp_path)
    assert bucket_bounds(query) == (("http_request_duration_seconds_bucket", "0.5"),)
    assert every_spelling(query.replace('le="0.5"', 'le="1"')) == query.replace('le="0.5"', 'le=~"1|1\\\\.0"')
    file = tmp_path / "checkout.sloth.yaml"
    file.write_text(SLOTH_COMMENTED)
    result = run("import", "sloth", file)
    assert result.exit_code == 0, result.output
    assert "Prometheus 3" not in result.stderr
    assert "counts http_request_duration_seconds_bucket" not in result.stderr


# --- Sloth's common SLI plugin whose bucket option is a bound Prometheus 3 stores otherwise ---------------

# the plugin README's "Don't allow requests >1s" (slok/sloth-common-sli-plugins
# plugins/kubernetes/apiserver/latency/README.md) in a spec as Sloth's README writes one
SLOTH_PLUGIN_BUCKET = """\
version: "prometheus/v1"
service: "k8s-apiserver"
labels:
  owner: "myteam"
slos:
  - name: "requests-latency"
    objective: 99
    description: "Warn that we are returning slow responses."
    sli:
      plugin:
        id: "sloth-common/kubernetes/apiserver/latency"
        options:
          bucket: "1"
    alerting:
      page_alert:
        disable: true
      ticket_alert:
        disable: true
"""


def test_a_plugin_s_bucket_option_is_said_where_it_is_with_what_the_plugin_can_be_given(run, tmp_path: Path) -> None:
    # the plugin writes le="{{.bucket}}", an equality: a regular expression given as the bucket matches nothing.
    # It was said at `plugin:` with le=~"1|1\\.0" to write, which the file has no place for
    file = tmp_path / "apiserver.sloth.yaml"
    file.write_text(SLOTH_PLUGIN_BUCKET)
    result = run("import", "sloth", file)
    assert result.exit_code == 0, result.output
    assert f'{file}:13:19: warning: le="1" names a bucket that Prometheus 3 stores as le="1.0"' in result.stderr
    assert (
        '  hint: write bucket: "1.0" (the plugin writes le="BUCKET" as given: one spelling, found on Prometheus 3 '
        'only), or the SLI as events with le=~"1|1\\\\.0" to match both\n'
    ) in result.stderr


# --- real files, round 27 ---------------------------------------------------------------------------------

FIXTURES = Path(__file__).parent / "interop" / "fixtures"


def test_backstage_s_team_b_its_users_and_a_component_it_owns_import_and_check(run, tmp_path: Path) -> None:
    # catalog-model's examples: a Group with spec.profile and five Users of it, and a Component it owns
    group, component = FIXTURES / "backstage-team-b-group.yaml", FIXTURES / "backstage-queue-proxy-component.yaml"
    result = run("import", "backstage", group, component)
    assert result.exit_code == 0, result.output
    fragment = yaml.safe_load(result.stdout)
    assert fragment["team"]["name"] == "Team B"
    assert fragment["team"]["contacts"][0] == {"name": "Team B", "email": "team-b@example.com"}
    assert [c["name"] for c in fragment["team"]["contacts"][1:]] == [
        "Amelia Park",
        "Colette Brock",
        "Jenny Doe",
        "Jonathon Page",
        "Justine Barrow",
    ]
    (offering,) = fragment["offerings"]
    assert (offering["id"], offering["owner"], offering["lifecycle"]) == ("queue-proxy", "Team B", "ga")
    assert f"{group}:12:11: warning: dropped Group 'team-b': spec.parent 'backstage'" in result.stderr
    site = tmp_path / "site"
    assert run("init", site).exit_code == 0
    (site / "catalog.yaml").write_text(_paste((site / "catalog.yaml").read_text(), "offerings", result.stdout))
    checked = run("check", "--source", site)
    assert checked.exit_code == 0, checked.output


def test_backstage_s_component_consuming_a_component_as_an_api_is_said(run) -> None:
    # catalog-model's myservice-component.yaml: consumesApis ['component:artist-lookup'], a Component's ref
    file = FIXTURES / "backstage-myservice-component.yaml"
    result = run("import", "backstage", file)
    assert result.exit_code == 0, result.output
    assert (
        f"{file}:13:17: warning: dropped Component 'demo-service': consumesApis component:artist-lookup "
        "(not a reference to an API)"
    ) in result.stderr
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    assert (offering["id"], offering["owner"]) == ("demo-service", "sre")


# in the shape of statisticsnorway/teknologiradar's Build-Your-Own-Radar sheet (`SSB - Teknologiradar.csv`:
# its rings in Norwegian, its descriptions HTML; licence not checked: written anew)
SSB_SHAPED = (
    "name,ring,quadrant,isNew,description\n"
    'Objektlager,Ta i bruk,Datainnsamling - lagring,FALSE,"Lagring med versjoner.<br>Mer info: '
    '<a href=""https://example.org/lager"">Lager</a>"\n'
    "Hendelsesstrøm,Prøv ut,Datainnsamling - lagring,FALSE,Meldinger som strøm.\n"
    "Notatbøker,Vurder,Klargjøring,TRUE,Kodemiljø for statistikk.\n"
    "Gammelt grafbibliotek,Avvent,Analyse - formidling,TRUE,Ikke for nye løsninger.\n"
)


def test_a_radar_s_norwegian_rings_are_read_as_the_rings_they_translate(run, tmp_path: Path) -> None:
    # every ring was guessed best-effort, "map custom rings by hand": Avvent (hold) among them, a tool to leave
    radar = tmp_path / "teknologiradar.csv"
    radar.write_text(SSB_SHAPED)
    result = run("import", "techradar", radar)
    assert result.exit_code == 0, result.output
    tools = yaml.safe_load(result.stdout)["tools"]
    assert [(t["name"], t["status"]) for t in tools] == [
        ("Objektlager", "supported"),
        ("Hendelsesstrøm", "best-effort"),
        ("Notatbøker", "best-effort"),
        ("Gammelt grafbibliotek", "unsupported"),
    ]
    assert (
        f"{radar}:5:1: warning: guessed entry 'Gammelt grafbibliotek': status unsupported from the ring 'Avvent' "
        "(read as Hold: check it)"
    ) in result.stderr
    assert "map custom rings by hand" not in result.stderr


@pytest.mark.git
def test_what_export_pyrra_writes_of_a_whole_bound_passes_the_strict_drift_check(run, tmp_path: Path) -> None:
    # export pyrra writes le="1" (Pyrra 0.10's migration finds both spellings); the drift check said the file
    # it wrote finds no bucket on Prometheus 3, and --strict failed on the export itself
    site = _site(tmp_path, _latency("p2", 'request_seconds_bucket{le="1.0"}'))
    monitoring = tmp_path / "monitoring"
    monitoring.mkdir()
    exported = run("export", "pyrra", "--source", site.root, "-o", monitoring / "slos.pyrra.yaml")
    assert exported.exit_code == 0, exported.output
    assert "1 SLO exported with a caution:" in exported.stderr
    checked = run("check", "--source", site.root, "--against", monitoring, "--strict")
    assert checked.exit_code == 0, checked.output
    assert "1 of 1 SLO measured there as the catalog promises" in checked.output
