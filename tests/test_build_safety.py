"""A failed build changes nothing; a build never destroys what is not its own; builds are reproducible."""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import FIXED_EPOCH, REPO


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_failed_build_leaves_previous_public_exactly_as_it_was(run, site_copy) -> None:
    site = site_copy("minimal")
    assert run("build", "--source", site).exit_code == 0
    before = tree(site / "public")
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("lifecycle: ga", "lifecycle: gaa"))
    result = run("build", "--source", site)
    assert result.exit_code == 1
    assert "nothing was written" in result.stderr
    assert tree(site / "public") == before
    assert not list(site.glob(".public.*"))


def test_successful_rebuild_replaces_the_site_whole(run, site_copy) -> None:
    site = site_copy("minimal")
    assert run("build", "--source", site).exit_code == 0
    (site / "content/welcome.md").rename(site / "content/how-we-work.md")
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("policies: [welcome]", "policies: [how-we-work]"))
    assert run("build", "--source", site).exit_code == 0
    assert (site / "public/policies/how-we-work/index.html").exists()
    assert not (site / "public/policies/welcome").exists()  # no stale pages
    assert not list(site.glob(".public.*"))


def test_refuses_to_replace_a_folder_it_did_not_make(run, site_copy, tmp_path) -> None:
    site = site_copy("minimal")
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    result = run("build", "--source", site, "--output", precious)
    assert result.exit_code == 2
    assert "not made by servicebook" in result.stderr
    assert (precious / "thesis.tex").read_text() == "years of work"


def test_refuses_root_home_and_source_as_output(run, site_copy) -> None:
    site = site_copy("minimal")
    for output in ("/", str(Path.home()), str(site), str(site / "content")):
        result = run("build", "--source", site, "--output", output)
        assert result.exit_code == 2, output
        assert "refusing" in result.stderr


def test_malformed_source_date_epoch_is_an_error(site_copy) -> None:
    from click.testing import CliRunner

    from servicebook.cli import main

    result = CliRunner().invoke(
        main, ["build", "--source", str(site_copy("minimal"))], env={"SOURCE_DATE_EPOCH": "yesterday"}
    )
    assert result.exit_code == 2
    assert "SOURCE_DATE_EPOCH must be a whole number" in result.stderr


def _build_in_subprocess(site: Path, out: Path, **env: str) -> None:
    full_env = {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH, **env}
    subprocess.run(
        [sys.executable, str(REPO / "build.py"), "build", "--source", str(site), "--output", str(out)],
        check=True,
        env=full_env,
        capture_output=True,
    )


@pytest.mark.slow
def test_two_builds_are_byte_identical_whatever_the_environment(site_copy, tmp_path) -> None:
    first = site_copy("example")
    second = tmp_path / "elsewhere" / "deeper" / "copy"
    shutil.copytree(first, second)
    _build_in_subprocess(first, tmp_path / "out1", PYTHONHASHSEED="1", TZ="Pacific/Kiritimati", LC_ALL="C")
    _build_in_subprocess(second, tmp_path / "out2", PYTHONHASHSEED="4242", TZ="America/Adak", LC_ALL="C.UTF-8")
    cmp = filecmp.dircmp(tmp_path / "out1", tmp_path / "out2")
    assert tree(tmp_path / "out1") == tree(tmp_path / "out2"), cmp.diff_files


def test_crlf_and_bom_give_the_same_site(run, site_copy) -> None:
    site = site_copy("minimal")
    assert run("build", "--source", site).exit_code == 0
    lf = tree(site / "public")
    for path in [site / "catalog.yaml", site / "content/welcome.md"]:
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    assert run("build", "--source", site).exit_code == 0
    assert tree(site / "public") == lf


def test_symlinked_page_is_refused(run, site_copy, tmp_path) -> None:
    site = site_copy("minimal")
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: leak\n---\nTOKEN=abc\n")
    (site / "content/leak.md").symlink_to(secret)
    result = run("build", "--source", site)
    assert result.exit_code == 1
    assert "content/leak.md: error: symbolic links are not allowed in content/" in result.stderr


@pytest.mark.parametrize("command", ["check", "build"])
def test_a_catalog_that_is_a_fifo_is_refused_not_waited_for(site_copy, command: str) -> None:
    """Nothing opens catalog.yaml before asking what it is: a FIFO (or a device) would block the
    command forever, waiting for a writer, instead of saying it is not a regular file."""
    site = site_copy("minimal")
    (site / "catalog.yaml").unlink()
    os.mkfifo(site / "catalog.yaml")
    done = subprocess.run(
        [sys.executable, str(REPO / "build.py"), command, "--source", str(site)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith(f"{site / 'catalog.yaml'}: error: not a regular file\n"), done.stderr
    assert not (site / "public").exists()


def test_example_site_builds_without_warnings(run, site_copy) -> None:
    site = site_copy("example")
    result = run("build", "--strict", "--source", site)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
