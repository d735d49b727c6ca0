"""What a folder holds, as the tests compare it: each file's path (relative, with slashes) and bytes."""

from __future__ import annotations

from pathlib import Path


def tree(root: Path) -> dict[str, bytes]:
    """Every file below `root`, by its path relative to it, in order."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
