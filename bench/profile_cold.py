"""Where a cold full build's CPU goes, process by process:
`python bench/profile_cold.py [--src SRC] [--site 1k] [--profile DIR] [--top 40]`.

Builds a bench site (bench/run.py's, generated when missing) from nothing (no output, no cache)
with the code in SRC (default: this working tree's `src`), as `make bench` does: two workers.

- Without `--profile`: the CPU seconds (user + system) of the parent process and of its workers,
  unprofiled, and per policy page.
- With `--profile DIR`: cProfile (wall clock: the parent's waits for its workers show as lock
  acquires and polls; a CPU-time clock would triple the profile's own cost) of the parent (DIR/parent.prof) and of every worker, each chunk of
  work it was handed profiled and the whole summed per worker process (DIR/worker-PID.prof); then
  the `--top` functions by own time of the parent and of all workers together. Works with the code
  of 27 Nov 2026 too (`servicebook.parallel` then, `servicebook.site.parallel` now), so that
  `bench/compare.py`'s revisions can be profiled alike.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import importlib
import json
import os
import pstats
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import EPOCH, SIZES, ensure_site  # noqa: E402


def _profile_workers(parallel: object, folder: Path, *, profile: bool = True) -> None:
    """Wrap parallel._run_chunk so that each worker process profiles the chunks it runs."""
    original = parallel._run_chunk  # type: ignore[attr-defined]
    profiles: dict[int, cProfile.Profile] = {}

    def _run_chunk(fn, chunk):  # type: ignore[no-untyped-def]
        if os.getpid() not in profiles:  # a new worker: not what its parent counted before forking it
            for counted in TIMED.values():
                counted[:] = [0.0, 0]
        if not profile:
            profiles[os.getpid()] = cProfile.Profile()
            try:
                return original(fn, chunk)
            finally:
                _dump_times(folder, "worker")
        profiler = profiles.setdefault(os.getpid(), _profiler())
        profiler.enable()
        try:
            return original(fn, chunk)
        finally:
            profiler.disable()
            profiler.dump_stats(folder / f"worker-{getattr(fn, '__name__', 'fn')}-{os.getpid()}.prof")
            _dump_times(folder, "worker")

    _run_chunk.__module__ = original.__module__  # pickled by reference, as the original is
    _run_chunk.__qualname__ = original.__qualname__
    parallel._run_chunk = _run_chunk  # type: ignore[attr-defined]


CLOCK: list[Any] = []  # time.process_time with --cpu: the profiles in CPU seconds


def _profiler() -> cProfile.Profile:
    return cProfile.Profile(*CLOCK)


TIMED: dict[str, list[float]] = {}  # "module:function" -> [CPU seconds, calls], in this process


def _time_functions(names: list[str]) -> None:
    """Wrap each "module:function" so that its CPU time (process_time: a few thousand calls, so
    unlike cProfile no distortion of call-heavy code) is summed per process."""
    for name in names:
        module_name, attr = name.split(":")
        module: Any = importlib.import_module(module_name)
        while "." in attr:  # a method: module:Class.method
            owner, attr = attr.split(".", 1)
            module = getattr(module, owner)
        original = getattr(module, attr)
        TIMED[name] = [0.0, 0]

        def timed(*a, __original=original, __name=name, **k):  # type: ignore[no-untyped-def]
            start = time.process_time()
            try:
                return __original(*a, **k)
            finally:
                TIMED[__name][0] += time.process_time() - start
                TIMED[__name][1] += 1

        functools.update_wrapper(timed, original)
        setattr(module, attr, timed)


def _dump_times(folder: Path, label: str) -> None:
    (folder / f"times-{label}-{os.getpid()}.json").write_text(json.dumps(TIMED))


POOLS: list[float] = [0.0, 0.0]  # --pools: this process's CPU s while its pools ran, their workers' CPU s


def _split_pools(parallel: Any) -> None:
    """Print, after each pool of workers (`map_shared`), the CPU its workers used, by pool; and
    keep in POOLS what this process and the workers used while pools ran."""
    original = parallel.map_shared

    def map_shared(fn, shared, items, workers, *args, **kwargs):  # type: ignore[no-untyped-def]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        mine = resource.getrusage(resource.RUSAGE_SELF)
        try:
            return original(fn, shared, items, workers, *args, **kwargs)
        finally:
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            now = resource.getrusage(resource.RUSAGE_SELF)
            POOLS[0] += now.ru_utime + now.ru_stime - mine.ru_utime - mine.ru_stime
            POOLS[1] += after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            print(
                f"pool {fn.__module__}.{fn.__name__}: {len(items)} items, workers "
                f"{after.ru_utime - before.ru_utime:.2f} user + {after.ru_stime - before.ru_stime:.2f} system CPU s, "
                f"{after.ru_minflt - before.ru_minflt} minor page faults",
                file=sys.stderr,
            )

    for module in list(sys.modules.values()):
        if (
            getattr(module, "__name__", "").startswith("servicebook")
            and getattr(module, "map_shared", None) is original
        ):
            module.map_shared = map_shared  # type: ignore[attr-defined]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", type=Path, default=HERE.parent / "src")
    parser.add_argument("--site", default="1k", choices=sorted(SIZES))
    parser.add_argument("--profile", type=Path, help="write cProfile files here and print the top functions")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument(
        "--pools",
        action="store_true",
        help="print each pool's workers' CPU seconds, and the parent's outside the pools (imports the pipeline before the build)",
    )
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="with --profile: cProfile timed with each process's CPU clock (slower, but not skewed by a loaded machine)",
    )
    parser.add_argument("--time", default="", help="with --profile: module:function,... to time (CPU) instead")
    args = parser.parse_args()
    sys.path.insert(0, str(args.src.resolve()))
    if args.cpu:
        CLOCK.append(time.process_time)
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    root = ensure_site(args.site)
    os.environ["GIT_CEILING_DIRECTORIES"] = str(root.parent)
    os.environ["SERVICEBOOK_WORKERS"] = "2"
    from servicebook.cli import main as cli

    parallel = importlib.import_module(
        "servicebook.site.parallel"
        if (args.src / "servicebook" / "site" / "parallel.py").exists()
        else "servicebook.parallel"
    )
    if args.pools:  # the pipeline imported first (then not counted in the parent's figure), so every user is wrapped
        importlib.import_module(parallel.__name__.replace("parallel", "build"))
        _split_pools(parallel)
    with tempfile.TemporaryDirectory(prefix="profile-cold-") as tmp:
        site = Path(tmp) / "site"
        shutil.copytree(root / "site", site, ignore=shutil.ignore_patterns(".servicebook-cache", "public"))
        argv = ["build", "--source", str(site), "--output", str(Path(tmp) / "public")]
        profile = None
        if args.profile:
            shutil.rmtree(args.profile, ignore_errors=True)
            args.profile.mkdir(parents=True)
            _profile_workers(parallel, args.profile, profile=not args.time)
            if args.time:
                _time_functions(args.time.split(","))
            else:
                profile = _profiler()
                profile.enable()
        before = resource.getrusage(resource.RUSAGE_SELF)
        try:
            cli(argv, standalone_mode=False)
        finally:
            if profile is not None:
                profile.disable()
                profile.dump_stats(args.profile / "parent.prof")
            if args.profile:
                _dump_times(args.profile, "parent")
            me = resource.getrusage(resource.RUSAGE_SELF)  # not this script's copying and deleting
    start = before.ru_utime + before.ru_stime
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    parent_cpu = me.ru_utime + me.ru_stime - start
    worker_cpu = workers.ru_utime + workers.ru_stime
    pages = SIZES[args.site]["pages"]
    print(
        f"{args.site}: parent {parent_cpu:.2f} CPU s ({me.ru_stime - before.ru_stime:.2f} system; "
        f"{start:.2f} before the build: Python, imports, this script), "
        f"workers {worker_cpu:.2f} CPU s ({workers.ru_stime:.2f} system), "
        f"{1000 * (parent_cpu + worker_cpu) / pages:.2f} CPU ms a policy page" + (" (profiled)" if args.profile else "")
    )
    if args.pools:  # the parent's work outside the pools has a core to itself and the other idle
        alone = parent_cpu - POOLS[0]
        print(
            f"parent outside the pools (the other core idle) {alone:.2f} CPU s, inside them {POOLS[0]:.2f}; "
            f"their workers {POOLS[1]:.2f}: on two idle cores about {alone + (POOLS[0] + POOLS[1]) / 2:.2f} s "
            f"of wall time after the start ({100 * alone / (alone + (POOLS[0] + POOLS[1]) / 2):.0f} % of it serial)"
        )
    if args.time:
        for label in ("parent", "worker"):
            total: dict[str, list[float]] = {}
            for file in args.profile.glob(f"times-{label}-*.json"):
                for name, (seconds, calls) in json.loads(file.read_text()).items():
                    total.setdefault(name, [0.0, 0])
                    total[name][0] += seconds
                    total[name][1] += calls
            for name, (seconds, calls) in total.items():
                if calls:
                    print(f"{label:7} {seconds:7.3f} CPU s {int(calls):6d} calls  {name}")
    elif args.profile:
        kinds = sorted({f.name.split("-")[1] for f in args.profile.glob("worker-*-*.prof")})
        for label, files in (
            ("parent", [args.profile / "parent.prof"]),
            *((f"workers running {kind}", sorted(args.profile.glob(f"worker-{kind}-*.prof"))) for kind in kinds),
        ):
            stats = pstats.Stats(*map(str, files), stream=sys.stdout)
            print(f"\n=== {label}: {stats.total_tt:.2f} profiled s ({len(files)} processes)")  # type: ignore[attr-defined]
            stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
