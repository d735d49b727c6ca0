"""Spreading a build's heavy loops (Markdown, templates) over processes, with results that do not
depend on how many there are: every call returns its results in the order of its inputs.

Workers are forked, so they start in milliseconds and inherit the shared state (the loaded site,
the Jinja environment) instead of receiving it pickled. Where fork is unavailable, or the work is
too small to be worth a process, the same function runs in this process.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import mmap
import os
import signal
import threading
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from servicebook.collector import collect_nothing, frozen_for_fork, in_worker
from servicebook.site.libc import loaded

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS = 64  # below this, starting processes costs more than it saves
MAX_WORKERS = 8
MAX_CHUNK = 64  # items a worker is given at a time
IN_FLIGHT = 3  # chunks handed out per worker and not yet taken back

# The shared object of a worker process; set by `_init` in forked workers only, never in the parent.
_shared: list[Any] = []


def worker_count(env: Mapping[str, str]) -> int:
    """SERVICEBOOK_WORKERS when set (1 turns parallelism off), else the CPUs this process may use."""
    raw = env.get("SERVICEBOOK_WORKERS", "")
    if raw.isdigit() and int(raw) > 0:
        return min(int(raw), MAX_WORKERS)
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_WORKERS))


def _init(shared: object) -> None:
    # Ctrl-C reaches every process of the terminal's group, and a stop asked of the group
    # (SIGTERM) may too: the parent alone answers them (and stops the workers), so a worker never
    # dies half-way through a result the parent awaits. A parent that dies without answering
    # (SIGKILL) takes its workers with it, rather than leaving them waiting for work forever.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _die_with_parent()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked by the parent while forking
    _shared[:] = [shared]
    in_worker()


def _die_with_parent() -> None:
    """Have the kernel kill this process when its parent dies (Linux's PR_SET_PDEATHSIG)."""
    prctl = loaded("prctl")
    if prctl is not None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _can_fork() -> bool:
    import multiprocessing  # ~3.3 ms of start-up, only for a build that may start workers

    return "fork" in multiprocessing.get_all_start_methods()


def _run_chunk(fn: Callable[[Any, Any], Any], chunk: Sequence[Any]) -> list[Any]:
    shared = _shared[0]
    return [fn(shared, item) for item in chunk]


def map_shared(
    fn: Callable[[S, T], R],
    shared: S,
    items: Sequence[T],
    workers: int,
    meanwhile: Callable[[], object] | None = None,
    done: Callable[[int], object] | None = None,
    keep: Callable[[int, R], R] | None = None,
) -> list[R]:
    """[fn(shared, item) for item in items], over `workers` processes when that pays off.

    `fn` must be a module-level function; `shared` reaches forked workers by inheritance. When the
    work goes to workers, this process calls `meanwhile` while it waits for them. `done(n)` is
    told as results come in (for a progress bar). `keep(i, result)`, when given, is what is kept
    of the result of `items[i]`, called as each comes in: so that what is needed of each result
    only for a moment (a page's HTML, on its way to the store) is never held for all at once.
    """
    if workers <= 1 or len(items) < MIN_ITEMS or not _can_fork():
        out = []
        for i, item in enumerate(items):
            result = fn(shared, item)
            out.append(result if keep is None else keep(i, result))
            if done is not None:
                done(1)
        return out
    size = max(1, min(MAX_CHUNK, -(-len(items) // (workers * 8))))  # small chunks balance uneven pages
    chunks = (items[i : i + size] for i in range(0, len(items), size))
    results: list[R] = []
    import multiprocessing  # here: a build that starts no workers (a one-page rebuild) does not import it
    from concurrent.futures import ProcessPoolExecutor  # with its process pool, ~6.6 ms of start-up

    context = multiprocessing.get_context("fork")
    with frozen_for_fork():  # what the workers inherit, they never collect (nor copy)
        pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_init, initargs=(shared,))
        try:
            # At most IN_FLIGHT chunks per worker are handed out and not yet taken back: a result
            # that waits (the pool reads every result as it comes) is held whole, so the work
            # handed out at once, not the number of items, bounds what this process holds.
            run = partial(_run_chunk, fn)
            # Workers are forked when the first work is handed out: with SIGINT blocked until
            # then, none can be interrupted before it has set itself to ignore it (see _init).
            mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            try:
                waiting = collections.deque(pool.submit(run, c) for c in itertools.islice(chunks, workers * IN_FLIGHT))
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            if meanwhile is not None:
                meanwhile()
            while waiting:
                part = waiting.popleft().result()
                waiting.extend(pool.submit(run, c) for c in itertools.islice(chunks, 1))
                if keep is None:
                    results.extend(part)
                else:
                    at = len(results)
                    results.extend(keep(at + n, result) for n, result in enumerate(part))
                if done is not None:
                    done(len(part))
                del part  # its results' own copies go now, not with the next part
        except BaseException:
            _stop(pool)  # interrupted, or a worker died: do not wait for the others
            raise
        pool.shutdown(wait=True)
    return results


def _stop(pool: ProcessPoolExecutor) -> None:
    """End a pool at once: kill its workers, then let it clean up without waiting for work.
    (Shutting down normally would wait for every queued chunk; exiting with live workers hangs
    in multiprocessing's exit handler, which joins them.)

    The pool's manager thread then marks every unfinished chunk as failed, including those
    `map` already cancelled, which Python 3.11 reports as an InvalidStateError traceback from
    that thread (3.12 checks first): that one is expected here and not shown."""
    from concurrent.futures import InvalidStateError

    shown = threading.excepthook

    def quiet(args: threading.ExceptHookArgs) -> None:
        if not isinstance(args.exc_value, InvalidStateError):
            shown(args)

    threading.excepthook = quiet
    try:
        for process in list(getattr(pool, "_processes", {}).values()):
            with contextlib.suppress(OSError, ValueError):
                process.kill()
        with contextlib.suppress(Exception):
            pool.shutdown(wait=True, cancel_futures=True)
    finally:
        threading.excepthook = shown


class Beside:
    """The process `beside` forked, as its caller sees it."""

    def __init__(self, pid: int | None) -> None:
        self._pid = pid

    def wait(self) -> bool:
        """Wait for the other process to end: whether it did all of its work (False where there
        was none, or it failed or was killed)."""
        pid, self._pid = self._pid, None
        if pid is None:
            return False
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status) == 0

    def stop(self) -> None:
        """End the other process at once, if it has not been waited for."""
        pid, self._pid = self._pid, None
        if pid is not None:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


@contextlib.contextmanager
def beside(fn: Callable[[], object] | None, workers: int) -> Iterator[Beside]:
    """fn() in one forked process while the caller goes on with work of its own (with two CPUs or
    more, `workers`, and fork; else, or without `fn`, nothing is done): for work that needs
    nothing the caller does meanwhile, where the caller's own work keeps one core and the other is
    idle. The caller asks `wait()` whether it was done, and does itself what was not; leaving the
    block without waiting (an exception) kills the process."""
    pid = _fork(fn) if fn is not None and workers >= 2 and hasattr(os, "fork") else None
    other = Beside(pid)
    try:
        yield other
    finally:
        other.stop()


def _fork(fn: Callable[[], object]) -> int | None:
    # SIGINT blocked until the new process ignores it (as in _init): the parent alone answers Ctrl-C
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        pid = os.fork()
    except OSError:  # no process to be had: the caller does all of it
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        return None
    if pid == 0:  # pragma: no cover - the forked process, which leaves by os._exit alone
        status = 1
        try:
            collect_nothing()  # (what it makes, it frees; the parent's garbage is the parent's to collect)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            _die_with_parent()
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            fn()
            status = 0
        finally:
            os._exit(status)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    return pid


def halves(
    fn: Callable[[int, Sequence[T]], bytes], lists: Sequence[Sequence[T]], width: Sequence[int], workers: int, at: int
) -> Generator[bytes | None, None, None]:
    """fn(i, lists[i]) for each list in turn, as the caller asks for the next, when `fn` maps each
    item of list i to `width[i]` bytes of its own (so that the bytes of a list's first half and
    then of its second are those of all of it). With two CPUs (`workers`, see worker_count) and
    fork, one forked process does the second half of every list of at least `at` items, all of
    them one after the other, while this one does the first halves as they are asked for: one
    process for all the lists, and a caller that stops asking (an answer that settles it) ends
    it. None for a list that process did not finish (fn raised there, or it was killed), and for
    every list after it: the caller does without the answer. What fn raises here is raised.

    For the `lstat`s of a rebuild with nothing to do (site/fresh.py), which cost most of its
    time and release no lock that would let threads share them (bench/README.md, "A no-change
    rebuild at 20,000 pages": two threads took longer than one)."""
    cut = [len(items) // 2 if len(items) >= at else len(items) for items in lists]
    if workers < 2 or cut == [len(items) for items in lists] or not hasattr(os, "fork"):
        for i, items in enumerate(lists):
            yield fn(i, items)
        return
    # the second halves' bytes, written there and read here: the other process never waits for
    # this one to read (a pipe would hold only 64 KiB), and says through the pipe which list is done
    sizes = [(len(items) - half) * size for items, half, size in zip(lists, cut, width, strict=True)]
    starts = list(itertools.accumulate(sizes, initial=0))
    shared = mmap.mmap(-1, max(1, starts[-1]))
    read, write = os.pipe()
    # SIGINT blocked until the new process ignores it (as in _init): the parent alone answers Ctrl-C
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        pid = os.fork()
    except OSError:  # no process to be had: all of it here
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.close(read)
        os.close(write)
        shared.close()
        for i, items in enumerate(lists):
            yield fn(i, items)
        return
    if pid == 0:  # pragma: no cover - the forked process, which leaves by os._exit alone
        status = 1
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            os.close(read)
            for i, (items, half) in enumerate(zip(lists, cut, strict=True)):
                if half < len(items):
                    data = fn(i, items[half:])
                    if len(data) != sizes[i]:
                        break
                    shared[starts[i] : starts[i + 1]] = data
                    os.write(write, b"+")
            else:
                status = 0
        finally:
            os._exit(status)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    os.close(write)
    done = True  # the other process has finished every list asked for so far
    try:
        for i, (items, half) in enumerate(zip(lists, cut, strict=True)):
            first = fn(i, items[:half])
            if half == len(items):
                yield first
                continue
            done = done and os.read(read, 1) == b"+"
            yield first + shared[starts[i] : starts[i + 1]] if done else None
    finally:
        os.close(read)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)  # asked for no more: the rest of its work is of no use
        os.waitpid(pid, 0)
        shared.close()
