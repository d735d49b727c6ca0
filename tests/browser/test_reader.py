"""What a reader gets in a real browser: search, filters, the page without JavaScript, a phone,
dark mode, the keyboard, and an accessibility scan of every page type."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import NOT_FOUND, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.git]  # the example site is built in a git repository

PAGE_TYPES = {
    "home": "",
    "offerings": "offerings/",
    "offering": "offerings/ci-pipelines/",
    "slos": "slos/",
    "support": "support/",
    "tools": "tools/",
    "tool": "tools/jenkins/",
    "unsupported": "unsupported/",
    "policies": "policies/",
    "policy": "policies/migrating-from-jenkins/",
    "search": "search/",
    "search-results": "search/?q=jenkins",
    "catalog": "catalog/",
    "changes": "changes/",
    "versions": "versions/",
    "release": "v/{release}/offerings/ci-pipelines/",
    "not-found": NOT_FOUND,
}


@pytest.fixture(scope="module")
def page_types(example_public):
    """PAGE_TYPES with the published release's folder filled in."""
    (release,) = [p.name for p in (example_public / "v").iterdir()]
    return {name: path.format(release=release) for name, path in PAGE_TYPES.items()}


def visible_rows(page, selector: str) -> int:
    return page.locator(selector).evaluate_all("rows => rows.filter(r => r.offsetParent !== null).length")


def test_header_search_finds_an_offering_from_any_page(page, site_url) -> None:
    page.goto(site_url + "support/")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "site-search-q"
    page.keyboard.type("backups")
    popup = page.locator("#site-search-results")
    popup.get_by_role("link", name="Backups and restore", exact=True).first.wait_for()
    assert "offering" in popup.inner_text().lower()
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.textContent") == "Backups and restore"
    page.keyboard.press("Enter")
    page.wait_for_url("**/offerings/backups-restore/")


def test_going_to_the_search_box_fetches_the_index_manifest_beside_the_script(page, site_url) -> None:
    """The manifest does not wait for search.js to arrive and run: site.js asks for both at once,
    so the first keystroke waits for the words and the records only."""
    requested: list[str] = []
    # a search.js that does nothing: whatever asks for the manifest, it is not the script
    page.route("**/assets/search.js", lambda route: route.fulfill(body="", content_type="text/javascript"))
    page.on("request", lambda request: requested.append(request.url))
    page.goto(site_url + "support/")
    assert not any("search/index.json" in url for url in requested)  # nothing before a reader goes there
    page.locator("#site-search-q").hover()
    page.wait_for_load_state("networkidle")
    assert any(url.endswith("assets/search.js") for url in requested)
    assert any(url.endswith("search/index.json") for url in requested)


def test_the_search_page_asks_for_its_index_as_it_arrives_and_answers_keys_typed_before_it_came(page, site_url) -> None:
    """The page's head asks for the manifest and the search script, so they come while the long
    A to Z list is still being parsed rather than after it and its scripts have run; each is asked
    for once, and keys typed before any script has come are searched when it does: none is lost
    and nothing fails."""
    held: list = []  # every script and the manifest, kept back until the reader has typed

    def hold(route) -> None:  # a function of its own: Playwright cannot take a bound builtin
        held.append(route)

    for pattern in ("**/assets/site.js", "**/assets/search.js", "**/search/index.json"):
        page.route(pattern, hold)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    warnings: list[str] = []
    page.on("console", lambda message: warnings.append(message.text) if message.type == "warning" else None)
    wanted = [site_url + "search/index.json", site_url + "assets/search.js"]
    with page.expect_request(wanted[0]), page.expect_request(wanted[1]):
        page.goto(site_url + "search/", wait_until="commit")  # no script of the page has run
    page.locator("#search-q").press_sequentially("jenkins")
    assert page.locator("#search-results").is_hidden()  # nothing to search with yet
    for route in held:
        route.continue_()
    first = page.locator("#search-results .result").first
    first.wait_for()
    assert first.locator(".result-title a").inner_text() == "Jenkins"
    assert "results for “jenkins”" in page.locator("#search-status").inner_text()
    assert page.locator("#search-q").input_value() == "jenkins"
    page.wait_for_function("() => location.search === '?q=jenkins'")
    page.wait_for_load_state("load")
    assert [u for u in requested if u in wanted] == wanted  # each once: site.js took the page's requests
    assert warnings == []  # e.g. "preloaded but not used"


def test_the_header_search_fetches_the_records_of_the_results_it_shows_only(page, site_url) -> None:
    """Which result comes first (a title that is the query, then one that begins with it) is known
    from the words fragment, so no record beyond the six shown is fetched for a first answer."""
    records: list[str] = []
    page.on("request", lambda request: records.append(request.url) if "/search/r/" in request.url else None)
    page.goto(site_url + "support/")
    page.locator("#site-search-q").focus()
    page.keyboard.type("pipelines")
    popup = page.locator("#site-search-results")
    popup.locator(".result").first.wait_for()
    page.wait_for_load_state("networkidle")
    shown = popup.locator(".result").count()
    assert 0 < shown <= 6
    assert int(popup.locator(".popup-status").inner_text().split()[0]) > shown  # more were found
    assert len(set(records)) <= shown
    assert popup.locator(".result-title a").first.inner_text() == "CI/CD pipelines"


@pytest.mark.parametrize(
    ("query", "tool", "alternative", "said"),
    [
        ("Jenkins", "Jenkins", "CI/CD pipelines", "CI/CD pipelines (offering)"),
        ("selenium grid", "Selenium Grid", "Playwright", "Playwright"),
    ],
)
def test_searching_an_unsupported_tool_answers_what_to_use_instead(
    page, site_url, query, tool, alternative, said
) -> None:
    """What to use instead is said as the pages say it: an offering is called one (newuser23)."""
    page.goto(site_url + "search/?q=" + query.replace(" ", "+"))
    first = page.locator("#search-results .result").first
    first.wait_for()
    assert first.locator(".result-title a").inner_text() == tool
    assert first.locator(".badge").inner_text() == "Unsupported"
    answer = first.locator(".result-answer")
    assert f"We do not support {tool}." in answer.inner_text()
    assert answer.inner_text().split(" · ")[0].endswith(f"Use instead: {said}")  # (then a migration guide)
    answer.get_by_role("link", name=alternative).click()
    assert page.locator("h1").inner_text() == alternative


def lost_reader(context_factory):
    """A page whose addresses are missing ones (the `page` fixture takes their 404 for a fault),
    recording script errors."""
    page = context_factory().new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page, errors


def test_an_old_link_to_a_tool_leads_in_one_click_to_what_to_use_instead(context_factory, site_url) -> None:
    """A link someone pasted long ago (the tool's id has changed since, and no renamed_from says
    so): the 404 page offers a search for the words of the address, filled in."""
    page, errors = lost_reader(context_factory)
    page.goto(site_url + "tools/selenium/")
    assert page.locator("h1").inner_text() == "Page not found"
    box = page.locator("#not-found-q")
    assert box.input_value() == "selenium"
    page.locator("form.not-found-search").get_by_role("button", name="Search").click()
    first = page.locator("#search-results .result").first
    first.wait_for()
    assert first.locator(".result-title a").inner_text() == "Selenium Grid"
    first.locator(".result-answer").get_by_role("link", name="Playwright").click()
    assert page.locator("h1").inner_text() == "Playwright"
    assert errors == []


def test_the_404_page_fills_in_the_words_of_any_address(context_factory, site_url) -> None:
    page, errors = lost_reader(context_factory)
    for path, words in (
        ("v/2020.1/offerings/ci_pipelines/index.html", "ci pipelines"),
        ("Docker%20Swarm", "Docker Swarm"),
    ):
        page.goto(site_url + path)
        assert page.locator("#not-found-q").input_value() == words
    assert errors == []


def test_without_javascript_the_404_page_still_searches(context_factory, site_url) -> None:
    page = context_factory(java_script_enabled=False).new_page()
    page.goto(site_url + "tools/selenium/")
    page.locator("#not-found-q").fill("jenkins")
    page.locator("form.not-found-search").get_by_role("button", name="Search").click()
    assert page.locator("h1").inner_text() == "Search"  # and its A to Z list, which needs no script
    assert page.get_by_role("link", name="Jenkins", exact=True).first.is_visible()


def test_search_page_keeps_the_query_in_the_address_and_hides_the_a_to_z(page, site_url) -> None:
    page.goto(site_url + "search/")
    assert page.locator("#a-z").is_visible()
    page.keyboard.press("/")
    page.keyboard.type("error budget")
    page.locator("#search-results .result").first.wait_for()
    page.locator("#a-z").wait_for(state="hidden")  # in the task after the results are painted
    page.wait_for_function("() => location.search !== ''")  # likewise
    assert parse_qs(urlsplit(page.url).query) == {"q": ["error budget"]}
    assert "results for “error budget”" in page.locator("#search-status").inner_text()
    policy = page.locator(".result-policy", has_text="Error budget policy")
    assert policy.count() == 1


# When the first results go into the page: whether the A to Z list is hidden then, and in the
# frame that paints them (requestAnimationFrame runs just before that frame is painted).
FIRST_FRAME = """() => {
  const results = document.querySelector('#search-results'), aToZ = document.querySelector('#a-z');
  new MutationObserver((_, observer) => {
    if (!results.querySelector('.result')) return;
    observer.disconnect();
    const atInsert = aToZ.hidden, address = location.search;
    requestAnimationFrame(() => { window.firstFrame = {atInsert, atPaint: aToZ.hidden, address}; });
  }).observe(results, {childList: true, subtree: true});
}"""


def test_search_page_paints_its_first_results_before_it_hides_the_a_to_z(page, site_url) -> None:
    # Taking the A to Z list (a part of a few thousand elements on a large site) out of the layout
    # costs more than painting the results: the results come first, above the list, and the list
    # goes (and the address changes) in the task after that frame.
    page.goto(site_url + "search/")
    page.evaluate(FIRST_FRAME)
    page.locator("#search-q").fill("jenkins")
    first = page.wait_for_function("() => window.firstFrame").json_value()
    assert first == {"atInsert": False, "atPaint": False, "address": ""}
    page.locator("#a-z").wait_for(state="hidden")
    page.wait_for_function("() => location.search === '?q=jenkins'")
    page.locator("#search-q").fill("")
    page.locator("#a-z").wait_for(state="visible")
    page.wait_for_function("() => location.search === ''")


# When the first result went into the page, and when each records fragment was asked for.
RECORDS_ASKED = """() => {
  const results = document.querySelector('#search-results');
  const records = () => performance.getEntriesByType('resource').filter(e => e.name.includes('/search/r/'));
  new MutationObserver((_, observer) => {
    if (!results.querySelector('.result')) return;
    observer.disconnect();
    const first = performance.now();
    const wait = () => {
      if (results.querySelectorAll('.result').length < 20) return setTimeout(wait, 10);
      window.recordsAsked = {before: records().filter(e => e.startTime < first).length, after: records().filter(e => e.startTime >= first).length};
    };
    wait();
  }).observe(results, {childList: true, subtree: true});
}"""


def test_search_page_asks_for_the_records_of_its_first_results_before_the_others(page, site_url) -> None:
    # Each reply is a task of the page's main thread: the records of results 7 to 20 are asked for
    # once the first six are in the page, so their replies cannot hold back its first frame.
    page.goto(site_url + "search/")
    page.evaluate(RECORDS_ASKED)
    page.locator("#search-q").fill("support")  # its first 20 results are in 7 records fragments
    found = page.wait_for_function("() => window.recordsAsked").json_value()
    assert 1 <= found["before"] <= 6
    assert found["after"] >= 1
    assert "results for “support”, the first 20 shown." in page.locator("#search-status").inner_text()


def test_showing_more_results_keeps_the_first_in_place_and_moves_focus_to_the_first_new_one(page, site_url) -> None:
    page.goto(site_url + "search/?q=error")
    results = page.locator("#search-results .result")
    page.locator(".more-results").wait_for()
    page.wait_for_function("document.querySelectorAll('#search-results .result').length === 20")
    assert "results for “error”, the first 20 shown." in page.locator("#search-status").inner_text()
    first = results.locator(".result-title a").all_inner_texts()
    page.locator(".more-results").click()
    page.wait_for_function("document.querySelectorAll('#search-results .result').length > 20")
    page.wait_for_function("document.activeElement.closest('.result') !== null")
    assert results.locator(".result-title a").all_inner_texts()[:20] == first
    assert (
        page.evaluate(
            "[...document.querySelectorAll('#search-results .result')].indexOf(document.activeElement.closest('.result'))"
        )
        == 20
    )


def test_search_says_so_when_nothing_matches(page, site_url) -> None:
    page.goto(site_url + "search/?q=plorbix+quuxle")
    page.locator("#search-status", has_text="Nothing found").wait_for()
    assert page.locator("#a-z").is_visible()
    assert "Not in the catalog? Ask in #platform-help" in page.locator("#search-status").inner_text()


def test_offering_filters_narrow_the_table_and_are_linkable(page, site_url) -> None:
    page.goto(site_url + "offerings/")
    rows = "#offerings-table tbody tr"
    total = page.locator(rows).count()
    assert visible_rows(page, rows) == total
    page.get_by_label("Lifecycle").select_option("deprecated")
    assert parse_qs(urlsplit(page.url).query) == {"lifecycle": ["deprecated"]}
    deprecated = visible_rows(page, rows)
    assert 0 < deprecated < total
    for badge in page.locator(rows).evaluate_all(
        "rows => rows.filter(r => r.offsetParent !== null).map(r => r.dataset.lifecycle)"
    ):
        assert badge == "deprecated"
    assert page.locator(".filter-status").inner_text() == f"Showing {deprecated} of {total} offerings."

    linked = page.context.new_page()
    linked.goto(site_url + "offerings/?tier=1&audience=business")
    assert linked.get_by_label("Tier").input_value() == "1"
    shown = linked.locator(rows).evaluate_all(
        "rows => rows.filter(r => r.offsetParent !== null).map(r => [r.dataset.tier, r.dataset.audience])"
    )
    assert shown
    assert all(tier == "1" and "business" in audience.split() for tier, audience in shown)
    linked.get_by_role("button", name="Show all").click()
    assert visible_rows(linked, rows) == total
    assert urlsplit(linked.url).query == ""


def test_tool_filters_by_category_and_status(page, site_url) -> None:
    page.goto(site_url + "tools/?status=unsupported")
    assert page.get_by_label("Status").input_value() == "unsupported"
    statuses = page.locator(".matrix-cell").evaluate_all(
        "cells => cells.filter(c => c.offsetParent !== null).map(c => c.dataset.status)"
    )
    assert statuses
    assert set(statuses) == {"unsupported"}
    page.get_by_label("Category").select_option("testing")
    assert parse_qs(urlsplit(page.url).query) == {"status": ["unsupported"], "category": ["testing"]}
    shown = page.locator(".matrix-cell li").evaluate_all(
        "items => items.filter(i => i.offsetParent !== null).map(i => i.textContent)"
    )
    assert any("Selenium Grid" in text for text in shown)
    assert not any("Jenkins" in text for text in shown)


def test_without_javascript_everything_is_reachable(context_factory, site_url) -> None:
    page = context_factory(java_script_enabled=False).new_page()
    page.goto(site_url + "offerings/")
    assert not page.locator(".filters").is_visible()
    rows = "#offerings-table tbody tr"
    assert visible_rows(page, rows) == page.locator(rows).count() > 10
    page.goto(site_url + "tools/?status=unsupported")
    assert page.locator(".matrix-cell[data-status=supported] li").first.is_visible()
    # The header search is a plain form: it leads to the search page, whose A to Z answers too.
    page.goto(site_url)
    page.fill("#site-search-q", "jenkins")
    page.press("#site-search-q", "Enter")
    page.wait_for_url("**/search/?q=jenkins")
    # it says the query was not looked up, rather than showing an empty box
    assert "Search needs JavaScript" in page.locator("main").inner_text()
    assert page.locator("#a-z").is_visible()
    entry = page.locator(".az-list li", has=page.get_by_role("link", name="Jenkins", exact=True))
    entry.scroll_into_view_if_needed()  # an entry off screen is rendered (has innerText) once scrolled to
    entry.locator(".badge").wait_for()  # visible, that is
    assert "Unsupported" in entry.inner_text()
    assert "use CI/CD pipelines" in entry.inner_text()


def test_every_page_with_the_search_box_loads_what_makes_it_work(example_public) -> None:
    """The script where the page promises "/" and the popup; elsewhere (the whole catalog, the
    longest page) the box is a plain form to the search page, which has the script."""
    pages = {p.relative_to(example_public).as_posix(): p.read_text() for p in sorted(example_public.rglob("*.html"))}
    boxes = {path: html for path, html in pages.items() if 'class="search-input"' in html}
    assert len(boxes) > 20
    assert [path for path, html in boxes.items() if "site-search-hint" in html and "assets/site.js" not in html] == []
    plain = [path for path, html in boxes.items() if "assets/site.js" not in html]
    assert plain == ["catalog/index.html"] or sorted(p.split("/")[-2] for p in plain) == ["catalog"] * len(plain)
    assert 'action="../search/"' in pages["catalog/index.html"]


def test_phone_layout_never_scrolls_sideways(context_factory, site_url, page_types) -> None:
    page = context_factory(viewport=PHONE).new_page()
    for name, path in page_types.items():
        page.goto(site_url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name}: page is {width}px wide"


def test_dark_mode_follows_the_system(context_factory, site_url) -> None:
    backgrounds = {}
    for scheme in ("light", "dark"):
        page = context_factory(color_scheme=scheme).new_page()
        page.goto(site_url)
        backgrounds[scheme] = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert backgrounds == {"light": "rgb(255, 255, 255)", "dark": "rgb(15, 20, 25)"}


def test_every_page_shows_the_catalog_version(page, site_url, example_public, page_types) -> None:
    version = json.loads((example_public / "catalog.json").read_text())["catalog_version"]
    for path in page_types.values():
        page.goto(site_url + path)
        assert page.locator(".catalog-version").inner_text() == version


def test_keyboard_reaches_the_skip_link_first_and_focus_is_visible(page, site_url) -> None:
    page.goto(site_url + "offerings/ci-pipelines/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0  # on screen once focused
    assert skip.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    # the fragment's navigation is the browser's own, done after the key press returns: waited for
    page.wait_for_function("location.hash === '#main'", timeout=5_000)
    assert urlsplit(page.url).fragment == "main"
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.closest('main') !== null")
    assert focused


def test_pages_request_nothing_from_other_hosts(context_factory, site_url, page_types) -> None:
    context = context_factory()
    seen: list[str] = []
    context.on("request", lambda request: seen.append(request.url))
    page = context.new_page()
    for path in page_types.values():
        page.goto(site_url + path)
    page.goto(site_url + "search/")
    page.fill("#search-q", "vault")
    page.locator("#search-results .result").first.wait_for()
    assert seen
    assert [u for u in seen if not u.startswith(site_url)] == []


def test_print_view_of_the_whole_catalog_drops_navigation(context_factory, site_url) -> None:
    page = context_factory().new_page()
    page.goto(site_url + "catalog/")
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert page.locator(".site-footer").is_visible()
    assert page.locator("h2#tools").is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")


def test_a_printed_offering_leaves_out_whether_help_is_open_now_and_spells_out_its_links(
    context_factory, site_url
) -> None:
    """Paper is read hours after it is printed: "the help desk is closed" would be true only then."""
    page = context_factory(timezone_id="Europe/Zurich").new_page()
    page.goto(site_url + "offerings/ci-pipelines/")
    page.locator(".quick-facts .help-now").wait_for()
    page.emulate_media(media="print")
    assert not page.locator(".quick-facts .help-now").is_visible()
    assert page.locator(".quick-facts").get_by_text("Mon–Fri 08:00–18:00 (Europe/Zurich)").is_visible()

    def after(selector: str) -> str:
        return page.locator(selector).evaluate("a => getComputedStyle(a, '::after').content")

    assert (
        after("section[aria-labelledby=request] a")
        == '" (https://gitlab.acme-bank.example/platform/pipeline-templates)"'
    )
    assert (
        after("section[aria-labelledby=docs] a[href^='https://grafana']")
        == '" (https://grafana.acme-bank.example/d/ci-overview)"'
    )
    page.goto(site_url)  # the home page's line too, once the script has written it
    page.wait_for_function("document.querySelector('#help-now .help-now').textContent !== ''")
    assert not page.locator("#help-now .help-now").is_visible()


def test_axe_finds_no_accessibility_violations_on_any_page_type(context_factory, site_url, page_types) -> None:
    """Every rule in the light scheme; in the dark one, the rules that depend on colour."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    colour_rules = {"runOnly": ["color-contrast", "link-in-text-block"], "resultTypes": ["violations"]}
    page = context_factory(color_scheme="light").new_page()
    found = {}
    for name, path in page_types.items():
        page.emulate_media(color_scheme="light")
        page.goto(site_url + path)
        if name == "search-results":
            page.locator("#search-results .result").first.wait_for()
        for scheme, options in (("light", {"resultTypes": ["violations"]}), ("dark", colour_rules)):
            page.emulate_media(color_scheme=scheme)
            results = axe.run(page, options=options)
            if results.violations_count:
                found[f"{name} ({scheme})"] = results.generate_report()
    page.emulate_media(color_scheme="light")
    page.goto(site_url)
    page.fill("#site-search-q", "selenium")
    page.locator("#site-search-results .result").first.wait_for()
    assert " results" in page.locator("#site-search-status").inner_text()
    results = axe.run(page)
    if results.violations_count:
        found["header search results"] = results.generate_report()
    assert found == {}


@pytest.mark.parametrize(
    ("query", "first_result", "searched"),
    [
        ("jenkns", "Jenkins", "jenkins"),  # a typo: the nearest word of the catalog
        ("jenknis", "Jenkins", "jenkins"),  # two letters swapped, the commonest typo: one slip, not two
        ("how do i get the artifact registry", "Artifact registry", None),  # a question: its small words are optional
        ("how do i get help", "Support: how to get help", None),  # a question whose small words match elsewhere
        ("ci sla", "CI/CD pipelines: GitLab availability", "ci slo"),  # the catalog's word for it
        ("sev1", "sev1: Critical", None),  # severities are in the index
        ("who is on call", "On call: help out of hours", None),  # a part of the support page, by name
        ("kubectl", "Change approval", None),  # a word only in a policy page's text
        # an offering and how to reach someone: its record says nothing of support, its page does
        ("ci pipelines on-call", "CI/CD pipelines", None),
        ("ci pipelines oncall", "CI/CD pipelines", None),
        ("artifact registry contact", "Artifact registry", None),
        ("who do I call for ci pipelines", "CI/CD pipelines", None),
        ("who do I call about ci pipelines", "CI/CD pipelines", None),  # "about": a question's small word
        ("incident support", "Incident support", None),  # a help word in the title still counts
    ],
)
def test_search_forgives_typos_and_questions(page, site_url, query, first_result, searched) -> None:
    page.goto(site_url + "search/?q=" + query.replace(" ", "+"))
    first = page.locator("#search-results .result").first
    first.wait_for()
    assert first.locator(".result-title a").inner_text() == first_result
    status = page.locator("#search-status").inner_text()
    if searched is None:
        assert "exactly" not in status
    else:
        assert f"for “{searched}” (nothing matched “{query}” exactly)" in status


def test_searching_an_offering_with_on_call_links_its_support(page, site_url) -> None:
    page.goto(site_url)
    page.keyboard.press("/")
    page.keyboard.type("ci pipelines on-call")
    first = page.locator("#site-search-results .result").first
    first.wait_for()
    assert first.locator(".result-title a").inner_text() == "CI/CD pipelines"
    assert first.locator(".result-help").inner_text() == "Who to contact: support and on-call for CI/CD pipelines"
    first.locator(".result-help a").click()
    page.wait_for_url("**/offerings/ci-pipelines/#support")
    assert page.locator("#support").is_visible()


def test_searching_an_offering_alone_says_nothing_of_its_support(page, site_url) -> None:
    page.goto(site_url + "search/?q=ci+pipelines")
    first = page.locator("#search-results .result").first
    first.wait_for()
    assert first.locator(".result-title a").inner_text() == "CI/CD pipelines"
    assert first.locator(".result-help").count() == 0


def test_searching_a_deprecated_offering_answers_where_to_move(page, site_url) -> None:
    page.goto(site_url + "search/?q=legacy+jenkins")
    result = page.locator("#search-results .result-offering").first
    result.wait_for()
    assert result.locator(".result-answer").inner_text() == "Legacy Jenkins is deprecated. Move to: CI/CD pipelines"
    result.locator(".result-answer a").click()
    assert page.locator("h1").inner_text() == "CI/CD pipelines"


def test_on_a_phone_a_tool_card_leaves_out_what_it_has_no_value_for(context_factory, site_url) -> None:
    """The unsupported table's rows are cards of labelled cells on a phone: a tool with no
    migration guide is no "Migration guide: —" line (a label with a dash told the reader nothing)."""
    page = context_factory(viewport=PHONE).new_page()
    page.goto(site_url + "unsupported/")
    guide = "td[data-label='Migration guide']"
    assert page.locator(f"#tool-jenkins {guide}").is_visible()  # Migration guide: Migrating from Jenkins…
    assert not page.locator(f"#tool-github-actions {guide}").is_visible()
    assert "—" not in page.locator("#tool-github-actions").inner_text()
    assert page.locator("#tool-github-actions td[data-label='Use instead']").is_visible()
    # on a desktop the column stays, its empty cells a dash
    page.set_viewport_size({"width": 1280, "height": 800})
    assert page.locator(f"#tool-github-actions {guide}").inner_text() == "—"


def test_a_trade_off_says_who_benefits_without_capitalising_mid_sentence(page, site_url) -> None:
    """The catalog's `for:` is a phrase written to stand alone ("The business and its clients"):
    it is labelled, not run into a sentence ("For The business and its clients")."""
    page.goto(site_url)
    text = page.locator("main").inner_text()
    assert "Who benefits: The business and its clients" in text
    assert "For The" not in text
    page.goto(site_url + "catalog/")
    assert "(who benefits: The business and its clients)" in page.locator("main").inner_text()
