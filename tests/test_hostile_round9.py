"""Hostile inputs of 6 Dec 2026 (ninth round): store entries forged with checksums that match (the
search index's state, words fragments and runs, every other kind nested deeper than JSON decodes,
a spare's record naming a folder no file system holds), a release an older build stored
world-writable, a site restored in part by a CI cache, and a TLS handshake that trickles."""

from __future__ import annotations

import json
import re
import shutil
import socket
import sqlite3
import stat
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from servicebook.cache.digest import digest
from servicebook.cache.store import _key, checksum, store_file
from servicebook.measure.prometheus import Prometheus, QueryFailed

from .conftest import REPO
from .sitefiles import clean_build, tree


def _kind(name: str) -> str:
    """The kind of a store row's name (`4.page:…`, `12.search-state:…`; cache/store.py `_key`)."""
    size, _, rest = name.partition(".")
    return rest[: int(size)]


def _forge(site: Path, kind: str, forged: Callable[[str], str]) -> int:
    """Every entry of `kind` made to hold `forged(data)`, its checksum made to match, as someone who
    can write the cache folder can; how many there were."""
    count = 0
    with sqlite3.connect(store_file(site / ".servicebook-cache")) as db:
        for name, data, html, text in db.execute("SELECT key, data, html, text FROM entries").fetchall():
            if _kind(name) != kind:
                continue
            new = forged(data)
            db.execute(
                "UPDATE entries SET data = ?, checksum = ? WHERE key = ?", (new, checksum(new, html, text), name)
            )
            count += 1
    return count


def _built(run, site_copy) -> Path:  # type: ignore[no-untyped-def]
    """The example site with a page no other links to, built once."""
    site = site_copy("example")
    (site / "content" / "zebra-notes.md").write_text("---\ntitle: Zebra notes\n---\nStripes and quorum.\n")
    assert run("build", "--source", site).exit_code == 0
    return site


def _change(site: Path, how: str) -> None:
    pages = sorted((site / "content").glob("*.md"))
    if how == "a page added":
        shutil.copy(pages[0], site / "content" / "aardvark-notes.md")
    elif how == "a page removed":
        (site / "content" / "zebra-notes.md").unlink()
    else:
        pages[2].write_text(pages[2].read_text() + "\nA sentence about zebrafish quorum.\n")


def _forge_state(site: Path, forged: Callable[[str], str]) -> int:
    """The search index's last state made to hold `forged(data)`, stored under the digest of what it
    now holds (as a state is) and named by the pointer to the last state, checksums and all."""
    with sqlite3.connect(store_file(site / ".servicebook-cache")) as db:
        pointer = _key("search-latest", "latest")
        (latest,) = db.execute("SELECT data FROM entries WHERE key = ?", (pointer,)).fetchone()
        state = json.loads(latest)["state"]
        (data,) = db.execute("SELECT data FROM entries WHERE key = ?", (_key("search-state", state),)).fetchone()
        new = forged(data)
        db.execute(
            "INSERT INTO entries (key, data, html, text, checksum) VALUES (?, ?, '', '', ?)",
            (_key("search-state", digest(new)), new, checksum(new, "", "")),
        )
        db.execute("INSERT INTO used VALUES (?, 1000)", (_key("search-state", digest(new)),))
        moved = json.dumps({"state": digest(new), "touched": None})
        db.execute("UPDATE entries SET data = ?, checksum = ? WHERE key = ?", (moved, checksum(moved, "", ""), pointer))
    return 1


def _garbled_fragment(data: str) -> str:
    """A words fragment whose postings are not numbers, and one word's not closed."""
    return data.replace(",", ",x", 3).replace("]", "", 1)


def _state_of_other_shapes(data: str) -> str:
    """A search state whose words are numbers and whose ranges start past its words."""
    blocks, words, sizes, starts, digests = json.loads(data)["search"]
    return json.dumps({"search": [blocks, list(range(len(words))), sizes, [len(words) + 5 for _ in starts], digests]})


def _run_of_lists(data: str) -> str:
    """A run of the index's records whose keys are lists and numbers."""
    run = json.loads(data)
    run["keys"] = [[1, 2]] + [3.5] * (len(run["keys"]) - 1)
    return json.dumps(run)


@pytest.mark.parametrize(
    ("kind", "forged", "how"),
    [
        ("search-words", _garbled_fragment, "a page added"),
        ("search-words", _garbled_fragment, "a page removed"),
        ("search-words", _garbled_fragment, "a page edited"),
        ("search-state", _state_of_other_shapes, "a page added"),
        ("search-block-keys", _run_of_lists, "a page removed"),
    ],
    ids=["fragment, page added", "fragment, page removed", "fragment, page edited", "state", "run"],
)
def test_a_forged_search_index_in_the_store_is_made_again(run, site_copy, tmp_path, kind, forged, how) -> None:
    """The next index is spliced from the last one's words fragments as they are written, and from
    its state and runs as they read: one forged (checksums and all) that is not what servicebook
    writes was a ValueError, TypeError or KeyError (an internal error, exit 70) in the build after
    a page was added, removed or edited. It is an entry that cannot be used: the index is made from
    nothing, byte for byte the index of a build without a cache."""
    site = _built(run, site_copy)
    assert (_forge_state(site, forged) if kind == "search-state" else _forge(site, kind, forged)) > 0
    _change(site, how)
    result = run("build", "--source", site)
    assert result.exit_code == 0, result.output
    assert tree(site / "public") == clean_build(run, site, tmp_path)


def _nested(_: str) -> str:
    return "[" * 100_000 + "]" * 100_000


KINDS = [  # (a catalog's and a page's readers take anything that does not read back as a miss)
    "search-block-keys",
    "search-bundle",
    "search-latest",
    "catalog-sections",
    "anchors-settled",
    "kept",
    "spare",
]


@pytest.mark.parametrize("kind", KINDS)
def test_a_store_entry_nested_deeper_than_json_decodes_is_a_miss(run, site_copy, tmp_path, kind: str) -> None:
    """Each kind of store entry forged to hold JSON nested 100,000 deep, checksum and all: its
    reader's `except ValueError` did not take the RecursionError the decoder raises (an internal
    error, exit 70, for the catalog's sections, the settled anchors, the search index, the spare's
    record). Every one is a miss, and the site is the one a build without a cache makes."""
    site = _built(run, site_copy)
    assert _forge(site, kind, _nested) > 0
    _change(site, "a page edited")
    result = run("build", "--source", site)
    assert result.exit_code == 0, result.output
    assert tree(site / "public") == clean_build(run, site, tmp_path)


def test_a_spare_record_naming_a_folder_no_file_system_holds_is_not_trusted(run, site_copy, tmp_path) -> None:
    """The record of the spare (the site the last build replaced) lists its folders, each looked
    at by name; one forged to name a folder with a lone surrogate, which no path can hold, was a
    UnicodeEncodeError (an internal error) rather than a record that does not hold."""
    site = _built(run, site_copy)
    for _ in range(2):  # the second build leaves the first one's site as the spare
        _change(site, "a page edited")
        assert run("build", "--source", site).exit_code == 0

    def with_a_surrogate(data: str) -> str:
        spare, names, marker, folders, differs = json.loads(data)
        return json.dumps([spare, names, marker, folders + "\0\ud800", differs])

    assert _forge(site, "spare", with_a_surrogate) == 1
    _change(site, "a page edited")
    result = run("build", "--source", site)
    assert result.exit_code == 0, result.output
    assert tree(site / "public") == clean_build(run, site, tmp_path)


@pytest.mark.git
def test_a_release_an_older_build_stored_world_writable_is_published_without_those_permissions(
    git_site, run, tmp_path
) -> None:
    """A build before the umask fix, under umask 000, stored each release's files in the cache
    0666; a build links them into the site. The site such a build left loses those permissions
    at the first build of this version (round 8), but a release's files first linked later (into
    another output, or a site started again) kept them: anyone on the machine could change a
    published release. A stored release's files lose them as the build takes the release."""
    git_site.edit('version: "0.1"', 'version: "0.2"')
    git_site.commit("Version 0.2")
    assert run("build", "--source", git_site.root).exit_code == 0
    stored = [p for p in (git_site.root / ".servicebook-cache" / "releases").rglob("*") if p.is_file()]
    assert stored
    for path in stored:  # as the older build left them under umask 000
        path.chmod(0o666)
    other = tmp_path / "other"
    assert run("build", "--source", git_site.root, "--output", other).exit_code == 0
    published = [p for p in other.rglob("*") if p.is_file()]
    assert any("/v/0.1/" in str(p) for p in published)
    assert {stat.S_IMODE(p.stat().st_mode) for p in published} == {0o644}


def test_the_pages_workflow_drops_a_site_restored_without_its_marker(run, site_copy) -> None:
    """actions/cache restores public/ and the build cache, and a restore cut short (a download
    that failed) warns and goes on: public/ can then be there without .servicebook-build, which
    the build refuses to replace (it did not make that folder), a red job with 'move what is in it
    away'. The Pages workflow drops such a folder after the restore and before the build; a site
    restored whole is kept."""
    workflow = yaml.safe_load((REPO / "examples/ci/github/publish-pages.yml").read_text())
    steps = workflow["jobs"]["build"]["steps"]
    cache = next(n for n, s in enumerate(steps) if s.get("uses", "").startswith("actions/cache@"))
    drop = next(n for n, s in enumerate(steps) if s.get("name") == "Drop a site restored in part")
    build = next(n for n, s in enumerate(steps) if s.get("id") == "servicebook")
    assert cache < drop < build
    site = site_copy("minimal")
    assert run("build", "--source", site).exit_code == 0
    (site / "public" / ".servicebook-build").unlink()  # restored in part
    refused = run("build", "--source", site)
    assert refused.exit_code != 0 and "was not made by servicebook" in refused.output
    subprocess.run(["bash", "-c", steps[drop]["run"]], cwd=site, check=True)
    assert not (site / "public").exists()
    assert run("build", "--source", site).exit_code == 0
    kept = (site / "public" / "index.html").stat().st_ino
    subprocess.run(["bash", "-c", steps[drop]["run"]], cwd=site, check=True)
    assert (site / "public" / "index.html").stat().st_ino == kept


def test_measure_gives_up_on_a_tls_handshake_that_trickles_past_its_timeout() -> None:
    """A server that answers the TLS client hello with a handshake record of 16 KiB sent a byte
    every 0.2 s: each read is within any timeout, and the job that measures would wait an hour.
    Python bounds the whole handshake by the socket's timeout (since 3.5), and measure's is its
    own: the query fails as no answer within it (this held when tried in round 9)."""
    listener = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def trickle() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(4096)  # the client hello
            connection.sendall(b"\x16\x03\x03\x40\x00")  # a handshake record's header: 16 KiB follow
            while not done.wait(0.2):
                try:
                    connection.sendall(b"\x02")
                except OSError:
                    return

    threading.Thread(target=trickle, daemon=True).start()
    try:
        started = time.monotonic()
        with pytest.raises(QueryFailed, match=re.escape("no answer within 0.5 s")):
            Prometheus(f"https://127.0.0.1:{listener.getsockname()[1]}", timeout=0.5).query("up", 0)
        assert time.monotonic() - started < 10
    finally:
        done.set()
        listener.close()
