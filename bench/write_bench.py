"""What the write stage of a one-page rebuild costs, and how it grows with the site:
`python bench/write_bench.py PUBLIC [--against REV] [--runs N]`.

PUBLIC is a site servicebook built (bench/out/<size>/site/public after `bench/run.py`). Each run
replays the write stage of a rebuild after one policy page changed, as build.py calls it: every
other file kept from PUBLIC (hard-linked), the page written anew, the spare of the last build
beside it, the new site swapped in whole; then what the next build's manifest records of the
output. It prints CPU and wall seconds per run (the median last). With `--against REV` the code
of REV (a temporary git worktree) runs too, alternating with the working tree's, on a copy of the
same site each.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

ONE_RUN = r"""
import inspect, os, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from servicebook.site import write
from servicebook.site.fresh import tree_identity
public, spare, page = Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
before = tree_identity(public)
files = write.SiteFiles()
for path in sorted(before):
    if path != write.MARKER:
        files.put_file(path, public / path, movable=False)
files[page] = (public / page).read_bytes() + b"<!-- changed -->\n"
unchanged = {p for p in files if p != page}
known = {p: before[p] for p in unchanged}
cpu, wall = time.process_time(), time.perf_counter()
if "known" in inspect.signature(write.write_site).parameters:
    written = write.write_site(files, public, {}, unchanged, spare=spare, known=known)
else:
    write.write_site(files, public, {}, unchanged, spare=spare)
    written = tree_identity(public)  # what build.py's record step read after the swap
print(time.process_time() - cpu, time.perf_counter() - wall, len(written))
"""


def one(src: Path, public: Path, spare: Path, page: str) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-c", ONE_RUN, str(src), str(public), str(spare), page],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(out[0]), float(out[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("public", type=Path)
    parser.add_argument("--against", help="git revision whose code is the 'old'")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="write-bench-", dir=args.public.parent) as tmp:
        versions = {"new": REPO / "src"}
        if args.against:
            old_tree = Path(tmp) / "old-code"
            subprocess.run(
                ["git", "worktree", "add", "-q", "--detach", str(old_tree), args.against], cwd=REPO, check=True
            )
            versions = {"old": old_tree / "src", **versions}
        try:
            sites = {}
            for label in versions:  # each version its own copy, with a spare as a rebuild leaves one
                public = Path(tmp) / label / "public"
                public.parent.mkdir()
                shutil.copytree(args.public, public, copy_function=os.link)
                shutil.copytree(args.public, Path(tmp) / label / "spare", copy_function=os.link)
                sites[label] = public
            pages = sorted(p for p in os.listdir(args.public / "policies") if not p.endswith(".html"))
            page = f"policies/{pages[len(pages) // 2]}/index.html"
            results: dict[str, list[tuple[float, float]]] = {label: [] for label in versions}
            for _ in range(args.runs):
                for label, src in versions.items():
                    results[label].append(one(src, sites[label], sites[label].parent / "spare", page))
            count = sum(1 for _ in args.public.rglob("*"))
            print(f"{args.public}: {count:,} entries; one page changed; median of {args.runs}, CPU s (wall s)")
            for label, runs in results.items():
                cpu = statistics.median(r[0] for r in runs)
                wall = statistics.median(r[1] for r in runs)
                print(f"  {label:4} {cpu:6.3f} ({wall:6.3f})   runs: " + " ".join(f"{r[0]:.3f}" for r in runs))
        finally:
            if args.against:
                subprocess.run(
                    ["git", "worktree", "remove", "--force", str(Path(tmp) / "old-code")], cwd=REPO, check=False
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
