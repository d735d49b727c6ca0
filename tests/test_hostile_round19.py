"""Hostile inputs of 7 Dec 2026 (nineteenth round): what round 18 left (a character YAML's reader
refuses, said by libyaml as a count of bytes; a radar's oversized JSON read whole before its entries
were counted; a radar export killed mid-way), then what a wrong or malicious file still did."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from .test_hostile_round18 import _stopping


@pytest.mark.parametrize(
    ("where", "character", "shown", "message"),
    [
        ("catalog", "\x9b", "\\u009b", "control character U+009B is not allowed in YAML"),
        ("front matter", "\ufffe", "\\ufffe", "U+FFFE is not a character YAML allows"),
        ("import", "\x80", "\\u0080", "control character U+0080 is not allowed in YAML"),
    ],
)
def test_a_character_yamls_reader_refuses_is_said_at_its_line_and_column(
    run, site_copy, where: str, character: str, shown: str, message: str
) -> None:
    """A C1 control character (U+0080–U+009F: U+009B is a terminal's 8-bit CSI) or a noncharacter
    (U+FFFE, U+FFFF), which source/text.py lets through and YAML's reader refuses, was said as
    "position N" of libyaml's, a count of UTF-8 bytes from the start of the text it was given (for a
    page, its front matter): "catalog.yaml: error: invalid YAML: unacceptable character #x009b …
    position 163". It is said at its line and column, as every other refusal is, with what to do."""
    site = site_copy("minimal")
    if where == "catalog":
        path = site / "catalog.yaml"
        path.write_text(path.read_text().replace("  title: Platform services", f"  title: Platform é {character}"))
        args, shown_path, line, column = ["check", "--source", site], "catalog.yaml", 5, 21
    elif where == "front matter":
        path = site / "content" / "welcome.md"
        path.write_text(path.read_text().replace("title: How we work", f"title: How wé work{character}"))
        args, shown_path, line, column = ["check", "--source", site], "content/welcome.md", 2, 19
    else:
        path = site / "sloth.yaml"
        path.write_text(f'version: "prometheus/v1"\n# é\nservice: "ci{character}"\nslos: []\n')
        args, shown_path, line, column = ["import", "sloth", path], str(path), 3, 13

    result = run(*args)

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "position" not in result.stderr
    assert f"{shown_path}:{line}:{column}: error: {message}" in result.stderr
    assert shown in result.stderr  # the source line under it, the character escaped
    assert "hint: delete it" in result.stderr


@pytest.mark.parametrize("form", ["json", "yaml", "json of lists"])
def test_a_radar_past_its_bounds_is_refused_as_it_is_read_not_after(run, tmp_path: Path, form: str) -> None:
    """An 8 MB radar JSON of 177,000 entries was read whole (five CPU seconds, thirteen on a loaded
    machine) before its 10,000-entry limit refused it, and 8 MB of short lists within a list (four
    million values) took ten. The file is counted as it is read: the entry past the limit, or the
    value past a million, is the error, and what follows it is never read (here, a mistake at the
    end of the file that reading it whole finds first)."""
    radar = tmp_path / f"radar.{'yaml' if form == 'yaml' else 'json'}"
    if form == "json":
        entries = ",\n".join(f'{{"label": "t{i}", "quadrant": 0, "ring": 0}}' for i in range(20_000))
        radar.write_text(
            f'{{"quadrants": [{{"name": "Tools"}}], "rings": [{{"name": "ADOPT"}}], "entries": [\n{entries}, }}'
        )
        where, message = "10002:1", "more than 10,000 items in one list; the limit for a radar is 10,000, here"
    elif form == "yaml":
        entries = "".join(f"  - {{label: t{i}, quadrant: 0, ring: 0}}\n" for i in range(20_000))
        radar.write_text(f"quadrants: [{{name: Tools}}]\nrings: [{{name: ADOPT}}]\nentries:\n{entries}  - [\n")
        where, message = "10004:5", "more than 10,000 items in one list; the limit for a radar is 10,000, here"
    else:
        inner = "[" + ",".join(["0"] * 999) + "]"
        radar.write_text("[\n" + ",\n".join([inner] * 1_001) + ",\n}")
        # the outer list and 999 lists of 999 zeros are 999,001 values; list 1,000 is the next, and its
        # last zero (at column 1,998 of its line) the 1,000,001st
        where = "1001:1998"
        message = "more than 1,000,000 values (texts, numbers, lists and keys) in the file; the limit for a radar"

    result = run("import", "techradar", radar)

    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert f"{radar}:{where}: error: {message}" in result.stderr
    assert "hint: a radar holds at most 10,000 entries: split it" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ["export", "techradar", "--source", "{site}", "--format", "aoe", "--output", "{out}/aoe"],
        ["export", "backstage", "--source", "{site}", "--split", "{out}/backstage"],
        ["init", "{out}/new"],
    ],
    ids=["export-techradar-aoe", "export-backstage-split", "init"],
)
def test_a_set_of_files_killed_while_put_in_place_is_written_whole_by_the_next_run(
    run, site_copy, tmp_path: Path, args: list[str]
) -> None:
    """A command that writes several files writes each under a temporary name, then puts them in
    place one by one: SIGKILLed between two of them, it left the files put so far, and every later
    run refused ("… already exist; nothing was written"), for ever, until someone removed them by
    hand, knowing which. The next run removes what the killed one had put in place (each is still
    one of its temporary files under another name, and one of those was not yet in place) and
    writes the set whole; a set the killed run had put in place whole is kept."""
    site = site_copy("example")
    out, whole = tmp_path / "out", tmp_path / "whole"
    out.mkdir()
    whole.mkdir()

    def command(where: Path) -> list[str]:
        return [a.format(site=site, out=where) for a in args]

    counted = _stopping(command(whole), 0)
    done, err = counted.communicate(timeout=300)
    assert counted.returncode == 0, err
    new = _placed(whole)
    ops, files = int(done.split("ops ")[-1]), len(new)
    assert files >= 3
    # the last operations: each file linked in place, then each temporary file removed
    first_link, first_removal = ops - 2 * files + 1, ops - files + 1
    for n in (first_link + 1, first_link + files // 2, first_removal - 1, first_removal):
        for left in list(out.iterdir()):
            subprocess.run(["rm", "-rf", str(left)], check=True)
        child = _stopping(command(out), n)
        _, status = os.waitpid(child.pid, os.WUNTRACED)
        assert os.WIFSTOPPED(status), f"the command did not reach operation {n}: {child.communicate()}"
        os.kill(child.pid, signal.SIGKILL)
        child.communicate(timeout=60)
        placed = _placed(out)
        assert placed and all(new[name] == data for name, data in placed.items())

        again = run(*command(out))

        if placed == new:  # killed once every file was in place: the set is whole, and kept
            assert n == first_removal
            assert again.exit_code != 0 and "already" in again.stderr
        else:
            assert again.exit_code == 0, f"after a kill at operation {n} of {ops}: {again.output}"
        assert _placed(out) == new


def _placed(folder: Path) -> dict[str, bytes]:
    """The files under `folder` but the temporary files of a writer (`.NAME.PID-RANDOM.partial`)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not (p.name.startswith(".") and p.name.endswith(".partial"))
    }


CPU_SECONDS = 20  # for a check of the site below: it takes about 5 (on a loaded machine)


@pytest.mark.slow
def test_a_page_of_120000_headings_and_pages_linking_to_them_check_in_seconds(site_copy) -> None:
    """A policy page of 120,000 headings alike (`#`, one a line: 240 KB, under a page's limit)
    checked for hours: each heading's anchor was found by trying section-2, section-3 … from the
    start, and each anchor link the theme puts on a heading was looked for in a text of all the
    page's ids, as was each link from another page to one of them (10,000 a page, under the limit
    of `[`). Counted, each is one look-up now: the check runs under a CPU limit (of its own
    process, not the wall clock) that any one of them exceeded many times over."""
    site = site_copy("minimal")
    (site / "content" / "welcome.md").write_text("---\ntitle: How we work\n---\n" + "#\n" * 120_000)
    links = "".join(f"[x](welcome.md#section-{i})\n" for i in range(2, 9_002))
    for k in range(10):
        (site / "content" / f"other-{k}.md").write_text(f"---\ntitle: Other {k}\n---\n\n{links}")

    check = [sys.executable, "-m", "servicebook", "check", "--source", str(site)]
    done = subprocess.run(  # ulimit -t: the CPU seconds of the process, SIGXCPU past them
        ["sh", "-c", f'ulimit -t {CPU_SECONDS} && exec "$0" "$@"', *check],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "SERVICEBOOK_WORKERS": "1"},
    )

    assert done.returncode == 0, f"{done.returncode}: {done.stderr[-2000:]}"  # -SIGXCPU past the limit
    assert "no errors" in done.stdout + done.stderr


def test_thousands_of_problems_on_one_long_line_hold_what_they_show_not_the_line(site_copy) -> None:
    """9,000 links to a heading the page lacks, on one line of a paragraph (180 KB, under a page's
    limits), made 9,000 problems each holding that line, which the build's store encoded one copy
    each: 3.8 GB of memory for a check, a MemoryError (a traceback) where the job had less. A problem
    keeps the part of a long line it shows: the check runs in a gigabyte of address space, says
    each error at its column, and shows the same excerpt and caret as before."""
    site = site_copy("minimal")
    body = " ".join(f"[x](#missing-{i % 3})" for i in range(9_000))
    (site / "content" / "welcome.md").write_text(f"---\ntitle: How we work\n---\n\n{body}\n")
    check = [sys.executable, "-m", "servicebook", "check", "--source", str(site)]

    done = subprocess.run(  # ulimit -v: the address space of the process, in KiB
        ["sh", "-c", 'ulimit -v 1000000 && exec "$0" "$@"', *check],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "SERVICEBOOK_WORKERS": "1"},
    )

    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr, done.stderr[-2000:]
    assert done.returncode == 1
    assert done.stderr.endswith("check failed: 9000 errors.\n")
    last = 5 + 16 * 8_999  # the '#' of the last link: 16 characters a link, with its space
    excerpt = "…g-2) [x](#missing-0) [x](#missing-1) [x](#missing-2) [x](#missing-0) [x](#missing-1) [x](#missing-2)"
    said = f"content/welcome.md:5:{last}: error: broken link: page 'welcome' has no heading '#missing-2'\n"
    assert f"{said} 5 | {excerpt}\n   | {' ' * excerpt.rindex('#')}^\n" in done.stderr  # as before
