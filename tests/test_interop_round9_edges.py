"""Rough edges interop9 found from the installed wheel (fixes13): what a message tells a user to
do is something the user can do, and a reason given is the reason that fits."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import require_component, run_import
from tests.promhelp import INSTALL, Gauge, installed, prometheus
from tests.test_interop_round7 import SLOGEN_V1ALPHA
from tests.test_interop_round9 import DAY, END, T0, _measured, _sliced_site

INTEROP = Path(__file__).parent / "interop" / "fixtures"
SITES = Path(__file__).parent / "sites"


# --- check --against: a budgeting the catalog cannot say -------------------------------------------


def _site_promising_what_the_import_wrote(tmp_path: Path) -> Path:
    """The minimal site whose SLO is what `import openslo` wrote of OpenSLO's RatioTimeslices
    example before openslo15 (99 % over 14 days, occurrences), and a monitoring folder holding that
    example, named for the catalog's SLO."""
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    catalog = site / "catalog.yaml"
    catalog.write_text(
        catalog.read_text().replace("objective: 99.5\n        window: 30d", "objective: 99\n        window: 14d")
    )
    monitoring = tmp_path / "monitoring"
    monitoring.mkdir()
    example = (INTEROP / "openslo-ratio-timeslices.yaml").read_text()
    named = example.replace("service: web-shop", "service: ci").replace("name: main-page", "name: availability", 1)
    (monitoring / "slo.yaml").write_text(named)
    return site


def test_another_budgeting_than_the_catalogs_is_said_with_both_methods(run, tmp_path: Path) -> None:
    # RatioTimeslices is the catalog's ratio-timeslices since openslo15: a catalog promising occurrences
    # differs, said with the hint to make them agree, as any other budgeting
    site = _site_promising_what_the_import_wrote(tmp_path)
    result = run("check", "--source", site, "--against", tmp_path / "monitoring")
    assert "Traceback" not in result.output
    assert result.exit_code == 1
    assert (
        "error: ci/availability: the catalog's budgeting is occurrences, but OpenSLO SLO 'availability' "
    ) in result.stderr
    assert "has ratio-timeslices\n" in result.stderr
    assert "  hint: make them agree: change the monitoring, or the promise (and tell its readers)\n" in result.stderr


def test_a_budgeting_the_catalog_has_keeps_the_hint_to_make_them_agree(run, tmp_path: Path) -> None:
    site = _site_promising_what_the_import_wrote(tmp_path)
    slo = tmp_path / "monitoring" / "slo.yaml"
    sliced = slo.read_text().replace("budgetingMethod: RatioTimeslices", "budgetingMethod: Timeslices")
    slo.write_text(sliced.replace("timeSliceWindow: 1m", "timeSliceWindow: 1m\n      timeSliceTarget: 0.95"))
    result = run("check", "--source", site, "--against", tmp_path / "monitoring")
    assert result.exit_code == 1
    assert "the catalog's budgeting is occurrences, but OpenSLO SLO 'availability' " in result.stderr
    assert "has timeslices\n" in result.stderr
    assert "  hint: make them agree: change the monitoring, or the promise (and tell its readers)\n" in result.stderr


# --- measure: why slices are not counted, as fits the query ----------------------------------------

# a probe's 0/1 gauge scraped every minute, down one minute in twenty, its scrapes stopped for an hour
PROBE = Gauge(
    "probe_success",
    {"job": "probe"},
    T0,
    T0 + 2 * DAY,
    lambda t: 0 if (t // 60) % 20 == 0 else 1,
    gaps=((END - 3 * 3600, END - 2 * 3600),),
)


@pytest.fixture(scope="module")
def probe_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_component(installed(), "Prometheus (prometheus and promtool)", INSTALL)
    with prometheus(tmp_path_factory.mktemp("prometheus"), (PROBE,)) as url:
        yield url


@pytest.mark.git
def test_slices_a_gauge_query_gives_no_value_are_not_said_to_need_two_counter_samples(
    probe_server: str, run, tmp_path: Path
) -> None:
    # the note gave a counter's reason ("needs two samples") for a gauge's avg_over_time, whose
    # slices without a value are those without a sample
    site = _sliced_site(tmp_path, 'error_ratio: 1 - avg_over_time(probe_success{job="probe"}[{{.window}}])')
    _, entry = _measured(run, site, probe_server)
    (note,) = [n for n in entry.get("notes", ()) if "slices had" in n]
    assert note.endswith(
        "of the window's 1,440 1 min slices had a share of good events, and only they are counted (the others "
        "gave the query no value: no samples in them, or no events)"
    )
    assert entry["total"] < 1440
    assert "counter" not in note


# --- import sloth: what dropping SLO plugins means for the promise ---------------------------------

# after Sloth's examples/slo-plugin-getting-started.yml (written anew): a plugin on one SLO
SLO_PLUGIN = """\
version: "prometheus/v1"
service: "myservice"
slos:
  - name: "requests-availability"
    objective: 99.9
    plugins:
      chain:
        - id: "sloth.dev/contrib/alert_for/v1"
    sli:
      events:
        error_query: sum(rate(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}[{{.window}}]))
        total_query: sum(rate(http_request_duration_seconds_count{job="myservice"}[{{.window}}]))
    alerting:
      page_alert:
        disable: true
"""

PLUGINS_DROPPED = (
    "(SLO plugins change the rules and alerts sloth generate writes, not the objective: the catalog's promise "
    "is the same without them)"
)


def test_dropped_sloth_plugins_are_said_to_leave_the_promise_as_it_is(run, tmp_path: Path) -> None:
    # "dropped (not part of the catalog)" left a user to wonder whether the promise changed
    inline = tmp_path / "slo-plugin.yml"
    inline.write_text(SLO_PLUGIN)
    files = (INTEROP / "sloth-getting-started.yml", INTEROP / "sloth-contrib-denominator-corrected.yaml", inline)
    result = run("import", "sloth", *files)
    assert "Traceback" not in result.output
    assert result.exit_code == 0, result.output
    for place, key in (
        ("sloth-getting-started.yml:7:1", "slo_plugins"),
        ("sloth-contrib-denominator-corrected.yaml:10:3", "sloPlugins"),
        ("slo-plugin.yml:6:5", "plugins"),
    ):
        assert f"{place}: warning: dropped '{key}' {PLUGINS_DROPPED}\n" in result.stderr
    assert "plugins' (not part of the catalog)" not in result.stderr


# --- import sloth: the OpenSLO v1alpha that sloth generate reads --------------------------------------


def test_import_sloth_reads_openslo_v1alpha_as_sloth_generate_does(run) -> None:
    # Sloth's own examples/openslo-getting-started.yml, which `sloth generate -i` reads, was refused
    # by `import sloth` as a version not read
    file = INTEROP / "sloth-openslo-getting-started.yml"
    result = run_import(run, "sloth", file)
    assert result.exit_code == 0, result.output
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    (slo,) = offering["slos"]
    assert (offering["id"], slo["id"], slo["objective"], slo["window"]) == (
        "my-service",
        "sloth-slo-my-service-0",
        99.9,
        "30d",
    )
    assert slo["sli"] == "Common SLO based on availability for HTTP request responses."
    assert slo["measurement"] == {
        "error_ratio": '1 - ((sum(rate(http_request_duration_seconds_count{job="myservice",code!~"(5..|429)"}'
        '[{{.window}}]))) / (sum(rate(http_request_duration_seconds_count{job="myservice"}[{{.window}}]))))'
    }
    assert "budgeting" not in slo
    assert (
        f"{file}:6:1: warning: read OpenSLO openslo/v1alpha as sloth generate does: each objective is an SLO "
        "named sloth-slo-my-service-INDEX, its error ratio 1 - (good / total)\n"
    ) in result.stderr
    assert "guessed the window" not in result.stderr  # timeWindows said 30 days
    # `import openslo` and the drift check read it as this import does (tests/test_interop_round17.py)


def test_import_sloth_of_each_objective_of_an_openslo_v1alpha_file(run) -> None:
    file = INTEROP / "sloth-openslo-kubernetes-apiserver.yml"
    result = run_import(run, "sloth", file)
    assert result.exit_code == 0, result.output
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    assert [(s["id"], s["objective"]) for s in offering["slos"]] == [
        ("requests-availability-openslo-0", 99.9),
        ("requests-latency-openslo-0", 99),
        ("requests-latency-openslo-1", 99.9),
    ]


def test_import_sloth_refuses_openslo_v1alpha_that_sloth_does_not_read_saying_what_it_reads(run, tmp_path) -> None:
    file = tmp_path / "slo.yaml"
    file.write_text(SLOGEN_V1ALPHA)
    result = run_import(run, "sloth", file)
    assert result.exit_code == 1
    assert (
        f"{file}:19:11: error: the good query is a sumologic Logs query: Sloth reads source prometheus (or "
        "sloth) with queryType promql\n"
    ) in result.stderr
    promql = SLOGEN_V1ALPHA.replace("source: sumologic", "source: prometheus").replace(
        "queryType: Logs", "queryType: promql"
    )
    sliced = tmp_path / "sliced.yaml"
    sliced.write_text(promql)
    result = run_import(run, "sloth", sliced)
    assert result.exit_code == 0, result.output
    assert (
        f"{sliced}:8:20: warning: budgetingMethod Timeslices is not read by Sloth, which counts events: read as "
        "occurrences\n"
    ) in result.stderr
    (offering,) = yaml.safe_load(result.stdout)["offerings"]
    assert [(s["id"], s["objective"], s["window"]) for s in offering["slos"]] == [("cc-ingest-lag-0", 95, "28d")]


def test_import_sloth_refuses_a_percent_written_as_openslo_v1alphas_target(run, tmp_path) -> None:
    # Sloth multiplies the target by 100: 99.9 is 9,990 %, said as "not a percentage below 100 %"
    file = tmp_path / "slo.yml"
    file.write_text((INTEROP / "sloth-openslo-getting-started.yml").read_text().replace("0.999", "99.9"))
    result = run_import(run, "sloth", file)
    assert result.exit_code == 1
    assert (
        f"{file}:24:15: error: target 99.9 is not a fraction below 1 (Sloth reads OpenSLO's target as 0.999 for "
        "99.9 %)\n"
    ) in result.stderr
    assert "  hint: write target: 0.999\n" in result.stderr
