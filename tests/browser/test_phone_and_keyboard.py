"""A phone 360 px wide and a keyboard, on every page of the example site: nothing clipped
sideways, every scrollable region reachable, WCAG 2.2 AA (axe) at both widths in both colour
schemes, Escape closing the search popup, filters that agree with the address after Back."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.git]  # the example site is built in a git repository

# Every element whose content is wider than its box and hidden or scrolled sideways, and every
# scrollable one that a keyboard cannot reach (not focusable and holding nothing focusable).
CLIPPED = """() => {
  const found = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.visually-hidden, [hidden], script, style, noscript')) continue;
    if (el.clientWidth === 0 || el.scrollWidth <= el.clientWidth + 1) continue;
    const style = getComputedStyle(el);
    // content-visibility and paint containment clip as overflow does, whatever overflow says
    const contained = style.contentVisibility !== 'visible' || /paint|content|strict/.test(style.contain);
    if ((style.overflowX === 'visible' && !contained) || style.clip !== 'auto') continue;  // visually hidden on purpose
    const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
    found.push(name + ' (' + el.scrollWidth + ' in ' + el.clientWidth + ' px): ' + el.textContent.trim().slice(0, 60));
  }
  if (document.documentElement.scrollWidth > window.innerWidth) found.push('the page itself: ' + document.documentElement.scrollWidth + ' px');
  return found;
}"""

UNREACHABLE = """() => Array.from(document.querySelectorAll('body *')).filter(el => {
  const style = getComputedStyle(el);
  const scrolls = (style.overflowX === 'auto' || style.overflowX === 'scroll') && el.scrollWidth > el.clientWidth + 1;
  const scrollsDown = (style.overflowY === 'auto' || style.overflowY === 'scroll') && el.scrollHeight > el.clientHeight + 1;
  if (!scrolls && !scrollsDown) return false;
  return el.tabIndex < 0 && !el.querySelector('a[href], button, input, select, textarea, [tabindex]');
}).map(el => el.tagName.toLowerCase() + '.' + el.className)"""

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


# A page that sends its reader on (a release's `changes/`, a renamed record's old address) is read
# for a moment before the refresh: the scans read it as it stands, served from the built file with
# its refresh taken out (no request reaches the server for it, so nothing is in flight when a
# context closes).
REFRESH = re.compile(r'<meta http-equiv="refresh"[^>]*>\n?')


@pytest.fixture(scope="module")
def refreshing(example_public) -> dict[str, str]:
    """Site path → the page's HTML without its refresh, for every page that has one."""
    found = {}
    for file in example_public.rglob("*.html"):
        html = file.read_text()
        if REFRESH.search(html):
            found[file.relative_to(example_public).as_posix().removesuffix("index.html")] = REFRESH.sub("", html)
    return found


@pytest.fixture
def staying(site_url, refreshing):
    """Makes a browser page read each refreshing page as it stands."""

    def serving(html: str):
        # one argument: Playwright passes the request too to a handler that takes two
        return lambda route: route.fulfill(content_type="text/html; charset=utf-8", body=html)

    def hold(page):
        for path, html in refreshing.items():
            page.route(site_url + path, serving(html))
        return page

    return hold


def test_the_scans_reach_pages_that_send_their_reader_on(every_page, refreshing) -> None:
    # The example's releases each have such a page; the scans below must see them, not their target.
    assert refreshing, "the example site has no page with a meta refresh: this guard checks nothing"
    assert set(refreshing) <= set(every_page)


@pytest.fixture(scope="module")
def every_page(example_public) -> list[str]:
    """The site path of every HTML page of the example site (releases included)."""
    pages = sorted(p.relative_to(example_public).as_posix() for p in example_public.rglob("*.html"))
    return [p.removesuffix("index.html") for p in pages if p != "404.html"]


def test_no_page_clips_content_sideways_on_a_phone(context_factory, site_url, every_page, staying) -> None:
    page = staying(context_factory(viewport=PHONE).new_page())
    clipped = {}
    for path in every_page:
        page.goto(site_url + path)
        found = page.evaluate(CLIPPED)
        if found:
            clipped[path] = found
    assert clipped == {}
    assert len(every_page) > 50


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1280px"])
def test_every_scrollable_region_can_be_reached_by_keyboard(
    context_factory, site_url, every_page, viewport, staying
) -> None:
    page = staying(context_factory(viewport=viewport).new_page())
    unreachable = {}
    for path in every_page:
        page.goto(site_url + path)
        found = page.evaluate(UNREACHABLE)
        if found:
            unreachable[path] = found
    assert unreachable == {}


def test_axe_finds_no_wcag_2_2_aa_violations_at_360_and_1280_px_in_light_and_dark(
    context_factory, site_url, every_page, staying
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    options = {"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]}
    # one page of each kind: the first of each folder (offerings/x/, tools/y/, v/…/) and the rest
    kinds: dict[str, str] = {}
    for path in every_page:
        key = "/".join(path.split("/")[:1] if not path.startswith("v/") else path.split("/")[:3:2])
        kinds.setdefault(key + ("/" if path.count("/") > 1 else ""), path)
    found = {}
    for viewport in (PHONE, DESKTOP):
        for scheme in ("light", "dark"):
            page = staying(context_factory(viewport=viewport, color_scheme=scheme).new_page())
            for path in sorted(set(kinds.values()) | {"search/?q=jenkins"}):
                page.goto(site_url + path)
                if "?q=" in path:
                    page.locator("#search-results .result").first.wait_for()
                results = axe.run(page, options=options)
                if results.violations_count:
                    found[f"{path} at {viewport['width']} px ({scheme})"] = results.generate_report()
    assert found == {}


def test_escape_closes_the_search_popup_from_a_result_and_it_stays_closed(page, site_url) -> None:
    page.goto(site_url + "support/")
    page.fill("#site-search-q", "jenkins")
    popup = page.locator("#site-search-results")
    popup.locator(".result").first.wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.closest('.search-popup') !== null")
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.id") == "site-search-q"
    assert not popup.is_visible()
    page.keyboard.press("Escape")  # a second Escape in the box leaves it as it is
    assert not popup.is_visible()
    page.keyboard.type("s")  # typing again opens it
    popup.locator(".result").first.wait_for()


@pytest.mark.parametrize("cache", [True, False], ids=["bfcache", "no-bfcache"])
def test_filters_agree_with_the_address_after_going_back(context_factory, site_url, cache) -> None:
    context = context_factory()
    page = context.new_page()
    if not cache:  # a page with an unload handler is never kept in the back/forward cache
        page.add_init_script("window.addEventListener('unload', () => {})")
    page.goto(site_url + "tools/")
    page.select_option("select[data-key=status]", "unsupported")
    assert parse_qs(urlsplit(page.url).query)["status"] == ["unsupported"]
    page.locator(".matrix-cell a:visible, table a:visible").first.click()
    page.wait_for_load_state()
    page.go_back()
    page.wait_for_load_state()
    assert parse_qs(urlsplit(page.url).query)["status"] == ["unsupported"]
    assert page.locator("select[data-key=status]").input_value() == "unsupported"
    shown = page.locator(".matrix-cell[data-status=supported] li").evaluate_all(
        "items => items.filter(i => i.offsetParent !== null).length"
    )
    assert shown == 0


def test_touch_targets_are_at_least_24_px(context_factory, site_url) -> None:
    page = context_factory(viewport=PHONE).new_page()
    page.goto(site_url + "search/")
    small = page.locator(".letters a").evaluate_all(
        "links => links.map(a => a.getBoundingClientRect()).filter(r => r.width < 24 || r.height < 24).length"
    )
    assert small == 0
