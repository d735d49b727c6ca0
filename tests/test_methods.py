"""The methods `dataclasses` generates, compiled once for all of a command's processes and kept
beside the package's bytecode (methods.py): a second command compiles none of them again, the
classes made from kept code are the classes made without it, and a damaged file, or a process
that may not write bytecode, changes nothing but the time."""

from __future__ import annotations

import dataclasses
import importlib.util
import marshal
import os
import subprocess
import sys
from pathlib import Path

import pytest

from servicebook import methods

# a command of the program in a process of its own, its methods kept in the file named first;
# prints how many of its dataclasses' methods' source texts it compiled (the rest were kept). It
# runs with bytecode writing off (no .pyc written into the checkout), and turns it on before its
# exit when told to (as in a process that may write bytecode: what methods.py asks at the exit)
_COMMAND = (
    "import dataclasses, sys, pathlib\n"
    "import servicebook.methods\n"
    "servicebook.methods.code_file = lambda: pathlib.Path(sys.argv[1])\n"
    "from servicebook.cli import main\n"
    "main(['schema'], standalone_mode=False)\n"
    "print('compiled', dataclasses.exec.compiled, file=sys.stderr)\n"
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
    return folder / "__pycache__" / "methods.marshal"


def test_the_methods_are_kept_beside_the_packages_bytecode() -> None:
    beside = Path(importlib.util.cache_from_source(methods.__file__)).parent
    assert methods.code_file() == beside / f"dataclass-methods.{sys.implementation.cache_tag}.marshal"


def test_a_second_command_compiles_none_of_the_dataclasses_methods_the_first_compiled(tmp_path) -> None:
    first = _run(tmp_path)
    assert first > 100  # the model's classes: ~40 of them, four to six methods each
    kept = _kept_file(tmp_path)
    assert kept.read_bytes().startswith(importlib.util.MAGIC_NUMBER)
    assert _run(tmp_path) == 0


def test_a_process_that_may_not_write_bytecode_keeps_nothing(tmp_path) -> None:
    assert _run(tmp_path, may_write=False) > 100
    assert not _kept_file(tmp_path).exists()
    assert _run(tmp_path) > 100  # nothing was kept: the first that may write compiles them all
    assert _run(tmp_path, may_write=False) == 0  # and one that may not still reads what is kept


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"not bytecode at all",
        importlib.util.MAGIC_NUMBER,  # the header alone
        importlib.util.MAGIC_NUMBER + marshal.dumps({"def f(): pass": 3}),  # a text mapped to no code
        importlib.util.MAGIC_NUMBER + marshal.dumps(["a list"]),
        b"\x00\x00\r\n" + marshal.dumps({}),  # another interpreter's magic number
    ],
    ids=["empty", "not bytecode", "the header alone", "a text mapped to no code", "a list", "another magic number"],
)
def test_a_damaged_file_of_kept_methods_is_ignored_and_written_again(tmp_path, damage) -> None:
    kept = _kept_file(tmp_path)
    kept.parent.mkdir()
    kept.write_bytes(damage)
    assert methods._read(kept) == {}
    compiled = _run(tmp_path)
    assert compiled > 100
    assert len(methods._read(kept)) == compiled  # what it compiled, written in its place


def test_a_text_taken_kept_runs_as_its_own_compiling_would(tmp_path) -> None:
    # classes made twice from one definition, once through `exec` as dataclasses calls it and once
    # through methods kept by an earlier process: the same code, the same behaviour
    made = methods._Methods(None)

    def define(exec_: object) -> type:
        before = dataclasses.__dict__.get("exec")
        dataclasses.exec = exec_  # type: ignore[attr-defined]
        try:

            @dataclasses.dataclass(frozen=True, slots=True)
            class Offering:
                ident: str
                tier: int = 2
                owners: tuple[str, ...] = ()

            return Offering
        finally:
            if before is None:
                del dataclasses.exec  # type: ignore[attr-defined]
            else:
                dataclasses.exec = before  # type: ignore[attr-defined]

    compiled_here = define(made)
    assert made.compiled == 6  # __init__, __repr__, __eq__, __setattr__, __delattr__, __hash__
    path = tmp_path / "kept.marshal"
    path.write_bytes(importlib.util.MAGIC_NUMBER + marshal.dumps(made.kept))
    again = methods._Methods(path)
    from_kept = define(again)
    assert again.compiled == 0
    plain = define(exec)
    for name in ("__init__", "__repr__", "__eq__", "__setattr__", "__delattr__", "__hash__"):
        code = getattr(plain, name).__code__
        assert getattr(from_kept, name).__code__ == code, name
        assert getattr(compiled_here, name).__code__ == code, name
    one, same, other = from_kept("ci", 1, ("a",)), from_kept("ci", 1, ("a",)), from_kept("ci")
    assert one == same and one != other and hash(one) == hash(same)
    assert repr(other) == repr(plain("ci")).replace(plain.__qualname__, from_kept.__qualname__)
    with pytest.raises(dataclasses.FrozenInstanceError):
        one.tier = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        from_kept()  # type: ignore[call-arg]


def test_the_command_line_takes_dataclasses_exec_once_a_process() -> None:
    before = dataclasses.__dict__.get("exec")
    try:
        methods.compiled_once()
        installed = dataclasses.exec  # type: ignore[attr-defined]
        methods.compiled_once()
        assert dataclasses.exec is installed  # type: ignore[attr-defined]
        assert isinstance(installed, methods._Methods)
    finally:
        if before is None:
            dataclasses.__dict__.pop("exec", None)
        else:
            dataclasses.exec = before  # type: ignore[attr-defined]
