"""openslo15: `check --against` and the imports, as real OpenSLO, Sloth and Pyrra files are
written. Each difference is reported at the field that differs; each budgeting OpenSLO has can be
promised and compared; what an import writes reads back as the catalog reads it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from servicebook.interop import importing
from servicebook.source.yaml import SourceText, parse_yaml
from tests.conftest import examples
from tests.test_calendar_windows import WEEK_AND_YEAR
from tests.test_interop import plain
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
