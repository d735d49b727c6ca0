"""`servicebook serve`: rebuilds on change, shows errors in page and terminal, never dies."""

from __future__ import annotations

import json
import re
import socket
import struct
import subprocess
import sys
import threading
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from servicebook.site.serve import Preview, error_page, inject, is_source, watched_dirs

from .conftest import FIXED_EPOCH
from .servehelp import running_serve, wait_for, watched

# A preview whose clocks stand still: each log line's time of day, and every rebuild taking 0 s.
STOPPED = {"now": lambda: datetime(2026, 3, 2, 9, 30, tzinfo=UTC), "clock": lambda: 0.0}

PAGE = '<!doctype html>\n<html><head>\n<meta http-equiv="Content-Security-Policy" content="x">\n</head>\n<body data-root="./">\n<p>hi</p></body></html>'


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # only ever 127.0.0.1
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_injected_reload_script_is_a_file_and_the_csp_stays_first() -> None:
    served = inject(PAGE, 7, None)
    assert served.index("Content-Security-Policy") < served.index("/__servicebook/reload.js")
    assert '<script src="/__servicebook/reload.js" data-generation="7" defer></script></head>' in served
    assert "<script>" not in served and "style=" not in served


def test_errors_are_shown_escaped_at_the_top_of_the_body() -> None:
    served = inject(PAGE, 2, "catalog.yaml:3:1: error: <script>")
    body = served.split('<body data-root="./">', 1)[1]
    assert body.startswith('<div class="sb-serve-errors" role="alert">')
    assert "catalog.yaml:3:1: error: &lt;script&gt;" in body
    assert "catalog.yaml:1:1" in error_page(1, "catalog.yaml:1:1: error: x")


def test_the_page_shown_before_any_build_succeeded_does_not_call_itself_the_last_good_build() -> None:
    failed = error_page(1, "catalog.yaml:1:1: error: x")
    assert "last good build" not in failed
    assert "the sources have errors and no build has succeeded yet" in failed
    building = error_page(1, None)
    assert "last good build" not in building and "have errors" not in building
    assert "the first build is not done yet" in building
    assert "this is the last good build." in inject(PAGE, 2, "catalog.yaml:3:1: error: x")


def test_only_catalog_content_and_layouts_trigger_a_rebuild(tmp_path: Path) -> None:
    assert is_source(tmp_path / "catalog.yaml", tmp_path)
    assert is_source(tmp_path / "content/a/b.md", tmp_path)
    assert is_source(tmp_path / "layouts/base.html", tmp_path)
    assert is_source(tmp_path / "servicebook.lock", tmp_path)  # an organisation site's members
    assert is_source(tmp_path / "measurements/2026-03-01.json", tmp_path)
    assert not is_source(tmp_path / "public/index.html", tmp_path)
    assert not is_source(tmp_path / ".catalog.yaml.swp", tmp_path)
    assert not is_source(tmp_path.parent / "catalog.yaml", tmp_path)


def test_watched_folders_skip_everything_but_the_sources(tmp_path: Path) -> None:
    for folder in ("content/guides", "layouts", ".venv/lib/python", ".git/objects", "public/x"):
        (tmp_path / folder).mkdir(parents=True)
    assert watched_dirs(tmp_path) == (
        str(tmp_path),
        str(tmp_path / "content"),
        str(tmp_path / "content/guides"),
        str(tmp_path / "layouts"),
    )


def test_serve_rebuilds_shows_errors_and_keeps_the_last_good_build(site_copy) -> None:
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    with running_serve(site, FIXED_EPOCH) as served:
        version = lambda: json.loads(fetch(served.url + "__servicebook/version")[1])  # noqa: E731
        assert version() == {"generation": 1, "ok": True}
        status, html = fetch(served.url + "offerings/ci/")
        assert status == 200 and "<h1>CI pipelines</h1>" in html
        assert '<script src="/__servicebook/reload.js" data-generation="1" defer>' in html

        catalog.write_text(catalog.read_text().replace("objective: 99.5", "objective: 199.5"))
        wait_for(lambda: version()["generation"] == 2, what="the rebuild", output=served.output)
        assert version()["ok"] is False
        status, html = fetch(served.url + "offerings/ci/")
        assert status == 200 and "<h1>CI pipelines</h1>" in html  # the last good build
        assert re.search(r'class="sb-serve-errors".*catalog\.yaml:59:20: error: ', html, re.S)
        wait_for(lambda: "Serving the last good build" in served.output(), what="the terminal", output=served.output)
        assert "catalog.yaml:59:20: error: 'objective' must be a percentage" in served.output()

        catalog.write_text(catalog.read_text().replace("objective: 199.5", "objective: 99.9"))
        wait_for(lambda: version() == {"generation": 3, "ok": True}, what="the fixed build", output=served.output)
        # against the last good build: the offering's page and the 11 lists, not its tools and pages
        rebuilt = r"\[\d\d:\d\d:\d\d\] \S*catalog\.yaml changed: rebuilt 12 of 15 pages in \d+\.\d\d s\."
        wait_for(lambda: re.search(rebuilt, served.output()), what="the rebuild's log line", output=served.output)
        status, html = fetch(served.url + "offerings/ci/")
        assert "99.9 %" in html and "sb-serve-errors" not in html
        assert fetch(served.url + "nowhere/")[0] == 404
        assert served.process.poll() is None


def test_serve_sees_an_edit_saved_the_moment_it_says_it_is_serving(site_copy) -> None:
    # "Serving … Rebuilding on changes" is said once the sources are watched: an edit saved at
    # once is rebuilt (it used to be lost when the watcher started after the line, under load).
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    with running_serve(site, FIXED_EPOCH) as served:
        catalog.write_text(catalog.read_text().replace("objective: 99.5", "objective: 99.9"))
        wait_for(lambda: "catalog.yaml changed" in served.output(), what="the rebuild", output=served.output)
        assert "99.9 %" in fetch(served.url + "offerings/ci/")[1]


def test_serve_names_files_as_check_and_build_do(site_copy, tmp_path, monkeypatch) -> None:
    site = site_copy("minimal")  # tmp_path/minimal
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("name: Platform Team", "name: Platform Team #platform", 1))
    monkeypatch.chdir(tmp_path)
    said: list[str] = []
    preview = Preview(Path("minimal"), {"SOURCE_DATE_EPOCH": FIXED_EPOCH}, said.append, said.append)
    try:
        assert preview.rebuild()
        assert said[0].startswith("minimal/catalog.yaml:") and ": warning: '#platform' starts a YAML comment" in said[0]
        catalog.write_text(catalog.read_text().replace("objective: 99.5", "objective: 199.5"))
        assert not preview.rebuild()
        errors = preview.state()[1]
        assert errors is not None and "\nminimal/catalog.yaml:" in "\n" + errors
        assert "minimal/catalog.yaml:" in said[-2]
    finally:
        preview.close()


def test_serve_shows_each_warning_once_per_session(site_copy, tmp_path, monkeypatch) -> None:
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("name: Platform Team", "name: Platform Team #platform", 1))
    monkeypatch.chdir(tmp_path)
    said: list[str] = []
    preview = Preview(Path("minimal"), {"SOURCE_DATE_EPOCH": FIXED_EPOCH}, said.append, said.append, **STOPPED)
    trap = ": warning: '#platform' starts a YAML comment"
    try:
        assert preview.rebuild()
        assert sum(trap in line for line in said) == 1
        assert said[-1] == "[09:30:00] Built 15 pages in 0.00 s."
        # an edit above it moves the warning down a line: the same warning, not shown again
        said.clear()
        catalog.write_text("# edited\n" + catalog.read_text())
        assert preview.rebuild()
        assert said == ["[09:30:00] Built 15 pages in 0.00 s (1 warning shown before still applies)."]
        # a new warning is shown, the old one is not
        said.clear()
        catalog.write_text(catalog.read_text().replace("name: CI pipelines", "name: CI pipelines #ci", 1))
        assert preview.rebuild()
        assert len(said) == 2
        assert said[0].startswith("minimal/catalog.yaml:") and ": warning: '#ci' starts a YAML comment" in said[0]
        assert said[1] == "[09:30:00] Built 15 pages in 0.00 s (1 warning shown before still applies)."
        # a failed build in between does not make the preview forget what it showed
        said.clear()
        catalog.write_text(catalog.read_text().replace("objective: 99.5", "objective: 199.5"))
        assert not preview.rebuild()
        catalog.write_text(catalog.read_text().replace("objective: 199.5", "objective: 99.5"))
        said.clear()
        assert preview.rebuild()
        assert said == ["[09:30:00] Built 15 pages in 0.00 s (2 warnings shown before still apply)."]
    finally:
        preview.close()


def test_serve_logs_each_rebuild_with_the_time_the_files_changed_the_pages_rendered_again_and_how_long(
    site_copy, tmp_path, monkeypatch
) -> None:
    site = site_copy("minimal")  # tmp_path/minimal
    monkeypatch.chdir(tmp_path)
    ticks = iter(range(1000))
    clock = {"now": STOPPED["now"], "clock": lambda: next(ticks) * 0.25}  # every reading a quarter second later
    said: list[str] = []
    preview = Preview(Path("minimal"), {"SOURCE_DATE_EPOCH": FIXED_EPOCH}, said.append, said.append, **clock)
    page, catalog = site / "content" / "welcome.md", site / "catalog.yaml"
    try:
        assert preview.rebuild()
        assert re.fullmatch(r"\[09:30:00\] Built 15 pages in \d+\.\d\d s\.", said[-1]), said
        # a policy page's text, not its title or headings: that page alone is rendered again
        page.write_text(page.read_text() + "\nOne more paragraph.\n")
        said.clear()
        assert preview.rebuild([page])
        assert re.fullmatch(
            r"\[09:30:00\] minimal/content/welcome\.md changed: rebuilt 1 of 15 pages in \d+\.\d\d s\.", said[0]
        ), said
        # a comment in the catalog: the lists, which cover the whole catalog, are rendered again;
        # the offering, tool and policy pages show nothing of it and are kept
        catalog.write_text(catalog.read_text() + "# a comment\n")
        said.clear()
        assert preview.rebuild([catalog, site / "content" / "guides"])  # as the watcher reports them
        assert said[0].startswith(
            "[09:30:00] minimal/catalog.yaml, minimal/content/guides changed: rebuilt 11 of 15 pages"
        )
        # saved, not changed
        catalog.touch()
        said.clear()
        assert preview.rebuild([catalog])
        assert said[0].startswith("[09:30:00] minimal/catalog.yaml changed: nothing to rebuild, the site is the same (")
        # many files at once: three named, the others counted
        names = [site / "content" / f"{n}.md" for n in "abcd"]
        said.clear()
        assert preview.rebuild([catalog, *names])
        assert said[0].startswith(
            "[09:30:00] minimal/catalog.yaml, minimal/content/a.md, minimal/content/b.md and 2 more changed: "
        )
        # a failed rebuild says when, and what changed, above the errors it printed
        catalog.write_text(catalog.read_text().replace("objective: 99.5", "objective: 199.5"))
        said.clear()
        assert not preview.rebuild([catalog])
        assert said[-1] == (
            "[09:30:00] minimal/catalog.yaml changed: the build failed. Serving the last good build until this is fixed."
        )
    finally:
        preview.close()


@pytest.mark.git
def test_serve_shows_a_shallow_clone_warning_once(git_site, tmp_path) -> None:
    import os

    git_site.edit("objective: 99.5", "objective: 99.6")
    git_site.commit("second")
    clone = tmp_path / "shallow"
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{git_site.root}", str(clone)], check=True, env=env)
    said: list[str] = []
    preview = Preview(clone, {"SOURCE_DATE_EPOCH": FIXED_EPOCH}, said.append, said.append, **STOPPED)
    try:
        for n in range(3):
            (clone / "catalog.yaml").write_text((clone / "catalog.yaml").read_text() + f"# save {n}\n")
            assert preview.rebuild()
        shallow = [line for line in said if ": warning: this is a shallow clone: " in line]
        assert len(shallow) == 1
        # the root's pages and release 0.1's (the clone's one commit carries it), its changes/ included
        said_again = "[09:30:00] Built 30 pages in 0.00 s; 14 of the pages are release 0.1's (1 warning shown before still applies)."
        assert said[-2:] == [said_again] * 2
    finally:
        preview.close()


@pytest.fixture
def preview_server(site_copy):
    """A preview of the minimal site built once, served from a thread on a real socket of
    127.0.0.1; yields (server, what it said) and is started by `start`."""
    from servicebook.site.serve import Preview, make_server

    said: list[str] = []
    preview = Preview(site_copy("minimal"), {"SOURCE_DATE_EPOCH": FIXED_EPOCH}, said.append, said.append)
    assert preview.rebuild()
    server = make_server(preview, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    try:
        yield server, said, thread.start
    finally:
        if thread.is_alive():
            server.shutdown()
        server.server_close()
        preview.close()


def raw_request(port: int, request: bytes) -> bytes:
    """Send `request` as is on a new connection and read the whole reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as conn:
        conn.sendall(request)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def status_of(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1])


def test_path_segments_of_any_length_get_a_page_or_a_404_never_an_empty_reply(preview_server) -> None:
    server, said, start = preview_server
    start()
    port = server.server_port
    for length in (1, 200, 254, 255, 256, 1000, 4095, 4096, 5000, 30000):
        for path in (f"/{'a' * length}", f"/offerings/{'b' * length}/", f"/{'c' * length}.css", f"/x/{'d' * length}"):
            reply = raw_request(port, f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
            assert status_of(reply) == 404, (length, path[:20], reply[:100])
            assert b"Connection: close" in reply or reply.endswith(b"</html>\n") or b"<html" in reply
    for path in ("/%00", "/a%00b/", "/%2e%2e/%2e%2e/etc/passwd", "/" + "%41" * 300):
        assert status_of(raw_request(port, f"GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode())) == 404, path
    head = raw_request(port, f"HEAD /{'e' * 300} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode())
    assert status_of(head) == 404
    # a request line longer than http.server reads (64 KiB) is 414, still an answer
    assert status_of(raw_request(port, f"GET /{'f' * 70000} HTTP/1.0\r\n\r\n".encode())) == 414
    assert not any("Traceback" in line or "OSError" in line for line in said)


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("127.0.0.1", 200),
        ("127.0.0.1:8000", 200),
        ("localhost", 200),
        ("LOCALHOST:1234", 200),
        ("localhost.", 200),
        ("[::1]", 200),
        ("[::1]:8000", 200),
        ("evil.example", 421),
        ("evil.example:8000", 421),
        ("localhost.evil.example", 421),
        ("127.0.0.1.nip.io", 421),
        ("0.0.0.0", 421),
        ("", 421),
        (None, 421),
        ("127.0.0.1:8765@evil.example", 421),  # not a host and port: read as 127.0.0.1 it was answered
        ("localhost:80:80", 421),
        ("localhost evil.example", 421),
        ("localhost/evil", 421),
        ("user@localhost", 421),
    ],
)
def test_only_requests_for_localhost_or_the_bound_address_are_answered(preview_server, host, status) -> None:
    """A page on another site can make the browser send requests here with its own name in Host
    (DNS rebinding): those get 421 Misdirected Request, so it cannot read the preview."""
    server, _, start = preview_server
    start()
    header = "" if host is None else f"Host: {host}\r\n"
    for method in ("GET", "HEAD"):
        reply = raw_request(
            server.server_port, f"{method} /offerings/ci/ HTTP/1.1\r\n{header}Connection: close\r\n\r\n".encode()
        )
        assert status_of(reply) == status, (method, host)
        if status == 421:
            assert b"CI pipelines" not in reply


def test_the_name_given_to_bind_is_answered_too(site_copy) -> None:
    from servicebook.site.serve import allowed_hosts, host_name

    assert allowed_hosts("preview.internal") >= {"localhost", "127.0.0.1", "[::1]", "preview.internal"}
    assert "[fe80::1]" in allowed_hosts("fe80::1")
    assert host_name("Preview.Internal:8000") == "preview.internal"
    assert host_name("[fe80::1]:80") == "[fe80::1]"
    assert host_name("[broken") is None
    assert host_name("127.0.0.1:8765@evil") is None and host_name("localhost:") == "localhost"


@pytest.mark.parametrize("bind", ["", " ", "[]"])
def test_an_empty_bind_is_refused_rather_than_every_interface(site_copy, bind: str) -> None:
    """`--bind "$HOST"` with HOST unset listened on every interface (the socket's "" address),
    saying it served at http://:PORT/."""
    from servicebook.errors import UsageProblem
    from servicebook.site.serve import Preview, make_server

    preview = Preview(site_copy("minimal"), {"SOURCE_DATE_EPOCH": FIXED_EPOCH}, print, print)
    with pytest.raises(UsageProblem, match="--bind"):
        make_server(preview, bind, 0).server_close()


def test_a_port_in_use_says_how_to_serve_on_another(site_copy) -> None:
    """A second `servicebook serve` (the first left running in another terminal) said only 'Address
    already in use' (newuser21)."""
    from servicebook.errors import UsageProblem
    from servicebook.site.serve import Preview, make_server

    preview = Preview(site_copy("minimal"), {"SOURCE_DATE_EPOCH": FIXED_EPOCH}, print, print)
    first = make_server(preview, "127.0.0.1", 0)
    port = first.server_address[1]
    try:
        with pytest.raises(UsageProblem) as refused:
            make_server(preview, "127.0.0.1", port).server_close()
    finally:
        first.server_close()
    assert str(refused.value) == (
        f"cannot serve on 127.0.0.1:{port}: Address already in use: stop what listens there, or give another "
        "--port (0: any free port)"
    )


def test_a_full_listen_queue_does_not_turn_clients_away(preview_server) -> None:
    """200 browsers connecting while the server has not yet accepted anyone (socketserver's
    default queue of 5 would drop the rest until they retry, seconds later) are all queued, then
    all answered."""
    server, said, start = preview_server
    waiting = []
    try:
        for _ in range(200):
            conn = socket.create_connection(("127.0.0.1", server.server_port), timeout=20)
            conn.sendall(b"GET /offerings/ci/ HTTP/1.0\r\nHost: localhost\r\n\r\n")
            waiting.append(conn)
        start()
        for conn in waiting:
            reply = b""
            while chunk := conn.recv(65536):
                reply += chunk
            assert status_of(reply) == 200
    finally:
        for conn in waiting:
            conn.close()
    assert not any("Traceback" in line for line in said)


def test_connections_dropped_mid_request_are_one_quiet_line_not_one_each(preview_server, capfd) -> None:
    server, said, start = preview_server
    start()
    for _ in range(3):
        conn = socket.create_connection(("127.0.0.1", server.server_port), timeout=20)
        conn.sendall(b"GET /offerings/ci/ HTTP/1.1\r\nHost: local")  # the headers never end
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()  # a reset, as a browser that gives up on a page
    wait_for(lambda: server.drops >= 3, what="the dropped connections to be handled")
    assert said[1:] == [
        "serve: a browser closed its connection before the reply was sent (ConnectionResetError); harmless "
        "(a page left or reloaded mid-reply), and not reported again"
    ]
    assert status_of(raw_request(server.server_port, b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")) == 200
    captured = capfd.readouterr()
    assert "Traceback" not in captured.out + captured.err


def test_serve_sees_a_page_saved_in_a_new_folder_while_the_watches_are_renewed(site_copy) -> None:
    # A new folder under content/ renews the watches (each folder is watched on its own); a page
    # saved there after the rebuild that the folder caused, but before the new folder is watched,
    # raised no event of its own: it was never built until some other edit came.
    site = site_copy("minimal")
    late = site / "content" / "team" / "late.md"
    page = "---\ntitle: Saved while the watches were renewed\nsummary: Late.\n---\n\nLate text.\n"
    lines: list[str] = []

    class SavingMeanwhile(Preview):
        def rebuild(self, changed=(), **how) -> bool:
            built = super().rebuild(changed, **how)
            if any(Path(path).parent == late.parent for path in changed) and not late.exists():
                late.write_text(page)  # after this rebuild, before the new folder is watched
            return built

    preview = SavingMeanwhile(site, {"SOURCE_DATE_EPOCH": FIXED_EPOCH}, lines.append, lines.append, **STOPPED)
    with watched(preview):
        late.parent.mkdir()
        (late.parent / "first.md").write_text(page.replace("while the watches were renewed", "first"))

        def published() -> bool:
            return any("Saved while the watches were renewed" in p.read_text() for p in preview.output.rglob("*.html"))

        wait_for(published, what="the page saved in the new folder", output=lambda: "\n".join(lines))


def test_serve_names_the_file_sed_edited_not_the_temporary_file_sed_saved_through(site_copy) -> None:
    # `sed -i` writes a temporary file beside the page and renames it over the page: the rebuild
    # line named the temporary file (gone by then) among what changed.
    site = site_copy("minimal")
    lines: list[str] = []
    preview = Preview(site, {"SOURCE_DATE_EPOCH": FIXED_EPOCH}, lines.append, lines.append, **STOPPED)
    with watched(preview):
        subprocess.run(["sed", "-i", "s/business hours/office hours/", "content/welcome.md"], cwd=site, check=True)
        rebuilt = wait_for(lambda: [line for line in lines[1:] if "changed" in line], what="the rebuild")
        assert rebuilt[0].startswith(f"[09:30:00] {site}/content/welcome.md changed: rebuilt"), rebuilt


def test_the_watcher_surveys_every_source_on_a_quiet_round_after_a_rebuild_that_took_its_word(site_copy) -> None:
    # A rebuild looks again only at the files the watcher reported (fresh.rescan); the next round
    # without changes surveys every file once (Preview.verify), so that an event it missed cannot
    # leave the preview stale.
    site = site_copy("minimal")
    lines: list[str] = []
    surveyed = threading.Event()

    class Watching(Preview):
        def verify(self) -> None:
            if self.memory.unverified:
                surveyed.set()
            super().verify()

    preview = Watching(site, {"SOURCE_DATE_EPOCH": FIXED_EPOCH}, lines.append, lines.append, **STOPPED)
    with watched(preview):
        page = site / "content" / "welcome.md"
        page.write_text(page.read_text() + "\nOne more paragraph.\n")
        wait_for(surveyed.is_set, what="a survey of every source after the rebuild", output=lambda: "\n".join(lines))
        assert any("content/welcome.md changed: rebuilt" in line for line in lines), lines


@pytest.mark.parametrize(
    ("folder", "hint"), [("", "start a site with `servicebook init DIR`"), ("content", "--source ..")]
)
def test_serve_in_a_folder_without_a_catalog_says_so_and_stops(site_copy, folder, hint) -> None:
    """Run in the wrong folder, serve used to preview an error page on port 8000 until Ctrl+C;
    it stops at once, with the problem and the hint `build` gives, and binds no port."""
    site = site_copy("minimal")
    cwd = site / folder
    if not folder:
        (site / "catalog.yaml").unlink()
    done = subprocess.run(
        [sys.executable, "-m", "servicebook.cli", "serve", "--port", "0"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,  # before the fix: serving until stopped
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.startswith("catalog.yaml: error: file not found\n")
    assert hint in done.stderr and done.stderr.endswith("serve failed: 1 error.\n")
    assert "Serving" not in done.stdout and "Traceback" not in done.stderr


def test_a_request_with_two_host_headers_is_not_answered(preview_server) -> None:
    server, _, start = preview_server
    start()
    request = b"GET /offerings/ci/ HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
    reply = raw_request(server.server_port, request)
    assert status_of(reply) == 421 and b"CI pipelines" not in reply


@pytest.mark.git
def test_serve_sees_a_commit_that_changes_no_source_file(git_site) -> None:
    # `git commit` of files already saved (and rebuilt) moves HEAD but no watched file: the
    # changes page must still show the commit, without another save or a restart.
    lines: list[str] = []
    preview = Preview(git_site.root, {"SOURCE_DATE_EPOCH": FIXED_EPOCH}, lines.append, lines.append, **STOPPED)
    with watched(preview):
        git_site.edit("objective: 99.5", "objective: 99.7")
        wait_for(lambda: any("catalog.yaml changed: rebuilt" in line for line in lines), what="the edit's rebuild")
        changes = preview.output / "changes" / "index.html"
        assert "Raise the objective to 99.7" not in changes.read_text()
        git_site.commit("Raise the objective to 99.7")
        moved = "[09:30:00] git's HEAD or tags moved: rebuilt "
        wait_for(
            lambda: any(line.startswith(moved) for line in lines),
            what="a rebuild after the commit",
            output=lambda: "\n".join(lines),
        )
        assert "Raise the objective to 99.7" in changes.read_text()
