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
    # the last section of each kind read (key, clean) → its text, item indent, item starts, records
    last: dict[tuple[str, bool], tuple[str, int, list[int], tuple[Any, ...]]] = field(default_factory=dict)


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
    found = _starts(body)
    if found is None:
        return None
    k, starts = found
    return k, [body[a:b] for a, b in zip(starts, [*starts[1:], len(body)], strict=True)]


def _starts(body: str) -> tuple[int, list[int]] | None:
    """The items' indent and where each item's text starts in `body` (it runs to the next)."""
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
    return k, starts


def _same_start(a: str, b: str) -> int:
    """How many characters `a` and `b` share from their start (compared a block at a time)."""
    n = min(len(a), len(b))
    i = 0
    while i + _BLOCK <= n and a[i : i + _BLOCK] == b[i : i + _BLOCK]:
        i += _BLOCK
    hi = min(i + _BLOCK, n)
    while i < hi:  # the first difference is in [i, hi): halve the part that still agrees
        mid = (i + hi + 1) // 2
        if a[i:mid] == b[i:mid]:
            i = mid
        else:
            hi = mid - 1
    return i


def _same_end(a: str, b: str) -> int:
    """How many characters `a` and `b` share at their end."""
    n = min(len(a), len(b))
    i = 0
    while i + _BLOCK <= n and a[len(a) - i - _BLOCK : len(a) - i] == b[len(b) - i - _BLOCK : len(b) - i]:
        i += _BLOCK
    hi = min(i + _BLOCK, n)
    while i < hi:
        mid = (i + hi + 1) // 2
        if a[len(a) - mid : len(a) - i] == b[len(b) - mid : len(b) - i]:
            i = mid
        else:
            hi = mid - 1
    return i


_BLOCK = 4096


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
        items = _starts(body)
        if items is not None:
            indent, starts = items
            found = _records(cache, shown, key, body, indent, starts, clean)
            if found is not None:
                cache.last[key, clean] = (body, indent, starts, found)
    cache.sections[kept] = found  # the most recent last
    while len(cache.sections) > 4:
        del cache.sections[next(iter(cache.sections))]
    return found


def _records(
    cache: RecordCache, shown: str, key: str, body: str, indent: int, starts: list[int], clean: bool
) -> tuple[Any, ...] | None:
    """The records of the items at `starts`. The items before and after the part of the text that
    changed since the last section of its kind was read are that section's, offset for offset, so
    they are taken from it: a commit that edits one record of thousands reads that record only."""
    ends = [*starts[1:], len(body)]
    first, last = 0, len(starts)  # the items to read: starts[first:last]
    before: tuple[Any, ...] = ()
    after: tuple[Any, ...] = ()
    previous = cache.last.get((key, clean))
    if previous is not None and previous[1] == indent:
        old, _, old_starts, old_records = previous
        old_ends = [*old_starts[1:], len(old)]
        head = _same_start(old, body)
        # the leading items that end within the shared start, at the same offsets as before
        while first < len(starts) and first < len(old_starts) and ends[first] <= head:
            if starts[first] != old_starts[first] or ends[first] != old_ends[first]:
                break
            first += 1
        tail = _same_end(old, body)
        shift = len(body) - len(old)  # where an old item is now, past the change
        n = 0
        while last - n > first and len(old_starts) - n > first and len(body) - starts[last - n - 1] <= tail:
            if starts[last - n - 1] != old_starts[len(old_starts) - n - 1] + shift:
                break
            n += 1
        before, after = old_records[:first], old_records[len(old_records) - n :] if n else ()
        last -= n
    parsed = []
    for a, b in zip(starts[first:last], ends[first:last], strict=True):
        record = _part(cache, shown, body[a:b], _RECORDS[key], indent=indent, clean=clean)
        if not isinstance(record, _RECORDS[key]):
            return None
        parsed.append(record)
    return (*before, *parsed, *after)


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
