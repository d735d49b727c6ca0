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
    """A short, stable hash of `parts` (each length-prefixed, so ("ab", "c") ≠ ("a", "bc"))."""
    h = hashlib.blake2b(digest_size=_DIGEST_SIZE)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


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
