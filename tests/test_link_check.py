"""The output link check: every relative link and #anchor in the built HTML leads somewhere,
whether the page's links were read when it was rendered (in a worker) or afterwards."""

from __future__ import annotations

import pytest

from servicebook.write import SiteFiles, check_links, scan_page

PAGES = {
    "index.html": b'<a href="offerings/">all</a> <a href="offerings/ci/#slo-latency">latency</a> <p id="top">',
    "offerings/index.html": b'<a href="../">home</a> <a href="ci/">ci</a> <a href="../index.html#top">top</a>',
    "offerings/ci/index.html": b'<h2 id="slo-latency">x</h2><a href="#slo-latency">here</a>'
    b'<a href="../../assets/site.css">css</a> <a href="https://example.org/x#y">out</a>',
    "assets/site.css": b"body{}",
}
BROKEN = {
    "index.html": PAGES["index.html"] + b'<a href="offerings/ci/#slo-availability">gone</a> <a href="#nope">self</a>',
    "offerings/index.html": PAGES["offerings/index.html"] + b'<a href="db/">missing page</a>',
}
EXPECTED = [
    "index.html: error: broken link to '#nope' (no id 'nope' on index.html)",
    "index.html: error: broken link to 'offerings/ci/#slo-availability'"
    " (no id 'slo-availability' on offerings/ci/index.html)",
    "offerings/index.html: error: broken link to 'db/' (no offerings/db/index.html in the site)",
]


def _files(pages: dict[str, bytes], *, scanned: bool) -> SiteFiles:
    files = SiteFiles()
    for path, data in pages.items():
        files[path] = data
    if scanned:  # as the render workers do: settle what the page alone can settle
        known = frozenset(p for p in pages if p.endswith(".html"))
        for path, data in pages.items():
            if path.endswith(".html"):
                files.scans[path] = scan_page(path, data, known)
    return files


@pytest.mark.parametrize("scanned", [False, True], ids=["read-after", "read-when-rendered"])
def test_links_that_lead_somewhere_pass(scanned: bool) -> None:
    assert check_links(_files(PAGES, scanned=scanned)) == []


@pytest.mark.parametrize("scanned", [False, True], ids=["read-after", "read-when-rendered"])
def test_every_broken_link_and_anchor_is_reported_in_file_order(scanned: bool) -> None:
    problems = check_links(_files({**PAGES, **BROKEN}, scanned=scanned))
    assert [p.format().split("\n")[0] for p in problems] == EXPECTED


def test_a_rendered_page_keeps_only_links_it_cannot_settle_itself() -> None:
    known = frozenset({"index.html", "offerings/index.html", "offerings/ci/index.html"})
    scan = scan_page("index.html", BROKEN["index.html"], known)
    # offerings/ is a known page: settled; the #fragment links need the other page's ids or fail here
    assert [link[0] for link in scan.links] == ["#nope", "offerings/ci/#slo-availability", "offerings/ci/#slo-latency"]
    assert scan.has_id("top") and not scan.has_id("to")


def test_links_into_a_mounted_release_are_not_followed() -> None:
    pages = {"index.html": b'<a href="v/1.0/offerings/">old</a>'}
    assert check_links(_files(pages, scanned=True), mounted={"v/1.0/offerings/index.html"}) == []
    assert len(check_links(_files(pages, scanned=True))) == 1
