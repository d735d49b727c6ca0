"""What git says about the source: the commit a build comes from and its date.

Only the git command line is used (never `.git` parsed by hand), and nothing here reads the wall
clock: a build's date is SOURCE_DATE_EPOCH or the commit date, so rebuilding a commit gives the
same bytes.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from . import __version__
from .errors import UsageProblem
from .model import BuildInfo

SOURCE_PATHS = ("catalog.yaml", "content", "layouts")


def git(root: Path, *args: str) -> str | None:
    """Run git in `root`; its stdout, or None when git fails or `root` is not in a repository."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            check=False,
            env={**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"},
        )
    except FileNotFoundError:
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", "replace")


def source_date_epoch(env: Mapping[str, str]) -> dt.datetime | None:
    """SOURCE_DATE_EPOCH as a UTC time; a malformed value is an error, as reproducible-builds.org asks."""
    raw = env.get("SOURCE_DATE_EPOCH")
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        raise UsageProblem(f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01, not {raw!r}")
    return dt.datetime.fromtimestamp(int(raw), tz=dt.UTC)


def build_info(root: Path, env: Mapping[str, str]) -> BuildInfo:
    """The commit `root` is at, whether its sources have uncommitted changes, and the build date."""
    generator = f"servicebook {__version__}"
    date = source_date_epoch(env)
    top = git(root, "rev-parse", "--show-toplevel")
    if top is None:
        return BuildInfo(commit=None, dirty=False, date=date, generator=generator)
    commit = (git(root, "rev-parse", "--verify", "-q", "HEAD") or "").strip() or None
    status = git(root, "status", "--porcelain", "--untracked-files=all", "--", *SOURCE_PATHS) or ""
    if date is None and commit is not None:
        stamp = (git(root, "log", "-1", "--format=%ct", commit) or "").strip()
        if stamp.isdigit():
            date = dt.datetime.fromtimestamp(int(stamp), tz=dt.UTC)
    return BuildInfo(commit=commit, dirty=bool(status.strip()), date=date, generator=generator)
