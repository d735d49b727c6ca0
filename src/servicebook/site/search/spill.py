"""A cold build's index files held in a nameless temporary file until the render workers ask for
them (`_Spill`), and the last index's fragments left in the store read back there before a fork."""

from __future__ import annotations

import contextlib
import os
import tempfile
import weakref
from collections.abc import Callable
from functools import partial
from pathlib import Path

from servicebook.site.search.carried import FragmentSource


def _utf8(text: str) -> bytes:
    return text.encode("utf-8")


class _Spill:
    """Files of a cold build's index, made before the render workers make the data files, held
    in a temporary file rather than in memory until then (at 20,000 pages the words and records
    files are 34 MB, and all of them at once were most of what the build held when its render
    workers were forked). Read with `os.pread`: a forked worker reads them as this process wrote
    them. The file has no name; it is closed, and gone, once nothing holds a maker of it. Where
    no temporary file can be made or written (no temporary folder, a full disk), the files are
    held in memory, as they were before: the index is the same, its build only larger."""

    def __init__(self) -> None:
        self._fd = -1  # none: held in memory
        self._end = 0
        # the last index's fragments left in the store (`stored`): where each is, by digest, and
        # where it was put in this file before a fork, once it is
        self._left: dict[str, FragmentSource] = {}
        self._placed: dict[str, Callable[[], bytes]] = {}
        self._pid = os.getpid()
        try:
            fd, name = tempfile.mkstemp(prefix="servicebook-search-")
        except OSError:
            return
        weakref.finalize(self, os.close, fd)
        try:
            Path(name).unlink()  # the file lives on, nameless, while `fd` is open
        except OSError:
            return  # not used: the files are held in memory
        self._fd = fd

    def keep(self, data: bytes) -> Callable[[], bytes]:
        """`data` written to the file; what reads it back."""
        fd, at = self._fd, self._end
        view = memoryview(data)
        try:
            while fd >= 0 and view:
                view = view[os.pwrite(fd, view, at + len(data) - len(view)) :]
        except OSError:
            self._fd = fd = -1  # the rest are held in memory; those written stay readable
        if fd < 0:
            return partial(bytes, data)
        self._end += len(data)
        return partial(self._read, fd, at, len(data))  # which holds this, and so the file open

    def stored(self, fragments: FragmentSource, key: str, again: Callable[[], bytes]) -> Callable[[], bytes]:
        """What makes the bytes of a words fragment the last index had, left in the store under
        `key`: read from there when asked for in this process; in a worker forked from it
        (which must not use the store's connection), from this file, where those not read yet
        are put before each fork (`_before_fork`); made by `again` (the index made from
        nothing) where the store no longer holds it as it was."""
        self._left[key] = fragments
        _LEFT.add(self)
        return partial(self._stored, key, again)

    def _stored(self, key: str, again: Callable[[], bytes]) -> bytes:
        placed = self._placed.get(key)
        if placed is not None:
            return placed()
        fragments = self._left.get(key)
        if fragments is not None and os.getpid() == self._pid:
            try:
                return _utf8(fragments.text(key))
            except KeyError:
                pass
        return again()

    def place_stored(self) -> None:
        """Before a fork: each fragment left in the store not put in this file yet put there."""
        if os.getpid() != self._pid:
            return
        for key, fragments in self._left.items():
            if key not in self._placed:
                try:
                    self._placed[key] = self.keep(_utf8(fragments.text(key)))
                except KeyError:  # gone or altered: made again where asked for (`_stored`)
                    continue

    def _read(self, fd: int, at: int, size: int) -> bytes:
        data = os.pread(fd, size, at)
        if len(data) != size:
            raise OSError(f"the search index's temporary file lost {size - len(data)} bytes")
        return data


_LEFT: weakref.WeakSet[_Spill] = weakref.WeakSet()  # those with fragments left in the store (`_Spill.stored`)


def _before_fork() -> None:
    for spill in list(_LEFT):
        with contextlib.suppress(Exception):  # a worker then makes such a fragment again (`_Spill._stored`)
            spill.place_stored()


os.register_at_fork(before=_before_fork)
