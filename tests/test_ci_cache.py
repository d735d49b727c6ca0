"""A CI job that restores `.servicebook-cache/` and `public/` from the forge's cache (a new
checkout, every file a copy: new inodes) renders only what its commit changed, and trusts a
restored page only when its size and modification time are those the last build recorded, or
(times cut by the archive) once its bytes are found to be those the last build wrote."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from servicebook.cache.store import _key, read_stamp, store_file
from servicebook.git.snapshots import Reader
from servicebook.site import fresh, write
from servicebook.site.build import Options, build
from servicebook.site.buildcache import BuildCache

from .conftest import GitSite
from .sitefiles import clean_build, generated_site, tree
from .test_fresh_stamp import _settle
from .test_page_keys import COMMITTED, ENV, Builds, _cli

pytestmark = pytest.mark.git


class Job:
    """A site in git, built once, and CI jobs on fresh clones of it with both folders restored."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        self.site = generated_site(root / "site", pages=30)
        (self.site / ".gitignore").write_text("/public/\n/.servicebook-cache/\n/.public.*/\n/.servicebook-trash-*/\n")
        self.repo = GitSite(self.site)
        self.repo.commit("The generated catalog")
        self.builds = Builds(self.site, monkeypatch)
        self.builds.cache_of(self.site)
        self.caches = self.builds.caches

    def build(self, site: Path) -> BuildCache:
        return self.builds.cache_of(site)

    def restored_checkout(self, name: str) -> Path:
        """A `git clone` of the newest commit with both folders copied in, file by file (as a
        cache archive is unpacked: every file a new inode), without the spare (see docs)."""
        clone = self.root / name
        subprocess.run(["git", "clone", "-q", str(self.site), str(clone)], check=True, capture_output=True)
        for folder in (".servicebook-cache", "public"):
            shutil.copytree(self.site / folder, clone / folder, ignore=shutil.ignore_patterns("build"))
        return clone

    def commit_a_page_change(self, index: int) -> str:
        page = sorted((self.site / "content").rglob("*.md"))[index]
        page.write_text(page.read_text() + "\nA committed sentence.\n")
        self.repo.commit(f"Page {index} changed")
        return f"policies/{page.relative_to(self.site / 'content').with_suffix('').as_posix()}/index.html"


class SubfolderJob:
    """A repository whose site is in a sub-folder, built beside it (`build --source FOLDER --output
    public` at the repository's top: the GitLab component's and the action's layout)."""

    def __init__(self, top: Path, folder: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self.top, self.folder = top, folder
        self.site = generated_site(top / folder, pages=30)
        (top / ".gitignore").write_text(
            f"/public/\n/.servicebook-cache/\n/.public.*/\n/.servicebook-trash-*/\n/{folder}/.servicebook-cache/\n"
        )
        self.repo = GitSite(top)
        self.repo.commit("The generated catalog")
        self.builds = Builds(self.site, monkeypatch)

    def build_at(self, root: Path) -> BuildCache:
        self.builds.caches.clear()
        build(Options(source=root / self.folder, output=root / "public", env=ENV))
        (cache,) = self.builds.caches
        return cache

    def commit_a_page_change(self, index: int) -> str:
        page = sorted((self.site / "content").rglob("*.md"))[index]
        page.write_text(page.read_text() + "\nA committed sentence.\n")
        self.repo.commit(f"Page {index} changed")
        return f"policies/{page.relative_to(self.site / 'content').with_suffix('').as_posix()}/index.html"

    def built_from_nothing(self, clone: Path, where: Path) -> dict[str, bytes]:
        """The output of `clone`'s sources built at `where` without its output or caches."""
        shutil.copytree(
            clone, where, ignore=lambda folder, names: [n for n in names if n in ("public", ".servicebook-cache")]
        )
        build(Options(source=where / self.folder, output=where / "public", env=ENV))
        return tree(where / "public")


def rendered(cache: BuildCache) -> set[str]:
    return {path for path in cache.keys if path.endswith(".html") and path not in cache.reused}


@pytest.fixture
def job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Job:
    made = Job(tmp_path, monkeypatch)
    made.commit_a_page_change(2)  # the first commit after the first build: see test_page_keys
    made.build(made.site)
    return made


def test_a_fresh_checkout_with_cache_and_site_restored_renders_only_the_changed_page_and_the_lists(
    job: Job, tmp_path: Path
) -> None:
    changed = job.commit_a_page_change(3)
    clone = job.restored_checkout("ci")
    cache = job.build(clone)
    assert rendered(cache) == {changed, *COMMITTED}
    assert cache.restored  # the kept pages are the restored copies, checked byte for byte
    assert tree(clone / "public") == clean_build(_cli(), clone, tmp_path)
    # the next build in the same checkout knows every file by its new identity: nothing to do
    job.caches.clear()
    report = build(Options(source=clone, output=clone / "public", env=ENV))
    assert report.work.unchanged and not job.caches


def test_a_fresh_checkout_at_another_path_takes_the_last_builds_answers_for_the_pages_views(
    job: Job, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The last build's answers (BuildCache.kept_memo: the offering and tool pages' keys by what
    # they are made from, the data files' and policy pages' by their own input) are stored by
    # output folder; a checkout at another path takes those of the output its restored manifest
    # is of (fresh._previous), so no offering's or tool's page has its view written out to be
    # keyed again (pagekeys._view_key), and records them under its own output for its next build
    from servicebook.cache.store import _key
    from servicebook.site import buildcache, pagekeys

    changed = job.commit_a_page_change(3)
    clone = job.restored_checkout("ci")
    keyed: list[object] = []
    real = pagekeys._view_key

    def counted(*args: object) -> str:
        keyed.append(args[1])
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(pagekeys, "_view_key", counted)
    cache = job.build(clone)
    assert rendered(cache) == {changed, *COMMITTED}
    assert keyed == []
    with sqlite3.connect(store_file(clone / ".servicebook-cache")) as db:
        recorded = {k for (k,) in db.execute("SELECT key FROM entries")}

    def parts(output: Path) -> set[int]:
        names = [str(output), *(f"{output}\0{n}" for n in range(buildcache.KEPT_PARTS))]
        return {n for n, name in enumerate(names) if _key(buildcache.KEPT_KIND, name) in recorded}

    assert 0 in parts(clone / "public") and parts(clone / "public") == parts(job.site / "public")
    monkeypatch.undo()
    assert tree(clone / "public") == clean_build(_cli(), clone, tmp_path)


def test_a_restored_page_whose_bytes_were_altered_is_rendered_again(job: Job, tmp_path: Path) -> None:
    job.commit_a_page_change(3)
    clone = job.restored_checkout("ci")
    kept = sorted((clone / "content").rglob("*.md"))[5]
    path = f"policies/{kept.relative_to(clone / 'content').with_suffix('').as_posix()}/index.html"
    page = clone / "public" / path
    original = page.read_bytes()
    page.write_bytes(original.replace(b"<body", b"<body data-x", 1)[: len(original)])  # same size
    assert page.read_bytes() != original and page.stat().st_size == len(original)
    cache = job.build(clone)
    assert path in rendered(cache) and path not in cache.reused
    assert cache.reused  # the other restored pages, found intact, were kept
    assert page.read_bytes() == original
    assert tree(clone / "public") == clean_build(_cli(), clone, tmp_path)


def test_a_restored_site_whose_manifest_was_rewritten_is_not_trusted(job: Job, tmp_path: Path) -> None:
    # manifest.sha256 holds the hash a restored page of another modification time is checked
    # against; the store holds the hash of manifest.sha256 itself, so a site altered along with
    # its manifest is rendered again
    job.commit_a_page_change(3)
    clone = job.restored_checkout("ci")
    _cut_times_to_seconds(clone / "public")  # as a zip archive keeps them: every page is hashed
    manifest = clone / "public" / "manifest.sha256"
    manifest.write_bytes(manifest.read_bytes() + b"\n")
    cache = job.build(clone)
    assert not cache.reused
    assert tree(clone / "public") == clean_build(_cli(), clone, tmp_path)


def _cut_times_to_seconds(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            info = path.stat()
            os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns // 1_000_000_000 * 1_000_000_000))


def test_a_restored_site_that_kept_its_times_is_kept_without_hashing_a_page(
    job: Job, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A tar archive (actions/cache) and `cp -a` keep each file's size and modification time: a
    # restored page with both as the last build recorded them is its copy, kept without being
    # read (at 5,000 pages, hashing every restored page cost more than the rest of the build)
    changed = job.commit_a_page_change(3)
    clone = job.restored_checkout("ci")

    def refuse(*args: object) -> None:
        raise AssertionError("a restored page was read and hashed")

    monkeypatch.setattr(hashlib, "file_digest", refuse)
    cache = job.build(clone)
    monkeypatch.undo()
    assert rendered(cache) == {changed, *COMMITTED}
    assert cache.restored
    assert tree(clone / "public") == clean_build(_cli(), clone, tmp_path)


def test_a_restored_site_whose_times_were_cut_is_kept_once_its_pages_hash_right(
    job: Job, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A zip archive (GitLab's cache) keeps times to the second: each restored page is then kept
    # only once its SHA-256 is the one the last build's manifest.sha256 holds
    changed = job.commit_a_page_change(3)
    clone = job.restored_checkout("ci")
    _cut_times_to_seconds(clone / "public")
    hashed: list[object] = []
    real = hashlib.file_digest
    monkeypatch.setattr(hashlib, "file_digest", lambda *args: hashed.append(args[0]) or real(*args))
    cache = job.build(clone)
    monkeypatch.undo()
    assert rendered(cache) == {changed, *COMMITTED}
    assert len(hashed) >= len(cache.reused) > 0
    assert tree(clone / "public") == clean_build(_cli(), clone, tmp_path)


def test_a_fresh_checkout_at_another_path_with_the_source_in_a_subfolder_and_the_site_beside_it_uses_the_restored_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the GitLab component's layout: `build --source site --output public` at the top of the
    # repository, `site/.servicebook-cache/` and `public/` restored from the forge's cache into a
    # checkout at another path
    top = tmp_path / "repository"
    job = SubfolderJob(top, "site", monkeypatch)
    job.build_at(top)
    job.commit_a_page_change(2)  # the first commit after the first build: see test_page_keys
    job.build_at(top)
    changed = job.commit_a_page_change(3)
    clone = tmp_path / "ci" / "checkout"
    subprocess.run(["git", "clone", "-q", str(top), str(clone)], check=True, capture_output=True)
    shutil.copytree(top / "site" / ".servicebook-cache", clone / "site" / ".servicebook-cache")
    shutil.copytree(top / "public", clone / "public")
    cache = job.build_at(clone)
    assert rendered(cache) == {changed, *COMMITTED}
    assert cache.restored
    assert tree(clone / "public") == job.built_from_nothing(clone, tmp_path / "cold")


def _unpacked(folders: list[Path], into: Path, *, links: bool, made: dict[tuple[int, int], str] | None = None) -> None:
    """`folders` restored under `into` as a cache archive unpacks them: every file a new one, its
    modification time kept; with `links`, files that were hard links of one another (the spare's
    and public/'s) are again (one tar archive of both, as actions/cache and the GitLab
    component's make), else each is a copy of its own (a zip archive: GitLab's own cache);
    `made`: the files already unpacked from the same archive (into other folders), by the file
    they copy."""
    made = {} if made is None else made
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            target = into / folder.name / path.relative_to(folder)
            info = path.lstat()
            if path.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            elif links and (info.st_dev, info.st_ino) in made:
                os.link(made[info.st_dev, info.st_ino], target)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
                made[info.st_dev, info.st_ino] = str(target)


def _counting(monkeypatch: pytest.MonkeyPatch, names: tuple[str, ...]) -> list[str]:
    """Each call of `os.<name>` (for each of `names`) on a path in a staging folder, noted."""
    calls: list[str] = []
    for name in names:
        real = getattr(os, name)

        def counted(*args: object, _real=real, _name=name, **kwargs: object) -> object:
            if any("/.public.new-" in str(a) for a in args[:2]):
                calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(os, name, counted)
    return calls


def test_a_restored_checkout_with_its_spare_in_one_archive_changes_only_what_differs(
    job: Job, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CI restores `.servicebook-cache/` (the spare in it) and `public/` as one archive that keeps
    hard links (actions/cache's tar, the GitLab component's servicebook-cache.tar): the spare is
    made the new site by changing only what differs, no more folders made and files linked than
    the files where it and `public/` differ (without it, every folder and file of the site:
    16,000 `mkdir`s and 34,000 links at 5,000 pages)."""
    job.repo.tag("v2026.11")  # the release's tree, built once (an untagged one is built at every commit)
    for page in (4, 5):  # the spare is now a site of this commit's line: nearly every file is public/'s
        job.commit_a_page_change(page)
        job.build(job.site)
    changed = job.commit_a_page_change(3)
    clone = job.root / "ci"
    subprocess.run(["git", "clone", "-q", str(job.site), str(clone)], check=True, capture_output=True)
    _unpacked([job.site / ".servicebook-cache", job.site / "public"], clone, links=True)
    files = sum(1 for p in (clone / "public").rglob("*") if p.is_file())
    spare, public = clone / ".servicebook-cache/build/public.spare", clone / "public"
    differ = sum(1 for p in public.rglob("*") if p.is_file() and not _same(p, spare / p.relative_to(public)))
    calls = _counting(monkeypatch, ("link", "mkdir"))
    cache = job.build(clone)
    monkeypatch.undo()
    assert changed in rendered(cache) and len(cache.reused) > files / 4
    assert calls.count("link") + calls.count("mkdir") <= differ < files / 4
    assert tree(clone / "public") == clean_build(_cli(), clone, tmp_path)


def test_a_site_in_a_sub_folder_built_beside_it_restores_its_spare_from_the_three_folders_the_docs_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`build --source catalog --output public` (the action's `source: catalog` with `output:
    public`, the GitLab component's layout): the store is in `catalog/.servicebook-cache/`, the
    spare beside the output, in `.servicebook-cache/build/`. Restored in one archive with links,
    as docs/reviewing-changes.md ("Caching between CI runs") says to cache them, the three folders
    make a job that changes only what differs, and the site is a build from nothing's."""
    top = tmp_path / "repository"
    job = SubfolderJob(top, "catalog", monkeypatch)
    site = job.site
    job.build_at(top)
    job.commit_a_page_change(2)  # the first commit after the first build: see test_page_keys
    job.build_at(top)
    job.repo.tag("v2026.11")  # as in the test above: the spare is then a site of this commit's line
    for page in (4, 5):
        job.commit_a_page_change(page)
        job.build_at(top)
    assert (top / ".servicebook-cache" / "build" / "public.spare").is_dir()  # beside the output, not in catalog/
    assert not (site / ".servicebook-cache" / "build").exists()
    changed = job.commit_a_page_change(3)
    clone = tmp_path / "ci"
    subprocess.run(["git", "clone", "-q", str(top), str(clone)], check=True, capture_output=True)
    # one archive of `catalog/.servicebook-cache`, `public` and `.servicebook-cache/build` (the
    # spare's release pages are links to the release cache's files in catalog/.servicebook-cache)
    unpacked: dict[tuple[int, int], str] = {}
    _unpacked([site / ".servicebook-cache"], clone / "catalog", links=True, made=unpacked)
    _unpacked([top / "public"], clone, links=True, made=unpacked)
    _unpacked([top / ".servicebook-cache" / "build"], clone / ".servicebook-cache", links=True, made=unpacked)
    files = sum(1 for p in (clone / "public").rglob("*") if p.is_file())
    spare, public = clone / ".servicebook-cache/build/public.spare", clone / "public"
    differ = sum(1 for p in public.rglob("*") if p.is_file() and not _same(p, spare / p.relative_to(public)))
    calls = _counting(monkeypatch, ("link", "mkdir"))
    cache = job.build_at(clone)
    monkeypatch.undo()
    assert changed in rendered(cache) and cache.restored
    assert calls.count("link") + calls.count("mkdir") <= differ < files / 4  # the spare made the site
    assert tree(clone / "public") == job.built_from_nothing(clone, tmp_path / "cold")


def _spare_recorded(site: Path) -> bool:
    """Whether the store of `site` holds the record of the spare its last build into public/ left."""
    with sqlite3.connect(store_file(site / ".servicebook-cache")) as db:
        name = _key("spare", str(site / "public"))
        return db.execute("SELECT 1 FROM entries WHERE key = ?", (name,)).fetchone() is not None


def _looked_at(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each time a build looks at the output's folders to record them for the next build
    (fresh._written_folders), or works out where the spare it leaves differs from the output
    (write._journal with the replaced site's files), noted."""
    calls: list[str] = []
    folders, journal = fresh._written_folders, write._journal

    def written_folders(*args: object) -> object:
        calls.append("folders")
        return folders(*args)  # type: ignore[arg-type]

    def journaled(*args: object, **kwargs: object) -> None:
        if args[4] is not None:  # `before`: the files of the site it replaced, as known
            calls.append("spare")
        journal(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(fresh, "_written_folders", written_folders)
    monkeypatch.setattr(write, "_journal", journaled)
    return calls


def test_a_restored_checkout_records_neither_its_outputs_folders_nor_its_spare_for_a_next_job(
    job: Job, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restored `public/` is a copy at new inodes, which the last build's record of its files
    does not name: where the spare this build leaves differs from the output is not known (the
    record would say everywhere), and the identities of the output's folders (for the next
    build to find nothing changed without listing them) are those of a copy the next job
    restores again, anew. Neither is worked out nor recorded; a next build in the same checkout
    lists the output's folders once, and the spare, as a build without those records does."""
    job.commit_a_page_change(3)
    clone = job.root / "ci"
    subprocess.run(["git", "clone", "-q", str(job.site), str(clone)], check=True, capture_output=True)
    _unpacked([job.site / ".servicebook-cache", job.site / "public"], clone, links=True)
    _settle(clone)  # (a stamp is recorded of sources settled for some seconds: fresh.RACY_NS)
    assert _spare_recorded(job.site)  # the last build's, in place (restored with the store)
    looked = _looked_at(monkeypatch)
    cache = job.build(clone)
    assert cache.reused and looked == []
    assert not _spare_recorded(clone)
    stamp = fresh.Stamp.from_bytes(read_stamp(clone, str(clone / "public")))
    assert stamp is not None and stamp.listing is None
    # the next build in the same checkout: nothing changed, found so without a manifest
    job.caches.clear()
    assert build(Options(source=clone, output=clone / "public", env=ENV)).work.unchanged and not job.caches
    stamp = fresh.Stamp.from_bytes(read_stamp(clone, str(clone / "public")))
    assert stamp is not None and stamp.listing is not None  # (listed by that build, for the next)
    # and one more change there: the output is the one the last build left, both recorded again
    page = sorted((clone / "content").rglob("*.md"))[6]
    page.write_text(page.read_text() + "\nAn uncommitted sentence.\n")
    _settle(clone)
    assert job.build(clone).reused and looked == ["spare", "folders"]
    assert _spare_recorded(clone)
    monkeypatch.undo()
    assert tree(clone / "public") == clean_build(_cli(), clone, tmp_path)


def _pages_read_by_the_history(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """The policy pages whose outline the history asks for (Reader.page: made of the build's
    own, read from its disk cache or from git), by path."""
    asked: set[str] = set()
    real = Reader.page

    def page(self: Reader, path: str, blob: str, data: bytes | None = None) -> object:
        asked.add(path)
        return real(self, path, blob, data)

    monkeypatch.setattr(Reader, "page", page)
    return asked


def test_the_history_of_a_commit_reads_the_outlines_of_the_pages_it_changed_alone(
    job: Job, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build carries the last build's history on with the commits made since (history
    `_committed`): each commit's page changes are those of the pages whose blob it changed, the
    others the very bytes at the very path, unchanged, so only those are read and compared (not
    every page of the site twice: 5,000 at 5k). In place, in a restored checkout, with a page
    moved and one removed: the history shows what a build from nothing shows."""
    changed = job.commit_a_page_change(3)
    page = "content/" + changed.removeprefix("policies/").removesuffix("/index.html") + ".md"
    clone = job.restored_checkout("ci")
    asked = _pages_read_by_the_history(monkeypatch)
    assert job.build(clone).reused and asked == {page}
    assert job.build(job.site).reused and asked == {page}
    assert tree(clone / "public") == clean_build(_cli(), clone, tmp_path)
    for name in ("one", "two"):  # pages no other names: moved and removed without a broken link
        job.repo.write(f"content/note-{name}.md", f"---\ntitle: Note {name}\n---\n\n# Note {name}\n\nText.\n")
    job.repo.commit("Two pages added")
    asked.clear()
    assert job.build(job.site).reused and asked == {"content/note-one.md", "content/note-two.md"}
    job.repo.git("mv", "content/note-one.md", "content/moved-one.md")
    (job.site / "content/note-two.md").unlink()
    job.repo.commit("A page moved, one removed")
    assert job.build(job.site).reused
    assert asked == {"content/note-one.md", "content/note-two.md", "content/moved-one.md"}
    assert tree(job.site / "public") == clean_build(_cli(), job.site, tmp_path)


def _same(one: Path, other: Path) -> bool:
    try:
        return one.stat().st_ino == other.stat().st_ino
    except OSError:
        return False


def _keyed_policies(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The output path of each policy page whose key is made (pagekeys._policy_key), noted."""
    from servicebook.site import pagekeys

    keyed: list[str] = []
    real = pagekeys._policy_key

    def counted(*args: object) -> str:
        where = args[-1]
        assert isinstance(where, tuple)
        keyed.append(where[0])
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(pagekeys, "_policy_key", counted)
    return keyed


def test_a_commit_keys_again_only_the_policy_page_it_changed_in_place_and_in_a_restored_checkout(
    job: Job, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A policy page shows of the history its own "Last changed" alone: the last build's answer
    # for a page (BuildCache.kept_memo) holds that as the page's own input, not the whole timeline
    # in what every page shares, so a commit keys and renders again the page it changed, not
    # every page (5,000 keys made again at 5,000 pages, each page then found kept)
    keyed = _keyed_policies(monkeypatch)
    changed = job.commit_a_page_change(3)
    cache = job.build(job.site)
    assert keyed == [changed]
    assert rendered(cache) == {changed, *COMMITTED}
    keyed.clear()
    changed = job.commit_a_page_change(4)
    clone = job.restored_checkout("ci")
    cache = job.build(clone)
    assert keyed == [changed]
    assert rendered(cache) == {changed, *COMMITTED}
    monkeypatch.undo()
    assert tree(clone / "public") == clean_build(_cli(), clone, tmp_path)


def test_a_page_whose_last_change_moved_to_another_changes_page_is_rendered_again(
    job: Job, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each commit moves the older entries one place down the changes list: an entry that crosses
    # to the next changes page moves the "Last changed" link of the pages it is the newest change
    # of, which are then keyed and rendered again though nothing else of them changed
    from servicebook.site import changes

    monkeypatch.setattr(changes, "PAGE_SIZE", 2)
    job.commit_a_page_change(4)  # the entries, newest first: page 4's, page 2's, the catalog's
    job.build(job.site)
    keyed = _keyed_policies(monkeypatch)
    changed = job.commit_a_page_change(5)  # page 2's entry: index 1 → 2, from changes/ to changes/2/
    page = sorted((job.site / "content").rglob("*.md"))[2]
    moved = f"policies/{page.relative_to(job.site / 'content').with_suffix('').as_posix()}/index.html"
    cache = job.build(job.site)
    assert sorted(keyed) == sorted([changed, moved])
    assert {changed, moved} <= rendered(cache)
    assert tree(job.site / "public") == clean_build(_cli(), job.site, tmp_path)


def _sources_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The source files the survey reads (fresh.SourceList.hashed), relative to the site, noted;
    git asked which blob each file is from the first file not known by its identity on."""
    from servicebook.site import fresh

    monkeypatch.setattr(fresh, "ASK_GIT_AT", 1)
    read: list[str] = []

    def counted(path: str, *args: object, **kwargs: object) -> object:
        read.append(path)
        return open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(fresh, "open", counted, raising=False)
    return read


def _relative(read: list[str], site: Path) -> list[str]:
    """Those of `read` in `site` (a release's build reads its sources elsewhere: in the cache's
    `sources/`, cache.releases ReleaseTrees.sources)."""
    cache = site / ".servicebook-cache"
    return sorted(
        Path(path).relative_to(site).as_posix()
        for path in read
        if Path(path).is_relative_to(site) and not Path(path).is_relative_to(cache)
    )


def test_a_fresh_checkout_with_the_cache_restored_reads_only_the_source_its_commit_changed(
    job: Job, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A checkout gives every file a new inode and time, so no source is known by its identity;
    # git says which blob each file holds, and the last build's hash of a file is that blob's id
    changed = job.commit_a_page_change(3)
    source = sorted((job.site / "content").rglob("*.md"))[3].relative_to(job.site).as_posix()
    clone = job.restored_checkout("ci")
    read = _sources_read(monkeypatch)
    cache = job.build(clone)
    assert _relative(read, clone) == [source]
    assert rendered(cache) == {changed, *COMMITTED}
    assert tree(clone / "public") == clean_build(_cli(), clone, tmp_path)
    # the hashes the survey took from git are those it makes of the files' bytes
    from servicebook.site import fresh

    assert cache.hashes == fresh.scan_sources(clone, fresh.BUILD_INPUTS)[0]


def test_a_fresh_checkout_reads_a_file_changed_since_its_commit_or_that_git_does_not_compare(
    job: Job, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a file edited but not committed (of the same size: git compares its bytes), a file git is
    # told to assume unchanged, edited too, and a file that git does not track: each is read
    pages = sorted((job.site / "content").rglob("*.md"))
    clone = job.restored_checkout("ci")
    edited, assumed = (clone / pages[4].relative_to(job.site)), (clone / pages[6].relative_to(job.site))
    for page in (edited, assumed):
        text = page.read_text()
        page.write_text(text.replace("a", "b", 1))
        assert page.read_text() != text and len(page.read_text()) == len(text)
    subprocess.run(
        ["git", "update-index", "--assume-unchanged", assumed.relative_to(clone).as_posix()], cwd=clone, check=True
    )
    untracked = clone / "content" / "untracked.md"
    untracked.write_bytes(pages[5].read_bytes().replace(b"title: ", b"title: Another ", 1))
    read = _sources_read(monkeypatch)
    job.build(clone)
    assert _relative(read, clone) == sorted(p.relative_to(clone).as_posix() for p in (edited, assumed, untracked))
    assert tree(clone / "public") == clean_build(_cli(), clone, tmp_path)


def test_a_fresh_checkout_reads_a_file_its_checkout_converted(
    job: Job, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a filter's smudge may give the file other bytes of the blob's size; line ends made CR LF
    # make every file with a line longer than its blob
    pages = sorted((job.site / "content").rglob("*.md"))
    filtered = pages[7].relative_to(job.site).as_posix()
    pages[7].write_text(pages[7].read_text() + "\nThe word REVISION, spelled out.\n")
    (job.site / ".gitattributes").write_text(f"{filtered} filter=mirror\n")
    mirror = {"filter.mirror.smudge": "sed s/REVISION/NOISIVER/", "filter.mirror.clean": "sed s/NOISIVER/REVISION/"}
    for name, command in mirror.items():  # (the site's file is as committed: a release is smudged)
        job.repo.git("config", name, command)
    job.repo.commit("A page that a checkout filters")
    job.build(job.site)
    clone = job.root / "ci"
    config = [part for name, command in mirror.items() for part in ("-c", f"{name}={command}")]
    subprocess.run(["git", "clone", "-q", *config, str(job.site), str(clone)], check=True)
    for folder in (".servicebook-cache", "public"):
        shutil.copytree(job.site / folder, clone / folder, ignore=shutil.ignore_patterns("build"))
    assert b"NOISIVER" in (clone / filtered).read_bytes()  # git's smudge, to the same size
    assert (clone / filtered).stat().st_size == pages[7].stat().st_size
    read = _sources_read(monkeypatch)
    job.build(clone)
    assert _relative(read, clone) == [filtered]
    assert tree(clone / "public") == clean_build(_cli(), clone, tmp_path)
    shutil.rmtree(clone)
    # a checkout that ends lines with CR LF: every file with a line is longer than its blob
    subprocess.run(["git", "clone", "-q", "-c", "core.autocrlf=true", str(job.site), str(clone)], check=True)
    for folder in (".servicebook-cache", "public"):
        shutil.copytree(job.site / folder, clone / folder, ignore=shutil.ignore_patterns("build"))
    assert b"\r\n" in (clone / "catalog.yaml").read_bytes()
    read.clear()
    job.build(clone)
    from servicebook.site import fresh

    listed = fresh.list_sources(clone, fresh.BUILD_INPUTS).paths
    assert _relative(read, clone) == sorted(path for path in listed if b"\n" in (clone / path).read_bytes())
    # (the releases are left out: the one restored was made of the commit as the site's checkout
    # gives it, with LF, and one built here is made of it with CR LF; the cache does not tell)
    built, clean = tree(clone / "public"), clean_build(_cli(), clone, tmp_path)
    assert {p: b for p, b in built.items() if not p.startswith("v/")} == {
        p: b for p, b in clean.items() if not p.startswith("v/")
    }


def test_a_restored_checkout_whose_cache_was_restored_in_part_or_damaged_builds_a_build_from_nothings_site(
    job: Job, tmp_path: Path
) -> None:
    """A cache archive may be unpacked in part (a download or an extraction cut short: actions/cache
    warns and goes on), its files cut, or be of another commit: nothing of it is trusted unseen. The
    spare missing files, holding others and a page cut (a copy, not public/'s file), a release's
    stored file cut and another missing, the history's kept replay cut: the site is the one a
    build from nothing makes, and so is that of a job whose cache is the one of two commits before."""
    job.repo.tag("v2026.11")
    older = job.root / "older"
    for page in (4, 5):
        job.commit_a_page_change(page)
        job.build(job.site)
        if page == 4:  # the cache of a job two commits before the one below
            _unpacked([job.site / ".servicebook-cache", job.site / "public"], older, links=True)
    job.commit_a_page_change(3)
    clone = job.root / "ci"
    subprocess.run(["git", "clone", "-q", str(job.site), str(clone)], check=True, capture_output=True)
    _unpacked([job.site / ".servicebook-cache", job.site / "public"], clone, links=True)
    spare = clone / ".servicebook-cache/build/public.spare"
    kept = sorted(p for p in spare.rglob("*.html") if p.is_file())
    assert len(kept) > 20
    for page in kept[::7]:  # unpacked in part
        page.unlink()
    cut = kept[1]  # a copy of its own, cut short
    data = cut.read_bytes()
    cut.unlink()
    cut.write_bytes(data[: len(data) // 2])
    (spare / "policies" / "stray.html").write_text("not the site's")
    (spare / "stray").mkdir()
    (spare / "stray" / "index.html").write_text("nor this")
    tagged = subprocess.run(
        ["git", "rev-parse", "v2026.11^{commit}"], check=True, cwd=clone, capture_output=True, text=True
    )
    published = tagged.stdout.strip()  # the published release's tree (an older one of the untagged version stays)
    (tree_folder,) = (clone / ".servicebook-cache/releases").glob(f"*/{published}")
    stored = sorted(p for p in tree_folder.iterdir() if p.name.endswith("index.html"))
    with stored[0].open("r+b") as file:  # cut, its time kept as an archive keeps it
        times = os.stat(stored[0])
        file.truncate(10)
    os.utime(stored[0], ns=(times.st_atime_ns, times.st_mtime_ns))
    stored[1].unlink()
    for entry in (clone / ".servicebook-cache/history").glob("*/*.json"):
        entry.write_bytes(entry.read_bytes()[:40])
    job.build(clone)
    from_nothing = clean_build(_cli(), clone, tmp_path)
    assert tree(clone / "public") == from_nothing
    other = job.root / "ci-older"
    subprocess.run(["git", "clone", "-q", str(job.site), str(other)], check=True, capture_output=True)
    for folder in (".servicebook-cache", "public"):
        os.rename(older / folder, other / folder)
    job.build(other)
    assert tree(other / "public") == from_nothing
