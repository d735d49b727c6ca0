"""Stage 0's stamp (site/fresh.py, `Stamp`): a rebuild with nothing changed is told so by the
identities of the sources and of the output's files, without the manifest; and anything changed
in either since, by hand or not, is still found and the output made whole again."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sqlite3
import time
from array import array
from collections.abc import Callable
from pathlib import Path

import pytest

from servicebook.cache.store import Store, read_stamp, store_file
from servicebook.errors import Problem, SourceLocation
from servicebook.site import fresh
from servicebook.site.fresh import Manifest, listing_order, tree_identity

from .sitefiles import clean_build, tree

SOURCES = ("catalog.yaml", "content", "layouts")


def _settle(site: Path) -> None:
    """Every source file and folder as if written a minute ago: settled (fresh.RACY_NS), as a
    site is between edits; one written within the last seconds is never known by its identity."""
    then = time.time_ns() - 60_000_000_000
    for top in SOURCES:
        path = site / top
        if not path.exists():
            continue
        for entry in [path] if path.is_file() else [*path.rglob("*"), path]:
            os.utime(entry, ns=(then, then))


def _stamps(site: Path) -> list[str]:
    with sqlite3.connect(store_file(site / ".servicebook-cache")) as db:
        return [output for (output,) in db.execute("SELECT output FROM stamps")]


def _stamp(site: Path) -> fresh.Stamp:
    with sqlite3.connect(store_file(site / ".servicebook-cache")) as db:
        (data,) = db.execute("SELECT text FROM stamps").fetchone()
    stamp = fresh.Stamp.from_bytes(data)
    assert stamp is not None
    return stamp


def _listing(site: Path) -> fresh.Listing | None:
    return _stamp(site).listing


@pytest.fixture(params=["as built", "folders known"])
def stamped(run, site_copy, request) -> Path:
    """The example site built once from settled sources, its stamp recorded by the build; and
    ("folders known") the same after its folders' times were set back and a build found nothing
    changed: its stamp then knows every folder but the output's own by its identity, whatever
    the clock did while the build wrote them (fresh.Listing)."""
    site = site_copy("example")
    _settle(site)
    result = run("build", "--source", site)
    assert result.exit_code == 0, result.output
    assert _stamps(site) == [str(site / "public")]
    if request.param == "folders known":
        then = time.time_ns() - 60_000_000_000
        for folder in (p for p in (site / "public").rglob("*") if p.is_dir()):
            os.utime(folder, ns=(then, then))
        again = run("build", "--source", site)
        assert "Nothing changed since the last build" in again.output
        listing = _listing(site)
        assert listing is not None
        assert "policies/change-approval" in listing.folders.split("\0")
        assert listing.listed == [["", "\0".join(sorted(p.name for p in (site / "public").iterdir()))]]
    return site


def test_a_no_change_rebuild_after_a_build_reads_no_manifest_and_no_source(run, stamped, monkeypatch) -> None:
    # at 20,000 pages the manifest was 9 MB of JSON: reading it was a fifth of a no-change rebuild
    monkeypatch.setattr(Manifest, "from_bytes", lambda data: pytest.fail("the manifest was read"))
    monkeypatch.setattr(fresh.SourceList, "hashed", lambda self, known: pytest.fail("a source was hashed"))
    monkeypatch.setattr(fresh, "list_sources", lambda *args: pytest.fail("a source folder was listed"))
    if _listing(stamped) is not None:  # nor any folder but those changed since the build wrote its marker
        monkeypatch.setattr(fresh, "_list_tree", lambda *args: pytest.fail("the output was listed"))
    before = tree(stamped / "public")
    result = run("build", "--source", stamped)
    assert result.exit_code == 0, result.output
    assert "Nothing changed since the last build" in result.output
    assert tree(stamped / "public") == before


def _edit_in_place(site: Path) -> None:
    page = site / "public" / "support" / "index.html"
    data = page.read_bytes()
    with page.open("r+b") as f:  # the same file, the same size: only its time and bytes differ
        f.write(data[:-1].replace(b"<", b"[", 1) + data[-1:])


def _add_deep(site: Path) -> None:
    (site / "public" / "policies" / "change-approval" / "extra.html").write_text("<p>not ours</p>")


def _add_top(site: Path) -> None:
    (site / "public" / "extra.txt").write_text("not ours")


def _add_empty_folder(site: Path) -> None:
    (site / "public" / "policies" / "change-approval" / "empty").mkdir()


def _remove(site: Path) -> None:
    (site / "public" / "policies" / "change-approval" / "index.html").unlink()


def _remove_folder(site: Path) -> None:
    shutil.rmtree(site / "public" / "policies" / "change-approval")


def _replace(site: Path) -> None:
    page = site / "public" / "support" / "index.html"
    copy = page.with_name("copy")
    shutil.copy2(page, copy)
    copy.replace(page)  # the same bytes and time, another file


def _rename(site: Path) -> None:
    folder = site / "public" / "policies" / "change-approval"
    (folder / "index.html").rename(folder / "index.htm")


@pytest.mark.parametrize(
    "alter",
    [_edit_in_place, _add_deep, _add_top, _add_empty_folder, _remove, _remove_folder, _replace, _rename],
)
def test_an_output_altered_by_hand_after_a_stamped_build_is_made_whole_again(
    run, stamped, tmp_path, alter: Callable[[Path], None]
) -> None:
    alter(stamped)
    result = run("build", "--source", stamped)
    assert result.exit_code == 0, result.output
    if alter is not _add_empty_folder:  # a folder with no file in it is no file of the output
        assert "Nothing changed since the last build" not in result.output
    assert {p: b for p, b in tree(stamped / "public").items() if p != ".servicebook-build"} == {
        p: b for p, b in clean_build(run, stamped, tmp_path).items() if p != ".servicebook-build"
    }


def test_a_source_edited_after_a_stamped_build_is_built(run, stamped) -> None:
    page = stamped / "content" / "change-approval.md"
    page.write_text(page.read_text() + "\nReviewed by team alpha.\n")
    result = run("build", "--source", stamped)
    assert result.exit_code == 0, result.output
    assert "team alpha" in (stamped / "public" / "policies" / "change-approval" / "index.html").read_text()


def test_a_source_touched_after_a_stamped_build_is_read_again_and_the_build_kept(run, stamped, monkeypatch) -> None:
    page = stamped / "content" / "change-approval.md"
    os.utime(page)  # a new time, the same bytes: not known by its identity, so read, and the same
    hashed: list[bool] = []
    real = fresh.SourceList.hashed
    monkeypatch.setattr(fresh.SourceList, "hashed", lambda self, *args: hashed.append(True) or real(self, *args))
    result = run("build", "--source", stamped)
    assert result.exit_code == 0, result.output
    assert "Nothing changed since the last build" in result.output
    assert hashed == [True]


@pytest.mark.parametrize("added", ["content/new-page.md", "layouts/base.html"])
def test_a_source_added_after_a_stamped_build_is_built(run, stamped, added: str) -> None:
    path = stamped / added
    path.parent.mkdir(exist_ok=True)
    path.write_text("---\ntitle: A new page\n---\nIts body.\n")
    result = run("build", "--source", stamped)
    assert "Nothing changed since the last build" not in result.output


@pytest.mark.parametrize("folder", ["content/My drafts", "content/My drafts/empty"])
def test_an_empty_folder_added_after_a_build_is_judged_as_a_build_from_nothing_judges_it(
    run, stamped, tmp_path, folder: str
) -> None:
    """No file says an empty folder is there, yet its name must be one a URL can hold: a rebuild
    fails on it as a build from nothing does, instead of finding nothing changed."""
    (stamped / folder).mkdir(parents=True)
    again = run("build", "--source", stamped)
    assert again.exit_code != 0
    assert "content/My drafts: error: folder name 'My drafts' cannot be part of a URL" in again.output
    fresh_copy = tmp_path / "from-nothing"
    shutil.copytree(stamped, fresh_copy, ignore=shutil.ignore_patterns("public", ".servicebook-cache"))
    from_nothing = run("build", "--source", fresh_copy)
    assert from_nothing.output.replace(str(fresh_copy), str(stamped)) == again.output


def test_a_stamp_is_forgotten_with_its_manifest(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    output = str(tmp_path / "out")
    with Store.for_site(tmp_path) as store:
        store.record_stamp(output, "no manifest yet")
        assert store.stamp(output) is None  # a stamp belongs to a manifest
        store.record(output, ["{}"], built_release=False)
        store.record_stamp(output, "stamp")
        assert store.stamp(output) == "stamp"
        store.record(output, ["{}"], built_release=False)  # a new manifest: the stamp was the last one's
        assert store.stamp(output) is None
        store.record_stamp(output, "stamp")
        store.forget_manifest(output)
        assert store.stamp(output) is None


def test_files_are_listed_in_the_order_the_stamp_sorts_them_in(tmp_path: Path) -> None:
    # a stamp recorded from what a build wrote (a mapping) sorts it as the check lists the output
    for path in ("a.b", "a-b", "a b/c", "ab/c", "a/b0", "a/b.c", "a/b/c", "a/b-c/d", "a!", "é/x", "z"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(path)
    listed = list(tree_identity(tmp_path))
    assert len(listed) == 11
    assert listed == sorted(listed, key=listing_order)


def test_a_folder_holding_a_folder_the_build_did_not_write_is_listed_not_known_by_its_identity(tmp_path: Path) -> None:
    # The stamp a build records knows the output's folders from the files it wrote; an empty
    # folder holds none, so its parent is known by its identity only when its link count says it
    # holds no other folder, and is otherwise listed (and found to differ: the output is listed).
    output = tmp_path / "public"
    for path in ("a/x.html", "b/y.html", ".servicebook-build"):
        (output / path).parent.mkdir(parents=True, exist_ok=True)
        (output / path).write_text(path)
    (output / "a" / "empty").mkdir()
    then = time.time_ns() - 60_000_000_000
    for folder in (output / "a" / "empty", output / "a", output / "b"):
        os.utime(folder, ns=(then, then))
    paths = ["a/x.html", "b/y.html", ".servicebook-build"]
    marker = (output / ".servicebook-build").stat().st_mtime_ns
    written = fresh._written_folders(str(output), sorted(paths, key=listing_order))
    assert written is not None
    counted = os.stat(output / "b").st_nlink == 2  # ext4 counts a folder's folders in its link count
    listing = fresh._listing("\0".join(sorted(paths, key=listing_order)), marker, *written)
    assert listing is not None
    assert listing.folders == ("b" if counted else "")
    assert [folder for folder, _ in listing.listed] == (["", "a"] if counted else ["", "a", "b"])
    assert listing.identity(str(output)) is None  # "a" holds "empty" too
    (output / "a" / "empty").rmdir()
    os.utime(output / "a", ns=(then, then))
    written = fresh._written_folders(str(output), sorted(paths, key=listing_order))
    assert written is not None
    listing = fresh._listing("\0".join(sorted(paths, key=listing_order)), marker, *written)
    assert listing is not None and listing.folders == ("a\0b" if counted else "")
    assert listing.identity(str(output)) is not None
    (output / "b" / "z.html").write_text("added")
    assert listing.identity(str(output)) is None  # b's time changed


def test_a_build_from_sources_just_written_records_no_stamp_and_the_next_check_does(
    run, site_copy, monkeypatch
) -> None:
    # A source written within the last seconds could change again within the same clock tick
    # unseen: the build records no stamp. A later build that finds nothing changed by the
    # manifest (every source read again, settled now) records it, and the one after uses it.
    site = site_copy("example")
    page = site / "content" / "change-approval.md"
    page.write_text(page.read_text() + "\nJust written.\n")
    assert run("build", "--source", site).exit_code == 0
    assert _stamps(site) == []
    _settle(site)  # as if a minute had passed (the page's identity changes: it is read again)
    again = run("build", "--source", site)
    assert "Nothing changed since the last build" in again.output
    assert _stamps(site) == [str(site / "public")]
    monkeypatch.setattr(Manifest, "from_bytes", lambda data: pytest.fail("the manifest was read"))
    last = run("build", "--source", site)
    assert "Nothing changed since the last build" in last.output


def test_a_folder_no_older_than_the_marker_is_listed_not_known_by_its_identity(tmp_path: Path) -> None:
    # the marker is written just before the swap: a folder changed since (or in the same clock
    # tick) may hold an entry its identity does not tell apart
    output = tmp_path / "public"
    for path in ("a/x.html", "b/y.html", ".servicebook-build"):
        (output / path).parent.mkdir(parents=True, exist_ok=True)
        (output / path).write_text(path)
    marker = (output / ".servicebook-build").stat().st_mtime_ns
    os.utime(output / "a", ns=(marker - 1, marker - 1))
    os.utime(output / "b", ns=(marker, marker))
    paths = sorted(["a/x.html", "b/y.html", ".servicebook-build"], key=listing_order)
    written = fresh._written_folders(str(output), paths)
    assert written is not None
    listing = fresh._listing("\0".join(paths), marker, *written)
    assert listing is not None
    assert "b" not in listing.folders.split("\0")
    assert ["b", "y.html"] in listing.listed
    (output / "b" / "z.html").write_text("added in the same tick")
    os.utime(output / "b", ns=(marker, marker))  # its time unchanged: found by its names
    assert listing.identity(str(output)) is None


@pytest.fixture
def many_files(tmp_path: Path) -> tuple[Path, list[str]]:
    """A folder of more files than stage 0 looks at in one process (fresh._SPLIT_AT)."""
    root = tmp_path / "many"
    paths = [f"f{n // 100:03d}/p{n % 100:02d}.html" for n in range(fresh._SPLIT_AT + 10)]
    for folder in sorted({p.split("/")[0] for p in paths}):
        (root / folder).mkdir(parents=True)
    for path in paths:
        (root / path).write_text(path)
    return root, paths


def test_files_looked_at_in_two_processes_are_found_as_in_one_and_any_change_seen(many_files) -> None:
    # the second half of the paths is looked at by a forked process (parallel.in_two): a file
    # changed or removed there is seen as one in the first half is
    root, paths = many_files
    files = "\0".join(paths)
    folders = sorted({p.split("/")[0] for p in paths})
    stats = [(root / folder).stat() for folder in folders]
    known = array("q", itertools.chain.from_iterable((s.st_mtime_ns, s.st_ino) for s in stats))

    def ids(workers: int) -> bytes | None:
        listing = fresh.Listing(files, "\0".join(folders), known.tobytes(), [])
        found = listing.identity(str(root), workers)
        return None if found is None else found.tobytes()

    before = ids(2)
    assert before is not None and before == ids(1)
    last = root / paths[-1]
    last.write_text("edited")
    assert ids(2) != before and ids(2) == ids(1)
    last.unlink()
    assert ids(2) is None and ids(1) is None


def _generation(site: Path) -> str:
    with sqlite3.connect(store_file(site / ".servicebook-cache")) as db:
        (value,) = db.execute("SELECT value FROM state WHERE name = 'generation'").fetchone()
    return str(value)


def test_a_no_change_rebuild_does_not_open_the_store_for_writing(run, stamped, monkeypatch) -> None:
    # opening it writes the build's generation (~30 ms at 20,000 pages, bench/README.md): the
    # stamp is read through a read-only connection, and the store opened only once there is work
    generation = _generation(stamped)
    monkeypatch.setattr(Store, "_open", lambda self, path: pytest.fail("the store was opened for writing"))
    result = run("build", "--source", stamped)
    assert result.exit_code == 0, result.output
    assert "Nothing changed since the last build" in result.output
    assert _generation(stamped) == generation


def test_a_no_change_rebuild_looks_at_every_long_list_in_one_other_process(run, stamped, monkeypatch) -> None:
    # every list is "long" here: the second halves of the sources', the output's folders' and
    # files' lists all go to one forked process (parallel.halves), not one process per list
    monkeypatch.setattr(fresh, "_SPLIT_AT", 2)
    monkeypatch.setenv("SERVICEBOOK_WORKERS", "2")
    forks: list[int] = []
    real = os.fork

    def fork() -> int:
        forks.append(1)
        return real()

    monkeypatch.setattr(os, "fork", fork)
    result = run("build", "--source", stamped)
    assert result.exit_code == 0, result.output
    assert "Nothing changed since the last build" in result.output
    assert len(forks) == 1
    _edit_in_place(stamped)  # found in the other process's half as in this one's
    forks.clear()
    result = run("build", "--source", stamped)
    assert "Nothing changed since the last build" not in result.output


def _cut(data: bytes) -> bytes:
    return data[:-1]


def _old_json(data: bytes) -> str:
    return json.dumps(["sources", "outputs", [], 1, 1, None, None])


def _other_format(data: bytes) -> bytes:
    return data.replace(b"servicebook stamp ", b"servicebook stamp 9", 1)


def _bad_sizes(data: bytes) -> bytes:
    stamp = fresh.Stamp.from_bytes(data)
    assert stamp is not None and stamp.listing is not None
    return data.replace(b"[%d," % len(stamp.listing.files.encode()), b"[-1,", 1)


def _garbage_head(data: bytes) -> bytes:
    at = len(fresh._STAMP) + 4
    return data[:at] + b"\xff" + data[at + 1 :]


@pytest.mark.parametrize("alter", [_cut, _old_json, _other_format, _bad_sizes, _garbage_head])
def test_a_stamp_of_another_shape_or_cut_short_is_no_stamp_and_the_rebuild_is_right(
    run, stamped, alter: Callable[[bytes], bytes | str]
) -> None:
    store = store_file(stamped / ".servicebook-cache")
    with sqlite3.connect(store) as db:
        (data,) = db.execute("SELECT text FROM stamps").fetchone()
        assert isinstance(data, bytes) and fresh.Stamp.from_bytes(data) is not None
        altered = alter(data)
        assert fresh.Stamp.from_bytes(altered) is None
        db.execute("UPDATE stamps SET text = ?", (altered,))
    before = tree(stamped / "public")
    result = run("build", "--source", stamped)  # told by the manifest instead, and stamped again
    assert result.exit_code == 0, result.output
    assert "Nothing changed since the last build" in result.output
    assert tree(stamped / "public") == before
    assert fresh.Stamp.from_bytes(_stamp_bytes(stamped)) is not None


def _stamp_bytes(site: Path) -> bytes:
    with sqlite3.connect(store_file(site / ".servicebook-cache")) as db:
        (data,) = db.execute("SELECT text FROM stamps").fetchone()
    assert isinstance(data, bytes)
    return data


def test_every_cut_of_a_stamp_is_no_stamp(run, stamped) -> None:
    data = _stamp_bytes(stamped)
    assert all(fresh.Stamp.from_bytes(data[:n]) is None for n in range(0, len(data), max(1, len(data) // 997)))


def test_a_stamp_read_back_is_the_stamp_recorded() -> None:
    problem = Problem(SourceLocation("content/é.md", 2, 3), "a warning \udcff", "a hint")
    listing = fresh.Listing("a/\udcffb.html\0c.html", "a", array("q", [5, 6]).tobytes(), [["", "a\0c.html"]])
    inputs = fresh.Inputs("catalog.yaml\0content/x.md", "content", array("q", [7, 8]).tobytes(), ["layouts"])
    stamp = fresh.Stamp("s" * 40, "o" * 40, (problem,), 3, 2, listing, inputs)
    assert fresh.Stamp.from_bytes(stamp.to_bytes()) == stamp
    bare = fresh.Stamp("s" * 40, "o" * 40, (), 3, 2)
    assert fresh.Stamp.from_bytes(bare.to_bytes()) == bare


def test_a_stamp_is_read_without_making_a_store_or_reading_one_of_another_format(tmp_path: Path) -> None:
    site = tmp_path / "a site #1?"  # (its path goes into a URI)
    output = str(site / "public")
    (site / "public").mkdir(parents=True)
    assert read_stamp(site, output) is None
    assert not store_file(site / ".servicebook-cache").exists()  # none made
    with Store.for_site(site) as store:
        store.record(output, ["{}"], built_release=False)
        store.record_stamp(output, b"a stamp")
    assert read_stamp(site, output) == b"a stamp"
    assert read_stamp(site, str(tmp_path)) is None
    with sqlite3.connect(store_file(site / ".servicebook-cache")) as db:
        db.execute("UPDATE state SET value = 'another servicebook' WHERE name = 'format'")
    assert read_stamp(site, output) is None


def test_a_one_page_edit_after_a_stamped_build_lists_no_source_folder_again(
    run, stamped, tmp_path, monkeypatch
) -> None:
    """The stamp's folders as they were hold the files it lists: the survey takes the sources'
    listing from the `lstat`s that found one changed (Inputs.listed), and the load takes content/
    from the survey's listing; neither lists a folder again, and the site is a clean build's."""
    page = stamped / "content" / "change-approval.md"
    page.write_text(page.read_text() + "\nReviewed by team beta.\n")
    from servicebook.site import load

    with monkeypatch.context() as refusing:
        refusing.setattr(fresh, "list_sources", lambda *args: pytest.fail("a source folder was listed"))
        refusing.setattr(load, "_list_content", lambda *args: pytest.fail("content/ was listed again"))
        result = run("build", "--source", stamped)
    assert result.exit_code == 0, result.output
    assert "team beta" in (stamped / "public" / "policies" / "change-approval" / "index.html").read_text()
    assert {p: b for p, b in tree(stamped / "public").items() if p != ".servicebook-build"} == {
        p: b for p, b in clean_build(run, stamped, tmp_path).items() if p != ".servicebook-build"
    }


def test_a_page_added_after_a_stamped_build_is_found_by_listing_its_folder(run, stamped, tmp_path) -> None:
    """A file added changes its folder's identity: the stamp's files are not the sources'."""
    (stamped / "content" / "added-later.md").write_text("---\ntitle: Added later\n---\nIts body.\n")
    result = run("build", "--source", stamped)
    assert result.exit_code == 0, result.output
    assert (stamped / "public" / "policies" / "added-later" / "index.html").is_file()
    assert {p: b for p, b in tree(stamped / "public").items() if p != ".servicebook-build"} == {
        p: b for p, b in clean_build(run, stamped, tmp_path).items() if p != ".servicebook-build"
    }


def test_a_one_page_rebuild_looks_again_only_at_the_output_folders_its_write_stage_touched(
    run, stamped, tmp_path, monkeypatch
) -> None:
    """The stamp's listing of the output after a one-page rebuild takes the identity of each
    folder the write stage did not touch from the spare's check just before it (write.py
    `_settled`, ~5,400 folders looked at twice at 5,000 pages): each is the folder's identity
    then; the next build finds nothing changed without listing the output, and the site is a
    clean build's."""
    page = stamped / "content" / "change-approval.md"
    real = fresh._written_folders
    taken: list[tuple[dict[str, tuple[int, int, int]], list[str]]] = []

    def spied(output: str, paths: list[str], settled=None):  # type: ignore[no-untyped-def]
        written = real(output, paths, settled)
        assert written is not None
        taken.append((dict(settled or {}), [folder for folder, *_ in written[0]]))
        return written

    monkeypatch.setattr(fresh, "_written_folders", spied)
    for n in range(3):
        page.write_text(page.read_text() + f"\nReviewed by team {n}.\n")
        _settle(stamped)  # (a source written within the last seconds: no stamp is recorded)
        result = run("build", "--source", stamped)
        assert result.exit_code == 0, result.output
    settled, folders = taken[-1]
    looked_at = [folder for folder in folders if folder not in settled]
    pages = [folder for folder in folders if folder.startswith("policies/")]
    assert len(pages) > 5
    assert [folder for folder in pages if folder in looked_at] == ["policies/change-approval"]
    assert len(looked_at) < len(folders) / 2
    for folder, identity in settled.items():
        info = (stamped / "public" / folder).stat()
        assert identity == (info.st_mtime_ns, info.st_ino, info.st_nlink), folder
    with monkeypatch.context() as refusing:
        refusing.setattr(fresh, "_list_output", lambda *args: pytest.fail("the output was listed"))
        again = run("build", "--source", stamped)
    assert "Nothing changed since the last build" in again.output
    assert {p: b for p, b in tree(stamped / "public").items() if p != ".servicebook-build"} == {
        p: b for p, b in clean_build(run, stamped, tmp_path).items() if p != ".servicebook-build"
    }
