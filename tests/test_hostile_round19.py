"""Hostile inputs of 7 Dec 2026 (nineteenth round): what round 18 left (a character YAML's reader
refuses, said by libyaml as a count of bytes; a radar's oversized JSON read whole before its entries
were counted; a radar export killed mid-way), then what a wrong or malicious file still did."""

from __future__ import annotations

import pytest


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
