"""`servicebook measure` against a real Prometheus (tests/promhelp.py): series generated here
(steady good traffic, an outage that burns a known share of the budget, a counter reset, a gap,
a 0/1 probe), backfilled with promtool, and every figure of the snapshot checked against the
same figure computed here from the generated events."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from servicebook.measure.prometheus import Prometheus, QueryFailed
from servicebook.measure.snapshot import read_all
from tests.conftest import GitSite, measured_site, real_prometheus
from tests.promhelp import STEP, Counter, Gauge

pytestmark = pytest.mark.git

DAY = 86_400
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z, where the data starts
END = T0 + 8 * DAY  # measured up to 2026-01-09T00:00:00Z
START = END - 7 * DAY  # a 7d window
AT = "2026-01-09T00:00:00Z"
OUTAGE = (T0 + 3 * DAY, T0 + 3 * DAY + 10 * 60)  # 10 minutes of 40 errors a minute
PROBE_DOWN = (T0 + 2 * DAY, T0 + 2 * DAY + 90 * 60)
RESET = T0 + 5 * DAY
GAP = (T0 + 6 * DAY, T0 + 6 * DAY + 2 * 3600)


def _in(span: tuple[int, int], t: int) -> bool:
    return span[0] < t <= span[1]


API_OK = Counter("http_requests_total", {"job": "api", "code": "200"}, T0, END, lambda t: 60 if _in(OUTAGE, t) else 100)
API_ERR = Counter("http_requests_total", {"job": "api", "code": "500"}, T0, END, lambda t: 40 if _in(OUTAGE, t) else 0)
BATCH_OK = Counter("jobs_total", {"job": "batch", "outcome": "ok"}, T0, END, lambda t: 10, resets=(RESET,))
BATCH_FAILED = Counter(
    "jobs_total",
    {"job": "batch", "outcome": "failed"},
    T0,
    END,
    lambda t: 1 if T0 + 4 * DAY < t <= T0 + 4 * DAY + 3600 else 0,
    resets=(RESET,),
)
WEB_OK = Counter("web_requests_total", {"job": "web", "code": "200"}, T0, END, lambda t: 50, gaps=(GAP,))
PROBE = Gauge("probe_success", {"job": "probe"}, T0, END, lambda t: 0 if PROBE_DOWN[0] <= t < PROBE_DOWN[1] else 1)
# scraped every 5 minutes, 37 s off the minute: a rate() over one 5-minute step of the gap check sees one sample
SPARSE = Counter("sparse_total", {"job": "sparse"}, T0 + 37, END, lambda t: 5, step=300)
# what Sloth's recording rules record for an SLO: its error ratio over the SLO's window, a series
# of its own; the second one's rule stopped being evaluated a day before the end
SLOTH_LABELS = {"sloth_service": "api", "sloth_slo": "availability"}
RULE = Gauge("slo:sli_error:ratio_rate7d", SLOTH_LABELS, T0, END, lambda t: 0.0004)  # type: ignore[arg-type,return-value]
STOPPED_RULE = Gauge("stopped:sli_error:ratio_rate7d", SLOTH_LABELS, T0, END - DAY, lambda t: 0.0004)  # type: ignore[arg-type,return-value]
# A week across Zurich's change to summer time (Sunday 2026-03-29): from Monday the 23rd 00:00 CET
# (the 22nd 23:00 UTC) to Monday the 30th 00:00 CEST (the 29th 22:00 UTC), 167 hours. Ten minutes of
# errors half an hour before it begins, ten in its last half hour.
DST0 = 1_773_964_800  # 2026-03-20T00:00:00Z
DST_END = DST0 + 11 * DAY
DST_WEEK = (DST0 + 2 * DAY + 23 * 3600, DST0 + 9 * DAY + 22 * 3600)
DST_BURSTS = (DST_WEEK[0] - 1800, DST_WEEK[1] - 1800)
# scraped every 5 minutes: a fifth of the samples a minute's scrapes would add to the server
DST_OK = Counter("shop_requests_total", {"job": "shop", "code": "200"}, DST0, DST_END, lambda t: 500, step=300)
DST_ERR = Counter(
    "shop_requests_total",
    {"job": "shop", "code": "500"},
    DST0,
    DST_END,
    lambda t: 25 if any(b < t <= b + 600 for b in DST_BURSTS) else 0,
    step=300,
)
SERIES = (API_OK, API_ERR, BATCH_OK, BATCH_FAILED, WEB_OK, PROBE, SPARSE, RULE, STOPPED_RULE, DST_OK, DST_ERR)

EMPTY_SNAPSHOT = {
    "servicebook_measurements": 1,
    "end": AT,
    "server": "http://prometheus:9090",
    "catalog": {"commit": None, "dirty": False},
    "generator": "servicebook",
    "slos": [],
    "not_defined": [],
}
SLOS = """\
    slos:
      - id: availability
        name: API availability
        sli: Share of API requests answered without a server error.
        objective: 99.9
        window: 7d
        measurement:
          errors: http_requests_total{job="api",code=~"5.."}
          total: http_requests_total{job="api"}
      - id: availability-sloth
        name: API availability, as Sloth measures it
        sli: Share of API requests answered without a server error.
        objective: 99.9
        window: 7d
        measurement:
          errors: sum(rate(http_requests_total{job="api",code=~"5.."}[{{.window}}]))
          total: sum(rate(http_requests_total{job="api"}[{{.window}}]))
      - id: error-ratio
        name: API error ratio
        sli: Share of API requests answered without a server error.
        objective: 99.9
        window: 7d
        measurement:
          error_ratio: >-
            sum(rate(http_requests_total{job="api",code=~"5.."}[{{.window}}]))
            / sum(rate(http_requests_total{job="api"}[{{.window}}]))
      - id: month
        name: API availability this month
        sli: Share of API requests answered without a server error.
        objective: 99.9
        window: calendar-month
        measurement:
          errors: http_requests_total{job="api",code=~"5.."}
          total: http_requests_total{job="api"}
      - id: batch
        name: Batch jobs
        sli: Share of batch jobs that succeed.
        objective: 99
        window: 7d
        measurement:
          good: jobs_total{job="batch",outcome="ok"}
          total: jobs_total{job="batch"}
      - id: web
        name: Web availability
        sli: Share of web requests answered without a server error.
        objective: 99.5
        window: 7d
        measurement:
          errors: web_requests_total{job="web",code=~"5.."}
          total: web_requests_total{job="web"}
      - id: probe
        name: Probe
        sli: Share of the time the black-box probe succeeds.
        objective: 99
        window: 7d
        measurement:
          bool_gauge: probe_success{job="probe"}
      - id: nothing
        name: A metric nobody exports
        sli: Share of nothing.
        objective: 99
        window: 7d
        measurement:
          errors: nothing_total{code="500"}
          total: nothing_total
      - id: unmeasured
        name: Promised, not measured
        sli: Share of something.
        objective: 99
        window: 30d
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with real_prometheus(tmp_path_factory.mktemp("prometheus"), SERIES) as url:
        yield url


@pytest.fixture
def site(tmp_path: Path) -> GitSite:
    repo = measured_site(tmp_path / "repo", SLOS)
    repo.commit("Catalog with measurements")
    return repo


def _snapshot(root: Path) -> dict:
    return json.loads((root / "measurements" / "2026-01-09T00-00-00Z.json").read_text())


def _by_slo(document: dict) -> dict:
    return {entry["slo"]: entry for entry in document["slos"]}


def _expect_counts(entry: dict, bad: int, total: int, objective: float) -> None:
    assert entry["total"] == pytest.approx(total, rel=1e-12)
    assert entry["good"] == pytest.approx(total - bad, rel=1e-12)
    assert entry["attainment"] == pytest.approx(1 - bad / total, rel=1e-12)
    consumed = bad / total / (1 - objective / 100)
    assert entry["budget_consumed"] == pytest.approx(consumed, rel=1e-9)
    assert entry["budget_remaining"] == pytest.approx(1 - consumed, rel=1e-9)


def test_snapshot_figures_match_the_events_generated(server: str, site: GitSite, run) -> None:
    result = run("measure", "--source", site.root, "--prometheus", server, "--at", AT)
    assert result.exit_code == 3, result.output  # one SLO could not be measured
    document = _snapshot(site.root)
    assert document["end"] == AT
    assert document["server"] == server
    assert document["catalog"] == {"commit": site.git("rev-parse", "HEAD").strip(), "dirty": False}
    slos = _by_slo(document)

    # steady traffic and a ten-minute outage: 400 bad requests of 1,008,000, 40 % of the budget
    bad, total = API_ERR.count(START, END), API_OK.count(START, END) + API_ERR.count(START, END)
    assert (bad, total) == (400, 1_008_000)
    _expect_counts(slos["availability"], bad, total, 99.9)
    assert slos["availability"]["budget_consumed"] == pytest.approx(0.3968, abs=1e-4)
    assert slos["availability"]["counted_as"] == "events"
    assert slos["availability"]["start"] == "2026-01-02T00:00:00Z"
    assert slos["availability"]["queries"]["total"] == 'sum(increase(http_requests_total{job="api"}[7d]))'
    assert slos["availability"]["notes"] == []

    # Sloth's rate queries: the same share (values are per-second rates, not counts)
    sloth = slos["availability-sloth"]
    assert sloth["counted_as"] == "query values"
    assert sloth["attainment"] == pytest.approx(1 - bad / total, rel=1e-12)
    assert sloth["total"] == pytest.approx(total / (7 * DAY), rel=1e-12)
    assert slos["error-ratio"]["attainment"] == pytest.approx(1 - bad / total, rel=1e-12)
    assert slos["error-ratio"]["good"] is None

    # a calendar month is measured from its first day to the time measured up to
    month = slos["month"]
    assert month["start"] == "2026-01-01T00:00:00Z"
    _expect_counts(month, API_ERR.count(T0, END), API_OK.count(T0, END) + API_ERR.count(T0, END), 99.9)

    # a counter reset: increase() counts across it, and the snapshot says it happened
    batch = slos["batch"]
    failed = BATCH_FAILED.count(START, END)
    assert failed == 60
    _expect_counts(batch, failed, BATCH_OK.count(START, END) + failed, 99)
    assert batch["notes"] == [
        "total: 2 counter resets in the window; increase() counts each as a restart from 0",
        "good: 1 counter reset in the window; increase() counts each as a restart from 0",
    ]

    # a two-hour gap in the scrapes: named (to within the 5 min step), figures from the data there is;
    # no error series at all, while the metric has series: no errors
    web = slos["web"]
    _expect_counts(web, 0, WEB_OK.count(START, END), 99.5)
    assert web["notes"] == [
        "errors: the selector matched no series in the window while web_requests_total has some: counted as 0",
        "no data from 2026-01-07 00:05 UTC to 2026-01-07 01:55 UTC (1 h 50 min, to within 5 min); "
        "the figures are from the data there is",
    ]

    # a 0/1 probe: the share of its samples that were 1
    good, samples = PROBE.shares(START, END)
    assert samples - good == 90 * 60 // STEP
    probe = slos["probe"]
    assert (probe["good"], probe["total"], probe["counted_as"]) == (good, samples, "samples")
    assert probe["attainment"] == pytest.approx(good / samples, rel=1e-12)

    # a query returning nothing is said, never counted as anything
    nothing = slos["nothing"]
    assert nothing["reason"] == "the total selector matched no series in the window: nothing to count"
    assert "attainment" not in nothing and "good" not in nothing
    assert document["not_defined"] == ["ci/unmeasured"]

    # the progress lines CI shows, one an SLO
    assert "ci/availability: 99.960 % over the rolling 7 days (objective 99.9 %), 60 % of the error budget left" in (
        result.output
    )
    assert "ci/nothing: not measured: the total selector matched no series in the window" in result.output
    assert result.output.splitlines()[-1].endswith(
        "/measurements/2026-01-09T00-00-00Z.json: 7 measured, 1 not measured"
    )

    # and the site reads back what was written
    snapshots, problems = read_all(site.root)
    assert problems == []
    (snapshot,) = snapshots
    assert snapshot.end == dt.datetime(2026, 1, 9, tzinfo=dt.UTC)
    assert {r.slo: r.attainment for r in snapshot.results}["availability"] == slos["availability"]["attainment"]


def test_a_server_that_is_down_is_refused_and_nothing_is_written(site: GitSite, run) -> None:
    """A mistyped port wrote a snapshot of every SLO unmeasured, which an auditor reads as
    measured: when no query is answered at all, measure writes nothing and says what to check."""
    result = run("measure", "--source", site.root, "--prometheus", "http://127.0.0.1:9", "--at", AT)
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[-1] == (
        "error: could not reach Prometheus at http://127.0.0.1:9: connection refused; check --prometheus "
        "(nothing was written)"
    )
    assert "not measured" not in result.output  # no line per SLO for a run that measured nothing
    assert not (site.root / "measurements").exists()


class _WebPage(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html>a web page</html>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_server_that_is_no_prometheus_is_refused_and_nothing_is_written(site: GitSite, run) -> None:
    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _WebPage)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{web.server_address[1]}"
    try:
        result = run("measure", "--source", site.root, "--prometheus", url, "--at", AT)
    finally:
        web.shutdown()
        web.server_close()
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[-1] == (
        f"error: no query was answered by a Prometheus at {url}: {url} did not answer as the Prometheus API does "
        "(not JSON); check --prometheus (nothing was written)"
    )
    assert not (site.root / "measurements").exists()


def test_a_query_prometheus_refuses_is_an_answer_of_prometheus(server: str) -> None:
    """What tells a Prometheus that refuses a query (kept as that SLO's reason, in a snapshot)
    from an address where none answers: its refusal is an answer."""
    prometheus = Prometheus(server)
    with pytest.raises(QueryFailed, match="Prometheus refused the query"):
        prometheus.query("sum(rate(x[5m])", END)
    assert prometheus.answered.is_set()
    assert not Prometheus("http://127.0.0.1:9").answered.is_set()


def test_a_snapshot_is_never_written_over(site: GitSite, run) -> None:
    (site.root / "measurements").mkdir()
    taken = json.dumps(EMPTY_SNAPSHOT)
    (site.root / "measurements" / "2026-01-09T00-00-00Z.json").write_text(taken)
    result = run("measure", "--source", site.root, "--prometheus", "http://127.0.0.1:9", "--at", AT)
    assert result.exit_code == 2
    assert "a snapshot measured up to 2026-01-09T00:00:00Z was taken before" in result.output
    assert (site.root / "measurements" / "2026-01-09T00-00-00Z.json").read_text() == taken
    # refused before Prometheus is asked anything: no line per SLO measured and then thrown away
    assert "measuring" not in result.output and "cannot reach" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--prometheus", "prometheus:9090"], "give the server's address with http:// or https://"),
        (
            ["--prometheus", "http://x", "--at", "yesterday"],
            "--at 'yesterday': not a day or a time; write a day (2026-03-31",
        ),
        (["--prometheus", "http://x", "--at", "2026-02-30"], "--at '2026-02-30': not a real date"),
        (["--prometheus", "http://x", "--at", "2999-01-01"], "is in the future"),
        (["--prometheus", "http://x", "--at", AT, "--offering", "cii"], "no such offering; did you mean 'ci'?"),
    ],
)
def test_usage_problems_exit_2_before_asking(site: GitSite, run, args: list[str], message: str) -> None:
    result = run("measure", "--source", site.root, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert not (site.root / "measurements").exists()


def test_the_site_shows_what_was_measured(server: str, site: GitSite, run, env, tmp_path: Path) -> None:
    for day in ("2026-01-05", "2026-01-07"):
        run("measure", "--source", site.root, "--prometheus", server, "--at", day)
    site.commit("Measurements")
    env["SOURCE_DATE_EPOCH"] = str(END + 3600)  # built an hour after the last snapshot
    out = tmp_path / "public"
    assert run("build", "--source", site.root, "--output", out).exit_code == 0
    page = (out / "offerings/ci/index.html").read_text()
    assert "measured up to 2026-01-07 00:00 UTC" in page
    assert "stale: measured 2 d 1 h before this build (figures older than 2 d are stale)" in page

    # a new snapshot is a build input: the pages that show it are built again
    run("measure", "--source", site.root, "--prometheus", server, "--at", AT)
    assert run("build", "--source", site.root, "--output", out).exit_code == 0
    page = (out / "offerings/ci/index.html").read_text()
    row = page[page.index('<tr id="slo-availability">') :]
    row = row[: row.index("</tr>")]
    assert '<strong class="num">99.960 %</strong>' in row
    assert "60 % of the error budget left" in row
    assert "measured up to 2026-01-09 00:00 UTC" in row
    assert "stale" not in row
    chart = row[row.index("<svg") : row.index("</svg>")]
    assert 'role="img"' in chart and "<script" not in chart
    assert "Attainment in 3 snapshots from 2026-01-05 to 2026-01-09: lowest 99.930 %, latest 99.960 %" in chart
    assert chart.count("<circle") == 3
    nothing = page[page.index('<tr id="slo-nothing">') :]
    assert "not measured: the total selector matched no series in the window" in nothing[: nothing.index("</tr>")]

    # a figure measured against an objective since changed says which one it was measured against
    site.edit(
        "        objective: 99.9\n        window: 7d\n        measurement:\n          errors: http",
        "        objective: 99.95\n        window: 7d\n        measurement:\n          errors: http",
    )
    assert run("build", "--source", site.root, "--output", tmp_path / "changed").exit_code == 0
    changed = (tmp_path / "changed/offerings/ci/index.html").read_text()
    row = changed[changed.index('<tr id="slo-availability">') :]
    assert "against the objective then, 99.9 %" in row[: row.index("</tr>")]
    site.git("checkout", "catalog.yaml")

    # the SLOs page: least budget left first, then those with no figures, in catalog order
    slos = (out / "slos/index.html").read_text()
    order = [line.split('"')[1] for line in slos.splitlines() if line.strip().startswith('<tr id="slo-')]
    latest = _by_slo(_snapshot(site.root))
    left = sorted(
        (entry["budget_remaining"], f"slo-ci-{slo}") for slo, entry in latest.items() if "budget_remaining" in entry
    )
    assert order == [name for _, name in left] + ["slo-ci-nothing", "slo-ci-unmeasured"]

    # catalog.json: the latest figures and the history of each SLO measured
    document = json.loads((out / "catalog.json").read_text())
    measured = {m["slo"]: m for m in document["measurements"]}
    assert set(measured) == set(latest)
    availability = measured["availability"]
    assert availability["latest"]["attainment"] == latest["availability"]["attainment"]
    assert availability["latest"]["stale"] is False
    assert [h["end"] for h in availability["history"]] == [
        "2026-01-05T00:00:00Z",
        "2026-01-07T00:00:00Z",
        "2026-01-09T00:00:00Z",
    ]
    assert measured["nothing"]["latest"]["reason"].startswith("the total selector matched no series")

    # the same commit and snapshots make the same bytes, built afresh as after the cached rebuild
    site.commit("One more snapshot")
    assert run("build", "--source", site.root, "--output", out).exit_code == 0
    again = tmp_path / "again"
    assert run("build", "--source", site.root, "--output", again).exit_code == 0
    files = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert files == {p.relative_to(again): p.read_bytes() for p in sorted(again.rglob("*")) if p.is_file()}


def test_promised_says_what_was_measured_for_a_window_that_holds_the_day(server: str, site: GitSite, run) -> None:
    site.clock = T0 - 7200  # the catalog in effect from before the data starts
    site.git("commit", "--amend", "-q", "--no-edit", "--reset-author")
    for day in ("2026-01-05", AT):
        run("measure", "--source", site.root, "--prometheus", server, "--at", day)
    site.commit("Measurements")
    text = run("promised", "--source", site.root, "--at", "2026-03-01").output
    assert "    measured " not in text  # no window of any snapshot holds that day
    text = run("promised", "--source", site.root, "--at", "2026-01-08").output
    lines = text.splitlines()
    i = lines.index("  SLO API availability (availability): 99.9 % over rolling 7 days, error budget 10 min 5 s")
    assert lines[i + 1] == (
        "    measured 2026-01-02 00:00 to 2026-01-09 00:00 UTC: 99.960 % (objective then 99.9 %), "
        "60 % of the error budget left (measurements/2026-01-09T00-00-00Z.json)"
    )
    nothing = lines.index(
        "  SLO A metric nobody exports (nothing): 99 % over rolling 7 days, error budget 1 h 40 min 48 s"
    )
    assert lines[nothing + 1].startswith(
        "    measured 2026-01-02 00:00 to 2026-01-09 00:00 UTC: could not be measured: "
    )
    document = json.loads(run("promised", "--source", site.root, "--at", "2026-01-04", "--format", "json").output)
    slos = {s["id"]: s for s in document["offerings"][0]["slos"]}
    assert slos["availability"]["measured"]["snapshot"] == "measurements/2026-01-05T00-00-00Z.json"
    assert slos["unmeasured"]["measured"] is None


def test_a_query_prometheus_refuses_is_not_measured_with_its_message(server: str, site: GitSite, run) -> None:
    site.edit(
        """          errors: nothing_total{code="500"}
          total: nothing_total""",
        """          errors: sum(rate(nothing_total{code="500"}[{{.window}}]))
          total: sum(rate(nothing_total[{{.window}}])""",
    )
    site.commit("A query with a missing parenthesis")
    assert run("measure", "--source", site.root, "--prometheus", server, "--at", AT).exit_code == 3
    reason = _by_slo(_snapshot(site.root))["nothing"]["reason"]
    assert reason.startswith("query failed: Prometheus refused the query (bad_data): ")
    assert "unclosed left parenthesis" in reason


@pytest.mark.parametrize(
    ("errors", "said"),
    [
        ("vector(-1)", "the errors query returned -1: not a count of events"),  # was: "more good events (6) than …"
        ("vector(1)/vector(0)", "the errors query returned inf: not a count of events"),  # was: "the good count is nan"
    ],
)
def test_an_errors_query_that_returns_no_count_is_named_as_such(
    server: str, site: GitSite, run, errors: str, said: str
) -> None:
    site.edit(
        """          errors: nothing_total{code="500"}
          total: nothing_total""",
        f"""          errors: sum(rate(nothing_total{{code="500"}}[{{{{.window}}}}])) or {errors}
          total: sum(rate(nothing_total[{{{{.window}}}}])) or vector(5)""",
    )
    site.commit("An errors query that returns no count of events")
    assert run("measure", "--source", site.root, "--prometheus", server, "--at", AT).exit_code == 3
    assert _by_slo(_snapshot(site.root))["nothing"]["reason"] == said


def test_a_template_query_over_sparse_samples_is_not_said_to_have_no_data(server: str, site: GitSite, run) -> None:
    # samples 5 minutes apart: the window's rate() counts them, but each 5-minute step of the gap
    # check holds one sample, so every step read "no data" and the snapshot said the whole measured
    # window had none ("no data from 2026-01-02 00:00 UTC to 2026-01-09 00:00 UTC (7 d …)")
    site.edit(
        """          errors: nothing_total{code="500"}
          total: nothing_total""",
        """          errors: sum(rate(sparse_total{code="500"}[{{.window}}])) or vector(0)
          total: sum(rate(sparse_total[{{.window}}]))""",
    )
    site.commit("A metric scraped every 5 minutes")
    run("measure", "--source", site.root, "--prometheus", server, "--at", AT)
    sparse = _by_slo(_snapshot(site.root))["nothing"]
    assert sparse["attainment"] == 1
    assert sparse["notes"] == [
        "gaps not checked: `sum(rate(sparse_total[5m]))` returned nothing at any 5 min step, though the "
        "query over the window did (are samples more than 2 min 30 s apart?)"
    ]


@pytest.mark.parametrize(
    ("selector", "reason"),
    [
        ('slo:sli_error:ratio_rate7d{sloth_service="api",sloth_slo="availability"}', None),
        (
            'slo:sli_error:ratio_rate30d{sloth_service="api",sloth_slo="availability"}',
            "the error_ratio selector has no value: Prometheus has no series named slo:sli_error:ratio_rate30d "
            "in the window; is the recording rule that records it loaded there, under that name, and was it by "
            "then? (a rule records from when it is loaded: `promtool check rules FILE` lists the names a rule "
            "file records, `promtool tsdb create-blocks-from rules` backfills them)",
        ),
        (
            'slo:sli_error:ratio_rate7d{sloth_service="api",sloth_slo="latency"}',
            "the error_ratio selector matched no series in the window, though slo:sli_error:ratio_rate7d has "
            "some: its labels differ from the selector's (compare them with the recording rule's labels)",
        ),
        (
            'stopped:sli_error:ratio_rate7d{sloth_service="api"}',
            "the error_ratio selector has no value at the end time, though its series have samples earlier in "
            "the window: it stopped (is the recording rule still evaluated, up to the end time?)",
        ),
    ],
)
def test_an_error_ratio_read_from_a_recording_rule_says_why_it_has_no_value(
    server: str, site: GitSite, run, selector: str, reason: str | None
) -> None:
    """An SRE points an SLO at the series a Sloth rule records: a rule named otherwise, labelled
    otherwise, or no longer evaluated each get their own reason (all three said "the error_ratio
    query returned no series for the window")."""
    site.edit(
        """          errors: nothing_total{code="500"}
          total: nothing_total""",
        f"""          error_ratio: {selector}""",
    )
    site.commit("The error ratio Sloth records")
    run("measure", "--source", site.root, "--prometheus", server, "--at", AT)
    measured = _by_slo(_snapshot(site.root))["nothing"]
    assert measured.get("reason") == reason
    if reason is None:
        assert measured["attainment"] == pytest.approx(1 - 0.0004)


def test_a_calendar_window_that_had_just_begun_says_so_and_the_time_that_measures_the_one_before(
    server: str, site: GitSite, run
) -> None:
    """An SRE measures "the month" at a day's midnight in UTC, which in the SLO's time zone is
    already (or not yet) another time: the month in force had begun only hours before. The line
    says where the window starts, and a note says it is that part and how to measure the month
    before whole (it read '99.9 % over the calendar month', the first hours of the new month)."""
    site.edit(
        "        window: calendar-month\n", "        window: calendar-month\n        timezone: America/New_York\n"
    )
    site.commit("The monthly SLO counts in New York's months")
    result = run(
        "measure", "--source", site.root, "--prometheus", server, "--at", "2026-01-01T07:00:00Z", "--offering", "ci"
    )
    assert (
        "  ci/month: 100.000 % over the calendar month from Thu 1 Jan 00:00 (America/New_York) (objective 99.9 %)"
        in (result.output)
    )
    note = (
        "the calendar month began only 2 h before the end time, at midnight in America/New_York "
        "(2026-01-01 05:00 UTC): the figures are of that part; the month before is measured whole up to "
        "that midnight by --at 2026-01-01 (or --at 2026-01-01T05:00:00Z)"
    )
    assert f"    note: {note}" in result.output
    month = _by_slo(json.loads((site.root / "measurements/2026-01-01T07-00-00Z.json").read_text()))["month"]
    assert month["start"] == "2026-01-01T05:00:00Z" and month["notes"][0] == note
    week = _by_slo(json.loads((site.root / "measurements/2026-01-01T07-00-00Z.json").read_text()))["availability"]
    assert not any("calendar" in n for n in week.get("notes", []))  # a rolling window starts where it says


UNMEASURED = """      - id: unmeasured
        name: Promised, not measured
        sli: Share of something.
        objective: 99
        window: 30d
"""


def test_a_calendar_week_is_measured_from_monday_midnight_in_its_time_zone_across_daylight_saving_time(
    server: str, site: GitSite, run
) -> None:
    """A shop promises 99.9 % per calendar week in Zurich. Measured at the Monday midnight that
    ends the week in which the clocks went forward: 167 hours, from the Monday midnight before
    (22:00 UTC the day before, in winter time), the errors of its last half hour counted, not
    those of the half hour before it began."""
    site.edit(
        UNMEASURED,
        """      - id: weekly
        name: Shop availability per week
        sli: Share of shop requests answered without a server error.
        objective: 99.9
        window: calendar-week
        timezone: Europe/Zurich
        measurement:
          errors: shop_requests_total{job="shop",code=~"5.."}
          total: shop_requests_total{job="shop"}
""",
    )
    site.commit("The shop's weekly SLO")
    at = "2026-03-29T22:00:00Z"
    result = run("measure", "--source", site.root, "--prometheus", server, "--at", at, "--offering", "ci")
    start, end = DST_WEEK
    bad, total = DST_ERR.count(start, end), DST_OK.count(start, end) + DST_ERR.count(start, end)
    assert (bad, total, end - start) == (50, 167 * 12 * 500 + 50, 167 * 3600)
    weekly = _by_slo(json.loads((site.root / "measurements/2026-03-29T22-00-00Z.json").read_text()))["weekly"]
    assert (weekly["start"], weekly["end"]) == ("2026-03-22T23:00:00Z", at)
    _expect_counts(weekly, bad, total, 99.9)
    assert weekly["notes"] == []
    assert "  ci/weekly: 99.995 % over the calendar week from Mon 23 Mar 00:00 (Europe/Zurich) (objective 99.9 %)" in (
        result.output
    )


def test_a_calendar_year_so_far_is_measured_from_new_year_in_its_time_zone(server: str, site: GitSite, run) -> None:
    site.edit("        window: calendar-month\n", "        window: calendar-year\n        timezone: America/New_York\n")
    site.commit("The API's SLO counts New York's years")
    run("measure", "--source", site.root, "--prometheus", server, "--at", AT, "--offering", "ci")
    year = _by_slo(_snapshot(site.root))["month"]
    new_year = T0 + 5 * 3600  # midnight in New York, 05:00 UTC
    assert year["start"] == "2026-01-01T05:00:00Z"
    _expect_counts(year, API_ERR.count(new_year, END), API_OK.count(new_year, END) + API_ERR.count(new_year, END), 99.9)


class _PartialAnswers(http.server.BaseHTTPRequestHandler):
    """Thanos Query in front of the Prometheus: each answer as the Prometheus gave it, with the warning
    Thanos gives where a store did not answer (a partial response: status success, figures incomplete)."""

    upstream = ""

    def do_GET(self) -> None:
        with urllib.request.urlopen(f"{self.upstream}{self.path}") as answer:
            document = json.loads(answer.read())
        document["warnings"] = ["No StoreAPIs matched for this query", "No StoreAPIs matched for this query"]
        body = json.dumps(document).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_measure_says_the_warnings_a_partial_response_gives_with_its_figures(server, site, run) -> None:
    # Thanos and Mimir answer a query some of whose stores did not answer with status success, the figures of
    # the stores that did, and warnings: measure wrote those figures as the SLO's, without a word
    handler = type("Partial", (_PartialAnswers,), {"upstream": server})
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        result = run(
            "measure", "--source", site.root, "--prometheus", f"http://127.0.0.1:{proxy.server_address[1]}", "--at", AT
        )
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert result.exit_code == 3, result.output  # as without the warnings: one SLO of the site cannot be measured
    availability = {e["slo"]: e for e in _snapshot(site.root)["slos"]}["availability"]
    assert availability["attainment"] is not None
    warned = [n for n in availability["notes"] if "warned" in n]
    assert warned == [
        "the server warned with its answer to the total, total resets, errors and errors resets queries (the figures "
        "may be incomplete): No StoreAPIs matched for this query"
    ]
    assert "note: the server warned with its answer to the total, total resets" in result.output
