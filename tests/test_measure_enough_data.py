"""A window with too little data to judge its objective: a service new to Prometheus, measured
over a day of which it has minutes of samples, read "100.000 % … meets the objective". Against a
real Prometheus (tests/promhelp.py), `measure`, the site and `promised` say "not enough data",
with the figure and how little of the window had data; a window with enough is judged as before."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import GitSite, measured_site, real_prometheus
from tests.promhelp import Counter, Gauge

pytestmark = pytest.mark.git

DAY = 86_400
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
END = T0 + 2 * DAY
AT = "2026-01-03T00:00:00Z"
SNAPSHOT = "measurements/2026-01-03T00-00-00Z.json"

SERIES = (
    # two days of an API's requests, one in a thousand a server error
    Counter("http_requests_total", {"job": "api", "code": "200"}, T0, END, lambda t: 999),
    Counter("http_requests_total", {"job": "api", "code": "500"}, T0, END, lambda t: 1),
    # a service that Prometheus has scraped for the last quarter of an hour only
    Counter("new_requests_total", {"job": "new", "code": "200"}, END - 15 * 60, END, lambda t: 100),
    # and one scraped for the last eight hours: a third of a day, enough to judge a day
    Counter("recent_requests_total", {"job": "recent", "code": "200"}, END - 8 * 3600, END, lambda t: 100),
    # a recording rule loaded a quarter of an hour ago: each of its samples is the ratio over the whole
    # day, worked out from the requests behind it
    Gauge("slo:sli_error:ratio_rate1d", {"sloth_slo": "api"}, END - 15 * 60, END, lambda t: 0.001),  # type: ignore[arg-type,return-value]
)
SLOS = """\
    slos:
      - id: availability
        name: API availability
        sli: Share of API requests answered without a server error.
        objective: 99
        window: 1d
        measurement:
          errors: http_requests_total{job="api",code=~"5.."}
          total: http_requests_total{job="api"}
      - id: new
        name: New service availability
        sli: Share of the new service's requests answered without a server error.
        objective: 99.9
        window: 1d
        measurement:
          errors: new_requests_total{job="new",code=~"5.."}
          total: new_requests_total{job="new"}
      - id: recent
        name: Recent service availability
        sli: Share of the recent service's requests answered without a server error.
        objective: 99.9
        window: 1d
        measurement:
          errors: recent_requests_total{job="recent",code=~"5.."}
          total: recent_requests_total{job="recent"}
      - id: rule
        name: API availability, as its recording rule says
        sli: Share of API requests answered without a server error.
        objective: 99
        window: 1d
        measurement:
          error_ratio: slo:sli_error:ratio_rate1d{sloth_slo="api"}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with real_prometheus(tmp_path_factory.mktemp("prometheus"), SERIES) as url:
        yield url


@pytest.fixture
def site(tmp_path: Path) -> GitSite:
    repo = measured_site(tmp_path / "repo", SLOS)
    repo.clock = T0 - 3600  # the catalog in effect before the data starts
    repo.commit("Catalog with measurements")
    return repo


def _row(page: str, slo: str) -> str:
    row = page[page.index(f'<tr id="slo-{slo}">') :]
    return row[: row.index("</tr>")]


def test_a_window_with_minutes_of_data_says_not_enough_data_rather_than_meets_the_objective(
    server: str, site: GitSite, run, env, tmp_path: Path
) -> None:
    result = run("measure", "--source", site.root, "--prometheus", server, "--at", AT)
    assert result.exit_code == 0, result.output  # measured: the figures are written, not judged
    lines = {line.split(":")[0].strip(): line for line in result.output.splitlines() if line.startswith("  ci/")}
    new = lines["ci/new"]
    assert new.startswith("  ci/new: not enough data: 100.000 % over the rolling day, from data for only ")
    assert new.endswith(" of the 1 d window (under a quarter of it): too little to judge the objective (99.9 %)")
    assert "error budget" not in new
    # a day of data, and a third of one, are judged as before
    assert lines["ci/availability"] == (
        "  ci/availability: 99.900 % over the rolling day (objective 99 %), 90 % of the error budget left"
    )
    assert lines["ci/recent"].startswith("  ci/recent: 100.000 % over the rolling day (objective 99.9 %)")
    # a recording rule's ratio is over the whole window, however recently the rule was loaded
    assert lines["ci/rule"] == (
        "  ci/rule: 99.900 % over the rolling day (objective 99 %), 90 % of the error budget left"
    )

    # the snapshot keeps the figures and the seconds of the window with data (to within the 5-minute steps)
    entries = {e["slo"]: e for e in json.loads((site.root / SNAPSHOT).read_text())["slos"]}
    assert entries["new"]["attainment"] == 1.0
    assert 10 * 60 <= entries["new"]["covered"] <= 20 * 60
    assert entries["availability"]["covered"] >= DAY - 300
    assert 8 * 3600 - 300 <= entries["recent"]["covered"] <= 8 * 3600 + 300
    assert "covered" not in entries["rule"]

    # the site: the figure, not judged, and why
    site.commit("Measurements")
    env["SOURCE_DATE_EPOCH"] = str(END + 3600)
    out = tmp_path / "public"
    assert run("build", "--source", site.root, "--output", out).exit_code == 0
    page = (out / "offerings/ci/index.html").read_text()
    row = _row(page, "new")
    assert '<strong class="num">100.000 %</strong> <span class="badge measured-unknown">not enough data</span>' in row
    assert " of the 1 d window (under a quarter of it): too little to judge the objective" in row
    assert "meets the objective" not in row and "of the error budget left" not in row
    assert "meets the objective" in _row(page, "availability")
    assert "meets the objective" in _row(page, "recent")
    # the SLOs page: least budget left first, the figure that judges nothing after those that do
    slos = (out / "slos/index.html").read_text()
    order = [line.split('"')[1] for line in slos.splitlines() if line.strip().startswith('<tr id="slo-')]
    assert order == ["slo-ci-availability", "slo-ci-rule", "slo-ci-recent", "slo-ci-new"]
    measured = {m["slo"]: m["latest"] for m in json.loads((out / "catalog.json").read_text())["measurements"]}
    assert measured["new"]["too_little_data"].startswith("data for only ")
    assert "too_little_data" not in measured["availability"]

    # promised: the same, for an auditor
    text = run("promised", "--source", site.root, "--at", "2026-01-02").output
    said = [line for line in text.splitlines() if line.startswith("    measured ")]
    assert said[1].startswith("    measured 2026-01-02 00:00 to 2026-01-03 00:00 UTC: not enough data: 100.000 % from ")
    assert said[1].endswith(f"too little to judge the objective then, 99.9 % ({SNAPSHOT})")
    document = json.loads(run("promised", "--source", site.root, "--at", "2026-01-02", "--format", "json").output)
    slos = {s["id"]: s["measured"] for s in document["offerings"][0]["slos"]}
    assert slos["new"]["too_little_data"].endswith("(under a quarter of it)")
    assert slos["availability"]["too_little_data"] is None


@pytest.mark.parametrize("covered", ["900", -1, DAY + 1, True, 900.5])
def test_a_snapshot_whose_covered_is_not_seconds_of_its_window_is_refused(site: GitSite, run, covered: object) -> None:
    snapshot = {
        "servicebook_measurements": 1,
        "end": AT,
        "server": "http://prometheus:9090",
        "catalog": {"commit": None, "dirty": False},
        "generator": "servicebook",
        "slos": [
            {
                "offering": "ci",
                "slo": "new",
                "objective": "99.9",
                "window": "1d",
                "start": "2026-01-02T00:00:00Z",
                "end": AT,
                "shape": "errors/total",
                "queries": {},
                "attainment": 1.0,
                "budget_consumed": 0.0,
                "budget_remaining": 1.0,
                "good": 1500.0,
                "total": 1500.0,
                "counted_as": "events",
                "notes": [],
                "covered": covered,
            }
        ],
        "not_defined": [],
    }
    (site.root / "measurements").mkdir()
    (site.root / SNAPSHOT).write_text(json.dumps(snapshot, indent=2))
    result = run("check", "--source", site.root)
    assert result.exit_code == 1, result.output
    assert f"{SNAPSHOT}:" in result.output
    assert "'covered' must be the seconds of the window with data: a whole number, 0 to its length" in result.output
