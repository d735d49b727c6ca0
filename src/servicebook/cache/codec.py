"""Cached values as plain JSON (never pickle: a cache folder that someone else wrote must not be
able to run code), read back through the model's own type hints. A value that does not read back
as its type is a miss (`Unreadable`), never an error."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import json
import types
import typing
from decimal import Decimal
from typing import Any

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


def read_json(text: str | bytes) -> JSON:
    """`json.loads` of what a cache holds (a store entry, a cache file), which anyone who can write
    the cache folder may have forged: text nested deeper than the decoder recurses (a
    RecursionError) is a ValueError, as any other text that is not JSON is, so that every reader's
    `except ValueError` takes it for the miss it is."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("nested deeper than JSON is read") from None


def decode(tp: Any, data: JSON) -> Any:
    """The inverse of `encode` for a value of type `tp`; raises ValueError/TypeError/KeyError on a mismatch."""
    return _decoder(tp)(data)


Decoder = typing.Callable[[JSON], Any]


@functools.cache
def _decoder(tp: Any) -> Decoder:
    """A function that decodes values of type `tp`, made once per type: working out what a type
    hint means took most of the time of reading a large cached catalog back."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _decoder(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        inners = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(inners) != 1:
            return _optional(_unreadable(tp))
        return _optional(_decoder(inners[0]))
    if origin is tuple:
        (inner, _) = typing.get_args(tp)
        item = _decoder(inner)
        return lambda data: tuple([item(v) for v in data])
    if origin is typing.Literal:
        allowed = typing.get_args(tp)

        def literal(data: JSON) -> Any:
            if data not in allowed:
                raise ValueError(data)
            return data

        return literal
    if isinstance(tp, type):
        if dataclasses.is_dataclass(tp):
            return _dataclass(tp)
        if issubclass(tp, enum.Enum):
            return tp
        if tp is Decimal:
            return Decimal
        if tp is dt.date:
            return dt.date.fromisoformat
        if tp in (str, int, bool):
            return _plain(tp)
    return _unreadable(tp)


def _optional(inner: Decoder) -> Decoder:
    return lambda data: None if data is None else inner(data)


def _plain(tp: type) -> Decoder:
    def plain(data: JSON) -> Any:
        if isinstance(data, tp):
            return data
        raise TypeError(f"cannot read {data!r} as {tp!r}")

    return plain


def _unreadable(tp: Any) -> Decoder:
    def unreadable(data: JSON) -> Any:
        raise TypeError(f"cannot read {data!r} as {tp!r}")

    return unreadable


def _dataclass(tp: type) -> Decoder:
    fields: list[tuple[str, Decoder]] = []  # made on first use: a type may refer to itself

    def dataclass(data: JSON) -> Any:
        if not fields:
            hints = _type_hints(tp)
            fields.extend((f.name, _decoder(hints[f.name])) for f in dataclasses.fields(tp))
        return tp(**{name: read(data[name]) for name, read in fields})

    return dataclass


@functools.cache
def _type_hints(tp: type) -> dict[str, Any]:
    """A dataclass's resolved field types; resolving them is slow, and they never change."""
    return typing.get_type_hints(tp, include_extras=True)
