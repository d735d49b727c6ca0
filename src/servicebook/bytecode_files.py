"""The files servicebook keeps beside its own bytecode (`__pycache__/`, or under
`sys.pycache_prefix`): the dataclasses' methods (methods.py), the regular expressions' programs
(patterns.py) and the code digest's memo (cache/digest.py). Imports nothing of ours.

Each is read only when it is a regular file of at most the reader's limit: a FIFO put there would
make every command wait for a writer for ever, a file of gigabytes would be read whole, and a
link is none that `write_whole` makes. Each is written whole under a temporary name of this
process's, made afresh (never written through a link or into a file left there), then renamed
over the last, so a reader finds the last whole file or this one.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import stat
import sys


def beside(module_file: str, name: str, suffix: str) -> str | None:
    """The file `name.<cache tag>.suffix` beside the bytecode of the module at `module_file`; None
    where this interpreter keeps no bytecode (no cache tag)."""
    tag: str | None = sys.implementation.cache_tag  # (None where bytecode is not cached)
    if tag is None:
        return None
    folder = os.path.dirname(importlib.util.cache_from_source(module_file))  # noqa: PTH120
    return os.path.join(folder, f"{name}.{tag}.{suffix}")  # noqa: PTH118


def read_small(path: str, limit: int) -> bytes | None:
    """The bytes of `path`; None when it is missing, not a regular file (a FIFO, a device, a link)
    or larger than `limit` bytes, or cannot be read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        with open(fd, "rb", closefd=False) as file:
            data = file.read(limit + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    return data if len(data) <= limit else None


def write_whole(path: str, data: bytes) -> None:
    """`data` written to `path` whole, or nothing written: under a temporary name of this process's
    made afresh, then renamed over `path`. A folder that cannot be written leaves things as they
    were (the next process makes what the file would have given it, as before)."""
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)  # noqa: PTH103, PTH120
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)  # noqa: PTH108 - (a killed process of the same id left it)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with open(fd, "wb") as file:
            file.write(data)
        os.replace(temporary, path)  # noqa: PTH105 - str paths
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)  # noqa: PTH108
