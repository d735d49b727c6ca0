"""The regular expressions a command compiles, their programs made once for all of a command's
processes and kept beside the package's bytecode (patterns.py): a second command compiles none of
them again, a pattern made from a kept program is the pattern `re` makes, and a damaged file, a
program the engine refuses, or a process that may not write bytecode changes nothing but the time."""

from __future__ import annotations

import importlib.util
import marshal
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from servicebook import patterns

# a command of the program in a process of its own, its programs kept in the file named first;
# prints how many patterns it compiled (the rest were made from kept programs). It runs with
# bytecode writing off (no .pyc written into the checkout), and turns it on before its exit when
# told to (as in a process that may write bytecode: what patterns.py asks at the exit)
_COMMAND = (
    "import re, sys, pathlib\n"
    "import servicebook.patterns\n"
    "servicebook.patterns.code_file = lambda: pathlib.Path(sys.argv[1])\n"
    "from servicebook.cli import main\n"
    "main(['schema'], standalone_mode=False)\n"
    "print('compiled', re._compiler.compile.compiled, file=sys.stderr)\n"
    "sys.dont_write_bytecode = sys.argv[2] != 'may write'\n"
)


def _run(folder: Path, *, may_write: bool = True) -> int:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", _COMMAND, str(_kept_file(folder)), "may write" if may_write else "may not"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    compiled = [line for line in done.stderr.splitlines() if line.startswith("compiled ")]
    assert len(compiled) == 1, done.stderr
    return int(compiled[0].split()[1])


def _kept_file(folder: Path) -> Path:
    return folder / "__pycache__" / "patterns.marshal"


def test_the_programs_are_kept_beside_the_packages_bytecode() -> None:
    beside = Path(importlib.util.cache_from_source(patterns.__file__)).parent
    assert patterns.code_file() == beside / f"regex-programs.{sys.implementation.cache_tag}.marshal"


def test_a_second_command_compiles_none_of_the_patterns_the_first_compiled(tmp_path) -> None:
    first = _run(tmp_path)
    assert first > 20  # `schema`'s modules' patterns: ~60 of them (a build's: ~240)
    kept = _kept_file(tmp_path)
    assert kept.read_bytes().startswith(importlib.util.MAGIC_NUMBER)
    assert _run(tmp_path) == 0


def test_a_process_that_may_not_write_bytecode_keeps_nothing(tmp_path) -> None:
    assert _run(tmp_path, may_write=False) > 20
    assert not _kept_file(tmp_path).exists()
    assert _run(tmp_path) > 20  # nothing was kept: the first that may write compiles them all
    assert _run(tmp_path, may_write=False) == 0  # and one that may not still reads what is kept


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"not bytecode at all",
        patterns._header(),  # the header alone
        patterns._header() + marshal.dumps({("a+", 0): 3}),  # a pattern mapped to no program
        patterns._header() + marshal.dumps({"a+": marshal.dumps((32, [1], 0, {}, ()))}),  # a key without its flags
        patterns._header() + marshal.dumps({("a+", 0): (32, [1], 0, {}, ())}),  # a program not kept as its bytes
        patterns._header() + marshal.dumps(["a list"]),
        b"\x00\x00\r\n" + patterns._header()[4:] + marshal.dumps({}),  # another interpreter's magic number
        importlib.util.MAGIC_NUMBER + b"sre 1 4\n" + marshal.dumps({}),  # another matching engine's
    ],
    ids=[
        "empty",
        "not bytecode",
        "the header alone",
        "a pattern mapped to no program",
        "a key without its flags",
        "a program not kept as its bytes",
        "a list",
        "another magic number",
        "another engine",
    ],
)
def test_a_damaged_file_of_kept_programs_is_ignored_and_written_again(tmp_path, damage) -> None:
    kept = _kept_file(tmp_path)
    kept.parent.mkdir()
    kept.write_bytes(damage)
    assert patterns._read(kept) == {}
    compiled = _run(tmp_path)
    assert compiled > 20
    assert len(patterns._read(kept)) == compiled  # what it compiled, written in its place


_PATTERNS = [
    (r"(?P<slug>[a-z0-9-]+)\.md(?:#(?P<anchor>[^\s]*))?$", 0),
    (r"(?i)héllo\s+wörld", 0),
    (r"^[ ]*(?:-[ ]+)?(review_by)[ ]*:", re.MULTILINE),
    (r"<!--.*?-->|\[(\d+)\]", re.DOTALL | re.VERBOSE),
    (rb"\x00+(ab|cd)*(?=z)", 0),
    (r"(a)(b)?(?(2)c|d)", re.ASCII),
]


def _made_by_re(pattern: str | bytes, flags: int) -> re.Pattern:  # type: ignore[type-arg]
    re.purge()
    return re._compiler.compile(pattern, flags)  # type: ignore[attr-defined]


def test_a_pattern_made_from_a_kept_program_is_the_pattern_re_makes(tmp_path) -> None:
    engine = patterns._engine()
    assert engine is not None
    first = patterns._Programs(None, engine)
    made_here = {key: first(*key) for key in _PATTERNS}
    assert first.compiled == len(_PATTERNS)
    path = tmp_path / "kept.marshal"
    path.write_bytes(patterns._header() + marshal.dumps(first.kept))
    again = patterns._Programs(path, engine)
    for key in _PATTERNS:
        plain, from_kept = _made_by_re(*key), again(*key)
        for made in (from_kept, made_here[key]):
            assert made == plain, key  # the same program (a pattern compares by it), text and flags
            assert (made.pattern, made.flags, made.groups, made.groupindex) == (
                plain.pattern,
                plain.flags,
                plain.groups,
                plain.groupindex,
            )
    assert again.compiled == 0
    text = "Hello  wörld: see other-page.md#scope, [12] <!-- a\ncomment -->"
    one = again(r"(?P<slug>[a-z0-9-]+)\.md(?:#(?P<anchor>[^\s]*))?$", 0)
    assert one.search("see other-page.md#scope").groupdict() == {"slug": "other-page", "anchor": "scope"}
    assert again(r"(?i)héllo\s+wörld", 0).match(text.replace("o ", "é "), 0) is None
    assert again(r"(?i)héllo\s+wörld", 0).search("HÉLLO wörld") is not None
    assert again(rb"\x00+(ab|cd)*(?=z)", 0).match(b"\x00\x00abcdz").group(1) == b"cd"


def test_a_kept_program_the_engine_refuses_is_compiled_again(tmp_path) -> None:
    engine = patterns._engine()
    assert engine is not None
    path = tmp_path / "kept.marshal"
    forged = {("a+b", 0): marshal.dumps((32, [999, 999, 999], 0, {}, ()))}  # no opcode 999: the engine checks its code
    path.write_bytes(patterns._header() + marshal.dumps(forged))
    programs = patterns._Programs(path, engine)
    assert ("a+b", 0) in programs.kept
    made = programs("a+b", 0)
    assert made == _made_by_re("a+b", 0)
    assert made.fullmatch("aab") is not None
    assert programs.compiled == 1
    assert programs.kept[("a+b", 0)] != forged[("a+b", 0)]  # the program made again is kept instead


@pytest.mark.parametrize(
    "program",
    [(32, [1], 0, {"x": "one"}, ()), (32, [1], 0), "not a program", (32, (1,), 0, {}, ())],
    ids=["a group numbered by a text", "cut short", "a text", "its code a tuple"],
)
def test_a_kept_program_of_another_shape_is_compiled_again(tmp_path, program) -> None:
    engine = patterns._engine()
    assert engine is not None
    path = tmp_path / "kept.marshal"
    path.write_bytes(patterns._header() + marshal.dumps({("(x)y", 0): marshal.dumps(program)}))
    programs = patterns._Programs(path, engine)
    assert ("(x)y", 0) in programs.kept
    assert programs("(x)y", 0) == _made_by_re("(x)y", 0)
    assert programs.compiled == 1


def test_a_process_that_compiled_only_a_few_patterns_leaves_the_file_as_it_was(tmp_path, monkeypatch) -> None:
    # (a few are new in every process: markdown-it's set of characters joined in the process's own order)
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    engine = patterns._engine()
    assert engine is not None
    path = tmp_path / "kept.marshal"
    programs = patterns._Programs(path, engine)
    for n in range(patterns._WRITE_AFTER):
        programs(f"a{{{n + 1}}}b", 0)
    programs.write()
    assert not path.exists()
    programs(r"c+", 0)
    programs.write()
    assert set(patterns._read(path)) == {*((f"a{{{n + 1}}}b", 0) for n in range(patterns._WRITE_AFTER)), ("c+", 0)}
    again = patterns._Programs(path, engine)
    again(r"d+", 0)
    again.write()
    assert ("d+", 0) not in patterns._read(path)


def test_the_file_starts_again_past_its_limit_and_a_process_past_it_alone_writes_nothing(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    engine = patterns._engine()
    assert engine is not None
    path = tmp_path / "kept.marshal"
    first = patterns._Programs(path, engine)
    for n in range(40):
        first(f"x{{{n + 1}}}", 0)
    first.write()
    size = path.stat().st_size
    monkeypatch.setattr(patterns, "_LIMIT", size + 100)
    second = patterns._Programs(path, engine)
    for n in range(20):
        second(f"y{{{n + 1}}}", 0)
    second("x{1}", 0)
    second.write()  # all of them past the limit: those this process used alone
    assert set(patterns._read(path)) == {("x{1}", 0), *((f"y{{{n + 1}}}", 0) for n in range(20))}
    third = patterns._Programs(path, engine)
    for n in range(80):
        third(f"z{{{n + 1}}}", 0)
    before = path.read_bytes()
    third.write()  # its own past the limit too: the file left as it was
    assert path.read_bytes() == before


class _OtherEngine:
    """A matching engine whose `compile` takes other arguments than the engine patterns.py knows."""

    @staticmethod
    def compile(*args: object) -> object:
        raise TypeError("compile() takes exactly 7 arguments")


def test_an_engine_not_as_known_leaves_each_pattern_compiled_as_re_compiles_it() -> None:
    engine = patterns._engine()
    assert engine is not None
    programs = patterns._Programs(None, (engine[0], engine[1], _OtherEngine()))
    assert programs(r"(?P<id>[a-z]+)", 0) == _made_by_re(r"(?P<id>[a-z]+)", 0)
    assert programs.compiled == 0 and programs.kept == {}
    with pytest.raises(re.error, match="missing \\)"):
        programs(r"(unclosed", 0)


def test_a_parsed_pattern_or_a_debug_compile_is_compiled_as_re_compiles_it() -> None:
    engine = patterns._engine()
    assert engine is not None
    programs = patterns._Programs(None, engine)
    assert programs(r"x+", re.DEBUG) == _made_by_re(r"x+", re.DEBUG)
    assert programs.compiled == 0 and programs.kept == {}


def test_the_command_line_takes_res_compiling_once_a_process() -> None:
    compiler = re._compiler  # type: ignore[attr-defined]
    before = compiler.compile
    try:
        patterns.compiled_once()
        installed = compiler.compile
        patterns.compiled_once()
        assert compiler.compile is installed
        assert isinstance(installed, patterns._Programs)
    finally:
        compiler.compile = before
