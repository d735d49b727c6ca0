"""A build gives the memory it freed between stages back to the system (site/heap.py): the
resident set of a process that made and freed many page-sized objects among others it keeps
falls when it is asked to, where the C library can (glibc's malloc_trim)."""

from __future__ import annotations

import ctypes.util
import os
import platform

import pytest

from servicebook.site.heap import give_back


def _resident_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc" or ctypes.util.find_library("c") is None,
    reason="malloc_trim is glibc's",
)
def test_memory_freed_among_kept_objects_goes_back_to_the_system() -> None:
    # pages' HTML on its way through (freed), each beside something the build keeps (a page's
    # outline): the kept ones pin the heap, so freeing the HTML alone gives nothing back
    passing = [bytes(8000) for _ in range(6000)]
    kept = [bytearray(700) for _ in range(6000)]
    del passing
    before = _resident_mib()
    give_back()
    assert before - _resident_mib() > 20  # of the ~46 MiB freed
    assert len(kept) == 6000


def test_giving_back_with_nothing_freed_is_harmless() -> None:
    give_back()
    give_back()
