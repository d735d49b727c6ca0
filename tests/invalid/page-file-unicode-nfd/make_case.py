from pathlib import Path


def make(site: Path) -> None:
    (site / "content" / "Cafe\u0301.md").write_text("---\ntitle: Café\n---\n\nText.\n")
