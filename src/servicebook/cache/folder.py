"""Where caches live: `.servicebook-cache/` in the site (or beside an output folder outside it),
kept out of git by a .gitignore of its own; and what any site of the same user may share (the
user's cache folder: compiled templates), which holds nothing a site's build depends on."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

CACHE_DIR = ".servicebook-cache"


def prepare(folder: Path) -> None:
    """Create `folder` (inside a cache folder) and the cache folder's .gitignore. Raises OSError."""
    folder.mkdir(parents=True, exist_ok=True)
    top = next((p for p in (folder, *folder.parents) if p.name == CACHE_DIR), folder)
    ignore = top / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# servicebook's cache; safe to delete\n*\n", "utf-8")


def user_cache(env: Mapping[str, str]) -> Path | None:
    """servicebook's folder in the user's cache ($XDG_CACHE_HOME, else ~/.cache), as the XDG base
    directory specification places it; None when neither says where (no HOME)."""
    base = Path(env.get("XDG_CACHE_HOME", ""))
    if not base.is_absolute():  # the specification: a relative path is to be ignored
        home = Path(env.get("HOME", ""))
        if not home.is_absolute():
            return None
        base = home / ".cache"
    return base / "servicebook"
