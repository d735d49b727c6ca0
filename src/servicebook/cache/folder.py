"""Where caches live: `.servicebook-cache/` in the site (or beside an output folder outside it),
kept out of git by a .gitignore of its own; and what any site of the same user may share (the
user's cache folder: compiled templates), which holds nothing a site's build depends on."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path

CACHE_DIR = ".servicebook-cache"


def site_folder(source: Path) -> Path:
    """The cache of a site's builds (the store, the releases as built, git history parsed): in
    the site's folder, wherever the output goes, so that one folder is all a CI job restores."""
    return source / CACHE_DIR


def output_folder(output: Path) -> Path:
    """Where a build keeps the site it replaced (and stages the next one): beside the output, on
    its file system, since a rebuild hard-links pages from it."""
    return output.parent / CACHE_DIR


def prepare(folder: Path) -> None:
    """Create `folder` (inside a cache folder) and the cache folder's .gitignore. Raises OSError."""
    top = next((p for p in (folder, *folder.parents) if p.name == CACHE_DIR), folder)
    make_folder(folder, top)
    ignore = top / ".gitignore"
    if not ignore.is_symlink() and not ignore.exists():
        ignore.write_text("# servicebook's cache; safe to delete\n*\n", "utf-8")


def make_folder(folder: Path, top: Path) -> None:
    """Create `folder`, which is inside (or is) the cache folder `top`. Anything that is not a
    folder where a folder below `top` belongs (a file, a symbolic link, dangling or not) is damage
    to the cache and is removed (the link, never what it names), as a damaged entry is a miss and
    never an error: a cache restored from a job someone else controlled could otherwise hold a
    link that has a build write its store, history or releases into any folder of the machine
    (`/etc`, the folder above the output). `top` itself may be a link to a folder (a cache kept
    on a bigger disk: the owner's choice, never one the archive a job restores makes below it);
    a file or a dangling link there is removed. Raises OSError."""
    top.parent.mkdir(parents=True, exist_ok=True)  # (the site's folder, or the output's parent)
    path = top
    for name in ("", *folder.relative_to(top).parts):
        path = path / name if name else top
        with contextlib.suppress(FileExistsError):  # (another build made it meanwhile: looked at below)
            path.mkdir()
        if not stat.S_ISDIR(os.lstat(path).st_mode) and not (path == top and top.is_dir()):
            path.unlink()  # (a link is never a folder to lstat)
            path.mkdir()


def owned(folder: Path, top: Path) -> bool:
    """Whether `folder` and every folder from the cache folder `top` down to it is a folder of its
    own, no symbolic link (`top` may be a link to a folder: `make_folder`); nothing is created or
    removed: a reader's look, `make_folder`'s for a writer."""
    if not top.is_dir():
        return False
    path = top
    for name in folder.relative_to(top).parts:
        path = path / name
        try:
            if not stat.S_ISDIR(os.lstat(path).st_mode):
                return False
        except OSError:
            return False
    return True


def user_cache(env: Mapping[str, str]) -> Path | None:
    """servicebook's folder in the user's cache ($XDG_CACHE_HOME, else ~/.cache), as the XDG base
    directory specification places it; None when neither says where (no HOME)."""
    base = Path(env.get("XDG_CACHE_HOME", ""))
    if not base.is_absolute():  # the specification: a relative path is to be ignored
        home = Path(env.get("HOME", ""))
        if not home.is_absolute():
            return None
        base = home / ".cache"
    return base / "servicebook"


_FLAT = re.compile(r"(?:[^%]|%25|%2F)+")
_NAME_MAX = 255  # bytes of a file's name, on the file systems Linux and macOS use


def flat_name(path: str) -> str:
    """The name of the file at site path `path` ("/"-separated) in a flat folder of the cache (a
    release's tree, site/releases.py: one folder, not one per page): "%" and "/" written as %25
    and %2F, so that `flat_path` reads the path back; a path too long for one name is "%%" and
    its SHA-256 (which `flat_path` cannot read back: the reader finds it by its path)."""
    name = path.replace("%", "%25").replace("/", "%2F")
    if len(name.encode("utf-8", "surrogateescape")) > _NAME_MAX:
        return "%%" + hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()
    return name


def flat_path(name: str) -> str | None:
    """The site path whose `flat_name` is `name`; None for a name `flat_name` does not make so
    (a long path's digest, or a name no path has)."""
    if not _FLAT.fullmatch(name):
        return None
    path = re.sub("%(25|2F)", lambda m: "%" if m[1] == "25" else "/", name)
    return path if flat_name(path) == name else None


def read_as_recorded(name: str, recorded: object) -> tuple[bytes, os.stat_result] | None:
    """The bytes of the file `name` of a release tree in the cache, and what `fstat` says of it,
    while it is still the plain file the tree's record describes (`recorded`: its size,
    modification time and inode, as site/releases.py `_store` writes them; a file edited in
    place through a published hard link has another modification time); None otherwise."""
    if not (isinstance(recorded, list) and len(recorded) == 3):
        return None
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or [info.st_size, info.st_mtime_ns] != recorded[:2]:
            return None
        data = os.read(fd, info.st_size + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    return (data, info) if len(data) == info.st_size else None
