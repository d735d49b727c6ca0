"""What the pages say for the reader's browser beyond the layout: labels a phone shows table
cells with, what the search page says without JavaScript, which pages load the script."""

from __future__ import annotations

from pathlib import Path


def build(run, site):
    assert run("build", "--source", site).exit_code == 0
    return site / "public"


def test_a_markdown_table_labels_each_cell_with_its_column_heading(built_example: Path) -> None:
    public = built_example / "public"
    html = (public / "policies/backups-and-restore/index.html").read_text()
    assert "<th>RPO</th>" in html
    assert '<td data-label="RPO">' in html


def test_the_search_page_says_search_needs_javascript_where_it_is_off(built_example: Path) -> None:
    public = built_example / "public"
    html = (public / "search/index.html").read_text()
    noscript = html[html.index("<noscript>") : html.index("</noscript>")]
    assert "Search needs JavaScript" in noscript and "A to Z" in noscript
