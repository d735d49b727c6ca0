"""A build keeps the templates' compiled code in the site's cache folder, and the next build's
process takes it from there instead of compiling the theme again; what it keeps can never change
what is built, nor stop a build."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from jinja2.bccache import bc_magic

from .conftest import FIXED_EPOCH


def build(site: Path, output: Path) -> None:
    env = {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH}
    done = subprocess.run(
        [sys.executable, "-m", "servicebook", "build", "--source", str(site), "--output", str(output)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def compiled_files(site: Path) -> dict[Path, tuple[int, int]]:
    folder = site / ".servicebook-cache" / "templates"
    return {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}


def site_bytes(output: Path) -> dict[str, bytes]:
    return {p.relative_to(output).as_posix(): p.read_bytes() for p in sorted(output.rglob("*")) if p.is_file()}


def edit_page(site: Path, text: str) -> None:
    page = site / "content" / "welcome.md"
    page.write_text(page.read_text() + f"\n{text}\n")


def test_the_next_build_takes_the_templates_compiled_by_the_last_one(site_copy, tmp_path) -> None:
    site = site_copy("minimal")
    build(site, tmp_path / "first")
    kept = compiled_files(site)
    assert len(kept) >= 5  # one file per template the build used
    edit_page(site, "A paragraph that makes the next build render again.")
    build(site, tmp_path / "second")
    assert compiled_files(site) == kept  # read, not written again


def test_damaged_compiled_templates_are_compiled_again_and_change_nothing(site_copy, tmp_path) -> None:
    site = site_copy("minimal")
    build(site, tmp_path / "clean")  # a first build, its templates compiled from their text
    for path in compiled_files(site):  # Jinja's header kept, what follows it cut and garbled
        path.write_bytes(path.read_bytes()[: len(bc_magic)] + b"\x80 not what jinja wrote")
    edit_page(site, "One more paragraph.")
    build(site, tmp_path / "after-damage")
    reference = tmp_path / "reference-site"  # the same sources, built with nothing compiled before
    shutil.copytree(site, reference, ignore=shutil.ignore_patterns(".servicebook-cache"))
    build(reference, tmp_path / "reference")
    assert site_bytes(tmp_path / "after-damage") == site_bytes(tmp_path / "reference")
    assert all(
        path.read_bytes().startswith(b"j2") and b"not what" not in path.read_bytes() for path in compiled_files(site)
    )


def test_an_edited_layout_is_compiled_again(site_copy, tmp_path) -> None:
    site = site_copy("minimal")
    layout = site / "layouts" / "policy.html"
    layout.parent.mkdir()
    banner = '{%% extends "theme/policy.html" %%}{%% block content %%}<p class="banner">%s</p>{{ super() }}{%% endblock %%}\n'
    layout.write_text(banner % "first banner")
    build(site, tmp_path / "first")
    layout.write_text(banner % "second banner")
    build(site, tmp_path / "second")
    page = (tmp_path / "second" / "policies" / "welcome" / "index.html").read_text()
    assert "second banner" in page
    assert "first banner" not in page


def test_a_cache_folder_that_cannot_be_written_only_costs_the_compiling(site_copy, tmp_path) -> None:
    site = site_copy("minimal")
    cache = site / ".servicebook-cache"
    cache.mkdir()
    (cache / "templates").write_text("a file where the folder would be")
    build(site, tmp_path / "out")
    assert (tmp_path / "out" / "index.html").is_file()


def test_only_the_running_servicebooks_compiled_templates_are_kept(site_copy, tmp_path) -> None:
    # each servicebook keeps its own (its code decides how a template compiles); an upgrade
    # leaves the last one's behind, which the next build removes
    site = site_copy("minimal")
    older = site / ".servicebook-cache" / "templates" / "0123456789abcdef"
    older.mkdir(parents=True)
    (older / "some-template.cache").write_bytes(b"an older servicebook's")
    build(site, tmp_path / "out")
    assert not older.exists()
    assert len(list((site / ".servicebook-cache" / "templates").iterdir())) == 1
