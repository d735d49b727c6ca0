from pathlib import Path


def make(site: Path) -> None:
    (site / "content/welcome.md").write_text("---\ntitle: How we work\n---\n\n" + "![" * 200_000 + "\n")
