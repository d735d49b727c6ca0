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


def test_a_page_of_link_brackets_is_refused_at_the_bracket_past_the_limit_before_it_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each '[' starts a link-label scan in markdown-it-py (the costliest input: 255 KiB of them
    took tens of seconds). Past MAX_LINK_BRACKETS outside code the page is refused, located, and
    its inline Markdown is never parsed; brackets in code do not count."""
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    limit = markdown.MAX_LINK_BRACKETS
    fenced = "```\n" + "[" * (limit * 2) + "\n```\n"
    text = "See [the guide](welcome.md). " * (limit // 2)  # limit / 2 brackets
    (site / "content/welcome.md").write_text(f"---\ntitle: W\n---\n\n{fenced}\n{text}\n\n{'![' * (limit // 2 + 1)}\n")
    parsed: list[str] = []
    real = markdown.MarkdownIt.parse

    def counted(self: markdown.MarkdownIt, src: str, env: object = None) -> object:
        parsed.append(src)
        return real(self, src, env)

    monkeypatch.setattr(markdown.MarkdownIt, "parse", counted)
    env = {"SOURCE_DATE_EPOCH": FIXED_EPOCH, "SERVICEBOOK_WORKERS": "1"}
    result = CliRunner().invoke(main, ["check", "--source", str(site)], env=env, catch_exceptions=False)
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    column = 2 * (limit // 2) + 2  # the last '[' of the last line (1-based) is the one past the limit
    assert first == (
        f"{site}/content/welcome.md:11:{column}: error: the page has more than {limit:,} '[' outside code (each "
        "may start a link): it would take too long to render"
    )
    assert not any("![![" in src for src in parsed)  # refused before markdown-it read it
    (site / "content/welcome.md").write_text(f"---\ntitle: W\n---\n\n{fenced}\n{text}\n")  # at the limit: fine
    assert CliRunner().invoke(main, ["check", "--source", str(site)], env=env).exit_code == 0
