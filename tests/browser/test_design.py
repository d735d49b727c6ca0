"""The design pass, as a reader sees it in Chromium: Unsupported is unmistakable wherever a tool's
status shows (its page, the tools matrix) on screen and on paper, SLO targets stand out, and error
budgets are rounded to what a reader can use with the exact value on hover and in catalog.json."""

from __future__ import annotations

import json
import re

import pytest

from servicebook.catalog.slo import round_duration

pytestmark = [pytest.mark.browser, pytest.mark.git]  # the example site is built in a git repository

# how a status shows: the mark before it, the width of its edge, its weight
LOOK = """e => [getComputedStyle(e, '::before').content, parseFloat(getComputedStyle(e).borderTopWidth),
                Number(getComputedStyle(e).fontWeight), getComputedStyle(e).backgroundColor]"""


@pytest.mark.parametrize("media", ["screen", "print"])
def test_unsupported_is_unmistakable_in_the_tools_matrix_and_on_a_tool_page(page, site_url, media) -> None:
    page.emulate_media(media=media)
    page.goto(site_url + "tools/")
    cell = 'section[data-category="ci"] .matrix-cell[data-status="{}"]'
    unsupported = page.locator(cell.format("unsupported")).evaluate(LOOK)
    supported = page.locator(cell.format("supported")).evaluate(LOOK)
    assert unsupported[1] > supported[1]  # a heavier edge than any other cell
    if media == "screen":
        assert unsupported[3] != supported[3]  # and its own colour
    heading = page.locator(cell.format("unsupported") + " .small-heading").evaluate(LOOK)
    assert heading[0] == '"✕ "'
    assert page.locator(cell.format("supported") + " .small-heading").evaluate(LOOK)[0] == '"✓ "'
    for status in ("best-effort", "deprecated"):
        assert page.locator(cell.format(status) + " .small-heading").evaluate(LOOK)[0] == "none"
    page.goto(site_url + "tools/jenkins/")
    badge = page.locator("p.meta .badge").evaluate(LOOK)
    assert badge[0] == '"✕ "' and badge[2] >= 700
    assert page.locator(".decision-unsupported").is_visible()
    page.goto(site_url + "tools/gitlab-ci/")
    other = page.locator("p.meta .badge").evaluate(LOOK)
    assert other[0] == '"✓ "' and badge[1:] != other[1:]  # on paper, not by colour alone


def test_slo_targets_stand_out_and_budgets_are_rounded_with_the_exact_value_on_hover(
    page, site_url, example_public
) -> None:
    page.goto(site_url + "slos/")
    target = page.locator("td.slo-target").first
    body = page.locator("td[data-label=Measured]").first
    assert target.evaluate("e => Number(getComputedStyle(e).fontWeight)") >= 700
    assert target.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") > body.evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    published = {
        s["error_budget_seconds"]
        for o in json.loads((example_public / "catalog.json").read_text())["offerings"]
        for s in o["slos"]
    }
    budgets = page.locator("td[data-label='Error budget'] > span[title^='exactly']:not(.budget-range)")
    shown = budgets.evaluate_all("spans => spans.map(s => [s.textContent, s.title])")
    assert len(shown) > 5
    for text, title in shown:
        seconds = int(re.fullmatch(r"exactly .+ \((\d+) s\)", title)[1])
        assert text == round_duration(seconds), title  # "6 h 43 min", not "6 h 43 min 12 s"
        assert seconds in published  # catalog.json keeps the exact seconds
    assert any(not text.endswith(" s") and title.split("(")[0].rstrip().endswith(" s") for text, title in shown)
