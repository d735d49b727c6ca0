"""`servicebook import openslo|sloth|pyrra` and `check --against DIR`: real example files of each
tool (tests/interop/fixtures, their source in SOURCES.md) and hostile ones; export → import gives
back every catalog field OpenSLO holds."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from servicebook.catalog.queries import QueryForm, query_form
from servicebook.interop import backstage, importing, openslo
from servicebook.source.yaml import BIDI_CONTROLS, Mapping, Scalar, Sequence, SourceError, SourceText, parse_yaml

from .conftest import SITES, examples
from .test_openslo_export import _catalog, _site

FIXTURES = Path(__file__).parent / "interop" / "fixtures"


def plain(node):
    """A located YAML tree as plain Python values (text stays text)."""
    if isinstance(node, Mapping):
        return {k.value: plain(v) for k, v in node.items}
    if isinstance(node, Sequence):
        return [plain(v) for v in node.items]
    assert isinstance(node, Scalar)
    return node.value


def fragment(result) -> dict:
    assert result.exit_code == 0, result.output
    return plain(parse_yaml(SourceText("fragment", result.stdout)))


def test_a_sloth_spec_becomes_offerings_with_measured_slos(run) -> None:
    result = run("import", "sloth", FIXTURES / "sloth-getting-started.yml")
    (offering,) = fragment(result)["offerings"]
    assert offering["id"] == "myservice"
    (slo,) = offering["slos"]
    assert slo["objective"] == "99.9"
    assert slo["window"] == "30d"
    assert slo["measurement"]["errors"].startswith("sum(rate(http_request_duration_seconds_count{")
    assert "[{{.window}}]" in slo["measurement"]["total"]
    report = result.stderr
    assert "sloth-getting-started.yml:7:1: warning: dropped 'slo_plugins'" in report
    assert "guessed the window 30d: a Sloth spec has none" in report
    assert "dropped 'alerting' (alerts are not part of the catalog)" in report


@pytest.mark.parametrize("fmt", ["sloth", "pyrra", "openslo", "backstage", "techradar"])
def test_an_import_reads_a_file_named_through_a_link_as_every_import_does(run, tmp_path, fmt: str) -> None:
    """`servicebook import pyrra <(kubectl get slo -o yaml)` names /dev/fd/63, a link to a pipe,
    and a folder of exported files may hold links: the file named on the command line is read,
    by every import alike. The SLO imports refused it with the catalog's own rule ("symbolic links
    are not allowed in the source", "commit the file itself"), which is not about an import."""
    real = (
        FIXTURES
        / {
            "sloth": "sloth-getting-started.yml",
            "pyrra": "pyrra-apiserver-request-errors.yaml",
            "openslo": "openslo-occurences-slo.yaml",
            "backstage": "backstage-artist-lookup-component.yaml",
            "techradar": "zalando-config-2023-10.json",
        }[fmt]
    )
    link = tmp_path / f"linked{real.suffix}"
    link.symlink_to(real)
    direct, linked = run("import", fmt, real), run("import", fmt, link)
    assert direct.exit_code == 0, direct.output
    assert (linked.exit_code, linked.stdout) == (0, direct.stdout), linked.output


def test_the_kubernetes_resource_and_the_raw_ratio_of_sloth(run) -> None:
    wifi = fragment(run("import", "sloth", FIXTURES / "sloth-k8s-home-wifi.yml"))["offerings"][0]
    assert [s["objective"] for s in wifi["slos"]] == ["95", "99.9"]
    assert wifi["slos"][0]["measurement"]["errors"].startswith("sum_over_time((count(")  # errorQuery
    raw = fragment(run("import", "sloth", FIXTURES / "sloth-raw-home-wifi.yml"))["offerings"][0]["slos"][0]
    assert raw["measurement"]["error_ratio"].startswith("1 - (\n  sum(sum_over_time(")


def test_an_slos_own_labels_and_plugins_are_named_as_dropped(run) -> None:
    # Sloth's examples/contrib-denominator-corrected.yaml: labels on the SLO (not only on the spec)
    result = run("import", "sloth", FIXTURES / "sloth-contrib-denominator-corrected.yaml")
    assert result.exit_code == 0, result.output
    assert (
        "sloth-contrib-denominator-corrected.yaml:17:7: warning: dropped 'labels' (Prometheus labels" in result.stderr
    )
    assert "sloth-contrib-denominator-corrected.yaml:10:3: warning: dropped 'sloPlugins'" in result.stderr


def test_pyrra_resources_give_each_indicator_shape(run) -> None:
    ratio = fragment(run("import", "pyrra", FIXTURES / "pyrra-apiserver-request-errors.yaml"))
    slos = ratio["offerings"][0]["slos"]
    assert [(s["id"], s["objective"], s["window"]) for s in slos] == [
        ("apiserver-read-response-errors", "99.99", "14d"),
        ("apiserver-write-response-errors", "99", "7d"),
    ]
    latency = fragment(run("import", "pyrra", FIXTURES / "pyrra-apiserver-request-latency.yaml"))
    assert set(latency["offerings"][0]["slos"][0]["measurement"]) == {"good", "total"}
    gauge = run("import", "pyrra", FIXTURES / "pyrra-dynamic-burn-rate-bool-gauge.yaml")
    assert fragment(gauge)["offerings"][0]["slos"][0]["measurement"] == {"bool_gauge": 'up{job="prometheus-k8s"}'}
    assert "guessed the offering id 'monitoring'" in gauge.stderr


def test_a_pyrra_selector_shifted_by_offset_is_imported_as_promql_the_catalog_measures(run) -> None:
    # Pyrra's own slo-prometheus-query-errors-with-offset.yaml: `metric{…} offset 1m` is neither a
    # selector nor PromQL over {{.window}}, so its fragment failed `check`; grouped by handler, the
    # worst handler's error ratio (interop8)
    result = run("import", "pyrra", FIXTURES / "pyrra-prometheus-query-errors-with-offset.yaml")
    measurement = fragment(result)["offerings"][0]["slos"][0]["measurement"]
    bad = (
        'sum by (handler) (increase(prometheus_http_requests_total{job="prometheus-k8s",handler=~"/api/v1/query.*",'
        'code=~"5.."}[{{.window}}] offset 1m))'
    )
    every = (
        'sum by (handler) (increase(prometheus_http_requests_total{job="prometheus-k8s",handler=~"/api/v1/query.*"}'
        "[{{.window}}] offset 1m))"
    )
    assert measurement == {"error_ratio": f"max(({bad} or 0 * {every}) / {every})"}
    assert {query_form(q) for q in measurement.values()} == {QueryForm.TEMPLATE}
    assert "query-errors-with-offset.yaml:14:17: warning: guessed the queries as PromQL over {{.window}}" in (
        result.stderr
    )


def test_a_latency_bucket_without_its_bound_is_refused_where_it_is_written(run) -> None:
    # Pyrra's own examples/nginx.yaml: its `success` selector names `_bucket` but no le="…", so
    # good/total would be (all buckets)/(count), not a ratio; imported, it was a wrong SLO
    result = run("import", "pyrra", FIXTURES / "pyrra-nginx.yaml")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "pyrra-nginx.yaml:32:17: error: the latency indicator's success metric has no le=" in result.stderr


def test_openslo_examples_are_read_and_their_mistakes_named(run) -> None:
    occurrences = run("import", "openslo", FIXTURES / "openslo-occurences-slo.yaml")
    slo = fragment(occurrences)["offerings"][0]["slos"][0]
    assert (slo["objective"], slo["window"]) == ("99", "14d")
    assert "its metric is from 'Any', and the catalog's measurement speaks Prometheus" in occurrences.stderr
    ratio = run("import", "openslo", FIXTURES / "openslo-ratio-timeslices.yaml")
    assert "        budgeting: ratio-timeslices\n        timeslice_window: 1m\n" in ratio.stdout
    # The specification's own example writes a monthly calendar window as `1m` (a minute).
    slices = run("import", "openslo", FIXTURES / "openslo-timeslices-slo.yaml")
    assert slices.exit_code == 1 and slices.stdout == ""
    assert "openslo-timeslices-slo.yaml:27:17: error: a calendar window of 1m" in slices.stderr
    assert "m is minutes, M months" in slices.stderr


def test_a_composite_slo_is_left_out_at_an_objectives_weight(run) -> None:
    # oslo's own composite example: no indicator under spec, one indicatorRef per objective; it was
    # refused as "an SLO needs indicator or indicatorRef" at its description, which it has. Left out
    # (a file of other SLOs beside it is read: test_interop_round19), it leaves nothing to import here
    result = run("import", "openslo", FIXTURES / "openslo-oslo-composite-slo.yaml")
    assert result.exit_code == 1
    assert (
        "openslo-oslo-composite-slo.yaml:16:7: warning: left out the composite SLO 'test-slo': a composite SLO "
        "(an indicator per objective"
    ) in result.stderr


def test_a_calendar_window_that_does_not_begin_a_month_is_said(run, tmp_path) -> None:
    # OpenSLO's timeslices example with its month written 1M, as the refusal of `1m` says to: its
    # months begin at noon ("startTime: 2022-01-01 12:00:00"), the catalog's at midnight
    path = tmp_path / "timeslices.yaml"
    path.write_text((FIXTURES / "openslo-timeslices-slo.yaml").read_text().replace("duration: 1m #", "duration: 1M #"))
    result = run("import", "openslo", path)
    assert result.exit_code == 0, result.output
    assert "window: calendar-month" in result.stdout
    assert (
        f"{path}:30:20: warning: guessed calendar-month, which begins on the 1st at 00:00, for calendar windows "
        "that begin at 2022-01-01 12:00:00"
    ) in result.stderr


def test_versions_that_are_not_read_are_named(run, tmp_path) -> None:
    v2 = tmp_path / "v2.yaml"
    # OpenSLO has no openslo/v2: its v2alpha is openslo.com/v2alpha (test_interop_round19), drafted as
    # openslo/v2alpha1 (test_interop_round20)
    v2.write_text("apiVersion: openslo/v2\nkind: SLO\nmetadata:\n  name: x\nspec: {}\n")
    assert "OpenSLO openslo/v2 SLO is not read" in run("import", "openslo", v2).stderr
    pyrra = tmp_path / "pyrra.yaml"
    pyrra.write_text("apiVersion: pyrra.dev/v1beta1\nkind: ServiceLevelObjective\nmetadata:\n  name: x\n")
    assert "ServiceLevelObjective (pyrra.dev/v1beta1) is not read" in run("import", "pyrra", pyrra).stderr


def test_the_wrong_command_for_a_file_says_which_to_use(run) -> None:
    result = run("import", "sloth", FIXTURES / "pyrra-apiserver-request-latency.yaml")
    assert result.exit_code == 1
    assert "error: Pyrra ServiceLevelObjective is not a Sloth spec" in result.stderr
    assert "use `servicebook import pyrra`" in result.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "version: prometheus/v1\nservice: a\nservice: b\n",
            "3:1: error: duplicate key 'service' (first defined at line 2)",
        ),
        ("version: prometheus/v1\nservice: *s\n", "2:10: error: alias *s names no anchor before it"),
        ("version: prometheus/v1\nservice: a\nslos:\n  - <<: a\n", "4:5: error: a merge key (<<) merges a mapping"),
        ("version: !!str prometheus/v1\n", "1:10: error: YAML tags (!!str) are not allowed"),
        (
            "version: prometheus/v1\nservice: a\nslos:\n  - name: x\n    objective: 0\n",
            "5:16: error: objective 0 is not a percentage above 0 and at most 100 %, as Sloth's validation requires",
        ),
        (
            "version: prometheus/v1\nservice: a\nslos:\n  - name: x\n    objective: 99\n",
            "4:5: error: an SLO has no 'sli'",
        ),
        ("version: prometheus/v1\nservice: [a]\n", "2:10: error: 'service' in the document must be a single value"),
        ("version: prometheus/v1\nservice: a\nslos: {x: 1}\n", "3:7: error: 'slos' in the document must be a list"),
        ("- a\n- b\n", "1:1: error: the document must be a mapping"),
        ("a: [\n", "error:"),
    ],
)
def test_hostile_files_give_located_errors_never_a_traceback(run, tmp_path, text, message) -> None:
    path = tmp_path / "spec.yml"
    path.write_text(text)
    result = run("import", "sloth", path)
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output and result.stdout == ""


def test_a_huge_file_is_refused_before_it_is_parsed(run, tmp_path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text("version: prometheus/v1\n" + "# padding\n" * 900_000)
    result = run("import", "sloth", path)
    assert result.exit_code == 1
    assert "the limit for an import is 8,388,608" in result.stderr  # as every import says it (one reader)


def test_other_manifests_in_a_stream_are_named_and_passed_over(run, tmp_path) -> None:
    path = tmp_path / "bundle.yaml"
    deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n"
    path.write_text(deployment + "---\n" + (FIXTURES / "pyrra-apiserver-request-latency.yaml").read_text())
    result = run("import", "pyrra", path)
    assert len(fragment(result)["offerings"][0]["slos"]) == 1
    assert "bundle.yaml:1:1: warning: skipped Deployment (apps/v1): not a Pyrra ServiceLevelObjective" in result.stderr


def test_import_writes_no_file(run, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(FIXTURES / "sloth-getting-started.yml", tmp_path / "spec.yml")
    before = sorted(p.name for p in tmp_path.iterdir())
    assert run("import", "sloth", "spec.yml").exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_export_then_import_gives_back_what_openslo_holds(run, tmp_path) -> None:
    site = _site(tmp_path)
    stream = tmp_path / "openslo.yaml"
    assert run("export", "openslo", "--source", site, "--output", stream).exit_code == 0
    back = {o["id"]: o for o in fragment(run("import", "openslo", stream))["offerings"]}
    catalog = _catalog(site)
    for offering in catalog.offerings:
        got = back[offering.id]
        assert got["name"] == offering.name and got["summary"] == offering.summary
        assert (got["owner"], got["tier"], got["lifecycle"]) == (
            offering.owner,
            offering.tier.value,
            offering.lifecycle.value,
        )
        assert got["audience"] == [a.value for a in offering.audience]
        slos = {s["id"]: s for s in got["slos"]}
        for slo in offering.slos:
            it = slos[slo.id]
            assert (it["name"], it["sli"], Decimal(it["objective"]), it["window"]) == (
                slo.name,
                slo.sli,
                slo.objective,
                slo.window,
            )
            assert it.get("budgeting", "occurrences") == slo.budgeting.value
            if slo.timeslice_target is not None:
                assert Decimal(it["timeslice_target"]) == slo.timeslice_target
                assert it["timeslice_window"] == openslo.minutes_text(slo.timeslice_window)
            if slo.window.startswith("calendar-"):
                assert it["timezone"] == openslo.calendar_timezone(catalog, offering, slo)
            measured = {
                k: getattr(slo.measurement, k, None) for k in ("errors", "good", "total", "error_ratio", "bool_gauge")
            }
            assert it.get("measurement", {}) == {k: v for k, v in measured.items() if v is not None}


def test_a_query_written_as_a_block_is_imported_as_a_block(run) -> None:
    """Sloth's raw example writes its query as a `|` block (one final line break): the fragment
    writes it as a block too, not as one double-quoted line of \\x0a escapes, and it reads back."""
    result = run("import", "sloth", FIXTURES / "sloth-raw-home-wifi.yml")
    assert "          error_ratio: |\n            1 - (\n" in result.stdout
    assert "\\x0a" not in result.stdout
    ratio = fragment(result)["offerings"][0]["slos"][0]["measurement"]["error_ratio"]
    assert ratio.startswith("1 - (\n  sum(sum_over_time(") and ratio.endswith(")\n")


@settings(max_examples=examples(300), deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=80))
def test_a_fragment_value_reads_back_as_exactly_what_it_was(text: str) -> None:
    """...or is refused where it is, as the catalog refuses a control character (a terminal escape,
    a NUL, a bidirectional control, a Unicode line break) written as an escape."""
    written = importing.scalar(text, 4)
    source = SourceText("fragment", f"root:\n  - id: x\n    key: {written}\n")
    if any(c in _REFUSED for c in text):
        with pytest.raises(SourceError, match="written as an escape, is not allowed"):
            parse_yaml(source)
        return
    assert plain(parse_yaml(source))["root"][0]["key"] == text


# what a value may not hold, even written as an escape (source/yaml_events.py)
_REFUSED = frozenset(
    [*map(chr, range(0x20)), *map(chr, range(0x7F, 0xA0)), "\u2028", "\u2029", "\ufffe", "\uffff", *BIDI_CONTROLS]
) - {"\t", "\n"}


# --- check --against ----------------------------------------------------------------------------


def _monitoring(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "monitoring"
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


PYRRA_CI = """apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: pipelines-up
  namespace: ci
  annotations:
    servicebook.dev/slo: ci/availability
spec:
  target: "99.9"
  window: 4w
  indicator:
    ratio:
      errors:
        metric: pipeline_starts_total{outcome="late"}
      total:
        metric: pipeline_starts_total
"""


def test_drift_is_reported_at_the_promise_naming_the_measurement(run, tmp_path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    monitoring = _monitoring(tmp_path, {"pyrra/ci.yaml": PYRRA_CI})
    result = run("check", "--source", site, "--against", monitoring)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert any(
        line.endswith(
            "catalog.yaml:59:20: error: ci/availability: the catalog's objective is 99.5 %, but Pyrra SLO "
            f"'pipelines-up' ({monitoring}/pyrra/ci.yaml:9:11) has 99.9 %"
        )
        for line in lines
    ), result.stderr
    assert "the catalog's window is 30d, but Pyrra SLO 'pipelines-up'" in result.stderr
    assert f"({monitoring}/pyrra/ci.yaml:10:11) has 28d" in result.stderr
    assert lines[-1] == "check failed: 2 errors."


def test_an_export_of_the_catalog_measures_exactly_what_it_promises(run, tmp_path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    catalog = site / "catalog.yaml"
    measured = '        window: 30d\n        measurement:\n          bool_gauge: up{job="ci"}\n'
    catalog.write_text(catalog.read_text().replace("        window: 30d\n", measured, 1))
    monitoring = tmp_path / "monitoring"
    monitoring.mkdir()
    assert run("export", "openslo", "--source", site, "-o", monitoring / "slos.yaml").exit_code == 0
    (monitoring / "deploy.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n")
    result = run("check", "--source", site, "--against", monitoring, "--strict")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Ready to build: 1 offering, 1 SLO, 2 tool decisions, 1 policy page; no errors, no warnings.",
        f"Compared with {monitoring} (2 YAML files): 1 of 1 SLO measured there as the catalog promises.",
    ]


def test_a_check_against_a_folder_says_what_it_compared(run, tmp_path) -> None:
    """A check --against that passed said only 'Ready to build', as a check without it does: a team
    pointing it at the wrong folder (no SLO files, or none naming the catalog's) could not tell."""
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    monitoring = _monitoring(tmp_path, {"deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n"})
    result = run("check", "--source", site, "--against", monitoring)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        f"Compared with {monitoring} (1 YAML file): 0 of 1 SLO measured there as the catalog promises."
    )
    assert "nothing in" in result.stderr and "measures ci/availability" in result.stderr


def test_a_check_against_one_file_compares_with_that_file(run, tmp_path) -> None:
    """`--against slos/ci.yaml`, as a team first types it with the one file it has (`import`
    takes files, so --against does too): compared, not refused as 'is a file'."""
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    monitoring = _monitoring(tmp_path, {"pyrra/ci.yaml": PYRRA_CI})
    result = run("check", "--source", site, "--against", monitoring / "pyrra" / "ci.yaml")
    assert result.exit_code == 1, result.output
    assert "ci/availability: the catalog's objective is 99.5 %, but Pyrra SLO 'pipelines-up'" in result.stderr
    assert "is a file" not in result.output


def test_an_slo_without_its_sli_measures_nothing(run, tmp_path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    monitoring = tmp_path / "monitoring"
    monitoring.mkdir()
    assert run("export", "openslo", "--source", site, "-o", monitoring / "slos.yaml").exit_code == 0
    result = run("check", "--source", site, "--against", monitoring)
    assert result.exit_code == 0
    assert "OpenSLO SLO 'ci-availability' names the SLI 'ci-availability-sli'" in result.stderr
    assert "which no file there defines" in result.stderr


def test_an_unmeasured_promise_is_a_warning_and_fails_strict(run, tmp_path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    v2 = "apiVersion: openslo/v2\nkind: SLO\nmetadata:\n  name: x\nspec:\n  service: ci\n"
    monitoring = _monitoring(tmp_path, {"new.yml": v2})
    result = run("check", "--source", site, "--against", monitoring)
    assert result.exit_code == 0
    assert "warning: nothing in" in result.stderr and "measures ci/availability" in result.stderr
    assert "new.yml:1:1: warning: OpenSLO openslo/v2 SLO is not read" in result.stderr
    assert run("check", "--source", site, "--against", monitoring, "--strict").exit_code == 1


def test_a_name_that_matches_no_promise_is_pointed_out(run, tmp_path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    typo = PYRRA_CI.replace("ci/availability", "ci/availabilty").replace('"99.9"', '"99.5"').replace("4w", "30d")
    result = run("check", "--source", site, "--against", _monitoring(tmp_path, {"ci.yaml": typo}))
    assert "names ci/availabilty, which the catalog does not have" in result.stderr
    assert "did you mean 'ci/availability'?" in result.stderr


def test_sloth_is_matched_by_service_and_name_over_its_period(run, tmp_path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    spec = (FIXTURES / "sloth-getting-started.yml").read_text()
    spec = spec.replace('service: "myservice"', "service: ci").replace('"requests-availability"', "availability")
    spec = spec.replace("objective: 99.9", "objective: 99.5")
    monitoring = _monitoring(tmp_path, {"sloth.yml": spec})
    assert run("check", "--source", site, "--against", monitoring, "--strict").exit_code == 0
    result = run("check", "--source", site, "--against", monitoring, "--sloth-period", "28d")
    assert "the catalog's window is 30d, but Sloth SLO 'availability'" in result.stderr
    assert "has 28d (Sloth's default period" in result.stderr


def test_the_sloth_period_has_the_same_flag_in_check_import_and_export(run, tmp_path) -> None:
    """`check --against` says to give `--sloth-period`; `import sloth` and `export sloth` called
    it `--period` alone, so the flag the new user copied from the check's message was refused."""
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    spec = FIXTURES / "sloth-getting-started.yml"
    imported = run("import", "sloth", "--sloth-period", "28d", spec)
    assert imported.exit_code == 0, imported.output
    assert {s["window"] for o in yaml.safe_load(imported.stdout)["offerings"] for s in o["slos"]} == {"28d"}
    exported = run("export", "sloth", "--source", site, "--sloth-period", "30d")  # the flag taken, not refused
    assert (exported.exit_code, "no SLO to export") == (1, exported.stderr.splitlines()[-1][len("error: ") :][:16])
    # the import's guess of the window names that flag too: it named --period (newuser21)
    guessed = run("import", "sloth", spec)
    assert "a Sloth spec has none (sloth generate --default-slo-period; import sloth --sloth-period says it)" in (
        guessed.stderr
    )


def test_pyrra_is_matched_by_namespace_and_name_as_its_import_reads_them(run, tmp_path) -> None:
    """`import pyrra` makes the namespace the offering and the name the SLO: the catalog pasted
    from that fragment is measured by the same file, with no annotation added to it."""
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    plain = PYRRA_CI.replace("  annotations:\n    servicebook.dev/slo: ci/availability\n", "")
    plain = plain.replace("name: pipelines-up", "name: availability")
    imported = run("import", "pyrra", _monitoring(tmp_path / "one", {"ci.yaml": plain}) / "ci.yaml")
    (offering,) = yaml.safe_load(imported.stdout)["offerings"]
    assert (offering["id"], offering["slos"][0]["id"]) == ("ci", "availability")
    same = plain.replace('"99.9"', '"99.5"').replace("4w", "30d")
    assert (
        run("check", "--source", site, "--against", _monitoring(tmp_path, {"ci.yaml": same}), "--strict").exit_code == 0
    )
    result = run("check", "--source", site, "--against", _monitoring(tmp_path / "two", {"ci.yaml": plain}))
    assert result.exit_code == 1
    assert "ci/availability: the catalog's objective is 99.5 %, but Pyrra SLO 'availability'" in result.stderr
    # in another namespace the same name is someone else's SLO
    other = same.replace("namespace: ci", "namespace: payments")
    result = run("check", "--source", site, "--against", _monitoring(tmp_path / "three", {"ci.yaml": other}))
    assert result.exit_code == 0 and "nothing in" in result.stderr and "measures ci/availability" in result.stderr
    assert "or service ci and name availability (Pyrra: namespace ci)" in result.stderr  # the hint says where


def test_an_slo_that_cannot_be_read_fails_the_check_only_when_it_names_the_catalog(run, tmp_path) -> None:
    """The OpenSLO example's calendar window of 1m has no form in the catalog: in a folder of
    someone else's SLOs (service web-availability) it is a warning, as an SLO that matches nothing
    is left alone; once it names an offering of the catalog it is an error, as it was before."""
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    theirs = (FIXTURES / "openslo-timeslices-slo.yaml").read_text()
    monitoring = _monitoring(tmp_path, {"theirs.yaml": theirs})
    result = run("check", "--source", site, "--against", monitoring)
    assert result.exit_code == 0, result.output
    assert (
        "theirs.yaml:27:17: warning: a calendar window of 1m: the catalog's calendar windows are 1w, 1M, 1Q and 1Y "
        "(not compared"
    ) in result.stderr
    ours = _monitoring(tmp_path / "ours", {"ours.yaml": theirs.replace("service: web-availability", "service: ci")})
    result = run("check", "--source", site, "--against", ours)
    assert result.exit_code == 1
    assert (
        "ours.yaml:27:17: error: a calendar window of 1m: the catalog's calendar windows are 1w, 1M, 1Q and 1Y\n"
        in (result.stderr)
    )


def test_a_broken_file_in_the_folder_fails_the_check_where_it_is_broken(run, tmp_path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    broken = PYRRA_CI.replace("  window: 4w\n", "  window: 4w\n  window: 2w\n")
    result = run("check", "--source", site, "--against", _monitoring(tmp_path, {"ci.yaml": broken}))
    assert result.exit_code == 1
    assert "ci.yaml:11:3: error: duplicate key 'window' (first defined at line 10)" in result.stderr


@pytest.mark.git
def test_a_release_from_before_time_slices_said_their_slices_still_builds(git_site, run, tmp_path) -> None:
    git_site.edit("        window: 30d\n", "        window: 30d\n        budgeting: timeslices\n")
    git_site.commit("Time slices, as catalogs wrote them before timeslice_target existed")
    git_site.tag("v0.1")
    assert run("check", "--source", git_site.root).exit_code == 1  # the current catalog must say them
    git_site.edit("        budgeting: timeslices\n", "        budgeting: timeslices\n        timeslice_target: 99\n")
    git_site.edit("        timeslice_target: 99\n", "        timeslice_target: 99\n        timeslice_window: 5m\n")
    git_site.edit('version: "0.1"', 'version: "0.2"')
    git_site.commit("Say what a slice is")
    public = tmp_path / "public"
    result = run("build", "--source", git_site.root, "--output", public)
    assert result.exit_code == 0, result.output
    old = json.loads((public / "v/0.1/catalog.json").read_text())["offerings"][0]["slos"][0]
    assert "openslo" not in old  # its OpenSLO form would not be valid
    new = json.loads((public / "catalog.json").read_text())["offerings"][0]["slos"][0]
    assert new["openslo"]["spec"]["objectives"][0]["timeSliceWindow"] == "5m"


def test_hidden_folders_and_symbolic_links_in_the_folder_are_not_read(run, tmp_path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    outside = tmp_path / "outside.yaml"
    outside.write_text(PYRRA_CI)
    monitoring = _monitoring(tmp_path, {".git/slo.yaml": PYRRA_CI, "real/readme.md": "not YAML"})
    (monitoring / "linked.yaml").symlink_to(outside)
    (monitoring / "linked-folder").symlink_to(tmp_path / "monitoring" / ".git")
    result = run("check", "--source", site, "--against", monitoring)
    assert result.exit_code == 0, result.output  # the drifting SLO is only where nothing is read
    assert "nothing in" in result.stderr


HOSTILE_VALUES = ["", "[", "{a: 1}", "- x", "&a x", "*a", "!!python/object:os.system x", "null", "1e999", "-1", "NaN"]
FORMAT_OF = {"sloth": "sloth", "pyrra": "pyrra", "openslo": "openslo", "backstage": "backstage"}
FORMAT_OF |= {"datadog": "openslo", "slo": "openslo"}  # other vendors' SLOs, named by every SLO import
FORMAT_OF |= {"crd": "sloth"}  # the tools' CustomResourceDefinitions: no SLO, a kind any SLO import names


@settings(max_examples=examples(200), deadline=None)
@given(
    st.sampled_from(sorted(p.name for p in FIXTURES.glob("*.y*ml"))),
    st.integers(min_value=0, max_value=60),
    st.sampled_from(HOSTILE_VALUES),
    st.booleans(),
)
def test_mangled_files_give_problems_never_an_exception(tmp_path_factory, name, line, value, replace_value) -> None:
    lines = (FIXTURES / name).read_text().split("\n")
    n = line % len(lines)
    if replace_value and ":" in lines[n]:
        key = lines[n].split(":", 1)[0]
        lines[n] = f"{key}: {value}"
    else:
        lines[n] = value
    path = tmp_path_factory.mktemp("mangled") / name
    path.write_text("\n".join(lines))
    fmt = FORMAT_OF[name.split("-", 1)[0]]
    if fmt == "backstage":
        fragment_text, report = backstage.import_entities([SourceText(name, path.read_text())])
        assert all(p.location.path == name and p.format() for p in [*report.problems, *report.notes])
        if not report.problems:
            parse_yaml(SourceText("fragment", fragment_text))  # YAML servicebook reads (None when all was skipped)
        return
    reading = importing.read([(name, path)], expect=fmt)
    for problem in [*reading.errors, *reading.notes]:
        assert problem.location.path == name
        assert problem.format()  # printable, one line per part
    if not reading.errors and reading.slos:
        text = importing.fragment(reading)
        assert parse_yaml(SourceText("fragment", text)) is not None


def test_drift_in_the_machine_formats(run, tmp_path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    monitoring = _monitoring(tmp_path, {"ci.yaml": PYRRA_CI})
    result = run("check", "--source", site, "--against", monitoring, "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    found = [(p["file"], p["line"], p["severity"]) for p in doc["problems"]]
    assert found == [("catalog.yaml", 59, "error"), ("catalog.yaml", 60, "error")], doc
    github = run("check", "--source", site, "--against", monitoring, "--format", "github")
    assert "::error file=" in github.stdout and "line=59" in github.stdout


def test_a_file_with_no_slo_of_that_format_is_an_error_said_as_the_others_are(run, tmp_path) -> None:
    """`import sloth catalog.yaml` printed a bare `no SLO in catalog.yaml`, unlike every other error."""
    catalog = tmp_path / "catalog.yaml"
    shutil.copy(SITES / "minimal" / "catalog.yaml", catalog)
    result = run("import", "sloth", catalog)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "warning: skipped a document" in result.stderr and "not a Sloth spec" in result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"error: no SLO in {catalog}: nothing to import (the notes above say what each document is)"
    )


def test_every_import_has_the_same_size_limit(run, tmp_path: Path) -> None:
    # The SLO imports (one reader for the three formats) refused a 5 MB file that the portal
    # imports took (8 MB): one limit for every import.
    padded = tmp_path / "padded.yaml"
    padded.write_text("# " + "x" * 5_000_000 + "\n" + (FIXTURES / "sloth-getting-started.yml").read_text())
    assert fragment(run("import", "sloth", padded))["offerings"]
    with padded.open("r+b") as handle:
        handle.truncate(9 * 1024 * 1024)
    refused = run("import", "sloth", padded)
    assert refused.exit_code != 0
    assert "8,388,608" in refused.output, refused.output


def test_an_import_fragment_pasted_as_its_comment_says_joins_the_offerings_list(run, tmp_path) -> None:
    """The fragment said 'Paste it under `offerings:`', and pasted whole there its own `offerings:`
    line was a duplicate key, whose hint then said to remove one of them (and with it one list's
    records). It now says to paste its items without that line: so pasted, the catalog reads one
    list, and check asks only for what the Sloth spec does not say."""
    result = run("import", "sloth", FIXTURES / "sloth-getting-started.yml")
    assert result.exit_code == 0, result.output
    header = [line for line in result.stdout.splitlines() if line.startswith("#")]
    assert "without the `offerings:` line itself" in " ".join(header)
    items = result.stdout.split("\nofferings:\n", 1)[1]
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("\nofferings:\n", "\nofferings:\n" + items, 1))
    checked = run("check", "--source", site)
    assert checked.exit_code == 1
    assert "duplicate key" not in checked.stderr
    assert "offering is missing the required key 'summary'" in checked.stderr
