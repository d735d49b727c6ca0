from pathlib import Path


def make(site: Path) -> None:
    # '[' runs up to content.markdown.MAX_LINK_BRACKETS (page-link-bracket-runs goes past it)
    body = "[" * 10_000 + "\n\n" + ">" * 19 + " deep\n\n" + "*a" * 20_000 + "\n\n" + "_" * 20_000 + "\n"
    (site / "content/welcome.md").write_text("---\ntitle: How we work\n---\n\n" + body)
