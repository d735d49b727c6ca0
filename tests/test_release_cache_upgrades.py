"""Upgrading servicebook leaves the releases the old one built in the site's cache
(`.servicebook-cache/releases/<code>/`, a whole set per servicebook: a release's files depend on
the servicebook that built them). A successful build removes the sets no servicebook uses any
more, and never one another servicebook uses now or switches back to (cache/releases.py)."""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from pathlib import Path

import pytest

from servicebook.cache.releases import KEEP_OTHERS, KEEP_SECONDS, code_folder

from .conftest import GitSite, edit_and_build

pytestmark = pytest.mark.git

DAY = 24 * 3600


def _releases(root: Path) -> Path:
    return root / ".servicebook-cache" / "releases"


def _other_servicebooks_set(root: Path, code: str, last_used: float) -> Path:
    """The set of releases another servicebook (`code`) left, as one from before the lock left it
    (no lock file: its folder's time says when it last stored a release), a copy of this one's."""
    other = _releases(root) / code
    shutil.copytree(_releases(root) / code_folder(), other)
    os.utime(other, (last_used, last_used))
    return other


def _codes(n: int) -> list[str]:
    return [f"{i:x}" * 16 for i in range(n) if f"{i:x}" * 16 != code_folder()]


def test_the_releases_an_older_servicebook_built_are_removed_once_unused_for_a_week(run, repo: GitSite) -> None:
    """After an upgrade, the old servicebook's set is never read again: the first build after it
    has been unused for KEEP_SECONDS removes it, and keeps this servicebook's."""
    assert run("build", "--source", repo.root).exit_code == 0
    old = _other_servicebooks_set(repo.root, _codes(1)[0], time.time() - KEEP_SECONDS - DAY)
    said = edit_and_build(run, repo)
    assert not old.exists()
    assert (
        f"Removed from {repo.root / '.servicebook-cache'}/releases/ the releases 1 other servicebook built, "
        "which no build uses any more"
    ) in said
    assert "removing old releases" in said  # its own phase: seconds, at 5,000 pages on a busy disk
    assert "Removed from" not in edit_and_build(run, repo, 2)  # once
    assert sorted(p.name for p in _releases(repo.root).iterdir() if p.is_dir()) == [code_folder()]
    assert len(list((_releases(repo.root) / code_folder()).iterdir())) == 3
    assert (repo.root / "public/v/1.0/index.html").is_file()
    assert run("verify", "--source", repo.root).exit_code == 0


def test_the_releases_of_a_servicebook_used_this_week_are_kept(run, repo: GitSite) -> None:
    """A developer switching between two branches of servicebook, or a CI matrix of two versions
    sharing one cache: each build finds the other's set where it left it, and builds no release
    again (no thrashing)."""
    assert run("build", "--source", repo.root).exit_code == 0
    other = _other_servicebooks_set(repo.root, _codes(1)[0], time.time() - DAY)
    edit_and_build(run, repo)
    assert other.is_dir()
    assert sorted(os.listdir(other)) == sorted(os.listdir(_releases(repo.root) / code_folder()))


def test_no_more_than_two_other_servicebooks_sets_are_kept_the_last_used_first(run, repo: GitSite) -> None:
    """A development checkout of servicebook changes its code with every edit, each a set of its
    own: only the KEEP_OTHERS last used are kept, however recent the others."""
    assert run("build", "--source", repo.root).exit_code == 0
    codes = _codes(KEEP_OTHERS + 2)[: KEEP_OTHERS + 2]
    now = time.time()
    sets = [_other_servicebooks_set(repo.root, code, now - 60 * (n + 1)) for n, code in enumerate(codes)]
    edit_and_build(run, repo)
    assert [s.exists() for s in sets] == [True] * KEEP_OTHERS + [False] * 2


def test_a_set_that_a_running_build_holds_is_not_removed(run, repo: GitSite) -> None:
    """Another servicebook's build at work holds a shared lock on its set's lock file for as long
    as it runs (its output links the trees' files): its set is kept, however old, and removed by
    the first build after the lock is let go."""
    assert run("build", "--source", repo.root).exit_code == 0
    code = _codes(1)[0]
    old = _other_servicebooks_set(repo.root, code, time.time() - KEEP_SECONDS - DAY)
    lock = os.open(_releases(repo.root) / f"{code}.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(lock, fcntl.LOCK_SH)
        os.utime(lock, (0, 0))  # and last used long ago, as far as its file says
        edit_and_build(run, repo, 1)
        assert old.is_dir()
    finally:
        os.close(lock)
    edit_and_build(run, repo, 2)
    assert not old.exists()
    assert not (_releases(repo.root) / f"{code}.lock").exists()


def test_a_build_marks_its_own_set_used(run, repo: GitSite) -> None:
    """Each build that reads its releases touches its set's lock file: what another servicebook's
    build goes by when it decides whether the set is still in use."""
    assert run("build", "--source", repo.root).exit_code == 0
    lock = _releases(repo.root) / f"{code_folder()}.lock"
    os.utime(lock, (0, 0))
    edit_and_build(run, repo)
    assert time.time() - lock.stat().st_mtime < DAY


def test_what_killed_builds_and_prunes_left_is_removed_by_the_next_successful_build(run, repo: GitSite) -> None:
    """A build killed while it stored a release leaves a staging folder (`.COMMIT.xxxxxxxx`, which
    may hold every stamped page of the release), until now removed only when that same release was
    built again, which, the release being stored by the next build, never happened; a prune killed
    while it deleted a set leaves the set renamed away (`.gone-CODE.PID`). Both go at the next
    successful build; a staging folder being written now (recent) stays."""
    assert run("build", "--source", repo.root).exit_code == 0
    ours = _releases(repo.root) / code_folder()
    commit = sorted(p.name for p in ours.iterdir() if p.is_dir())[0]
    left = ours / f".{commit}.killed01"
    left.mkdir()
    (left / "index.html").write_text("half a release")
    os.utime(left, (0, 0))
    working = ours / f".{commit}.working"
    working.mkdir()
    gone = _releases(repo.root) / f".gone-{_codes(1)[0]}.12345"
    shutil.copytree(ours, gone)
    edit_and_build(run, repo)
    assert not left.exists()
    assert not gone.exists()
    assert working.is_dir()
    assert (ours / commit / "index.html").is_file()


def test_a_build_of_a_site_without_releases_leaves_no_release_cache(run, git_site: GitSite) -> None:
    """Only a build that has releases holds (and so makes) the release cache."""
    assert run("build", "--source", git_site.root, "--no-versions").exit_code == 0
    assert not _releases(git_site.root).exists()
