"""What every import shares: reading a file strictly, the report of what was dropped or guessed,
and the catalog fragment written as YAML that servicebook itself reads back."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from servicebook.errors import Problem, Severity, SourceLocation, alike, sort_problems
from servicebook.interop.yaml12 import quoting_yaml12_numbers
from servicebook.source.yaml import Bounds, Mapping, Node, Scalar, Sequence, SourceError, SourceText, decode

# Every import's limit (SLO specs, portals' catalogs, radars): a portal's whole catalog or an
# organisation's SLO specs are a few MB; more is not an export.
MAX_IMPORT_BYTES = 8 * 1024 * 1024
# and within it, what one file read into nodes may hold, counted as it is read, so that 8 MB of
# short values (four million, in lists of zeros: 12.8 CPU s and 790 MB read whole before a
# Backstage import found no entity in them) is refused at the value past the bound, unread beyond.
# An SLO spec or entity holds tens of values: 40,000 Sloth SLOs (6 MB) are 400,000.
IMPORT_BOUNDS = Bounds(
    items=100_000,
    values=1_000_000,
    what="an import",
    hint="split the file (one service, system or namespace a file) and import each",
)


@dataclass
class Report:
    """Everything an import could not carry over as it was, each where it was written."""

    problems: list[Problem] = field(default_factory=list)  # errors: nothing is printed
    notes: list[Problem] = field(default_factory=list)  # warnings: skipped, dropped, guessed
    # why nothing at all was carried over (every entity skipped, an empty list): the import fails
    nothing: str | None = None

    def error(self, source: SourceText, loc: SourceLocation, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(loc, message, hint, source_line=source.line(loc.line)))

    def skipped(self, loc: SourceLocation, message: str, hint: str | None = None) -> None:
        self.notes.append(Problem(loc, f"skipped {message}", hint, severity=Severity.WARNING))

    def dropped(self, loc: SourceLocation, message: str, hint: str | None = None) -> None:
        self.notes.append(Problem(loc, f"dropped {message}", hint, severity=Severity.WARNING))

    def guessed(self, loc: SourceLocation, message: str, hint: str | None = None) -> None:
        self.notes.append(Problem(loc, f"guessed {message}", hint, severity=Severity.WARNING))

    def text(self, every: str | None = None) -> str:
        """`file:line:col: warning: …` a line each, as the SLO imports report, in file order; of many
        alike (errors.alike), the first few and a line counting the rest, saying that `every` (the
        option) shows each; each of them without `every`."""
        ordered = sort_problems(self.notes)
        return "".join(note.format() + "\n" for note in (ordered if every is None else alike(ordered, every)))


STDIN = Path("-")
"""The file an import reads standard input for, as `--output -` writes standard output."""
STDIN_NAME = "<stdin>"
"""How messages name standard input (`<stdin>:3:7: error: …`)."""


def shown_name(path: Path) -> str:
    """How messages name the input `path`."""
    return STDIN_NAME if path == STDIN else str(path)


def read_file(path: Path, shown: str) -> SourceText:
    """The file at `path` as strict UTF-8 text (`shown` names it in messages), size-limited;
    `-` (STDIN) is standard input. A folder is refused as a file that cannot be read is (exit 1,
    with every other input's problems), not as a usage error: the command was right, its input is not."""
    where = SourceLocation(shown)
    try:
        if path == STDIN:
            if sys.stdin is None or sys.stdin.closed:  # started with standard input closed (<&-)
                raise SourceError([Problem(where, "standard input is closed: there is nothing to read")])
            data = sys.stdin.buffer.read(MAX_IMPORT_BYTES + 1)
        else:
            size = path.stat().st_size
            if size > MAX_IMPORT_BYTES:
                raise SourceError(
                    [
                        Problem(
                            where,
                            f"file is {size:,} bytes; the limit for an import is {MAX_IMPORT_BYTES:,}",
                            "split it",
                        )
                    ]
                )
            if path.is_dir():
                raise IsADirectoryError(path)
            with path.open("rb") as handle:
                data = handle.read(MAX_IMPORT_BYTES + 1)
    except FileNotFoundError:
        raise SourceError([Problem(where, "file not found")]) from None
    except IsADirectoryError:
        raise SourceError(
            [Problem(where, "is a folder, not a file", f"give the files in it instead, by name or as {path}/*")]
        ) from None
    except OSError as exc:
        raise SourceError([Problem(where, f"cannot read file: {exc.strerror}")]) from None
    if len(data) > MAX_IMPORT_BYTES:  # grew while it was read, or a device, or a pipe
        what = "standard input" if path == STDIN else "file"
        raise SourceError([Problem(where, f"{what} is over the limit for an import ({MAX_IMPORT_BYTES:,} bytes)")])
    return decode(shown, data)


def child(node: Node | None, key: str) -> Node | None:
    if isinstance(node, Mapping):
        for k, value in node.items:
            if k.value == key:
                return value
    return None


def text(node: Node | None) -> str | None:
    """A plain value, or None for anything else (a missing key, a null, a list, a mapping)."""
    if isinstance(node, Scalar) and not node.is_null:
        return node.value
    return None


def texts(node: Node | None) -> list[str]:
    if isinstance(node, Sequence):
        return [v for v in (text(item) for item in node.items) if v is not None]
    return []


# What a page of Backstage's catalog API (`GET /entities/by-query`) holds beside its entities
_PAGE_KEYS = frozenset({"items", "totalItems", "pageInfo"})


def listed_objects(node: Node | None) -> list[Node] | None:
    """The objects of a document that lists them, each read as a document of its own: a list of
    objects (OpenSLO's go-sdk encodes its YAML and JSON so; Backstage's catalog API answers
    `GET /entities` so), a Kubernetes list (`kind: List` or `…List` with `items`, as
    `kubectl get -o yaml` writes) or a page of Backstage's catalog API (`items`, `totalItems`,
    `pageInfo`); None for a document that is one object (or a list of values that are no object).
    An empty list (`[]`: the API's answer when nothing matches) lists no object."""
    if isinstance(node, Sequence):
        listed = not node.items or any(isinstance(item, Mapping) for item in node.items)
        return list(node.items) if listed else None
    found = child(node, "items")
    if isinstance(node, Mapping) and isinstance(found, Sequence):
        kind = text(child(node, "kind")) or ""
        if kind.endswith("List") or {key.value for key, _ in node.items} <= _PAGE_KEYS:
            return list(found.items)
    return None


def items(node: Node | None) -> Iterator[tuple[str, Node]]:
    if isinstance(node, Mapping):
        for key, value in node.items:
            yield key.value, value


def location(node: Node | None, fallback: SourceLocation) -> SourceLocation:
    return node.location if node is not None else fallback


try:  # libyaml's emitter is faster (bench/README.md, "Portal exports") and writes the same bytes (a test)
    _Base: type = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Base = yaml.SafeDumper


class _Dumper(_Base):  # type: ignore[misc]
    """Block style, keys in the order given; a text of several lines as a literal block."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)
quoting_yaml12_numbers(_Dumper)


class _FragmentDumper(yaml.SafeDumper):
    """As _Dumper, with each list indented under its key, as catalog.yaml is written (`servicebook
    init`, the docs): an import's items paste under the catalog's `offerings:` or `tools:` as they
    are. Python's emitter, as libyaml's cannot indent a list; a fragment is small."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:  # noqa: ARG002
        super().increase_indent(flow, False)  # never indentless: a list is indented under its key


def _fragment_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    """As _str, and a text that a reader would otherwise take for another type (a tier `3`, a date) in
    double quotes, as catalog.yaml and the docs write it (`tier: "2"`), not PyYAML's single ones."""
    resolved = dumper.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    if "\n" not in value and resolved != "tag:yaml.org,2002:str":
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return _str(dumper, value)


_FragmentDumper.add_representer(str, _fragment_str)
quoting_yaml12_numbers(_FragmentDumper)


def dump_fragment(data: Any) -> str:
    """A catalog fragment (an import's output), in catalog.yaml's indentation."""
    return dump_yaml(data, _FragmentDumper)


def dump_yaml(data: Any, dumper: type = _Dumper) -> str:
    """YAML that reads back as the same strings, in YAML 1.1 and 1.2 (`08:00`, `1`, `no`, `1e3` come out quoted)."""
    return yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)


def dump_stream(documents: list[Any], dumper: type = _Dumper) -> str:
    """Documents each after a `---`, as dump_yaml writes one."""
    return yaml.dump_all(
        documents, Dumper=dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100,
        explicit_start=True,
    )  # fmt: skip
