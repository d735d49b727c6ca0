"""A clone of the site's repository checked out at one commit, sharing the repository's objects:
what `verify` rebuilds a published site from."""

from __future__ import annotations

from pathlib import Path

from servicebook.errors import UsageProblem
from servicebook.git.repo import Repo
from servicebook.git.runner import MISSING, run


def clone_at(repo: Repo, commit: str, dest: Path) -> Path:
    """Clone `repo` into the new folder `dest`, with all its tags, checked out at `commit`; the
    site source's folder in the clone."""
    for name, where, args in (
        ("clone", repo.root, ["clone", "-q", "--shared", "--no-checkout", str(repo.top), str(dest)]),
        ("fetch", dest, ["fetch", "-q", "origin", "+refs/tags/*:refs/tags/*"]),
        ("checkout", dest, ["-c", "advice.detachedHead=false", "checkout", "-q", "--detach", commit]),
    ):
        done = run(where, args)
        if done is None or not done.ok:
            detail = done.error() if done is not None else MISSING
            raise UsageProblem(f"cannot check out commit {commit[:12]} to rebuild it: git {name}: {detail}")
    return dest / repo.prefix
