"""`serve` builds edit after edit in one process, keeping what the last build made (the pages it
loaded, each output's key and what the key was made from): after any change the output is the one
a build from nothing makes of the same sources, byte for byte, and only what the change touched is
made again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from servicebook.site import buildcache, pagekeys
from servicebook.site.build import Options, build
from servicebook.site.fresh import PageMemory

from .conftest import FIXED_EPOCH
from .test_build_cache import clean_build, tree

HANDBOOK = "---\ntitle: On-call handbook\n---\n\n## Paging\n\nSee [approvals](change-approval.md#{anchor}).\n"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def _anchor(site: Path) -> str:
    """The id of change-approval.md's first second-level heading, as the built page has it."""
    html = (site / "public" / "policies" / "change-approval" / "index.html").read_text()
    start = html.index('<h2 id="') + len('<h2 id="')
    return html[start : html.index('"', start)]


CHANGES: list[tuple[str, Callable[[Path], None]]] = [
    (
        "a page's body",
        lambda s: _edit(s / "content" / "change-approval.md", "\n\n", "\n\nA sentence added in the preview.\n\n"),
    ),
    ("a page's title", lambda s: _edit(s / "content" / "change-approval.md", "title: ", "title: Revised ")),
    ("a page added", lambda s: (s / "content" / "on-call-handbook.md").write_text(HANDBOOK.format(anchor=_anchor(s)))),
    (
        "a heading another page links to",
        lambda s: _edit(s / "content" / "on-call-handbook.md", "## Paging", "## Paging and escalation"),
    ),
    ("a page renamed", lambda s: (s / "content" / "on-call-handbook.md").rename(s / "content" / "paging-handbook.md")),
    ("a page deleted", lambda s: (s / "content" / "paging-handbook.md").unlink()),
    (
        "an SLO's objective in catalog.yaml",
        lambda s: _edit(s / "catalog.yaml", "objective: 99.9\n", "objective: 99.95\n"),
    ),
    (
        "an offering's name, which policy pages list",
        lambda s: _edit(s / "catalog.yaml", "name: CI/CD pipelines", "name: Pipelines"),
    ),
    ("nothing", lambda s: None),
]


@pytest.mark.slow
def test_each_serve_rebuild_equals_a_build_from_nothing(run, site_copy, tmp_path) -> None:
    site = site_copy("example")
    memory = PageMemory()
    options = Options(source=site, output=site / "public", env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}, memory=memory)
    try:
        build(options)
        for what, change in CHANGES:
            change(site)
            build(options)
            assert tree(site / "public") == clean_build(run, site, tmp_path), what
    finally:
        memory.close()


def test_a_serve_rebuild_makes_again_only_the_keys_whose_inputs_changed(site_copy, monkeypatch) -> None:
    site = site_copy("example")
    memory = PageMemory()
    options = Options(source=site, output=site / "public", env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}, memory=memory)
    made: list[tuple[str, ...]] = []
    real = pagekeys.digest

    def counted(*parts: str) -> str:
        made.append(parts)
        return real(*parts)

    def policy_keys_made() -> set[str]:
        return {parts[1] for parts in made if len(parts) > 2 and parts[2] == "policy.html"}

    monkeypatch.setattr(pagekeys, "digest", counted)
    pages = sorted(p.stem for p in (site / "content").glob("*.md"))
    try:
        build(options)
        assert len(policy_keys_made()) == len(pages)  # the first build makes every key
        made.clear()
        _edit(site / "content" / "change-approval.md", "\n\n", "\n\nA sentence added in the preview.\n\n")
        build(options)
        assert policy_keys_made() == {"policies/change-approval/index.html"}
        made.clear()
        # every policy page lists the names of the offerings it applies to: a renamed offering
        # changes what they are made from
        _edit(site / "catalog.yaml", "name: CI/CD pipelines", "name: Pipelines")
        build(options)
        assert len(policy_keys_made()) == len(pages)
    finally:
        memory.close()


def test_a_serve_rebuild_trusts_its_own_output_without_asking_the_file_system_of_each_kept_file(
    site_copy, monkeypatch
) -> None:
    site = site_copy("example")
    memory = PageMemory()
    options = Options(source=site, output=site / "public", env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}, memory=memory)
    asked: list[str] = []
    real = buildcache.file_identity

    def spied(path: str) -> list[int] | None:
        asked.append(path)
        return real(path)

    monkeypatch.setattr(buildcache, "file_identity", spied)
    try:
        build(options)
        _edit(site / "content" / "change-approval.md", "\n\n", "\n\nA sentence added in the preview.\n\n")
        asked.clear()
        report = build(options)
        assert report.work is not None and sum(report.work.kept.values()) > 20
        assert [p for p in asked if p.endswith(".html")] == []  # the pages kept: none asked
    finally:
        memory.close()
    # a build without the memory (the command line) checks each kept file against its record
    _edit(site / "content" / "change-approval.md", "A sentence added", "A sentence changed")
    build(Options(source=site, output=site / "public", env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}))
    assert len(asked) > 20


def test_a_serve_rebuild_writes_the_offering_and_tool_views_out_again_only_when_what_they_show_changed(
    site_copy, monkeypatch
) -> None:
    site = site_copy("example")
    memory = PageMemory()
    options = Options(source=site, output=site / "public", env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}, memory=memory)
    written: list[str] = []
    real = pagekeys.shown

    def spied(value: object, memo: dict[int, tuple[object, str]] | None = None) -> str:
        written.append(type(value).__name__)
        return real(value, memo)

    monkeypatch.setattr(pagekeys, "shown", spied)
    try:
        build(options)
        assert {"OfferingView", "ToolView"} <= set(written)
        written.clear()
        _edit(site / "content" / "change-approval.md", "\n\n", "\n\nA sentence added in the preview.\n\n")
        build(options)
        assert "OfferingView" not in written and "ToolView" not in written  # a body: no view shows it
        _edit(site / "content" / "change-approval.md", "title: ", "title: Revised ")
        build(options)
        assert "OfferingView" in written  # a title: the views list the page by it
        written.clear()
        _edit(site / "catalog.yaml", "name: CI/CD pipelines", "name: Pipelines")
        build(options)
        assert "ToolView" in written  # the catalog
    finally:
        memory.close()
