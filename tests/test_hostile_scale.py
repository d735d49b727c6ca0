"""Inputs built to make the tool do quadratic work get linear work: counted, not timed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from servicebook.cli import main
from servicebook.content import markdown

from .conftest import FIXED_EPOCH, SITES


def test_thousands_of_broken_links_in_one_paragraph_are_located_with_one_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each bad link is reported where it was written; finding it must not re-read the whole
    paragraph once per link (a 256 KiB page of them took hours before)."""
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    links = 3000
    body = " ".join(f"[a{i % 7}](missing-{i % 5}.md)" for i in range(links))
    (site / "content/welcome.md").write_text(f"---\ntitle: How we work\n---\n\n{body}\n")
    calls = []
    real = markdown._destinations

    def counted(line: str, **kwargs: bool) -> list[tuple[int, str]]:
        calls.append(line)
        return real(line, **kwargs)

    monkeypatch.setattr(markdown, "_destinations", counted)
    result = CliRunner().invoke(
        main, ["check", "--source", str(site)], env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}, catch_exceptions=False
    )
    assert result.exit_code == 1
    assert result.stderr.endswith(f"check failed: {links} errors.\n")
    columns = [int(line.split(":")[2]) for line in result.stderr.splitlines() if ": error: " in line]
    assert columns == sorted(set(columns))  # each link at its own place, in order
    assert len(calls) <= 2 * 10  # the paragraph, and the page once for reference definitions
