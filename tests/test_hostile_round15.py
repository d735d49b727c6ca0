"""Hostile inputs of 6 Dec 2026 (fifteenth round): what a CI job restores before it builds (a
`.servicebook-cache/` written by a job someone else controlled), what `git archive` does to a
release's files on its own, the preview server as any HTTP client on the machine sees it, and
Markdown at its worst."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from .conftest import GitSite


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _cold(run, repo: GitSite, where: Path) -> dict[str, bytes]:
    """The site a build from nothing makes of `repo`'s sources as they are now."""
    clean = repo.copy_to(where)
    shutil.rmtree(clean.root / ".servicebook-cache", ignore_errors=True)
    shutil.rmtree(clean.root / "public", ignore_errors=True)
    result = run("build", "--source", clean.root)
    assert result.exit_code == 0, result.output
    return _tree(clean.root / "public")


def _link_out(path: Path, outside: Path) -> None:
    """`path` (a file or a folder of the cache) moved outside and a symbolic link to it left in its place."""
    outside.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(path, outside)
    path.symlink_to(outside)


@pytest.mark.git
@pytest.mark.parametrize("where", ["history", "store", "lock", "release", "dangling"], ids=lambda w: w)
def test_a_restored_cache_whose_links_lead_out_is_neither_written_nor_read_through_them(
    run, git_site: GitSite, tmp_path: Path, where: str
) -> None:
    """A CI job restores `.servicebook-cache/` from an archive (actions/cache, GitLab's cache):
    one that a job someone else controlled wrote may hold symbolic links where the cache's
    folders and files belong. A build followed them: it wrote the history it parsed into the
    folder a link named, made its SQLite store (or emptied the tables of any SQLite file) where
    a link said, created an empty file at any path through a lock file's link, and took a
    release's tree from a folder anywhere. Now a link where the cache has a folder or a file is
    damage like any other: the link itself is removed (never what it names), the build makes the
    entry again, nothing outside the cache is created or changed, and the site is the one a
    build from nothing makes. (`.servicebook-cache` itself may be a link to a folder: a cache kept
    on a bigger disk, the owner's choice; test_build_cache.)"""
    git_site.edit('version: "0.1"', 'version: "1.0"')
    git_site.commit("Release 1.0")
    git_site.tag("v1.0")
    first = run("build", "--source", git_site.root)
    assert first.exit_code == 0, first.output
    # the next commit, checked out, and then the cache restored
    git_site.write("content/welcome.md", (git_site.root / "content/welcome.md").read_text() + "\nOne more line.\n")
    git_site.commit("Edit the welcome page")
    cache = git_site.root / ".servicebook-cache"
    outside = tmp_path / "outside"
    outside.mkdir()
    (code,) = (p.name for p in (cache / "history").iterdir())
    if where == "history":
        _link_out(cache / "history" / code, outside / "history")
    elif where == "store":
        _link_out(cache / "store" / f"{code}.sqlite", outside / "someone-elses.sqlite")
    elif where == "lock":
        (cache / "releases" / f"{code}.lock").unlink()
        (cache / "releases" / f"{code}.lock").symlink_to(outside / "created-through-a-link")
    elif where == "release":
        for tree in [t for t in (cache / "releases" / code).iterdir() if len(t.name) == 40]:
            _link_out(tree, outside / tree.name)
    else:  # every folder of the cache a link to a folder that is not there
        for folder in ("history", "store", "releases"):
            shutil.rmtree(cache / folder)
            (cache / folder).symlink_to(outside / f"not-yet-{folder}")
    before = {str(p.relative_to(outside)): (p.lstat().st_mtime_ns, p.lstat().st_size) for p in outside.rglob("*")}

    result = run("build", "--source", git_site.root)

    assert result.exit_code == 0, result.output
    after = {str(p.relative_to(outside)): (p.lstat().st_mtime_ns, p.lstat().st_size) for p in outside.rglob("*")}
    assert after == before  # nothing made, removed or changed outside the cache
    assert not [p for p in [cache, *cache.rglob("*")] if p.is_symlink()]
    assert _tree(git_site.root / "public") == _cold(run, git_site, tmp_path / "cold")


@pytest.mark.git
def test_a_restored_store_that_names_another_sqlite_file_leaves_that_file_as_it_was(
    run, git_site: GitSite, tmp_path: Path
) -> None:
    """The store's file a link to another program's SQLite database: the build, finding a file
    of another format, dropped the tables named as the store's own (`state` emptied) in it."""
    first = run("build", "--source", git_site.root)
    assert first.exit_code == 0, first.output
    (store,) = (git_site.root / ".servicebook-cache" / "store").glob("*.sqlite")
    theirs = tmp_path / "theirs.sqlite"
    with sqlite3.connect(theirs) as db:
        db.execute("CREATE TABLE state (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO state VALUES ('owner', 'another program')")
    db.close()
    was = theirs.read_bytes()
    store.unlink()
    store.symlink_to(theirs)

    result = run("build", "--source", git_site.root)

    assert result.exit_code == 0, result.output
    assert theirs.read_bytes() == was
    assert not store.is_symlink() and store.is_file()
    assert os.path.getsize(store) > 0


@pytest.mark.git
@pytest.mark.parametrize(
    "attributes",
    [
        "catalog.yaml export-ignore\n",
        "content/ export-ignore\n",
        "*.md export-ignore\n",
        "content/welcome.md export-subst\n",
    ],
    ids=["the catalog ignored", "the pages ignored", "every page ignored", "a page substituted"],
)
def test_a_release_is_what_its_commit_holds_whatever_export_attributes_it_sets(
    run, git_site: GitSite, attributes: str
) -> None:
    """`git archive`, which writes a release's sources, follows two attributes that a checkout
    never does: `export-ignore` leaves a file out, `export-subst` writes `$Format:…$` over with
    the commit's details (some of them, `%cr` or `%d`, differ with the day and the clone's refs).
    A commit whose `.gitattributes` set `export-ignore` on its catalog or its pages (as a pull
    request can) had its release skipped ("unknown policy page") or built without pages its
    commit holds, while the site built from its checkout showed them. A release is what its
    commit holds: its pages are the ones the current site, built from the same commit, shows."""
    git_site.write(".gitattributes", attributes)
    git_site.write(
        "content/welcome.md",
        (git_site.root / "content/welcome.md").read_text() + "\nMade from $Format:%H$ of $Format:%cr$.\n",
    )
    git_site.edit('version: "0.1"', 'version: "1.0"')
    git_site.commit("Release 1.0, its sources kept out of archives")
    git_site.tag("v1.0")

    result = run("build", "--strict", "--source", git_site.root)

    assert result.exit_code == 0, result.output
    assert "warning:" not in result.output
    public = git_site.root / "public"
    current = (public / "policies" / "welcome" / "index.html").read_text()
    released = (public / "v" / "1.0" / "policies" / "welcome" / "index.html").read_text()
    assert "Made from $Format:%H$ of $Format:%cr$." in released
    assert released.count("$Format") == current.count("$Format") == 2
