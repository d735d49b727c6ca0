"""The imports' inputs as users' real files and shells give them: Build-Your-Own-Radar's CSV sheet
(quoted HTML, a spreadsheet's BOM and CRLF), `-` for standard input, a folder where a file was
meant, radar entries whose ids clash, Backstage owners that end in the same name."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from servicebook.cli import main
from servicebook.interop import fragment

INTEROP = Path(__file__).parent / "interop" / "fixtures"
SHEET = INTEROP / "byor-sheet.csv"


def run_with_stdin(env: dict[str, str], data: bytes, *args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], input=data, env=env, catch_exceptions=False)


# --- Build-Your-Own-Radar's CSV sheet ------------------------------------------------------------


def test_a_build_your_own_radar_sheet_imports_its_rows_with_their_html_as_text(run) -> None:
    # the layout of BYOR's spec/end_to_end_tests/resources/sheet.csv (SOURCES.md): quoted HTML with
    # doubled quotes, "Languages & Frameworks", and one row twice, as that sheet has Delta Lake
    result = run("import", "techradar", SHEET)
    assert result.exit_code == 0, result.output
    fragment_ = yaml.safe_load(result.stdout)
    assert [c["name"] for c in fragment_["categories"]] == [
        "Techniques",
        "Platforms",
        "Languages & Frameworks",
        "Tools",
    ]
    tools = {t["id"]: t for t in fragment_["tools"]}
    assert list(tools) == [
        "path-to-production-mapping",
        "dragonfly",
        "io-ts",
        "carbon",
        "delta-lake",
        "great-expectations",
    ]
    assert [tools[t]["status"] for t in ("dragonfly", "carbon", "delta-lake")] == [
        "best-effort",
        "unsupported",
        "supported",
    ]
    assert tools["path-to-production-mapping"]["reason"] == (
        "We map the steps from a developer's workstation to production, in a workshop around a shared board "
        "(see value-stream mapping (https://en.wikipedia.org/wiki/Value-stream_mapping)).\n\nIt shows delays & risks."
    )
    assert f"{SHEET}:2:50: warning: guessed entry 'Path-to-production mapping': reason as the text of its HTML" in (
        result.stderr
    )
    assert (
        f"{SHEET}:7:1: warning: skipped entry 'Delta Lake': the same title, quadrant and ring as the entry at line 6"
    ) in result.stderr
    assert f"{SHEET}:2:1: warning: dropped entry 'Path-to-production mapping': 'isNew'" in result.stderr
    assert [line for line in result.stderr.splitlines() if f"{SHEET}:7:" in line] == [  # the repeat: only that
        f"{SHEET}:7:1: warning: skipped entry 'Delta Lake': the same title, quadrant and ring as the entry at line 6"
    ]
    assert "for 6 entries: the radar gives no date" in result.stderr
    assert "Traceback" not in result.output


def test_a_sheet_saved_by_a_spreadsheet_with_a_bom_crlf_and_the_status_column_reads_the_same(
    run, tmp_path: Path
) -> None:
    # Excel's "CSV UTF-8" starts with a BOM and ends lines with CRLF; BYOR's newer sheets add `status`
    lines = SHEET.read_text().splitlines()
    rows = ["name,ring,quadrant,isNew,status,description"] + [
        ",".join([*line.split(",", 4)[:4], "New", line.split(",", 4)[4]]) for line in lines[1:]
    ]
    file = tmp_path / "radar.csv"
    file.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(rows).encode() + b"\r\n")
    result, plain = run("import", "techradar", file, "--all-warnings"), run("import", "techradar", SHEET)
    assert result.exit_code == 0, result.output
    assert result.stdout == plain.stdout
    assert f"{file}:3:1: warning: dropped entry 'Dragonfly': 'status'" in result.stderr
    assert f"{file}:3:37: warning: guessed entry 'Dragonfly': reason as the text of its HTML" in result.stderr


def test_a_quoted_field_keeps_its_separator_quotes_and_line_breaks_and_later_rows_their_lines(
    run, tmp_path: Path
) -> None:
    file = tmp_path / "radar.csv"
    file.write_text(
        'name,ring,quadrant,isNew,description\n"Go, the language",Adopt,Languages,TRUE,"Say ""go"".\nTwo lines."\n'
        "\n,,,,\nPerl,Banana,Languages,FALSE,\n"
    )
    result = run("import", "techradar", file)
    assert result.exit_code == 0, result.output
    go, perl = yaml.safe_load(result.stdout)["tools"]
    assert (go["id"], go["name"], go["reason"]) == ("go-the-language", "Go, the language", 'Say "go".\nTwo lines.')
    assert (
        perl["status"] == "best-effort"
    )  # a ring of its own: said, at its row (line 6, after a blank and an empty row)
    assert f"{file}:6:1: warning: guessed entry 'Perl': status best-effort from the ring 'Banana'" in result.stderr


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            "name,ring,isNew,description\nGo,Adopt,TRUE,x\n",
            "{file}:1:1: error: the sheet has no 'quadrant' column (its header: name, ring, isNew, description)",
        ),
        (
            "name,ring,quadrant,isNew,description\nGo,Adopt,Tools\n",
            "{file}:2:15: error: the row has 3 of the header's 5 fields: no isNew, description",
        ),
        ('name,ring,quadrant\nGo,Adopt,"Tools\n', "{file}:2:10: error: a quoted field is not closed"),
        ('name,ring,quadrant\nGo,Adopt,"Tools"s\n', "{file}:2:17: error: text after the closing quote of a field"),
        ("name,ring,quadrant,Name\n", "{file}:1:20: error: the header names the column 'Name' twice"),
    ],
)
def test_a_sheet_that_cannot_be_read_is_refused_where_it_is_wrong(run, tmp_path: Path, text: str, said: str) -> None:
    file = tmp_path / "radar.csv"
    file.write_text(text)
    result = run("import", "techradar", file)
    assert result.exit_code == 1 and result.stdout == ""
    assert said.format(file=file) in result.stderr and "Traceback" not in result.output


# --- `-`: standard input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "file"),
    [
        ("techradar", SHEET),  # no .csv name to go by: the sheet is known by its header
        ("techradar", INTEROP / "zalando-config-2023-10.json"),
        ("backstage", INTEROP / "backstage-artist-lookup-component.yaml"),
        ("openslo", INTEROP / "openslo-ratio-timeslices.yaml"),
        ("sloth", INTEROP / "sloth-getting-started.yml"),
        ("pyrra", INTEROP / "pyrra-apiserver-request-errors.yaml"),
    ],
)
def test_a_dash_reads_standard_input_as_the_file_would_be_read(env, run, fmt: str, file: Path) -> None:
    from_file = run("import", fmt, file)
    from_stdin = run_with_stdin(env, file.read_bytes(), "import", fmt, "-")
    assert from_stdin.exit_code == from_file.exit_code == 0, from_stdin.output
    assert from_stdin.stdout == from_file.stdout
    assert from_stdin.stderr == from_file.stderr.replace(str(file), "<stdin>")


@pytest.mark.parametrize("fmt", ["techradar", "backstage", "openslo", "sloth", "pyrra"])
def test_an_error_on_standard_input_is_located_there(env, fmt: str) -> None:
    result = run_with_stdin(env, b"x: [", "import", fmt, "-")
    assert result.exit_code == 1 and result.stdout == ""
    assert "<stdin>:1:5: error: invalid YAML" in result.stderr and "Traceback" not in result.output


def test_standard_input_given_twice_is_a_usage_error(env) -> None:
    result = run_with_stdin(env, (INTEROP / "sloth-getting-started.yml").read_bytes(), "import", "sloth", "-", "-")
    assert result.exit_code == 2 and result.stdout == ""
    assert "- (standard input) is given more than once" in result.stderr


def test_standard_input_over_the_limit_is_refused(env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fragment, "MAX_IMPORT_BYTES", 10)
    result = run_with_stdin(env, b"[" + b" " * 20 + b"]", "import", "techradar", "-")
    assert result.exit_code == 1
    assert "<stdin>: error: standard input is over the limit for an import (10 bytes)" in result.stderr


# --- A folder where a file was meant --------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["techradar", "backstage", "openslo", "sloth", "pyrra"])
def test_a_folder_is_refused_by_every_import_alike_with_the_other_files_problems(run, tmp_path: Path, fmt: str) -> None:
    # the SLO imports exited 2 (click's usage error), Backstage and the radar 1: now all say it as
    # they say a missing file, so one run names every input that cannot be read
    folder = tmp_path / "monitoring"
    folder.mkdir()
    args = [folder] if fmt == "techradar" else [folder, tmp_path / "missing.yaml"]
    result = run("import", fmt, *args)
    assert result.exit_code == 1 and result.stdout == ""
    assert f"{folder}: error: is a folder, not a file" in result.stderr
    assert f"give the files in it instead, by name or as {folder}/*" in result.stderr
    if fmt != "techradar":
        assert f"{tmp_path / 'missing.yaml'}: error: file not found" in result.stderr


# --- Radar entries whose ids clash ------------------------------------------------------------------


def test_entries_whose_titles_slug_alike_are_both_kept_with_distinct_ids(run, tmp_path: Path) -> None:
    # "Foo" and "foo" were one tool, the second skipped; so was an entry-N that another entry wrote
    file = tmp_path / "config.json"
    file.write_text(
        '{"entries": [\n{"quadrant": 0, "ring": 0, "label": "Foo"},\n{"quadrant": 0, "ring": 0, "label": "foo"},\n'
        '{"quadrant": 1, "ring": 0, "label": "!!!"},\n{"quadrant": 1, "ring": 1, "label": "Bar", "id": "entry-3"},\n'
        '{"quadrant": 0, "ring": 0, "label": "Foo too", "id": "foo-2"}]}\n'
    )
    result = run("import", "techradar", file)
    assert result.exit_code == 0, result.output
    tools = yaml.safe_load(result.stdout)["tools"]
    assert [(t["id"], t["name"]) for t in tools] == [
        ("foo", "Foo"),
        ("foo-3", "foo"),  # foo-2 is written by a later entry
        ("entry-3", "!!!"),
        ("entry-3-2", "Bar"),
        ("foo-2", "Foo too"),
    ]
    assert (
        f"{file}:3:1: warning: guessed entry 'foo': id 'foo-3', as 'foo' is the id of entry 'Foo' at line 2"
    ) in result.stderr
    assert "skipped" not in result.stderr


def test_the_same_tool_twice_is_imported_once_and_said(run, tmp_path: Path) -> None:
    file = tmp_path / "radar.json"
    file.write_text(
        '[{"name": "Go", "ring": "adopt", "quadrant": "tools"},\n {"name": "Go", "ring": "adopt", "quadrant": "tools"},\n'
        ' {"name": "Go", "ring": "hold", "quadrant": "tools"}]'
    )
    result = run("import", "techradar", file)
    assert result.exit_code == 0, result.output
    assert [(t["id"], t["status"]) for t in yaml.safe_load(result.stdout)["tools"]] == [
        ("go", "supported"),
        ("go-2", "unsupported"),  # another ring: another decision, kept to be looked at
    ]
    assert (
        f"{file}:2:2: warning: skipped entry 'Go': the same title, quadrant and ring as the entry at line 1"
    ) in result.stderr


# --- Backstage owners that end in the same name ----------------------------------------------------

COMPONENT = """apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: {name}
{namespace}spec:
  type: service
  lifecycle: production
  owner: {owner}
"""


def test_backstage_owner_refs_of_two_groups_with_one_name_are_said_naming_both(run, tmp_path: Path) -> None:
    file = tmp_path / "catalog-info.yaml"
    file.write_text(
        "---\n".join(
            COMPONENT.format(name=name, namespace=namespace, owner=owner)
            for name, namespace, owner in (
                ("one", "", "group:default/team-a"),
                ("two", "", "team-a"),  # the same group, written short: not said
                ("three", "  namespace: default\n", "default/team-a"),
                ("four", "", "group:other/team-a"),
            )
        )
    )
    result = run("import", "backstage", file)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["portals"]["backstage"]["owners"] == [
        {"owner": "team-a", "ref": "group:default/team-a"}
    ]
    said = [line for line in result.stderr.splitlines() if "is group:default/team-a" in line]
    assert said == [
        f"{file}:36:10: warning: guessed Component 'four': owner 'team-a' for group:other/team-a, though 'team-a' is "
        f"group:default/team-a at {file}:8:10 too: portals.backstage.owners keeps group:default/team-a; rename one "
        "owner, and add its ref there"
    ]


def test_a_short_owner_ref_in_another_namespace_is_another_group(run, tmp_path: Path) -> None:
    # Backstage resolves `team-a` in the entity's own namespace
    file = tmp_path / "catalog-info.yaml"
    file.write_text(
        COMPONENT.format(name="one", namespace="", owner="team-a")
        + "---\n"
        + COMPONENT.format(name="two", namespace="  namespace: payments\n", owner="team-a")
    )
    result = run("import", "backstage", file)
    assert result.exit_code == 0, result.output
    assert f"{file}:18:10: warning: guessed Component 'two': owner 'team-a' for team-a, though" in result.stderr


def test_a_description_with_angle_brackets_but_no_html_is_kept_as_written(run, tmp_path: Path) -> None:
    file = tmp_path / "radar.json"
    file.write_text(
        '[{"name": "Java", "ring": "adopt", "quadrant": "languages", "description": "Optional<T> & a < b."}]'
    )
    result = run("import", "techradar", file)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["tools"][0]["reason"] == "Optional<T> & a < b."
    assert "HTML" not in result.stderr
