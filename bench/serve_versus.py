"""`servicebook serve`'s rebuild after a one-page edit, and its peak memory, this checkout's code
against another revision's, alternating old and new so that both meet the same machine load:

    python bench/serve_versus.py --against REV [--size 5k] [--own-repo [--commit]] [--pairs 10]

Two processes, one for each code, each on a copy of the size's site of its own (run.py's sites,
generated under bench/out/ when missing), build it as `serve` does (in the process, into a
temporary folder) and wait; then, pair after pair, each in turn (the order swapped every other
pair) edits one policy page and rebuilds as `serve` does when its file watcher reports the edit,
and says the rebuild's CPU seconds (user + system, workers included). At the end each gives its
peak resident set over its whole life (first build included). Each process's first two edits are
made before the pairs and left out: the first rebuild after a first build costs two to five times
a later one (what the first build left is settled then; with `--own-repo`, where the copies are of
run.py's site in a git repository of its own, the first edit also makes the working tree dirty,
so fills "uncommitted changes" into every page's footer; with `--commit` each edit is committed,
an hour after the last, before the rebuild: the untagged version is then released by the new
commit, as a team's `serve` sees it after each commit). The other revision's `src/` comes from `git archive` and is put first on
PYTHONPATH; everything else (Python, the installed dependencies) is shared. Prints each pair, the
medians, and in how many pairs the new code was lower.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from run import EPOCH, OUT, ensure_site, own_repository  # noqa: E402


def _old_source(rev: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "src"], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def _copy(site: Path, to: Path, own_repo: bool) -> Path:
    shutil.copytree(site, to, symlinks=True, ignore=shutil.ignore_patterns("public", ".servicebook-cache"))
    if own_repo:  # a copied index has other files' times: refresh it, or every `git status` hashes every file
        subprocess.run(["git", "-C", str(to), "update-index", "-q", "--refresh"], check=False, capture_output=True)
    return to


def _commit(site: Path, n: int) -> None:
    """Commit the edit in `site`, `n` hours after SOURCE_DATE_EPOCH (n > -2), with no user's configuration."""
    when = f"@{int(EPOCH) + 3600 * (n + 2)} +0000"
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    env |= {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    who = ["-c", "user.name=Benchmark", "-c", "user.email=bench@example.org"]
    subprocess.run(["git", *who, "commit", "-q", "-a", "-m", f"Edit {n}"], cwd=site, env=env, check=True)


def _start(src: Path, site: Path, commit: bool = False) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(src),
        "SOURCE_DATE_EPOCH": EPOCH,
        "GIT_CEILING_DIRECTORIES": str(site.parent),
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cmd = [sys.executable, __file__, "--child", str(site), *(["--commit"] if commit else [])]
    return subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def _ask(proc: subprocess.Popen[str], line: str) -> str:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(line + "\n")
    proc.stdin.flush()
    answer = proc.stdout.readline()
    if not answer:
        sys.exit(f"a serving process stopped (exit {proc.wait()})")
    return answer


def child(site: Path, commit: bool = False) -> None:
    """One serving process: the first build, then a rebuild for each number read, then its peak."""
    from serve_rebuild import cpu

    from servicebook.site.serve import Preview

    pages = sorted((site / "content").glob("*.md"))
    page = pages[len(pages) // 2]
    original = page.read_text()
    failures: list[str] = []
    preview = Preview(site, dict(os.environ), lambda _: None, failures.append)
    try:
        if not preview.rebuild():
            sys.exit("\n".join(failures))
        print("ready", flush=True)
        for line in sys.stdin:
            if line.strip() == "quit":
                break
            page.write_text(original + f"\nA revision note, number {int(line)}, saved while serving.\n")
            if commit:
                _commit(site, int(line))
            before = cpu()[0]
            if not preview.rebuild([page]):  # as serve's file watcher reports the edit
                sys.exit("\n".join(failures))
            print(json.dumps(cpu()[0] - before), flush=True)
    finally:
        if not commit:
            page.write_text(original)
        preview.close()
    peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    print(json.dumps(peak / 1024), flush=True)


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        child(Path(sys.argv[2]), sys.argv[3:4] == ["--commit"])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", required=True, help="the revision to compare with")
    parser.add_argument("--size", default="5k", help="one of run.py's sizes: 1k, 5k, large, 20k")
    parser.add_argument("--own-repo", action="store_true", help="the site in a git repository of its own")
    parser.add_argument("--commit", action="store_true", help="with --own-repo: each edit committed")
    parser.add_argument("--pairs", type=int, default=10)
    args = parser.parse_args()
    if args.commit and not args.own_repo:
        parser.error("--commit needs --own-repo")
    root = ensure_site(args.size)
    site = own_repository(root) if args.own_repo else root / "site"
    with tempfile.TemporaryDirectory(prefix="sb-serve-versus-", dir=OUT) as tmp:
        versions = {"old": _old_source(args.against, Path(tmp) / "old"), "new": REPO / "src"}
        procs = {}
        for name, src in versions.items():  # one first build at a time
            procs[name] = _start(src, _copy(site, Path(tmp) / f"site-{name}", args.own_repo), args.commit)
            assert procs[name].stdout is not None
            if procs[name].stdout.readline().strip() != "ready":
                sys.exit(f"the {name} code's first build failed (exit {procs[name].wait()})")
            for warm_up in ("-1", "0"):
                _ask(procs[name], warm_up)
        figures: dict[str, list[float]] = {name: [] for name in versions}
        for n in range(1, args.pairs + 1):
            for name in list(versions) if n % 2 else reversed(list(versions)):
                figures[name].append(json.loads(_ask(procs[name], str(n))))
            load = os.getloadavg()[0]
            print(
                f"pair {n}: old {figures['old'][-1]:.4f}, new {figures['new'][-1]:.4f} CPU s (load {load:.1f})",
                flush=True,
            )
        peaks = {name: json.loads(_ask(proc, "quit")) for name, proc in procs.items()}
        for proc in procs.values():
            proc.wait()
        for name, runs in figures.items():
            print(f"{name}: median {statistics.median(runs):.4f} CPU s a rebuild, peak {peaks[name]:.1f} MiB")
        lower = sum(new < old for old, new in zip(figures["old"], figures["new"], strict=True))
        print(f"new lower in {lower} of {args.pairs} pairs")


if __name__ == "__main__":
    main()
