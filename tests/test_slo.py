"""Error budgets and durations, as readers see them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicebook.catalog import model
from servicebook.catalog.slo import budget_seconds, error_budget, format_duration, format_minutes


@pytest.mark.parametrize(
    ("objective", "window", "expected"),
    [
        ("99.9", "30d", "43 min 12 s"),
        ("99.9", "28d", "40 min 19 s"),
        ("99.95", "30d", "21 min 36 s"),
        ("99", "30d", "7 h 12 min"),
        ("99.99", "28d", "4 min 2 s"),
        ("95", "7d", "8 h 24 min"),
    ],
)
def test_error_budget_as_time(objective: str, window: str, expected: str) -> None:
    slo = model.SLO("a", "A", "x", Decimal(objective), window)
    assert error_budget(slo).text == expected


def test_calendar_month_budget_states_its_range() -> None:
    budget = error_budget(model.SLO("a", "A", "x", Decimal("99.9"), "calendar-month"))
    assert budget.text == "43 min 12 s"
    assert budget.window_text == "calendar month"
    assert budget.range_text == "40 min 19 s to 44 min 38 s depending on the month's length"


def test_response_targets_read_naturally() -> None:
    assert [format_minutes(m) for m in (15, 90, 240, 2880)] == ["15 min", "1 h 30 min", "4 h", "2 d"]


@given(st.decimals(min_value=Decimal("0.001"), max_value=Decimal("99.999"), places=3), st.integers(1, 365))
def test_budget_grows_with_window_and_shrinks_with_objective(objective: Decimal, days: int) -> None:
    assert budget_seconds(objective, days + 1) >= budget_seconds(objective, days)
    assert budget_seconds(min(objective + Decimal("0.001"), Decimal("99.999")), days) <= budget_seconds(objective, days)


@given(st.integers(0, 10**8))
def test_duration_text_has_at_most_three_units(seconds: int) -> None:
    assert 1 <= len(format_duration(seconds).split()) // 2 <= 3
