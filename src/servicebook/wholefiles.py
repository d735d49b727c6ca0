"""Files written whole or not at all, by the commands that write other files than the site (`init`,
an import's `--output`, the exports, `federate update`'s lock): each is written under a temporary
name beside it (`.NAME.PID-RANDOM.partial`) and only then put in place, so none is ever seen cut
short, not even after a kill; a failure removes what the call made, folders too, and the next call
removes the temporary files a killed one left."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path


def write_new(files: Mapping[Path, bytes], mode: int | None = None) -> None:
    """Write each new file, or none: an OSError (its filename the file asked for, never a
    temporary name) once what this call made is removed again. The umask applies, as to a file
    the shell writes, unless a `mode` is given."""
    for path in files:
        remove_leftovers(path)
    made: list[Path] = []  # folders made, outermost first
    temporary: dict[Path, Path] = {}
    linked: list[Path] = []
    try:
        for path, data in files.items():
            made += folders_made(path.parent)
            temporary[path] = _written_whole(path, data)
            if mode is not None:
                temporary[path].chmod(mode)
        for path, temp in temporary.items():
            try:
                os.link(temp, path)  # fails, rather than replaces, should a file have appeared meanwhile
            except OSError as exc:
                raise OSError(exc.errno, exc.strerror, str(path)) from None
            linked.append(path)
    except BaseException:
        for gone in [*linked, *temporary.values()]:
            gone.unlink(missing_ok=True)
        for folder in reversed(made):
            with contextlib.suppress(OSError):  # (what someone else put in it meanwhile stays)
                folder.rmdir()
        raise
    finally:
        for temp in temporary.values():
            temp.unlink(missing_ok=True)


def replace_whole(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace `path` (or make it) with a file holding `data`, whole: a reader sees the old file or
    the new one. An OSError names `path`; the temporary file is gone."""
    remove_leftovers(path)
    temp = _written_whole(path, data)
    try:
        temp.chmod(mode)  # a file to share, whatever the umask
        temp.replace(path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(path)) from None


_PARTIAL = ".partial"


def remove_leftovers(path: Path) -> None:
    """Remove the temporary files that a writer of `path`, killed, left beside it (those of a
    process that is no longer running)."""
    prefix = f".{path.name}."
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return
    for entry in entries:
        if not (entry.name.startswith(prefix) and entry.name.endswith(_PARTIAL)):
            continue
        pid = entry.name[len(prefix) : -len(_PARTIAL)].partition("-")[0]
        if pid.isdigit() and not _running(int(pid)):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)  # noqa: PTH108 - (a link is removed, never what it names)


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's: running
        return True
    return True


def folders_made(folder: Path) -> list[Path]:
    """Make `folder` and the folders above it that are missing; those made, outermost first."""
    missing = []
    while not folder.exists() and not folder.is_symlink() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    made = []
    for each in reversed(missing):
        each.mkdir()
        made.append(each)
    return made


def _written_whole(path: Path, data: bytes) -> Path:
    """`data` in a new file beside `path`, named with a leading dot (the umask applies, as to a
    file the shell writes); that file, once its last byte is written."""
    temp = path.with_name(f".{path.name}.{os.getpid()}-{os.urandom(4).hex()}{_PARTIAL}")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:  # said of the file asked for, not of its temporary name
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    except BaseException as exc:
        temp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        raise
    return temp
