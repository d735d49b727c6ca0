"""A stamped page's key (site/stamps.py): a digest of everything it is rendered from, the same for
the same inputs whichever objects hold them, different when anything it shows differs."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest

from servicebook.catalog import model
from servicebook.site import render, templates
from servicebook.site.build import Options, gather
from servicebook.site.load import BodySpool
from servicebook.site.stamps import LISTS, TEMPLATES, Carried, Stamping, _Fingerprints, page_key, restamp_version
from servicebook.site.templates import PageSpec
from servicebook.site.views import site_view

from .conftest import FIXED_EPOCH
from .sitefiles import generated_site

LONG_HTML = "<p>" + "Every change is reviewed by a second person. " * 40 + "</p>\n"


def _page(html: str = LONG_HTML, title: str = "Change approval", **meta: object) -> model.Page:
    # (its `html_sha256` is its HTML's, as every page's: the key reads it, and the HTML only for
    # the placeholders' character)
    return model.Page(
        slug="change-approval",
        source="content/change-approval.md",
        meta=model.PageMeta(title=title, **meta),  # type: ignore[arg-type]
        body=html,
        text="Every change is reviewed",
        headings=(model.Heading(2, "Who approves", "who-approves"),),
        html_sha256=hashlib.sha256(html.encode()).hexdigest(),
    )


def _key(page: model.Page, stamping: Stamping | None = None) -> str | None:
    spec = PageSpec("policies/change-approval/index.html", "policy.html", page.meta.title, "policies", {"page": page})
    return page_key(stamping or Stamping({}, "chrome", {}), spec)


def test_the_same_inputs_in_other_objects_give_the_same_key() -> None:
    # each release reads its own objects: a page that shows the same must find the stored render
    assert _key(_page()) == _key(_page()) is not None
    assert _key(_page(), Stamping({}, "chrome", {})) == _key(_page())


def test_anything_a_page_shows_changes_its_key() -> None:
    base = _key(_page())
    changed = [
        _page(html=LONG_HTML[:-6] + "!</p>\n"),  # the last character of a long text
        _page(title="Change approvals"),
        _page(owner="Platform Team"),
        _page(offerings=("ci",)),
        dataclasses.replace(_page(), headings=(model.Heading(3, "Who approves", "who-approves"),)),
        dataclasses.replace(_page(), text="Every change is reviewed."),
    ]
    keys = [_key(p) for p in changed]
    assert base not in keys and len(set(keys)) == len(keys)
    assert _key(_page(), Stamping({}, "other chrome", {})) != base


def test_a_text_that_holds_the_placeholders_character_is_never_stamped() -> None:
    assert _key(_page(html=LONG_HTML + "\ue000")) is None
    assert _key(_page(owner="Team \ue0001\ue000")) is None
    assert _key(_page(title="Odd \ue000")) is None


def _spooled(page: model.Page, spool: BodySpool) -> model.Page:
    """`page` with its HTML in the build's spool (load.BodySpool), as a release's pages are kept."""
    html = page.body.encode()
    sha256 = hashlib.sha256(html).hexdigest()
    return dataclasses.replace(page, body="", html_sha256=sha256, spooled=spool.place(html, sha256))


def test_a_pages_key_reads_its_html_wherever_the_build_keeps_it() -> None:
    # a release's pages keep their HTML in the build's spool, at an offset that differs from build
    # to build: the key is the one of the same page holding its HTML, in every spool
    with BodySpool() as spool, BodySpool() as other:
        other.place(b"<p>another page first</p>", "0" * 64)
        page = _page()
        spooled, elsewhere = _spooled(page, spool), _spooled(page, other)
        edited = _spooled(_page(html=LONG_HTML[:-6] + "!</p>\n"), spool)
        marked = _spooled(_page(html=LONG_HTML + "\ue0001\ue000"), spool)
        spool.flush()
        other.flush()
        assert spooled.spooled != elsewhere.spooled
        held = dataclasses.replace(page, html_sha256=spooled.html_sha256)
        assert _key(spooled) == _key(elsewhere) == _key(held) is not None
        assert _key(edited) not in {_key(spooled), None}
        assert _key(marked) is None  # the placeholders' character in its HTML: never stamped


def test_a_release_keyed_after_the_one_before_gets_the_keys_it_would_get_alone() -> None:
    # consecutive releases share their unchanged records as the very same objects (records.py):
    # what the release before digested is reused, never for another object or other contents
    carried = Carried()
    shared, edited = _page(), _page(owner="Platform Team")
    before = Stamping({}, "chrome", {}, _Fingerprints(carried=carried))
    assert page_key(before, _spec(shared)) == _key(shared)
    after = Stamping({}, "chrome", {}, _Fingerprints(carried=carried))
    assert page_key(after, _spec(shared)) == _key(shared)
    assert page_key(after, _spec(edited)) == _key(edited) != _key(shared)
    assert page_key(after, _spec(_page())) == _key(shared)  # equal contents in a new object


def _spec(page: model.Page) -> PageSpec:
    return PageSpec("policies/change-approval/index.html", "policy.html", page.meta.title, "policies", {"page": page})


PAGE = (
    b'<head><meta name="servicebook-catalog-version" content="1.0"></head><main>1.0 and v/1.0/</main>'
    b'<footer>Catalog version <strong class="catalog-version">1.0</strong></footer>'
)


def test_a_new_version_is_filled_in_where_base_html_shows_it_and_nowhere_else() -> None:
    assert restamp_version(PAGE, "1.0", "1.1") == PAGE.replace(b'"1.0"', b'"1.1"').replace(b">1.0</", b">1.1</")
    assert restamp_version(PAGE, "1.0", "1.0") == PAGE


def test_a_page_whose_version_is_not_found_once_in_each_place_is_rendered_again() -> None:
    assert restamp_version(PAGE, "0.9", "1.1") is None  # not the version it shows
    assert restamp_version(PAGE.replace(b"</main>", b"</main>" + PAGE), "1.0", "1.1") is None  # twice
    assert restamp_version(PAGE.split(b"<footer>")[0], "1.0", "1.1") is None  # no footer


def test_a_version_that_escaping_would_change_is_never_filled_in() -> None:
    for version in ("1.0 & later", "<1.1>", '1"1', "1'1"):
        assert restamp_version(PAGE, "1.0", version) is None


def test_a_page_restamped_from_a_tree_is_the_page_filled_in_with_the_new_stamp_whatever_the_values_lengths(
    tmp_path: Path,
) -> None:
    """stamps.Restamp: a tree's page, filled in with one stamp and recorded where it shows it
    (`_layout`), with other values of other lengths put in their places, is `fill_stored` of the
    same stored page with those values; a file changed since, or a record whose stamp is not
    the file's, is not restamped."""
    import os

    from servicebook.cache.folder import flat_name
    from servicebook.site.stamps import Restamp, Stamping, _layout, _stored, _token
    from servicebook.site.write import PageLinks

    html = f"<p>v{_token(1)} of {_token(2)}</p>\u00e9<a href='x/{_token(3)}'>{_token(4)}</a>{_token(3)}{_token(6)}"
    stored = _stored(html, PageLinks((), b""), "0" * 64)
    old = {_token(n): v for n, v in enumerate(("2.0", "2.0", "a" * 40, "a" * 12, "", ""), start=1)}
    new = {_token(n): v for n, v in enumerate(("2026.11", "10.0", "b" * 40, "b" * 7, "x", "2026-12-07"), start=1)}
    filled = Stamping({}, "", old).fill_stored(stored)
    assert filled is not None
    path = "policies/p/index.html"
    (tmp_path / flat_name(path)).write_bytes(filled)
    info = os.stat(tmp_path / flat_name(path))
    identities = {path: [info.st_size, info.st_mtime_ns, info.st_ino]}
    values = {t[1]: v for t, v in old.items()}
    tree = Restamp(tmp_path, {path: ["key", "0" * 64, _layout(stored, old), ""]}, values, identities)
    assert tree.stored(path, "key") == "0" * 64 and tree.stored(path, "other") is None
    made = tree.restamped(path, new)
    assert made is not None
    assert made[0] == Stamping({}, "", new).fill_stored(stored)
    assert made[1] == _layout(stored, new)
    wrong = Restamp(tmp_path, tree.pages, {**values, "3": "c" * 40}, identities)
    assert wrong.restamped(path, new) is None
    (tmp_path / flat_name(path)).write_bytes(filled.replace(b"of", b"OF"))
    os.utime(tmp_path / flat_name(path), ns=(info.st_atime_ns, info.st_mtime_ns + 1))
    assert tree.restamped(path, new) is None


@pytest.mark.parametrize("fixture", ["example", "generated"])
def test_a_policy_page_another_stamped_page_lists_is_read_for_no_more_than_its_key_holds(
    site_copy, tmp_path: Path, fixture: str
) -> None:
    # A stamped page's key holds, of a policy page it lists (an offering's or a tool's, a list's
    # part, a tool's migration guide), its slug, source, front matter and headings, not its HTML
    # or text (stamps._Fingerprints): so each stamped template but policy.html's is rendered here
    # with every page's HTML gone (reading it raises) and its text blanked, and is the same page.
    site = site_copy("example") if fixture == "example" else generated_site(tmp_path / "generated", pages=12)
    loaded, _ = gather(Options(source=site, output=site / "public", env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}))
    assert loaded.site is not None
    blank = [
        dataclasses.replace(p, body="", text="", html_sha256="", spooled=(-987654, 0, 0)) for p in loaded.site.pages
    ]
    view = site_view(loaded.site)
    listing = site_view(dataclasses.replace(loaded.site, pages=tuple(blank)))
    common = {**render._common_context(view), "versioning": templates.VersionContext(), "source_prefix": ""}
    render._history(None, common)
    env = templates.environment(None)
    stamped = (TEMPLATES | set(LISTS)) - {"policy.html"}
    checked = set()
    for spec, seen in zip(render.page_specs(view), render.page_specs(listing), strict=True):
        if spec.template not in stamped:
            continue
        listed = {**common, "view": listing}
        assert templates._render_page(env, seen, listed, site / "layouts") == templates._render_page(
            env, spec, common, site / "layouts"
        ), spec.path
        checked.add(spec.template)
    assert {"offering.html", "tool.html", "home.html", "policies.html", "unsupported.html"} <= checked


def test_a_policy_page_s_body_is_in_its_own_key_not_in_the_keys_of_the_pages_that_list_it() -> None:
    # an edit to a policy page's body renders that page again in the next release, and no page
    # that lists it (an offering's, a list's); its title or headings changed renders those too
    page = _page()
    edited = _page(html=LONG_HTML[:-6] + "!</p>\n")
    edited = dataclasses.replace(edited, text="Every change is reviewed, twice")
    renamed = _page(title="Change approvals")
    moved = dataclasses.replace(_page(), headings=(model.Heading(2, "Who signs", "who-signs"),))

    def listing(listed: model.Page) -> str | None:
        spec = PageSpec("offerings/ci/index.html", "offering.html", "CI", "offerings", {"o": (listed, "ci")})
        return page_key(Stamping({}, "chrome", {}), spec)

    assert _key(edited) != _key(page)
    assert listing(edited) == listing(page) is not None
    assert len({listing(page), listing(renamed), listing(moved)}) == 3
    # the same page object as its own page and listed, in one release: each digest where it belongs
    seen = Stamping({}, "chrome", {}, _Fingerprints())
    assert page_key(seen, _spec(page)) == _key(page)
    spec = PageSpec("offerings/ci/index.html", "offering.html", "CI", "offerings", {"o": (page, "ci")})
    assert page_key(seen, spec) == listing(page)
    assert page_key(seen, _spec(page)) == _key(page)


def test_a_page_whose_context_holds_the_build_is_never_keyed() -> None:
    # a release's page keys are taken from the last tree's record when the catalog and the pages
    # are the same (stamps._views), whatever the commit: a page that showed the build's commit or
    # date other than by the stamp's placeholders would then be stale, so it is never stamped
    from servicebook.catalog.basics import BuildInfo

    build = BuildInfo(commit="a" * 40, dirty=False, date=None, generator="servicebook")
    spec = PageSpec("offerings/ci/index.html", "offering.html", "CI", "offerings", {"o": ("ci", (build,))})
    assert page_key(Stamping({}, "chrome", {}), spec) is None
    site = model.SiteContent(catalog=None, pages=(), build=build)  # type: ignore[arg-type]
    spec = PageSpec("offerings/ci/index.html", "offering.html", "CI", "offerings", {"site": site})
    assert page_key(Stamping({}, "chrome", {}), spec) is None
    assert page_key(Stamping({}, "chrome", {}), _spec(_page())) is not None
