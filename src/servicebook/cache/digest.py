"""The one digest every cache key is made with, and the digest of this servicebook's own code that
every key includes (a development checkout changes code without changing the version)."""

from __future__ import annotations

import functools
import hashlib
from importlib import resources
from pathlib import Path

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


@functools.cache
def code_digest() -> str:
    """servicebook's version and the bytes of its code, templates and assets, as installed."""
    package = Path(str(resources.files("servicebook")))
    parts: list[bytes | str] = [f"servicebook {__version__}"]
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            parts += [path.relative_to(package).as_posix(), path.read_bytes()]
    return digest(*parts)


def cache_key(*parts: str) -> str:
    """A file-name-safe key for `parts` that no other servicebook's code shares."""
    return digest(code_digest(), *parts)
