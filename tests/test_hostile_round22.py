"""Hostile inputs of 7 Dec 2026 (twenty-second round): the files imported and the servers and
repositories servicebook talks to, as attackers (a Backstage descriptor whose substitutions read a
file over and over, a history cache entry of terabytes), each refused in words, located, within
bounded time and memory."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from servicebook.cache.disk import MAX_ENTRY_BYTES
from servicebook.git import members as git_members
from servicebook.interop.fragment import MAX_IMPORT_BYTES

from . import test_federation, test_hostile_round5
from .conftest import GitSite
from .servehelp import wait_for

MEASURED = test_hostile_round5.MEASURED
answering = test_hostile_round5.answering  # the fixture: a server answering the Prometheus API as told
AT = "2026-06-01T00:00:00Z"

COMPONENT = """---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: svc-{n}
  description:
    $text: ./description.txt
spec:
  type: service
  owner: platform
  lifecycle: production
"""


def test_backstage_substitutions_read_no_more_together_than_one_import_may(run, tmp_path: Path) -> None:
    """Backstage reads `$text: ./file` for each entity that names it, and so did the import: a file of
    8 MB named by 200 entities was read 200 times into a fragment of 1.6 GB, 12 CPU minutes (and a
    `$yaml` of short values is 790 MB of nodes each time). What the substitutions of one import read
    is counted together, each file each time it is read, and held to what one import may read: past
    it, the substitution is an error at its line and column, the file unread."""
    share = MAX_IMPORT_BYTES * 3 // 8  # two reads fit, the third does not
    (tmp_path / "description.txt").write_text("d" * (share - 1) + "\n")
    entities = tmp_path / "entities.yaml"
    entities.write_text("".join(COMPONENT.format(n=n) for n in range(4)))

    result = run("import", "backstage", entities)

    assert result.exit_code == 1, result.output[-2000:]
    assert "Traceback" not in result.output
    assert result.stdout == ""
    for n in (2, 3):  # each entity is 11 lines; its `$text` key on its 7th
        assert (
            f"{entities}:{11 * n + 7}:5: error: Component 'svc-{n}': $text ./description.txt: "
            f"{tmp_path}/description.txt is {share:,} bytes, after {2 * share:,} read by the substitutions "
            f"before it: more than one import reads ({MAX_IMPORT_BYTES:,} bytes)"
        ) in result.stderr
    assert "hint: write the value, or import the entities that name the file in parts" in result.stderr
    assert f"{entities}:{11 + 7}:5: error" not in result.stderr
    assert "import failed: 2 errors; nothing was written." in result.stderr


@pytest.mark.git
def test_a_history_cache_entry_of_a_terabyte_is_a_miss_not_read(run, git_site: GitSite) -> None:
    """The history parsed from git is kept in the cache as files of JSON, each read whole before its
    checksum was checked: a restored cache holding an entry of a terabyte with no data in it (a
    sparse file, a few kilobytes on disk) was a MemoryError, a traceback, and an entry of gigabytes
    as much memory. An entry larger than any servicebook writes is a miss, unread, made again from
    git; the site is what a cold build makes."""
    git_site.edit("objective: 99.5", "objective: 99.9")
    git_site.commit("A higher objective")
    assert run("build", "--source", git_site.root).exit_code == 0
    public = git_site.root / "public"
    cold = {p.relative_to(public): p.read_bytes() for p in public.rglob("*") if p.is_file()}
    cache = git_site.root / ".servicebook-cache"
    entries = sorted((cache / "history").glob("*/*.json"))
    assert entries
    for entry in entries:
        os.truncate(entry, 1 << 40)
    for kept in ("store", "build", "releases", "sources"):  # so that the history is read again
        shutil.rmtree(cache / kept, ignore_errors=True)
    shutil.rmtree(public)

    result = run("build", "--source", git_site.root)

    assert result.exit_code == 0, result.output
    assert {p.relative_to(public): p.read_bytes() for p in public.rglob("*") if p.is_file()} == cold
    assert all(entry.stat().st_size < MAX_ENTRY_BYTES for entry in entries)  # written again, whole


class _Raw:
    """A server at 127.0.0.1 that answers every request with the bytes it is given, as written (no
    HTTP server of the standard library writes a broken status line or header), then `drip` bytes
    one at a time, `pause` seconds apart, until the client goes (at most a minute's worth); with
    no bytes (None), nothing, the connection held open until the test ends (at most a minute)."""

    def __init__(self, answer: bytes | None, drip: int = 0, pause: float = 0.2) -> None:
        self.answer, self.drip, self.pause = answer, drip, pause
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(5)
            try:
                request = b""
                while b"\r\n\r\n" not in request:
                    read = connection.recv(65536)
                    if not read:
                        return
                    request += read
                if self.answer is None:  # a server that never answers
                    self.stop.wait(60)
                    return
                connection.sendall(self.answer)
                for _ in range(min(self.drip, int(60 / self.pause))):
                    if self.stop.wait(self.pause):
                        return
                    connection.sendall(b"x")
            except OSError:  # the client went
                return

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.listener.close()


@pytest.fixture
def raw() -> Iterator[Callable[..., _Raw]]:
    made: list[_Raw] = []

    def start(answer: bytes, drip: int = 0) -> _Raw:
        made.append(_Raw(answer, drip))
        return made[-1]

    yield start
    for server in made:
        server.close()


def _measured_site(site_copy) -> Path:
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("        window: 30d", MEASURED))
    return site


@pytest.mark.parametrize(
    ("answer", "fault"),
    [
        (
            b"HTTP/1.1 200 OK\r\nX-A: " + b"a" * 70_000 + b"\r\n\r\n",
            "got more than 65536 bytes when reading header line",
        ),
        (
            b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(200)) + b"\r\n",
            "got more than 100 headers",
        ),
        (  # what it wrote quoted as a reason quotes it: escaped
            b"\x1b[2J\x1b[31mall good\r\n\r\n",
            "its first line is '\\x1b[2J\\x1b[31mall good\\r\\n', no HTTP status line",
        ),
        (  # no status line at all (HTTP/0.9): the JSON itself
            b'{"status":"success"}',
            'its first line is \'{"status":"success"}\', no HTTP status line',
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}",
            "the answer ended before its end (the connection was closed, or a chunk was cut short)",
        ),
    ],
    ids=["header-line-too-long", "too-many-headers", "escapes-for-a-status-line", "no-status-line", "broken-chunk"],
)
def test_an_answer_no_http_server_sends_is_said_in_words_not_a_traceback(
    run, site_copy, raw, answer: bytes, fault: str
) -> None:
    """A server at --prometheus that is no HTTP server (or a broken proxy): http.client's own errors
    (a header line of 70 kB, 200 headers, a first line that is no status line, a chunk size that is
    no number) were not caught, a traceback and exit 70. They are the server not answering as HTTP
    does, said with what it wrote escaped; no query was answered, so nothing is written."""
    site = _measured_site(site_copy)
    server = raw(answer)

    result = run("measure", "--source", site, "--prometheus", server.url, "--at", AT, "--timeout", "10")

    assert "Traceback" not in result.output
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[-1] == (
        f"error: no query was answered by a Prometheus at {server.url}: {server.url} did not answer as an HTTP "
        f"server does: {fault}; check --prometheus (nothing was written)"
    )
    assert not (site / "measurements").exists()


def test_a_refusal_whose_body_trickles_is_given_up_at_the_timeout_not_a_traceback(run, site_copy, raw) -> None:
    """The body of an answer with a status of failure (a 500) was read apart from a good answer's:
    without the deadline, so a byte every 0.2 s held measure until the read's own timeout, a
    TimeoutError and a traceback. It is read as a good answer is, by the query's deadline."""
    site = _measured_site(site_copy)
    server = raw(b"HTTP/1.1 500 Oops\r\nContent-Length: 100000\r\n\r\n", drip=100_000)

    started = time.monotonic()
    result = run("measure", "--source", site, "--prometheus", server.url, "--at", AT, "--timeout", "1")

    assert "Traceback" not in result.output
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[-1].startswith(
        f"error: no query was answered by a Prometheus at {server.url}: no answer within 1 s"
    )
    assert time.monotonic() - started < 30


@pytest.mark.git
def test_a_member_that_never_answers_is_refused_in_time_and_the_others_are_locked(
    run, tmp_path: Path, raw, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A member's server that accepts the connection and never answers: git was stopped at the time
    limit, as it should be, but that stopped `federate update` whole, with git's command line as
    the message, the members after it never fetched and those before it not locked. It is that
    member refused, in words, and the others locked. (The limit is 300 s a member, made 2 here.)"""
    monkeypatch.setattr(git_members, "FETCH_TIME_LIMIT", 2.0)
    silent = raw(None)
    db = test_federation.Member(tmp_path, "db", "Database Team")
    org = test_federation.organisation(
        tmp_path,
        f"  - id: slow-team\n    repository: {silent.url}/slow.git\n    site: https://slow.example.com/\n"
        f"  - id: db-team\n    repository: {db.url}\n    site: https://db.example.com/\n",
    )

    started = time.monotonic()
    result = run("federate", "update", "--source", org)

    assert "Traceback" not in result.output
    assert result.exit_code == 3, result.output
    assert f"refused: slow-team: cannot fetch {silent.url}/slow.git: no answer within 2 seconds" in result.output
    assert set(test_federation.locked(org)) == {"db-team"}
    assert time.monotonic() - started < 60
    # and git was stopped so that it stopped its helper too (SIGKILL left git-remote-http running,
    # connected to the server, until the server let go)
    wait_for(
        lambda: not _running(f"{silent.url}/slow.git"),
        timeout=15,
        what="git's helper to end",
        output=lambda: "\n".join(_running(f"{silent.url}/slow.git")),
    )


def _running(url: str) -> list[str]:
    """The command lines of the processes of this machine that name `url`."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            line = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:  # gone, or not a process
            continue
        if url in line:
            found.append(line)
    return found


@pytest.mark.parametrize(
    ("name", "warned"),
    [
        ("Pipeline \u0441\u043e\u0440\u0443", ("\\u0441\\u043e\\u0440\\u0443", "copy")),  # Cyrillic сору
        ("\u0421\u041e\u0420\u0423", ("\\u0421\\u041e\\u0420\\u0423", "COPY")),  # the whole name, Cyrillic
        ("\u03a4\u039f\u03a1 scanner", ("\\u03a4\\u039f\\u03a1", "TOP")),  # Greek ΤΟΡ beside a Latin word
        ("\u0421\u043a\u0440\u0438\u043f\u0442\u044b", None),  # Скрипты: letters no Latin reader takes for Latin ones
        ("\u041e\u0445", None),  # Ох alone: too short to be taken for a Latin name
        ("Pipeline copy", None),
    ],
    ids=["word-beside-latin", "whole-name", "greek", "other-letters", "short-word-alone", "latin"],
)
def test_a_name_with_a_word_wholly_in_look_alike_letters_is_a_warning_though_no_other_name_is_alike(
    run, site_copy, name: str, warned: tuple[str, str] | None
) -> None:
    """Round 21 warned of a name drawn as another record's; a name that reads as no other one's,
    written wholly in letters of another script drawn as Latin ones ('Pipeline сору', Cyrillic),
    passed unsaid: a reviewer reads 'Pipeline copy', and a search of the site for 'copy' does not
    find it. A warning at the name shows the word escaped and what it reads as; a name in another
    script that no Latin reader takes for Latin is no business of it."""
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    written = "".join(ch if ch.isascii() else f"\\u{ord(ch):04x}" for ch in name)
    catalog.write_text(catalog.read_text().replace("name: Hand-rolled CI scripts", f'name: "{written}"'))

    result = run("check", "--source", site)

    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    if warned is None:
        assert "no errors, no warnings" in result.output
        return
    word, reads = warned
    assert (
        f"catalog.yaml:71:11: warning: tool 'hand-rolled-scripts' is named '{name}', whose word '{word}' is "
        f"written in letters of another script that read as '{reads}': readers and the site's search take it "
        "for another word\n"
    ) in result.output
    assert f"  hint: write '{reads}' in Latin letters, or the whole name in that other script" in result.output
    assert run("check", "--source", site, "--strict").exit_code == 1


def _pkt(data: bytes) -> bytes:
    return b"%04x" % (len(data) + 4) + data


class _Chatty(http.server.BaseHTTPRequestHandler):
    """A git server (smart HTTP, protocol v0) whose one branch, main, is offered, and whose answer
    to the fetch is `megabytes` MB of messages on the side band ("remote: sss…"), then nothing."""

    megabytes = 32

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-git-upload-pack-advertisement")
        self.end_headers()
        self.wfile.write(
            _pkt(b"# service=git-upload-pack\n")
            + b"0000"
            + _pkt(b"1" * 40 + b" refs/heads/main\0multi_ack_detailed side-band-64k ofs-delta\n")
            + b"0000"
        )

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-git-upload-pack-result")
        self.end_headers()
        megabyte = b"".join(_pkt(b"\x02" + b"s" * 65_000 + b"\n") for _ in range(16))
        try:
            self.wfile.write(_pkt(b"NAK\n"))
            for _ in range(self.megabytes):
                self.wfile.write(megabyte)
        except OSError:  # git went
            return

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.git
def test_a_member_server_that_floods_gits_messages_is_refused_in_a_few_lines(run, tmp_path: Path) -> None:
    """git writes what a member's server sends on its side band ("remote: …") as it comes, and the
    fetch held all of it in memory and then printed it, as one line, in the refusal: 200 MB took
    585 MB and 6 s from a server on this machine, and a server has 300 s. Of what git writes only
    its first and last lines, 16 KiB, are kept: the refusal says git's own last words."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Chatty)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/chatty.git"
        org = test_federation.organisation(
            tmp_path, f"  - id: chatty-team\n    repository: {url}\n    site: https://chatty.example.com/\n"
        )

        result = run("federate", "update", "--source", org)
    finally:
        server.shutdown()
        server.server_close()

    assert "Traceback" not in result.output
    assert result.exit_code == 3, result.output[-2000:]
    (refusal,) = [line for line in result.output.splitlines() if line.startswith("refused: chatty-team")]
    assert refusal.startswith(f"refused: chatty-team: cannot fetch {url}: ")
    assert "fatal: " in refusal
    assert len(result.output) < 20_000


def _vector(*values: str) -> str:
    result = [{"metric": {"i": str(i)}, "value": [1, v]} for i, v in enumerate(values)]
    return json.dumps({"status": "success", "data": {"resultType": "vector", "result": result}})


EMPTY_MATRIX = json.dumps({"status": "success", "data": {"resultType": "matrix", "result": []}})


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        (_vector(*["1"] * 100_000), "the total query returned 100000 series, not one value: wrap it in sum(…)"),
        # (every query is given the one answer: the total's, then its counter resets')
        (_vector("1e309"), "the total resets query returned inf: not a count of restarts"),
        (_vector("-5"), "the total resets query returned -5: not a count of restarts"),
    ],
    ids=["100000-series", "past-a-float", "negative"],
)
def test_figures_no_prometheus_gives_leave_the_slo_not_measured_saying_why(
    run, site_copy, answering, query: str, reason: str
) -> None:
    """What a hostile server can answer within the API's shape: 100,000 series where one value was
    asked for (4 MB, within the bound on an answer), a number past what a float holds, a negative
    count. None is a measurement: the SLO is not measured, and the snapshot says why."""
    site = _measured_site(site_copy)
    url = answering(query, EMPTY_MATRIX)

    result = run("measure", "--source", site, "--prometheus", url, "--at", AT)

    assert "Traceback" not in result.output
    assert result.exit_code == 3, result.output[-2000:]
    (snapshot,) = (site / "measurements").iterdir()
    (measured,) = json.loads(snapshot.read_text())["slos"]
    assert measured["reason"] == reason
    assert measured.get("attainment") is None


def test_a_yaml_file_of_100000_documents_is_refused_at_the_first_past_the_bound(run, tmp_path: Path) -> None:
    """Each import reads at most 10,000 documents of a file: the one past it is the error, located."""
    path = tmp_path / "many.yaml"
    path.write_text("--- {}\n" * 100_000)
    for fmt in ("backstage", "openslo", "pyrra", "sloth"):
        result = run("import", fmt, path)
        assert result.exit_code == 1, result.output[-2000:]
        assert "Traceback" not in result.output
        assert f"{path}:10001:1: error: more than 10,000 YAML documents in one file" in result.stderr
