"""openslo15: `check --against` and the imports, as real OpenSLO, Sloth and Pyrra files are
written. Each difference is reported at the field that differs; each budgeting OpenSLO has can be
promised and compared; what an import writes reads back as the catalog reads it."""

from __future__ import annotations

from pathlib import Path

from tests.test_calendar_windows import WEEK_AND_YEAR
from tests.test_openslo_export import _site

INTEROP = Path(__file__).parent / "interop" / "fixtures"


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
