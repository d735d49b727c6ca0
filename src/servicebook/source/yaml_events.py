"""YAML read by libyaml's events into the located nodes of source/yaml.py, refusing what hides
meaning (anchors, aliases, tags, merge and duplicate keys, several documents, absurd nesting;
another tool's files, read as it reads them, may have anchors, aliases and merge keys): the one
module that imports PyYAML's parser, imported when a file is read by its events."""

from __future__ import annotations

import re
from typing import Any

import yaml

from servicebook.errors import Problem, SourceLocation
from servicebook.source.hints import MAX_YAML_DEPTH, TOO_DEEP, syntax_error
from servicebook.source.nodes import Bounds, Document, Mapping, Node, Scalar, Sequence
from servicebook.source.text import BIDI_CONTROLS, SourceError, SourceText

try:  # libyaml is ~10x faster; the pure-Python parser gives the same events
    _Parser: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Parser = yaml.SafeLoader


def parse(source: SourceText, text: str | None, line_offset: int, bounds: Bounds | None = None) -> Node | None:
    """`parse_yaml` by libyaml's events: every document, and the refusals."""
    _refuse_unicode_breaks(source, source.text if text is None else text, line_offset)
    builder = _TreeBuilder(source, line_offset, bounds=bounds)
    try:
        for event in yaml.parse(source.text if text is None else text, Loader=_Parser):
            builder.feed(event)
    except yaml.MarkedYAMLError as exc:
        line, column, message, hint = syntax_error(exc, (source.text if text is None else text).split("\n"))
        raise SourceError([_problem(source, line + line_offset, column, message, hint)]) from None
    except RecursionError:  # the pure-Python parser, should it ever recurse on absurd input
        raise SourceError([_problem(source, 1 + line_offset, 1, *TOO_DEEP)]) from None
    except yaml.YAMLError as exc:  # reader errors carry no mark
        raise SourceError(_unreadable(source, source.text if text is None else text, line_offset, exc)) from None
    except _Refused as exc:
        raise SourceError([exc.problem]) from None
    return builder.root


def documents(
    source: SourceText, max_documents: int, *, aliases: bool = False, merges: bool = False, bounds: Bounds | None = None
) -> list[Document]:
    """`parse_yaml_documents`: every document of the stream, with the same refusals (anchors and
    aliases read as the value they name with `aliases`, merge keys merged with `merges`)."""
    _refuse_unicode_breaks(source, source.text, 0)
    builder = _TreeBuilder(source, 0, several=max_documents, aliases=aliases, merges=merges, bounds=bounds)
    try:
        for event in yaml.parse(source.text, Loader=_Parser):
            builder.feed(event)
    except yaml.MarkedYAMLError as exc:
        line, column, message, hint = syntax_error(exc, source.text.split("\n"))
        raise SourceError([_problem(source, line, column, message, hint)]) from None
    except RecursionError:
        raise SourceError([_problem(source, 1, 1, *TOO_DEEP)]) from None
    except yaml.YAMLError as exc:
        raise SourceError(_unreadable(source, source.text, 0, exc)) from None
    except _Refused as exc:
        raise SourceError([exc.problem]) from None
    return builder.documents_read


# YAML reads NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR as line breaks (libyaml numbers its lines
# by them, and folds a NEL inside quotes into a space) where an editor shows none: every position
# after one would be on the wrong line, and a value could hide a second line. Refused, as a lone
# carriage return is (source/text.py); the front matter read without libyaml never matches them.
_UNICODE_BREAKS = {"\x85": "NEXT LINE", "\u2028": "LINE SEPARATOR", "\u2029": "PARAGRAPH SEPARATOR"}
_UNICODE_BREAK_RE = re.compile("[\x85\u2028\u2029]")


def _refuse_unicode_breaks(source: SourceText, text: str, line_offset: int) -> None:
    if not any(ch in text for ch in _UNICODE_BREAKS):  # three quick scans; the loop only once one is there
        return
    problems = []
    for found in _UNICODE_BREAK_RE.finditer(text):
        index = found.start()
        line = text.count("\n", 0, index) + 1 + line_offset
        column = index - (text.rfind("\n", 0, index) + 1) + 1
        name = _UNICODE_BREAKS[found[0]]
        problems.append(
            _problem(
                source,
                line,
                column,
                f"U+{ord(found[0]):04X} ({name}) is not allowed in YAML",
                "YAML reads it as a line break, though editors show none; delete it",
            )
        )
        if len(problems) == 20:
            break
    raise SourceError(problems)


# What YAML's reader refuses in a stream (PyYAML's Reader.NON_PRINTABLE): source/text.py refuses the
# ASCII controls before, and NEXT LINE is refused above; the C1 controls (U+0080–U+009F, a
# terminal's 8-bit CSI among them) and the noncharacters U+FFFE and U+FFFF it lets through.
_NOT_YAML_RE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _unreadable(source: SourceText, text: str, line_offset: int, exc: yaml.YAMLError) -> list[Problem]:
    """The characters YAML's reader refused, each at its line and column: libyaml says only "position
    N", a count of UTF-8 bytes from the start of what it was given (the front matter, not the page)."""
    problems = []
    for found in _NOT_YAML_RE.finditer(text):
        index = found.start()
        line = text.count("\n", 0, index) + 1 + line_offset
        column = index - (text.rfind("\n", 0, index) + 1) + 1
        code = ord(found[0])
        problems.append(
            _problem(
                source,
                line,
                column,
                f"control character U+{code:04X} is not allowed in YAML"
                if code < 0xA0
                else f"U+{code:04X} is not a character YAML allows",
                "delete it",
            )
        )
        if len(problems) == 20:
            break
    reason = getattr(exc, "reason", None) or str(exc).split("\n")[0]
    return problems or [Problem(SourceLocation(source.path), f"invalid YAML: {reason}")]


# What source/text.py refuses in a file, the Unicode line breaks refused above and what YAML's reader
# refuses (the C1 controls, U+009B a terminal's 8-bit CSI, and the noncharacters U+FFFE, U+FFFF),
# written in a double-quoted value as an escape ("\e[31m", "\u0000", "\u202e", "\x9b"), which puts
# it in the value without putting it in the file.
_ESCAPED_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff" + "".join(sorted(BIDI_CONTROLS)) + "]")


def escaped_character(value: str) -> tuple[str, str] | None:
    found = _ESCAPED_RE.search(value)
    if found is None:
        return None
    kind = (
        "bidirectional control character"
        if found[0] in BIDI_CONTROLS
        else "line break character"
        if found[0] in _UNICODE_BREAKS
        else "noncharacter"
        if found[0] in "\ufffe\uffff"
        else "control character"
    )
    return (
        f"{kind} U+{ord(found[0]):04X}, written as an escape, is not allowed",
        "delete the escape: it can make the text show differently from what it says (a terminal escape, Trojan Source)",
    )


def _problem(source: SourceText, line: int, column: int, message: str, hint: str | None = None) -> Problem:
    return Problem(SourceLocation(source.path, line, column), message, hint, source_line=source.line(line))


class _Refused(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


# How many values aliases may repeat in one file read with them: a few anchors that name each other
# ("billion laughs") would otherwise make a tree larger than any memory from a file of a few lines
MAX_ALIASED_VALUES = 100_000


def _size(node: Node) -> int:
    if isinstance(node, Scalar):
        return 1
    if isinstance(node, Sequence):
        return 1 + sum(_size(item) for item in node.items)
    return 1 + sum(1 + _size(value) for _, value in node.items)


class _TreeBuilder:
    """Turns parser events into `Node`s, refusing YAML features that hide meaning (but where the
    files of other tools are read as those tools read them: anchors and aliases with `aliases`,
    merge keys with `merges`)."""

    def __init__(
        self,
        source: SourceText,
        line_offset: int,
        several: int = 1,
        *,
        aliases: bool = False,
        merges: bool = False,
        bounds: Bounds | None = None,
    ) -> None:
        self.source = source
        self.bounds = bounds
        self.values = 0  # read so far, keys included
        self.offset = line_offset
        self.aliases = aliases
        self.merges = merges
        self.anchored: dict[str, Node] = {}
        self.aliased = 0  # values repeated by aliases so far
        self.stack: list[tuple[str, SourceLocation, list[Node], str | None]] = []
        self.root: Node | None = None
        self.documents = 0
        self.several = several  # how many documents a stream may hold
        self.documents_read: list[Document] = []
        self.start: SourceLocation | None = None

    def _loc(self, mark: Any) -> SourceLocation:
        return SourceLocation(self.source.path, mark.line + 1 + self.offset, mark.column + 1)

    def _refuse(self, mark: Any, message: str, hint: str | None = None) -> _Refused:
        loc = self._loc(mark)
        return _Refused(_problem(self.source, loc.line, loc.column, message, hint))

    def _document(self, event: yaml.DocumentStartEvent) -> None:
        self.documents += 1
        if self.documents > self.several == 1:
            raise self._refuse(event.start_mark, "only one YAML document is allowed", "remove the '---' separator")
        if self.documents > self.several:
            raise self._refuse(
                event.start_mark, f"more than {self.several:,} YAML documents in one file", "split it up"
            )
        self.start = self._loc(event.start_mark)
        self.anchored = {}  # an anchor names a value of its own document only

    def _count(self, event: yaml.NodeEvent, bounds: Bounds) -> None:
        """Count the value `event` starts against the bounds, as one more item of the list or key
        of the mapping it is in."""
        self.values += 1
        if self.values > bounds.values:
            raise self._refuse(event.start_mark, *bounds.too_many_values())
        if self.stack:
            kind, _, children, _ = self.stack[-1]
            held = len(children) if kind == "seq" else len(children) // 2
            if held >= bounds.items and (kind == "seq" or len(children) % 2 == 0):
                raise self._refuse(event.start_mark, *bounds.too_many_items(keys=kind == "map"))

    def feed(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.DocumentStartEvent):
            self._document(event)
            return
        if self.bounds is not None and isinstance(event, yaml.NodeEvent):
            self._count(event, self.bounds)
        if isinstance(event, yaml.DocumentEndEvent) and self.several > 1:
            root = None if isinstance(self.root, Scalar) and self.root.is_null else self.root
            self.documents_read.append(Document(root, self.start or self._loc(event.start_mark)))
            self.root = None
            return
        if isinstance(event, yaml.AliasEvent) and self.aliases:
            self._alias(event)
            return
        if isinstance(event, yaml.AliasEvent):
            raise self._refuse(
                event.start_mark,
                f"aliases (*{event.anchor}) are not allowed",
                "write the value out in full; anchors and merge keys hide what a field really says",
            )
        if isinstance(event, (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if event.anchor is not None and not self.aliases:
                raise self._refuse(
                    event.start_mark,
                    f"anchors (&{event.anchor}) are not allowed",
                    "write each value out in full",
                )
            if event.tag is not None and event.tag != "!":
                tag = event.tag.replace("tag:yaml.org,2002:", "!!")
                raise self._refuse(
                    event.start_mark,
                    f"YAML tags ({tag}) are not allowed",
                    "remove the tag; every value is read as text and checked against the schema",
                )
        if isinstance(event, yaml.ScalarEvent):
            if event.style == '"' and (escaped := escaped_character(event.value)) is not None:
                raise self._refuse(event.start_mark, *escaped)
            plain = event.style is None or event.style == ""
            self._add(Scalar(event.value, self._loc(event.start_mark), plain), event.anchor)
        elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if len(self.stack) >= MAX_YAML_DEPTH:
                raise self._refuse(event.start_mark, *TOO_DEEP)
            kind = "map" if isinstance(event, yaml.MappingStartEvent) else "seq"
            self.stack.append((kind, self._loc(event.start_mark), [], event.anchor))
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            kind, loc, children, anchor = self.stack.pop()
            if kind == "seq":
                self._add(Sequence(tuple(children), loc), anchor)
            else:
                self._add(self._mapping(loc, children), anchor)

    def _alias(self, event: yaml.AliasEvent) -> None:
        """The value an anchor before it names, as Go's and JavaScript's YAML readers take it."""
        node = self.anchored.get(event.anchor or "")
        if node is None:
            raise self._refuse(
                event.start_mark,
                f"alias *{event.anchor} names no anchor before it",
                f"write &{event.anchor} on the value it stands for, above this line",
            )
        self.aliased += _size(node)
        if self.aliased > MAX_ALIASED_VALUES:
            raise self._refuse(
                event.start_mark,
                f"aliases repeat over {MAX_ALIASED_VALUES:,} values in this file",
                "write the values out, or name fewer of them by aliases (anchors that name each other grow "
                "the file's tree without bound)",
            )
        self._add(node)

    def _mapping(self, loc: SourceLocation, children: list[Node]) -> Mapping:
        items: list[tuple[Scalar, Node]] = []
        seen: dict[str, Scalar] = {}
        merged: list[tuple[Scalar, Node]] = []
        for key, value in zip(children[0::2], children[1::2], strict=True):
            if not isinstance(key, Scalar):
                raise _Refused(_problem(self.source, key.location.line, key.location.column, "keys must be plain text"))
            if key.plain and key.value == "<<" and self.merges:
                merged += self._merged(key, value)
                continue
            if key.plain and key.value == "<<":
                raise _Refused(
                    _problem(
                        self.source,
                        key.location.line,
                        key.location.column,
                        "merge keys (<<) are not allowed",
                        "write each key out in full; a merge hides what a record really says",
                    )
                )
            first = seen.get(key.value)
            if first is not None:
                raise _Refused(
                    _problem(
                        self.source,
                        key.location.line,
                        key.location.column,
                        f"duplicate key '{key.value}' (first defined at line {first.location.line})",
                        # a pasted fragment (servicebook import) brings a list's key with its items:
                        # removing one of the keys with its items would lose records
                        f"keep one list: move the items under this '{key.value}:' into the one at line "
                        f"{first.location.line}, then delete this line; YAML would silently keep only the last"
                        if isinstance(value, Sequence)
                        else "remove one of them; YAML would silently keep only the last",
                    )
                )
            seen[key.value] = key
            items.append((key, value))
        for key, value in merged:  # the mapping's own keys win, then the first merged mapping's
            if key.value not in seen:
                seen[key.value] = key
                items.append((key, value))
        return Mapping(tuple(items), loc)

    def _merged(self, key: Scalar, value: Node) -> list[tuple[Scalar, Node]]:
        """The keys a merge key (`<<: *defaults`, or a list of such mappings) brings, as YAML 1.1's
        merge, which Go's YAML readers keep, defines them."""
        mappings = value.items if isinstance(value, Sequence) else (value,)
        if not all(isinstance(m, Mapping) for m in mappings):
            raise _Refused(
                _problem(
                    self.source,
                    key.location.line,
                    key.location.column,
                    "a merge key (<<) merges a mapping or a list of mappings",
                    "write <<: *NAME, with &NAME on a mapping above",
                )
            )
        return [item for m in mappings if isinstance(m, Mapping) for item in m.items]

    def _add(self, node: Node, anchor: str | None = None) -> None:
        if anchor is not None:
            self.anchored[anchor] = node
        if self.stack:
            self.stack[-1][2].append(node)
        else:
            self.root = node
