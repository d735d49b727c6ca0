"""What the installed tool points a user at exists for them: every docs/ page (and heading) its
messages, --help texts and scaffolded files name is a real page of docs/, the wheel installs those
pages, `servicebook init` prints where, and a hint says what a user can actually do."""

from __future__ import annotations

import posixpath
import re
import tomllib
from pathlib import Path

from servicebook.catalog.basics import CATALOG_TOO_BIG
from servicebook.interop import backstage
from servicebook.source.text import SourceText

from .conftest import REPO

PACKAGE = REPO / "src" / "servicebook"
DOCS = REPO / "docs"
# docs/PAGE.md, docs/PAGE.md#anchor or docs/PAGE.md, "Heading" (not a path inside some URL)
POINTER = re.compile(r'(?<![\w/.-])docs/([\w-]+\.md)(?:#([\w-]+)|, "([^"]+)")?')
SHIPPED = (".py", ".md", ".yaml", ".html", ".js", ".css")


def _headings(page: Path) -> list[str]:
    return [line.lstrip("#").strip() for line in page.read_text().splitlines() if line.startswith("#")]


def _anchor(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def test_every_docs_page_and_heading_the_package_names_exists() -> None:
    named = []
    for path in sorted(p for p in PACKAGE.rglob("*") if p.suffix in SHIPPED and p.is_file()):
        for found in POINTER.finditer(path.read_text()):
            page, anchor, heading = found.groups()
            where = f"{path.relative_to(REPO)}: {found[0]}"
            assert (DOCS / page).is_file(), where
            if anchor:
                assert anchor in [_anchor(h) for h in _headings(DOCS / page)], where
            if heading:
                assert heading in _headings(DOCS / page), where
            named.append(page)
    assert {"writing-a-catalog.md", "federating.md", "customising.md", "portals.md"} <= set(named)


def test_init_prints_the_folder_that_holds_the_docs_pages_it_names(run, tmp_path) -> None:
    result = run("init", tmp_path / "site")
    assert result.exit_code == 0, result.output
    (folder,) = re.findall(r"^servicebook's docs/ pages, named below and in its messages: (/.*)/$", result.output, re.M)
    for page in set(POINTER.findall(result.output + (tmp_path / "site" / "catalog.yaml").read_text())):
        assert (Path(folder) / page[0]).is_file(), page


def test_the_wheel_installs_every_docs_page() -> None:
    """pyproject's data-files put docs/*.md under <prefix>/share/doc/servicebook/docs/ (tests/test_dist.py
    checks the built wheel), where init's docs_folder() finds them."""
    data_files = _data_files()
    assert data_files["share/doc/servicebook/docs"] == ["docs/*.md"]


def _data_files() -> dict[str, list[str]]:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]


MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")


def relative_links(text: str) -> list[str]:
    """The paths of a Markdown page's relative links (its code blocks aside), without their #anchor."""
    prose = re.sub(r"`[^`\n]*`", "", re.sub(r"^```.*?^```", "", text, flags=re.S | re.M))
    found = []
    for target in MARKDOWN_LINK.findall(prose):
        if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue
        found.append(target.split("#", 1)[0])
    return found


def test_every_relative_link_of_the_docs_as_the_wheel_installs_them_leads_to_a_file_it_installs() -> None:
    """Five links of the installed docs led nowhere (../CHANGELOG.md, ../examples/ci/federation/…):
    the wheel lays out, under share/doc/servicebook/, what they open as the repository does."""
    installed: set[str] = set()
    for folder, patterns in _data_files().items():
        for pattern in patterns:
            for path in REPO.glob(pattern):
                installed.add(posixpath.join(folder, path.name))
    docs = sorted(p for p in installed if p.startswith("share/doc/servicebook/docs/") and p.endswith(".md"))
    assert len(docs) == len(list((REPO / "docs").glob("*.md")))
    broken = []
    for page in docs:
        for link in relative_links((REPO / "docs" / posixpath.basename(page)).read_text()):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(page), link))
            if target not in installed:
                broken.append(f"{posixpath.basename(page)}: {link}")
    assert broken == []


def test_a_catalog_over_the_limit_is_told_what_one_site_can_do(run, tmp_path) -> None:
    """One site has one catalog.yaml: "split it up" is no help; policy pages and federation are."""
    site = tmp_path / "site"
    assert run("init", site).exit_code == 0
    with (site / "catalog.yaml").open("r+b") as catalog:
        catalog.truncate(33 * 1024 * 1024)
    result = run("check", "--source", site)
    assert result.exit_code == 1
    assert f"  hint: {CATALOG_TOO_BIG}\n" in result.output
    assert "split it up" not in result.output
    assert "policy pages under content/" in CATALOG_TOO_BIG and "docs/federating.md" in CATALOG_TOO_BIG


GROUP_AND_COMPONENT = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: platform-team
spec:
  type: team
  profile:
    displayName: Platform Team
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ci-runners
spec:
  type: service
  lifecycle: production
  owner: group:default/platform-team
"""


def test_backstage_import_names_the_team_s_offerings_owner_as_the_team_as_docs_portals_says() -> None:
    # interop21: the owner was the reference's name (platform-team) beside the team's (Platform Team)
    fragment, _ = backstage.import_entities([SourceText("catalog-info.yaml", GROUP_AND_COMPONENT)])
    assert "team:\n  name: Platform Team\n" in fragment
    assert "    owner: Platform Team\n" in fragment
    assert "  - owner: Platform Team\n        ref: group:default/platform-team\n" in fragment
    portals = " ".join((DOCS / "portals.md").read_text().split())
    assert 'the team and the owner are both "Platform Team"' in portals
    assert 'maps "Platform Team" to `group:default/platform-team`' in portals


# a module of ours a comment names by its path (site/search/text.py), not a path inside a URL or another's
MODULE = re.compile(r"(?<![\w/.-])((?:[a-z_]+/)+[a-z_]+\.py)\b")


def test_the_modules_the_published_scripts_styles_and_layouts_name_exist() -> None:
    """Each module of ours that a comment in static/ or layouts/ names (the scripts and styles
    are published as they are: every site carries their comments) is where it says: search.js
    named site/search.py, which became the package site/search/."""
    named = {
        (path.relative_to(PACKAGE).as_posix(), module)
        for folder in ("static", "layouts")
        for path in sorted((PACKAGE / folder).rglob("*"))
        if path.suffix in (".js", ".css", ".html")
        for module in MODULE.findall(path.read_text("utf-8"))
    }
    assert named  # the pattern finds what they name
    assert [(path, module) for path, module in sorted(named) if not (PACKAGE / module).is_file()] == []
