"""Each servicebook keeps its own part of a site's cache (cache/sets.py): its store
(`.servicebook-cache/store/<code>.sqlite`), its parsed history (`history/<code>/`) and its releases
(`releases/<code>/`). Two servicebooks alternating on one site (a developer's install and CI's,
two worktrees of servicebook) each find theirs as they left it; what another servicebook left goes
once unused a week or beyond the two last used, never while a build of it runs; and in a
servicebook's own releases, the tree of a commit that is no longer a release goes."""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import servicebook
from servicebook.cache.sets import KEEP_OTHERS, KEEP_SECONDS, code_folder
from servicebook.cache.store import store_file

from .conftest import FIXED_EPOCH, GitSite, edit_and_build
from .sitefiles import clean_build, tree

pytestmark = pytest.mark.git

DAY = 24 * 3600


@pytest.fixture
def site(git_site: GitSite) -> GitSite:
    """The minimal site in a repository of its own, its output and cache ignored by git."""
    git_site.write(".gitignore", "/public/\n/.servicebook-cache/\n/.public.*/\n/.servicebook-trash-*/\n")
    git_site.commit("Ignore the output and the cache")
    return git_site


@pytest.fixture(scope="module")
def other_servicebook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another servicebook: this one's package copied with one line more in a module (another code
    digest, as another version or another worktree's checkout has), on a path of its own."""
    root = tmp_path_factory.mktemp("other-servicebook")
    package = root / "servicebook"
    shutil.copytree(Path(servicebook.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    with (package / "cache" / "sets.py").open("a") as module:
        module.write("# another servicebook\n")
    return root


def _build_by(other: Path, site: Path) -> str:
    """A build by the other servicebook, in a process of its own; what it printed."""
    env = {**os.environ, "PYTHONPATH": str(other), "SOURCE_DATE_EPOCH": FIXED_EPOCH}
    done = subprocess.run(
        [sys.executable, "-m", "servicebook", "build", "--source", str(site)],
        cwd=other,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _entries(cache: Path) -> dict[Path, set[str]]:
    """The names of the entries of every store in the cache folder."""
    found = {}
    for path in sorted(cache.rglob("*.sqlite")):
        with sqlite3.connect(path) as db:
            found[path] = {name for (name,) in db.execute("SELECT key FROM entries")}
        db.close()
    return found


def _codes(n: int) -> list[str]:
    return [f"{i:x}" * 16 for i in range(n) if f"{i:x}" * 16 != code_folder()][:n]


def _dated(path: Path, when: float) -> Path:
    os.utime(path, (when, when))
    return path


# -- the store ---------------------------------------------------------------------------------


def test_two_servicebooks_alternating_on_one_site_each_find_their_store_as_they_left_it(
    run, site: GitSite, other_servicebook: Path, tmp_path: Path
) -> None:
    """A build by another servicebook used to empty the one store (its format was another's):
    switching back read every page again. Now each has its own, and neither touches the other's;
    every output is still a build from nothing's."""
    cache = site.root / ".servicebook-cache"
    assert run("build", "--source", site.root).exit_code == 0
    ours = store_file(cache)
    mine = _entries(cache)[ours]
    assert mine
    _build_by(other_servicebook, site.root)
    stores = _entries(cache)
    assert mine <= stores[ours]  # not emptied by the other servicebook
    theirs = [path for path in stores if path != ours]
    assert len(theirs) == 1
    assert theirs[0].parent == ours.parent
    assert stores[theirs[0]]
    page = site.root / "content/welcome.md"
    page.write_text(page.read_text() + "\nOne more sentence.\n")
    assert run("build", "--source", site.root).exit_code == 0
    assert tree(site.root / "public") == clean_build(run, site.root, tmp_path)
    again = _entries(cache)
    assert again[theirs[0]] == stores[theirs[0]]  # ours did not touch theirs either
    assert len(mine & again[ours]) >= len(mine) - 2  # the page edited, and what names it


def test_the_first_build_after_an_upgrade_says_why_every_page_was_rendered_again(
    run, site: GitSite, other_servicebook: Path
) -> None:
    """A build into a site another servicebook built (an upgrade, newuser17) renders every page
    again, and said so only under --verbose: a user reading '0 kept' after upgrading, or in CI
    after a cache that was not restored, could not tell why. A first build, and a build after
    one of its own, say nothing of it."""
    said = "Every page was rendered again: "
    _build_by(other_servicebook, site.root)
    upgraded = run("build", "--source", site.root)
    assert upgraded.exit_code == 0, upgraded.output
    assert (
        f"{said}{site.root}/.servicebook-cache/ has no record of this servicebook building {site.root}/public (the "
        "first build after servicebook was upgraded, or the cache was deleted or not restored; "
        'docs/versions-and-releases.md, "Upgrading servicebook")'
    ) in upgraded.stdout
    assert said not in edit_and_build(run, site)
    shutil.rmtree(site.root / ".servicebook-cache")
    assert said in run("build", "--source", site.root).stdout
    first = run("build", "--source", site.root, "--output", site.root / "elsewhere")
    assert first.exit_code == 0 and said not in first.stdout


def test_the_stores_other_servicebooks_left_go_as_their_releases_do(run, site: GitSite) -> None:
    """Another servicebook's store goes once unused a week, or when KEEP_OTHERS others were used
    after it; one a running build holds open stays; the one store of a servicebook from before the
    stores were kept apart (`store.sqlite`) goes on the same terms."""
    assert run("build", "--source", site.root).exit_code == 0
    cache = site.root / ".servicebook-cache"
    ours = store_file(cache)
    now = time.time()
    codes = _codes(KEEP_OTHERS + 3)
    recent = [_dated(shutil.copy(ours, ours.with_name(f"{c}.sqlite")), now - 60 * (n + 1)) for n, c in enumerate(codes)]
    old, held = recent.pop(), recent.pop()  # the last two: beyond the two last used
    _dated(old, now - KEEP_SECONDS - DAY)
    _dated(held, now - KEEP_SECONDS - DAY)
    legacy = _dated(shutil.copy(ours, cache / "store.sqlite"), now - KEEP_SECONDS - DAY)
    lock = os.open(held.with_suffix(".lock"), os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(lock, fcntl.LOCK_SH)  # a build of that servicebook at work
        os.utime(lock, (0, 0))
        edit_and_build(run, site)
        assert [p.exists() for p in recent] == [True] * KEEP_OTHERS + [False]
        assert not old.exists()
        assert held.exists()
        assert not legacy.exists()
        assert ours.is_file()
    finally:
        os.close(lock)
    edit_and_build(run, site, 2)
    assert not held.exists()
    assert not held.with_suffix(".lock").exists()
    assert sorted(p.name for p in ours.parent.glob("*.sqlite")) == sorted(p.name for p in [ours, *recent[:KEEP_OTHERS]])


# -- the parsed history ------------------------------------------------------------------------


def test_the_history_other_servicebooks_parsed_goes_as_their_releases_do(run, site: GitSite) -> None:
    """What git history parsing found is kept per servicebook (`history/<code>/`), and another's
    goes once unused a week (or beyond the two last used); what a servicebook from before the
    folders left flat in `history/` goes on the same terms. It was never removed."""
    history = site.root / ".servicebook-cache" / "history"
    assert run("build", "--source", site.root).exit_code == 0
    ours = history / code_folder()
    assert any(ours.glob("*.json"))
    now = time.time()
    old, recent = (shutil.copytree(ours, history / code) for code in _codes(2))
    _dated(old, now - KEEP_SECONDS - DAY)
    _dated(recent, now - DAY)
    legacy = [shutil.copy(entry, history / entry.name) for entry in ours.glob("*.json")]
    _dated(history, now - KEEP_SECONDS - DAY)
    edit_and_build(run, site)
    assert not old.exists()
    assert recent.is_dir()
    assert not any(p.exists() for p in legacy)
    assert sorted(p.name for p in history.iterdir()) == sorted([ours.name, recent.name])


def test_a_build_marks_the_history_it_reads_used(run, site: GitSite) -> None:
    """A build that only reads its parsed history (nothing new to parse) still marks it used: what
    another servicebook's build goes by."""
    assert run("build", "--source", site.root).exit_code == 0
    ours = site.root / ".servicebook-cache" / "history" / code_folder()
    _dated(ours, 0)
    (site.root / "content/welcome.md").write_text("---\ntitle: Welcome\n---\n\nEdited, not committed.\n")
    assert run("build", "--source", site.root).exit_code == 0
    assert time.time() - ours.stat().st_mtime < DAY


# -- releases no longer releases ---------------------------------------------------------------


def _trees(repo: GitSite) -> set[str]:
    ours = repo.root / ".servicebook-cache" / "releases" / code_folder()
    return {p.name for p in ours.iterdir() if p.is_dir() and not p.name.startswith(".")}


def test_the_tree_of_a_release_whose_tag_was_deleted_is_removed(run, repo: GitSite, tmp_path: Path) -> None:
    """A tag on an earlier commit of version 1.1 publishes that commit; deleted, the last commit of
    1.1 publishes it, and the first one's tree, which no build reads any more, goes. Never while
    another build of this servicebook holds the set (it may be linking its files): then the next
    build removes it."""
    tagged = repo.git("rev-list", "-n1", "HEAD~2").strip()  # "Add the artifact registry": 1.1
    repo.git("tag", "v1.1", tagged)
    assert run("build", "--source", repo.root).exit_code == 0
    assert tagged in _trees(repo)
    assert len(_trees(repo)) == 3
    repo.git("tag", "-d", "v1.1")
    lock = os.open(repo.root / ".servicebook-cache" / "releases" / f"{code_folder()}.lock", os.O_RDWR)
    try:
        fcntl.flock(lock, fcntl.LOCK_SH)  # another build of this servicebook at work
        edit_and_build(run, repo)
        assert tagged in _trees(repo)
    finally:
        os.close(lock)
    edit_and_build(run, repo, 2)
    assert tagged not in _trees(repo)
    assert len(_trees(repo)) == 3  # 1.0, 1.1 (its last commit), 2.0
    assert tree(repo.root / "public") == clean_build(run, repo.root, tmp_path)
    assert run("verify", "--source", repo.root).exit_code == 0
