"""Where `serve` builds its preview: a folder of its own in the temporary folder
(`servicebook-preview-XXXX/`, which only its builds write), beside the lock file it holds while it
serves (`servicebook-preview-XXXX.lock`, a shared `flock`); and how previews go: a stopped serve
renames its folder away (`….trash`) and leaves its removal to a detached process, so that Ctrl-C
stops it at once however many files its site has (a 20,000-page preview is ~50,000 files: minutes
of a busy disk); a later serve or build removes what a killed one left (its lock is free).

The remover takes the lock exclusively before it deletes anything: it never removes the folder of
a serve that still holds its lock, and waits for one that is letting go of it."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from servicebook.site import detached

PREFIX = "servicebook-preview-"
LOCK = ".lock"
TRASH = ".trash"
NO_LOCK_SECONDS = 24 * 3600  # a preview folder without its lock file this old is a killed serve's


class PreviewFolder:
    """A preview's folder (`path`) in `parent` (the temporary folder by default), held by this
    process until `discard`."""

    def __init__(self, parent: Path | None = None) -> None:
        fd, lock = tempfile.mkstemp(prefix=PREFIX, suffix=LOCK, dir=parent)
        fcntl.flock(fd, fcntl.LOCK_SH)  # made with the lock held: no sweep takes it for a killed one's
        self._lock: int | None = fd
        self.path = Path(lock[: -len(LOCK)])
        self.path.mkdir(mode=0o700)
        self.remover: int | None = None  # the process removing it, once discarded

    def discard(self) -> None:
        """The folder renamed away at once and removed by a detached process (`remover`), which
        starts once this process lets go of the lock (here, at the end)."""
        if self._lock is None:
            return
        try:
            trash = self.path.with_name(self.path.name + TRASH)
            with contextlib.suppress(OSError):
                self.path.rename(trash)
            self.remover = remove_detached(self.path)
        finally:
            os.close(self._lock)
            self._lock = None


def remove_detached(base: Path) -> int | None:
    """Start the removal of the preview `base` (its folder, its trash, its lock file) in a detached
    process (site/detached.py: this module run as a program); its process id, None where none
    could be started (the removal is then left to a later serve or build's `sweep`)."""
    return detached.start([sys.executable, "-m", __name__, str(base)])


def _remove(base: Path) -> None:
    """The preview `base` removed, once no serve holds its lock: its folder, its trash, then the lock file."""
    lock = base.with_name(base.name + LOCK)
    fd = None
    with contextlib.suppress(OSError):
        fd = os.open(lock, os.O_RDWR | os.O_NOFOLLOW)
        fcntl.flock(fd, fcntl.LOCK_EX)  # (waits for a serve letting go of it)
    shutil.rmtree(base.with_name(base.name + TRASH), ignore_errors=True)
    shutil.rmtree(base, ignore_errors=True)
    if fd is not None:
        with contextlib.suppress(OSError):
            lock.unlink()
        os.close(fd)


def sweep(parent: Path | None = None, now: float | None = None) -> list[int]:
    """Start the removal of what killed serves left in `parent` (the temporary folder by default):
    the previews whose lock no process holds (taken without waiting), and a lock-less preview
    folder older than NO_LOCK_SECONDS; the removers' process ids. A serve's own preview is held,
    and so never one of them."""
    folder = Path(tempfile.gettempdir()) if parent is None else parent
    try:
        with os.scandir(folder) as listing:
            names = [entry.name for entry in listing if entry.name.startswith(PREFIX)]
    except OSError:
        return []
    bases = {name.removesuffix(LOCK).removesuffix(TRASH) for name in names}
    removers = []
    uid = os.getuid()
    for name in sorted(bases):
        base = folder / name
        if not _dead(base, uid, now):
            continue
        with contextlib.suppress(OSError):
            base.rename(base.with_name(base.name + TRASH))
        pid = remove_detached(base)
        if pid is not None:
            removers.append(pid)
    return removers


def _dead(base: Path, uid: int, now: float | None) -> bool:
    """Whether the preview `base` is a killed serve's: its lock file free, or, without one, its
    folder older than NO_LOCK_SECONDS. Only this user's."""
    lock = base.with_name(base.name + LOCK)
    try:
        fd = os.open(lock, os.O_RDWR | os.O_NOFOLLOW)
    except FileNotFoundError:
        try:
            info = base.lstat()
        except OSError:
            return False
        old = (time.time() if now is None else now) - info.st_mtime > NO_LOCK_SECONDS
        return info.st_uid == uid and old
    except OSError:
        return False
    try:
        if os.fstat(fd).st_uid != uid:
            return False
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # held: a serve at work, or a remover
        return False
    finally:
        os.close(fd)
    return True


if __name__ == "__main__":  # the detached remover `remove_detached` starts
    _remove(Path(sys.argv[1]))
