"""Read YAML as a tree of plain strings that remember their positions. The text itself is read by
source/text.py (which imports no YAML); its names are importable from here too, as before.

YAML is read from libyaml's event stream (source/yaml_events.py) rather than through a
constructor, so nothing is ever typed implicitly (`no`, `1.10`, `22:22`, `0755` and dates stay the
text the author wrote), and duplicate keys, anchors, aliases, tags, several documents and absurd
nesting are refused with a position instead of silently changing the meaning of the catalog.
"""

from __future__ import annotations

import re

from servicebook.errors import Problem, Severity, SourceLocation
from servicebook.source.nodes import NULLS, Bounds, Document, Mapping, Node, Scalar, Sequence
from servicebook.source.text import BIDI_CONTROLS, SourceError, SourceText, decode, read_text
from servicebook.source.yaml_written import flow_scalar

__all__ = [
    "BIDI_CONTROLS",  # from source/text.py, as are SourceError, SourceText, decode and read_text
    # NULLS and the nodes (Document, Mapping, Node, Scalar, Sequence) from source/nodes.py
    "NULLS",
    "Bounds",
    "Document",
    "Mapping",
    "Node",
    "Scalar",
    "Sequence",
    "SourceError",
    "SourceText",
    "comment_traps",
    "decode",
    "parse_yaml",
    "parse_yaml_documents",
    "read_text",
    "split_front_matter",
]

# --- YAML ---------------------------------------------------------------------------------


def parse_yaml(
    source: SourceText, *, text: str | None = None, line_offset: int = 0, bounds: Bounds | None = None
) -> Node | None:
    """Parse one YAML document into located nodes; None for an empty document.

    `text` (default: the whole file) is a part of `source` starting below `line_offset` lines,
    as front matter does; positions are reported in the whole file.
    Raises `SourceError` with the first structural problem found (with `bounds`, at the first value
    past one of them, before the rest is read).
    """
    if text is not None and bounds is None:  # front matter: mostly one `key: value` a line, read without libyaml
        flat = _flat_mapping(source.path, text, line_offset)
        if flat is not None:
            return flat
    return _parse_events(source, text, line_offset, bounds)


def _parse_events(source: SourceText, text: str | None, line_offset: int, bounds: Bounds | None = None) -> Node | None:
    """`parse_yaml` by libyaml's events: every document, and the refusals."""
    # PyYAML is imported with source/yaml_events.py when YAML is read by its events: a rebuild
    # that reads only front matter of one `key: value` a line does not import it (~9 ms of CPU,
    # bench/README.md, "The command line's start").
    from servicebook.source import yaml_events

    return yaml_events.parse(source, text, line_offset, bounds)


# The front matter most pages have: one `key: value` a line, each value a plain scalar, a quoted
# one without escapes, or a list of such scalars (`[a, b]`, or one `- item` a line below the
# key). Read by these patterns it gives the very nodes libyaml's events give
# (tests/test_yaml_parsers.py checks it against them by hypothesis), without an event object a
# node; anything else they do not match (a comment, a blank line, a block scalar, a nested
# mapping, a `: ` or ` #` in a value, trailing spaces, a duplicate key) goes to libyaml, errors
# and all.
_CHAR = "\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff"
_NOT_CHAR = "\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff"  # what _CHAR leaves out above U+009F


def _class(ascii_class: str) -> str:
    """The class `[{ascii_class}{_CHAR}]`, written as the characters it leaves out (`[^...]`).

    The same characters, but `re` compiles a class by marking each code point of its ranges below
    U+10000 in a table, one at a time: with _CHAR's ~55,000 written out, these patterns cost ~30 ms
    of CPU at every start of the program (bench/README.md, "The command line's start").
    """
    within = re.compile(f"[{ascii_class}]")
    spans: list[list[int]] = []  # of the ASCII and C1 controls left out: [first, last]
    for code in range(0xA0):
        if within.match(chr(code)):
            continue
        if spans and spans[-1][1] == code - 1:
            spans[-1][1] = code
        else:
            spans.append([code, code])
    return "[^" + "".join(f"\\x{first:02x}-\\x{last:02x}" for first, last in spans) + _NOT_CHAR + "]"


_FIRST = _class("0-9A-Za-z")  # what a plain scalar may start with here: no YAML indicator
_PLAIN_ON, _PLAIN_END = _class("0-9A-Za-z ._,/()'+-"), _class("0-9A-Za-z._,/()'+-")
_ITEM_ON, _ITEM_END = _class("0-9A-Za-z ._/()'+-"), _class("0-9A-Za-z._/()'+-")  # a flow list's: no `,` `[` `]`
_PLAIN = f"{_FIRST}(?:{_PLAIN_ON}*{_PLAIN_END})?"
_ITEM = f"{_FIRST}(?:{_ITEM_ON}*{_ITEM_END})?"
_KEY = "[A-Za-z_][A-Za-z0-9_-]{0,127}"  # libyaml refuses a key of over 1,024 characters: not near it
_DOUBLE = '"(' + _class(" !#-\\[\\]-~") + '*)"'  # "double-quoted": no escapes
_SINGLE = "'(" + _class(" -&(-~") + "*)'"  # 'single-quoted': no quote doubled
_FLAT_LINE = re.compile(
    f"({_KEY}):( +)"
    f"(?:{_DOUBLE}|{_SINGLE}"
    f"|\\[( *(?:{_ITEM}(?: *, *{_ITEM})*)? *)\\]"  # [a flow, list]
    f"|({_PLAIN}))"
    "(?:\n|\\Z)"
)
_FLOW_ITEM = re.compile(_ITEM)
_LIST_KEY = re.compile(f"({_KEY}):\n")  # a key whose value is the block list below
_LIST_ITEM = re.compile(f"( *)- +(?:{_DOUBLE}|{_SINGLE}|({_PLAIN}))(?:\n|\\Z)")


def _flat_mapping(path: str, text: str, line_offset: int) -> Mapping | None:
    """`text` as libyaml would read it when every line is one `key: value` of the simple kinds
    above (the nodes and positions alike); None for any other text, to be read by libyaml."""
    items: list[tuple[Scalar, Node]] = []
    keys: set[str] = set()
    end = len(text)
    pos = 0
    line = 1 + line_offset
    while pos < end:
        match = _FLAT_LINE.match(text, pos)
        if match is None:
            listed = _block_list(path, text, pos, line)
            if listed is None:
                return None
            name, block, pos, lines = listed
            if name.value in keys:
                return None
            keys.add(name.value)
            items.append((name, block))
            line += lines
            continue
        key = match[1]
        if key in keys:
            return None  # libyaml's reading refuses it, with its position
        keys.add(key)
        column = len(key) + len(match[2]) + 2  # the value's, 1-based
        value: Node
        if match[3] is not None:
            value = Scalar(match[3], SourceLocation(path, line, column), False)
        elif match[4] is not None:
            value = Scalar(match[4], SourceLocation(path, line, column), False)
        elif match[5] is not None:
            value = Sequence(
                tuple(
                    Scalar(item[0], SourceLocation(path, line, column + 1 + item.start()), True)
                    for item in _FLOW_ITEM.finditer(match[5])
                ),
                SourceLocation(path, line, column),
            )
        else:
            value = Scalar(match[6], SourceLocation(path, line, column), True)
        items.append((Scalar(key, SourceLocation(path, line, 1), True), value))
        pos = match.end()
        line += 1
    if not items:
        return None
    return Mapping(tuple(items), SourceLocation(path, 1 + line_offset, 1))


def _block_list(path: str, text: str, pos: int, line: int) -> tuple[Scalar, Sequence, int, int] | None:
    """`key:` at `pos` (on `line`) and the list of scalars below it, one `- item` a line, each at
    the same indentation: the key, the list, where the text goes on and how many lines it took."""
    match = _LIST_KEY.match(text, pos)
    if match is None:
        return None
    key = Scalar(match[1], SourceLocation(path, line, 1), True)
    pos = match.end()
    indent = None
    values: list[Scalar] = []
    start = SourceLocation(path, line + 1, 1)
    while pos < len(text):
        item = _LIST_ITEM.match(text, pos)
        if item is None:
            break
        if indent is None:
            indent = item[1]
            start = SourceLocation(path, line + 1, len(indent) + 1)
        elif item[1] != indent:
            return None
        at = line + 1 + len(values)
        if item[4] is not None:  # plain: it starts there; quoted: at its opening quote
            values.append(Scalar(item[4], SourceLocation(path, at, item.start(4) - pos + 1), True))
        else:
            quoted = 2 if item[2] is not None else 3
            values.append(Scalar(item[quoted], SourceLocation(path, at, item.start(quoted) - pos), False))
        pos = item.end()
    if not values:
        return None  # an empty value, or something else below: libyaml's
    return key, Sequence(tuple(values), start), pos, 1 + len(values)


def parse_yaml_documents(
    source: SourceText,
    *,
    max_documents: int = 10_000,
    aliases: bool = False,
    merges: bool = False,
    bounds: Bounds | None = None,
) -> list[Document]:
    """Parse a stream of `---`-separated documents (as Kubernetes and OpenSLO files are written)
    into located nodes, with the same refusals as `parse_yaml` (anchors, aliases, tags, duplicate
    keys, absurd nesting), but where another tool's files are read as that tool reads them: an
    alias as the value its anchor names (`aliases`, within a bound), a merge key's mappings merged
    into the mapping that has it (`merges`). Raises `SourceError` with the first structural problem
    found (with `bounds`, at the first value past one of them, counted over the whole stream, before
    the rest is read)."""
    from servicebook.source import yaml_events  # PyYAML: imported where used, as in _parse_events

    return yaml_events.documents(source, max_documents, aliases=aliases, merges=merges, bounds=bounds)


# --- Indentation, the commonest mistake in a hand-edited catalog -------------------------------


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


# A page's first line, when it is a Markdown heading (`# On-call policy`, `## Title ##`)
_FIRST_HEADING_RE = re.compile(r"\s*#{1,6}[ \t]+(\S.*?)(?:[ \t]+#+)?[ \t]*(?:\n|$)")


def no_front_matter_hint(text: str) -> str:
    """What a page without front matter is told to start with: the lines to write, its title the
    heading it opens with, if it does (a page copied in from a wiki or a README), which would
    otherwise be shown twice."""
    heading = _FIRST_HEADING_RE.match(text)
    title = flow_scalar(heading[1]) if heading else None
    if title is None or "\n" in title:
        return "start the file with ---, a line 'title: …', and ---"
    instead = "in place of its heading (the title is shown as one)"
    return f"start the file with ---, a line 'title: {title}', and ---, {instead}"


# `how: Ask in #platform-help` is YAML for "Ask in" plus a comment: the channel name is silently
# lost. A '#' glued to a word after a plain value is almost always meant as text.
_BLOCK_START_RE = re.compile(r"(?:^|:|-)\s*[|>][-+0-9]*\s*(?:#.*)?$")
_ITEM_RE = re.compile(r"\s*(?:-\s+)?")
_KEY_RE = re.compile(r"[^\s'\"#{\[][^#]*?:(?:\s+|$)")
_GLUED_HASH_RE = re.compile(r"\s(#[^\s#]\S*)")
_HASH_WORD_RE = re.compile(r"#[^\s#]")  # a literal first: the search skips from one '#' to the next


def comment_traps(source: SourceText, text: str | None = None, line_offset: int = 0) -> list[Problem]:
    """Warnings for plain values that YAML cuts at ' #word' (see above)."""
    scanned = source.text if text is None else text
    if not any(m.start() and scanned[m.start() - 1].isspace() for m in _HASH_WORD_RE.finditer(scanned)):
        return []  # no ' #word' anywhere (\s is str.isspace): no line has one (a large catalog, mostly)
    return _traps(source, scanned, line_offset)


def _traps(source: SourceText, scanned: str, line_offset: int) -> list[Problem]:
    problems = []
    block_indent: int | None = None  # inside a | or > block scalar, '#' is text
    for number, line in enumerate(scanned.split("\n"), start=1 + line_offset):
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
                    kind="yaml-comment-in-value",
                )
            )
    return problems
