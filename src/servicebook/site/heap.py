"""The build process's free memory given back to the system between stages.

A build's parent makes and frees hundreds of megabytes on the way (pages' HTML from the load
workers, the search index's texts, rendered pages' results): glibc's allocator keeps what was
freed inside its heap, where the objects the build still holds pin it, so the process's resident
set stays at its largest, and the render workers forked from it start from that size.
`malloc_trim` hands the free pages inside the heap back (bench/README.md, "Memory"). Elsewhere
than glibc there is nothing to do.

A rebuild of a long-running process (`serve`, after its first build) gives back at its end
(`at_end_only`): its heap is at the size its builds keep, and what one of its stages frees the
next stage and the next rebuild take again, each page handed back faulted in again. It gives back
once more as its write stage begins (`give_back(before_writing=True)`): the end of the write
stage is where a rebuild's resident set is at its largest, and what the stages before it freed
(~10 MiB at 5,000 pages) the write stage mostly does not take again (bench/README.md, ownmem20).
And once as its render begins (`give_back(before_rendering=True)`): in a site's own repository
the render of the first edits (every page's footer filled in, the catalog's lines made again)
is as high as the write stage, and what the load and the data files freed before it the render
does not all take again (5,000 pages: its peak 0.7–2 MiB lower, bench/README.md, ownmem25).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from servicebook.site.libc import function


class _Held:
    """Whether `give_back` does nothing (within `at_end_only`)."""

    held = False


_STATE = _Held()


def give_back(*, before_writing: bool = False, before_rendering: bool = False) -> None:
    """Return the memory this process has freed to the system, where the allocator can;
    within `at_end_only`, only `before_writing` (a build's write stage begins) and
    `before_rendering` (its render's workers are about to be forked)."""
    if _STATE.held and not (before_writing or before_rendering):
        return
    trim = function("malloc_trim")
    if trim is not None:
        trim(0)


# glibc's mallopt parameter: the size from which a block is mapped apart (and unmapped when freed)
M_MMAP_THRESHOLD = -3
# 1 MiB, not glibc's starting 128 KiB: as low in memory, and each block of 128 KiB–1 MiB mapped
# and unmapped again cost each rebuild page faults (bench/README.md, ownmem22)
LARGE_BLOCK = 1024 * 1024


def large_blocks_apart() -> None:
    """From now on, every block of LARGE_BLOCK or more is mapped apart from the heap, and given
    back as soon as it is freed: for a long-running process (`serve`). glibc otherwise raises
    that threshold each time a block mapped apart is freed (up to 32 MiB), so after a first build
    freed its large buffers (joined texts, data files, a manifest), every later one is carved
    from the heap, where what it leaves free when freed stays in the process until a stage gives
    it back (`give_back`), beside what the next buffer takes (bench/README.md, ownmem22).
    Elsewhere than glibc there is nothing to do."""
    mallopt = function("mallopt")
    if mallopt is not None:
        mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK)


@contextlib.contextmanager
def at_end_only(held: bool) -> Iterator[None]:
    """When `held`, `give_back` does nothing within (a `serve` rebuild's stages): the caller gives
    back once after it."""
    before = _STATE.held
    _STATE.held = before or held
    try:
        yield
    finally:
        _STATE.held = before
