"""The version switcher in a real browser: same page when it exists, an explanation when it does not."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator

import pytest

from servicebook.site.build import Options, build

from ..conftest import FIXED_EPOCH, SITES, GitSite, catalog_at
from .conftest import static_server

pytestmark = [pytest.mark.browser, pytest.mark.git]  # its releases are tags in a git repository


@pytest.fixture(scope="module")
def two_releases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Release 1.0 without the artifact registry, release 1.1 with it; served from 127.0.0.1."""
    root = tmp_path_factory.mktemp("switcher")
    shutil.copytree(SITES / "minimal/content", root / "content")
    site = GitSite(root)
    site.write("catalog.yaml", catalog_at("1.0"))
    site.commit("First catalog")
    site.write("catalog.yaml", catalog_at("1.1", extra_offering=True))
    site.commit("Add the artifact registry")
    build(Options(source=root, output=root / "public", env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}))
    with static_server(root / "public") as url:
        yield url


def test_switching_keeps_the_reader_on_the_same_page(page, two_releases: str) -> None:
    page.goto(two_releases + "v/1.0/offerings/ci/")
    assert "You are reading version 1.0" in page.locator(".version-banner").inner_text()
    # each release is offered with the date it was published
    page.locator(".version-select").wait_for()
    assert page.locator(".version-select option").all_inner_texts() == [
        "current catalog",
        "1.1 (2026-05-28, latest release)",
        "1.0 (2026-05-28)",
    ]
    page.select_option(".version-select", "1.1")
    page.wait_for_url(two_releases + "v/1.1/offerings/ci/")
    page.select_option(".version-select", "")
    page.wait_for_url(two_releases + "offerings/ci/")
    assert page.locator(".version-banner").count() == 0


def test_switching_to_a_version_without_the_page_explains_instead_of_a_404(page, two_releases: str) -> None:
    page.goto(two_releases + "v/1.1/offerings/artifacts/")
    page.select_option(".version-select", "1.0")
    page.wait_for_url(lambda url: "/versions/?missing=" in url)
    explanation = page.locator("#missing-explanation")
    explanation.wait_for(state="visible")
    assert explanation.inner_text() == (
        "This offering (offerings/artifacts/) is not in version 1.0. It was added in version 1.1. "
        "Go to the home page of version 1.0."
    )
    assert explanation.get_by_role("link").get_attribute("href") == "../v/1.0/"


@pytest.mark.parametrize(
    "query",
    [
        "?missing=offerings/ci/index.html&to=1.0.%20Support%20has%20moved%3A%20call%20%2B1%20555%200100",
        "?missing=Support%20has%20moved%3A%20call%20%2B1%20555%200100&to=1.0",
    ],
    ids=["version-the-site-lacks", "page-no-version-has"],
)
def test_an_explanation_the_switcher_did_not_ask_for_is_not_shown(page, two_releases: str, query: str) -> None:
    """The versions page explains only what the switcher asks: a link made up elsewhere cannot
    put its own words on the site (a phone number, "support has moved")."""
    page.goto(two_releases + "versions/" + query)
    page.wait_for_load_state("networkidle")  # pages.json fetched and read
    assert page.locator("#missing-explanation").is_hidden()
    assert "555" not in page.locator("body").inner_text()


def test_archived_banner_points_to_the_same_page_in_the_current_catalog(page, two_releases: str) -> None:
    from playwright.sync_api import expect

    page.goto(two_releases + "v/1.0/offerings/ci/")
    link = page.locator(".to-current")
    # not wait_for_function("…"): polling a string predicate is an eval, which the page's CSP refuses
    expect(link).to_have_attribute("href", re.compile(r"offerings/ci/$"))
    link.click()
    page.wait_for_url(two_releases + "offerings/ci/")


def test_without_javascript_the_switcher_is_a_link_to_all_versions(context_factory, two_releases: str) -> None:
    tab = context_factory(java_script_enabled=False).new_page()
    tab.goto(two_releases + "v/1.0/offerings/ci/")
    assert tab.locator(".version-select").count() == 0
    tab.get_by_role("link", name="All versions").click()
    tab.wait_for_url(two_releases + "versions/")
    assert tab.locator("table.versions tbody tr").count() == 2
