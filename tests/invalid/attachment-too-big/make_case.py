from pathlib import Path


def make(site: Path) -> None:
    page = site / "content/welcome.md"
    page.write_text(page.read_text() + "\n![diagram](diagram.png)\n")
    with (site / "content/diagram.png").open("wb") as image:
        image.truncate(11 * 1024 * 1024)  # sparse: cheap to make, refused by size alone
