"""CPU seconds of a full `servicebook build` of one bench site, this checkout's code against
another revision's, alternating old and new so that both meet the same machine load:

    python bench/cpu_versus.py --against REV [--site bench/out/5k/site] [--runs 5]

Each run starts with no output and no build cache (a full build, as `make bench` measures it) and
counts the user + system time of the command and its waited-for workers. The other revision's
code runs from a temporary git worktree, put first on PYTHONPATH; everything else (Python, the
installed dependencies) is shared. Prints each run and the medians.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
EPOCH = "1790000000"


def _cpu(src: Path, site: Path, work: Path) -> float:
    output = work / "public"
    shutil.rmtree(output, ignore_errors=True)
    shutil.rmtree(work / ".servicebook-cache", ignore_errors=True)
    shutil.rmtree(site / ".servicebook-cache", ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(src), "SOURCE_DATE_EPOCH": EPOCH}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # compiling every module in every run is not what is measured
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    code = "import sys; from servicebook.cli import main; sys.exit(main())"
    args = [sys.executable, "-c", code, "build", "--source", str(site), "--output", str(output)]
    subprocess.run(args, env=env, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", required=True, help="the revision to compare with")
    parser.add_argument("--site", type=Path, default=HERE / "out" / "5k" / "site")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sb-cpu-") as tmp:
        old = Path(tmp) / "old"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "-q", "--detach", str(old), args.against], check=True
        )
        try:
            versions = {"old": old / "src", "new": REPO / "src"}
            for src in versions.values():  # compile the bytecode first: it is not what is measured
                _cpu(src, args.site, Path(tmp))
            figures: dict[str, list[float]] = {name: [] for name in versions}
            for run in range(args.runs):
                for name, src in versions.items():
                    figures[name].append(_cpu(src, args.site, Path(tmp)))
                    print(f"run {run + 1} {name}: {figures[name][-1]:.2f} CPU s", flush=True)
            for name, values in figures.items():
                print(
                    f"{name} ({args.against if name == 'old' else 'this checkout'}): median {statistics.median(values):.2f} CPU s"
                )
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(old)], check=True)


if __name__ == "__main__":
    main()
