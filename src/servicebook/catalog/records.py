"""Reading many versions of one large catalog, record by record, for the history.

A commit usually changes one offering or tool out of thousands, so the history reads each version
of the catalog in parts: the top-level keys other than `offerings:` and `tools:` (the skeleton),
and each list item of those two, every part parsed by the build's own decoder, YAML reader and
validator, and each distinct part only once across all versions (keyed by its text). The parts
are found by indentation alone; whenever the file is not laid out the plain way (flow lists,
items at column 0, tabs, a key given twice, an older catalog format) or any part has a problem,
the caller reads the whole file instead, so this never judges a catalog differently: it only
avoids parsing the same offering a thousand times.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from servicebook.catalog import model
from servicebook.catalog.validate import Checked, RecordChecks, check_catalog, read_record
from servicebook.errors import Severity, SourceLocation
from servicebook.source.yaml import Sequence, SourceError, SourceText, decode, parse_yaml

_RECORDS = {"offerings": model.Offering, "tools": model.Tool}


@dataclass
class RecordCache:
    """Parsed parts by their kind and text; None for a part that did not read cleanly."""

    parts: dict[tuple[str, str], object] = field(default_factory=dict)
    # the last few sections read whole: (key, clean, text) → their records (None: not all read)
    sections: dict[tuple[str, bool, str], tuple[Any, ...] | None] = field(default_factory=dict)
    checks: RecordChecks = field(default_factory=RecordChecks)  # what the rules found in each record


def split_catalog(text: str) -> tuple[str, dict[str, tuple[int, list[str]]]] | None:
    """(skeleton text, {"offerings": (indent, [item text…]), "tools": …}), or None when the layout
    is not plain. Item texts are as written (still indented): a part's cache key is its raw text.

    Regular expressions anchored on newlines over the whole text (not a loop over lines): a
    catalog of thousands of records is split in milliseconds.
    """
    split = _sections(text)
    if split is None:
        return None
    skeleton, bodies = split
    sections: dict[str, tuple[int, list[str]]] = {}
    for key, body in bodies.items():
        items = _items(body)
        if items is None:
            return None
        sections[key] = items
    return skeleton, sections


def _sections(text: str) -> tuple[str, dict[str, str]] | None:
    """(skeleton text, {"offerings": the section's text after its key line, "tools": …}), or None
    when a key is given twice."""
    text = "\n" + text  # every key line then starts after a newline: a literal the search skips to
    skeleton: list[str] = []
    sections: dict[str, str] = {}
    pos = 1
    for match in _SECTION_LINE.finditer(text):
        key = match[2]
        if key in sections:
            return None
        line_start = match.start(2)
        following = _TOP_LEVEL.search(text, match.end())
        body_end = following.start() + 1 if following else len(text)
        sections[key] = text[match.end() : body_end]
        skeleton.append(text[pos:line_start] + f"{key}: []\n")
        pos = body_end
    skeleton.append(text[pos:])
    return "".join(skeleton), sections


# A pattern that starts with a literal newline: the regular expression engine jumps from one newline
# to the next (an alternative such as `(\A|\n)` makes it try every position).
_SECTION_LINE = re.compile(r"(\n)(offerings|tools):[ ]*(?:#[^\n]*)?(?=\n|\Z)")
_TOP_LEVEL = re.compile(r"\n[^ #\n]")  # a line starting at column 0: the next top-level key
_FIRST = re.compile(r"\n( *)([^ #\n][^\n]*)")  # the first line with content
_TAB = re.compile(r"\n *\t")


def _items(body: str) -> tuple[int, list[str]] | None:
    """`body` starts with the newline that ends the section's key line."""
    first = _FIRST.search(body)
    if first is None:
        return None
    k, head = len(first[1]), first[2].rstrip()
    if k == 0 or not (head == "-" or head.startswith("- ")) or _TAB.search(body):
        return None
    # Every line with content is an item start at column k, or indented past it (k + 2 or more):
    # the lines with content indented k + 1 or less must be exactly the item starts.
    shallow = len(re.findall(rf"\n {{0,{k + 1}}}[^ #\n]", body))
    starts = [m.start() + 1 for m in re.finditer(rf"\n {{{k}}}-(?= |\n|\Z)", body)]
    if shallow != len(starts):
        return None
    return k, [body[a:b] for a, b in zip(starts, [*starts[1:], len(body)], strict=True)]


def _dedent(text: str, k: int) -> str:
    return re.sub(rf"(?m)^ {{1,{k}}}", "", text)


def read_by_records(data: bytes, slugs: list[str], cache: RecordCache, shown: str) -> tuple[model.Catalog, int] | None:
    """The catalog and its error count (from the cross-record rules), or None: read the whole file."""
    try:
        text = data.decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n")
    except UnicodeDecodeError:
        return None
    catalog = _assemble(text, cache, shown, clean=False)
    if catalog is None:
        return None
    whole = Checked(catalog, {(): SourceLocation(shown)})
    problems = check_catalog(SourceText(shown, ""), whole, slugs, None, release=True, memo=cache.checks)
    return catalog, sum(1 for p in problems if p.severity is Severity.ERROR)


def read_clean(text: str, cache: RecordCache, shown: str) -> model.Catalog | None:
    """The catalog `text` (decoded, as `sources.decode` gives it) reads as when every part of it
    reads with no problem at all, warnings included; else None (read the whole file). Then
    reading the whole file finds the same catalog and no problem but its comment traps (the
    build's own check of this, for releases that share most of their records)."""
    return _assemble(text, cache, shown, clean=True)


def _assemble(text: str, cache: RecordCache, shown: str, *, clean: bool) -> model.Catalog | None:
    """The catalog from its skeleton and each offering and tool record read on its own (each
    distinct one once, see `_part`), or None where any part does not read as its kind."""
    split = _sections(text)
    if split is None:
        return None
    skeleton_text, bodies = split
    skeleton = _part(cache, shown, skeleton_text, model.Catalog, clean=clean)
    if not isinstance(skeleton, model.Catalog) or skeleton.format != model.FORMAT_VERSION:
        return None
    records: dict[str, tuple[Any, ...]] = {}
    for key, body in bodies.items():
        read = _section(cache, shown, key, body, clean)
        if read is None:
            return None
        records[key] = read
    return dataclasses.replace(
        skeleton,
        offerings=records.get("offerings", skeleton.offerings),
        tools=records.get("tools", skeleton.tools),
    )


def _section(cache: RecordCache, shown: str, key: str, body: str, clean: bool) -> tuple[Any, ...] | None:
    """The records of one section (`body`: its text after the key line), or None where any does
    not read as its kind. A commit usually changes one of the two sections: the other one's text
    is the same as in the version before, and is looked up whole (the last few are kept)."""
    kept = (key, clean, body)
    if kept in cache.sections:
        found = cache.sections.pop(kept)
    else:
        found = None
        items = _items(body)
        if items is not None:
            indent, texts = items
            parsed = []
            for text in texts:
                record = _part(cache, shown, text, _RECORDS[key], indent=indent, clean=clean)
                if not isinstance(record, _RECORDS[key]):
                    break
                parsed.append(record)
            else:
                found = tuple(parsed)
    cache.sections[kept] = found  # the most recent last
    while len(cache.sections) > 4:
        del cache.sections[next(iter(cache.sections))]
    return found


def _part(
    cache: RecordCache, shown: str, text: str, cls: type, *, indent: int | None = None, clean: bool = False
) -> object:
    """The record `text` reads as (parsed on first sight only), or None. `indent`: a list item's.
    `clean`: None also when reading it finds any problem, a warning included."""
    key = (cls.__name__ + ("/clean" if clean else ""), text)
    if key in cache.parts:
        return cache.parts[key]
    item = indent is not None
    value: object = None
    try:
        source = decode(shown, (_dedent(text, indent) if indent is not None else text).encode("utf-8"))
        node = parse_yaml(source)
        if item:  # "- id: …": a list of exactly one record
            node = node.items[0] if isinstance(node, Sequence) and len(node.items) == 1 else None
        if node is not None:
            checked: Checked[Any] | None
            checked, problems = read_record(source, node, cls, "a record")
            if checked is not None and not any(p.severity is Severity.ERROR or clean for p in problems):
                value = checked.value
    except SourceError:
        value = None
    cache.parts[key] = value
    return value
