"""History benchmark: a synthetic history of N commits over a large generated catalog, and how long
servicebook takes to turn it into the changes page, the feed and every page's history.

    python bench/history_bench.py                      # 1,000 commits over 200 offerings / 500 tools
    python bench/history_bench.py --offerings 2000 --tools 5000 --commits 100

The repository is written with one `git fast-import` stream (seconds, not a commit at a time).
Every commit edits the catalog (an SLO objective, a tool's status, a support response target) or
a policy page, so every commit has a distinct catalog or page blob, as in a busy real catalog.
Prints: the cold timeline (nothing cached), the warm one (the on-disk cache from the first run),
how many catalogs each parsed, and a whole-site `servicebook build --no-versions` with a warm
history cache (past releases are left out: they are measured on their own).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from generate import generate

from servicebook.git.history import load_timeline
from servicebook.git.repo import build_info, open_repo

OBJECTIVES = ("99", "99.5", "99.9", "99.95")


def mutate(text: str, rng: random.Random, n: int) -> tuple[str, str]:
    """One realistic edit to the catalog text; (new text, commit message)."""
    lines = text.split("\n")
    kind = n % 3
    if kind == 0:
        targets = [i for i, line in enumerate(lines) if line.strip().startswith("objective: ")]
        i = rng.choice(targets)
        indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
        lines[i] = f"{indent}objective: {rng.choice(OBJECTIVES)}"
        return "\n".join(lines), f"Adjust an SLO objective (change {n})"
    if kind == 1:
        targets = [i for i, line in enumerate(lines) if line.strip() == "status: best-effort"]
        targets += [i for i, line in enumerate(lines) if line.strip() == "status: supported"]
        i = rng.choice(targets)
        indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
        new = "supported" if lines[i].strip().endswith("best-effort") else "best-effort"
        lines[i] = f"{indent}status: {new}"
        return "\n".join(lines), f"Move a tool to {new} (change {n})"
    targets = [i for i, line in enumerate(lines) if line.strip().startswith("reason: ")]
    i = rng.choice(targets)
    note = f" Reviewed in change {n}."
    lines[i] = lines[i][:-1] + note + '"' if lines[i].endswith('"') else lines[i] + note
    return "\n".join(lines), f"Reword a tool decision (change {n})"


def write_history(site: Path, commits: int, seed: int) -> None:
    """Commit the generated site, then `commits` edits, through one git fast-import stream."""
    rng = random.Random(seed)
    subprocess.run(["git", "init", "-q", "-b", "main", str(site)], check=True)
    catalog = (site / "catalog.yaml").read_text()
    pages = sorted((site / "content").glob("*.md"))
    stream = subprocess.Popen(["git", "-C", str(site), "fast-import", "--quiet"], stdin=subprocess.PIPE)
    assert stream.stdin is not None
    out = stream.stdin

    def data(payload: bytes) -> None:
        out.write(f"data {len(payload)}\n".encode() + payload + b"\n")

    when = 1_700_000_000
    for n in range(commits + 1):
        files: list[tuple[str, bytes]] = []
        if n == 0:
            message = "Initial catalog"
            files.append(("catalog.yaml", catalog.encode()))
            files += [(f"content/{p.name}", p.read_bytes()) for p in pages]
        elif n % 10 == 0:  # every tenth commit edits a policy page instead
            page = pages[n % len(pages)]
            text = page.read_text() + f"\n## Note {n}\n\nAdded in change {n}.\n"
            page.write_text(text)
            message = f"Add a note to {page.stem} (change {n})"
            files.append((f"content/{page.name}", text.encode()))
        else:
            catalog, message = mutate(catalog, rng, n)
            files.append(("catalog.yaml", catalog.encode()))
        when += 3600
        out.write(b"commit refs/heads/main\n")
        out.write(f"author Bench Author <bench@example.com> {when} +0000\n".encode())
        out.write(f"committer Bench Author <bench@example.com> {when} +0000\n".encode())
        data(message.encode())
        for path, payload in files:
            out.write(f"M 100644 inline {path}\n".encode())
            data(payload)
        out.write(b"\n")
    out.close()
    if stream.wait() != 0:
        raise SystemExit("git fast-import failed")
    (site / "catalog.yaml").write_text(catalog)
    subprocess.run(["git", "-C", str(site), "reset", "-q", "--hard"], check=True)


def timed(label: str, fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    print(f"{label:<58} {seconds:8.2f} s")
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--offerings", type=int, default=200)
    parser.add_argument("--tools", type=int, default=500)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--commits", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it (default: a temporary one)")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="servicebook-history-bench-"))
    site = work / "site"
    if site.exists():
        shutil.rmtree(site)
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1790000000"}
    try:
        generate(site, offerings=args.offerings, tools=args.tools, pages=args.pages, seed=args.seed)
        size = (site / "catalog.yaml").stat().st_size
        print(
            f"catalog: {args.offerings} offerings, {args.tools} tools, {size / 1e6:.2f} MB; "
            f"{args.pages} pages; {args.commits} commits"
        )
        timed("write the history (git fast-import)", lambda: write_history(site, args.commits, args.seed))
        repo = open_repo(site)
        info = build_info(repo, env)
        cold, cold_s = timed("timeline, cold (no cache)", lambda: load_timeline(repo, info))
        warm, warm_s = timed("timeline, warm (on-disk cache from the cold run)", lambda: load_timeline(repo, info))
        print(f"catalogs parsed: cold {cold.parsed}, warm {warm.parsed}; entries: {len(cold.entries)}")
        assert cold.entries == warm.entries, "the cache changed what the history says"
        cli = [
            sys.executable,
            "-m",
            "servicebook.cli",
            "build",
            "--source",
            str(site),
            "--output",
            str(work / "public"),
            "--no-versions",  # past releases are another feature, measured on their own
        ]
        timed(
            "servicebook build --no-versions (warm history cache)",
            lambda: subprocess.run(cli, check=True, env=env, stdout=subprocess.DEVNULL),
        )
        pages = sorted((work / "public" / "changes").rglob("index.html"))
        biggest = max(p.stat().st_size for p in pages)
        print(f"changes pages: {len(pages)}, the largest {biggest / 1e3:.0f} KB")
        print(
            f"per commit: cold {cold_s / max(args.commits, 1) * 1000:.1f} ms, warm {warm_s / max(args.commits, 1) * 1000:.2f} ms"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
