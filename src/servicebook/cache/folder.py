"""Where caches live: `.servicebook-cache/` in the site (or beside an output folder outside it),
kept out of git by a .gitignore of its own."""

from __future__ import annotations

from pathlib import Path

CACHE_DIR = ".servicebook-cache"


def prepare(folder: Path) -> None:
    """Create `folder` (inside a cache folder) and the cache folder's .gitignore. Raises OSError."""
    folder.mkdir(parents=True, exist_ok=True)
    top = next((p for p in (folder, *folder.parents) if p.name == CACHE_DIR), folder)
    ignore = top / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# servicebook's cache; safe to delete\n*\n", "utf-8")
