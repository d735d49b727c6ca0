"""Long lists are cut into parts (site/paging.py): on a large catalog no list page grows past
about a megabyte, every item is on exactly one part, the first part keeps the page's address,
and the parts are plain pages linked to each other, the sitemap and the manifest (no JavaScript
needed). A catalog whose lists fit keeps one page per list."""

from __future__ import annotations

import dataclasses
import json
import posixpath
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from servicebook import routes
from servicebook.catalog.validate import RESERVED_IDS
from servicebook.cli import main
from servicebook.site import paging
from servicebook.site import views as views_module
from servicebook.site.load import load
from servicebook.site.views import ViewMemo, site_view

from .conftest import FIXED_EPOCH, REPO

HREF = re.compile(r'href="([^"]*)"')


def test_items_are_cut_in_order_under_the_budget_each_part_holding_one_at_least() -> None:
    weights = [40, 30, 50, 200, 10, 10, 10]
    bounds = paging.cut(weights, 100)
    assert bounds == ((0, 2), (2, 3), (3, 4), (4, 7))  # the 200 over the budget stands alone
    assert paging.cut([], 100) == ((0, 0),)  # an empty list is one empty page
    assert paging.cut([1] * 5, 100) == ((0, 5),)


@given(st.lists(st.one_of(st.none(), st.text()), max_size=5))
def test_an_item_weighs_the_utf8_bytes_of_its_texts(texts: list[str | None]) -> None:
    assert paging._text(*texts) == sum(len(t.encode("utf-8")) for t in texts if t)


def test_parts_after_the_first_live_in_a_folder_no_entity_can_own() -> None:
    assert routes.part("offerings", 1) == "offerings/"
    assert routes.part("offerings", 2) == "offerings/index/2/"
    assert routes.part("search", 3) == "search/index/3/"
    # "index" is a reserved id: these are no offering's or page's, and they are the list's page
    assert routes.entity_at("offerings/index/2/index.html") is None
    assert routes.entity_at("policies/index/2/index.html") is None
    assert routes.fixed_at("offerings/index/2/index.html") == routes.fixed_page("offerings")
    assert routes.entity_at("offerings/ci/index.html") == ("offering", "ci")
    assert routes.PARTS.rstrip("/") in RESERVED_IDS  # what keeps them apart from every id


def _links(public: Path, page: str) -> list[str]:
    """The site paths (and #fragments) a built page links to."""
    here = posixpath.dirname(page)
    found = []
    for href in HREF.findall((public / page).read_text()):
        if href.startswith(("http:", "https:", "mailto:")):
            continue
        path, _, fragment = href.partition("#")
        target = posixpath.normpath(posixpath.join(here, path)) if path else page
        if path and (path.endswith("/") or path in (".", "./")):
            target = posixpath.join(target, "index.html")
        found.append(target.removeprefix("./") + (f"#{fragment}" if fragment else ""))
    return found


def _parts(public: Path, name: str) -> list[str]:
    first = routes.output_path(routes.page(name))
    pages = [first]
    while True:
        html = (public / pages[-1]).read_text()
        nxt = re.search(r'<a href="([^"]*)" rel="next">', html)
        if nxt is None:
            return pages
        pages.append(posixpath.normpath(posixpath.join(posixpath.dirname(pages[-1]), nxt[1])) + "/index.html")


@pytest.fixture(scope="module")
def paged_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example site built with budgets small enough to cut its lists (as a large catalog's
    are), once for the tests that read it."""
    site = tmp_path_factory.mktemp("paged") / "example"
    site.mkdir()
    shutil.copy(REPO / "catalog.yaml", site)
    shutil.copytree(REPO / "content", site / "content")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(paging, "PART_BYTES", 6000)
        patch.setattr(paging, "A_TO_Z_BYTES", 3000)
        patch.setattr(paging, "GLANCE_BYTES", 800)
        patch.setenv("SOURCE_DATE_EPOCH", FIXED_EPOCH)
        args = ["build", "--source", str(site), "--output", str(site / "public"), "--no-versions"]
        result = CliRunner().invoke(main, args, env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return site / "public"


def test_every_offering_is_on_exactly_one_part_and_the_parts_link_each_other(paged_site: Path) -> None:
    offerings = sorted(
        p.parent.name for p in (paged_site / "offerings").glob("*/index.html") if p.parent.name != "index"
    )
    parts = _parts(paged_site, "offerings")
    assert len(parts) > 1
    assert parts[1] == "offerings/index/2/index.html"
    listed = [
        link.split("/")[1] for part in parts for link in _links(paged_site, part)
        if re.fullmatch(r"offerings/[^/]+/index\.html", link) and link not in parts
    ]  # fmt: skip
    assert sorted(listed) == offerings  # each once, none left out
    second = (paged_site / parts[1]).read_text()
    assert f"<title>Offerings, page 2 of {len(parts)} ·" in second
    assert 'rel="prev"' in second and '<span aria-current="page">2</span>' in second
    assert "offerings on this page" in second  # the filters say what they count


def test_the_a_to_z_letters_lead_to_the_part_their_entries_begin_in(paged_site: Path) -> None:
    parts = _parts(paged_site, "search")
    assert len(parts) > 2
    for part in parts:
        letters = [link for link in _links(paged_site, part) if "#az-" in link]
        assert letters
        for link in letters:
            page, _, anchor = link.partition("#")
            assert f'<h3 id="{anchor}">' in (paged_site / page).read_text(), (part, link)


def test_the_whole_catalog_in_parts_keeps_every_row_and_its_section_links(paged_site: Path) -> None:
    parts = _parts(paged_site, "catalog")
    assert len(parts) > 1
    html = [(paged_site / p).read_text() for p in parts]
    rows = [ident for page in html for ident in re.findall(r'<tr id="offering-([^"]+)">', page)]
    offerings = sorted(
        p.parent.name for p in (paged_site / "offerings").glob("*/index.html") if p.parent.name != "index"
    )
    assert sorted(rows) == offerings
    for section in ("team", "offerings", "slos", "support", "tools", "policies"):
        targets = {link for link in _links(paged_site, parts[-1]) if link.endswith(f"#{section}")}
        assert len(targets) == 1, section
        page = targets.pop().partition("#")[0]
        assert f'<h2 id="{section}">' in (paged_site / page).read_text()
    assert any("(continued)</h2>" in page for page in html[1:])


def test_the_tools_matrix_in_parts_lists_every_decision_once_and_each_category_leads_to_its_part(
    paged_site: Path,
) -> None:
    parts = _parts(paged_site, "tools")
    assert len(parts) > 1
    tools = sorted(t["id"] for t in json.loads((paged_site / "catalog.json").read_text())["tools"])
    listed = [
        link.split("/")[1] for part in parts for link in _links(paged_site, part)
        if re.fullmatch(r"tools/[^/]+/index\.html", link) and link not in parts
    ]  # fmt: skip
    assert sorted(listed) == tools  # each once, none left out
    html = [(paged_site / p).read_text() for p in parts]
    categories = re.findall(r'<option value="([^"]+)" data-part="[^"]+">', html[0])
    assert len(categories) > len(parts)
    for part in parts:  # the list of categories, on every part, leads to where each begins
        entries = [link for link in _links(paged_site, part) if "#cat-" in link]
        assert [link.partition("#cat-")[2] for link in entries] == categories
        for link in entries:
            page, _, anchor = link.partition("#")
            assert f'<h2 id="{anchor}">' in (paged_site / page).read_text() and "(continued)" not in page, link
    # a tool's page links to tools/#cat-ID: the first part has that id for every category
    assert all(f'id="cat-{c}"' in html[0] for c in categories)
    assert all("tools on this page" in page for page in html)  # the filters say what they count


def test_a_category_cut_between_parts_is_begun_on_one_and_continued_on_the_next(site_copy) -> None:
    loaded = load(site_copy("example"), {"SOURCE_DATE_EPOCH": FIXED_EPOCH})
    assert loaded.site is not None
    view = site_view(loaded.site)
    found = paging.parts("tools", paging.tool_rows(view), paging.WEIGHTS["tools"], budget=1200)
    shown = [paging.tools_part(part, found, view) for part in found]
    assert len(found) > len(view.categories)  # some categories are cut
    for name in ("tool_categories", "category_parts"):
        assert {name} <= shown[0].keys()
    # every decision once, in its cell, on the part the cut put it
    decisions = [
        (c.category.id, status, t.tool.id)
        for part in shown
        for c, _, _, cells in part["tool_categories"]
        for status, _, tools in cells
        for t in tools
    ]
    everything = [
        (c.category.id, status, t.tool.id) for c in view.categories for status, _, tools in c.by_status for t in tools
    ]
    assert decisions == everything
    # a category on several parts: begun on the first of them, continued on the others
    for c in view.categories:
        on = [n for n, part in enumerate(shown, 1) for x, *_ in part["tool_categories"] if x is c]
        assert on == list(range(on[0], on[-1] + 1)), c.category.id  # on neighbouring parts, once each
        flags = [(cont, more) for part in shown for x, cont, more, _ in part["tool_categories"] if x is c]
        assert [cont for cont, _ in flags] == [False] + [True] * (len(on) - 1)
        assert [more for _, more in flags] == [True] * (len(on) - 1) + [False]
        assert {(x.category.id, n) for x, n, _ in shown[0]["category_parts"]} >= {(c.category.id, on[0])}


def test_every_part_is_in_the_sitemap_and_the_manifest(paged_site: Path) -> None:
    sitemap = (paged_site / routes.SITEMAP).read_text()
    manifest = (paged_site / routes.MANIFEST).read_text()
    for name in ("offerings", "slos", "unsupported", "search", "catalog", "tools"):
        for part in _parts(paged_site, name)[1:]:
            assert f"/{part.removesuffix('index.html')}</loc>" in sitemap, part
            assert f"  {part}\n" in manifest, part


def test_a_catalog_whose_lists_fit_keeps_one_page_each(run, site_copy) -> None:
    site = site_copy("example")
    result = run("build", "--source", site, "--output", site / "public", "--no-versions")
    assert result.exit_code == 0, result.output
    assert not list((site / "public").glob("*/index/*/index.html"))
    assert 'class="pager"' not in (site / "public/search/index.html").read_text()


def test_the_home_page_shows_the_first_of_its_lists_and_leads_to_the_whole_ones(paged_site: Path) -> None:
    home = (paged_site / "index.html").read_text()
    provided = re.search(r'<h2 id="supported">.*?</section>', home, re.S)
    assert provided is not None
    shown = len(re.findall(r'<li><a href="offerings/[^"]+/">', provided[0]))
    offerings = len([p for p in (paged_site / "offerings").glob("*/index.html") if p.parent.name != "index"])
    assert 0 < shown < offerings
    assert re.search(r'<a href="offerings/">All \d+ offerings</a> \(\d+ more\)', provided[0])
    leaving = re.search(r'<h2 id="not-supported">.*?</section>', home, re.S)
    assert leaving is not None and re.search(r'<a href="unsupported/">All \d+ \(\d+ more\): why, and what', leaving[0])


@given(st.lists(st.integers(0, 9), max_size=40), st.lists(st.integers(0, 9), max_size=40), st.integers(1, 30))
def test_parts_cut_with_a_memo_of_the_last_list_are_the_parts_cut_from_nothing(first, second, budget) -> None:
    """Items are weighed by their identity (the memo holds them); a list of the very same items
    is the last list's parts. Any other list is cut as from nothing, whatever came before."""
    memo = paging.PartsMemo()
    olds = [[str(n) * (n + 1)] for n in first]  # lists: each item its own object
    news = [olds[i] if i < len(olds) and n % 2 else [str(n) * (n + 1)] for i, n in enumerate(second)]
    for items in (olds, news, news, olds):
        weight = lambda item: len(item[0])  # noqa: E731
        assert paging.parts("offerings", items, weight, budget, memo) == paging.parts(
            "offerings", items, weight, budget
        )
    assert paging.parts("offerings", olds, lambda item: 99, budget, memo) is memo.lists["offerings"][1]


def test_a_site_view_of_the_same_catalog_is_patched_where_its_pages_changed_and_equals_one_made_from_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`serve` keeps its last site view (ViewMemo `site`): while the catalog is the very same
    object, a site view makes again only the tool views whose pages are not the very ones they
    hold and the offering views holding those tools or pages, and keeps every other view, each
    order and each count as they were. After body edits, a title edit, a page removed and back
    and a catalog read again, each view equals one made from nothing, and the memo holds no more
    views after twenty edits than after one."""
    from .sitefiles import generated_site

    loaded = load(generated_site(tmp_path / "site", pages=40), {"SOURCE_DATE_EPOCH": FIXED_EPOCH}).site
    assert loaded is not None
    pages = loaded.pages
    edited = next(i for i, p in enumerate(pages) if p.meta.tools)
    page = pages[edited]

    again = dataclasses.replace(loaded, catalog=dataclasses.replace(loaded.catalog))  # equal, not the same

    def body(n: int) -> object:
        new = dataclasses.replace(page, text=f"Text {n}.", html_sha256=f"{n:064d}")
        return dataclasses.replace(again, pages=(*pages[:edited], new, *pages[edited + 1 :]))

    title = dataclasses.replace(page, meta=dataclasses.replace(page.meta, title="Zz, now last"))
    sites = [
        again,
        body(1),
        dataclasses.replace(again, pages=(*pages[:edited], title, *pages[edited + 1 :])),
        dataclasses.replace(again, pages=pages[:-1]),
        again,
        loaded,
        dataclasses.replace(loaded, pages=body(2).pages),  # type: ignore[attr-defined]
    ]
    memo = ViewMemo()
    made: list[tuple[str, str]] = []

    def spied(real: Callable[..., object]) -> Callable[..., object]:
        def spy(self: ViewMemo, cls: type, *fields: object) -> object:
            made.append((cls.__name__, getattr(fields[0], "id", "")))
            return real(self, cls, *fields)

        return spy

    for name in ("made", "made_keyed"):  # (the views are asked of the memo by one or the other)
        if hasattr(ViewMemo, name):
            monkeypatch.setattr(ViewMemo, name, spied(getattr(ViewMemo, name)))
    holding = {t for t in page.meta.tools}
    offerings = {o.id for o in loaded.catalog.offerings if holding & set(o.tools) or page.slug in o.policies}
    for n, site in enumerate(sites):
        made.clear()
        last = memo.pages
        view = site_view(site, memo)
        asked = list(made)
        assert view == site_view(site), n
        if n in (1, 6):  # a body edit: the views holding the page alone
            assert {i for kind, i in asked if kind == "ToolView"} == holding, n
            assert {i for kind, i in asked if kind == "OfferingView"} == offerings, n
            # the last pages' dicts by slug and by id put right, not copied
            assert last is not None and memo.pages is not None and memo.pages.by_slug is last.by_slug, n
            assert view.categories != () and view.support is not None
    held = (len(memo._now), len(memo._keys_now))
    for n in range(3, 23):
        site_view(body(n), memo)  # type: ignore[arg-type]
    assert (len(memo._now), len(memo._keys_now)) == held
    assert site_view(body(22), memo) == site_view(body(22))  # type: ignore[arg-type]


def test_an_item_in_two_lists_is_weighed_by_each_list_s_own_weight() -> None:
    memo = paging.PartsMemo()
    items = [["x" * 5], ["y" * 7], ["z" * 3]]
    by_length, by_ten = (lambda item: len(item[0])), (lambda _item: 10)
    assert paging.parts("offerings", items, by_length, 25, memo) == paging.parts("offerings", items, by_length, 25)
    assert len(paging.parts("policies", items, by_ten, 25, memo)) == 2


def test_the_site_view_and_the_lists_parts_made_from_the_last_ones_equal_those_made_from_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`serve` keeps its last site view's pages (views.PagesMade) and its lists' weights, rows
    and cuts (paging.PartsMemo), and puts right only the pages that are not the very objects at
    their places: after a body edit, a title edit, a page removed and back, each view and each
    list's parts equal those made from nothing. A body edit weighs the edited page's catalog row
    and the rows of the views holding it alone, and sorts no page."""
    from .sitefiles import generated_site

    monkeypatch.setattr(paging, "PART_BYTES", 3000)  # several parts of a small site's lists
    monkeypatch.setattr(paging, "A_TO_Z_BYTES", 2000)
    loaded = load(generated_site(tmp_path / "site", pages=40), {"SOURCE_DATE_EPOCH": FIXED_EPOCH}).site
    assert loaded is not None
    pages = loaded.pages
    body = dataclasses.replace(pages[7], text="Another text.", html_sha256="0" * 64)
    title = dataclasses.replace(pages[9], meta=dataclasses.replace(pages[9].meta, title="Zz, now last"))
    sites = [
        loaded,
        dataclasses.replace(loaded, pages=(*pages[:7], body, *pages[8:])),
        dataclasses.replace(loaded, pages=(*pages[:7], body, pages[8], title, *pages[10:])),
        dataclasses.replace(loaded, pages=pages[:-1]),
        loaded,
    ]
    views, memo = ViewMemo(), paging.PartsMemo()
    weighed: list[object] = []
    real_weight, real_order = paging._catalog_weight, views_module._order
    monkeypatch.setattr(paging, "_catalog_weight", lambda row: weighed.append(row) or real_weight(row))
    for n, site in enumerate(sites):
        weighed.clear()
        if n == 1:  # a body edit: no page is sorted again
            monkeypatch.setattr(views_module, "_order", lambda _page: pytest.fail("sorted"))
        view = site_view(site, views)
        monkeypatch.setattr(views_module, "_order", real_order)
        assert view == site_view(site)
        before = memo.catalog[2] if memo.catalog is not None else ()
        parts = paging.catalog_parts(view, memo)
        if n == 1:  # the edited page's row, and those of the views that hold it (its offerings', tools')
            assert [row for row in weighed if row[0] == "policies"] == [("policies", body)]
            assert len(weighed) < len(paging.catalog_rows(view)) / 4
            # of the same weights: the last parts but those holding a row weighed again
            holding = {p.number for p in parts if any(r in p.items for r in weighed)}
            assert {p.number for p, q in zip(parts, before, strict=True) if p is not q} == holding
            assert len(holding) < len(parts)
        assert len(parts) > 2 and parts == paging.catalog_parts(view)
        for name in paging.WEIGHTS:
            assert paging.page_parts(view, name, memo) == paging.page_parts(view, name), name


def test_a_list_whose_changed_items_weigh_what_they_did_keeps_the_other_parts_and_equals_one_cut_from_nothing() -> None:
    """`serve`: an edit of one page's body gives the list a new object of the same weight at its
    place; the list's parts are the last ones but the part holding it, which holds the new item,
    and only the items that are not the very objects at their places are weighed. An item whose
    weight changed, one added and one removed cut the list again; each time the parts equal those
    cut from nothing."""
    memo = paging.PartsMemo()
    weighed: list[str] = []

    def weight(item: list[str]) -> int:
        weighed.append(item[0])
        return len(item[0])

    items = [[f"{n:02d}" * (1 + n % 3)] for n in range(30)]  # each its own object, 2-6 bytes
    assert len(paging.parts("policies", items, weight, 12, memo)) > 4
    memo_items = items

    def edited(at: int, text: str) -> list[list[str]]:
        return [*items[:at], [text], *items[at + 1 :]]

    steps: list[tuple[list[list[str]], bool]] = [
        (edited(13, "x" * len(items[13][0])), True),  # same weight: patched
        (edited(13, "y" * len(items[13][0])), True),
        (edited(13, "z" * (len(items[13][0]) + 5)), False),  # weighs more: cut again
        (items, False),  # back (a new object at 13 again, of another weight)
        ([*items, ["new"]], False),  # added
        (items[1:], False),  # removed
        (items, False),
        ([*edited(2, "a" * len(items[2][0]))[:20], *edited(27, "b" * len(items[27][0]))[20:]], True),  # two parts
    ]
    for n, (now, patched) in enumerate(steps):
        last = memo.lists["policies"][1]
        weighed.clear()
        found = paging.parts("policies", now, weight, 12, memo)
        assert found == paging.parts("policies", now, lambda item: len(item[0]), 12), n
        if patched:
            changed = {i for i, (a, b) in enumerate(zip(now, memo_items, strict=True)) if a is not b}
            assert sorted(weighed) == sorted(now[i][0] for i in changed), n
            holding = {p.number for p in found for i in changed if p.first <= i < p.first + len(p.items)}
            assert {p.number for p, q in zip(found, last, strict=True) if p is not q} == holding, n
        memo_items = now
