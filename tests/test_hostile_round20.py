"""Hostile inputs of 7 Dec 2026 (twentieth round): what round 19 left (a C1 control written as an
escape, "did you mean" against every known name for every unknown one, the other imports read whole
before their bounds, a member's hostile git repository), then what a wrong or malicious file still
did."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.parametrize(
    ("where", "written", "message"),
    [
        ("catalog", "\\x9b[31m", "control character U+009B, written as an escape, is not allowed"),
        ("catalog", "\\u0080", "control character U+0080, written as an escape, is not allowed"),
        ("catalog", "\\uFFFE", "noncharacter U+FFFE, written as an escape, is not allowed"),
        ("front matter", "\\x9b", "control character U+009B, written as an escape, is not allowed"),
        ("radar JSON", "\\u009b", "control character U+009B, written as an escape, is not allowed"),
    ],
)
def test_a_c1_control_written_as_an_escape_is_refused_at_its_line_and_column(
    run, site_copy, tmp_path: Path, where: str, written: str, message: str
) -> None:
    """Round 19 refused a C1 control (U+0080–U+009F; U+009B is a terminal's 8-bit CSI) written in
    the file, at its line and column; written as an escape in a double-quoted value (`"\\x9b[31m"`)
    it passed, and the site's title in every page and catalog.json held it. It is refused as the
    escaped ASCII controls are, located, and nothing is written."""
    site = site_copy("minimal")
    if where == "catalog":
        path = site / "catalog.yaml"
        path.write_text(path.read_text().replace("  title: Platform services", f'  title: "Platform {written}"'))
        args, shown, line, column = ["build", "--source", site], "catalog.yaml", 5, 10
    elif where == "front matter":
        path = site / "content" / "welcome.md"
        path.write_text(path.read_text().replace("title: How we work", f'title: "How we {written}work"'))
        args, shown, line, column = ["build", "--source", site], "content/welcome.md", 2, 8
    else:
        path = tmp_path / "radar.json"
        path.write_text(
            '{"quadrants": [{"name": "Tools"}], "rings": [{"name": "ADOPT"}],\n'
            f' "entries": [{{"label": "ci{written}", "quadrant": 0, "ring": 0}}]}}\n'
        )
        args, shown, line, column = ["import", "techradar", path], str(path), 2, 24

    result = run(*args)

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"{shown}:{line}:{column}: error: {message}" in result.stderr
    assert "hint: delete the escape" in result.stderr
    assert not (site / "public").exists()


@pytest.mark.parametrize(
    ("fmt", "form"),
    [
        ("backstage", "json list"),
        ("backstage", "json values"),
        ("sloth", "yaml list"),
        ("openslo", "yaml documents"),
        ("pyrra", "yaml list"),
    ],
)
def test_an_import_past_its_bounds_is_refused_as_it_is_read_not_after(run, tmp_path: Path, fmt: str, form: str) -> None:
    """Round 19 counted a radar as it was read; the other imports (Backstage's JSON or YAML, Sloth,
    OpenSLO, Pyrra) still read a file of up to 8 MB whole into located nodes: 8 MB of lists of
    zeros as a Backstage file took 12.8 CPU s and 790 MB before it was refused as no entity. The
    file is counted as it is read: the list item past 100,000, or the value past a million, is the
    error, located, saying the limit and what to do, and what follows it is never read (here, a
    mistake at the end of the file that reading it whole finds first)."""
    path = tmp_path / f"input.{'json' if form.startswith('json') else 'yaml'}"
    if form == "json list":
        path.write_text("[\n" + ",\n".join(["0"] * 100_001) + ",\n}")
        where, message = "100002:1", "more than 100,000 items in one list; the limit for an import is 100,000, here"
    elif form == "json values":
        inner = "[" + ",".join(["0"] * 999) + "]"
        path.write_text("[\n" + ",\n".join([inner] * 1_001) + ",\n}")
        where = "1001:1998"  # as a radar's (test_hostile_round19): the 1,000,001st value
        message = "more than 1,000,000 values (texts, numbers, lists and keys) in the file; the limit for an import"
    elif form == "yaml list":
        head = 'version: "prometheus/v1"\nservice: ci\nslos:\n' if fmt == "sloth" else "items:\n"
        path.write_text(head + "".join("  - 0\n" for _ in range(100_001)) + "  - [\n")
        where = f"{100_001 + head.count(chr(10))}:5"
        message = "more than 100,000 items in one list; the limit for an import is 100,000, here"
    else:  # documents of 200 values each: a mapping, its 3 keys, 2 values, the metadata's mapping, 2 keys,
        # a name and a list of 189 labels
        labels = ", ".join(["1"] * 189)
        doc = f"---\napiVersion: openslo/v1\nkind: Service\nmetadata:\n  name: a\n  labels: [{labels}]\n"
        path.write_text(doc * 5_002 + "---\n[\n")
        # 5,000 documents are a million values: the next is document 5,001's mapping, on its line 2
        where = f"{6 * 5_000 + 2}:1"
        message = "more than 1,000,000 values (texts, numbers, lists and keys) in the file; the limit for an import"

    result = run("import", fmt, path)

    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.output
    assert f"{path}:{where}: error: {message}" in result.stderr
    assert "hint: split the file (one service, system or namespace a file) and import each" in result.stderr
