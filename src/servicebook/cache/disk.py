"""JSON entries in files, one per key, for what git history parsing found (keyed by git blob ids),
in a folder per servicebook code (`.servicebook-cache/<area>/<code>/`, cache/sets.py): what another
servicebook parsed is never read, and goes as the sets' policy says (`prune_area`).
Each entry starts with the digest of its JSON, on a line of its own: an entry altered on disk (a
flipped byte that leaves it JSON, a change's text edited), like a missing, corrupt or stale one, is
simply a miss, so damage never changes what a build shows. The digest is no secret: it catches
damage, not forgery (docs/security.md: the cache is trusted as the build's own output is)."""

from __future__ import annotations

import contextlib
import json
import os
import stat
from pathlib import Path

from servicebook.cache.codec import JSON
from servicebook.cache.digest import digest
from servicebook.cache.folder import CACHE_DIR, owned, prepare
from servicebook.cache.sets import Listing, Sets, code_folder

_ENTRY = ".json"
# what one entry may be, far past any history's (a few MB): an entry past it is neither written
# nor read (a restored cache can hold a file of a terabyte with no data in it, which read whole
# is a MemoryError)
MAX_ENTRY_BYTES = 256 * 1024 * 1024


class DiskCache:
    """JSON entries in `root/.servicebook-cache/<area>/<code>/`; every failure is a miss. The first
    entry read or written marks the folder used (its time: what the sets' policy goes by)."""

    def __init__(self, root: Path | None, area: str) -> None:
        self.folder = None if root is None else root / CACHE_DIR / area / code_folder()
        self._marked = False
        self._checked = False  # the folder found to be a folder of the cache's own (`_owned`)

    def get(self, key: str) -> JSON | None:
        if self.folder is None:
            return None
        try:
            # not blocking: a FIFO put there would wait for a writer for ever (and in C, where no
            # Ctrl-C reaches); it is no file, and so a miss
            if not self._owned():
                return None
            entry_fd = os.open(self.folder / f"{key}{_ENTRY}", os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
            with open(entry_fd, "rb") as entry:
                status = os.fstat(entry.fileno())
                if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_ENTRY_BYTES:
                    return None
                sum_, _, data = entry.read(MAX_ENTRY_BYTES + 1).partition(b"\n")  # (it may grow meanwhile)
            if len(data) > MAX_ENTRY_BYTES:
                return None
            if sum_.decode("ascii") != digest(data):
                return None
            found = json.loads(data.decode("utf-8"))
        except (OSError, ValueError, RecursionError):  # RecursionError: nested deeper than json goes
            return None
        self._mark()
        return found

    def put(self, key: str, value: JSON) -> None:
        if self.folder is None:
            return
        try:
            if not self._checked:  # (once: a cold build puts thousands of entries)
                prepare(self.folder)  # a link in the cache's folders is removed, never followed
                self._checked = True
            target = self.folder / f"{key}{_ENTRY}"
            temp = self.folder / f".{key}.{os.getpid()}.tmp"
            data = json.dumps(value, separators=(",", ":")).encode("utf-8")
            if len(data) > MAX_ENTRY_BYTES:  # never read: made again by the next build
                return
            with open(_created(temp), "wb") as file:
                file.write(f"{digest(data)}\n".encode("ascii") + data)
            temp.replace(target)
        except OSError:
            return
        self._mark()

    def _owned(self) -> bool:
        """Whether the entries' folder, and each above it in the cache, is a folder, no symbolic
        link (a cache restored from a job someone else controlled): looked at once."""
        if not self._checked and self.folder is not None:
            self._checked = owned(self.folder, self.folder.parents[1])
        return self._checked

    def _mark(self) -> None:
        if not self._marked and self.folder is not None:
            self._marked = True
            with contextlib.suppress(OSError):
                os.utime(self.folder)


def _created(path: Path) -> int:
    """`path` made anew and open for writing, never through a link left there (what a killed
    build left under that name is removed first). Raises OSError."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    try:
        return os.open(path, flags, 0o666)
    except FileExistsError:
        path.unlink()
        return os.open(path, flags, 0o666)


def prune_area(root: Path, area: str, now: float) -> list[str]:
    """After a successful build: remove the folders of `area` that other servicebooks left and the
    sets' policy no longer keeps (cache/sets.py), and on the same terms the entries a servicebook
    from before the folders left beside them (ranked by the area's folder's time); the codes removed."""
    top = root / CACHE_DIR / area
    folders = Sets(top)

    def last_used(names: tuple[str, ...]) -> float | None:
        if not any(name.endswith(_ENTRY) for name in names):
            return None
        try:
            return top.stat().st_mtime
        except OSError:
            return None

    def remove_legacy(listing: Listing) -> bool:
        for name in listing.names:
            if name.endswith((_ENTRY, ".tmp")):
                with contextlib.suppress(OSError):
                    (top / name).unlink()
        return True

    return folders.prune(folders.look(now, last_used), remove_legacy)
