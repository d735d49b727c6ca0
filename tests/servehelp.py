"""Run `servicebook serve` as a separate process and read what it prints, with bounded waits."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
URL_RE = re.compile(r"at (http://127\.0\.0\.1:\d+/)")


def wait_for(probe: Callable[[], T], timeout: float = 20.0, what: str = "condition") -> T:
    """Poll `probe` until it returns something true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        pause.wait(0.05)


@dataclass
class Served:
    url: str
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def output(self) -> str:
        return "".join(self.lines)


@contextlib.contextmanager
def running_serve(site: Path, epoch: str) -> Iterator[Served]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": epoch, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "servicebook.cli", "serve", "--source", str(site), "--port", "0"],
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
        match = wait_for(lambda: URL_RE.search("".join(lines)), 30, "the server to start")
        served = Served(match[1], process, lines)
        yield served
    finally:
        process.terminate()
        process.wait(timeout=10)
        reader.join(timeout=5)
        stream.close()
