"""The output link check: every relative link and #anchor in the built HTML leads somewhere,
whether the page's links were read when it was rendered (in a worker) or afterwards."""

from __future__ import annotations

import posixpath
from pathlib import PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicebook.site import links
from servicebook.site.links import MEMO_LINKS, SharedLinks, check_links, safe_path, scan_page
from servicebook.site.load import load
from servicebook.site.render import render_site
from servicebook.site.write import HeldLinks, SiteFiles

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


# Addresses a page may hold, from folders of every depth: ones that climb to the root and on,
# or only part of the way, with a fragment, a query, a scheme-like part, a doubled slash, escapes.
_HREF_PART = st.sampled_from(
    ["../", "../", "./", "assets/site.css", "offerings/", "ci/", "#top", "#slo-latency", "?q=1", "a:b", "/", "//x",
     "%2e%2e/", "index.html", "https://example.org/", "", "x y", "c%20d/"]
)  # fmt: skip
_FOLDERS = st.sampled_from(["", "a", "offerings", "offerings/ci", "policies/x", "policies/x/y"])


@given(st.lists(st.tuples(_FOLDERS, st.lists(st.lists(_HREF_PART, max_size=5).map("".join), max_size=6)), max_size=8))
def test_a_scan_that_remembers_links_settles_each_as_a_scan_of_its_page_alone(
    pages: list[tuple[str, list[str]]],
) -> None:
    # the render workers remember what each link leads to across the pages they render
    known = frozenset({"index.html", "offerings/index.html", "offerings/ci/index.html", "assets/site.css"})
    memo: dict[str, object] = {}
    for folder, hrefs in pages:
        path = posixpath.join(folder, "index.html")
        html = b'<p id="top">' + b"".join(b'<a href="%s">x</a>' % h.replace('"', "").encode() for h in hrefs)
        scan = scan_page(path, html, known, memo)  # type: ignore[arg-type]
        assert scan == scan_page(path, html, known)
        # held until the check by their hrefs alone, they lead where they did from the page's folder
        assert links._held_links(path, SharedLinks()(scan)) == scan.links


def test_a_render_worker_remembers_the_theme_s_links_not_every_link_of_every_page() -> None:
    # what it remembers is bounded: a site's links to other pages' headings are as many as its
    # pages, and remembering each grew every render worker by 50 MiB at 20,000 pages
    known = frozenset({"index.html", "assets/site.css"})
    memo: dict[str, object] = {}
    for n in range(MEMO_LINKS + 50):
        html = b'<link rel="stylesheet" href="../../assets/site.css"><a href="../../policies/p%d/#h">x</a>' % n
        html += b'<a href="../sibling-%d/">y</a>' % n
        scan = scan_page(f"policies/p{n}/index.html", html, known, memo)  # type: ignore[arg-type]
        assert scan == scan_page(f"policies/p{n}/index.html", html, known)
    assert len(memo) == MEMO_LINKS and "assets/site.css" in memo
    assert not any("sibling" in key for key in memo)  # a page's own relative links are not kept


def test_scans_held_for_the_check_share_what_pages_have_in_common() -> None:
    # as the build holds them from the render workers' results: each came with copies of its own
    known = frozenset({"index.html", "offerings/index.html", "offerings/ci/index.html"})
    shared = SharedLinks()
    one = shared(scan_page("a/index.html", b'<a href="../offerings/ci/#slo-latency">x</a><p id="top">', known))
    two = shared(scan_page("a/index.html", b'<a href="../offerings/ci/#slo-latency">x</a><p id="top">', known))
    other = shared(scan_page("b/index.html", b'<a href="../offerings/ci/#slo-latency">x</a><a href="#top">', known))
    assert one == two and one.hrefs is two.hrefs and one.ids is two.ids
    # each link by its href alone, the same string from any folder: the check says where it leads
    assert isinstance(one, HeldLinks) and other.hrefs == ("#top", "../offerings/ci/#slo-latency")
    assert other.hrefs[1] is one.hrefs[0]
    files = _files(PAGES, scanned=True)
    files.scans = {path: shared(scan) for path, scan in files.scans.items()}
    assert check_links(files) == []
    files = _files({**PAGES, **BROKEN}, scanned=True)
    files.scans = {path: shared(scan) for path, scan in files.scans.items()}
    assert [p.format().split("\n")[0] for p in check_links(files)] == EXPECTED


def test_a_held_link_leads_where_it_did_from_its_own_page_s_folder() -> None:
    # the same href on pages in two folders: one leads to a heading that is there, one to a missing page
    pages = {
        "x/index.html": b'<h2 id="f">x</h2>',
        "a/index.html": b'<a href="../x/#f">ok</a>',
        "a/b/index.html": b'<a href="../x/#f">missing</a>',
    }
    files = _files(pages, scanned=True)
    shared = SharedLinks()
    files.scans = {path: shared(scan) for path, scan in files.scans.items()}
    assert files.scans["a/index.html"].ids is not None and isinstance(files.scans["a/b/index.html"], HeldLinks)
    problems = [p.format().split("\n")[0] for p in check_links(files)]
    assert problems == ["a/b/index.html: error: broken link to '../x/#f' (no a/x/index.html in the site)"]


def test_a_built_page_leaves_no_link_to_the_sites_own_assets_and_data_files_for_the_check(
    site_copy, env: dict[str, str]
) -> None:
    # they are sure to be in the site, as its pages are: only what may be missing is held until the check
    root = site_copy("minimal")
    loaded = load(root, env)
    assert loaded.site is not None
    files = render_site(loaded.site, root, source_prefix="")
    # (404.html, served at any depth, links from the site's root, and is not checked)
    held = {
        link[1] for path, scan in files.scans.items() if path != "404.html" for link in links._held_links(path, scan)
    }
    assert files.scans and not {p for p in held if p.startswith("assets/") or p.endswith(".json")}
    assert check_links(files) == []


# Links as a browser reads them, not only as servicebook's own templates write them (double
# quotes): a site's layouts/ may quote differently, and the check must see what the reader gets.
WRITTEN_ANY_WAY = [
    pytest.param(b"<a href='gone/'>x</a>", "gone/", id="single-quoted"),
    pytest.param(b"<a href=gone/>x</a>", "gone/", id="unquoted"),
    pytest.param(b'<A HREF = "gone/">x</A>', "gone/", id="upper-case-and-spaces"),
    pytest.param(b"<img src='gone.png' alt=''>", "gone.png", id="img-src"),
    pytest.param(b"<script src=gone.js></script>", "gone.js", id="script-src"),
    pytest.param(b"<link rel=stylesheet href='gone.css'>", "gone.css", id="link-href"),
    pytest.param(b'<a href="gone&#47;">x</a>', "gone/", id="character-reference"),
    pytest.param(b'<a href="gone/?a=1&amp;b=2">x</a>', "gone/?a=1&b=2", id="entity"),
]


@pytest.mark.parametrize(("html", "href"), WRITTEN_ANY_WAY)
def test_a_broken_link_is_found_however_its_attribute_is_written(html: bytes, href: str) -> None:
    problems = check_links(_files({"index.html": html}, scanned=False))
    assert [p.message.split(" (")[0] for p in problems] == [f"broken link to '{href}'"]


@pytest.mark.parametrize(
    "html",
    [
        pytest.param(b"<h2 id='top'>x</h2><a href=#top>up</a>", id="single-quoted-id"),
        pytest.param(b"<h2 id=top>x</h2><a href='#top'>up</a>", id="unquoted-id"),
        pytest.param(b"<a name=top></a><a href='#top'>up</a>", id="a-name"),
        pytest.param(b'<h2 id="q&amp;a">x</h2><a href="#q&amp;a">up</a>', id="entity-in-id"),
        pytest.param(b'<!-- <a href="gone/">old</a> --><p>x</p>', id="commented-out"),
        pytest.param(b"<script src=s.js></script><p data-src='gone/'>x</p>", id="other-attribute"),
    ],
)
def test_what_a_browser_does_not_follow_is_not_a_broken_link(html: bytes) -> None:
    assert check_links(_files({"index.html": html, "s.js": b""}, scanned=False)) == []


def test_a_form_field_name_is_not_an_anchor() -> None:
    # only an <a name> is a fragment target (HTML's "indicated part of the document")
    problems = check_links(_files({"index.html": b"<input name=top><a href='#top'>up</a>"}, scanned=False))
    assert [p.message for p in problems] == ["broken link to '#top' (no id 'top' on index.html)"]


def test_links_into_a_mounted_release_are_not_followed() -> None:
    pages = {"index.html": b'<a href="v/1.0/offerings/">old</a>'}
    assert check_links(_files(pages, scanned=True), mounted={"v/1.0/offerings/index.html"}) == []
    assert len(check_links(_files(pages, scanned=True))) == 1


def test_a_spare_file_is_kept_only_if_it_is_the_same_file_on_the_same_file_system(tmp_path, monkeypatch) -> None:
    # Starting from the spare (the site the last build replaced), a file is kept only when it is
    # the very file the new site links to: same inode *and* same device, since inode numbers
    # repeat across file systems and release trees may live on another one.
    import os

    from servicebook.site import write

    def reconcile(base, files, output, trees):  # as write_site does, from the spare
        write._reconcile(base, output, files, write._links(files, output, trees, (), {}), set(), write._Trash(output))

    base = tmp_path / "spare"
    (base / "v" / "1.0").mkdir(parents=True)
    tree = tmp_path / "release"
    tree.mkdir()
    (tree / "index.html").write_bytes(b"release page")
    os.link(tree / "index.html", base / "v" / "1.0" / "index.html")  # the same file: kept
    (base / "stale.html").write_bytes(b"gone from the new site")  # not in it: deleted
    files = SiteFiles()
    files["index.html"] = b"home"
    unlinked: list[str] = []
    real_unlink = os.unlink
    monkeypatch.setattr(
        write.os, "unlink", lambda path: unlinked.append(os.path.relpath(path, base)) or real_unlink(path)
    )
    reconcile(base, files, tmp_path / "public", {"v/1.0/": tree})
    assert sorted(p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file()) == [
        "index.html",
        "v/1.0/index.html",
    ]
    assert unlinked == ["stale.html"]  # the release page, the same file, was kept

    real_links = write._links

    def elsewhere(*args):  # the release tree's files now seem to be on another device
        found = real_links(*args)
        return {
            path: (inode, device + 1 if source.startswith(str(tree)) else device, identity, source)
            for path, (inode, device, identity, source) in found.items()
        }

    monkeypatch.setattr(write, "_links", elsewhere)
    unlinked.clear()
    reconcile(base, files, tmp_path / "public", {"v/1.0/": tree})
    assert sorted(unlinked) == ["index.html", "v/1.0/index.html"]  # home rewritten; the release page not trusted
    assert (base / "v" / "1.0" / "index.html").read_bytes() == b"release page"


def by_the_rules(path: str) -> bool:
    """Relative, normalised, no '..', no backslash: as pathlib and posixpath judge it."""
    pure = PurePosixPath(path)
    return not pure.is_absolute() and ".." not in pure.parts and path == posixpath.normpath(path) and "\\" not in path


@given(st.lists(st.sampled_from(["a", "b.html", ".", "..", "", "x\\y", "/", "//", "index.html"]), max_size=6))
def test_a_path_is_safe_exactly_when_the_path_rules_say_so(parts: list[str]) -> None:
    for path in ("/".join(parts), "".join(parts)):
        assert safe_path(path) == by_the_rules(path), path


def test_paths_that_escape_or_are_not_normalised_are_refused() -> None:
    assert safe_path("policies/a/index.html")
    assert not safe_path("../index.html")
    assert not safe_path("/etc/passwd")
    assert not safe_path("a//b.html")
    assert not safe_path("a/./b.html")
    assert not safe_path("a/")
    assert not safe_path("a\\b.html")


def test_trusted_pages_from_two_sets_less_some_are_looked_up_in_them_not_copied() -> None:
    """A serve rebuild's first uncommitted edit keeps every page and restamps them all: the pages
    whose links are not read again were the union of two sets of 11,000 paths at 5k, then it less
    the pages linking to an anchor of a page made again, two sets of 0.5–1 MiB at the top of its
    memory (bench/README.md, ownmem27). Now a view of them, which tells the same pages."""
    import tracemalloc

    kept = {f"policies/p{i}/index.html" for i in range(0, 11000, 2)}
    restamped = dict.fromkeys(f"policies/p{i}/index.html" for i in range(1, 11000, 2))
    less = ["policies/p2/index.html", "policies/p3/index.html", "nowhere.html"]
    names = {**dict.fromkeys(kept), **restamped, "index.html": None}
    tracemalloc.start()
    try:
        trusted = links.Trusted((kept, restamped)).less_also(less)
        untrusted = sorted(trusted.outside(names.keys()))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024  # (a set of 11,000 paths alone is 512 KiB)
    expected = (kept | restamped.keys()) - set(less)
    assert untrusted == sorted(names.keys() - expected)
    assert set(trusted) == expected and len(trusted) == len(expected) and trusted
    assert "policies/p2/index.html" not in trusted and "policies/p4/index.html" in trusted
    assert "policies/p5/index.html" in trusted and "index.html" not in trusted
    assert not links.Trusted((kept,), frozenset(kept))


@pytest.mark.parametrize("scanned", [False, True], ids=["read-after", "read-when-rendered"])
def test_the_link_check_reads_the_links_of_the_pages_trusted_less_some(scanned: bool) -> None:
    """A page taken out of the trusted ones has its links read again: a broken one is reported."""
    files = _files({**PAGES, **BROKEN}, scanned=scanned)
    trusted = links.Trusted((set(PAGES), {"offerings/ci/index.html": None}), frozenset({"index.html"}))
    problems = check_links(files, trusted=trusted)
    assert [p.format().split("\n")[0] for p in problems] == EXPECTED[:2]
