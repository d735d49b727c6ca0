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

import bisect
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
class _Body:
    """Where one section's items are in the text of the last version read (see `_Layout`)."""

    key: str  # "offerings" or "tools"
    start: int  # the newline that ends the section's key line
    end: int  # where the next top-level key starts (or the end of the text)
    indent: int  # of its items' "- "
    starts: list[int]  # where each item starts, in the whole text


@dataclass
class _Layout:
    """The last version read, and where its sections and items are in its text: the next version
    usually differs from it inside one record, which is then the only text looked at."""

    text: str
    catalog: model.Catalog
    bodies: list[_Body]


@dataclass
class RecordCache:
    """Parsed parts by their kind and text; None for a part that did not read cleanly."""

    parts: dict[tuple[str, str], object] = field(default_factory=dict)
    # the last few sections read whole: (key, clean, text) → their records, item indent and item
    # starts (None: not all read)
    sections: dict[tuple[str, bool, str], tuple[tuple[Any, ...], int, list[int]] | None] = field(default_factory=dict)
    checks: RecordChecks = field(default_factory=RecordChecks)  # what the rules found in each record
    # the last version read with this `clean`, and the layout of its text
    layouts: dict[bool, _Layout] = field(default_factory=dict)


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
    found = _section_spans(text)
    if found is None:
        return None
    skeleton, spans = found
    return skeleton, {key: text[a:b] for key, (a, b) in spans.items()}


def _section_spans(text: str) -> tuple[str, dict[str, tuple[int, int]]] | None:
    """(skeleton text, {"offerings": (start, end) of the section's text after its key line, …}),
    or None when a key is given twice. A section's text starts with the newline ending its key
    line (empty when the key line ends the file)."""
    text = "\n" + text  # every key line then starts after a newline: a literal the search skips to
    skeleton: list[str] = []
    spans: dict[str, tuple[int, int]] = {}
    pos = 1
    for match in _SECTION_LINE.finditer(text):
        key = match[2]
        if key in spans:
            return None
        line_start = match.start(2)
        following = _TOP_LEVEL.search(text, match.end())
        body_end = following.start() + 1 if following else len(text)
        spans[key] = (match.end() - 1, body_end - 1)  # in `text` as given, without the newline added
        skeleton.append(text[pos:line_start] + f"{key}: []\n")
        pos = body_end
    skeleton.append(text[pos:])
    return "".join(skeleton), spans


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
    """How many characters `a` and `b` share from their start (compared in blocks that double,
    then halving the block that differs)."""
    n = min(len(a), len(b))
    i, step = 0, _BLOCK
    while i + step <= n and a[i : i + step] == b[i : i + step]:
        i += step
        step *= 2
    hi = min(i + step, n)
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
    i, step = 0, _BLOCK
    while i + step <= n and a[len(a) - i - step : len(a) - i] == b[len(b) - i - step : len(b) - i]:
        i += step
        step *= 2
    hi = min(i + step, n)
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
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return None
    if "\r" in text:  # a search for one character; replace() would scan a large catalog for two
        text = text.replace("\r\n", "\n")
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
    layout = cache.layouts.get(clean)
    if layout is not None:
        edited = _edited(layout, text, cache, shown, clean)
        if edited is not None:
            return edited
    split = _section_spans(text)
    if split is None:
        return None
    skeleton_text, spans = split
    skeleton = _part(cache, shown, skeleton_text, model.Catalog, clean=clean)
    if not isinstance(skeleton, model.Catalog) or skeleton.format != model.FORMAT_VERSION:
        return None
    records: dict[str, tuple[Any, ...]] = {}
    bodies = []
    for key, (start, end) in spans.items():
        read = _section(cache, shown, key, text[start:end], clean, layout)
        if read is None:
            return None
        records[key], indent, starts = read
        bodies.append(_Body(key, start, end, indent, [start + a for a in starts]))
    catalog = dataclasses.replace(
        skeleton,
        offerings=records.get("offerings", skeleton.offerings),
        tools=records.get("tools", skeleton.tools),
    )
    cache.layouts[clean] = _Layout(text, catalog, bodies)
    return catalog


def _edited(layout: _Layout, text: str, cache: RecordCache, shown: str, clean: bool) -> model.Catalog | None:
    """The catalog `text` reads as, when it differs from the last version read (`layout`) only
    inside one offering or tool, below that record's first line, in lines that none of the
    patterns splitting the text look at (see `_inert`): then splitting `text` afresh would find
    the same sections and items, that record's text changed and every other item's text the
    same. None: split it afresh."""
    old = layout.text
    if text == old:
        return layout.catalog
    head = _same_start(old, text)
    tail = min(_same_end(old, text), len(old) - head, len(text) - head)
    first = old.rfind("\n", 0, head) + 1  # where the first line that differs starts
    end = old.find("\n", len(old) - tail)  # the newline after the last line that differs
    if end < 0:
        return None
    delta = len(text) - len(old)
    body = next((b for b in layout.bodies if b.start < first and end < b.end), None)
    if body is None:
        return None
    j = bisect.bisect_right(body.starts, first) - 1
    item_end = body.starts[j + 1] if j + 1 < len(body.starts) else body.end
    if j < 0 or not body.starts[j] < first or not end < item_end:
        return None
    if not _inert(old[first:end], body.indent) or not _inert(text[first : end + delta], body.indent):
        return None
    record = _part(
        cache, shown, text[body.starts[j] : item_end + delta], _RECORDS[body.key], indent=body.indent, clean=clean
    )
    if not isinstance(record, _RECORDS[body.key]):
        return None
    records: tuple[Any, ...] = getattr(layout.catalog, body.key)
    now = (*records[:j], record, *records[j + 1 :])
    catalog = (
        dataclasses.replace(layout.catalog, offerings=now)
        if body.key == "offerings"
        else dataclasses.replace(layout.catalog, tools=now)
    )
    layout.text, layout.catalog = text, catalog
    if delta:
        body.starts[j + 1 :] = [a + delta for a in body.starts[j + 1 :]]
        body.end += delta
        for later in layout.bodies:
            if later.start > body.start:
                later.start += delta
                later.end += delta
                later.starts[:] = [a + delta for a in later.starts]
    return catalog


def _inert(lines: str, indent: int) -> bool:
    """Whether none of `lines` is one the patterns that split a catalog look at, in a section
    whose items start at column `indent`: blank lines, comments, and lines indented past the
    items' own keys (`indent` + 2 or more spaces) with no tab before their first character.
    A top-level key (_SECTION_LINE, _TOP_LEVEL), an item start or any line indented `indent` + 1
    or less (`_starts`) and a tab in the indentation (_TAB) are not inert."""
    for line in lines.split("\n"):
        rest = line.lstrip(" ")
        if rest and rest[0] != "#" and (rest[0] == "\t" or len(line) - len(rest) < indent + 2):
            return False
    return True


def _section(
    cache: RecordCache, shown: str, key: str, body: str, clean: bool, layout: _Layout | None
) -> tuple[tuple[Any, ...], int, list[int]] | None:
    """The records of one section (`body`: its text after the key line), their indent and where
    each starts in `body`, or None where any does not read as its kind. A commit usually changes
    one of the two sections: the other one's text is the same as in the version before, and is
    looked up whole (the last few are kept)."""
    kept = (key, clean, body)
    if kept in cache.sections:
        found = cache.sections.pop(kept)
    else:
        found = None
        items = _starts(body)
        if items is not None:
            indent, starts = items
            records = _records(cache, shown, key, body, indent, starts, clean, _last(layout, key))
            found = None if records is None else (records, indent, starts)
    cache.sections[kept] = found  # the most recent last
    while len(cache.sections) > 4:
        del cache.sections[next(iter(cache.sections))]
    return found


def _last(layout: _Layout | None, key: str) -> tuple[str, int, list[int], tuple[Any, ...]] | None:
    """The last version's section `key`: its text, item indent, item starts in it, records."""
    body = None if layout is None else next((b for b in layout.bodies if b.key == key), None)
    if layout is None or body is None:
        return None
    records: tuple[Any, ...] = getattr(layout.catalog, key)
    return layout.text[body.start : body.end], body.indent, [a - body.start for a in body.starts], records


def _records(
    cache: RecordCache,
    shown: str,
    key: str,
    body: str,
    indent: int,
    starts: list[int],
    clean: bool,
    previous: tuple[str, int, list[int], tuple[Any, ...]] | None,
) -> tuple[Any, ...] | None:
    """The records of the items at `starts`. The items before and after the part of the text that
    changed since the last section of its kind was read (`previous`) are that section's, offset for
    offset, so they are taken from it: a commit that edits one record of thousands reads that
    record only."""
    ends = [*starts[1:], len(body)]
    first, last = 0, len(starts)  # the items to read: starts[first:last]
    before: tuple[Any, ...] = ()
    after: tuple[Any, ...] = ()
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
    if not clean and cache.parts.get((cls.__name__ + "/clean", text)) is not None:
        # read cleanly (a build's catalog, a release's): with no problem at all, so with no error
        cache.parts[key] = cache.parts[cls.__name__ + "/clean", text]
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
