"""Python's cyclic garbage collector in servicebook's processes: how often it runs, and what it
never needs to look at again. Imports nothing of ours; the pipeline's entry points call it.

A build makes hundreds of thousands of objects it keeps to its end (the model, the pages read
back from the store) and few cycles (Jinja's, exceptions'): each collection walks again what the
build keeps, and frees almost nothing. What is done about it, process by process
(bench/README.md, "The cyclic garbage collector's share …", has the figures):

- every command's process, and every build's, collects in batches (`batch_collections`, from
  `command_line` on);
- a command-line build, once its sources are loaded, holds what it holds to its end
  (`held_to_the_end`, within `one_command`): no collection walks it again; a rebuild's load,
  which reads its kept pages back, runs without collections;
- forked workers start with what they inherit frozen (`frozen_for_fork`): they never walk it,
  nor copy the pages the collector would write to;
- reading a whole catalog (a past release's) runs without collections (`no_collections`);
- at the process's exit nothing is walked at all (`collect_nothing_at_exit`).

`serve` is left collecting: what it freezes after a rebuild would pin the cycles that the next
rebuild drops, and it runs for hours.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
from collections.abc import Iterator

# Python's defaults are (700, 10, 10): a build's kept objects walked again every few thousand
# allocations, and all of them every hundred young collections.
BATCHED = (10_000, 50, 1_000)


class _Command:
    """Whether this process runs a command that ends with it (`one_command`)."""

    depth = 0


_COMMAND = _Command()


def batch_collections() -> None:
    """Collect garbage less often: a build makes hundreds of thousands of objects it keeps to the
    end (pages, the model) and almost no cycles, and the default thresholds scan all of them
    again and again (10 % of a one-page rebuild of a 5,000-page site)."""
    gc.set_threshold(*BATCHED)


@contextlib.contextmanager
def one_command() -> Iterator[None]:
    """A command whose process ends when it does (the command line's `build`): within,
    `held_to_the_end` freezes what the process holds. On leaving, whatever was frozen is handed
    back to the collector's oldest generation, so a process that runs many commands (the tests')
    still frees the cycles they left; a process that exits freezes everything again then
    (`collect_nothing_at_exit`)."""
    _COMMAND.depth += 1
    try:
        yield
    finally:
        _COMMAND.depth -= 1
        if _COMMAND.depth == 0:
            gc.unfreeze()


@contextlib.contextmanager
def held_to_the_end(*, collect: bool) -> Iterator[None]:
    """Within `one_command`, around the load: on leaving, what the process holds (the imported
    code, the model, every page loaded or read back) it keeps to its end, so it is frozen and no
    collection walks it again (a large one-page rebuild walked it once more, in a collection of
    the middle generation). Unless `collect`, no collection within either: a rebuild's load reads
    its kept pages back from the store, objects without cycles that every young collection
    walked. Cycles made after are collected as before. Elsewhere (`serve`, the tests' builds)
    nothing."""
    if not _COMMAND.depth:
        yield
        return
    with contextlib.nullcontext() if collect else no_collections():
        yield
        # frozen before the collector is on again: else its first young collection walks all of it
        gc.freeze()


def in_worker() -> None:
    """A forked worker collects its own garbage, in batches, whatever its parent was doing."""
    gc.enable()
    batch_collections()


@contextlib.contextmanager
def frozen_for_fork() -> Iterator[None]:
    """Around forking workers: what they inherit is frozen, so their collections never walk it
    (nor write to its pages, which would copy them). Unfrozen after, into the oldest generation."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextlib.contextmanager
def no_collections() -> Iterator[None]:
    """No collection within: for reading millions of objects that make no cycle (a large
    catalog's YAML), where each collection would only walk them. Turned on again after, if it
    was on."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def collect_after_first_build() -> None:
    """A full collection, by a long-running process (`serve`) once its first build is done: that
    build made the most cycles the process makes (every template compiled, every page rendered)
    and left them in the oldest generation, which batched thresholds reach only after hours of
    rebuilds (5,000 pages: 6 MiB of blocks, which the first edit's rebuild then allocated beside)."""
    gc.collect()


def collect_after_releases() -> None:
    """A full collection once a build has built a past release: the release's render leaves its
    cycles (Jinja's contexts, its views) in the oldest generation, where batched thresholds
    leave them for the rest of the build, so the build's render allocated beside them and the
    blocks they held stayed free inside the heap after it (5,000 pages, `serve` in the site's own
    repository: 5.4 MiB of blocks, bench/README.md, ownmem22). Freed before the render, they are
    what the render takes first."""
    gc.collect()


def collect_nothing() -> None:
    """No collection in this process from now on: a forked helper that frees what it makes and
    leaves by `os._exit` (the parent's garbage is the parent's to collect)."""
    gc.disable()


def command_line() -> None:
    """A command's process, before the command's module is imported: collections in batches (with
    Python's defaults the imports alone cost a rebuild a dozen young collections and two middle
    ones) and none at the exit."""
    batch_collections()
    collect_nothing_at_exit()


def collect_nothing_at_exit() -> None:
    """At the process's exit, the interpreter's last collections skip every object there is then
    (`gc.freeze`, an exit handler run after those registered later: what the command imported
    and made), which the process's end frees at once: they would otherwise walk and free one by
    one every module, function and class imported and what the command left (bench/README.md,
    "the interpreter's exit"). Nothing waits for them: files, the store and temporary folders
    are closed by the code that opened them (or by their own exit handlers), and stdout and
    stderr are flushed after, as always. Registered once a process, however many commands it
    runs (the tests')."""
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
