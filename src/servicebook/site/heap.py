"""The build process's free memory given back to the system between stages.

A build's parent makes and frees hundreds of megabytes on the way (pages' HTML from the load
workers, the search index's texts, rendered pages' results): glibc's allocator keeps what was
freed inside its heap, where the objects the build still holds pin it, so the process's resident
set stays at its largest, and the render workers forked from it start from that size.
`malloc_trim` hands the free pages inside the heap back (bench/README.md, "Memory"). Elsewhere
than glibc there is nothing to do.
"""

from __future__ import annotations

from servicebook.site.libc import function


def give_back() -> None:
    """Return the memory this process has freed to the system, where the allocator can."""
    trim = function("malloc_trim")
    if trim is not None:
        trim(0)
