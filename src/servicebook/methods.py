"""The methods `dataclasses` generates for each class (`__init__`, `__repr__`, `__eq__`, `__hash__`,
a frozen class's `__setattr__` …), compiled once and kept beside the package's bytecode, as the
interpreter keeps each module's. Imports nothing of ours.

`dataclasses` writes each method's source and compiles it with the built-in `exec`, in every
process, for every class: a command-line build imports ~180 dataclasses, whose ~1,000 methods'
compiling was ~0.09 CPU s of a one-page rebuild's ~1.0 at 5,000 pages (bench/README.md, cli16).
Within a command's process (`compiled_once`, called before the command's module is imported),
the `exec` that `dataclasses` calls takes, for a source text, the code object compiled from that
very text by this interpreter, read from the file `dataclass-methods.<tag>.marshal` beside this
module's bytecode (`__pycache__/`, or under `sys.pycache_prefix`), and compiles only the texts not
found there; at the process's exit the file is written again, whole, with the ones compiled,
unless Python may not write bytecode (`-B`, PYTHONDONTWRITEBYTECODE) or the folder is not
writable. What runs is what `dataclasses` would have run: the same text compiled the same way
(no future flags inherited, as its own `exec` compiles it), keyed by the whole text.

The file is trusted as the package's bytecode is, being in the same folder and written by the
same processes. One that is not of this interpreter's bytecode (its magic number first) or not a
mapping of texts to code objects is ignored, and replaced at the exit. It holds the texts of every
command that ran since its last start; past `_LIMIT` bytes it starts again from those of the
process that writes it (a new servicebook's classes' texts replace the old ones' in time).
"""

from __future__ import annotations

import atexit
import builtins
import dataclasses
import importlib.util
import marshal
import os
import sys
import types
from pathlib import Path
from typing import Any

from servicebook import bytecode_files

_LIMIT = 4 * 1024 * 1024  # bytes of the file (~1 MB for one servicebook's build command)
_HEADROOM = 64  # bytes of the header before the marshalled data, at most
_NAME = "dataclass-methods"


def code_file() -> Path | None:
    """Where the compiled methods are kept: beside this module's bytecode, None where this
    interpreter keeps no bytecode (no cache tag)."""
    path = bytecode_files.beside(__file__, _NAME, "marshal")
    return None if path is None else Path(path)


def _read(path: Path) -> dict[str, types.CodeType]:
    """The compiled methods kept in `path`, by their source text; none when the file is missing,
    of another interpreter's bytecode, or not what `_Methods.write` writes."""
    raw = bytecode_files.read_small(str(path), _LIMIT + _HEADROOM)
    if raw is None:
        return {}
    magic = importlib.util.MAGIC_NUMBER
    if raw[: len(magic)] != magic:
        return {}
    try:
        kept = marshal.loads(raw[len(magic) :])  # noqa: S302 - written by this module beside our bytecode (see above)
    except (EOFError, ValueError, TypeError):
        return {}
    if not isinstance(kept, dict) or not all(
        type(text) is str and type(code) is types.CodeType for text, code in kept.items()
    ):
        return {}
    return kept


class _Methods:
    """`dataclasses`' `exec`: a source text's code object taken from those kept, or compiled and
    added to those to keep."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.kept: dict[str, types.CodeType] = _read(path) if path is not None else {}
        self.used: dict[str, types.CodeType] = {}  # by this process: what a file past _LIMIT starts from
        self.compiled = 0  # texts compiled by this process (not found kept)
        self.pid = os.getpid()

    def __call__(self, source: Any, globals: Any = None, locals: Any = None, /) -> None:
        if globals is None:  # exec's own default, which would otherwise be this frame's
            frame = sys._getframe(1)
            globals, locals = frame.f_globals, frame.f_locals if locals is None else locals
        if type(source) is str:
            code = self.kept.get(source)
            if code is None:
                # as `exec` compiles a text: no future statement of the caller's (dataclasses has none)
                code = self.kept[source] = compile(source, "<string>", "exec", dont_inherit=True)
                self.compiled += 1
            self.used[source] = code
            source = code
        builtins.exec(source, globals, locals)  # noqa: S102 - dataclasses' own call, its own text

    def write(self) -> None:
        """At the exit of the process that installed it: the file written again, whole, when
        this process compiled anything and may write bytecode."""
        if self.path is None or not self.compiled or sys.dont_write_bytecode or os.getpid() != self.pid:
            return
        magic = importlib.util.MAGIC_NUMBER
        data = marshal.dumps(self.kept)
        if len(data) > _LIMIT:
            data = marshal.dumps(self.used)
        bytecode_files.write_whole(str(self.path), magic + data)


def compiled_once() -> None:
    """From now on in this process, each dataclass's methods compiled once for all processes
    (see the module's docstring); what this process compiled is kept at its exit. Once a process,
    however many commands it runs (the tests')."""
    if isinstance(getattr(dataclasses, "exec", None), _Methods):
        return
    methods = _Methods(code_file())
    dataclasses.exec = methods  # type: ignore[attr-defined]  # a global of the module: its calls to `exec` take it
    atexit.register(methods.write)
