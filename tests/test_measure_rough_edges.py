"""Measurement's rough edges left by the last round (fixes12): a time-slice SLO measured with counts,
a grouped latency whose bucket bound is no bound of the histogram, and `--at` read by one owner."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import GitSite, require_component
from tests.promhelp import INSTALL, Counter, installed, prometheus

SITES = Path(__file__).parent / "sites"
DAY = 86_400
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
AT = "2026-01-02T12:00:00Z"

# a share of events, as OpenSLO's ratioMetric counts them, under an objective on slices
SLICED = """\
      - id: availability
        name: API availability
        sli: Share of 1-minute slices in which at least 95 % of requests succeed.
        objective: 99
        window: 1d
        budgeting: timeslices
        timeslice_target: 95
        timeslice_window: 1m
        measurement:
          good: http_requests_total{job="api",code="200"}
          total: http_requests_total{job="api"}
"""
# Pyrra's latency indicator grouped by method, as `import pyrra` writes it; the histogram's bounds are
# 0.1 and 0.5, so le="0.25" is no bucket of it
GROUPED_LATENCY = """\
      - id: latency
        name: API latency
        sli: Requests answered within 250 ms, for each method.
        objective: 99
        window: 1d
        measurement:
          error_ratio: >-
            max(1 - sum by (method) (increase(request_seconds_bucket{le="LE"}[{{.window}}]))
            / sum by (method) (increase(request_seconds_count[{{.window}}])))
"""
SERIES = (
    Counter("http_requests_total", {"job": "api", "code": "200"}, T0, T0 + 2 * DAY, lambda t: 99),
    Counter("http_requests_total", {"job": "api", "code": "500"}, T0, T0 + 2 * DAY, lambda t: 1),
    *(
        Counter("request_seconds_bucket", {"method": m, "le": le}, T0, T0 + 2 * DAY, lambda t, n=n: n)
        for m in ("GET", "POST")
        for le, n in (("0.1", 90), ("0.5", 99), ("+Inf", 100))
    ),
    *(Counter("request_seconds_count", {"method": m}, T0, T0 + 2 * DAY, lambda t: 100) for m in ("GET", "POST")),
)


def _site(tmp_path: Path, slos: str) -> GitSite:
    root = tmp_path / "repo"
    shutil.copytree(SITES / "minimal", root)
    text = (root / "catalog.yaml").read_text()
    old = text[text.index("    slos:\n") : text.index("    tools: [shared")]
    (root / "catalog.yaml").write_text(text.replace(old, "    slos:\n" + slos, 1))
    site = GitSite(root)
    site.commit("Catalog with measurements")
    return site


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_component(installed(), "Prometheus (prometheus and promtool)", INSTALL)
    with prometheus(tmp_path_factory.mktemp("prometheus"), SERIES) as url:
        yield url


# --- budgeting: timeslices ----------------------------------------------------------------------------


@pytest.mark.git
def test_check_does_not_warn_of_a_time_slice_slo_measured_with_counts(run, tmp_path: Path) -> None:
    # it warned that measure divided the window's two counts; measure counts good slices now
    # (tests/test_interop_round9.py measures them against a real Prometheus)
    result = run("check", "--source", _site(tmp_path, SLICED).root)
    assert result.exit_code == 0, result.output
    assert "budgeting: timeslices, but" not in result.output


@pytest.mark.git
def test_a_time_slice_slo_measured_by_a_gauge_is_not_warned_of(run, tmp_path: Path) -> None:
    gauge = SLICED[: SLICED.index("          good:")] + '          bool_gauge: probe_success{job="api"}\n'
    result = run("check", "--source", _site(tmp_path, gauge).root)
    assert result.exit_code == 0, result.output
    assert "budgeting: timeslices, but" not in result.output


@pytest.mark.git
def test_measure_gives_a_time_slice_figure_as_the_share_of_good_slices(server: str, run, tmp_path: Path) -> None:
    # 99 of 100 requests good in every minute: every 1-minute slice is at least 95 % good, so 100 %
    # of slices (the share of events, 99 %, was given and compared with the objective on slices)
    site = _site(tmp_path, SLICED)
    result = run("measure", "--source", site.root, "--prometheus", server, "--at", AT)
    assert result.exit_code == 0, result.output
    assert "  ci/availability: 100.000 % over the rolling day (objective 99 %)" in result.output
    (entry,) = json.loads((site.root / "measurements" / "2026-01-02T12-00-00Z.json").read_text())["slos"]
    assert (entry["good"], entry["total"], entry["counted_as"]) == (1440, 1440, "slices")


# --- a grouped latency whose bound is no bucket ------------------------------------------------------


@pytest.mark.git
def test_a_grouped_latency_whose_bound_is_no_bucket_is_not_measured_and_says_so(
    server: str, run, tmp_path: Path
) -> None:
    # no series has le="0.25": each group counted 0 fast requests, and the site showed 0 %
    site = _site(tmp_path, GROUPED_LATENCY.replace("LE", "0.25"))
    result = run("measure", "--source", site.root, "--prometheus", server, "--at", AT)
    assert result.exit_code == 3, result.output
    reason = (
        'the error_ratio query found no bucket le="0.25": no series of request_seconds_bucket has that bound in '
        "the window (its bounds: 0.1, 0.5, +Inf); an le that is not one of the histogram's bounds matches nothing"
    )
    assert f"  ci/latency: not measured: {reason}\n" in result.output
    (entry,) = json.loads((site.root / "measurements" / "2026-01-02T12-00-00Z.json").read_text())["slos"]
    assert entry["reason"] == reason
    assert "attainment" not in entry


@pytest.mark.git
def test_a_latency_whose_bound_is_no_bucket_is_not_counted_as_no_fast_requests(
    server: str, run, tmp_path: Path
) -> None:
    # good matched no series while request_seconds_bucket has some: counted as 0 fast requests, 0 %
    latency = GROUPED_LATENCY[: GROUPED_LATENCY.index("          error_ratio:")] + (
        '          good: request_seconds_bucket{method="GET",le="0.25"}\n'
        '          total: request_seconds_count{method="GET"}\n'
    )
    site = _site(tmp_path, latency)
    result = run("measure", "--source", site.root, "--prometheus", server, "--at", AT)
    assert result.exit_code == 3, result.output
    assert (
        '  ci/latency: not measured: the good selector found no bucket le="0.25": no series of '
        "request_seconds_bucket has that bound in the window (its bounds: 0.1, 0.5, +Inf)"
    ) in result.output


@pytest.mark.git
def test_a_grouped_latency_whose_bound_is_a_bucket_is_measured_as_its_worst_group(
    server: str, run, tmp_path: Path
) -> None:
    site = _site(tmp_path, GROUPED_LATENCY.replace("LE", "0.5"))
    result = run("measure", "--source", site.root, "--prometheus", server, "--at", AT)
    assert result.exit_code == 0, result.output
    (entry,) = json.loads((site.root / "measurements" / "2026-01-02T12-00-00Z.json").read_text())["slos"]
    assert entry["attainment"] == pytest.approx(0.99, rel=1e-9)


# --- --at: one reader for measure and promised --------------------------------------------------------

MEASURE_AT_FORMS = (
    "a day (2026-03-31: its start, a calendar window's in its time zone, others' in UTC) or a time with its "
    "offset (2026-03-31T12:00:00Z, 2026-03-31T14:00:00+02:00)"
)


@pytest.mark.git
@pytest.mark.parametrize(
    ("at", "message"),
    [
        # as an auditor writes it: promised named what to type, measure only listed its forms
        (
            "2026-11-03 14:00 UTC",
            f"--at '2026-11-03 14:00 UTC': not a day or a time; write {MEASURE_AT_FORMS}; for this one, write "
            "2026-11-03T14:00Z\n",
        ),
        ("20260331", f"--at '20260331': not a day or a time; write {MEASURE_AT_FORMS}\n"),
        ("2026-02-30", "--at '2026-02-30': not a real date\n"),
        ("2026-03-31T25:00Z", "--at '2026-03-31T25:00Z': not a real date or time\n"),
        # measure's own rules: nothing was measured before 1970, nor after now
        ("1969-12-31T23:00Z", "--at '1969-12-31T23:00Z' is before 1970"),
        ("2999-01-01", "--at '2999-01-01' is in the future"),
    ],
)
def test_measure_reads_at_as_promised_does_and_keeps_its_own_rules(run, tmp_path: Path, at: str, message: str) -> None:
    site = _site(tmp_path, SLICED)
    result = run("measure", "--source", site.root, "--prometheus", "http://127.0.0.1:9", "--at", at)
    assert result.exit_code == 2
    assert f"error: {message}" in result.output
    assert not (site.root / "measurements").exists()


@pytest.mark.git
def test_a_bound_in_single_quotes_holding_a_double_quote_is_asked_of_prometheus_as_written(
    server: str, run, tmp_path: Path
) -> None:
    # le='0.1",method="GET' is one bound, which no series has; spliced between double quotes into
    # the question whether the histogram has it, it was le="0.1",method="GET", a selector of its
    # own that matched, and the reason said no series rather than naming the bound (round 9)
    site = _site(tmp_path, GROUPED_LATENCY.replace('le="LE"', "le='0.1\",method=\"GET'"))
    result = run("measure", "--source", site.root, "--prometheus", server, "--at", AT)
    assert result.exit_code == 3, result.output
    assert (
        """  ci/latency: not measured: the error_ratio query found no bucket le="0.1",method="GET": no series of """
        "request_seconds_bucket has that bound in the window (its bounds: 0.1, 0.5, +Inf)"
    ) in result.output
