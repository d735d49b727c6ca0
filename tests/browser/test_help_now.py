"""Help that fits the hour: the home page says which way to get help is open now, in the
reader's time, and the on-call route is one click from every page."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from servicebook.site.build import Options, build

from ..conftest import FIXED_EPOCH, REPO
from .conftest import static_server

pytestmark = [pytest.mark.browser, pytest.mark.git]  # the example site is built in a git repository


def help_line(context_factory, site_url, utc: str, timezone: str):
    page = context_factory(timezone_id=timezone).new_page()
    page.clock.set_fixed_time(dt.datetime.fromisoformat(utc))
    page.goto(site_url)
    line = page.locator("#help-now .help-now")
    line.wait_for()
    return page, line


def test_at_night_the_home_page_says_the_help_desk_is_closed_and_links_on_call(context_factory, site_url) -> None:
    page, line = help_line(context_factory, site_url, "2026-12-03T02:12:00+00:00", "Europe/Zurich")  # a Thursday
    assert line.inner_text() == "It's 03:12 in Zurich: the help desk is closed. For a sev1 incident, page on-call."
    # the line below it named the same route: one "page on-call" link on screen, not two in a row (newuser24)
    assert page.locator("#help-now").get_by_role("link", name="page on-call").count() == 1
    page.emulate_media(media="print")  # on paper the script's line is left out, and the route is named below
    assert page.locator("#help-now").get_by_role("link", name="page on-call").count() == 1
    assert page.locator("#help-now .help-oncall").is_visible()
    page.emulate_media(media="screen")
    line.get_by_role("link", name="page on-call").click()
    page.wait_for_url("**/support/#on-call")


def test_in_business_hours_it_names_the_open_channel_and_the_time_where_the_reader_is(
    context_factory, site_url
) -> None:
    page, line = help_line(context_factory, site_url, "2026-12-03T09:30:00+00:00", "America/New_York")
    assert line.inner_text() == "It's 10:30 in Zurich (04:30 where you are): #platform-help is open now."
    # the script's line names no on-call route while the desk is open: the line below still does
    assert page.locator("#help-now").get_by_role("link", name="page on-call").count() == 1


def test_at_the_weekend_the_help_desk_is_closed(context_factory, site_url) -> None:
    _, line = help_line(context_factory, site_url, "2026-12-05T10:00:00+00:00", "Europe/Zurich")  # a Saturday
    assert "the help desk is closed" in line.inner_text()


def test_without_javascript_the_home_page_names_the_day_and_the_night_route(context_factory, site_url) -> None:
    page = context_factory(java_script_enabled=False).new_page()
    page.goto(site_url)
    text = page.locator("#help-now").inner_text()
    assert "Mon–Fri 08:00–18:00" in text and "#platform-help" in text
    assert "Out of hours, for a sev1 incident: page on-call" in text


def test_on_call_is_one_click_from_every_page(example_public) -> None:
    pages = sorted(example_public.rglob("*.html"))
    assert len(pages) > 50
    missing = [
        p.relative_to(example_public).as_posix() for p in pages if '#on-call">Production down' not in p.read_text()
    ]
    assert missing == []


def offering_help(context_factory, site_url, offering: str, utc: str):
    page = context_factory(timezone_id="Europe/Zurich").new_page()
    page.clock.set_fixed_time(dt.datetime.fromisoformat(utc))
    page.goto(f"{site_url}offerings/{offering}/")
    line = page.locator(".quick-facts .help-now")
    line.wait_for()
    return page, line


def test_at_night_an_offering_page_says_the_help_desk_is_closed_and_links_its_on_call(
    context_factory, site_url
) -> None:
    """A developer who found the offering by search, not through the home page, learns there
    whether anyone answers now."""
    page, line = offering_help(context_factory, site_url, "ci-pipelines", "2026-12-03T02:12:00+00:00")
    assert line.inner_text() == "It's 03:12 in Zurich: the help desk is closed. For a sev1 incident, page on-call."
    line.get_by_role("link", name="page on-call").click()
    page.wait_for_url("**/offerings/ci-pipelines/#support")


def test_an_offering_whose_support_has_no_one_on_call_says_so_at_night_and_names_its_own_channel(
    context_factory, site_url
) -> None:
    # preview environments: its own channel, and an on-call entry that says there is none in the beta
    _, line = offering_help(context_factory, site_url, "preview-environments", "2026-12-03T02:12:00+00:00")
    assert line.inner_text() == (
        "It's 03:12 in Zurich: the help desk is closed. Ask in #platform-preview-beta; we answer when we open."
    )
    _, line = offering_help(context_factory, site_url, "preview-environments", "2026-12-03T09:30:00+00:00")
    assert line.inner_text() == "It's 10:30 in Zurich: #platform-preview-beta is open now."


def test_without_javascript_an_offering_says_on_call_only_where_someone_is(example_public) -> None:
    def hours_line(offering: str) -> str:
        html = (example_public / "offerings" / offering / "index.html").read_text()
        return html.split('href="#support">Get help</a>', 1)[1].split("</dd>", 1)[0]

    assert "on call outside those hours" in hours_line("ci-pipelines")
    assert "on call" not in hours_line("preview-environments")  # its on-call: "No on-call during the beta"


@pytest.fixture(scope="module", params=["UTC", "Etc/GMT+5"])
def zone_site(request, tmp_path_factory):
    """The example site with its business hours in a zone that is no city: UTC, and Etc/GMT+5
    (five hours behind UTC: POSIX's sign is the other way round)."""
    src = tmp_path_factory.mktemp("zone")
    shutil.copy(REPO / "catalog.yaml", src)
    shutil.copytree(REPO / "content", src / "content")
    catalog = src / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("timezone: Europe/Zurich", f"timezone: {request.param}"))
    build(Options(source=src, output=src / "public", env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}))
    with static_server(src / "public") as url:
        yield request.param, url


def test_hours_kept_in_a_zone_that_is_no_city_say_its_time_and_offset_not_in(context_factory, zone_site) -> None:
    zone, url = zone_site
    _, line = help_line(context_factory, url, "2026-12-03T14:05:00+00:00", "Europe/Zurich")
    said = {
        "UTC": "It's 14:05 UTC (15:05 where you are): #platform-help is open now.",
        # "09:05 GMT+5" would say the opposite offset
        "Etc/GMT+5": "It's 09:05 UTC-5 (15:05 where you are): #platform-help is open now.",
    }
    assert line.inner_text() == said[zone]
