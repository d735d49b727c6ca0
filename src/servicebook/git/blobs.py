"""Reads file contents out of git with `git cat-file --batch`: the one reader of blobs, by id or
as `commit:path`, one process for many blobs (never a process per blob)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType

from servicebook.errors import UsageProblem
from servicebook.git.runner import BARE, Pipe, run

FAILED = "git cat-file failed; is the repository complete?"


def _answer(readline: Callable[[], bytes], read: Callable[[int], bytes]) -> bytes | None:
    """One answer of `git cat-file --batch`: the blob's bytes, or None when the name names no blob
    (`<name> missing`, `<name> ambiguous`, or an object of another kind, whose bytes are skipped)."""
    header = readline()
    if not header.endswith(b"\n"):
        raise UsageProblem(FAILED)  # git stopped answering
    parts = header[:-1].split(b" ")
    if len(parts) != 3 or not parts[2].isdigit():  # a name that names nothing: no bytes follow
        return None
    size = int(parts[2])
    data = read(size)
    if len(data) != size or read(1) != b"\n":
        raise UsageProblem(FAILED)
    return data if parts[1] == b"blob" else None


class Blobs:
    """Blob contents one at a time through one long-running `git cat-file --batch` in `root`,
    started on first use (None: no repository, every name is unknown). Close it when done."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
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
        return _answer(self._pipe.readline, self._pipe.read)

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


def read_blobs(root: Path, names: Iterable[str], *, bare: bool = False) -> dict[str, bytes]:
    """name → contents of each of `names` (ids or `commit:path`) that names a blob, read by one
    `git cat-file --batch` given them all at once (`bare`: `root` is a bare repository of ours)."""
    wanted = list(dict.fromkeys(names))
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
        data = _answer(readline, read)
        if data is not None:
            found[name] = data
    return found
