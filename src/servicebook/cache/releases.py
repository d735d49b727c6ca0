"""Where the built releases live in a site's cache, `.servicebook-cache/releases/<code>/<commit>/`
(a release's files depend on its commit and on the servicebook that built it: one set of trees
per servicebook code), and the one policy for dropping the sets no servicebook uses any more.

Every upgrade of servicebook (and, in a development checkout, every change of its code) starts a
new set, and nothing else ever removed an old one: a CI cache grew by a whole set of releases per
upgrade (138 MB a release at 5,000 pages). So:

- *in use*: a build that reads or writes its set holds a shared lock on `releases/<code>.lock`
  for as long as it runs (its output hard-links the trees' files until the write stage is done),
  and marks the set used by touching that file;
- *prune*: after a successful build, the sets of other servicebooks are removed when they are not
  among the KEEP_OTHERS last used, or were last used more than KEEP_SECONDS ago; never one that a
  running build holds (its lock is taken, without waiting, before the set is renamed away). A CI
  matrix or a developer switching between two branches of servicebook keeps both sets (no
  thrashing); the set an upgrade left behind goes a week after the last build that used it.
  What a killed build or a killed prune left (a staging folder, a set renamed away) goes too.

Failing to prune is never an error: it is only space, and the next build tries again.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
from pathlib import Path
from typing import Self

from servicebook.cache.digest import code_digest
from servicebook.cache.folder import make_folder

RELEASES = "releases"
KEEP_OTHERS = 2  # other servicebooks' sets kept (the last used first): two branches, a CI matrix
KEEP_SECONDS = 7 * 24 * 3600  # an other servicebook's set unused this long is dropped
STAGING_LEFT_SECONDS = 3600  # a staging folder unchanged this long is a killed build's
_LOCK = ".lock"
_GONE = ".gone-"  # a set being removed: renamed to this first, so that no build takes it meanwhile
_CODE = re.compile(r"[0-9a-f]{16}")


def code_folder() -> str:
    """Identifies this servicebook's code and theme: a cached release built by another is stale."""
    return code_digest()[:16]


class ReleaseTrees:
    """The release trees of one cache folder (`cache_root`, a site's `.servicebook-cache`, or a
    scratch folder of `verify`): where each release's tree goes, the lock that keeps other
    servicebooks' builds from removing them while this one runs (`hold`), and the pruning."""

    def __init__(self, cache_root: Path) -> None:
        self.cache_root = cache_root
        self.folder = cache_root / RELEASES / code_folder()
        self._lock: int | None = None

    def tree(self, commit: str) -> Path:
        """Where the release built from `commit` by this servicebook is kept."""
        return self.folder / commit

    def hold(self) -> None:
        """Mark this servicebook's set used and keep it from being pruned until `close` (a
        build's whole run: its output links the trees' files). Once a process; a cache that
        cannot be written (read-only) is used without it."""
        if self._lock is not None:
            return
        lock = _lock_file(self.cache_root, code_folder())
        for _ in range(10):  # a prune may remove the file between its open and its lock: again
            try:
                make_folder(lock.parent, self.cache_root)
                fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
            except OSError:
                return
            try:
                fcntl.flock(fd, fcntl.LOCK_SH)
                if _same_file(fd, lock):
                    os.utime(fd)  # last used now: what the pruning orders the sets by
                    self._lock = fd
                    return
            except OSError:
                pass
            os.close(fd)

    @property
    def held(self) -> bool:
        """Whether this process holds the set (`hold`): a build that had releases to read."""
        return self._lock is not None

    def close(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def stale(self, now: float) -> list[str]:
        """The sets of other servicebooks that the policy (see the module) no longer keeps, the
        last used first (a look at the folder: nothing is removed). `now`: the time the ages are
        counted to (the caller's clock)."""
        top = self.cache_root / RELEASES
        try:
            names = [entry.name for entry in top.iterdir()]
        except OSError:
            return []
        ours = code_folder()
        used = {name: _last_used(top, name) for name in names if _CODE.fullmatch(name) and name != ours}
        ranked = sorted(used, key=lambda name: (-used[name], name))
        kept = {name for name in ranked[:KEEP_OTHERS] if now - used[name] <= KEEP_SECONDS}
        return [name for name in ranked if name not in kept]

    def prune(self, now: float, stale: list[str] | None = None) -> list[str]:
        """Remove the `stale` sets (by default, what `stale` says now) but those a running build
        holds, the leftovers of killed builds and prunes, and this servicebook's staging folders
        that no build wrote into for STAGING_LEFT_SECONDS; the names of the sets removed."""
        top = self.cache_root / RELEASES
        try:
            names = [entry.name for entry in top.iterdir()]
        except OSError:
            return []
        ours = code_folder()
        stale = self.stale(now) if stale is None else stale
        removed = [name for name in stale if name != ours and _remove_set(top, name)]
        used = {name for name in names if _CODE.fullmatch(name)} - set(removed)
        for name in names:
            if name.startswith(_GONE):
                shutil.rmtree(top / name, ignore_errors=True)
            elif name.endswith(_LOCK) and name[: -len(_LOCK)] not in used and name[: -len(_LOCK)] != ours:
                _remove_lock(top / name)  # a set removed by hand: its lock file is all that is left
        remove_staging(self.folder, now)
        return removed


def remove_staging(folder: Path, now: float, commit: str = "*") -> None:
    """Staging folders (`.<commit>.<random>`) in a set's `folder` that no build wrote into for
    STAGING_LEFT_SECONDS: a build writes into its own as it renders, so such a folder is a killed
    build's (SIGKILL: no `finally` ran), and it may hold every stamped page of a release."""
    stale = now - STAGING_LEFT_SECONDS
    for left in folder.glob(f".{commit}.*"):
        with contextlib.suppress(OSError):
            if not left.is_symlink() and left.is_dir() and left.stat().st_mtime < stale:
                shutil.rmtree(left, ignore_errors=True)


def _lock_file(cache_root: Path, code: str) -> Path:
    return cache_root / RELEASES / f"{code}{_LOCK}"


def _same_file(fd: int, path: Path) -> bool:
    """Whether the file open as `fd` is still the one at `path` (a prune did not remove it)."""
    try:
        here, there = os.fstat(fd), path.stat()
    except OSError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _last_used(top: Path, code: str) -> float:
    """When the set `code` was last used: its lock file's time (touched by each build that held
    it), else its folder's (a set written by a servicebook from before the lock, or whose lock
    file was removed: the folder's time moves when a release's tree is renamed in)."""
    times = []
    for path in (top / f"{code}{_LOCK}", top / code):
        with contextlib.suppress(OSError):
            times.append(path.stat().st_mtime)
    return max(times, default=0.0)


def _remove_set(top: Path, code: str) -> bool:
    """Remove the set `code` unless a running build holds it: its lock is taken without waiting,
    the set renamed away (a build starting now makes a new one), the lock file removed while
    still held (a build that opened it sees it is gone and opens the new one), then the set
    deleted. Whether it was removed."""
    lock = top / f"{code}{_LOCK}"
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held: a build of that servicebook is running
            return False
        if not _same_file(fd, lock):  # another prune removed it, and a build may hold the new one
            return False
        gone = top / f"{_GONE}{code}.{os.getpid()}"
        try:
            os.rename(top / code, gone)
        except OSError:  # gone already, or not ours to move
            return False
        with contextlib.suppress(OSError):
            lock.unlink()
    finally:
        os.close(fd)
    shutil.rmtree(gone, ignore_errors=True)
    return True


def _remove_lock(lock: Path) -> None:
    """Remove the lock file of a set that is gone, unless a build holds it (it is making the set again)."""
    try:
        fd = os.open(lock, os.O_RDWR)
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if _same_file(fd, lock) and not (lock.parent / lock.name[: -len(_LOCK)]).exists():
            lock.unlink()
    except OSError:
        pass
    finally:
        os.close(fd)
