"""URLs have one owner (routes.py) and the files made by code one registry (site/outputs.py): a
page type added to the routes table reaches every consumer, nothing else spells a site path, and
verify, the sitemap and the manifest list the same files."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from servicebook import routes
from servicebook.git.versions import parse_manifest
from servicebook.site import outputs
from servicebook.site.verify import _hashes

from .conftest import REPO, GitSite
from .test_search_index import read_index

SRC = REPO / "src" / "servicebook"

GLOSSARY = routes.FixedPage(
    "glossary",
    "glossary/",
    "support.html",  # any template that needs nothing of its own (a paged list's needs its part)
    "Glossary",
    "glossary",
    nav="Glossary",
    search=routes.Searchable("Glossary: the words we use", "What the catalog's words mean.", "terms words"),
)


def test_a_page_added_to_the_routes_table_reaches_every_consumer(
    monkeypatch: pytest.MonkeyPatch, run, site_copy
) -> None:
    pages = routes.FIXED_PAGES
    at = next(i for i, page in enumerate(pages) if page.name == "404")
    monkeypatch.setattr(routes, "FIXED_PAGES", (*pages[:at], GLOSSARY, *pages[at:]))
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_text(
        catalog.read_text().replace(
            "  title: Platform services\n", "  title: Platform services\n  base_url: https://platform.example/\n"
        )
    )
    welcome = site / "content/welcome.md"
    welcome.write_text(welcome.read_text() + "\nThe [words we use](site:glossary).\n")

    result = run("build", "--source", site, "--output", site / "public", "--no-versions")

    assert result.exit_code == 0, result.output
    public = site / "public"
    assert (public / "glossary/index.html").is_file()  # rendered
    assert 'href="../../glossary/"' in (public / "policies/welcome/index.html").read_text()  # Markdown's site: link
    assert '<a href="glossary/">Glossary</a>' in (public / "index.html").read_text()  # the navigation
    records = read_index(public)["records"]
    assert {"k": "page", "t": "Glossary: the words we use", "u": "glossary/", "s": "What the catalog's words mean.",
            "x": "terms words"} in records  # fmt: skip
    assert "<loc>https://platform.example/glossary/</loc>" in (public / routes.SITEMAP).read_text()
    assert "glossary/index.html" in parse_manifest((public / routes.MANIFEST).read_text())


def test_site_links_name_the_linkable_fixed_pages_of_the_one_table() -> None:
    assert routes.site_names() == {page.name for page in routes.FIXED_PAGES if page.linkable}
    assert {"", "support", "changes", "catalog"} <= routes.site_names()
    assert "404" not in routes.site_names()


def test_the_navigation_and_the_release_only_pages_come_from_the_table() -> None:
    assert routes.nav(history=False) == (
        ("home", "Home", ""),
        ("offerings", "Offerings", "offerings/"),
        ("slos", "SLOs", "slos/"),
        ("support", "Support", "support/"),
        ("tools", "Tools", "tools/"),
        ("unsupported", "Not supported", "unsupported/"),
        ("policies", "Policies", "policies/"),
    )
    assert routes.nav()[-1] == ("changes", "Changes", "changes/")
    assert [page.url for page in routes.root_only()] == ["changes/", "versions/"]
    # what a release's own pages may link to of those: each release publishes a page there
    assert [page.url for page in routes.release_pointers()] == ["changes/"]
    assert routes.from_release("1.0", "changes/") == "../../../changes/"


@pytest.mark.parametrize(
    ("path", "found"),
    [
        ("offerings/ci/index.html", ("offering", "ci")),
        ("tools/jest/index.html", ("tool", "jest")),
        ("policies/guides/rollback/index.html", ("policy", "guides/rollback")),
        ("policies/index.html", None),
        ("changes/2/index.html", None),
        # a member's offering on an organisation site (docs/federating.md): <member>/<id>
        ("offerings/db-team/postgres/index.html", ("offering", "db-team/postgres")),
        ("offerings/ci/extra/deeper/index.html", None),
        # the parts of a paged list (routes.part) are no entity's
        ("tools/index/2/index.html", None),
        ("policies/index/12/index.html", None),
        ("search/index/3/index.html", None),
    ],
)
def test_an_output_path_names_its_entity(path: str, found: tuple[str, str] | None) -> None:
    assert routes.entity_at(path) == found
    if found is not None:
        assert routes.output_path(routes.entity(*found)) == path  # type: ignore[arg-type]


def test_the_changes_pages_are_the_changes_page() -> None:
    assert routes.changes(1) == "changes/" and routes.changes(3) == "changes/3/"
    assert routes.fixed_at("changes/3/index.html") == routes.fixed_page("changes")
    assert routes.fixed_at("support/index.html") == routes.fixed_page("support")
    assert routes.fixed_at("offerings/ci/index.html") is None


def test_the_site_root_is_reached_from_any_page_of_the_root_or_of_a_release() -> None:
    assert routes.site_root("") == "./"
    assert routes.site_root("offerings/ci/") == "../../"
    # a release is published under v/<version>/: its pages climb out of it
    assert routes.site_root("", "1.0") == "../../"
    assert routes.site_root("offerings/ci/", "1.0") == "../../../../"


def test_no_layout_climbs_to_a_url_by_hand() -> None:
    """Templates link with url() and site_root, which routes.py makes: a '../' written in a layout
    would be a URL routes.py does not know of."""
    layouts = REPO / "src" / "servicebook" / "layouts"
    assert [p.name for p in sorted(layouts.rglob("*.html")) if "../" in p.read_text("utf-8")] == []


# What a site path starts with: a string in our code that starts so spells a URL routes.py owns.
ROUTED = tuple(
    sorted(
        {p.url.split("/")[0] + "/" for p in routes.FIXED_PAGES if "/" in p.url}
        | {"offerings/", "tools/", "policies/", "v/", "assets/"}
    )
)


def _spelled_paths(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            first = node.values[0] if node.values else None
            text = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else ""
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if text.startswith(ROUTED):
            found.append((node.lineno, text))
    return found


def test_no_module_but_routes_spells_a_site_path() -> None:
    """The old copies of the page table cannot come back: there is one list, and a path written
    anywhere else (`"policies/"`, `f"offerings/{id}/"`) fails here."""
    spelled = {
        f"{path.relative_to(SRC)}:{line}: {text!r}"
        for path in sorted(SRC.rglob("*.py"))
        if path.name != "routes.py"
        for line, text in _spelled_paths(ast.parse(path.read_text("utf-8")))
    }
    assert spelled == set()


def test_every_output_of_the_registry_has_a_path_of_its_own() -> None:
    paths = [o.path for o in (*outputs.DATA, *outputs.SITE_FILES, *outputs.SITE, *outputs.PUBLISHED)]
    assert len(paths) == len(set(paths))
    assert paths[-1] == routes.MANIFEST  # it lists every file made before it
    pages = {routes.output_path(p.url) for p in routes.FIXED_PAGES}
    assert not pages & set(paths)
    folders = [o.path for o in outputs.SITE_FILES]  # the files each makes are under it, and only there
    assert all(f.endswith("/") for f in folders)
    assert not [p for p in paths if p not in folders and p.startswith(tuple(folders))]
    assert not [p for p in pages if p.startswith(tuple(folders))]


@pytest.mark.git
def test_verify_the_sitemap_and_the_manifest_list_the_same_files(git_site: GitSite, run, tmp_path: Path) -> None:
    git_site.edit("  title: Platform services\n", "  title: Platform services\n  base_url: https://platform.example/\n")
    git_site.edit(
        "  - id: ci\n    name: CI pipelines\n", "  - id: ci\n    name: CI pipelines\n    renamed_from: [pipelines]\n"
    )
    git_site.commit("Published at an address; the CI offering had another id")
    git_site.tag("v0.1")
    public = tmp_path / "public"

    result = run("build", "--source", git_site.root, "--output", public)

    assert result.exit_code == 0, result.output
    listed = set(parse_manifest((public / routes.MANIFEST).read_text()))
    release = routes.release("0.1")
    in_release = set(parse_manifest((public / release / routes.MANIFEST).read_text()))
    # verify compares every file of the tree: the root's manifest and the release's list them all
    assert set(_hashes(public)) == listed | {release + p for p in in_release} | {
        routes.MANIFEST,
        release + routes.MANIFEST,
    }
    # every output of the registry is made by a build with history, releases and an address
    assert {o.path for o in (*outputs.DATA, *outputs.SITE, *outputs.PUBLISHED)} - {routes.MANIFEST} <= listed
    # the sitemap: every page the manifest lists, but the not-found page and the old ids' pages
    moved = routes.output_path(routes.offering("pipelines"))
    assert moved in listed
    sitemap = re.findall(r"<loc>https://platform\.example/(.*)</loc>", (public / routes.SITEMAP).read_text())
    pages = {p for p in listed if p.endswith(".html")} - {routes.NOT_FOUND, moved}
    assert sorted(sitemap) == sorted(p.removesuffix("index.html") for p in pages)
