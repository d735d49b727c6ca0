"""Files written whole or not at all, by the commands that write other files than the site (`init`,
an import's `--output`, the exports, `federate update`'s lock): each is written under a temporary
name beside it (`.NAME.PID-RANDOM.partial`) and only then put in place, so none is ever seen cut
short, not even after a kill; a failure removes what the call made, folders too, and the next call
removes the temporary files a killed one left, and the files it had put in place when it was killed
before putting them all (remove_unfinished)."""

from __future__ import annotations

import contextlib
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path


def write_new(files: Mapping[Path, bytes], mode: int | None = None) -> None:
    """Write each new file, or none: an OSError (its filename the file asked for, never a
    temporary name) once what this call made is removed again. The umask applies, as to a file
    the shell writes, unless a `mode` is given."""
    remove_unfinished(files)
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


def remove_unfinished(paths: Iterable[Path]) -> None:
    """Remove the files among `paths` that a `write_new` killed while it put its files in place had
    put there, so that the next run, which refuses to write over a file, writes the set whole
    (a multi-file export killed half-way said "already exist" of half of it, for ever).

    Such a run leaves its temporary files (named for its process, no longer running) beside the
    files, and each file put in place is one of them under another name (a hard link); while one of
    them is not yet in place, the set was not whole. A run killed after it put every file in place,
    while it removed its temporary files, made the set whole: it is kept (remove_leftovers then
    removes what it left)."""
    by_folder: dict[Path, set[str]] = defaultdict(set)
    for path in paths:
        by_folder[path.parent].add(path.name)
    runs: dict[int, list[tuple[Path, Path]]] = defaultdict(list)  # a killed run's (temporary, file) pairs
    for folder, names in by_folder.items():
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if not (entry.name.startswith(".") and entry.name.endswith(_PARTIAL)):
                continue
            name, _, rest = entry.name[1 : -len(_PARTIAL)].rpartition(".")
            pid = rest.partition("-")[0]
            if name in names and pid.isdigit() and not _running(int(pid)):
                runs[int(pid)].append((Path(entry.path), folder / name))
    for pairs in runs.values():
        placed = [path for temp, path in pairs if _same_file(temp, path)]
        if len(placed) < len(pairs):  # one was still to put in place: none of them is kept
            for path in placed:
                path.unlink(missing_ok=True)


def _same_file(one: Path, other: Path) -> bool:
    try:
        a, b = os.lstat(one), os.lstat(other)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


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
