"""Wall and CPU seconds of a command-line `servicebook build` after a one-page edit, this
checkout's code against another revision's, alternating old and new so that both meet the same
machine load:

    python bench/one_page_versus.py --against REV [--site bench/out/5k/site] [--pairs 5] [--git | --commit]

Each code builds a copy of the site of its own once (with its build cache), then, pair after
pair, one policy page of its copy is edited and the site built again. With --git each copy is a
repository of its own with its sources committed once, and the edits are left uncommitted (a
DevOps engineer's checkout: the history shows them as the working tree's changes). With --commit
each edit is committed too, an hour after the last (a team's CI after each merge: the catalog's
untagged version is released by its last commit, so that release is of a new commit every time). CPU is the user + system
time of the command and its waited-for processes (not a detached remover's). The other
revision's code runs from a temporary git worktree, put first on PYTHONPATH; everything else (Python,
the installed dependencies) is shared. Prints each run and the medians.
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
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
EPOCH = "1790000000"
CODE = "import sys; from servicebook.cli import main; sys.exit(main())"


def _build(src: Path, site: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one build of `site` into its public/."""
    env = {**os.environ, "PYTHONPATH": str(src), "SOURCE_DATE_EPOCH": EPOCH}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    args = [sys.executable, "-c", CODE, "build", "--source", str(site), "--output", str(site / "public")]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _git(site: Path, n: int, *args: str) -> None:
    """git in `site` with no user's configuration, its commits dated SOURCE_DATE_EPOCH plus `n` hours."""
    when = f"@{int(EPOCH) + 3600 * n} +0000"
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    env |= {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    who = ["-c", "user.name=Benchmark", "-c", "user.email=bench@example.org"]
    subprocess.run(["git", *who, *args], cwd=site, env=env, check=True, capture_output=True)


def _edit(site: Path, n: int, commit: bool) -> None:
    page = sorted((site / "content").glob("*.md"))[0]
    page.write_text(page.read_text() + f"\nEdited, run {n}.\n")
    if commit:
        _git(site, n + 1, "commit", "-q", "-a", "-m", f"Edited, run {n}.")


def _commit(site: Path) -> None:
    """Make `site` a repository of one commit holding its sources (the output and cache ignored)."""
    (site / ".gitignore").write_text("public/\n.servicebook-cache/\n")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "The sources"]):
        _git(site, 0, *args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", required=True, help="the revision to compare with")
    parser.add_argument("--site", type=Path, default=HERE / "out" / "5k" / "site")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--git", action="store_true", help="each copy a repository, the edits uncommitted")
    parser.add_argument("--commit", action="store_true", help="each copy a repository, each edit committed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sb-one-page-") as tmp:
        old = Path(tmp) / "old"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "-q", "--detach", str(old), args.against], check=True
        )
        try:
            versions = {"old": old / "src", "new": REPO / "src"}
            sites = {}
            for name, src in versions.items():
                sites[name] = Path(tmp) / f"site-{name}"
                sites[name].mkdir()
                shutil.copy(args.site / "catalog.yaml", sites[name])
                shutil.copytree(args.site / "content", sites[name] / "content")
                if args.git or args.commit:
                    _commit(sites[name])
                _build(src, sites[name])  # the full build, with its cache
                _edit(sites[name], 0, args.commit)
                _build(src, sites[name])  # a spare site beside the output from now on, as every next build
            figures: dict[str, list[tuple[float, float]]] = {name: [] for name in versions}
            for n in range(1, args.pairs + 1):
                for name, src in versions.items() if n % 2 else reversed(versions.items()):
                    _edit(sites[name], n, args.commit)
                    wall, cpu = _build(src, sites[name])
                    figures[name].append((wall, cpu))
                    print(f"pair {n} {name}: {wall:.3f} s wall, {cpu:.3f} CPU s", flush=True)
            for name, runs in figures.items():
                wall = statistics.median(w for w, _ in runs)
                cpu = statistics.median(c for _, c in runs)
                print(f"{name} median: {wall:.3f} s wall, {cpu:.3f} CPU s")
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(old)], check=True)


if __name__ == "__main__":
    main()
