"""Faults of the machine and hostile files of 7 Dec 2026 (twenty-third round), in this week's new
code paths: the code digest's memo beside the bytecode (cli17), the record of the kept sources'
identities and the staging folders beside the output (release26), the spool of pages' HTML that
`serve` keeps for all its builds, each met on a real file system, never a simulated error."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import servicebook
from servicebook.cache.digest import memoized_digest, package_digest
from servicebook.errors import WriteFailed
from servicebook.git.releases import IDENTITIES
from servicebook.site.build import build

from . import test_full_disk
from .conftest import FIXED_EPOCH, three_releases
from .servehelp import wait_for
from .sitefiles import clean_build, serving, tree

PACKAGE = Path(servicebook.__file__).parent
SETTLED = 2**62  # "every file changed before this" (ns): injected, not the clock's now


@pytest.fixture(autouse=True)
def _bytecode_written(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # (a memo is kept only where bytecode is)


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A copy of the installed package, without its bytecode."""
    copy = tmp_path / "elsewhere" / "servicebook"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return copy


def _files(package: Path) -> int:
    return sum(1 for p in package.rglob("*") if p.is_file())


def test_a_memo_nested_thousands_deep_is_not_used_and_is_written_again(package: Path, tmp_path: Path) -> None:
    """JSON nested 200,000 deep is a RecursionError, not a ValueError: every command stopped with
    'internal error' and a traceback while such a memo lay beside the bytecode."""
    memo = tmp_path / "memo.json"
    memo.write_text("[" * 200_000 + "]" * 200_000)
    assert memoized_digest(str(package), str(memo), SETTLED) == (package_digest(str(package)), _files(package))
    assert memoized_digest(str(package), str(memo), SETTLED)[1] == 0  # written again, whole


def test_a_memo_larger_than_any_written_is_not_read(package: Path, tmp_path: Path) -> None:
    """A memo is read whole: one of 20 GB with no data in it (a sparse file) took 21 GB of memory
    in every command. One larger than any servicebook writes is not read, however it ends."""
    memo = tmp_path / "memo.json"
    memoized_digest(str(package), str(memo), SETTLED)
    with memo.open("a") as f:
        f.write(" " * (1 << 20))  # still the same memo to JSON: blanks after it
    assert memoized_digest(str(package), str(memo), SETTLED)[1] == _files(package)


@pytest.mark.parametrize("linked", [False, True])
def test_a_memo_that_is_a_fifo_is_not_waited_for(package: Path, tmp_path: Path, linked: bool) -> None:
    """A FIFO in the memo's place (or a symbolic link to one) held every command for ever in its
    open, before it printed anything."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    memo = tmp_path / "memo.json"
    if linked:
        memo.symlink_to(fifo)
    else:
        memo = fifo
    probe = (
        "import sys\nfrom servicebook.cache.digest import memoized_digest\n"
        "print(memoized_digest(sys.argv[1], sys.argv[2], 2**62)[1])"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", probe, str(package), str(memo)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": ""},
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the digest waited for a writer to the memo's FIFO")
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == _files(package)
    assert memo.is_file()  # written again in its place (a FIFO is never written into)
    if linked:
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_the_memo_is_never_written_through_a_link_at_its_temporary_name(package: Path, tmp_path: Path) -> None:
    """The memo is written under a temporary name of the process's (`<memo>.<pid>.tmp`) and then
    renamed: a symbolic link left at that name was followed, and whatever it named was emptied and
    overwritten with the memo."""
    memo = tmp_path / "memo.json"
    elsewhere = tmp_path / "precious.txt"
    elsewhere.write_text("not the memo's\n")
    Path(f"{memo}.{os.getpid()}.tmp").symlink_to(elsewhere)
    found, _ = memoized_digest(str(package), str(memo), SETTLED)
    assert elsewhere.read_text() == "not the memo's\n"
    assert json.loads(memo.read_text())[2] == found
    assert memoized_digest(str(package), str(memo), SETTLED) == (found, 0)


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """servicebook in a process of its own, given a minute (a build waiting on a FIFO never ends)."""
    try:
        return subprocess.run(
            [sys.executable, "-m", "servicebook", *map(str, args)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH},
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"servicebook {' '.join(map(str, args))} did not end in two minutes")


def _releases_again(site: Path) -> None:
    """The releases built and the pages stored forgotten: the next build makes each release again
    from its commit's sources, starting from the folder of sources the last build left."""
    for folder in ("releases", "store"):
        shutil.rmtree(site / ".servicebook-cache" / folder)


@pytest.mark.git
@pytest.mark.parametrize("record", ["fifo", "nested"])
def test_a_kept_sources_record_that_is_a_fifo_or_nested_deep_is_not_read(tmp_path: Path, record: str) -> None:
    """The folder of sources a build leaves in the cache for the next one's releases
    (`sources/last/`) holds a record of each file's identity (`.servicebook-identities`). The
    cache may be restored from a job someone else controls, and is never to make a build open a
    FIFO or stop: a FIFO there held every build for ever, and JSON nested 200,000 deep was
    'internal error' and a traceback. Each is no record now (nor is a link, no longer followed):
    the sources are read and hashed, and the site is the one the cache's build made."""
    repo = three_releases(tmp_path / "site")
    done = _cli("build", "--source", repo.root)
    assert done.returncode == 0, done.stderr
    expected = tree(repo.root / "public")
    _releases_again(repo.root)
    assert _cli("build", "--source", repo.root).returncode == 0
    kept = repo.root / ".servicebook-cache" / "sources" / "last" / IDENTITIES
    assert kept.is_file()  # (the premise: the build left a record)
    kept.unlink()
    if record == "fifo":
        os.mkfifo(kept)
    else:
        kept.write_text("[" * 200_000 + "]" * 200_000)
    _releases_again(repo.root)

    done = _cli("build", "--source", repo.root)

    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert tree(repo.root / "public") == expected


# A real build in a process of its own that stops itself (SIGSTOP) just before its swap, its new
# site whole in its staging folder beside the output: another build's start, for the test to run
# meanwhile, then SIGCONT.
STOPPED_BEFORE_THE_SWAP = """
import os, signal, sys
from servicebook.site import write
real = write._rename_exchange
def stopping(a, b):
    os.kill(os.getpid(), signal.SIGSTOP)
    return real(a, b)
write._rename_exchange = stopping
from servicebook.cli import main
main(["build", "--source", sys.argv[1]])
"""


@pytest.mark.parametrize("second", ["fails", "succeeds"])
def test_a_build_started_while_another_swaps_leaves_that_ones_folders_alone(
    run, site_copy, tmp_path: Path, second: str
) -> None:
    """A build's start removes the staging folders a killed build left beside the output
    (`.public.new-…`), and puts back a site the killed one had renamed away. A build started
    while another was about to swap its new site in took that one's staging folder for a
    leftover and removed it: the running build then renamed `public/` away, found nothing to put
    in its place and said the previous site was left as it was, with no `public/` at all (or,
    had its swap come first, it failed). Builds into one folder now leave each other's folders
    alone while they run: the first finishes, and `public/` is its site, whole."""
    site = site_copy("minimal")
    assert run("build", "--source", site).exit_code == 0
    page = site / "content" / "welcome.md"
    page.write_text(page.read_text() + "\nA later edit.\n")
    reference = tmp_path / "reference"
    shutil.copytree(site, reference, ignore=shutil.ignore_patterns("public", ".servicebook-cache"))
    assert run("build", "--source", reference).exit_code == 0
    other = tmp_path / "other"
    shutil.copytree(reference, other, ignore=shutil.ignore_patterns("public", ".servicebook-cache"))
    if second == "fails":
        (other / "catalog.yaml").write_text("version: 1\nteam: [\n")
    first = subprocess.Popen(
        [sys.executable, "-c", STOPPED_BEFORE_THE_SWAP, str(site)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH},
    )
    try:
        _, status = os.waitpid(first.pid, os.WUNTRACED)  # until it stops itself (or ends)
        assert os.WIFSTOPPED(status), (status, first.stderr.read() if first.stderr else "")
        assert list(site.glob(".public.new-*"))  # (the premise: its new site waits beside the output)

        result = run("build", "--source", other, "--output", site / "public")

        assert result.exit_code == (1 if second == "fails" else 0), result.output
        os.kill(first.pid, signal.SIGCONT)
        _, err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert (site / "public").is_dir(), sorted(p.name for p in site.iterdir())
    assert first.returncode == 0, err
    assert "Traceback" not in err
    assert tree(site / "public") == tree(reference / "public")


disk = test_full_disk.disk  # the fixture: a small file system of its own (a tmpfs), to fill


def test_serve_whose_temporary_folder_fills_says_so_and_builds_again_once_there_is_room(
    run, site_copy, tmp_path: Path, disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`serve` keeps its pages' HTML in a temporary file (load.BodySpool) for all its builds. A
    temporary folder that filled during a rebuild was 'internal error' and a traceback, and every
    rebuild after it too ("a page's links are no longer where the build kept them"), with room
    again or not, until serve was restarted: the pages it remembered pointed past what the file
    held. Now the rebuild fails saying so, and the next one with room builds the site afresh, the
    site a build from nothing makes."""
    site = site_copy("example")
    monkeypatch.setattr(tempfile, "tempdir", str(disk))  # (TMPDIR, as the process found it)
    page = site / "content" / "change-approval.md"
    with serving(site, site / "public") as (options, memory):
        build(options)
        assert memory.bodies is not None
        filler = test_full_disk.fill(disk, leave=0)
        page.write_text(page.read_text() + "\nA sentence written while the disk was full.\n")
        with pytest.raises(WriteFailed) as failed:
            build(options)
        assert str(failed.value) == (
            "cannot keep the pages' HTML in a temporary file: No space left on device "
            f"({disk}); the previous site was left as it was"
        )
        filler.unlink()
        page.write_text(page.read_text() + "\nAnd one written once there was room again.\n")
        build(options)
    assert tree(site / "public") == clean_build(run, site, tmp_path)


def test_a_trash_folder_that_is_a_link_or_holds_one_never_deletes_outside_the_site(
    run, site_copy, tmp_path: Path
) -> None:
    """A build removes the trash folders beside the output (`.servicebook-trash-public-…`, a replaced
    site a killed removal left) in a detached process. One that is a symbolic link to a folder
    elsewhere is not removed through it, and a link inside one is removed, not followed: what they
    name is whole after the build. (A guard: found sound in round 23.)"""
    site = site_copy("minimal")
    assert run("build", "--source", site).exit_code == 0
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "sub").mkdir(parents=True)
    (elsewhere / "sub" / "file").write_text("not the site's\n")
    (site / ".servicebook-trash-public-linked").symlink_to(elsewhere)
    cut_short = site / ".servicebook-trash-public-cut-short"
    (cut_short / "folder").mkdir(parents=True)
    (cut_short / "folder" / "link").symlink_to(elsewhere)
    (cut_short / "link").symlink_to(elsewhere / "sub")
    page = site / "content" / "welcome.md"
    page.write_text(page.read_text() + "\nA later edit.\n")

    assert run("build", "--source", site).exit_code == 0
    wait_for(lambda: not cut_short.exists(), timeout=60)  # (the detached removal)

    assert (elsewhere / "sub" / "file").read_text() == "not the site's\n"
    assert (site / ".servicebook-trash-public-linked").is_symlink()
