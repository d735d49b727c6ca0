"""A policy page moved to a new file keeps its old address working: a bookmark or a link from
elsewhere to the old address lands on the page, also with JavaScript off."""

from __future__ import annotations

import shutil

import pytest

from servicebook.site.build import Options, build

from ..conftest import FIXED_EPOCH, SITES
from .conftest import static_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def moved_site(tmp_path_factory):
    """The minimal site with content/welcome.md moved to content/guide/how-we-work.md, saying so."""
    src = tmp_path_factory.mktemp("moved")
    shutil.copytree(SITES / "minimal", src, dirs_exist_ok=True)
    text = (src / "content" / "welcome.md").read_text()
    (src / "content" / "welcome.md").unlink()
    (src / "content" / "guide").mkdir()
    (src / "content" / "guide" / "how-we-work.md").write_text(
        text.replace("order: 10\n", "order: 10\nrenamed_from: [welcome]\n")
    )
    catalog = src / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("policies: [welcome]", "policies: [guide/how-we-work]"))
    build(Options(source=src, output=src / "public", env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}))
    with static_server(src / "public") as url:
        yield url


@pytest.mark.parametrize("javascript", [True, False])
def test_a_bookmark_to_a_moved_page_lands_on_it(context_factory, moved_site, javascript) -> None:
    page = context_factory(java_script_enabled=javascript).new_page()
    page.goto(moved_site + "policies/welcome/")
    page.wait_for_url(moved_site + "policies/guide/how-we-work/")
    assert page.locator("h1").inner_text() == "How we work"


def test_searching_a_moved_pages_old_name_finds_it(context_factory, moved_site) -> None:
    """A reader who knew the page as 'welcome' (its old address) finds it by that word, as an
    offering or a tool is found by an old id."""
    page = context_factory().new_page()
    page.goto(moved_site + "search/?q=welcome")
    first = page.locator("#search-results .result").first
    first.wait_for()
    assert first.locator(".result-title a").inner_text() == "How we work"
