"""A release's sources: one folder moved from release to release by what changed holds, after each
move, exactly what exporting that commit from nothing writes (files, bytes, modes, folders)."""

from __future__ import annotations

import os
import shutil
import tracemalloc
from pathlib import Path

import pytest

from servicebook.git import releases
from servicebook.git.releases import CannotExport, Sources, export
from servicebook.git.repo import open_repo

from .conftest import SITES, GitSite

pytestmark = pytest.mark.git


def _snapshot(folder: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every file and folder under `folder`: its mode, and a file's bytes (a link: its target)."""
    found: dict[str, tuple[int, bytes | None]] = {}
    for top, folders, files in os.walk(folder):
        for name in folders + files:
            path = Path(top) / name
            info = path.lstat()
            if path.is_symlink():
                data: bytes | None = os.readlink(path).encode()
            else:
                data = path.read_bytes() if name in files else None
            found[path.relative_to(folder).as_posix()] = (info.st_mode, data)
    return found


def _exported(repo_root: Path, commit: str, tmp: Path) -> dict[str, tuple[int, bytes | None]]:
    repo = open_repo(repo_root)
    assert repo is not None
    fresh = tmp / f"fresh-{commit}"
    export(repo, commit, fresh)
    return _snapshot(fresh)


def _history(root: Path) -> tuple[GitSite, list[str]]:
    """A site whose commits add, edit, delete, make executable, turn a file into a folder and
    back, leave a folder empty, and change a file outside the sources."""
    root.mkdir(parents=True)
    site = GitSite(root)
    shutil.copytree(SITES / "minimal/content", root / "content")
    site.write("catalog.yaml", (SITES / "minimal/catalog.yaml").read_text())
    site.write("README.md", "Not a source.\n")
    commits = [site.commit("First")]
    site.write("content/extra/deep/notes.md", "# Notes\n\nMore.\n")
    site.write("content/welcome.md", (root / "content/welcome.md").read_text() + "\nEdited.\n")
    commits.append(site.commit("Add a nested page, edit another"))
    os.chmod(root / "content/extra/deep/notes.md", 0o755)
    site.write("README.md", "Still not a source.\n")
    commits.append(site.commit("Executable, and a README edit"))
    shutil.rmtree(root / "content/extra/deep")
    site.write("content/extra/deep", "now a file\n")
    commits.append(site.commit("A folder becomes a file"))
    (root / "content/extra/deep").unlink()
    site.write("content/extra/deep/again.md", "# Again\n")
    commits.append(site.commit("And a folder again"))
    shutil.rmtree(root / "content/extra")
    commits.append(site.commit("The nested folder goes"))
    return site, commits


def _moved_through(root: Path, commits: list[str], tmp: Path) -> Sources:
    """One Sources moved through `commits` in turn, each step compared with that commit's export."""
    repo = open_repo(root)
    assert repo is not None
    sources = Sources(tmp / "moved" / "src")
    for commit in commits:
        sources.at(repo, commit)
        assert _snapshot(sources.folder) == _exported(root, commit, tmp), commit
    return sources


def test_sources_moved_from_commit_to_commit_are_each_commits_export(tmp_path: Path, monkeypatch) -> None:
    site, commits = _history(tmp_path / "site")
    repo = open_repo(site.root)
    assert repo is not None
    expected = {c: _exported(site.root, c, tmp_path) for c in commits}
    sources = Sources(tmp_path / "moved" / "src")
    sources.at(repo, commits[0])
    assert _snapshot(sources.folder) == expected[commits[0]]

    def refuse(*_args: object) -> None:
        raise AssertionError("exported whole again")

    monkeypatch.setattr(releases, "export", refuse)  # every later commit is reached by a move
    for commit in [*commits[1:], commits[2], commits[0], commits[-1]]:  # forward, back and across
        assert sources.at(repo, commit) == sources.folder
        assert _snapshot(sources.folder) == expected[commit], commit
    assert sources.moved == len(commits) + 2


def test_a_change_a_move_cannot_make_is_exported_whole(tmp_path: Path) -> None:
    site, commits = _history(tmp_path / "site")
    (site.root / "content/link.md").symlink_to("welcome.md")
    commits.append(site.commit("A symbolic link"))
    sources = _moved_through(site.root, commits, tmp_path)
    assert sources.moved == len(commits) - 2  # the first, and the symbolic link's, exported


def test_a_repository_with_git_attributes_is_exported_whole(tmp_path: Path) -> None:
    """`git archive` writes a file as a checkout does, by the commit's attributes (`eol=crlf`: its
    line ends written CRLF): each commit is exported whole, whatever changed, never moved to by
    writing its blobs as they are."""
    site, commits = _history(tmp_path / "site")
    site.write(".gitattributes", "content/windows.md text eol=crlf\n")
    site.write("content/windows.md", "# Windows\n")
    commits.append(site.commit("Attributes"))
    site.write("content/windows.md", "# Windows, edited\n")  # a move would write it as the blob is
    commits.append(site.commit("An edit of the page written with CRLF"))
    sources = _moved_through(site.root, commits, tmp_path)
    assert (sources.folder / "content/windows.md").read_bytes() == b"# Windows, edited\r\n"


def test_export_ignore_and_export_subst_leave_a_release_as_its_commit_holds_it(tmp_path: Path) -> None:
    """The two attributes only `git archive` follows, never a checkout: a file the commit's
    `.gitattributes` says to `export-ignore` is in its release, and `$Format:%H$` is not written over."""
    site, commits = _history(tmp_path / "site")
    site.write(".gitattributes", "content/ignored.md export-ignore\ncontent/subst.md export-subst\n")
    site.write("content/ignored.md", "# Ignored\n")
    site.write("content/subst.md", "# $Format:%H$\n")
    commits.append(site.commit("Attributes"))
    sources = _moved_through(site.root, commits, tmp_path)
    assert (sources.folder / "content/ignored.md").read_text() == "# Ignored\n"
    assert (sources.folder / "content/subst.md").read_text() == "# $Format:%H$\n"


def test_the_users_and_the_systems_git_attributes_do_not_change_a_release(tmp_path: Path, monkeypatch) -> None:
    """A release is its commit's: the attributes files of whoever builds it (`~/.config/git/attributes`,
    `core.attributesFile` in `~/.gitconfig`) are not in the commit, and `git archive` must not follow
    them (a global `*.md export-ignore` left every policy page out of every release). The commit's
    own `.gitattributes` still applies (above)."""
    site, commits = _history(tmp_path / "site")
    plain = {c: _exported(site.root, c, tmp_path / "plain") for c in commits}
    home = tmp_path / "home"
    (home / ".config" / "git").mkdir(parents=True)
    (home / ".config" / "git" / "attributes").write_text("*.md export-ignore\n")
    (home / "attributes").write_text("catalog.yaml export-ignore\n* export-subst\n")
    (home / ".gitconfig").write_text(f"[core]\n\tattributesFile = {home / 'attributes'}\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    for commit in commits:
        assert _exported(site.root, commit, tmp_path / "their") == plain[commit], commit
    sources = _moved_through(site.root, commits, tmp_path)
    assert sources.moved == len(commits) - 1  # no attributes of the commit's: each later one is a move


def test_the_clones_own_git_attributes_do_not_change_a_release(tmp_path: Path) -> None:
    """`.git/info/attributes` is the clone's, not the commit's: an `export-ignore` there (or an
    `export-subst`) must not change what a release holds, or two clones of one commit would publish
    two different releases (hostile round 7: `*.md export-ignore` there dropped every policy page)."""
    site, commits = _history(tmp_path / "site")
    plain = {c: _exported(site.root, c, tmp_path / "plain") for c in commits}
    info = site.root / ".git" / "info"
    info.mkdir(exist_ok=True)
    (info / "attributes").write_text("*.md export-ignore\ncatalog.yaml export-subst\n")
    for commit in commits:
        assert _exported(site.root, commit, tmp_path / "clone") == plain[commit], commit
    sources = _moved_through(site.root, commits, tmp_path)
    assert _snapshot(sources.folder) == plain[commits[-1]]


def test_a_site_in_a_folder_of_its_repository_is_moved_by_its_own_sources(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    top = GitSite(root)
    shutil.copytree(SITES / "minimal/content", root / "docs/content")
    top.write("docs/catalog.yaml", (SITES / "minimal/catalog.yaml").read_text())
    top.write("content/not-the-site.md", "# Outside the site\n")
    commits = [top.commit("First")]
    top.write("docs/content/new.md", "# New\n")
    top.write("content/not-the-site.md", "# Still outside\n")
    commits.append(top.commit("A page in the site, an edit outside it"))
    repo = open_repo(root / "docs")
    assert repo is not None and repo.prefix == "docs/"
    expected = [_exported(root / "docs", c, tmp_path) for c in commits]
    sources = Sources(tmp_path / "moved" / "src")
    sources.at(repo, commits[0])
    monkeypatch.setattr(releases, "export", lambda *_args: pytest.fail("exported whole again"))
    sources.at(repo, commits[1])
    assert _snapshot(sources.folder) == expected[1]
    assert sorted(_snapshot(sources.folder)) == sorted({*expected[0], "content/new.md"})


def test_a_commits_sources_are_unpacked_as_git_archive_writes_them_never_held_whole(tmp_path: Path) -> None:
    """`git archive` of a commit is as large as its sources (~45 MB at 5,000 pages): `export` hands
    it to tar as git writes it, so the process holds a buffer of it, never the archive (it held it
    as one bytes object, and more while reading it)."""
    site, _ = _history(tmp_path / "site")
    paragraph = "A line of a long policy page, as a large site has thousands of them.\n"
    for n in range(4):
        site.write(f"content/long-{n}.md", f"# Long {n}\n\n" + paragraph * 30_000)  # 2 MB each
    commit = site.commit("Long pages")
    repo = open_repo(site.root)
    assert repo is not None
    dest = tmp_path / "exported"
    tracemalloc.start()
    try:
        export(repo, commit, dest)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    sizes = sum(p.stat().st_size for p in dest.rglob("*") if p.is_file())
    assert sizes > 8_000_000
    assert peak < 1_000_000, f"{peak:,} bytes held while {sizes:,} bytes of sources were exported"
    assert _snapshot(dest) == _snapshot_of_commit(site, commit, tmp_path / "checkout")


def _snapshot_of_commit(site: GitSite, commit: str, where: Path) -> dict[str, tuple[int, bytes | None]]:
    """What git's own checkout of `commit` holds of the sources (catalog.yaml and content/)."""
    site.git("worktree", "add", "--detach", str(where), commit)
    shutil.rmtree(where / "content" / "extra", ignore_errors=True)  # an empty folder git does not check out
    found = _snapshot(where)
    return {p: v for p, v in found.items() if p == "catalog.yaml" or p.startswith("content")}


def test_a_commit_git_cannot_archive_is_reported_with_gits_own_words(tmp_path: Path) -> None:
    """git failing half-way through an archive (here: a page's object gone from the repository)
    is said in git's own words, whatever tar made of what git wrote before it stopped: that
    release cannot be built (CannotExport: the build leaves it out with a warning, as one whose
    tree git cannot archive)."""
    site, _ = _history(tmp_path / "site")
    site.write("content/zz-last.md", "# The last page archived\n")
    commit = site.commit("A page whose object goes")
    blob = site.git("rev-parse", f"{commit}:content/zz-last.md").strip()
    (site.root / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    repo = open_repo(site.root)
    assert repo is not None
    dest = tmp_path / "exported"
    said = rf"git cannot archive its sources \(invalid object 100644 {blob} for 'content/zz-last.md'; "
    with pytest.raises(CannotExport, match=rf"^{said}"):
        export(repo, commit, dest)


def _in_a_submodule(site: GitSite, tmp_path: Path, path: str) -> GitSite:
    """`site` with its policy pages (`path` "content") or a theme's file (another path) moved into
    a repository of their own, added at `path` as a submodule and committed: that repository."""
    (tmp_path / "other").mkdir()
    other = GitSite(tmp_path / "other")
    if path == "content":
        shutil.copytree(site.root / "content", other.root, dirs_exist_ok=True)
        shutil.rmtree(site.root / "content")
        site.git("rm", "-rq", "--cached", "content")
    else:
        other.write("base.html", "{% extends 'theme/base.html' %}\n")
    other.commit("Files kept in a repository of their own")
    site.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(other.root), path)
    site.commit("Files in a submodule")
    return other


@pytest.mark.parametrize("path", ["content", "layouts/theme"])
def test_a_release_whose_sources_hold_a_submodule_is_not_built_and_the_submodule_is_named(
    run, git_site: GitSite, tmp_path: Path, path: str
) -> None:
    """git archive writes a submodule as an empty folder: a release with its policy pages (or a
    theme) in a submodule was built without them, or refused for 'unknown policy page' on every
    reference. The release is left out with a warning that names the submodule and says how to
    keep its files in the repository; the site itself is built from the working tree."""
    other = _in_a_submodule(git_site, tmp_path, path)
    git_site.tag("v1.0")
    result = run("build", "--source", git_site.root)
    assert result.exit_code == 0, result.output
    said = f"{path} is a git submodule (commit {other.head()[:12]}), whose files are not in this repository's commits"
    assert said in result.output
    assert f"git rm --cached {path}" in result.output
    assert not (git_site.root / "public" / "versions.json").exists()  # no release published


def test_policy_pages_in_a_submodule_a_clone_did_not_check_out_are_said_to_be_so(
    run, git_site: GitSite, tmp_path: Path
) -> None:
    """A clone made without its submodules (actions/checkout's default) has content/ as an empty
    folder: `check` reported "unknown policy page" at every reference, with the hint "there are
    no policy pages". It says content/ is a submodule not checked out, and how to check it out."""
    _in_a_submodule(git_site, tmp_path, "content")
    clone = tmp_path / "clone"
    git_site.git("clone", "-q", str(git_site.root), str(clone))
    assert (clone / "content").is_dir() and not any((clone / "content").iterdir())
    result = run("check", "--source", clone)
    assert result.exit_code == 1
    assert "content: error: content/ is empty: it is a git submodule that this clone has not checked out" in (
        result.output
    )
    assert "git submodule update --init content" in result.output
    assert "unknown policy page" not in result.output
    assert "check failed: 1 error." in result.output
    assert run("check", "--source", git_site.root).exit_code == 0  # checked out, the pages are read


@pytest.mark.parametrize("path", ["content", "layouts"])
def test_sources_in_a_submodule_checked_out_are_warned_of_before_any_release_is_tagged(
    run, git_site: GitSite, tmp_path: Path, path: str
) -> None:
    """The site built from a checked-out submodule without a word: the team learnt that its policy
    pages (or its theme) were in no commit of its own only when its first release was left out."""
    if path == "layouts":
        (tmp_path / "theme").mkdir()
        theme = GitSite(tmp_path / "theme")
        theme.write("base.html", "{% extends 'theme/base.html' %}\n")
        theme.commit("A theme of its own")
        git_site.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(theme.root), "layouts")
        git_site.commit("The theme in a submodule")
    else:
        _in_a_submodule(git_site, tmp_path, path)
    result = run("check", "--source", git_site.root)
    assert result.exit_code == 0, result.output
    assert (
        f"{path}: warning: {path}/ is a git submodule or a repository of its own: its files are not in this "
        "repository's commits, so a release of this site cannot hold them and is left out"
    ) in result.output
    assert f"hint: keep them in this repository (`git rm --cached {path}`, delete {path}/.git, `git add {path}`)" in (
        result.output
    )
    assert run("check", "--source", git_site.root, "--strict").exit_code == 1
    shutil.rmtree(git_site.root / ".git")  # outside git there are no releases: nothing to say
    assert "submodule" not in run("check", "--source", git_site.root).output


def test_a_folder_an_earlier_build_left_is_made_each_commits_export_without_one(tmp_path: Path, monkeypatch) -> None:
    """The folder the last build left (cache.releases ReleaseTrees.sources) is trusted in nothing:
    whatever it holds (another commit's sources, a file changed, one whose mode changed, files and
    folders no commit has), the commit is reached by comparing each file with the commit's, and
    the folder is then exactly that commit's export (files, bytes, modes, folders), no export made."""
    site, commits = _history(tmp_path / "site")
    repo = open_repo(site.root)
    assert repo is not None
    expected = {c: _exported(site.root, c, tmp_path) for c in commits}
    folder = tmp_path / "kept"
    export(repo, commits[1], folder)
    (folder / "content/welcome.md").write_text("Changed since.\n")
    os.chmod(folder / "catalog.yaml", 0o755)
    (folder / "content/stray/deeper").mkdir(parents=True)
    (folder / "content/stray/deeper/page.md").write_text("# In no commit\n")
    (folder / "content/empty").mkdir()
    monkeypatch.setattr(releases, "export", lambda *_args: pytest.fail("exported whole"))
    for commit in [commits[3], commits[0], commits[4], commits[-1], commits[2]]:  # a folder ⇄ a file too
        sources = Sources(folder, kept=True)
        assert sources.at(repo, commit) == folder
        assert _snapshot(folder) == expected[commit], commit


def test_a_left_folder_holding_a_link_is_exported_whole(tmp_path: Path) -> None:
    site, commits = _history(tmp_path / "site")
    repo = open_repo(site.root)
    assert repo is not None
    folder = tmp_path / "kept"
    export(repo, commits[0], folder)
    (folder / "content/link.md").symlink_to("/etc/hostname")
    sources = Sources(folder, kept=True)
    sources.at(repo, commits[1])
    assert _snapshot(folder) == _exported(site.root, commits[1], tmp_path)
    assert sources.moved == 0  # exported, not compared


def test_the_files_git_ids_a_sync_or_a_move_wrote_are_what_a_scan_of_the_folder_finds(tmp_path: Path) -> None:
    """The sources' folder left by an earlier build (damaged: a file changed, one added), synced
    to a commit and moved through the others: the git object id of each file, as the move
    knows them (Sources `blobs`), are the release's source hashes, equal to a scan of the
    folder (each file read and hashed), in its order."""
    from servicebook.git.repo import SOURCE_PATHS
    from servicebook.site.fresh import scan_sources
    from servicebook.site.releases import _source_hashes

    site, commits = _history(tmp_path / "site")
    repo = open_repo(site.root)
    assert repo is not None
    folder = tmp_path / "kept" / "src"
    export(repo, commits[0], folder)
    (folder / "content/welcome.md").write_text("Damaged.\n")
    (folder / "content/stray.md").write_text("Not in any commit.\n")
    sources = Sources(folder, kept=True)
    known = 0
    for commit in [*commits[1:], commits[0]]:
        sources.at(repo, commit)
        known += sources.blobs is not None
        assert list(_source_hashes(sources).items()) == list(scan_sources(folder, SOURCE_PATHS)[0].items()), commit
    assert known >= 3  # (a folder that becomes a file is exported: its ids are scanned)


def test_a_kept_folder_s_files_found_as_the_last_build_recorded_them_are_not_read_again(
    tmp_path: Path, monkeypatch
) -> None:
    """The build that leaves the folder records each file's identity and git id in it (as git's
    index does): the next sync reads only a file not as recorded (here one rewritten with the same
    size and its modification time put back: its change time tells), and the folder is still the
    commit's export, its ids a scan's. A record not older than the files (git's "racy" files):
    every file is read."""
    from servicebook.git.repo import SOURCE_PATHS
    from servicebook.site.fresh import scan_sources
    from servicebook.site.releases import _source_hashes

    site, commits = _history(tmp_path / "site")
    repo = open_repo(site.root)
    assert repo is not None
    folder = tmp_path / "kept" / "src"
    export(repo, commits[0], folder)
    read: list[str] = []

    def reading(name: str, mode: str = "r", *args: object, **kwargs: object) -> object:
        if mode == "rb":
            read.append(Path(name).relative_to(folder).as_posix())
        return open(name, mode, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(releases, "open", reading, raising=False)
    # each step: how far the record's time is moved once written, for the next sync to find: the
    # clock moved on, then back before the files were written
    for n, (commit, step) in enumerate(((commits[1], 10**9), (commits[2], -3600 * 10**9), (commits[3], 0))):
        there = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
        there.remove(releases.IDENTITIES) if n else None
        sources = Sources(folder, kept=True)
        sources.at(repo, commit)
        assert not (folder / releases.IDENTITIES).exists()  # (taken out as it is read)
        assert _snapshot(folder) == _exported(site.root, commit, tmp_path), commit
        assert list(_source_hashes(sources).items()) == list(scan_sources(folder, SOURCE_PATHS)[0].items())
        if n == 1:
            assert read == ["content/welcome.md"]
        else:  # no record yet, or one as new as the files: each read
            assert sorted(read) == there
        sources.remember()
        record = folder / releases.IDENTITIES
        written = record.stat().st_mtime_ns
        os.utime(record, ns=(written, written + step))
        welcome = folder / "content/welcome.md"
        before = welcome.stat()
        welcome.write_bytes(welcome.read_bytes().upper())
        os.utime(welcome, ns=(before.st_atime_ns, before.st_mtime_ns))
        read.clear()
