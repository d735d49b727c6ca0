from pathlib import Path


def make(site: Path) -> None:
    with (site / "catalog.yaml").open("r+b") as catalog:
        catalog.truncate(33 * 1024 * 1024)  # sparse: cheap to make, refused by size alone
