"""Read source files as strict text: UTF-8, LF line ends, no control or bidi characters, every
refusal located. Imports no YAML, so a build with nothing to do can read a file without it."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from servicebook.errors import Problem, SourceLocation

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


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


def read_text(root: Path, relative: str, *, max_bytes: int, too_big: str = "split it up") -> SourceText:
    """Read `root/relative` as strict UTF-8 text, refusing what would change meaning silently.

    Refused: symlinks (a PR could publish /proc/self/environ), files over `max_bytes`, invalid
    UTF-8, NUL and other control bytes, and bidi controls (the "Trojan Source" trick). A BOM is
    dropped and CRLF becomes LF, so both give the same site. `too_big` is the hint for a file over
    the limit: what its owner can do about it depends on which file it is.
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
        raise SourceError([Problem(where, f"file is {info.st_size:,} bytes; the limit is {max_bytes:,}", too_big)])
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
