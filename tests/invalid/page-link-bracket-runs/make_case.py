from pathlib import Path


def make(site: Path) -> None:
    (site / "content/welcome.md").write_text("---\ntitle: How we work\n---\n\nWhy:\n" + "![" * (255 * 512) + "\n")
