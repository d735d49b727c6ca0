"""The tree YAML is read into (source/yaml.py): plain strings that remember their positions, in
mappings and sequences. Its own module so that the reader of libyaml's events
(source/yaml_events.py) and source/yaml.py both build it without importing each other."""

from __future__ import annotations

from dataclasses import dataclass

from servicebook.errors import SourceLocation

NULLS = frozenset({"", "~", "null", "Null", "NULL"})


@dataclass(frozen=True, slots=True)
class Scalar:
    value: str
    location: SourceLocation
    plain: bool  # unquoted: only plain scalars can be null

    @property
    def is_null(self) -> bool:
        return self.plain and self.value in NULLS


@dataclass(frozen=True, slots=True)
class Mapping:
    items: tuple[tuple[Scalar, Node], ...]
    location: SourceLocation


@dataclass(frozen=True, slots=True)
class Sequence:
    items: tuple[Node, ...]
    location: SourceLocation


Node = Scalar | Mapping | Sequence


@dataclass(frozen=True, slots=True)
class Document:
    """One document of a YAML stream: its tree (None when empty) and where it starts."""

    node: Node | None
    location: SourceLocation


@dataclass(frozen=True, slots=True)
class Bounds:
    """How much a file read into nodes may hold, counted as it is read: the first value past a
    bound is a located error, so an oversized file is refused before the rest of it is read (a
    radar's 8 MB JSON of 177,000 entries took five CPU seconds to read whole before its entries
    were counted)."""

    items: int  # of one list, or keys of one mapping
    values: int  # in the whole file: every text, number, list and mapping, keys included
    what: str  # what the file is, said in the error: "a radar"
    hint: str  # what to do with a file past a bound

    def too_many_items(self, *, keys: bool) -> tuple[str, str]:
        """The message and hint for the item past `items` of a list (or the key of a mapping)."""
        kind = "keys in one mapping" if keys else "items in one list"
        return f"more than {self.items:,} {kind}; the limit for {self.what} is {self.items:,}, here", self.hint

    def too_many_values(self) -> tuple[str, str]:
        """The message and hint for the value past `values` of the file."""
        return (
            f"more than {self.values:,} values (texts, numbers, lists and keys) in the file; the limit for "
            f"{self.what} is {self.values:,}, here",
            self.hint,
        )
