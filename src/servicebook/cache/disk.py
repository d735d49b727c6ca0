"""JSON entries in files, one per key, for what git history parsing found (keyed by git blob ids).
A missing, corrupt or stale entry is simply a miss; the cache never changes what a build shows."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from servicebook.cache.codec import JSON
from servicebook.cache.folder import CACHE_DIR, prepare


class DiskCache:
    """JSON entries in `root/.servicebook-cache/<area>/`; every failure is a miss."""

    def __init__(self, root: Path | None, area: str) -> None:
        self.folder = None if root is None else root / CACHE_DIR / area

    def get(self, key: str) -> JSON | None:
        if self.folder is None:
            return None
        try:
            # not blocking: a FIFO put there would wait for a writer for ever (and in C, where no
            # Ctrl-C reaches); it is no file, and so a miss
            with open(os.open(self.folder / f"{key}.json", os.O_RDONLY | os.O_NONBLOCK), "rb") as entry:
                if not stat.S_ISREG(os.fstat(entry.fileno()).st_mode):
                    return None
                return json.loads(entry.read().decode("utf-8"))
        except (OSError, ValueError, RecursionError):  # RecursionError: nested deeper than json goes
            return None

    def put(self, key: str, value: JSON) -> None:
        if self.folder is None:
            return
        try:
            prepare(self.folder)
            target = self.folder / f"{key}.json"
            temp = self.folder / f".{key}.{os.getpid()}.tmp"
            temp.write_text(json.dumps(value, separators=(",", ":")), "utf-8")
            temp.replace(target)
        except OSError:
            return
