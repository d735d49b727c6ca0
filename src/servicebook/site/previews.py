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
import select
import shutil
import tempfile
import time
from pathlib import Path

PREFIX = "servicebook-preview-"
LOCK = ".lock"
TRASH = ".trash"
SAID_WITHIN = 10.0  # seconds a remover has to say its process id
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
    """Start the removal of the preview `base` (its folder, its trash, its lock file) in a process
    of its own session, which outlives this one and no one waits for (forked twice, as the write
    stage removes a replaced site); its process id, None where there is no fork."""
    if not hasattr(os, "fork"):  # pragma: no cover - not POSIX
        _remove(base)
        return None
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the forked processes
        try:
            if os.fork() == 0:  # adopted by init, so no one has to wait for it
                os.setsid()
                os.write(write, str(os.getpid()).encode())  # said once in a session of its own
                let_go_of_descriptors()
                _remove(base)
        finally:
            os._exit(0)
    os.close(write)
    said = b""
    try:  # bounded: a remover that never says its id must not keep a stopping serve from ending
        ready, _, _ = select.select([read], [], [], SAID_WITHIN)
        said = os.read(read, 32) if ready else b""
    finally:
        os.close(read)
        # the process between only forks and exits: waited for whatever the remover said, or it
        # stays a zombie until this process ends (a serve, hours later)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(child, 0)
    return int(said) if said.isdigit() else None


def let_go_of_descriptors() -> None:
    """In a detached remover: keep nothing its parent had open. A server's socket kept the port
    taken for minutes; the standard output of a serve, inherited, kept a caller reading it (a
    pipe) waiting for the remover's end, and the remover waits for the serve's lock."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))


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
