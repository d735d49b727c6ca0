"""Calendar weeks and years, end to end: a team promises "per calendar week" or "per calendar
year" (`window: calendar-week`, `calendar-year`); the site, `promised`, the semantic diff, the
OpenSLO export and import say it as OpenSLO writes it (`duration: 1w` / `1Y`, `isRolling: false`,
a `calendar`). A week runs from Monday 00:00 (ISO 8601) in the SLO's time zone.
`measure` against a real Prometheus: tests/test_measure.py; its window's start:
tests/test_measure_parts.py."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
import yaml

from servicebook.catalog import model
from servicebook.catalog.schema import json_schema
from servicebook.catalog.slo import error_budget
from servicebook.interop import openslo

from .openslo_v1 import problems
from .test_interop import FIXTURES
from .test_openslo_export import _catalog, _site
from .test_schema import as_an_editor_reads_it

WEEK_AND_YEAR = """
  - id: builds
    name: Build runners
    summary: Runners for CI jobs.
    owner: Platform Team
    tier: "2"
    lifecycle: ga
    audience: [developers]
    request:
      how: Ask.
    slos:
      - id: weekly
        name: Runner availability per week
        sli: Share of jobs that get a runner within 60 s.
        objective: 99.9
        window: calendar-week
        timezone: Europe/Zurich
      - id: yearly
        name: Runner availability per year
        sli: Share of jobs that get a runner within 60 s.
        objective: 99.9
        window: calendar-year
"""
REAL_WEEK = FIXTURES / "openslo-low-traffic-timeslices-week.yaml"


def _budget(window: str, objective: str = "99.9"):
    return error_budget(model.SLO("a", "A", "x", Decimal(objective), window))


def test_a_calendar_week_budget_is_seven_days_of_the_objective() -> None:
    week = _budget("calendar-week")
    assert (week.text, week.window_text, week.range_text) == ("10 min 5 s", "calendar week", None)


def test_a_calendar_year_budget_states_its_range_for_leap_years() -> None:
    year = _budget("calendar-year")
    assert (year.text, year.window_text) == ("8 h 45 min 36 s", "calendar year")
    assert year.range_text == "8 h 45 min 36 s to 8 h 47 min 2 s depending on the year's length"


def test_the_published_schema_takes_calendar_weeks_and_years() -> None:
    validator = jsonschema.Draft202012Validator(json_schema())
    catalog = as_an_editor_reads_it(Path(__file__).parent / "sites/minimal/catalog.yaml")
    assert isinstance(catalog, dict)
    for window, errors in (("calendar-week", 0), ("calendar-year", 0), ("calendar-weekly", 1), ("1w", 1)):
        catalog["offerings"][0]["slos"][0]["window"] = window
        assert len(list(validator.iter_errors(json.loads(json.dumps(catalog))))) == errors, window


def test_the_site_says_per_calendar_week_and_year(run, tmp_path: Path) -> None:
    site = _site(tmp_path, WEEK_AND_YEAR)
    result = run("build", "--source", site)
    assert result.exit_code == 0, result.output
    page = (site / "public/offerings/builds/index.html").read_text()
    assert '<td data-label="Window">calendar week</td>' in page
    assert '<td data-label="Window">calendar year</td>' in page
    assert "8 h 46 min to 8 h 47 min depending on the year&#39;s length" in page


def test_the_openslo_export_writes_a_week_from_a_monday_and_a_year_from_january(tmp_path: Path) -> None:
    catalog = _catalog(_site(tmp_path, WEEK_AND_YEAR))
    docs = {d["metadata"]["name"]: d for d in openslo.documents(catalog) if d["kind"] == "SLO"}
    week, year = docs["builds-weekly"], docs["builds-yearly"]
    assert week["spec"]["timeWindow"] == [
        {
            "duration": "1w",
            "isRolling": False,
            "calendar": {"startTime": "2020-01-06 00:00:00", "timeZone": "Europe/Zurich"},
        }
    ]  # 2020-01-06 is a Monday: OpenSLO's weeks follow one another from startTime
    assert year["spec"]["timeWindow"] == [
        {"duration": "1Y", "isRolling": False, "calendar": {"startTime": "2020-01-01 00:00:00", "timeZone": "UTC"}}
    ]
    assert problems(week) == [] and problems(year) == []


def test_an_exported_week_and_year_import_as_they_were(run, tmp_path: Path) -> None:
    site = _site(tmp_path, WEEK_AND_YEAR)
    exported = run("export", "openslo", "--source", site)
    assert exported.exit_code == 0, exported.output
    file = tmp_path / "openslo.yaml"
    file.write_text(exported.stdout)
    result = run("import", "openslo", file, "--offering", "builds")
    assert result.exit_code == 0, result.output
    slos = {s["id"]: s for o in yaml.safe_load(result.stdout)["offerings"] for s in o["slos"]}
    assert (slos["weekly"]["window"], slos["weekly"]["timezone"]) == ("calendar-week", "Europe/Zurich")
    assert slos["yearly"]["window"] == "calendar-year"
    assert "guessed calendar" not in result.stderr


def test_openslos_own_calendar_week_is_read_with_where_its_weeks_begin(run) -> None:
    """OpenSLO's example (refused until calendar weeks) starts its weeks on a Saturday at noon:
    the catalog's begin on Monday at midnight, which the fragment says where it read startTime."""
    result = run("import", "openslo", REAL_WEEK)
    assert result.exit_code == 0, result.output
    slo = yaml.safe_load(result.stdout)["offerings"][0]["slos"][0]
    assert (slo["window"], slo["timezone"], slo["budgeting"]) == ("calendar-week", "America/New_York", "timeslices")
    assert (
        f"{REAL_WEEK}:28:20: warning: guessed calendar-week, which begins on Monday at 00:00, for calendar "
        "windows that begin at 2022-01-01 12:00:00 (a Saturday)\n"
    ) in result.stderr


@pytest.mark.parametrize(
    ("duration", "start", "window"),
    [
        ("1w", "2024-01-01 00:00:00", "calendar-week"),  # a Monday
        ("7d", "2024-01-01 00:00:00", "calendar-week"),  # seven days from a Monday: a week
        ("1Y", "2024-01-01 00:00:00", "calendar-year"),
        ("12M", "2024-01-01 00:00:00", "calendar-year"),
        ("4Q", "2024-01-01 00:00:00", "calendar-year"),
        ("3M", "2024-04-01 00:00:00", "calendar-quarter"),
    ],
)
def test_calendar_durations_of_a_catalog_window_are_read_as_it(
    run, tmp_path: Path, duration: str, start: str, window: str
) -> None:
    file = tmp_path / "slo.yaml"
    file.write_text(
        REAL_WEEK.read_text()
        .replace("duration: 1w", f"duration: {duration}")
        .replace("startTime: 2022-01-01 12:00:00", f"startTime: {start}")
    )
    result = run("import", "openslo", file)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["offerings"][0]["slos"][0]["window"] == window
    assert "guessed calendar" not in result.stderr  # each begins where the catalog's does


@pytest.mark.parametrize(
    ("duration", "hint"),
    [
        ("2w", "write isRolling: true for a rolling 14d, which judges every span of 14 days, not only the calendar's"),
        ("1d", "write isRolling: true for a rolling 1d, which judges every span of a day, not only the calendar's"),
        ("6M", "write this SLO's window by hand, or leave it out"),
        ("2Y", "write this SLO's window by hand, or leave it out"),
        ("1h", "write this SLO's window by hand, or leave it out"),
    ],
)
def test_a_calendar_window_the_catalog_has_not_is_refused_saying_what_it_can_promise(
    run, tmp_path: Path, duration: str, hint: str
) -> None:
    file = tmp_path / "slo.yaml"
    file.write_text(REAL_WEEK.read_text().replace("duration: 1w", f"duration: {duration}"))
    result = run("import", "openslo", file)
    assert result.exit_code == 1 and result.stdout == ""
    assert (
        f"{file}:25:17: error: a calendar window of {duration}: the catalog's calendar windows are 1w, 1M, 1Q and 1Y"
    ) in result.stderr
    assert f"  hint: {hint}" in result.stderr


def test_a_calendar_week_in_monitoring_agrees_with_the_catalogs(run, tmp_path: Path) -> None:
    """`check --against`: OpenSLO's calendar week is the catalog's calendar-week (in the same time
    zone); a calendar month promised where the monitoring judges weeks is a difference."""
    site = _site(tmp_path, WEEK_AND_YEAR)
    exported = run("export", "openslo", "--source", site)
    monitoring = tmp_path / "monitoring"
    monitoring.mkdir()
    (monitoring / "slos.yaml").write_text(exported.stdout)
    assert run("check", "--source", site, "--against", monitoring).exit_code == 0
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("window: calendar-week", "window: calendar-month"))
    result = run("check", "--source", site, "--against", monitoring)
    assert result.exit_code == 1
    assert (
        "builds/weekly: the catalog's window is calendar-month (Europe/Zurich), but " in result.stderr
        and "has calendar-week (Europe/Zurich)" in result.stderr
    )


@pytest.mark.git
@pytest.mark.parametrize(
    ("before", "after", "effect", "text"),
    [
        (
            "calendar-month",
            "calendar-week",
            "strengthened",
            "window shortened from calendar month to calendar week: a shorter incident breaks it (error budget "
            "3 h 36 min per calendar month → 50 min 24 s per calendar week)",
        ),
        (
            "7d",
            "calendar-week",
            "weakened",
            "window changed from rolling 7 days to calendar week: only whole weeks are judged: an incident across "
            "the turn of a week is split in two (error budget 50 min 24 s per rolling 7 days → 50 min 24 s per "
            "calendar week)",
        ),
        (
            "calendar-year",
            "365d",
            "strengthened",
            "window changed from calendar year to rolling 365 days: every 365 days are judged, not only whole years "
            "(error budget 1 d 19 h 48 min per calendar year → 1 d 19 h 48 min per rolling 365 days)",
        ),
        (
            "calendar-quarter",
            "calendar-year",
            "weakened",
            "window lengthened from calendar quarter to calendar year: a longer incident fits in its error budget "
            "(error budget 10 h 55 min 12 s per calendar quarter → 1 d 19 h 48 min per calendar year)",
        ),
    ],
)
def test_a_window_changed_to_or_from_a_calendar_week_or_year_is_ranked_as_a_change_of_promise(
    git_site, run, before: str, after: str, effect: str, text: str
) -> None:
    git_site.edit("window: 30d", f"window: {before}")
    git_site.commit("before")
    git_site.edit(f"window: {before}", f"window: {after}")
    git_site.commit("after")
    result = run("diff", "--source", git_site.root, "HEAD~1", "HEAD", "--format", "json")
    assert result.exit_code == 0, result.output
    assert [(c["effect"], c["text"]) for c in json.loads(result.stdout)["changes"]] == [
        (effect, f"SLO “Pipeline availability” of “CI pipelines” {text}")
    ]


@pytest.mark.git
def test_promised_says_the_calendar_week_and_its_budget(git_site, run) -> None:
    git_site.edit("window: 30d", "window: calendar-week")
    git_site.commit("per calendar week")
    result = run("promised", "--source", git_site.root, "--at", "2030-01-01")
    assert result.exit_code == 0, result.output
    assert "99.5 % over calendar week, error budget 50 min 24 s\n" in result.stdout


def test_sloth_v1alpha_says_it_reads_a_window_that_is_not_rolling_as_rolling_and_drops_the_display_name(
    run, tmp_path: Path
) -> None:
    """Sloth's windows roll whatever OpenSLO v1alpha says, and it names each SLO `name-INDEX`: both
    were done without a word (isRolling: false and the displayName vanished from the fragment)."""
    file = tmp_path / "slo.yml"
    file.write_text(
        (FIXTURES / "sloth-openslo-getting-started.yml")
        .read_text()
        .replace("      unit: Day\n", "      unit: Day\n      isRolling: false\n")
    )
    result = run("import", "sloth", file)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["offerings"][0]["slos"][0]["window"] == "30d"
    assert (
        f"{file}:28:18: warning: isRolling false is not read by Sloth, whose windows roll: read as a rolling 30d\n"
    ) in result.stderr
    assert "  hint: for a calendar window, write window: calendar-week, calendar-month, calendar-quarter or " in (
        result.stderr
    )
    assert (
        f"{file}:10:16: warning: dropped displayName 'Requests Availability' (not read by Sloth: each objective is "
        "an SLO named sloth-slo-my-service-INDEX)\n"
    ) in result.stderr
    rolling = run("import", "sloth", FIXTURES / "sloth-openslo-getting-started.yml")
    assert "isRolling" not in rolling.stderr  # a window that rolls, or says nothing, is read as Sloth reads it
