"""The write stage of a rebuild changes only what differs from the site it starts from, also the
first rebuild after a full build, and records exactly what the output then holds."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from servicebook.cache.store import Store
from servicebook.site import write
from servicebook.site.build import Options, build
from servicebook.site.fresh import Manifest, tree_identity
from servicebook.site.write import SiteFiles

from .conftest import FIXED_EPOCH, SITES

CHANGING_OPS = ("link", "unlink", "rename", "mkdir", "rmdir")


def _options(site: Path) -> Options:
    return Options(source=site, output=site / "public", env={"SOURCE_DATE_EPOCH": FIXED_EPOCH})


def _files(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_ino for p in sorted(root.rglob("*")) if p.is_file()}


def _recorded(site: Path) -> dict[str, list[int]]:
    with Store.for_site(site) as store:
        text = store.manifest(str((site / "public").resolve()))
    assert text is not None
    return dict(Manifest.from_json(text).outputs)


def _count_write_ops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The file-system changes made from write.py (files written, links, renames, folders)."""
    made: list[str] = []

    def counted(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def op(*args: Any, **kwargs: Any) -> Any:
            made.append(name)
            return real(*args, **kwargs)

        return op

    for name in CHANGING_OPS:
        monkeypatch.setattr(write.os, name, counted(name, getattr(os, name)))
    monkeypatch.setattr(write.Path, "write_bytes", counted("write_bytes", Path.write_bytes))
    monkeypatch.setattr(write.Path, "mkdir", counted("mkdir", Path.mkdir))
    return made


def test_a_full_build_leaves_a_spare_of_hard_links_to_its_own_files(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    build(_options(site))
    spare = site / ".servicebook-cache" / "build" / "public.spare"
    public = _files(site / "public")
    assert _files(spare) == public  # the very files: same names, same inodes
    assert not list(site.glob(".public.*"))


def test_the_first_rebuild_after_a_full_build_changes_only_what_differs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    build(_options(site))
    before = _files(site / "public")
    page = site / "content/welcome.md"
    page.write_text(page.read_text() + "\nOne more paragraph.\n")
    made = _count_write_ops(monkeypatch)
    report = build(_options(site))
    monkeypatch.undo()
    after = _files(site / "public")
    changed = [p for p in after if before.get(p) != after[p]]  # made again: a file of its own
    kept = [p for p in after if before.get(p) == after[p]]
    assert report.work is not None and report.work.kept["policy pages"] == 0
    assert len(kept) >= 10
    # The kept files were already in place in the spare it started from: none linked again
    # (a full staging folder would have linked each of them), none written.
    assert made.count("link") == 0, made
    assert made.count("write_bytes") <= len(changed)


def test_what_a_rebuild_records_of_the_output_is_what_the_output_holds(tmp_path: Path) -> None:
    """The manifest's identity of every output file is worked out from what was written, not read
    from the output: it must be exactly what reading the output gives, or a build with nothing to
    do would not be recognised as such."""
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    page = site / "content/welcome.md"
    for edit in range(3):
        if edit:
            page.write_text(page.read_text() + f"\nEdit {edit}.\n")
        build(_options(site))
        assert _recorded(site) == tree_identity(site / "public")
        again = build(_options(site))
        assert again.work is not None and again.work.unchanged


def test_the_files_of_a_large_site_are_held_by_their_paths_as_text_not_as_path_objects(tmp_path) -> None:
    """A cold build of 20,000 pages holds every output file's place in the spool until the write
    stage: as a string, not a `pathlib.Path` (which holds its parts too: twice the memory, 4 MiB of
    the parent at 5k). The write stage still gets a `Path` for each file it may move."""
    spool = tmp_path / "spool"
    files = SiteFiles()
    files.put_file("policies/a/index.html", spool / "policies/a/index.html", movable=True)
    files.put_file("policies/b/index.html", tmp_path / "public/policies/b/index.html", movable=False)
    assert [type(held) for held in files._data.values()] == [str, str]
    assert files.file("policies/a/index.html") == spool / "policies/a/index.html"
    assert files.file("policies/b/index.html") is None  # kept in the output: linked, never moved
    assert files.file("not/there.html") is None
