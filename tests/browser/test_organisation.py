"""The pages only an organisation site has (docs/federating.md), in the browser: the example
organisation of examples/org/ (`make org-site`), scanned by axe in both colour schemes, and its
search telling two teams' records apart."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..conftest import REPO
from .conftest import PHONE, static_server

pytestmark = [pytest.mark.browser, pytest.mark.git]  # the members are git repositories

PAGES = {
    "teams": "teams/",
    "team": "teams/db-team/",
    "member offering": "offerings/db-team/postgres/",
    "member tool": "tools/db-team/terraform/",
    "offerings with teams": "offerings/",
}


@pytest.fixture(scope="module")
def org_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    work = tmp_path_factory.mktemp("org")
    env = {**os.environ, "SERVICEBOOK": str(Path(sys.executable).parent / "servicebook")}
    script = REPO / "examples/org/build-org-site.sh"
    done = subprocess.run(["sh", str(script), str(work)], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    with static_server(work / "public") as url:
        yield url


def test_axe_finds_no_violations_on_the_organisation_pages(context_factory: Any, org_url: str) -> None:
    from axe_playwright_python.sync_playwright import Axe  # as test_reader.py: only where Chromium runs

    axe = Axe()
    colour_rules = {"runOnly": ["color-contrast", "link-in-text-block"], "resultTypes": ["violations"]}
    page = context_factory(color_scheme="light").new_page()
    found = {}
    for name, path in PAGES.items():
        page.emulate_media(color_scheme="light")
        page.goto(org_url + path)
        for scheme, options in (("light", {"resultTypes": ["violations"]}), ("dark", colour_rules)):
            page.emulate_media(color_scheme=scheme)
            results = axe.run(page, options=options)
            if results.violations_count:
                found[f"{name} ({scheme})"] = results.generate_report()
    assert found == {}


def test_search_names_the_team_of_each_result(page: Any, org_url: str) -> None:
    page.goto(org_url)
    page.fill("#site-search-q", "postgresql")
    page.locator("#site-search-results .result").first.wait_for()
    assert "Managed PostgreSQL (Database Services)" in page.locator("#site-search-results").inner_text()


def test_search_names_the_team_of_what_to_use_instead(page: Any, org_url: str) -> None:
    """The network team's Pgpool-II is unsupported, "use the database team's PgBouncer": search
    said "Use instead: PgBouncer", which reads as the organisation's own or the network team's,
    where every page says "→ use PgBouncer (Database Services)"; the team's name is as legible as
    the rest of the result, in both colour schemes."""
    from axe_playwright_python.sync_playwright import Axe  # as test_reader.py: only where Chromium runs

    page.goto(org_url)
    page.fill("#site-search-q", "pgpool")
    answer = page.locator("#site-search-results .result").first.locator(".result-answer")
    answer.wait_for()
    assert answer.inner_text() == (
        "We do not support Pgpool-II (Network and Edge). Use instead: PgBouncer (Database Services)"
    )
    colour = {"runOnly": ["color-contrast"], "resultTypes": ["violations"]}
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        found = Axe().run(page, context="#site-search-results", options=colour)
        assert not found.violations_count, (scheme, found.generate_report())
    page.emulate_media(color_scheme="light")
    page.fill("#site-search-q", "jmeter")  # the organisation's own alternative: no team named
    page.locator("#site-search-results .result").filter(has_text="Apache JMeter").first.wait_for()
    jmeter = page.locator("#site-search-results .result").filter(has_text="Apache JMeter").first
    assert jmeter.locator(".result-answer").inner_text().endswith("Use instead: Grafana k6")


def test_on_a_phone_each_cell_of_the_tools_matrix_names_its_team(context_factory: Any, org_url: str) -> None:
    """A phone shows the matrix's rows as cards without its column headers: each badge is led by
    its team's name (newuser17 read two badges under a tool and could not tell whose was which)."""
    page = context_factory(viewport=PHONE).new_page()
    page.goto(org_url + "teams/")
    cells = page.locator("table.tools-matrix tbody tr").first.locator("td")
    shown = [cells.nth(i).evaluate("cell => getComputedStyle(cell, '::before').content") for i in range(cells.count())]
    assert shown == ['"Platform Engineering: "', '"Database Services: "', '"Network and Edge: "']


def test_a_tool_the_teams_disagree_about_says_so_on_each_teams_decision(page: Any, org_url: str) -> None:
    """The database team supports Terraform, which the platform team has deprecated: a developer
    who lands on the database team's decision (from its offering, or search) is told, there, that
    the teams disagree and what each decided, and one click leads to the platform's decision and
    what to use instead (newuser20 read 'Supported' on a team's page of a tool unsupported
    org-wide, with the disagreement only on the Teams page)."""
    page.goto(org_url + "tools/db-team/terraform/")
    notice = page.locator("#teams-disagree")
    assert notice.get_by_role("heading", name="Teams disagree").is_visible()
    told = notice.inner_text()
    assert "Database Services: Supported (this page)" in told, told
    assert "Platform Engineering: Deprecated" in told, told
    notice.get_by_role("link", name="Deprecated").click()
    page.wait_for_url(org_url + "tools/terraform/")
    assert "Use instead:" in page.locator(".answer").inner_text()
    assert "Database Services: Supported" in page.locator("#teams-disagree").inner_text()
    page.locator("#teams-disagree").get_by_role("link", name="where the teams disagree").click()
    page.wait_for_url(org_url + "teams/#conflicts")
    page.goto(org_url + "tools/db-team/pgbouncer/")  # no team disagrees: nothing said
    assert page.locator("#teams-disagree").count() == 0


def test_without_javascript_the_a_to_z_list_names_the_team_of_each_members_entry(
    context_factory: Any, org_url: str
) -> None:
    """The A to Z list is the search of a reader without JavaScript: the database team's entries
    are told from the organisation's own there as the search's results tell them (newuser20 read
    three lines 'Jenkins TOOL' and three 'How we work POLICY', and could not tell whose each was)."""
    page = context_factory(java_script_enabled=False).new_page()
    page.goto(org_url + "search/")
    lines = {  # (its text as the page has it: an entry far down the list is not laid out yet)
        line.split(" Tool")[0]
        for line in page.locator("#a-z .az-list li").all_text_contents()
        if line.startswith("Terraform")
    }
    assert lines == {"Terraform CLI", "Terraform (Database Services)"}, lines
    assert page.locator("#a-z .az-list li").filter(has_text="(Database Services) Policy").count() >= 1


def test_the_home_page_names_the_team_of_each_members_offering_and_tool(page: Any, org_url: str) -> None:
    """The home page's 'What we provide' is the organisation's: a member team's offering there
    says whose it is, as every other list does (newuser20 read the payments team's Card payments
    under the platform team's 'What we provide' and took it for the platform's)."""
    page.goto(org_url)
    provided = page.locator("#supported").locator("xpath=..").locator("li").all_inner_texts()
    assert any(line.startswith("Managed PostgreSQL (Database Services)") for line in provided), provided
    assert any(line.startswith("CI/CD pipelines") and "(" not in line.split("\n")[0] for line in provided), provided
    leaving = page.locator("#not-supported").locator("xpath=..").locator("li").all_inner_texts()
    assert any(line.startswith("Pgpool-II (Network and Edge)") for line in leaving), leaving
