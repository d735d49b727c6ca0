"""Where the built releases live in a site's cache, `.servicebook-cache/releases/<code>/<commit>/`
(a release's files depend on its commit and on the servicebook that built it: one set of trees
per servicebook code, cache/sets.py), and what a successful build removes of them:

- the sets of other servicebooks the policy no longer keeps (cache/sets.py: unused a week, or
  beyond the two last used), never one a running build holds;
- in this servicebook's set, the trees of commits that are no longer releases (a tag deleted or
  moved), only when no other build holds the set (its lock taken without waiting): a running
  build links the trees' files into its output;
- what a killed build or a killed prune left (a staging folder, a tree or a set renamed away).

Beside `releases/`, `sources/`: the releases' sources as the last build left them (`sources`).

Failing to prune is never an error: it is only space, and the next build tries again.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Self

from servicebook.cache.folder import make_folder
from servicebook.cache.sets import GONE, KEEP_OTHERS, KEEP_SECONDS, Listing, Sets, code_folder, hold, same_file

__all__ = ["KEEP_OTHERS", "KEEP_SECONDS", "RELEASES", "ReleaseTrees", "code_folder", "remove_staging"]

RELEASES = "releases"
SOURCES = "sources"  # in the cache: the folder of the last build's releases' sources (`sources`)
STAGING_LEFT_SECONDS = 3600  # a staging folder unchanged this long is a killed build's
_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # a tree's name: its commit (SHA-1 or SHA-256)


class ReleaseTrees:
    """The release trees of one cache folder (`cache_root`, a site's `.servicebook-cache`, or a
    scratch folder of `verify`): where each release's tree goes, the lock that keeps other
    builds from removing them while this one runs (`hold`), and the pruning."""

    def __init__(self, cache_root: Path) -> None:
        self.cache_root = cache_root
        self.sets = Sets(cache_root / RELEASES)
        self.folder = self.sets.entry(code_folder())
        self._lock: int | None = None
        self.releases: frozenset[str] | None = None  # the commits that are releases now (`current`)

    def tree(self, commit: str) -> Path:
        """Where the release built from `commit` by this servicebook is kept."""
        return self.folder / commit

    def current(self, commits: Iterable[str]) -> None:
        """The commits that are releases now (every option of every version the build found):
        the trees of any other commit are of releases whose tag was deleted or moved, which
        `prune` removes."""
        self.releases = frozenset(commits)

    def hold(self) -> None:
        """Mark this servicebook's set used and keep it from being pruned until `close` (a
        build's whole run: its output links the trees' files). Once a process; a cache that
        cannot be written (read-only) is used without it."""
        if self._lock is None:
            self._lock = hold(self.sets.lock(code_folder()), self.cache_root)
            with contextlib.suppress(OSError):  # (a link in its place, restored into the cache, is removed)
                make_folder(self.folder, self.cache_root)

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

    @contextlib.contextmanager
    def sources(self) -> Iterator[tuple[Path, bool]]:
        """A folder for the releases' sources while this build makes them (git.releases.Sources),
        and whether it holds what the last build left in it: that build's folder (`sources/last`,
        the same for every servicebook: sources are a commit's), renamed to one of this build's
        own (a staging folder's name, `sources/.sources.<random>`: another build at the same time finds
        none and starts from nothing; one a killed build left is removed, `remove_staging`), and
        renamed back once the build is done with it, unless another build put one back first.
        Its files are anything to the build (it compares each with the commit's), only likely
        to be most of them. A cache that cannot be written: a temporary folder, empty."""
        root = self.cache_root / SOURCES
        try:
            make_folder(root, self.cache_root)
            remove_staging(root, time.time())
            work = Path(tempfile.mkdtemp(prefix=f".{SOURCES}.", dir=root))
        except OSError:
            with tempfile.TemporaryDirectory(prefix="servicebook-releases-") as tmp:
                yield Path(tmp) / "src", False
            return
        try:
            last = root / "last"
            taken = not last.is_symlink() and last.is_dir()
            if taken:
                try:
                    os.rename(last, work)  # (onto the empty folder)
                except OSError:
                    taken = False
            yield work, taken
            with contextlib.suppress(OSError):
                os.rename(work, last)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def stale(self, now: float) -> Listing:
        """`releases/` listed once, and the sets of other servicebooks that the policy
        (cache/sets.py) no longer keeps, the last used first (nothing is removed: `prune` takes
        this listing). `now`: the time the ages are counted to (the caller's clock)."""
        return self.sets.look(now)

    def prune(
        self, now: float, listing: Listing | None = None, remove: Callable[[Path], bool] | None = None
    ) -> list[str]:
        """Remove the stale sets of `listing` (by default, what `stale` says now) but those a
        running build holds, the leftovers of killed builds and prunes, and in this
        servicebook's set the trees of commits that are no longer releases (`current`) and the
        staging folders that no build wrote into for STAGING_LEFT_SECONDS; the codes of the
        sets removed. Lets go of this build's hold (`close`): call it when the build is done.
        `remove`: what removes such a tree once it is renamed away (`.gone-…`, which no build
        takes), saying whether it started (site/detached.py: a tree of a 5,000-page release is
        11,000 files, ~0.4 CPU s that no one has to wait for); by default, this process. One
        whose removal is cut short is removed by the next build (`remove_staging`)."""
        removed = self.sets.prune(self.stale(now) if listing is None else listing)
        self._tidy(now, remove)
        return removed

    def _tidy(self, now: float, remove: Callable[[Path], bool] | None = None) -> None:
        """This servicebook's set listed once: the staging folders killed builds left, and, when no
        other build holds the set, the trees of commits that are no longer releases (`prune`)."""
        try:
            names = [entry.name for entry in os.scandir(self.folder)]
        except OSError:
            return
        remove_staging(self.folder, now, names=names)
        if self.releases is None:
            return
        orphans = [n for n in names if _COMMIT.fullmatch(n) and n not in self.releases]
        if not orphans:
            return
        self.close()  # (a shared lock of ours would keep ours from being taken)
        lock = self.sets.lock(code_folder())
        try:
            fd = os.open(lock, os.O_RDWR | os.O_NOFOLLOW)
        except OSError:
            return
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:  # another build of this servicebook is running: it may link them
                return
            if not same_file(fd, lock):
                return
            for name in orphans:
                gone = self.folder / f"{GONE}{name}.{os.getpid()}"
                with contextlib.suppress(OSError):
                    os.rename(self.folder / name, gone)
                    if remove is None or not remove(gone):
                        shutil.rmtree(gone, ignore_errors=True)
        finally:
            os.close(fd)


def remove_staging(folder: Path, now: float, commit: str = "*", names: Iterable[str] | None = None) -> None:
    """Staging folders (`.<commit>.<random>`) in a set's `folder` that no build wrote into for
    STAGING_LEFT_SECONDS: a build writes into its own as it renders, so such a folder is a killed
    build's (SIGKILL: no `finally` ran), and it may hold every stamped page of a release; and the
    trees a killed prune renamed away (`.gone-…`). `names`: the folder's listing, when the caller
    has it (then for every commit)."""
    stale = now - STAGING_LEFT_SECONDS
    lefts = folder.glob(f".{commit}.*") if names is None else (folder / n for n in names if n.startswith("."))
    for left in lefts:
        with contextlib.suppress(OSError):
            old = left.name.startswith(GONE) or left.stat().st_mtime < stale
            if not left.is_symlink() and left.is_dir() and old:
                shutil.rmtree(left, ignore_errors=True)
