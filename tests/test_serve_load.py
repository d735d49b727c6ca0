"""`serve`'s rebuilds after an edit start from what changed: the survey looks again only at the
files the watcher reported (fresh.rescan; a full survey afterwards catches what it missed), and the
load takes again what the last load found where its inputs are the same (load.LoadMemo: content/'s
listing, each page's key, which pages' links to headings all lead somewhere). They find what a
build from nothing finds: the same site, the same errors."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from servicebook.catalog import model
from servicebook.content.markdown import PackedRefs
from servicebook.errors import BuildFailed
from servicebook.git.repo import BUILD_INPUTS
from servicebook.site import fresh
from servicebook.site import load as load_stage
from servicebook.site.build import Options, build
from servicebook.site.fresh import PageMemory, rescan, scan_sources
from servicebook.site.load import BodySpool, PageResult
from servicebook.site.serve import Preview

from .conftest import FIXED_EPOCH
from .sitefiles import clean_build, tree


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


def _preview(site: Path) -> tuple[Preview, list[str]]:
    said: list[str] = []
    return Preview(site, {"SOURCE_DATE_EPOCH": FIXED_EPOCH}, said.append, said.append), said


def test_a_serve_rebuild_surveys_only_the_files_the_watcher_reported_and_a_quiet_round_checks_the_rest(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    site = site_copy("example")
    surveyed: list[Path] = []
    real = fresh.scan_sources
    monkeypatch.setattr(fresh, "scan_sources", lambda root, *rest: surveyed.append(root) or real(root, *rest))
    preview, said = _preview(site)
    site = preview.source  # (resolved) as the preview surveys it
    page, other = site / "content" / "change-approval.md", site / "content" / "backups-and-restore.md"
    try:
        assert preview.rebuild()
        assert surveyed.count(site) == 1
        preview.verify()  # after a full survey: nothing to check
        assert surveyed.count(site) == 1
        _edit(page, "\n\n", "\n\nA sentence added in the preview.\n\n")
        assert preview.rebuild([page])
        assert surveyed.count(site) == 1  # the page alone was looked at again
        assert tree(preview.output) == clean_build(run, site, tmp_path)
        # an edit the watcher did not report (or reported late): the site is stale until the next
        # quiet round, which surveys every file and rebuilds
        _edit(other, "\n\n", "\n\nA sentence the watcher missed.\n\n")
        _edit(page, "\n\n", "\n\nAnother sentence.\n\n")
        assert preview.rebuild([page])
        said.clear()
        preview.verify()
        assert surveyed.count(site) == 2
        assert len(said) == 1
        assert re.fullmatch(r"\[.+\] .*/content/backups-and-restore\.md changed: rebuilt 1 of \d+ pages in .+", said[0])
        assert tree(preview.output) == clean_build(run, site, tmp_path)
        preview.verify()  # that rebuild too looked at the file it was told of alone: checked in full again
        assert surveyed.count(site) == 3
        preview.verify()
        assert surveyed.count(site) == 3
    finally:
        preview.close()


def test_a_rebuild_that_failed_before_its_survey_leaves_its_changed_files_to_the_next_one(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    site = site_copy("example")
    preview, _ = _preview(site)
    page, other = site / "content" / "change-approval.md", site / "content" / "backups-and-restore.md"
    real = fresh.check_output_dir
    try:
        assert preview.rebuild()
        _edit(page, "\n\n", "\n\nA sentence added in the preview.\n\n")
        monkeypatch.setattr(fresh, "check_output_dir", lambda *args: (_ for _ in ()).throw(OSError("no space")))
        assert not preview.rebuild([page])
        monkeypatch.setattr(fresh, "check_output_dir", real)
        _edit(other, "\n\n", "\n\nA second edit.\n\n")
        assert preview.rebuild([other])
        assert tree(preview.output) == clean_build(run, site, tmp_path)
    finally:
        preview.close()


def _hashes(root: Path) -> dict[str, str]:
    return scan_sources(root, BUILD_INPUTS)[0]


@pytest.mark.parametrize(
    ("what", "change", "paths", "follows"),
    [
        ("a page edited", lambda c: (c / "a.md").write_text("changed"), ["content/a.md"], True),
        ("a page added", lambda c: (c / "new.md").write_text("new"), ["content/new.md"], True),
        ("a page deleted", lambda c: (c / "a.md").unlink(), ["content/a.md"], True),
        (
            "a page replaced by a link",
            lambda c: ((c / "a.md").unlink(), (c / "a.md").symlink_to("b.md")),
            ["content/a.md"],
            True,
        ),
        ("a file reported that did not change", lambda c: None, ["content/b.md", "content/gone.md"], True),
        (
            "a folder made",
            lambda c: ((c / "sub").mkdir(), (c / "sub" / "x.md").write_text("x")),
            ["content/sub"],
            False,
        ),
        ("a folder removed", lambda c: shutil.rmtree(c / "team"), ["content/team"], False),
        ("a file outside the sources", lambda c: None, ["README.md"], False),
    ],
)
def test_a_rescan_of_the_reported_files_finds_what_a_full_survey_finds_or_declines(
    tmp_path, what, change, paths, follows
) -> None:
    content = tmp_path / "content"
    (content / "team").mkdir(parents=True)
    for name in ("a.md", "b.md", "team/c.md"):
        (content / name).write_text(name)
    (tmp_path / "catalog.yaml").write_text("site: {}\n")
    last = scan_sources(tmp_path, BUILD_INPUTS)
    change(content)
    found = rescan(tmp_path, BUILD_INPUTS, last, paths)
    if not follows:
        assert found is None, what
        return
    assert found is not None, what
    assert found[0] == _hashes(tmp_path), what
