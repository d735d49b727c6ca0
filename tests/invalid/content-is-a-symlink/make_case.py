from pathlib import Path


def make(site: Path) -> None:
    pages = site.parent / "pages-elsewhere"
    (site / "content").rename(pages)
    (site / "content").symlink_to(pages, target_is_directory=True)
