"""Read JSON as the same located nodes as YAML (source/yaml.py), as strictly: a duplicate key,
nesting deeper than YAML allows or anything after the document is an error with its position.

JSON is not read through the YAML parser: a tab-indented JSON file, which is valid JSON, is not
valid YAML."""

from __future__ import annotations

import json
import re

from servicebook.errors import Problem, SourceLocation
from servicebook.source.hints import MAX_YAML_DEPTH
from servicebook.source.nodes import Bounds
from servicebook.source.yaml import Mapping, Node, Scalar, Sequence, SourceError, SourceText
from servicebook.source.yaml_events import escaped_character

_SPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_WORDS = ("true", "false", "null")
_SURROGATE = re.compile("[\ud800-\udfff]")  # json decodes a pair into one character: one left is alone


class _Refused(Exception):
    def __init__(self, index: int, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.index = index
        self.message = message
        self.hint = hint


class _Reader:
    def __init__(self, text: str, path: str, bounds: Bounds | None) -> None:
        self.text = text
        self.path = path
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.bounds = bounds
        self.values = 0  # read so far, keys included

    def count(self, index: int) -> None:
        """Count the value (or key) at `index` against the bounds."""
        self.values += 1
        if self.bounds is not None and self.values > self.bounds.values:
            raise _Refused(index, *self.bounds.too_many_values())

    def one_more(self, held: int, index: int, *, keys: bool = False) -> None:
        """Refuse the item (or key) at `index` of a list (a mapping) that holds `held` already."""
        if self.bounds is not None and held >= self.bounds.items:
            raise _Refused(index, *self.bounds.too_many_items(keys=keys))

    def location(self, index: int) -> SourceLocation:
        line = _bisect(self.line_starts, index)
        return SourceLocation(self.path, line + 1, index - self.line_starts[line] + 1)

    def skip(self, index: int) -> int:
        return _SPACE.match(self.text, index).end()  # type: ignore[union-attr]

    def value(self, index: int, depth: int) -> tuple[Node, int]:
        index = self.skip(index)
        if index >= len(self.text):
            raise _Refused(index, "the JSON ends where a value was expected")
        self.count(index)
        ch = self.text[index]
        if ch == "{":
            return self.object(index, depth + 1)
        if ch == "[":
            return self.array(index, depth + 1)
        if ch == '"':
            return self.string(index)
        for word in _WORDS:
            if self.text.startswith(word, index):
                return Scalar(word, self.location(index), True), index + len(word)
        match = _NUMBER.match(self.text, index)
        if match:
            return Scalar(match[0], self.location(index), True), match.end()
        raise _Refused(index, f"unexpected character {ch!r} in JSON")

    def string(self, index: int) -> tuple[Scalar, int]:
        try:
            value, end = json.decoder.scanstring(self.text, index + 1)  # type: ignore[attr-defined]
        except json.JSONDecodeError as exc:
            raise _Refused(exc.pos, f"invalid JSON string: {exc.msg}") from None
        # as in a double-quoted YAML value: what the file may not hold, written as an escape
        # ("\u001b", "\u0000", "\u202e"), and a lone surrogate ("\udfff"), which no UTF-8 writes
        escaped = escaped_character(value)
        if escaped is not None:
            raise _Refused(index, *escaped)
        lone = _SURROGATE.search(value)
        if lone is not None:
            raise _Refused(
                index,
                f"a lone surrogate U+{ord(lone[0]):04X}, written as an escape, is no character",
                "delete the escape (a character past U+FFFF is written as a pair of them)",
            )
        return Scalar(value, self.location(index), False), end

    def object(self, index: int, depth: int) -> tuple[Mapping, int]:
        if depth > MAX_YAML_DEPTH:
            raise _Refused(index, f"the JSON nests deeper than {MAX_YAML_DEPTH} levels")
        start = index
        items: list[tuple[Scalar, Node]] = []
        seen: dict[str, Scalar] = {}
        index = self.skip(index + 1)
        if self.text.startswith("}", index):
            return Mapping((), self.location(start)), index + 1
        while True:
            index = self.skip(index)
            if not self.text.startswith('"', index):
                raise _Refused(index, "expected a key in double quotes")
            self.one_more(len(items), index, keys=True)
            self.count(index)
            key, index = self.string(index)
            if key.value in seen:
                raise _Refused(
                    self._index(key),
                    f"duplicate key '{key.value}' (first defined at line {seen[key.value].location.line})",
                    "remove one of them; a JSON reader would silently keep only the last",
                )
            seen[key.value] = key
            index = self.skip(index)
            if not self.text.startswith(":", index):
                raise _Refused(index, "expected ':' after the key")
            node, index = self.value(index + 1, depth)
            items.append((key, node))
            index = self.skip(index)
            if self.text.startswith(",", index):
                index += 1
            elif self.text.startswith("}", index):
                return Mapping(tuple(items), self.location(start)), index + 1
            else:
                raise _Refused(index, "expected ',' or '}'")

    def array(self, index: int, depth: int) -> tuple[Sequence, int]:
        if depth > MAX_YAML_DEPTH:
            raise _Refused(index, f"the JSON nests deeper than {MAX_YAML_DEPTH} levels")
        start = index
        items: list[Node] = []
        index = self.skip(index + 1)
        if self.text.startswith("]", index):
            return Sequence((), self.location(start)), index + 1
        while True:
            self.one_more(len(items), self.skip(index))
            node, index = self.value(index, depth)
            items.append(node)
            index = self.skip(index)
            if self.text.startswith(",", index):
                index += 1
            elif self.text.startswith("]", index):
                return Sequence(tuple(items), self.location(start)), index + 1
            else:
                raise _Refused(index, "expected ',' or ']'")

    def _index(self, node: Scalar) -> int:
        return self.line_starts[node.location.line - 1] + node.location.column - 1


def _bisect(starts: list[int], index: int) -> int:
    low, high = 0, len(starts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if starts[middle] <= index:
            low = middle
        else:
            high = middle - 1
    return low


def parse_json(source: SourceText, *, bounds: Bounds | None = None) -> Node:
    """The JSON document in `source` as located nodes; SourceError with the problem's position
    (with `bounds`, at the first value past one of them, before the rest is read)."""
    reader = _Reader(source.text, source.path, bounds)
    try:
        node, end = reader.value(0, 0)
        end = reader.skip(end)
        if end != len(source.text):
            raise _Refused(end, "text after the end of the JSON document")
    except _Refused as exc:
        loc = reader.location(exc.index)
        raise SourceError([Problem(loc, exc.message, exc.hint, source_line=source.line(loc.line))]) from None
    return node
