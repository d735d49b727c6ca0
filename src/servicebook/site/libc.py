"""The C library, for the few calls the standard library does not offer (write.py's atomic
exchange of two folders, heap.py's return of freed memory)."""

from __future__ import annotations

import ctypes
from functools import cache
from typing import Any


@cache
def libc() -> ctypes.CDLL | None:
    """The C library with `errno` kept for each call, or None where there is none: found once per
    process, by running `ldconfig -p` (ctypes.util.find_library); `function` asks it only for a
    function this process has not loaded already."""
    # start-up cost, measured: find_library runs `ldconfig -p`, ~2 ms and a process a build
    import ctypes.util  # only here: the library is looked for only where the process has none loaded

    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        return ctypes.CDLL(name, use_errno=True)
    except OSError:
        return None


def function(name: str) -> Any:
    """The C library's function `name`, or None where there is no C library or no such function:
    the one this process has loaded (a dynamically linked Python's C library, see `loaded`) when
    there is one, without looking for the library, which costs a build a process (`ldconfig -p`)
    and ~2 ms of CPU."""
    own = loaded(name)
    if own is not None:
        return own
    found = libc()
    try:
        return getattr(found, name) if found is not None else None
    except AttributeError:
        return None


def loaded(name: str) -> Any:
    """The C function `name` among those this process has loaded already (a dynamically linked
    Python's C library), or None: without looking for the library, which `libc` does by running
    `ldconfig -p`, a process that each forked worker would otherwise start."""
    own = _process()
    try:
        return getattr(own, name) if own is not None else None
    except AttributeError:
        return None


@cache
def _process() -> ctypes.CDLL | None:
    """The symbols this process has loaded (dlopen of no file), with `errno` kept for each call."""
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
