"""Hostile inputs of 5 Dec 2026 (fourth round): what a command line or a catalog says is shown as
the text it is, and a hint points at the difference it is about."""

from __future__ import annotations

import pytest

from .conftest import GitSite

ESCAPE = "\x1b[2J\x1b[31m"  # clear the screen, then red


@pytest.mark.git
@pytest.mark.parametrize("fmt", ["markdown", "json"])
def test_a_revision_with_a_newline_or_a_terminal_escape_is_shown_escaped(run, git_site: GitSite, fmt: str) -> None:
    """`diff` quoted the revision it was given as it was: a newline in it began a line of the
    error of its own, an escape sequence cleared the terminal (or a CI log) and recoloured it."""
    result = run("diff", "--source", git_site.root, "--format", fmt, f"HEAD\n{ESCAPE}forged")
    assert result.exit_code == 2, result.output
    assert "\x1b" not in result.output
    assert "error: unknown revision 'HEAD\\n\\u001b[2J\\u001b[31mforged': no commit" in result.stderr
    if fmt == "markdown":  # the pull-request comment: one line, the escape shown as text
        assert "### servicebook diff: HEAD \\u001b\\[2J\\u001b\\[31mforged → working tree\n" in result.stdout


@pytest.mark.git
def test_a_revision_like_an_option_is_refused_shown_escaped(run, git_site: GitSite) -> None:
    result = run("diff", "--source", git_site.root, "--", f"--x{ESCAPE}")
    assert result.exit_code == 2, result.output
    assert "\x1b" not in result.output
    assert "error: '--x\\u001b[2J\\u001b[31m' is not a revision name" in result.stderr
