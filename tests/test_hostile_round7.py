"""Hostile inputs of 6 Dec 2026 (seventh round): a pull request's templates that would exhaust the
memory of the job that checks it, page names `diff` and `check` judged differently, a radar export's
reasons as live Markdown in Backstage, and a preview connection that never sends a request."""

from __future__ import annotations

import json
import shutil
import socket
import threading
from pathlib import Path

import lxml.html
import pytest
from markdown_it import MarkdownIt

from servicebook.site.serve import Preview, make_server

from .conftest import FIXED_EPOCH, SITES, GitSite


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# Each would ask the review job for gigabytes (or a number of billions of digits), in a few bytes
# of template: an operator, a format's width, a filter's or a method's count, a text doubled in a
# loop or a macro, a page printing one large text many times.
HOARDERS = {
    "repeat-text": "{{ 'x' * 10**10 }}",
    "repeat-list": "{{ ([1] * 10**10)|length }}",
    "power": "{{ (10 ** 100000000) % 7 }}",
    "format-width": "{{ '{:>10000000000}'.format(1) }}",
    "format-nested-width": "{{ '{:>{}}'.format(1, 10**10) }}",
    "percent-width": "{{ '%10000000000d' % 1 }}",
    "percent-star": "{{ '%*d' % (10**10, 1) }}",
    "format-filter": "{{ '%10000000000d'|format(1) }}",
    "center-filter": "{{ 'x'|center(10**10) }}",
    "indent-filter": "{{ 'x'|indent(10**10, first=true) }}",
    "batch-filter": "{{ ([1]|batch(10**10, 'x')|first)|length }}",
    "ljust-method": "{{ 'x'.ljust(10**10) }}",
    "replace-method": "{% set s = 'x' * 100000 %}{{ s.replace('x', s)|length }}",
    "replace-filter": "{% set s = 'x' * 100000 %}{{ (s|replace('x', s))|length }}",
    "join-filter": "{% set s = 'x' * 100000 %}{{ ([s] * 100000)|join|length }}",
    "namespace-doubling": "{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}"
    "{% endfor %}{{ ns.s|length }}",
    "macro-doubling": "{% macro d(s, n) %}{% if n %}{{ d(s ~ s, n - 1) }}{% endif %}{% endmacro %}{{ d('x', 60) }}",
    "list-extend": "{% set l = [1] %}{% for i in range(60) %}{{ l.extend(l) }}{% endfor %}",
    "range": "{% for i in range(10**9) %}{% endfor %}",
    "page-of-copies": "{% set s = 'x' * 10000000 %}{% for i in range(100000) %}{{ s }}{% endfor %}",
}


@pytest.mark.parametrize("hoard", list(HOARDERS.values()), ids=list(HOARDERS))
def test_a_site_template_making_a_huge_value_is_a_located_error_not_the_jobs_memory(run, site_copy, hoard: str) -> None:
    """A pull request's layouts/ is rendered by `check` in the review job, in Jinja's sandbox: what
    a template makes is bounded, so a template asking for gigabytes fails at its line, with what
    to do, and the published site stays as it was."""
    site = site_copy("minimal")
    assert run("build", "--source", site).exit_code == 0
    before = _tree(site / "public")
    (site / "layouts").mkdir()
    (site / "layouts" / "home.html").write_text(
        '{% extends "theme/home.html" %}\n{% block content %}' + hoard + "{% endblock %}\n"
    )
    for command in ("check", "build"):
        result = run(command, "--source", site)
        assert "Traceback" not in result.output
        assert result.exit_code == 1, result.output
        assert f"{site}/layouts/home.html:2:1: error: while rendering index.html: " in result.stderr
        assert "more than a template may" in result.stderr, result.stderr
        assert "hint: a template runs in Jinja's sandbox" in result.stderr, result.stderr
    assert _tree(site / "public") == before


def test_a_site_template_within_the_bounds_renders_as_it_did(run, site_copy) -> None:
    """The bounds are far from what a template does: repeating, formatting, padding and joining
    texts of ordinary size give what Jinja gives."""
    site = site_copy("minimal")
    (site / "layouts").mkdir()
    (site / "layouts" / "home.html").write_text(
        '{% extends "theme/home.html" %}\n{% block content %}'
        "<p id=t>{{ '-' * 3 }}|{{ 2 ** 10 }}|{{ '{:>5}'.format('a') }}|{{ '%05d' % 42 }}|{{ 'ab'|center(6) }}"
        "|{{ ['a', 'b']|join(',') }}|{{ 'a.b'.replace('.', '::') }}|{{ [1, 2] + [3] }}"
        "{% set ns = namespace(s='x') %}{% for i in range(3) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}|{{ ns.s }}</p>"
        "{% endblock %}\n"
    )
    result = run("build", "--source", site)
    assert result.exit_code == 0, result.output
    html = (site / "public" / "index.html").read_text()
    assert "<p id=t>---|1024|    a|00042|  ab  |a,b|a::b|[1, 2, 3]|xxxxxxxx</p>" in html


# Page files in a pull request that `check` refuses (a name that cannot become a URL) were
# compared by `diff` as if they were pages, and a page under a folder starting with '.' (which
# the build skips) was reported as added: the two commands must judge a revision alike.
REFUSED_NAMES = ["content/a\nb.md", "content/c\td.md", "content/Upper.md", "content/index.md", "content/x y/page.md"]


@pytest.mark.git
@pytest.mark.parametrize("name", REFUSED_NAMES, ids=["newline", "tab", "upper-case", "reserved", "folder"])
def test_diff_refuses_a_page_file_name_that_check_refuses(run, tmp_path: Path, name: str) -> None:
    shutil.copytree(SITES / "minimal", tmp_path / "site")
    site = GitSite(tmp_path / "site")
    site.commit("First")
    site.write(name, "# Evil\n\nText.\n")
    site.commit("A page the build refuses")
    check = run("check", "--source", site.root)
    assert check.exit_code == 1 and "cannot" in check.stderr
    for head in (("HEAD",), ()):  # a commit, and the working tree
        for fmt in ("markdown", "json"):
            result = run("diff", "--source", site.root, "--format", fmt, "HEAD~1", *head)
            assert "Traceback" not in result.output
            assert result.exit_code == 1, result.output
            shown = name.replace("\n", "\\n").replace("\t", "\\t")
            assert shown in result.stderr, result.stderr
            assert "cannot" in result.stderr and "hint: use lower-case letters" in result.stderr
            if fmt == "markdown":  # the pull-request comment: the name cannot start Markdown of its own
                assert all(line.startswith(("### ", "**", "- `")) for line in result.stdout.splitlines() if line)


@pytest.mark.git
def test_diff_skips_a_page_under_a_hidden_folder_as_the_build_does(run, tmp_path: Path) -> None:
    shutil.copytree(SITES / "minimal", tmp_path / "site")
    site = GitSite(tmp_path / "site")
    site.commit("First")
    site.write("content/.drafts/later.md", "# Later\n\nNot yet.\n")
    site.write("content/.hidden.md", "# Hidden\n\nNot a page.\n")
    site.commit("Drafts")
    assert run("check", "--source", site.root).exit_code == 0
    result = run("diff", "--source", site.root, "--format", "json", "HEAD~1", "HEAD")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["changes"] == []


def test_a_backstage_radar_shows_a_reason_as_written_and_carries_no_markup_of_its_own(run, site_copy) -> None:
    """The Backstage tech-radar plugin renders an entry's description and each timeline
    description as Markdown: a reason or a name (plain text in the catalog, escaped on the site)
    must not become a link, an image or HTML there."""
    root = site_copy("example")
    hostile = "Use <script>alert(1)</script> & [this](javascript:alert(2)) ![x](data:text/html,3) \\[y]"
    text = (root / "catalog.yaml").read_text()
    text = text.replace(
        "      Team-run Jenkins servers had plugins", f"      {hostile} Team-run Jenkins servers had plugins", 1
    )
    (root / "catalog.yaml").write_text(text.replace("name: CI/CD pipelines", "name: CI/CD <b>pipelines</b>", 1))
    result = run("export", "techradar", "--format", "backstage", "--no-history", "--source", root)
    assert result.exit_code == 0, result.output
    entry = next(e for e in json.loads(result.stdout)["entries"] if e["id"] == "jenkins")
    for markdown in [entry["description"], *(t["description"] for t in entry["timeline"])]:
        html = MarkdownIt("commonmark", {"html": True}).render(markdown)  # raw HTML on: the worst case
        assert "<script" not in html and "<b>" not in html and "<a " not in html and "<img" not in html
        assert hostile in lxml.html.fromstring(html).text_content()  # every character as written
    shown = lxml.html.fromstring(MarkdownIt("commonmark").render(entry["description"])).text_content()
    assert "Use instead: CI/CD <b>pipelines</b>." in shown


def test_serve_closes_a_connection_that_never_sends_a_request(site_copy) -> None:
    """A client that connects and sends nothing (or half a request) held a preview thread for
    ever: many of them exhaust the server. The preview closes such a connection after its read
    timeout, and keeps answering others meanwhile."""
    preview = Preview(site_copy("minimal"), {"SOURCE_DATE_EPOCH": FIXED_EPOCH}, print, print)
    assert preview.rebuild()
    server = make_server(preview, "127.0.0.1", 0, read_timeout=0.5)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_port
        for sent in (b"", b"GET / HTTP/1.1\r\nHost: localhost\r\n"):
            with socket.create_connection(("127.0.0.1", port), timeout=30) as idle:
                idle.sendall(sent)
                with socket.create_connection(("127.0.0.1", port), timeout=30) as other:
                    other.sendall(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
                    assert other.recv(12) == b"HTTP/1.0 200"
                while idle.recv(65536):  # closed by the server (before the client's 30 s)
                    pass
    finally:
        server.shutdown()
        server.server_close()
        preview.close()
