"""The tests' command server (tests/cliserver.py) runs each command as the console script would:
with the code it imported, and with caches keyed by that code."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import servicebook

from .cliserver import cli_server
from .conftest import FIXED_EPOCH, SITES

PACKAGE = Path(servicebook.__file__).parent


def test_its_commands_key_their_caches_by_the_code_they_run_not_by_the_files_on_disk(tmp_path: Path) -> None:
    # a server importing a copy of servicebook, whose files are then edited (a checkout edited
    # while the suite runs): its commands still run the code it imported, so a build of
    # unchanged sources finds nothing to do
    copy = tmp_path / "src" / "servicebook"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    site = tmp_path / "minimal"
    shutil.copytree(SITES / "minimal", site)
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "src"), "LANG": "C.UTF-8", "SOURCE_DATE_EPOCH": FIXED_EPOCH}
    with cli_server(env) as bin_dir:
        command = [str(bin_dir / "servicebook"), "build", "--source", str(site)]
        first = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        assert first.stdout.startswith(f"Built 15 pages (31 files) into {site / 'public'}")
        (copy / "py.typed").write_text("# edited after the server imported it\n")
        again = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    assert "\nNothing changed since the last build: every file kept" in again.stdout, again.stdout
