"""Hostile inputs of 6 Dec 2026 (seventh round): a pull request's templates that would exhaust the
memory of the job that checks it, page names `diff` and `check` judged differently, a radar export's
reasons as live Markdown in Backstage, and a preview connection that never sends a request."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import lxml.html
import pytest
from markdown_it import MarkdownIt

from servicebook.measure.prometheus import Prometheus, QueryFailed
from servicebook.site.serve import Preview, make_server

from .conftest import FIXED_EPOCH, REPO, SITES, GitSite
from .sitefiles import tree

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
    "lipsum": "{{ lipsum(10**6)|length }}",
    "page-of-copies": "{% set s = 'x' * 10000000 %}{% for i in range(100000) %}{{ s }}{% endfor %}",
}


@pytest.mark.parametrize("hoard", list(HOARDERS.values()), ids=list(HOARDERS))
def test_a_site_template_making_a_huge_value_is_a_located_error_not_the_jobs_memory(run, site_copy, hoard: str) -> None:
    """A pull request's layouts/ is rendered by `check` in the review job, in Jinja's sandbox: what
    a template makes is bounded, so a template asking for gigabytes fails at its line, with what
    to do, and the published site stays as it was."""
    site = site_copy("minimal")
    assert run("build", "--source", site).exit_code == 0
    before = tree(site / "public")
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
    assert tree(site / "public") == before


def test_a_site_template_within_the_bounds_renders_as_it_did(run, site_copy) -> None:
    """The bounds are far from what a template does: repeating, formatting, padding and joining
    texts of ordinary size give what Jinja gives."""
    site = site_copy("minimal")
    (site / "layouts").mkdir()
    (site / "layouts" / "home.html").write_text(
        '{% extends "theme/home.html" %}\n{% block content %}'
        "<p id=t>{{ '-' * 3 }}|{{ 2 ** 10 }}|{{ '{:>5}'.format('a') }}|{{ '%05d' % 42 }}|{{ 'ab'|center(6) }}"
        "|{{ ['a', 'b']|join(',') }}|{{ 'a.b'.replace('.', '::') }}|{{ [1, 2] + [3] }}"
        "|{{ not_given|default(10**12) }}|{{ 'aaa'.replace('a', 'b', 10**12) }}|{{ lipsum(1, false, 3, 4)|wordcount > 2 }}"
        "{% set ns = namespace(s='x') %}{% for i in range(3) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}|{{ ns.s }}</p>"
        "{% endblock %}\n"
    )
    result = run("build", "--source", site)
    assert result.exit_code == 0, result.output
    html = (site / "public" / "index.html").read_text()
    assert "<p id=t>---|1024|    a|00042|  ab  |a,b|a::b|[1, 2, 3]|1000000000000|bbb|True|xxxxxxxx</p>" in html


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
            hints = [line for line in check.stderr.splitlines() if line.startswith("  hint: ")]
            assert "cannot" in result.stderr and hints and all(hint in result.stderr for hint in hints)  # check's
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


class _Prometheus(http.server.BaseHTTPRequestHandler):
    """A server answering any instant query with 0.5, or doing what its server's `behaviour` says:
    redirect each query to `location` (but those under /prefix/), or answer a byte at a time."""

    def do_GET(self) -> None:
        behaviour, location = self.server.behaviour  # type: ignore[attr-defined]
        path = urllib.parse.urlsplit(self.path).path
        if behaviour == "redirect" and not path.startswith("/prefix/"):
            self.send_response(302)
            self.send_header("Location", location + "/api/v1/query?" + urllib.parse.urlsplit(self.path).query)
            self.end_headers()
        elif behaviour == "drip":  # a byte at a time, each well within the client's timeout, for ever
            self.send_response(200)
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            with contextlib.suppress(OSError):
                while not self.server.done.wait(0.05):  # type: ignore[attr-defined]
                    self.wfile.write(b" ")
                    self.wfile.flush()
        else:
            self.server.asked += 1  # type: ignore[attr-defined]
            body = json.dumps({"status": "success", "data": {"resultType": "scalar", "result": [0, "0.5"]}})
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def _server(behaviour: str, location: str = "") -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Prometheus)
    server.behaviour, server.asked, server.done = (behaviour, location), 0, threading.Event()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.done.set()  # type: ignore[attr-defined]
        server.shutdown()
        server.server_close()


def test_measure_follows_no_redirect_to_another_server() -> None:
    """The snapshot names the server measure was given: a redirect to another host (or port, or
    to ftp://) is refused, said, and that server never asked; one within the server is followed."""
    with _server("plain") as other:
        other_url = f"http://localhost:{other.server_address[1]}"
        for elsewhere in (other_url, f"http://127.0.0.1:{other.server_address[1]}", "ftp://127.0.0.1:21"):
            with _server("redirect", elsewhere) as redirecting:
                url = f"http://127.0.0.1:{redirecting.server_address[1]}"
                with pytest.raises(QueryFailed, match="redirected the query to another server"):
                    Prometheus(url, timeout=5).query("up", 0)
        assert other.asked == 0
    with _server("redirect") as within:
        url = f"http://127.0.0.1:{within.server_address[1]}"
        within.behaviour = ("redirect", url + "/prefix")  # type: ignore[attr-defined]
        assert Prometheus(url + "/old", timeout=5).query("up", 0)[0].value == 0.5
        assert within.asked == 1


def test_measure_says_a_redirect_loop_in_words() -> None:
    """A server redirecting each query back to itself: urllib gives up with a message of three
    lines, which measure quoted with its line breaks as escapes; it is said as what it is."""
    with _server("redirect") as looping:
        url = f"http://127.0.0.1:{looping.server_address[1]}"
        looping.behaviour = ("redirect", url + "/again")  # type: ignore[attr-defined]
        with pytest.raises(QueryFailed) as failed:
            Prometheus(url, timeout=5).query("up", 0)
    assert str(failed.value) == (
        "the server redirects the query in a loop (HTTP 302 again and again): check the address given to "
        "--prometheus, or the proxy in front of the server"
    )


def test_measure_gives_up_on_an_answer_that_trickles_past_its_timeout() -> None:
    """The timeout bounds each read of the socket; a server sending a byte now and then never
    tripped it, and measure waited for ever. The whole answer is bounded by it too."""
    with _server("drip") as dripping:
        url = f"http://127.0.0.1:{dripping.server_address[1]}"
        started = time.monotonic()
        with pytest.raises(QueryFailed, match=re.escape("no answer within 0.5 s")):
            Prometheus(url, timeout=0.5).query("up", 0)
        assert time.monotonic() - started < 10


@pytest.mark.parametrize("umask", [0o000, 0o002, 0o077], ids=["000", "002", "077"])
def test_a_site_is_published_readable_by_all_and_writable_by_its_owner_alone(site_copy, umask: int) -> None:
    """Whatever the umask of whoever builds: under 000 the site was world-writable (anyone on the
    machine could change it before it is uploaded), under 077 unreadable to a web server running
    as another user. Files are 0644 and folders 0755, as `git archive` gives them."""
    site = site_copy("minimal")
    env = {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH}
    done = subprocess.run(
        [sys.executable, str(REPO / "build.py"), "build", "--source", str(site), "-q"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        umask=umask,
    )
    assert done.returncode == 0, done.stderr
    public = site / "public"
    modes = {stat.S_IMODE(p.lstat().st_mode) for p in [public, *public.rglob("*")] if p.is_dir()}
    assert modes == {0o755}
    modes = {stat.S_IMODE(p.lstat().st_mode) for p in public.rglob("*") if p.is_file()}
    assert modes == {0o644}


@pytest.mark.git
def test_diff_refuses_a_symbolically_linked_page_as_check_does(run, tmp_path: Path) -> None:
    """git keeps a symbolic link's target as its bytes: `diff` read `content/pw.md -> /etc/passwd`
    as a page whose text is '/etc/passwd' and reported it added, where `check` refuses it."""
    shutil.copytree(SITES / "minimal", tmp_path / "site")
    site = GitSite(tmp_path / "site")
    site.commit("First")
    (site.root / "content" / "pw.md").symlink_to("/etc/passwd")
    site.commit("A linked page")
    assert "symbolic links are not allowed in content/" in run("check", "--source", site.root).stderr
    for head in (("HEAD",), ()):  # a commit, and the working tree
        result = run("diff", "--source", site.root, "HEAD~1", *head)
        assert result.exit_code == 1, result.output
        assert "content/pw.md: error: symbolic links are not allowed in content/" in result.stderr
