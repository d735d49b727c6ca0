"""`servicebook init`: a small, valid site to start from."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .errors import UsageProblem

_FILES = ("catalog.yaml", "content/welcome.md")


def scaffold(directory: Path) -> list[Path]:
    """Write the starter site into `directory`, which must be empty or absent; never overwrites."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise UsageProblem(f"{directory} already exists and is not empty; choose a new folder")
    created = []
    template = resources.files("servicebook") / "scaffold"
    for name in _FILES:
        dest = directory / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text((template / name).read_text(encoding="utf-8"), encoding="utf-8")
        created.append(dest)
    (directory / "layouts").mkdir(exist_ok=True)
    gitignore = directory / ".gitignore"
    gitignore.write_text("/public/\n/.servicebook-cache/\n", encoding="utf-8")
    created.append(gitignore)
    return created
