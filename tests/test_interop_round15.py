"""openslo15: `check --against` and the imports, as real OpenSLO, Sloth and Pyrra files are
written. Each difference is reported at the field that differs; each budgeting OpenSLO has can be
promised and compared; what an import writes reads back as the catalog reads it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from servicebook.interop import importing
from servicebook.source.yaml import SourceText, parse_yaml
from tests.conftest import examples, require_component
from tests.openslo_v1 import problems
from tests.promhelp import INSTALL, installed, prometheus
from tests.test_calendar_windows import WEEK_AND_YEAR
from tests.test_interop import plain
from tests.test_interop_round9 import DAY, END, SLICE_SERIES, _errors, _measured, _sliced_site
from tests.test_openslo_export import _site

INTEROP = Path(__file__).parent / "interop" / "fixtures"
SITES = Path(__file__).parent / "sites"


def _place(text: str, needle: str) -> str:
    """`line:col` of the value that follows `needle` in `text` (1-based, as messages give them)."""
    at = text.index(needle) + len(needle)
    line = text.count("\n", 0, at) + 1
    col = at - (text.rfind("\n", 0, at) + 1) + 1
    return f"{line}:{col}"


# --- the field that differs is the one pointed at ---------------------------------------------------


def test_a_week_from_wednesday_is_reported_at_its_start_time(run, tmp_path: Path) -> None:
    # the window's length agrees (1w, a calendar week): what differs is where its weeks begin,
    # written in startTime; the message pointed at duration, which is right
    site = _site(tmp_path, WEEK_AND_YEAR)
    exported = run("export", "openslo", "--source", site).stdout
    monitoring = tmp_path / "monitoring"
    monitoring.mkdir()
    from_wednesday = exported.replace("startTime: '2020-01-06 00:00:00'", "startTime: '2020-01-08 00:00:00'")
    (monitoring / "slos.yaml").write_text(from_wednesday)
    result = run("check", "--source", site, "--against", monitoring)
    assert result.exit_code == 1, result.output
    start = _place(from_wednesday, "startTime: ")
    duration = _place(from_wednesday, "duration: 1w")
    assert f"slos.yaml:{start}) has calendar-week (Europe/Zurich) with periods that begin at 2020-01-08" in (
        result.stderr
    )
    assert duration not in result.stderr


def test_a_week_in_another_time_zone_is_reported_at_both_time_zones(run, tmp_path: Path) -> None:
    site = _site(tmp_path, WEEK_AND_YEAR)
    exported = run("export", "openslo", "--source", site).stdout
    monitoring = tmp_path / "monitoring"
    monitoring.mkdir()
    elsewhere = exported.replace("timeZone: Europe/Zurich", "timeZone: Europe/Paris")
    assert elsewhere != exported
    (monitoring / "slos.yaml").write_text(elsewhere)
    result = run("check", "--source", site, "--against", monitoring)
    assert result.exit_code == 1, result.output
    catalog = (site / "catalog.yaml").read_text()
    ours = _place(catalog, "        timezone: ")
    theirs = _place(elsewhere, "timeZone: ")
    assert (
        f"catalog.yaml:{ours}: error: builds/weekly: the catalog's window is calendar-week (Europe/Zurich), but "
        f"OpenSLO SLO 'builds-weekly' ({monitoring / 'slos.yaml'}:{theirs}) has calendar-week (Europe/Paris)"
    ) in result.stderr


# --- what an import writes reads back the same, to servicebook and to any YAML reader ---------------


def test_an_imported_tier_is_written_quoted_as_the_catalog_writes_it(run, tmp_path: Path) -> None:
    # the docs and every catalog write `tier: "2"`; the fragment wrote `tier: 1`, a number to an
    # editor's YAML reader and to the JSON Schema check it runs
    site = _site(tmp_path, WEEK_AND_YEAR)
    exported = tmp_path / "exported.yaml"
    exported.write_text(run("export", "openslo", "--source", site).stdout)
    result = run("import", "openslo", exported)
    assert result.exit_code == 0, result.output
    assert '    tier: "2"\n' in result.stdout
    tiers = {o["id"]: o["tier"] for o in yaml.safe_load(result.stdout)["offerings"]}
    assert tiers["builds"] == "2"


@pytest.mark.parametrize(
    "text",
    [
        "1",
        "2024",
        "1e3",
        "0x1F",
        "0o17",
        "08",
        "1_000",
        "1:20",
        "2026-12-06",
        "2026-12-06 10:00:00",
        ".inf",
        "=",
        "Yes",
        "NULL",
        "+1",
        ".5",
    ],
)
def test_a_fragment_value_yaml_would_take_for_another_type_is_quoted(text: str) -> None:
    written = importing.scalar(text, 4)
    assert written.startswith('"'), written
    assert yaml.safe_load(f"key: {written}")["key"] == text
    assert plain(parse_yaml(SourceText("fragment", f"key: {written}\n")))["key"] == text


@settings(max_examples=examples(300), deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x85\u2028\u2029"), max_size=40))
def test_a_fragment_value_reads_back_as_a_text_to_pyyaml(text: str) -> None:
    # PyYAML reads YAML 1.1: what it takes for a number, a date or a boolean is quoted
    written = importing.scalar(text, 4)
    try:
        loaded = yaml.safe_load(f"root:\n  - id: x\n    key: {written}\n")
    except yaml.YAMLError:
        return  # a control character written as an escape, which PyYAML refuses too
    assert loaded["root"][0]["key"] == text


# --- Pyrra's window: a Prometheus duration, rolling -------------------------------------------------

# after Pyrra's examples (kubernetes/api/v1alpha1: "Window within which the Target is supposed to be
# kept. Usually something like 1d, 7d or 28d", read with Prometheus' model.ParseDuration): a week
PYRRA_WEEK = """\
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: availability
  namespace: ci
spec:
  target: "99.5"
  window: 1w
  description: Share of pipeline runs that start within 60 seconds of being queued.
  indicator:
    ratio:
      errors:
        metric: pipeline_runs_total{job="ci",status="late"}
      total:
        metric: pipeline_runs_total{job="ci"}
"""


def _minimal_with_window(tmp_path: Path, window: str) -> Path:
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("window: 30d", f"window: {window}"))
    return site


def test_a_pyrra_week_is_imported_as_the_rolling_seven_days_it_is(run, tmp_path: Path) -> None:
    spec = tmp_path / "pyrra.yaml"
    spec.write_text(PYRRA_WEEK)
    result = run("import", "pyrra", spec)
    assert result.exit_code == 0, result.output
    (slo,) = yaml.safe_load(result.stdout)["offerings"][0]["slos"]
    assert slo["window"] == "7d"


def test_a_pyrra_week_measures_a_rolling_seven_day_promise(run, tmp_path: Path) -> None:
    site = _minimal_with_window(tmp_path, "7d")
    monitoring = tmp_path / "monitoring"
    monitoring.mkdir()
    (monitoring / "pyrra.yaml").write_text(PYRRA_WEEK)
    result = run("check", "--source", site, "--against", monitoring, "--strict")
    assert result.exit_code == 0, result.output


def test_a_pyrra_week_is_not_a_calendar_week_and_the_hint_says_it_rolls(run, tmp_path: Path) -> None:
    site = _minimal_with_window(tmp_path, "calendar-week")
    monitoring = tmp_path / "monitoring"
    monitoring.mkdir()
    (monitoring / "pyrra.yaml").write_text(PYRRA_WEEK)
    result = run("check", "--source", site, "--against", monitoring)
    assert result.exit_code == 1, result.output
    assert (
        f"error: ci/availability: the catalog's window is calendar-week, but Pyrra SLO 'availability' "
        f"({monitoring / 'pyrra.yaml'}:8:11) has 7d\n"
    ) in result.stderr
    assert (
        "  hint: Pyrra's window rolls: it judges every span of 7 days, the catalog's calendar-week only the "
        "calendar's; promise window: 7d if that is what is meant, or change the monitoring\n"
    ) in result.stderr


# --- RatioTimeslices and Timeslices: promised, exported, imported and compared alike ---------------

# OpenSLO's own RatioTimeslices example (examples/budgeting-method/ratio-timeslices.yaml), named for
# the minimal site's SLO, and the catalog's SLO as `import openslo` writes it
RATIO_PROMISE = """\
        objective: 99
        window: 14d
        budgeting: ratio-timeslices
        timeslice_window: 1m"""


def _promising(tmp_path: Path, promise: str) -> Path:
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("        objective: 99.5\n        window: 30d", promise))
    return site


def _ratio_example(tmp_path: Path, *changes: tuple[str, str]) -> Path:
    monitoring = tmp_path / "monitoring"
    monitoring.mkdir(parents=True, exist_ok=True)
    text = (INTEROP / "openslo-ratio-timeslices.yaml").read_text()
    text = text.replace("service: web-shop", "service: ci").replace("name: main-page", "name: availability", 1)
    for old, new in changes:
        assert old in text
        text = text.replace(old, new)
    (monitoring / "slo.yaml").write_text(text)
    return monitoring


def test_ratio_timeslices_imported_and_pasted_agrees_with_its_file(run, tmp_path: Path) -> None:
    # the import wrote occurrences (the catalog had no such budgeting), so check --against failed on
    # every RatioTimeslices SLO, however the catalog was written
    monitoring = _ratio_example(tmp_path)
    imported = run("import", "openslo", monitoring / "slo.yaml")
    assert imported.exit_code == 0, imported.output
    (slo,) = yaml.safe_load(imported.stdout)["offerings"][0]["slos"]
    assert (slo["objective"], slo["window"], slo["budgeting"], slo["timeslice_window"]) == (
        99,
        "14d",
        "ratio-timeslices",
        "1m",
    )
    assert "timeslice_target" not in slo
    site = _promising(tmp_path, RATIO_PROMISE)
    result = run("check", "--source", site, "--against", monitoring)
    assert result.exit_code == 0, result.output
    assert "error" not in result.stderr


def test_ratio_timeslices_with_another_slice_is_reported_at_its_time_slice_window(run, tmp_path: Path) -> None:
    monitoring = _ratio_example(tmp_path, ("timeSliceWindow: 1m", "timeSliceWindow: 5m"))
    site = _promising(tmp_path, RATIO_PROMISE)
    result = run("check", "--source", site, "--against", monitoring)
    assert result.exit_code == 1, result.output
    text = (monitoring / "slo.yaml").read_text()
    ours = _place((site / "catalog.yaml").read_text(), "timeslice_window: ")
    assert (
        f"catalog.yaml:{ours}: error: ci/availability: the catalog's time slice is 1m, but OpenSLO SLO "
        f"'availability' ({monitoring / 'slo.yaml'}:{_place(text, 'timeSliceWindow: ')}) has 5m"
    ) in result.stderr


def test_ratio_timeslices_is_not_timeslices(run, tmp_path: Path) -> None:
    monitoring = _ratio_example(
        tmp_path,
        ("budgetingMethod: RatioTimeslices", "budgetingMethod: Timeslices"),
        ("timeSliceWindow: 1m", "timeSliceWindow: 1m\n      timeSliceTarget: 0.95"),
    )
    site = _promising(tmp_path, RATIO_PROMISE)
    result = run("check", "--source", site, "--against", monitoring)
    assert result.exit_code == 1, result.output
    assert "the catalog's budgeting is ratio-timeslices, but OpenSLO SLO 'availability' (" in result.stderr
    assert "has timeslices\n" in result.stderr


TIMESLICES_PROMISE = """\
        objective: 99
        window: 14d
        budgeting: timeslices
        timeslice_target: 95
        timeslice_window: 1m"""


def test_timeslices_agreeing_with_the_catalog_passes_and_a_slice_target_is_reported_where_it_is(
    run, tmp_path: Path
) -> None:
    timeslices = (
        ("budgetingMethod: RatioTimeslices", "budgetingMethod: Timeslices"),
        ("timeSliceWindow: 1m", "timeSliceWindow: 1m\n      timeSliceTarget: 0.95"),
    )
    site = _promising(tmp_path, TIMESLICES_PROMISE)
    same = run("check", "--source", site, "--against", _ratio_example(tmp_path / "same", *timeslices))
    assert same.exit_code == 0, same.output
    other = _ratio_example(tmp_path / "other", *timeslices, ("timeSliceTarget: 0.95", "timeSliceTarget: 0.9"))
    result = run("check", "--source", site, "--against", other)
    assert result.exit_code == 1, result.output
    text = (other / "slo.yaml").read_text()
    assert (
        f"error: ci/availability: the catalog's time-slice target is 95 %, but OpenSLO SLO 'availability' "
        f"({other / 'slo.yaml'}:{_place(text, 'timeSliceTarget: ')}) has 90 %"
    ) in result.stderr


def test_ratio_timeslices_is_exported_as_openslo_ratio_timeslices_and_reads_back(run, tmp_path: Path) -> None:
    site = _promising(tmp_path, RATIO_PROMISE)
    exported = run("export", "openslo", "--source", site)
    assert exported.exit_code == 0, exported.output
    documents = list(yaml.safe_load_all(exported.stdout))
    for document in documents:
        assert problems(document) == [], document
    (slo,) = [d for d in documents if d["kind"] == "SLO"]
    assert slo["spec"]["budgetingMethod"] == "RatioTimeslices"
    assert slo["spec"]["objectives"] == [
        {"displayName": "Pipeline availability", "target": 0.99, "timeSliceWindow": "1m"}
    ]
    monitoring = tmp_path / "monitoring"
    monitoring.mkdir()
    (monitoring / "slos.yaml").write_text(exported.stdout)
    back = run("import", "openslo", monitoring / "slos.yaml")
    assert "        budgeting: ratio-timeslices\n        timeslice_window: 1m\n" in back.stdout
    assert run("check", "--source", site, "--against", monitoring).exit_code == 0


@pytest.mark.parametrize(
    ("promise", "message"),
    [
        (
            "        objective: 99\n        window: 14d\n        budgeting: ratio-timeslices",
            "error: budgeting: ratio-timeslices needs 'timeslice_window'",
        ),
        (
            RATIO_PROMISE + "\n        timeslice_target: 95",
            "error: 'timeslice_target' applies to budgeting: timeslices only: ratio-timeslices averages each "
            "slice's share of good events, and no share makes a slice good or bad",
        ),
    ],
)
def test_ratio_timeslices_needs_its_slice_and_no_slice_target(run, tmp_path: Path, promise: str, message: str) -> None:
    result = run("check", "--source", _promising(tmp_path, promise))
    assert result.exit_code == 1
    assert message in result.stderr


def test_a_ratio_timeslices_objective_without_a_slice_is_refused_with_what_to_write(run, tmp_path: Path) -> None:
    monitoring = _ratio_example(tmp_path, ("      timeSliceWindow: 1m\n", ""))
    result = run("import", "openslo", monitoring / "slo.yaml")
    assert result.exit_code == 1
    assert "error: budgetingMethod RatioTimeslices needs timeSliceWindow on the objective" in result.stderr
    assert "hint: OpenSLO v1 writes it on the objective: timeSliceWindow, the length of a slice (1m)" in result.stderr


def test_a_slice_target_ratio_timeslices_has_no_use_for_is_said_dropped(run, tmp_path: Path) -> None:
    monitoring = _ratio_example(tmp_path, ("timeSliceWindow: 1m", "timeSliceWindow: 1m\n      timeSliceTarget: 0.95"))
    result = run("import", "openslo", monitoring / "slo.yaml")
    assert result.exit_code == 0, result.output
    assert "warning: dropped timeSliceTarget (budgetingMethod RatioTimeslices has no use for it)" in result.stderr
    assert "timeslice_target" not in result.stdout


@pytest.fixture(scope="module")
def slice_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_component(installed(), "Prometheus (prometheus and promtool)", INSTALL)
    with prometheus(tmp_path_factory.mktemp("prometheus"), SLICE_SERIES) as url:
        yield url


@pytest.mark.git
def test_ratio_timeslices_is_measured_as_the_mean_of_the_slices_shares(slice_server: str, run, tmp_path: Path) -> None:
    # one minute in ten is 90 % good, the others 99 %: the mean of the minutes' shares, each minute
    # weighing the same (Timeslices at 95 % would count 90 % of the minutes good)
    site = _sliced_site(
        tmp_path, 'errors: http_requests_total{job="api",code="500"}\ntotal: http_requests_total{job="api"}'
    )
    catalog = site.root / "catalog.yaml"
    catalog.write_text(
        catalog.read_text().replace(
            "budgeting: timeslices\n        timeslice_target: 95\n", "budgeting: ratio-timeslices\n"
        )
    )
    site.commit("Ratio of time slices")
    _, entry = _measured(run, site, slice_server)
    shares = sum((100 - _errors(t)) / 100 for t in range(END - DAY + 60, END + 1, 60))
    assert (entry["good"], entry["total"], entry["counted_as"]) == (pytest.approx(shares), 1440, "slice shares")
    assert entry["attainment"] == pytest.approx(shares / 1440, rel=1e-9)
    assert entry["attainment"] == pytest.approx(0.981, rel=1e-9)


@pytest.mark.git
def test_a_change_to_ratio_timeslices_says_what_now_spends_the_error_budget(git_site, run) -> None:
    git_site.edit(
        "        window: 30d\n",
        "        window: 30d\n        budgeting: ratio-timeslices\n        timeslice_window: 5m\n",
    )
    git_site.commit("Ratio of time slices")
    result = run("diff", "--source", git_site.root, "HEAD~1", "HEAD", "--format", "json")
    assert result.exit_code == 0, result.output
    got = [(c["effect"], c["kind"], c["text"]) for c in json.loads(result.stdout)["changes"]]
    assert got == [
        (
            "neutral",
            "slo.budgeting",
            "SLO “Pipeline availability” of “CI pipelines” budgeting changed from occurrences to ratio-timeslices: "
            "the error budget (3 h 36 min per rolling 30 days) is now spent by each time slice of 5m's share of "
            "failed events, every slice weighing the same (a failure at a quiet hour spends more than one at peak), "
            "not by failed events (a failure at peak spends more than one at a quiet hour)",
        )
    ]


# --- every real file: imported, pasted, checked against itself ---------------------------------------

# files imported whose check against themselves differs, each for the reason the import says
DIFFERS_SAID = {
    # weeks from Saturday noon, read as the catalog's week from Monday with a note saying so
    "openslo-low-traffic-timeslices-week.yaml": "guessed calendar-week, which begins on Monday at 00:00",
    "openslo-sdk-export-v1-slo.yaml": "guessed calendar-week, which begins on Monday at 00:00",
    "openslo-sdk-inline-v1-slo.yaml": "guessed calendar-week, which begins on Monday at 00:00",
    # the same week, in OpenSLO v2alpha (oslo's and the go-sdk's examples)
    "openslo-oslo-validate-v2alpha.yaml": "guessed calendar-week, which begins on Monday at 00:00",
    "openslo-sdk-v2alpha-slos.yaml": "guessed calendar-week, which begins on Monday at 00:00",
}


def _pasted(offerings: list[dict], tmp_path: Path) -> Path:
    """The minimal site with the imported offerings pasted in, given what the files do not say."""
    for offering in offerings:
        for key, value in (("summary", "Read from a real file."), ("owner", "Platform Team"), ("tier", "2")):
            offering.setdefault(key, value)
        offering.setdefault("lifecycle", "ga")
        offering.setdefault("audience", ["developers"])
        offering.setdefault("request", {"how": "Ask."})
        for slo in offering["slos"]:
            slo.setdefault("sli", "What the file measures.")
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    catalog = yaml.safe_load((site / "catalog.yaml").read_text())
    catalog["offerings"] = [o for o in catalog["offerings"] if o["id"] not in {p["id"] for p in offerings}]
    catalog["offerings"] += offerings
    (site / "catalog.yaml").write_text(yaml.safe_dump(catalog, sort_keys=False))
    return site


@pytest.mark.parametrize(
    "name", sorted(p.name for fmt in ("openslo", "pyrra", "sloth") for p in INTEROP.glob(f"{fmt}-*.y*ml"))
)
def test_a_real_file_imported_and_pasted_is_found_by_the_check_against_it_or_the_import_says_why(
    run, tmp_path: Path, name: str
) -> None:
    # `import pyrra` of an objective without a namespace wrote it under `imported` (or --offering's
    # id), which `check --against` the same file then said nothing measured, without a word at the
    # import
    file = INTEROP / name
    fmt = name.split("-", 1)[0]
    imported = run("import", fmt, file)
    assert "Traceback" not in imported.output
    if imported.exit_code != 0:
        assert ": error: " in imported.stderr or "nothing to import" in imported.stderr
        return
    offerings = yaml.safe_load(imported.stdout)["offerings"]
    site = _pasted(offerings, tmp_path)
    monitoring = tmp_path / "monitoring"
    monitoring.mkdir()
    shutil.copy(file, monitoring / name)
    result = run("check", "--source", site, "--against", monitoring)
    assert "Traceback" not in result.output
    if name in DIFFERS_SAID:
        assert result.exit_code == 1
        assert DIFFERS_SAID[name] in imported.stderr
        return
    assert ": error: " not in result.stderr, result.stderr
    assert " query is " not in result.stderr and "measurement counts" not in result.stderr, result.stderr
    for offering in offerings:
        for slo in offering["slos"]:
            key = f"{offering['id']}/{slo['id']}"
            if f" measures {key}: " in result.stderr:
                said = (
                    f"`check --against` will not find {key} in this file",
                    "is not in the files read: no measurement",
                )
                assert any(s in imported.stderr for s in said), (key, imported.stderr)


def test_an_objective_without_a_namespace_is_found_once_annotated_as_the_import_says(run, tmp_path: Path) -> None:
    file = INTEROP / "pyrra-caddy-response-latency.yaml"
    imported = run("import", "pyrra", "--offering", "web", file)
    assert imported.exit_code == 0, imported.output
    assert (
        f"{file}:4:9: warning: `check --against` will not find web/caddy-response-latency in this file: the file "
        "names no offering for it (no namespace, or default)\n"
        " 4 |   name: caddy-response-latency\n"  # the line, shown since interop25
        "   |         ^\n"
        "  hint: name it there: the annotation servicebook.dev/slo: web/caddy-response-latency\n"
    ) in imported.stderr
    site = _pasted(yaml.safe_load(imported.stdout)["offerings"], tmp_path)
    monitoring = tmp_path / "monitoring"
    monitoring.mkdir()
    text = file.read_text().replace(
        "  name: caddy-response-latency\n",
        "  name: caddy-response-latency\n  annotations:\n    servicebook.dev/slo: web/caddy-response-latency\n",
    )
    (monitoring / "caddy.yaml").write_text(text)
    result = run("check", "--source", site, "--against", monitoring)
    assert result.exit_code == 0, result.output
    assert "measures web/caddy-response-latency" not in result.stderr


# --- OpenSLO bundles as people keep them -------------------------------------------------------------

# after OpenSLO's README (a DataSource named by metricSourceRef, an SLI, an SLO with an inline
# AlertPolicy), written anew: document end markers, an empty document, a comment before the first
BUNDLE = """\
# the API's SLOs
---
apiVersion: openslo/v1
kind: DataSource
metadata:
  name: prom
spec:
  type: Prometheus
  connectionDetails:
    url: http://prometheus:9090
...
---
apiVersion: openslo/v1
kind: SLI
metadata:
  name: api-errors
spec:
  ratioMetric:
    counter: true
    bad:
      metricSource:
        metricSourceRef: prom
        spec:
          query: http_requests_total{job="api",code=~"5.."}
    total:
      metricSource:
        metricSourceRef: prom
        spec:
          query: http_requests_total{job="api"}
---
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: availability
  displayName: API availability
spec:
  service: api
  indicatorRef: api-errors
  budgetingMethod: Occurrences
  timeWindow:
    - duration: 28d
      isRolling: true
  objectives:
    - target: 0.995
  alertPolicies:
    - kind: AlertPolicy
      metadata:
        name: fast-burn
      spec:
        conditions:
          - kind: AlertCondition
            metadata:
              name: cond
            spec:
              severity: page
              condition:
                kind: burnrate
                op: gte
                threshold: 14.4
                lookbackWindow: 1h
                alertAfter: 5m
        notificationTargets:
          - targetRef: pager
---
"""


def test_a_bundle_with_end_markers_and_empty_documents_imports_and_checks(run, tmp_path: Path) -> None:
    monitoring = tmp_path / "monitoring"
    monitoring.mkdir()
    (monitoring / "api.yaml").write_text(BUNDLE)
    imported = run("import", "openslo", monitoring / "api.yaml")
    assert imported.exit_code == 0, imported.output
    (slo,) = yaml.safe_load(imported.stdout)["offerings"][0]["slos"]
    assert slo["measurement"] == {
        "errors": 'http_requests_total{job="api",code=~"5.."}',
        "total": 'http_requests_total{job="api"}',
    }
    assert "dropped 'alertPolicies' (alerting is not part of the catalog)" in imported.stderr
    site = _pasted(yaml.safe_load(imported.stdout)["offerings"], tmp_path)
    result = run("check", "--source", site, "--against", monitoring)
    assert ": error: " not in result.stderr, result.stderr
    assert "measures api/availability" not in result.stderr


def test_a_metric_source_written_beside_its_key_is_refused_with_where_it_goes(run, tmp_path: Path) -> None:
    # `bad: {metricSourceRef, spec}` without `metricSource:` was "'bad' has no 'metricSource'" at the
    # mapping, not saying what was written instead
    file = tmp_path / "api.yaml"
    file.write_text(
        BUNDLE.replace(
            "    bad:\n      metricSource:\n        metricSourceRef: prom\n        spec:\n          query: "
            'http_requests_total{job="api",code=~"5.."}\n',
            '    bad:\n      metricSourceRef: prom\n      spec:\n        query: http_requests_total{job="api",code=~"5.."}\n',
        )
    )
    result = run("import", "openslo", file)
    assert result.exit_code == 1
    line = file.read_text().splitlines().index("      metricSourceRef: prom") + 1
    assert (
        f"{file}:{line}:7: error: 'bad' has no 'metricSource': 'metricSourceRef' is written beside it, not in it\n"
    ) in result.stderr
    assert "  hint: indent metricSourceRef, spec under metricSource: (OpenSLO v1: bad: metricSource: " in result.stderr


def test_an_imported_backstage_tier_is_written_in_double_quotes_as_the_catalog_writes_it(run) -> None:
    # the Backstage import wrote PyYAML's `tier: '3'`; the docs and the catalogs write `tier: "3"`
    result = run("import", "backstage", INTEROP / "backstage-artist-lookup-component.yaml")
    assert result.exit_code == 0, result.output
    assert '    tier: "3"\n' in result.stdout
    assert "'" not in result.stdout.split("tier:", 1)[1].split("\n", 1)[0]


def test_a_threshold_dropped_is_not_also_told_to_rewrite_its_query(run) -> None:
    # OpenSLO/go-sdk's export input: a threshold (gt, no value) over `[2m]`; the report said both that
    # the measurement was dropped and that its query needed [{{.window}}] "in the fragment", where
    # there is no measurement to write it in
    file = INTEROP / "openslo-sdk-export-v1-slo.yaml"
    result = run("import", "openslo", file)
    assert result.exit_code == 0, result.output
    assert f"{file}:11:9: warning: dropped the measurement: a threshold (gt, no value) has no catalog shape" in (
        result.stderr
    )
    assert "neither a metric selector nor PromQL" not in result.stderr
    assert "measurement:" not in result.stdout


def test_a_draft_format_catalog_with_openslos_ratio_timeslices_is_upgraded_to_ratio_timeslices(
    run, tmp_path: Path
) -> None:
    # format 0 wrote OpenSLO's spelling; its `RatioTimeslices` was lowered to `ratiotimeslices`
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    draft = (Path(__file__).parent / "formats" / "0" / "catalog.yaml").read_text()
    old = "        budgetingMethod: Occurrences\n"
    assert old in draft
    (site / "catalog.yaml").write_text(
        draft.replace(old, "        budgetingMethod: RatioTimeslices\n        timeslice_window: 1m\n")
    )
    result = run("check", "--source", site)
    assert result.exit_code == 0, result.output
