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


@pytest.mark.parametrize(
    ("old", "new", "hint"),
    [
        (  # a Cyrillic 'а': the hint read "did you mean 'name'?" under "unknown key 'nаme'"
            "    name: CI pipelines",
            "    n\u0430me: CI pipelines",
            "hint: did you mean 'name'? They look alike: 'n\\u0430me' has U+0430 CYRILLIC SMALL LETTER A (like 'a')",
        ),
        (  # difflib found 'gа' no closer to 'ga' than to 'beta': no hint but the list
            "lifecycle: ga",
            "lifecycle: g\u0430",
            "hint: did you mean 'ga'? They look alike: 'g\\u0430' has U+0430 CYRILLIC SMALL LETTER A (like 'a'); "
            "expected one of: beta, ga, deprecated, retired",
        ),
        (  # full-width letters, as an East Asian input method types them
            "lifecycle: ga",
            "lifecycle: \uff47\uff41",
            "hint: did you mean 'ga'? They look alike: '\uff47\uff41' has U+FF47 FULLWIDTH LATIN SMALL LETTER G "
            "(like 'g'), U+FF41 FULLWIDTH LATIN SMALL LETTER A (like 'a'); expected one of:",
        ),
        (  # an invisible character: the hint shows where it is
            "    name: CI pipelines",
            "    na\u200bme: CI pipelines",
            "hint: did you mean 'name'? They look alike: 'na\\u200bme' has U+200B ZERO WIDTH SPACE",
        ),
    ],
    ids=["cyrillic-letter-in-a-key", "cyrillic-letter-in-a-choice", "full-width-choice", "zero-width-in-a-key"],
)
def test_a_hint_for_a_look_alike_says_which_character_differs(run, site_copy, old: str, new: str, hint: str) -> None:
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    text = catalog.read_text()
    assert text.count(old) == 1
    catalog.write_text(text.replace(old, new))
    result = run("check", "--source", site)
    assert result.exit_code == 1, result.output
    assert hint in result.output


def test_a_hint_for_a_name_that_does_not_look_alike_is_as_before(run, site_copy) -> None:
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("lifecycle: ga", "lifecycle: GA"))
    result = run("check", "--source", site)
    assert "hint: did you mean 'ga'? expected one of: beta, ga, deprecated, retired\n" in result.output


@pytest.mark.git
def test_a_revision_that_looks_like_a_branch_is_told_apart_from_it(run, git_site: GitSite) -> None:
    """`diff mаster` (a Cyrillic 'а') said "did you mean 'master'?": the name the user believed
    they had typed."""
    branch = git_site.git("branch", "--show-current").strip()
    lookalike = branch.replace("a", "\u0430", 1)
    assert lookalike != branch
    result = run("diff", "--source", git_site.root, lookalike)
    assert result.exit_code == 2, result.output
    shown = lookalike.replace("\u0430", "\\u0430")  # a look-alike letter in a Latin word, escaped
    assert (
        f"did you mean '{branch}'? They look alike: '{shown}' has U+0430 CYRILLIC SMALL LETTER A (like 'a')"
        in result.stderr
    )
