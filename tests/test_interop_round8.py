"""Round 8 of the other projects' own files and of users' rough edges (interop8): what the imports
and `check --against` say of what they cannot carry over as it was, each at its line. Fixtures are
copied unchanged, with their source in tests/interop/fixtures/SOURCES.md; inline ones are written
after the file they cite."""

from __future__ import annotations

from pathlib import Path

import yaml

INTEROP = Path(__file__).parent / "interop" / "fixtures"
SITES = Path(__file__).parent / "sites"


def _import(run, fmt: str, *files: Path):
    result = run("import", fmt, *files)
    assert "Traceback" not in result.output
    return result


# --- radars -----------------------------------------------------------------------------------------


def test_an_empty_row_between_a_sheets_entries_is_named_at_its_line(run, tmp_path: Path) -> None:
    # a blank line or a row of separators between entries was passed over without a word: where an
    # entry was perhaps meant to be, or a row a spreadsheet emptied, the user could not tell
    file = tmp_path / "radar.csv"
    file.write_text(
        "\nname,ring,quadrant,isNew,description\nGo,Adopt,Languages,TRUE,x\n\n  \n,,,,\n"
        "Perl,Hold,Languages,FALSE,\n\n,,,,\n"
    )
    result = _import(run, "techradar", file)
    assert result.exit_code == 0, result.output
    assert [tool["name"] for tool in yaml.safe_load(result.stdout)["tools"]] == ["Go", "Perl"]
    said = "warning: skipped an empty row: it has no name, ring or quadrant, so no entry is read from it"
    assert f"{file}:4:1: {said}" in result.stderr
    assert f"{file}:5:1: {said}" in result.stderr  # spaces only
    assert f"{file}:6:1: {said}" in result.stderr
    # the file's last lines, after the last entry, hide nothing: not said
    assert f"{file}:8:1: " not in result.stderr and f"{file}:9:1: " not in result.stderr
