"""Screenshots of what readers see first, at desktop and phone widths, for a reviewer to look at.
The folder is printed at the end of the test run."""

from __future__ import annotations

import pytest

from .conftest import DESKTOP, PHONE, SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.git]  # the example site is built in a git repository

SHOTS = {
    "home": "",
    "offering": "offerings/ci-pipelines/",
    "unsupported": "unsupported/",
    "search-results": "search/?q=selenium",
}


@pytest.mark.parametrize(("device", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots_of_the_main_pages(context_factory, site_url, device, viewport) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page = context_factory(viewport=viewport).new_page()
    for name, path in SHOTS.items():
        page.goto(site_url + path)
        if name == "search-results":
            page.locator("#search-results .result").first.wait_for()
        target = SCREENSHOTS / f"{name}-{device}.png"
        page.screenshot(path=str(target))
        assert target.stat().st_size > 5_000  # a rendered page, not a blank one
    # The answer a developer gets by typing into the header on any page.
    page.goto(site_url + "offerings/ci-pipelines/")
    page.keyboard.press("/")
    page.keyboard.type("jenkins")
    page.locator("#site-search-results .result").first.wait_for()
    target = SCREENSHOTS / f"header-search-{device}.png"
    page.screenshot(path=str(target))
    assert target.stat().st_size > 5_000
