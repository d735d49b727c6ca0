"""Hostile inputs of 5 Dec 2026 (fifth round): what the commands other than a build read — a
Prometheus answer, a published copy of the site, the build's own cache — and a site's templates
and folders that are not text; each refused in words, located where it has a place, never with a
traceback."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from servicebook.cache.store import store_file

from . import test_full_disk
from .conftest import GitSite
from .sitefiles import tree
from .test_full_disk import fill

disk = test_full_disk.disk  # the fixture: a small tmpfs of its own, to fill

DEEP = "[" * 100_000 + "]" * 100_000  # past what Python's json module reads (RecursionError)
MEASURED = """        window: 30d
        measurement:
          errors: ci_runs_total{code="500"}
          total: ci_runs_total"""


class _Answers(http.server.BaseHTTPRequestHandler):
    """Answers each endpoint of the Prometheus API with the bytes the test gives it (`bodies`)."""

    bodies: dict[str, bytes] = {}  # noqa: RUF012 - set on a subclass made per test

    def do_GET(self) -> None:
        body = self.bodies[self.path.split("?")[0].rsplit("/", 1)[-1]]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def answering() -> Iterator[Callable[[str, str], str]]:
    """A server at 127.0.0.1 that answers /api/v1/query and /api/v1/query_range with the texts given."""
    servers: list[http.server.HTTPServer] = []

    def start(query: str, query_range: str) -> str:
        handler = type(
            "Answers", (_Answers,), {"bodies": {"query": query.encode(), "query_range": query_range.encode()}}
        )
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _vector(value: str) -> str:
    return json.dumps(
        {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, value]}]}}
    )


def _matrix(values: str) -> str:  # the values as JSON text: json.dumps never writes Infinity
    return '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":' + values + "}]}}"


@pytest.mark.parametrize(
    ("query", "query_range", "reason"),
    [
        (  # int(+Inf) for the note on counter resets: OverflowError
            _vector("+Inf"),
            _matrix("[]"),
            "the total resets query returned inf: not a count of restarts",
        ),
        (  # json reads the literal Infinity as a float: round(inf) in the gap check, OverflowError
            _vector("1"),
            _matrix('[[Infinity, "1"]]'),
            "query failed: a time in the answer is not a time: inf",
        ),
        (
            _vector("1"),
            _matrix('[[NaN, "1"]]'),
            "query failed: a time in the answer is not a time: nan",
        ),
        (  # an integer no float holds
            _vector("1"),
            _matrix("[[1" + "0" * 400 + ', "1"]]'),
            "query failed: a time in the answer is not a time: 1" + "0" * 39,
        ),
    ],
    ids=["infinite-resets", "infinite-time", "nan-time", "huge-integer-time"],
)
def test_a_prometheus_answer_no_server_of_the_api_gives_is_a_reason_in_the_snapshot_not_a_traceback(
    run, site_copy, answering, query: str, query_range: str, reason: str
) -> None:
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("        window: 30d", MEASURED))
    url = answering(query, query_range)
    result = run("measure", "--source", site, "--prometheus", url, "--at", "2026-06-01T00:00:00Z")
    assert "Traceback" not in result.output
    assert result.exit_code == 3, result.output  # 3: a snapshot was written, with SLOs not measured
    (snapshot,) = (site / "measurements").iterdir()
    (measured,) = json.loads(snapshot.read_text())["slos"]
    assert measured["reason"] == reason.format(url=url)


def test_a_server_whose_every_answer_is_nested_past_the_json_reader_is_refused_not_a_traceback(
    run, site_copy, answering
) -> None:
    """A proxy or another server in front: Python's json reader gave up with a RecursionError. No
    query answered as Prometheus does, so nothing is written (a snapshot would read as measured)."""
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("        window: 30d", MEASURED))
    url = answering('{"status":"success","data":{"resultType":"vector","result":' + DEEP + "}}", _matrix("[]"))
    result = run("measure", "--source", site, "--prometheus", url, "--at", "2026-06-01T00:00:00Z")
    assert "Traceback" not in result.output
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[-1] == (
        f"error: no query was answered by a Prometheus at {url}: {url} did not answer as the Prometheus API does "
        "(JSON nested too deep); check --prometheus (nothing was written)"
    )
    assert not (site / "measurements").exists()


@pytest.mark.git
def test_a_published_copy_nested_past_the_json_reader_is_refused_or_found_to_differ(run, git_site: GitSite) -> None:
    """`verify` reads the copy it is given, which may be anything: its catalog.json and
    versions.json went to Python's json reader, whose RecursionError was a traceback."""
    assert run("build", "--source", git_site.root).exit_code == 0
    public = git_site.root / "public"
    claim = git_site.root.parent / "claim"
    shutil.copytree(public, claim)
    (claim / "catalog.json").write_text(DEEP)
    result = run("verify", "--source", git_site.root, "--site", claim)
    assert "Traceback" not in result.output
    assert result.exit_code == 2, result.output
    assert f"error: {claim}/catalog.json cannot be read (maximum recursion depth exceeded" in result.stderr
    assert f"is {claim} a site servicebook built?" in result.stderr
    index = git_site.root.parent / "index"
    shutil.copytree(public, index)
    (index / "versions.json").write_text(DEEP)
    result = run("verify", "--source", git_site.root, "--site", index)
    assert "Traceback" not in result.output
    assert result.exit_code == 1, result.output
    assert "error: versions.json: differs from a rebuild" in result.stderr


@pytest.mark.git
def test_a_history_cache_entry_nested_past_the_json_reader_is_a_miss(run, git_site: GitSite) -> None:
    """The cache of what git history parsing found (.servicebook-cache/history/) is read as JSON; an
    entry nested past the json reader is a miss like any other damaged entry, not a traceback."""
    assert run("build", "--source", git_site.root).exit_code == 0
    entries = sorted((git_site.root / ".servicebook-cache" / "history").glob("*/*.json"))
    assert entries
    for entry in entries:
        entry.write_text(DEEP)
    git_site.edit("Shared pipelines that build", "Shared pipelines that build and test")
    result = run("build", "--source", git_site.root)
    assert "Traceback" not in result.output
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "policy.html",
            b'{% extends "theme/policy.html" %}\n{% block content %}Caf\xe9{% endblock %}\n',
            "layouts/policy.html:2:23: error: invalid UTF-8 (byte 0xe9)\n"
            " 2 | {% block content %}Caf\ufffd{% endblock %}\n"
            "   |                       ^\n"
            "  hint: save the file as UTF-8\n",
        ),
        (  # a template the page's own includes
            "policy.html",
            b'{% extends "theme/policy.html" %}{% block content %}{% include "part.html" %}{% endblock %}',
            "layouts/part.html:2:1: error: invalid UTF-8 (byte 0xff)\n",
        ),
    ],
    ids=["its-own", "included"],
)
def test_a_site_template_that_is_not_utf8_is_located_and_the_site_kept(
    run, site_copy, name: str, text: bytes, expected: str
) -> None:
    site = site_copy("minimal")
    assert run("build", "--source", site).exit_code == 0
    before = tree(site / "public")
    (site / "layouts").mkdir()
    (site / "layouts" / name).write_bytes(text)
    (site / "layouts" / "part.html").write_bytes(b"<p>part</p>\n\xff\n")
    for command in ("build", "check"):
        result = run(command, "--source", site)
        assert "Traceback" not in result.output
        assert result.exit_code == 1, result.output
        assert f"{site}/{expected}" in result.stderr
    assert tree(site / "public") == before


@pytest.mark.skipif(os.fsencode("\udcff") != b"\xff", reason="a file system encoding without surrogateescape")
@pytest.mark.parametrize("which", ["source", "output"])
def test_a_folder_whose_path_is_not_utf8_is_refused_with_its_name(run, site_copy, tmp_path: Path, which: str) -> None:
    """A folder named in another system's encoding (Latin-1 'Donn\xe9es'): the build records its
    folders by name in its cache, whose SQLite cannot take the name Python makes of those bytes."""
    site = site_copy("minimal")
    odd = tmp_path / os.fsdecode(b"Donn\xe9es")
    if which == "source":
        site = site.rename(odd)
        args = ["--source", site]
    else:
        args = ["--source", site, "--output", odd / "public"]
    result = run("build", *args)
    assert "Traceback" not in result.output
    assert result.exit_code == 2, result.output
    assert f"error: the path {tmp_path}/Donn\\xe9es" in result.stderr
    assert "is not UTF-8 text: the build records its folders by name in its cache; rename the folder" in result.stderr
    assert not odd.joinpath("public").exists()


@pytest.mark.parametrize("at", ["0001-01-01", "0001-01-01T00:00:00+14:00", "0100-01-01", "1969-12-31T23:59:59Z"])
def test_measure_at_a_time_before_1970_is_refused_before_anything_is_written(run, site_copy, at: str) -> None:
    """--at 0001-01-01 raised OverflowError (the window's start is in no year), and --at 0100-01-01
    wrote measurements/100-01-01T00-00-00Z.json, which every build then refused ('end' must be a
    UTC time): a site broken by a typo in a command line."""
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("        window: 30d", MEASURED))
    result = run("measure", "--source", site, "--prometheus", "http://127.0.0.1:1", "--at", at)
    assert "Traceback" not in result.output
    assert result.exit_code == 2, result.output
    assert f"error: --at '{at}'" in result.stderr
    assert not (site / "measurements").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["schema"],
        ["export", "openslo", "--source", "{site}"],
        ["check", "--source", "{site}", "--format", "json"],
        ["--version"],
    ],
    ids=["schema", "export-openslo", "check-json", "version"],
)
def test_standard_output_on_a_full_disk_is_a_machine_fault_said_in_words(
    site_copy, disk: Path, command: list[str]
) -> None:
    """`servicebook schema > schema.json` on a full disk: the OSError of the write to standard
    output was reported as 'internal error: this is a bug in servicebook'."""
    site = site_copy("minimal")
    fill(disk, leave=0)
    with (disk / "out").open("wb") as out:
        done = subprocess.run(
            [sys.executable, "-m", "servicebook", *(a.format(site=site) for a in command)],
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    assert done.returncode == 2, done.stderr
    assert done.stderr.endswith(
        "error: cannot write the output: No space left on device; what was written is incomplete: "
        "make room and run the command again\n"
    )


@pytest.mark.parametrize(
    "command",
    [["schema"], ["build", "--source", "{site}"], ["check", "--source", "{site}", "--format", "json"]],
    ids=["schema", "build", "check-json"],
)
def test_standard_output_whose_reader_stopped_reading_ends_the_command_quietly(site_copy, command: list[str]) -> None:
    """`servicebook build --format github | head -1` in a CI step (newuser17): the build was done
    and the site written, and the next line of its report, which no one read any more, was a
    BrokenPipeError reported as 'internal error: this is a bug in servicebook'. It ends as a
    program SIGPIPE ends, without a word."""
    site = site_copy("minimal")
    read, write = os.pipe()
    os.close(read)  # the reader has gone before the first line: every write to the pipe fails
    try:
        done = subprocess.run(
            [sys.executable, "-m", "servicebook", *(a.format(site=site) for a in command)],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    finally:
        os.close(write)
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    assert "internal error" not in done.stderr
    assert done.returncode == 128 + signal.SIGPIPE, done.stderr
    if command[0] == "build":
        assert (site / "public" / "index.html").is_file()  # what it did is done


@pytest.mark.parametrize(
    ("command", "written"),
    [
        (["export", "openslo", "--source", "{site}", "--output", "{disk}/openslo.yaml"], "openslo.yaml"),
        (["export", "techradar", "--source", "{site}", "--format", "aoe", "--output", "{disk}/aoe"], "aoe/radar/"),
    ],
    ids=["openslo", "techradar-aoe"],
)
def test_an_export_that_fills_the_disk_leaves_no_file_of_it_behind(
    run, site_copy, disk: Path, command: list[str], written: str
) -> None:
    """A file export left its temporary file (.openslo.yaml.XXXXXXXX) behind; the AOE radar's
    folder of files, those written before the disk filled."""
    site = site_copy("example")
    fill(disk, leave=8 * 1024)  # room for a file or two of the forty the radar has
    result = run(*(a.format(site=site, disk=disk) for a in command))
    assert "Traceback" not in result.output
    assert result.exit_code == 2, result.output
    assert f"error: cannot write {disk}/{written}" in result.stderr
    assert "No space left on device" in result.stderr
    assert [p.name for p in disk.rglob("*") if p.is_file()] == ["filler"]


def test_an_export_to_a_file_is_readable_by_others_as_a_file_the_shell_writes(run, site_copy, tmp_path: Path) -> None:
    """mkstemp's temporary file is made 0600, for a secret: the export renamed from it stayed so."""
    site = site_copy("minimal")
    assert run("export", "openslo", "--source", site, "--output", tmp_path / "openslo.yaml").exit_code == 0
    assert (tmp_path / "openslo.yaml").stat().st_mode & 0o777 == 0o644


def _build(site: Path, xdg: Path) -> subprocess.CompletedProcess[str]:
    """A build in a process of its own, killed after two minutes: one that waits for ever fails."""
    return subprocess.run(
        [sys.executable, "-m", "servicebook", "build", "--source", str(site)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "XDG_CACHE_HOME": str(xdg), "SOURCE_DATE_EPOCH": "1780000000"},
    )


def _store(site: Path, xdg: Path) -> list[Path]:
    return [store_file(site / ".servicebook-cache")]


def _history(site: Path, xdg: Path) -> list[Path]:
    return sorted((site / ".servicebook-cache" / "history").glob("*/*.json"))


def _compiled(site: Path, xdg: Path) -> list[Path]:
    return sorted((xdg / "servicebook" / "templates").rglob("*.cache"))


@pytest.mark.git
@pytest.mark.parametrize("where", [_store, _history, _compiled], ids=["store", "history-entry", "compiled-template"])
def test_a_fifo_in_the_build_cache_is_no_entry_not_a_build_that_waits_for_ever(
    git_site: GitSite, tmp_path: Path, where: Callable[[Path, Path], list[Path]]
) -> None:
    """SQLite's open of a store that is a FIFO, and the open of a history entry or a compiled
    template that is one, waited for a writer for ever, in C, where SIGTERM and Ctrl-C do not reach:
    only SIGKILL ended the build (a CI job's time limit)."""
    xdg = tmp_path / "xdg"
    assert _build(git_site.root, xdg).returncode == 0
    fifos = where(git_site.root, xdg)
    assert fifos
    for path in fifos:
        path.unlink()
        os.mkfifo(path)
    git_site.edit("Shared pipelines that build", "Shared pipelines that build and test")
    done = _build(git_site.root, xdg)
    assert done.returncode == 0, done.stderr
    assert "that build and test every merge request" in (git_site.root / "public/offerings/ci/index.html").read_text()


@pytest.mark.git
def test_verify_of_a_copy_whose_catalog_json_is_a_fifo_is_refused_not_waited_on(run, git_site: GitSite) -> None:
    """verify read the copy's catalog.json (and versions.json) whatever it was: a FIFO made it
    wait for a writer for ever."""
    assert run("build", "--source", git_site.root).exit_code == 0
    claim = git_site.root.parent / "claim"
    shutil.copytree(git_site.root / "public", claim)
    for name in ("catalog.json", "versions.json"):
        (claim / name).unlink()
        os.mkfifo(claim / name)
    done = subprocess.run(
        [sys.executable, "-m", "servicebook", "verify", "--source", str(git_site.root), "--site", str(claim)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert (
        f"error: {claim}/catalog.json cannot be read (not a file); is {claim} a site servicebook built?" in done.stderr
    )
