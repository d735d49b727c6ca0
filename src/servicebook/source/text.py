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
    wide = _wide_encoding(data)
    if wide is not None:  # read as UTF-8 it would be every other character a NUL, or invalid
        raise SourceError(
            [
                Problem(
                    SourceLocation(relative, 1, 1),
                    f"the file is {wide}, not UTF-8 (Windows PowerShell's `>` and Notepad's \"Unicode\" write UTF-16)",
                    "save it as UTF-8: in PowerShell `Out-File -Encoding utf8` or `Set-Content -Encoding utf8`, "
                    f"elsewhere `iconv -f {wide.split()[0]}{'LE' if 'little' in wide else 'BE'} -t UTF-8`",
                )
            ]
        )
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


def _wide_encoding(data: bytes) -> str | None:
    """ "UTF-16 (little-endian)" and the like when `data` starts as a text in UTF-16 or UTF-32 does:
    with its byte order mark, or (UTF-16 without one) with a NUL beside each of its first ASCII
    characters, which no UTF-8 text does."""
    for mark, name in _WIDE_MARKS:  # UTF-32's first: its little-endian mark starts as UTF-16's does
        if data.startswith(mark):
            return name
    head = data[:8]
    if len(head) == 8 and not any(head[1::2]) and all(0 < b < 0x80 for b in head[0::2]):
        return "UTF-16 (little-endian)"
    if len(head) == 8 and not any(head[0::2]) and all(0 < b < 0x80 for b in head[1::2]):
        return "UTF-16 (big-endian)"
    return None


_WIDE_MARKS = (
    (b"\xff\xfe\x00\x00", "UTF-32 (little-endian)"),
    (b"\x00\x00\xfe\xff", "UTF-32 (big-endian)"),
    (b"\xff\xfe", "UTF-16 (little-endian)"),
    (b"\xfe\xff", "UTF-16 (big-endian)"),
)


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
