"""The build process's free memory given back to the system between stages.

A build's parent makes and frees hundreds of megabytes on the way (pages' HTML from the load
workers, the search index's texts, rendered pages' results): glibc's allocator keeps what was
freed inside its heap, where the objects the build still holds pin it, so the process's resident
set stays at its largest, and the render workers forked from it start from that size.
`malloc_trim` hands the free pages inside the heap back (bench/README.md, "Memory"). Elsewhere
than glibc there is nothing to do.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from functools import cache


@cache
def _trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        trim: Callable[[int], int] | None = getattr(libc, "malloc_trim", None)
    except OSError:
        return None
    return trim


def give_back() -> None:
    """Return the memory this process has freed to the system, where the allocator can."""
    trim = _trim()
    if trim is not None:
        trim(0)
