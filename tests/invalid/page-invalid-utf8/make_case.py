from pathlib import Path


def make(site: Path) -> None:
    # Written here, not committed: tools that read the repository (ruff, editors) choke on it.
    (site / "content/welcome.md").write_bytes(b"---\ntitle: How we work\n---\n\nCaf\xe9 policy\n")
