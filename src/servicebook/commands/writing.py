"""Writing an export's or an import's files where the user asked, never over an existing file."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from servicebook.errors import UsageProblem


def write_new_files(folder: Path, files: Mapping[str, bytes]) -> list[Path]:
    """Write `files` (relative paths) under `folder`; refuses, writing nothing, if any exists."""
    targets = {folder / name: data for name, data in files.items()}
    existing = sorted(str(p) for p in targets if p.exists() or p.is_symlink())
    if existing:
        shown = ", ".join(existing[:5]) + (f" and {len(existing) - 5} more" if len(existing) > 5 else "")
        raise UsageProblem(f"{shown} already exist{'s' if len(existing) == 1 else ''}; nothing was written")
    try:
        for path, data in targets.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            # O_EXCL: a file that appeared since the check above is not written over either
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
    except OSError as exc:
        raise UsageProblem(f"cannot write {exc.filename}: {exc.strerror}") from None
    return list(targets)
