"""Wall and CPU seconds of a command-line `servicebook build` after a one-page edit committed to
the site's own repository, this checkout's code against another revision's, alternating old and
new so that both meet the same machine load:

    python bench/commit_versus.py --against REV [--site bench/out/1k/site] [--pairs 5] [--uncommitted]

Each code has a copy of the site of its own, a git repository as bench/run.py's `own_repository`
makes one (one commit, no tag: the catalog's version is released by its last commit), built once
(with its build cache), then a first edit committed and built (as after any merge). Then, pair
after pair, one policy page of its copy is edited, the edit committed (each commit an hour after
the last) and the site built again: the release of HEAD's version is of a new commit every time,
as in a team's CI after each merge. `--uncommitted`: the edits are left uncommitted instead (the
release is then the cached one: what the committed case is measured against). CPU is the user +
system time of the command and its waited-for processes. The other revision's code runs from a
temporary git worktree, put first on PYTHONPATH. Prints each run and the medians.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

from one_page_versus import EPOCH, HERE, REPO, _build


def _git(site: Path, n: int, *args: str) -> None:
    """git in `site` as `own_repository` runs it: no user's configuration; the commit's dates
    SOURCE_DATE_EPOCH plus `n` hours."""
    when = f"@{int(EPOCH) + 3600 * n} +0000"
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
    }
    who = ["-c", "user.name=Benchmark", "-c", "user.email=bench@example.org"]
    subprocess.run(["git", *who, *args], cwd=site, env=env, check=True, capture_output=True)


def _edit(site: Path, n: int, commit: bool) -> None:
    page = sorted((site / "content").glob("*.md"))[0]
    page.write_text(page.read_text() + f"\nEdited, run {n}.\n")
    if commit:
        _git(site, n + 1, "commit", "-q", "-a", "-m", f"Edited, run {n}.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", required=True, help="the revision to compare with")
    parser.add_argument("--site", type=Path, default=HERE / "out" / "1k" / "site")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--uncommitted", action="store_true", help="leave the edits uncommitted")
    args = parser.parse_args()
    commit = not args.uncommitted
    with tempfile.TemporaryDirectory(prefix="sb-commit-") as tmp:
        old = Path(tmp) / "old"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "-q", "--detach", str(old), args.against], check=True
        )
        try:
            versions = {"old": old / "src", "new": REPO / "src"}
            sites = {}
            for name, src in versions.items():
                sites[name] = site = Path(tmp) / f"site-{name}"
                site.mkdir()
                shutil.copy(args.site / "catalog.yaml", site)
                shutil.copytree(args.site / "content", site / "content")
                (site / ".gitignore").write_text("public/\n.servicebook-cache/\n")
                _git(site, 0, "init", "-q", "-b", "main")
                _git(site, 0, "add", "-A")
                _git(site, 0, "commit", "-q", "-m", "The catalog")
                _build(src, site)  # the full build, with its cache and its release
                _edit(site, 0, commit)
                _build(src, site)
            figures: dict[str, list[tuple[float, float]]] = {name: [] for name in versions}
            for n in range(1, args.pairs + 1):
                for name, src in versions.items() if n % 2 else reversed(versions.items()):
                    _edit(sites[name], n, commit)
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
