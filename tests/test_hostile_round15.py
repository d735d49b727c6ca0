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

from . import test_federation
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


@pytest.mark.git
@pytest.mark.parametrize(
    ("config", "extra", "refused"),
    [
        ('[filter "x"]\n\tsmudge = "touch {ran}; cat"\n', {"info/attributes": "* filter=x\n"}, True),
        ("[core]\n\tbare = true\n[include]\n\tpath = {elsewhere}\n", {"info/attributes": "* filter=x\n"}, True),
        ("[core]\n\tbare = true\n", {"hooks/reference-transaction": "#!/bin/sh\ntouch {ran}\n"}, False),
    ],
    ids=["a filter's smudge", "an include", "a hook"],
)
def test_a_member_store_restored_with_commands_in_its_config_runs_none_of_them(
    run, tmp_path: Path, config: str, extra: dict[str, str], refused: bool
) -> None:
    """An organisation site's build reads each member from a bare repository in its cache
    (`.servicebook-cache/members/<id>.git`), which a CI job restores from an archive. git obeys
    such a repository's own config and `info/attributes`: a restored store whose config named a
    filter's smudge command and whose attributes gave every file that filter had `git archive`
    run the command in the job that builds and publishes the site. A store that holds anything
    `git init --bare` does not write is refused, named, with what to do; no command runs, no
    hook (git runs one when a fetch updates a ref), and `public/` stays as it was."""
    member = test_federation.Member(tmp_path, "db", "Database Team")
    org = test_federation.organisation(tmp_path, f"  - id: db-team\n    repository: {member.url}\n")
    assert run("federate", "update", "--source", org).exit_code == 0
    first = run("build", "--source", org, "--no-versions")
    assert first.exit_code == 0, first.output
    before = _tree(org / "public")
    (store,) = (org / ".servicebook-cache" / "members").glob("*.git")
    ran = tmp_path / "ran"
    values = {"ran": ran, "elsewhere": tmp_path / "elsewhere.config"}
    (tmp_path / "elsewhere.config").write_text(f'[filter "x"]\n\tsmudge = "touch {ran}; cat"\n')
    (store / "config").write_text(config.format(**values))
    for name, text in extra.items():
        (store / name).parent.mkdir(exist_ok=True)
        (store / name).write_text(text.format(**values))
        (store / name).chmod(0o755)
    (org / "content" / "welcome.md").write_text((org / "content" / "welcome.md").read_text() + "\nEdited.\n")
    member.publish("A higher objective", objective="99.99")  # (the update fetches it: a ref moves)

    for args in (("federate", "update", "--source", org), ("build", "--source", org, "--no-versions")):
        result = run(*args)
        assert not ran.exists(), args  # the command the cache named never ran
        assert "Traceback" not in result.output
        if refused:
            assert result.exit_code != 0, result.output
            assert f"the repository {store} in servicebook's cache is not as servicebook made it" in result.output
        else:
            assert result.exit_code == 0, result.output
    assert not ran.exists()
    if refused:
        assert _tree(org / "public") == before
