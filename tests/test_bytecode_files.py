"""The files servicebook keeps beside its bytecode (bytecode_files.py: the dataclasses' methods,
the regular expressions' programs, the code digest's memo) are read only when they are regular
files of a bounded size and written whole, never through a link: a FIFO put in the place of any of
them made every command wait for ever before it printed anything."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from servicebook import bytecode_files

# a command of the program in a process of its own, with the kept file of `module` (methods or
# patterns) at the path named first; it may write bytecode, so it writes that file at its exit
_COMMAND = (
    "import sys, pathlib\n"
    "import servicebook.{module}\n"
    "servicebook.{module}.code_file = lambda: pathlib.Path(sys.argv[1])\n"
    "from servicebook.cli import main\n"
    "main(['schema'], standalone_mode=False)\n"
    "sys.dont_write_bytecode = False\n"
)


def _command(module: str, kept: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [sys.executable, "-c", _COMMAND.format(module=module), str(kept)],
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"a command waited for a writer to {module}' kept file, a FIFO")


@pytest.mark.parametrize("module", ["methods", "patterns"])
@pytest.mark.parametrize("linked", [False, True], ids=["fifo", "link to a fifo"])
def test_a_fifo_in_place_of_a_kept_file_is_not_waited_for_and_is_replaced(
    module: str, linked: bool, tmp_path: Path
) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    kept = tmp_path / "__pycache__" / "kept.marshal"
    kept.parent.mkdir()
    if linked:
        kept.symlink_to(fifo)
    else:
        os.mkfifo(kept)
    done = _command(module, kept)
    assert done.returncode == 0, done.stderr
    assert '"$schema"' in done.stdout
    assert stat.S_ISREG(os.lstat(kept).st_mode)  # written anew in its place, whole
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # what a link named is left alone


def test_a_file_larger_than_the_limit_or_not_regular_is_not_read(tmp_path: Path) -> None:
    small, large = tmp_path / "small", tmp_path / "large"
    small.write_bytes(b"x" * 10)
    large.write_bytes(b"x" * 11)
    assert bytecode_files.read_small(str(small), 10) == b"x" * 10
    assert bytecode_files.read_small(str(large), 10) is None
    assert bytecode_files.read_small(str(tmp_path), 10) is None  # a folder
    assert bytecode_files.read_small(str(tmp_path / "missing"), 10) is None
    (tmp_path / "link").symlink_to(small)
    assert bytecode_files.read_small(str(tmp_path / "link"), 10) is None  # none that write_whole makes


def test_a_file_is_written_whole_and_never_through_a_link_left_at_its_temporary_name(tmp_path: Path) -> None:
    kept = tmp_path / "cache" / "kept.json"
    precious = tmp_path / "precious.txt"
    precious.write_text("not the kept file's\n")
    kept.parent.mkdir()
    Path(f"{kept}.{os.getpid()}.tmp").symlink_to(precious)
    bytecode_files.write_whole(str(kept), b"{}")
    assert kept.read_bytes() == b"{}"
    assert precious.read_text() == "not the kept file's\n"
    assert sorted(p.name for p in kept.parent.iterdir()) == ["kept.json"]


def test_a_folder_that_cannot_be_made_leaves_things_as_they_were(tmp_path: Path) -> None:
    """Where the bytecode's folder cannot be made (here a file stands in its place), nothing is
    written and nothing is raised: the next process makes what the file would have given it."""
    blocker = tmp_path / "__pycache__"
    blocker.write_text("a file where the folder would be\n")
    bytecode_files.write_whole(str(blocker / "kept.json"), b"{}")
    assert blocker.read_text() == "a file where the folder would be\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["__pycache__"]
