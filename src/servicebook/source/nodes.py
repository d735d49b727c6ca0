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
