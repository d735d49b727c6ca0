"""The C library, for the few calls the standard library does not offer (write.py's atomic
exchange of two folders, heap.py's return of freed memory)."""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache
from typing import Any


@cache
def libc() -> ctypes.CDLL | None:
    """The C library with `errno` kept for each call, or None where there is none: found once per
    process (finding it runs `ldconfig -p`, which `serve` would otherwise pay on every rebuild)."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        return ctypes.CDLL(name, use_errno=True)
    except OSError:
        return None


def function(name: str) -> Any:
    """The C library's function `name`, or None where there is no C library or no such function."""
    found = libc()
    try:
        return getattr(found, name) if found is not None else None
    except AttributeError:
        return None


def loaded(name: str) -> Any:
    """The C function `name` among those this process has loaded already (a dynamically linked
    Python's C library), or None: without looking for the library, which `libc` does by running
    `ldconfig -p`, a process that each forked worker would otherwise start."""
    try:
        return getattr(ctypes.CDLL(None, use_errno=True), name)
    except (OSError, AttributeError):
        return None
