from pathlib import Path


def make(site: Path) -> None:
    body = ">" * 5_000 + " deep\n\nThe rest of the page.\n"
    (site / "content/welcome.md").write_text("---\ntitle: How we work\n---\n\n" + body)
