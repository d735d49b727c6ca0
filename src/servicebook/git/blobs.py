"""Reads file contents out of git with `git cat-file --batch`: the one reader of blobs, by id or
as `commit:path`, one process for many blobs (never a process per blob)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType

from servicebook.catalog.basics import MAX_CATALOG_BYTES
from servicebook.errors import UsageProblem
from servicebook.git.runner import BARE, Pipe, run

FAILED = "git cat-file failed; is the repository complete?"


SKIPPED_CHUNK = 1024 * 1024  # bytes of an object too large to keep, read and dropped at a time


class Skipped(enum.Enum):
    TOO_LARGE = "too large"  # what _answer gives for a blob it read and dropped


BLOB = frozenset({b"blob"})


def _answer(
    readline: Callable[[], bytes],
    read: Callable[[int], bytes],
    largest: int | None = None,
    kinds: frozenset[bytes] = BLOB,
) -> bytes | Skipped | None:
    """One answer of `git cat-file --batch`: the blob's bytes (an object's of one of `kinds`), or
    None when the name names no such object (`<name> missing`, `<name> ambiguous`, or an object of
    another kind, whose bytes are skipped), or Skipped.TOO_LARGE for one of more than `largest`
    bytes (read and dropped, never held)."""
    header = readline()
    if not header.endswith(b"\n"):
        raise UsageProblem(FAILED)  # git stopped answering
    parts = header[:-1].split(b" ")
    if len(parts) != 3 or not parts[2].isdigit():  # a name that names nothing: no bytes follow
        return None
    size = int(parts[2])
    if largest is not None and size > largest:
        left = size
        while left > 0:
            chunk = read(min(left, SKIPPED_CHUNK))
            if not chunk:
                raise UsageProblem(FAILED)
            left -= len(chunk)
        if read(1) != b"\n":
            raise UsageProblem(FAILED)
        return Skipped.TOO_LARGE
    data = read(size)
    if len(data) != size or read(1) != b"\n":
        raise UsageProblem(FAILED)
    return data if parts[1] in kinds else None


class Blobs:
    """Blob contents one at a time through one long-running `git cat-file --batch` in `root`,
    started on first use (None: no repository, every name is unknown). Close it when done. A blob
    larger than any source may be (`largest`: a catalog's bound) is as one that is not there: a
    commit can hold a file of gigabytes that git keeps in a few megabytes (one of 400 MB of one
    character took a build's history 3 GB)."""

    def __init__(self, root: Path | None, largest: int = MAX_CATALOG_BYTES) -> None:
        self.root = root
        self.largest = largest
        self.skipped: set[str] = set()  # the names asked for whose blob is larger than `largest`
        self._pipe: Pipe | None = None

    def get(self, name: str) -> bytes | None:
        """The blob `name` (an id, or `commit:path`) names; None when it names no blob."""
        if self.root is None:
            return None
        if self._pipe is None:
            self._pipe = Pipe(self.root, ["cat-file", "--batch"])
        try:
            self._pipe.ask(name.encode("utf-8", "surrogateescape"))
        except OSError:  # git has ended
            raise UsageProblem(FAILED) from None
        data = _answer(self._pipe.readline, self._pipe.read, self.largest)
        if isinstance(data, Skipped):
            self.skipped.add(name)
            return None
        return data

    def close(self) -> None:
        if self._pipe is not None:
            self._pipe.close()
            self._pipe = None

    def __enter__(self) -> Blobs:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def read_blobs(
    root: Path,
    names: Iterable[str],
    *,
    bare: bool = False,
    largest: int | None = None,
    kinds: frozenset[bytes] = BLOB,
) -> dict[str, bytes]:
    """name → contents of each of `names` (ids or `commit:path`) that names a blob, read by one
    `git cat-file --batch` given them all at once (`bare`: `root` is a bare repository of ours).
    With `largest`, a blob of more bytes is left out, unread: a commit can hold a file of gigabytes
    that git keeps in a few megabytes (one of 400 MB of one character took a build 3 GB). With
    `kinds`, an object of those kinds is read as a blob is (b"commit": a commit's own text, read
    with the files of its tree in the same process)."""
    wanted = list(dict.fromkeys(names))
    if largest is not None:
        wanted = _at_most(root, wanted, largest, bare)
    if not wanted:
        return {}
    request = "".join(f"{name}\n" for name in wanted).encode("utf-8", "surrogateescape")
    done = run(root, [*(BARE if bare else ()), "cat-file", "--batch", "--buffer"], request)
    if done is None or not done.ok:
        raise UsageProblem(FAILED)
    out, pos = done.stdout, 0

    def readline() -> bytes:
        nonlocal pos
        end = out.find(b"\n", pos)
        line = out[pos : len(out) if end < 0 else end + 1]
        pos += len(line)
        return line

    def read(size: int) -> bytes:
        nonlocal pos
        data = out[pos : pos + size]
        pos += len(data)
        return data

    found: dict[str, bytes] = {}
    for name in wanted:
        data = _answer(readline, read, kinds=kinds)
        if isinstance(data, bytes):
            found[name] = data
    return found


def _at_most(root: Path, names: list[str], largest: int, bare: bool) -> list[str]:
    """Those of `names` that name an object of at most `largest` bytes (`git cat-file --batch-check`,
    which answers one line a name, in order, without reading the objects)."""
    if not names:
        return []
    request = "".join(f"{name}\n" for name in names).encode("utf-8", "surrogateescape")
    done = run(root, [*(BARE if bare else ()), "cat-file", "--batch-check=%(objectsize)", "--buffer"], request)
    if done is None or not done.ok:
        raise UsageProblem(FAILED)
    answers = done.stdout.split(b"\n")
    kept = []
    for name, answer in zip(names, answers, strict=False):
        if answer.isdigit() and int(answer) <= largest:
            kept.append(name)
    return kept
