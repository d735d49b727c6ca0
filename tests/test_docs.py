"""The README's format reference is generated from the model and must not drift from it."""

from __future__ import annotations

from servicebook.catalog.schema import reference_markdown

from .conftest import REPO


def test_readme_reference_matches_the_model() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("<!-- reference:start -->\n", 1)[1].split("\n<!-- reference:end -->", 1)[0]
    assert section == reference_markdown().rstrip(), "run: make docs"


def test_readme_quick_start_is_two_commands() -> None:
    readme = (REPO / "README.md").read_text()
    block = readme.split("## Quick start", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in block.strip().splitlines()] == ["make site", "make test"]
