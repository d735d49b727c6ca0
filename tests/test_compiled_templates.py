"""A build keeps the templates' compiled code in the user's cache folder, and the next build's
process takes it from there instead of compiling the theme again; what it keeps can never change
what is built, nor stop a build.

Each command runs in a process of its own, forked from one that imported servicebook but never
built anything (the `servicebook_bin` fixture, tests/cliserver.py): nothing compiled reaches a
command but through the cache folder, as between two `servicebook` processes."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from jinja2.bccache import bc_magic

from servicebook.cache.folder import user_cache

from .conftest import FIXED_EPOCH


@pytest.fixture
def command(servicebook_bin: Path) -> Path:
    return servicebook_bin / "servicebook"


def servicebook(command: Path, cache: Path, *args: str) -> None:
    """One servicebook command in a process of its own, with `cache` as the user's cache folder."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH, "XDG_CACHE_HOME": str(cache)}
    done = subprocess.run([command, *args], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr


def build(command: Path, site: Path, output: Path, cache: Path) -> None:
    servicebook(command, cache, "build", "--source", str(site), "--output", str(output))


def compiled_files(cache: Path) -> dict[Path, tuple[int, int]]:
    folder = cache / "servicebook" / "templates"
    return {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}


def site_bytes(output: Path) -> dict[str, bytes]:
    return {p.relative_to(output).as_posix(): p.read_bytes() for p in sorted(output.rglob("*")) if p.is_file()}


def edit_page(site: Path, text: str) -> None:
    page = site / "content" / "welcome.md"
    page.write_text(page.read_text() + f"\n{text}\n")


def test_the_user_cache_folder_is_where_the_xdg_specification_puts_it() -> None:
    assert user_cache({"XDG_CACHE_HOME": "/var/cache/me", "HOME": "/home/me"}) == Path("/var/cache/me/servicebook")
    assert user_cache({"HOME": "/home/me"}) == Path("/home/me/.cache/servicebook")
    assert user_cache({"XDG_CACHE_HOME": "relative", "HOME": "/home/me"}) == Path("/home/me/.cache/servicebook")
    assert user_cache({}) is None


def test_the_next_build_takes_the_templates_compiled_by_the_last_one(site_copy, tmp_path, command) -> None:
    site, cache = site_copy("minimal"), tmp_path / "cache"
    build(command, site, tmp_path / "first", cache)
    kept = compiled_files(cache)
    assert len(kept) >= 5  # one file per template the build used
    edit_page(site, "A paragraph that makes the next build render again.")
    build(command, site, tmp_path / "second", cache)
    assert compiled_files(cache) == kept  # read, not written again
    other = site_copy("example")  # and so does another site's build: the theme is the same
    build(command, other, tmp_path / "other", cache)
    assert set(kept) <= set(compiled_files(cache))
    assert all(compiled_files(cache)[path] == kept[path] for path in kept)


def test_damaged_compiled_templates_are_compiled_again_and_change_nothing(site_copy, tmp_path, command) -> None:
    site, cache = site_copy("minimal"), tmp_path / "cache"
    build(command, site, tmp_path / "clean", cache)  # a first build, its templates compiled from their text
    for path in compiled_files(cache):  # Jinja's header kept, what follows it cut and garbled
        path.write_bytes(path.read_bytes()[: len(bc_magic)] + b"\x80 not what jinja wrote")
    edit_page(site, "One more paragraph.")
    build(command, site, tmp_path / "after-damage", cache)
    reference = tmp_path / "reference-site"  # the same sources, built with nothing compiled before
    shutil.copytree(site, reference, ignore=shutil.ignore_patterns(".servicebook-cache"))
    build(command, reference, tmp_path / "reference", tmp_path / "empty-cache")
    assert site_bytes(tmp_path / "after-damage") == site_bytes(tmp_path / "reference")
    assert all(b"not what" not in path.read_bytes() for path in compiled_files(cache))


def test_an_edited_layout_is_compiled_again(site_copy, tmp_path, command) -> None:
    site, cache = site_copy("minimal"), tmp_path / "cache"
    layout = site / "layouts" / "policy.html"
    layout.parent.mkdir()
    banner = '{%% extends "theme/policy.html" %%}{%% block content %%}<p class="banner">%s</p>{{ super() }}{%% endblock %%}\n'
    layout.write_text(banner % "first banner")
    build(command, site, tmp_path / "first", cache)
    layout.write_text(banner % "second banner")
    build(command, site, tmp_path / "second", cache)
    page = (tmp_path / "second" / "policies" / "welcome" / "index.html").read_text()
    assert "second banner" in page
    assert "first banner" not in page


def test_a_cache_folder_that_cannot_be_written_only_costs_the_compiling(site_copy, tmp_path, command) -> None:
    site, cache = site_copy("minimal"), tmp_path / "cache"
    cache.mkdir()
    (cache / "servicebook").write_text("a file where the folder would be")
    build(command, site, tmp_path / "out", cache)
    assert (tmp_path / "out" / "index.html").is_file()


def test_another_servicebooks_compiled_templates_go_a_month_after_their_last_use(site_copy, tmp_path, command) -> None:
    site, cache = site_copy("minimal"), tmp_path / "cache"
    folders = cache / "servicebook" / "templates"
    unused, recent = folders / "0123456789abcdef", folders / "fedcba9876543210"
    for folder, days in ((unused, 31), (recent, 29)):
        folder.mkdir(parents=True)
        (folder / "some-template.cache").write_bytes(b"another servicebook's")
        then = (folder.stat().st_mtime - days * 86400,) * 2
        os.utime(folder, then)
    build(command, site, tmp_path / "out", cache)
    assert not unused.exists()
    assert recent.exists()
    assert len(list(folders.iterdir())) == 2  # the recent one and this servicebook's


def test_check_takes_and_keeps_the_compiled_templates_as_a_build_does(site_copy, tmp_path, command) -> None:
    site, cache = site_copy("minimal"), tmp_path / "cache"
    servicebook(command, cache, "check", "--source", str(site))
    kept = compiled_files(cache)
    assert len(kept) >= 5  # `check` renders every page, so it compiles what a build compiles
    build(command, site, tmp_path / "site", cache)  # and the build after it compiles nothing again
    assert compiled_files(cache) == kept
    assert not (site / "public").exists()  # check still writes nothing into the site
