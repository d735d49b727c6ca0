"""What each servicebook keeps apart in a site's cache, and the one policy for dropping what the
others left: the release trees (`releases/<code>/`), the store (`store/<code>.sqlite`) and the
history parsed from git (`history/<code>/`), each a *set* named by the first 16 hex digits of the
code digest of the servicebook that made it, beside its lock file `<code>.lock`.

Two servicebooks alternating on one site (a developer's own install and CI's, two worktrees of
servicebook, a CI matrix) each find their own set where they left it; an upgrade leaves the old
one behind. So:

- *in use*: a build that reads or writes a set holds a shared lock on its lock file for as long
  as it runs, and marks the set used by touching that file (`hold`);
- *prune*: after a successful build, the sets of other servicebooks are removed when they are not
  among the KEEP_OTHERS last used, or were last used more than KEEP_SECONDS ago; never one that a
  running build holds (its lock is taken, without waiting, before the set is renamed away). A set
  of this servicebook and the two last used by others is the most a folder keeps: three
  servicebooks' worth, each bounded by its own pruning (the store's generations, the releases a
  site has). What a killed prune left (a set renamed away) goes too.

Failing to prune is never an error: it is only space, and the next build tries again.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from servicebook.cache.digest import code_digest
from servicebook.cache.folder import CACHE_DIR, make_folder

KEEP_OTHERS = 2  # other servicebooks' sets kept (the last used first): two branches, a CI matrix
KEEP_SECONDS = 7 * 24 * 3600  # an other servicebook's set unused this long is dropped
LOCK = ".lock"
GONE = ".gone-"  # a set being removed: renamed to this first, so that no build takes it meanwhile
_CODE = re.compile(r"[0-9a-f]{16}")
LEGACY = ""  # the name `Listing.stale` gives what a servicebook from before the sets left (`Sets.look`)


def code_folder() -> str:
    """This servicebook's code and theme, as the sets are named: what another one made is not ours."""
    return code_digest()[:16]


@dataclass(frozen=True, slots=True)
class Listing:
    """One look at a folder of sets: its entries' names as listed, and the codes of the sets the
    policy no longer keeps, the last used first (LEGACY for what an older servicebook left)."""

    names: tuple[str, ...]
    stale: tuple[str, ...]


class Sets:
    """The sets of one folder `top`: each code's is `top/<code><suffix>` (a folder, or with a
    suffix a file, which goes with the files named after it plus each of `sidecars`)."""

    def __init__(self, top: Path, suffix: str = "", sidecars: tuple[str, ...] = ()) -> None:
        self.top = top
        self.suffix = suffix
        self.sidecars = sidecars

    def entry(self, code: str) -> Path:
        return self.top / f"{code}{self.suffix}"

    def lock(self, code: str) -> Path:
        return self.top / f"{code}{LOCK}"

    def look(self, now: float, legacy: Callable[[tuple[str, ...]], float | None] | None = None) -> Listing:
        """The folder listed once, and the sets of other servicebooks that the policy (see the
        module) no longer keeps. `now`: the time ages are counted to (the caller's clock);
        `legacy`: when what a servicebook from before the sets left was last used, told from the
        folder's names (None: there is none), ranked with the others as LEGACY."""
        try:
            names = tuple(entry.name for entry in os.scandir(self.top))
        except OSError:
            names = ()
        ours = code_folder()
        codes = {_code(name, self.suffix) for name in names} - {None, ours}
        used = {code: self._last_used(code) for code in codes if code is not None}
        left = None if legacy is None else legacy(names)
        if left is not None:
            used[LEGACY] = left
        ranked = sorted(used, key=lambda code: (-used[code], code))
        kept = {code for code in ranked[:KEEP_OTHERS] if now - used[code] <= KEEP_SECONDS}
        return Listing(names, tuple(code for code in ranked if code not in kept))

    def prune(self, listing: Listing, legacy: Callable[[Listing], bool] | None = None) -> list[str]:
        """Remove the stale sets of `listing` but those a running build holds (`legacy` removes
        what an older servicebook left, saying whether it did), what killed prunes left, and the
        lock files of sets removed by hand; the codes of the sets removed."""
        ours = code_folder()
        removed = []
        for code in listing.stale:
            if code == LEGACY:
                if legacy is not None and legacy(listing):
                    removed.append(code)
            elif code != ours and self._remove(code):
                removed.append(code)
        present = {_code(name, self.suffix) for name in listing.names} - set(removed)
        for name in listing.names:
            if name.startswith(GONE):
                _remove_path(self.top / name)
            elif _code(name, LOCK) not in {*present, ours, None}:  # a set removed by hand: only its lock left
                self._remove_lock(name[: -len(LOCK)])
        return removed

    def _last_used(self, code: str) -> float:
        """When the set `code` was last used: its lock file's time (touched by each build that
        held it), else its entry's (a set written by a servicebook from before the lock, or whose
        lock file was removed)."""
        times = []
        for path in (self.lock(code), self.entry(code)):
            with contextlib.suppress(OSError):
                times.append(path.stat().st_mtime)
        return max(times, default=0.0)

    def _remove(self, code: str) -> bool:
        """Remove the set `code` unless a running build holds it: its lock is taken without
        waiting, the set renamed away (a build starting now makes a new one), the lock file
        removed while still held (a build that opened it sees it is gone and opens the new one),
        then the set deleted. Whether it was removed."""
        lock = self.lock(code)
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o666)
        except OSError:
            return False
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:  # held: a build of that servicebook is running
                return False
            if not same_file(fd, lock):  # another prune removed it, and a build may hold the new one
                return False
            gone = self.top / f"{GONE}{code}.{os.getpid()}"
            entry = self.entry(code)
            try:
                os.rename(entry, gone)
            except OSError:  # gone already, or not ours to move
                return False
            for side in self.sidecars:  # (a store's write-ahead log: of no use without the store)
                with contextlib.suppress(OSError):
                    entry.with_name(entry.name + side).unlink()
            with contextlib.suppress(OSError):
                lock.unlink()
        finally:
            os.close(fd)
        _remove_path(gone)
        return True

    def _remove_lock(self, code: str) -> None:
        """Remove the lock file of a set that is gone, unless a build holds it (it is making the set again)."""
        lock = self.lock(code)
        try:
            fd = os.open(lock, os.O_RDWR | os.O_NOFOLLOW)
        except OSError:
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if same_file(fd, lock) and not self.entry(code).exists():
                lock.unlink()
        except OSError:
            pass
        finally:
            os.close(fd)


def hold(lock: Path, top: Path) -> int | None:
    """A shared lock on `lock` (created, with its folders, inside the cache folder `top`), its
    time set to now (the set's last use): the open file, which the holder closes when it is done.
    None when the cache cannot be written (read-only): the set is then used without it."""
    top = next((p for p in (top, *top.parents) if p.name == CACHE_DIR), top)  # (links checked from there)
    for _ in range(10):  # a prune may remove the file between its open and its lock: again
        try:
            make_folder(lock.parent, top)
            if lock.is_symlink():  # (restored into the cache: opening it would create or touch what it names)
                lock.unlink()
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o666)
        except OSError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            if same_file(fd, lock):
                os.utime(fd)  # last used now: what the pruning orders the sets by
                return fd
        except OSError:
            pass
        os.close(fd)
    return None


def _code(name: str, suffix: str) -> str | None:
    """The code whose set `name` is, if it is one."""
    if suffix and not name.endswith(suffix):
        return None
    code = name[: len(name) - len(suffix)]
    return code if _CODE.fullmatch(code) else None


def same_file(fd: int, path: Path) -> bool:
    """Whether the file open as `fd` is still the one at `path` (a prune did not remove it)."""
    try:
        here, there = os.fstat(fd), path.stat()
    except OSError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _remove_path(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()
