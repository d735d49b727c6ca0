"""Organisation benchmark: an organisation site with N member teams, each a local git repository
holding a generated catalog, and what gathering them costs.

    python bench/federation_bench.py                          # 200 members × 20 offerings × 10 pages
    python bench/federation_bench.py --members 20             # a quick look

Each member is a team of its own (its own name, offering and tool ids of its own but a few that
teams share, so they disagree now and then) that names its organisation (`organisation:`) and other
teams' records: offerings it depends on, links from its pages, another team's tool as an
alternative and the organisation's own offering (`--cross-refs members`: only the references
between members, which servicebook before 4 Dec 2026 reads, to compare with it).

Prints: `federate update` of every member (nothing fetched before), the full build of the
organisation site (wall and CPU seconds, peak memory of the build process), a rebuild with nothing
changed, `federate update` of every member when one of them changed, and the rebuild after that
member's lock entry moved (committed, so the changes page lists what the move changed), as a share
of the full build. The organisation site is a git repository: each `federate update` is committed.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

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
ORGANISATION = "https://org.example/"  # where the members say the organisation site is
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


def servicebook(*args: str) -> tuple[float, float, int, str]:
    """(wall seconds, CPU seconds, peak memory in MB, what it printed) of one servicebook command."""
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
    return seconds, cpu, peak_kb // 1024, done.stdout + done.stderr


SHARED = {"offerings": 1, "tools": 5}  # the first of each keep the generator's ids: a few the teams share


def own_ids(n: int, member: Path) -> None:
    """Give member `n`'s offerings and tools ids of their own (`jenkins-00003-t007`) but the first
    few (SHARED), so that teams claim the same offering id or disagree about a tool now and then,
    not about most (the generator draws every member's from the same few names)."""
    catalog = yaml.safe_load((member / "catalog.yaml").read_text())
    renamed = {r["id"]: f"{r['id']}-t{n:03d}" for key, keep in SHARED.items() for r in catalog[key][keep:]}
    pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, renamed)) + r")(?![\w-])")
    for path in [member / "catalog.yaml", *sorted((member / "content").glob("*.md"))]:
        path.write_text(pattern.sub(lambda m: renamed[m[1]], path.read_text()))


def refer_to_others(n: int, members: list[Path], kinds: str) -> int:
    """Make member `n` a team of its own (its own name) that names other teams' records, as teams
    of an organisation do: three of its offerings each depend on one of the next three members'
    offerings, two of its pages link to one, and (`kinds` all) one unsupported tool's alternative
    is another team's tool and a page links to the organisation's own offering. The number of
    references made."""
    member = members[n]
    others = [members[(n + k) % len(members)] for k in (1, 2, 3)] if len(members) > 1 else []
    records = [yaml.safe_load((m / "catalog.yaml").read_text()) for m in others]
    pages = sorted((member / "content").glob("*.md"))
    lines = (member / "catalog.yaml").read_text().split("\n")
    lines[lines.index("  name: Platform Engineering")] = f"  name: Team {n:03d}"
    lines.insert(lines.index("site:"), f"organisation: {ORGANISATION}")
    depends = [i for i, line in enumerate(lines) if line.startswith("    depends_on: [")]
    made = 0
    for k, (other, catalog) in enumerate(zip(others, records, strict=True)):
        offering = next(o["id"] for o in catalog["offerings"] if o["lifecycle"] == "ga")
        if k < len(depends):
            lines[depends[k]] = lines[depends[k]][:-1] + f", {other.name}/{offering}]"
            made += 1
        if k < min(2, len(pages)):
            pages[k].write_text(pages[k].read_text() + f"\nSee also [{offering}](offering:{other.name}/{offering}).\n")
            made += 1
    if kinds == "all" and records and len(pages) > 2:
        tool = next(t["id"] for t in records[0]["tools"] if t["status"] == "supported")
        alternative = next(i for i, line in enumerate(lines) if line.startswith("    alternative: "))
        lines[alternative] = f"    alternative: tool:{others[0].name}/{tool}"
        pages[2].write_text(pages[2].read_text() + "\nWe build with the [CI pipelines](offering:organisation/ci).\n")
        made += 2
    (member / "catalog.yaml").write_text("\n".join(lines))
    return made


def show(label: str, measured: tuple[float, float, int, str]) -> None:
    print(f"{label:<62} {measured[0]:8.2f} s {measured[1]:8.2f} CPU s {measured[2]:6d} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--offerings", type=int, default=20)
    parser.add_argument("--tools", type=int, default=20)
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument(
        "--cross-refs",
        choices=("all", "members"),
        default="all",
        help="members: only the references between members an older servicebook reads (to compare with it)",
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="servicebook-federation-bench-"))
    try:
        entries = []
        members = [work / f"team-{n:03d}" for n in range(args.members)]
        for n, member in enumerate(members):
            generate(member, offerings=args.offerings, tools=args.tools, pages=args.pages, seed=n + 1)
        for n, member in enumerate(members):
            own_ids(n, member)
        refs = sum(refer_to_others(n, members, args.cross_refs) for n in range(len(members)))
        for member in members:
            subprocess.run(["git", "init", "-q", "-b", "main", str(member)], check=True)
            commit_all(member, "Catalog")
            entries.append(f"  - id: {member.name}\n    repository: ../{member.name}\n")
        org = work / "org"
        shutil.copytree(MINIMAL, org)
        with (org / "catalog.yaml").open("a") as f:
            f.write("members:\n" + "".join(entries))
        (org / ".gitignore").write_text("/public/\n")
        subprocess.run(["git", "init", "-q", "-b", "main", str(org)], check=True)
        commit_all(org, "The organisation's catalog")
        print(
            f"organisation: {args.members} members × {args.offerings} offerings, {args.tools} tools, "
            f"{args.pages} policy pages; {refs} references to other teams' records ({args.cross_refs})"
        )
        show(
            "federate update, every member (nothing fetched before)", servicebook("federate", "update", "-s", str(org))
        )
        commit_all(org, "Lock the members")
        full = servicebook("build", "--no-versions", "-s", str(org))
        show("full build of the organisation site", full)
        print(f"  with {full[3].count(': warning: teams disagree')} warnings that teams disagree")
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
