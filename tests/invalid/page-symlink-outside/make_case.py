from pathlib import Path


def make(site: Path) -> None:
    (site / "content/leak.md").symlink_to("/etc/passwd")
