"""The on-disk cache of what history parsing found, keyed by git blob ids and servicebook's version.

Model values are stored as plain JSON (never pickle: a cache folder that someone else wrote must
not be able to run code) and read back through the model's own type hints. A missing, corrupt or
stale entry is simply a miss; the cache is an optimisation and never changes what a build shows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import hashlib
import json
import os
import types
import typing
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import __version__

CACHE_DIR = ".servicebook-cache"
JSON = Any


def encode(value: object) -> JSON:
    """A frozen-dataclass value (model, diff) as JSON-compatible data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [encode(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def decode(tp: Any, data: JSON) -> Any:
    """The inverse of `encode` for a value of type `tp`; raises ValueError/TypeError/KeyError on a mismatch."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return decode(typing.get_args(tp)[0], data)
    if origin in (typing.Union, types.UnionType):
        if data is None:
            return None
        (inner,) = [a for a in typing.get_args(tp) if a is not type(None)]
        return decode(inner, data)
    if origin is tuple:
        (inner, _) = typing.get_args(tp)
        return tuple(decode(inner, v) for v in data)
    if origin is typing.Literal:
        if data not in typing.get_args(tp):
            raise ValueError(data)
        return data
    if isinstance(tp, type):
        if dataclasses.is_dataclass(tp):
            hints = _type_hints(tp)
            return tp(**{f.name: decode(hints[f.name], data[f.name]) for f in dataclasses.fields(tp)})
        if issubclass(tp, enum.Enum):
            return tp(data)
        if tp is Decimal:
            return Decimal(data)
        if tp is dt.date:
            return dt.date.fromisoformat(data)
        if tp in (str, int, bool) and isinstance(data, tp):
            return data
    raise TypeError(f"cannot read {data!r} as {tp!r}")


@functools.cache
def _type_hints(tp: type) -> dict[str, Any]:
    """A dataclass's resolved field types; resolving them is slow, and they never change."""
    return typing.get_type_hints(tp, include_extras=True)


@functools.cache
def source_digest() -> str:
    """servicebook's version and the bytes of its code, templates and assets: a development
    checkout changes code without changing the version, and must not reuse what another cached."""
    from importlib import resources

    package = Path(str(resources.files("servicebook")))
    h = hashlib.sha256(f"servicebook {__version__}".encode())
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            data = path.read_bytes()
            h.update(b"\0%s\0%d\0" % (path.relative_to(package).as_posix().encode(), len(data)) + data)
    return h.hexdigest()


def cache_key(*parts: str) -> str:
    """A file-name-safe key for `parts` and this servicebook's code (see `source_digest`)."""
    return hashlib.sha256("\0".join((source_digest(), *parts)).encode()).hexdigest()


class DiskCache:
    """JSON entries in `root/.servicebook-cache/<area>/`; every failure is a miss."""

    def __init__(self, root: Path | None, area: str) -> None:
        self.folder = None if root is None else root / CACHE_DIR / area

    def get(self, key: str) -> JSON | None:
        if self.folder is None:
            return None
        try:
            return json.loads((self.folder / f"{key}.json").read_text("utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, key: str, value: JSON) -> None:
        if self.folder is None:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            ignore = self.folder.parent / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# servicebook's cache; safe to delete\n*\n", "utf-8")
            target = self.folder / f"{key}.json"
            temp = self.folder / f".{key}.{os.getpid()}.tmp"
            temp.write_text(json.dumps(value, separators=(",", ":")), "utf-8")
            temp.replace(target)
        except OSError:
            return
