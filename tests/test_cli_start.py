"""What the command line pays before it looks at a page (the patterns and modules it imports) and
after its command is done (the interpreter's exit)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from servicebook.source import yaml as located

# every code point, lone surrogates too: a class is the characters it takes out of this
EVERY_CHARACTER = "".join(map(chr, range(0x110000)))


def test_front_matter_classes_hold_the_characters_written_out_in_char() -> None:
    # Written as what they leave out, the quick front-matter reading's classes still take exactly
    # the ASCII they name and every character of _CHAR (printable, no BOM, no surrogate).
    char = located._CHAR
    written_out = {
        located._FIRST: f"[0-9A-Za-z{char}]",
        located._PLAIN_ON: f"[0-9A-Za-z{char} ._,/()'+-]",
        located._PLAIN_END: f"[0-9A-Za-z{char}._,/()'+-]",
        located._ITEM_ON: f"[0-9A-Za-z{char} ._/()'+-]",
        located._ITEM_END: f"[0-9A-Za-z{char}._/()'+-]",
        located._DOUBLE[2:-3]: f"[ !#-\\[\\]-~{char}]",
        located._SINGLE[2:-3]: f"[ -&(-~{char}]",
    }
    for negated, positive in written_out.items():
        assert negated.startswith("[^")
        assert re.sub(negated, "", EVERY_CHARACTER) == re.sub(positive, "", EVERY_CHARACTER), positive


def test_importing_the_yaml_reader_walks_no_wide_range_of_characters() -> None:
    # `re` compiles a class by marking each code point of its ranges in a table, one at a time:
    # ranges spanning most of the BMP cost ~30 ms of CPU at every start of the program. The
    # compiler is made to refuse a range of over 4,096 characters while source/yaml.py's
    # patterns are compiled (what it imports is imported first: PyYAML's own reader has one).
    code = (
        "import re._compiler as compiler, re._constants as c\n"
        "import yaml, click, servicebook.errors, servicebook.source.hints, servicebook.source.text\n"
        "optimize = compiler._optimize_charset\n"
        "def refuse_wide(charset, *args, **kwargs):\n"
        "    for op, av in charset:\n"
        "        if op is c.RANGE and av[1] - av[0] > 4096:\n"
        "            raise AssertionError(f'a range of {av[1] - av[0]:,} characters compiled')\n"
        "    return optimize(charset, *args, **kwargs)\n"
        "compiler._optimize_charset = refuse_wide\n"
        "import servicebook.source.yaml\n"
        "print('imported')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True)
    assert done.stdout == "imported\n", done.stderr


# Registered before the command line runs, so run after its exit handlers (last in, first out):
# whether the interpreter's last collections, which come after every handler, have anything left
# to walk.
_AT_EXIT = """
import atexit, gc, json, sys
atexit.register(lambda: print("frozen at exit:", gc.get_freeze_count() > 0, flush=True))
from servicebook.cli import main
for args in json.loads(sys.argv[1]):
    try:
        main(args)
    except SystemExit as exc:
        print("exit:", exc.code, flush=True)
"""


def test_a_command_leaves_the_interpreters_last_collections_nothing_to_walk(site_copy, tmp_path: Path) -> None:
    # Freeing every module, function and class one by one at the interpreter's exit is work the
    # process's end does at once (bench/README.md, "the interpreter's exit"). The build still
    # writes its site and says so, and a command that fails keeps its status.
    site = site_copy("minimal")
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1790000000", "XDG_CACHE_HOME": str(tmp_path / "cache")}
    (tmp_path / "empty").mkdir()  # no catalog.yaml: the check fails
    commands = [["build", "--source", str(site)], ["check", "--source", str(tmp_path / "empty")]]
    done = subprocess.run(
        [sys.executable, "-c", _AT_EXIT, json.dumps(commands)], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-3:] == ["exit: 0", "exit: 1", "frozen at exit: True"], done.stdout + done.stderr
    assert any(line.startswith("Built ") for line in lines)
    assert (site / "public/index.html").exists()
