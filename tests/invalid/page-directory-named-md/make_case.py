from pathlib import Path


def make(site: Path) -> None:
    (site / "content/x.md").mkdir()
