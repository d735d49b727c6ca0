"""A failed build changes nothing; a build never destroys what is not its own; builds are reproducible."""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import FIXED_EPOCH, REPO, SITES, GitSite
from .sitefiles import tree


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


def test_an_output_that_is_a_symbolic_link_is_refused_saying_what_to_do(run, site_copy, tmp_path) -> None:
    """A build replaces the output folder whole, so a link there would be replaced, not followed:
    the error says where the link leads and what to give instead, and that works."""
    site = site_copy("minimal")
    www = tmp_path / "www"
    www.mkdir()
    (site / "public").symlink_to(www)
    result = run("build", "--source", site)
    assert result.exit_code == 2
    assert f"refusing to replace {site / 'public'}: it is a symbolic link (to {www})" in result.stderr
    assert "give --output the folder the link leads to, or remove the link" in result.stderr
    assert list(www.iterdir()) == []
    assert run("build", "--source", site, "--output", www).exit_code == 0
    assert (www / "index.html").is_file()


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


@pytest.mark.slow
@pytest.mark.git
def test_two_clones_built_by_two_people_give_byte_identical_sites(tmp_path) -> None:
    """The same commit of a history with releases, cloned twice and built by two people, from the
    installed code: other folders, umask, time zone, locale, hash seed, home folder and git
    configuration (the second's says log.showRoot=false and names an attributes file that
    export-ignores every page), every source file's modification time changed. Each file of the
    two sites holds the same bytes (and the umask changes no mode: both are written 0644 and 0755)."""
    (tmp_path / "origin").mkdir()
    origin = GitSite(tmp_path / "origin")
    shutil.copytree(SITES / "minimal/content", origin.root / "content")
    origin.write("catalog.yaml", (SITES / "minimal/catalog.yaml").read_text())
    origin.commit("0.1")
    origin.tag("v0.1")
    origin.edit("objective: 99.5", "objective: 99")
    origin.edit('version: "0.1"', 'version: "0.2"')
    origin.commit("0.2, with a lower objective")
    people = [
        (0o022, "UTC", "C.UTF-8", "1", ""),
        (0o077, "Pacific/Chatham", "C", "4242", "[log]\n\tshowRoot = false\n"),
    ]
    sites = []
    for n, (umask, zone, locale, seed, config) in enumerate(people):
        home = tmp_path / f"home {n}"
        home.mkdir()
        (home / "attributes").write_text("*.md export-ignore\n" if n else "")
        (home / ".gitconfig").write_text(f"{config}[core]\n\tattributesFile = {home / 'attributes'}\n")
        clone = tmp_path / f"clone {n}" / "site"
        plain = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
        subprocess.run(["git", "clone", "-q", f"file://{origin.root}", str(clone)], check=True, env=plain)
        for path in clone.rglob("*"):
            if n and ".git" not in path.relative_to(clone).parts:
                os.utime(path, (1_600_000_000 + len(str(path)), 1_600_000_000))
        env = {**os.environ, "HOME": str(home), "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"), "TZ": zone}
        env.update(LC_ALL=locale, PYTHONHASHSEED=seed, XDG_CONFIG_HOME=str(home / ".config"))
        env.update(XDG_CACHE_HOME=str(home / ".cache"))
        env.pop("SOURCE_DATE_EPOCH", None)  # each builds at its commit's date
        subprocess.run(
            [
                sys.executable,
                str(REPO / "build.py"),
                "build",
                "--source",
                str(clone),
                "--output",
                str(clone / "public"),
            ],
            env=env,
            capture_output=True,
            check=True,
            umask=umask,
        )
        sites.append(clone / "public")
    assert (sites[0] / "v/0.1/index.html").is_file() and (sites[0] / "v/0.2/index.html").is_file()
    first, second = tree(sites[0]), tree(sites[1])
    assert sorted(first) == sorted(second)
    assert [path for path in first if first[path] != second[path]] == []


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
