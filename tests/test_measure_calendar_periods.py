"""`measure --at DAY` and calendar periods in every time zone, against a real Prometheus
(tests/promhelp.py): an auditor asks what was delivered in the week (month) that a day ends, and
gets that whole period in the SLO's own time zone, west of UTC as east of it; a period measured
within hours of its turn says so, naming the `--at` that measures it whole; the site and
`promised` say where the period began, in its time zone."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from servicebook.catalog import model
from servicebook.measure.budget import calendar_note, day_start, period, period_text
from servicebook.measure.run import not_begun
from servicebook.measure.snapshot import parse
from servicebook.source.yaml import SourceText
from tests.conftest import GitSite, measured_site, real_prometheus
from tests.promhelp import Counter

pytestmark = pytest.mark.git

HOUR = 3600
DAY = 86_400
T0 = 1_793_404_800  # 2026-10-31T00:00:00Z, where the data starts
END = T0 + 32 * DAY  # 2026-12-02T00:00:00Z
# New York's week that Monday 30 November begins ends there at 00:00 EST, 05:00 UTC: its last five
# hours, Sunday evening there, are already Monday the 30th in UTC. An hour of errors at 20:00 that
# Sunday (01:00 UTC on the 30th) is the week's.
NY_SUNDAY_EVENING = (1_796_000_400, 1_796_000_400 + HOUR)  # 2026-11-30T01:00Z to 02:00Z
# November in New York: from 1 November 00:00 EDT (04:00 UTC; the clocks go back at 02:00 that
# night) to 1 December 00:00 EST (05:00 UTC), 721 hours. An hour of errors in its first hour, one in
# the hour before it began (still October there), one in its last hour (already December in UTC).
NY_NOVEMBER = (1_793_505_600, 1_796_101_200)  # 2026-11-01T04:00Z, 2026-12-01T05:00Z
BURSTS = (
    NY_SUNDAY_EVENING,
    (NY_NOVEMBER[0], NY_NOVEMBER[0] + HOUR),
    (NY_NOVEMBER[0] - HOUR, NY_NOVEMBER[0]),
    (NY_NOVEMBER[1] - HOUR, NY_NOVEMBER[1]),
)
# Berlin's week ends at Monday 00:00 CET, 23:00 UTC on Sunday the 29th
BERLIN_WEEK = (1_795_388_400, 1_795_993_200)  # 2026-11-22T23:00Z to 2026-11-29T23:00Z
OK = Counter("api_requests_total", {"code": "200"}, T0, END, lambda t: 1000, step=300)
ERRORS = Counter(
    "api_requests_total", {"code": "500"}, T0, END, lambda t: 10 if any(a < t <= b for a, b in BURSTS) else 0, step=300
)
SLOS = """\
    slos:
      - id: week-new-york
        name: API availability per New York week
        sli: Share of API requests answered without a server error.
        objective: 99.9
        window: calendar-week
        timezone: America/New_York
        measurement:
          errors: api_requests_total{code="500"}
          total: api_requests_total
      - id: week-berlin
        name: API availability per Berlin week
        sli: Share of API requests answered without a server error.
        objective: 99.9
        window: calendar-week
        timezone: Europe/Berlin
        measurement:
          errors: api_requests_total{code="500"}
          total: api_requests_total
      - id: month-new-york
        name: API availability per New York month
        sli: Share of API requests answered without a server error.
        objective: 99.9
        window: calendar-month
        timezone: America/New_York
        measurement:
          errors: api_requests_total{code="500"}
          total: api_requests_total
      - id: rolling
        name: API availability over 7 days
        sli: Share of API requests answered without a server error.
        objective: 99.9
        window: 7d
        measurement:
          errors: api_requests_total{code="500"}
          total: api_requests_total
"""


def _utc(text: str) -> int:
    return int(dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with real_prometheus(tmp_path_factory.mktemp("prometheus"), (OK, ERRORS)) as url:
        yield url


@pytest.fixture
def site(tmp_path: Path) -> GitSite:
    repo = measured_site(tmp_path / "repo", SLOS)
    repo.commit("SLOs per calendar week and month in New York and Berlin")
    return repo


def _entries(root: Path, name: str) -> dict[str, dict]:
    document = json.loads((root / "measurements" / name).read_text())
    return {entry["slo"]: entry for entry in document["slos"]}


def _expect(entry: dict, start: int, end: int) -> None:
    """The entry measured [start, end] and counted the events generated there."""
    assert (_utc(entry["start"]), _utc(entry["end"])) == (start, end)
    bad = ERRORS.count(start, end)
    total = OK.count(start, end) + bad
    assert (entry["total"], entry["good"]) == (pytest.approx(total, rel=1e-12), pytest.approx(total - bad, rel=1e-12))


def test_at_a_day_measures_each_calendar_week_that_day_ends_whole_in_its_own_time_zone(
    server: str, site: GitSite, run
) -> None:
    """`--at 2026-11-30` (a Monday) ended every window at 00:00 UTC, which in New York is still
    19:00 on Sunday: the week measured lacked its last five hours (and the hour of errors in
    them), and said nothing. A day now ends a calendar window at that day's midnight in the SLO's
    time zone: New York's week to 05:00 UTC, Berlin's to 23:00 UTC the day before, each whole; a
    rolling window still ends at the day's start in UTC."""
    result = run("measure", "--source", site.root, "--prometheus", server, "--at", "2026-11-30")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "measuring 4 SLOs up to 2026-11-30 (2026-11-30T00:00:00Z; calendar windows to midnight in their time zone)"
    )
    slos = _entries(site.root, "2026-11-30T00-00-00Z.json")
    new_york = slos["week-new-york"]
    _expect(new_york, _utc("2026-11-23T05:00:00Z"), _utc("2026-11-30T05:00:00Z"))
    assert ERRORS.count(_utc(new_york["start"]), _utc(new_york["end"])) == 120  # its Sunday evening's errors
    assert new_york["timezone"] == "America/New_York"
    assert new_york["notes"] == []
    _expect(slos["week-berlin"], *BERLIN_WEEK)
    assert slos["week-berlin"]["timezone"] == "Europe/Berlin" and slos["week-berlin"]["notes"] == []
    _expect(slos["rolling"], _utc("2026-11-23T00:00:00Z"), _utc("2026-11-30T00:00:00Z"))
    assert "timezone" not in slos["rolling"]
    # the line says where each period began, in its own time zone
    assert "  ci/week-new-york: 99.994 % over the calendar week from Mon 23 Nov 00:00 (America/New_York) (" in (
        result.output
    )
    assert "  ci/week-berlin: 100.000 % over the calendar week from Mon 23 Nov 00:00 (Europe/Berlin) (" in result.output


def test_a_month_across_a_change_of_the_clocks_is_measured_from_its_first_to_its_last_midnight_there(
    server: str, site: GitSite, run
) -> None:
    """New York's November has 721 hours (the clocks go back on the 1st): `--at 2026-12-01` measures
    it from 00:00 EDT on the 1st to 00:00 EST on 1 December, the errors of its first and last hours
    counted and those of October's last hour not."""
    result = run("measure", "--source", site.root, "--prometheus", server, "--at", "2026-12-01", "--offering", "ci")
    assert result.exit_code == 0, result.output
    month = _entries(site.root, "2026-12-01T00-00-00Z.json")["month-new-york"]
    _expect(month, *NY_NOVEMBER)
    assert NY_NOVEMBER[1] - NY_NOVEMBER[0] == 721 * HOUR
    assert ERRORS.count(*NY_NOVEMBER) == 360  # three hours of errors: the first, the Sunday evening, the last
    assert month["notes"] == []


def test_a_week_measured_hours_before_its_end_says_so_and_names_the_at_that_measures_it_whole(
    server: str, site: GitSite, run
) -> None:
    """Up to a time (a nightly run at 00:00 UTC), New York's week still has five hours to go: the
    figures are of the week without them, and the note says which `--at` gives it whole."""
    result = run("measure", "--source", site.root, "--prometheus", server, "--at", "2026-11-30T00:00:00Z")
    assert result.exit_code == 0, result.output
    slos = _entries(site.root, "2026-11-30T00-00-00Z.json")
    new_york = slos["week-new-york"]
    _expect(new_york, _utc("2026-11-23T05:00:00Z"), _utc("2026-11-30T00:00:00Z"))
    note = (
        "the calendar week ends 5 h after the end time, at midnight in America/New_York (2026-11-30 05:00 UTC): "
        "the figures are of the week without its last 5 h; it is measured whole up to that midnight by "
        "--at 2026-11-30 (or --at 2026-11-30T05:00:00Z)"
    )
    assert new_york["notes"] == [note]
    assert f"    note: {note}" in result.output
    # Berlin's week began an hour before: that hour, said so, with the `--at` of the week before
    berlin = slos["week-berlin"]
    assert (berlin["start"], berlin["end"]) == ("2026-11-29T23:00:00Z", "2026-11-30T00:00:00Z")
    assert berlin["notes"] == [
        "the calendar week began only 1 h before the end time, at midnight in Europe/Berlin (2026-11-29 23:00 UTC): "
        "the figures are of that part; the week before is measured whole up to that midnight by --at 2026-11-30 "
        "(or --at 2026-11-29T23:00:00Z)"
    ]


def test_the_site_its_catalog_json_and_promised_say_where_a_calendar_period_began_in_its_time_zone(
    server: str, site: GitSite, run, env, tmp_path: Path
) -> None:
    site.clock = T0 - 7200  # the catalog in effect from before the data starts
    site.git("commit", "--amend", "-q", "--no-edit", "--reset-author")
    assert run("measure", "--source", site.root, "--prometheus", server, "--at", "2026-11-30").exit_code == 0
    site.commit("Measurements")
    env["SOURCE_DATE_EPOCH"] = str(_utc("2026-11-30T06:00:00Z"))
    out = tmp_path / "public"
    assert run("build", "--source", site.root, "--output", out).exit_code == 0
    page = (out / "offerings/ci/index.html").read_text()
    row = page[page.index('<tr id="slo-week-new-york">') :]
    assert (
        "measured up to 2026-11-30 05:00 UTC, the week from Mon 23 Nov 00:00 (America/New_York)</span>"
        in row[: row.index("</tr>")]
    )
    row = page[page.index('<tr id="slo-week-berlin">') :]
    assert (
        "measured up to 2026-11-29 23:00 UTC, the week from Mon 23 Nov 00:00 (Europe/Berlin)</span>"
        in row[: row.index("</tr>")]
    )
    row = page[page.index('<tr id="slo-rolling">') :]
    assert "measured up to 2026-11-30 00:00 UTC</span>" in row[: row.index("</tr>")]  # a rolling window: no period
    # catalog.json's start and end are UTC: the zone says which week or month they are
    latest = {m["slo"]: m["latest"] for m in json.loads((out / "catalog.json").read_text())["measurements"]}
    assert (latest["week-new-york"]["start"], latest["week-new-york"]["timezone"]) == (
        "2026-11-23T05:00:00Z",
        "America/New_York",
    )
    assert latest["month-new-york"]["timezone"] == "America/New_York"
    assert latest["rolling"]["timezone"] is None

    text = run("promised", "--source", site.root, "--at", "2026-11-28").output
    assert (
        "    measured the week from Mon 23 Nov 00:00 (America/New_York), 2026-11-23 05:00 to 2026-11-30 05:00 UTC: "
        "99.994 % (objective then 99.9 %)"
    ) in text
    document = json.loads(run("promised", "--source", site.root, "--at", "2026-11-28", "--format", "json").output)
    slos = {s["id"]: s for s in document["offerings"][0]["slos"]}
    assert slos["week-berlin"]["measured"]["timezone"] == "Europe/Berlin"
    assert slos["rolling"]["measured"]["timezone"] is None


@pytest.mark.parametrize("zone", ["America", "Etc", "America/New York"])
def test_a_calendar_time_zone_that_is_no_zone_is_refused_at_its_place_before_asking(
    site: GitSite, run, zone: str
) -> None:
    """`timezone: America` (a folder of the zone database, not a zone) ended `measure` and `check`
    with a traceback (IsADirectoryError): now it is the catalog's error at its place, as a name
    misspelt is, exit 1, nothing asked or written."""
    site.edit("        timezone: Europe/Berlin\n", f"        timezone: {zone}\n")
    result = run("measure", "--source", site.root, "--prometheus", "http://127.0.0.1:9", "--at", "2026-11-30")
    assert result.exit_code == 1, result.output
    assert f"/catalog.yaml:70:19: error: 'timezone' '{zone}' is not an IANA time zone\n" in result.output
    assert "  hint: " in result.output and "Traceback" not in result.output
    assert not (site.root / "measurements").exists()
    assert run("check", "--source", site.root).exit_code == 1


# --- the arithmetic of periods, without a server ---------------------------------------------------


def test_a_day_begins_at_its_midnight_in_the_time_zone_even_where_the_clocks_skip_it() -> None:
    assert day_start(dt.date(2026, 11, 30), "America/New_York") == dt.datetime(2026, 11, 30, 5, tzinfo=dt.UTC)
    assert day_start(dt.date(2026, 11, 30), "Pacific/Kiritimati") == dt.datetime(2026, 11, 29, 10, tzinfo=dt.UTC)
    # Santiago's clocks go from 00:00 to 01:00 on 2026-09-06: that day begins at 04:00 UTC, its 01:00,
    # the instant after the 5th's last
    begins = day_start(dt.date(2026, 9, 6), "America/Santiago")
    assert begins == dt.datetime(2026, 9, 6, 4, tzinfo=dt.UTC)
    assert begins.astimezone(ZoneInfo("America/Santiago")).strftime("%d %H:%M") == "06 01:00"
    assert (begins - dt.timedelta(seconds=1)).astimezone(ZoneInfo("America/Santiago")).strftime(
        "%d %H:%M"
    ) == "05 23:59"
    # and its month, September, begins at midnight on the 1st, before the change
    assert period("calendar-month", begins, "America/Santiago")[0] == dt.datetime(2026, 9, 1, 4, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("window", "end", "zone", "first", "after"),
    [
        ("calendar-week", "2026-11-30T00:00:00Z", "America/New_York", "2026-11-23T05:00:00Z", "2026-11-30T05:00:00Z"),
        ("calendar-month", "2026-12-01T05:00:00Z", "America/New_York", "2026-11-01T04:00:00Z", "2026-12-01T05:00:00Z"),
        ("calendar-quarter", "2026-12-31T23:00:00Z", "UTC", "2026-10-01T00:00:00Z", "2027-01-01T00:00:00Z"),
        ("calendar-year", "2026-12-31T23:00:00Z", "Europe/Berlin", "2025-12-31T23:00:00Z", "2026-12-31T23:00:00Z"),
        ("calendar-year", "2026-12-31T23:00:01Z", "Europe/Berlin", "2026-12-31T23:00:00Z", "2027-12-31T23:00:00Z"),
    ],
)
def test_a_period_runs_from_its_first_midnight_to_the_midnight_after_its_last_day(
    window: str, end: str, zone: str, first: str, after: str
) -> None:
    begins, ends = period(window, dt.datetime.fromtimestamp(_utc(end), dt.UTC), zone)
    assert (begins.timestamp(), ends.timestamp()) == (_utc(first), _utc(after))


def test_a_period_is_said_from_where_it_began_in_its_time_zone() -> None:
    start = dt.datetime(2026, 11, 29, 23, tzinfo=dt.UTC)
    assert period_text("calendar-week", start, "Europe/Berlin") == "week from Mon 30 Nov 00:00 (Europe/Berlin)"
    assert period_text("calendar-quarter", dt.datetime(2026, 10, 1, tzinfo=dt.UTC), None) == (
        "quarter from Thu 1 Oct 00:00 (UTC)"  # a snapshot written before results said their time zone
    )
    assert period_text("28d", start, None) is None


def test_a_calendar_period_measured_whole_or_in_its_middle_has_no_note() -> None:
    whole = period("calendar-week", dt.datetime(2026, 11, 30, 5, tzinfo=dt.UTC), "America/New_York")
    assert calendar_note("calendar-week", whole[0], whole[1], "America/New_York") is None
    middle = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
    assert calendar_note("calendar-week", whole[0], middle, "America/New_York") is None
    assert calendar_note("7d", middle - dt.timedelta(hours=1), middle, "UTC") is None


def test_at_a_day_that_has_not_begun_in_an_slos_time_zone_is_refused_naming_when_it_does() -> None:
    """`--at` today, early in the day in UTC: in Honolulu the day begins at 10:00 UTC, so the week
    (month) it would end has not ended; the command refuses before asking anything (exit 2),
    naming the SLO and when the day begins there, where it begins last."""
    zones = [("ci/berlin", "Europe/Berlin"), ("ci/hawaii", "Pacific/Honolulu"), ("ci/ny", "America/New_York")]
    day = dt.date(2026, 12, 7)
    early = dt.datetime(2026, 12, 7, 4, tzinfo=dt.UTC)
    assert not_begun(zones, day, early) == (
        "ci/hawaii",
        "Pacific/Honolulu",
        dt.datetime(2026, 12, 7, 10, tzinfo=dt.UTC),
    )
    assert not_begun(zones, day, dt.datetime(2026, 12, 7, 10, tzinfo=dt.UTC)) is None  # begun everywhere
    assert not_begun([], day, early) is None


@pytest.mark.parametrize(("zone", "problem"), [("Europe/Berlin", None), ("America", 16), ("Mars/Olympus", 16), (5, 16)])
def test_a_snapshots_time_zone_is_read_or_refused_at_its_place(zone: object, problem: int | None) -> None:
    entry = {
        "offering": "ci",
        "slo": "weekly",
        "objective": "99.9",
        "window": "calendar-week",
        "timezone": zone,
        "start": "2026-11-22T23:00:00Z",
        "end": "2026-11-29T23:00:00Z",
        "reason": "down",
    }
    data = {
        "servicebook_measurements": 1,
        "end": "2026-11-30T00:00:00Z",
        "server": "http://p:9090",
        "catalog": {"commit": None, "dirty": False},
        "generator": "servicebook",
        "slos": [entry],
        "not_defined": [],
    }
    found = parse(SourceText("measurements/2026-11-30T00-00-00Z.json", json.dumps(data, indent=1)))
    if problem is None:
        assert isinstance(found, model.Snapshot) and found.results[0].timezone == zone
    else:
        assert isinstance(found, list)
        assert [(p.location.line, p.message) for p in found] == [
            (problem, "'timezone' must be an IANA time zone such as Europe/Zurich")
        ]
