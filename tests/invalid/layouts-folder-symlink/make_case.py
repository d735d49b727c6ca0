from pathlib import Path


def make(site: Path) -> None:
    (site / "layouts").symlink_to("/etc", target_is_directory=True)
