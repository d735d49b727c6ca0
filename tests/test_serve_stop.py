"""Stopping `serve` (Ctrl-C) is at once: the preview's folder (a 20,000-page site is ~50,000 files,
minutes of a busy disk to delete) is renamed away and removed by a detached process, as a build
removes the site it replaced; what a killed serve left is removed by the next serve or build
(site/previews.py)."""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from servicebook.site import previews
from servicebook.site.previews import PreviewFolder
from servicebook.site.serve import Preview

from .conftest import FIXED_EPOCH
from .servehelp import PATIENCE, URL_RE, running_serve, wait_for


@pytest.fixture
def temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary folder of the test's own, for this process (tempfile's) and the serves it starts (TMPDIR)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


def _exited(pid: int) -> bool:
    """Wait (bounded) for the process `pid`, not a child of this one, to exit."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        ready, _, _ = select.select([fd], [], [], PATIENCE)
        return bool(ready)
    finally:
        os.close(fd)


def test_a_stopped_preview_leaves_its_folder_to_a_process_of_its_own(site_copy: Callable[[str], Path], temp) -> None:
    """`close` renames the preview's folder away and returns: a detached process removes it, once
    no process holds the preview's lock (here the test holds it, as a serve letting go would)."""
    preview = Preview(site_copy("minimal"), {"SOURCE_DATE_EPOCH": FIXED_EPOCH}, print, print)
    preview.rebuild()
    folder = preview.workdir
    assert (folder / "site" / "index.html").is_file()
    held = os.open(folder.with_name(folder.name + ".lock"), os.O_RDWR)
    try:
        fcntl.flock(held, fcntl.LOCK_SH)
        preview.close()
        trash = folder.with_name(folder.name + ".trash")
        assert not folder.exists()
        assert (trash / "site" / "index.html").is_file()  # not deleted by the serving process
        remover = preview.folder.remover
        assert remover is not None
        assert remover != os.getpid()
        assert os.getsid(remover) != os.getsid(0)  # a session of its own: Ctrl-C in the terminal does not reach it
    finally:
        os.close(held)
    assert _exited(remover)
    assert sorted(temp.iterdir()) == []


def _serve(site: Path) -> tuple[subprocess.Popen[str], list[str]]:
    """`servicebook serve` in a process of its own, once it serves; what it printed so far."""
    process = subprocess.Popen(
        [sys.executable, "-m", "servicebook", "serve", "--source", str(site), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    lines: list[str] = []
    while not URL_RE.search("".join(lines)):
        line = process.stdout.readline()
        assert line, "".join(lines)
        lines.append(line)
    return process, lines


def test_ctrl_c_stops_serve_and_what_a_killed_serve_left_is_removed_by_the_next(
    site_copy: Callable[[str], Path], temp: Path
) -> None:
    site = site_copy("minimal")
    killed, _ = _serve(site)
    killed.kill()  # SIGKILL: nothing of it runs
    killed.wait(PATIENCE)
    assert killed.stdout is not None
    killed.stdout.close()
    left = [p for p in temp.iterdir() if p.is_dir()]
    assert len(left) == 1
    assert (left[0] / "site" / "index.html").is_file()
    serving, lines = _serve(site)
    try:
        assert not left[0].exists()  # renamed away as it started
        serving.send_signal(signal.SIGINT)
        serving.wait(PATIENCE)  # the serve itself ends; its output is read as far as it wrote it
        out = _written(serving)
    finally:
        serving.kill()
        serving.wait()
        assert serving.stdout is not None
        serving.stdout.close()
    assert serving.returncode == 0, "".join(lines) + out
    assert out.strip().endswith("Stopped.")
    assert "Traceback" not in out
    wait_for(lambda: not any(temp.iterdir()), what="the previews' removal", output=lambda: str(list(temp.iterdir())))


def _written(process: subprocess.Popen[str]) -> str:
    """What the ended `process` wrote to its output pipe: read without waiting for the pipe's end,
    which another process may hold (one forked while the pipe was open)."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    os.set_blocking(fd, False)
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode()


def test_a_build_removes_what_a_killed_serve_left(run, site_copy: Callable[[str], Path], temp: Path) -> None:
    site = site_copy("minimal")
    killed, _ = _serve(site)
    killed.kill()
    killed.wait(PATIENCE)
    assert killed.stdout is not None
    killed.stdout.close()
    assert any(p.is_dir() for p in temp.iterdir())
    assert run("build", "--source", site).exit_code == 0
    assert not any(p.is_dir() and not p.name.endswith(".trash") for p in temp.iterdir())
    wait_for(lambda: not any(temp.iterdir()), what="the preview's removal", output=lambda: str(list(temp.iterdir())))


def test_a_remover_waiting_for_a_preview_keeps_no_output_of_the_process_that_started_it(tmp_path: Path) -> None:
    """The remover a stopped serve starts waits for the serve's lock; it held the serve's standard
    output, so a caller reading that pipe (a CI step, a test's communicate) waited for the removal
    to end, and the removal for the lock: here the lock is this test's, so it waits until let go."""
    folder = PreviewFolder(tmp_path)  # holds the preview's lock, as a serve does
    script = (
        "from pathlib import Path; from servicebook.site.previews import remove_detached; "
        f"remove_detached(Path({str(folder.path)!r})); print('started', flush=True)"
    )
    starter = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert starter.stdout is not None
    out = b""
    try:
        while True:  # to the pipe's end: every process holding it has let go of it
            readable, _, _ = select.select([starter.stdout], [], [], PATIENCE)
            assert readable, f"the pipe is still held after {PATIENCE} s, by the remover: {out!r}"
            chunk = os.read(starter.stdout.fileno(), 4096)
            if not chunk:
                break
            out += chunk
    finally:
        starter.stdout.close()
        starter.wait(PATIENCE)
    assert out == b"started\n"
    assert folder.path.exists()  # the remover still waits for the lock
    folder.discard()
    wait_for(
        lambda: not any(tmp_path.iterdir()), what="the preview's removal", output=lambda: str(list(tmp_path.iterdir()))
    )


def test_ctrl_c_stops_a_serve_started_with_ctrl_c_ignored(site_copy: Callable[[str], Path], temp: Path) -> None:
    """A shell's background job, or a test runner's worker, starts commands with SIGINT ignored;
    Python then leaves it ignored, and serve did not stop on Ctrl-C."""
    site = site_copy("minimal")
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited by the serve, as from such a parent
    try:
        serving, _ = _serve(site)
    finally:
        signal.signal(signal.SIGINT, before)
    try:
        serving.send_signal(signal.SIGINT)
        serving.wait(PATIENCE)
        out = _written(serving)
    finally:
        serving.kill()
        serving.wait()
        assert serving.stdout is not None
        serving.stdout.close()
    assert out.strip().endswith("Stopped.")


def _children() -> set[int]:
    """This thread's child processes, running or exited and not waited for (zombies)."""
    listed = Path(f"/proc/{os.getpid()}/task/{threading.get_native_id()}/children").read_text()
    return {int(pid) for pid in listed.split()}


def test_starting_a_remover_leaves_no_child_of_this_process(tmp_path: Path) -> None:
    """A remover is adopted by init: nothing is left for this process to wait for (a serve would
    keep a zombie per stopped preview until it ends, hours later)."""
    base = tmp_path / "servicebook-preview-x"
    base.mkdir()
    before = _children()
    remover = previews.remove_detached(base)
    assert remover is not None
    assert _children() - before == set()
    assert _exited(remover)
    assert not base.exists()


# `servicebook serve`, told of every fork made while another thread runs, as Python 3.12 warns of
# it ("This process is multi-threaded, use of fork() may lead to deadlocks in the child"; 3.11 does
# not, so the warning is made here, before each fork, for any version); with warnings as errors
_SERVE_SAYING_FORKS = """
import os, sys, threading, warnings
def before_fork():
    if threading.active_count() > 1:
        names = sorted(t.name for t in threading.enumerate())
        warnings.warn(f"This process is multi-threaded ({names}), use of fork() may lead to deadlocks", DeprecationWarning)
os.register_at_fork(before=before_fork)
from servicebook.cli import main
main(prog_name="servicebook")
"""


def test_serve_removes_the_sites_it_replaced_without_forking_its_threads(
    site_copy: Callable[[str], Path], temp: Path
) -> None:
    """Each rebuild of a serve replaces its preview's site and removes the one before (thousands of
    files, in a detached process): that process was forked from the serve, which runs threads (its
    server's, its watcher), and a fork copies only the forking thread, so a lock another thread
    held stays held in the child (a remover that never ends, the site left in the trash)."""
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    with running_serve(site, FIXED_EPOCH, ("-W", "error::DeprecationWarning", "-c", _SERVE_SAYING_FORKS)) as served:
        for n, objective in enumerate(("99.9", "99.8", "99.7"), 1):  # the third build replaces one that replaced one
            catalog.write_text(re.sub(r"objective: 99\.\d", f"objective: {objective}", catalog.read_text(), count=1))
            rebuilt = lambda n=n: served.output().count("catalog.yaml changed") == n  # noqa: E731
            wait_for(rebuilt, what=f"rebuild {n}", output=served.output)
        served.process.send_signal(signal.SIGINT)
        served.process.wait(PATIENCE)
    assert served.process.returncode == 0, served.output()
    assert "multi-threaded" not in served.output()
    assert "Traceback" not in served.output()
    wait_for(lambda: not any(temp.iterdir()), what="the removals", output=lambda: str(list(temp.iterdir())))
