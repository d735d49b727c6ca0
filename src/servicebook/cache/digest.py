"""The one digest every cache key is made with, and the digest of this servicebook's own code that
every key includes (a development checkout changes code without changing the version)."""

from __future__ import annotations

import functools
import hashlib
import os

import servicebook
from servicebook import __version__

_DIGEST_SIZE = 20


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
    """servicebook's version and the bytes of its code, templates and assets, as installed."""
    return package_digest(os.path.dirname(servicebook.__file__))  # noqa: PTH120 - a str path, no pathlib


def package_digest(package: str) -> str:
    """The version and every file under the folder `package` (its path from there, then its
    bytes), but bytecode: a file changed, added, removed or renamed changes it, compiling does
    not. Walked with `os.scandir`, each folder in the order of its names (the order of sorted
    paths, so the digest is the one pathlib's `rglob` made): this runs in every build, and
    `importlib.resources` and `rglob` cost a rebuild with nothing to do ~15 ms more
    (bench/README.md, "A no-change rebuild at 20,000 pages")."""
    parts: list[bytes | str] = [f"servicebook {__version__}"]
    _add_files(package, "", parts)
    return digest(*parts)


def _add_files(folder: str, prefix: str, parts: list[bytes | str]) -> None:
    with os.scandir(folder) as it:
        entries = sorted(it, key=lambda entry: entry.name)
    for entry in entries:
        if entry.is_dir():
            if entry.name != "__pycache__":
                _add_files(entry.path, f"{prefix}{entry.name}/", parts)
        elif entry.is_file() and not entry.name.endswith(".pyc"):
            with open(entry.path, "rb") as f:
                parts += [prefix + entry.name, f.read()]


def cache_key(*parts: str) -> str:
    """A file-name-safe key for `parts` that no other servicebook's code shares."""
    return digest(code_digest(), *parts)
