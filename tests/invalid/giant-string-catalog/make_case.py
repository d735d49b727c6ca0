from pathlib import Path


def make(site: Path) -> None:
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("  name: Platform Team", "  name: " + "x" * 10_000_000))
