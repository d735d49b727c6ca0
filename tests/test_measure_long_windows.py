"""Long windows of short slices against a real Prometheus (tests/promhelp.py) that limits the
samples one query may hold, as every installation does (`--query.max-samples`, 50,000,000 by
default): Prometheus holds each point of every series a subquery or a range query reads at once,
so a time-slice SLO over 90 days of one-minute slices of 300 series (129,600 slices each, about
1.3 samples a slice and series) passes the default. Here the limit is lowered to 4,000 so that 11 series over two days pass it: the
slices and the gap check are asked in parts, and give what a server without the limit gives; a
query that cannot be parted fails saying what to do, never with a traceback or a figure made up."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SITES, GitSite, require_component
from tests.promhelp import INSTALL, Counter, installed, prometheus

pytestmark = pytest.mark.git

DAY = 86_400
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
END = T0 + 3 * DAY
AT = "2026-01-04T00:00:00Z"
LIMIT = 4_000
INSTANCES = 10
# ten minutes of errors, 20 of every 100 requests, on one instance of ten: a one-minute slice is
# bad when more than 5 % of its requests fail across all of them
BURST = (T0 + 2 * DAY, T0 + 2 * DAY + 600)
GAP = (T0 + 2 * DAY + 6 * 3600, T0 + 2 * DAY + 9 * 3600)  # three hours without scrapes
SERIES = (
    *(
        Counter(
            "api_requests_total",
            {"instance": f"i{i}", "code": "200"},
            T0,
            END,
            lambda t, i=i: 80 if i == 0 and BURST[0] < t <= BURST[1] else 100,
            gaps=(GAP,),
        )
        for i in range(INSTANCES)
    ),
    Counter(
        "api_requests_total",
        {"instance": "i0", "code": "500"},
        T0,
        END,
        lambda t: 20 * INSTANCES if BURST[0] < t <= BURST[1] else 0,
        gaps=(GAP,),
    ),
)
SLOS = """\
    slos:
      - id: slices
        name: API availability per minute
        sli: Share of one-minute slices in which at least 95 % of requests succeed.
        objective: 99
        window: 2d
        budgeting: timeslices
        timeslice_target: 95
        timeslice_window: 1m
        measurement:
          errors: api_requests_total{code="500"}
          total: api_requests_total
      - id: events
        name: API availability
        sli: Share of requests that succeed.
        objective: 99
        window: 2d
        measurement:
          errors: api_requests_total{code="500"}
          total: api_requests_total
      - id: smoothed
        name: API availability, smoothed a minute at a time
        sli: Share of requests that succeed.
        objective: 99
        window: 2d
        measurement:
          error_ratio: >-
            1 - avg_over_time((sum(rate(api_requests_total{code="200"}[5m])) / sum(rate(api_requests_total[5m])))[{{.window}}:1m])
"""


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(a server with the limit lowered, one with the default)."""
    require_component(installed(), "Prometheus (prometheus and promtool)", INSTALL)
    flags = [f"--query.max-samples={LIMIT}"]
    with (
        prometheus(tmp_path_factory.mktemp("limited"), SERIES, flags) as limited,
        prometheus(tmp_path_factory.mktemp("default"), SERIES) as default,
    ):
        yield limited, default


def _site(tmp_path: Path, name: str) -> GitSite:
    root = tmp_path / name
    shutil.copytree(SITES / "minimal", root)
    text = (root / "catalog.yaml").read_text()
    old = text[text.index("    slos:\n") : text.index("    tools: [shared")]
    (root / "catalog.yaml").write_text(text.replace(old, SLOS, 1))
    site = GitSite(root)
    site.commit("Two days of one-minute slices")
    return site


def _measured(run, site: GitSite, server: str) -> tuple[object, dict[str, dict]]:
    result = run("measure", "--source", site.root, "--prometheus", server, "--at", AT)
    document = json.loads((site.root / "measurements" / "2026-01-04T00-00-00Z.json").read_text())
    return result, {entry["slo"]: entry for entry in document["slos"]}


def test_slices_and_gaps_beyond_the_servers_sample_limit_are_counted_in_parts_to_the_same_figures(
    servers: tuple[str, str], run, tmp_path: Path
) -> None:
    """Asked whole, two days' 2,880 slices of 11 series are refused ("query processing would load
    too many samples into memory"), and so is the gap check's range of 576 steps: the SLOs were not
    measured. Asked in parts, each figure is the one the server without the limit gives."""
    limited, default = servers
    result, parted = _measured(run, _site(tmp_path, "limited"), limited)
    _, whole = _measured(run, _site(tmp_path, "default"), default)
    assert "Traceback" not in result.output

    slices = parted["slices"]
    assert "reason" not in slices, slices.get("reason")
    for key in ("good", "total", "attainment", "budget_consumed"):
        assert slices[key] == whole["slices"][key], key
    assert slices["total"] == 2 * 1440 - 180  # every slice of the two days but the gap's three hours
    assert slices["good"] == slices["total"] - 10  # the burst's ten minutes are bad
    notes = [n for n in slices["notes"] if not n.startswith("the slices were counted in ")]
    assert notes == whole["slices"]["notes"]
    (parts,) = [n for n in slices["notes"] if n.startswith("the slices were counted in ")]
    assert parts.endswith(
        " parts: Prometheus refused to hold all 2,880 of them at once (more samples than its query.max-samples)"
    )
    # the queries recorded are those of the window, as a server without the limit is asked them
    assert slices["queries"] == whole["slices"]["queries"]

    # the gap check of the events, asked in parts, finds the three hours without data
    events = parted["events"]
    assert events["notes"] == whole["events"]["notes"]
    assert any(n.startswith("no data from 2026-01-03 06:05 UTC to 2026-01-03 08:55 UTC") for n in events["notes"])
    assert events["attainment"] == whole["events"]["attainment"]


def test_a_query_beyond_the_servers_sample_limit_that_cannot_be_parted_says_what_to_do(
    servers: tuple[str, str], run, tmp_path: Path
) -> None:
    """A PromQL error ratio with a subquery of its own over the window cannot be parted: it is not
    measured, with Prometheus' words and what to do, and the run exits 3 as for any SLO not measured."""
    limited, _ = servers
    result, parted = _measured(run, _site(tmp_path, "limited"), limited)
    assert result.exit_code == 3, result.output
    assert parted["smoothed"]["reason"] == (
        "query failed: Prometheus refused the query (execution): query processing would load too many samples "
        "into memory in query execution: the error_ratio query over the 2 d window reads more samples at once "
        "than the server's --query.max-samples allows (50,000,000 by default); raise that limit on the "
        "Prometheus server, or promise over a shorter window"
    )
    assert "Traceback" not in result.output


# a year of requests scraped every half hour, in UTC's calendar year 2025
YEAR0 = 1_735_689_600  # 2025-01-01T00:00:00Z
YEAR_END = 1_767_225_600  # 2026-01-01T00:00:00Z
YEAR = (
    Counter("year_requests_total", {"code": "200"}, YEAR0, YEAR_END, lambda t: 1000, step=1800),
    Counter(
        "year_requests_total",
        {"code": "500"},
        YEAR0,
        YEAR_END,
        lambda t: 100 if YEAR0 + 100 * DAY < t <= YEAR0 + 100 * DAY + 3600 else 0,
        step=1800,
    ),
)


@pytest.fixture(scope="module")
def year_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_component(installed(), "Prometheus (prometheus and promtool)", INSTALL)
    with prometheus(tmp_path_factory.mktemp("year"), YEAR, block="744h") as url:
        yield url


def test_a_calendar_year_is_measured_whole_within_the_points_a_range_query_may_have(
    year_server: str, run, tmp_path: Path
) -> None:
    """Prometheus refuses a range query of more than 11,000 points a series: the gap check over a
    year steps every 53 minutes (9,917 points), so the year is measured, its counts whole and no
    gap made up between half-hourly scrapes."""
    root = tmp_path / "year"
    shutil.copytree(SITES / "minimal", root)
    text = (root / "catalog.yaml").read_text()
    old = text[text.index("    slos:\n") : text.index("    tools: [shared")]
    slo = """\
    slos:
      - id: yearly
        name: Requests per year
        sli: Share of requests that succeed.
        objective: 99.9
        window: calendar-year
        timezone: UTC
        measurement:
          errors: year_requests_total{code="500"}
          total: year_requests_total
"""
    (root / "catalog.yaml").write_text(text.replace(old, slo, 1))
    GitSite(root).commit("A yearly SLO")
    result = run("measure", "--source", root, "--prometheus", year_server, "--at", "2026-01-01")
    assert result.exit_code == 0, result.output
    (entry,) = json.loads((root / "measurements/2026-01-01T00-00-00Z.json").read_text())["slos"]
    assert (entry["start"], entry["end"]) == ("2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z")
    bad = YEAR[1].count(YEAR0, YEAR_END)
    assert bad == 200
    assert entry["total"] == pytest.approx(YEAR[0].count(YEAR0, YEAR_END) + bad, rel=1e-12)
    assert entry["good"] == pytest.approx(entry["total"] - bad, rel=1e-12)
    assert entry["notes"] == []
    assert entry["queries"]["coverage"] == "sum(count_over_time(year_requests_total[53m]))"
