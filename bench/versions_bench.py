"""Versions benchmark: a history with N releases of a generated catalog, and what publishing them costs.

    python bench/versions_bench.py                       # 20 releases of 500 offerings / 1,000 tools / 200 pages
    python bench/versions_bench.py --offerings 2000 --tools 5000 --pages 2000   # the large catalog

Each release commit bumps the catalog's `version:` and makes one realistic edit (an SLO objective, a
tool's status, a reason), so consecutive releases differ a little, as they do in real life.
Prints: one build of the current catalog alone (--no-versions), the first build with every release
(nothing cached), a rebuild with nothing changed, and a rebuild after one more release; and the
first build as a ratio to (releases + 1) separate builds.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from generate import generate
from history_bench import mutate


def commit_all(site: Path, message: str, when: int) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": f"{when} +0000",
        "GIT_COMMITTER_DATE": f"{when} +0000",
        "GIT_AUTHOR_NAME": "Bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "Bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
    }
    subprocess.run(["git", "-C", str(site), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(site), "commit", "-q", "-m", message], check=True, env=env)


def release(site: Path, n: int, rng: random.Random) -> None:
    catalog = site / "catalog.yaml"
    text, message = mutate(catalog.read_text(), rng, n)
    text = re.sub(r"^version: .*$", f'version: "{n}.0"', text, count=1, flags=re.M)
    catalog.write_text(text)
    commit_all(site, f"Release {n}.0: {message}", 1_700_000_000 + n * 86_400)


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def build(site: Path, *extra: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the build and its waited-for workers)."""
    cpu = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "servicebook.cli", "build", "--source", str(site), *extra],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1790000000"},
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return seconds, _children_cpu() - cpu


def show(label: str, measured: tuple[float, float]) -> None:
    print(f"{label:<58} {measured[0]:8.2f} s {measured[1]:8.2f} CPU s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--offerings", type=int, default=500)
    parser.add_argument("--tools", type=int, default=1000)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--releases", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it (default: a temporary one)")
    args = parser.parse_args()

    if args.keep is not None:
        shutil.rmtree(args.keep, ignore_errors=True)
    work = args.keep or Path(tempfile.mkdtemp(prefix="servicebook-versions-bench-"))
    site = work / "site"
    try:
        generate(site, offerings=args.offerings, tools=args.tools, pages=args.pages, seed=args.seed)
        (site / ".gitignore").write_text("/public/\n/.servicebook-cache/\n")
        subprocess.run(["git", "init", "-q", "-b", "main", str(site)], check=True)
        rng = random.Random(args.seed)
        for n in range(1, args.releases + 1):
            release(site, n, rng)
        print(f"catalog: {args.offerings} offerings, {args.tools} tools, {args.pages} pages; {args.releases} releases")
        single = build(site, "--no-versions", "--output", str(work / "single"))
        show("one build of the current catalog (--no-versions)", single)
        cold = build(site)
        show("first build with every release (nothing cached)", cold)
        warm = build(site)
        show("rebuild, nothing changed", warm)
        release(site, args.releases + 1, rng)
        more = build(site)
        show("rebuild after one more release", more)
        published = sorted(p.name for p in (site / "public/v").iterdir())
        assert len(published) == args.releases + 1, published
        builds = args.releases + 1
        print(
            f"first build / ({builds} separate builds): {cold[0] / (single[0] * builds):.2f} wall, "
            f"{cold[1] / (single[1] * builds):.2f} CPU"
        )
        print(
            f"rebuild after one more release / one build: {more[0] / single[0]:.2f} wall, {more[1] / single[1]:.2f} CPU"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
