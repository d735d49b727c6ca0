"""Run `servicebook serve` as a separate process and read what it prints, with bounded waits."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from servicebook.site.serve import Preview, watch_sources

T = TypeVar("T")
URL_RE = re.compile(r"at (http://127\.0\.0\.1:\d+/)")


# How long a wait may take before it fails. Each wait returns as soon as its condition holds, so
# this costs nothing when things work; it is generous because CI runs on 2 cores, often at a load
# of 20, where a server starting or a rebuild takes many times what it takes on an idle machine.
PATIENCE = 120.0


def wait_for(
    probe: Callable[[], T],
    timeout: float = PATIENCE,
    what: str = "condition",
    output: Callable[[], str] | None = None,
) -> T:
    """Poll `probe` until it returns something true; fail after `timeout` seconds, showing what the
    process under test printed (`output`) if given."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            printed = f"; it printed:\n{output()}" if output is not None else ""
            raise AssertionError(f"timed out after {timeout} s waiting for {what}{printed}")
        pause.wait(0.05)


@dataclass
class Served:
    url: str
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def output(self) -> str:
        return "".join(self.lines)


@contextlib.contextmanager
def running_serve(site: Path, epoch: str, python: Sequence[str] = ("-m", "servicebook.cli")) -> Iterator[Served]:
    """`servicebook serve` of `site` in a process of its own, once it serves (Python run with
    `python`: its options, and the program that runs the command line); stopped at the end."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": epoch, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, *python, "serve", "--source", str(site), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: list[str] = []
    assert process.stdout is not None
    stream = process.stdout
    reader = threading.Thread(target=lambda: lines.extend(iter(stream.readline, "")), daemon=True)
    reader.start()
    try:
        match = wait_for(
            lambda: URL_RE.search("".join(lines)), what="the server to start", output=lambda: "".join(lines)
        )
        served = Served(match[1], process, lines)
        yield served
    finally:
        process.terminate()
        process.wait(timeout=PATIENCE)
        reader.join(timeout=PATIENCE)
        stream.close()


@contextlib.contextmanager
def watched(preview: Preview) -> Iterator[None]:
    """`preview` built once and its sources watched, as `serve` does, until the block ends."""
    stop, watching = threading.Event(), threading.Event()
    watcher = threading.Thread(target=watch_sources, args=(preview, stop, watching), daemon=True)
    try:
        preview.rebuild()
        watcher.start()
        wait_for(watching.is_set, what="the watches")
        yield
    finally:
        stop.set()
        watcher.join(30)
        preview.close()
