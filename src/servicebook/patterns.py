"""The regular expressions a command compiles, compiled once and kept beside the package's
bytecode, as methods.py keeps the dataclasses' methods. Imports nothing of ours.

`re.compile` parses a pattern and turns it into the matching engine's program in Python, in every
process, for every pattern: a command-line build compiles ~240 patterns as its modules load
(ours, markdown-it's, Jinja's lexer's), ~0.03 CPU s of a one-page rebuild's ~0.9 at 5,000 pages
(bench/README.md, cli18). Within a command's process (`compiled_once`, called before the
command's module is imported), `re`'s compiling of a pattern (the text and its flags) takes the
program made from that very pattern and those flags by this interpreter's `re`, read from the
file `regex-programs.<tag>.marshal` beside this module's bytecode (`__pycache__/`, or under
`sys.pycache_prefix`), and makes the pattern object of it at once (`_sre.compile`, the last step
of `re`'s own compiling, which checks the program it is given); only the patterns not found
there are compiled as `re` compiles them. At the process's exit the file is written again,
whole, with the programs it made, when it made more than a few (`_WRITE_AFTER`), unless Python
may not write bytecode (`-B`, PYTHONDONTWRITEBYTECODE) or the folder is not writable. A
pattern made from a kept program is the pattern `re` would have made: the same program
(patterns compare equal by it), the same groups and flags; only a warning `re`'s parser says of
a pattern's text (a FutureWarning of a nested set) is said where the pattern is first compiled,
not again by the processes that take its kept program.

The file is trusted as the package's bytecode is, being in the same folder and written by the
same processes. One that is not of this interpreter's bytecode and matching engine (their magic
numbers first), or not a mapping of patterns to programs, is ignored, and replaced at the exit; a
program the engine refuses is compiled again. It holds the programs of every command that ran
since its last start; past `_LIMIT` bytes it starts again from those of the process that writes it,
and a process whose own are past it writes nothing.
Where `re`'s compiler is not as this module knows it (another Python), nothing is kept: each
pattern is compiled as before.
"""

from __future__ import annotations

import atexit
import importlib
import importlib.util
import marshal
import os
import re
import sys
from pathlib import Path
from typing import Any

from servicebook import bytecode_files

_LIMIT = 1024 * 1024  # bytes of the file (~0.15 MB for one servicebook's build command)
# patterns a process must have compiled for its exit to write the file again: a few are new in
# every process (markdown-it joins a set's characters into one, in an order of the process's own
# string hashing; a link's text), and kept they would only rewrite and grow the file at every
# command; a command whose patterns are not kept (another servicebook's, a first `check`) compiles dozens
_WRITE_AFTER = 8
_HEADROOM = 64  # bytes of the header before the marshalled data, at most
_NAME = "regex-programs"

# a pattern's program: its flags as compiled (the pattern's own inline flags added), the engine's
# code, the number of its groups, its group names to numbers and its numbers to names
Program = tuple[int, list[int], int, dict[str, int], tuple[str | None, ...]]


def _engine() -> tuple[Any, Any, Any] | None:
    """`re`'s compiler, its parser and the matching engine, where they are as this module knows
    them (CPython 3.11 on); None elsewhere."""
    try:
        compiler = importlib.import_module("re._compiler")
        parser = importlib.import_module("re._parser")
        engine = importlib.import_module("_sre")
    except ImportError:
        return None
    if not all(callable(getattr(compiler, name, None)) for name in ("compile", "_code")):
        return None
    if not callable(getattr(parser, "parse", None)) or not callable(getattr(engine, "compile", None)):
        return None
    return compiler, parser, engine


def _header() -> bytes:
    """What the file starts with: this interpreter's bytecode magic number and its matching
    engine's (a program is of one engine)."""
    found = _engine()
    engine_magic = getattr(found[2], "MAGIC", 0) if found is not None else 0
    code_size = getattr(found[2], "CODESIZE", 0) if found is not None else 0
    return importlib.util.MAGIC_NUMBER + f"sre {engine_magic} {code_size}\n".encode()


def code_file() -> Path | None:
    """Where the programs are kept: beside this module's bytecode, None where this interpreter
    keeps no bytecode (no cache tag)."""
    path = bytecode_files.beside(__file__, _NAME, "marshal")
    return None if path is None else Path(path)


def _is_program(program: object) -> bool:
    """Whether `program` has the shape of a `Program` (the engine checks the code itself)."""
    if type(program) is not tuple or len(program) != 5:
        return False
    flags, code, groups, groupindex, indexgroup = program
    return (
        type(flags) is int
        and type(code) is list
        and type(groups) is int
        and type(groupindex) is dict
        and all(type(name) is str and type(number) is int for name, number in groupindex.items())
        and type(indexgroup) is tuple
        and all(name is None or type(name) is str for name in indexgroup)
    )


def _read(path: Path) -> dict[tuple[str | bytes, int], bytes]:
    """The programs kept in `path`, by pattern and flags, each as its marshalled bytes (made into
    a `Program` when its pattern is compiled: a long-running process, `serve`, holds the file's
    bytes, not ~26,000 ints in lists); none when the file is missing, of another interpreter or
    engine, or not what `_Programs.write` writes."""
    raw = bytecode_files.read_small(str(path), _LIMIT + _HEADROOM)
    if raw is None:
        return {}
    header = _header()
    if raw[: len(header)] != header:
        return {}
    try:
        kept = marshal.loads(raw[len(header) :])  # noqa: S302 - written by this module beside our bytecode (see above)
    except (EOFError, ValueError, TypeError):
        return {}
    if not isinstance(kept, dict):
        return {}
    for key, program in kept.items():
        if type(key) is not tuple or len(key) != 2 or type(key[0]) not in (str, bytes) or type(key[1]) is not int:
            return {}
        if type(program) is not bytes:
            return {}
    return kept


def _program(kept: bytes) -> Program | None:
    """A kept program, None when it is not of a `Program`'s shape."""
    try:
        program = marshal.loads(kept)  # noqa: S302 - as the file it was read from (see above)
    except (EOFError, ValueError, TypeError):
        return None
    return program if _is_program(program) else None


class _Programs:
    """`re`'s compiling of a pattern: its program taken from those kept, or made as `re` makes it
    and added to those to keep."""

    def __init__(self, path: Path | None, engine: tuple[Any, Any, Any]) -> None:
        self.path = path
        self.compiler, self.parser, self.engine = engine
        self.original = self.compiler.compile
        self.kept: dict[tuple[str | bytes, int], bytes] = _read(path) if path is not None else {}
        self.used: dict[tuple[str | bytes, int], bytes] = {}  # by this process: what a file past _LIMIT starts from
        self.compiled = 0  # patterns compiled by this process (not found kept)
        self.pid = os.getpid()

    def __call__(self, p: Any, flags: int = 0) -> Any:
        if type(p) not in (str, bytes) or not isinstance(flags, int) or flags & re.DEBUG:
            return self.original(p, flags)  # (a parsed pattern, or one whose compiling prints)
        flags = int(flags)  # (re passes a plain int; a RegexFlag is one)
        key = (p, flags)
        kept = self.kept.get(key)
        program = _program(kept) if kept is not None else None
        if kept is not None and program is not None:
            try:
                made = self.engine.compile(p, *program)
            except (RuntimeError, TypeError, ValueError, OverflowError):  # refused: compiled again below
                pass
            else:
                self.used[key] = kept
                return made
        # as re._compiler.compile makes it, its program kept
        try:
            parsed = self.parser.parse(p, flags)
            code = self.compiler._code(parsed, flags)
            groupindex = {str(name): int(number) for name, number in parsed.state.groupdict.items()}
            indexgroup: list[str | None] = [None] * parsed.state.groups
            for name, number in groupindex.items():
                indexgroup[number] = name
            # plain ints: the compiler's opcodes are an int subclass, which marshal does not write
            program = (
                int(flags | parsed.state.flags),
                list(map(int, code)),
                int(parsed.state.groups - 1),
                groupindex,
                tuple(indexgroup),
            )
            made = self.engine.compile(p, *program)
        except re.error:  # the pattern's own fault, said as re says it
            raise
        except Exception:  # re's compiler not as this module knows it: as re compiles it, not kept
            return self.original(p, flags)
        try:
            self.kept[key] = self.used[key] = marshal.dumps(program)
        except ValueError:  # (not expected: a program is made of plain values) not kept
            return made
        self.compiled += 1
        return made

    def write(self) -> None:
        """At the exit of the process that installed it: the file written again, whole, when
        this process compiled more than `_WRITE_AFTER` patterns and may write bytecode."""
        if self.path is None or self.compiled <= _WRITE_AFTER or sys.dont_write_bytecode or os.getpid() != self.pid:
            return
        data = marshal.dumps(self.kept)
        if len(data) > _LIMIT:
            data = marshal.dumps(self.used)
            if len(data) > _LIMIT:  # (a process compiling patterns made of its input, thousands of them)
                return
        bytecode_files.write_whole(str(self.path), _header() + data)


def compiled_once() -> None:
    """From now on in this process, each regular expression's program made once for all processes
    (see the module's docstring); what this process compiled is kept at its exit. Once a process,
    however many commands it runs (the tests'); nothing where `re`'s compiler is not as known."""
    engine = _engine()
    if engine is None or isinstance(engine[0].compile, _Programs):
        return
    programs = _Programs(code_file(), engine)
    engine[0].compile = programs  # a global of re._compiler: re's `_compile` calls it by the module's name
    atexit.register(programs.write)
