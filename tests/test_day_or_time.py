"""`--at` as people type it (`promised`, `measure`): the forms read, and what to type instead for a
near miss that has only one reading."""

from __future__ import annotations

import datetime as dt

import pytest

from servicebook.errors import UsageProblem
from servicebook.git.promised import AT_FORMS
from servicebook.source.day_or_time import read_day_or_time


@pytest.mark.parametrize(
    ("text", "told"),
    [
        ("2026-02-15 14:00 UTC", "; for this one, write 2026-02-15T14:00Z"),
        ("2026-02-15T09:11+0100", "; for this one, write 2026-02-15T09:11+01:00"),
        ("2026-02-15 09:11:30 -0530", "; for this one, write 2026-02-15T09:11:30-05:30"),
        ("2026/02/20", "; for this one, write 2026-02-20"),
        ("2026-2-5", "; for this one, write 2026-02-05"),
        ("2026.02.20", "; for this one, write 2026-02-20"),
        (
            "2026-02-20T10:00",
            "; a time needs its offset from UTC: 2026-02-20T10:00Z if it is UTC, else with the offset of its zone "
            "on that day (2026-02-20T10:00+01:00 for Zurich in winter)",
        ),
        (
            "2026-02-20 10:00",
            "; a time needs its offset from UTC: 2026-02-20T10:00Z if it is UTC, else with the offset of its zone "
            "on that day (2026-02-20T10:00+01:00 for Zurich in winter)",
        ),
        ("20.02.2026", ""),  # day first or month first is the writer's: no guess
        ("02/03/2026", ""),
        ("yesterday", ""),
        ("2026/02-20", ""),
        ("2026/02/30", ""),  # no such day to name
    ],
)
def test_a_near_miss_is_told_what_to_type(text: str, told: str) -> None:
    with pytest.raises(UsageProblem) as refused:
        read_day_or_time(text, AT_FORMS)
    assert str(refused.value) == f"--at {text!r}: not a day or a time; write {AT_FORMS}{told}"


def test_what_a_near_miss_is_told_to_type_is_read_as_meant() -> None:
    assert read_day_or_time("2026-02-05", AT_FORMS).day == dt.date(2026, 2, 5)
    written = read_day_or_time("2026-02-15T09:11:30-05:30", AT_FORMS)
    assert written.time == dt.datetime(2026, 2, 15, 14, 41, 30, tzinfo=dt.UTC)


def test_promised_answers_a_near_miss_with_what_to_type_and_exit_2(run, tmp_path) -> None:
    result = run("promised", "--source", tmp_path, "--at", "2026/03/31")
    assert result.exit_code == 2
    assert "write 2026-03-31" in result.output
    assert "Traceback" not in result.output
