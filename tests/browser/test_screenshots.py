"""Screenshots of what readers see first, at desktop and phone widths, for a reviewer to look at.
The folder is printed at the end of the test run."""

from __future__ import annotations

import pytest

from .conftest import DESKTOP, PHONE, SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.git]  # the example site is built in a git repository

# each page, and a text it must show when its picture is taken (a blank or broken page has none)
SHOTS = {
    "home": ("", "Need help?"),
    "offering": ("offerings/ci-pipelines/", "CI/CD pipelines"),
    "unsupported": ("unsupported/", "Use instead"),
    "search-results": ("search/?q=selenium", "We do not support Selenium Grid."),
}


@pytest.mark.parametrize(("device", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots_of_the_main_pages(context_factory, site_url, device, viewport) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page = context_factory(viewport=viewport).new_page()
    for name, (path, expected) in SHOTS.items():
        page.goto(site_url + path)
        if name == "search-results":
            page.locator("#search-results .result").first.wait_for()
        assert expected in page.locator("main").inner_text()
        target = SCREENSHOTS / f"{name}-{device}.png"
        page.screenshot(path=str(target))
        assert target.stat().st_size > 5_000  # a rendered page, not a blank one
    # The answer a developer gets by typing into the header on any page.
    page.goto(site_url + "offerings/ci-pipelines/")
    page.keyboard.press("/")
    page.keyboard.type("jenkins")
    page.locator("#site-search-results .result").first.wait_for()
    assert (
        "We do not support Jenkins. Use instead: CI/CD pipelines" in page.locator("#site-search-results").inner_text()
    )
    target = SCREENSHOTS / f"header-search-{device}.png"
    page.screenshot(path=str(target))
    assert target.stat().st_size > 5_000
    # A word only in a policy page's text (the README's picture): the page, the section, the line.
    page.locator("#site-search-q").fill("kubectl")
    found = page.locator("#site-search-results .result-found", has_text="kubectl")
    found.wait_for()
    assert found.locator("a.result-section").inner_text() == "Rollback"
    assert found.locator("mark").first.inner_text() == "kubectl"
    target = SCREENSHOTS / f"full-text-search-{device}.png"
    page.screenshot(path=str(target))
    assert target.stat().st_size > 5_000
