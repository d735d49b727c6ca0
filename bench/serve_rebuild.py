"""How long `servicebook serve` takes to rebuild a site after a one-page edit: what an author
waits for between saving a page and seeing it (plus the file watcher's step, at most 50 ms).

    python bench/serve_rebuild.py SITE RUNS

Builds SITE once the way `serve` does (in this process, into a temporary folder), then edits the
page `run.py` edits, RUNS times, each time rebuilding as `serve` does when its file watcher reports
the page changed, and prints one JSON line per rebuild: wall seconds, CPU seconds
(user + system, with any worker processes) and system seconds; then the peak memory of the process (or of a worker). run.py shows the
medians.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

from servicebook.site.serve import Preview


def cpu() -> tuple[float, float]:
    mine, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime, mine.ru_stime + children.ru_stime


def main() -> None:
    site, runs = Path(sys.argv[1]), int(sys.argv[2])
    pages = sorted((site / "content").glob("*.md"))
    page = pages[len(pages) // 2]
    original = page.read_text()
    failures: list[str] = []
    preview = Preview(site, dict(os.environ), lambda _: None, failures.append)
    try:
        if not preview.rebuild():
            sys.exit("\n".join(failures))
        for i in range(runs):
            page.write_text(original + f"\nA revision note, number {i}, saved while serving.\n")
            (busy, kernel), start = cpu(), time.perf_counter()
            if not preview.rebuild([page]):  # as serve's file watcher reports the edit
                sys.exit("\n".join(failures))
            seconds = time.perf_counter() - start
            busy_after, kernel_after = cpu()
            print(json.dumps([seconds, busy_after - busy, kernel_after - kernel]), flush=True)
    finally:
        page.write_text(original)
        preview.close()
    peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    print(json.dumps({"peak_mib": peak / 1024}))


if __name__ == "__main__":
    main()
