"""The parts of a long list in a real browser (the example site built with budgets small enough to
cut its lists, as a large catalog's are: tests/test_paging.py): nothing clipped on a phone, no WCAG
2.2 AA violation, the parts reachable without JavaScript, and search working from any part."""

from __future__ import annotations

import re

import pytest

from ..test_paging import paged_site  # noqa: F401 (the fixture)
from .conftest import PHONE, static_server
from .test_phone_and_keyboard import CLIPPED, DESKTOP, WCAG_22_AA

pytestmark = [pytest.mark.browser]

PARTS = [
    "offerings/index/2/", "slos/index/2/", "unsupported/index/2/", "search/index/2/", "catalog/index/2/", "tools/",
    "tools/index/2/", "",
]  # fmt: skip


@pytest.fixture(scope="module")
def paged_url(paged_site):  # noqa: F811
    with static_server(paged_site) as url:
        yield url


def test_parts_clip_nothing_on_a_phone_and_axe_finds_no_wcag_2_2_aa_violations(context_factory, paged_url) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    options = {"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]}
    found = {}
    for viewport in (PHONE, DESKTOP):
        page = context_factory(viewport=viewport).new_page()
        for path in PARTS:
            page.goto(paged_url + path)
            if viewport is PHONE and page.evaluate(CLIPPED):
                found[f"{path} clipped at 360 px"] = page.evaluate(CLIPPED)
            results = axe.run(page, options=options)
            if results.violations_count:
                found[f"{path} at {viewport['width']} px"] = results.generate_report()
    assert found == {}


def test_without_javascript_the_pager_and_the_letters_lead_through_the_parts(context_factory, paged_url) -> None:
    page = context_factory(java_script_enabled=False).new_page()
    page.goto(paged_url + "offerings/")
    page.get_by_role("link", name="Next page →").click()
    page.wait_for_url("**/offerings/index/2/")
    assert "page 2 of" in page.title()
    page.goto(paged_url + "search/?q=jenkins")
    last = page.locator("nav[aria-label=Letters] a").last
    letter = last.inner_text()
    last.click()
    assert page.locator(f"h3#az-{'other' if letter == '#' else letter}").is_visible()
    assert "/search/index/" in page.url  # the last letter is on a later part


def test_search_answers_from_a_later_part_of_the_a_to_z(page, paged_url) -> None:
    page.goto(paged_url + "search/index/2/")
    page.locator("#search-q").fill("jenkins")
    page.locator("#search-results .result").first.wait_for()
    assert page.locator("#search-results .result-title a").first.inner_text() == "Jenkins"
    page.locator("#a-z").wait_for(state="hidden")  # in the task after the results are painted


def test_choosing_a_category_on_another_part_of_the_tools_matrix_goes_there_and_back(page, paged_url) -> None:
    page.goto(paged_url + "tools/")
    select = page.get_by_label("Category")
    last = select.locator("option").last
    category, name = last.get_attribute("value"), last.inner_text()
    assert not page.locator(f"section[data-category={category}]").count()  # it is on a later part
    select.select_option(category)
    page.wait_for_url(re.compile(rf"/tools/index/\d+/\?category={category}$"))
    assert page.get_by_label("Category").input_value() == category
    assert page.locator(f"h2#cat-{category}").inner_text() == name
    shown = page.locator("section.category").evaluate_all("s => s.filter(x => !x.hidden).map(x => x.dataset.category)")
    assert shown == [category]
    page.go_back()
    page.wait_for_url(re.compile(r"/tools/$"))
    assert page.get_by_label("Category").input_value() == ""


@pytest.mark.parametrize("script", [True, False], ids=["javascript", "no-javascript"])
def test_a_tool_page_leads_to_its_category_on_whichever_part_it_is(context_factory, paged_url, script) -> None:
    page = context_factory(java_script_enabled=script).new_page()
    page.goto(paged_url + "tools/")
    entry = page.locator("nav[aria-label=Categories] li[id]").last  # on a later part: its entry is the anchor
    category = entry.get_attribute("id").removeprefix("cat-")
    target = entry.locator("a").get_attribute("href")  # index/N/#cat-ID
    page.goto(paged_url + "tools/" + target)
    tool = page.locator(f"section[data-category={category}] li a").first.get_attribute("href")
    page.goto(paged_url + "tools/" + target.partition("#")[0] + tool)
    page.locator("p.meta a[href*='#cat-']").click()  # "in <category>", which links tools/#cat-ID
    if not script:  # the category's entry in the list of categories, one click from it
        page.wait_for_url(re.compile(rf"/tools/#cat-{category}$"))
        page.locator(f"li#cat-{category} a").click()
    page.wait_for_url(re.compile(rf"/tools/{re.escape(target)}$"))
    assert page.locator(f"h2#cat-{category}").is_visible()
