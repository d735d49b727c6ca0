"""A build killed at any point of the write stage leaves `public/` as the old site or the new one,
whole, and the next build recovers.

Each run forks a child that builds with the file-system operations of the write stage counted;
at the Nth one the child dies on the spot (`os._exit`, as a SIGKILL or a power cut would leave
it: no cleanup, no `finally`). The parent then looks at what is on disk. Both swaps are
covered: the atomic `renameat2(RENAME_EXCHANGE)` and the two-rename fallback used where it is
missing, whose one gap (no `public/` between the renames) `write.recover` closes.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from servicebook.site import build as build_stage
from servicebook.site import write
from servicebook.site.build import Options, build

from .conftest import FIXED_EPOCH, SITES
from .sitefiles import tree

KILLED = 137
OPS = ("mkdir", "rename", "replace", "link", "unlink", "rmdir", "fsync")


def _options(site: Path) -> Options:
    return Options(source=site, output=site / "public", env={"SOURCE_DATE_EPOCH": FIXED_EPOCH})


Files = tuple[Any, ...]  # the arguments `build` passes to `write_site` after the output


def _rendered(site: Path) -> Files:
    """What `build` hands to the write stage for `site` (it also builds it, as usual)."""
    captured: list[Files] = []
    real = write.write_site

    def capture(
        files: Any,
        output: Path,
        *rest: Any,
        staging: Path | None = None,
        spare: Path | None = None,
        known: Any = None,
        journal: Any = None,
        tree_files: Any = None,
        flat_trees: bool = False,
    ) -> dict[str, list[int]]:
        assert staging is None  # a small site is written from memory, so the stage can be replayed
        assert not tree_files  # no releases: a replay lists nothing it is not given
        captured.append((dict(files), *rest, None, spare))
        return real(files, output, *rest, spare=spare, known=known)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(build_stage, "write_site", capture)  # where the build calls it
        build(_options(site))
    return captured[0]


def _write_stage(site: Path, rendered: Files) -> None:
    """The write stage exactly as `build` runs it: recover, then write and swap."""
    write.recover(site / "public")
    write.write_site(rendered[0], site / "public", *rendered[1:])


@contextmanager
def _counted(on_op: Callable[[str], None], *, exchange: bool) -> Iterator[None]:
    """Call `on_op(name)` before every file-system operation."""
    patch = pytest.MonkeyPatch()

    def counted(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def op(*args: Any, **kwargs: Any) -> Any:
            on_op(name)
            return real(*args, **kwargs)

        return op

    for name in OPS:
        patch.setattr(os, name, counted(name, getattr(os, name)))
    patch.setattr(Path, "write_bytes", counted("write_bytes", Path.write_bytes))
    patch.setattr(shutil, "copyfile", counted("copyfile", shutil.copyfile))
    real_exchange = write._rename_exchange if exchange else (lambda a, b: False)
    patch.setattr(write, "_rename_exchange", counted("exchange", real_exchange))
    try:
        yield
    finally:
        patch.undo()


def _count_ops(site: Path, rendered: Files, *, exchange: bool) -> list[str]:
    ops: list[str] = []
    with _counted(ops.append, exchange=exchange):
        _write_stage(site, rendered)
    return ops


def _killed_at(site: Path, rendered: Files, n: int, *, exchange: bool) -> None:
    """Run the write stage in a forked child that dies just before its `n`th file-system operation."""
    pid = os.fork()
    if pid == 0:  # the child: never returns to pytest
        seen = [0]

        def maybe_die(_name: str) -> None:
            seen[0] += 1
            if seen[0] == n:
                os._exit(KILLED)

        try:
            with _counted(maybe_die, exchange=exchange):
                _write_stage(site, rendered)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == KILLED, f"the child was not killed at operation {n}"


@pytest.fixture
def old_and_new(tmp_path: Path) -> tuple[Path, dict[str, bytes], Files]:
    """A site whose public/ holds the old build while its sources already give a different one."""
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    build(_options(site))
    old = tree(site / "public")
    shutil.copytree(site / "public", tmp_path / "pristine-old")
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("name: Platform Team", "name: Delivery Team"))
    (site / "content/welcome.md").rename(site / "content/how-we-work.md")
    catalog.write_text(catalog.read_text().replace("policies: [welcome]", "policies: [how-we-work]"))
    rendered = _rendered(site)
    assert tree(site / "public") != old
    return site, old, rendered


def _reset(site: Path, *, spare: bool = False) -> None:
    """public/ holds the old site again; with `spare`, the build cache keeps an earlier site for
    the write stage to start from (a copy: every file in it is replaced, the worst case)."""
    shutil.rmtree(site / "public", ignore_errors=True)
    for leftover in site.glob(".public.*"):
        shutil.rmtree(leftover)
    shutil.copytree(site.parent / "pristine-old", site / "public")
    kept = site / ".servicebook-cache" / "build" / "public.spare"
    shutil.rmtree(kept, ignore_errors=True)
    if spare:
        shutil.copytree(site.parent / "pristine-old", kept)


def _kill_points(ops: list[str]) -> list[int]:
    """Before every operation from the swap on (where public/ changes), and before a dozen of the
    writes into the staging folder that precede it (public/ is not touched there)."""
    swap = ops.index("exchange") if "exchange" in ops else len(ops) - 1  # a first build just renames
    return sorted({*range(1, swap + 1, max(1, swap // 12)), *range(swap + 1, len(ops) + 1)})


@pytest.mark.parametrize("spare", [False, True], ids=["new-staging", "from-spare"])
@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
@pytest.mark.slow
def test_killed_build_leaves_old_or_new_site_whole_and_next_build_recovers(
    old_and_new, exchange: bool, spare: bool
) -> None:
    site, old, rendered = old_and_new
    public = site / "public"
    _reset(site, spare=spare)
    ops = _count_ops(site, rendered, exchange=exchange)
    new = tree(public)
    assert new != old
    assert "exchange" in ops
    assert exchange or ops.count("rename") >= 2
    assert (ops.count("unlink") > len(new) // 2) == spare  # from the spare, its every file was replaced
    outcomes = set()
    for n in _kill_points(ops):
        _reset(site, spare=spare)
        _killed_at(site, rendered, n, exchange=exchange)
        if public.exists():
            state = tree(public)
            assert state in (old, new), f"killed before operation {n} ({ops[n - 1]}): public/ is neither site"
            outcomes.add("old" if state == old else "new")
        else:
            # Only the fallback has a moment without public/: between its two renames.
            assert not exchange, f"killed before operation {n} ({ops[n - 1]}): public/ vanished"
            write.recover(public)
            assert tree(public) == old
            outcomes.add("gap")
        _write_stage(site, rendered)  # the next build recovers and leaves nothing behind
        assert tree(public) == new
        assert not list(site.glob(".public.*")), f"staging left after a kill before operation {n}"
    assert {"old", "new"} <= outcomes
    assert ("gap" in outcomes) == (not exchange)
    _reset(site, spare=spare)
    _killed_at(site, rendered, len(ops) // 2, exchange=exchange)
    build(_options(site))  # and so does the real `build`
    assert tree(public) == new
    assert not list(site.glob(".public.*"))


def test_recover_restores_the_old_site_not_an_empty_placeholder(tmp_path: Path) -> None:
    """Killed between the fallback's renames, with an empty `.old-*` placeholder lying around
    from an earlier kill: the whole old site is restored, never the placeholder."""
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    build(_options(site))
    old = tree(site / "public")
    (site / ".public.old-zzzzzzzz").mkdir()  # sorts last; an empty leftover
    (site / "public").rename(site / ".public.old-aaaaaaaa")
    write.recover(site / "public")
    assert tree(site / "public") == old
    assert not list(site.glob(".public.*"))


def test_first_build_killed_leaves_no_site_or_the_whole_new_one(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    rendered = _rendered(site)
    new = tree(site / "public")
    shutil.rmtree(site / "public")
    ops = _count_ops(site, rendered, exchange=True)
    assert tree(site / "public") == new
    for n in _kill_points(ops):
        shutil.rmtree(site / "public", ignore_errors=True)
        _killed_at(site, rendered, n, exchange=True)
        assert not (site / "public").exists() or tree(site / "public") == new
        _write_stage(site, rendered)
        assert tree(site / "public") == new
        assert not list(site.glob(".public.*"))


# A real build in a process of its own, with the atomic exchange unavailable (as on file systems
# without renameat2) and stopped (SIGSTOP) just before the write stage's Nth rename, for the test to
# SIGKILL it there. Prints how many renames the write stage made when it is not stopped.
FALLBACK_BUILD = """
import os, signal, sys
from servicebook.site import write
write._rename_exchange = lambda a, b: False
stop_at, renames, real = int(sys.argv[1]), [0], os.rename
def rename(*args, **kwargs):
    if sys._getframe(1).f_globals.get("__name__") == "servicebook.site.write":
        renames[0] += 1
        if renames[0] == stop_at:
            os.kill(os.getpid(), signal.SIGSTOP)
    return real(*args, **kwargs)
os.rename = rename
from servicebook.cli import main
try:
    main(["build", "--source", sys.argv[2]], standalone_mode=False)
finally:
    print("renames", renames[0])
"""


def _fallback_build(site: Path, stop_at: int = 0) -> subprocess.Popen[str]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH}
    return subprocess.Popen(
        [sys.executable, "-c", FALLBACK_BUILD, str(stop_at), str(site)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_a_build_sigkilled_at_each_rename_of_the_fallback_swap_is_undone_by_the_next_even_a_failing_one(
    old_and_new,
) -> None:
    """Without renameat2 the swap is two renames, with no public/ between them. A real build,
    SIGKILLed before each rename of its write stage, leaves the old site or the new one; and the
    next build puts the old one back and removes every .public.old-*/.new-* folder, whether it
    succeeds or fails (a broken catalog: it must not leave the site missing either)."""
    site, old, _ = old_and_new
    public = site / "public"
    catalog = site / "catalog.yaml"
    good = catalog.read_text()
    _reset(site)
    counted = _fallback_build(site)
    out, err = counted.communicate(timeout=300)
    assert counted.returncode == 0, err
    new = tree(public)
    renames = int(out.split("renames ")[-1])
    assert renames >= 2 and new != old
    outcomes = set()
    for n in range(1, renames + 1):
        _reset(site)
        shutil.rmtree(site / ".servicebook-cache", ignore_errors=True)
        child = _fallback_build(site, stop_at=n)
        _, status = os.waitpid(child.pid, os.WUNTRACED)
        assert os.WIFSTOPPED(status), f"the build did not reach rename {n}: {child.communicate()}"
        os.kill(child.pid, signal.SIGKILL)
        child.communicate(timeout=60)
        outcomes.add("gap" if not public.exists() else "old" if tree(public) == old else "new")
        assert not public.exists() or tree(public) in (old, new), f"killed before rename {n}: neither site"
        was = tree(public) if public.exists() else old  # killed in the gap: the old site is still whole
        catalog.write_text(good.replace("lifecycle: ga", "lifecycle: gaa"))
        failed = _fallback_build(site)
        failed.communicate(timeout=300)
        assert failed.returncode == 1
        assert public.exists(), f"killed before rename {n}: a failing build left no public/"
        assert tree(public) == was
        assert not list(site.glob(".public.*")), (
            f"killed before rename {n}: a failing build left {list(site.glob('.public.*'))}"
        )
        catalog.write_text(good)
        again = _fallback_build(site)
        assert again.communicate(timeout=300) and again.returncode == 0
        assert tree(public) == new
        assert not list(site.glob(".public.*"))
    assert "gap" in outcomes and "old" in outcomes


# A real build in a process of its own that stops itself (SIGSTOP) just before the Nth file-system
# operation of its write stage (any operation made from write.py: mkdir, link, rename, unlink,
# rmdir, a file written, the exchange), for the test to SIGKILL it there; with N = 0 it runs to
# the end and prints how many there were. `SPOOL_FROM` (argv[3]) sets from how many pages the
# build renders into a staging folder rather than into memory, so both ways are covered.
STOPPING_BUILD = """
import os, signal, sys
from pathlib import Path
from servicebook.site import build as stage, write
stage.SPOOL_FROM = int(sys.argv[3])
stop_at, seen, me = int(sys.argv[1]), [0], os.getpid()
def counted(real):
    def op(*args, **kwargs):
        frame = sys._getframe(1)
        for _ in range(3):
            if frame is None:
                break
            if frame.f_globals.get("__name__") == "servicebook.site.write" and os.getpid() == me:
                seen[0] += 1
                if seen[0] == stop_at:
                    os.kill(me, signal.SIGSTOP)
                break
            frame = frame.f_back
        return real(*args, **kwargs)
    return op
for name in ("mkdir", "link", "rename", "replace", "unlink", "rmdir", "fsync"):
    setattr(os, name, counted(getattr(os, name)))
Path.write_bytes = counted(Path.write_bytes)
write._rename_exchange = counted(write._rename_exchange)
from servicebook.cli import main
try:
    main(["build", "--source", sys.argv[2]], standalone_mode=False)
finally:
    print("ops", seen[0])
"""


def _stopping_build(site: Path, stop_at: int, spool_from: int) -> subprocess.Popen[str]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH}
    return subprocess.Popen(
        [sys.executable, "-c", STOPPING_BUILD, str(stop_at), str(site), str(spool_from)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_builds_sigkilled_at_random_points_leave_public_exactly_the_old_or_the_new_site(tmp_path: Path) -> None:
    """The sources flip between two sites, A and B; each build towards the other is SIGKILLed at
    a random point: before a random file-system operation of its write stage (stopped there, then
    killed), or after a random delay anywhere in the build. After every kill public/ is, byte for
    byte, the site it held before or the one the build was making, never a mixture, and the next
    build carries on from whatever the kill left (staging folders, a spare cut short, a spare of
    either site), in memory and from a staging folder, with and without a spare."""
    seed = int(os.environ.get("SERVICEBOOK_KILL_SEED", random.SystemRandom().randrange(1 << 30)))
    chance = random.Random(seed)
    print(f"SERVICEBOOK_KILL_SEED={seed}")  # shown on failure: run again with it to replay
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    public = site / "public"
    catalog = site / "catalog.yaml"
    page = site / "content/welcome.md"
    sources = {"A": (catalog.read_text(), page.read_text())}
    sources["B"] = (
        sources["A"][0].replace("name: Platform Team", "name: Delivery Team"),
        sources["A"][1] + "\nA paragraph only site B has.\n",
    )

    def use(name: str) -> None:
        catalog.write_text(sources[name][0])
        page.write_text(sources[name][1])

    def finish(spool_from: int) -> int:
        done = _stopping_build(site, 0, spool_from)
        out, err = done.communicate(timeout=300)
        assert done.returncode == 0, err
        return int(out.split("ops ")[-1])

    trees = {}
    most = 1
    for name in ("A", "B", "A"):  # both sites, and the most operations a write stage makes here
        use(name)
        most = max(most, finish(1), finish(10_000))
        trees[name] = tree(public)
    assert trees["A"] != trees["B"]
    holds = "A"
    seconds = 0.0
    outcomes = set()
    for attempt in range(24):
        making = "B" if holds == "A" else "A"
        use(making)
        spool_from = chance.choice((1, 10_000))
        if attempt % 3 == 2:  # a kill after a random delay, wherever the build is then
            child = _stopping_build(site, 0, spool_from)
            delay = chance.uniform(0, seconds or 3.0)
            try:
                child.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                os.kill(child.pid, signal.SIGKILL)
            child.communicate(timeout=60)
            how = f"after {delay:.2f} s"
        else:
            stop_at = chance.randint(1, most)
            child = _stopping_build(site, stop_at, spool_from)
            started = time.monotonic()
            _, status = os.waitpid(child.pid, os.WUNTRACED)
            if os.WIFSTOPPED(status):
                os.kill(child.pid, signal.SIGKILL)
            else:
                seconds = max(seconds, time.monotonic() - started)
            child.communicate(timeout=60)
            how = f"before write operation {stop_at}"
        assert public.is_dir(), f"attempt {attempt} (seed {seed}), killed {how}: no public/"
        now = tree(public)
        assert now in (trees[holds], trees[making]), (
            f"attempt {attempt} (seed {seed}), killed {how}: public/ is neither site {holds} nor {making}"
        )
        outcomes.add("old" if now == trees[holds] else "new")
        holds = holds if now == trees[holds] else making
        if attempt % 6 == 5:  # a build that is not killed puts everything right
            use(making)
            finish(spool_from)
            assert tree(public) == trees[making]
            assert not list(site.glob(".public.*")), f"leftovers after attempt {attempt} (seed {seed})"
            holds = making
    assert outcomes == {"old", "new"}, f"seed {seed}: only {outcomes}"
