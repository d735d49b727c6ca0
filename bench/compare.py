"""Old code against new, side by side: `python bench/compare.py --against REV [--sizes 1k,5k,large]`.

For each bench size (the sites of `make bench`), the code of REV (a temporary git worktree) and
the working tree's code each run, alternating old, new, old, new…:

- a full build from nothing (no output, no cache);
- a rebuild with nothing changed;
- a rebuild after one policy page's body changed;
- a rebuild after one SLO's objective changed in catalog.yaml (the first SLO's becomes 97.5);
- a rebuild after `servicebook.lock` changed (a site without members: no page shows it).

`--reference` also runs the reference pipeline (reference.py) on the same pages just before each
full build and prints each version's policy pages/s as a share of it (issue 20's first target);
`--full-only` skips the rebuilds.

It prints the median CPU seconds (user + system, the build and its workers) and wall seconds of
each, and the ratio new/old.

`--history SITE` measures instead the cold timeline of SITE's git history (nothing cached; what
`bench/history_bench.py --keep DIR` leaves in DIR/site), CPU seconds of servicebook and git.
`--versions` runs `bench/versions_bench.py` (its options after `--`) with each version's code.
`--ci` measures instead ci_bench.py's build of a committed one-page change (cache restored in a
fresh checkout; output kept), one run of each per alternation. CPU time is what to compare on a shared machine: it does not count
time spent waiting for a core. Both versions' bytecode is written first, as an installed package
has it (under PYTHONDONTWRITEBYTECODE=1 every run would otherwise compile every module it imports,
which is most of a no-change rebuild's time).
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from ci_bench import ci_builds  # noqa: E402
from run import OUT, SIZES, Run, ensure_site, run  # noqa: E402

ENTRY = "import sys; sys.path.insert(0, sys.argv.pop(1)); from servicebook.cli import main; main()"


def command(src: Path, site: Path, output: Path) -> list[str]:
    return [sys.executable, "-c", ENTRY, str(src), "build", "--source", str(site), "--output", str(output)]


def measure(src: Path, root: Path, label: str, *, reference: bool = False, full_only: bool = False) -> dict[str, Run]:
    """The builds of one site with one version of the code, in a copy of its own; with `reference`,
    first the reference pipeline (reference.py) on the same pages, just before the full build."""
    work = OUT / f"compare-{label}-{root.name}"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(root / "site", work / "site", ignore=shutil.ignore_patterns(".servicebook-cache", "public"))
    output = work / "public"
    found: dict[str, Run] = {}
    if reference:
        pipeline = [sys.executable, str(HERE / "reference.py"), str(work / "site" / "content"), str(work / "reference")]
        found["reference pipeline"] = run(pipeline, work)
        shutil.rmtree(work / "reference", ignore_errors=True)
    full = run(command(src, work / "site", output), work)
    if full_only:
        shutil.rmtree(work, ignore_errors=True)
        return {**found, "full build": full}
    same = run(command(src, work / "site", output), work)
    page = sorted((work / "site" / "content").rglob("*.md"))[len(list((work / "site" / "content").rglob("*.md"))) // 2]
    page.write_text(page.read_text() + "\nOne more line.\n")
    edit = run(command(src, work / "site", output), work)
    catalog = work / "site" / "catalog.yaml"
    catalog.write_text(re.sub(r"objective: [0-9.]+", "objective: 97.5", catalog.read_text(), count=1))
    record = run(command(src, work / "site", output), work)
    (work / "site" / "servicebook.lock").write_text("# members at their commits\n")
    lock = run(command(src, work / "site", output), work)
    shutil.rmtree(work, ignore_errors=True)
    return {
        **found,
        "full build": full,
        "no change": same,
        "one page changed": edit,
        "one SLO changed": record,
        "lock changed": lock,
    }


TIMELINE = (
    "import sys; sys.path.insert(0, sys.argv.pop(1)); from pathlib import Path; "
    "from servicebook.git.history import load_timeline; from servicebook.git.repo import build_info, open_repo; "
    # before the git answers were asked once (open_repo's Repo passed down), these took the folder
    "import inspect; old = 'root' in inspect.signature(load_timeline).parameters; "
    "site = Path(sys.argv[1]); where = site if old else open_repo(site); "
    "load_timeline(where, build_info(where, {}), use_disk_cache=False)"
)


def history(src: Path, site: Path) -> dict[str, Run]:
    return {"cold timeline": run([sys.executable, "-c", TIMELINE, str(src), str(site)], site)}


def versions(src: Path, extra: list[str]) -> dict[str, Run]:
    """versions_bench.py's figures with the code in `src` (its own lines: wall s, CPU s)."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, str(HERE / "versions_bench.py"), *extra], env=env, capture_output=True, text=True, check=True
    )
    found = {}
    for line in done.stdout.splitlines():
        match = re.match(r"(.+?)\s+([\d.]+) s\s+([\d.]+) CPU s$", line)
        if match:
            found[match[1].strip()[:40]] = Run(float(match[2]), 0.0, True, float(match[3]))
    return found


def ci(src: Path, root: Path, label: str) -> dict[str, Run]:
    """ci_bench.py's two builds of a committed one-page change, with the code in `src`."""
    made = ci_builds(lambda site, output: command(src, site, output), root / "site", OUT / f"compare-ci-{label}", 1)
    return {step: runs[0] for step, runs in made.items()}


def _ceiling(size: str, runs: dict[str, dict[str, list[Run]]]) -> None:
    """Issue 20's figure: the full build's policy pages/s as a share of the reference pipeline's,
    each run against the reference run just before it (so both saw the same machine)."""
    pages = SIZES[size]["pages"]
    for label in ("old", "new"):
        shares = [
            reference.seconds / full.seconds
            for reference, full in zip(runs[label]["reference pipeline"], runs[label]["full build"], strict=True)
        ]
        full_wall = statistics.median(r.seconds for r in runs[label]["full build"])
        print(
            f"  {label}: {pages / full_wall:.0f} policy pages/s, "
            f"{statistics.median(shares) * 100:.0f} % of the reference pipeline's (median of {len(shares)})",
            flush=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", required=True, help="git revision whose code is the 'old'")
    parser.add_argument("--sizes", default="1k,5k,large")
    parser.add_argument("--runs", type=int, default=3, help="runs of each version, alternating")
    parser.add_argument("--history", type=Path, help="measure the cold timeline of this site's history instead")
    parser.add_argument("--versions", action="store_true", help="run versions_bench.py instead (its options after --)")
    parser.add_argument("--ci", action="store_true", help="ci_bench.py's committed one-page change instead")
    parser.add_argument(
        "--reference",
        action="store_true",
        help="also run reference.py before each full build; print pages/s against it",
    )
    parser.add_argument("--full-only", action="store_true", help="only the full build (and the reference)")
    args, extra = parser.parse_known_args()
    extra = [a for a in extra if a != "--"]
    with tempfile.TemporaryDirectory(prefix="compare-") as tmp:
        old_tree = Path(tmp) / "old"
        subprocess.run(["git", "worktree", "add", "-q", "--detach", str(old_tree), args.against], cwd=REPO, check=True)
        try:
            for src in (old_tree / "src", REPO / "src"):
                compileall.compile_dir(str(src / "servicebook"), quiet=1)
            cases = ["history"] if args.history else ["versions"] if args.versions else args.sizes.split(",")
            for size in cases:
                runs: dict[str, dict[str, list[Run]]] = {"old": {}, "new": {}}
                for _ in range(args.runs):
                    for label, src in (("old", old_tree / "src"), ("new", REPO / "src")):
                        if args.history:
                            measured = history(src, args.history.resolve())
                        elif args.versions:
                            measured = versions(src, extra)
                        elif args.ci:
                            measured = ci(src, ensure_site(size), label)
                        else:
                            measured = measure(
                                src, ensure_site(size), label, reference=args.reference, full_only=args.full_only
                            )
                        for step, result in measured.items():
                            runs[label].setdefault(step, []).append(result)
                print(f"\n{size}: median of {args.runs}, CPU s (wall s), old {args.against} vs new (working tree)")
                for step in runs["old"]:
                    old_cpu = statistics.median(r.cpu for r in runs["old"][step])
                    new_cpu = statistics.median(r.cpu for r in runs["new"][step])
                    old_wall = statistics.median(r.seconds for r in runs["old"][step])
                    new_wall = statistics.median(r.seconds for r in runs["new"][step])
                    print(
                        f"  {step:40} old {old_cpu:6.2f} ({old_wall:5.2f})  new {new_cpu:6.2f} ({new_wall:5.2f})"
                        f"  new/old {new_cpu / old_cpu:4.2f}",
                        flush=True,
                    )
                if args.reference and not (args.history or args.versions or args.ci):
                    _ceiling(size, runs)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old_tree)], cwd=REPO, check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
