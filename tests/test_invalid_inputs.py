"""Each folder under tests/invalid/ is a broken site and the exact text `check` must print.

A case folder holds the files that replace those of tests/sites/minimal (catalog.yaml,
content/*.md, …) and `expected.txt`. Set SERVICEBOOK_REGEN=1 to rewrite expected.txt files
after an intended change of wording; review the diff before committing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from servicebook.cli import main

from .conftest import FIXED_EPOCH, SITES

CASES = Path(__file__).parent / "invalid"


def _cases() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / "expected.txt").exists())


def _materialise(case: Path, dest: Path) -> None:
    shutil.copytree(SITES / "minimal", dest)
    for item in sorted(case.rglob("*")):
        rel = item.relative_to(case)
        if rel.name == "expected.txt" or item.is_dir():
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if rel.name.endswith(".delete"):
            (dest / str(rel)[: -len(".delete")]).unlink()
            continue
        shutil.copyfile(item, target)


@pytest.mark.parametrize("name", _cases())
def test_invalid_site_fails_with_located_message(name: str, tmp_path: Path) -> None:
    case = CASES / name
    site = tmp_path / "site"
    _materialise(case, site)
    result = CliRunner().invoke(main, ["check", "--source", str(site)], env={"SOURCE_DATE_EPOCH": FIXED_EPOCH})
    expected_file = case / "expected.txt"
    if os.environ.get("SERVICEBOOK_REGEN"):
        expected_file.write_text(result.stderr)
    assert "Traceback" not in result.output
    assert result.exit_code == 1, result.output
    assert result.stderr == expected_file.read_text()
