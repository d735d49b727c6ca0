"""Hostile inputs of 5 Dec 2026 (third round): each is a located error, never silently wrong
output or a traceback."""

from __future__ import annotations

import pytest

from servicebook.content import markdown


@pytest.mark.parametrize(
    ("nested", "line"),
    [
        ("\n".join("  " * i + "- level" for i in range(30)), 5 + markdown.MAX_NESTING // 2 - 1),
        ("> " * 30 + "quoted", 5),
    ],
)
def test_markdown_nested_past_the_parser_limit_is_an_error_not_a_page_cut_short(run, site_copy, nested, line) -> None:
    """markdown-it stops reading a page where lists or quotes nest past its limit and drops the
    rest of the page without a word: the text after it was missing from the built site."""
    site = site_copy("minimal")
    (site / "content/welcome.md").write_text(f"---\ntitle: W\n---\n\n{nested}\n\nTHE-REST\n")
    result = run("check", "--source", site)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"content/welcome.md:{line}:" in result.output
    assert "nested more than" in result.output


def test_markdown_nested_to_the_limit_keeps_the_whole_page(run, site_copy) -> None:
    site = site_copy("minimal")
    nested = "\n".join("  " * i + "- level" for i in range(markdown.MAX_NESTING // 2 - 1))
    (site / "content/welcome.md").write_text(f"---\ntitle: W\n---\n\n{nested}\n\n> > > quoted\n\nTHE-REST\n")
    result = run("build", "--source", site)
    assert result.exit_code == 0, result.output
    assert "THE-REST" in (site / "public/policies/welcome/index.html").read_text()


def test_a_site_base_template_without_the_blocks_the_pages_fill_is_a_warning(run, site_copy) -> None:
    """Jinja drops what a page puts in a block its parent lacks: a layouts/base.html without
    `content` built a site of empty pages with no word said."""
    site = site_copy("minimal")
    (site / "layouts").mkdir()
    base = site / "layouts/base.html"
    base.write_text("<!doctype html><title>{% block title %}{% endblock %}</title>{% block main %}{% endblock %}\n")
    result = run("build", "--source", site, "--strict")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert (
        "layouts/base.html:1:1: warning: base.html replaces the theme's without the blocks breadcrumbs, content,"
        in (result.output)
    )
    assert not (site / "public").exists()
    base.write_text('{% extends "theme/base.html" %}\n')  # extending the theme's keeps its blocks
    assert run("build", "--source", site, "--strict").exit_code == 0


@pytest.mark.parametrize(
    ("escape", "shown"),
    [
        ("\\e[31m", "control character U+001B"),
        ("\\u0000", "control character U+0000"),
        ("\\u202e", "bidirectional control character U+202E"),
        ("\\u2028", "line break character U+2028"),
        ("\\a", "control character U+0007"),
    ],
)
def test_a_control_character_written_as_a_yaml_escape_is_refused_like_one_in_the_file(
    run, site_copy, escape: str, shown: str
) -> None:
    """A double-quoted YAML value puts a terminal escape, a NUL or a bidirectional control into the
    catalog (and from there into `diff`, `promised` and the exports) that the file itself does not
    hold, past the check of the file's characters."""
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    text = catalog.read_text()
    assert text.count("\n    name: ") >= 1
    catalog.write_text(text.replace("\n    name: ", f'\n    name: "x{escape}y" #', 1))
    result = run("check", "--source", site)
    assert result.exit_code == 1, result.output
    assert f"{shown}, written as an escape, is not allowed" in result.output
    assert "Traceback" not in result.output and "\x1b" not in result.output
    page = site / "content/welcome.md"
    page.write_text(page.read_text().replace("\ntitle: ", f'\ntitle: "x{escape}y"\nsummary: ', 1))
    catalog.write_text(text)
    result = run("check", "--source", site)
    assert result.exit_code == 1, result.output
    assert f"content/welcome.md:2:8: error: {shown}, written as an escape" in result.output


def test_escapes_of_ordinary_characters_in_quoted_yaml_stay_allowed(run, site_copy) -> None:
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("\n    name: ", '\n    name: "x\\ty \\u00e9\\"" #', 1))
    assert run("check", "--source", site).exit_code == 0


@pytest.mark.parametrize("folder", ["content", "content/radar", "layouts", "measurements", ".git"])
@pytest.mark.parametrize(
    "command",
    [("export", "techradar", "--format", "aoe", "--no-history", "--output"), ("export", "backstage", "--split")],
)
def test_an_export_into_the_sites_own_inputs_is_refused(run, site_copy, folder: str, command: tuple[str, ...]) -> None:
    """`export techradar --format aoe --output content` wrote 46 Markdown files into content/,
    each then a broken policy page; into measurements/ or .git/ it broke the next build or the
    repository."""
    site = site_copy("example")
    (site / ".git").mkdir()
    before = sorted(p.relative_to(site) for p in site.rglob("*"))
    result = run(*command, site / folder, "--source", site)
    assert result.exit_code == 2, result.output
    top = folder.split("/", maxsplit=1)[0]
    assert f"refusing to write the export into {site / folder}: it is the site's {top} or inside it" in result.output
    assert sorted(p.relative_to(site) for p in site.rglob("*")) == before
