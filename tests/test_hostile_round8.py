"""Hostile inputs of 6 Dec 2026 (eighth round): a preview client or a Prometheus that trickles its
headers, revisions that name this clone's reflog, a range of dots, and a site left world-writable by
an older build."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import socketserver
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from servicebook.measure.prometheus import Prometheus, QueryFailed
from servicebook.site.serve import Preview, make_server

from .conftest import FIXED_EPOCH, REPO


def test_serve_closes_a_connection_whose_headers_trickle(site_copy) -> None:
    """A client sending its request a byte at a time, each well within the read timeout, held a
    preview thread for as long as it liked (slowloris: enough of them exhaust the server's threads
    and files). A request must arrive whole within the read timeout."""
    preview = Preview(site_copy("minimal"), {"SOURCE_DATE_EPOCH": FIXED_EPOCH}, print, print)
    assert preview.rebuild()
    server = make_server(preview, "127.0.0.1", 0, read_timeout=0.5)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=0.1) as slow:
            slow.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
            started = time.monotonic()
            closed = False
            while not closed and time.monotonic() - started < 10:
                try:
                    slow.sendall(b"X")  # a header that never ends, a byte every 0.1 s
                    closed = slow.recv(65536) == b""
                except TimeoutError:
                    continue
                except OSError:  # reset by the server
                    closed = True
            assert closed, "the trickling connection was still open after 10 s"
            assert time.monotonic() - started < 5
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=30) as other:
            other.sendall(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
            assert other.recv(12) == b"HTTP/1.0 200"
    finally:
        server.shutdown()
        server.server_close()
        preview.close()


class _TricklingPrometheus(socketserver.BaseRequestHandler):
    """A server that answers every request with its status line and headers a byte at a time,
    each byte well within the client's timeout, for ever."""

    def handle(self) -> None:
        self.request.recv(65536)
        with contextlib.suppress(OSError):
            self.request.sendall(b"HTTP/1.1 200 OK\r\n")
            while not self.server.done.wait(0.05):  # type: ignore[attr-defined]
                self.request.sendall(b"X")  # a header line that never ends


def test_measure_gives_up_on_headers_that_trickle_past_its_timeout() -> None:
    """measure's timeout bounded the answer's body as a whole but each read of its headers alone:
    a Prometheus (or a proxy before it) sending its headers a byte now and then kept the job that
    measures waiting for ever. The whole answer, headers included, is read within the timeout."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _TricklingPrometheus)
    server.daemon_threads = True
    server.done = threading.Event()  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        started = time.monotonic()
        with pytest.raises(QueryFailed, match=re.escape("no answer within 0.5 s")):
            Prometheus(f"http://127.0.0.1:{server.server_address[1]}", timeout=0.5).query("up", 0)
        assert time.monotonic() - started < 10
    finally:
        server.done.set()  # type: ignore[attr-defined]
        server.shutdown()
        server.server_close()


@pytest.mark.git
@pytest.mark.parametrize("revision", ["HEAD@{1}", "main@{yesterday}", "@{-1}", "main@{0}..HEAD"])
def test_diff_refuses_a_revision_read_from_the_clones_reflog(git_site, run, revision: str) -> None:
    """`HEAD@{1}` is where HEAD was before in this clone: a review job's clone has another reflog
    (or none), so its diff compared something else than the author's. Refused, with the commit it
    names here when it names one."""
    git_site.git("checkout", "-q", "-b", "other")
    git_site.edit("build logic we did not write", "build logic of others")
    git_site.commit("Reword a reason")
    git_site.git("checkout", "-q", "main")
    result = run("diff", "--source", git_site.root, revision)
    assert result.exit_code == 2, result.output
    assert f"'{revision.partition('..')[0]}' is read from this clone's reflog" in result.output
    assert "Name the commit, branch or tag itself" in result.output
    if revision == "HEAD@{1}":  # before the checkout of main: the branch 'other'
        assert f"({git_site.git('rev-parse', 'other').strip()[:12]} is the commit it names here)" in result.output


@pytest.mark.git
@pytest.mark.parametrize("revision", ["main@{upstream}", ":/Initial @{1}"])
def test_diff_reads_an_upstream_or_a_message_search_as_git_does(git_site, run, revision: str) -> None:
    """`@{upstream}` names a remote's branch (a ref any clone fetches), and `:/text` searches the
    history for a message: neither reads the reflog."""
    result = run("diff", "--source", git_site.root, revision)
    assert "reflog" not in result.output


@pytest.mark.git
@pytest.mark.parametrize("spelled", ["....", "main....HEAD", "main...HEAD...x", "main..HEAD.", ".main..HEAD"])
def test_diff_says_what_a_range_looks_like(git_site, run, spelled: str) -> None:
    """`diff ....` said "unknown revision '.'": a range of too many dots is not a name to look up."""
    result = run("diff", "--source", git_site.root, spelled)
    assert result.exit_code == 2, result.output
    assert f"'{spelled}' is not a range: a range is BASE..HEAD" in result.output
    assert "e.g. main...HEAD" in result.output
    assert "unknown revision" not in result.output


# What a build of servicebook before this round wrote into its marker.
OLDER_MARKER = b"This folder is generated by servicebook build; it is replaced on every build.\n"


def _modes(public: Path) -> set[tuple[str, int]]:
    return {("folder" if p.is_dir() else "file", stat.S_IMODE(p.lstat().st_mode)) for p in [public, *public.rglob("*")]}


def test_a_site_an_older_build_left_world_writable_is_published_without_those_permissions(site_copy) -> None:
    """A build before the umask fix, run under umask 000, wrote a world-writable site; a rebuild
    hard-links the files that did not change, so those kept mode 0666 (and folders 0777) until
    they changed: anyone on the machine could change the published site. The first build of a site
    an older version wrote takes those permissions away, from every file and folder."""
    site = site_copy("minimal")
    env = {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH}
    build = [sys.executable, str(REPO / "build.py"), "build", "--source", str(site), "-q"]
    done = subprocess.run(build, check=False, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    public = site / "public"
    for path in [public, *public.rglob("*")]:  # as the older build left it under umask 000
        path.chmod(0o777 if path.is_dir() else 0o666)
    (public / ".servicebook-build").write_bytes(OLDER_MARKER)
    page = site / "content" / "welcome.md"
    page.write_text(page.read_text() + "\nOne more line.\n")
    done = subprocess.run(build, check=False, env=env, capture_output=True, text=True, umask=0)
    assert done.returncode == 0, done.stderr
    assert _modes(public) == {("folder", 0o755), ("file", 0o644)}


def _nest(top: Path, depth: int, page: str = "---\ntitle: Deep\n---\nDeep down.\n", name: str = "deep.md") -> None:
    """`depth` folders named d, one in the other, under `top`, a page at the bottom (made a folder
    at a time: the whole path can be longer than a path the system takes)."""
    fd = os.open(top, os.O_RDONLY)
    for _ in range(depth):
        os.mkdir("d", dir_fd=fd)
        below = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = below
    with open(os.open(name, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as file:
        file.write(page)
    os.close(fd)


def _unnest(top: Path) -> None:
    """Removes what _nest made (shutil.rmtree recurses once per folder: a RecursionError)."""
    fds = [os.open(top, os.O_RDONLY)]
    while "d" in os.listdir(fds[-1]):
        fds.append(os.open("d", os.O_RDONLY, dir_fd=fds[-1]))
    for name in os.listdir(fds[-1]):
        os.unlink(name, dir_fd=fds[-1])
    for fd, parent in zip(reversed(fds[1:]), reversed(fds[:-1]), strict=True):
        os.close(fd)
        os.rmdir("d", dir_fd=parent)
    os.close(fds[0])


@pytest.mark.parametrize("depth", [33, 1100])
def test_a_page_nested_too_deep_is_a_located_error(site_copy, run, depth: int) -> None:
    """content/ with a page 1,100 folders deep was a RecursionError (a traceback) in check and
    build, and one a few hundred deep made paths longer than the file system holds when the site
    was written. A page is at most 32 folders deep: each folder is a part of its URL."""
    site = site_copy("minimal")
    _nest(site / "content", depth)
    try:
        for command in ("check", "build"):
            result = run(command, "--source", site)
            assert result.exit_code == 1, result.output
            assert "Traceback" not in result.output
            assert f"content/{'d/' * 32}d: error: folders nested more than 32 deep under content/" in result.output
            assert "keep pages at most 32 folders deep" in result.output
        assert not (site / "public").exists()
    finally:
        _unnest(site / "content")


def test_a_page_32_folders_deep_is_built(site_copy, run) -> None:
    site = site_copy("minimal")
    _nest(site / "content", 32)
    result = run("build", "--source", site)
    assert result.exit_code == 0, result.output
    assert (site / "public" / "policies" / ("d/" * 32) / "deep" / "index.html").is_file()


@pytest.mark.git
def test_diff_refuses_a_page_nested_too_deep_as_check_does(git_site, run) -> None:
    _nest(git_site.root / "content", 33)
    git_site.commit("A deep page")
    result = run("diff", "--source", git_site.root, "HEAD~1", "HEAD")
    assert result.exit_code == 1, result.output
    assert f"HEAD:content/{'d/' * 32}d: error: folders nested more than 32 deep under content/" in result.output


NESTED_TOO_DEEP = {
    "conditions": ("{% if true %}" * 3000 + "{% endif %}" * 3000, 1),
    "brackets": ("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}", 1),
    "loops": ("\n" + "{% for i in [1] %}\n" * 25 + "x" + "{% endfor %}" * 25, 27),  # Python: 20 blocks
}


@pytest.mark.parametrize("name", NESTED_TOO_DEEP)
def test_a_template_nested_too_deep_to_compile_is_a_located_error(site_copy, run, name: str) -> None:
    """A site's template with 3,000 conditions or 5,000 brackets one in another was a
    RecursionError in Jinja's parser, and one with 25 loops a SyntaxError of Python's compiler
    (20 nested blocks at most): tracebacks, for a pull request's layouts/. Each is now an error at
    the template's line."""
    body, line = NESTED_TOO_DEEP[name]
    site = site_copy("minimal")
    (site / "layouts").mkdir()
    (site / "layouts" / "home.html").write_text(
        '{% extends "base.html" %}{% block content %}' + body + "{% endblock %}"
    )
    result = run("check", "--source", site)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"layouts/home.html:{line}:1: error: tags or expressions nested too deeply one in another" in result.output


@pytest.mark.git
def test_verify_reports_a_folder_nested_deep_in_the_published_site(git_site, run) -> None:
    """A published copy with a folder 1,100 deep (its host's, or whoever changed it) made verify
    a RecursionError while it listed the copy: a traceback where a difference is the answer."""
    assert run("build", "--source", git_site.root).exit_code == 0
    _nest(git_site.root / "public", 1100, "<p>added</p>", "added.html")
    try:
        result = run("verify", "--source", git_site.root)
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        assert f"{'d/' * 1100}added.html: not produced by a rebuild" in result.output
    finally:
        _unnest(git_site.root / "public")
