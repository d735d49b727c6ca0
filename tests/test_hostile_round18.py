"""Hostile inputs of 7 Dec 2026 (eighteenth round): the commands that write files other than the
site (`export`, `import`, `init`, `federate update`, `measure`) on a machine at fault (a read-only
folder, a full disk, a process killed mid-write) and given an output that is not a plain file (a
FIFO, a device, a link to one)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from . import test_full_disk
from .conftest import require_component
from .test_federation import Member, organisation
from .test_full_disk import fill

disk = test_full_disk.disk  # the fixture: a small tmpfs of its own, to fill

RADAR = "name,ring,quadrant,isNew,description\nPytest,adopt,tools,FALSE,Our test runner\n"


def _root(what: str) -> None:
    require_component(os.geteuid() == 0, what, "run the tests as root (CI does)")


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[list[Path]]:
    """Folders made read-only by a read-only bind mount of each onto itself (what a read-only
    volume or checkout gives; root ignores a folder's modes, so chmod would not do)."""
    mounted: list[Path] = []
    yield mounted
    for folder in reversed(mounted):
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _make_read_only(mounted: list[Path], folder: Path) -> None:
    _root("a read-only bind mount")
    done = subprocess.run(["mount", "--bind", "-o", "ro", str(folder), str(folder)], capture_output=True, check=False)
    require_component(done.returncode == 0, "a read-only bind mount (mount --bind -o ro)", "run the tests as root")
    mounted.append(folder)


class Reader:
    """A process reading a FIFO to its end, as `servicebook export … -o fifo | …` plumbing would."""

    def __init__(self, fifo: Path) -> None:
        self.process = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)

    def read(self) -> bytes:
        try:
            out, _ = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:  # the command never wrote into the FIFO
            self.process.kill()
            self.process.communicate()
            pytest.fail("nothing was written into the FIFO: its reader waited for ever")
        return out


@pytest.mark.parametrize(
    ("command", "output"),
    [
        (["export", "openslo", "--source", "{site}", "--output", "{out}"], "apiVersion: openslo/v1"),
        (["export", "sloth", "--source", "{site}", "-o", "{out}"], "version: prometheus/v1"),
        (["import", "techradar", "{radar}", "--output", "{out}"], "  - id: pytest\n"),
    ],
    ids=["export-openslo", "export-sloth", "import-techradar"],
)
@pytest.mark.parametrize("kind", ["fifo", "link to a fifo", "device"])
def test_an_output_that_is_a_fifo_or_a_device_is_written_into_as_the_shell_would_not_replaced(
    run, site_copy, tmp_path: Path, command: list[str], output: str, kind: str
) -> None:
    """`--output /dev/stdout`, `-o /dev/null` or a named pipe (`mkfifo`) to hand the export to
    another program: the export wrote a temporary file beside it and renamed it over it, so the
    FIFO (or the link /dev/stdout, or, run as root, the device /dev/null itself) became a regular
    file holding the export, and the program reading the pipe waited for ever. The export is
    written into it, as the shell's `>` does; it stays what it was."""
    site = site_copy("example")
    radar = tmp_path / "radar.csv"
    radar.write_text(RADAR)
    folder = tmp_path / "outputs"
    folder.mkdir()
    out = folder / "out"
    reader = None
    if kind == "device":
        _root("making a device node (mknod)")
        os.mknod(out, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # /dev/null's: what is written is dropped
    else:
        fifo = folder / "pipe" if kind == "link to a fifo" else out
        os.mkfifo(fifo)
        if fifo != out:
            out.symlink_to(fifo)
        reader = Reader(out)
    before = {p.name: os.lstat(p).st_mode for p in folder.iterdir()}

    result = run(*(a.format(site=site, radar=radar, out=out) for a in command))

    got = reader.read() if reader is not None else b""
    assert result.exit_code == 0, result.output
    assert {p.name: os.lstat(p).st_mode for p in folder.iterdir()} == before  # no file made, none replaced
    if reader is not None:
        assert output in got.decode("utf-8")


@pytest.mark.git
def test_a_lock_that_cannot_be_written_is_said_in_words_and_left_as_it_was(
    run, tmp_path: Path, read_only: list[Path]
) -> None:
    """`federate update` in a read-only checkout (a volume mounted read-only, a CI step's
    read-only workspace) fetched and checked the members, then failed writing servicebook.lock
    with a Python traceback reported as a bug of servicebook's."""
    member = Member(tmp_path, "db", "Database Team")
    org = organisation(tmp_path, f"  - id: db-team\n    repository: {member.url}\n")
    assert run("federate", "update", "--source", org).exit_code == 0
    cache = tmp_path / "cache"  # the cache on a disk of its own (a link: the owner's choice), writable
    shutil.move(org / ".servicebook-cache", cache)
    (org / ".servicebook-cache").symlink_to(cache)
    lock = (org / "servicebook.lock").read_bytes()
    member.publish("A higher objective", objective="99.99")
    _make_read_only(read_only, org)

    result = run("federate", "update", "--source", org)

    assert "Traceback" not in result.output and "internal error" not in result.output
    assert result.exit_code == 2, result.output
    assert result.stderr.endswith(
        f"error: cannot write {org / 'servicebook.lock'}: Read-only file system; the lock is as it was\n"
    )
    assert (org / "servicebook.lock").read_bytes() == lock


@pytest.mark.parametrize("folder", ["new", "holding a README"])
@pytest.mark.parametrize("example", [False, True], ids=["starter", "example"])
def test_an_init_that_fills_the_disk_leaves_the_folder_as_it_was_and_the_next_one_succeeds(
    run, disk: Path, folder: str, example: bool
) -> None:
    """`init` on a full disk wrote the files it could, the last one cut short (an empty
    catalog.yaml), and said so; the next init, with room, then refused: "already has
    catalog.yaml; init never overwrites a file". What it made goes again, files and folders."""
    target = disk / "site"
    if folder != "new":
        target.mkdir()
        (target / "README.md").write_text("Our platform's catalog.\n")
        (target / ".gitignore").write_text("*.pyc\n")
    before = _state(target)
    filler = fill(disk, leave=2 * 4096 if example else 0)  # room for a file or two of those it writes
    args = ["init", str(target), *(["--example"] if example else [])]

    result = run(*args)

    assert "Traceback" not in result.output
    assert result.exit_code == 2, result.output
    assert "No space left on device" in result.stderr
    assert result.stderr.rstrip().endswith("nothing was written")
    assert _state(target) == before
    filler.unlink()
    again = run(*args)
    assert again.exit_code == 0, again.output


def _state(folder: Path) -> dict[str, bytes | None] | None:
    """A folder's files (their bytes) and folders (None), or None where there is no folder."""
    if not folder.exists():
        return None
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None for p in folder.rglob("*")}
