"""The one digest every cache key is made with, and the digest of this servicebook's own code that
every key includes (a development checkout changes code without changing the version)."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
import time

import servicebook
from servicebook import __version__, bytecode_files

_DIGEST_SIZE = 20
# A file changed less than this before the digest was made may change again within the same
# timestamp tick unseen (git's "racy" files, site/fresh.py RACY_NS): no memo is kept of it.
_SETTLED_NS = 2_000_000_000
_MEMO_NAME = "code-digest"
# No memo is larger (~70 bytes a file: 17 KB for the ~250 files of the package as installed): a
# larger one is not read, so a damaged memo of gigabytes (a sparse file) costs nothing.
_MEMO_LARGEST = 1 << 20


def digest(*parts: bytes | str) -> str:
    """A short, stable hash of `parts` (each length-prefixed, so ("ab", "c") ≠ ("a", "bc")), fed
    to the hash at once: a page key has a dozen small parts, and a build makes thousands."""
    chunks: list[bytes] = []
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        chunks.append(len(data).to_bytes(8, "little"))
        chunks.append(data)
    return hashlib.blake2b(b"".join(chunks), digest_size=_DIGEST_SIZE).hexdigest()


def encoded(part: bytes | str) -> bytes:
    """What `digest` hashes of one of its parts: its length, then its bytes."""
    data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
    return len(data).to_bytes(8, "little") + data


def digest_encoded(parts: list[bytes]) -> str:
    """`digest` of the parts whose `encoded` forms are `parts` (a caller that keeps most of them
    from one digest to the next encodes only those that changed)."""
    return hashlib.blake2b(b"".join(parts), digest_size=_DIGEST_SIZE).hexdigest()


@functools.cache
def code_digest() -> str:
    """servicebook's version and the bytes of its code, templates and assets, as installed: the
    package's files listed and each one's identity looked at in every process, but read and hashed
    only when one is not as the memo beside the package's bytecode says (`memoized_digest`)."""
    package = os.path.dirname(servicebook.__file__)  # noqa: PTH120 - a str path, no pathlib
    return memoized_digest(package, memo_file(), time.time_ns() - _SETTLED_NS)[0]


def package_digest(package: str) -> str:
    """The version and every file under the folder `package` (its path from there, then its
    bytes), but bytecode: a file changed, added, removed or renamed changes it, compiling does
    not. Walked with `os.scandir`, each folder in the order of its names (the order of sorted
    paths, so the digest is the one pathlib's `rglob` made): this runs in every build, and
    `importlib.resources` and `rglob` cost a rebuild with nothing to do ~15 ms more
    (bench/README.md, "A no-change rebuild at 20,000 pages")."""
    return _read_digest(_files(package, ""))


def _read_digest(files: list[tuple[str, str]]) -> str:
    parts: list[bytes | str] = [f"servicebook {__version__}"]
    for rel, path in files:
        with open(path, "rb") as f:
            parts += [rel, f.read()]
    return digest(*parts)


def _files(folder: str, prefix: str) -> list[tuple[str, str]]:
    """Each file under `folder` but bytecode (its path from there, and as opened), in the order
    of sorted paths."""
    with os.scandir(folder) as it:
        entries = sorted(it, key=lambda entry: entry.name)
    found: list[tuple[str, str]] = []
    for entry in entries:
        if entry.is_dir():
            if entry.name != "__pycache__":
                found += _files(entry.path, f"{prefix}{entry.name}/")
        elif entry.is_file() and not entry.name.endswith(".pyc"):
            found.append((prefix + entry.name, entry.path))
    return found


def memo_file() -> str | None:
    """Where the code digest's memo is kept: beside this module's bytecode (`__pycache__/`, or
    under `sys.pycache_prefix`), trusted as that bytecode is; None where this interpreter keeps no
    bytecode (no cache tag)."""
    return bytecode_files.beside(__file__, _MEMO_NAME, "json")


def memoized_digest(package: str, memo: str | None, settled_before: int) -> tuple[str, int]:
    """`package_digest(package)`, and how many of its files were read for it: none when every file
    listed (the same paths, in the same order) has the identity — size, modification and change
    times to the nanosecond, inode — that the `memo` file records with the version and the digest
    (0.012 CPU s of reading and hashing ~3 MB in every command, bench/README.md, cli17). A file
    written again changes its change time, which no one can set back (`touch` and `cp -p` set the
    modification time alone). The memo is written again (whole, under a temporary name) when the
    files were read, Python may write bytecode (not under `-B` or PYTHONDONTWRITEBYTECODE), and
    every file had last changed before `settled_before` (ns): one changed later may change again
    within the same timestamp tick, unseen. A memo that is missing, damaged, of another shape,
    not a regular file or larger than any written is not used (`_read_memo`)."""
    files = _files(package, "")
    identities: list[list[int]] = []
    for _, path in files:
        info = os.stat(path)  # noqa: PTH116 - as `open` finds it (through a symbolic link); a str path
        identities.append([info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino])
    listed = [[rel, *identity] for (rel, _), identity in zip(files, identities, strict=True)]
    kept = _read_memo(memo) if memo is not None else None
    if kept is not None and kept[0] == __version__ and kept[1] == listed:
        return kept[2], 0
    found = _read_digest(files)
    # (one written after it was looked at above is recorded with the identity it had: the next process,
    # which finds another, reads the files again)
    settled = all(i[1] < settled_before and i[2] < settled_before for i in identities)
    if memo is not None and settled and not sys.dont_write_bytecode:
        _write_memo(memo, [__version__, listed, found])
    return found, len(files)


def _read_memo(memo: str) -> tuple[str, list[list[object]], str] | None:
    """The memo's version, files and digest; None when it is not a regular file of at most
    _MEMO_LARGEST bytes holding them (bytecode_files.read_small; JSON nested thousands deep is a
    RecursionError, not a ValueError)."""
    raw = bytecode_files.read_small(memo, _MEMO_LARGEST)
    if raw is None:
        return None
    try:
        version, listed, found = json.loads(raw)
    except (ValueError, TypeError, RecursionError):
        return None
    if not (isinstance(version, str) and isinstance(listed, list) and isinstance(found, str)):
        return None
    return version, listed, found


def _write_memo(memo: str, value: list[object]) -> None:
    """`value` written to `memo` whole (bytecode_files.write_whole)."""
    bytecode_files.write_whole(memo, json.dumps(value, separators=(",", ":")).encode())


def cache_key(*parts: str) -> str:
    """A file-name-safe key for `parts` that no other servicebook's code shares."""
    return digest(code_digest(), *parts)
