"""Read source files as text and YAML as a tree of plain strings that remember their positions.

YAML is read from libyaml's event stream rather than through a constructor, so nothing is ever
typed implicitly (`no`, `1.10`, `22:22`, `0755` and dates stay the text the author wrote), and
duplicate keys, anchors, aliases, tags, several documents and absurd nesting are refused with a
position instead of silently changing the meaning of the catalog.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from servicebook.errors import Problem, Severity, SourceLocation

MAX_YAML_DEPTH = 32
NULLS = frozenset({"", "~", "null", "Null", "NULL"})
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")

try:  # libyaml is ~10x faster; the pure-Python parser gives the same events
    _Parser: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Parser = yaml.SafeLoader


class SourceError(Exception):
    """A file cannot be read at all; carries the located problems."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems[0].message if problems else "unreadable source")
        self.problems = problems


@dataclass(frozen=True, slots=True)
class SourceText:
    """A decoded source file: LF line ends, no BOM, its display path relative to the site root."""

    path: str
    text: str
    lines: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Split once: a file with thousands of problems must not be split once per problem.
        object.__setattr__(self, "lines", tuple(self.text.split("\n")))

    def line(self, number: int) -> str | None:
        """The 1-based line `number`, for showing under an error."""
        return self.lines[number - 1] if 0 < number <= len(self.lines) else None

    def problem(self, line: int, column: int, message: str, hint: str | None = None) -> Problem:
        return Problem(SourceLocation(self.path, line, column), message, hint, source_line=self.line(line))


def read_text(root: Path, relative: str, *, max_bytes: int) -> SourceText:
    """Read `root/relative` as strict UTF-8 text, refusing what would change meaning silently.

    Refused: symlinks (a PR could publish /proc/self/environ), files over `max_bytes`, invalid
    UTF-8, NUL and other control bytes, and bidi controls (the "Trojan Source" trick). A BOM is
    dropped and CRLF becomes LF, so both give the same site.
    """
    path = root / relative
    where = SourceLocation(relative)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise SourceError([Problem(where, "file not found")]) from None
    except OSError as exc:
        raise SourceError([Problem(where, f"cannot read file: {exc.strerror}")]) from None
    if stat.S_ISLNK(info.st_mode):
        raise SourceError([Problem(where, "symbolic links are not allowed in the source", "commit the file itself")])
    if not stat.S_ISREG(info.st_mode):
        raise SourceError([Problem(where, "not a regular file")])
    if info.st_size > max_bytes:
        raise SourceError(
            [Problem(where, f"file is {info.st_size:,} bytes; the limit is {max_bytes:,}", "split it up")]
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError([Problem(where, f"cannot read file: {exc.strerror}")]) from None
    return decode(relative, data)


def decode(relative: str, data: bytes) -> SourceText:
    """Decode UTF-8 bytes into a `SourceText`, or raise `SourceError` pointing at the bad byte."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8")
        line, column = _position(before, len(before))
        bad = SourceText(relative, data.decode("utf-8", "replace"))
        raise SourceError(
            [bad.problem(line, column, f"invalid UTF-8 (byte 0x{data[exc.start]:02x})", "save the file as UTF-8")]
        ) from None
    text = text.replace("\r\n", "\n")
    source = SourceText(relative, text)
    problems = [
        source.problem(*_position(text, index), message, hint) for index, message, hint in _forbidden_characters(text)
    ]
    if problems:
        raise SourceError(problems[:20])
    return source


_FORBIDDEN_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f" + "".join(sorted(BIDI_CONTROLS)) + "]")


def _forbidden_characters(text: str) -> Iterator[tuple[int, str, str]]:
    if _FORBIDDEN_RE.search(text) is None:  # the usual case, without a Python loop over every character
        return
    for index, ch in enumerate(text):
        if ch in BIDI_CONTROLS:
            yield (
                index,
                f"bidirectional control character U+{ord(ch):04X} is not allowed",
                "it can make text display differently from what it says (Trojan Source); delete it",
            )
        elif ch == "\x00":
            yield index, "NUL byte in text file", "is this a binary file?"
        elif (ord(ch) < 0x20 and ch not in "\n\t\r") or ch == "\x7f":
            yield index, f"control character U+{ord(ch):04X} is not allowed", "delete it"
        elif ch == "\r":
            yield index, "carriage return without line feed", "use LF or CRLF line ends"


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based (line, column) of character `index` in `text`."""
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


# --- YAML ---------------------------------------------------------------------------------


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


def parse_yaml(source: SourceText, *, text: str | None = None, line_offset: int = 0) -> Node | None:
    """Parse one YAML document into located nodes; None for an empty document.

    `text` (default: the whole file) is a part of `source` starting below `line_offset` lines,
    as front matter does; positions are reported in the whole file.
    Raises `SourceError` with the first structural problem found.
    """
    builder = _TreeBuilder(source, line_offset)
    try:
        for event in yaml.parse(source.text if text is None else text, Loader=_Parser):
            builder.feed(event)
    except yaml.MarkedYAMLError as exc:
        line, column, message, hint = _syntax_error(exc, (source.text if text is None else text).split("\n"))
        raise SourceError([_problem(source, line + line_offset, column, message, hint)]) from None
    except RecursionError:  # the pure-Python parser, should it ever recurse on absurd input
        raise SourceError([_problem(source, 1 + line_offset, 1, *_TOO_DEEP)]) from None
    except yaml.YAMLError as exc:  # reader errors carry no mark
        raise SourceError([Problem(SourceLocation(source.path), f"invalid YAML: {exc}")]) from None
    except _Refused as exc:
        raise SourceError([exc.problem]) from None
    return builder.root


_TOO_DEEP = (f"nesting deeper than {MAX_YAML_DEPTH} levels", "the catalog format never needs this much nesting")


def _syntax_error(exc: yaml.MarkedYAMLError, lines: list[str]) -> tuple[int, int, str, str | None]:
    """(line, column, message, hint) of a YAML syntax error, placed where the author has to act.

    The parser notices a mistake where it gives up, which is often a line or more after it: an
    unclosed '[' or quote is reported at the next key or at the end of the file. Its context
    mark says where the unfinished construct opened; that is the place to show.
    """
    problem = exc.problem or exc.context or "invalid YAML"
    line, column = _clamp(exc.problem_mark or exc.context_mark, lines)
    if "maximum nesting depth" in problem:  # libyaml's own cap (1000) is met before ours
        return line, column, *_TOO_DEEP
    opened = _unclosed(exc, lines)
    if opened is not None:
        return opened
    after = _text_after_closing(lines, line, column)
    if after is not None:
        return after
    indented = _indentation(exc, lines)
    if indented is not None:
        return indented
    return line, column, f"invalid YAML: {problem}", _yaml_hint(problem, lines[line - 1], column)


def _clamp(mark: Any, lines: list[str]) -> tuple[int, int]:
    """1-based (line, column) of a parser mark, inside the text (libyaml may point just past it)."""
    if mark is None:
        return 1, 1
    line, column = mark.line + 1, mark.column + 1
    if line > len(lines):
        return len(lines), len(lines[-1]) + 1
    return line, column


_FLOW = {"while parsing a flow sequence": ("[", "]", "list"), "while parsing a flow mapping": ("{", "}", "mapping")}


def _unclosed(exc: yaml.MarkedYAMLError, lines: list[str]) -> tuple[int, int, str, str | None] | None:
    """An unclosed '[', '{' or quote, at its opening, when the parser gave up past its line."""
    start, end = exc.context_mark, exc.problem_mark
    if start is None or end is None or start.line >= len(lines):
        return None
    line, column = start.line + 1, start.column + 1
    opener = lines[start.line][start.column : start.column + 1]
    value = _quoted_example(lines[start.line], start.column)
    if exc.context in _FLOW:
        char, closer, kind = _FLOW[exc.context]
        if opener != char or not _beyond_line(start, end, lines) or _closes(lines, start, end, char, closer):
            return None
        hint = f"close the {kind} with '{closer}'" + (
            f", or quote the value if it is text: {value}" if value else ", or quote the value if it is text"
        )
        return line, column, f"invalid YAML: this '{char}' is never closed", hint
    if exc.context == "while scanning a quoted scalar" and opener in ("'", '"'):
        if "end of stream" not in (exc.problem or "") and "document" not in (exc.problem or ""):
            return None
        return line, column, f"invalid YAML: this {_quote_name(opener)} is never closed", _quote_hint(opener)
    return None


def _beyond_line(start: Any, end: Any, lines: list[str]) -> bool:
    """The parser gave up on a later line than `start`'s, or at the very end of the text."""
    at_end = end.line >= len(lines) or (end.line == len(lines) - 1 and end.column >= len(lines[-1]))
    return bool(end.line > start.line or at_end)


def _closes(lines: list[str], start: Any, end: Any, char: str, closer: str) -> bool:
    """Whether the bracket at `start` is closed by the end of the line holding `end` (an error
    inside a closed, multi-line collection is reported where the parser found it)."""
    depth = 0
    for number in range(start.line, min(end.line, len(lines) - 1) + 1):
        text = lines[number]
        first = start.column if number == start.line else 0
        for ch in text[first:]:  # to the end of the line the parser gave up on: `[a,\n 'b' c]` is closed
            depth += (ch == char) - (ch == closer)
            if depth == 0:
                return True
    return False


def _text_after_closing(lines: list[str], line: int, column: int) -> tuple[int, int, str, str | None] | None:
    """Text after a value's closing quote or bracket (`title: 'it's mine'`, `name: [beta] runners`):
    the value ended there, so the parser expected the next key. A quote that opened on an earlier
    line is shown there: that is where it was meant to be closed."""
    text = lines[line - 1]
    before = text[: column - 1].rstrip()
    if not before or before[-1] not in "'\"]}":
        return None
    closer = before[-1]
    if closer in "]}":
        opener = "[" if closer == "]" else "{"
        at = _value_start(text, opener)
        if at is None or at >= len(before) - 1:
            return None
        value = _quoted_example(text, at)
        return (
            line,
            column,
            f"invalid YAML: text after the closing '{closer}'",
            f"a value that starts with '{opener}' is a {'list' if opener == '[' else 'mapping'}; "
            + (f"quote the value if it is text: {value}" if value else "quote the value if it is text"),
        )
    opened = _opening_quote(lines, line - 1, len(before) - 1, closer)
    if opened is None:
        return None
    open_line, open_column = opened
    if open_line == line - 1:
        return line, column, "invalid YAML: text after the closing quote", _quote_hint(closer, closed=True)
    return (
        open_line + 1,
        open_column + 1,
        f"invalid YAML: this {_quote_name(closer)} is not closed on its line (it runs on to line {line})",
        _quote_hint(closer),
    )


def _value_start(text: str, opener: str) -> int | None:
    """Column (0-based) where a value starting with `opener` begins on a `key: value` or `- value` line."""
    match = re.match(r"\s*(?:-\s+)*(?:[^\s'\"#\[{][^#]*?:\s+)?", text)
    at = match.end() if match else 0
    return at if text[at : at + 1] == opener else None


def _opening_quote(lines: list[str], line: int, column: int, quote: str) -> tuple[int, int] | None:
    """The quote that the one at (line, column) closes: the previous one not escaped (\\" in
    double quotes, '' in single quotes), possibly on an earlier line."""
    for number in range(line, -1, -1):
        text = lines[number]
        i = (column if number == line else len(text)) - 1
        while i >= 0:
            if text[i] == quote:
                if quote == '"' and _escaped(text, i):
                    pass
                elif quote == "'" and i > 0 and text[i - 1] == "'":
                    i -= 1  # '' is a quote inside the value
                else:
                    return number, i
            i -= 1
    return None


def _escaped(text: str, index: int) -> bool:
    backslashes = len(text[:index]) - len(text[:index].rstrip("\\"))
    return backslashes % 2 == 1


def _quote_name(quote: str) -> str:
    return "'\"'" if quote == '"' else '"\'"'


def _quote_hint(quote: str, *, closed: bool = False) -> str:
    inside = '\\"' if quote == '"' else "''"
    if not closed:
        return f"end the value with a closing {quote}; a {quote} inside it is written {inside}"
    other = "'" if quote == '"' else '"'
    return (
        f"the value ended at the closing {quote}: quote all of it, writing a {quote} inside as {inside} "
        f"(or quote it with {other})"
    )


def _quoted_example(text: str, column: int) -> str | None:
    """`key: "the value as written"`, for a hint, when that is short and simple."""
    value = text[column:].rstrip()
    if not value or len(value) > 60 or '"' in value or "\\" in value or " #" in value:
        return None
    return f'{text[:column].strip()} "{value}"'.strip()


def _yaml_hint(message: str, line: str, column: int) -> str | None:
    if "tab" in message or "\t" in line[: column + 1]:
        return "indent with spaces, not tabs"
    if "mapping values are not allowed" in message:
        return "a value containing ': ' must be quoted"
    if "cannot start any token" in message and line[column - 1 : column] in ("@", "`", "%"):
        return f"a value cannot start with '{line[column - 1]}'; quote the value if it is text"
    if "unknown escape" in message:
        return "in double quotes a backslash starts an escape: write \\\\ for one, or quote the value with ' instead"
    if "expected ',' or" in message or "expected ','" in message:
        return "separate the items with ', ', or quote the value if it is text"
    if (
        "could not find expected ':'" in message
        or "expected <block end>" in message
        or "did not find expected key" in message
    ):
        return "check the indentation of this line and the one before"
    return None


def _problem(source: SourceText, line: int, column: int, message: str, hint: str | None = None) -> Problem:
    return Problem(SourceLocation(source.path, line, column), message, hint, source_line=source.line(line))


# --- Indentation, the commonest mistake in a hand-edited catalog -------------------------------

_KEY_LINE_RE = re.compile(r"^(?P<indent> *)(?P<dash>(?:- +)?)(?P<key>[A-Za-z_][\w-]*):(?: +(?P<value>.*)|)$")
_GLUED_RE = re.compile(r"^(?P<indent> *)(?P<dash>(?:- +)?)(?P<key>[A-Za-z_][\w-]*):(?P<value>[^\s/].*)$")
_GLUED_DASH_RE = re.compile(r"^(?P<indent> *)-(?P<rest>[A-Za-z_].*)$")


def _indentation(exc: yaml.MarkedYAMLError, lines: list[str]) -> tuple[int, int, str, str | None] | None:
    """A key or list item indented unlike the lines around it, or a `key:value` or `-item`
    missing its space, said in those words and shown on the line to fix: the parser reports
    them as "mapping values are not allowed", "did not find expected '-' indicator" and the
    like, often on the next line."""
    problem, start, end = exc.problem or "", exc.context_mark, exc.problem_mark
    if end is None or end.line >= len(lines) or "\t" in lines[end.line][: end.column + 1]:
        return None
    at = end.line
    before = _previous_content(lines, at)
    if "could not find expected ':'" in problem and start is not None and start.line < len(lines):
        return _glued_key(lines, start.line) or _stray_text(lines, start.line)
    if "<document start>" in problem:
        return _first_key_indented(lines)
    if "mapping values are not allowed" in problem:
        if before is not None and _GLUED_RE.match(lines[before]) and _KEY_LINE_RE.match(lines[at]):
            return _glued_key(lines, before)
        return _over_indented(lines, at, end.column)
    # libyaml: "did not find expected '-' indicator" / "… key"; PyYAML: "expected <block end>, …"
    if exc.context == "while parsing a block collection" and start is not None:
        return _outside_item(lines, at, start.line, start.column)
    if exc.context == "while parsing a block mapping" and before is not None:
        glued = _GLUED_DASH_RE.match(lines[before])
        if glued is not None and _indent(lines[before]) == _indent(lines[at]):
            rest = glued["rest"]
            return (
                before + 1,
                len(glued["indent"]) + 2,
                "invalid YAML: no space after the '-', so this line is a key, not a list item",
                f"write '- {_clipped(rest)}'",
            )
        return _unaligned(lines, at)
    return None


def _glued_key(lines: list[str], number: int) -> tuple[int, int, str, str | None] | None:
    match = _GLUED_RE.match(lines[number])
    if match is None:
        return None
    key, colon = match["key"], match.end("key")
    return (
        number + 1,
        colon + 2,
        f"invalid YAML: no space after '{key}:', so this line is text, not a key",
        f"write '{key}: {_clipped(match['value'])}'",
    )


def _over_indented(lines: list[str], number: int, colon: int) -> tuple[int, int, str, str | None] | None:
    """A key indented deeper than the `key: value` above it, which YAML reads as more of that value."""
    match = _KEY_LINE_RE.match(lines[number])
    if match is None or match.end("key") != colon:
        return None
    column = len(match["indent"])
    for above in _content_above(lines, number):
        owner = _KEY_LINE_RE.match(lines[above])
        if owner is None:
            continue  # more of a value that runs over several lines
        owner_column = len(owner["indent"]) + len(owner["dash"])
        if owner_column >= column:
            return None
        if not owner["value"]:
            return None  # `key:` opens a block: deeper lines belong to it
        if match["dash"]:  # a list item: put it in line with the list's other items
            item = next(
                (
                    n
                    for n in _content_above(lines, number)
                    if _indent(lines[n]) < column and lines[n].lstrip().startswith("- ")
                ),
                None,
            )
            if item is None:
                return None
            return (
                number + 1,
                column + 1,
                f"invalid YAML: this list item is indented more than '{owner['key']}:' on line {above + 1}, "
                "so YAML reads it as part of that value",
                f"start it at column {_indent(lines[item]) + 1}, like the '-' on line {item + 1}",
            )
        return (
            number + 1,
            column + 1,
            f"invalid YAML: '{match['key']}:' is indented more than '{owner['key']}:' on line {above + 1}, "
            "so YAML reads it as part of that value",
            f"indent '{match['key']}:' to column {owner_column + 1}, like '{owner['key']}:'",
        )
    return None


def _outside_item(lines: list[str], number: int, first: int, dash: int) -> tuple[int, int, str, str | None] | None:
    """A line inside a list that is neither an item (a '-' in the list's column) nor part of one."""
    text = lines[number]
    column = _indent(text)
    if text.strip().startswith("-"):
        return (
            number + 1,
            column + 1,
            f"invalid YAML: this list item is not aligned with the list's first item on line {first + 1}",
            f"start it at column {dash + 1}, like the '-' on line {first + 1}",
        )
    match = _KEY_LINE_RE.match(text)
    item = next((n for n in _content_above(lines, number) if _indent(lines[n]) == dash), None)
    if match is None or item is None or not lines[item].strip().startswith("- "):
        return None
    keys = dash + len(re.match(r"- +", lines[item][dash:])[0])  # type: ignore[index]
    return (
        number + 1,
        column + 1,
        f"invalid YAML: '{match['key']}:' is neither in the list item on line {item + 1} nor a new item",
        f"indent it to column {keys + 1} to belong to that item, or start a new item with '- '",
    )


def _unaligned(lines: list[str], number: int) -> tuple[int, int, str, str | None] | None:
    """A line whose indentation matches none of the blocks it could close or continue."""
    text = lines[number]
    column, dash = _indent(text), text.strip().startswith("-")
    above = _previous_content(lines, number)
    opener = _KEY_LINE_RE.match(lines[above]) if above is not None else None
    if above is not None and dash and opener is not None and not opener["value"] and len(opener["indent"]) > column:
        key_column = len(opener["indent"]) + len(opener["dash"])
        return (
            number + 1,
            column + 1,
            f"invalid YAML: this list item is indented less than '{opener['key']}:' on line {above + 1}, "
            "the key it belongs under",
            f"indent it to column {key_column + 3}, under '{opener['key']}:'",
        )
    levels: dict[int, int] = {}  # column → line, for the line above and each block that encloses it
    limit = None
    for above in _content_above(lines, number):
        line = lines[above]
        own = _indent(line)
        if limit is not None and own >= limit:
            continue
        limit = own
        is_item = line.strip().startswith("- ")
        if is_item == dash:
            levels.setdefault(own, above)
        item = _KEY_LINE_RE.match(line)
        if item is not None and item["dash"] and not dash:
            levels.setdefault(own + len(item["dash"]), above)
    if not levels or column in levels:
        return None
    lower = max((c for c in levels if c < column), default=None)
    higher = min((c for c in levels if c > column), default=None)
    choices = [f"column {c + 1} (line {levels[c] + 1})" for c in (lower, higher) if c is not None]
    return (
        number + 1,
        column + 1,
        "invalid YAML: this line is indented unlike the lines above it",
        f"align it with {' or '.join(choices)}",
    )


def _stray_text(lines: list[str], number: int) -> tuple[int, int, str, str | None] | None:
    """A line of text that is neither `key: value` nor indented under a key whose value it
    continues (the line of a long value moved left)."""
    owner = next((n for n in _content_above(lines, number) if _KEY_LINE_RE.match(lines[n])), None)
    if owner is None or _KEY_LINE_RE.match(lines[number]):
        return None
    key = _KEY_LINE_RE.match(lines[owner])
    assert key is not None
    column = len(key["indent"]) + len(key["dash"])
    return (
        number + 1,
        _indent(lines[number]) + 1,
        "invalid YAML: this line is neither 'key: value' nor indented under the value it continues",
        f"if it continues the value of '{key['key']}:' (line {owner + 1}), indent it past column {column + 1}; "
        "if it is a key, write it as 'key: value'",
    )


def _first_key_indented(lines: list[str]) -> tuple[int, int, str, str | None] | None:
    """The file's first key indented: the keys after it, at the left margin, do not line up."""
    first = next((n for n in range(len(lines)) if lines[n].strip() and not lines[n].strip().startswith("#")), None)
    if first is None or _indent(lines[first]) == 0:
        return None
    return (
        first + 1,
        1,
        "invalid YAML: the first key is indented, so the keys after it do not line up with it",
        "start the top-level keys at column 1",
    )


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


def _content_above(lines: list[str], number: int) -> Iterator[int]:
    """Lines above `number` that hold YAML (not blank, not only a comment), nearest first."""
    for above in range(number - 1, -1, -1):
        stripped = lines[above].strip()
        if stripped and not stripped.startswith("#"):
            yield above


def _previous_content(lines: list[str], number: int) -> int | None:
    return next(_content_above(lines, number), None)


def _clipped(value: str, limit: int = 40) -> str:
    value = value.rstrip()
    return value if len(value) <= limit else value[: limit - 1] + "…"


class _Refused(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class _TreeBuilder:
    """Turns parser events into `Node`s, refusing YAML features that hide meaning."""

    def __init__(self, source: SourceText, line_offset: int) -> None:
        self.source = source
        self.offset = line_offset
        self.stack: list[tuple[str, SourceLocation, list[Node]]] = []
        self.root: Node | None = None
        self.documents = 0

    def _loc(self, mark: Any) -> SourceLocation:
        return SourceLocation(self.source.path, mark.line + 1 + self.offset, mark.column + 1)

    def _refuse(self, mark: Any, message: str, hint: str | None = None) -> _Refused:
        loc = self._loc(mark)
        return _Refused(_problem(self.source, loc.line, loc.column, message, hint))

    def feed(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise self._refuse(event.start_mark, "only one YAML document is allowed", "remove the '---' separator")
            return
        if isinstance(event, yaml.AliasEvent):
            raise self._refuse(
                event.start_mark,
                f"aliases (*{event.anchor}) are not allowed",
                "write the value out in full; anchors and merge keys hide what a field really says",
            )
        if isinstance(event, (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if event.anchor is not None:
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
            plain = event.style is None or event.style == ""
            self._add(Scalar(event.value, self._loc(event.start_mark), plain))
        elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if len(self.stack) >= MAX_YAML_DEPTH:
                raise self._refuse(event.start_mark, *_TOO_DEEP)
            kind = "map" if isinstance(event, yaml.MappingStartEvent) else "seq"
            self.stack.append((kind, self._loc(event.start_mark), []))
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            kind, loc, children = self.stack.pop()
            if kind == "seq":
                self._add(Sequence(tuple(children), loc))
            else:
                self._add(self._mapping(loc, children))

    def _mapping(self, loc: SourceLocation, children: list[Node]) -> Mapping:
        items: list[tuple[Scalar, Node]] = []
        seen: dict[str, Scalar] = {}
        for key, value in zip(children[0::2], children[1::2], strict=True):
            if not isinstance(key, Scalar):
                raise _Refused(_problem(self.source, key.location.line, key.location.column, "keys must be plain text"))
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
                        "remove one of them; YAML would silently keep only the last",
                    )
                )
            seen[key.value] = key
            items.append((key, value))
        return Mapping(tuple(items), loc)

    def _add(self, node: Node) -> None:
        if self.stack:
            self.stack[-1][2].append(node)
        else:
            self.root = node


def split_front_matter(source: SourceText) -> tuple[str | None, str, int]:
    """Split `---` front matter from a Markdown page.

    Returns (front matter text or None, the body, the number of lines before the body); the
    front matter starts on line 2, so parse it with `line_offset=1`.
    """
    text = source.text
    if not text.startswith("---\n"):
        return None, text, 0
    end = text.find("\n---\n", 3)
    if end == -1:
        if text.endswith("\n---"):
            end = len(text) - 4
        else:
            raise SourceError(
                [source.problem(1, 1, "front matter is not closed", "end it with a line of three dashes: ---")]
            )
    front = text[4 : end + 1]
    body_start = end + 5
    body_line_offset = text.count("\n", 0, min(body_start, len(text)))
    return front, text[body_start:], body_line_offset


# `how: Ask in #platform-help` is YAML for "Ask in" plus a comment: the channel name is silently
# lost. A '#' glued to a word after a plain value is almost always meant as text.
_BLOCK_START_RE = re.compile(r"(?:^|:|-)\s*[|>][-+0-9]*\s*(?:#.*)?$")
_ITEM_RE = re.compile(r"\s*(?:-\s+)?")
_KEY_RE = re.compile(r"[^\s'\"#{\[][^#]*?:(?:\s+|$)")
_GLUED_HASH_RE = re.compile(r"\s(#[^\s#]\S*)")


def comment_traps(source: SourceText, text: str | None = None, line_offset: int = 0) -> list[Problem]:
    """Warnings for plain values that YAML cuts at ' #word' (see above)."""
    problems = []
    block_indent: int | None = None  # inside a | or > block scalar, '#' is text
    for number, line in enumerate((source.text if text is None else text).split("\n"), start=1 + line_offset):
        indent = len(line) - len(line.lstrip(" "))
        if block_indent is not None:
            if not line.strip() or indent > block_indent:
                continue
            block_indent = None
        if _BLOCK_START_RE.search(line):
            block_indent = indent
            continue
        start = _ITEM_RE.match(line).end()  # type: ignore[union-attr]  # matches the empty string
        key = _KEY_RE.match(line, start)
        start = key.end() if key else start
        if start >= len(line) or line[start] in "'\"#|>&*!{[":
            continue
        match = _GLUED_HASH_RE.search(line, start)
        if match:
            quoted = line[start : len(line.rstrip())].strip().replace('"', '\\"')
            name = key.group().strip().rstrip(":").strip() if key else ""
            example = f'{name}: "{quoted}"' if name else f'"{quoted}"'
            problems.append(
                Problem(
                    SourceLocation(source.path, number, match.start(1) + 1),
                    f"'{match[1]}' starts a YAML comment, so it is not part of the value",
                    f"quote the whole value if it belongs to it: {example}",
                    Severity.WARNING,
                    line,
                )
            )
    return problems
