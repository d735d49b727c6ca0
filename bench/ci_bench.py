"""What a CI job waits for after a one-page change is committed, with the build cache restored
(issue 20, item 4: the whole `build`, history and releases included, at most 1 s on the 5k site).

    python bench/ci_bench.py [--size 5k] [--runs 3] [--no-spare] [--same-path]

The bench site (run.py's, bench/out/) becomes a git repository with two tagged releases (its
catalog's `version:` changed once, each version tagged `v<version>`, as docs/versions-and-releases.md
advises: an untagged version is released by the newest commit that carries it, so every commit
would rebuild that release) and is built once, which fills `.servicebook-cache/`. Then, RUNS times, one policy page's body is edited
and committed, and the next commit is built two ways:

- **fresh checkout, cache restored**: a clone of the commit (another folder) with
  `.servicebook-cache/` and `public/` copied in (`cp -a` of both at once), as a CI job starts
  that restores both as one tar archive (docs/reviewing-changes.md, "Caching between CI runs"):
  every file a new inode with its size and modification time kept, the hard links between the
  spare (`.servicebook-cache/build/`) and `public/` kept, so the build takes the kept pages and
  the cached releases by those and turns the spare into the new site; with `--no-spare`, the
  spare is left out, as a zip archive (GitLab's own cache) makes it useless;
- **output kept**: in the repository itself, where the last build's `public/` is still there (a
  runner that keeps its workspace, or a build on the author's machine after `git commit`).

Prints one line per way: median wall and CPU seconds (the build and its workers). `make bench` runs it
after run.py (at 5k, beside issue 20's target); `ci_builds` is also what compare.py calls.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import OUT, SIZES, Run, ensure_site, run, servicebook  # noqa: E402

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
FRESH = "CI: cache restored, one page committed"
KEPT = "CI: output kept, one page committed"
TARGET = 1.0  # seconds, issue 20 item 4


def git(site: Path, *args: str, when: int = 1_790_000_000) -> None:
    env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": f"@{when} +0000", "GIT_COMMITTER_DATE": f"@{when} +0000"}
    subprocess.run(["git", *args], cwd=site, env=env, check=True, stdout=subprocess.DEVNULL)


def ci_builds(
    command: Callable[[Path, Path], list[str]],
    source: Path,
    work: Path,
    runs: int,
    *,
    fresh: bool = True,
    spare: bool = True,
    same_path: bool = False,
) -> dict[str, list[Run]]:
    """`command(site, output)` builds `site` into `output`; source: a bench site folder. Returns
    the runs of each way (FRESH, unless `fresh` is False, and KEPT) after the first builds;
    `spare`: whether the restored cache holds the spare (see the module's docstring);
    `same_path`: each fresh checkout is made at the path the cache was built at (the repository
    moved aside meanwhile), as a CI job's workspace is at the same path every run, not at a path
    of its own (where the build writes again what it records by the output's path)."""
    shutil.rmtree(work, ignore_errors=True)
    site = work / "site"
    shutil.copytree(source, site, ignore=shutil.ignore_patterns(".servicebook-cache", "public"))
    (site / ".gitignore").write_text("/public/\n/.servicebook-cache/\n")
    catalog = site / "catalog.yaml"
    text = catalog.read_text()
    git(site, "init", "-q", "-b", "main")
    git(site, "add", "-A")
    git(site, "commit", "-q", "-m", "The catalog", when=1_789_000_000)
    git(site, "tag", "v2026.11")
    catalog.write_text(text.replace('version: "2026.11"', 'version: "2026.12"', 1))
    git(site, "commit", "-q", "-am", "Version 2026.12", when=1_789_500_000)
    git(site, "tag", "v2026.12")
    run(command(site, site / "public"), work)  # the first build: fills the cache
    pages = sorted((site / "content").rglob("*.md"))
    page = pages[len(pages) // 2]
    # the first commit after a release's tag changes every page once: each says from then on that
    # the catalog has changed since the release of its version (base.html); commits after that
    # are the common case, measured below
    pages[0].write_text(pages[0].read_text() + "\nA change after the release.\n")
    git(site, "commit", "-q", "-am", "After the release", when=1_789_900_000)
    run(command(site, site / "public"), work)
    found: dict[str, list[Run]] = {FRESH: [], KEPT: []} if fresh else {KEPT: []}
    for i in range(runs):
        page.write_text(page.read_text() + f"\nA committed revision, number {i}.\n")
        git(site, "commit", "-q", "-am", f"Revision {i}", when=1_790_000_000 + i * 3600)
        if not fresh:
            found[KEPT].append(run(command(site, site / "public"), work))
            continue
        origin, clone = (work / "site-kept", site) if same_path else (site, work / f"clone-{i}")
        if same_path:
            site.rename(origin)
        subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True, env={**os.environ, **GIT_ENV})
        # as one tar archive of both unpacks them (actions/cache, the GitLab component's
        # servicebook-cache.tar): new inodes, times kept, the spare's hard links to public/ kept
        subprocess.run(["cp", "-a", str(origin / ".servicebook-cache"), str(origin / "public"), str(clone)], check=True)
        if not spare:  # as a zip archive (GitLab's own cache) unpacks them: the spare of no use
            shutil.rmtree(clone / ".servicebook-cache" / "build", ignore_errors=True)
        found[FRESH].append(run(command(clone, clone / "public"), work))
        shutil.rmtree(clone, ignore_errors=True)
        if same_path:
            origin.rename(site)
        found[KEPT].append(run(command(site, site / "public"), work))
    shutil.rmtree(work, ignore_errors=True)
    return found


def _installed(site: Path, output: Path) -> list[str]:
    return [*servicebook(site)[:-2], "--source", str(site), "--output", str(output)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="5k", choices=list(SIZES))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-spare", action="store_true", help="restore the cache without the spare (a zip archive)")
    parser.add_argument(
        "--same-path", action="store_true", help="each fresh checkout at the path the cache was built at, as a CI job's"
    )
    args = parser.parse_args()
    root = ensure_site(args.size)
    work = OUT / f"ci-{args.size}"
    found = ci_builds(_installed, root / "site", work, args.runs, spare=not args.no_spare, same_path=args.same_path)
    for label, runs in found.items():
        wall = statistics.median(r.seconds for r in runs)
        cpu = statistics.median(r.cpu for r in runs)
        print(f"{label:44} {wall:6.2f} s {cpu:6.2f} CPU s   (target ≤ {TARGET:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
