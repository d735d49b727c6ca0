"""A build holds no more memory than its stage needs: what a stage made things from is let go
once they are made, and the memory freed between stages goes back to the system (site/heap.py):
the resident set of a process that made and freed many page-sized objects among others it keeps
falls when it is asked to, where the C library can (glibc's malloc_trim)."""

from __future__ import annotations

import ctypes.util
import os
import platform
import subprocess
import sys
import weakref

import pytest

from servicebook.site.heap import give_back
from servicebook.site.render import _render_pages
from servicebook.site.templates import DataSpec, Renderer, environment
from servicebook.site.write import SiteFiles

from .conftest import FIXED_EPOCH


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


class _Index:
    """Stands for what the search index's files are made from (tens of MB at 20,000 pages)."""

    def file(self) -> bytes:
        return b"{}\n"


def test_what_the_data_files_are_made_from_is_let_go_once_they_are_made(tmp_path) -> None:
    index = _Index()
    gone = weakref.ref(index)
    renderer = Renderer(environment(tmp_path / "layouts"), [], {}, tmp_path / "layouts", None, frozenset())
    renderer.data.append(DataSpec("search/index.json", index.file, "inputs"))
    del index
    files = SiteFiles()
    _render_pages(files, renderer, None, workers=1)
    assert files["search/index.json"] == b"{}\n"
    assert gone() is None  # while the render still holds the renderer, as render_site does


_MAPPED_APART = """
import ctypes, os, sys
from pathlib import Path

class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Info

def mapped() -> int:
    return libc.mallinfo2().hblkhd

if sys.argv[1] == "serve":
    from servicebook.site.serve import Preview
    preview = Preview(Path(sys.argv[2]), {}, lambda _: None, lambda _: None)
big = bytearray(8 * 2**20)  # a first build's large buffer, freed
del big
before = mapped()
block = bytearray(2 * 2**20)  # the next one: glibc raised its threshold past it when the first was freed
print(mapped() - before >= 2 * 2**20)
if sys.argv[1] == "serve":
    preview.close()
"""


@pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc" or ctypes.util.find_library("c") is None,
    reason="mallopt and mallinfo2 are glibc's",
)
def test_serve_maps_each_large_block_apart_so_that_freeing_it_gives_it_back(site_copy) -> None:
    # glibc raises the size from which it maps a block apart whenever such a block is freed: after
    # serve's first build freed its large buffers, every later one was carved from the heap, and
    # what it left free stayed in the process (a day of serve at 5k in its own repository: ~4 MiB
    # of its peak, bench/README.md, ownmem22)
    site = site_copy("minimal")
    env = {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH}
    plain = subprocess.run(
        [sys.executable, "-c", _MAPPED_APART, "plain"], env=env, capture_output=True, text=True, check=False
    )
    assert plain.stdout.strip() == "False", plain.stderr  # glibc's own way, as the test relies on
    serving = subprocess.run(
        [sys.executable, "-c", _MAPPED_APART, "serve", str(site)], env=env, capture_output=True, text=True, check=False
    )
    assert serving.stdout.strip() == "True", serving.stderr
