"""A disk that fills during a build: the build fails with a message true for the case, takes back
the space it used (the store's write-ahead log included), and the next build on a disk with room
succeeds without anyone cleaning up. On a real small file system (a tmpfs of a few megabytes),
never a simulated error."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import SITES, GitSite, require_component
from .sitefiles import tree


def free(path: Path) -> int:
    info = os.statvfs(path)
    return info.f_bavail * info.f_frsize


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A 24 MiB tmpfs of its own (mounting needs root: CI runs as root)."""
    where = tmp_path / "disk"
    where.mkdir()
    mounted = (
        os.geteuid() == 0
        and shutil.which("mount") is not None
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(where)], capture_output=True, check=False
        ).returncode
        == 0
    )
    require_component(mounted, "a small file system to fill (mount -t tmpfs)", "run the tests as root")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(disk: Path, leave: int) -> Path:
    """A file taking all the free space of `disk` but `leave` bytes."""
    filler = disk / "filler"
    with open(filler, "wb") as f, contextlib.suppress(OSError):
        f.truncate(0)
        f.write(b"\0" * max(0, free(disk) - leave))
    return filler


def example(site_copy, disk: Path) -> Path:
    site = site_copy("example")
    shutil.copytree(site, disk / "site")
    return disk / "site"


def rewrite_every_page(site: Path) -> None:
    """A change that every page shows (the team's name), so a build renders them all again."""
    catalog = site / "catalog.yaml"
    text = catalog.read_text()
    catalog.write_text(text.replace("  name: Platform Engineering", "  name: Platform Engineering Team", 1))
    assert catalog.read_text() != text


def test_a_first_build_on_a_full_disk_says_no_site_was_written_and_gives_the_space_back(
    run, site_copy, disk: Path
) -> None:
    site = example(site_copy, disk)
    filler = fill(disk, leave=256 * 1024)
    before = free(disk)
    result = run("build", "--source", site)
    assert result.exit_code == 2, result.output
    assert "No space left on device" in result.stderr
    assert result.stderr.rstrip().endswith("no site was written")
    assert "previous site" not in result.stderr  # there was none
    assert not (site / "public").exists()
    assert free(disk) >= before - 64 * 1024  # no staging folder, no write-ahead log holding it
    filler.unlink()
    result = run("build", "--source", site)
    assert result.exit_code == 0, result.output


def test_a_rebuild_on_a_full_disk_keeps_the_site_and_the_next_build_with_room_succeeds(
    run, site_copy, disk: Path, tmp_path: Path
) -> None:
    site = example(site_copy, disk)
    assert run("build", "--source", site).exit_code == 0
    published = tree(site / "public")
    rewrite_every_page(site)
    filler = fill(disk, leave=192 * 1024)
    before = free(disk)
    result = run("build", "--source", site)
    assert result.exit_code == 2, result.output
    assert "No space left on device" in result.stderr
    assert result.stderr.rstrip().endswith("the previous site was left as it was")
    assert tree(site / "public") == published
    assert free(disk) >= before - 64 * 1024
    filler.unlink()  # the disk has room again: nobody deletes the cache
    result = run("build", "--source", site)
    assert result.exit_code == 0, result.output
    clean = tmp_path / "clean"
    shutil.copytree(site, clean, ignore=shutil.ignore_patterns("public", ".servicebook-cache"))
    assert run("build", "--source", clean).exit_code == 0
    assert tree(site / "public") == tree(clean / "public")


@pytest.mark.git
@pytest.mark.parametrize("full", ["cache", "temporary folder"])
def test_a_release_that_fills_the_disk_fails_the_build_without_a_traceback(
    run, disk: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, full: str
) -> None:
    """The releases are built into the build cache, from their sources in the cache too (the
    folder the last build left, cache.releases ReleaseTrees.sources), before the site is
    written: a full disk under the cache is the same clean failure as under the site, not an
    OSError's traceback; a full temporary folder is no failure of a release built from the last
    build's sources (nothing of it is written there)."""
    root = (disk if full == "cache" else tmp_path) / "site"
    root.mkdir()
    site = GitSite(root)
    shutil.copytree(SITES / "minimal/content", site.root / "content")
    catalog = (SITES / "minimal/catalog.yaml").read_text()
    site.write("catalog.yaml", catalog.replace('version: "0.1"', 'version: "1.0"'))
    site.write(".gitignore", "/public/\n/.servicebook-cache/\n")
    site.commit("1.0")
    site.tag("v1.0")
    assert run("build", "--source", site.root).exit_code == 0
    published = tree(site.root / "public")
    site.write("catalog.yaml", catalog.replace('version: "0.1"', 'version: "1.1"'))
    site.commit("1.1: a release to build")
    if full == "temporary folder":
        monkeypatch.setattr(tempfile, "tempdir", str(disk))
    filler = fill(disk, leave=128 * 1024 if full == "cache" else 0)
    result = run("build", "--source", site.root)
    if full == "temporary folder":
        assert result.exit_code == 0, result.output
        assert (site.root / "public/v/1.1/index.html").is_file()
        return
    assert result.exit_code == 2, result.output
    assert "No space left on device" in result.stderr
    assert result.stderr.rstrip().endswith("the previous site was left as it was")
    assert tree(site.root / "public") == published
    filler.unlink()
    result = run("build", "--source", site.root)
    assert result.exit_code == 0, result.output
    assert (site.root / "public/v/1.1/index.html").is_file()
