from pathlib import Path


def make(site: Path) -> None:
    (site / "measurements").mkdir()
    (site / "measurements" / "2026-01-09T00-00-00Z.json").symlink_to("/etc/passwd")
