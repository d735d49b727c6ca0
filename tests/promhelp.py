"""A real Prometheus for the tests: series generated here, backfilled into a fresh TSDB with
`promtool tsdb create-blocks-from openmetrics`, served by /usr/bin/prometheus on 127.0.0.1 at a
free port (also used by bench/measure_bench.py and scripts/make_example_measurements.py, so it
needs no pytest). Each generated series also knows, independently of Prometheus, what it counts over a
window, so the tests can check `measure`'s figures against numbers computed here."""

from __future__ import annotations

import contextlib
import functools
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

STEP = 60  # seconds between samples, as a scrape interval (the default of `step`)
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
INSTALL = "install Debian's prometheus package (apt-get install prometheus), as .ci/run does"


def installed() -> bool:
    return Path(PROMETHEUS).is_file() and Path(PROMTOOL).is_file()


@dataclass
class Counter:
    """A counter scraped every `step` seconds from `start` to `end` (inclusive): `rate(t)` events
    happen in the step ending at t; `resets` are times the process restarted (the counter starts
    again from 0 and counts that step's events); `gaps` are (from, to) with no scrape strictly
    inside."""

    name: str
    labels: dict[str, str]
    start: int
    end: int
    rate: Callable[[int], int]
    resets: tuple[int, ...] = ()
    gaps: tuple[tuple[int, int], ...] = ()
    step: int = STEP

    # The series is worked out when first read, not when declared: test modules declare theirs at
    # import, and every test process imports them to collect its tests (~0.3 CPU s each).
    @functools.cached_property
    def events(self) -> dict[int, int]:
        """t → events in the step ending at t."""
        return {t: self.rate(t) if t > self.start else 0 for t in range(self.start, self.end + 1, self.step)}

    @functools.cached_property
    def samples(self) -> list[tuple[int, float]]:
        samples: list[tuple[int, float]] = []
        value = 0
        for t, happened in self.events.items():
            value = happened if t in self.resets else value + happened
            if not any(a < t < b for a, b in self.gaps):
                samples.append((t, value))
        return samples

    def count(self, start: int, end: int) -> int:
        """Events in (start, end]: what increase() over that window counts, computed here."""
        return sum(n for t, n in self.events.items() if start < t <= end)


@dataclass
class Gauge:
    name: str
    labels: dict[str, str]
    start: int
    end: int
    value: Callable[[int], int]  # 0 or 1
    step: int = STEP
    gaps: tuple[tuple[int, int], ...] = ()  # (from, to) with no scrape strictly inside

    @functools.cached_property
    def samples(self) -> list[tuple[int, float]]:
        times = range(self.start, self.end + 1, self.step)
        return [(t, self.value(t)) for t in times if not any(a < t < b for a, b in self.gaps)]

    def shares(self, start: int, end: int) -> tuple[int, int]:
        """(good samples, samples) in [start, end]: the range a range selector reads."""
        inside = [v for t, v in self.samples if start <= t <= end]
        return int(sum(inside)), len(inside)


def openmetrics(series: Iterable[Counter | Gauge]) -> str:
    lines = []
    for s in series:
        labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
        lines += [f"{s.name}{{{labels}}} {v:g} {t}" for t, v in s.samples]
    return "\n".join([*lines, "# EOF", ""])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def prometheus(
    folder: Path, series: Iterable[Counter | Gauge], flags: Iterable[str] = (), block: str = "24h"
) -> Iterator[str]:
    """Backfill `series` into a TSDB under `folder` and serve it, started with `flags` besides its
    own (a limit a real installation sets, e.g. `--query.max-samples=…`), its blocks at most `block`
    long (a year of data in blocks of a day takes Prometheus minutes to open); yields its address."""
    data = folder / "series.om"
    data.write_text(openmetrics(series))
    storage = folder / "tsdb"
    done = subprocess.run(
        [
            PROMTOOL,
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            f"--max-block-duration={block}",
            str(data),
            str(storage),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    config = folder / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1h\nscrape_configs: []\n")
    port = _free_port()
    process = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={storage}",
            "--storage.tsdb.retention.time=100y",
            f"--web.listen-address=127.0.0.1:{port}",
            *flags,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    reader = None
    try:
        log = []
        assert process.stderr is not None
        for line in process.stderr:  # blocks until Prometheus says it is ready, or exits
            log.append(line)
            if "Server is ready to receive web requests" in line:
                break
        else:
            raise AssertionError("prometheus did not start:\n" + "".join(log))
        # keep reading its log, so that a full pipe never stops the server
        reader = threading.Thread(target=process.stderr.read, daemon=True)
        reader.start()
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if reader is not None:
            reader.join()
        if process.stderr is not None:
            process.stderr.close()
