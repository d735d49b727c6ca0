"""What a cold build holds in memory, and how that grows with the number of policy pages (issue 21).

    python bench/memory.py [--sizes 1k,5k] [--trace] [--phases]

For each size (the sites of run.py, generated under bench/out/ when missing) it removes the
output and the cache and runs one `servicebook build` in a child process of its own, which
prints: the peak resident set of the build's parent process and of its largest worker (from
getrusage), the parent's resident set when loading ends (when every page has been read and
checked, before rendering) and at the end, and CPU seconds. With `--trace` the child also runs
tracemalloc and gives the Python memory the parent holds when loading ends (slower: about twice
the CPU). With `--phases` it also samples, every 10 ms, the resident set of the parent and of
its largest worker, and gives the largest of each in each phase of the build (the progress
report's phases, and within rendering the search index, `outputs.data_specs`, and the render of
the pages; within writing, the swap of the files, `write_site`, and the record of the manifest). The last lines give the growth per policy page between the first and last size:
what each page costs the parent.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import EPOCH, OUT, SIZES, clean, ensure_site  # noqa: E402


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _rss_of(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return 0.0


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(c) for c in f.read().split()]
    except OSError:
        return found
    return found + [d for c in found for d in _descendants(c)]


def _sample_phases(found: dict[str, float]) -> threading.Event:
    """Sample the resident sets by phase into `found` (keys "<phase> parent/worker MiB") until set."""
    from servicebook import progress
    from servicebook.site import build, buildcache, render

    phase = ["starting"]
    enter = progress.Phases.enter

    def entered(self: progress.Phases, name: str, total: int | None = None) -> None:
        phase[0] = name
        enter(self, name, total)

    progress.Phases.enter = entered  # type: ignore[method-assign]
    marks: tuple[tuple[object, str, str], ...] = (
        (render, "data_specs", "search index"),
        (render, "_render_pages", "rendering pages"),
        (build, "write_site", "writing the files"),
        (buildcache.BuildCache, "record", "recording the manifest"),
    )
    for owner, name, label in marks:
        original = getattr(owner, name)

        def marked(*args: object, _original: object = original, _label: str = label, **kwargs: object) -> object:
            before, phase[0] = phase[0], _label
            try:
                return _original(*args, **kwargs)  # type: ignore[operator]
            finally:
                phase[0] = before

        setattr(owner, name, marked)
    stop = threading.Event()
    me = os.getpid()

    def sample() -> None:
        while not stop.wait(0.01):
            for who, rss in (("parent", _rss_of(me)), ("worker", max(map(_rss_of, _descendants(me)), default=0.0))):
                key = f"{phase[0]} {who} MiB"
                found[key] = max(found.get(key, 0.0), rss)

    threading.Thread(target=sample, daemon=True).start()
    return stop


def child(site: Path, trace: bool, phases: bool = False) -> None:
    """One cold build in this process; prints its figures as one JSON line on stdout."""
    import tracemalloc

    from servicebook.cli import main as cli
    from servicebook.site import build as build_module

    found: dict[str, float] = {}
    gather = build_module.gather

    def measured_gather(*args: object, **kwargs: object) -> object:
        out = gather(*args, **kwargs)  # type: ignore[arg-type]
        found["loaded_rss_mib"] = _rss_mib()
        if trace:
            found["loaded_traced_mib"] = tracemalloc.get_traced_memory()[0] / 2**20
        return out

    build_module.gather = measured_gather  # type: ignore[assignment]
    sampled: dict[str, float] = {}
    stop = _sample_phases(sampled) if phases else None
    if trace:
        tracemalloc.start()
    try:
        cli(["build", "--source", str(site)], standalone_mode=False)
    finally:
        if stop is not None:
            stop.set()
            found |= {"phase " + k: v for k, v in sampled.items()}
        mine, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        found |= {
            "end_rss_mib": _rss_mib(),
            "parent_peak_mib": mine.ru_maxrss / 1024,
            "worker_peak_mib": workers.ru_maxrss / 1024,
            "cpu_s": mine.ru_utime + mine.ru_stime + workers.ru_utime + workers.ru_stime,
        }
        if trace:
            found["traced_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        print(json.dumps(found), flush=True)


def measure(name: str, trace: bool, phases: bool = False) -> dict[str, float]:
    root = ensure_site(name)
    clean(root)
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "GIT_CEILING_DIRECTORIES": str(OUT)}
    cmd = [sys.executable, __file__, "--child", str(root / "site")] + (["--trace"] if trace else [])
    cmd += ["--phases"] if phases else []
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{name}: the build failed:\n{done.stderr[-3000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1k,5k")
    parser.add_argument("--trace", action="store_true", help="also tracemalloc the parent (slower)")
    parser.add_argument("--phases", action="store_true", help="also the resident sets by phase")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.trace, args.phases)
        return
    sizes = args.sizes.split(",")
    figures = {}
    for name in sizes:
        figures[name] = measure(name, args.trace, args.phases)
        print(name, json.dumps({k: round(v, 1) for k, v in figures[name].items() if not k.startswith("phase ")}))
        for key, value in figures[name].items():
            if key.startswith("phase "):
                print(f"  {key[6:]:40} {value:7.1f}")
        sys.stdout.flush()
    if len(sizes) > 1:
        first, last = sizes[0], sizes[-1]
        pages = SIZES[last]["pages"] - SIZES[first]["pages"]
        for key in figures[first]:
            if key.endswith("_mib"):
                grown = (figures[last][key] - figures[first][key]) * 2**20 / pages
                print(f"{key}: {grown / 1024:.1f} KiB per policy page ({first} to {last})")


if __name__ == "__main__":
    main()
