from pathlib import Path


def make(site: Path) -> None:
    (site / "content/etc").symlink_to("/etc", target_is_directory=True)
