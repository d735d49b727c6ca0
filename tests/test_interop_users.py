"""What users of the imports, the portals and the federation hit with real files and mistakes:
each import says when it carried nothing over, reads the class of input the real tools allow
(Zalando's inactive entries and bare entry lists, keys written in another case), and never
leaves a user to guess what happened."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

INTEROP = Path(__file__).parent / "interop" / "fixtures"
API_ONLY = "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: payments\nspec:\n  type: openapi\n"


# --- An import that carries nothing over ---------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "name", "text", "said"),
    [
        ("backstage", "catalog-info.yaml", API_ONLY, "error: no Component, Resource or Group in {file}: nothing to"),
        (
            "techradar",
            "radar.json",
            '{"entries": [{"label": "Go", "quadrant": 9, "ring": 0}]}',
            "error: no entry of {file} could be read as a tool: nothing to import",
        ),
        ("techradar", "radar.json", '{"entries": []}', "error: the radar {file} has no entries: nothing to import"),
    ],
)
def test_an_import_that_skips_everything_fails_saying_so_and_writes_nothing(
    run, tmp_path: Path, fmt: str, name: str, text: str, said: str
) -> None:
    file = tmp_path / name
    file.write_text(text)
    target = tmp_path / "fragment.yaml"
    result = run("import", fmt, file, "--output", target)
    assert result.exit_code == 1 and result.stdout == ""
    assert said.format(file=file) in result.stderr and "Traceback" not in result.output
    assert not target.exists()
    if "entries\": []" not in text:  # what was skipped is said where it is, before the error
        assert f"{file}:1:" in result.stderr and "warning: skipped" in result.stderr
        assert "(the warnings above say why each was skipped)" in result.stderr
