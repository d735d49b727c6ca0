"""The write stage of a rebuild changes only what differs from the site it starts from, also the
first rebuild after a full build, and records exactly what the output then holds."""

from __future__ import annotations

import ctypes.util
import hashlib
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicebook.cache.folder import flat_name
from servicebook.cache.store import Store
from servicebook.errors import WriteFailed
from servicebook.site import libc as libc_module
from servicebook.site import outputs, write
from servicebook.site.build import Options, build
from servicebook.site.fresh import Manifest, tree_identity
from servicebook.site.heap import give_back
from servicebook.site.libc import _process, libc
from servicebook.site.write import SiteFiles

from .conftest import FIXED_EPOCH, SITES

CHANGING_OPS = ("link", "unlink", "rename", "mkdir", "rmdir")


def _options(site: Path) -> Options:
    return Options(source=site, output=site / "public", env={"SOURCE_DATE_EPOCH": FIXED_EPOCH})


def _files(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_ino for p in sorted(root.rglob("*")) if p.is_file()}


def _recorded(site: Path) -> dict[str, list[int]]:
    with Store.for_site(site) as store:
        text = store.manifest(str((site / "public").resolve()))
    assert text is not None
    manifest = Manifest.from_bytes(text)
    assert manifest is not None
    return dict(manifest.outputs)


def _count_write_ops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The file-system changes made from write.py (files written, links, renames, folders)."""
    made: list[str] = []

    def counted(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def op(*args: Any, **kwargs: Any) -> Any:
            made.append(name)
            return real(*args, **kwargs)

        return op

    for name in CHANGING_OPS:
        monkeypatch.setattr(write.os, name, counted(name, getattr(os, name)))
    monkeypatch.setattr(write.Path, "write_bytes", counted("write_bytes", Path.write_bytes))
    monkeypatch.setattr(write.Path, "mkdir", counted("mkdir", Path.mkdir))
    return made


def test_a_full_build_leaves_a_spare_of_hard_links_to_its_own_files(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    build(_options(site))
    spare = site / ".servicebook-cache" / "build" / "public.spare"
    public = _files(site / "public")
    assert _files(spare) == public  # the very files: same names, same inodes
    assert not list(site.glob(".public.*"))


def test_the_first_rebuild_after_a_full_build_changes_only_what_differs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    build(_options(site))
    before = _files(site / "public")
    page = site / "content/welcome.md"
    page.write_text(page.read_text() + "\nOne more paragraph.\n")
    made = _count_write_ops(monkeypatch)
    report = build(_options(site))
    monkeypatch.undo()
    after = _files(site / "public")
    changed = [p for p in after if before.get(p) != after[p]]  # made again: a file of its own
    kept = [p for p in after if before.get(p) == after[p]]
    assert report.work is not None and report.work.kept["policy pages"] == 0
    assert len(kept) >= 10
    # The kept files were already in place in the spare it started from: none linked again
    # (a full staging folder would have linked each of them), none written.
    assert made.count("link") == 0, made
    assert made.count("write_bytes") <= len(changed)


def test_what_a_rebuild_records_of_the_output_is_what_the_output_holds(tmp_path: Path) -> None:
    """The manifest's identity of every output file is worked out from what was written, not read
    from the output: it must be exactly what reading the output gives, or a build with nothing to
    do would not be recognised as such."""
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    page = site / "content/welcome.md"
    for edit in range(3):
        if edit:
            page.write_text(page.read_text() + f"\nEdit {edit}.\n")
        build(_options(site))
        assert _recorded(site) == tree_identity(site / "public")
        again = build(_options(site))
        assert again.work is not None and again.work.unchanged


def test_the_files_of_a_large_site_are_held_by_their_paths_as_text_not_as_path_objects(tmp_path) -> None:
    """A cold build of 20,000 pages holds every output file's place in the spool until the write
    stage: as a string, not a `pathlib.Path` (which holds its parts too: twice the memory, 4 MiB of
    the parent at 5k). The write stage still gets a `Path` for each file it may move."""
    spool = tmp_path / "spool"
    files = SiteFiles()
    files.put_file("policies/a/index.html", spool / "policies/a/index.html", movable=True)
    files.put_file("policies/b/index.html", tmp_path / "public/policies/b/index.html", movable=False)
    assert [type(held) for held in files._data.values()] == [str, str]
    assert files.file("policies/a/index.html") == spool / "policies/a/index.html"
    assert files.file("policies/b/index.html") is None  # kept in the output: linked, never moved
    assert files.file("not/there.html") is None


def _layout(root: Path) -> tuple[dict[str, bytes], list[str]]:
    """Every file of `root` with its bytes, and every folder in it, an empty one too."""
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    return files, sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_dir())


def _release(folder: Path, empty: bool) -> Path:
    (folder / "guides").mkdir(parents=True)
    (folder / "index.html").write_bytes(b"release home")
    (folder / "guides" / "a.html").write_bytes(b"release guide")
    if empty:
        (folder / "nothing" / "here").mkdir(parents=True)  # made empty in the site too
    return folder


# Sites one after another: (files, release trees): a file that becomes a folder and back, folders
# emptied at several depths, a release tree with empty folders (the journal knows files, not
# folders: the build that starts from that site lists it), then without them, kept, and gone.
STEPS: list[tuple[dict[str, bytes], str]] = [
    ({"index.html": b"home", "a/x.html": b"x", "b.html": b"b", "deep/er/f.html": b"f"}, ""),
    ({"index.html": b"home", "a": b"a file now", "b.html": b"b", "deep/er/f.html": b"f2"}, ""),
    ({"index.html": b"home 2", "a/y.html": b"y", "b.html": b"b"}, "hollow"),
    ({"index.html": b"home 2", "a/y.html": b"y", "b.html": b"b"}, ""),
    ({"index.html": b"home 2", "a/y.html": b"y"}, "whole"),
    ({"index.html": b"home 2", "a/y.html": b"y", "c/d/e.html": b"e"}, "whole"),
    ({"b.html": b"b", "c/d/e.html": b"e"}, ""),
    ({"b.html": b"b", "c/d/e.html": b"e"}, ""),
]


@pytest.mark.parametrize("journaled", [True, False], ids=["serve", "build"])
def test_a_write_stage_leaves_what_one_from_nothing_leaves_and_lists_the_spare_only_without_a_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, journaled: bool
) -> None:
    output, spare = tmp_path / "out" / "public", tmp_path / "out" / "cache" / "public.spare"
    trees = {"hollow": _release(tmp_path / "r1", empty=True), "whole": _release(tmp_path / "r2", empty=False)}
    journal = write.SpareJournal() if journaled else None
    listed: list[int] = []
    real_prune = write._prune

    def prune(*args: Any) -> None:
        if not args[1]:  # the spare's top folder
            listed.append(step)
        real_prune(*args)

    monkeypatch.setattr(write, "_prune", prune)
    before: dict[str, bytes] = {}
    identities: dict[str, list[int]] = {}
    for step, (site, release) in enumerate(STEPS):
        tree = {"v/1/": trees[release]} if release else {}
        unchanged = [p for p in site if before.get(p) == site[p]]
        known = {p: identities[p] for p in unchanged}
        identities = write.write_site(dict(site), output, tree, unchanged, spare=spare, known=known, journal=journal)
        cold = tmp_path / f"cold{step}" / "public"
        write.write_site(dict(site), cold, tree)
        assert _layout(output) == _layout(cold), step
        assert identities == tree_identity(output), step
        before = site
    # the first build leaves a spare, the journal says the rest, but for the spare that had the
    # release's empty folders (the journal knows files, not folders)
    assert listed == ([4] if journaled else list(range(1, len(STEPS))))


@pytest.mark.parametrize("journaled", [True, False], ids=["serve", "build"])
def test_a_release_tree_whose_files_are_given_is_linked_as_given_without_listing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, journaled: bool
) -> None:
    # releases.py hands the write stage each cached release's files as it checked them: those are
    # linked (a first build's staging folder, then a rebuild's spare), and the tree is not listed.
    output, spare = tmp_path / "out" / "public", tmp_path / "out" / "cache" / "public.spare"
    tree = _release(tmp_path / "r1", empty=False)
    given = {}
    for path in ("index.html", "guides/a.html"):
        info = os.lstat(tree / path)
        given[path] = [info.st_size, info.st_mtime_ns, info.st_ino]
    (tree / "stray.html").write_bytes(b"not one of the release's files")
    listed: list[str] = []
    real_link_tree, real_tree_links = write._link_tree, write._tree_links

    def link_tree(folder: Path, dest: Path) -> list[str]:
        listed.append(str(folder))
        return real_link_tree(folder, dest)

    def tree_links(folder: str, *args: Any) -> bool:
        listed.append(folder)
        return real_tree_links(folder, *args)

    monkeypatch.setattr(write, "_link_tree", link_tree)
    monkeypatch.setattr(write, "_tree_links", tree_links)
    journal = write.SpareJournal() if journaled else None
    site = {"index.html": b"home", "a/x.html": b"x"}
    identities: dict[str, list[int]] = {}
    for step in range(3):
        if step == 2:
            site = {**site, "a/x.html": b"x2"}
        unchanged = [p for p in site if step and p != "a/x.html"]
        known = {p: identities[p] for p in unchanged}
        identities = write.write_site(
            dict(site), output, {"v/1/": tree}, unchanged, spare=spare, known=known, journal=journal,
            tree_files={"v/1/": given},
        )  # fmt: skip
        assert str(tree) not in listed, step
        files, _ = _layout(output)
        assert files == {
            **site,
            write.MARKER: write.MARKER_TEXT,
            "v/1/index.html": b"release home",
            "v/1/guides/a.html": b"release guide",
        }, step
        assert os.lstat(output / "v/1/index.html").st_ino == given["index.html"][2]  # linked, not copied
        assert identities == tree_identity(output), step


def test_a_flat_release_tree_s_given_files_are_held_by_the_write_stage_not_copied(tmp_path: Path) -> None:
    # a release cached flat (releases.py) is handed to each write stage with its files as checked
    # (11,000 at 5k): the stage tells that the tree is flat by the mapping it holds, which is the
    # caller's very mapping, not a copy of it made by every write stage of `serve` (~0.6 MiB)
    tree = tmp_path / "tree"
    tree.mkdir()
    given: dict[str, list[int]] = {}
    for path in ("index.html", "guides/a.html"):
        name = tree / flat_name(path)
        name.write_bytes(path.encode())
        info = os.lstat(name)
        given[path] = [info.st_size, info.st_mtime_ns, info.st_ino]
    held = write._flat_trees({"v/1/": tree}, {"v/1/": given})["v/1/"]
    assert isinstance(held, write._FlatTree) and held.files is given
    assert dict(held) == given and "guides/a.html" in held and len(held) == 2
    listed = write._flat_trees({"v/1/": tree}, {})["v/1/"]  # (not given: as the tree's listing names them)
    assert isinstance(listed, write._FlatTree) and dict(listed) == given
    links = write._known_tree_links(str(tree), "v/1/", held, given)
    assert links["v/1/guides/a.html"][3] == str(tree / flat_name("guides/a.html"))


def test_a_spare_that_is_not_the_folder_the_journal_describes_is_listed(tmp_path: Path) -> None:
    output, spare = tmp_path / "public", tmp_path / "cache" / "public.spare"
    journal = write.SpareJournal()
    site = {"index.html": b"home", "a/x.html": b"x"}
    known = write.write_site(dict(site), output, spare=spare, journal=journal)
    assert journal.applies(output, spare)
    shutil.copytree(spare, tmp_path / "other", copy_function=os.link)
    (tmp_path / "other" / "a" / "stray.html").write_bytes(b"not the site's")
    shutil.rmtree(spare)
    (tmp_path / "other").rename(spare)  # another folder (inode) now: the journal does not apply
    assert not journal.applies(output, spare)
    write.write_site(dict(site), output, (), list(site), spare=spare, known=known, journal=journal)
    assert _layout(output)[0] == {**site, write.MARKER: write.MARKER_TEXT}
    assert journal.applies(output, spare)  # what this build left, it knows


def test_a_write_stage_that_fails_forgets_its_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    output, spare = tmp_path / "public", tmp_path / "cache" / "public.spare"
    journal = write.SpareJournal()
    write.write_site({"index.html": b"home"}, output, spare=spare, journal=journal)
    monkeypatch.setattr(write, "_fsync_tree", lambda root: (_ for _ in ()).throw(OSError(28, "No space left")))
    with pytest.raises(WriteFailed):
        write.write_site({"index.html": b"new home"}, output, spare=spare, journal=journal)
    assert journal.outputs is None and not journal.applies(output, spare)
    monkeypatch.undo()
    write.write_site({"index.html": b"new home"}, output, spare=spare, journal=journal)
    assert (output / "index.html").read_bytes() == b"new home"


def test_the_c_library_is_not_looked_for_where_the_process_has_it_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Looking for it runs `ldconfig -p` (ctypes.util.find_library): a process and ~2 ms of every
    # build that renders a page. A dynamically linked Python has its C library loaded already.
    if _process() is None or not hasattr(_process(), "renameat2"):
        pytest.skip("this Python has no C library of its own loaded, or one without renameat2")

    def refused(name: str) -> str | None:
        raise AssertionError(f"looked for the C library ({name})")

    monkeypatch.setattr(ctypes.util, "find_library", refused)
    libc.cache_clear()
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "was-a").touch()
    (tmp_path / "b").mkdir()
    for _ in range(3):
        assert write._rename_exchange(tmp_path / "a", tmp_path / "b")
        give_back()
    assert (tmp_path / "b" / "was-a").is_file() and not (tmp_path / "a" / "was-a").exists()


def test_libc_is_looked_up_once_for_every_swap_and_trim_of_the_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # where the process has no C library of its own loaded (a static Python), it is looked for once
    looked: list[str] = []
    real = ctypes.util.find_library
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: looked.append(name) or real(name))
    monkeypatch.setattr(libc_module, "_process", lambda: None)
    libc.cache_clear()
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "was-a").touch()
    (tmp_path / "b").mkdir()
    for _ in range(3):
        assert write._rename_exchange(tmp_path / "a", tmp_path / "b")
        give_back()
    assert looked == ["c"]
    assert (tmp_path / "b" / "was-a").is_file() and not (tmp_path / "a" / "was-a").exists()
    libc.cache_clear()


def test_site_files_hash_a_file_on_disk_a_piece_at_a_time_as_its_bytes_hash(tmp_path) -> None:
    import hashlib

    from servicebook.git.versions import manifest

    files = SiteFiles()
    large = bytes(range(256)) * (3 * write._READ // 256 + 7)  # more than three reads' worth
    for name, data in (("empty.html", b""), ("small.html", b"<p>x</p>"), ("large.html", large)):
        (tmp_path / name).write_bytes(data)
        files.put_file(f"on-disk/{name}", tmp_path / name, movable=True)
        files[f"in-memory/{name}"] = data
    for name, data in (("empty.html", b""), ("small.html", b"<p>x</p>"), ("large.html", large)):
        expected = hashlib.sha256(data).hexdigest()
        assert files.sha256(f"on-disk/{name}") == files.sha256(f"in-memory/{name}") == expected
    assert manifest(files, sha256=files.sha256) == manifest(files)


@pytest.mark.parametrize("folders", ["a/b", "a\0a/b/c", "x"])
def test_a_spare_record_that_does_not_describe_the_spare_is_not_trusted(tmp_path: Path, folders: str) -> None:
    # The record is read back from the store in the cache folder: one that names a folder without
    # its parent, or a folder that is not there, is a record to distrust, not a crash.
    spare = tmp_path / "public.spare"
    (spare / "a" / "b").mkdir(parents=True)
    (spare / write.MARKER).write_text("")
    info, marker = os.lstat(spare), os.lstat(spare / write.MARKER)
    record = write.SpareRecord(
        (info.st_dev, info.st_ino),
        "\0".join(sorted(["a", write.MARKER])),
        (marker.st_ctime_ns, marker.st_ino),
        folders,
        (),
    )
    assert not record.holds(spare)


@pytest.mark.parametrize(
    "text", ['[{"a": 1}, "", [1, 2], "", []]', '[[1, 2], 3, [1, 2], "", []]', "{}", "[1]", "not json"]
)
def test_a_spare_record_of_another_shape_reads_as_none(text: str) -> None:
    assert write.SpareRecord.from_json(text) is None


_PATHS = st.sampled_from(["index.html", "a/x.html", "a/y.html", "b.html", "c/d/e.html", write.MARKER])


@given(
    before=st.dictionaries(_PATHS, st.integers(1, 4)),
    have=st.sets(_PATHS),
    kept=st.sets(_PATHS),
    differs=st.sets(_PATHS),
)
def test_the_paths_a_serve_write_stage_looks_at_are_told_at_once_as_they_are_path_by_path(
    tmp_path_factory: pytest.TempPathFactory, before: dict[str, int], have: set[str], kept: set[str], differs: set[str]
) -> None:
    """When every kept page's identity is the one the journal's `before` holds (and no release
    trees), `_changes` tells the paths to look at by set operations on the paths, not a look at
    each file of the site: the same paths as one by one."""
    output = tmp_path_factory.mktemp("site") / "public"
    identities = {path: [1, n, 100 + n] for path, n in before.items()}
    unchanged = [p for p in kept if p in identities]
    known = {p: identities[p] for p in unchanged}
    files = SiteFiles()
    for path in have:
        files[path] = b"x"
    links = write._links(files, output, {}, unchanged, known)
    assert write._kept_links(files, output, unchanged, known) == links  # made as asked for, the same
    device = next(iter(links.values()))[1] if links else 0
    one_by_one = write._changes(files, links, identities, set(differs), device)
    assert write._changes(files, links, identities, set(differs), device, known) == one_by_one
    assert write._changes(dict.fromkeys(have, b"x"), links, identities, set(differs), device, known) == one_by_one


@given(paths=st.sets(_PATHS), have=st.sets(_PATHS), frozen=st.booleans())
def test_the_kept_pages_are_told_files_of_the_site_and_of_the_record_by_lookups_in_their_dicts(
    paths: set[str], have: set[str], frozen: bool
) -> None:
    """`_kept_links` asks whether every kept page is a file of the new site and of the last
    build's record (42,000 of 45,000 at 20,000 pages) by a set's difference with the dicts that
    hold them (`_within`: each looked up by the hash its string holds, not `<=` with the dicts'
    keys, which takes the generic path): the same answer as `<=`, for a SiteFiles, a dict, and
    any other mapping or set of paths."""
    files = SiteFiles()
    for path in have:
        files[path] = b"x"
    asked = frozenset(paths) if frozen else paths
    expected = paths <= have
    assert write._within(asked, files) is expected
    assert write._within(asked, {path: [1, 2, 3] for path in have}) is expected
    assert write._within(dict.fromkeys(paths).keys(), dict.fromkeys(have)) is expected
    assert files.held() == dict.fromkeys(have, b"x")


def test_a_serve_write_stage_makes_the_links_of_the_kept_pages_only_as_it_asks_for_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a journal and no release trees, the write stage does not make a link for each kept
    page (write._links, tens of thousands at 20,000 pages): it asks for those of the paths that
    changed (`_KeptLinks`), and leaves what a write stage from nothing leaves."""
    output, spare = tmp_path / "out" / "public", tmp_path / "out" / "cache" / "public.spare"
    journal = write.SpareJournal()
    steps = [site for site, release in STEPS if not release]
    before: dict[str, bytes] = {}
    identities: dict[str, list[int]] = {}
    for step, site in enumerate(steps):
        unchanged = [p for p in site if before.get(p) == site[p]]
        known = {p: identities[p] for p in unchanged}
        with monkeypatch.context() as refusing:
            if step:
                refusing.setattr(write, "_links", lambda *_: pytest.fail("a link made for every kept page"))
            identities = write.write_site(dict(site), output, {}, unchanged, spare=spare, known=known, journal=journal)
        cold = tmp_path / f"cold{step}" / "public"
        write.write_site(dict(site), cold, {})
        assert _layout(output) == _layout(cold), step
        assert identities == tree_identity(output), step
        before = site


def test_a_large_file_set_into_the_files_of_a_spooled_render_goes_to_the_spool_folder_at_once(tmp_path: Path) -> None:
    # the manifest, pages-by-version.json and the feed are made in the build's own process: held
    # in memory from the render to the write stage, they were 2 MiB of serve's peak at 5,000 pages
    large, small = b"x" * write.SPILL_FROM, b"y" * (write.SPILL_FROM - 1)
    files = SiteFiles(tmp_path)
    files["manifest.sha256"] = large
    files["versions.json"] = small
    spilled = files.file("manifest.sha256")
    assert spilled is not None and spilled.parent == tmp_path and spilled.read_bytes() == large
    assert files["manifest.sha256"] == large and files.sha256("manifest.sha256") == hashlib.sha256(large).hexdigest()
    assert files.file("versions.json") is None and files["versions.json"] == small  # in memory
    files["changes/feed.xml"] = large  # a second one beside the first, under a name of its own
    assert files.file("changes/feed.xml") not in (None, spilled)
    in_memory = SiteFiles()  # no spool folder (`check`, a small site): every file in memory
    in_memory["manifest.sha256"] = large
    assert in_memory.file("manifest.sha256") is None and in_memory["manifest.sha256"] == large


def test_the_files_a_spooled_render_may_move_are_marked_in_a_dict_s_keys_not_a_set(tmp_path: Path) -> None:
    # the first uncommitted edit in `serve` fills the footer into every page (5,400 at 5k), each
    # spooled and movable, marked from the render to the end of the write stage, where a rebuild
    # peaks: a set of 5,400 paths holds 32,768 slots (512 KiB), a dict's keys ~150 KiB
    files = SiteFiles(tmp_path)
    paths = [f"policies/page-{n}/index.html" for n in range(5_400)]
    for n, path in enumerate(paths):
        files.put_file(path, f"{tmp_path}/.restamped-{n}", movable=True)
    files.put_file(paths[0], f"{tmp_path}/kept.html", movable=False)  # put again: no longer movable
    del files[paths[1]]
    assert files.file(paths[0]) is None and paths[1] not in files
    assert files.file(paths[2]) == tmp_path / ".restamped-2" and len(files.spooled) == 5_398
    assert sys.getsizeof(files.spooled) < 200_000 < sys.getsizeof(set(paths))


@pytest.mark.slow
def test_a_spooled_build_moves_its_large_made_files_into_place_and_equals_one_in_memory(
    site_copy: Callable[[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import servicebook.site.build as build_module

    site = site_copy("example")
    assert build(_options(site)).files > 0
    in_memory = {p: (site / "public" / p).read_bytes() for p in _files(site / "public")}
    shutil.rmtree(site / "public")
    monkeypatch.setattr(build_module, "SPOOL_FROM", 0)
    monkeypatch.setattr(write, "SPILL_FROM", 1024)  # the example site's manifest is a few KB
    seen: list[Path | None] = []
    checked = build_module._verify

    def spy(options: Options, loaded: Any, files: SiteFiles, *args: Any, **kwargs: Any) -> Any:
        seen.append(files.file("manifest.sha256"))
        return checked(options, loaded, files, *args, **kwargs)

    monkeypatch.setattr(build_module, "_verify", spy)
    assert build(_options(site)).files > 0
    assert seen and seen[0] is not None and seen[0].name.startswith(write.SPILLED)
    assert {p: (site / "public" / p).read_bytes() for p in _files(site / "public")} == in_memory
    assert not list(site.glob(".public.*"))  # the spool folder went with the build


def test_serve_s_manifest_is_its_kept_lines_put_right_and_written_as_they_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the manifest made from the last one's lines (`serve`) was joined, 1.1 MB at 5,000 pages,
    # each rebuild: its lines go to the spool folder as they are
    files = SiteFiles(tmp_path)
    files["a.html"], files["b.html"] = b"a", b"b"
    lines, made = outputs.ManifestLines(), outputs.add_published_outputs
    made(files, (), {}, {}, lines)
    first = files["manifest.sha256"]
    parts = lines.make(files, {}, lambda path: hashlib.sha256(files[path]).hexdigest())
    assert parts is lines.lines and b"".join(parts) == first  # the very lines, not joined
    files["b.html"] = b"B"
    monkeypatch.setattr(write, "SPILL_FROM", 1)
    made(files, (), {}, {}, lines)
    spilled = files.file("manifest.sha256")
    assert spilled is not None and spilled.read_bytes() == files["manifest.sha256"]
    assert files["manifest.sha256"] == first.replace(
        hashlib.sha256(b"b").hexdigest().encode(), hashlib.sha256(b"B").hexdigest().encode()
    )


def test_a_spilled_file_given_another_place_leaves_no_stray_file_in_the_spool_folder(tmp_path: Path) -> None:
    # the spool folder may become the new site as it is: a file spilled there and then replaced
    # or removed would be published under its spilled name
    large = b"x" * write.SPILL_FROM
    files = SiteFiles(tmp_path)
    files["a.json"] = large
    files["a.json"] = large + b"y"  # made again
    files["b.json"] = large
    del files["b.json"]
    files["c.json"] = large
    files.put_file("c.json", tmp_path / "c.json", movable=True)  # a file of its own at its place
    assert [p.name for p in tmp_path.iterdir()] == [files.file("a.json").name]  # type: ignore[union-attr]
    assert files["a.json"] == large + b"y"


def test_a_new_file_of_parts_is_written_whole_iov_max_parts_at_a_time_and_after_a_short_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """write.write_new_file: a file of parts (catalog.json, the manifest) written by the kernel
    from the parts, at most IOV_MAX (1,024) a call; a call that writes less than it was given (a
    signal, a full disk) is followed by the rest; `exclusive` refuses a file that is there."""
    parts = [f"line {i}\n".encode() * (i % 5) for i in range(2500)]
    calls: list[int] = []
    real = os.writev

    def short(fd: int, buffers: list[bytes]) -> int:  # the kernel's answer to a signal: part of it written
        calls.append(len(buffers))
        return real(fd, buffers[: len(buffers) // 2])

    monkeypatch.setattr(os, "writev", short)
    write.write_new_file(tmp_path / "catalog.json", parts)
    assert (tmp_path / "catalog.json").read_bytes() == b"".join(parts)
    assert calls == [1024, 1024, 452]
    monkeypatch.setattr(os, "writev", real)
    write.write_new_file(tmp_path / "catalog.json", b"shorter\n")  # truncated, as "wb"
    assert (tmp_path / "catalog.json").read_bytes() == b"shorter\n"
    with pytest.raises(FileExistsError):
        write.write_new_file(tmp_path / "catalog.json", [b"again"], exclusive=True)
    assert (tmp_path / "catalog.json").read_bytes() == b"shorter\n"
    write.write_new_file(tmp_path / "new.json", [], exclusive=True)
    assert (tmp_path / "new.json").read_bytes() == b""


def test_kept_files_are_put_in_from_the_dict_serve_kept_put_right_where_the_files_are_other_objects() -> None:
    """SiteFiles.put_kept with the dict `serve` keeps from its last build (PageMemory `kept_files`):
    while it holds the same paths in the same order, only the places where the files are other
    objects are set in it (a rebuild takes most of its last answers as they were) and it is copied
    in whole, into the very dict a view of the paths taken before sees; other paths make it again.
    Each time the files held are `dict(zip(paths, files))`."""

    class Spied(dict[str, str | bytes | None]):
        def __init__(self) -> None:
            super().__init__()
            self.set: list[str] = []
            self.cleared = 0

        def __setitem__(self, path: str, file: str | bytes | None) -> None:
            self.set.append(path)
            super().__setitem__(path, file)

        def clear(self) -> None:
            self.cleared += 1
            super().clear()

    paths = [f"policies/p{n}/index.html" for n in range(6)]
    first: list[str | bytes | None] = [f"/out/{p}" for p in paths]
    first[2] = None
    last = Spied()
    files = SiteFiles()
    view = files.paths()
    files.put_kept(paths, first, last)
    assert dict(files.held()) == dict(zip(paths, first, strict=True)) == last and list(view) == paths
    again = list(first)
    again[2], again[4] = f"/out/{paths[2]}", None  # (the others the very objects)
    last.set.clear()
    files = SiteFiles()
    view = files.paths()
    files.put_kept(list(paths), again, last)
    assert last.set == [paths[2], paths[4]] and last.cleared == 1  # (the first time only)
    assert dict(files.held()) == dict(zip(paths, again, strict=True)) == last and list(view) == paths
    assert all(files.held()[p] is f for p, f in zip(paths, again, strict=True))
    other = [*paths[:3], "policies/new/index.html", *paths[3:]]
    files = SiteFiles()
    files.put_kept(other, [f"/out/{p}" for p in other], last)
    assert last.cleared == 2 and list(last) == other == list(files.paths())
    with pytest.raises(ValueError, match="hold files already"):
        files.put_kept(other, [None] * len(other), last)
