"""What starting the removal of a replaced site costs the process that builds, with the heap a
build has at its end: `python bench/remover_bench.py SRC [--heap N] [--runs N]`.

SRC is the `src` folder of the code to measure (this checkout's, or another revision's from
`git archive REV src | tar -x -C DIR`); run it for each in turn, alternating. It makes N small
strings (4,000,000: ~356 MiB resident, about a 5k build's end), then starts the removal of a
small folder `--runs` times as the write stage does (`write._remove_in_background`) and prints
the median CPU ms (this process and the processes it waited for) and wall ms of one start.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("src", type=Path)
    parser.add_argument("--heap", type=int, default=4_000_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    sys.path.insert(0, str(args.src))
    from servicebook.site import write

    heap = [str(i) * 3 for i in range(args.heap)]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    cpu, wall = [], []
    with tempfile.TemporaryDirectory(prefix="sb-remover-") as tmp:
        for n in range(args.runs):
            trash = Path(tmp) / f"trash-{n}"
            (trash / "page").mkdir(parents=True)
            (trash / "page" / "index.html").write_bytes(b"<p>")
            own, waited, start = (
                resource.getrusage(resource.RUSAGE_SELF),
                resource.getrusage(resource.RUSAGE_CHILDREN),
                time.perf_counter(),
            )
            write._remove_in_background(trash)
            took = time.perf_counter() - start
            own2, waited2 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(
                sum(
                    getattr(b, f) - getattr(a, f)
                    for a, b in ((own, own2), (waited, waited2))
                    for f in ("ru_utime", "ru_stime")
                )
            )
            wall.append(took)
    print(
        f"{args.src}: {len(heap):,} strings, {rss} MiB resident; one start: {statistics.median(cpu) * 1000:.2f} CPU ms, {statistics.median(wall) * 1000:.2f} wall ms (medians of {args.runs})"
    )


if __name__ == "__main__":
    main()
