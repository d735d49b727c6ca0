"""`serve`'s loads after an edit take again what the last load found where its inputs are the same
(load.LoadMemo: content/'s listing, each page's key, which pages' links to headings all lead
somewhere), and find what a load from nothing finds: the same site, the same errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from servicebook.catalog import model
from servicebook.content.markdown import PackedRefs
from servicebook.errors import BuildFailed
from servicebook.site import load as load_stage
from servicebook.site.build import Options, build
from servicebook.site.fresh import PageMemory
from servicebook.site.load import BodySpool, PageResult

from .conftest import FIXED_EPOCH
from .test_build_cache import clean_build, tree


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The folders of a site just copied count as settled (load.RACY_NS): their listing is taken
    again by the next load while they do not change."""
    monkeypatch.setattr(load_stage, "RACY_NS", 0)


def _serve(site: Path) -> tuple[Options, PageMemory]:
    memory = PageMemory()
    return Options(source=site, output=site / "public", env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}, memory=memory), memory


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def _failure(options: Options) -> list[str]:
    with pytest.raises(BuildFailed) as failed:
        build(options)
    return [f"{p.location.path}: {p.message}" for p in failed.value.problems]


def test_a_serve_load_lists_content_again_only_after_a_folder_under_it_changed(
    run, site_copy, tmp_path, monkeypatch, settled
) -> None:
    site = site_copy("example")
    options, memory = _serve(site)
    listed: list[Path] = []
    real = load_stage._list_content
    monkeypatch.setattr(load_stage, "_list_content", lambda root, *rest: listed.append(root) or real(root, *rest))
    try:
        build(options)
        assert len(listed) == 1
        _edit(site / "content" / "change-approval.md", "\n\n", "\n\nA sentence added in the preview.\n\n")
        build(options)
        assert len(listed) == 1  # an edit of a page's text leaves content/'s folders as they were
        (site / "content" / "My drafts").mkdir()  # a folder whose name cannot be part of a URL
        (site / "content" / "My drafts" / "rota.md").write_text("---\ntitle: Rota\n---\n\nWho is on call.\n")
        assert "content/My drafts: folder name 'My drafts' cannot be part of a URL" in _failure(options)
        assert len(listed) == 2
        shutil.rmtree(site / "content" / "My drafts")
        (site / "content" / "team").mkdir()
        (site / "content" / "team" / "rota.md").write_text("---\ntitle: Rota\n---\n\nWho is on call.\n")
        build(options)
        assert len(listed) == 3
        assert tree(site / "public") == clean_build(run, site, tmp_path)
    finally:
        memory.close()


def test_a_serve_rebuild_finds_a_link_broken_by_an_edit_of_the_page_it_leads_to(
    run, site_copy, tmp_path, settled
) -> None:
    """backups-and-restore.md links to change-approval.md#rollback: renaming that heading breaks
    the link though the linking page did not change, and mending the link mends the build."""
    site = site_copy("example")
    options, memory = _serve(site)
    try:
        build(options)
        _edit(site / "content" / "change-approval.md", "## Rollback", "## Rolling back")
        _edit(site / "content" / "change-approval.md", "(#rollback)", "(#rolling-back)")  # its own link to it
        assert "content/backups-and-restore.md: broken link: page 'change-approval' has no heading '#rollback'" in (
            _failure(options)
        )
        assert run("check", "--source", site).exit_code != 0  # as a check from nothing finds
        _edit(
            site / "content" / "backups-and-restore.md",
            "change-approval.md#rollback",
            "change-approval.md#rolling-back",
        )
        build(options)
        assert tree(site / "public") == clean_build(run, site, tmp_path)
        _edit(site / "content" / "backups-and-restore.md", "change-approval.md#rolling-back", "change-approval.md#gone")
        assert _failure(options) == [
            "content/backups-and-restore.md: broken link: page 'change-approval' has no heading '#gone'"
        ]
    finally:
        memory.close()


def _page_result() -> PageResult:
    page = model.Page(
        slug="rota",
        source="content/rota.md",
        meta=model.PageMeta(title="Rota"),
        body="<p>Who is on call.</p>",
        text="Who is on call.",
        headings=(),
        html_sha256="0" * 64,
    )
    return PageResult(page, (), PackedRefs(), (), "digest")


def test_a_page_kept_for_its_build_and_for_serve_s_memory_is_one_object() -> None:
    """A page loaded in `serve` is kept in the spool twice, for the build and for the memory of
    pages (store.Remembering): the two must be the same object, or what later stages remember by
    a page's identity serves only from the second rebuild on."""
    result = _page_result()
    with BodySpool() as spool:
        kept = spool.keep(result)
        assert kept.page is not None and kept.page.spooled
        assert spool.keep(result) is kept
        assert spool.keep(_page_result()) is not kept  # another page (its HTML is placed once)
