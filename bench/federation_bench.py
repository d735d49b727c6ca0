"""Organisation benchmark: an organisation site with N member teams, each a local git repository
holding a generated catalog, and what gathering them costs.

    python bench/federation_bench.py                          # 200 members × 20 offerings × 10 pages
    python bench/federation_bench.py --members 20             # a quick look

Prints: `federate update` of every member (nothing fetched before), the full build of the
organisation site (wall and CPU seconds, peak memory of the build process), a rebuild with nothing
changed, `federate update` of every member when one of them changed, and the rebuild after that
member's lock entry moved (committed, so the changes page lists what the move changed), as a share
of the full build. The organisation site is a git repository: each `federate update` is committed.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from generate import generate

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_AUTHOR_DATE": "1790000000 +0000",
    "GIT_COMMITTER_DATE": "1790000000 +0000",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
MINIMAL = Path(__file__).parent.parent / "tests" / "sites" / "minimal"
# Runs one servicebook command and prints its peak memory (KB): RUSAGE_CHILDREN of this wrapper
# is the command's alone.
MEASURED = (
    "import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(done.returncode)"
)


def commit_all(repo: Path, message: str) -> None:
    env = {**os.environ, **GIT_ENV}
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", message], check=True, env=env)


def servicebook(*args: str) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, peak memory in MB) of one servicebook command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MEASURED, sys.executable, "-m", "servicebook.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1790000000"},
    )
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(done.stdout + done.stderr[-4000:])
    peak_kb = int(done.stderr.strip().splitlines()[-1])
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return seconds, cpu, peak_kb // 1024


def show(label: str, measured: tuple[float, float, int]) -> None:
    print(f"{label:<62} {measured[0]:8.2f} s {measured[1]:8.2f} CPU s {measured[2]:6d} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--offerings", type=int, default=20)
    parser.add_argument("--tools", type=int, default=20)
    parser.add_argument("--pages", type=int, default=10)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="servicebook-federation-bench-"))
    try:
        entries = []
        for n in range(args.members):
            member = work / f"team-{n:03d}"
            generate(member, offerings=args.offerings, tools=args.tools, pages=args.pages, seed=n + 1)
            subprocess.run(["git", "init", "-q", "-b", "main", str(member)], check=True)
            commit_all(member, "Catalog")
            entries.append(f"  - id: team-{n:03d}\n    repository: ../team-{n:03d}\n")
        org = work / "org"
        shutil.copytree(MINIMAL, org)
        with (org / "catalog.yaml").open("a") as f:
            f.write("members:\n" + "".join(entries))
        (org / ".gitignore").write_text("/public/\n")
        subprocess.run(["git", "init", "-q", "-b", "main", str(org)], check=True)
        commit_all(org, "The organisation's catalog")
        print(
            f"organisation: {args.members} members × {args.offerings} offerings, {args.tools} tools, "
            f"{args.pages} policy pages"
        )
        show(
            "federate update, every member (nothing fetched before)", servicebook("federate", "update", "-s", str(org))
        )
        commit_all(org, "Lock the members")
        full = servicebook("build", "--no-versions", "-s", str(org))
        show("full build of the organisation site", full)
        show("rebuild, nothing changed", servicebook("build", "--no-versions", "-s", str(org)))
        changed = work / "team-007" if args.members > 7 else work / "team-000"
        catalog = changed / "catalog.yaml"
        catalog.write_text(catalog.read_text().replace("objective: 99.9", "objective: 99.8", 1))
        commit_all(changed, "Lower an objective")
        show("federate update, every member, one of them changed", servicebook("federate", "update", "-s", str(org)))
        commit_all(org, "Move one member")
        moved = servicebook("build", "--no-versions", "-s", str(org))
        show("rebuild after one member's lock entry moved", moved)
        print(
            f"rebuild after one member moved / full build: {moved[0] / full[0]:.2f} wall, {moved[1] / full[1]:.2f} CPU"
        )
        changes = (org / "public/changes/index.html").read_text("utf-8")
        print(f"the changes page lists the moved member's lowered objective: {'lowered from 99.9' in changes}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
