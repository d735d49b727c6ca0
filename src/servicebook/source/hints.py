"""Where a YAML syntax error is, and what to do about it: libyaml notices a mistake where it gives
up, often a line or more after it, and in its own jargon; these heuristics place the error on the
line the author has to fix and say how, in the catalog's words."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

MAX_YAML_DEPTH = 32


TOO_DEEP = (
    f"nesting deeper than {MAX_YAML_DEPTH} levels",
    "neither the catalog format nor the SLO and portal formats servicebook imports need this much nesting",
)


def syntax_error(exc: yaml.MarkedYAMLError, lines: list[str]) -> tuple[int, int, str, str | None]:
    """(line, column, message, hint) of a YAML syntax error, placed where the author has to act.

    The parser notices a mistake where it gives up, which is often a line or more after it: an
    unclosed '[' or quote is reported at the next key or at the end of the file. Its context
    mark says where the unfinished construct opened; that is the place to show.
    """
    problem = exc.problem or exc.context or "invalid YAML"
    line, column = _clamp(exc.problem_mark or exc.context_mark, lines)
    if "maximum nesting depth" in problem:  # libyaml's own cap (1000) is met before ours
        return line, column, *TOO_DEEP
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
        if before is not None and _KEY_LINE_RE.match(lines[at]) and _indent(lines[at]) > _indent(lines[before]):
            glued = _glued_dash(lines, before)  # `-id: b` and the item's next key under it
            if glued is not None:
                return glued
        return _over_indented(lines, at, end.column)
    # libyaml: "did not find expected '-' indicator" / "… key"; PyYAML: "expected <block end>, …"
    if exc.context == "while parsing a block collection" and start is not None:
        return _outside_item(lines, at, start.line, start.column)
    if exc.context == "while parsing a block mapping" and before is not None:
        if _indent(lines[before]) == _indent(lines[at]):
            glued = _glued_dash(lines, before)
            if glued is not None:
                return glued
        return _unaligned(lines, at)
    return None


def _glued_dash(lines: list[str], number: int) -> tuple[int, int, str, str | None] | None:
    """`-id: x`: a list item missing the space after its '-', which YAML reads as a key."""
    glued = _GLUED_DASH_RE.match(lines[number])
    if glued is None:
        return None
    return (
        number + 1,
        len(glued["indent"]) + 2,
        "invalid YAML: no space after the '-', so this line is a key, not a list item",
        f"write '- {_clipped(glued['rest'])}'",
    )


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
    if column == dash and _GLUED_DASH_RE.match(text):
        return _glued_dash(lines, number)  # `-id: b` among the list's `- id: a` items
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
