"""servicebook.lock: the exact commit of each member an organisation site is built from, like a
package manager's lock file. Written only by `servicebook federate update`; read by every build.

The file is YAML in a fixed shape, read with positions like the catalog, so a hand edit gone
wrong is reported at its line and column:

    format: 1
    members:
      db-team:
        repository: https://git.example.com/db-team/catalog.git
        ref: main
        path: .
        commit: 0123456789abcdef0123456789abcdef01234567
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from servicebook.errors import Problem, SourceLocation, WriteFailed
from servicebook.source.yaml import Mapping as YamlMapping
from servicebook.source.yaml import Node, Scalar, SourceError, SourceText, decode, parse_yaml, read_text
from servicebook.wholefiles import replace_whole

LOCK_FILE = "servicebook.lock"
LOCK_FORMAT = 1
MAX_LOCK_BYTES = 4 * 1024 * 1024
COMMIT_RE = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # SHA-1 or SHA-256 object names
HEADER = (
    "# The commit of each member catalog this organisation site is built from.\n"
    "# Written by `servicebook federate update`; commit it with the site, do not edit it by hand.\n"
)
_FIELDS = ("repository", "ref", "path", "commit")


@dataclass(frozen=True, slots=True)
class Entry:
    """One member's locked commit and what was followed to reach it."""

    repository: str
    ref: str
    path: str
    commit: str
    location: SourceLocation = field(default_factory=lambda: SourceLocation(LOCK_FILE))


@dataclass(frozen=True, slots=True)
class Lock:
    entries: Mapping[str, Entry]


def read_lock(root: Path) -> tuple[Lock, list[Problem]]:
    """The lock file beside catalog.yaml (an empty lock when there is none) and what is wrong with it."""
    try:
        source = read_text(root, LOCK_FILE, max_bytes=MAX_LOCK_BYTES)
    except SourceError as exc:
        if not (root / LOCK_FILE).exists() and not (root / LOCK_FILE).is_symlink():
            return Lock({}), []
        return Lock({}), list(exc.problems)
    return parse_lock(source)


def lock_from_bytes(data: bytes, shown: str = LOCK_FILE) -> tuple[Lock, list[Problem]]:
    """A lock file's bytes as read at a revision (`shown`: how its problems name it)."""
    try:
        source = decode(shown, data)
    except SourceError as exc:
        return Lock({}), list(exc.problems)
    return parse_lock(source)


def parse_lock(source: SourceText) -> tuple[Lock, list[Problem]]:
    conflict = next((n for n, line in enumerate(source.lines, 1) if line.startswith(("<<<<<<< ", ">>>>>>> "))), None)
    if conflict is not None:
        return Lock({}), [
            source.problem(
                conflict,
                1,
                "servicebook.lock holds the markers of an unresolved merge",
                "take either side (`git checkout --ours servicebook.lock`), then run `servicebook federate update` "
                "to lock every member at a checked head",
            )
        ]
    try:
        node = parse_yaml(source)
    except SourceError as exc:
        return Lock({}), [_with_hint(p) for p in exc.problems]
    return _read(source, node)


_REDO = "run `servicebook federate update` to write it again (or restore it from git)"


def _with_hint(problem: Problem) -> Problem:
    return Problem(problem.location, problem.message, problem.hint or _REDO, problem.severity, problem.source_line)


def _read(source: SourceText, node: object) -> tuple[Lock, list[Problem]]:
    problems: list[Problem] = []

    def bad(at: SourceLocation, message: str, hint: str = _REDO) -> None:
        problems.append(Problem(at, message, hint, source_line=source.line(at.line)))

    top = SourceLocation(source.path, 1, 1)
    if node is None:
        return Lock({}), []
    if not isinstance(node, YamlMapping):
        bad(getattr(node, "location", top), "servicebook.lock must be a mapping with 'format' and 'members'")
        return Lock({}), problems
    keys = {k.value: (k, v) for k, v in node.items}
    for key, _ in node.items:
        if key.value not in ("format", "members"):
            bad(key.location, f"unknown key '{key.value}' in servicebook.lock", "expected: format, members")
    fmt = keys.get("format")
    if fmt is None:
        bad(top, "servicebook.lock has no 'format'")
        return Lock({}), problems
    value = fmt[1]
    if not isinstance(value, Scalar) or not value.value.isdigit():
        bad(fmt[1].location, "format must be a whole number", "this servicebook writes format 1")
        return Lock({}), problems
    if int(value.value) > LOCK_FORMAT:
        bad(
            value.location,
            f"servicebook.lock is in format {value.value}; this servicebook reads format {LOCK_FORMAT}",
            "it was written by a newer servicebook: upgrade servicebook",
        )
        return Lock({}), problems
    members = keys.get("members")
    entries: dict[str, Entry] = {}
    if members is None or (isinstance(members[1], Scalar) and members[1].is_null):
        return Lock(entries), problems
    if not isinstance(members[1], YamlMapping):
        bad(members[1].location, "members must be a mapping of member id to its locked commit")
        return Lock({}), problems
    for key, body in members[1].items:
        entry = _entry(key, body, bad)
        if entry is not None:
            entries[key.value] = entry
    return Lock(entries), problems


def _entry(key: Scalar, body: Node, bad: Callable[..., None]) -> Entry | None:
    """One member's entry, or None (with its problems reported to `bad`)."""
    if not isinstance(body, YamlMapping):
        bad(body.location, f"member '{key.value}': expected repository, ref, path and commit")
        return None
    fields: dict[str, str] = {}
    for k, v in body.items:
        if k.value not in _FIELDS:
            bad(k.location, f"member '{key.value}': unknown key '{k.value}'", "expected: " + ", ".join(_FIELDS))
        elif not isinstance(v, Scalar) or v.is_null:
            bad(v.location, f"member '{key.value}': {k.value} must be text")
        else:
            fields[k.value] = v.value
    missing = [f for f in _FIELDS if f not in fields]
    if missing:
        bad(key.location, f"member '{key.value}': missing {', '.join(missing)}")
        return None
    if not COMMIT_RE.fullmatch(fields["commit"]):
        at = next(v.location for k, v in body.items if k.value == "commit")
        bad(at, f"member '{key.value}': commit '{fields['commit'][:80]}' is not a full commit hash")
        return None
    return Entry(fields["repository"], fields["ref"], fields["path"], fields["commit"], key.location)


def lock_text(lock: Lock) -> str:
    """The lock file's text: members in id order, values quoted, so the same lock is the same bytes."""
    lines = [HEADER.rstrip("\n"), f"format: {LOCK_FORMAT}", "members:" + ("" if lock.entries else " {}")]
    for ident in sorted(lock.entries):
        entry = lock.entries[ident]
        lines.append(f"  {ident}:")
        lines += [f"    {name}: {_quoted(getattr(entry, name))}" for name in _FIELDS]
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_lock(root: Path, lock: Lock) -> None:
    """Replace the lock file atomically (a reader sees the old one or the new one, never half);
    one the file system refuses (read-only, full) is WriteFailed, the old lock left as it was."""
    try:
        replace_whole(root / LOCK_FILE, lock_text(lock).encode("utf-8"))  # 0644: committed and shared
    except OSError as exc:
        said = f"cannot write {root / LOCK_FILE}: {exc.strerror or exc}; the lock is as it was"
        raise WriteFailed(said) from None
