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
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from . import model
from .errors import Severity, SourceLocation
from .sources import Sequence, SourceError, SourceText, decode, parse_yaml
from .validate import Checked, check_catalog, read_record

_SECTION = re.compile(r"(offerings|tools):[ ]*(#.*)?")
_RECORDS = {"offerings": model.Offering, "tools": model.Tool}


@dataclass
class RecordCache:
    """Parsed parts by the SHA-256 of their text; None for a part that did not read cleanly."""

    parts: dict[str, object] = field(default_factory=dict)


def split_catalog(text: str) -> tuple[str, dict[str, list[str]]] | None:
    """(skeleton text, {"offerings": [item text…], "tools": […]}), or None when the layout is not plain."""
    lines = text.split("\n")
    skeleton: list[str] = []
    sections: dict[str, list[str]] = {}
    i = 0
    while i < len(lines):
        match = _SECTION.fullmatch(lines[i])
        if match is None:
            skeleton.append(lines[i])
            i += 1
            continue
        key = match[1]
        if key in sections:
            return None
        j = i + 1
        while j < len(lines) and (lines[j] == "" or lines[j][0] in " #"):
            j += 1
        items = _items(lines[i + 1 : j])
        if items is None:
            return None
        sections[key] = items
        skeleton.append(f"{key}: []")
        i = j
    return "\n".join(skeleton), sections


def _items(body: list[str]) -> list[str] | None:
    content = [line for line in body if line.strip() and not line.lstrip().startswith("#")]
    if not content:
        return None
    first = content[0]
    k = len(first) - len(first.lstrip(" "))
    if not (first[k:].startswith("- ") or first[k:] == "-") or k == 0:
        return None
    items: list[list[str]] = []
    for line in body:
        indent = len(line) - len(line.lstrip(" "))
        rest = line[indent:]
        if rest.startswith("\t"):
            return None
        if not rest or rest.startswith("#"):
            if items:
                items[-1].append(rest if indent < k else line[k:])
        elif indent == k and (rest.startswith("- ") or rest == "-"):
            items.append([line[k:]])
        elif indent >= k + 2 and items:
            items[-1].append(line[k:])
        else:
            return None
    return ["\n".join(item) + "\n" for item in items]


def read_by_records(data: bytes, slugs: list[str], cache: RecordCache, shown: str) -> tuple[model.Catalog, int] | None:
    """The catalog and its error count (from the cross-record rules), or None: read the whole file."""
    try:
        text = data.decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n")
    except UnicodeDecodeError:
        return None
    split = split_catalog(text)
    if split is None:
        return None
    skeleton_text, sections = split
    skeleton = _part(cache, shown, skeleton_text, model.Catalog)
    if not isinstance(skeleton, model.Catalog) or skeleton.format != model.FORMAT_VERSION:
        return None
    offerings: list[model.Offering] = []
    tools: list[model.Tool] = []
    for key, items in sections.items():
        for item in items:
            parsed = _part(cache, shown, item, _RECORDS[key], item=True)
            if isinstance(parsed, model.Offering):
                offerings.append(parsed)
            elif isinstance(parsed, model.Tool):
                tools.append(parsed)
            else:
                return None
    catalog = dataclasses.replace(skeleton, offerings=tuple(offerings), tools=tuple(tools))
    whole = Checked(catalog, {(): SourceLocation(shown)})
    problems = check_catalog(SourceText(shown, ""), whole, slugs, None)
    return catalog, sum(1 for p in problems if p.severity is Severity.ERROR)


def _part(cache: RecordCache, shown: str, text: str, cls: type, *, item: bool = False) -> object:
    key = hashlib.sha256(f"{cls.__name__}\0{text}".encode()).hexdigest()
    if key in cache.parts:
        return cache.parts[key]
    value: object = None
    try:
        source = decode(shown, text.encode("utf-8"))
        node = parse_yaml(source)
        if item:  # "- id: …": a list of exactly one record
            node = node.items[0] if isinstance(node, Sequence) and len(node.items) == 1 else None
        if node is not None:
            checked: Checked[Any] | None
            checked, problems = read_record(source, node, cls, "a record")
            if checked is not None and not any(p.severity is Severity.ERROR for p in problems):
                value = checked.value
    except SourceError:
        value = None
    cache.parts[key] = value
    return value
